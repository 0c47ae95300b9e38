/** Options of `joinVisit`. */
export interface JoinOptions {
  /** The signaling server, e.g. `https://eu1.example.com` (or `location.origin` for the demo). */
  url: string;
  /** The visit token minted by the app's back end. */
  token: string;
  /** socket.io path on the server; default `/socket.io`. */
  path?: string;
  /** Every request is answered or fails with TIMEOUT after this; default 10 000 ms. */
  requestTimeoutMs?: number;
  /** Connecting fails with TIMEOUT after this; default 15 000 ms. */
  connectTimeoutMs?: number;
  /** After an interruption, give up (event `closed`, reason `failed`) when not back within this; default 60 000 ms. */
  rejoinTimeoutMs?: number;
  /** STUN/TURN servers for the media transports; default none (the SFU is reachable directly). */
  iceServers?: RTCIceServer[];
}

export type ResolvedJoinOptions = Required<Omit<JoinOptions, 'path'>> & Pick<JoinOptions, 'path'>;

export function resolveOptions(o: JoinOptions): ResolvedJoinOptions {
  if (!o || typeof o.url !== 'string' || typeof o.token !== 'string') throw new TypeError('joinVisit needs { url, token }');
  return {
    url: o.url,
    token: o.token,
    path: o.path,
    requestTimeoutMs: o.requestTimeoutMs ?? 10_000,
    connectTimeoutMs: o.connectTimeoutMs ?? 15_000,
    rejoinTimeoutMs: o.rejoinTimeoutMs ?? 60_000,
    iceServers: o.iceServers ?? [],
  };
}
