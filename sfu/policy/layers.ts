/**
 * Layer choice for one subscriber: which spatial/temporal layer, mediasoup
 * priority and paused state each of its consumers should have. Call it on a
 * 1-second tick and whenever an input changes (new estimate, viewport, consumer
 * added or closed, priority), passing back the `state` it returned last time.
 *
 * Allocation: audio is reserved first, then video consumers in priority order
 * (full-quality, a provider's view of the patient, the rest) take the best
 * step that fits what is left, never above what their viewport can show.
 * A step is a spatial layer at a temporal layer (frame rate); see ladderOf.
 */
import { DEFAULT_POLICY, TEMPORAL_SHARES, type LayerSpec, type PolicyConfig } from './config.ts';
import { type DownlinkMode, type DownlinkState, downlinkSteady, heldFor, initialDownlinkState, stepDownlink, sustainedSince } from './fallback.ts';

export type VideoPriority = 'normal' | 'patient-for-provider' | 'full-quality';

export interface ConsumerInput {
  consumerId: string;
  kind: 'audio' | 'video';
  /** Measured bps of each spatial layer the SFU receives from the publisher (producer stats per encoding); 0 or missing = not sent. Ignored for audio. */
  producerLayerBitrates: readonly number[];
  /**
   * Per spatial layer, the measured cumulative bps of each temporal layer (T0, T0+T1, ...: producer stats
   * `bitrateByLayer`); 0 = that temporal layer is not sent; fewer entries than `temporalLayers` = the encoding
   * has no lower temporal layers to step to. Missing = unknown: TEMPORAL_SHARES of the spatial layer's rate.
   */
  producerTemporalBitrates?: readonly (readonly number[] | undefined)[];
  /** Size (device pixels) at which the SDK renders this video; undefined = unknown, no cap; 0x0 = hidden, lowest layer. */
  viewport?: { width: number; height: number };
  priority: VideoPriority;
  /** mediasoup consumer score (0-10); below stepUpMinScore it blocks step ups. */
  score?: number;
  /** Fraction (0-1) lost in the viewer's latest receiver report for this consumer; undefined when there is no fresh one. */
  lossFraction?: number;
  /** When that report was read (ms; undefined: now). Judged for a pause only while no step down has come after it. */
  lossAtMs?: number;
  /** What the SFU sent this viewer in all (bps: every video and audio, retransmissions, probation) when that report was read. */
  lossSentBitrate?: number;
  /** Packets the viewer asked to be resent (NACK) per packet sent, in its latest short window of NACKs; undefined when none is fresh. */
  nackRatio?: number;
  /** How far the round trip in the viewer's latest receiver report is above the lowest seen on its path (ms, queue-delay.ts): a queue building up; undefined when none is fresh. */
  queueDelayMs?: number;
  producerPaused: boolean;
  consumerPausedByApp: boolean;
}

export interface ConsumerState {
  /** Step chosen last (while paused: the step video resumes at): spatial and temporal layer. */
  spatialLayer: number;
  temporalLayer: number;
  /** Paused by this policy for bandwidth. */
  paused: boolean;
  /** Pause machine of this consumer; the subscriber's own machine stands in for the first video in priority order. */
  gate: DownlinkState;
  downSinceMs: number | null;
  /** Per step, indexed spatial * temporalLayers + temporal: start of the run in which it has fitted the budget. */
  fitSinceMs: (number | null)[];
  lastStepUpMs: number | null;
  lastStepDownMs: number | null;
  /** Highest step (key) left by the step downs of the last fallbackPauseMs: what the viewer's next reports may still describe. */
  stepDownFrom: number | null;
  /** Step ups undone by a step down soon after; each doubles the step-up wait. */
  failedStepUps: number;
  /** Highest layer the viewport (or full quality) allowed on the last call. */
  viewportCap: number;
}

export interface SubscriberState {
  downlink: DownlinkState;
  consumers: Record<string, ConsumerState>;
}

export interface ChooseLayersInput {
  nowMs: number;
  /** Downlink estimate (bps): `info.availableBitrate` of the recv transport's `bwe` trace event; undefined until the first one. */
  availableBitrate: number | undefined;
  consumers: readonly ConsumerInput[];
  /** The `state` of the previous result; undefined on the first call. */
  state: SubscriberState | undefined;
}

