import type { types } from 'mediasoup';
import type { Logger } from '../common/logger.ts';
import type { MediaEvents, NetworkQuality } from '../common/media.ts';
import type { Role } from '../common/roles.ts';
import { sharedInterval } from '../common/shared-interval.ts';
import type { PolicyConfig } from './policy/config.ts';
import { initialUplinkState, stepUplink, uplinkSteady, type QualityLimitationReason, type UplinkState } from './policy/fallback.ts';
import { chooseLayers, layersSteady, layerSwitch, stepKey, type ConsumerDecision, type ConsumerInput, type LayerEvent, type SubscriberState } from './policy/layers.ts';
import { networkQuality, worseQuality } from './policy/network-quality.ts';
import { nextRttBase, queueDelay, type RttBase } from './policy/queue-delay.ts';
import { activeLayers, unusedLayersSteady, type UnusedLayersState } from './policy/unused-layers.ts';
import { pipedInWants, wantedWithPipes, type LayerWant } from './cascade/pipe-plan.ts';
import { mediaMetrics, VisitMediaMetrics } from './media-metrics.ts';
import { NackWatch } from './nack-watch.ts';
import type { ConsumerMeta, ProducerMeta, VisitMedia } from './visit-media.ts';

export interface AdaptationHooks {
  notify<E extends keyof MediaEvents>(participantId: string, event: E, data: MediaEvents[E]): void;
  /** Every participant of the visit, on this node and the others it spans. */
  broadcast<E extends 'networkQuality' | 'videoPaused' | 'videoResumed'>(event: E, data: MediaEvents[E]): void;
  roleOf(participantId: string): Role | undefined;
  /** Every round: what this node's viewers want of the producers piped in to it, for their publishers' nodes. */
  reportPipedInWants(wants: LayerWant[]): void;
  /** What the other nodes last reported wanting of a local producer (pipedInWants), by node id. */
  reportedWants(producerId: string): ReadonlyMap<string, number | null>;
}

export interface SenderStats {
  availableOutgoingBitrate?: number;
  qualityLimitationReason?: QualityLimitationReason;
  lossFraction?: number;
  roundTripTimeMs?: number;
  sendBitrate?: number;
}

type Producer = types.Producer<ProducerMeta>;
type Consumer = types.Consumer<ConsumerMeta>;

/**
 * Cumulative bps of each temporal layer of one encoding. mediasoup sums a
 * layer's bitrate with those below it (T0+T1 for "0.1") and reports 0 for a
 * layer it does not receive; an encoding without temporal layers has no
 * `bitrateByLayer`: its one layer is the whole bitrate.
 */
function temporalBitrates(stats: { bitrate: number; bitrateByLayer?: Record<string, number> }): number[] {
  const byLayer = Object.entries(stats.bitrateByLayer ?? {}).filter(([layer]) => layer.startsWith('0.'))
    .sort(([a], [b]) => Number(a.slice(2)) - Number(b.slice(2))).map(([, bps]) => bps);
  return byLayer.length > 0 ? byLayer : [stats.bitrate];
}

/** A round follows an event (estimate, score) this soon; a burst of events makes one round. */
const EVENT_ROUND_DELAY_MS = 50;
/** A producer score change re-reads the producer's layer bitrates, at most this often. */
const LAYER_STATS_MIN_GAP_MS = 1000;
/** A consumer's receiver-report loss, read when its score changes, counts for the policy this long. */
const LOSS_FRESH_MS = 1500;

interface LossReport { fraction: number; atMs: number; sentBitrate?: number; rttMs: number }
const fresh = (loss: LossReport | undefined, nowMs: number) => (loss && nowMs - loss.atMs <= LOSS_FRESH_MS ? loss : undefined);
/** The fraction lost in a consumer's loss report while it counts for the policy. */
const freshLoss = (loss: LossReport | undefined, nowMs: number) => fresh(loss, nowMs)?.fraction;
/**
 * mediasoup sends each transport's estimate once a second (at once on a change of a quarter or more): in a steady
 * visit, one within this fraction of the estimate its last round used is no input change and starts no round.
 */
const ESTIMATE_STEADY_BAND = 0.1;

