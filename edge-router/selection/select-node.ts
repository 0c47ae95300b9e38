import type { NodeRecord } from '../../common/registry/types.ts';
import { healthy } from './healthy.ts';
import { knownRegion } from './known-region.ts';
import { leastLoaded } from './least-loaded.ts';
import { nearestRegion } from './nearest-region.ts';
import { notDraining } from './not-draining.ts';
import { residency } from './residency.ts';
import { stickyHome } from './sticky.ts';
import { underCapacity } from './under-capacity.ts';
import type { NodeFilter, Selection, SelectionContext } from './types.ts';

/** The filters, in order; the first to leave no node names the failure. */
export const NODE_FILTERS: readonly NodeFilter[] = [healthy, notDraining, underCapacity, knownRegion, residency];

/**
 * Picks the node for one participant: filters, then the visit's home when near
 * enough, else the least-loaded node of the nearest region. An unknown client
 * location is measured from the default region.
 */
export function selectNode(nodes: readonly NodeRecord[], ctx: SelectionContext, filters = NODE_FILTERS): Selection {
  let eligible = [...nodes];
  for (const filter of filters) {
    eligible = filter.apply(eligible, ctx);
    if (eligible.length === 0) return { ok: false, reason: filter.failure };
  }

  const home = stickyHome(eligible, ctx);
  if (home) return { ok: true, node: home, region: ctx.regions.get(home.region)!, reason: 'visit-home' };

  const origin = ctx.client ?? ctx.regions.get(ctx.policy.defaultRegion);
  if (!origin) throw new Error(`default region "${ctx.policy.defaultRegion}" is not in the regions file`);
  const region = nearestRegion(eligible, ctx.regions, origin)!;
  const node = leastLoaded(eligible.filter((n) => n.region === region.id))!;
  return { ok: true, node, region, reason: reasonFor(region.id, ctx) };
}

function reasonFor(regionId: string, ctx: SelectionContext): string {
  if (ctx.client) return `nearest-region:${regionId}`;
  return regionId === ctx.policy.defaultRegion ? 'default-region' : `nearest-to-default-region:${regionId}`;
}
