import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteKeys } from '../test/helpers/cluster.ts';
import { createRateLimits, LimitExceededError, type LimitKind, type RateLimits } from './rate-limits.ts';
import type { Logger } from './logger.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `visitwire-limits-test-${randomBytes(6).toString('hex')}:`;
const SETTINGS = { connectionsPerMinute: 3, messagesPerSecond: 5, routesPerMinute: 4 };
const open: RateLimits[] = [];

function limits(redisUrl?: string) {
  const warnings: unknown[] = [];
  const logger = { warn: (o: unknown) => warnings.push(o) } as unknown as Logger;
  const l = createRateLimits({ settings: SETTINGS, redisUrl, prefix: PREFIX, logger });
  open.push(l);
  return { l, warnings };
}

/** How many of `n` takes pass, and the refusals' retry times. */
async function takeMany(l: RateLimits, kind: LimitKind, key: string, n: number) {
  let passed = 0;
  const retryAfterMs: number[] = [];
  for (let i = 0; i < n; i++) {
    try {
      await l.take(kind, key);
      passed++;
    } catch (err) {
      expect(err).toBeInstanceOf(LimitExceededError);
      expect(err).toMatchObject({ code: 'LIMIT_EXCEEDED', kind });
      retryAfterMs.push((err as LimitExceededError).retryAfterMs);
    }
  }
  return { passed, retryAfterMs };
}

afterAll(async () => {
  for (const l of open) await l.close();
  await deleteKeys(REDIS_URL, PREFIX);
});

describe('rate limits in memory', () => {
  it.each([
    ['connection', 3, 60_000],
    ['message', 5, 1000],
    ['route', 4, 60_000],
  ] as const)('%s: the first %i pass, the rest are refused with a retry time within the window', async (kind, limit, windowMs) => {
    const { l } = limits();
    const r = await takeMany(l, kind, 'k', limit + 3);
    expect(r.passed).toBe(limit);
    expect(r.retryAfterMs.length).toBe(3);
    for (const ms of r.retryAfterMs) expect(ms).toBeGreaterThan(0), expect(ms).toBeLessThanOrEqual(windowMs);
  });

  it('counts each key on its own', async () => {
    const { l } = limits();
    expect((await takeMany(l, 'message', 'socket-a', 10)).passed).toBe(5);
    expect((await takeMany(l, 'message', 'socket-b', 1)).passed).toBe(1);
  });

  it('logs an offender once however often it is refused, and another offender too', async () => {
    const { l, warnings } = limits();
    await takeMany(l, 'connection', '10.0.0.1', 20);
    await takeMany(l, 'connection', '10.0.0.2', 20);
    await new Promise((r) => setImmediate(r));
    expect(warnings).toMatchObject([{ limit: 'connection', key: '10.0.0.1' }, { limit: 'connection', key: '10.0.0.2' }]);
  });
});

describe('rate limits in Redis', () => {
  it('hold across two processes sharing Redis and the key prefix', async () => {
    const a = limits(REDIS_URL).l;
    const b = limits(REDIS_URL).l;
    const counts = [
      (await takeMany(a, 'route', '203.0.113.9', 2)).passed,
      (await takeMany(b, 'route', '203.0.113.9', 2)).passed,
      (await takeMany(a, 'route', '203.0.113.9', 1)).passed,
      (await takeMany(b, 'route', '203.0.113.9', 1)).passed,
    ];
    expect(counts).toEqual([2, 2, 0, 0]);
  });
});
