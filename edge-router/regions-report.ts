import type { NodeRecord } from '../common/registry/types.ts';
import type { Region } from './regions.ts';
import { loadRatio } from './selection/least-loaded.ts';

export interface NodeReport {
  nodeId: string;
  signalingUrl: string;
  healthy: boolean;
  draining: boolean;
  heartbeatAgeMs: number;
  capacity: NodeRecord['capacity'];
  load: NodeRecord['load'] & { ratio: number };
}

export interface RegionsReport {
  regions: (Region & { nodes: NodeReport[] })[];
  /** Live nodes announcing a region the regions file does not list; never routed to. */
  unlistedRegionNodes: (NodeReport & { region: string })[];
  /** Visits by how many nodes they span ("1": one node, "2": two...), from the nodes' heartbeats. */
  visitsByNodes: Record<string, number>;
}

/**
 * Visits by the number of nodes they span. A visit on k nodes is reported by
 * each of them, so each node's count for k adds 1/k; rounded, since nodes
 * report at slightly different moments.
 */
export function countVisitsByNodes(nodes: readonly NodeRecord[]): Record<string, number> {
  const sums = new Map<number, number>();
  for (const n of nodes) {
    for (const [k, count] of Object.entries(n.load.visitsByNodes ?? {})) sums.set(Number(k), (sums.get(Number(k)) ?? 0) + count / Number(k));
  }
  const out: Record<string, number> = {};
  for (const k of [...sums.keys()].sort((a, b) => a - b)) {
    const visits = Math.round(sums.get(k)!);
    if (visits > 0) out[String(k)] = visits;
  }
  return out;
}

/** What `GET /v1/regions` shows an administrator. */
export function regionsReport(regions: readonly Region[], nodes: readonly NodeRecord[], now: number, heartbeatMaxAgeMs: number): RegionsReport {
  const report = (n: NodeRecord): NodeReport => ({
    nodeId: n.nodeId,
    signalingUrl: n.signalingUrl,
    healthy: now - n.heartbeatAt <= heartbeatMaxAgeMs,
    draining: n.draining,
    heartbeatAgeMs: Math.max(0, now - n.heartbeatAt),
    capacity: n.capacity,
    load: { ...n.load, ratio: loadRatio(n) },
  });
  const byId = (a: NodeRecord, b: NodeRecord) => (a.nodeId < b.nodeId ? -1 : 1);
  const listed = new Set(regions.map((r) => r.id));
  return {
    regions: regions.map((r) => ({ ...r, nodes: nodes.filter((n) => n.region === r.id).sort(byId).map(report) })),
    unlistedRegionNodes: nodes.filter((n) => !listed.has(n.region)).sort(byId).map((n) => ({ ...report(n), region: n.region })),
    visitsByNodes: countVisitsByNodes(nodes),
  };
}
