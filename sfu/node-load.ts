import type { NodeLoad } from '../common/registry/types.ts';
import type { WorkerCpuMeter } from './worker-cpu.ts';

/** What a node counts; VisitService is one. */
export interface LoadSource {
  readonly visitCount: number;
  readonly participantCount: number;
  consumerCount(): number;
  /** Visits by how many nodes each spans. */
  visitsByNodes?(): Record<string, number>;
}

/**
 * The load a node reports with each heartbeat. Visits, participants and
 * consumers are counted live; CPU takes a round trip to the workers, so it is
 * refreshed before each heartbeat (the node agent's timer) and read from the
 * last refresh in between.
 */
export class NodeLoadMonitor {
  private cpu = 0;

  constructor(private readonly source: LoadSource, private readonly meter: WorkerCpuMeter) {}

  current(): NodeLoad {
    const load: NodeLoad = { visits: this.source.visitCount, participants: this.source.participantCount, consumers: this.source.consumerCount(), cpu: this.cpu };
    const byNodes = this.source.visitsByNodes?.();
    return byNodes && Object.keys(byNodes).length > 0 ? { ...load, visitsByNodes: byNodes } : load;
  }

  /** Refreshes the CPU share, then reads; a failed refresh keeps the last share. */
  async refreshed(): Promise<NodeLoad> {
    this.cpu = await this.meter.measure().catch(() => this.cpu);
    return this.current();
  }
}
