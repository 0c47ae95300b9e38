import type { NodeFilter } from './types.ts';

/** Keeps nodes that still take visits. */
export const notDraining: NodeFilter = {
  failure: 'all-draining',
  apply: (nodes) => nodes.filter((n) => !n.draining),
};
