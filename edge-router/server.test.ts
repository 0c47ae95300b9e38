import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../common/registry/memory.ts';
import { RedisRegistry } from '../common/registry/redis.ts';
import type { NodeInfo, Registry } from '../common/registry/types.ts';
import { mintToken, type MintOptions } from '../common/tokens.ts';
import { turnCredentials } from '../common/turn-credentials.ts';
import { createGeoLocator, type GeoLocator } from './geo.ts';
import type { Region } from './regions.ts';
import { createEdgeRouter, type EdgeRouterOptions } from './server.ts';

const SECRET = 'router-test-secret';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const IP = { uk: '81.2.69.142', us: '8.8.8.8', jp: '1.0.16.1', de: '5.9.0.1', au: '203.2.218.214' };
const REGIONS: Region[] = [
  { id: 'eu-west', lat: 53.35, lon: -6.26, tags: ['eu'] },
  { id: 'eu-central', lat: 50.11, lon: 8.68, tags: ['eu'] },
  { id: 'us-east', lat: 38.9, lon: -77.4, tags: [] },
  { id: 'ap-northeast', lat: 35.68, lon: 139.69, tags: [] },
];
const ICE = [{ urls: 'stun:stun.example.org:3478' }];

function node(nodeId: string, region: string, o: Partial<NodeInfo> = {}): NodeInfo {
  return {
    nodeId, region, signalingUrl: `http://127.0.0.1:9/${nodeId}`, capacity: { maxVisits: 50 },
    load: { visits: 0, participants: 0, consumers: 0, cpu: 0 }, draining: false, ...o,
  };
}
const CLUSTER = [node('dub-1', 'eu-west'), node('fra-1', 'eu-central'), node('iad-1', 'us-east'), node('nrt-1', 'ap-northeast')];

let geo: GeoLocator;
const cleanups: (() => Promise<unknown>)[] = [];
beforeAll(async () => { geo = await createGeoLocator(); });
afterAll(async () => { for (const c of cleanups.reverse()) await c(); });

interface Router { url: string; registry: Registry }

async function startRouter(o: { nodes?: NodeInfo[]; registry?: Registry } & Partial<EdgeRouterOptions> = {}): Promise<Router> {
  const registry = o.registry ?? new MemoryRegistry();
  for (const n of o.nodes ?? CLUSTER) await registry.heartbeat(n);
  const handler = createEdgeRouter({ registry, regions: REGIONS, keys: SECRET, geo, trustProxy: ['127.0.0.1/32'], defaultRegion: 'us-east', iceServers: ICE, ...o });
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)), () => registry.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, registry };
}

const token = (o: Partial<MintOptions> = {}, secret = SECRET) => mintToken(secret, { visit: 'v1', user: 'u1', role: 'patient', ...o });