/**
 * Applies the layer policy (sfu/policy) to one visit's media: once a second,
 * and soon after an event that may change a decision (a new downlink estimate,
 * a consumer or producer score change), it gathers plain inputs from mediasoup
 * and the SDKs' reports, asks the pure policy, and applies its decisions.
 * Worker requests: each video producer's stats every `layerStatsMs` (sooner
 * after its score changes), consumer and audio producer stats every
 * `metricsStatsMs`, a video consumer's stats (its receiver-report loss) after
 * its score changes or its viewer's estimate falls by a tenth (its receiver-report loss and round trip), and its packet
 * counts around a window of NACKs (sfu/nack-watch.ts); scores, estimates and NACKs arrive as events.
 *
 * A steady visit (the last round left every policy state steady and no input
 * has changed since: no event, report, viewport, producer or consumer change)
 * skips the once-a-second round: it only samples scores and estimates for the
 * metrics and reads every producer's and consumer's stats every `metricsStatsMs`.
 */
export class VisitAdaptation {
  private readonly subscribers = new Map<string, SubscriberState>();
  private readonly uplinks = new Map<string, UplinkState>();
  private readonly layerUse = new Map<string, UnusedLayersState>();
  private readonly viewports = new Map<string, { width: number; height: number }>();
  private readonly fullQuality = new Map<string, Set<string>>();
  private readonly senderStats = new Map<string, SenderStats>();
  private readonly quality = new Map<string, NetworkQuality>();
  private readonly layerBitrates = new Map<string, number[]>();
  /** Per video producer, per encoding: cumulative bps of each temporal layer (stats `bitrateByLayer` "0.0", "0.1", ...). */
  private readonly temporalBitrates = new Map<string, number[][]>();
  private readonly stopTicking: () => void;
  private readonly metrics = new VisitMediaMetrics();
  /** When each video producer's layer bitrates were read; a score change marks them stale. */
  private readonly layersReadAt = new Map<string, number>();
  private readonly layersStale = new Set<string>();
  /** Each video consumer's loss in the viewer's latest receiver report (0-1), read after its score changes. */
  private readonly consumerLoss = new Map<string, LossReport>();
  /** Each video consumer's path round trip without a queue, from every read of its stats (sfu/policy/queue-delay.ts). */
  private readonly rttBases = new Map<string, RttBase>();
  private readonly lossStale = new Set<string>();
  /** Each video consumer's NACKs: a round soon after a window of them. */
  private readonly nacks = new NackWatch(() => this.soon());
  /** Listeners on producers and consumers, by id: removed when the object closes or this closes. */
  private readonly watched = new Map<string, () => void>();
  private metricsReadAt: number | undefined;
  /** An input changed since the last round began: the next tick is a round. */
  private inputsChanged = true;
  /** The last round left every policy state steady (sfu/policy `*Steady`); cleared by any step in a round that is not. */
  private steady = false;
  /** Producers, consumers and their flags as of the last tick: a difference is an input change. */
  private lastMediaShape = '';
  private soonTimer: NodeJS.Timeout | undefined;
  private roundWanted = false;
  private running = false;
  private closed = false;
  /** Each viewer's estimate as its last round used it. */
  private readonly estimateInRound = new Map<string, number>();
  private readonly onEstimate = (participantId: string, bps: number) => {
    const used = this.estimateInRound.get(participantId);
    // A falling estimate may be a queue building up: the next round reads the viewer's round trips.
    if (used !== undefined && bps < used * (1 - ESTIMATE_STEADY_BAND)) {
      for (const c of this.media.consumersOf(participantId)) if (c.kind === 'video') this.lossStale.add(c.id);
    }
    if (this.steady && used !== undefined && Math.abs(bps - used) < used * ESTIMATE_STEADY_BAND) return;
    this.soon();
  };

  constructor(
    private readonly media: VisitMedia,
    private readonly hooks: AdaptationHooks,
    private readonly config: PolicyConfig,
    private readonly logger: Logger,
    tickMs = 1000,
  ) {
    this.stopTicking = sharedInterval(tickMs, () => void this.onTick());
    media.on('downlinkEstimate', this.onEstimate);
  }

  close(): void {
    this.closed = true;
    this.stopTicking();
    clearTimeout(this.soonTimer);
    this.nacks.close();
    this.media.off('downlinkEstimate', this.onEstimate);
    for (const unwatch of this.watched.values()) unwatch();
    this.watched.clear();
  }

