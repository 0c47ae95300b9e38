/**
 * npm run bench:capacity: the most concurrent two-party visits this machine
 * holds with packet loss under 1% and p95 join latency under 1 s, bots and
 * SFU on the same machine. Doubles the visit count until a run fails, then
 * bisects. Prints each trial and the CPU both sides used (percent of one core)
 * during the hold; no assertions.
 *
 *   tsx bench/capacity.ts [--start 4] [--max 200] [--hold 20] [--ramp 10] [--workers 2]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { runLoadtest, type LoadtestReport } from '../loadtest/index.ts';
import { childrenOf, CpuMeter } from '../loadtest/proc-cpu.ts';
import { readNode } from '../loadtest/node-metrics.ts';
import { startServer, TEST_SECRET } from '../test/helpers/stack.ts';

const { values } = parseArgs({ options: Object.fromEntries(['start', 'max', 'hold', 'ramp', 'workers'].map((k) => [k, { type: 'string' as const }])) });
const START = Number(values.start ?? 4);
const MAX = Number(values.max ?? 200);
const HOLD_S = Number(values.hold ?? 20);
const RAMP = Number(values.ramp ?? 10);
const WORKERS = Number(values.workers ?? 2);

interface Trial {
  visits: number;
  pass: boolean;
  report: LoadtestReport;
  /** Mean percent of one core during the hold. */
  cpu: { node: number; sfuWorkers: number; bots: number; coordinator: number };
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const f1 = (x: number) => x.toFixed(1);

const stack = await startServer({ LOG_LEVEL: 'error' });
const serverPid = stack.proc.pid!;
const sfuWorkers = () => childrenOf(serverPid).filter((c) => c.name.startsWith('mediasoup')).map((c) => c.pid);
console.log(`capacity bench: ${os.availableParallelism()} cores (${os.cpus()[0]?.model.trim()}), server ${stack.url} with ${sfuWorkers().length} mediasoup workers; bots in ${WORKERS} processes; ramp ${RAMP} joins/s, hold ${HOLD_S} s`);
console.log('pass = every visit up through the hold, loss < 1%, p95 join < 1000 ms\n');
console.log('visits  result  up-min  loss%  join-p95  video/sub  | CPU % of a core: node  sfu-workers  bots  coordinator | SFU per visit');

