/**
 * A visit that outlives its node: a router, three `visitwire node` processes
 * in one region and Redis; a provider and a patient in Chromium join through
 * the router with the SDK (from a page this test serves, so it outlives every
 * node). The visit's node is SIGKILLed: both are back in media on another node
 * and the patient is not sent to the waiting room again. Then the new node is
 * drained: the visit moves to the last node, make before break, and the
 * drained node exits 0.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisRegistry } from '../common/registry/index.ts';
import { mintToken } from '../common/tokens.ts';
import { launchBrowser, rtpStats, until, type TestBrowser, type TestPage } from './helpers/browser.ts';
import { deleteKeys, request, spawnRole, type RoleProcess } from './helpers/cluster.ts';
import { TEST_CLUSTER_ENV, TEST_SECRET } from './helpers/stack.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `visitwire-failover-test-${randomBytes(6).toString('hex')}:`;
const ENV = { ...TEST_CLUSTER_ENV, VISITWIRE_SECRET: TEST_SECRET, VISITWIRE_REDIS_PREFIX: PREFIX, VISITWIRE_WORKERS: '1', VISITWIRE_RTC_PORT: '0', LOG_LEVEL: 'warn' };
const VISIT = 'visit-failover';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The page: joins through the router with the SDK, publishes the fake camera and microphone, shows every remote track. */
const PAGE = `<!doctype html><meta charset="utf-8"><body><script type="module">
import { joinVisit } from '/sdk.js';
const q = new URLSearchParams(location.search);
window.log = [];
const visit = await joinVisit({ routerUrl: q.get('router'), token: q.get('token') });
window.visit = visit;
visit.on('connectionStateChanged', (e) => log.push([Date.now(), e.state, e.reason]));
visit.on('admission', (e) => log.push([Date.now(), 'admission', e.admission]));
visit.on('track', ({ track }) => {
  const el = document.createElement(track.kind);
  el.srcObject = new MediaStream([track]);
  el.autoplay = true;
  el.muted = true;
  document.body.append(el);
});
// A patient publishes once admitted (the SDK publishes again by itself after a move).
if (visit.admission !== 'admitted') await new Promise((admitted) => visit.on('admission', (e) => e.admission === 'admitted' && admitted()));
await visit.publish({ audio: true, video: true });
window.ready = true;
</script>`;

const started: ChildProcess[] = [];
const nodes = new Map<string, RoleProcess>();
let tmp: string;
let registry: RedisRegistry;
let routerUrl: string;
let pages: http.Server;
let pageUrl: string;
let browser: TestBrowser;
let provider: TestPage;
let patient: TestPage;

beforeAll(async () => {
  browser = await launchBrowser('chromium');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'visitwire-failover-'));
  const regionsFile = path.join(tmp, 'regions.json');
  await writeFile(regionsFile, JSON.stringify([{ id: 'us-east', lat: 38.95, lon: -77.45 }]));
  registry = new RedisRegistry({ redisUrl: REDIS_URL, prefix: PREFIX });
  const spawned = await Promise.all([
    ...['n1', 'n2', 'n3'].map((id) => spawnRole(
      ['node', '--region', 'us-east', '--node-id', id, '--redis', REDIS_URL, '--host', '127.0.0.1', '--port', '0', '--drain-timeout', '60'],
      ENV, /visitwire node \S+ \(\S+\) is serving (\S+)/, started)),
    spawnRole(['router', '--regions', regionsFile, '--redis', REDIS_URL, '--port', '0'], ENV, /visitwire router is listening on (\S+) /, started),
  ]);
  ['n1', 'n2', 'n3'].forEach((id, i) => nodes.set(id, spawned[i]!));
  routerUrl = spawned[3]!.ready[0]!;
  const sdk = fs.readFileSync(path.join(root, 'dist', 'visitwire-sdk.js'));
  pages = http.createServer((req, res) => {
    if (req.url?.startsWith('/sdk.js')) res.writeHead(200, { 'content-type': 'text/javascript' }).end(sdk);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
  });
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
  pageUrl = `http://127.0.0.1:${(pages.address() as AddressInfo).port}/`;
  [provider, patient] = [await browser.newPage({ label: 'provider' }), await browser.newPage({ label: 'patient' })];
}, 90_000);

afterAll(async () => {
  await browser?.close();
  pages?.close();
  for (const proc of started) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  await registry?.close();
  await deleteKeys(REDIS_URL, PREFIX);
  if (tmp) await rm(tmp, { recursive: true, force: true });
}, 60_000);

