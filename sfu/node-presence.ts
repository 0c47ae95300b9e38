import type { Logger } from '../common/logger.ts';
import type { NodeCapacity, NodeLoad, Registry } from '../common/registry/types.ts';
import { startNodeAgent, type NodeAgent } from './node-agent.ts';
import { NodeLoadMonitor, type LoadSource } from './node-load.ts';
import { WorkerCpuMeter } from './worker-cpu.ts';
import type { WorkerPool } from './worker-pool.ts';

export interface NodePresenceOptions {
  registry: Registry;
  nodeId: string;
  region: string;
  capacity: NodeCapacity;
  pool: WorkerPool;
  logger: Logger;
  /** Timeout of each worker resource-usage request. */
  requestTimeoutMs: number;
  /** Between heartbeats; default 1000 ms. */
  intervalMs?: number;
  /** Draining started: ask the participants to move. */
  onDrain?: () => void;
  /** Draining has lasted `drainTimeoutMs`: end whoever is left. */
  onDrainTimeout?: () => void;
  drainTimeoutMs?: number;
}

/** What `GET /v1/admin/status` shows. */
export interface NodeStatus {
  nodeId: string;
  region: string;
  signalingUrl: string;
  draining: boolean;
  capacity: NodeCapacity;
  load: NodeLoad;
  workers: number;
}

/**
 * One node as the cluster sees it: registered and heartbeating with its load,
 * releasing each visit's home claim when the visit ends here, and draining on
 * request (it takes no new visits; `drained` settles once the last one ends).
 */
export class NodePresence {
  readonly drained: Promise<void>;
  private isDraining = false;
  private signalingUrl = '';
  private agent?: NodeAgent;
  private monitor?: NodeLoadMonitor;
  private readonly cpuMeter: WorkerCpuMeter;
  private source?: LoadSource;
  private resolveDrained!: () => void;
  private drainTimer?: NodeJS.Timeout;

  constructor(private readonly o: NodePresenceOptions) {
    this.drained = new Promise((resolve) => { this.resolveDrained = resolve; });
    this.cpuMeter = new WorkerCpuMeter(() => o.pool.all.map((s) => s.worker), o.requestTimeoutMs);
  }

  get nodeId(): string { return this.o.nodeId; }
  get registry(): Registry { return this.o.registry; }
  get draining(): boolean { return this.isDraining; }
  /** Each worker's CPU seconds (by pid) as of the last load refresh (every heartbeat interval). */
  workerCpuSeconds(): Map<number, number> { return this.cpuMeter.cpuSecondsByPid(); }

  /** Registers the node; resolves after the first heartbeat. */
  async start(source: LoadSource, signalingUrl: string): Promise<void> {
    const intervalMs = this.o.intervalMs ?? 1000;
    this.source = source;
    this.signalingUrl = signalingUrl;
    const monitor = new NodeLoadMonitor(source, this.cpuMeter);
    this.monitor = monitor;
    // One timer: each heartbeat sends the load and starts the next CPU measurement (a worker round trip).
    this.agent = await startNodeAgent({
      registry: this.o.registry, nodeId: this.o.nodeId, region: this.o.region, signalingUrl, capacity: this.o.capacity, intervalMs,
      getLoad: () => monitor.currentThenMeasure(),
      isDraining: () => this.isDraining,
      onError: (err) => this.o.logger.warn({ err: (err as Error).message }, 'heartbeat failed'),
    });
  }

  /** Stops taking new visits and tells the registry at once. */
  drain(): void {
    if (this.isDraining) return;
    this.isDraining = true;
    this.o.logger.info({ node: this.o.nodeId, visits: this.source?.visitCount ?? 0 }, 'draining: no new visits; participants asked to move');
    this.agent?.beat().catch((err: unknown) => this.o.logger.warn({ err: (err as Error).message }, 'draining heartbeat failed'));
    this.o.onDrain?.();
    if (this.o.drainTimeoutMs !== undefined) {
      this.drainTimer = setTimeout(() => {
        this.o.logger.warn({ node: this.o.nodeId, participants: this.source?.participantCount ?? 0 }, 'drain timeout: ending the participants left');
        this.o.onDrainTimeout?.();
      }, this.o.drainTimeoutMs);
      this.drainTimer.unref();
    }
    this.checkDrained();
  }

  /** The visit is moving away (drain): routers may place it elsewhere now. */
  releaseClaim(visitId: string): void {
    this.o.registry.releaseVisit(visitId, this.o.nodeId).catch((err: unknown) => {
      this.o.logger.warn({ visitId, err: (err as Error).message }, 'releasing the visit claim failed; it expires with its TTL');
    });
  }

  /** The visit has no participants left here: its home claim, if this node holds it, is released. */
  visitEnded(visitId: string): void {
    this.releaseClaim(visitId);
    this.checkDrained();
  }

  status(): NodeStatus {
    return {
      nodeId: this.o.nodeId, region: this.o.region, signalingUrl: this.signalingUrl, draining: this.isDraining,
      capacity: this.o.capacity, load: this.monitor?.current() ?? { visits: 0, participants: 0, consumers: 0, cpu: 0 },
      workers: this.o.pool.size,
    };
  }

  /** Stops heartbeating and removes the node from the registry. */
  async stop(): Promise<void> {
    clearTimeout(this.drainTimer);
    await this.agent?.stop().catch((err: unknown) => this.o.logger.warn({ err: (err as Error).message }, 'could not remove the node from the registry'));
  }

  private checkDrained(): void {
    if (this.isDraining && (this.source?.participantCount ?? 0) === 0) this.resolveDrained();
  }
}
