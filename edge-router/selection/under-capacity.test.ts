import { describe, expect, it } from 'vitest';
import { underCapacity } from './under-capacity.ts';
import { context, ids, node } from './test-fixtures.ts';

describe('underCapacity', () => {
  it.each([
    ['keeps a node with room', [node('a', 'eu-west', { visits: 9, maxVisits: 10 })], null, ['a']],
    ['drops a full node', [node('a', 'eu-west', { visits: 10, maxVisits: 10 }), node('b', 'eu-west')], null, ['b']],
    ['drops an overfull node', [node('a', 'eu-west', { visits: 12, maxVisits: 10 })], null, []],
    ['keeps a full node that is the visit home', [node('a', 'eu-west', { visits: 10, maxVisits: 10 })], 'a', ['a']],
    ['drops a full node that is another visit home', [node('a', 'eu-west', { visits: 10, maxVisits: 10 })], 'b', []],
  ])('%s', (_name, nodes, visitHome, expected) => {
    expect(ids(underCapacity.apply(nodes, context({ visitHome })))).toEqual(expected);
  });
  it('names its failure', () => expect(underCapacity.failure).toBe('all-at-capacity'));
});
