import { describe, expect, it } from 'vitest';
import { nextRttBase, queueDelay, RTT_BASE_RISE_MS_PER_S } from './queue-delay.ts';

describe('queue delay over the path round trip', () => {
  it('the base is the lowest round trip seen; a queue shows as the excess over it', () => {
    let base = nextRttBase(undefined, 60, 0);
    base = nextRttBase(base, 40, 1000);
    expect(base!.ms).toBe(40);
    base = nextRttBase(base, 290, 2000);
    expect(base!.ms).toBeCloseTo(40 + RTT_BASE_RISE_MS_PER_S / 1000 * 1000);
    expect(queueDelay(base, 290)).toBeCloseTo(290 - base!.ms);
  });

  it('a longer path is learnt: the base rises to a lasting round trip', () => {
    let base = nextRttBase(undefined, 40, 0);
    for (let t = 1000; t <= 30_000; t += 1000) base = nextRttBase(base, 240, t);
    expect(base!.ms).toBe(240);
    expect(queueDelay(base, 240)).toBe(0);
  });

  it.each([
    { name: 'no base yet', base: undefined, rtt: 100, delay: undefined },
    { name: 'no fresh round trip', base: { ms: 40, atMs: 0 }, rtt: undefined, delay: undefined },
    { name: 'a report without a round trip (0)', base: { ms: 40, atMs: 0 }, rtt: 0, delay: undefined },
    { name: 'below the base', base: { ms: 40, atMs: 0 }, rtt: 30, delay: 0 },
  ])('$name: $delay', ({ base, rtt, delay }) => {
    expect(queueDelay(base, rtt)).toBe(delay);
  });

  it('ignores samples of 0 (no receiver report yet)', () => {
    expect(nextRttBase(undefined, 0, 0)).toBeUndefined();
    expect(nextRttBase({ ms: 40, atMs: 0 }, 0, 1000)).toEqual({ ms: 40, atMs: 0 });
  });
});
