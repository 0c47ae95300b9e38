import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY as C } from './config.ts';
import {
  type DownlinkInput, type DownlinkMode, type DownlinkState, initialDownlinkState, initialUplinkState, stepDownlink,
  stepUplink, type UplinkInput, type UplinkMode,
} from './fallback.ts';

const AUDIO = 40_000;
const LOWEST = 150_000;
/** Usable downlink below which video pauses (audio + lowest layer) and at or above which it may resume. */
const PAUSE_BELOW = AUDIO + LOWEST;
const RESUME_AT = AUDIO + LOWEST * C.fallbackResumeFactor;

/** Steps the downlink machine once a second; returns the mode after each tick and every transition. */
function downlink(usable: (t: number) => number | undefined, seconds: number, start: DownlinkMode = 'normal') {
  let state: DownlinkState = initialDownlinkState(0, start);
  const modes: DownlinkMode[] = [];
  const transitions: { t: number; to: DownlinkMode; reason: string }[] = [];
  for (let t = 0; t <= seconds * 1000; t += 1000) {
    const input: DownlinkInput = { usableBitrate: usable(t), audioBitrate: AUDIO, lowestVideoBitrate: LOWEST };
    const step = stepDownlink(state, input, t, C);
    state = step.state;
    modes.push(state.mode);
    transitions.push(...step.events.map((e) => ({ t, to: e.to, reason: e.reason })));
  }
  return { modes, transitions, state };
}

function uplink(input: (t: number) => UplinkInput, seconds: number) {
  let state = initialUplinkState(0);
  const transitions: { t: number; to: UplinkMode; reason: string }[] = [];
  for (let t = 0; t <= seconds * 1000; t += 1000) {
    const step = stepUplink(state, input(t), t, C);
    state = step.state;
    transitions.push(...step.events.map((e) => ({ t, to: e.to, reason: e.reason })));
  }
  return { transitions, state };
}

const sec = (t: number) => t / 1000;

