/**
 * Edge router benchmark: route decisions per second and latency of one router
 * process (50 nodes in 10 regions) with the in-memory and the Redis registry,
 * pure selection, and GeoIP lookups per second. Prints figures; asserts nothing.
 *
 *   npx tsx bench/route.ts [--seconds 5] [--concurrency 32] [--redis redis://127.0.0.1:6379]
 *
 * The router runs in a child process; this process is the load generator.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createRegistry } from '../common/registry/index.ts';
import type { NodeRecord } from '../common/registry/types.ts';
import { mintToken } from '../common/tokens.ts';
import { createGeoLocator, type GeoLocator } from '../edge-router/geo.ts';
import type { Region } from '../edge-router/regions.ts';
import { selectNode } from '../edge-router/selection/select-node.ts';
import { createEdgeRouter } from '../edge-router/server.ts';
import { startNodeAgent } from '../sfu/node-agent.ts';

const { values: args } = parseArgs({ options: {
  seconds: { type: 'string', default: '5' },
  concurrency: { type: 'string', default: '32' },
  redis: { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
  serve: { type: 'string' },
  prefix: { type: 'string' },
} });
const SECRET = 'bench-secret';
const REGIONS: Region[] = [
  { id: 'eu-west', lat: 53.35, lon: -6.26, tags: ['eu'] },
  { id: 'eu-central', lat: 50.11, lon: 8.68, tags: ['eu'] },
  { id: 'eu-north', lat: 59.33, lon: 18.07, tags: ['eu'] },
  { id: 'us-east', lat: 38.9, lon: -77.4, tags: [] },
  { id: 'us-west', lat: 45.6, lon: -122.7, tags: [] },
  { id: 'sa-east', lat: -23.55, lon: -46.63, tags: [] },
  { id: 'ap-northeast', lat: 35.68, lon: 139.69, tags: [] },
  { id: 'ap-southeast', lat: 1.35, lon: 103.82, tags: [] },
  { id: 'ap-south', lat: 19.08, lon: 72.88, tags: [] },
  { id: 'af-south', lat: -33.92, lon: 18.42, tags: [] },
];

function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 50 nodes, 5 per region, with varied load. */
function clusterNodes(rand = random(7)) {
  return REGIONS.flatMap((region) => Array.from({ length: 5 }, (_, i) => ({
    nodeId: `${region.id}-${i}`, region: region.id, signalingUrl: `https://${region.id}-${i}.media.example`,
    capacity: { maxVisits: 200 },
    load: { visits: Math.floor(rand() * 150), participants: 0, consumers: 0, cpu: rand() },
  })));
}

async function serve(kind: string): Promise<void> {
  const registry = createRegistry(kind === 'redis' ? { redisUrl: args.redis, prefix: args.prefix } : {});
  const agents = await Promise.all(clusterNodes().map((n) => startNodeAgent({
    registry, ...n, intervalMs: 1000, getLoad: () => n.load, isDraining: () => false,
  })));
  const geo = await createGeoLocator();
  const handler = createEdgeRouter({ registry, regions: REGIONS, keys: SECRET, geo, trustProxy: ['127.0.0.1'], defaultRegion: 'us-east' });
  const server = createServer({ keepAliveTimeout: 30_000 }, handler);
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
  process.on('disconnect', async () => {
    server.close();
    server.closeAllConnections();
    await Promise.all(agents.map((a) => a.stop()));
    await registry.close();
    process.exit(0);
  });
}

function placedAddresses(geo: GeoLocator, count: number): string[] {
  const rand = random(42);
  const found: string[] = [];
  while (found.length < count) {
    const ip = [1 + Math.floor(rand() * 222), 0, 0, 0].map((o, i) => (i === 0 ? o : Math.floor(rand() * 256))).join('.');
    if (geo.lookup(ip)) found.push(ip);
  }
  return found;
}

function rate(count: number, ms: number): string {
  return `${Math.round((count / ms) * 1000).toLocaleString('en')}/s`;
}