export type DecisionReason = 'bandwidth' | 'viewport' | 'recovering' | 'muted' | 'paused-by-app';
export type LayerChangeReason = 'bandwidth' | 'viewport' | 'publisher-layers';

export interface ConsumerDecision {
  consumerId: string;
  kind: 'audio' | 'video';
  /** Preferred layers to set (video only). */
  spatialLayer: number;
  temporalLayer: number;
  /** mediasoup consumer priority, 1-255. */
  priority: number;
  /** Whether the consumer should be paused at the SFU (by this policy or by the app). */
  paused: boolean;
  /** Bitrate (bps) this consumer was granted from the budget. */
  allocatedBitrate: number;
  /** Highest layer this viewer could use now, counting layers the publisher does not send; null = wants no video. For unused-layers. */
  wantedSpatialLayer: number | null;
  /** Why the consumer is paused or below its best layer. */
  reason?: DecisionReason;
}

export type LayerEvent =
  | {
    type: 'layersChanged'; consumerId: string; spatialLayer: number; temporalLayer: number;
    previousSpatialLayer: number; previousTemporalLayer: number; reason: LayerChangeReason;
  }
  | { type: 'videoPaused'; consumerId: string; reason: 'bandwidth' }
  | { type: 'videoResumed'; consumerId: string; spatialLayer: number; temporalLayer: number; reason: 'bandwidth' };

export interface ChooseLayersResult {
  perConsumer: ConsumerDecision[];
  state: SubscriberState;
  events: LayerEvent[];
  /** The subscriber's downlink mode; `audio-only` feeds networkQuality. */
  mode: DownlinkMode;
}

const RANK: Record<VideoPriority, number> = { 'full-quality': 0, 'patient-for-provider': 1, normal: 2 };

/** Smallest layer at least as wide and tall as the rendered size; the top layer when the size is unknown or larger. */
export function viewportLayerCap(viewport: ConsumerInput['viewport'], layers: readonly LayerSpec[]): number {
  const top = layers.length - 1;
  if (!viewport) return top;
  if (viewport.width <= 0 || viewport.height <= 0) return 0;
  const index = layers.findIndex((l) => l.width >= viewport.width && l.height >= viewport.height);
  return index === -1 ? top : index;
}

function priorityOf(c: ConsumerInput, config: PolicyConfig): number {
  if (c.kind === 'audio') return config.priorityAudio;
  if (c.priority === 'full-quality') return config.priorityFullQuality;
  return c.priority === 'patient-for-provider' ? config.priorityPatientForProvider : config.priorityNormal;
}

/** A step's key: spatial * temporalLayers + temporal, so that keys order the steps by bitrate. */
export const stepKey = (spatialLayer: number, temporalLayer: number, config: PolicyConfig) => spatialLayer * config.temporalLayers + temporalLayer;
const spatialOf = (key: number, config: PolicyConfig) => Math.floor(key / config.temporalLayers);
const temporalOf = (key: number, config: PolicyConfig) => key % config.temporalLayers;
const stepCount = (config: PolicyConfig) => config.layers.length * config.temporalLayers;
/** The key of a spatial layer's top temporal layer (full frame rate). */
const topOf = (spatialLayer: number, config: PolicyConfig) => stepKey(spatialLayer, config.temporalLayers - 1, config);

/** Bps of a step, sent or not: measured where known, else nominal (config layer bitrate, TEMPORAL_SHARES). */
export function stepRate(c: ConsumerInput, key: number, config: PolicyConfig): number {
  const [spatial, temporal, top] = [spatialOf(key, config), temporalOf(key, config), config.temporalLayers - 1];
  const measured = c.producerLayerBitrates[spatial] ?? 0;
  const layer = measured > 0 ? measured : config.layers[spatial]!.bitrate;
  if (temporal === top) return layer;
  const cumulative = c.producerTemporalBitrates?.[spatial]?.[temporal] ?? 0;
  return cumulative > 0 ? cumulative : layer * TEMPORAL_SHARES[config.temporalLayers]![temporal]!;
}

/**
 * The steps one video consumer walks, as keys, lowest first: every temporal
 * layer of the lowest spatial layer the publisher sends, the top two of each
 * higher one; with L1T3, 180p at 7.5, 15 and 30 fps, 360p at 15 and 30, 720p
 * at 15 and 30. So 720p at 15 fps comes before 360p, 180p at 7.5 fps before
 * audio-only. A lower temporal layer measured as not sent is left out.
 */
