import { addCounts, dumpRouter, emptyCounts, type MediaCounts, type VisitMedia } from './visit-media.ts';
import type { WorkerPool } from './worker-pool.ts';

/** Objects the mediasoup workers hold, by their own account (router dumps). */
export interface WorkerHeld { routers: number; transports: number; producers: number; consumers: number }

export interface MediaCensus {
  /** What the service's participants own. */
  owned: MediaCounts;
  /** What the workers hold. */
  workers: WorkerHeld;
  /** Objects the workers hold that no participant owns (routers count too): must stay 0. */
  orphans: number;
  /** False when requests were in flight during the check, so that some objects could not be judged; `orphans` counts the rest. */
  settled: boolean;
}

/**
 * Compares what the service owns with what the workers hold: every live
 * router on every worker is dumped. A router that no visit owns is an orphan,
 * with everything in it.
 */
export async function takeCensus(pool: WorkerPool, medias: readonly VisitMedia[], timeoutMs: number): Promise<MediaCensus> {
  const workers: WorkerHeld = { routers: 0, transports: 0, producers: 0, consumers: 0 };
  const [mark, pending] = [pool.routerRequests.mark(), pool.routerRequests.inFlight];
  const byRouter = new Map(medias.map((m) => [m.router, m]));
  let orphans = 0;
  let settled = true;
  for (const slot of pool.all) {
    for (const router of [...slot.routers]) {
      const media = byRouter.get(router);
      const { held, orphans: ids } = media ? await media.inspect() : { held: await dumpRouter(router, timeoutMs), orphans: undefined };
      if (router.closed) continue;
      workers.routers++;
      workers.transports += held.transports;
      workers.producers += held.producers;
      workers.consumers += held.consumers;
      if (media) {
        if (ids) orphans += ids.length;
        else settled = false;
      } else if (pool.routerRequests.settledSince(mark, pending)) {
        orphans += 1 + held.transports + held.producers + held.consumers;
      } else {
        settled = false;
      }
    }
  }
  // Counted after the dumps: the worker's notifications (a consumer closed with its producer) came before their answers.
  const owned = medias.reduce((sum, m) => addCounts(sum, m.counts()), emptyCounts());
  return { owned, workers, orphans, settled };
}
