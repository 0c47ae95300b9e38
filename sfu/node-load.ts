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
 * consumers are counted live; CPU takes a round trip to the workers, so each
 * heartbeat sends the last measured share and starts the next measurement
 * (the node agent's timer drives both), and a slow worker never holds up a
 * heartbeat.
 */
export class NodeLoadMonitor {
  private cpu = 0;
  private measuring?: Promise<void>;

  constructor(private readonly source: LoadSource, private readonly meter: WorkerCpuMeter) {}

  current(): NodeLoad {
    const load: NodeLoad = { visits: this.source.visitCount, participants: this.source.participantCount, consumers: this.source.consumerCount(), cpu: this.cpu };
    const byNodes = this.source.visitsByNodes?.();
    return byNodes && Object.keys(byNodes).length > 0 ? { ...load, visitsByNodes: byNodes } : load;
  }

  /** The load as of now and the last CPU share; measures the next share, one measurement at a time (a failed one keeps the last). */
  currentThenMeasure(): NodeLoad {
    this.measuring ??= this.meter.measure().then((cpu) => { this.cpu = cpu; }, () => {}).finally(() => { this.measuring = undefined; });
    return this.current();
  }
}
