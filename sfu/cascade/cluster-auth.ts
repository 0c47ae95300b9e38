import { createHash } from 'node:crypto';
import { compactDecrypt, CompactEncrypt, jwtVerify, SignJWT } from 'jose';
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

/** Bodies are encrypted (A256GCM) with a key derived from the cluster secret: pipe answers and requests carry SRTP keys. */
const sealKey = (secret: string) => createHash('sha256').update(`visitwire-cluster-seal\n${secret}`).digest();

/** A JSON text sealed for the cluster: a compact JWE (`dir`, A256GCM). */
export function sealBody(secret: string, json: string): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(json)).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(sealKey(secret));
}

/** The JSON text inside a sealed body; BAD_REQUEST when it was not sealed with this cluster's secret. */
export async function openBody(secret: string, sealed: string): Promise<string> {
  try {
    const { plaintext } = await compactDecrypt(sealed, sealKey(secret), { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
    return new TextDecoder().decode(plaintext);
  } catch {
    throw new VisitwireError(ErrorCode.BAD_REQUEST, 'body is not sealed with the cluster secret');
  }
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
