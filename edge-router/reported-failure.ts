import type { Registry } from '../common/registry/types.ts';

/** How long the router waits for a reported node's `/healthz`. */
const PROBE_TIMEOUT_MS = 1000;

/**
 * A client reports that `nodeId` failed it (connection refused, no resume).
 * The router checks: when the node does not answer its `/healthz` either, it
 * leaves the registry at once (instead of at heartbeat expiry), so the homes
 * of its visits can be claimed afresh; a node that answers stays, whatever
 * the client said. Returns whether the node was removed.
 */
export async function checkReportedFailure(registry: Registry, nodeId: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  const node = (await registry.listNodes()).find((n) => n.nodeId === nodeId);
  if (!node) return true; // already gone from the registry
  try {
    const res = await fetch(new URL('healthz', node.signalingUrl.endsWith('/') ? node.signalingUrl : `${node.signalingUrl}/`), {
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    return false;
  } catch {
    await registry.removeNode(nodeId);
    return true;
  }
}
