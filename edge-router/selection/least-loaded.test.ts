import { describe, expect, it } from 'vitest';
import { leastLoaded, loadRatio } from './least-loaded.ts';
import { node } from './test-fixtures.ts';

describe('leastLoaded', () => {
  it.each([
    ['the lowest visits share wins', [node('a', 'r', { visits: 50 }), node('b', 'r', { visits: 10 })], 'b'],
    ['share, not count: 10/20 loses to 30/100', [node('a', 'r', { visits: 10, maxVisits: 20 }), node('b', 'r', { visits: 30 })], 'b'],
    ['cpu breaks a share tie', [node('a', 'r', { visits: 5, cpu: 0.7 }), node('b', 'r', { visits: 5, cpu: 0.2 })], 'b'],
    ['node id breaks a full tie', [node('b', 'r', { visits: 5 }), node('a', 'r', { visits: 5 })], 'a'],
    ['cpu only matters on a share tie', [node('a', 'r', { visits: 4, cpu: 0.9 }), node('b', 'r', { visits: 5, cpu: 0 })], 'a'],
    ['one node', [node('a', 'r', { visits: 99 })], 'a'],
    ['no nodes', [], null],
  ])('%s', (_name, nodes, expected) => {
    expect(leastLoaded(nodes)?.nodeId ?? null).toBe(expected);
  });

  it('measures load as visits over max visits', () => {
    expect(loadRatio(node('a', 'r', { visits: 25, maxVisits: 50 }))).toBe(0.5);
  });
});
