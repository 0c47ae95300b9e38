import { io, type Socket } from 'socket.io-client';

export interface TestClient {
  socket: Socket;
  /** Sends a message and returns its ack (`{ data }` or `{ error }`). */
  request(name: string, payload?: unknown): Promise<{ data?: any; error?: { code: string; message: string } }>;
  events: { event: string; data: any }[];
  close(): void;
}

/** A raw socket.io client for protocol tests: no SDK between the test and the wire. */
export async function connectClient(url: string, token?: string): Promise<TestClient> {
  const socket = io(url, { auth: token === undefined ? {} : { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  const events: TestClient['events'] = [];
  socket.onAny((event, data) => events.push({ event, data }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err: Error & { data?: unknown }) => reject(Object.assign(err, { data: err.data })));
  });
  return {
    socket, events,
    request: (name, payload) => socket.timeout(10_000).emitWithAck(name, payload),
    close: () => socket.close(),
  };
}
