import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY as C } from './config.ts';
import { downlinkSteady, initialDownlinkState, initialUplinkState, stepUplink, uplinkSteady, type UplinkInput } from './fallback.ts';
import { chooseLayers, layersSteady, type ConsumerInput, type SubscriberState } from './layers.ts';
import { activeLayers, unusedLayersSteady } from './unused-layers.ts';

/**
 * The `*Steady` predicates let the adaptation loop skip rounds until an input
 * changes. Each is checked against its machine: whenever it says steady, the
 * same inputs stepped on for two more minutes decide nothing new.
 */
const SENT = [150_000, 480_000, 1_400_000];
const video = (extra: Partial<ConsumerInput> = {}): ConsumerInput => ({
  consumerId: 'v1', kind: 'video', producerLayerBitrates: SENT, priority: 'normal', producerPaused: false, consumerPausedByApp: false, ...extra,
});
const audio: ConsumerInput = { consumerId: 'a1', kind: 'audio', producerLayerBitrates: [], priority: 'normal', producerPaused: false, consumerPausedByApp: false };
const LATER_MS = 120_000;

describe('layersSteady', () => {
  const cases: Array<{ name: string; estimate: (t: number) => number | undefined; consumers: (t: number) => ConsumerInput[]; steadyBy?: number }> = [
    { name: 'no estimate, good score', estimate: () => undefined, consumers: () => [audio, video({ score: 10 })], steadyBy: 0 },
    { name: 'no estimate, one layer sent', estimate: () => undefined, consumers: () => [video({ producerLayerBitrates: [500_000], score: 10 })], steadyBy: 0 },
    { name: 'no estimate, low score', estimate: () => undefined, consumers: () => [video({ score: 3 })] },
    { name: 'plenty of bandwidth', estimate: () => 5_000_000, consumers: () => [video({ score: 10 })], steadyBy: 0 },
    { name: 'one layer sent, plenty of bandwidth', estimate: () => 5_000_000, consumers: () => [video({ producerLayerBitrates: [500_000], score: 10 })], steadyBy: 0 },
    { name: 'settled below the top layer', estimate: () => 700_000, consumers: () => [audio, video({ score: 10 })], steadyBy: 0 },
    { name: 'a small tile, bandwidth for more', estimate: () => 5_000_000, consumers: () => [video({ score: 10, viewport: { width: 320, height: 180 } })], steadyBy: 0 },
    { name: 'a higher layer starts to fit', estimate: (t) => (t < 10_000 ? 300_000 : 5_000_000), consumers: () => [audio, video({ score: 10 })] },
    { name: 'bandwidth drops, then no estimate', estimate: (t) => (t < 20_000 ? 300_000 : undefined), consumers: () => [video({ score: 10 })] },
    { name: 'score falls for a while', estimate: () => undefined, consumers: (t) => [video({ score: t > 5_000 && t < 15_000 ? 2 : 10 })] },
    { name: 'a queue builds for a while', estimate: () => 5_000_000, consumers: (t) => [video({ score: 10, ...(t > 5_000 && t < 15_000 ? { queueDelayMs: 300 } : {}) })] },
    { name: 'nothing sent yet', estimate: () => undefined, consumers: () => [video({ producerLayerBitrates: [0, 0, 0] })] },
  ];
  for (const c of cases) {
    it(`${c.name}: steady means the same inputs later decide nothing new`, () => {
      let state: SubscriberState | undefined;
      let firstSteady: number | undefined;
      for (let t = 0; t <= 60_000; t += 1000) {
        const consumers = c.consumers(t);
        state = chooseLayers({ nowMs: t, availableBitrate: c.estimate(t), consumers, state }, C).state;
        if (!layersSteady(consumers, state, C)) continue;
        firstSteady ??= t;
        let later = state;
        for (let u = t + 1000; u <= t + LATER_MS; u += 1000) {
          const result = chooseLayers({ nowMs: u, availableBitrate: c.estimate(t), consumers, state: later }, C);
          expect(result.events).toEqual([]);
          expect(result.state.consumers.v1!.spatialLayer).toBe(state.consumers.v1!.spatialLayer);
          expect(result.state.consumers.v1!.paused).toBe(state.consumers.v1!.paused);
          later = result.state;
        }
      }
      if (c.steadyBy !== undefined) expect(firstSteady).toBe(c.steadyBy);
    });
  }

  it('is not steady with a low score, a layer not yet sent, or a pause under way', () => {
    const settled = chooseLayers({ nowMs: 0, availableBitrate: undefined, consumers: [video({ score: 10 })], state: undefined }, C).state;
    expect(layersSteady([video({ score: 10 })], settled, C)).toBe(true);
    expect(layersSteady([video({ score: C.stepDownScore })], settled, C)).toBe(false);
    expect(layersSteady([video({ producerLayerBitrates: [0, 0, 0] })], settled, C)).toBe(false);
    expect(layersSteady([video({ score: 10, queueDelayMs: C.stepDownQueueMs / 2 })], settled, C)).toBe(false);
    expect(layersSteady([video({ score: 10, queueDelayMs: C.stepDownQueueMs / 4 })], settled, C)).toBe(true);
    expect(layersSteady([video({ consumerId: 'v2' })], settled, C)).toBe(false);
    expect(layersSteady([video()], { ...settled, downlink: { ...settled.downlink, belowSinceMs: 0 } }, C)).toBe(false);
    // A remembered pause needs no round: a next pause is judged a repeat (or not) from resumedAtMs when it comes.
    expect(layersSteady([video()], { ...settled, downlink: { ...settled.downlink, pauses: 1, resumedAtMs: 0 } }, C)).toBe(true);
  });
});

