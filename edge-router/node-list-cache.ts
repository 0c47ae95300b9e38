import type { NodeRecord, Registry } from '../common/registry/types.ts';

/**
 * `registry.listNodes()` shared by concurrent requests and reused for
 * `maxAgeMs`: nodes change at heartbeat pace, requests come much faster.
 * A failed listing is not kept.
 */
export function cachedNodeList(registry: Registry, maxAgeMs: number): () => Promise<NodeRecord[]> {
  let current: { nodes: Promise<NodeRecord[]>; at: number } | null = null;
  return () => {
    const now = Date.now();
    if (current && now - current.at <= maxAgeMs) return current.nodes;
    const entry = { nodes: registry.listNodes(), at: now };
    entry.nodes.catch(() => { if (current === entry) current = null; });
    current = entry;
    return entry.nodes;
  };
}