interface Ladder {
  sent: number[];
  /** The lowest spatial layer at full frame rate (180p@30): what a resume comes back at, and what its margin is judged by. */
  lowestFullRate: number;
  rate: (key: number) => number;
  atMost: (key: number) => number;
}

function ladderOf(c: ConsumerInput, config: PolicyConfig): Ladder {
  const count = config.temporalLayers;
  const spatial = config.layers.map((_, l) => l).filter((l) => (c.producerLayerBitrates[l] ?? 0) > 0);
  // A lower temporal layer is a step when it is sent and saves bitrate (VP8 without temporal layer ids is all T0).
  const temporalSent = (l: number, t: number) => {
    const measured = c.producerTemporalBitrates?.[l];
    return t === count - 1 || measured === undefined || (measured.length === count && measured[t]! > 0 && measured[t]! < c.producerLayerBitrates[l]!);
  };
  const sent = spatial.flatMap((l, i) => Array.from({ length: count }, (_, t) => t)
    .filter((t) => (i === 0 || t >= count - 2) && temporalSent(l, t))
    .map((t) => stepKey(l, t, config)));
  return {
    sent,
    lowestFullRate: sent.filter((k) => spatialOf(k, config) === spatialOf(sent[0] ?? 0, config)).pop() ?? 0,
    rate: (key) => stepRate(c, key, config),
    atMost: (key) => sent.filter((k) => k <= key).pop() ?? sent[0]!,
  };
}

function newConsumerState(nowMs: number, key: number, config: PolicyConfig, paused: boolean): ConsumerState {
  return {
    spatialLayer: spatialOf(key, config), temporalLayer: temporalOf(key, config), paused, gate: initialDownlinkState(nowMs, paused ? 'audio-only' : 'normal'),
    downSinceMs: null, fitSinceMs: Array<number | null>(stepCount(config)).fill(null),
    lastStepUpMs: null, lastStepDownMs: null, stepDownFrom: null, failedStepUps: 0, viewportCap: config.layers.length - 1,
  };
}

/** Where a step down on a low score alone goes: the lowest step of the next lower spatial layer; on the lowest spatial layer, the lowest step. */
function scoreStepDown(sent: number[], key: number, config: PolicyConfig): number {
  const lower = sent.filter((k) => spatialOf(k, config) < spatialOf(key, config));
  const spatial = lower.length > 0 ? spatialOf(lower[lower.length - 1]!, config) : spatialOf(sent[0]!, config);
  return sent.find((k) => spatialOf(k, config) === spatial)!;
}

/**
 * The queue delay, counted for a step down or a pause only with loss the viewer reports on its downlink (its receiver
 * report or NACKs): a round trip also crosses the viewer's uplink, whose queue (its own video) is not this video's to relieve.
 */
const downlinkQueueMs = (c: ConsumerInput) => ((c.lossFraction ?? 0) > 0 || (c.nackRatio ?? 0) > 0 ? c.queueDelayMs ?? 0 : 0);

interface LayerStep { next: ConsumerState; change?: LayerChangeReason }

