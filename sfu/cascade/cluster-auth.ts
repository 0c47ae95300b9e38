import { createHash } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { ErrorCode, VisitwireError } from '../../common/errors.ts';

/** Audience of node-to-node requests: a visit token (another audience) is refused. */
export const CLUSTER_AUDIENCE = 'visitwire-cluster';
/** A signed request is good for this long (clock skew between nodes included). */
const LIFETIME_S = 30;
export const MIN_CLUSTER_SECRET_LENGTH = 32;

/** What a signature covers: method, path and the exact body, so a token cannot be reused for another request. */
function requestHash(method: string, path: string, body: string): string {
  return createHash('sha256').update(`${method} ${path}\n${body}`).digest('base64url');
}

const key = (secret: string) => new TextEncoder().encode(secret);

/** A short-lived HS256 JWT (issuer = calling node) bound to this request; sent as `Authorization: Bearer`. */
export function signClusterRequest(secret: string, nodeId: string, method: string, path: string, body: string): Promise<string> {
  return new SignJWT({ req: requestHash(method, path, body) })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(nodeId)
    .setAudience(CLUSTER_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${LIFETIME_S}s`)
    .sign(key(secret));
}

/** The calling node's id; UNAUTHORIZED when the credential is missing, forged, expired or for another request. */
export async function verifyClusterRequest(secret: string, authorization: string | undefined, method: string, path: string, body: string): Promise<string> {
  const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
  if (!token) throw new VisitwireError(ErrorCode.UNAUTHORIZED, 'cluster credential missing');
  let payload;
  try {
    ({ payload } = await jwtVerify(token, key(secret), { audience: CLUSTER_AUDIENCE, algorithms: ['HS256'], maxTokenAge: `${LIFETIME_S + 5}s` }));
  } catch {
    throw new VisitwireError(ErrorCode.UNAUTHORIZED, 'cluster credential invalid or expired');
  }
  if (payload.req !== requestHash(method, path, body) || typeof payload.iss !== 'string') {
    throw new VisitwireError(ErrorCode.UNAUTHORIZED, 'cluster credential is for another request');
  }
  return payload.iss;
}
