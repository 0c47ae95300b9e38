import { MetricGroup, metrics } from '../common/metrics.ts';
import { MEDIA_ROLES } from '../common/roles.ts';
import { countWorkerDeaths, workerCpuTotals } from '../sfu/media-metrics.ts';
import type { NodePresence } from '../sfu/node-presence.ts';
import type { WorkerPool } from '../sfu/worker-pool.ts';
import type { VisitService } from '../signaling/visit-service.ts';

/** A node's gauges, read from its objects when Prometheus scrapes; `remove()` when the node stops. */
export function nodeMetrics({ visits, pool, node, region }: { visits: VisitService; pool: WorkerPool; node: NodePresence; region: string }): MetricGroup {
  // Every series of this process says which node and region it comes from (dashboards group and filter by them).
  metrics.setDefaultLabels({ node: node.nodeId, region });
  const g = new MetricGroup();
  const byKind = (counts: { audio: number; video: number }): Array<[{ kind: string }, number]> => [[{ kind: 'audio' }, counts.audio], [{ kind: 'video' }, counts.video]];
  g.gauge('visitwire_visits', 'Visits with media on this node', () => visits.visitCount);
  g.labelled('visitwire_participants', 'Participants on this node, joining or joined, by role', ['role'], () => {
    const byRole = visits.participantsByRole();
    return [...MEDIA_ROLES].map((role) => [{ role }, byRole.get(role) ?? 0]);
  });
  g.gauge('visitwire_transports', 'WebRTC transports that participants on this node own', () => visits.mediaCounts().transports);
  g.labelled('visitwire_producers', 'Producers that participants on this node own, by kind', ['kind'], () => byKind(visits.mediaCounts().producers));
  g.labelled('visitwire_consumers', 'Consumers that participants on this node own, by kind', ['kind'], () => byKind(visits.mediaCounts().consumers));
  g.gauge('visitwire_orphans', 'Routers, transports, producers and consumers the mediasoup workers hold that no participant owns (router dumps); must stay 0', async () => (await visits.census()).orphans);
  g.gauge('visitwire_workers', 'Live mediasoup workers', () => pool.size);
  g.gauge('visitwire_draining', '1 while this node drains (takes no new visits)', () => (node.draining ? 1 : 0));
  g.counterTotals('visitwire_worker_cpu_seconds_total', 'CPU seconds (user + system) of the mediasoup worker in each slot, the workers it replaced included', ['worker'], workerCpuTotals(pool, () => node.workerCpuSeconds()));
  countWorkerDeaths(pool);
  return g;
}
