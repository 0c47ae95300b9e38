import { describe, expect, it } from 'vitest';
import { residency } from './residency.ts';
import { context, ids, node } from './test-fixtures.ts';

const everywhere = [node('dub', 'eu-west'), node('fra', 'eu-central'), node('iad', 'us-east'), node('nrt', 'ap-northeast')];

describe('residency', () => {
  it.each([
    ['without residency keeps every region', undefined, everywhere, ['dub', 'fra', 'iad', 'nrt']],
    ['eu keeps only regions tagged eu', 'eu', everywhere, ['dub', 'fra']],
    ['us keeps only regions tagged us', 'us', everywhere, ['iad']],
    ['eu never falls back outside eu', 'eu', [node('iad', 'us-east'), node('nrt', 'ap-northeast')], []],
    ['an unknown residency keeps nothing', 'ch', everywhere, []],
    ['a node in an unlisted region has no tags', 'eu', [node('x', 'eu-north')], []],
  ])('%s', (_name, required, nodes, expected) => {
    expect(ids(residency.apply(nodes, context({ residency: required })))).toEqual(expected);
  });
  it('names its failure', () => expect(residency.failure).toBe('residency-excluded-all'));
});
