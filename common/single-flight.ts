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