/** Moves an unpaused video consumer's layer by one tick's worth, with hysteresis. */
function stepLayer(
  s: ConsumerState, c: ConsumerInput, ladder: Ladder, viewportCap: number, budget: number | undefined, recovering: boolean, nowMs: number, config: PolicyConfig,
): LayerStep {
  const { sent, rate, atMost } = ladder;
  const cap = recovering ? topOf(spatialOf(sent[0]!, config), config) : topOf(viewportCap, config);
  // A queue half as deep as a step down needs already holds the layer.
  const upAllowed = (c.score === undefined || c.score >= config.stepUpMinScore) && !((c.queueDelayMs ?? 0) >= config.stepDownQueueMs / 2);
  const next: ConsumerState = { ...s, viewportCap };
  let layer = stepKey(s.spatialLayer, s.temporalLayer, config);
  let change: LayerChangeReason | undefined;

  if (!sent.includes(layer)) [layer, change] = [atMost(layer), 'publisher-layers'];
  if (layer > atMost(cap)) [layer, change] = [atMost(cap), recovering ? 'bandwidth' : 'viewport'];

  // A higher layer fits for a step up only with headroom: a step up that would just fill the link is not tried.
  const fits = (l: number) => budget !== undefined && (l <= layer ? rate(l) <= budget : upAllowed && rate(l) * config.stepUpHeadroom <= budget);
  next.fitSinceMs = Array.from({ length: stepCount(config) }, (_, k) => sustainedSince(s.fitSinceMs[k] ?? null, fits(k), nowMs));
  const above = layer > sent[0]!;
  const short = budget !== undefined && above && rate(layer) > budget;
  next.downSinceMs = sustainedSince(s.downSinceMs, short, nowMs);
  const upWaitMs = Math.min(config.stepUpAfterMs * 2 ** s.failedStepUps, config.stepUpMaxMs);
  // Fast signals: a deep shortfall needs no confirming; a low score (loss at the viewer) steps down before the estimate does.
  const deep = short && rate(layer) > budget! * config.stepDownNowFactor;
  const lossHigh = c.lossFraction !== undefined && c.lossFraction >= config.stepDownLoss;
  const nacking = c.nackRatio !== undefined && c.nackRatio >= config.stepDownNackRatio;
  // Not while recovering (on the lowest spatial layer): the first reports after a resume may describe the time before it.
  const judged = above && !recovering && (s.lastStepDownMs === null || nowMs - s.lastStepDownMs >= config.recoverHoldMs);
  const lossy = judged && ((c.score !== undefined && c.score <= config.stepDownScore) || lossHigh || nacking);
  // A queue building up (the round trip growing) with some loss on the downlink: one step down.
  const queued = judged && downlinkQueueMs(c) >= config.stepDownQueueMs;

  if (deep || lossy || queued || heldFor(next.downSinceMs, nowMs, config.stepDownAfterMs)) {
    const below = sent.filter((l) => l < layer);
    // What gets through: the budget when short; the share of this layer the viewer's report says arrived when lossy.
    const through = Math.min(short ? budget! : Infinity, lossHigh ? rate(layer) * (1 - c.lossFraction!) : Infinity);
    // How far the signal itself goes: a low score or NACKs (loss, not how much; the estimate lags behind it) one spatial layer
    // down, a queue one step; the budget and a report's survivors say how far they go.
    const ceiling = lossy && !lossHigh ? scoreStepDown(sent, layer, config) : queued ? below[below.length - 1]! : layer;
    const fitting = below.filter((l) => rate(l) <= through && l <= ceiling);
    const recent = s.lastStepDownMs !== null && nowMs - s.lastStepDownMs < config.fallbackPauseMs && s.stepDownFrom !== null;
    next.stepDownFrom = recent ? Math.max(s.stepDownFrom!, layer) : layer;
    [layer, change] = [fitting.pop() ?? sent[0]!, 'bandwidth'];
    // What was left did not get through, whatever the estimate says: a step up proves its fit anew from here.
    next.fitSinceMs = next.fitSinceMs.map((since, l) => (l > layer ? null : since));
    next.downSinceMs = null;
    next.lastStepDownMs = nowMs;
    if (s.lastStepUpMs !== null && nowMs - s.lastStepUpMs < config.backoffResetMs) next.failedStepUps++;
  } else if (change === undefined && !recovering) {
    const ready = sent.filter((l) => l > layer && l <= cap && heldFor(next.fitSinceMs[l]!, nowMs, upWaitMs));
    const heldByViewport = topOf(s.viewportCap, config) <= layer;
    const nextUp = sent.find((l) => l > layer);
    const intervalOver = s.lastStepUpMs === null || nowMs - s.lastStepUpMs >= config.stepUpIntervalMs;
    if (ready.length > 0 && heldByViewport) [layer, change] = [ready[ready.length - 1]!, 'viewport'];
    else if (nextUp !== undefined && ready.includes(nextUp) && intervalOver) [layer, change] = [nextUp, 'bandwidth'];
    if (change !== undefined) next.lastStepUpMs = nowMs;
  }
  if (next.lastStepDownMs !== null && nowMs - next.lastStepDownMs >= config.backoffResetMs) next.failedStepUps = 0;
  [next.spatialLayer, next.temporalLayer] = [spatialOf(layer, config), temporalOf(layer, config)];
  return change === undefined ? { next } : { next, change };
}

type RankedVideo = { c: ConsumerInput; ladder: Ladder };

/**
 * Lowest layers held back, in priority order, for video consumers that are not
 * paused, so that higher-priority consumers climb only with what is left after
 * every video that can be shown has its lowest layer. Full-quality ignores them.
 */
