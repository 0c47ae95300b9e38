/**
 * Runs a load test: plans the visits, starts the bots at the ramp across the
 * bot groups, samples everything every second, stops at the duration or on
 * abort (every bot leaves), and writes the report.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { GroupHandle } from './groups.ts';
import { withTimeout } from '../common/errors.ts';
import { childGroup, localGroup } from './groups.ts';
import { NodeWatcher } from './node-metrics.ts';
import type { LoadtestOptions } from './options.ts';
import { planRun, type VisitPlan } from './plan.ts';
import { reportHtml } from './report-html.ts';
import type { Target } from './route.ts';
import { RunState } from './run-state.ts';
import { progressLine } from './format.ts';
import { summarize, type LoadtestReport } from './summary.ts';
import { monotonicNow } from './clock.ts';

export interface RunControls {
  /** Where the progress line goes (default: nowhere). */
  out?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Aborting stops the run early, as Ctrl-C does; the report is still written. */
  signal?: AbortSignal;
}

const STOP_TIMEOUT_MS = 30_000;
const READY_TIMEOUT_MS = 60_000;

export async function runLoadtest(o: LoadtestOptions, controls: RunControls = {}): Promise<LoadtestReport> {
  const plan = await planRun(o);
  const target: Target = o.node ? { node: o.node } : { router: o.router! };
  let state: RunState | undefined;
  const groups: GroupHandle[] = Array.from({ length: Math.max(1, o.workers) }, (_, i) =>
    (o.workers > 0 ? childGroup : localGroup)((e) => state?.onEvent(i, e)));
  try {
    await withTimeout(Promise.all(groups.map((g) => g.ready)), READY_TIMEOUT_MS, 'loadtest worker processes start');
  } catch (err) {
    for (const g of groups) g.kill();
    throw err;
  }
  // The clock starts once every worker has loaded.
  return drive(o, plan, target, groups, (state = new RunState(plan, o.profile, monotonicNow())), controls);
}

async function drive(o: LoadtestOptions, plan: VisitPlan[], target: Target, groups: GroupHandle[], state: RunState, controls: RunControls): Promise<LoadtestReport> {
  const starts = plan.flatMap((v, i) => v.participants.map((bot) => ({ bot, group: groups[i % groups.length] })))
    .sort((a, b) => a.bot.startAtMs - b.bot.startAtMs);

  let next = 0;
  const dispatcher = setInterval(() => {
    const elapsed = monotonicNow() - state.startedAt;
    for (; next < starts.length && starts[next].bot.startAtMs <= elapsed; next++) {
      state.starting(starts[next].bot.botId);
      starts[next].group.send({ type: 'start', bot: starts[next].bot, target });
    }
  }, 20);

  const watcher = new NodeWatcher();
  let scraping = false;
  const scrape = () => {
    if (scraping) return;
    scraping = true;
    const urls = o.metrics;
    void Promise.all(urls.map((u) => watcher.sample(u).then((s) => state.onNodeSample(s)))).finally(() => { scraping = false; });
  };
  const visits = o.visits;
  const targetVisits = o.targetVisits ?? o.visits;
  const out = controls.out;
  let ticks = 0;
  const sampler = setInterval(() => {
    scrape();
    const point = state.tick();
    if (!out) return;
    if (out.isTTY) out.write(`\r${progressLine(point, { visits, target: targetVisits })}\x1b[K`);
    else if (++ticks % 5 === 0) out.write(`${progressLine(point, { visits, target: targetVisits })}\n`);
  }, 1000);
  scrape();

  const stoppedBy = await new Promise<'duration' | 'signal'>((resolve) => {
    const timer = setTimeout(() => resolve('duration'), o.duration * 1000);
    controls.signal?.addEventListener('abort', () => { clearTimeout(timer); resolve('signal'); }, { once: true });
    if (controls.signal?.aborted) resolve('signal');
  });
  clearInterval(dispatcher);
  clearInterval(sampler);
  state.tick();
  if (out?.isTTY) out.write('\n');
  out?.write('stopping: every bot leaves the visit...\n');
  for (const g of groups) g.send({ type: 'stop' });
  const all = Promise.all(groups.map((g) => g.done));
  await withTimeout(all, STOP_TIMEOUT_MS, 'stop').catch(() => { for (const g of groups) g.kill(); });

  const report = summarize(state, o, stoppedBy);
  if (o.report) await writeReport(o.report, report);
  return report;
}

export async function writeReport(dir: string, report: LoadtestReport): Promise<{ json: string; html: string }> {
  await fs.mkdir(dir, { recursive: true });
  const json = path.join(dir, 'report.json');
  const html = path.join(dir, 'report.html');
  await fs.writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await fs.writeFile(html, reportHtml(report));
  return { json, html };
}
