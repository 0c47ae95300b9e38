import type { NodeFilter } from './types.ts';

/** Keeps nodes whose last heartbeat is fresh. */
export const healthy: NodeFilter = {
  failure: 'no-healthy-node',
  apply: (nodes, { now, policy }) => nodes.filter((n) => now - n.heartbeatAt <= policy.heartbeatMaxAgeMs),
};
