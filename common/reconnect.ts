/**
 * How a participant gets back into a visit, shared by the SDK
 * (signaling/sdk/visit.ts) and the load-test bots (loadtest/bot/bot.ts) so
 * that both take the same path.
 */

/** With a router: a node that has not taken the participant back after this long (or refuses the reconnection) is reported to the router. */
export const FAILOVER_AFTER_MS = 3000;
/** While migrating, the old node's media runs at most this long after the new node is joined. */
export const MAKE_BEFORE_BREAK_MS = 10_000;
/** Attempts to find another node when a draining node asks to move. */
export const MIGRATE_ATTEMPTS = 5;

/** Jittered exponential back-off: 250 ms, 500 ms, ... up to 4 s, each between half and all of it. */
export const backOff = (attempt: number): Promise<void> =>
  new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt, 4000) * (0.5 + Math.random() / 2)));

/**
 * Wraps an async job so that a call while it runs does nothing: the running
 * one already does what the caller wants (e.g. one failover at a time).
 */
export function singleFlight(job: () => Promise<void>): () => Promise<void> {
  let running = false;
  return async () => {
    if (running) return;
    running = true;
    try {
      await job();
    } finally {
      running = false;
    }
  };
}
