import { MemoryRegistry } from './memory.ts';
import { RedisRegistry } from './redis.ts';
import type { Registry } from './types.ts';

export type { NodeCapacity, NodeInfo, NodeLoad, NodeRecord, Registry } from './types.ts';
export { DEFAULT_HEARTBEAT_EXPIRY_MS } from './types.ts';
export { MemoryRegistry } from './memory.ts';
export { RedisRegistry } from './redis.ts';

export interface CreateRegistryOptions {
  /** Without it the registry lives in this process. */
  redisUrl?: string;
  /** Redis key prefix; default `visitwire:`. */
  prefix?: string;
  /** Default 5000 ms. */
  heartbeatExpiryMs?: number;
  /** Longest wait for one Redis call; default 2000 ms. */
  timeoutMs?: number;
}

export function createRegistry(options: CreateRegistryOptions = {}): Registry {
  if (!options.redisUrl) return new MemoryRegistry({ heartbeatExpiryMs: options.heartbeatExpiryMs });
  return new RedisRegistry({ ...options, redisUrl: options.redisUrl });
}
