import { EventEmitter } from 'node:events';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import type { MediaConfig } from '../common/config.ts';
import { logger } from '../common/logger.ts';

export interface WorkerSlot {
  index: number;
  worker: types.Worker;
  webRtcServer: types.WebRtcServer;
  /** Live routers on this worker (one a visit), whoever created them. */
  routers: Set<types.Router>;
}

/** In-flight requests that create objects in a worker, for checks that compare the workers with what the service owns. */
export class RequestTracker {
  private pending = 0;
  private started = 0;

  /** Counts `request` while it is in flight and returns it. */
  track<T>(request: Promise<T>): Promise<T> {
    this.pending++;
    this.started++;
    const done = () => { this.pending--; };
    request.then(done, done);
    return request;
  }

  /** A mark to compare with `settledSince`. */
  mark(): number {
    return this.started;
  }

  /** True when nothing was in flight at `mark` and nothing started since. */
  settledSince(mark: number, pendingAtMark: number): boolean {
    return pendingAtMark === 0 && this.pending === 0 && this.started === mark;
  }

  get inFlight(): number {
    return this.pending;
  }
}

interface WorkerPoolEvents {
  /** A worker died; everything it held is gone. A new worker takes its slot. */
  workerDied: [slot: WorkerSlot];
}

const RESPAWN_DELAY_MS = 1000;
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

/** One mediasoup worker per core, each with a WebRtcServer; respawns a worker that dies. */
export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  private readonly slots: (WorkerSlot | undefined)[] = [];
  private closed = false;
  /** createRouter requests in flight. */
  readonly routerRequests = new RequestTracker();

  constructor(private readonly config: MediaConfig) {
    super();
  }

  async start(): Promise<void> {
    for (let i = 0; i < this.config.workers; i++) this.slots[i] = await this.spawn(i);
  }

  /** A new router on the live worker with the fewest routers; undefined when no worker is running. */
  createRouter(options: types.RouterOptions): { slot: WorkerSlot; router: Promise<types.Router> } | undefined {
    const slot = this.pick();
    if (!slot) return undefined;
    return { slot, router: this.routerRequests.track(slot.worker.createRouter(options)) };
  }

  get size(): number {
    return this.slots.filter(Boolean).length;
  }

  get all(): WorkerSlot[] {
    return this.slots.filter((s): s is WorkerSlot => s !== undefined);
  }

  /** The live worker with the fewest routers. */
  private pick(): WorkerSlot | undefined {
    return this.all.sort((a, b) => a.routers.size - b.routers.size)[0];
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const slot of this.all) slot.worker.close();
    this.slots.length = 0;
  }

  private async spawn(index: number): Promise<WorkerSlot> {
    const worker = await mediasoup.createWorker({ logLevel: 'warn', logTags: ['ice', 'dtls', 'rtp', 'srtp', 'rtcp'] });
    const { listenIp, announcedAddress, rtcPort } = this.config;
    const port = rtcPort === 0 ? undefined : rtcPort + index;
    // Large socket buffers: one UDP socket carries every participant's media on this worker, in bursts
    // (key frames); the kernel caps them at net.core.rmem_max / wmem_max.
    const listen = (protocol: 'udp' | 'tcp') => ({ protocol, ip: listenIp, announcedAddress, port, recvBufferSize: SOCKET_BUFFER_BYTES, sendBufferSize: SOCKET_BUFFER_BYTES });
    let webRtcServer: types.WebRtcServer;
    try {
      webRtcServer = await worker.createWebRtcServer({ listenInfos: [listen('udp'), listen('tcp')] });
    } catch (err) {
      worker.close();
      throw new Error(`worker ${index}: cannot listen for WebRTC on ${listenIp}:${port ?? 'any'} (${(err as Error).message})`);
    }
    if (this.closed) {
      worker.close();
      throw new Error(`worker ${index}: the pool closed while the worker started`);
    }
    const slot: WorkerSlot = { index, worker, webRtcServer, routers: new Set() };
    worker.observer.on('newrouter', (router) => {
      slot.routers.add(router);
      router.observer.once('close', () => slot.routers.delete(router));
    });
    worker.on('died', (err) => this.onDied(slot, err));
    logger.info({ worker: index, workerPid: worker.pid, port }, 'mediasoup worker started');
    return slot;
  }

  private onDied(slot: WorkerSlot, err: Error): void {
    logger.error({ worker: slot.index, workerPid: slot.worker.pid, err: err.message }, 'mediasoup worker died');
    this.slots[slot.index] = undefined;
    this.emit('workerDied', slot);
    const respawn = async (): Promise<void> => {
      if (this.closed) return;
      try {
        this.slots[slot.index] = await this.spawn(slot.index);
      } catch (e) {
        if (this.closed) return;
        logger.error({ worker: slot.index, err: (e as Error).message }, 'worker respawn failed; retrying');
        setTimeout(respawn, RESPAWN_DELAY_MS * 5);
      }
    };
    setTimeout(respawn, RESPAWN_DELAY_MS);
  }
}