  /** A round soon, for an event; one round for a burst of them. */
  private soon(): void {
    if (this.closed) return;
    this.inputsChanged = true;
    if (this.running) { this.roundWanted = true; return; }
    if (this.soonTimer) return;
    this.soonTimer = setTimeout(() => { this.soonTimer = undefined; void this.tick(); }, EVENT_ROUND_DELAY_MS);
    this.soonTimer.unref();
  }

  setViewport(consumerId: string, size: { width: number; height: number }): void {
    this.viewports.set(consumerId, size);
    this.inputsChanged = true;
  }

  setFullQuality(viewerId: string, participantId: string, enabled: boolean): void {
    const set = this.fullQuality.get(viewerId) ?? new Set<string>();
    if (enabled) set.add(participantId);
    else set.delete(participantId);
    this.fullQuality.set(viewerId, set);
    this.inputsChanged = true;
  }

  setSenderStats(participantId: string, stats: SenderStats): void {
    this.senderStats.set(participantId, stats);
    this.inputsChanged = true;
  }

  forget(participantId: string): void {
    this.subscribers.delete(participantId);
    this.fullQuality.delete(participantId);
    this.senderStats.delete(participantId);
    this.quality.delete(participantId);
    this.estimateInRound.delete(participantId);
    this.inputsChanged = true;
  }

  /** The once-a-second timer: a round, unless the visit is steady and no input changed. */
  private async onTick(nowMs = Date.now()): Promise<void> {
    const shape = this.mediaShape();
    if (shape !== this.lastMediaShape) [this.lastMediaShape, this.inputsChanged] = [shape, true];
    if (!this.steady || this.inputsChanged) return this.tick(nowMs);
    if (this.running || this.closed || this.media.isClosed) return;
    for (const viewerId of this.media.participantIds()) this.sampleViewer(viewerId, this.readyConsumers(viewerId));
    if (!this.metricsDue(nowMs)) return;
    this.running = true;
    try {
      const { own, piped } = this.videoProducers();
      const measured = [...own, ...piped];
      const sentBefore = measured.map((p) => this.sentLayers(p.id)).join();
      await Promise.all(measured.map((p) => this.measureLayers(p, nowMs)));
      if (measured.map((p) => this.sentLayers(p.id)).join() !== sentBefore) this.inputsChanged = true;
      await this.readStatsForMetrics(nowMs);
    } catch (err) {
      if (!this.media.isClosed) this.logger.warn({ err }, 'adaptation stats read failed');
    } finally {
      this.running = false;
      if (this.roundWanted) this.soon();
    }
  }

  /** What a round's inputs from mediasoup and the other nodes come from: objects, their paused flags, readiness, pipes, the layers other nodes want. */
  private mediaShape(): string {
    let shape = this.media.participantIds().join();
    for (const p of this.media.producers()) {
      shape += `|${p.id}${+p.paused}${+(p.appData.muted === true)}>${this.media.pipes.pipedTo(p.id).join()}`;
      for (const [nodeId, layer] of this.hooks.reportedWants(p.id)) shape += `,${nodeId}=${layer}`;
    }
    for (const p of this.media.pipedProducers()) shape += `|${p.id}${+p.paused}`;
    for (const c of this.media.consumers()) shape += `|${c.id}${+c.paused}${+c.producerPaused}${+(c.appData.clientReady === true)}`;
    return shape;
  }

  /** This node's video producers, and those piped in from other nodes (measured too: their layer bitrates guide this node's viewers). */
  private videoProducers(): { own: Producer[]; piped: Producer[] } {
    const video = (p: Producer) => p.kind === 'video' && !p.closed;
    return { own: this.media.producers().filter(video), piped: this.media.pipedProducers().filter(video) };
  }

  private sentLayers(producerId: string): string {
    return (this.layerBitrates.get(producerId) ?? []).map((b) => +(b > 0)).join('');
  }

  private readyConsumers(viewerId: string): Consumer[] {
    return this.media.consumersOf(viewerId).filter((c) => !c.closed && c.appData.clientReady);
  }

  private sampleViewer(viewerId: string, consumers: Consumer[]): void {
    if (consumers.length === 0) return;
    mediaMetrics.downlinkEstimate(this.media.downlinkEstimate(viewerId));
    for (const c of consumers) mediaMetrics.consumerScore(c.kind, c.score.score);
  }

  private metricsDue(nowMs: number): boolean {
    return this.metricsReadAt === undefined || nowMs - this.metricsReadAt >= this.config.metricsStatsMs;
  }

