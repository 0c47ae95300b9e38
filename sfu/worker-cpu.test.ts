import * as mediasoup from 'mediasoup';
import { describe, expect, it } from 'vitest';
import { cpuShare, WorkerCpuMeter, type CpuSample } from './worker-cpu.ts';

const samples = (entries: [number, number, number][]) => new Map<number, CpuSample>(entries.map(([pid, cpuMs, atMs]) => [pid, { cpuMs, atMs }]));

describe('cpuShare', () => {
  it.each<[string, [number, number, number][], [number, number, number][], number]>([
    ['no previous sample', [], [[1, 500, 1000]], 0],
    ['one worker at a quarter', [[1, 100, 0]], [[1, 350, 1000]], 0.25],
    ['two workers: busy time over both cores', [[1, 0, 0], [2, 0, 0]], [[1, 1000, 1000], [2, 0, 1000]], 0.5],
    ['a respawned worker (new pid) waits for its second sample', [[1, 0, 0]], [[1, 500, 1000], [3, 900, 1000]], 0.5],
    ['a worker gone since is left out', [[1, 0, 0], [2, 0, 0]], [[2, 200, 1000]], 0.2],
    ['never above 1', [[1, 0, 0]], [[1, 1500, 1000]], 1],
    ['no time passed', [[1, 0, 1000]], [[1, 10, 1000]], 0],
  ])('%s', (_name, before, after, share) => {
    expect(cpuShare(samples(before), samples(after))).toBeCloseTo(share);
  });
});

describe('WorkerCpuMeter', () => {
  it('reads a real worker: 0 at first, then a share in 0..1', async () => {
    const worker = await mediasoup.createWorker({ logLevel: 'warn' });
    try {
      const meter = new WorkerCpuMeter(() => [worker], 5000);
      expect(await meter.measure()).toBe(0);
      const router = await worker.createRouter({ mediaCodecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 }] });
      router.close();
      const share = await meter.measure();
      expect(share).toBeGreaterThanOrEqual(0);
      expect(share).toBeLessThanOrEqual(1);
    } finally {
      worker.close();
    }
  });
});
