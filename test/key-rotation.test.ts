import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../common/tokens.ts';
import { CLI, deleteKeys, request, spawnRole } from './helpers/cluster.ts';
import { connectClient } from './helpers/signaling-client.ts';
import { TEST_CLUSTER_ENV, TEST_SECRET } from './helpers/stack.ts';

/**
 * A `visitwire node` and a `visitwire router` that hold only public keys
 * (VISITWIRE_JWKS_FILE, no VISITWIRE_SECRET), tokens from `visitwire token
 * --key-file`, and a rotation done by rewriting the key-set file.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `visitwire-keys-test-${randomBytes(6).toString('hex')}:`;
const started: ChildProcess[] = [];
let tmp: string;
let nodeUrl: string;
let routerUrl: string;
const keys: Record<'old' | 'new', { publicJwk: JWK; privateFile: string }> = {} as never;
const jwksFile = () => path.join(tmp, 'jwks.json');
const writeKeySet = (...kids: ('old' | 'new')[]) => writeFile(jwksFile(), JSON.stringify({ keys: kids.map((k) => keys[k].publicJwk) }));

async function cliToken(kid: 'old' | 'new', visit: string, user: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'token', '--visit', visit, '--user', user, '--role', 'provider', '--key-file', keys[kid].privateFile],
    { env: { PATH: process.env.PATH } });
  return stdout.trim();
}

const connectOutcome = (token: string) => connectClient(nodeUrl, token).then(
  (c) => { c.close(); return 'connected'; },
  (err: { data?: { code: string } }) => err.data?.code ?? 'no code',
);
const routeStatus = async (token: string) => {
  const r = await request(`${routerUrl}/v1/route?visit=v-keys`, { headers: { authorization: `Bearer ${token}` } });
  return r.status === 200 ? 'routed' : r.body.error.code;
};

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'visitwire-keys-'));
  for (const [name, kid, alg] of [['old', '2026-11', 'ES256'], ['new', '2026-12', 'EdDSA']] as const) {
    const pair = await generateKeyPair(alg, { extractable: true });
    const privateFile = path.join(tmp, `${name}.private.jwk.json`);
    await writeFile(privateFile, JSON.stringify({ ...await exportJWK(pair.privateKey), kid, alg }));
    keys[name] = { publicJwk: { ...await exportJWK(pair.publicKey), kid, alg }, privateFile };
  }
  await writeKeySet('old', 'new');
  const regionsFile = path.join(tmp, 'regions.json');
  await writeFile(regionsFile, JSON.stringify([{ id: 'eu-west', lat: 53.35, lon: -6.26, tags: ['eu'] }]));
  const env = { ...TEST_CLUSTER_ENV, VISITWIRE_JWKS_FILE: jwksFile(), VISITWIRE_REDIS_PREFIX: PREFIX, VISITWIRE_WORKERS: '1', VISITWIRE_RTC_PORT: '0', LOG_LEVEL: 'warn' };
  const [node, router] = await Promise.all([
    spawnRole(['node', '--region', 'eu-west', '--node-id', 'keys-1', '--redis', REDIS_URL, '--host', '127.0.0.1', '--port', '0'],
      env, /visitwire node \S+ \(\S+\) is serving (\S+)/, started),
    spawnRole(['router', '--regions', regionsFile, '--redis', REDIS_URL, '--port', '0', '--host', '127.0.0.1'],
      env, /visitwire router is listening on (\S+) /, started),
  ]);
  [nodeUrl, routerUrl] = [node.ready[0]!, router.ready[0]!];
});

afterAll(async () => {
  for (const proc of started) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  await deleteKeys(REDIS_URL, PREFIX);
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('keys that rotate, on a node and a router holding only public keys', () => {
  it('admits tokens of both keys in the set (ES256 and EdDSA) and joins the visit', async () => {
    const client = await connectClient(nodeUrl, await cliToken('old', 'v-keys', 'dr-old'));
    expect((await client.request('join', {})).data?.admission).toBe('admitted');
    client.close();
    expect(await connectOutcome(await cliToken('new', 'v-keys', 'dr-new'))).toBe('connected');
    expect(await routeStatus(await cliToken('old', 'v-keys', 'dr-old'))).toBe('routed');
    expect(await routeStatus(await cliToken('new', 'v-keys', 'dr-new'))).toBe('routed');
  });

  it('refuses a development HS256 token and an unknown kid with UNAUTHORIZED', async () => {
    const hs256 = await mintToken(TEST_SECRET, { visit: 'v-keys', user: 'dr-x', role: 'provider' });
    const stranger = await generateKeyPair('ES256');
    const unknownKid = await mintToken({ kid: '2025-01', alg: 'ES256', key: stranger.privateKey }, { visit: 'v-keys', user: 'dr-y', role: 'provider' });
    expect([await connectOutcome(hs256), await connectOutcome(unknownKid)]).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED']);
    expect([await routeStatus(hs256), await routeStatus(unknownKid)]).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED']);
  });

  it('refuses the old key once it leaves the file, without a restart; the new key keeps working', async () => {
    const oldToken = await cliToken('old', 'v-keys', 'dr-old');
    await writeKeySet('new');
    expect(await connectOutcome(oldToken)).toBe('UNAUTHORIZED');
    expect(await routeStatus(oldToken)).toBe('UNAUTHORIZED');
    expect(await connectOutcome(await cliToken('new', 'v-keys', 'dr-new'))).toBe('connected');
    expect(await routeStatus(await cliToken('new', 'v-keys', 'dr-new'))).toBe('routed');
  });
});
