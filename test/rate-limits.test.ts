import { type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../common/tokens.ts';
import { connectBot, type Bot } from '../loadtest/bot/index.ts';
import { deleteKeys, spawnRole } from './helpers/cluster.ts';
import { connectClient, type TestClient } from './helpers/signaling-client.ts';
import { startServer, TEST_CLUSTER_ENV, TEST_SECRET, type RunningStack } from './helpers/stack.ts';

/** 'connected', or the refusal's code. Connects from `localAddress` (any 127.0.0.0/8 address is this machine). */
async function connectFrom(url: string, token: string, localAddress: string, keep: TestClient['socket'][]): Promise<string> {
  const socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true, localAddress } as never);
  return new Promise<string>((resolve) => {
    socket.once('connect', () => { keep.push(socket); resolve('connected'); });
    socket.once('connect_error', (err: Error & { data?: { code?: string } }) => { socket.close(); resolve(err.data?.code ?? err.message); });
  });
}

describe('on one node: floods are throttled and the visit beside keeps its media', () => {
  let server: RunningStack;
  let beside: Bot[] = [];
  let flooder: TestClient;
  const sockets: TestClient['socket'][] = [];
  const videoPackets = () => beside.map((b) => b.metrics().subscriptions.filter((s) => s.kind === 'video').reduce((n, s) => n + s.packets, 0));

  beforeAll(async () => {
    server = await startServer({ VISITWIRE_LIMIT_MESSAGES_PER_SECOND: '20', VISITWIRE_LIMIT_CONNECTIONS_PER_MINUTE: '5' });
    const bot = async (user: string, role: 'provider' | 'patient') => connectBot({ url: server.url, token: await server.token({ visit: 'visit-beside', user, role }) });
    beside = [await bot('dr-beside', 'provider'), await bot('pt-beside', 'patient')];
    for (let waited = 0; Math.min(...videoPackets()) === 0; waited += 100) {
      if (waited > 20_000) throw new Error('no video in the visit beside');
      await new Promise((r) => setTimeout(r, 100));
    }
    flooder = await connectClient(server.url, await server.token({ visit: 'visit-flood', user: 'dr-flood', role: 'provider' }));
    expect((await flooder.request('join', {})).data?.admission).toBe('admitted');
  });
  afterAll(async () => {
    for (const b of beside) await b.leave();
    flooder?.close();
    for (const s of sockets) s.close();
    expect(await server?.stop()).toBe(0);
  });

  it('answers LIMIT_EXCEEDED to a message flood from one socket, which stays connected and is served again afterwards', async () => {
    const before = videoPackets();
    const acks = await Promise.all(Array.from({ length: 200 }, () => flooder.request('reportSenderStats', { qualityLimitationReason: 'none' })));
    const codes = acks.map((a) => a.error?.code ?? 'ok');
    const count = (c: string) => codes.filter((x) => x === c).length;
    console.log(`message flood: 200 sent at once, ${count('ok')} served, ${count('LIMIT_EXCEEDED')} LIMIT_EXCEEDED, other: ${codes.filter((c) => c !== 'ok' && c !== 'LIMIT_EXCEEDED').join(',') || 'none'}`);
    expect(count('LIMIT_EXCEEDED')).toBeGreaterThan(0);
    expect(count('ok') + count('LIMIT_EXCEEDED')).toBe(200);
    expect(acks.find((a) => a.error)?.error?.message).toMatch(/retry in \d+ s/);
    await expect.poll(async () => (await flooder.request('reportSenderStats', { qualityLimitationReason: 'none' })).error?.code ?? 'ok', { timeout: 5_000 }).toBe('ok');
    expect(flooder.socket.connected).toBe(true);
    await expect.poll(() => Math.min(...videoPackets().map((n, i) => n - before[i]!)), { timeout: 10_000 }).toBeGreaterThan(0);
    console.log(`visit beside, video packets received during and after the flood: ${videoPackets().map((n, i) => n - before[i]!).join(', ')}`);
  });

  it('refuses a connection flood from one address with LIMIT_EXCEEDED while another address still connects', async () => {
    const token = await server.token({ visit: 'visit-conn-flood', user: 'pt-flood', role: 'patient' });
    const outcomes: string[] = [];
    for (let i = 0; i < 10; i++) outcomes.push(await connectFrom(server.url, token, '127.0.0.3', sockets));
    console.log(`connection flood from 127.0.0.3 (limit 5 a minute): ${outcomes.join(' ')}`);
    expect(outcomes.filter((o) => o === 'connected').length).toBe(5);
    expect(outcomes.slice(5)).toEqual(Array(5).fill('LIMIT_EXCEEDED'));
    const other = await server.token({ visit: 'visit-conn-flood', user: 'pt-other', role: 'patient' });
    expect(await connectFrom(server.url, other, '127.0.0.1', sockets)).toBe('connected');
    const logged = server.output().split('\n').filter((line) => line.includes('rate limit exceeded') && line.includes('127.0.0.3'));
    expect(logged.length).toBe(1);
  });
});