  /** One round: uplinks, then each viewer's layers, then the layers publishers need send. */
  async tick(nowMs = Date.now()): Promise<void> {
    if (this.running || this.closed || this.media.isClosed) return;
    this.running = true;
    this.roundWanted = false;
    this.inputsChanged = false;
    this.steady = true;
    try {
      const { own: videoProducers, piped } = this.videoProducers();
      const measured = [...videoProducers, ...piped];
      const consumers = this.media.consumers().filter((c) => !c.closed);
      this.forgetClosed(new Set(measured.map((p) => p.id)), new Set(consumers.map((c) => c.id)));
      for (const p of measured) this.watch(p, () => { this.layersStale.add(p.id); this.soon(); });
      for (const c of consumers) if (c.kind === 'video') this.watch(c, () => { this.lossStale.add(c.id); this.soon(); }, this.nacks);
      await Promise.all([
        ...measured.filter((p) => this.layersDue(p.id, nowMs)).map((p) => this.measureLayers(p, nowMs)),
        ...consumers.filter((c) => this.lossStale.has(c.id)).map((c) => this.readLoss(c, nowMs)),
      ]);
      for (const p of videoProducers) await this.stepUplink(p, nowMs);
      const wanted = new Map<string, (number | null)[]>();
      for (const viewerId of this.media.participantIds()) {
        for (const d of await this.adaptViewer(viewerId, nowMs)) {
          if (d.kind !== 'video') continue;
          const producerId = this.media.consumersOf(viewerId).find((c) => c.id === d.consumerId)?.producerId;
          if (producerId) wanted.set(producerId, [...(wanted.get(producerId) ?? []), d.wantedSpatialLayer]);
        }
      }
      this.hooks.reportPipedInWants(pipedInWants(piped.map((p) => p.id), wanted));
      for (const p of videoProducers) {
        this.trimLayers(p, wantedWithPipes({
          local: wanted.get(p.id) ?? [], layerCount: p.rtpParameters.encodings?.length ?? 1, pipedTo: this.media.pipes.pipedTo(p.id), reported: this.hooks.reportedWants(p.id),
        }), nowMs);
      }
      this.updateQuality();
      if (this.layersStale.size > 0) this.steady = false; // a score change asked for a re-read that was not due yet
      if (this.metricsDue(nowMs)) await this.readStatsForMetrics(nowMs);
    } catch (err) {
      this.steady = false;
      if (!this.media.isClosed) this.logger.warn({ err }, 'adaptation round failed');
    } finally {
      this.running = false;
      if (this.roundWanted) this.soon();
    }
  }

  /** Calls `changed` on each score change of a producer or consumer (and has `nacks` watch a consumer), until it closes or this closes. */
  private watch(object: Producer | Consumer, changed: () => void, nacks?: NackWatch): void {
    if (this.watched.has(object.id)) return;
    const emitter = object as unknown as NodeJS.EventEmitter;
    emitter.on('score', changed);
    const unwatchNacks = nacks?.watch(object as Consumer);
    this.watched.set(object.id, () => { emitter.off('score', changed); unwatchNacks?.(); });
  }

  private layersDue(producerId: string, nowMs: number): boolean {
    const at = this.layersReadAt.get(producerId);
    if (at === undefined) return true;
    return nowMs - at >= (this.layersStale.has(producerId) ? LAYER_STATS_MIN_GAP_MS : this.config.layerStatsMs);
  }

  /** State kept for producers and consumers that have closed since the last round. */
  private forgetClosed(liveProducers: Set<string>, liveConsumers: Set<string>): void {
    for (const map of [this.uplinks, this.layerUse, this.layerBitrates, this.temporalBitrates, this.layersReadAt]) {
      for (const id of map.keys()) if (!liveProducers.has(id)) map.delete(id);
    }
    for (const id of this.layersStale) if (!liveProducers.has(id)) this.layersStale.delete(id);
    for (const map of [this.viewports, this.consumerLoss, this.rttBases]) {
      for (const id of map.keys()) if (!liveConsumers.has(id)) map.delete(id);
    }
    for (const id of this.lossStale) if (!liveConsumers.has(id)) this.lossStale.delete(id);
    for (const [id, unwatch] of this.watched) {
      if (liveProducers.has(id) || liveConsumers.has(id)) continue;
      unwatch();
      this.watched.delete(id);
    }
  }

