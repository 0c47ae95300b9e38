import { createHmac } from 'node:crypto';

/** An ICE server as RTCPeerConnection takes it (and the route and join answers carry it). */
export interface IceServer { urls: string | string[]; username?: string; credential?: string }

/** A TURN deployment (coturn with `use-auth-secret`): its URLs and the shared secret. */
export interface TurnSettings {
  /** `turns:host:443?transport=tcp`, `turn:host:3478?transport=udp`, ... */
  urls: string[];
  /** coturn's `static-auth-secret`. */
  secret: string;
}

/**
 * A TURN URL as RFC 7065 writes it: `turn:` over UDP or TCP, `turns:` over
 * TLS (TCP only: browsers do not speak TURN over DTLS).
 */
const TURN_URL = /^(turns?):(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?(\?transport=(udp|tcp))?$/;

/** Parses VISITWIRE_TURN_URLS (comma-separated); throws with the first bad URL. */
export function parseTurnUrls(raw: string): string[] {
  const urls = raw.split(',').map((u) => u.trim()).filter(Boolean);
  if (urls.length === 0) throw new Error('no TURN URL given (e.g. turns:turn.example:443?transport=tcp)');
  for (const url of urls) {
    const m = TURN_URL.exec(url);
    if (!m) throw new Error(`"${url}" is not a TURN URL like turns:turn.example:443?transport=tcp or turn:turn.example:3478?transport=udp`);
    if (m[1] === 'turns' && m[5] === 'udp') throw new Error(`"${url}": turns: runs over TLS, which is TCP (transport=tcp)`);
    if (m[3] && Number(m[3].slice(1)) > 65535) throw new Error(`"${url}": port out of range`);
  }
  return urls;
}

/**
 * coturn's REST credentials (`use-auth-secret`): the username is
 * `<unix expiry>:<user id>`, the password base64(HMAC-SHA1(secret, username)).
 * coturn refuses them after `expiresAt` (seconds since the epoch).
 */
export function turnCredentials(secret: string, userId: string, expiresAt: number): { username: string; credential: string } {
  const username = `${Math.floor(expiresAt)}:${userId}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/**
 * The ICE servers handed to one participant: `fixed` ones as configured, and
 * the TURN URLs with credentials for this user that expire with their visit
 * token (`exp`).
 */
export function iceServersFor(turn: TurnSettings | undefined, user: { sub: string; exp: number }, fixed: IceServer[] = []): IceServer[] {
  if (!turn) return fixed;
  return [...fixed, { urls: turn.urls, ...turnCredentials(turn.secret, user.sub, user.exp) }];
}
