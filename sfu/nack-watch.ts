import type { types } from 'mediasoup';
import { onConsumerTrace } from './consumer-trace.ts';

/** A window opened by a viewer's first NACK is this long; its ratio counts for the policy for NACK_FRESH_MS after it closes. */
const NACK_WINDOW_MS = 300;
const NACK_FRESH_MS = 1000;

interface Counts { packets: number; nacked: number }

/**
 * A fast, rough sign of loss at a viewer: the packets it asked the SFU to
 * resend (NACK) per packet sent, over a short window opened by its first NACK
 * (mediasoup `nack` trace events). It shows loss within a round trip, about a
 * second before the next receiver report, but overcounts it (a lost packet is
 * asked for again every round trip). Costs nothing while a viewer sends no
 * NACKs: two stats requests per window, none without one.
 */
export class NackWatch {
  /** Consumers whose window is open. */
  private readonly open = new Set<string>();
  private readonly ratios = new Map<string, { ratio: number; atMs: number }>();
  private readonly windowTimers = new Set<NodeJS.Timeout>();
  private closed = false;

  /** `measured` is called after each window closes with a ratio. */
  constructor(private readonly measured: () => void, private readonly windowMs = NACK_WINDOW_MS) {}

  /** Starts watching a video consumer's NACKs; returns the function that stops it. */
  watch(consumer: types.Consumer): () => void {
    const stopTracing = onConsumerTrace(consumer, 'nack', () => void this.openWindow(consumer));
    return () => {
      stopTracing();
      this.open.delete(consumer.id);
      this.ratios.delete(consumer.id);
    };
  }

  /** NACKed packets per packet sent in the consumer's last window, while fresh. */
  ratio(consumerId: string, nowMs: number): number | undefined {
    const r = this.ratios.get(consumerId);
    return r && nowMs - r.atMs <= NACK_FRESH_MS ? r.ratio : undefined;
  }

  close(): void {
    this.closed = true;
    for (const timer of this.windowTimers) clearTimeout(timer);
    this.windowTimers.clear();
    this.open.clear();
    this.ratios.clear();
  }

  private async openWindow(consumer: types.Consumer): Promise<void> {
    if (this.open.has(consumer.id) || this.closed) return;
    this.open.add(consumer.id);
    try {
      const before = await counts(consumer);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => { this.windowTimers.delete(timer); resolve(); }, this.windowMs);
        this.windowTimers.add(timer);
      });
      const after = await counts(consumer);
      if (this.closed || !this.open.has(consumer.id) || !before || !after || after.packets <= before.packets) return;
      this.ratios.set(consumer.id, { ratio: (after.nacked - before.nacked) / (after.packets - before.packets), atMs: Date.now() });
      this.measured();
    } finally {
      this.open.delete(consumer.id);
    }
  }
}

async function counts(consumer: types.Consumer): Promise<Counts | undefined> {
  if (consumer.closed) return undefined;
  const sent = (await consumer.getStats().catch(() => [])).find((s) => s.type === 'outbound-rtp');
  return sent && { packets: sent.packetCount, nacked: sent.nackPacketCount };
}
