import { describe, expect, it } from 'vitest';
import { activeLayers, type UnusedLayersState } from './unused-layers.ts';

/** Feeds one call per second; returns the active layers after each call and how often they changed. */
function run(seconds: number, at: (s: number) => { hasSubscribers: boolean; wantedLayers: (number | null)[] }) {
  let state: UnusedLayersState | undefined;
  const active: boolean[][] = [];
  let changes = 0;
  for (let s = 0; s <= seconds; s++) {
    const result = activeLayers({ nowMs: s * 1000, layerCount: 3, ...at(s), state });
    state = result.state;
    active.push(result.activeLayers);
    if (result.changed && s > 0) changes++;
  }
  return { active, changes };
}

describe('unused simulcast layers', () => {
  it('keeps every layer while someone wants the top one', () => {
    const r = run(60, () => ({ hasSubscribers: true, wantedLayers: [0, 2] }));
    expect(r.active.every((a) => a.every(Boolean))).toBe(true);
    expect(r.changes).toBe(0);
  });

  it('stops the top layer 10 s after the last viewer stopped wanting it, and restarts it at once', () => {
    const r = run(30, (s) => ({ hasSubscribers: true, wantedLayers: s < 5 || s >= 25 ? [2] : [1, 0] }));
    // Last wanted at 4 s.
    expect(r.active[13]).toEqual([true, true, true]);
    expect(r.active[14]).toEqual([true, true, false]);
    expect(r.active[25]).toEqual([true, true, true]);
    expect(r.changes).toBe(2);
  });

  it('keeps the layers below the highest wanted one, so a viewer can step down through them', () => {
    const r = run(30, () => ({ hasSubscribers: true, wantedLayers: [2, 2] }));
    expect(r.active[30]).toEqual([true, true, true]);
  });

  it('does not toggle when the wanted layer flips every few seconds', () => {
    const r = run(60, (s) => ({ hasSubscribers: true, wantedLayers: [Math.floor(s / 4) % 2 === 0 ? 2 : 0] }));
    expect(r.changes).toBe(0);
  });

  it.each([
    { wantedLayers: [] as (number | null)[] },
    { wantedLayers: [null, null] },
    { wantedLayers: [0] },
  ])('keeps the lowest layer while anyone subscribes (wanted $wantedLayers)', ({ wantedLayers }) => {
    const r = run(60, () => ({ hasSubscribers: true, wantedLayers }));
    expect(r.active[60]).toEqual([true, false, false]);
  });

  it('stops everything 10 s after the last subscriber left, and starts the lowest layer for a new one at once', () => {
    const r = run(40, (s) => (s < 20 || s >= 35 ? { hasSubscribers: true, wantedLayers: [0] } : { hasSubscribers: false, wantedLayers: [] }));
    // Last subscriber seen at 19 s.
    expect(r.active[28]).toEqual([true, false, false]);
    expect(r.active[29]).toEqual([false, false, false]);
    expect(r.active[35]).toEqual([true, false, false]);
  });
});
