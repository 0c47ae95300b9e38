import type { NodeLoad } from '../common/registry/types.ts';
import type { WorkerCpuMeter } from './worker-cpu.ts';

/** What a node counts; VisitService is one. */
export interface LoadSource {
  readonly visitCount: number;
  readonly participantCount: number;
  consumerCount(): Promise<number>;
  /** Visits by how many nodes each spans. */
  visitsByNodes?(): Record<string, number>;
}

/**
 * The load a node reports with each heartbeat. Visits and participants are
 * read live; consumers and CPU take a round trip to the workers, so they are
 * refreshed every interval and read from the last refresh.
 */
export class NodeLoadMonitor {
  private consumers = 0;
  private cpu = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly source: LoadSource, private readonly meter: WorkerCpuMeter) {}

  current(): NodeLoad {
    const load: NodeLoad = { visits: this.source.visitCount, participants: this.source.participantCount, consumers: this.consumers, cpu: this.cpu };
    const byNodes = this.source.visitsByNodes?.();
    return byNodes && Object.keys(byNodes).length > 0 ? { ...load, visitsByNodes: byNodes } : load;
  }

  async refresh(): Promise<void> {
    [this.consumers, this.cpu] = await Promise.all([this.source.consumerCount(), this.meter.measure()]);
  }

  /** Refreshes now and then every `intervalMs` until stopped; a failed refresh keeps the last figures. */
  async start(intervalMs: number): Promise<void> {
    await this.refresh().catch(() => {});
    const schedule = () => {
      this.timer = setTimeout(() => void this.refresh().catch(() => {}).finally(() => { if (!this.stopped) schedule(); }), intervalMs);
      this.timer.unref();
    };
    schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