describe('downlinkSteady and uplinkSteady', () => {
  it('downlink: only normal mode with no run under way', () => {
    expect(downlinkSteady(initialDownlinkState(0))).toBe(true);
    expect(downlinkSteady(initialDownlinkState(0, 'audio-only'))).toBe(false);
    expect(downlinkSteady({ ...initialDownlinkState(0), mode: 'recovering' })).toBe(false);
    expect(downlinkSteady({ ...initialDownlinkState(0), belowSinceMs: 0 })).toBe(false);
  });

  const inputs: Array<[string, UplinkInput]> = [
    ['no reports, good score', { producerScore: 10 }],
    ['low producer score', { producerScore: 1 }],
    ['good reports', { producerScore: 10, availableOutgoingBitrate: 2_000_000, lossFraction: 0, roundTripTimeMs: 40, sendBitrate: 900_000 }],
    ['bad estimate', { availableOutgoingBitrate: 50_000 }],
  ];
  for (const [name, input] of inputs) {
    it(`uplink, ${name}: steady means the same input later decides nothing new`, () => {
      let state = initialUplinkState(0);
      for (let t = 0; t <= 60_000; t += 1000) {
        state = stepUplink(state, input, t, C).state;
        if (!uplinkSteady(state, t, C)) continue;
        let later = state;
        for (let u = t + 1000; u <= t + LATER_MS; u += 1000) {
          const step = stepUplink(later, input, u, C);
          expect(step.events).toEqual([]);
          later = step.state;
        }
      }
    });
  }

  it('uplink: not steady within the grace time after video (re)starts', () => {
    expect(uplinkSteady(initialUplinkState(0), C.uplinkStopMs - 1, C)).toBe(false);
    expect(uplinkSteady(initialUplinkState(0), C.uplinkStopMs, C)).toBe(true);
  });
});

describe('unusedLayersSteady', () => {
  it('steady once no layer waits out unusedLayerMs', () => {
    const all = activeLayers({ nowMs: 0, layerCount: 3, hasSubscribers: true, wantedLayers: [2], state: undefined }, C);
    expect(unusedLayersSteady(all.state, 0)).toBe(true);
    const waiting = activeLayers({ nowMs: 1000, layerCount: 3, hasSubscribers: true, wantedLayers: [0], state: all.state }, C);
    expect(unusedLayersSteady(waiting.state, 1000)).toBe(false);
    const stopped = activeLayers({ nowMs: 1000 + C.unusedLayerMs, layerCount: 3, hasSubscribers: true, wantedLayers: [0], state: waiting.state }, C);
    expect(stopped.activeLayers).toEqual([true, false, false]);
    expect(unusedLayersSteady(stopped.state, 1000 + C.unusedLayerMs)).toBe(true);
  });
});
