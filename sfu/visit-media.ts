import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import type { MediaConfig } from '../common/config.ts';
import { ErrorCode, VisitwireError, withTimeout } from '../common/errors.ts';
import { VisitPipes, type PipedProducer } from './cascade/visit-pipes.ts';
import { MEDIA_CODECS } from './codecs.ts';
import { ParticipantMedia, type Consumer, type Producer } from './participant-media.ts';
import { RequestTracker, type WorkerPool, type WorkerSlot } from './worker-pool.ts';

export type { ConsumerMeta, ProducerMeta } from './participant-media.ts';

interface VisitMediaEvents {
  /** A consumer closed because its producer closed; tell its participant. */
  consumerClosed: [participantId: string, consumerId: string, producerId: string];
  /** The worker under this visit's router died: every transport, producer and consumer is gone. */
  lost: [];
  /** A new send-side bandwidth estimate (bps) towards a participant (mediasoup's `bwe` trace). */
  downlinkEstimate: [participantId: string, availableBitrate: number];
}

/** Objects by kind, as the service holds them or as the workers report them. */
export interface MediaCounts {
  routers: number;
  transports: number;
  producers: { audio: number; video: number };
  consumers: { audio: number; video: number };
  /** Pipe transports to other nodes of the visit, producers piped in, and consumers feeding pipes out. */
  pipes: { transports: number; producers: number; consumers: number };
}

/**
 * A visit's media on this node: one mediasoup Router, owning each
 * participant's media (ParticipantMedia). Closing it closes the router, and
 * with it everything in the visit.
 */
export class VisitMedia extends EventEmitter<VisitMediaEvents> {
  private readonly participants = new Map<string, ParticipantMedia>();
  private readonly requests = new RequestTracker();
  /** Pipes to the other nodes holding this visit (sfu/cascade). */
  readonly pipes = new VisitPipes(this);

  private constructor(
    readonly router: types.Router,
    readonly slot: WorkerSlot,
    readonly config: MediaConfig,
  ) {
    super();
    router.on('workerclose', () => {
      this.close();
      this.emit('lost');
    });
  }

  /** A router on the least-loaded worker; a router the worker makes after the timeout is closed at once. */
  static async create(pool: WorkerPool, config: MediaConfig, visitId: string): Promise<VisitMedia> {
    const created = pool.createRouter({ mediaCodecs: MEDIA_CODECS, appData: { visitId } });
    if (!created) throw new VisitwireError(ErrorCode.UNAVAILABLE, 'no media worker is running');
    const { slot } = created;
    const router = await withTimeout(created.router, config.requestTimeoutMs, 'createRouter', (late) => late.close());
    if (router.closed) throw new VisitwireError(ErrorCode.UNAVAILABLE, 'the media worker closed');
    return new VisitMedia(router, slot, config);
  }

  get rtpCapabilities(): types.RtpCapabilities {
    return this.router.rtpCapabilities;
  }

  get isClosed(): boolean {
    return this.router.closed;
  }

  /** A new participant's media in this visit. */
  addParticipant(participantId: string): ParticipantMedia {
    if (this.isClosed) throw new VisitwireError(ErrorCode.UNAVAILABLE, 'the visit media closed');
    if (this.participants.has(participantId)) throw new Error(`participant ${participantId} already has media`);
    const media = new ParticipantMedia(participantId, this);
    this.participants.set(participantId, media);
    return media;
  }

  /** Closes a participant's media and forgets it. */
  removeParticipant(participantId: string): void {
    this.participants.get(participantId)?.close();
    this.participants.delete(participantId);
  }

  producers(): Producer[] {
    return [...this.participants.values()].flatMap((p) => [...p.producers.values()]);
  }

  /** A local producer or one piped in from another node: viewers here consume either alike. */
  findProducer(producerId: string): Producer | PipedProducer | undefined {
    for (const p of this.participants.values()) {
      const producer = p.producers.get(producerId);
      if (producer) return producer;
    }
    return this.pipes.producers.get(producerId);
  }

  /** Producers piped in from other nodes. */
  pipedProducers(): PipedProducer[] {
    return [...this.pipes.producers.values()];
  }

