/**
 * Settings of the layer policy and the audio-only fallbacks. Every threshold and
 * time is declared here with its default; `policyConfigFromEnv` overrides them
 * from `VISITWIRE_*` variables (see ENV_NAMES and sfu/policy/README.md).
 */
import { z } from 'zod';
import { SIMULCAST_LADDER } from '../../common/simulcast.ts';

/** One simulcast encoding as the publisher sends it, lowest first. */
export interface LayerSpec {
  width: number;
  height: number;
  /** Nominal bitrate (bps), used while a layer's measured bitrate is unknown. */
  bitrate: number;
}

/**
 * Share of a spatial layer's bitrate that its temporal layers carry, cumulative
 * (T0, T0+T1, ...), by temporal layer count: libwebrtc's split for VP8
 * (kLayerRateAllocation). Stands in while a temporal layer's bitrate is not
 * measured. A real Chromium L1T3 publisher measured about 0.3 / 0.55 / 1.0.
 */
export const TEMPORAL_SHARES: Readonly<Record<number, readonly number[]>> = Object.freeze({
  1: [1], 2: [0.6, 1], 3: [0.4, 0.6, 1], 4: [0.25, 0.4, 0.6, 1],
});

export interface PolicyConfig {
  /** Simulcast ladder, lowest first: 320x180@150 kbps, 640x360@500 kbps, 1280x720@1.5 Mbps. */
  layers: LayerSpec[];
  /** Temporal layers per spatial layer (L1T3: 3): the lower ones are steps between spatial layers (layers.ts); 1 = spatial steps only. */
  temporalLayers: number;
  /** Bitrate (bps) reserved for each audio consumer before any video: Opus plus RTP/SRTP overhead. */
  audioBitrate: number;
  /** Share of the BWE estimate the policy may spend; the rest absorbs keyframes and estimate noise. */
  bweUsableFraction: number;
  /** A layer that no longer fits is left after the shortfall has lasted this long (ms). */
  stepDownAfterMs: number;
  /** ...and at once when it needs more than this times the budget (a deep drop needs no confirming). */
  stepDownNowFactor: number;
  /** A video above the lowest step steps down one spatial layer (to its lowest step) at once when its consumer score (0-10, from the viewer's receiver reports) falls to this; again only after recoverHoldMs. */
  stepDownScore: number;
  /** ...or when the viewer's latest receiver report for it shows at least this fraction (0-1) lost: straight to the best layer that got through. */
  stepDownLoss: number;
  /** ...or when the viewer asked for at least this many packets to be resent (NACK) per packet sent, in a short window: one spatial layer down at once, before its next receiver report. */
  stepDownNackRatio: number;
  /** ...or, one step down, when the viewer's round trip is this much above the lowest seen on its path (ms: a queue building up) and it reports some loss on its downlink; no step up at half of it. */
  stepDownQueueMs: number;
  /** A higher layer is taken only after it has fitted for this long (ms). */
  stepUpAfterMs: number;
  /** At most one bandwidth step up per consumer in this long (ms). */
  stepUpIntervalMs: number;
  /** Longest wait before a step up (ms): the wait doubles after each step up that had to be undone. */
  stepUpMaxMs: number;
  /** No step up while the consumer's score (0-10) is below this. */
  stepUpMinScore: number;
  /** A higher layer counts as fitting for a step up only when the budget carries its bitrate times this (headroom instead of a trial that fails). */
  stepUpHeadroom: number;
  /** Video pauses when the estimate cannot carry audio plus the lowest layer for this long (ms)... */
  fallbackPauseMs: number;
  /** ...and at once when the estimate falls below this fraction of audio plus the lowest layer... */
  fallbackPauseNowFraction: number;
  /** ...or when the first video, on its lowest layer for fallbackPauseMs, scores (0-10) at most this: the viewer's reports show it does not get through. */
  fallbackPauseScore: number;
  /** ...or loses at least this fraction (0-1) in the viewer's latest receiver report; either only while the estimate lacks the resume margin. */
  fallbackPauseLoss: number;
  /** ...or at once when the viewer's round trip shows a queue this long (ms), with loss on its downlink, while its first video is on its lowest spatial layer: its audio waits behind it. */
  fallbackPauseQueueMs: number;
  /** Video resumes only when the estimate carries audio plus the lowest spatial layer at full frame rate times this factor. */
  fallbackResumeFactor: number;
  /** ...and has done so for this long (ms). Doubles after each pause that follows soon after a resume. */
  fallbackResumeMs: number;
  /** Longest resume wait after repeated pauses (ms). */
  fallbackResumeMaxMs: number;
  /** A pause within this long (ms) after a resume counts as a repeat and doubles the next resume wait; a later one starts over. */
  fallbackRepeatMs: number;
  /** After the viewer's reports paused video while the estimate still had the resume margin, the estimate counts for the resume only once it has fallen below that margin, or after this long (ms). */
  fallbackDoubtMs: number;
  /** After a resume, video stays on the lowest spatial layer for this long (ms) before stepping up. */
  recoverHoldMs: number;
  /** Step-up and uplink-stop backoffs are forgotten after this long without a pause or step down (ms). */
  backoffResetMs: number;
  /** Publisher: video stops when its lowest encoding's score (0-10) stays at or below this... */
  uplinkStopScore: number;
  /** ...or the SFU's receiver reports show at least this fraction (0-1) of its video lost on the way (remote-inbound-rtp)... */
  uplinkStopLoss: number;
  /** ...or their round-trip time reaches this (ms) with half that loss: a queue that deep, and loss, mean the uplink is saturated... */
  uplinkStopRttMs: number;
  /** ...or the video it manages to send falls below the lowest layer's bitrate times this... */
  uplinkMinSendFraction: number;
  /** ...or its outgoing estimate stays below audio plus the lowest layer, for this long (ms). */
  uplinkStopMs: number;
  /** Publisher video restarts when its outgoing estimate carries audio plus the lowest layer times this... */
  uplinkResumeFactor: number;
  /** ...for this long (ms). */
  uplinkResumeMs: number;
  /** Without any outgoing estimate from the SDK, video is tried again after this long (ms), doubling per stop. */
  uplinkProbeMs: number;
  /** Longest wait between such tries (ms). */
  uplinkProbeMaxMs: number;
  /** A simulcast layer nobody wants is stopped at the publisher after this long (ms). */
  unusedLayerMs: number;
  /** Video producers' per-layer bitrates are read from the worker this often (ms), and at once after a producer score change. */
  layerStatsMs: number;
  /** Consumer and audio producer stats (Prometheus counters only) are read this often (ms); at least layerStatsMs. */
  metricsStatsMs: number;
  /** mediasoup consumer priorities (1-255): a consumer gets that many layer increases per BWE round. */
  priorityAudio: number;
  priorityFullQuality: number;
  priorityPatientForProvider: number;
  priorityNormal: number;
  /** networkQuality: score (0-10) at or below which a link is lost, poor, merely good. */
  qualityLostScore: number;
  qualityPoorScore: number;
  qualityGoodScore: number;
  /** networkQuality: loss fraction (0-1) at or above which a link is lost, poor, merely good. */
  qualityLostLoss: number;
  qualityPoorLoss: number;
  qualityGoodLoss: number;
}

