import { describe, expect, it } from 'vitest';
import type { NodeRecord } from '../../common/registry/types.ts';
import { NODE_FILTERS, selectNode } from './select-node.ts';
import { CITIES, context, node } from './test-fixtures.ts';
import type { GeoPoint } from './types.ts';

const cluster = [
  node('dub-1', 'eu-west', { visits: 40 }),
  node('dub-2', 'eu-west', { visits: 10 }),
  node('fra-1', 'eu-central', { visits: 20 }),
  node('iad-1', 'us-east', { visits: 30, cpu: 0.3 }),
  node('iad-2', 'us-east', { visits: 30, cpu: 0.1 }),
  node('iad-3', 'us-east', { visits: 30, cpu: 0.6 }),
  node('nrt-1', 'ap-northeast', { visits: 70 }),
];
const without = (...gone: string[]) => cluster.filter((n) => !gone.includes(n.nodeId));
const replace = (...changed: NodeRecord[]) => cluster.map((n) => changed.find((c) => c.nodeId === n.nodeId) ?? n);

interface Case {
  name: string;
  nodes?: NodeRecord[];
  client?: GeoPoint | null;
  residency?: string;
  visitHome?: string;
  stickyKm?: number;
  expect: { nodeId: string; reason: string } | { failure: string };
}