  private async measureLayers(producer: Producer, nowMs: number): Promise<void> {
    this.layersReadAt.set(producer.id, nowMs);
    this.layersStale.delete(producer.id);
    const stats = await producer.getStats().catch(() => []);
    this.metrics.producerStats(producer, stats);
    const encodings = producer.rtpParameters.encodings ?? [];
    const byEncoding = encodings.map((e) => stats.find((x) => (e.rid !== undefined && x.rid === e.rid) || (e.ssrc !== undefined && x.ssrc === e.ssrc)) ?? (encodings.length === 1 ? stats[0] : undefined));
    this.layerBitrates.set(producer.id, byEncoding.map((s) => s?.bitrate ?? 0));
    this.temporalBitrates.set(producer.id, byEncoding.map((s) => (s ? temporalBitrates(s) : [])));
    if (this.logger.isLevelEnabled('debug')) this.logger.debug({ producerId: producer.id, layers: this.temporalBitrates.get(producer.id) }, 'producer temporal layer bitrates');
  }

  /** The fraction lost in the viewer's latest receiver report (RTCP fraction lost, /256) for this consumer, and what the viewer was sent in all. */
  private async readLoss(consumer: Consumer, nowMs: number): Promise<void> {
    this.lossStale.delete(consumer.id);
    const [stats, sentBitrate] = await Promise.all([consumer.getStats().catch(() => []), this.media.downlinkSendBitrate(consumer.appData.participantId)]);
    const sent = stats.find((s) => s.type === 'outbound-rtp');
    if (!sent) return;
    this.consumerLoss.set(consumer.id, { fraction: sent.fractionLost / 256, atMs: nowMs, rttMs: sent.roundTripTime ?? 0, ...(sentBitrate ? { sentBitrate } : {}) });
    this.learnRtt(consumer.id, sent.roundTripTime, nowMs);
  }

  /** Every read of a video consumer's stats teaches its path's round trip, calm ones (the metrics reads) most. */
  private learnRtt(consumerId: string, rttMs: number | undefined, nowMs: number): void {
    const base = rttMs === undefined ? undefined : nextRttBase(this.rttBases.get(consumerId), rttMs, nowMs);
    if (base) this.rttBases.set(consumerId, base);
  }


  private async stepUplink(producer: Producer, nowMs: number): Promise<void> {
    const owner = producer.appData.participantId;
    const state = this.uplinks.get(producer.id) ?? initialUplinkState(nowMs);
    const stopped = state.mode === 'video-stopped';
    const stats = this.senderStats.get(owner) ?? {};
    const input = {
      producerScore: producer.score.find((s) => s.encodingIdx === 0)?.score ?? producer.score[0]?.score,
      // A browser's send estimate is meaningless while it sends no video: probe by trying video again instead.
      availableOutgoingBitrate: stopped ? undefined : stats.availableOutgoingBitrate,
      qualityLimitationReason: stats.qualityLimitationReason,
      lossFraction: stats.lossFraction,
      roundTripTimeMs: stats.roundTripTimeMs,
      sendBitrate: stats.sendBitrate,
      producerPaused: producer.appData.muted === true,
    };
    const { state: next, events } = stepUplink(state, input, nowMs, this.config);
    this.uplinks.set(producer.id, next);
    if (events.length > 0 || !uplinkSteady(next, nowMs, this.config)) this.steady = false;
    // The last report describes the video before this change: judge only reports that come after it.
    if (events.length > 0) this.senderStats.delete(owner);
    for (const e of events) {
      const enabled = e.to === 'sending';
      producer.appData.uplinkStopped = !enabled;
      if (enabled && !producer.appData.muted) await producer.resume();
      if (!enabled) await producer.pause();
      if (!enabled) mediaMetrics.videoPaused('sender-network');
      this.logger.info({ producerId: producer.id, participantId: owner, enabled, input }, 'uplink video fallback');
      this.hooks.notify(owner, 'sendVideo', { producerId: producer.id, enabled, reason: 'sender-network' });
      const event = { participantId: owner, producerId: producer.id, reason: 'sender-network' as const };
      this.hooks.broadcast(enabled ? 'videoResumed' : 'videoPaused', event);
    }
  }

