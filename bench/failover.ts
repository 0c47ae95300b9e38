/**
 * `npm run bench:failover`: Redis, a router and three nodes in two regions
 * (us-east n1, n2; eu-west n3), 20 two-party visits of werift bots through the
 * router. Then, one after the other: (a) every bot's signaling is cut for 3 s
 * (media must not stop); (b) the node holding the most visits is SIGKILLed
 * (time from the kill to remote media again, per participant); (c) the node
 * now holding the visits is drained (media gap per participant).
 * Goals: (a) no audio gap over 300 ms; (b) 99% back within 5 s; (c) no gap over 1 s.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { RedisRegistry } from '../common/registry/index.ts';
import { mintToken } from '../common/tokens.ts';
import { connectBot, type Bot } from '../loadtest/bot/index.ts';
import { routeTo } from '../loadtest/route.ts';
import { deleteKeys, request, spawnRole, type RoleProcess } from '../test/helpers/cluster.ts';
import { TEST_CLUSTER_ENV, TEST_SECRET } from '../test/helpers/stack.ts';
import { monotonicNow } from '../loadtest/clock.ts';

const { values } = parseArgs({ options: { visits: { type: 'string', default: '20' } } });
const VISITS = Number(values.visits);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `visitwire-bench-failover-${randomBytes(6).toString('hex')}:`;
const ENV = { ...TEST_CLUSTER_ENV, VISITWIRE_SECRET: TEST_SECRET, VISITWIRE_REDIS_PREFIX: PREFIX, VISITWIRE_WORKERS: '1', VISITWIRE_RTC_PORT: '0', LOG_LEVEL: 'error' };
const NODES = [['n1', 'us-east'], ['n2', 'us-east'], ['n3', 'eu-west']] as const;

const started: ChildProcess[] = [];
const tmp = await mkdtemp(path.join(os.tmpdir(), 'visitwire-bench-failover-'));
const registry = new RedisRegistry({ redisUrl: REDIS_URL, prefix: PREFIX });
const bots: { visitId: string; bot: Bot }[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};
const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;

try {
  const regionsFile = path.join(tmp, 'regions.json');
  await writeFile(regionsFile, JSON.stringify([{ id: 'us-east', lat: 38.95, lon: -77.45 }, { id: 'eu-west', lat: 53.35, lon: -6.26, tags: ['eu'] }]));
  const nodes = new Map<string, RoleProcess>();
  const spawned = await Promise.all([
    ...NODES.map(([id, region]) => spawnRole(['node', '--region', region, '--node-id', id, '--redis', REDIS_URL, '--host', '127.0.0.1', '--port', '0', '--drain-timeout', '60'],
      ENV, /visitwire node \S+ \(\S+\) is serving (\S+)/, started)),
    spawnRole(['router', '--regions', regionsFile, '--redis', REDIS_URL, '--port', '0', '--default-region', 'us-east'], ENV, /visitwire router is listening on (\S+) /, started),
  ]);
  NODES.forEach(([id], i) => nodes.set(id, spawned[i]!));
  const target = { router: spawned[3]!.ready[0]! };

  // 20 two-party visits through the router.
  await Promise.all(Array.from({ length: VISITS }, async (_, i) => {
    const visitId = `bench-failover-${i}`;
    for (const [user, role] of [[`dr-${i}`, 'provider'], [`pt-${i}`, 'patient']] as const) {
      const token = await mintToken(TEST_SECRET, { visit: visitId, user, role });
      const route = await routeTo(target, visitId, token);
      const bot = await connectBot({ url: route.url, nodeId: route.nodeId, token, route: (failed) => routeTo(target, visitId, token, failed), joinTimeoutMs: 60_000 });
      bots.push({ visitId, bot });
    }
  }));
  const receiving = () => bots.every(({ bot }) => bot.metrics().subscriptions.filter((s) => s.packets > 0).length >= 2);
  for (let waited = 0; !receiving(); waited += 250) {
    if (waited > 30_000) throw new Error('not every bot receives audio and video');
    await sleep(250);
  }
  await sleep(2000);
  console.log(`${VISITS} visits up, ${bots.length} bots receiving audio and video`);
  const homes = async () => new Map(await Promise.all(bots.map(async ({ visitId }) => [visitId, await registry.getVisitHome(visitId)] as const)));

  // (a) a 3 s signaling blip for every bot.
  const cutAt = monotonicNow();
  for (const { bot } of bots) bot.cutSignaling(3000);
  await sleep(8000);
  const blipGaps = bots.map(({ bot }) => bot.gaps.longest('audio', cutAt, cutAt + 8000));
  const resumed = bots.filter(({ bot }) => bot.metrics().resumes > 0).length;

  // (b) SIGKILL the node holding the most visits.
  const before = await homes();
  const counts = new Map<string, number>();
  for (const home of before.values()) if (home) counts.set(home, (counts.get(home) ?? 0) + 1);
  const victim = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
  const onVictim = bots.filter(({ visitId }) => before.get(visitId) === victim);
  const killedAt = monotonicNow();
  nodes.get(victim)!.proc.kill('SIGKILL');
  await sleep(1000); // the gap has begun
  for (let waited = 0; waited < 30_000 && onVictim.some(({ bot }) => bot.gaps.backAfter('audio', killedAt) === undefined); waited += 250) await sleep(250);
  await sleep(2000);
  const backMs = onVictim.map(({ bot }) => (bot.gaps.backAfter('audio', killedAt) ?? Infinity) - killedAt);
  console.log(`(b) ${victim} killed: ${onVictim.length} on it; back after ${backMs.join(', ')} ms; reroutes ${onVictim.map(({ bot }) => bot.metrics().reroutes).join(',')}; states ${onVictim.map(({ bot }) => bot.metrics().state).join(',')}`);

  // (c) drain the node that now holds the most visits.
  const now = await homes();
  const held = new Map<string, number>();
  for (const home of now.values()) if (home) held.set(home, (held.get(home) ?? 0) + 1);
  const drained = [...held].sort((a, b) => b[1] - a[1])[0]![0];
  console.log(`homes after the kill: ${JSON.stringify(Object.fromEntries(held))}; errors: ${bots.map(({ bot }) => bot.metrics().error?.message).filter(Boolean).slice(0, 3).join(' / ')}`);
  const onDrained = bots.filter(({ visitId }) => now.get(visitId) === drained);
  const { signalingUrl } = (await registry.listNodes()).find((n) => n.nodeId === drained)!;
  const admin = await mintToken(TEST_SECRET, { visit: 'ops', user: 'admin-1', role: 'administrator' });
  const drainedAt = monotonicNow();
  await request(`${signalingUrl}/v1/admin/drain`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
  const exit = await Promise.race([nodes.get(drained)!.exited, sleep(60_000).then(() => 'still running')]);
  await sleep(3000);
  const drainGaps = onDrained.map(({ bot }) => Math.max(bot.gaps.longest('audio', drainedAt, monotonicNow()), bot.gaps.longest('video', drainedAt, monotonicNow())));
  const moved = onDrained.filter(({ bot }) => bot.metrics().migrations > 0).length;

  console.log(`\n${VISITS} two-party visits (${bots.length} werift bots) through the router; nodes n1, n2 (us-east), n3 (eu-west)\n`);
  console.log(row(['case', 'participants', 'p50', 'p95', 'max', 'goal', 'met']));
  console.log(row(['---', '---', '---', '---', '---', '---', '---']));
  console.log(row(['(a) signaling cut 3 s: longest audio gap', `${bots.length} (${resumed} resumed)`, `${pct(blipGaps, 50)} ms`, `${pct(blipGaps, 95)} ms`, `${Math.max(...blipGaps)} ms`, 'no gap over 300 ms', Math.max(...blipGaps) <= 300 ? 'yes' : 'no']));
  const within5 = backMs.filter((ms) => ms <= 5000).length / Math.max(1, backMs.length);
  console.log(row([`(b) ${victim} SIGKILLed: kill to remote audio again`, `${onVictim.length}`, `${pct(backMs, 50)} ms`, `${pct(backMs, 95)} ms`, `${Math.max(...backMs)} ms`, '99% within 5 s', `${(within5 * 100).toFixed(0)}% within 5 s`]));
  console.log(row([`(c) ${drained} drained: longest audio or video gap`, `${onDrained.length} (${moved} moved)`, `${pct(drainGaps, 50)} ms`, `${pct(drainGaps, 95)} ms`, `${Math.max(...drainGaps)} ms`, 'no gap over 1 s', Math.max(...drainGaps) <= 1000 ? 'yes' : 'no']));
  console.log(`\n${drained} exited ${exit} after the drain`);
} finally {
  await Promise.allSettled(bots.map(({ bot }) => Promise.race([bot.leave(), sleep(3000)])));
  for (const proc of started) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  await registry.close();
  await deleteKeys(REDIS_URL, PREFIX);
  await rm(tmp, { recursive: true, force: true });
}