export const DEFAULT_POLICY: Readonly<PolicyConfig> = Object.freeze({
  layers: SIMULCAST_LADDER.map(({ width, height, bitrate }) => ({ width, height, bitrate })),
  temporalLayers: 3,
  audioBitrate: 40_000,
  bweUsableFraction: 0.9,
  stepDownAfterMs: 1_000,
  stepDownNowFactor: 1.5,
  stepDownScore: 5,
  stepDownLoss: 0.1,
  stepDownNackRatio: 0.3,
  stepDownQueueMs: 200,
  stepUpAfterMs: 4_000,
  stepUpIntervalMs: 5_000,
  stepUpMaxMs: 32_000,
  stepUpMinScore: 7,
  stepUpHeadroom: 1.2,
  fallbackPauseMs: 2_000,
  fallbackPauseNowFraction: 0.5,
  fallbackPauseScore: 3,
  fallbackPauseLoss: 0.3,
  fallbackPauseQueueMs: 400,
  fallbackResumeFactor: 1.5,
  fallbackResumeMs: 3_000,
  fallbackResumeMaxMs: 40_000,
  fallbackRepeatMs: 20_000,
  fallbackDoubtMs: 10_000,
  recoverHoldMs: 4_000,
  backoffResetMs: 60_000,
  uplinkStopScore: 3,
  uplinkStopLoss: 0.2,
  uplinkStopRttMs: 1_000,
  uplinkMinSendFraction: 0.2,
  uplinkStopMs: 3_000,
  uplinkResumeFactor: 1.5,
  uplinkResumeMs: 8_000,
  uplinkProbeMs: 15_000,
  uplinkProbeMaxMs: 120_000,
  unusedLayerMs: 10_000,
  layerStatsMs: 5_000,
  metricsStatsMs: 15_000,
  priorityAudio: 255,
  priorityFullQuality: 255,
  priorityPatientForProvider: 8,
  priorityNormal: 1,
  qualityLostScore: 1,
  qualityPoorScore: 5,
  qualityGoodScore: 8,
  qualityLostLoss: 0.3,
  qualityPoorLoss: 0.08,
  qualityGoodLoss: 0.02,
});