/** Inbound counters by stream (ssrc) on the page's live connections. */
async function inbound(page: TestPage): Promise<Map<string, number>> {
  const counters = new Map<string, number>();
  for (const s of await rtpStats(page)) {
    if (s.type !== 'inbound-rtp') continue;
    counters.set(`${s.kind}:${s.ssrc}`, (s.kind === 'video' ? s.framesDecoded : s.packetsReceived) ?? 0);
  }
  return counters;
}

/** Resolves, with the time, once some audio stream and some video stream of the page are growing. */
async function mediaFlows(page: TestPage, label: string, timeoutMs: number): Promise<number> {
  return until(`${label}: inbound audio and video growing`, async () => {
    const before = await inbound(page);
    await new Promise((r) => setTimeout(r, 300));
    const after = await inbound(page);
    const growing = (kind: string) => [...after].some(([key, n]) => key.startsWith(kind) && n > (before.get(key) ?? Infinity));
    return growing('audio') && growing('video') && Date.now();
  }, timeoutMs);
}

const nodeOfVisit = async () => (await registry.getVisitHome(VISIT))!;
const stateOf = (page: TestPage) => page.evaluate(() => (window as any).visit?.connectionState as string | undefined);

describe('a visit that outlives its node', () => {
  it('joins through the router; the provider admits the patient', async () => {
    const token = (user: string, role: 'provider' | 'patient') => mintToken(TEST_SECRET, { visit: VISIT, user, role });
    const url = async (user: string, role: 'provider' | 'patient') => `${pageUrl}?router=${encodeURIComponent(routerUrl)}&token=${await token(user, role)}`;
    await provider.goto(await url('dr-f', 'provider'));
    await until('provider ready', () => provider.evaluate(() => (window as any).ready === true));
    await patient.goto(await url('pt-f', 'patient'));
    const waiting = await until('the patient in the waiting room', () => provider.evaluate(() => (window as any).visit.waiting[0]?.participantId as string | undefined));
    await provider.evaluate((id) => (window as any).visit.admit(id), waiting);
    await Promise.all([mediaFlows(provider, 'provider', 30_000), mediaFlows(patient, 'patient', 30_000)]);
  });

  it('is back in media on another node within 10 s of its node being SIGKILLed; the patient does not wait again', async () => {
    const dead = await nodeOfVisit();
    const killedAt = Date.now();
    nodes.get(dead)!.proc.kill('SIGKILL');
    // The old connections stop receiving, then close; media must then grow on new ones.
    await until('the pages to notice', async () => (await stateOf(provider)) !== 'connected' && (await stateOf(patient)) !== 'connected', 10_000);
    const [p, q] = await Promise.all([mediaFlows(provider, 'provider', 30_000), mediaFlows(patient, 'patient', 30_000)]);
    console.log(`back in media after the node was killed: provider ${p - killedAt} ms, patient ${q - killedAt} ms`);
    expect(Math.max(p, q) - killedAt, 'ms from the kill to media on another node (the issue asks for 10 s)').toBeLessThan(10_000);
    const now = await nodeOfVisit();
    expect(now).not.toBe(dead);
    expect(await patient.evaluate(() => (window as any).visit.admission)).toBe('admitted');
    expect(await patient.evaluate(() => (window as any).log.some((e: unknown[]) => e[1] === 'admission' && e[2] === 'waiting'))).toBe(false);
    for (const page of [provider, patient]) expect(await stateOf(page)).toBe('connected');
  });

  it('moves to the last node, make before break, when its node drains; the drained node exits 0', async () => {
    const draining = await nodeOfVisit();
    const admin = await mintToken(TEST_SECRET, { visit: 'ops', user: 'admin-1', role: 'administrator' });
    const { signalingUrl } = (await registry.listNodes()).find((n) => n.nodeId === draining)!;
    const drainedAt = Date.now();
    expect((await request(`${signalingUrl}/v1/admin/drain`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } })).status).toBe(202);
    const code = await Promise.race([nodes.get(draining)!.exited, new Promise((r) => setTimeout(() => r('still running'), 30_000))]);
    expect(code).toBe(0);
    const moved = await nodeOfVisit();
    expect(moved).not.toBe(draining);
    const [p, q] = await Promise.all([mediaFlows(provider, 'provider', 15_000), mediaFlows(patient, 'patient', 15_000)]);
    console.log(`after the drain: media on ${moved}; provider ${p - drainedAt} ms, patient ${q - drainedAt} ms`);
    // Moved, not rejoined: never without media in between.
    for (const page of [provider, patient]) {
      const states = await page.evaluate((t) => (window as any).log.filter((e: unknown[]) => (e[0] as number) >= t).map((e: unknown[]) => `${e[1]}:${e[2]}`), drainedAt);
      expect(states).toContain('migrating:drain');
      expect(states).toContain('connected:migrated');
      expect(await stateOf(page)).toBe('connected');
    }
  });
});