  private async adaptViewer(viewerId: string, nowMs: number): Promise<ConsumerDecision[]> {
    const consumers = this.readyConsumers(viewerId);
    if (consumers.length === 0) return [];
    this.sampleViewer(viewerId, consumers);
    const inputs = consumers.map((c) => this.consumerInput(viewerId, c, nowMs));
    const estimate = this.media.downlinkEstimate(viewerId);
    if (estimate === undefined) this.estimateInRound.delete(viewerId);
    else this.estimateInRound.set(viewerId, estimate);
    const result = chooseLayers({ nowMs, availableBitrate: estimate, consumers: inputs, state: this.subscribers.get(viewerId) }, this.config);
    this.subscribers.set(viewerId, result.state);
    if (result.events.length > 0 || !layersSteady(inputs, result.state, this.config)) this.steady = false;
    if (this.logger.isLevelEnabled('debug')) this.logger.debug({ viewerId, availableBitrate: this.media.downlinkEstimate(viewerId), mode: result.state.downlink.mode, pauses: result.state.downlink.pauses,
      video: consumers.filter((c) => c.kind === 'video').map((c) => ({ score: c.score.score, loss: freshLoss(this.consumerLoss.get(c.id), nowMs), nackRatio: this.nacks.ratio(c.id, nowMs), queueDelayMs: inputs.find((i) => i.consumerId === c.id)?.queueDelayMs, paused: c.paused, layer: result.state.consumers[c.id]?.spatialLayer, temporalLayer: result.state.consumers[c.id]?.temporalLayer })) }, 'downlink round');
    for (const d of result.perConsumer) {
      const consumer = consumers.find((c) => c.id === d.consumerId);
      if (consumer) await this.apply(consumer, d);
    }
    for (const e of result.events) {
      if (e.type !== 'layersChanged') {
        const inputs = consumers.filter((c) => c.kind === 'video').map((c) => ({ consumerId: c.id, score: c.score.score, producerScore: c.score.producerScore }));
        this.logger.info({ viewerId, event: e, availableBitrate: this.media.downlinkEstimate(viewerId), downlink: result.state.downlink, consumers: inputs }, 'downlink video fallback');
      }
      this.announce(viewerId, consumers, e);
    }
    return result.perConsumer;
  }

  private consumerInput(viewerId: string, c: Consumer, nowMs: number): ConsumerInput {
    const publisher = c.appData.producerParticipantId;
    const full = this.fullQuality.get(viewerId)?.has(publisher);
    const patientForProvider = this.hooks.roleOf(viewerId) === 'provider' && this.hooks.roleOf(publisher) === 'patient';
    const loss = c.kind === 'video' ? this.consumerLoss.get(c.id) : undefined;
    return {
      consumerId: c.id,
      kind: c.kind,
      producerLayerBitrates: this.layerBitrates.get(c.producerId) ?? [],
      producerTemporalBitrates: this.temporalBitrates.get(c.producerId),
      viewport: this.viewports.get(c.id),
      priority: full ? 'full-quality' : patientForProvider ? 'patient-for-provider' : 'normal',
      score: c.score.score,
      lossFraction: freshLoss(loss, nowMs),
      lossAtMs: loss?.atMs,
      lossSentBitrate: loss?.sentBitrate,
      nackRatio: c.kind === 'video' ? this.nacks.ratio(c.id, nowMs) : undefined,
      queueDelayMs: queueDelay(this.rttBases.get(c.id), fresh(loss, nowMs)?.rttMs),
      // A producer stopped by the uplink fallback is judged as sending: its viewers keep their layer state.
      producerPaused: c.producerPaused && c.kind === 'video' && this.producerMuted(c.producerId),
      consumerPausedByApp: false,
    };
  }

  private producerMuted(producerId: string): boolean {
    return this.media.producers().find((p) => p.id === producerId)?.appData.muted === true;
  }

  private async apply(consumer: Consumer, d: ConsumerDecision): Promise<void> {
    if (d.paused && !consumer.appData.policyPaused) {
      consumer.appData.policyPaused = true;
      await consumer.pause();
    } else if (!d.paused && consumer.appData.policyPaused) {
      consumer.appData.policyPaused = false;
      await consumer.resume();
    }
    if (consumer.kind !== 'video' || consumer.type !== 'simulcast') return;
    const layers = (l: types.ConsumerLayers | undefined) => l && { spatialLayer: l.spatialLayer, temporalLayer: l.temporalLayer ?? 0 };
    const target = { spatialLayer: d.spatialLayer, temporalLayer: d.temporalLayer };
    const change = layerSwitch(layers(consumer.currentLayers), layers(consumer.preferredLayers), target, d.reason === 'bandwidth');
    if (change?.clearFirst && !consumer.paused) {
      await consumer.pause();
      await consumer.setPreferredLayers(target).finally(() => consumer.resume());
    } else if (change) await consumer.setPreferredLayers(target);
    if (consumer.priority !== d.priority) await consumer.setPriority(d.priority);
  }

