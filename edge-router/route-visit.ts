import type { NodeRecord, Registry } from '../common/registry/types.ts';
import type { Region } from './regions.ts';
import { selectNode } from './selection/select-node.ts';
import type { GeoPoint, Selection, SelectionPolicy } from './selection/types.ts';

export interface RouteVisitDeps {
  registry: Registry;
  /** The registry's live nodes, possibly cached briefly. */
  listNodes: () => Promise<NodeRecord[]>;
  regions: ReadonlyMap<string, Region>;
  policy: SelectionPolicy;
  claimTtlMs: number;
}

export interface RouteVisitRequest {
  visitId: string;
  residency?: string;
  client: GeoPoint | null;
  /** A node known to have failed just now (the registry may still list it from a cached listing). */
  exclude?: string;
}

/**
 * Selects a node and claims the visit's home with it. When the claim shows
 * another live home (a racing router, or a home too far for this client),
 * selection runs again with that home, so routers agree wherever the home is
 * eligible and near; otherwise this participant joins the visit from its own node.
 */
export async function routeVisit(deps: RouteVisitDeps, req: RouteVisitRequest): Promise<Selection> {
  const { registry } = deps;
  const [listed, visitHome] = await Promise.all([deps.listNodes(), registry.getVisitHome(req.visitId)]);
  const nodes = req.exclude ? listed.filter((n) => n.nodeId !== req.exclude) : listed;
  const ctx = { now: Date.now(), regions: deps.regions, client: req.client, residency: req.residency, policy: deps.policy };
  const first = selectNode(nodes, { ...ctx, visitHome });
  if (!first.ok) return first;
  const owner = await registry.claimVisitHome(req.visitId, first.node.nodeId, deps.claimTtlMs);
  if (owner === first.node.nodeId) return first;
  const again = selectNode(nodes, { ...ctx, visitHome: owner });
  return again.ok && again.reason === 'visit-home' ? again : first;
}
