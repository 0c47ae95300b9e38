/** What one node knows when it decides which producers to pipe in. */
export interface PipePlanInput {
  /** Admitted participants on this node: each subscribes to everyone, so any of them makes every producer wanted. */
  localViewers: number;
  /** Producers each other node of the visit announces, by node id. */
  announced: ReadonlyMap<string, readonly string[]>;
  /** Producers piped in or being piped in: producer id -> the node they come from. */
  piped: ReadonlyMap<string, string>;
}

export interface PipePlan {
  /** Producers to pull, each from the node that announces it. */
  pull: { nodeId: string; producerId: string }[];
  /** Piped producers their node no longer announces (closed, or the node left the visit). */
  close: string[];
}

/**
 * Which producers this node pipes in: every announced producer while it has
 * viewers, none before. A piped producer stays until its node stops
 * announcing it (viewers leaving do not unpipe it: the node's part of the
 * visit ends with its last participant anyway, and closes every pipe).
 */
export function planPipes({ localViewers, announced, piped }: PipePlanInput): PipePlan {
  const pull: PipePlan['pull'] = [];
  const stillAnnounced = new Set<string>();
  for (const [nodeId, producerIds] of announced) {
    for (const producerId of producerIds) {
      if (piped.get(producerId) === nodeId) stillAnnounced.add(producerId);
      else if (localViewers > 0 && !piped.has(producerId)) pull.push({ nodeId, producerId });
    }
  }
  const close = [...piped.keys()].filter((id) => !stillAnnounced.has(id));
  return { pull, close };
}

/** The highest spatial layer one node's viewers want of a producer piped in to it; null: none of them wants video. */
export interface LayerWant { producerId: string; spatialLayer: number | null }

/**
 * What a viewers' node reports to the publishers' nodes: for each producer
 * piped in that its viewers consume, the highest layer they want. A producer
 * none of them consumes yet is left out (its node keeps every layer for it).
 */
export function pipedInWants(pipedIn: readonly string[], wanted: ReadonlyMap<string, readonly (number | null)[]>): LayerWant[] {
  return pipedIn.filter((id) => wanted.has(id)).map((producerId) => {
    const layers = wanted.get(producerId)!.filter((l): l is number => l !== null);
    return { producerId, spatialLayer: layers.length > 0 ? Math.max(...layers) : null };
  });
}

export interface WantedWithPipesInput {
  /** Each local viewer's wanted layer (null: no video). */
  local: readonly (number | null)[];
  layerCount: number;
  /** Nodes the producer is piped to. */
  pipedTo: readonly string[];
  /** What nodes last reported wanting of it (pipedInWants), by node id. */
  reported: ReadonlyMap<string, number | null>;
}

/**
 * The layers wanted of a local producer, for unused-layer trimming: its local
 * viewers' and, per node it is piped to, what that node reported. A node that
 * has not reported yet counts as wanting the top layer, so no layer is missing
 * for its viewers while they set up; a node it is no longer piped to does not count.
 */
export function wantedWithPipes({ local, layerCount, pipedTo, reported }: WantedWithPipesInput): (number | null)[] {
  return [...local, ...pipedTo.map((nodeId) => {
    const want = reported.get(nodeId);
    return want === undefined ? layerCount - 1 : want;
  })];
}
