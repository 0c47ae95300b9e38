import type { NodeRecord } from '../../common/registry/types.ts';

/** visits / maxVisits: how full a node is. */
export const loadRatio = (n: NodeRecord): number => n.load.visits / n.capacity.maxVisits;

/** The node with the lowest load ratio; CPU breaks ties, then node id (so routers agree). */
export function leastLoaded(nodes: readonly NodeRecord[]): NodeRecord | null {
  let best: NodeRecord | null = null;
  for (const n of nodes) {
    if (!best || compareLoad(n, best) < 0) best = n;
  }
  return best;
}

function compareLoad(a: NodeRecord, b: NodeRecord): number {
  return loadRatio(a) - loadRatio(b) || a.load.cpu - b.load.cpu || (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0);
}
