import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../policy/config.ts';
import { activeLayers } from '../policy/unused-layers.ts';
import { pipedInWants, planPipes, wantedWithPipes, type LayerWant, type PipePlan, type PipePlanInput, type WantedWithPipesInput } from './pipe-plan.ts';

const announced = (o: Record<string, string[]>) => new Map(Object.entries(o));
const piped = (o: Record<string, string>) => new Map(Object.entries(o));

describe('planPipes', () => {
  it.each<[string, PipePlanInput, PipePlan]>([
    ['no viewers here: nothing is pulled', { localViewers: 0, announced: announced({ a: ['p1', 'p2'] }), piped: piped({}) }, { pull: [], close: [] }],
    ['a viewer here: every announced producer is pulled from its node',
      { localViewers: 1, announced: announced({ a: ['p1'], b: ['p2', 'p3'] }), piped: piped({}) },
      { pull: [{ nodeId: 'a', producerId: 'p1' }, { nodeId: 'b', producerId: 'p2' }, { nodeId: 'b', producerId: 'p3' }], close: [] }],
    ['piped ones are not pulled again', { localViewers: 2, announced: announced({ a: ['p1', 'p2'] }), piped: piped({ p1: 'a' }) }, { pull: [{ nodeId: 'a', producerId: 'p2' }], close: [] }],
    ['a producer its node stops announcing is closed', { localViewers: 1, announced: announced({ a: ['p2'] }), piped: piped({ p1: 'a', p2: 'a' }) }, { pull: [], close: ['p1'] }],
    ['a node gone from the visit: its producers close', { localViewers: 1, announced: announced({ b: ['p3'] }), piped: piped({ p1: 'a', p3: 'b' }) }, { pull: [], close: ['p1'] }],
    ['viewers gone: piped producers stay while announced', { localViewers: 0, announced: announced({ a: ['p1'] }), piped: piped({ p1: 'a' }) }, { pull: [], close: [] }],
    ['a producer announced by another node than the one it was piped from is replaced', { localViewers: 1, announced: announced({ b: ['p1'] }), piped: piped({ p1: 'a' }) }, { pull: [], close: ['p1'] }],
  ])('%s', (_name, input, expected) => {
    expect(planPipes(input)).toEqual(expected);
  });
});

describe('pipedInWants', () => {
  const wanted = (o: Record<string, (number | null)[]>) => new Map(Object.entries(o));
  it.each<[string, string[], Map<string, (number | null)[]>, LayerWant[]]>([
    ['nothing piped in: nothing reported', [], wanted({ local: [2] }), []],
    ['the highest layer of its viewers', ['p1'], wanted({ p1: [0, 1, null] }), [{ producerId: 'p1', spatialLayer: 1 }]],
    ['viewers that want no video (paused, audio-only): null', ['p1'], wanted({ p1: [null, null] }), [{ producerId: 'p1', spatialLayer: null }]],
    ['a piped producer no viewer consumes yet is left out', ['p1', 'p2'], wanted({ p2: [0], local: [2] }), [{ producerId: 'p2', spatialLayer: 0 }]],
  ])('%s', (_name, pipedIn, w, expected) => {
    expect(pipedInWants(pipedIn, w)).toEqual(expected);
  });
});

describe('wantedWithPipes', () => {
  const reported = (o: Record<string, number | null>) => new Map(Object.entries(o));
  it.each<[string, WantedWithPipesInput, (number | null)[]]>([
    ['no pipes: the local viewers decide', { local: [0, null], layerCount: 3, pipedTo: [], reported: reported({}) }, [0, null]],
    ['no viewer anywhere: nothing wanted (every layer may stop)', { local: [], layerCount: 3, pipedTo: [], reported: reported({}) }, []],
    ['piped, no report yet: the top layer', { local: [0], layerCount: 3, pipedTo: ['b'], reported: reported({}) }, [0, 2]],
    ['the remote node wants a lower layer', { local: [], layerCount: 3, pipedTo: ['b'], reported: reported({ b: 0 }) }, [0]],
    ['the remote node wants no video: only the lowest layer, for the pipe', { local: [], layerCount: 3, pipedTo: ['b'], reported: reported({ b: null }) }, [null]],
    ['several nodes: each counts, the highest wins', { local: [0], layerCount: 3, pipedTo: ['b', 'c'], reported: reported({ b: 1, c: 0 }) }, [0, 1, 0]],
    ['several nodes, one not reported yet: the top layer', { local: [], layerCount: 3, pipedTo: ['b', 'c'], reported: reported({ b: 0 }) }, [0, 2]],
    ['a node gone (no longer piped to): its report no longer counts', { local: [0], layerCount: 3, pipedTo: ['c'], reported: reported({ b: 2, c: 0 }) }, [0, 0]],
  ])('%s', (_name, input, expected) => {
    expect(wantedWithPipes(input)).toEqual(expected);
  });

  it.each<[string, WantedWithPipesInput, boolean[]]>([
    ['a remote viewer wanting the lowest layer: the others stop', { local: [], layerCount: 3, pipedTo: ['b'], reported: reported({ b: 0 }) }, [true, false, false]],
    ['several nodes: the highest wanted layer and those below it keep going', { local: [0], layerCount: 3, pipedTo: ['b', 'c'], reported: reported({ b: 1, c: null }) }, [true, true, false]],
  ])('with unused-layer trimming: %s', (_name, input, expected) => {
    const wanted = wantedWithPipes(input);
    const first = activeLayers({ nowMs: 0, layerCount: 3, hasSubscribers: wanted.length > 0, wantedLayers: wanted, state: undefined });
    const later = activeLayers({ nowMs: DEFAULT_POLICY.unusedLayerMs, layerCount: 3, hasSubscribers: wanted.length > 0, wantedLayers: wanted, state: first.state });
    expect(later.activeLayers).toEqual(expected);
  });
});
