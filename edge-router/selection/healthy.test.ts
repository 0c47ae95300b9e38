import { describe, expect, it } from 'vitest';
import { healthy } from './healthy.ts';
import { context, ids, node } from './test-fixtures.ts';

describe('healthy', () => {
  it.each([
    ['keeps a fresh node', [node('a', 'eu-west', { ageMs: 100 })], ['a']],
    ['keeps a node at exactly the max age', [node('a', 'eu-west', { ageMs: 5000 })], ['a']],
    ['drops a stale node', [node('a', 'eu-west', { ageMs: 5001 }), node('b', 'eu-west')], ['b']],
    ['drops every stale node', [node('a', 'eu-west', { ageMs: 60_000 })], []],
  ])('%s', (_name, nodes, expected) => {
    expect(ids(healthy.apply(nodes, context()))).toEqual(expected);
  });
  it('names its failure', () => expect(healthy.failure).toBe('no-healthy-node'));
});
