import { describe, expect, it } from 'vitest';
import { planPipes, wantedWithPipes, type PipePlan, type PipePlanInput } from './pipe-plan.ts';

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

describe('wantedWithPipes', () => {
  it.each<[string, (number | null)[], number, boolean, (number | null)[]]>([
    ['not piped: the local viewers decide', [0, null], 3, false, [0, null]],
    ['piped: the top layer is wanted too', [0], 3, true, [0, 2]],
    ['piped with no local viewer: the top layer', [], 3, true, [2]],
    ['no viewer anywhere: nothing wanted (trimming applies)', [], 3, false, []],
  ])('%s', (_name, wanted, layers, piped, expected) => {
    expect(wantedWithPipes(wanted, layers, piped)).toEqual(expected);
  });
});
