import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { openBody, sealBody, signClusterRequest, verifyClusterRequest } from './cluster-auth.ts';

const SECRET = 'a-cluster-secret-of-at-least-32-chars!';

describe('cluster request signatures', () => {
  it('accepts a request signed with the cluster secret and names the calling node', async () => {
    const token = await signClusterRequest(SECRET, 'nrt-1', 'POST', '/internal/v1/pipes', '{"a":1}');
    expect(await verifyClusterRequest(SECRET, `Bearer ${token}`, 'POST', '/internal/v1/pipes', '{"a":1}')).toBe('nrt-1');
  });

  it.each([
    ['no credential', async () => undefined],
    ['another secret', async () => `Bearer ${await signClusterRequest('another-secret-also-32-characters-long', 'x', 'POST', '/p', '{}')}`],
    ['another body', async () => `Bearer ${await signClusterRequest(SECRET, 'x', 'POST', '/p', '{"b":2}')}`],
    ['another path', async () => `Bearer ${await signClusterRequest(SECRET, 'x', 'POST', '/q', '{}')}`],
    ['another audience', async () => `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setAudience('visitwire').setIssuer('x').setExpirationTime('30s').sign(new TextEncoder().encode(SECRET))}`],
    ['an expired one', async () => `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setAudience('visitwire-cluster').setIssuer('x').setIssuedAt(1).setExpirationTime(2).sign(new TextEncoder().encode(SECRET))}`],
    ['not a bearer token', async () => 'Basic abc'],
  ])('refuses %s with UNAUTHORIZED', async (_name, header) => {
    await expect(verifyClusterRequest(SECRET, await header(), 'POST', '/p', '{}')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});

describe('sealed bodies (they carry SRTP keys)', () => {
  const body = '{"srtpParameters":{"cryptoSuite":"AEAD_AES_256_GCM","keyBase64":"c2VjcmV0LWtleQ=="}}';

  it('round-trips with the cluster secret, and the key is not readable on the wire', async () => {
    const sealed = await sealBody(SECRET, body);
    expect(sealed).not.toContain('c2VjcmV0LWtleQ');
    expect(Buffer.from(sealed.split('.')[3] ?? '', 'base64url').toString()).not.toContain('secret-key');
    expect(await openBody(SECRET, sealed)).toBe(body);
  });

  it.each([
    ['a plain JSON body', async () => body],
    ['one sealed with another secret', () => sealBody('another-secret-also-32-characters-long', body)],
    ['a tampered one', async () => { const s = await sealBody(SECRET, body); return `${s.slice(0, -4)}AAAA`; }],
  ])('refuses %s with BAD_REQUEST', async (_name, sealed) => {
    await expect(openBody(SECRET, await sealed())).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