function reserveFloors(eligible: RankedVideo[], prev: SubscriberState, budget: number | undefined): Map<ConsumerInput, number> {
  const floors = new Map<ConsumerInput, number>();
  let left = budget;
  for (const { c, ladder } of eligible) {
    const floor = ladder.rate(ladder.sent[0]!);
    if (left === undefined || prev.consumers[c.consumerId]?.paused || floor > left) continue;
    floors.set(c, floor);
    left -= floor;
  }
  return floors;
}

export function chooseLayers(input: ChooseLayersInput, config: PolicyConfig = DEFAULT_POLICY): ChooseLayersResult {
  const { nowMs } = input;
  const prev = input.state ?? { downlink: initialDownlinkState(nowMs), consumers: {} };
  const usable = input.availableBitrate === undefined ? undefined : input.availableBitrate * config.bweUsableFraction;
  const flowing = (c: ConsumerInput) => !c.producerPaused && !c.consumerPausedByApp;
  const audioReserve = input.consumers.filter((c) => c.kind === 'audio' && flowing(c)).length * config.audioBitrate;
  const video = input.consumers
    .filter((c) => c.kind === 'video')
    .map((c) => ({ c, ladder: ladderOf(c, config) }))
    .sort((a, b) => RANK[a.c.priority] - RANK[b.c.priority]);
  const eligible = video.filter(({ c, ladder }) => flowing(c) && ladder.sent.length > 0);
  const first = eligible[0];
  const firstState = first && prev.consumers[first.c.consumerId];
  // The viewer's next report may still show the loss of a layer just left: judge the reports only fallbackPauseMs after a step down.
  const judged = firstState !== undefined && !firstState.paused
    && (firstState.lastStepDownMs === null || nowMs - firstState.lastStepDownMs >= config.fallbackPauseMs);
  // A report describes what was sent up to fallbackPauseMs before it was read. The first one after a resume also counts the packets lost
  // before the pause (measured: 58 % lost read 0.2 s after a resume into a freed link): reports read that soon after a resume are not judged.
  const reportAtMs = first?.c.lossAtMs ?? nowMs;
  const resumedAtMs = prev.downlink.resumedAtMs;
  const reportAfterResume = resumedAtMs !== null && reportAtMs >= resumedAtMs && reportAtMs - resumedAtMs < config.fallbackPauseMs;
  const firstLoss = reportAfterResume ? 0 : first?.c.lossFraction ?? 0;
  const firstKey = firstState && stepKey(firstState.spatialLayer, firstState.temporalLayer, config);
  const lowestLayerLost = judged && firstKey === first!.ladder.sent[0]
    && ((first!.c.score !== undefined && first!.c.score <= config.fallbackPauseScore) || firstLoss >= config.fallbackPauseLoss);
  // What was sent before a report: at most the highest layer held then; what got through, at least.
  const reportedLayer = firstState && (firstState.lastStepDownMs !== null && reportAtMs - firstState.lastStepDownMs < config.fallbackPauseMs
    ? Math.max(firstState.stepDownFrom ?? 0, firstKey!) : firstKey);
  const reportBeforeStep = firstState?.lastStepDownMs != null && reportAtMs <= firstState.lastStepDownMs;
  // Retransmissions and probation crowd the link too: what was sent in all, when known, is what the survivors are a share of.
  // What got through is spent like an estimate: bweUsableFraction of it.
  const reportedCapacity = firstState && !firstState.paused && !reportBeforeStep && firstLoss >= config.fallbackPauseLoss
    ? Math.max(first!.ladder.rate(reportedLayer!) + audioReserve, first!.c.lossSentBitrate ?? 0) * (1 - firstLoss) * config.bweUsableFraction : undefined;
  const queueFull = firstKey !== undefined && firstKey <= first!.ladder.lowestFullRate && !reportAfterResume
    && downlinkQueueMs(first!.c) >= config.fallbackPauseQueueMs;
  const downlink = stepDownlink(prev.downlink, {
    usableBitrate: usable,
    audioBitrate: audioReserve,
    lowestVideoBitrate: first ? first.ladder.rate(first.ladder.sent[0]!) : config.layers[0]!.bitrate,
    resumeVideoBitrate: first ? first.ladder.rate(first.ladder.lowestFullRate) : undefined,
    lowestLayerLost,
    reportedCapacity,
    queueFull,
  }, nowMs, config).state;

  const decisions = new Map<string, ConsumerDecision>();
  const consumers: Record<string, ConsumerState> = {};
  const events: LayerEvent[] = [];
  let budget = usable === undefined ? undefined : usable - audioReserve;
  const floors = reserveFloors(eligible, prev, budget);

  for (const c of input.consumers.filter((x) => x.kind === 'audio')) {
    decisions.set(c.consumerId, {
      consumerId: c.consumerId, kind: 'audio', spatialLayer: 0, temporalLayer: 0, priority: priorityOf(c, config),
      paused: c.consumerPausedByApp, allocatedBitrate: flowing(c) ? config.audioBitrate : 0, wantedSpatialLayer: null,
      ...(c.consumerPausedByApp ? { reason: 'paused-by-app' as const } : c.producerPaused ? { reason: 'muted' as const } : {}),
    });
  }

  for (const [index, { c, ladder }] of video.entries()) {
    const id = c.consumerId;
    const before = prev.consumers[id];
    const decide = (s: ConsumerState, allocatedBitrate: number, wanted: number | null, reason?: DecisionReason) => {
      consumers[id] = s;
      decisions.set(id, {
        consumerId: id, kind: 'video', spatialLayer: s.spatialLayer, temporalLayer: s.temporalLayer, priority: priorityOf(c, config),
        paused: s.paused || c.consumerPausedByApp, allocatedBitrate, wantedSpatialLayer: wanted, ...(reason ? { reason } : {}),
      });
    };

    if (!eligible.some((e) => e.c === c)) {
      const held = before ?? newConsumerState(nowMs, topOf(0, config), config, false);
      const reason = c.consumerPausedByApp ? 'paused-by-app' : c.producerPaused ? 'muted' : held.paused ? 'bandwidth' : undefined;
      decide({ ...held, downSinceMs: null, fitSinceMs: held.fitSinceMs.map(() => null), gate: { ...held.gate, belowSinceMs: null, aboveSinceMs: null } }, 0, null, reason);
      continue;
    }

    const { sent, rate, atMost } = ladder;
    const lowest = sent[0]!;
    const viewportCap = c.priority === 'full-quality' ? config.layers.length - 1 : viewportLayerCap(c.viewport, config.layers);
    const floorsAfter = c.priority === 'full-quality' ? 0
      : video.slice(index + 1).reduce((sum, v) => sum + (floors.get(v.c) ?? 0), 0);
    const own = budget === undefined ? undefined : budget - floorsAfter;
    const startLayer = own === undefined ? lowest : (sent.filter((l) => l <= topOf(viewportCap, config) && rate(l) <= own).pop() ?? lowest);
    const s = before ?? newConsumerState(nowMs, startLayer, config, false);

    const gate = c === first?.c ? downlink
      : downlink.mode === 'audio-only' ? { ...downlink, aboveSinceMs: null }
      : stepDownlink(s.gate, { usableBitrate: own, audioBitrate: 0, lowestVideoBitrate: rate(lowest), resumeVideoBitrate: rate(ladder.lowestFullRate) }, nowMs, config).state;
    const paused = gate.mode === 'audio-only';
    // A higher spatial layer is wanted when its lowest step (second-highest temporal layer) would fit.
    const lowestStepOf = (x: number) => stepKey(x, Math.max(config.temporalLayers - 2, 0), config);
    const wantedWithin = (l: number) => Math.max(l, ...config.layers.map((_, x) => x).filter((x) => x <= viewportCap && own !== undefined && rate(lowestStepOf(x)) <= own));
    const lowestStep = { spatialLayer: spatialOf(lowest, config), temporalLayer: temporalOf(lowest, config) };

    if (paused) {
      decide({ ...s, ...lowestStep, paused, gate, downSinceMs: null, fitSinceMs: s.fitSinceMs.map(() => null) }, 0, null, 'bandwidth');
      if (!before?.paused) events.push({ type: 'videoPaused', consumerId: id, reason: 'bandwidth' });
      continue;
    }
    const recovering = gate.mode === 'recovering' || downlink.mode === 'recovering';
    // A resume comes back at the lowest spatial layer's full frame rate when this video's own budget carries it with
    // the resume margin (the gate judged the subscriber's), else on the lowest step.
    const resumeAt = own !== undefined && rate(ladder.lowestFullRate) * config.fallbackResumeFactor <= own ? ladder.lowestFullRate : lowest;
    const resumed = s.paused ? { ...s, spatialLayer: spatialOf(resumeAt, config), temporalLayer: temporalOf(resumeAt, config), paused: false } : s;
    const { next, change } = stepLayer(resumed, c, ladder, viewportCap, own, recovering, nowMs, config);
    const nextKey = stepKey(next.spatialLayer, next.temporalLayer, config);
    const allocated = rate(nextKey);
    const reason: DecisionReason | undefined = recovering ? 'recovering'
      : nextKey < atMost(topOf(viewportCap, config)) ? 'bandwidth'
      : viewportCap < config.layers.length - 1 ? 'viewport' : undefined;
    decide({ ...next, gate }, allocated, wantedWithin(next.spatialLayer), reason);
    if (budget !== undefined) budget -= allocated;

    if (s.paused) events.push({ type: 'videoResumed', consumerId: id, spatialLayer: next.spatialLayer, temporalLayer: next.temporalLayer, reason: 'bandwidth' });
    else if (before && change !== undefined && nextKey !== stepKey(before.spatialLayer, before.temporalLayer, config)) {
      events.push({
        type: 'layersChanged', consumerId: id, spatialLayer: next.spatialLayer, temporalLayer: next.temporalLayer,
        previousSpatialLayer: before.spatialLayer, previousTemporalLayer: before.temporalLayer, reason: change,
      });
    }
  }

  return {
    perConsumer: input.consumers.map((c) => decisions.get(c.consumerId)!),
    state: { downlink, consumers },
    events,
    mode: downlink.mode,
  };
}

