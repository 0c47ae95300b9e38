import type { NodeFilter } from './types.ts';

/** With a residency (e.g. `eu`), keeps only nodes in regions tagged with it; there is no fallback. */
export const residency: NodeFilter = {
  failure: 'residency-excluded-all',
  apply: (nodes, { regions, residency: required }) =>
    required === undefined ? [...nodes] : nodes.filter((n) => regions.get(n.region)?.tags.includes(required) ?? false),
};