async function drained(): Promise<void> {
  for (let i = 0; i < 40; i++) {
    if ((await readNode(stack.metricsUrl).catch(() => undefined))?.visits === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function trial(visits: number): Promise<Trial> {
  await drained();
  const meters = { node: new CpuMeter(() => [serverPid]), sfu: new CpuMeter(sfuWorkers) };
  const samples: Array<{ at: number; node: number; sfu: number; coordinator: number }> = [];
  let lastUsage = process.cpuUsage();
  let lastAt = performance.now();
  meters.node.rate();
  meters.sfu.rate();
  const timer = setInterval(() => {
    const node = meters.node.rate();
    const sfu = meters.sfu.rate();
    const usage = process.cpuUsage(lastUsage);
    const now = performance.now();
    samples.push({ at: Date.now(), node: node ?? 0, sfu: sfu ?? 0, coordinator: ((usage.user + usage.system) / 1000 / (now - lastAt)) * 100 });
    lastUsage = process.cpuUsage();
    lastAt = now;
  }, 1000);
  const report = await runLoadtest({
    node: stack.url, metrics: [stack.metricsUrl], visits, targetVisits: visits, ramp: RAMP, duration: (visits * 2) / RAMP + 5 + HOLD_S,
    profile: 'two-party', workers: WORKERS, secret: TEST_SECRET, maxLoss: 1, maxJoinP95: 1000,
  });
  clearInterval(timer);
  const from = Date.parse(report.startedAt) + (report.visits.holdFromS ?? 0) * 1000;
  const to = Date.parse(report.endedAt);
  const hold = samples.filter((s) => s.at >= from && s.at <= to);
  const bots = report.timeline.filter((p) => p.t >= (report.visits.holdFromS ?? 0)).map((p) => p.botCpuPct ?? 0);
  const t: Trial = {
    visits, pass: report.verdict === 'PASS', report,
    cpu: { node: mean(hold.map((s) => s.node)), sfuWorkers: mean(hold.map((s) => s.sfu)), bots: mean(bots), coordinator: mean(hold.map((s) => s.coordinator)) },
  };
  const sfuPerVisit = (t.cpu.node + t.cpu.sfuWorkers) / visits;
  console.log(`${String(visits).padStart(6)}  ${t.pass ? 'PASS' : 'FAIL'}  ${String(report.visits.upMin ?? '-').padStart(6)}  ${report.total.lossPct.toFixed(2).padStart(5)}`
    + `  ${String(report.joins.joinMs.p95 ?? '-').padStart(6)} ms  ${String(Math.round((report.tracks.video.bitrateBps.mean ?? 0) / 1000)).padStart(5)} kbps`
    + `  |  ${f1(t.cpu.node).padStart(20)}  ${f1(t.cpu.sfuWorkers).padStart(11)}  ${f1(t.cpu.bots).padStart(4)}  ${f1(t.cpu.coordinator).padStart(11)} | ${f1(sfuPerVisit)}%`);
  if (!t.pass) console.log(`        ${report.reasons.join('; ')}`);
  return t;
}

const trials: Trial[] = [];
let best: Trial | undefined;
let failedAt: number | undefined;
try {
  for (let n = START; n <= MAX && failedAt === undefined; n *= 2) {
    const t = await trial(n);
    trials.push(t);
    if (t.pass) best = t;
    else failedAt = n;
  }
  while (failedAt !== undefined && failedAt - (best?.visits ?? 0) > Math.max(1, Math.ceil((best?.visits ?? 0) * 0.1))) {
    const n = Math.round(((best?.visits ?? 0) + failedAt) / 2);
    const t = await trial(n);
    trials.push(t);
    if (t.pass) best = t;
    else failedAt = n;
  }
} finally {
  await stack.stop();
}

if (!best) {
  console.log(`\nno run passed (even ${START} visits)`);
} else {
  const v = best.visits;
  const sfu = best.cpu.node + best.cpu.sfuWorkers;
  const bots = best.cpu.bots + best.cpu.coordinator;
  const perVisit = sfu / v;
  console.log(`\nmost concurrent two-party visits held: ${v}${failedAt ? ` (${failedAt} failed)` : ` (the --max ${MAX} was reached)`}; ${v * 4} consumers, ${v * 2} participants`);
  console.log(`CPU during the hold, percent of one core: SFU side ${f1(sfu)} (node process ${f1(best.cpu.node)}, mediasoup workers ${f1(best.cpu.sfuWorkers)}), bots side ${f1(bots)} (bots ${f1(best.cpu.bots)}, coordinator ${f1(best.cpu.coordinator)}); machine ${os.availableParallelism() * 100}`);
  console.log(`SFU CPU per visit: ${perVisit.toFixed(2)}% of a core (mediasoup workers alone ${(best.cpu.sfuWorkers / v).toFixed(2)}%); bots per visit ${(bots / v).toFixed(2)}%`);
  console.log(`per core, at that rate: ~${Math.floor(100 / perVisit)} visits (~${Math.floor((100 / perVisit) * 4)} consumers) if the SFU had the core to itself;`
    + ` 3,000 concurrent visits would need ~${Math.ceil((3000 * perVisit) / 100)} SFU cores (mediasoup's guide: ~500 consumers per worker core)`);
  // The SFU lowers layers when receivers fall behind, so the count above may hold at reduced video quality.
  const full = trials.filter((t) => t.pass && (t.report.tracks.video.bitrateBps.mean ?? 0) >= 1_000_000).sort((a, b) => b.visits - a.visits)[0];
  if (full) {
    const fullSfu = (full.cpu.node + full.cpu.sfuWorkers) / full.visits;
    console.log(`most visits held with video at 1 Mbps or more per subscriber (mostly 720p): ${full.visits}; SFU CPU per visit there ${fullSfu.toFixed(2)}% (~${Math.floor(100 / fullSfu)} visits per core), bots ${((full.cpu.bots + full.cpu.coordinator) / full.visits).toFixed(2)}%`);
  }
}
process.exit(0);
