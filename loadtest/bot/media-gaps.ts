import { monotonicNow } from '../clock.ts';

/** One stretch with no remote packets of a kind, longer than MIN_GAP_MS. Times are monotonicNow() (loadtest/clock.ts). */
export interface MediaGap { kind: 'audio' | 'video'; fromMs: number; toMs: number }

/** Shorter silences are packet pacing, not a gap. */
const MIN_GAP_MS = 100;
const KEEP = 50;

/**
 * The times a bot heard nothing of a kind from anyone: across rejoins,
 * resumes and moves between nodes, since it counts packets of every
 * subscription the bot has had.
 */
export class MediaGaps {
  private readonly last: Partial<Record<MediaGap['kind'], number>> = {};
  readonly gaps: MediaGap[] = [];

  onPacket(kind: MediaGap['kind'], nowMs = monotonicNow()): void {
    const last = this.last[kind];
    if (last !== undefined && nowMs - last > MIN_GAP_MS) {
      this.gaps.push({ kind, fromMs: last, toMs: nowMs });
      if (this.gaps.length > KEEP) this.gaps.shift();
    }
    this.last[kind] = nowMs;
  }

  /** The longest gap of `kind` that overlaps [fromMs, toMs], counting one still open at `toMs`. */
  longest(kind: MediaGap['kind'], fromMs: number, toMs: number): number {
    let longest = 0;
    for (const g of this.gaps) if (g.kind === kind && g.toMs >= fromMs && g.fromMs <= toMs) longest = Math.max(longest, g.toMs - g.fromMs);
    const last = this.last[kind];
    if (last !== undefined && toMs - last > MIN_GAP_MS) longest = Math.max(longest, toMs - Math.max(last, fromMs));
    return longest;
  }

  /**
   * When media of `kind` flowed again after an interruption at `atMs`: the end
   * of the first gap that began around or after it. `atMs` while no gap has
   * begun (media never stopped); undefined while the gap is still open.
   */
  backAfter(kind: MediaGap['kind'], atMs: number, nowMs = monotonicNow()): number | undefined {
    const gap = this.gaps.find((g) => g.kind === kind && g.toMs > atMs && g.fromMs >= atMs - MIN_GAP_MS);
    if (gap) return gap.toMs;
    const last = this.last[kind];
    if (last === undefined || nowMs - last > MIN_GAP_MS) return undefined;
    return atMs;
  }
}
