/**
 * The bot's side of visitwire signaling (signaling/protocol.ts) over
 * socket.io-client: typed requests with a timeout, typed server events.
 */
import { io, type Socket } from 'socket.io-client';
import type { Ack, ClientMessage, ClientMessageName, ClientReplies, ServerEventName, ServerEvents } from '../../signaling/protocol.ts';
import { BotError } from './errors.ts';

export interface SignalingOptions {
  url: string;
  token: string;
  requestTimeoutMs: number;
}

export class SignalingClient {
  readonly socket: Socket;
  /** The latest connect error, for a bot that gives up connecting. */
  lastConnectError?: string;
  private abortConnect?: () => void;

  constructor(private readonly o: SignalingOptions) {
    this.socket = io(o.url, {
      auth: { token: o.token },
      transports: ['websocket'],
      reconnectionDelay: 500,
      reconnectionDelayMax: 3000,
      timeout: o.requestTimeoutMs,
      autoConnect: false,
    });
  }

  /** Connects; rejects with the server's refusal (e.g. UNAUTHORIZED) or after the timeout. */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new BotError('TIMEOUT', `signaling did not connect in ${this.o.requestTimeoutMs} ms`)), this.o.requestTimeoutMs);
      const onError = (err: Error & { data?: { code?: string; message?: string } }) => {
        this.lastConnectError = err.message;
        // A refusal by the server's middleware ends the attempt; transport errors are retried by socket.io.
        if (err.data?.code) done(new BotError(err.data.code, err.data.message ?? err.message));
        else if (!this.socket.active) done(new BotError('CONNECT_FAILED', err.message));
      };
      const done = (err?: BotError) => {
        clearTimeout(timer);
        this.abortConnect = undefined;
        this.socket.off('connect', onConnect);
        this.socket.off('connect_error', onError);
        if (err) {
          this.socket.disconnect();
          reject(err);
        } else resolve();
      };
      const onConnect = () => done();
      this.socket.on('connect', onConnect);
      this.socket.on('connect_error', onError);
      this.abortConnect = () => done(new BotError('CONNECT_FAILED', 'closed while connecting'));
      this.socket.connect();
    });
  }

  async request<N extends ClientMessageName>(name: N, msg: ClientMessage<N>): Promise<ClientReplies[N]> {
    let ack: Ack<ClientReplies[N]>;
    try {
      ack = await this.socket.timeout(this.o.requestTimeoutMs).emitWithAck(name, msg);
    } catch {
      throw new BotError('TIMEOUT', `${name} was not answered in ${this.o.requestTimeoutMs} ms`);
    }
    if (ack.error) throw new BotError(ack.error.code, `${name}: ${ack.error.message}`);
    return ack.data as ClientReplies[N];
  }

  on<E extends ServerEventName>(event: E, handler: (data: ServerEvents[E]) => void): void {
    this.socket.on(event as string, handler as (...args: unknown[]) => void);
  }

  close(): void {
    this.abortConnect?.();
    this.socket.removeAllListeners();
    this.socket.disconnect();
  }
}
