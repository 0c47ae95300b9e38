/** What a bot reports (via `onMetrics` and `bot.metrics()`). Times are milliseconds. */
import type { Role } from '../../common/roles.ts';
import type { Subscription } from './subscriber.ts';

export type BotState = 'connecting' | 'waiting' | 'joined' | 'resuming' | 'migrating' | 'rejoining' | 'left' | 'failed';

export interface SubscriptionMetrics {
  /** Unique per subscription: a rejoin consumes the same producer anew. */
  consumerId: string;
  producerId: string;
  /** The remote participant who publishes it. */
  participantId: string;
  kind: 'audio' | 'video';
  /** From the consume request to the first RTP packet; absent until one arrives. */
  firstPacketMs?: number;
  packets: number;
  bytes: number;
  /** Cumulative packets lost after retransmission (RFC 3550 counting, never negative). */
  packetsLost: number;
  /** Over the latest metrics interval. */
  bitrateBps: number;
  /** Over the latest metrics interval, 0..1. */
  lossRate: number;
  jitterMs: number;
  /** Video: the resolution of the latest key frame received, which tells the simulcast layer. */
  width?: number;
  height?: number;
  layerChanges: number;
  producerPaused: boolean;
  closed: boolean;
}

export interface BotMetrics {
  /** monotonicNow() of this report (loadtest/clock.ts). */
  at: number;
  label?: string;
  participantId?: string;
  role?: Role;
  state: BotState;
  /** From connectBot() to the join answer (socket connect included). */
  joinMs?: number;
  /** From connectBot() to admission (equals joinMs for those not held in the waiting room). */
  admittedMs?: number;
  /** From connectBot() to ICE+DTLS up on the send transport and producers created. */
  publishMs?: number;
  /** Times the bot joined again after losing its connection or its media. */
  reconnects: number;
  /** Times it took its participant back after a dropped signaling connection, media untouched. */
  resumes: number;
  /** Times the router sent it to another node after its node failed. */
  reroutes: number;
  /** Times it moved off a draining node, make before break. */
  migrations: number;
  /** The longest time without any remote audio or video packet, since it first received one. */
  longestGapMs: { audio: number; video: number };
  /** What the bot sent since it last joined (a rejoin starts these afresh). */
  sent: {
    audio: { packets: number; bytes: number };
    /** Per simulcast layer, lowest first. */
    video: Array<{ packets: number; bytes: number }>;
    /** Round-trip time to the SFU from RTCP receiver reports on the streams the bot sends. */
    rttMs?: number;
    /** Upstream loss the SFU reported, 0..1. */
    remoteLossRate?: number;
  };
  subscriptions: SubscriptionMetrics[];
  /**
   * Cumulative time during which some remote participant's audio arrived
   * while their video (published, not paused by them) did not: the visit ran audio-only.
   */
  audioOnlyMs: number;
  /** The last error, e.g. why a rejoin failed. */
  error?: { code: string; message: string };
}

/** Cumulative counters as of now; bitrate and loss rate of the latest interval (`s.lastSample`). */
export function subscriptionMetrics(s: Subscription): SubscriptionMetrics {
  const sample = s.lastSample ?? { bitrateBps: 0, lossRate: 0 };
  return {
    consumerId: s.consumerId,
    producerId: s.producerId,
    participantId: s.participantId,
    kind: s.kind,
    firstPacketMs: s.firstPacketAt === undefined ? undefined : Math.round(s.firstPacketAt - s.requestedAt),
    packets: s.stats.packets,
    bytes: s.stats.bytes,
    packetsLost: s.stats.lost,
    bitrateBps: Math.round(sample.bitrateBps),
    lossRate: sample.lossRate,
    jitterMs: Math.round(s.stats.jitterMs * 100) / 100,
    width: s.resolution?.width,
    height: s.resolution?.height,
    layerChanges: s.layerChanges,
    producerPaused: s.producerPaused,
    closed: s.closed,
  };
}

/** The part of `intervalMs` during which some participant's audio arrived but their active video did not. */
export function audioOnlyFor(subs: SubscriptionMetrics[], intervalMs: number): number {
  for (const a of subs) {
    if (a.kind !== 'audio' || a.closed || a.bitrateBps === 0) continue;
    const v = subs.find((s) => s.kind === 'video' && s.participantId === a.participantId && !s.closed && !s.producerPaused);
    if (v && v.bitrateBps === 0) return intervalMs;
  }
  return 0;
}
