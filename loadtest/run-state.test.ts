import { describe, expect, it } from 'vitest';
import type { BotMetrics, SubscriptionMetrics } from './bot/metrics.ts';
import { parseLoadtestArgs } from './options.ts';
import { RunState } from './run-state.ts';
import { summarize } from './summary.ts';
import type { VisitPlan } from './plan.ts';

const plan: VisitPlan[] = [{
  visitId: 'v-1',
  participants: (['provider', 'patient'] as const).map((role, i) => ({
    botId: `b-${i}`, visitId: 'v-1', role, token: 't', publish: { audio: true, video: true }, startAtMs: 0,
  })),
}];

function sub(from: string, kind: 'audio' | 'video', packets: number): SubscriptionMetrics {
  return {
    consumerId: `${from}-${kind}`, producerId: `${from}-${kind}`, participantId: from, kind, packets, bytes: packets * 100,
    packetsLost: 0, bitrateBps: 1000, lossRate: 0, jitterMs: 1, layerChanges: 0, producerPaused: false, closed: false,
  };
}

/** Both bots report at `at`, each having received `packets` of every track from the other. */
function report(state: RunState, at: number, packets: number): void {
  const metrics = (me: string, other: string): BotMetrics => ({
    at, participantId: me, state: 'joined', reconnects: 0, resumes: 0, reroutes: 0, migrations: 0,
    longestGapMs: { audio: 0, video: 0 }, sent: { audio: { packets: 0, bytes: 0 }, video: [] }, audioOnlyMs: 0, joinMs: 10,
    subscriptions: [sub(other, 'audio', packets), sub(other, 'video', packets)],
  });
  state.onEvent(0, { type: 'metrics', batch: [{ botId: 'b-0', metrics: metrics('p-0', 'p-1') }, { botId: 'b-1', metrics: metrics('p-1', 'p-0') }], cpuMicros: 0, at });
}

let T0 = 0;

/** A run whose bots both joined just now (T0): the hold starts 5 s later. */
function startedRun(): RunState {
  T0 = Date.now();
  const state = new RunState(plan, 'two-party', T0);
  for (const b of ['b-0', 'b-1']) state.onEvent(0, { type: 'joined', botId: b, url: 'http://node' });
  return state;
}

const options = () => {
  const parsed = parseLoadtestArgs(['--node', 'http://node', '--visits', '1', '--duration', '30', '--secret', 'run-state-test-secret-0123456789abcdef']);
  if (parsed.help) throw new Error('unexpected help');
  return parsed.options;
};

describe('RunState: visits up, and the load tester stalling', () => {
  it('a stall of the load tester itself is not counted as the visit going down', () => {
    const state = startedRun();
    for (let s = 1; s <= 10; s++) {
      report(state, T0 + s * 1000 - 500, s * 50);
      expect(state.tick(T0 + s * 1000)).toMatchObject({ visitsUp: 1, judged: true });
    }
    // The event loop blocks for 7 s: the next tick comes late and before the bots' held-up reports.
    expect(state.tick(T0 + 18_000)).toMatchObject({ visitsUp: 0, judged: false });
    report(state, T0 + 18_100, 900);
    expect(state.tick(T0 + 19_000).judged).toBe(false);
    for (let s = 21; s <= 25; s++) {
      report(state, T0 + s * 1000 - 500, s * 50);
      expect(state.tick(T0 + s * 1000)).toMatchObject({ visitsUp: 1, judged: true });
    }
    const summary = summarize(state, options(), 'duration');
    expect(summary.visits).toMatchObject({ upMin: 1, testerStalledS: 7 });
    expect(summary.verdict).toBe('PASS');
  });

  it('media that stops while the load tester keeps its ticks is a visit down', () => {
    const state = startedRun();
    for (let s = 1; s <= 10; s++) {
      report(state, T0 + s * 1000 - 500, s * 50);
      state.tick(T0 + s * 1000);
    }
    for (let s = 11; s <= 16; s++) {
      report(state, T0 + s * 1000 - 500, 500); // reports keep coming, packets do not
      state.tick(T0 + s * 1000);
    }
    expect(state.timeline.at(-1)).toMatchObject({ visitsUp: 0, judged: true });
    const summary = summarize(state, options(), 'duration');
    expect(summary.visits).toMatchObject({ upMin: 0, testerStalledS: 0 });
    expect(summary.verdict).toBe('FAIL');
  });
});
