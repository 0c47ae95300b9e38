/**
 * The signaling protocol between the SDK and a node, shared by both sides.
 * Every client message is acknowledged with `{ data }` on success or
 * `{ error: { code, message } }` on failure; a failed message changes nothing.
 */
import { z } from 'zod';
import type { ErrorBody } from '../common/errors.ts';
import { IdSchema as Id } from '../common/ids.ts';
import { MEDIA_SOURCES, type ConsumerInfo, type MediaEvents, type MediaSource, type TransportInfo } from '../common/media.ts';
import type { Role } from '../common/roles.ts';
import type { IceServer } from '../common/turn-credentials.ts';

export type { ConsumerInfo, MediaSource, NetworkQuality, TransportInfo, VideoPauseReason, VideoStateEvent } from '../common/media.ts';
export type { Role } from '../common/roles.ts';
/** mediasoup ids are UUIDs. */
const MsId = z.uuid();

/** Largest accepted message, in bytes of its JSON (UTF-8); anything bigger is answered LIMIT_EXCEEDED. */
export const MAX_MESSAGE_BYTES = 32 * 1024;
/** Deepest accepted nesting of objects and arrays; anything deeper is answered BAD_REQUEST. */
export const MAX_MESSAGE_DEPTH = 16;

const DtlsParameters = z.object({
  role: z.enum(['auto', 'client', 'server']).optional(),
  fingerprints: z.array(z.object({ algorithm: z.enum(['sha-1', 'sha-224', 'sha-256', 'sha-384', 'sha-512']), value: z.string().max(256) })).min(1).max(8),
});

/** Simulcast encodings a producer may have. */
export const MAX_ENCODINGS = 4;

/** The RTP parameters a client sends; mediasoup validates their inner detail. */
const RtpParameters = z.object({
  mid: z.string().max(32).optional(),
  codecs: z.array(z.looseObject({ mimeType: z.string().max(64), payloadType: z.number().int().min(0).max(127), clockRate: z.number().int().positive() })).min(1).max(16),
  headerExtensions: z.array(z.looseObject({ uri: z.string().max(256), id: z.number().int() })).max(32).optional(),
  encodings: z.array(z.looseObject({})).max(MAX_ENCODINGS).optional(),
  rtcp: z.looseObject({}).optional(),
});

const RtpCapabilities = z.object({
  codecs: z.array(z.looseObject({ kind: z.enum(['audio', 'video']), mimeType: z.string().max(64) })).max(64).optional(),
  headerExtensions: z.array(z.looseObject({})).max(64).optional(),
});

const MediaSourceSchema = z.enum(MEDIA_SOURCES);

/** Schemas of every client message, by message name. */
export const ClientMessages = {
  join: z.object({}).strict(),
  /** After a dropped connection: take this connection's participant back, media untouched, with the credential of the last join or resume. */
  resume: z.object({ credential: z.string().min(16).max(128) }).strict(),
  /** A transport's ICE went disconnected or failed (network change): new ICE parameters for it. */
  restartIce: z.object({ transportId: MsId }).strict(),
  createTransport: z.object({ direction: z.enum(['send', 'recv']) }).strict(),
  connectTransport: z.object({ transportId: MsId, dtlsParameters: DtlsParameters }).strict(),
  produce: z.object({
    transportId: MsId,
    kind: z.enum(['audio', 'video']),
    rtpParameters: RtpParameters,
    source: MediaSourceSchema.optional(),
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

export type Admission = 'waiting' | 'admitted' | 'denied';
/**
 * Why a participant left: `left` (asked to), `disconnected` (the connection dropped),
 * `denied` (refused from the waiting room), `replaced` (the same user joined again),
 * `media-lost` (the node's media worker died), `join-failed` (the join could not complete),
 * `node-stopped` (the node shut down).
 */
export type LeaveReason = 'left' | 'disconnected' | 'denied' | 'replaced' | 'media-lost' | 'join-failed' | 'node-stopped';

export interface ParticipantInfo { participantId: string; userId: string; role: Role }
export interface ProducerInfo { producerId: string; participantId: string; kind: 'audio' | 'video'; source?: MediaSource; paused: boolean }


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
    /** To resume this participant on a new connection after a dropped one. */
    resume: ResumeGrant;
    /** TURN servers with credentials for this participant that expire with their token (VISITWIRE_TURN_URLS); empty without TURN. */
    iceServers: IceServer[];
  };
  resume: {
    self: ParticipantInfo;
    admission: Admission;
    resume: ResumeGrant;
    /** The events sent while the connection was down, in order: apply them as if they had just arrived. */
    missed: ServerEventRecord[];
  };
  restartIce: { iceParameters: unknown };
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

/** A resume credential: single use, rotated on each resume, valid while the participant's grace lasts. */
export interface ResumeGrant { credential: string; graceMs: number }

export type Ack<T> = { data: T; error?: undefined } | { error: ErrorBody; data?: undefined };

/** Events the server sends to a participant. */
export interface ServerEvents extends MediaEvents {
  /** This participant's own admission changed (patients: waiting, then admitted or denied). */
  admission: { admission: Admission; participants: ParticipantInfo[]; producers: ProducerInfo[] };
  /** For providers and nurses: the waiting room changed. */
  waitingRoom: { waiting: ParticipantInfo[] };
  participantJoined: ParticipantInfo;
  participantLeft: { participantId: string; reason: LeaveReason };
  /** A participant's connection dropped; their media goes on while they may resume (`graceMs`). */
  participantReconnecting: { participantId: string };
  /** That participant is back on a new connection, same participantId and media. */
  participantReconnected: { participantId: string };
  newProducer: ProducerInfo;
  producerClosed: { producerId: string; participantId: string };
  producerPaused: { producerId: string; participantId: string };
  producerResumed: { producerId: string; participantId: string };
  consumerClosed: { consumerId: string; producerId: string };
  /** The media for this visit was lost on this node (a worker died); join again to go on. */
  visitInterrupted: { reason: 'media-worker-died' };
  /** The node is draining: join the visit on the node the router names, then leave this one (make before break). */
  migrate: { reason: 'drain' };
  /** This connection's participant was ended by the server; `replaced`: the same user joined again elsewhere. Do not rejoin by itself. */
  removed: { reason: 'replaced' };
}
export type ServerEventName = keyof ServerEvents;
/** One server event with its payload. */
export type ServerEventRecord = { [E in ServerEventName]: { event: E; data: ServerEvents[E] } }[ServerEventName];
