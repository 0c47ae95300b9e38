/**
 * A viewer's queue delay: how far its round trip (RTT in its receiver
 * reports) is above the path's own, taken as the lowest seen. The lowest
 * rises by RTT_BASE_RISE_MS_PER_S so that a longer path (a new route, a
 * handover) is learnt, not taken for a queue for ever: 200 ms in 20 s.
 */
export const RTT_BASE_RISE_MS_PER_S = 10;

export interface RttBase {
  /** Round trip of the path without a queue (ms). */
  ms: number;
  /** When it was last updated. */
  atMs: number;
}

/** The base after a round-trip sample; samples of 0 (no receiver report yet) are not measurements. */
export function nextRttBase(base: RttBase | undefined, rttMs: number, nowMs: number): RttBase | undefined {
  if (!(rttMs > 0)) return base;
  const risen = base === undefined ? rttMs : base.ms + (Math.max(0, nowMs - base.atMs) / 1000) * RTT_BASE_RISE_MS_PER_S;
  return { ms: Math.min(rttMs, risen), atMs: nowMs };
}

/** The queue delay (ms) a round trip shows over the base; undefined without both. */
export function queueDelay(base: RttBase | undefined, rttMs: number | undefined): number | undefined {
  return base === undefined || rttMs === undefined || !(rttMs > 0) ? undefined : Math.max(0, rttMs - base.ms);
}
