import type { types } from 'mediasoup';
import type { z } from 'zod';
import { ErrorCode, VisitwireError } from '../common/errors.ts';
import type { VisitClaims } from '../common/tokens.ts';
import { mediaMetrics } from '../sfu/media-metrics.ts';
import type { ParticipantMedia } from '../sfu/participant-media.ts';
import type { Participant, ParticipantLink } from './participant.ts';
import { checkMessageShape } from './message-shape.ts';
import { ClientMessages, MAX_MESSAGE_BYTES, MAX_MESSAGE_DEPTH, type ClientMessage, type ClientMessageName, type ClientReplies } from './protocol.ts';
import type { VisitService } from './visit-service.ts';

/** One signaling connection: its token's claims, its link, and the participant it holds (at most one at a time). */
export interface Connection {
  readonly claims: VisitClaims;
  readonly link: ParticipantLink;
  participant?: Participant;
}

export interface RequestContext {
  conn: Connection;
  visits: VisitService;
}

type Handler<N extends ClientMessageName> = (ctx: RequestContext, msg: ClientMessage<N>) => Promise<ClientReplies[N]>;

/** A handler for every client message, each returning that message's reply type. */
export type Handlers = { [N in ClientMessageName]: Handler<N> };

/** Checks a message's shape and schema, then runs its handler. */
export async function dispatch<N extends ClientMessageName>(name: N, payload: unknown, ctx: RequestContext): Promise<ClientReplies[N]> {
  checkMessageShape(payload ?? null, { maxBytes: MAX_MESSAGE_BYTES, maxDepth: MAX_MESSAGE_DEPTH });
  const parsed = SCHEMAS[name].safeParse(payload ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new VisitwireError(ErrorCode.BAD_REQUEST, `${name}: ${issue.path.join('.') || 'message'}: ${issue.message}`);
  }
  const handler: Handlers[N] = handlers[name];
  return handler(ctx, parsed.data);
}

/** The schemas, seen as one schema per message type. */
const SCHEMAS: { [N in ClientMessageName]: z.ZodType<ClientMessage<N>> } = ClientMessages;

export function isMessageName(name: unknown): name is ClientMessageName {
  return typeof name === 'string' && Object.hasOwn(ClientMessages, name);
}

