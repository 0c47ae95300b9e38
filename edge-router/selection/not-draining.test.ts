import { describe, expect, it } from 'vitest';
import { notDraining } from './not-draining.ts';
import { context, ids, node } from './test-fixtures.ts';

describe('notDraining', () => {
  it.each([
    ['keeps nodes taking visits', [node('a', 'eu-west'), node('b', 'eu-west')], ['a', 'b']],
    ['drops a draining node', [node('a', 'eu-west'), node('b', 'eu-west', { draining: true })], ['a']],
    ['keeps a draining node for the visit it still holds', [node('a', 'eu-west', { draining: true }), node('b', 'eu-west')], ['a', 'b']],
    ['fails when every node drains and none holds the visit', [node('b', 'eu-west', { draining: true })], []],
  ])('%s', (_name, nodes, expected) => {
    expect(ids(notDraining.apply(nodes, context({ visitHome: 'a' })))).toEqual(expected);
  });
  it('names its failure', () => expect(notDraining.failure).toBe('all-draining'));
});