type NumericKey = Exclude<keyof PolicyConfig, 'layers'>;

/** The environment variable of each numeric setting. */
export const ENV_NAMES: Readonly<Record<NumericKey, string>> = Object.freeze({
  temporalLayers: 'VISITWIRE_TEMPORAL_LAYERS',
  audioBitrate: 'VISITWIRE_AUDIO_BITRATE',
  bweUsableFraction: 'VISITWIRE_BWE_USABLE_FRACTION',
  stepDownAfterMs: 'VISITWIRE_STEP_DOWN_MS',
  stepDownNowFactor: 'VISITWIRE_STEP_DOWN_NOW_FACTOR',
  stepDownScore: 'VISITWIRE_STEP_DOWN_SCORE',
  stepDownLoss: 'VISITWIRE_STEP_DOWN_LOSS',
  stepDownNackRatio: 'VISITWIRE_STEP_DOWN_NACK_RATIO',
  stepDownQueueMs: 'VISITWIRE_STEP_DOWN_QUEUE_MS',
  stepUpAfterMs: 'VISITWIRE_STEP_UP_MS',
  stepUpIntervalMs: 'VISITWIRE_STEP_UP_INTERVAL_MS',
  stepUpMaxMs: 'VISITWIRE_STEP_UP_MAX_MS',
  stepUpMinScore: 'VISITWIRE_STEP_UP_MIN_SCORE',
  stepUpHeadroom: 'VISITWIRE_STEP_UP_HEADROOM',
  fallbackPauseMs: 'VISITWIRE_FALLBACK_PAUSE_MS',
  fallbackPauseNowFraction: 'VISITWIRE_FALLBACK_PAUSE_NOW_FRACTION',
  fallbackPauseScore: 'VISITWIRE_FALLBACK_PAUSE_SCORE',
  fallbackPauseLoss: 'VISITWIRE_FALLBACK_PAUSE_LOSS',
  fallbackPauseQueueMs: 'VISITWIRE_FALLBACK_PAUSE_QUEUE_MS',
  fallbackResumeFactor: 'VISITWIRE_FALLBACK_RESUME_FACTOR',
  fallbackResumeMs: 'VISITWIRE_FALLBACK_RESUME_MS',
  fallbackResumeMaxMs: 'VISITWIRE_FALLBACK_RESUME_MAX_MS',
  fallbackRepeatMs: 'VISITWIRE_FALLBACK_REPEAT_MS',
  fallbackDoubtMs: 'VISITWIRE_FALLBACK_DOUBT_MS',
  recoverHoldMs: 'VISITWIRE_RECOVER_HOLD_MS',
  backoffResetMs: 'VISITWIRE_BACKOFF_RESET_MS',
  uplinkStopScore: 'VISITWIRE_UPLINK_STOP_SCORE',
  uplinkStopLoss: 'VISITWIRE_UPLINK_STOP_LOSS',
  uplinkStopRttMs: 'VISITWIRE_UPLINK_STOP_RTT_MS',
  uplinkMinSendFraction: 'VISITWIRE_UPLINK_MIN_SEND_FRACTION',
  uplinkStopMs: 'VISITWIRE_UPLINK_STOP_MS',
  uplinkResumeFactor: 'VISITWIRE_UPLINK_RESUME_FACTOR',
  uplinkResumeMs: 'VISITWIRE_UPLINK_RESUME_MS',
  uplinkProbeMs: 'VISITWIRE_UPLINK_PROBE_MS',
  uplinkProbeMaxMs: 'VISITWIRE_UPLINK_PROBE_MAX_MS',
  unusedLayerMs: 'VISITWIRE_UNUSED_LAYER_MS',
  layerStatsMs: 'VISITWIRE_LAYER_STATS_MS',
  metricsStatsMs: 'VISITWIRE_METRICS_STATS_MS',
  priorityAudio: 'VISITWIRE_PRIORITY_AUDIO',
  priorityFullQuality: 'VISITWIRE_PRIORITY_FULL_QUALITY',
  priorityPatientForProvider: 'VISITWIRE_PRIORITY_PATIENT_FOR_PROVIDER',
  priorityNormal: 'VISITWIRE_PRIORITY_NORMAL',
  qualityLostScore: 'VISITWIRE_QUALITY_LOST_SCORE',
  qualityPoorScore: 'VISITWIRE_QUALITY_POOR_SCORE',
  qualityGoodScore: 'VISITWIRE_QUALITY_GOOD_SCORE',
  qualityLostLoss: 'VISITWIRE_QUALITY_LOST_LOSS',
  qualityPoorLoss: 'VISITWIRE_QUALITY_POOR_LOSS',
  qualityGoodLoss: 'VISITWIRE_QUALITY_GOOD_LOSS',
});
/** `WIDTHxHEIGHT@BPS,...`, lowest first, e.g. `320x180@150000,640x360@500000,1280x720@1500000`. */
export const LAYERS_ENV_NAME = 'VISITWIRE_SIMULCAST_LAYERS';

