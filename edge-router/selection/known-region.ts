import type { NodeFilter } from './types.ts';

/** Keeps nodes whose region is in the regions file; elsewhere there is no location to measure. */
export const knownRegion: NodeFilter = {
  failure: 'no-node-in-known-region',
  apply: (nodes, { regions }) => nodes.filter((n) => regions.has(n.region)),
};
