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

/**
 * The layers wanted of a local producer, for unused-layer trimming: a
 * producer piped to other nodes counts as wanted at its top layer too. Their
 * viewers' layers are chosen there, so only they know; a layer trimmed here
 * would be missing for them.
 */
export function wantedWithPipes(wanted: readonly (number | null)[], layerCount: number, pipedOut: boolean): (number | null)[] {
  return pipedOut ? [...wanted, layerCount - 1] : [...wanted];
}
