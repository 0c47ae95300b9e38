import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeySet, loadSigningKey, parseKeySet, type SigningKey } from './key-set.ts';
import { mintToken, verifyToken } from './tokens.ts';

interface TestKey { signer: SigningKey; publicKey: CryptoKey; publicJwk: JWK; privateJwk: JWK }

async function newKey(kid: string, alg: 'ES256' | 'EdDSA'): Promise<TestKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return {
    signer: { kid, alg, key: privateKey },
    publicKey,
    publicJwk: { ...await exportJWK(publicKey), kid, alg },
    privateJwk: { ...await exportJWK(privateKey), kid, alg },
  };
}

const CLAIMS = { visit: 'v-1', user: 'u-1', role: 'patient' } as const;
let dir: string;
let oldKey: TestKey;
let newKeyPair: TestKey;
let edKey: TestKey;
const jwksFile = () => path.join(dir, 'jwks.json');
const writeKeys = (...keys: TestKey[]) => writeFile(jwksFile(), JSON.stringify({ keys: keys.map((k) => k.publicJwk) }));

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'visitwire-keys-'));
  [oldKey, newKeyPair, edKey] = await Promise.all([newKey('2026-11', 'ES256'), newKey('2026-12', 'ES256'), newKey('ed-1', 'EdDSA')]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('a key set of public keys', () => {
  it('verifies ES256 and EdDSA tokens with only the public keys', async () => {
    await writeKeys(oldKey, edKey);
    const keys = await KeySet.fromFile(jwksFile());
    expect(await verifyToken(keys, await mintToken(oldKey.signer, CLAIMS))).toMatchObject({ visit: 'v-1', sub: 'u-1', role: 'patient' });
    expect(await verifyToken(keys, await mintToken(edKey.signer, CLAIMS))).toMatchObject({ sub: 'u-1' });
  });

  it('rotates: old and new kid both accepted, then the old key removed from the file is refused', async () => {
    await writeKeys(oldKey, newKeyPair);
    const keys = await KeySet.fromFile(jwksFile());
    const oldToken = await mintToken(oldKey.signer, CLAIMS);
    const newToken = await mintToken(newKeyPair.signer, CLAIMS);
    expect(await verifyToken(keys, oldToken)).toMatchObject({ sub: 'u-1' });
    expect(await verifyToken(keys, newToken)).toMatchObject({ sub: 'u-1' });
    await writeKeys(newKeyPair);
    await expect(verifyToken(keys, oldToken)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await verifyToken(keys, newToken)).toMatchObject({ sub: 'u-1' });
  });

  it('keeps the previous keys when the file is rewritten with something that does not parse, and reports it', async () => {
    await writeKeys(newKeyPair);
    const errors: Error[] = [];
    const keys = await KeySet.fromFile(jwksFile(), (err) => errors.push(err));
    await writeFile(jwksFile(), '{"keys": [');
    expect(await verifyToken(keys, await mintToken(newKeyPair.signer, CLAIMS))).toMatchObject({ sub: 'u-1' });
    expect(errors.length).toBe(1);
  });

  it.each([
    ['an unknown kid', async () => mintToken({ ...oldKey.signer, kid: 'nobody' }, CLAIMS)],
    ['no kid', async () => new SignJWT({ visit: 'v', role: 'patient' }).setProtectedHeader({ alg: 'ES256' }).setSubject('u').setExpirationTime('1h').sign(newKeyPair.signer.key)],
    ['a key that is not in the set', async () => mintToken({ ...(await newKey('2026-12', 'ES256')).signer }, CLAIMS)],
    ['alg none', async () => {
      const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      return `${part({ alg: 'none', kid: '2026-12' })}.${part({ sub: 'u', visit: 'v', role: 'provider', exp: 9999999999 })}.`;
    }],
    ['HS256 signed with the public key (JWK)', async () => new SignJWT({ visit: 'v', role: 'provider' }).setProtectedHeader({ alg: 'HS256', kid: '2026-12' })
      .setSubject('u').setExpirationTime('1h').sign(new TextEncoder().encode(JSON.stringify(newKeyPair.publicJwk)))],
    ['HS256 signed with the public key (PEM)', async () => new SignJWT({ visit: 'v', role: 'provider' }).setProtectedHeader({ alg: 'HS256', kid: '2026-12' })
      .setSubject('u').setExpirationTime('1h').sign(new TextEncoder().encode(await exportSPKI(newKeyPair.publicKey)))],
    ['a development HS256 token', async () => mintToken('dev-secret-0123456789abcdef', CLAIMS)],
  ])('refuses %s with UNAUTHORIZED', async (_name, token) => {
    await writeKeys(newKeyPair);
    const keys = await KeySet.fromFile(jwksFile());
    await expect(verifyToken(keys, await token())).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('refuses an expired key-set token with TOKEN_EXPIRED', async () => {
    await writeKeys(newKeyPair);
    const keys = await KeySet.fromFile(jwksFile());
    const token = await new SignJWT({ visit: 'v', role: 'patient' }).setProtectedHeader({ alg: 'ES256', kid: '2026-12' })
      .setSubject('u').setExpirationTime(Math.floor(Date.now() / 1000) - 10).sign(newKeyPair.signer.key);
    await expect(verifyToken(keys, token)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
  });

  it('signs with a private key file that verifies against the public set', async () => {
    await writeKeys(newKeyPair);
    const file = path.join(dir, 'private.jwk.json');
    await writeFile(file, JSON.stringify(newKeyPair.privateJwk));
    const token = await mintToken(await loadSigningKey(file), CLAIMS);
    expect(await verifyToken(await KeySet.fromFile(jwksFile()), token)).toMatchObject({ sub: 'u-1' });
  });
});

describe('parseKeySet', () => {
  const pub = () => ({ ...newKeyPair.publicJwk });
  it.each([
    ['no keys', () => ({ keys: [] }), /keys/],
    ['not a key set', () => ({ kty: 'EC' }), /keys/],
    ['a key without kid', () => ({ keys: [{ ...pub(), kid: undefined }] }), /kid/],
    ['two keys with one kid', () => ({ keys: [pub(), pub()] }), /its own kid/],
    ['a private key', () => ({ keys: [{ ...newKeyPair.privateJwk }] }), /public keys only/],
    ['an RS256 key', () => ({ keys: [{ ...pub(), alg: 'RS256' }] }), /alg/],
    ['a symmetric key', () => ({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'h', alg: 'HS256' }] }), /alg|kty/],
  ])('refuses %s', (_name, json, message) => {
    expect(() => parseKeySet(json())).toThrow(message);
  });

  it('accepts public ES256 and EdDSA keys', () => {
    expect(parseKeySet({ keys: [newKeyPair.publicJwk, edKey.publicJwk] }).keys.map((k) => k.kid)).toEqual(['2026-12', 'ed-1']);
  });
});
