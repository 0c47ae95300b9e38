import { Redis, type ChainableCommander } from 'ioredis';
import { withTimeout } from '../errors.ts';
import { CLAIM_VISIT, LIST_NODES, LIVE_VISIT_NODES, RELEASE_VISIT, runScript } from './redis-scripts.ts';
import { parseNodeInfo } from './schema.ts';
import { DEFAULT_HEARTBEAT_EXPIRY_MS, type NodeInfo, type NodeRecord, type Registry } from './types.ts';

export interface RedisRegistryOptions {
  /** e.g. `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** Prefix of every key; default `visitwire:`. */
  prefix?: string;
  heartbeatExpiryMs?: number;
  /** Longest wait for one registry call, connecting included; default 2000 ms. */
  timeoutMs?: number;
}

interface StoredNode { info: NodeInfo; expiryMs: number }

/**
 * Registry shared by a cluster through Redis. A node is live while its key
 * `<prefix>node:<id>` exists (SET PX on each heartbeat); a visit's home is the
 * key `<prefix>visit:<id>`, claimed by a Lua script so concurrent routers agree;
 * the nodes holding parts of a visit (it spans nodes) are the hash
 * `<prefix>visitnodes:<id>` (node id -> internal URL), whose expiry each of them refreshes.
 */
export class RedisRegistry implements Registry {
  readonly heartbeatExpiryMs: number;
  readonly prefix: string;
  private readonly redis: Redis;
  private readonly timeoutMs: number;

  constructor(options: RedisRegistryOptions) {
    this.heartbeatExpiryMs = options.heartbeatExpiryMs ?? DEFAULT_HEARTBEAT_EXPIRY_MS;
    this.prefix = options.prefix ?? 'visitwire:';
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.redis = new Redis(options.redisUrl, {
      commandTimeout: this.timeoutMs,
      connectTimeout: this.timeoutMs,
      maxRetriesPerRequest: 1,
    });
    // Connection errors surface as failed calls; without a listener ioredis would log them unhandled.
    this.redis.on('error', () => {});
  }

  async heartbeat(node: NodeInfo): Promise<void> {
    const info = parseNodeInfo(node);
    const stored: StoredNode = { info, expiryMs: this.heartbeatExpiryMs };
    await this.transaction('heartbeat', this.redis.multi()
      .set(this.nodeKey(info.nodeId), JSON.stringify(stored), 'PX', this.heartbeatExpiryMs)
      .sadd(this.indexKey(), info.nodeId));
  }

  async removeNode(nodeId: string): Promise<void> {
    await this.transaction('removeNode', this.redis.multi().del(this.nodeKey(nodeId)).srem(this.indexKey(), nodeId));
  }

  async listNodes(): Promise<NodeRecord[]> {
    const reply = await this.call('listNodes', runScript(this.redis, LIST_NODES, [this.indexKey()], [this.prefix]));
    const flat = reply as (string | number)[];
    const now = Date.now();
    const nodes: NodeRecord[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const node = this.readNode(String(flat[i]), Number(flat[i + 1]), now);
      if (node) nodes.push(node);
    }
    return nodes;
  }

  async getVisitHome(visitId: string): Promise<string | null> {
    return this.call('getVisitHome', this.redis.get(this.visitKey(visitId)));
  }

  async claimVisitHome(visitId: string, nodeId: string, ttlMs: number): Promise<string> {
    const owner = await this.call('claimVisitHome',
      runScript(this.redis, CLAIM_VISIT, [this.visitKey(visitId)], [nodeId, Math.max(1, Math.round(ttlMs)), this.prefix]));
    return String(owner);
  }

  async releaseVisit(visitId: string, nodeId: string): Promise<boolean> {
    const deleted = await this.call('releaseVisit', runScript(this.redis, RELEASE_VISIT, [this.visitKey(visitId)], [nodeId]));
    return Number(deleted) === 1;
  }

  async rememberAdmission(visitId: string, userId: string, ttlMs: number): Promise<void> {
    await this.call('rememberAdmission', this.redis.set(this.admissionKey(visitId, userId), '1', 'PX', Math.max(1, Math.round(ttlMs))));
  }

  async wasAdmitted(visitId: string, userId: string): Promise<boolean> {
    return (await this.call('wasAdmitted', this.redis.exists(this.admissionKey(visitId, userId)))) === 1;
  }

  async addVisitNode(visitId: string, nodeId: string, internalUrl: string, ttlMs: number): Promise<void> {
    const key = this.visitNodesKey(visitId);
    await this.transaction('addVisitNode', this.redis.multi().hset(key, nodeId, internalUrl).pexpire(key, Math.max(1, Math.round(ttlMs))));
  }

  async removeVisitNode(visitId: string, nodeId: string): Promise<void> {
    await this.call('removeVisitNode', this.redis.hdel(this.visitNodesKey(visitId), nodeId));
  }

  async visitNodes(visitId: string): Promise<Map<string, string>> {
    const flat = await this.call('visitNodes', runScript(this.redis, LIVE_VISIT_NODES, [this.visitNodesKey(visitId)], [this.prefix])) as string[];
    const nodes = new Map<string, string>();
    for (let i = 0; i < flat.length; i += 2) nodes.set(String(flat[i]), String(flat[i + 1]));
    return nodes;
  }

  async close(): Promise<void> {
    try {
      await withTimeout(this.redis.quit(), this.timeoutMs, 'registry close');
    } catch {
      this.redis.disconnect();
    }
  }

  /** A record that does not parse counts as a dead node rather than failing every listing. */
  private readNode(json: string, remainingMs: number, now: number): NodeRecord | null {
    try {
      const stored = JSON.parse(json) as StoredNode;
      return { ...parseNodeInfo(stored.info), heartbeatAt: now - Math.max(0, stored.expiryMs - remainingMs) };
    } catch {
      return null;
    }
  }

  /** ioredis' commandTimeout does not cover MULTI/EXEC as a whole; this bounds every call. */
  private call<T>(what: string, promise: Promise<T>): Promise<T> {
    return withTimeout(promise, this.timeoutMs, `registry ${what}`);
  }

  private async transaction(what: string, multi: ChainableCommander): Promise<void> {
    const results = await this.call(what, multi.exec());
    for (const [err] of results ?? []) if (err) throw err;
  }

  private nodeKey(nodeId: string): string { return `${this.prefix}node:${nodeId}`; }
  private visitKey(visitId: string): string { return `${this.prefix}visit:${visitId}`; }
  /** Not under `visit:`: a visit id may itself end in `:nodes`. */
  private visitNodesKey(visitId: string): string { return `${this.prefix}visitnodes:${visitId}`; }
  private indexKey(): string { return `${this.prefix}nodes`; }
  /** Ids may contain `:`; the visit id's length keeps the key unambiguous. */
  private admissionKey(visitId: string, userId: string): string { return `${this.prefix}admitted:${visitId.length}:${visitId}:${userId}`; }
}
