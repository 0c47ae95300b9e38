import type { NodeFilter } from './types.ts';

/**
 * Keeps nodes with room for another visit. The visit's home stays: a new
 * participant of a visit it already hosts adds no visit.
 */
export const underCapacity: NodeFilter = {
  failure: 'all-at-capacity',
  apply: (nodes, { visitHome }) => nodes.filter((n) => n.nodeId === visitHome || n.load.visits < n.capacity.maxVisits),
};