const ms = z.number().int().min(0).max(3_600_000);
/** A queue delay threshold: 0 would count every round trip as a queue. */
const queueMs = z.number().int().min(1).max(60_000);
const bps = z.number().int().positive();
const score = z.number().min(0).max(10);
const fraction = z.number().min(0).max(1);
const factor = z.number().min(1).max(10);
const priority = z.number().int().min(1).max(255);

const PolicyConfigSchema = z.object({
  layers: z.array(z.object({ width: z.number().int().positive(), height: z.number().int().positive(), bitrate: bps }))
    .min(1).max(4)
    .refine((ls) => ls.every((l, i) => i === 0 || (l.width > ls[i - 1]!.width && l.bitrate > ls[i - 1]!.bitrate)),
      'layers must grow in width and bitrate, lowest first'),
  temporalLayers: z.number().int().min(1).max(4),
  audioBitrate: bps,
  bweUsableFraction: fraction.positive(),
  stepDownAfterMs: ms, stepDownNowFactor: factor, stepDownScore: score, stepDownLoss: fraction.positive(), stepDownNackRatio: z.number().positive(), stepDownQueueMs: queueMs,
  stepUpAfterMs: ms, stepUpIntervalMs: ms, stepUpMaxMs: ms, stepUpMinScore: score, stepUpHeadroom: factor,
  fallbackPauseMs: ms, fallbackPauseNowFraction: fraction, fallbackPauseScore: score, fallbackPauseLoss: fraction.positive(), fallbackPauseQueueMs: queueMs,
  fallbackResumeFactor: factor, fallbackResumeMs: ms, fallbackResumeMaxMs: ms, fallbackRepeatMs: ms, fallbackDoubtMs: ms,
  recoverHoldMs: ms, backoffResetMs: ms,
  uplinkStopScore: score, uplinkStopLoss: fraction.positive(), uplinkStopRttMs: ms, uplinkMinSendFraction: fraction, uplinkStopMs: ms, uplinkResumeFactor: factor, uplinkResumeMs: ms,
  uplinkProbeMs: ms, uplinkProbeMaxMs: ms, unusedLayerMs: ms, layerStatsMs: ms.min(100), metricsStatsMs: ms.min(100),
  priorityAudio: priority, priorityFullQuality: priority, priorityPatientForProvider: priority, priorityNormal: priority,
  qualityLostScore: score, qualityPoorScore: score, qualityGoodScore: score,
  qualityLostLoss: fraction, qualityPoorLoss: fraction, qualityGoodLoss: fraction,
}).strict()
  .refine((c) => c.stepUpMaxMs >= c.stepUpAfterMs, { message: 'stepUpMaxMs must be >= stepUpAfterMs', path: ['stepUpMaxMs'] })
  .refine((c) => c.fallbackResumeMaxMs >= c.fallbackResumeMs, { message: 'fallbackResumeMaxMs must be >= fallbackResumeMs', path: ['fallbackResumeMaxMs'] })
  .refine((c) => c.metricsStatsMs >= c.layerStatsMs, { message: 'metricsStatsMs must be >= layerStatsMs', path: ['metricsStatsMs'] })
  .refine((c) => c.uplinkProbeMaxMs >= c.uplinkProbeMs, { message: 'uplinkProbeMaxMs must be >= uplinkProbeMs', path: ['uplinkProbeMaxMs'] })
  .refine((c) => c.qualityLostScore <= c.qualityPoorScore && c.qualityPoorScore <= c.qualityGoodScore,
    { message: 'quality scores must be ordered lost <= poor <= good', path: ['qualityPoorScore'] })
  .refine((c) => c.qualityLostLoss >= c.qualityPoorLoss && c.qualityPoorLoss >= c.qualityGoodLoss,
    { message: 'quality losses must be ordered lost >= poor >= good', path: ['qualityPoorLoss'] });

