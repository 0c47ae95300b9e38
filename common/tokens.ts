import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { z } from 'zod';
import { ErrorCode, VisitwireError } from './errors.ts';
import { IdSchema } from './ids.ts';
import { KEY_SET_ALGORITHMS, type KeySet, type SigningKey } from './key-set.ts';
import { ROLES, type Role } from './roles.ts';


export const VisitClaimsSchema = z.object({
  sub: IdSchema,
  visit: IdSchema,
  role: z.enum(ROLES),
  exp: z.number().int(),
  residency: z.string().regex(/^[a-z0-9-]{1,32}$/).optional(),
});
export type VisitClaims = z.infer<typeof VisitClaimsSchema>;

export interface MintOptions {
  visit: string;
  user: string;
  role: Role;
  residency?: string;
  ttlSeconds?: number;
}

const key = (secret: string) => new TextEncoder().encode(secret);

/** What tokens are verified with: the development secret (HS256) or a key set of public keys (ES256/EdDSA, by `kid`). */
export type VerificationKeys = string | KeySet;

/** Mints a visit token: HS256 with a secret, or ES256/EdDSA with a private key (its `kid` in the header). Apps do this in their back end. */
export async function mintToken(signer: string | SigningKey, o: MintOptions): Promise<string> {
  IdSchema.parse(o.visit);
  IdSchema.parse(o.user);
  const claims: Record<string, unknown> = { visit: o.visit, role: o.role };
  if (o.residency) claims.residency = o.residency;
  const header = typeof signer === 'string' ? { alg: 'HS256', typ: 'JWT' } : { alg: signer.alg, kid: signer.kid, typ: 'JWT' };
  return new SignJWT(claims)
    .setProtectedHeader(header)
    .setSubject(o.user)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (o.ttlSeconds ?? 3600))
    .sign(typeof signer === 'string' ? key(signer) : signer.key);
}

/** Verifies a visit token; throws VisitwireError UNAUTHORIZED or TOKEN_EXPIRED. */
export async function verifyToken(keys: VerificationKeys, token: unknown): Promise<VisitClaims> {
  if (typeof token !== 'string' || token.length === 0 || token.length > 4096) {
    throw new VisitwireError(ErrorCode.UNAUTHORIZED, 'missing visit token');
  }
  let payload: unknown;
  try {
    if (typeof keys === 'string') {
      ({ payload } = await jwtVerify(token, key(keys), { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] }));
    } else {
      const getKey = await keys.resolver();
      ({ payload } = await jwtVerify(token, (header, t) => {
        if (!header.kid) throw new Error('a key-set token needs a kid');
        return getKey(header, t);
      }, { algorithms: [...KEY_SET_ALGORITHMS], requiredClaims: ['exp', 'sub'] }));
    }
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw new VisitwireError(ErrorCode.TOKEN_EXPIRED, 'visit token expired');
    throw new VisitwireError(ErrorCode.UNAUTHORIZED, 'invalid visit token');
  }
  const claims = VisitClaimsSchema.safeParse(payload);
  if (!claims.success) throw new VisitwireError(ErrorCode.UNAUTHORIZED, 'visit token claims are invalid');
  return claims.data;
}

/** A random secret for one dev run of `npm start` when VISITWIRE_SECRET is not set. */
export function devSecret(): string {
  return randomBytes(32).toString('base64url');
}
