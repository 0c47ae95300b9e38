import { io, type Socket } from 'socket.io-client';
import type { Ack, ClientMessage, ClientMessageName, ClientReplies, ServerEventName, ServerEvents } from '../protocol.ts';
import { VisitError, type VisitErrorCode } from './errors.ts';

export interface SignalOptions {
  url: string;
  token: string;
  /** socket.io path on the server; default `/socket.io`. */
  path?: string;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
}

type RefusalData = { code?: VisitErrorCode; message?: string };

/**
 * The signaling connection: socket.io with the visit token, requests that
 * always settle (answer, error code or TIMEOUT) and typed server events.
 */
export class Signal {
  /** Server events that came before anyone listened: between connecting and the Visit that handles them. */
  private backlog: [string, unknown][] | null = [];
  private readonly record = (event: string, data: unknown) => { this.backlog?.push([event, data]); };

  private constructor(readonly socket: Socket, private readonly timeoutMs: number) {
    socket.onAny(this.record);
  }

  /** Connects; a refused token rejects at once with the server's code, an unreachable server with TIMEOUT. */
  static connect(o: SignalOptions): Promise<Signal> {
    const socket = io(o.url, {
      auth: { token: o.token },
      // One connection per visit, never shared with another joinVisit() in the page.
      forceNew: true,
      path: o.path,
      transports: ['websocket', 'polling'],
      timeout: o.connectTimeoutMs,
      reconnectionDelayMax: 5000,
    });
    return new Promise((resolve, reject) => {
      const done = (err?: VisitError) => {
        clearTimeout(timer);
        socket.off('connect', onConnect);
        socket.off('connect_error', onError);
        if (!err) return resolve(new Signal(socket, o.requestTimeoutMs));
        socket.disconnect();
        reject(err);
      };
      const onConnect = () => done();
      const onError = (err: Error & { data?: RefusalData }) => {
        // A refusal carries the server's reason; anything else is the network, which socket.io retries.
        if (err.data?.code) done(new VisitError(err.data.code, err.data.message ?? err.message, 'connect'));
      };
      const timer = setTimeout(() => done(new VisitError('TIMEOUT', `could not connect to ${o.url} within ${o.connectTimeoutMs} ms`, 'connect')), o.connectTimeoutMs);
      socket.on('connect', onConnect);
      socket.on('connect_error', onError);
    });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /** Sends one message; resolves with the ack's `data`, rejects with a VisitError carrying its `code`. */
  async request<N extends ClientMessageName>(name: N, payload: ClientMessage<N>): Promise<ClientReplies[N]> {
    if (!this.socket.connected) throw new VisitError('UNAVAILABLE', `${name}: not connected to the server`, name);
    let ack: Ack<ClientReplies[N]>;
    try {
      ack = await this.socket.timeout(this.timeoutMs).emitWithAck(name, payload);
    } catch {
      throw new VisitError('TIMEOUT', `${name} got no answer within ${this.timeoutMs} ms`, name);
    }
    if (ack?.error) throw new VisitError(ack.error.code, ack.error.message, name);
    if (!ack || !('data' in ack)) throw new VisitError('INTERNAL', `${name}: malformed answer`, name);
    return ack.data as ClientReplies[N];
  }

  on<E extends ServerEventName>(event: E, listener: (data: ServerEvents[E]) => void): void {
    this.socket.on(event as string, listener as (data: unknown) => void);
  }

  /**
   * Hands the events that arrived before the listeners were attached (the
   * server may send one before `join`'s answer) to those listeners, in order;
   * from now on events go straight to them.
   */
  replayBacklog(): void {
    this.socket.offAny(this.record);
    const backlog = this.backlog ?? [];
    this.backlog = null;
    for (const [event, data] of backlog) for (const listener of this.socket.listeners(event)) listener(data);
  }

  close(): void {
    this.socket.disconnect();
  }
}