/**
 * Steady: calling chooseLayers again with these consumers (the same inputs)
 * and this state, at any later time, decides nothing new. No pause, step or
 * backoff is under way, every video has a layer the publisher sends, and no
 * score is low enough to step down or pause on its own over time. A caller
 * may then skip rounds until an input changes.
 */
export function layersSteady(consumers: readonly ConsumerInput[], state: SubscriberState, config: PolicyConfig = DEFAULT_POLICY): boolean {
  if (!downlinkSteady(state.downlink)) return false;
  const lowScore = Math.max(config.stepDownScore, config.fallbackPauseScore);
  return consumers.every((c) => {
    if (c.kind !== 'video') return true;
    const s = state.consumers[c.consumerId];
    // Only a higher step the viewport allows, fitting for a while, makes a step over time; the rest wait for an input change.
    const sent = ladderOf(c, config).sent;
    const stepUpPending = s !== undefined && s.fitSinceMs.some((f, k) => f !== null && k > stepKey(s.spatialLayer, s.temporalLayer, config)
      && k <= topOf(s.viewportCap, config) && sent.includes(k));
    return s !== undefined && !s.paused && s.downSinceMs === null && !stepUpPending && s.failedStepUps === 0
      && downlinkSteady(s.gate) && c.producerLayerBitrates.some((b) => b > 0) && (c.score === undefined || c.score > lowScore)
      && (c.queueDelayMs ?? 0) < config.stepDownQueueMs / 2;
  });
}

export interface Layers { spatialLayer: number; temporalLayer: number }

/**
 * How to move a simulcast consumer from what it forwards (`current`) and was
 * last asked for (`preferred`) to `target`; undefined: nothing to do.
 * mediasoup keeps forwarding the current spatial layer until a keyframe of the
 * new one arrives; on a congested link that keyframe queues behind the layer
 * the step is meant to leave, and loses packets with it (measured: 640 px
 * frames 0.65-1.8 s after the decision to step down from 720p at 600 kbit/s;
 * 0.24-0.77 s with this). A step down to a lower spatial layer for bandwidth
 * therefore stops forwarding first
 * (`clearFirst`: pause, set, resume; mediasoup then waits for the keyframe):
 * the queue drains and the keyframe crosses an empty link. The frames the
 * viewer misses meanwhile were being lost anyway.
 */
export function layerSwitch(current: Layers | undefined, preferred: Layers | undefined, target: Layers, congested: boolean): { clearFirst: boolean } | undefined {
  if (preferred?.spatialLayer === target.spatialLayer && preferred.temporalLayer === target.temporalLayer) return undefined;
  return { clearFirst: congested && current !== undefined && target.spatialLayer < current.spatialLayer };
}