function percentile(sorted: number[], p: number): string {
  return `${sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!.toFixed(2)} ms`;
}

function timed(seconds: number, step: (i: number) => void): { count: number; ms: number } {
  const start = performance.now();
  const end = start + seconds * 1000;
  let count = 0;
  while (performance.now() < end) for (let i = 0; i < 1000; i++) step(count++);
  return { count, ms: performance.now() - start };
}

async function benchHttp(kind: string, ips: string[], tokens: { visit: string; token: string }[]): Promise<void> {
  const prefix = `visitwire-bench-${randomBytes(4).toString('hex')}:`;
  const child: ChildProcess = fork(import.meta.filename, ['--serve', kind, '--prefix', prefix, '--redis', args.redis]);
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`router child exited with ${code}`)));
  });
  const agent = new Agent({ keepAlive: true, maxSockets: Number(args.concurrency) });
  const get = (i: number) => new Promise<number>((resolve, reject) => {
    const { visit, token } = tokens[i % tokens.length]!;
    const started = performance.now();
    request({ host: '127.0.0.1', port, agent, path: `/v1/route?visit=${visit}`, headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': ips[i % ips.length]! } }, (res) => {
      res.resume().on('end', () => (res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`HTTP ${res.statusCode}`))));
    }).on('error', reject).end();
  });
  const run = async (seconds: number, latencies?: number[]) => {
    const end = performance.now() + seconds * 1000;
    let next = 0;
    await Promise.all(Array.from({ length: Number(args.concurrency) }, async () => {
      while (performance.now() < end) latencies?.push(await get(next++));
    }));
  };
  await run(1);
  const latencies: number[] = [];
  const start = performance.now();
  await run(Number(args.seconds), latencies);
  const ms = performance.now() - start;
  latencies.sort((a, b) => a - b);
  console.log(`HTTP /v1/route, ${kind} registry, ${args.concurrency} concurrent: ${rate(latencies.length, ms)}, p50 ${percentile(latencies, 0.5)}, p99 ${percentile(latencies, 0.99)} (${latencies.length} requests)`);
  agent.destroy();
  child.disconnect();
  await new Promise((resolve) => child.once('exit', resolve));
  if (kind === 'redis') {
    const redis = new Redis(args.redis);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }
}

async function main(): Promise<void> {
  const seconds = Number(args.seconds);
  const geo = await createGeoLocator();
  const ips = placedAddresses(geo, 5000);
  const geoRun = timed(Math.min(seconds, 3), (i) => geo.lookup(ips[i % ips.length]!));
  console.log(`GeoIP lookups (geoip-lite): ${rate(geoRun.count, geoRun.ms)}`);

  const now = Date.now();
  const nodes: NodeRecord[] = clusterNodes().map((n) => ({ ...n, draining: false, heartbeatAt: now }));
  const points = ips.map((ip) => geo.lookup(ip)!);
  const regions = new Map(REGIONS.map((r) => [r.id, r]));
  const policy = { heartbeatMaxAgeMs: 5000, stickyKm: 3000, defaultRegion: 'us-east' };
  const selectRun = timed(Math.min(seconds, 3), (i) => selectNode(nodes, {
    now, regions, client: points[i % points.length]!, residency: i % 5 === 0 ? 'eu' : undefined, visitHome: i % 2 ? `eu-west-${i % 5}` : null, policy,
  }));
  console.log(`selectNode (pure, 50 nodes, 10 regions): ${rate(selectRun.count, selectRun.ms)}`);

  const tokens = await Promise.all(Array.from({ length: 1000 }, async (_, i) => {
    const visit = `bench-${i}`;
    return { visit, token: await mintToken(SECRET, { visit, user: `u${i}`, role: 'patient', residency: i % 5 === 0 ? 'eu' : undefined }) };
  }));
  for (const kind of ['memory', 'redis']) await benchHttp(kind, ips, tokens);
}

if (args.serve) await serve(args.serve);
else await main();