describe('downlink fallback', () => {
  it.each([
    { dipS: 1, pauses: false },
    { dipS: 2, pauses: false },
    { dipS: 3, pauses: true },
    { dipS: 10, pauses: true },
  ])('a shortfall seen on $dipS ticks pauses video: $pauses', ({ dipS, pauses }) => {
    const run = downlink((t) => (sec(t) >= 5 && sec(t) < 5 + dipS ? PAUSE_BELOW - 20_000 : 2_000_000), 30);
    expect(run.transitions.some((e) => e.to === 'audio-only')).toBe(pauses);
    if (pauses) expect(run.transitions[0]).toEqual({ t: 7_000, to: 'audio-only', reason: 'bandwidth' });
  });

  it.each([
    { usable: PAUSE_BELOW * C.fallbackPauseNowFraction - 1, at: 5_000 },
    { usable: PAUSE_BELOW * C.fallbackPauseNowFraction + 1, at: 7_000 },
    { usable: 30_000, at: 5_000 },
  ])('a drop to $usable bps pauses video at $at ms (below fallbackPauseNowFraction: at once)', ({ usable, at }) => {
    const run = downlink((t) => (sec(t) >= 5 ? usable : 2_000_000), 30);
    expect(run.transitions[0]).toEqual({ t: at, to: 'audio-only', reason: 'bandwidth' });
  });

  it.each([
    { mode: 'normal' as const, usable: RESUME_AT - 1, pauses: true },
    { mode: 'normal' as const, usable: undefined, pauses: true },
    { mode: 'normal' as const, usable: RESUME_AT, pauses: false },
    { mode: 'normal' as const, usable: 2_000_000, pauses: false },
    { mode: 'recovering' as const, usable: RESUME_AT - 1, pauses: false, afterMs: C.fallbackPauseMs - 1 },
    { mode: 'recovering' as const, usable: RESUME_AT - 1, pauses: true, afterMs: C.fallbackPauseMs },
    { mode: 'audio-only' as const, usable: RESUME_AT - 1, pauses: true },
  ])('a lowest layer that does not get through, at $usable bps in $mode mode for $afterMs ms, pauses video at once: $pauses (not while the estimate has the resume margin, nor right after a resume)', ({ mode, usable, pauses, afterMs = 1000 }) => {
    const step = stepDownlink(initialDownlinkState(0, mode), { usableBitrate: usable, audioBitrate: AUDIO, lowestVideoBitrate: LOWEST, lowestLayerLost: true }, afterMs, C);
    expect(step.state.mode === 'audio-only').toBe(pauses);
  });

  it.each([
    { mode: 'normal' as const, capacity: PAUSE_BELOW - 1, pauses: true },
    { mode: 'normal' as const, capacity: PAUSE_BELOW, pauses: false },
    { mode: 'recovering' as const, capacity: PAUSE_BELOW - 1, pauses: false, afterMs: C.fallbackPauseMs - 1 },
    { mode: 'recovering' as const, capacity: PAUSE_BELOW - 1, pauses: true, afterMs: C.fallbackPauseMs },
  ])('a report that only $capacity bps got through pauses video at once in $mode mode after $afterMs ms, even with an estimate of plenty: $pauses', ({ mode, capacity, pauses, afterMs = 1000 }) => {
    const step = stepDownlink(initialDownlinkState(0, mode), { usableBitrate: 2_000_000, audioBitrate: AUDIO, lowestVideoBitrate: LOWEST, reportedCapacity: capacity }, afterMs, C);
    expect(step.state.mode === 'audio-only').toBe(pauses);
  });

  it.each([
    { mode: 'normal' as const, pauses: true },
    { mode: 'recovering' as const, pauses: false, afterMs: C.fallbackPauseMs - 1 },
    { mode: 'recovering' as const, pauses: true, afterMs: C.fallbackPauseMs },
  ])('a full downlink queue pauses video at once in $mode mode after $afterMs ms, even with an estimate of plenty: $pauses', ({ mode, pauses, afterMs = 1000 }) => {
    const step = stepDownlink(initialDownlinkState(0, mode), { usableBitrate: 2_000_000, audioBitrate: AUDIO, lowestVideoBitrate: LOWEST, queueFull: true }, afterMs, C);
    expect(step.state.mode === 'audio-only').toBe(pauses);
  });

  it.each([
    { name: 'catches up 2 s later, then recovers', usable: (s: number) => (s < 12 ? 2_000_000 : s < 20 ? 60_000 : 2_000_000), resumeS: 20 + sec(C.fallbackResumeMs) },
    { name: 'never catches up (a burst of loss on a good link)', usable: () => 2_000_000, resumeS: 10 + sec(C.fallbackDoubtMs) + sec(C.fallbackResumeMs) },
  ])('after a pause the reports forced against an estimate with the margin, the estimate counts for the resume only once it $name', ({ usable, resumeS }) => {
    let state = initialDownlinkState(0);
    const resumes: number[] = [];
    for (let t = 0; t <= 60_000; t += 1000) {
      const input = { usableBitrate: usable(sec(t)), audioBitrate: AUDIO, lowestVideoBitrate: LOWEST, ...(t === 10_000 ? { reportedCapacity: 100_000 } : {}) };
      const step = stepDownlink(state, input, t, C);
      if (step.events.some((e) => e.to === 'recovering')) resumes.push(sec(t));
      if (t === 10_000) expect(step.state.mode).toBe('audio-only');
      state = step.state;
    }
    expect(resumes[0]).toBe(resumeS);
  });

  it('resumes only above the higher threshold, after it has held for the resume time', () => {
    const justCarries = downlink(() => PAUSE_BELOW + 20_000, 60, 'audio-only');
    expect(justCarries.transitions).toEqual([]);
    const margin = downlink(() => RESUME_AT, 60, 'audio-only');
    expect(margin.transitions.slice(0, 2)).toEqual([
      { t: C.fallbackResumeMs, to: 'recovering', reason: 'bandwidth' },
      { t: C.fallbackResumeMs + C.recoverHoldMs, to: 'normal', reason: 'bandwidth' },
    ]);
  });

  it.each([
    { usable: AUDIO + 60_000 * C.fallbackResumeFactor, resumes: false },
    { usable: RESUME_AT, resumes: true },
  ])('with a lower lowest step (180p@7.5) the resume margin is judged by resumeVideoBitrate (180p@30): $usable bps resumes: $resumes', ({ usable, resumes }) => {
    let state = initialDownlinkState(0, 'audio-only');
    for (let t = 0; t <= 10_000; t += 1000) {
      state = stepDownlink(state, { usableBitrate: usable, audioBitrate: AUDIO, lowestVideoBitrate: 60_000, resumeVideoBitrate: LOWEST }, t, C).state;
    }
    expect(state.mode !== 'audio-only').toBe(resumes);
  });

  it('falls back from recovering when the estimate drops again, and then waits twice as long to resume', () => {
    const [wait, hold] = [sec(C.fallbackResumeMs), sec(C.recoverHoldMs)];
    const resumed = 10 + wait;
    const usable = (t: number) => (sec(t) < 10 ? 100_000 : sec(t) < resumed + 2 ? 400_000 : sec(t) < resumed + 10 ? 100_000 : 400_000);
    const run = downlink(usable, 60);
    expect(run.transitions.map((e) => [sec(e.t), e.to])).toEqual([
      [2, 'audio-only'], [resumed, 'recovering'], [resumed + 4, 'audio-only'], [resumed + 10 + 2 * wait, 'recovering'], [resumed + 10 + 2 * wait + hold, 'normal'],
    ]);
  });

  it.each([
    { gapS: 5, repeat: true, waitS: 2 * sec(C.fallbackResumeMs) },
    { gapS: 15, repeat: true, waitS: 2 * sec(C.fallbackResumeMs) },
    { gapS: 25, repeat: false, waitS: sec(C.fallbackResumeMs) },
    { gapS: 60, repeat: false, waitS: sec(C.fallbackResumeMs) },
  ])('a pause $gapS s after video resumed is a repeat: $repeat (within fallbackRepeatMs); the next resume waits $waitS s', ({ gapS, waitS }) => {
    // Paused at 2 s, resumed fallbackResumeMs after 10 s; the estimate drops again gapS s later (a pause 2 s after that), then recovers.
    const resumed = 10 + sec(C.fallbackResumeMs);
    const dropS = resumed + gapS - 2;
    const usable = (t: number) => (sec(t) < 10 || (sec(t) >= dropS && sec(t) < dropS + 3) ? 100_000 : 400_000);
    const run = downlink(usable, dropS + 30);
    const pauses = run.transitions.filter((e) => e.to === 'audio-only').map((e) => sec(e.t));
    const resumes = run.transitions.filter((e) => e.to === 'recovering').map((e) => sec(e.t));
    expect(pauses).toEqual([2, resumed + gapS]);
    expect(resumes).toEqual([resumed, dropS + 3 + waitS]);
  });

  it('changes nothing while there is no estimate', () => {
    const run = downlink(() => undefined, 30);
    expect(run.transitions).toEqual([]);
    expect(downlink(() => undefined, 30, 'audio-only').modes.every((m) => m === 'audio-only')).toBe(true);
  });

  // The proof of no flapping: estimates that wobble around a threshold for 60 s of 1-s ticks.
  const lcg = (seed: number) => () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const random = lcg(7);
  const noise = Array.from({ length: 61 }, () => random() * 2 - 1);
  const wobbles = {
    'flips every tick': (i: number) => (i % 2 === 0 ? 1 : -1),
    'flips every 2 s': (i: number) => (Math.floor(i / 2) % 2 === 0 ? 1 : -1),
    'flips every 3 s': (i: number) => (Math.floor(i / 3) % 2 === 0 ? 1 : -1),
    'flips every 5 s': (i: number) => (Math.floor(i / 5) % 2 === 0 ? 1 : -1),
    'sine, 7 s period': (i: number) => Math.sin((2 * Math.PI * i) / 7),
    'sine, 20 s period': (i: number) => Math.sin((2 * Math.PI * i) / 20),
    'random': (i: number) => noise[i]!,
  };
  const around = Object.entries(wobbles).flatMap(([shape, f]) => [0.05, 0.15].map((amp) => ({ shape, f, amp })));

  it.each(around)('around the pause threshold ($shape, ±$amp): at most one pause in 60 s, never a resume', ({ f, amp }) => {
    const run = downlink((t) => PAUSE_BELOW * (1 + amp * f(sec(t))), 60);
    expect(run.transitions.length).toBeLessThanOrEqual(1);
    expect(run.transitions.every((e) => e.to === 'audio-only')).toBe(true);
  });

  it.each(around)('around the resume threshold ($shape, ±$amp): at most one resume in 60 s, never a pause', ({ f, amp }) => {
    const run = downlink((t) => RESUME_AT * (1 + amp * f(sec(t))), 60, 'audio-only');
    expect(run.transitions.filter((e) => e.to === 'recovering').length).toBeLessThanOrEqual(1);
    expect(run.transitions.some((e) => e.to === 'audio-only')).toBe(false);
  });

  it.each([4, 8, 12, 16, 24])('swinging between 100 and 400 kbps every %i s: pauses and resumes back off', (halfS) => {
    const run = downlink((t) => (Math.floor(sec(t) / halfS) % 2 === 0 ? 100_000 : 400_000), 60);
    const resumes = run.transitions.filter((e) => e.to === 'recovering').length;
    expect(resumes).toBeLessThanOrEqual(3);
    expect(run.transitions.length).toBeLessThanOrEqual(8);
  });
});

