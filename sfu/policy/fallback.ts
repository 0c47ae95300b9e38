/**
 * Audio-only fallbacks as pure state machines, stepped on every tick (about 1 s)
 * and on every new measurement:
 * - downlink, per subscriber: normal -> audio-only -> recovering -> normal (reason `bandwidth`);
 * - uplink, per publisher: sending -> video-stopped -> sending (reason `sender-network`).
 */
import type { PolicyConfig } from './config.ts';

/** Start of the run in which `holds` has been true, or null when it is false now. */
export function sustainedSince(sinceMs: number | null, holds: boolean, nowMs: number): number | null {
  return holds ? (sinceMs ?? nowMs) : null;
}

export function heldFor(sinceMs: number | null, nowMs: number, durationMs: number): boolean {
  return sinceMs !== null && nowMs - sinceMs >= durationMs;
}

/** `baseMs` doubled per repeat beyond the first, at most `maxMs`. */
function backoff(baseMs: number, repeats: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, repeats - 1), maxMs);
}

export type DownlinkMode = 'normal' | 'audio-only' | 'recovering';

export interface DownlinkState {
  mode: DownlinkMode;
  /** When the current mode was entered. */
  sinceMs: number;
  /** Start of the current run below the pause threshold. */
  belowSinceMs: number | null;
  /** Start of the current run at or above the resume threshold (in audio-only). */
  aboveSinceMs: number | null;
  /** Pauses in a row, each within `fallbackRepeatMs` after the resume before it; lengthens the resume wait. */
  pauses: number;
  /** When video last resumed (entered recovering); null before the first resume. */
  resumedAtMs: number | null;
  /** Since when the estimate is doubted: the viewer's reports paused video while it still had the resume margin. */
  doubtedSinceMs: number | null;
}

export interface DownlinkInput {
  /** What video and audio may use (bps): the BWE estimate × bweUsableFraction. Undefined until the first estimate: nothing changes. */
  usableBitrate: number | undefined;
  /** Bitrate (bps) held for audio ahead of video. */
  audioBitrate: number;
  /** Bitrate (bps) of the lowest video layer to carry. */
  lowestVideoBitrate: number;
  /** Bitrate (bps) the resume margin is judged against (the lowest spatial layer at full frame rate); default lowestVideoBitrate. */
  resumeVideoBitrate?: number;
  /** The viewer's receiver reports show the lowest layer does not get through (a low consumer score, loss): pause now, unless the
   * estimate carries the lowest layer with the resume margin (then the reports still show the loss of a layer just left). */
  lowestLayerLost?: boolean;
  /** What the viewer's latest receiver report shows got through (bps, audio and video: what was sent × the share that arrived, × bweUsableFraction), when it shows
   * heavy loss: below audio plus the lowest layer, video pauses now, whatever the estimate (which decays slowly behind a full queue) says. */
  reportedCapacity?: number;
  /** The viewer's round trip shows a queue of fallbackPauseQueueMs or more on its downlink while its first video is on its lowest spatial
   * layer: its audio waits behind that queue, and there is little video left to step down. Video pauses now, whatever the estimate says. */
  queueFull?: boolean;
}

export interface ModeChange<M extends string, R extends string> {
  type: 'modeChanged';
  from: M;
  to: M;
  reason: R;
}
export type DownlinkEvent = ModeChange<DownlinkMode, 'bandwidth'>;

export function initialDownlinkState(nowMs: number, mode: DownlinkMode = 'normal'): DownlinkState {
  return { mode, sinceMs: nowMs, belowSinceMs: null, aboveSinceMs: null, pauses: 0, resumedAtMs: null, doubtedSinceMs: null };
}

/**
 * Steady: in `normal` mode with no run under way, so
 * stepping again with the same input changes nothing, however late.
 */
export function downlinkSteady(state: DownlinkState): boolean {
  // The pause count needs no round: whether a next pause repeats is judged then, from resumedAtMs.
  return state.mode === 'normal' && state.belowSinceMs === null && state.aboveSinceMs === null;
}

/** The resume wait after `pauses` pauses in a row. */
export function downlinkResumeWaitMs(pauses: number, config: PolicyConfig): number {
  return backoff(config.fallbackResumeMs, pauses, config.fallbackResumeMaxMs);
}

/**
 * Enters `to`; a pause within `fallbackRepeatMs` after the last resume is a repeat, any other starts the count over.
 * `doubted`: the reports paused video against an estimate with the resume margin.
 */
