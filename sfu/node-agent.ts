import type { NodeCapacity, NodeLoad, Registry } from '../common/registry/types.ts';

export interface NodeAgentOptions {
  registry: Registry;
  nodeId: string;
  region: string;
  /** Where clients reach this node's signaling, e.g. `https://eu-west-1.example.org`. */
  signalingUrl: string;
  capacity: NodeCapacity;
  /** Between heartbeats; keep well under the registry's heartbeat expiry. Default 1000 ms. */
  intervalMs?: number;
  getLoad: () => NodeLoad;
  isDraining: () => boolean;
  /** A failed heartbeat after the first; the agent tries again on the next beat. */
  onError?: (err: unknown) => void;
}

export interface NodeAgent {
  /** Heartbeats now, e.g. right after draining starts. */
  beat(): Promise<void>;
  /** Stops heartbeating and removes the node from the registry. */
  stop(): Promise<void>;
}

/**
 * Registers the node and keeps it alive in the registry. Resolves after the
 * first heartbeat; rejects if that one fails (the node is not reachable by routers).
 */
export async function startNodeAgent(options: NodeAgentOptions): Promise<NodeAgent> {
  const { registry, intervalMs = 1000 } = options;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();

  const beat = (): Promise<void> => {
    inFlight = inFlight.catch(() => {}).then(() => registry.heartbeat({
      nodeId: options.nodeId,
      region: options.region,
      signalingUrl: options.signalingUrl,
      capacity: options.capacity,
      load: options.getLoad(),
      draining: options.isDraining(),
    }));
    return inFlight;
  };

  const schedule = () => {
    timer = setTimeout(() => {
      beat().catch((err: unknown) => options.onError?.(err)).finally(() => { if (!stopped) schedule(); });
    }, intervalMs);
    timer.unref();
  };

  await beat();
  schedule();

  return {
    beat: () => (stopped ? Promise.resolve() : beat()),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      await inFlight.catch(() => {});
      await registry.removeNode(options.nodeId);
    },
  };
}
