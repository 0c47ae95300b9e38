import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { ErrorCode, VisitwireError } from './errors.ts';
import type { Logger } from './logger.ts';

export interface RateLimitSettings {
  /** New signaling connections per client address per minute. */
  connectionsPerMinute: number;
  /** Signaling messages per connection per second. */
  messagesPerSecond: number;
  /** `GET /v1/route` requests per client address per minute. */
  routesPerMinute: number;
}

export type LimitKind = 'connection' | 'message' | 'route';

/** Over a limit: LIMIT_EXCEEDED, with when to try again (HTTP: 429 and Retry-After). */
export class LimitExceededError extends VisitwireError {
  constructor(readonly kind: LimitKind, readonly retryAfterMs: number) {
    super(ErrorCode.LIMIT_EXCEEDED, `too many ${kind} requests: retry in ${Math.ceil(retryAfterMs / 1000)} s`);
  }
}

export interface RateLimits {
  /** Counts one `kind` for `key` (an address, a connection id); throws LimitExceededError over the limit. */
  take(kind: LimitKind, key: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Rate limits from rate-limiter-flexible. With a Redis URL (a cluster) the
 * per-address limits count in Redis under the cluster's key prefix, so they
 * hold across nodes and routers; without one, in memory. Messages per
 * connection always count in memory: a connection lives on one node, and an
 * in-memory check keeps a connection's messages in order. Each offender is
 * logged at most once a minute.
 */
export function createRateLimits(o: { settings: RateLimitSettings; redisUrl?: string; prefix: string; logger: Logger }): RateLimits {
  const redis = o.redisUrl ? new Redis(o.redisUrl, { maxRetriesPerRequest: 1 }) : undefined;
  const perAddress = (name: string, points: number, duration: number): RateLimiterAbstract => {
    const memory = new RateLimiterMemory({ keyPrefix: `${o.prefix}limit:${name}`, points, duration });
    // A Redis outage falls back to counting in this process (insuranceLimiter) rather than refusing everyone.
    return redis ? new RateLimiterRedis({ storeClient: redis, keyPrefix: `${o.prefix}limit:${name}`, points, duration, insuranceLimiter: memory }) : memory;
  };
  const limiters: Record<LimitKind, RateLimiterAbstract> = {
    connection: perAddress('connection', o.settings.connectionsPerMinute, 60),
    route: perAddress('route', o.settings.routesPerMinute, 60),
    message: new RateLimiterMemory({ keyPrefix: 'message', points: o.settings.messagesPerSecond, duration: 1 }),
  };
  const logGate = new RateLimiterMemory({ keyPrefix: 'limit-log', points: 1, duration: 60 });
  return {
    async take(kind, key) {
      try {
        await limiters[kind].consume(key);
      } catch (res) {
        if (!(res instanceof RateLimiterRes)) throw res;
        logGate.consume(`${kind}:${key}`).then(
          () => o.logger.warn({ limit: kind, key, retryAfterMs: res.msBeforeNext }, 'rate limit exceeded (logged once a minute per offender)'),
          () => undefined,
        );
        throw new LimitExceededError(kind, res.msBeforeNext);
      }
    },
    async close() {
      await redis?.quit().catch(() => undefined);
    },
  };
}
