import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sharedInterval } from './shared-interval.ts';

describe('sharedInterval', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('runs every caller of one period from one timer, until each stops', () => {
    const a = vi.fn();
    const b = vi.fn();
    const stopA = sharedInterval(1000, a);
    const stopB = sharedInterval(1000, b);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(3000);
    expect([a.mock.calls.length, b.mock.calls.length]).toEqual([3, 3]);
    stopA();
    vi.advanceTimersByTime(2000);
    expect([a.mock.calls.length, b.mock.calls.length]).toEqual([3, 5]);
    stopB();
    expect(vi.getTimerCount()).toBe(0);
    stopB(); // a second stop does nothing
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps one timer per period, and a caller stopped by another during a round is not called in it', () => {
    const calls: string[] = [];
    let stopLater = () => {};
    const stopFirst = sharedInterval(1000, () => { calls.push('first'); stopLater(); });
    stopLater = sharedInterval(1000, () => calls.push('later'));
    const stopOther = sharedInterval(500, () => calls.push('other'));
    expect(vi.getTimerCount()).toBe(2);
    vi.advanceTimersByTime(1000);
    expect(calls.filter((c) => c !== 'other')).toEqual(['first']);
    expect(calls.filter((c) => c === 'other')).toHaveLength(2);
    vi.advanceTimersByTime(1000);
    expect(calls.filter((c) => c !== 'other')).toEqual(['first', 'first']);
    stopFirst();
    stopOther();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('starts a new timer for a period after its last caller stopped', () => {
    const fn = vi.fn();
    sharedInterval(1000, () => {})();
    const stop = sharedInterval(1000, fn);
    vi.advanceTimersByTime(1000);
    expect(fn).toHaveBeenCalledTimes(1);
    stop();
  });
});
