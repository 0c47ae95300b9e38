import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '../common/config.ts';
import { parsePrometheus } from '../loadtest/node-metrics.ts';
import { TEST_SECRET } from '../test/helpers/stack.ts';
import { startStack, type Stack } from './stack.ts';

/** A real node (one mediasoup worker) whose worker is killed: the operator's counters must not go backwards. */
let stack: Stack;
beforeAll(async () => {
  const config = configFromEnv({ ...process.env, PORT: '0', VISITWIRE_WORKERS: '1', VISITWIRE_RTC_PORT: '0' });
  stack = await startStack({ ...config, keys: TEST_SECRET, nodeId: 'metrics-node', metricsAddr: '127.0.0.1:0' });
});
afterAll(async () => { await stack?.close(); });

const scrape = async () => {
  const text = await (await fetch(`${stack.metricsUrl}/metrics`)).text();
  return { text, m: parsePrometheus(text) };
};

describe('node metrics across a worker death', () => {
  it('counts the death and keeps the worker slot\'s CPU seconds rising', async () => {
    const oldPid = stack.pool.all[0]!.worker.pid;
    // Some CPU in the first worker, and a heartbeat that samples it.
    for (let i = 0; i < 20; i++) (await stack.pool.all[0]!.worker.createRouter({ mediaCodecs: [] })).close();
    await expect.poll(async () => (await scrape()).m.get('visitwire_worker_cpu_seconds_total') ?? 0, { timeout: 10_000 }).toBeGreaterThan(0);
    const before = (await scrape()).m;
    expect(before.get('visitwire_worker_deaths_total')).toBe(0);

    process.kill(oldPid, 'SIGKILL');
    await expect.poll(() => stack.pool.all[0]?.worker.pid ?? oldPid, { timeout: 15_000 }).not.toBe(oldPid);
    // The new worker has been sampled by a heartbeat: the slot's series carries the old worker's seconds plus its own.
    await expect.poll(async () => (await scrape()).m.get('visitwire_workers'), { timeout: 10_000 }).toBe(1);
    const newPid = stack.pool.all[0]!.worker.pid;
    await expect.poll(() => stack.node.workerCpuSeconds().has(newPid), { timeout: 10_000 }).toBe(true); // the meter has read the new worker
    // The new worker's own seconds add to the slot's total (the dead worker's stay in it).
    const newSeconds = stack.node.workerCpuSeconds().get(newPid)!;
    expect(newSeconds).toBeGreaterThan(0);
    const after = await scrape();
    expect(after.m.get('visitwire_worker_cpu_seconds_total')!).toBeGreaterThanOrEqual(before.get('visitwire_worker_cpu_seconds_total')! + newSeconds - 1e-9);
    expect(after.m.get('visitwire_worker_deaths_total')).toBe(1);
    expect(after.text).toMatch(/^visitwire_worker_cpu_seconds_total\{worker="0",node="metrics-node",region="local"\} /m);
    expect(after.text).toMatch(/^# TYPE visitwire_worker_cpu_seconds_total counter$/m);
  });
});
