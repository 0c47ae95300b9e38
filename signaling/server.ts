import type { Server as HttpServer } from 'node:http';
import { Server as SocketServer, type Socket } from 'socket.io';
import { ErrorCode, VisitwireError, toErrorBody } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import { verifyToken, type VisitClaims } from '../common/tokens.ts';
import { ClientMessages, MAX_MESSAGE_BYTES, type Ack, type ClientMessageName } from './protocol.ts';
import type { VisitService } from './visit-service.ts';

interface SocketState {
  claims: VisitClaims;
  participantId?: string;
}

export interface SignalingOptions {
  secret: string;
  visits: VisitService;
  logger: Logger;
  /** Socket.io path; the SDK uses the default. */
  path?: string;
}

/**
 * The socket.io signaling server. A connection carries a visit token in
 * `auth.token`; every message is checked against its schema and answered
 * `{ data }` or `{ error: { code, message } }`.
 */
export function attachSignaling(http: HttpServer, o: SignalingOptions): SocketServer {
  const io = new SocketServer(http, {
    path: o.path ?? '/socket.io',
    serveClient: false,
    maxHttpBufferSize: 1024 * 1024,
    cors: { origin: true },
  });

  io.use((socket, next) => {
    verifyToken(o.secret, socket.handshake.auth?.token).then(
      (claims) => {
        (socket.data as SocketState) = { claims };
        next();
      },
      (err: unknown) => {
        const body = toErrorBody(err);
        o.logger.info({ code: body.code, address: socket.handshake.address }, 'signaling connection refused');
        next(Object.assign(new Error(body.message), { data: body }));
      },
    );
  });

  io.on('connection', (socket) => onConnection(socket, o));
  return io;
}

function onConnection(socket: Socket, o: SignalingOptions): void {
  const state = socket.data as SocketState;
  const { claims } = state;
  const log = o.logger.child({ visitId: claims.visit, userId: claims.sub, role: claims.role });
  const link = {
    address: socket.handshake.address,
    notify: (event: string, data: unknown) => {
      // The visit dropped this participant with its media worker: this connection may join again.
      if (event === 'visitInterrupted') state.participantId = undefined;
      socket.emit(event, data);
    },
  };

  const run = async (name: ClientMessageName, payload: unknown): Promise<unknown> => {
    const size = JSON.stringify(payload ?? null).length;
    if (size > MAX_MESSAGE_BYTES) throw new VisitwireError(ErrorCode.LIMIT_EXCEEDED, `message is ${size} bytes; the limit is ${MAX_MESSAGE_BYTES}`);
    const parsed = ClientMessages[name].safeParse(payload ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new VisitwireError(ErrorCode.BAD_REQUEST, `${name}: ${issue.path.join('.') || 'message'}: ${issue.message}`);
    }
    if (name === 'join') {
      if (state.participantId) throw new VisitwireError(ErrorCode.ALREADY_JOINED, 'already joined on this connection');
      const { participant, reply } = await o.visits.join(claims, link);
      state.participantId = participant.participantId;
      return reply;
    }
    if (!state.participantId) throw new VisitwireError(ErrorCode.NOT_JOINED, 'join the visit first');
    if (name === 'leave') {
      o.visits.leave(claims.visit, state.participantId, 'left');
      state.participantId = undefined;
      return {};
    }
    return o.visits.handle(claims.visit, state.participantId, claims, name, parsed.data as never);
  };

  socket.onAny((name: unknown, ...args: unknown[]) => {
    const ack = args[args.length - 1];
    if (typeof ack !== 'function') return;
    const reply = ack as (a: Ack<unknown>) => void;
    if (typeof name !== 'string' || !Object.hasOwn(ClientMessages, name)) {
      reply({ error: { code: ErrorCode.BAD_REQUEST, message: `unknown message ${String(name).slice(0, 64)}` } });
      return;
    }
    run(name as ClientMessageName, args.length > 1 ? args[0] : undefined).then(
      (data) => reply({ data }),
      (err: unknown) => {
        const error = toErrorBody(err);
        if (error.code === ErrorCode.INTERNAL) log.error({ err, message: name }, 'request failed');
        else log.debug({ code: error.code, message: name }, 'request refused');
        reply({ error });
      },
    );
  });

  socket.on('disconnect', () => {
    if (state.participantId) o.visits.leave(claims.visit, state.participantId, 'disconnected');
    state.participantId = undefined;
  });
}