  consumers(): Consumer[] {
    return [...this.participants.values()].flatMap((p) => [...p.consumers.values()]);
  }

  consumersOf(participantId: string): Consumer[] {
    return [...(this.participants.get(participantId)?.consumers.values() ?? [])];
  }

  downlinkEstimate(participantId: string): number | undefined {
    return this.participants.get(participantId)?.downlinkEstimate;
  }

  /** What the SFU sends a participant now (bps), all media, retransmissions and probation included. */
  async downlinkSendBitrate(participantId: string): Promise<number | undefined> {
    return this.participants.get(participantId)?.sendBitrate();
  }

  participantIds(): string[] {
    return [...this.participants.keys()];
  }

  consumerCount(): number {
    let count = 0;
    for (const p of this.participants.values()) count += p.consumers.size;
    return count;
  }

  /** What this visit holds, as the service knows it. */
  counts(): MediaCounts {
    const counts = emptyCounts();
    if (this.isClosed) return counts;
    counts.routers = 1;
    counts.pipes = this.pipes.counts();
    for (const p of this.participants.values()) {
      counts.transports += p.transports.size;
      for (const producer of p.producers.values()) counts.producers[producer.kind]++;
      for (const consumer of p.consumers.values()) counts.consumers[consumer.kind]++;
    }
    return counts;
  }

  /**
   * What the worker holds in this router, and the ids of those objects that no
   * participant owns. `orphans` is undefined when a creating request was in
   * flight during the check: its object may exist in the worker before its
   * answer reaches us.
   */
  async inspect(): Promise<{ held: RouterHeld; orphans?: string[] }> {
    if (this.isClosed) return { held: { transports: 0, producers: 0, consumers: 0 }, orphans: [] };
    const [mark, pending] = [this.requests.mark(), this.requests.inFlight];
    const held = await dumpRouter(this.router, this.config.requestTimeoutMs);
    if (!this.requests.settledSince(mark, pending)) return { held };
    const known = new Set<string>(this.pipes.ids());
    for (const p of this.participants.values()) {
      for (const map of [p.transports, p.producers, p.consumers]) for (const id of map.keys()) known.add(id);
    }
    return { held, orphans: held.ids.filter((id) => !known.has(id)) };
  }

  /** Counts a creating request to the worker while it is in flight (see `orphans`). */
  track<T>(request: Promise<T>): Promise<T> {
    return this.requests.track(request);
  }

  /** Closes the router and, with it, every participant's media; idempotent. */
  close(): void {
    this.pipes.close();
    for (const p of this.participants.values()) p.close();
    this.participants.clear();
    if (!this.router.closed) this.router.close();
  }
}

export interface RouterHeld { transports: number; producers: number; consumers: number; ids?: string[] }

/** What a router holds in its worker. */
export async function dumpRouter(router: types.Router, timeoutMs: number): Promise<Required<RouterHeld>> {
  const dump = await withTimeout(router.dump(), timeoutMs, 'router dump');
  const producers = dump.mapProducerIdConsumerIds.map((e) => e.key);
  const consumers = dump.mapConsumerIdProducerId.map((e) => e.key);
  return { transports: dump.transportIds.length, producers: producers.length, consumers: consumers.length, ids: [...dump.transportIds, ...producers, ...consumers] };
}

export function emptyCounts(): MediaCounts {
  return { routers: 0, transports: 0, producers: { audio: 0, video: 0 }, consumers: { audio: 0, video: 0 }, pipes: { transports: 0, producers: 0, consumers: 0 } };
}

export function addCounts(a: MediaCounts, b: MediaCounts): MediaCounts {
  return {
    routers: a.routers + b.routers,
    transports: a.transports + b.transports,
    producers: { audio: a.producers.audio + b.producers.audio, video: a.producers.video + b.producers.video },
    consumers: { audio: a.consumers.audio + b.consumers.audio, video: a.consumers.video + b.consumers.video },
    pipes: { transports: a.pipes.transports + b.pipes.transports, producers: a.pipes.producers + b.pipes.producers, consumers: a.pipes.consumers + b.pipes.consumers },
  };
}
