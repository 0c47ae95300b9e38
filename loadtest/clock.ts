/**
 * Milliseconds since the epoch, counted on the monotonic clock from this
 * process's start: a wall-clock step (an NTP correction) does not move it, so
 * a report's age and a gap between packets stay true. The bots' processes
 * start together, so their readings compare to within a few milliseconds.
 */
export function monotonicNow(): number {
  return performance.timeOrigin + performance.now();
}
