import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../common/logger.ts';
import { VisitAdaptation } from './adaptation.ts';
import { DEFAULT_POLICY } from './policy/config.ts';
import type { VisitMedia } from './visit-media.ts';

/** Stand-ins for mediasoup objects: what VisitAdaptation reads, and a count of the worker requests it makes. */
class FakeProducer extends EventEmitter {
  closed = false;
  score = [{ encodingIdx: 0, ssrc: 1, score: 10 }];
  rtpParameters = { codecs: [{ clockRate: 90000 }], encodings: [{ ssrc: 1 }] };
  statsRequests = 0;
  constructor(readonly id: string, readonly kind: 'audio' | 'video', readonly appData: { participantId: string }) { super(); }
  async getStats() { this.statsRequests++; return [{ type: 'inbound-rtp', ssrc: 1, bitrate: 500_000, byteCount: 0, packetCount: 0, packetsLost: 0, nackCount: 0, pliCount: 0, firCount: 0, jitter: 0 }]; }
  async pause() {}
  async resume() {}
}

class FakeConsumer extends EventEmitter {
  closed = false;
  type = 'simple';
  score = { score: 10, producerScore: 10 };
  producerPaused = false;
  statsRequests = 0;
  constructor(readonly id: string, readonly kind: 'audio' | 'video', readonly producerId: string,
    readonly appData: { participantId: string; producerParticipantId: string; clientReady: boolean }) { super(); }
  /** What the viewer's NACKs have asked for so far, in the stats' outbound-rtp. */
  sent = { packetCount: 0, nackPacketCount: 0 };
  async getStats() { this.statsRequests++; return this.kind === 'video' ? [{ type: 'outbound-rtp', ...this.sent }] : []; }
  async enableTraceEvent() {}
  async pause() {}
  async resume() {}
}

/** A two-party visit, each participant publishing audio and video and consuming the other's. */
function twoPartyVisit() {
  const media = new EventEmitter() as EventEmitter & Record<string, unknown>;
  const producers = ['a', 'b'].flatMap((p) => (['audio', 'video'] as const).map((k) => new FakeProducer(`${p}-${k}`, k, { participantId: p })));
  const consumers = producers.map((p) => {
    const viewer = p.appData.participantId === 'a' ? 'b' : 'a';
    return new FakeConsumer(`${viewer}<-${p.id}`, p.kind, p.id, { participantId: viewer, producerParticipantId: p.appData.participantId, clientReady: true });
  });
  Object.assign(media, {
    isClosed: false,
    producers: () => producers.filter((p) => !p.closed),
    consumers: () => consumers.filter((c) => !c.closed),
    consumersOf: (id: string) => consumers.filter((c) => !c.closed && c.appData.participantId === id),
    participantIds: () => ['a', 'b'],
    downlinkSendBitrate: async () => undefined,
    estimates: new Map<string, number>(),
    downlinkEstimate(id: string) { return (this.estimates as Map<string, number>).get(id); },
    pipedProducers: () => [],
    pipes: { pipedTo: () => [] },
  });
  return { media: media as unknown as VisitMedia & EventEmitter, producers, consumers };
}

const logger = { warn() {}, info() {}, debug() {}, isLevelEnabled() { return false; }, child() { return logger; } } as unknown as Logger;
const requests = (objects: { statsRequests: number }[]) => objects.reduce((n, o) => n + o.statsRequests, 0);
const video = <T extends { kind: string }>(xs: T[]) => xs.filter((x) => x.kind === 'video');