describe('across two nodes and two routers sharing Redis', () => {
  const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const PREFIX = `visitwire-limits-it-${randomBytes(6).toString('hex')}:`;
  const started: ChildProcess[] = [];
  const sockets: TestClient['socket'][] = [];
  let tmp: string;
  let nodeUrls: string[];
  let routerUrls: string[];

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'visitwire-limits-'));
    const regionsFile = path.join(tmp, 'regions.json');
    await writeFile(regionsFile, JSON.stringify([{ id: 'eu-west', lat: 53.35, lon: -6.26, tags: [] }]));
    const env = {
      ...TEST_CLUSTER_ENV, VISITWIRE_SECRET: TEST_SECRET, VISITWIRE_REDIS_PREFIX: PREFIX, VISITWIRE_WORKERS: '1', VISITWIRE_RTC_PORT: '0', LOG_LEVEL: 'warn',
      VISITWIRE_LIMIT_CONNECTIONS_PER_MINUTE: '4', VISITWIRE_LIMIT_ROUTES_PER_MINUTE: '4',
    };
    const node = (id: string) => spawnRole(['node', '--region', 'eu-west', '--node-id', id, '--redis', REDIS_URL, '--host', '127.0.0.1', '--port', '0'],
      env, /visitwire node \S+ \(\S+\) is serving (\S+)/, started);
    const router = () => spawnRole(['router', '--regions', regionsFile, '--redis', REDIS_URL, '--host', '127.0.0.1', '--port', '0'],
      env, /visitwire router is listening on (\S+) /, started);
    const roles = await Promise.all([node('limits-a'), node('limits-b'), router(), router()]);
    nodeUrls = roles.slice(0, 2).map((r) => r.ready[0]!);
    routerUrls = roles.slice(2).map((r) => r.ready[0]!);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    for (const proc of started) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await deleteKeys(REDIS_URL, PREFIX);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('counts connections from one address on both nodes together', async () => {
    const token = (u: number) => mintToken(TEST_SECRET, { visit: `v-${u}`, user: `u-${u}`, role: 'patient' });
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) outcomes.push(await connectFrom(nodeUrls[i % 2]!, await token(i), '127.0.0.5', sockets));
    console.log(`connections from 127.0.0.5 alternating node A and B (limit 4 a minute): ${outcomes.join(' ')}`);
    expect(outcomes).toEqual(['connected', 'connected', 'connected', 'connected', 'LIMIT_EXCEEDED', 'LIMIT_EXCEEDED']);
  });

  it('counts /v1/route from one address on both routers together: 429 with Retry-After', async () => {
    const token = await mintToken(TEST_SECRET, { visit: 'v-route', user: 'pt-route', role: 'patient' });
    const answers: { status: number; retryAfter: string | null; code?: string }[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${routerUrls[i % 2]}/v1/route?visit=v-route`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { error?: { code: string } };
      answers.push({ status: res.status, retryAfter: res.headers.get('retry-after'), code: body.error?.code });
    }
    console.log('routes alternating router A and B (limit 4 a minute):', answers.map((a) => `${a.status}${a.retryAfter ? ` Retry-After ${a.retryAfter}` : ''}`).join(', '));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 429, 429]);
    expect(answers[4]!.code).toBe('LIMIT_EXCEEDED');
    expect(Number(answers[4]!.retryAfter)).toBeGreaterThan(0);
  });
});
