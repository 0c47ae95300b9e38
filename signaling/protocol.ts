/**
 * The signaling protocol between the SDK and a node, shared by both sides.
 * Every client message is acknowledged with `{ data }` on success or
 * `{ error: { code, message } }` on failure; a failed message changes nothing.
 */
import { z } from 'zod';
import type { ErrorBody } from '../common/errors.ts';

const Id = z.string().min(1).max(128).regex(/^[A-Za-z0-9_.:@-]+$/);
/** mediasoup ids are UUIDs. */
const MsId = z.uuid();

/** Largest accepted message, as JSON; anything bigger is answered LIMIT_EXCEEDED. */
export const MAX_MESSAGE_BYTES = 32 * 1024;

const DtlsParameters = z.object({
  role: z.enum(['auto', 'client', 'server']).optional(),
  fingerprints: z.array(z.object({ algorithm: z.string().max(16), value: z.string().max(256) })).min(1).max(8),
});

/** The RTP parameters a client sends; mediasoup validates their inner detail. */
const RtpParameters = z.object({
  mid: z.string().max(32).optional(),
  codecs: z.array(z.looseObject({ mimeType: z.string().max(64), payloadType: z.number().int().min(0).max(127), clockRate: z.number().int().positive() })).min(1).max(16),
  headerExtensions: z.array(z.looseObject({ uri: z.string().max(256), id: z.number().int() })).max(32).optional(),
  encodings: z.array(z.looseObject({})).max(4).optional(),
  rtcp: z.looseObject({}).optional(),
});

const RtpCapabilities = z.object({
  codecs: z.array(z.looseObject({ kind: z.enum(['audio', 'video']), mimeType: z.string().max(64) })).max(64).optional(),
  headerExtensions: z.array(z.looseObject({})).max(64).optional(),
});

export const MediaSource = z.enum(['microphone', 'camera', 'screen']);
export type MediaSource = z.infer<typeof MediaSource>;

/** Schemas of every client message, by message name. */
export const ClientMessages = {
  join: z.object({}).strict(),
  createTransport: z.object({ direction: z.enum(['send', 'recv']) }).strict(),
  connectTransport: z.object({ transportId: MsId, dtlsParameters: DtlsParameters }).strict(),
  produce: z.object({
    transportId: MsId,
    kind: z.enum(['audio', 'video']),
    rtpParameters: RtpParameters,
    source: MediaSource.optional(),
    paused: z.boolean().optional(),
  }).strict(),
  consume: z.object({ transportId: MsId, producerId: MsId, rtpCapabilities: RtpCapabilities }).strict(),
  resumeConsumer: z.object({ consumerId: MsId }).strict(),
  pauseProducer: z.object({ producerId: MsId }).strict(),
  resumeProducer: z.object({ producerId: MsId }).strict(),
  /** The size (device pixels) at which the SDK shows a video consumer; 0x0 = hidden. */
  reportViewport: z.object({ consumerId: MsId, width: z.number().int().min(0).max(16384), height: z.number().int().min(0).max(16384) }).strict(),
  /** The publisher's own view of its uplink, from RTCPeerConnection stats (every few seconds). */
  reportSenderStats: z.object({
    availableOutgoingBitrate: z.number().min(0).max(1e10).optional(),
    qualityLimitationReason: z.enum(['none', 'bandwidth', 'cpu', 'other']).optional(),
    /** remote-inbound-rtp of the video: share of packets lost on the way to the SFU, and the round trip (ms). */
    lossFraction: z.number().min(0).max(1).optional(),
    roundTripTimeMs: z.number().min(0).max(600_000).optional(),
    /** Video sent (bps) since the previous report, from outbound-rtp bytesSent. */
    sendBitrate: z.number().min(0).max(1e10).optional(),
  }).strict(),
  /** Provider only: the best video of one participant (a wound, a rash), until released. */
  requestFullQuality: z.object({ participantId: Id, enabled: z.boolean() }).strict(),
  admit: z.object({ participantId: Id }).strict(),
  deny: z.object({ participantId: Id }).strict(),
  leave: z.object({}).strict(),
} as const;
export type ClientMessageName = keyof typeof ClientMessages;
export type ClientMessage<N extends ClientMessageName> = z.infer<(typeof ClientMessages)[N]>;

