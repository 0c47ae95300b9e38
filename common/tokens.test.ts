import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { mintToken, verifyToken } from './tokens.ts';

const secret = 'unit-test-secret-0123456789abcdef';

describe('visit tokens', () => {
  it('round-trips the claims of a minted token', async () => {
    const token = await mintToken(secret, { visit: 'v-1', user: 'u-1', role: 'patient', residency: 'eu', ttlSeconds: 60 });
    const claims = await verifyToken(secret, token);
    expect(claims).toMatchObject({ visit: 'v-1', sub: 'u-1', role: 'patient', residency: 'eu' });
    expect(claims.exp - Date.now() / 1000).toBeGreaterThan(50);
  });

  it.each([
    ['missing', undefined, 'UNAUTHORIZED'],
    ['empty', '', 'UNAUTHORIZED'],
    ['not a JWT', 'hello', 'UNAUTHORIZED'],
    ['a number', 42, 'UNAUTHORIZED'],
  ])('refuses a %s token', async (_name, token, code) => {
    await expect(verifyToken(secret, token)).rejects.toMatchObject({ code });
  });

  it('refuses a token signed with another secret', async () => {
    const token = await mintToken('another-secret-0123456789abcdef', { visit: 'v', user: 'u', role: 'provider' });
    await expect(verifyToken(secret, token)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('refuses an expired token with TOKEN_EXPIRED', async () => {
    const token = await new SignJWT({ visit: 'v', role: 'provider' }).setProtectedHeader({ alg: 'HS256' })
      .setSubject('u').setExpirationTime(Math.floor(Date.now() / 1000) - 10).sign(new TextEncoder().encode(secret));
    await expect(verifyToken(secret, token)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
  });

  it('refuses a token with an unknown role or a malformed visit id', async () => {
    const sign = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' })
      .setSubject('u').setExpirationTime('1h').sign(new TextEncoder().encode(secret));
    await expect(verifyToken(secret, await sign({ visit: 'v', role: 'superuser' }))).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(verifyToken(secret, await sign({ visit: 'v/../x', role: 'patient' }))).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('refuses an unsigned (alg none) token', async () => {
    const body = Buffer.from(JSON.stringify({ sub: 'u', visit: 'v', role: 'provider', exp: 9999999999 })).toString('base64url');
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    await expect(verifyToken(secret, `${header}.${body}.`)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
