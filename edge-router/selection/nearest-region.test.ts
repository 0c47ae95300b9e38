import { describe, expect, it } from 'vitest';
import { nearestRegion } from './nearest-region.ts';
import { CITIES, context, node } from './test-fixtures.ts';
import type { GeoPoint } from './types.ts';

const all = [
  node('dub', 'eu-west'), node('fra', 'eu-central'), node('iad', 'us-east'),
  node('pdx', 'us-west'), node('nrt', 'ap-northeast'), node('gru', 'sa-east'),
];

describe('nearestRegion', () => {
  it.each<[string, GeoPoint, string[] | null, string | null]>([
    ['London goes to Dublin', CITIES.london, null, 'eu-west'],
    ['Berlin goes to Frankfurt', CITIES.berlin, null, 'eu-central'],
    ['New York goes to Virginia', CITIES.newYork, null, 'us-east'],
    ['Seattle goes to Oregon', CITIES.seattle, null, 'us-west'],
    ['Sydney goes to Tokyo', CITIES.sydney, null, 'ap-northeast'],
    ['Rio goes to Sao Paulo', CITIES.rio, null, 'sa-east'],
    ['only regions with nodes count', CITIES.london, ['iad', 'nrt'], 'us-east'],
    ['no nodes, no region', CITIES.london, [], null],
  ])('%s', (_name, point, only, expected) => {
    const nodes = only ? all.filter((n) => only.includes(n.nodeId)) : all;
    expect(nearestRegion(nodes, context().regions, point)?.id ?? null).toBe(expected);
  });

  it('breaks a distance tie by region id', () => {
    const regions = new Map([
      ['b-region', { id: 'b-region', lat: 0, lon: 10, tags: [] }],
      ['a-region', { id: 'a-region', lat: 0, lon: -10, tags: [] }],
    ]);
    expect(nearestRegion([node('1', 'b-region'), node('2', 'a-region')], regions, { lat: 0, lon: 0 })?.id).toBe('a-region');
  });
});