async function route(router: Router, o: { visit?: string; token?: string; from?: string; query?: string } = {}) {
  const query = o.query ?? `visit=${encodeURIComponent(o.visit ?? 'v1')}`;
  const headers: Record<string, string> = {};
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  if (o.from) headers['x-forwarded-for'] = o.from;
  const res = await fetch(`${router.url}/v1/route?${query}`, { headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

describe('GET /v1/route: location', () => {
  let router: Router;
  beforeAll(async () => { router = await startRouter({ stickyKm: 3000 }); });

  it.each([
    ['UK', IP.uk, 'dub-1', 'eu-west'],
    ['US', IP.us, 'iad-1', 'us-east'],
    ['Japan', IP.jp, 'nrt-1', 'ap-northeast'],
    ['Germany', IP.de, 'fra-1', 'eu-central'],
    ['Australia', IP.au, 'nrt-1', 'ap-northeast'],
  ])('a client in %s lands in the nearest region', async (_country, from, nodeId, region) => {
    const visit = `loc-${nodeId}-${from}`;
    const res = await route(router, { visit, token: await token({ visit }), from });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ nodeId, region, signalingUrl: `http://127.0.0.1:9/${nodeId}`, iceServers: ICE, reason: `nearest-region:${region}` });
  });

  it('honours the right-most untrusted X-Forwarded-For entry behind the trusted proxy', async () => {
    const res = await route(router, { visit: 'xff', token: await token({ visit: 'xff' }), from: `${IP.jp}, ${IP.uk}` });
    expect(res.body.region).toBe('eu-west');
  });

  it('uses the default region for a client it cannot place', async () => {
    const res = await route(router, { visit: 'nowhere', token: await token({ visit: 'nowhere' }) });
    expect(res.body).toMatchObject({ region: 'us-east', reason: 'default-region' });
  });

  it('keeps an eu token inside eu from anywhere', async () => {
    for (const [i, from] of [IP.us, IP.jp, IP.au, IP.uk, IP.de, undefined].entries()) {
      const visit = `eu-${i}`;
      const res = await route(router, { visit, token: await token({ visit, residency: 'eu' }), from });
      expect(res.status).toBe(200);
      expect(REGIONS.find((r) => r.id === res.body.region)?.tags).toContain('eu');
    }
  });

  it('sends later participants to the visit home when near, and far ones to their own region', async () => {
    const visit = 'sticky-visit';
    const first = await route(router, { visit, token: await token({ visit, user: 'patient' }), from: IP.uk });
    const near = await route(router, { visit, token: await token({ visit, user: 'doc', role: 'provider' }), from: IP.de });
    const far = await route(router, { visit, token: await token({ visit, user: 'nurse', role: 'nurse' }), from: IP.jp });
    expect(first.body).toMatchObject({ nodeId: 'dub-1', reason: 'nearest-region:eu-west' });
    expect(near.body).toMatchObject({ nodeId: 'dub-1', reason: 'visit-home' });
    expect(far.body).toMatchObject({ nodeId: 'nrt-1', reason: 'nearest-region:ap-northeast' });
    expect(await router.registry.getVisitHome(visit)).toBe('dub-1');
  });

  it('sends CORS headers', async () => {
    const res = await route(router, { visit: 'cors', token: await token({ visit: 'cors' }) });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const preflight = await fetch(`${router.url}/v1/route?visit=cors`, {
      method: 'OPTIONS', headers: { origin: 'https://clinic.example', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
  });
});

describe('GET /v1/route: TURN credentials', () => {
  it('hands out coturn use-auth-secret credentials for the token\'s user that expire with the token, after the fixed ICE servers', async () => {
    const turn = { urls: ['turns:turn.example:443?transport=tcp', 'turn:turn.example:3478?transport=udp'], secret: 'coturn-static-auth-secret' };
    const router = await startRouter({ turn });
    const t = await token({ visit: 'turn-1', user: 'pt-9', ttlSeconds: 600 });
    const exp = JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()).exp as number;
    const res = await route(router, { visit: 'turn-1', token: t, from: IP.uk });
    expect(res.status).toBe(200);
    expect(res.body.iceServers).toEqual([...ICE, { urls: turn.urls, ...turnCredentials(turn.secret, 'pt-9', exp) }]);
    expect(res.body.iceServers[1].username).toBe(`${exp}:pt-9`);
  });
});

describe('GET /v1/route: refusals', () => {
  let router: Router;
  beforeAll(async () => { router = await startRouter(); });

  it.each([
    ['a malformed visit id', 'visit=bad%20id!'],
    ['no visit id', ''],
    ['two visit ids', 'visit=v1&visit=v2'],
    ['an over-long visit id', `visit=${'x'.repeat(129)}`],
  ])('400 for %s', async (_name, query) => {
    const res = await route(router, { query, token: await token() });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('BAD_REQUEST');
  });

  it.each<[string, () => Promise<string | undefined>, string]>([
    ['no token', async () => undefined, 'UNAUTHORIZED'],
    ['a forged token', () => token({}, 'not-the-secret'), 'UNAUTHORIZED'],
    ['an expired token', () => token({ ttlSeconds: -60 }), 'TOKEN_EXPIRED'],
    ['a token for another visit', () => token({ visit: 'v2' }), 'UNAUTHORIZED'],
    ['garbage', async () => 'not.a.jwt', 'UNAUTHORIZED'],
  ])('401 for %s', async (_name, makeToken, code) => {
    const res = await route(router, { token: await makeToken() });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe(code);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it.each([['administrator'], ['auditor']] as const)('403 for an %s token: no media', async (role) => {
    const res = await route(router, { token: await token({ role }) });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
  });

  it('404 for an unknown path, 405 for another method', async () => {
    const missing = await fetch(`${router.url}/v1/nothing`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as any).error.code).toBe('NOT_FOUND');
    const post = await fetch(`${router.url}/v1/route?visit=v1`, { method: 'POST' });
    expect(post.status).toBe(405);
  });
});

describe('GET /v1/route: no node may take the visit', () => {
  it('503 with the reason when there are no nodes', async () => {
    const router = await startRouter({ nodes: [] });
    const res = await route(router, { token: await token(), from: IP.uk });
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: { code: 'UNAVAILABLE', message: 'no-healthy-node' } });
  });

  it('503 for an eu token when every eu node is draining, never a US node', async () => {
    const router = await startRouter({ nodes: [node('dub-1', 'eu-west', { draining: true }), node('iad-1', 'us-east')] });
    const res = await route(router, { token: await token({ residency: 'eu' }), from: IP.uk });
    expect(res.status).toBe(503);
    expect(res.body.error).toEqual({ code: 'UNAVAILABLE', message: 'residency-excluded-all' });
  });

  it('a full node is passed over', async () => {
    const full = { visits: 50, participants: 100, consumers: 200, cpu: 0.9 };
    const router = await startRouter({ nodes: [node('dub-1', 'eu-west', { load: full }), node('fra-1', 'eu-central')] });
    const res = await route(router, { token: await token(), from: IP.uk });
    expect(res.body).toMatchObject({ nodeId: 'fra-1', reason: 'nearest-region:eu-central' });
  });
});

describe('GET /v1/route: a client reports the node that failed it', () => {
  it('routes around a reported node that does not answer, and the visit gets a new home', async () => {
    // dub-1 "listens" on port 9, where nothing answers: as a dead node.
    const router = await startRouter({ nodes: [node('dub-1', 'eu-west'), node('lon-1', 'eu-west')] });
    const visit = 'failover-visit';
    const first = await route(router, { visit, token: await token({ visit }), from: IP.uk });
    const dead = first.body.nodeId as string;
    const res = await route(router, { query: `visit=${visit}&failed=${dead}`, token: await token({ visit, user: 'u2' }), from: IP.uk });
    expect(res.status).toBe(200);
    expect(res.body.nodeId).not.toBe(dead);
    expect(await router.registry.getVisitHome(visit)).toBe(res.body.nodeId);
    expect((await router.registry.listNodes()).map((n) => n.nodeId)).not.toContain(dead);
  });

  it('keeps a reported node that answers its /healthz', async () => {
    const live = createServer((_req, res) => res.end('{"status":"ok"}'));
    await new Promise<void>((resolve) => live.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => live.close(resolve)));
    const signalingUrl = `http://127.0.0.1:${(live.address() as AddressInfo).port}`;
    const router = await startRouter({ nodes: [node('dub-1', 'eu-west', { signalingUrl })] });
    const visit = 'no-failover-visit';
    await route(router, { visit, token: await token({ visit }), from: IP.uk });
    const res = await route(router, { query: `visit=${visit}&failed=dub-1`, token: await token({ visit, user: 'u2' }), from: IP.uk });
    expect(res.body).toMatchObject({ nodeId: 'dub-1', reason: 'visit-home' });
  });

  it('400 for a malformed node id', async () => {
    const router = await startRouter();
    const res = await route(router, { query: 'visit=v1&failed=../x', token: await token(), from: IP.uk });
    expect(res.status).toBe(400);
  });
});

describe('X-Forwarded-For from an untrusted sender', () => {
  it('is ignored: the socket address decides', async () => {
    const router = await startRouter({ trustProxy: ['10.0.0.0/8'] });
    const res = await route(router, { token: await token(), from: IP.jp });
    expect(res.body).toMatchObject({ region: 'us-east', reason: 'default-region' });
  });
});

describe('GET /v1/regions', () => {
  let router: Router;
  beforeAll(async () => {
    router = await startRouter({ nodes: [...CLUSTER, node('dub-2', 'eu-west', { draining: true }), node('x-1', 'mars-1')] });
  });
  const regions = async (t?: string) => {
    const res = await fetch(`${router.url}/v1/regions`, { headers: t ? { authorization: `Bearer ${t}` } : {} });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('shows an administrator every region with its nodes, health and load', async () => {
    const res = await regions(await token({ role: 'administrator', visit: 'ops' }));
    expect(res.status).toBe(200);
    expect(res.body.regions.map((r: Region) => r.id)).toEqual(REGIONS.map((r) => r.id));
    const euWest = res.body.regions[0];
    expect(euWest.tags).toEqual(['eu']);
    expect(euWest.nodes).toMatchObject([
      { nodeId: 'dub-1', healthy: true, draining: false, load: { visits: 0, ratio: 0 }, capacity: { maxVisits: 50 } },
      { nodeId: 'dub-2', healthy: true, draining: true },
    ]);
    expect(res.body.unlistedRegionNodes).toMatchObject([{ nodeId: 'x-1', region: 'mars-1' }]);
  });

  it.each([['patient'], ['provider'], ['auditor']] as const)('403 for a %s', async (role) => {
    expect((await regions(await token({ role }))).status).toBe(403);
  });

  it('401 without a token', async () => {
    expect((await regions()).status).toBe(401);
  });
});

describe('two routers sharing Redis', () => {
  const prefix = `visitwire-test-${randomBytes(6).toString('hex')}:`;
  afterAll(async () => {
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('agree on one node when racing to place the same visits', async () => {
    const a = await startRouter({ registry: new RedisRegistry({ redisUrl: REDIS_URL, prefix }) });
    const b = await startRouter({ registry: new RedisRegistry({ redisUrl: REDIS_URL, prefix }), nodes: [] });
    const visits = Array.from({ length: 20 }, (_, i) => `race-${i}`);
    const answers = await Promise.all(visits.map(async (visit) => Promise.all([
      route(a, { visit, token: await token({ visit, user: 'p' }), from: IP.uk }),
      route(b, { visit, token: await token({ visit, user: 'd', role: 'provider' }), from: IP.de }),
    ])));
    for (const [i, [fromA, fromB]] of answers.entries()) {
      expect(fromA.status).toBe(200);
      expect(fromA.body.nodeId).toBe(fromB.body.nodeId);
      expect(await a.registry.getVisitHome(visits[i]!)).toBe(fromA.body.nodeId);
    }
  });
});