export const handlers: Handlers = {
  async join({ conn, visits }) {
    if (holds(conn)) throw new VisitwireError(ErrorCode.ALREADY_JOINED, 'already joined on this connection');
    const { participant, reply } = visits.join(conn.claims, conn.link);
    conn.participant = participant;
    return reply;
  },

  async resume({ conn, visits }, msg) {
    if (holds(conn)) throw new VisitwireError(ErrorCode.ALREADY_JOINED, 'already joined on this connection');
    const { participant, reply } = visits.resume(conn.claims, conn.link, msg.credential);
    conn.participant = participant;
    return reply;
  },

  restartIce: (ctx, msg) => withMedia(ctx, async (_, media) => ({ iceParameters: await media.restartIce(msg.transportId) })),

  async leave({ conn }) {
    current(conn).close('left');
    return {};
  },

  createTransport: (ctx, msg) => withMedia(ctx, (_, media) => media.createTransport(msg.direction)),

  connectTransport: (ctx, msg) => withMedia(ctx, async (_, media) => {
    await media.connectTransport(msg.transportId, msg.dtlsParameters);
    return {};
  }),

  produce: (ctx, msg) => withMedia(ctx, async (self, media) => {
    // The client's RTP parameters passed the schema; mediasoup validates their inner detail (BAD_REQUEST when it refuses).
    const rtpParameters = msg.rtpParameters as types.RtpParameters;
    const producer = await media.produce({ ...msg, rtpParameters });
    self.visit.producerAdded(self, { producerId: producer.id, participantId: self.participantId, kind: producer.kind, source: msg.source, paused: producer.paused });
    return { producerId: producer.id };
  }),

  consume: (ctx, msg) => withMedia(ctx, (_, media) => media.consume({ ...msg, rtpCapabilities: msg.rtpCapabilities as types.RtpCapabilities })),

  resumeConsumer: (ctx, msg) => withMedia(ctx, async (_, media) => {
    await media.resumeConsumer(msg.consumerId);
    return {};
  }),

  pauseProducer: (ctx, msg) => setProducerPaused(ctx, msg.producerId, true),
  resumeProducer: (ctx, msg) => setProducerPaused(ctx, msg.producerId, false),

  reportViewport: (ctx, msg) => withMedia(ctx, async (self, media) => {
    if (!media.consumers.has(msg.consumerId)) throw new VisitwireError(ErrorCode.NOT_FOUND, 'unknown consumer');
    self.visit.adaptation?.setViewport(msg.consumerId, { width: msg.width, height: msg.height });
    return {};
  }),

  reportSenderStats: (ctx, msg) => withMedia(ctx, async (self) => {
    self.visit.adaptation?.setSenderStats(self.participantId, msg);
    return {};
  }),

  requestFullQuality: (ctx, msg) => inQueue(ctx, async (self) => {
    if (self.role !== 'provider') {
      self.visit.recordDenied(self, `requestFullQuality:${msg.participantId}`);
      throw new VisitwireError(ErrorCode.FORBIDDEN, 'only a provider may ask for full quality');
    }
    if (!self.visit.hasJoined(msg.participantId)) throw new VisitwireError(ErrorCode.NOT_FOUND, 'no such participant');
    self.visit.adaptation?.setFullQuality(self.participantId, msg.participantId, msg.enabled);
    return {};
  }),

  admit: (ctx, msg) => inQueue(ctx, async (self) => {
    self.visit.decideAdmission(self, 'admit', msg.participantId);
    return {};
  }),

  deny: (ctx, msg) => inQueue(ctx, async (self) => {
    self.visit.decideAdmission(self, 'deny', msg.participantId);
    return {};
  }),
};

function setProducerPaused(ctx: RequestContext, producerId: string, paused: boolean): Promise<Record<string, never>> {
  return withMedia(ctx, async (self, media) => {
    const producer = await media.setProducerPaused(producerId, paused);
    const event = { producerId: producer.id, participantId: self.participantId };
    self.visit.tellOthers(self, paused ? 'producerPaused' : 'producerResumed', event);
    if (producer.kind === 'video') self.visit.tellAdmitted(paused ? 'videoPaused' : 'videoResumed', { ...event, reason: 'muted' });
    if (producer.kind === 'video' && paused) mediaMetrics.videoPaused('muted');
    self.visit.mediaChanged();
    return {};
  });
}

/** The connection's participant, while it has one that has not closed nor been resumed on another connection. */
function current(conn: Connection): Participant {
  if (!holds(conn)) throw new VisitwireError(ErrorCode.NOT_JOINED, 'join the visit first');
  return conn.participant!;
}

function holds(conn: Connection): boolean {
  const p = conn.participant;
  return p !== undefined && !p.closed && p.link === conn.link;
}

/** Runs a request in the participant's queue, after its join and earlier requests. */
function inQueue<T>(ctx: RequestContext, job: (self: Participant) => Promise<T>): Promise<T> {
  const self = current(ctx.conn);
  return self.run(() => job(self));
}

/** As `inQueue`, for an admitted participant's media. */
function withMedia<T>(ctx: RequestContext, job: (self: Participant, media: ParticipantMedia) => Promise<T>): Promise<T> {
  return inQueue(ctx, (self) => {
    if (self.admission !== 'admitted') throw new VisitwireError(ErrorCode.NOT_ADMITTED, 'waiting to be admitted');
    if (!self.media) throw new VisitwireError(ErrorCode.NOT_JOINED, 'join the visit first');
    return job(self, self.media);
  });
}
