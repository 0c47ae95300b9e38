/** Options of `joinVisit`. */
export interface JoinOptions {
  /**
   * The edge router, e.g. `https://route.example.com`: it names the nearest
   * healthy node for this participant, and the SDK connects there.
   * Give this or `url`.
   */
  routerUrl?: string;
  /** A node's signaling URL, to connect to directly (or `location.origin` for the demo). */
  url?: string;
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
  /**
   * STUN/TURN servers for the media transports. Default: the TURN servers
   * (with short-lived credentials) the node gives in its join answer, else the
   * router's, else none (the SFU is reachable directly).
   */
  iceServers?: RTCIceServer[];
}

export type ResolvedJoinOptions = Required<Omit<JoinOptions, 'path' | 'routerUrl'>> & Pick<JoinOptions, 'path' | 'routerUrl'> & {
  /** The ICE servers of the router's first answer, used when neither the app nor the node gives any. */
  routeIceServers: RTCIceServer[];
};

/** Checks the options; `url` is the node to connect to (from the router when `routerUrl` was given). */
export function resolveOptions(o: JoinOptions & { url: string; routeIceServers?: RTCIceServer[] }): ResolvedJoinOptions {
  if (!o || typeof o.url !== 'string' || typeof o.token !== 'string') throw new TypeError('joinVisit needs { routerUrl or url, token }');
  return {
    url: o.url,
    routerUrl: o.routerUrl,
    token: o.token,
    path: o.path,
    requestTimeoutMs: o.requestTimeoutMs ?? 10_000,
    connectTimeoutMs: o.connectTimeoutMs ?? 15_000,
    rejoinTimeoutMs: o.rejoinTimeoutMs ?? 60_000,
    iceServers: o.iceServers ?? [],
    routeIceServers: o.routeIceServers ?? [],
  };
}

/**
 * The ICE servers of one join: the app's when it gave some, else the node's
 * (the TURN beside it, credentials in the join answer), else the router's.
 */
export function chooseIceServers(fromApp: RTCIceServer[], fromNode: RTCIceServer[] | undefined, fromRouter: RTCIceServer[]): RTCIceServer[] {
  if (fromApp.length > 0) return fromApp;
  if (fromNode && fromNode.length > 0) return fromNode;
  return fromRouter;
}
