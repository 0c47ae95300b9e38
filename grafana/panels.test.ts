import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../common/tokens.ts';
import { CLI, deleteKeys, spawnRole } from '../test/helpers/cluster.ts';
import { startPrometheus, type RunningPrometheus } from '../test/helpers/prometheus.ts';
import { connectClient } from '../test/helpers/signaling-client.ts';
import { TEST_CLUSTER_ENV, TEST_SECRET } from '../test/helpers/stack.ts';
import { metricNames, panelQueries, substitute } from './dashboards/queries.ts';
import { renderDashboards } from './generate.ts';

/**
 * Every panel returns data: a real Prometheus scrapes a `visitwire node` and a
 * `visitwire router` (Redis registry under a key prefix of this test's own)
 * while a short `visitwire loadtest` runs real WebRTC bots through the router;
 * then every query of every generated dashboard runs through Prometheus's HTTP
 * API and must neither fail nor come back empty. The alert rules, loaded by the
 * same Prometheus, must select only metrics that exist.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `visitwire-panels-test-${randomBytes(6).toString('hex')}:`;
const NODE_ID = 'panel-node-1';
const ENV = { ...TEST_CLUSTER_ENV, VISITWIRE_SECRET: TEST_SECRET, VISITWIRE_REDIS_PREFIX: PREFIX, VISITWIRE_WORKERS: '1', VISITWIRE_RTC_PORT: '0', VISITWIRE_METRICS_ADDR: '127.0.0.1:0', LOG_LEVEL: 'warn' };
const METRICS_LINE = /metrics for Prometheus: http:\/\/(\S+)\/metrics/;

const started: ChildProcess[] = [];
let tmp: string;
let prometheus: RunningPrometheus;
let nodeUrl: string;
let nodeMetrics: string;
let routerUrl: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'visitwire-panels-'));
  const regionsFile = path.join(tmp, 'regions.json');
  await fs.writeFile(regionsFile, JSON.stringify([{ id: 'eu-west', lat: 53.35, lon: -6.26, tags: ['eu'] }]));
  const [node, router] = await Promise.all([
    spawnRole(['node', '--region', 'eu-west', '--node-id', NODE_ID, '--redis', REDIS_URL, '--host', '127.0.0.1', '--port', '0'],
      ENV, new RegExp(`is serving (\\S+)[^]*${METRICS_LINE.source}`), started),
    spawnRole(['router', '--regions', regionsFile, '--redis', REDIS_URL, '--port', '0'],
      ENV, new RegExp(`router is listening on (\\S+) [^]*${METRICS_LINE.source}`), started),
  ]);
  [nodeUrl, nodeMetrics] = node.ready as [string, string];
  routerUrl = router.ready[0]!;
  prometheus = await startPrometheus(
    { 'visitwire-nodes': [nodeMetrics], 'visitwire-routers': [router.ready[1]!] },
    [path.join(here, 'prometheus', 'alerts.yml')],
  );
}, 90_000);

afterAll(async () => {
  for (const proc of started) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  await prometheus?.stop();
  await deleteKeys(REDIS_URL, PREFIX);
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

function loadtest(args: string[]): Promise<{ code: number | null; out: string }> {
  const proc = spawn(process.execPath, [CLI, 'loadtest', ...args], { env: { ...process.env, ...ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(proc);
  let out = '';
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  return new Promise((resolve) => proc.once('exit', (code) => resolve({ code, out })));
}

/** A refused handshake, a refused request, a refused route: the error panels have something to show. */
async function provokeErrors(): Promise<void> {
  await expect(connectClient(nodeUrl, 'not-a-token')).rejects.toThrow();
  const client = await connectClient(nodeUrl, await mintToken(TEST_SECRET, { visit: 'v-errors', user: 'u-1', role: 'provider' }));
  expect((await client.request('resumeConsumer', { consumerId: 'nope' })).error?.code).toBe('BAD_REQUEST');
  client.close();
  expect((await fetch(`${routerUrl}/v1/route?visit=bad%20id`)).status).toBe(400);
}

describe('every dashboard panel returns data from a real Prometheus', () => {
  it('while a load test runs through the router, every panel query and variable answers with series', async () => {
    await provokeErrors();
    const run = await loadtest(['--router', routerUrl, '--metrics', `http://${nodeMetrics}`, '--visits', '2', '--duration', '20', '--ramp', '4',
      '--target-visits', '2', '--secret', TEST_SECRET, '--report', path.join(tmp, 'report')]);
    expect(run.code, run.out).toBe(0);

    // Prometheus has scraped the node after its media flowed and the router after its decisions.
    await expect.poll(async () => Number((await prometheus.query('sum(visitwire_first_packet_seconds_count)'))[0]?.value[1] ?? 0), { timeout: 15_000 }).toBeGreaterThan(0);
    await expect.poll(async () => Number((await prometheus.query('sum(visitwire_router_decisions_total)'))[0]?.value[1] ?? 0), { timeout: 15_000 }).toBeGreaterThanOrEqual(4);
    await expect.poll(async () => (await prometheus.query('visitwire_rtp_bytes_total{direction="out"}')).length, { timeout: 15_000 }).toBeGreaterThan(0);

    const queries = [...renderDashboards()].flatMap(([file, json]) => panelQueries(file, JSON.parse(json)));
    const failures: string[] = [];
    for (const q of queries) {
      const expr = substitute(q.expr, { __rate_interval: '2m', node: NODE_ID, region: '.*' });
      try {
        const result = await prometheus.query(expr);
        if (result.length === 0) failures.push(`${q.dashboard} / ${q.panel}: no series for ${expr}`);
      } catch (err) {
        failures.push(`${q.dashboard} / ${q.panel}: ${(err as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
    expect(queries.length).toBeGreaterThan(40);
    expect(await prometheus.query('sum by (region) (rate(visitwire_no_such_metric_total[2m]))')).toEqual([]); // what a broken panel gets

    expect(await prometheus.get(`/api/v1/label/node/values?match[]=visitwire_visits`)).toContain(NODE_ID);
    expect(await prometheus.get(`/api/v1/label/region/values?match[]=visitwire_visits`)).toContain('eu-west');
  });

  it('every metric the alert rules select exists', async () => {
    const groups = (await prometheus.get<{ groups: Array<{ rules: Array<{ name: string; query: string }> }> }>('/api/v1/rules')).groups;
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.name)).toHaveLength(9);
    const missing: string[] = [];
    for (const rule of rules) {
      for (const name of metricNames(rule.query)) {
        if ((await prometheus.query(`count(${name})`)).length === 0) missing.push(`${rule.name}: ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('scraping a node costs little (figures printed)', async () => {
    const started = performance.now();
    const text = await (await fetch(`http://${nodeMetrics}/metrics`)).text();
    const ms = performance.now() - started;
    const series = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
    console.log(`node /metrics: ${ms.toFixed(1)} ms, ${text.length} bytes, ${series} series`);
    expect(series).toBeGreaterThan(100);
    // No visit, participant or user ids in labels: only these label names appear.
    const labelNames = new Set([...text.matchAll(/[{,]([a-zA-Z_]+)="/g)].map((m) => m[1]));
    const allowed = ['node', 'region', 'role', 'kind', 'direction', 'type', 'reason', 'decision', 'message', 'code', 'cause', 'endpoint', 'operation', 'worker', 'le',
      'space', 'version', 'major', 'minor', 'patch']; // the last five: prom-client's Node.js metrics
    expect([...labelNames].filter((l) => !allowed.includes(l))).toEqual([]);
    expect(labelNames).toContain('role');
  });
});
