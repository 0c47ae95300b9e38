/** Cumulative figures of one RTP stream as mediasoup reports them (getStats). */
export interface StreamTotals {
  bytes: number;
  packets: number;
  lost: number;
  nacks: number;
  plis: number;
  firs: number;
}

export const STREAM_FIELDS = ['bytes', 'packets', 'lost', 'nacks', 'plis', 'firs'] as const;

/**
 * Turns cumulative per-stream figures into increments for Prometheus counters:
 * the first reading of a stream counts in full, later ones count what grew, and a
 * stream whose figures went down (a restarted stream) counts from zero again.
 * Streams not read in a round are forgotten (`prune`).
 */
export class StreamCounters {
  private readonly last = new Map<string, StreamTotals>();

  /** What to add to each counter for this reading of stream `key`. */
  delta(key: string, now: StreamTotals): StreamTotals {
    const before = this.last.get(key);
    this.last.set(key, now);
    const out = {} as StreamTotals;
    for (const f of STREAM_FIELDS) {
      const grew = before ? now[f] - before[f] : now[f];
      out[f] = grew >= 0 ? grew : Math.max(0, now[f]);
    }
    return out;
  }

  /** Forgets streams whose key is not in `live`. */
  prune(live: Set<string>): void {
    for (const key of this.last.keys()) if (!live.has(key)) this.last.delete(key);
  }
}

/**
 * A worker's CPU seconds as a counter that never goes backwards: per worker
 * slot, the seconds of the workers that held the slot before (dead, replaced)
 * plus the current worker's.
 */
export class SlotCpuTotals {
  private readonly slots = new Map<number, { pid: number; seconds: number; before: number }>();

  /** The slot's total after a reading of its current worker (`pid`, its CPU seconds so far). */
  observe(slot: number, pid: number, seconds: number): number {
    const s = this.slots.get(slot);
    if (!s) {
      this.slots.set(slot, { pid, seconds, before: 0 });
      return seconds;
    }
    if (s.pid !== pid) {
      s.before += s.seconds;
      s.pid = pid;
      s.seconds = 0;
    }
    s.seconds = Math.max(s.seconds, seconds);
    return s.before + s.seconds;
  }
}
