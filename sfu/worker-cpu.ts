import type { types } from 'mediasoup';
import { withTimeout } from '../common/errors.ts';

/** A worker's total CPU time (user + system) at one moment. */
export interface CpuSample {
  cpuMs: number;
  atMs: number;
}

/**
 * Share of the workers' cores in use between two samples, 0..1: CPU time
 * spent over wall time, summed over the workers sampled both times (keyed by
 * pid, so a respawned worker starts afresh).
 */
export function cpuShare(previous: ReadonlyMap<number, CpuSample>, current: ReadonlyMap<number, CpuSample>): number {
  let busyMs = 0;
  let wallMs = 0;
  for (const [pid, now] of current) {
    const before = previous.get(pid);
    if (!before || now.atMs <= before.atMs) continue;
    busyMs += Math.max(0, now.cpuMs - before.cpuMs);
    wallMs += now.atMs - before.atMs;
  }
  return wallMs > 0 ? Math.min(1, busyMs / wallMs) : 0;
}

/** Measures the mediasoup workers' CPU share from `worker.getResourceUsage()` deltas. */
export class WorkerCpuMeter {
  private samples = new Map<number, CpuSample>();

  constructor(private readonly workers: () => types.Worker[], private readonly timeoutMs: number) {}

  /** The share since the previous call; 0 on the first. */
  async measure(): Promise<number> {
    const current = new Map<number, CpuSample>();
    await Promise.all(this.workers().map(async (worker) => {
      try {
        const usage = await withTimeout(worker.getResourceUsage(), this.timeoutMs, 'worker resource usage');
        current.set(worker.pid, { cpuMs: usage.ru_utime + usage.ru_stime, atMs: performance.now() });
      } catch {
        // A worker that is dying or busy past the timeout sits this sample out.
      }
    }));
    const share = cpuShare(this.samples, current);
    this.samples = current;
    return share;
  }

  /** CPU time (s) of each worker (by pid) at the last measurement. */
  cpuSecondsByPid(): Map<number, number> {
    return new Map([...this.samples].map(([pid, s]) => [pid, s.cpuMs / 1000]));
  }
}
