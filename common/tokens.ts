import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { z } from 'zod';
import { ErrorCode, VisitwireError } from './errors.ts';
import { IdSchema } from './ids.ts';
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

/** Mints a visit token (HS256). Apps do this in their back end with the shared secret. */
export async function mintToken(secret: string, o: MintOptions): Promise<string> {
  IdSchema.parse(o.visit);
  IdSchema.parse(o.user);
  const claims: Record<string, unknown> = { visit: o.visit, role: o.role };
  if (o.residency) claims.residency = o.residency;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(o.user)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (o.ttlSeconds ?? 3600))
    .sign(key(secret));
}

/** Verifies a visit token; throws VisitwireError UNAUTHORIZED or TOKEN_EXPIRED. */
export async function verifyToken(secret: string, token: unknown): Promise<VisitClaims> {
  if (typeof token !== 'string' || token.length === 0 || token.length > 4096) {
    throw new VisitwireError(ErrorCode.UNAUTHORIZED, 'missing visit token');
  }
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, key(secret), { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] }));
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
