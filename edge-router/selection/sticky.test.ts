import { describe, expect, it } from 'vitest';
import { stickyHome } from './sticky.ts';
import { CITIES, context, node } from './test-fixtures.ts';
import type { GeoPoint } from './types.ts';

const eligible = [node('dub', 'eu-west'), node('iad', 'us-east')];

describe('stickyHome', () => {
  it.each<[string, string | null, GeoPoint | null, number, string | null]>([
    ['no home: nothing to stick to', null, CITIES.london, 3000, null],
    ['home near the client', 'dub', CITIES.berlin, 3000, 'dub'],
    ['home too far from the client', 'dub', CITIES.tokyo, 3000, null],
    ['home far, but within a larger sticky distance', 'dub', CITIES.newYork, 6000, 'dub'],
    ['home not eligible (dead, draining or full)', 'gone', CITIES.london, 3000, null],
    ['client location unknown: home wins', 'iad', null, 3000, 'iad'],
    ['sticky distance 0 turns stickiness off', 'dub', CITIES.london, 0, null],
  ])('%s', (_name, visitHome, client, stickyKm, expected) => {
    expect(stickyHome(eligible, context({ visitHome, client, stickyKm }))?.nodeId ?? null).toBe(expected);
  });
});
