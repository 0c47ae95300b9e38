import type { NodeFilter } from './types.ts';

/**
 * Keeps nodes that still take visits. A draining node stays eligible for the
 * visit it still holds, so that visit's participants are not split across nodes.
 */
export const notDraining: NodeFilter = {
  failure: 'all-draining',
  apply: (nodes, ctx) => nodes.filter((n) => !n.draining || n.nodeId === ctx.visitHome),
};