  private announce(viewerId: string, consumers: Consumer[], e: LayerEvent): void {
    const consumer = consumers.find((c) => c.id === e.consumerId);
    if (!consumer) return;
    const participantId = consumer.appData.producerParticipantId;
    if (e.type === 'layersChanged') {
      mediaMetrics.layerSwitch(stepKey(e.spatialLayer, e.temporalLayer, this.config) > stepKey(e.previousSpatialLayer, e.previousTemporalLayer, this.config) ? 'up' : 'down');
      this.hooks.notify(viewerId, 'layersChanged', { participantId, consumerId: consumer.id, spatialLayer: e.spatialLayer, temporalLayer: e.temporalLayer, reason: e.reason });
      return;
    }
    if (e.type === 'videoPaused') mediaMetrics.videoPaused(e.reason);
    const event = { participantId, producerId: consumer.producerId, viewerId, reason: e.reason };
    this.hooks.notify(viewerId, e.type, event);
    this.hooks.notify(participantId, e.type, event);
  }

  /** Every metricsStatsMs: what the rounds do not read (audio producers, consumers), for metrics. */
  private async readStatsForMetrics(nowMs: number): Promise<void> {
    this.metricsReadAt = nowMs;
    const audio = this.media.producers().filter((p) => p.kind === 'audio' && !p.closed);
    const consumers = this.media.consumers().filter((c) => !c.closed);
    await Promise.all([
      ...audio.map(async (p) => this.metrics.producerStats(p, await p.getStats().catch(() => []))),
      ...consumers.map(async (c) => {
        const stats = await c.getStats().catch(() => []);
        this.metrics.consumerStats(c, stats);
        if (c.kind === 'video') this.learnRtt(c.id, stats.find((s) => s.type === 'outbound-rtp')?.roundTripTime, nowMs);
      }),
    ]);
    this.metrics.endRound(); // video producers were read by measureLayers (every layerStatsMs) since the last call
  }

  private trimLayers(producer: Producer, wanted: (number | null)[], nowMs: number): void {
    const layerCount = producer.rtpParameters.encodings?.length ?? 1;
    if (layerCount < 2) return;
    const result = activeLayers({ nowMs, layerCount, hasSubscribers: wanted.length > 0, wantedLayers: wanted, state: this.layerUse.get(producer.id) }, this.config);
    this.layerUse.set(producer.id, result.state);
    if (result.changed || !unusedLayersSteady(result.state, nowMs)) this.steady = false;
    if (!result.changed) return;
    const spatialLayer = Math.max(0, result.activeLayers.lastIndexOf(true));
    this.hooks.notify(producer.appData.participantId, 'maxSpatialLayer', { producerId: producer.id, spatialLayer });
  }

  private updateQuality(): void {
    for (const id of this.media.participantIds()) {
      const consumers = this.media.consumersOf(id).filter((c) => c.appData.clientReady);
      const down = networkQuality({
        score: consumers.length ? Math.min(...consumers.map((c) => c.score.score)) : undefined,
        availableBitrate: this.media.downlinkEstimate(id),
        audioOnly: this.subscribers.get(id)?.downlink.mode === 'audio-only',
      }, this.config);
      const video = this.media.producers().find((p) => p.appData.participantId === id && p.kind === 'video');
      const up = video ? networkQuality({
        score: video.score.find((s) => s.encodingIdx === 0)?.score,
        availableBitrate: this.senderStats.get(id)?.availableOutgoingBitrate,
        audioOnly: this.uplinks.get(video.id)?.mode === 'video-stopped',
      }, this.config) : down;
      const quality = consumers.length ? worseQuality(down, up) : up;
      if (this.quality.get(id) === quality) continue;
      this.quality.set(id, quality);
      this.hooks.broadcast('networkQuality', { participantId: id, quality });
    }
  }
}
