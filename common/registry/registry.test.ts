import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegistry, MemoryRegistry, RedisRegistry, type NodeInfo, type Registry } from './index.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `visitwire-test-${randomBytes(6).toString('hex')}:`;
const opened: Registry[] = [];

afterAll(async () => {
  await Promise.all(opened.map((r) => r.close()));
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

function node(nodeId: string, overrides: Partial<NodeInfo> = {}): NodeInfo {
  return {
    nodeId,
    region: 'eu-west',
    signalingUrl: `http://127.0.0.1:4000/${nodeId}`,
    capacity: { maxVisits: 100 },
    load: { visits: 1, participants: 2, consumers: 2, cpu: 0.1 },
    draining: false,
    ...overrides,
  };
}

let suite = 0;
const implementations: [string, (o?: { heartbeatExpiryMs?: number }) => Registry][] = [
  ['memory', (o) => new MemoryRegistry(o)],
  ['redis', (o) => new RedisRegistry({ redisUrl: REDIS_URL, prefix: `${PREFIX}${++suite}:`, ...o })],
];

describe.each(implementations)('%s registry', (_name, open) => {
  const make = (o?: { heartbeatExpiryMs?: number }) => {
    const registry = open(o);
    opened.push(registry);
    return registry;
  };

  it('lists a node after its heartbeat and stamps heartbeatAt itself', async () => {
    const registry = make();
    const before = Date.now();
    await registry.heartbeat({ ...node('n1'), heartbeatAt: 1 } as NodeInfo);
    const nodes = await registry.listNodes();
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject(node('n1'));
    expect(nodes[0]!.heartbeatAt).toBeGreaterThanOrEqual(before - 50);
  });

  it('refreshes a node with its latest load and draining flag', async () => {
    const registry = make();
    await registry.heartbeat(node('n1'));
    await registry.heartbeat(node('n1', { draining: true, load: { visits: 7, participants: 9, consumers: 20, cpu: 0.5 } }));
    const [n1] = await registry.listNodes();
    expect(n1).toMatchObject({ draining: true, load: { visits: 7, cpu: 0.5 } });
  });

  it('rejects malformed node info', async () => {
    const registry = make();
    await expect(registry.heartbeat(node('n1', { load: { visits: -1, participants: 0, consumers: 0, cpu: 2 } })))
      .rejects.toThrow(/invalid node info/);
    await expect(registry.heartbeat(node('bad id'))).rejects.toThrow(/invalid node info/);
  });

  it('forgets a removed node', async () => {
    const registry = make();
    await registry.heartbeat(node('n1'));
    await registry.heartbeat(node('n2'));
    await registry.removeNode('n1');
    expect((await registry.listNodes()).map((n) => n.nodeId)).toEqual(['n2']);
  });

  it('drops a node that stops heartbeating once the expiry has passed', async () => {
    const registry = make({ heartbeatExpiryMs: 2000 });
    await registry.heartbeat(node('killed'));
    await registry.heartbeat(node('alive'));
    expect((await registry.listNodes()).map((n) => n.nodeId).sort()).toEqual(['alive', 'killed']);
    await sleep(1200);
    await registry.heartbeat(node('alive'));
    await sleep(1200);
    expect((await registry.listNodes()).map((n) => n.nodeId)).toEqual(['alive']);
  });

  it('claims a free visit and keeps the live owner against later claims', async () => {
    const registry = make();
    await registry.heartbeat(node('a'));
    await registry.heartbeat(node('b'));
    expect(await registry.getVisitHome('v1')).toBeNull();
    expect(await registry.claimVisitHome('v1', 'a', 60_000)).toBe('a');
    expect(await registry.claimVisitHome('v1', 'b', 60_000)).toBe('a');
    expect(await registry.claimVisitHome('v1', 'a', 60_000)).toBe('a');
    expect(await registry.getVisitHome('v1')).toBe('a');
  });

  it('lets a live node take over a claim whose node is gone', async () => {
    const registry = make();
    await registry.heartbeat(node('a'));
    await registry.heartbeat(node('b'));
    await registry.claimVisitHome('v1', 'a', 60_000);
    await registry.removeNode('a');
    expect(await registry.getVisitHome('v1')).toBe('a');
    expect(await registry.claimVisitHome('v1', 'b', 60_000)).toBe('b');
  });

  it('lets a claim lapse after its ttl', async () => {
    const registry = make();
    await registry.heartbeat(node('a'));
    await registry.claimVisitHome('v1', 'a', 100);
    await sleep(300);
    expect(await registry.getVisitHome('v1')).toBeNull();
  });

  it('releases a visit only for its owner', async () => {
    const registry = make();
    await registry.heartbeat(node('a'));
    await registry.claimVisitHome('v1', 'a', 60_000);
    expect(await registry.releaseVisit('v1', 'b')).toBe(false);
    expect(await registry.getVisitHome('v1')).toBe('a');
    expect(await registry.releaseVisit('v1', 'a')).toBe(true);
    expect(await registry.getVisitHome('v1')).toBeNull();
    expect(await registry.releaseVisit('v1', 'a')).toBe(false);
  });

  it('remembers an admission per visit and user until its ttl, whatever the ids hold', async () => {
    const registry = make();
    await registry.rememberAdmission('v:1', 'pt-1', 300);
    expect(await registry.wasAdmitted('v:1', 'pt-1')).toBe(true);
    expect(await registry.wasAdmitted('v', '1:pt-1')).toBe(false);
    expect(await registry.wasAdmitted('v:1', 'pt-2')).toBe(false);
    expect(await registry.wasAdmitted('v:2', 'pt-1')).toBe(false);
    await sleep(400);
    expect(await registry.wasAdmitted('v:1', 'pt-1')).toBe(false);
  });

  it('lists the live nodes holding parts of a visit with their internal URLs', async () => {
    const registry = make({ heartbeatExpiryMs: 300 });
    await registry.heartbeat(node('a'));
    await registry.heartbeat(node('b'));
    expect(await registry.visitNodes('v:nodes')).toEqual(new Map());
    await registry.addVisitNode('v:nodes', 'a', 'http://127.0.0.1:7001', 10_000);
    await registry.addVisitNode('v:nodes', 'b', 'http://127.0.0.1:7002', 10_000);
    await registry.addVisitNode('other', 'a', 'http://127.0.0.1:7001', 10_000);
    expect(await registry.visitNodes('v:nodes')).toEqual(new Map([['a', 'http://127.0.0.1:7001'], ['b', 'http://127.0.0.1:7002']]));
    await registry.removeVisitNode('v:nodes', 'b');
    expect([...(await registry.visitNodes('v:nodes')).keys()]).toEqual(['a']);
    expect([...(await registry.visitNodes('other')).keys()]).toEqual(['a']);
  });

  it('leaves out a visit node whose heartbeat expired, and a part past its ttl', async () => {
    const registry = make({ heartbeatExpiryMs: 300 });
    await registry.heartbeat(node('a'));
    await registry.addVisitNode('v', 'a', 'http://a', 10_000);
    await registry.addVisitNode('v', 'dead', 'http://dead', 10_000);
    await registry.addVisitNode('short', 'a', 'http://a', 100);
    expect([...(await registry.visitNodes('v')).keys()]).toEqual(['a']);
    await sleep(150);
    expect(await registry.visitNodes('short')).toEqual(new Map());
    await sleep(250);
    expect(await registry.visitNodes('v')).toEqual(new Map());
  });
});

describe('redis registry shared by two routers', () => {
  it('agrees on one home when two registries race to claim the same visits', async () => {
    const prefix = `${PREFIX}race:`;
    const [r1, r2] = [1, 2].map(() => new RedisRegistry({ redisUrl: REDIS_URL, prefix }));
    opened.push(r1!, r2!);
    await r1!.heartbeat(node('a'));
    await r2!.heartbeat(node('b'));
    const visits = Array.from({ length: 50 }, (_, i) => `race-${i}`);
    const results = await Promise.all(visits.map((v) => Promise.all([
      r1!.claimVisitHome(v, 'a', 60_000),
      r2!.claimVisitHome(v, 'b', 60_000),
    ])));
    for (const [i, [fromR1, fromR2]] of results.entries()) {
      expect(fromR1).toBe(fromR2);
      expect(await r1!.getVisitHome(visits[i]!)).toBe(fromR1);
    }
  });

  it('sees nodes registered through another connection', async () => {
    const prefix = `${PREFIX}shared:`;
    const [r1, r2] = [1, 2].map(() => new RedisRegistry({ redisUrl: REDIS_URL, prefix }));
    opened.push(r1!, r2!);
    await r1!.heartbeat(node('a', { region: 'us-east' }));
    expect(await r2!.listNodes()).toMatchObject([{ nodeId: 'a', region: 'us-east' }]);
  });

  it('skips a node record that does not parse instead of failing the listing', async () => {
    const prefix = `${PREFIX}corrupt:`;
    const registry = new RedisRegistry({ redisUrl: REDIS_URL, prefix });
    opened.push(registry);
    await registry.heartbeat(node('good'));
    const redis = new Redis(REDIS_URL);
    await redis.multi().set(`${prefix}node:bad`, '{not json', 'PX', 5000).sadd(`${prefix}nodes`, 'bad').exec();
    await redis.quit();
    expect((await registry.listNodes()).map((n) => n.nodeId)).toEqual(['good']);
  });

  it('fails within its timeout when Redis cannot be reached', async () => {
    const registry = new RedisRegistry({ redisUrl: 'redis://127.0.0.1:1', prefix: PREFIX, timeoutMs: 300 });
    opened.push(registry);
    await expect(registry.listNodes()).rejects.toThrow();
  });
});

describe('createRegistry', () => {
  it('builds the memory registry without a Redis URL and the Redis one with it', async () => {
    const memory = createRegistry({ heartbeatExpiryMs: 1234 });
    const redis = createRegistry({ redisUrl: REDIS_URL, prefix: `${PREFIX}factory:` });
    opened.push(memory, redis);
    expect(memory).toBeInstanceOf(MemoryRegistry);
    expect(memory.heartbeatExpiryMs).toBe(1234);
    expect(redis).toBeInstanceOf(RedisRegistry);
    expect((redis as RedisRegistry).prefix).toBe(`${PREFIX}factory:`);
  });
});