export type NetworkQuality = 'excellent' | 'good' | 'poor' | 'lost';
export type VideoPauseReason = 'bandwidth' | 'sender-network' | 'muted';
export interface VideoStateEvent { participantId: string; producerId: string; viewerId?: string; reason: VideoPauseReason }

export type Role = 'provider' | 'nurse' | 'patient' | 'administrator' | 'auditor';
export type Admission = 'waiting' | 'admitted' | 'denied';

export interface ParticipantInfo { participantId: string; userId: string; role: Role }
export interface ProducerInfo { producerId: string; participantId: string; kind: 'audio' | 'video'; source?: MediaSource; paused: boolean }

export interface TransportInfo {
  id: string;
  iceParameters: unknown;
  iceCandidates: unknown[];
  dtlsParameters: unknown;
}
export interface ConsumerInfo {
  consumerId: string;
  producerId: string;
  participantId: string;
  kind: 'audio' | 'video';
  rtpParameters: unknown;
  producerPaused: boolean;
}

/** What each message answers on success. */
export interface ClientReplies {
  join: {
    self: ParticipantInfo;
    admission: Admission;
    routerRtpCapabilities: unknown;
    /** Admitted participants other than self; empty while waiting. */
    participants: ParticipantInfo[];
    /** Producers to consume; empty while waiting. */
    producers: ProducerInfo[];
    /** For providers and nurses: who waits to be admitted. */
    waiting: ParticipantInfo[];
  };
  createTransport: TransportInfo;
  connectTransport: Record<string, never>;
  produce: { producerId: string };
  consume: ConsumerInfo;
  resumeConsumer: Record<string, never>;
  pauseProducer: Record<string, never>;
  resumeProducer: Record<string, never>;
  reportViewport: Record<string, never>;
  reportSenderStats: Record<string, never>;
  requestFullQuality: Record<string, never>;
  admit: Record<string, never>;
  deny: Record<string, never>;
  leave: Record<string, never>;
}

export type Ack<T> = { data: T; error?: undefined } | { error: ErrorBody; data?: undefined };

/** Events the server sends to a participant. */
export interface ServerEvents {
  /** This participant's own admission changed (patients: waiting, then admitted or denied). */
  admission: { admission: Admission; participants: ParticipantInfo[]; producers: ProducerInfo[] };
  /** For providers and nurses: the waiting room changed. */
  waitingRoom: { waiting: ParticipantInfo[] };
  participantJoined: ParticipantInfo;
  participantLeft: { participantId: string; reason: 'left' | 'disconnected' | 'denied' };
  newProducer: ProducerInfo;
  producerClosed: { producerId: string; participantId: string };
  producerPaused: { producerId: string; participantId: string };
  producerResumed: { producerId: string; participantId: string };
  consumerClosed: { consumerId: string; producerId: string };
  /**
   * A participant's video stopped reaching someone. `viewerId` set: only that viewer's network
   * (`bandwidth`); unset: every viewer (`sender-network`: the publisher's uplink; `muted`).
   * Sent to the viewer(s) and to the publisher.
   */
  videoPaused: VideoStateEvent;
  videoResumed: VideoStateEvent;
  /** The layer this viewer receives of a video changed (by bandwidth, rendered size or the publisher's layers). */
  layersChanged: { participantId: string; consumerId: string; spatialLayer: number; temporalLayer: number; reason: 'bandwidth' | 'viewport' | 'publisher-layers' };
  /** How well a participant's network carries the visit, as the SFU sees it. */
  networkQuality: { participantId: string; quality: NetworkQuality };
  /** To a publisher: stop or restart sending a video producer (uplink audio-only fallback). */
  sendVideo: { producerId: string; enabled: boolean; reason: 'sender-network' };
  /** To a publisher: the highest simulcast layer anyone receives; higher layers need not be sent. */
  maxSpatialLayer: { producerId: string; spatialLayer: number };
  /** The media for this visit was lost on this node (a worker died); join again to go on. */
  visitInterrupted: { reason: 'media-worker-died' };
}
export type ServerEventName = keyof ServerEvents;