function enterDownlink(state: DownlinkState, to: DownlinkMode, nowMs: number, config: PolicyConfig, doubted = false): { state: DownlinkState; events: DownlinkEvent[] } {
  const repeat = state.resumedAtMs !== null && nowMs - state.resumedAtMs <= config.fallbackRepeatMs;
  return {
    state: {
      ...state, mode: to, sinceMs: nowMs, belowSinceMs: null, aboveSinceMs: null, doubtedSinceMs: doubted ? nowMs : null,
      pauses: to !== 'audio-only' ? state.pauses : repeat ? state.pauses + 1 : 1,
      resumedAtMs: to === 'recovering' ? nowMs : state.resumedAtMs,
    },
    events: [{ type: 'modeChanged', from: state.mode, to, reason: 'bandwidth' }],
  };
}

export function stepDownlink(
  state: DownlinkState,
  input: DownlinkInput,
  nowMs: number,
  config: PolicyConfig,
): { state: DownlinkState; events: DownlinkEvent[] } {
  const { usableBitrate: usable, audioBitrate, lowestVideoBitrate } = input;
  const carriesWithMargin = usable !== undefined && usable >= audioBitrate + (input.resumeVideoBitrate ?? lowestVideoBitrate) * config.fallbackResumeFactor;
  // Reports judged in recovering only fallbackPauseMs after the resume: until then they may describe the time before it.
  const judged = state.mode === 'normal' || (state.mode === 'recovering' && nowMs - state.sinceMs >= config.fallbackPauseMs);
  if (judged && input.lowestLayerLost && !carriesWithMargin) return enterDownlink(state, 'audio-only', nowMs, config);
  if (judged && ((input.reportedCapacity !== undefined && input.reportedCapacity < audioBitrate + lowestVideoBitrate) || input.queueFull)) {
    return enterDownlink(state, 'audio-only', nowMs, config, carriesWithMargin);
  }
  if (usable === undefined) return { state: { ...state, belowSinceMs: null, aboveSinceMs: null }, events: [] };
  const carries = usable >= audioBitrate + lowestVideoBitrate;
  const next: DownlinkState = { ...state };
  const enter = (to: DownlinkMode) => enterDownlink(next, to, nowMs, config);

  if (state.mode === 'audio-only') {
    // A doubted estimate counts for the resume once it has caught up with the reports (fallen below the margin), or after fallbackDoubtMs.
    const caughtUp = !carriesWithMargin || heldFor(state.doubtedSinceMs, nowMs, config.fallbackDoubtMs);
    if (caughtUp) next.doubtedSinceMs = null;
    next.aboveSinceMs = sustainedSince(state.aboveSinceMs, carriesWithMargin && next.doubtedSinceMs === null, nowMs);
    if (heldFor(next.aboveSinceMs, nowMs, downlinkResumeWaitMs(state.pauses, config))) return enter('recovering');
    return { state: next, events: [] };
  }
  next.belowSinceMs = sustainedSince(state.belowSinceMs, !carries, nowMs);
  const deep = usable < (audioBitrate + lowestVideoBitrate) * config.fallbackPauseNowFraction;
  if (deep || heldFor(next.belowSinceMs, nowMs, config.fallbackPauseMs)) return enter('audio-only');
  if (state.mode === 'recovering' && next.belowSinceMs === null && nowMs - state.sinceMs >= config.recoverHoldMs) return enter('normal');
  return { state: next, events: [] };
}

export type UplinkMode = 'sending' | 'video-stopped';
export type QualityLimitationReason = 'none' | 'bandwidth' | 'cpu' | 'other';

export interface UplinkState {
  mode: UplinkMode;
  sinceMs: number;
  /** Start of the current run in which the uplink cannot carry the lowest layer. */
  badSinceMs: number | null;
  /** Start of the current run in which the uplink carries the lowest layer with margin (in video-stopped). */
  goodSinceMs: number | null;
  /** Stops since video last ran smoothly for `backoffResetMs`; lengthens the probe wait. */
  stops: number;
}