export class PolicyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyConfigError';
  }
}

const LayerText = /^(\d+)x(\d+)@(\d+)$/;

function parseLayers(text: string): LayerSpec[] {
  return text.split(',').map((part) => {
    const m = LayerText.exec(part.trim());
    if (!m) throw new PolicyConfigError(`${LAYERS_ENV_NAME}: "${part}" is not WIDTHxHEIGHT@BPS`);
    return { width: Number(m[1]), height: Number(m[2]), bitrate: Number(m[3]) };
  });
}

/** Checks a whole config; throws PolicyConfigError naming the setting at fault. */
export function validatePolicyConfig(config: PolicyConfig): PolicyConfig {
  const parsed = PolicyConfigSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.path[0];
    const name = key === 'layers' ? LAYERS_ENV_NAME : ENV_NAMES[key as NumericKey] ?? String(key);
    throw new PolicyConfigError(`${name}: ${issue.message}`);
  }
  return parsed.data;
}

/** DEFAULT_POLICY with every `VISITWIRE_*` variable set in `env` applied; throws PolicyConfigError on a bad value. */
export function policyConfigFromEnv(env: Record<string, string | undefined> = process.env): PolicyConfig {
  const config: PolicyConfig = { ...DEFAULT_POLICY, layers: DEFAULT_POLICY.layers.map((l) => ({ ...l })) };
  for (const [key, name] of Object.entries(ENV_NAMES) as [NumericKey, string][]) {
    const text = env[name]?.trim();
    if (text === undefined || text === '') continue;
    const value = Number(text);
    if (!Number.isFinite(value)) throw new PolicyConfigError(`${name}: "${text}" is not a number`);
    config[key] = value;
  }
  const layers = env[LAYERS_ENV_NAME]?.trim();
  if (layers) config.layers = parseLayers(layers);
  return validatePolicyConfig(config);
}
