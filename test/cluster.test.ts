import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_HEARTBEAT_EXPIRY_MS, RedisRegistry } from '../common/registry/index.ts';
import { mintToken, type MintOptions } from '../common/tokens.ts';
import { CLI, deleteKeys, request, spawnRole, type RoleProcess } from './helpers/cluster.ts';
import { connectClient, type TestClient } from './helpers/signaling-client.ts';
import { TEST_CLUSTER_ENV, TEST_SECRET } from './helpers/stack.ts';

/**
 * A three-region cluster on this machine: three `visitwire node` and two
 * `visitwire router` processes sharing the real Redis under a key prefix of
 * their own. Client locations come through X-Forwarded-For from 127.0.0.1,
 * which the routers trust. The cases run in order: the last ones kill and drain nodes.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `visitwire-cluster-test-${randomBytes(6).toString('hex')}:`;
const IP = { uk: '81.2.69.142', de: '5.9.0.1', us: '8.8.8.8', jp: '1.0.16.1', au: '203.2.218.214' };
const REGIONS = [
  { id: 'eu-west', lat: 53.35, lon: -6.26, tags: ['eu'] },
  { id: 'us-east', lat: 38.95, lon: -77.45, tags: [] },
  { id: 'ap-northeast', lat: 35.68, lon: 139.69, tags: [] },
];
const NODES = { dub: ['dub-1', 'eu-west'], iad: ['iad-1', 'us-east'], nrt: ['nrt-1', 'ap-northeast'] } as const;
const ENV = { ...TEST_CLUSTER_ENV, VISITWIRE_SECRET: TEST_SECRET, VISITWIRE_REDIS_PREFIX: PREFIX, VISITWIRE_WORKERS: '1', VISITWIRE_RTC_PORT: '0', LOG_LEVEL: 'warn' };

const started: ChildProcess[] = [];
const clients: TestClient[] = [];
let tmp: string;
let registry: RedisRegistry;
let nodes: Record<keyof typeof NODES, RoleProcess>;
let routerA: string;
let routerB: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'visitwire-cluster-'));
  const regionsFile = path.join(tmp, 'regions.json');
  await writeFile(regionsFile, JSON.stringify(REGIONS));
  registry = new RedisRegistry({ redisUrl: REDIS_URL, prefix: PREFIX });
  const node = ([id, region]: readonly [string, string]) => spawnRole(
    ['node', '--region', region, '--node-id', id, '--redis', REDIS_URL, '--host', '127.0.0.1', '--port', '0'],
    ENV, /visitwire node \S+ \(\S+\) is serving (\S+)/, started);
  const router = () => spawnRole(
    ['router', '--regions', regionsFile, '--redis', REDIS_URL, '--trust-proxy', '127.0.0.1/32', '--default-region', 'us-east', '--port', '0'],
    ENV, /visitwire router is listening on (\S+) /, started);
  const [dub, iad, nrt, a, b] = await Promise.all([node(NODES.dub), node(NODES.iad), node(NODES.nrt), router(), router()]);
  nodes = { dub: dub!, iad: iad!, nrt: nrt! };
  [routerA, routerB] = [a!.ready[0]!, b!.ready[0]!];
});

afterAll(async () => {
  for (const c of clients) c.close();
  for (const proc of started) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  await registry?.close();
  await deleteKeys(REDIS_URL, PREFIX);
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const token = (o: Partial<MintOptions> & { visit: string }) => mintToken(TEST_SECRET, { user: 'pt-1', role: 'patient', ...o });
const adminToken = () => token({ visit: 'ops', user: 'admin-1', role: 'administrator' });

async function route(router: string, visit: string, o: { from?: string; token?: string; localAddress?: string } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${o.token ?? await token({ visit })}` };
  if (o.from) headers['x-forwarded-for'] = o.from;
  return request(`${router}/v1/route?visit=${encodeURIComponent(visit)}`, { headers, localAddress: o.localAddress });
}

async function nodeReport(nodeId: string) {
  const { body } = await request(`${routerB}/v1/regions`, { headers: { authorization: `Bearer ${await adminToken()}` } });
  return body.regions.flatMap((r: { nodes: unknown[] }) => r.nodes).find((n: { nodeId: string }) => n.nodeId === nodeId);
}

async function joinNode(node: RoleProcess, visit: string, user: string) {
  const client = await connectClient(node.ready[0]!, await token({ visit, user, role: 'provider' }));
  clients.push(client);
  return { client, reply: await client.request('join', {}) };
}

describe('a client lands in the region nearest to it', () => {
  it.each([
    ['the UK', IP.uk, 'dub-1', 'eu-west'],
    ['Germany', IP.de, 'dub-1', 'eu-west'],
    ['the US', IP.us, 'iad-1', 'us-east'],
    ['Japan', IP.jp, 'nrt-1', 'ap-northeast'],
    ['Australia', IP.au, 'nrt-1', 'ap-northeast'],
  ])('from %s', async (_where, from, nodeId, region) => {
    for (const router of [routerA, routerB]) {
      const res = await route(router, `near-${from}-${router.slice(-5)}`, { from });
      expect(res).toMatchObject({ status: 200, body: { nodeId, region, signalingUrl: nodes[nodeId.slice(0, 3) as 'dub'].ready[0], reason: `nearest-region:${region}` } });
    }
  });

  it('an eu token stays in eu from the US, Japan, Australia or nowhere known', async () => {
    for (const from of [IP.us, IP.jp, IP.au, undefined]) {
      const visit = `eu-only-${from ?? 'unknown'}`;
      const res = await route(routerA, visit, { from, token: await token({ visit, residency: 'eu' }) });
      expect(res.body).toMatchObject({ nodeId: 'dub-1', region: 'eu-west' });
    }
  });
});

describe('a visit\'s home, and participants near it or far', () => {
  it('two routers racing to place a new visit agree on one home; each far participant gets its nearest node', async () => {
    for (let i = 0; i < 5; i++) {
      const visit = `race-${i}`;
      const [a, b] = await Promise.all([route(routerA, visit, { from: IP.uk }), route(routerB, visit, { from: IP.jp })]);
      expect(a.body).toMatchObject({ nodeId: 'dub-1', reason: 'nearest-region:eu-west' });
      expect(b.body).toMatchObject({ nodeId: 'nrt-1', reason: 'nearest-region:ap-northeast' });
      expect(['dub-1', 'nrt-1']).toContain(await registry.getVisitHome(visit));
    }
  });

  it('a participant within --sticky-km (default 1,500 km) joins the home node; one from another continent gets its nearest node', async () => {
    const first = await route(routerA, 'sticky', { from: IP.uk });
    const near = await route(routerB, 'sticky', { from: IP.de, token: await token({ visit: 'sticky', user: 'rn-1', role: 'nurse' }) });
    const far = await route(routerB, 'sticky', { from: IP.jp, token: await token({ visit: 'sticky', user: 'dr-1', role: 'provider' }) });
    expect(first.body).toMatchObject({ nodeId: 'dub-1', reason: 'nearest-region:eu-west' });
    expect(near.body).toMatchObject({ nodeId: 'dub-1', reason: 'visit-home' });
    expect(far.body).toMatchObject({ nodeId: 'nrt-1', reason: 'nearest-region:ap-northeast' });
  });
});

describe('bad input', () => {
  it.each([['bad%20id'], ['a%2Fb'], [''], ['x'.repeat(129)]])('400 for the visit id "%s"', async (visit) => {
    const res = await request(`${routerA}/v1/route?visit=${visit}`, { headers: { authorization: `Bearer ${await token({ visit: 'v' })}` } });
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
  });

  it('401 for a missing or forged token', async () => {
    expect((await request(`${routerA}/v1/route?visit=v`)).body.error.code).toBe('UNAUTHORIZED');
    const forged = await mintToken('not-the-cluster-secret-at-all', { visit: 'v', user: 'u', role: 'provider' });
    const res = await route(routerA, 'v', { token: forged, from: IP.uk });
    expect(res).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });
  });

  it('ignores X-Forwarded-For from an address it does not trust', async () => {
    const trusted = await route(routerA, 'xff-trusted', { from: IP.jp });
    const forged = await route(routerA, 'xff-forged', { from: IP.jp, localAddress: '127.0.0.2' });
    expect(trusted.body).toMatchObject({ region: 'ap-northeast' });
    expect(forged.body).toMatchObject({ region: 'us-east', reason: 'default-region' });
  });
});

describe('nodes report their load and release their visits', () => {
  it('a participant joining a node shows in /v1/regions; leaving releases the claim', async () => {
    expect((await route(routerA, 'load', { from: IP.uk })).body.nodeId).toBe('dub-1');
    const { client, reply } = await joinNode(nodes.dub, 'load', 'dr-load');
    expect(reply.data.admission).toBe('admitted');
    await vi.waitFor(async () => expect((await nodeReport('dub-1')).load).toMatchObject({ visits: 1, participants: 1 }), { timeout: 10_000 });

    expect((await client.request('leave')).data).toEqual({});
    await vi.waitFor(async () => expect(await registry.getVisitHome('load')).toBeNull(), { timeout: 10_000 });
    await vi.waitFor(async () => expect((await nodeReport('dub-1')).load).toMatchObject({ visits: 0, participants: 0 }), { timeout: 10_000 });
  });
});

describe('nodes leaving the cluster', () => {
  it('a killed node drops out of routing within the heartbeat expiry', async () => {
    nodes.nrt.proc.kill('SIGKILL');
    let attempt = 0;
    await vi.waitFor(async () => {
      const res = await route(routerA, `after-kill-${attempt++}`, { from: IP.jp });
      expect(res.body).toMatchObject({ nodeId: 'dub-1', reason: 'nearest-region:eu-west' });
    }, { timeout: DEFAULT_HEARTBEAT_EXPIRY_MS + 2000, interval: 250 });
    expect(await nodeReport('nrt-1')).toBeUndefined();
  });

  it('a drained node takes no new visits and exits 0 once its visit ends', async () => {
    expect((await route(routerA, 'drain-running', { from: IP.us })).body.nodeId).toBe('iad-1');
    const running = await joinNode(nodes.iad, 'drain-running', 'dr-a');
    expect(running.reply.data.admission).toBe('admitted');

    const drain = await promisify(execFile)(process.execPath, [CLI, 'drain', 'iad-1', '--redis', REDIS_URL, '--token', await adminToken()], { env: { ...process.env, ...ENV } });
    expect(JSON.parse(drain.stdout)).toMatchObject({ nodeId: 'iad-1', draining: true, load: { visits: 1 } });
    expect(await nodeReport('iad-1')).toMatchObject({ draining: true, healthy: true });

    expect((await route(routerB, 'drain-new', { from: IP.us })).body.nodeId).toBe('dub-1');
    expect((await joinNode(nodes.iad, 'drain-new', 'dr-b')).reply.error).toEqual({ code: 'UNAVAILABLE', message: 'node is draining' });
    const rejoin = await joinNode(nodes.iad, 'drain-running', 'nurse-a');
    expect(rejoin.reply.data.admission).toBe('admitted');

    expect(nodes.iad.proc.exitCode).toBeNull();
    running.client.close();
    rejoin.client.close();
    expect(await nodes.iad.exited).toBe(0);
    expect(await nodeReport('iad-1')).toBeUndefined();
  });

  it('drain refuses a token that is not an administrator\'s', async () => {
    const patient = await token({ visit: 'v' });
    const run = promisify(execFile)(process.execPath, [CLI, 'drain', nodes.dub.ready[0]!, '--token', patient], { env: { ...process.env, ...ENV } });
    await expect(run).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/answered 403/) });
    expect(await nodeReport('dub-1')).toMatchObject({ draining: false });
  });
});
