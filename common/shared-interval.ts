/**
 * One interval timer per period for the whole process, shared by everything
 * that runs every `periodMs`: each timer wake-up costs the process about as
 * much as a small round of work (measured: 20 one-second intervals, 0.2 % of
 * a core; one, too little to see), so a node with many visits wakes once a
 * second, not once per visit. The timer does not keep the process alive.
 */
const timers = new Map<number, { timer: NodeJS.Timeout; calls: Set<() => void> }>();

/** Calls `fn` every `periodMs` until the returned function is called. */
export function sharedInterval(periodMs: number, fn: () => void): () => void {
  let entry = timers.get(periodMs);
  if (!entry) {
    const calls = new Set<() => void>();
    const timer = setInterval(() => { for (const call of [...calls]) if (calls.has(call)) call(); }, periodMs);
    timer.unref();
    entry = { timer, calls };
    timers.set(periodMs, entry);
  }
  const call = () => fn();
  entry.calls.add(call);
  const own = entry;
  return () => {
    own.calls.delete(call);
    if (own.calls.size === 0 && timers.get(periodMs) === own) {
      clearInterval(own.timer);
      timers.delete(periodMs);
    }
  };
}
