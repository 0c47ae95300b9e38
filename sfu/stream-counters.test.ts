import { describe, expect, it } from 'vitest';
import { SlotCpuTotals, StreamCounters } from './stream-counters.ts';

const totals = (bytes: number, packets = 0, lost = 0) => ({ bytes, packets, lost, nacks: 0, plis: 0, firs: 0 });

describe('StreamCounters', () => {
  it('counts a new stream in full, then only what grew', () => {
    const c = new StreamCounters();
    expect(c.delta('p1', totals(1000, 10))).toEqual(totals(1000, 10));
    expect(c.delta('p1', totals(1500, 14, 1))).toEqual(totals(500, 4, 1));
    expect(c.delta('p1', totals(1500, 14, 1))).toEqual(totals(0, 0, 0));
  });

  it('never counts backwards: a restarted stream counts from zero', () => {
    const c = new StreamCounters();
    c.delta('p1', totals(5000, 50));
    expect(c.delta('p1', totals(300, 3))).toEqual(totals(300, 3));
  });

  it('forgets pruned streams, so a stream seen again counts in full', () => {
    const c = new StreamCounters();
    c.delta('p1', totals(100));
    c.delta('p2', totals(100));
    c.prune(new Set(['p2']));
    expect(c.delta('p1', totals(100))).toEqual(totals(100));
    expect(c.delta('p2', totals(100))).toEqual(totals(0));
  });
});

describe('SlotCpuTotals', () => {
  it('keeps a slot\'s CPU seconds rising when its worker is replaced', () => {
    const s = new SlotCpuTotals();
    expect(s.observe(0, 100, 5)).toBe(5);
    expect(s.observe(0, 100, 7)).toBe(7);
    expect(s.observe(0, 200, 0.5)).toBe(7.5); // worker 100 died at 7 s; its replacement has used 0.5 s
    expect(s.observe(0, 200, 2)).toBe(9);
    expect(s.observe(1, 300, 1)).toBe(1);
  });
});