describe('uplink fallback', () => {
  const healthy: UplinkInput = { producerScore: 10, availableOutgoingBitrate: 2_000_000, qualityLimitationReason: 'none' };

  it('stops video after a low producer score has lasted 3 s, with reason sender-network', () => {
    const run = uplink((t) => (sec(t) >= 10 ? { producerScore: 2 } : healthy), 20);
    expect(run.transitions).toEqual([{ t: 13_000, to: 'video-stopped', reason: 'sender-network' }]);
  });

  it.each([
    { name: 'score dips of 2 s', bad: (s: number) => s % 5 < 2 },
    { name: 'score flipping every second', bad: (s: number) => s % 2 === 0 },
  ])('ignores $name', ({ bad }) => {
    const run = uplink((t) => ({ ...healthy, producerScore: bad(sec(t)) ? 1 : 9 }), 60);
    expect(run.transitions).toEqual([]);
  });

  it('stops video when the SDK reports an outgoing estimate too small for the lowest layer and audio', () => {
    const run = uplink((t) => ({ ...healthy, availableOutgoingBitrate: sec(t) >= 5 ? 120_000 : 2_000_000 }), 20);
    expect(run.transitions.map((e) => [sec(e.t), e.to])).toEqual([[8, 'video-stopped']]);
  });

  it('restarts video after the outgoing estimate carries the lowest layer with margin for the resume time', () => {
    const limited = (s: number) => s >= 5 && s < 20;
    const run = uplink((t) => (limited(sec(t))
      ? { producerScore: 1, availableOutgoingBitrate: 90_000, qualityLimitationReason: 'bandwidth' }
      : healthy), 60);
    expect(run.transitions.map((e) => [sec(e.t), e.to])).toEqual([[8, 'video-stopped'], [28, 'sending']]);
  });

  it('stays stopped while the browser still reports a bandwidth limitation', () => {
    const run = uplink((t) => (sec(t) < 10 ? { producerScore: 1 } : { availableOutgoingBitrate: 1_000_000, qualityLimitationReason: 'bandwidth' }), 60);
    expect(run.transitions.map((e) => e.to)).toEqual(['video-stopped']);
  });

  it('without any outgoing estimate, tries video again after 15 s, then 30 s after the next stop', () => {
    // A fresh or restarted stream's score is judged only after a 3-s grace, then must stay low for 3 s.
    const run = uplink(() => ({ producerScore: 1 }), 80);
    expect(run.transitions.map((e) => [sec(e.t), e.to])).toEqual([
      [6, 'video-stopped'], [21, 'sending'], [27, 'video-stopped'], [57, 'sending'], [63, 'video-stopped'],
    ]);
  });

  it('does nothing while the publisher has muted its camera', () => {
    const run = uplink(() => ({ producerScore: 0, producerPaused: true }), 30);
    expect(run.transitions).toEqual([]);
  });

  // Firefox reports no availableOutgoingBitrate and no qualityLimitationReason: it is judged on what every browser reports.
  describe('from the stats every browser has (remote-inbound-rtp loss and round trip, send rate)', () => {
    const firefox: UplinkInput = { producerScore: 10, lossFraction: 0, roundTripTimeMs: 5, sendBitrate: 400_000 };
    const from10s = (bad: Partial<UplinkInput>) => (t: number) => (sec(t) >= 10 ? { ...firefox, ...bad } : firefox);

    it.each([
      { name: 'a healthy link', bad: {}, stopsAt: undefined },
      { name: `loss at the stop threshold (${C.uplinkStopLoss})`, bad: { lossFraction: C.uplinkStopLoss }, stopsAt: 13 },
      { name: 'loss just under the threshold', bad: { lossFraction: C.uplinkStopLoss - 0.01 }, stopsAt: undefined },
      { name: '90% loss as under a 100 kbit/s tc limit', bad: { lossFraction: 0.9, roundTripTimeMs: 400 }, stopsAt: 13 },
      { name: `a round trip of ${C.uplinkStopRttMs} ms with some loss`, bad: { roundTripTimeMs: C.uplinkStopRttMs, lossFraction: C.uplinkStopLoss / 2 }, stopsAt: 13 },
      { name: `a round trip of ${C.uplinkStopRttMs} ms and no loss (a queue that may be on the downlink)`, bad: { roundTripTimeMs: C.uplinkStopRttMs }, stopsAt: undefined },
      { name: `some loss and a short round trip`, bad: { roundTripTimeMs: 50, lossFraction: C.uplinkStopLoss / 2 }, stopsAt: undefined },
      { name: 'a round trip of 400 ms and no loss (a long but working path)', bad: { roundTripTimeMs: 400 }, stopsAt: undefined },
      { name: 'sending 20 kbit/s of video', bad: { sendBitrate: 20_000 }, stopsAt: 13 },
      { name: 'sending 40 kbit/s of video (a still scene)', bad: { sendBitrate: 40_000 }, stopsAt: undefined },
      { name: 'no stats at all but a good score', bad: { lossFraction: undefined, roundTripTimeMs: undefined, sendBitrate: undefined }, stopsAt: undefined },
    ])('$name: video stops at $stopsAt s', ({ bad, stopsAt }) => {
      const run = uplink(from10s(bad), 25);
      expect(run.transitions.map((e) => [sec(e.t), e.to])).toEqual(stopsAt === undefined ? [] : [[stopsAt, 'video-stopped']]);
    });

    it.each([
      { name: 'loss bursts of 2 s', bad: (s: number) => s % 5 < 2 },
      { name: 'loss flipping every second', bad: (s: number) => s % 2 === 0 },
    ])('ignores $name', ({ bad }) => {
      const run = uplink((t) => ({ ...firefox, lossFraction: bad(sec(t)) ? 0.5 : 0 }), 60);
      expect(run.transitions).toEqual([]);
    });

    it('ignores stale loss right after video restarts, then stops again if the loss goes on', () => {
      const run = uplink(() => ({ ...firefox, lossFraction: 0.6 }), 40);
      expect(run.transitions.map((e) => [sec(e.t), e.to])).toEqual([[6, 'video-stopped'], [21, 'sending'], [27, 'video-stopped']]);
    });

    it('stops on a limited link, and video comes back for good at the first try after it recovers', () => {
      const limited = (s: number) => s >= 5 && s < 20;
      const run = uplink((t) => (limited(sec(t)) ? { ...firefox, lossFraction: 0.9, roundTripTimeMs: 400, sendBitrate: 600_000 } : firefox), 120);
      expect(run.transitions.map((e) => [sec(e.t), e.to])).toEqual([[8, 'video-stopped'], [23, 'sending']]);
      expect(run.state.mode).toBe('sending');
    });
  });
});
