import { describe, expect, it } from 'vitest';
import { knownRegion } from './known-region.ts';
import { context, ids, node } from './test-fixtures.ts';

describe('knownRegion', () => {
  it.each([
    ['keeps nodes in listed regions', [node('a', 'eu-west'), node('b', 'ap-northeast')], ['a', 'b']],
    ['drops a node in an unlisted region', [node('a', 'mars-1'), node('b', 'us-east')], ['b']],
  ])('%s', (_name, nodes, expected) => {
    expect(ids(knownRegion.apply(nodes, context()))).toEqual(expected);
  });
  it('names its failure', () => expect(knownRegion.failure).toBe('no-node-in-known-region'));
});