describe('VisitAdaptation: worker requests and endings', () => {
  let visit: ReturnType<typeof twoPartyVisit>;
  let adaptation: VisitAdaptation;
  const hooks = { notify: vi.fn(), broadcast: vi.fn(), roleOf: () => undefined, reportPipedInWants: vi.fn(), reportedWants: () => new Map() };

  beforeEach(() => {
    vi.useFakeTimers();
    visit = twoPartyVisit();
    adaptation = new VisitAdaptation(visit.media, hooks, DEFAULT_POLICY, logger, 60_000);
  });
  afterEach(() => {
    adaptation.close();
    vi.useRealTimers();
  });

  it('reads video producer stats every layerStatsMs and the rest every metricsStatsMs, not every round', async () => {
    for (let t = 0; t < 30_000; t += 1000) await adaptation.tick(t);
    // 30 rounds: video producers read at 0, 5, ..., 25 s; audio producers and consumers at 0 and 15 s.
    expect(requests(video(visit.producers))).toBe(2 * 6);
    expect(requests(visit.producers.filter((p) => p.kind === 'audio'))).toBe(2 * 2);
    expect(requests(visit.consumers)).toBe(4 * 2);
  });

  it('a producer score change re-reads that producer soon, at most once per second', async () => {
    await adaptation.tick(0);
    const [p] = video(visit.producers);
    const before = p!.statsRequests;
    vi.setSystemTime(2_000);
    p!.emit('score', []);
    p!.emit('score', []);
    await vi.advanceTimersByTimeAsync(100);
    expect(p!.statsRequests).toBe(before + 1);
    p!.emit('score', []);
    await vi.advanceTimersByTimeAsync(100);
    expect(p!.statsRequests).toBe(before + 1);
  });

  it('a new downlink estimate or a consumer score change starts a round without waiting for the tick', async () => {
    await adaptation.tick(0);
    const spy = vi.spyOn(adaptation, 'tick');
    visit.media.emit('downlinkEstimate', 'a', 300_000);
    visit.media.emit('downlinkEstimate', 'b', 300_000);
    await vi.advanceTimersByTimeAsync(100);
    expect(spy).toHaveBeenCalledTimes(1);
    video(visit.consumers)[0]!.emit('score', { score: 3 });
    await vi.advanceTimersByTimeAsync(100);
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it('a steady visit skips the once-a-second round and reads stats only for the metrics, until an input changes', async () => {
    const ticking = new VisitAdaptation(visit.media, hooks, DEFAULT_POLICY, logger, 1000);
    const rounds = vi.spyOn(ticking, 'tick');
    await vi.advanceTimersByTimeAsync(10_000); // rounds until the uplinks are past their grace time
    const [roundsBefore, readsBefore] = [rounds.mock.calls.length, requests(visit.producers) + requests(visit.consumers)];
    await vi.advanceTimersByTimeAsync(30_000);
    expect(rounds.mock.calls.length).toBe(roundsBefore);
    // Every metricsStatsMs (15 s): each of 4 producers and 4 consumers once.
    expect(requests(visit.producers) + requests(visit.consumers) - readsBefore).toBe(2 * 8);
    ticking.setViewport(video(visit.consumers)[0]!.id, { width: 320, height: 180 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(rounds.mock.calls.length).toBe(roundsBefore + 1);
    video(visit.consumers)[1]!.producerPaused = true; // a flag the round reads changed
    await vi.advanceTimersByTimeAsync(1000);
    expect(rounds.mock.calls.length).toBe(roundsBefore + 2);
    ticking.close();
  });

  it('a NACK from a viewer opens one short window: that consumer\'s counts are read at both ends of it, then a round decides', async () => {
    await adaptation.tick(0);
    const [c] = video(visit.consumers);
    const before = c!.statsRequests;
    const rounds = vi.spyOn(adaptation, 'tick');
    vi.setSystemTime(2_000);
    c!.emit('trace', { type: 'nack' });
    c!.emit('trace', { type: 'nack' }); // within the window: no second one
    await vi.advanceTimersByTimeAsync(0);
    expect(c!.statsRequests).toBe(before + 1);
    c!.sent = { packetCount: 30, nackPacketCount: 45 };
    await vi.advanceTimersByTimeAsync(400);
    expect(c!.statsRequests).toBe(before + 2);
    expect(rounds).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(c!.statsRequests).toBe(before + 2); // no NACK, no reads
  });

  it('in a steady visit, mediasoup\'s once-a-second estimate starts a round only when it moved by a tenth from the one the last round used', async () => {
    const estimates = (visit.media as unknown as { estimates: Map<string, number> }).estimates;
    const setEstimate = (bps: number) => { estimates.set('a', bps); visit.media.emit('downlinkEstimate', 'a', bps); };
    estimates.set('a', 2_000_000);
    const ticking = new VisitAdaptation(visit.media, hooks, DEFAULT_POLICY, logger, 1000);
    const rounds = vi.spyOn(ticking, 'tick');
    await vi.advanceTimersByTimeAsync(10_000);
    const before = rounds.mock.calls.length;
    for (const bps of [2_100_000, 1_950_000, 2_150_000, 1_850_000]) { setEstimate(bps); await vi.advanceTimersByTimeAsync(1000); }
    expect(rounds.mock.calls.length).toBe(before);
    setEstimate(1_700_000); // -15 %
    await vi.advanceTimersByTimeAsync(100);
    expect(rounds.mock.calls.length).toBe(before + 1);
    ticking.close();
  });

  it('an estimate that falls by a tenth reads the viewer\'s video consumers (their round trips: a queue building up) in the next round; one that rises does not', async () => {
    const estimates = (visit.media as unknown as { estimates: Map<string, number> }).estimates;
    const setEstimate = (bps: number) => { estimates.set('a', bps); visit.media.emit('downlinkEstimate', 'a', bps); };
    estimates.set('a', 2_000_000);
    vi.setSystemTime(1_000);
    await adaptation.tick(1_000); // reads every consumer for the metrics; the next metrics read is 15 s later
    const [viewed, other] = [visit.consumers.find((c) => c.id === 'a<-b-video')!, visit.consumers.find((c) => c.id === 'b<-a-video')!];
    const before = [viewed.statsRequests, other.statsRequests];
    setEstimate(2_400_000);
    await vi.advanceTimersByTimeAsync(100);
    expect([viewed.statsRequests, other.statsRequests]).toEqual(before);
    setEstimate(1_500_000);
    await vi.advanceTimersByTimeAsync(100);
    expect([viewed.statsRequests, other.statsRequests]).toEqual([before[0]! + 1, before[1]]);
  });

  it('leaves no listener and no timer behind: closed objects are let go, close() lets go of the rest', async () => {
    await adaptation.tick(0);
    const [gone, kept] = video(visit.consumers);
    expect(gone!.listenerCount('score')).toBe(1);
    gone!.closed = true;
    await adaptation.tick(1000);
    expect([gone!.listenerCount('score'), gone!.listenerCount('trace')]).toEqual([0, 0]);
    expect([kept!.listenerCount('score'), kept!.listenerCount('trace')]).toEqual([1, 1]);
    kept!.emit('trace', { type: 'nack' }); // a NACK window is open when the visit closes
    visit.media.emit('downlinkEstimate', 'a', 300_000); // a round is pending when the visit closes
    adaptation.close();
    expect([kept!.listenerCount('score'), kept!.listenerCount('trace')]).toEqual([0, 0]);
    expect(video(visit.producers).map((p) => p.listenerCount('score'))).toEqual([0, 0]);
    expect(visit.media.listenerCount('downlinkEstimate')).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
