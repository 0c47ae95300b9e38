import type { Server as HttpServer } from 'node:http';
import { Server as SocketServer, type Socket } from 'socket.io';
import { ErrorCode, toErrorBody } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import { originAllowed, type AllowedOrigins } from '../common/origins.ts';
import type { RateLimits } from '../common/rate-limits.ts';
import { verifyToken, type VerificationKeys, type VisitClaims } from '../common/tokens.ts';
import { dispatch, isMessageName, type Connection } from './handlers.ts';
import type { Ack } from './protocol.ts';
import { connectionRefused, observeRequest } from './signaling-metrics.ts';
import type { VisitService } from './visit-service.ts';

interface SocketState {
  claims: VisitClaims;
}

export interface SignalingOptions {
  keys: VerificationKeys;
  visits: VisitService;
  logger: Logger;
  /** Browser origins that may connect; a connection from another is refused (HTTP 403). */
  allowedOrigins: AllowedOrigins;
  /** Connections per address and messages per connection; over a limit: LIMIT_EXCEEDED. */
  limits: RateLimits;
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
    cors: { origin: o.allowedOrigins === '*' ? true : [...o.allowedOrigins] },
    allowRequest: (req, callback) => callback(null, originAllowed(o.allowedOrigins, req.headers.origin)),
  });

  io.use((socket, next) => {
    o.limits.take('connection', socket.handshake.address).then(() => verifyToken(o.keys, socket.handshake.auth?.token)).then(
      (claims) => {
        (socket.data as SocketState) = { claims };
        next();
      },
      (err: unknown) => {
        const body = toErrorBody(err);
        // The rate limiter logs its own refusals, once a minute per offender.
        if (body.code !== ErrorCode.LIMIT_EXCEEDED) o.logger.info({ code: body.code, address: socket.handshake.address }, 'signaling connection refused');
        connectionRefused(body.code);
        next(Object.assign(new Error(body.message), { data: body }));
      },
    );
  });

  io.on('connection', (socket) => onConnection(socket, o));
  return io;
}

function onConnection(socket: Socket, o: SignalingOptions): void {
  const { claims } = socket.data as SocketState;
  const log = o.logger.child({ visitId: claims.visit, userId: claims.sub, role: claims.role });
  const conn: Connection = {
    claims,
    link: { address: socket.handshake.address, notify: (event, data) => { socket.emit(event, data); } },
  };

  socket.onAny((name: unknown, ...args: unknown[]) => {
    const ack = args[args.length - 1];
    if (typeof ack !== 'function') return;
    const reply = ack as (a: Ack<unknown>) => void;
    // Counted before anything else, so that a flood of anything is throttled; a throttled message changes nothing.
    o.limits.take('message', socket.id).then(() => {
      // The check takes a tick: a connection that closed meanwhile has its message dropped, as if it never arrived.
      if (socket.disconnected) return;
      if (!isMessageName(name)) {
        reply({ error: { code: ErrorCode.BAD_REQUEST, message: `unknown message ${String(name).slice(0, 64)}` } });
        return;
      }
      observeRequest(name, dispatch(name, args.length > 1 ? args[0] : undefined, { conn, visits: o.visits })).then(
        (data) => reply({ data }),
        (err: unknown) => {
          const error = toErrorBody(err);
          if (error.code === ErrorCode.INTERNAL) log.error({ err, message: name }, 'request failed');
          else log.debug({ code: error.code, message: name }, 'request refused');
          reply({ error });
        },
      );
    }, (err: unknown) => reply({ error: toErrorBody(err) }));
  });

  socket.on('disconnect', () => { if (conn.participant) o.visits.connectionLost(conn.participant, conn.link); });
}
