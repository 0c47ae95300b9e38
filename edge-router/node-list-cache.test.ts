import { describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../common/registry/memory.ts';
import type { NodeInfo } from '../common/registry/types.ts';
import { cachedNodeList } from './node-list-cache.ts';

const info = (nodeId: string): NodeInfo => ({
  nodeId, region: 'eu-west', signalingUrl: 'http://127.0.0.1:1', capacity: { maxVisits: 1 },
  load: { visits: 0, participants: 0, consumers: 0, cpu: 0 }, draining: false,
});

/** A real memory registry that counts listings and can be told to fail. */
class CountingRegistry extends MemoryRegistry {
  listings = 0;
  failNext = false;
  override async listNodes() {
    this.listings++;
    if (this.failNext) { this.failNext = false; throw new Error('registry down'); }
    return super.listNodes();
  }
}

describe('cachedNodeList', () => {
  it('shares one listing between concurrent callers', async () => {
    const registry = new CountingRegistry();
    await registry.heartbeat(info('a'));
    const list = cachedNodeList(registry, 60_000);
    const results = await Promise.all([list(), list(), list()]);
    expect(registry.listings).toBe(1);
    expect(results.map((r) => r.map((n) => n.nodeId))).toEqual([['a'], ['a'], ['a']]);
  });

  it('lists again once the listing is older than maxAgeMs', async () => {
    const registry = new CountingRegistry();
    const list = cachedNodeList(registry, -1);
    await list();
    await registry.heartbeat(info('b'));
    expect((await list()).map((n) => n.nodeId)).toEqual(['b']);
    expect(registry.listings).toBe(2);
  });

  it('does not keep a failed listing', async () => {
    const registry = new CountingRegistry();
    const list = cachedNodeList(registry, 60_000);
    registry.failNext = true;
    await expect(list()).rejects.toThrow('registry down');
    await expect(list()).resolves.toEqual([]);
  });
});
