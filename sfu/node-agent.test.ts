import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { MemoryRegistry } from '../common/registry/memory.ts';
import { RedisRegistry } from '../common/registry/redis.ts';
import type { NodeLoad, Registry } from '../common/registry/types.ts';
import { startNodeAgent, type NodeAgentOptions } from './node-agent.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `visitwire-test-${randomBytes(6).toString('hex')}:`;

function options(registry: Registry, o: Partial<NodeAgentOptions> = {}) {
  const state = { load: { visits: 1, participants: 2, consumers: 4, cpu: 0.25 } as NodeLoad, draining: false };
  return {
    state,
    options: {
      registry, nodeId: 'node-a', region: 'eu-west', signalingUrl: 'http://127.0.0.1:4001', capacity: { maxVisits: 20 },
      intervalMs: 50, getLoad: () => state.load, isDraining: () => state.draining, ...o,
    } satisfies NodeAgentOptions,
  };
}

describe('startNodeAgent', () => {
  it('registers the node before it resolves', async () => {
    const registry = new MemoryRegistry();
    const agent = await startNodeAgent(options(registry).options);
    expect(await registry.listNodes()).toMatchObject([{
      nodeId: 'node-a', region: 'eu-west', signalingUrl: 'http://127.0.0.1:4001', capacity: { maxVisits: 20 },
      load: { visits: 1, participants: 2, consumers: 4, cpu: 0.25 }, draining: false,
    }]);
    await agent.stop();
  });

  it('reports load and draining on every heartbeat', async () => {
    const registry = new MemoryRegistry();
    const { state, options: o } = options(registry);
    const agent = await startNodeAgent(o);
    state.load = { visits: 9, participants: 20, consumers: 60, cpu: 0.8 };
    await vi.waitFor(async () => expect((await registry.listNodes())[0]?.load.visits).toBe(9), { timeout: 10_000 });
    state.draining = true;
    await agent.beat();
    expect((await registry.listNodes())[0]?.draining).toBe(true);
    await agent.stop();
  });

  it('removes the node on stop and beats no more', async () => {
    const registry = new MemoryRegistry();
    const agent = await startNodeAgent(options(registry).options);
    await agent.stop();
    expect(await registry.listNodes()).toEqual([]);
    await sleep(200);
    await agent.beat();
    expect(await registry.listNodes()).toEqual([]);
  });

  it('rejects when the first heartbeat fails', async () => {
    const registry = new MemoryRegistry();
    await expect(startNodeAgent(options(registry, { signalingUrl: 'not a url' }).options)).rejects.toThrow(/invalid node info/);
  });

  it('reports a later failure and keeps beating', async () => {
    const registry = new MemoryRegistry();
    const errors: unknown[] = [];
    const { state, options: o } = options(registry, { onError: (err) => errors.push(err) });
    let failNext = false;
    const agent = await startNodeAgent({ ...o, getLoad: () => { if (failNext) { failNext = false; throw new Error('load unavailable'); } return state.load; } });
    failNext = true;
    await vi.waitFor(() => expect(errors).toHaveLength(1), { timeout: 10_000 });
    state.load = { visits: 3, participants: 3, consumers: 3, cpu: 0.1 };
    await vi.waitFor(async () => expect((await registry.listNodes())[0]?.load.visits).toBe(3), { timeout: 10_000 });
    await agent.stop();
  });
});

describe('startNodeAgent with Redis', () => {
  afterAll(async () => {
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${PREFIX}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('is seen by another registry connection until it stops', async () => {
    const nodeSide = new RedisRegistry({ redisUrl: REDIS_URL, prefix: PREFIX, heartbeatExpiryMs: 2000 });
    const routerSide = new RedisRegistry({ redisUrl: REDIS_URL, prefix: PREFIX, heartbeatExpiryMs: 2000 });
    const agent = await startNodeAgent(options(nodeSide, { intervalMs: 200 }).options);
    expect((await routerSide.listNodes()).map((n) => n.nodeId)).toEqual(['node-a']);
    await sleep(2500); // beyond the expiry: only the heartbeats keep it listed
    expect((await routerSide.listNodes()).map((n) => n.nodeId)).toEqual(['node-a']);
    await agent.stop();
    expect(await routerSide.listNodes()).toEqual([]);
    await Promise.all([nodeSide.close(), routerSide.close()]);
  });
});
