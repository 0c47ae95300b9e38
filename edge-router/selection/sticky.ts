import type { NodeRecord } from '../../common/registry/types.ts';
import { distanceKm } from './distance.ts';
import type { SelectionContext } from './types.ts';

/**
 * The visit's home among the eligible nodes, if its region lies within
 * `stickyKm` of the client. With the client's location unknown, home wins:
 * keeping a visit on one node beats a guess.
 */
export function stickyHome(eligible: readonly NodeRecord[], ctx: SelectionContext): NodeRecord | null {
  const home = eligible.find((n) => n.nodeId === ctx.visitHome);
  if (!home) return null;
  if (!ctx.client) return home;
  const region = ctx.regions.get(home.region);
  return region && distanceKm(ctx.client, region) <= ctx.policy.stickyKm ? home : null;
}
