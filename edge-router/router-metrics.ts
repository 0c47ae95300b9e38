import { toErrorBody } from '../common/errors.ts';
import { counter, histogram, MetricGroup, startAtZero } from '../common/metrics.ts';
import type { Registry } from '../common/registry/types.ts';
import type { Region } from './regions.ts';
import { regionsReport } from './regions-report.ts';

/** The edge router's Prometheus metrics. Labels: endpoint, reason, region, code, cause, operation; never a visit or user id. */
const decisions = counter('visitwire_router_decisions_total', 'Route answers by reason (visit-home, nearest-region, default-region, nearest-to-default-region) and chosen region', ['reason', 'region']);
const refusals = counter('visitwire_router_refusals_total', 'Route requests refused, by error code and, for UNAVAILABLE, cause (no-healthy-node, all-draining, all-at-capacity, ...)', ['code', 'cause']);
const requestSeconds = histogram('visitwire_router_request_duration_seconds', 'Edge router request latency, by endpoint', [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], ['endpoint']);
const registryErrors = counter('visitwire_registry_errors_total', 'Registry (Redis) calls that failed or timed out, by operation', ['operation']);
const registrySeconds = histogram('visitwire_registry_duration_seconds', 'Registry (Redis) call latency, by operation', [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5], ['operation']);

startAtZero(refusals, ['no-healthy-node', 'all-draining', 'all-at-capacity', 'no-node-in-known-region', 'residency-excluded-all'].map((cause) => ({ code: 'UNAVAILABLE', cause })));
startAtZero(registryErrors, ['heartbeat', 'removeNode', 'listNodes', 'getVisitHome', 'claimVisitHome', 'releaseVisit', 'rememberAdmission', 'wasAdmitted'].map((operation) => ({ operation })));

const ENDPOINTS = new Set(['/v1/route', '/v1/regions', '/healthz']);

/** A route answer: the selection reason (e.g. `nearest-region:eu-west`) and the chosen region. */
export interface RouteOutcome { reason: string; region: string }

/** Times one request; counts the route answer or refusal (`error` undefined: answered, not a route). */
export function observeRoute(endpoint: string, started: number, outcome: RouteOutcome | { error: unknown }): void {
  requestSeconds.observe({ endpoint: ENDPOINTS.has(endpoint) ? endpoint : 'other' }, (performance.now() - started) / 1000);
  if (endpoint !== '/v1/route') return;
  if ('error' in outcome) {
    if (outcome.error === undefined) return;
    const { code, message } = toErrorBody(outcome.error);
    refusals.inc({ code, cause: code === 'UNAVAILABLE' ? message : '' });
  } else {
    decisions.inc({ reason: outcome.reason.split(':')[0], region: outcome.region });
  }
}

/** The registry with every call timed and its failures counted (every method, so new ones are timed too). */
export function timedRegistry(registry: Registry): Registry {
  const wrapped = new Map<PropertyKey, unknown>();
  const timed = (operation: string, call: (...a: unknown[]) => Promise<unknown>) => async (...a: unknown[]): Promise<unknown> => {
    const started = performance.now();
    try {
      return await call(...a);
    } catch (err) {
      registryErrors.inc({ operation });
      throw err;
    } finally {
      registrySeconds.observe({ operation }, (performance.now() - started) / 1000);
    }
  };
  return new Proxy(registry, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function' || prop === 'close') return value;
      if (!wrapped.has(prop)) wrapped.set(prop, timed(String(prop), value.bind(target) as (...a: unknown[]) => Promise<unknown>));
      return wrapped.get(prop);
    },
  });
}

/**
 * Per-region gauges read from the registry when Prometheus scrapes: nodes by
 * state, and capacity (visits the routable nodes take in all, visits on them,
 * headroom = free share of that capacity) for an autoscaler.
 */
export function regionMetrics(registry: Registry, regions: readonly Region[], heartbeatMaxAgeMs: number): MetricGroup {
  const g = new MetricGroup();
  let cached: { at: number; rows: ReturnType<typeof readRows> } | undefined;
  const readRows = async () => {
    const report = regionsReport(regions, await registry.listNodes(), Date.now(), heartbeatMaxAgeMs);
    return report.regions.map((r) => {
      const routable = r.nodes.filter((n) => n.healthy && !n.draining);
      const capacity = routable.reduce((n, x) => n + x.capacity.maxVisits, 0);
      const visits = routable.reduce((n, x) => n + x.load.visits, 0);
      return {
        region: r.id, capacity, visits,
        healthy: r.nodes.filter((n) => n.healthy).length,
        draining: r.nodes.filter((n) => n.draining).length,
        headroom: capacity > 0 ? Math.max(0, 1 - visits / capacity) : 0,
      };
    });
  };
  // One registry read serves all the gauges of a scrape.
  const rows = async () => {
    if (!cached || performance.now() - cached.at > 500) cached = { at: performance.now(), rows: readRows().catch(() => []) };
    return cached.rows;
  };
  const per = (pick: (r: Awaited<ReturnType<typeof readRows>>[number]) => number) => async (): Promise<Array<[{ region: string }, number]>> =>
    (await rows()).map((r) => [{ region: r.region }, pick(r)]);
  g.labelled('visitwire_region_nodes_healthy', 'Nodes with a fresh heartbeat, per region', ['region'], per((r) => r.healthy));
  g.labelled('visitwire_region_nodes_draining', 'Draining nodes, per region', ['region'], per((r) => r.draining));
  g.labelled('visitwire_region_capacity_visits', 'Visits the healthy, non-draining nodes of a region take in all (sum of max visits)', ['region'], per((r) => r.capacity));
  g.labelled('visitwire_region_visits', 'Visits on the healthy, non-draining nodes of a region', ['region'], per((r) => r.visits));
  g.labelled('visitwire_region_headroom_ratio', 'Free share of a region\'s capacity, 0..1 (0 with no routable node)', ['region'], per((r) => r.headroom));
  return g;
}