export interface UplinkInput {
  /** Score (0-10) of the producer's lowest encoding (mediasoup producer `score` event, encodingIdx 0). */
  producerScore?: number;
  /** The publisher's own send estimate (bps): RTCIceCandidatePairStats.availableOutgoingBitrate, from the SDK. */
  availableOutgoingBitrate?: number;
  /** RTCOutboundRtpStreamStats.qualityLimitationReason of the video sender, from the SDK (Chromium). */
  qualityLimitationReason?: QualityLimitationReason;
  /** Share (0-1) of the video packets lost on the way to the SFU: remote-inbound-rtp fractionLost, from the SDK (every browser). */
  lossFraction?: number;
  /** Round-trip time (ms) to the SFU: remote-inbound-rtp roundTripTime, from the SDK (every browser). */
  roundTripTimeMs?: number;
  /** Video the publisher actually sent (bps) over the SDK's last report interval, from outbound-rtp bytesSent (every browser). */
  sendBitrate?: number;
  /** The owner paused (muted) the camera: nothing is judged and nothing changes. */
  producerPaused?: boolean;
  /** Whether the publisher also sends audio, which video must leave room for. Default true. */
  sendsAudio?: boolean;
}

export type UplinkEvent = ModeChange<UplinkMode, 'sender-network'>;

export function initialUplinkState(nowMs: number): UplinkState {
  return { mode: 'sending', sinceMs: nowMs, badSinceMs: null, goodSinceMs: null, stops: 0 };
}

/**
 * Steady: sending, past the grace time after (re)starting, with no run under
 * way and no stop to forget, so stepping again with the same input changes
 * nothing, however late.
 */
export function uplinkSteady(state: UplinkState, nowMs: number, config: PolicyConfig): boolean {
  return state.mode === 'sending' && state.badSinceMs === null && state.goodSinceMs === null && state.stops === 0
    && nowMs - state.sinceMs >= config.uplinkStopMs;
}

/** What every browser's stats and the SFU say: the uplink cannot carry the lowest video layer. */
function uplinkFailing(input: UplinkInput, config: PolicyConfig): boolean {
  const { producerScore, lossFraction, roundTripTimeMs, sendBitrate } = input;
  return (producerScore !== undefined && producerScore <= config.uplinkStopScore)
    || (lossFraction !== undefined && lossFraction >= config.uplinkStopLoss)
    // A round trip crosses the downlink too: a deep queue counts only with loss on the uplink (half the stop loss).
    || (roundTripTimeMs !== undefined && roundTripTimeMs >= config.uplinkStopRttMs && (lossFraction ?? 0) >= config.uplinkStopLoss / 2)
    || (sendBitrate !== undefined && sendBitrate < config.layers[0]!.bitrate * config.uplinkMinSendFraction);
}

export function stepUplink(
  state: UplinkState,
  input: UplinkInput,
  nowMs: number,
  config: PolicyConfig,
): { state: UplinkState; events: UplinkEvent[] } {
  if (input.producerPaused) return { state: { ...state, badSinceMs: null, goodSinceMs: null }, events: [] };
  const audio = input.sendsAudio === false ? 0 : config.audioBitrate;
  const lowest = config.layers[0]!.bitrate;
  const estimate = input.availableOutgoingBitrate;
  const next: UplinkState = { ...state };
  const enter = (to: UplinkMode): { state: UplinkState; events: UplinkEvent[] } => ({
    state: { ...next, mode: to, sinceMs: nowMs, badSinceMs: null, goodSinceMs: null, stops: next.stops + (to === 'video-stopped' ? 1 : 0) },
    events: [{ type: 'modeChanged', from: state.mode, to, reason: 'sender-network' }],
  });

  if (state.mode === 'sending') {
    // Right after video (re)starts the lowest stream's score and the SDK's stats are stale or settling: judge them only after a grace time.
    const judged = nowMs - state.sinceMs >= config.uplinkStopMs;
    const estimateBad = estimate !== undefined && estimate < audio + lowest;
    next.badSinceMs = sustainedSince(state.badSinceMs, (judged && uplinkFailing(input, config)) || estimateBad, nowMs);
    if (heldFor(next.badSinceMs, nowMs, config.uplinkStopMs)) return enter('video-stopped');
    if (nowMs - state.sinceMs >= config.backoffResetMs) next.stops = 0;
    return { state: next, events: [] };
  }
  if (estimate === undefined) {
    // Some browsers report no outgoing estimate: try video again now and then, waiting longer after each stop.
    const wait = backoff(config.uplinkProbeMs, state.stops, config.uplinkProbeMaxMs);
    return nowMs - state.sinceMs >= wait ? enter('sending') : { state: next, events: [] };
  }
  const good = estimate >= audio + lowest * config.uplinkResumeFactor && input.qualityLimitationReason !== 'bandwidth';
  next.goodSinceMs = sustainedSince(state.goodSinceMs, good, nowMs);
  return heldFor(next.goodSinceMs, nowMs, config.uplinkResumeMs) ? enter('sending') : { state: next, events: [] };
}