const cases: Case[] = [
  // distance
  { name: 'London: nearest region, least-loaded node', client: CITIES.london, expect: { nodeId: 'dub-2', reason: 'nearest-region:eu-west' } },
  { name: 'Berlin: Frankfurt', client: CITIES.berlin, expect: { nodeId: 'fra-1', reason: 'nearest-region:eu-central' } },
  { name: 'Tokyo: Tokyo, however loaded', client: CITIES.tokyo, expect: { nodeId: 'nrt-1', reason: 'nearest-region:ap-northeast' } },
  { name: 'Rio: no South American node, so Virginia', client: CITIES.rio, expect: { nodeId: 'iad-2', reason: 'nearest-region:us-east' } },
  // load
  { name: 'equal visit share: lower cpu wins', client: CITIES.newYork, expect: { nodeId: 'iad-2', reason: 'nearest-region:us-east' } },
  { name: 'a full node is skipped', client: CITIES.london, nodes: replace(node('dub-2', 'eu-west', { visits: 100 })), expect: { nodeId: 'dub-1', reason: 'nearest-region:eu-west' } },
  { name: 'a full region hands over to the next nearest', client: CITIES.london, nodes: replace(node('dub-1', 'eu-west', { visits: 100 }), node('dub-2', 'eu-west', { visits: 100 })), expect: { nodeId: 'fra-1', reason: 'nearest-region:eu-central' } },
  { name: 'everything full', nodes: [node('a', 'eu-west', { visits: 5, maxVisits: 5 })], expect: { failure: 'all-at-capacity' } },
  // stale heartbeat
  { name: 'a stale node is skipped: Tokyo to Frankfurt', client: CITIES.tokyo, nodes: replace(node('nrt-1', 'ap-northeast', { ageMs: 9000 })), expect: { nodeId: 'fra-1', reason: 'nearest-region:eu-central' } },
  { name: 'every node stale', nodes: [node('a', 'eu-west', { ageMs: 9000 })], expect: { failure: 'no-healthy-node' } },
  { name: 'no nodes at all', nodes: [], expect: { failure: 'no-healthy-node' } },
  // draining
  { name: 'a draining node is skipped', client: CITIES.berlin, nodes: replace(node('fra-1', 'eu-central', { draining: true })), expect: { nodeId: 'dub-2', reason: 'nearest-region:eu-west' } },
  { name: 'every node draining', nodes: [node('a', 'eu-west', { draining: true })], expect: { failure: 'all-draining' } },
  // residency
  { name: 'eu from Tokyo stays in eu', client: CITIES.tokyo, residency: 'eu', expect: { nodeId: 'fra-1', reason: 'nearest-region:eu-central' } },
  { name: 'eu from New York stays in eu', client: CITIES.newYork, residency: 'eu', expect: { nodeId: 'dub-2', reason: 'nearest-region:eu-west' } },
  { name: 'eu with every eu node draining fails, never falls back', residency: 'eu', nodes: replace(node('dub-1', 'eu-west', { draining: true }), node('dub-2', 'eu-west', { draining: true }), node('fra-1', 'eu-central', { draining: true })), expect: { failure: 'residency-excluded-all' } },
  { name: 'eu with only non-eu nodes fails', residency: 'eu', nodes: without('dub-1', 'dub-2', 'fra-1'), expect: { failure: 'residency-excluded-all' } },
  { name: 'eu home outside eu is not used', client: CITIES.newYork, residency: 'eu', visitHome: 'iad-1', expect: { nodeId: 'dub-2', reason: 'nearest-region:eu-west' } },
  // stickiness
  { name: 'home near the client wins over the nearest region', client: CITIES.berlin, visitHome: 'dub-1', expect: { nodeId: 'dub-1', reason: 'visit-home' } },
  { name: 'home too far: nearest region', client: CITIES.tokyo, visitHome: 'dub-1', expect: { nodeId: 'nrt-1', reason: 'nearest-region:ap-northeast' } },
  { name: 'home far but sticky distance large', client: CITIES.newYork, visitHome: 'dub-1', stickyKm: 6000, expect: { nodeId: 'dub-1', reason: 'visit-home' } },
  { name: 'home stale: nearest region', client: CITIES.berlin, visitHome: 'fra-1', nodes: replace(node('fra-1', 'eu-central', { ageMs: 9000 })), expect: { nodeId: 'dub-2', reason: 'nearest-region:eu-west' } },
  { name: 'home draining: still its visit\'s home', client: CITIES.london, visitHome: 'dub-1', nodes: replace(node('dub-1', 'eu-west', { draining: true })), expect: { nodeId: 'dub-1', reason: 'visit-home' } },
  { name: 'draining node without the visit: nearest region', client: CITIES.london, nodes: replace(node('dub-1', 'eu-west', { draining: true })), expect: { nodeId: 'dub-2', reason: 'nearest-region:eu-west' } },
  { name: 'home dead (not listed): nearest region', client: CITIES.london, visitHome: 'gone', expect: { nodeId: 'dub-2', reason: 'nearest-region:eu-west' } },
  { name: 'home at visit capacity still takes the visit\'s participants', client: CITIES.london, visitHome: 'dub-1', nodes: replace(node('dub-1', 'eu-west', { visits: 100 })), expect: { nodeId: 'dub-1', reason: 'visit-home' } },
  { name: 'unknown location with a home: home', client: null, visitHome: 'nrt-1', expect: { nodeId: 'nrt-1', reason: 'visit-home' } },
  // default region (us-east in these fixtures)
  { name: 'unknown location: default region', client: null, expect: { nodeId: 'iad-2', reason: 'default-region' } },
  { name: 'unknown location, default region empty: nearest to it', client: null, nodes: without('iad-1', 'iad-2', 'iad-3'), expect: { nodeId: 'dub-2', reason: 'nearest-to-default-region:eu-west' } },
  { name: 'unknown location with eu residency: eu region nearest the default', client: null, residency: 'eu', expect: { nodeId: 'dub-2', reason: 'nearest-to-default-region:eu-west' } },
  // unknown regions
  { name: 'a node in an unlisted region is skipped', client: CITIES.london, nodes: [node('x', 'moon-1'), node('iad-1', 'us-east')], expect: { nodeId: 'iad-1', reason: 'nearest-region:us-east' } },
  { name: 'only nodes in unlisted regions', nodes: [node('x', 'moon-1')], expect: { failure: 'no-node-in-known-region' } },
];

describe('selectNode', () => {
  it.each(cases)('$name', (c) => {
    const ctx = context({ client: c.client, residency: c.residency, visitHome: c.visitHome ?? null, stickyKm: c.stickyKm });
    const result = selectNode(c.nodes ?? cluster, ctx);
    if ('failure' in c.expect) {
      expect(result).toEqual({ ok: false, reason: c.expect.failure });
    } else {
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect({ nodeId: result.node.nodeId, reason: result.reason }).toEqual(c.expect);
      expect(result.region.id).toBe(result.node.region);
    }
  });

  it('reports a default region missing from the regions', () => {
    expect(() => selectNode(cluster, context({ client: null, defaultRegion: 'nowhere' }))).toThrow(/default region "nowhere"/);
  });

  it('takes its filters as a list, so steps compose', () => {
    const onlyHealthy = NODE_FILTERS.slice(0, 1);
    const draining = [node('a', 'eu-west', { draining: true })];
    expect(selectNode(draining, context(), onlyHealthy)).toMatchObject({ ok: true, node: { nodeId: 'a' } });
  });
});
