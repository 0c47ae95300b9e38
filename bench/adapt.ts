/**
 * npm run bench:adapt — how fast the layer policy reacts on a real limited
 * network: a provider and a patient in Chromium, each in a network namespace;
 * the patient's downlink is limited with tc tbf to 600 kbit/s, then 80 kbit/s,
 * then freed. Per tbf burst (ADAPT_BURSTS_KB, default "4 16") it runs the
 * sequence ADAPT_RUNS times (default 3) in one visit and prints the median and
 * worst of: time to a lower step at 600 kbit/s (the viewer told of a step below
 * 720p@30, e.g. 720p@15, which needs no keyframe) and to <= 640 px, failed step ups (a step up undone
 * within 10 s) in ADAPT_STEADY_S (default 60) s at 600 kbit/s, time to the
 * video pause at 80 kbit/s, the patient's audio loss from that limit change
 * until 2 s after the pause, and time to the resume once freed.
 * The server runs at LOG_LEVEL=debug; from its adaptation log each run's delays
 * are split into stages (bench/adapt-stages.ts: first fast signal, policy
 * decision, what the viewer saw), printed per run and as medians at the end.
 * ADAPT_TRACE=1 also prints, after each run, the patient's downlink rounds
 * (mode, pause count, estimate, score, loss, NACK ratio; one a second, every
 * round with ADAPT_TRACE_ALL=1) and video pauses and
 * resumes from the 600 kbit/s limit on.
 * Needs root (network namespaces). Figures only, no pass or fail.
 */
import { rtpStats } from '../test/helpers/browser.ts';
import { inboundVideo, signals, startImpairedVisit, stepOrder, TOP_STEP, type Signal } from '../test/helpers/impaired-visit.ts';
import { formatStages, median, parseAdaptationLog, pauseStages, resumeStages, stagesTable, stepDownStages, type Stages } from './adapt-stages.ts';

const STEADY_S = Number(process.env.ADAPT_STEADY_S ?? 60);
const RUNS = Number(process.env.ADAPT_RUNS ?? 3);
const BURSTS = (process.env.ADAPT_BURSTS_KB ?? '4 16').split(/\s+/).filter(Boolean).map(Number);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RunFigures {
  toLowerStep: number | null; toLower: number | null; failedUps: number; switches: number; toPause: number | null; audioLossPct: number | null; toResume: number | null;
  stages: { down: Stages; pause: Stages; resume: Stages };
}

/** Step ups (by spatial, then temporal layer) undone by a step down within 10 s, from the top step (720p@30) the limit started at. */
function failedStepUps(s: Signal[]): number {
  const changes = [{ order: TOP_STEP, at: 0 }, ...s.filter((x) => x.type === 'layersChanged').map((x) => ({ order: stepOrder(x), at: x.at }))];
  let failed = 0;
  for (let i = 1; i + 1 < changes.length; i++) {
    const [prev, up, down] = [changes[i - 1]!, changes[i]!, changes[i + 1]!];
    if (up.order > prev.order && down.order < up.order && down.at - up.at < 10_000) failed++;
  }
  return failed;
}

async function runOnce(visit: Awaited<ReturnType<typeof startImpairedVisit>>, burstKb: number, label: string): Promise<RunFigures> {
  const { patient } = visit;
  const self = patient.participantId;
  const audio = async () => (await rtpStats(patient.page)).filter((s) => s.type === 'inbound-rtp' && s.kind === 'audio')
    .reduce((a, s) => ({ received: a.received + (s.packetsReceived ?? 0), lost: a.lost + (s.packetsLost ?? 0) }), { received: 0, lost: 0 });
  /** Polls every 250 ms until `done` or `seconds`; returns ms from t0 or null. */
  type Video = Awaited<ReturnType<typeof inboundVideo>>;
  const watch = async (step: string, t0: number, seconds: number, done: (w: number, s: Signal[], v: Video) => boolean, keepGoing = false) => {
    let hit: number | null = null;
    while (Date.now() - t0 < seconds * 1000) {
      const v = await inboundVideo(patient.page);
      if (hit === null && done(v?.frameWidth ?? 0, await signals(patient.page, t0), v)) {
        hit = Date.now() - t0;
        process.stdout.write(`${label} ${step}: ${(hit / 1000).toFixed(2)} s (width ${v?.frameWidth ?? '-'}, decoded ${v?.framesDecoded ?? '-'})\n`);
        if (!keepGoing) break;
      }
      await sleep(250);
    }
    return hit;
  };

  // The top step, 720p@30: 1280 wide, and the last step the viewer was told of (a resume is on 180p) is the top one.
  const atTop = async () => {
    const steps = (await signals(patient.page, 0)).filter((x) => x.type === 'layersChanged' || x.type === 'videoResumed');
    const last = steps[steps.length - 1];
    return ((await inboundVideo(patient.page))?.frameWidth ?? 0) >= 1280 && (last === undefined || (last.type === 'layersChanged' && stepOrder(last) === TOP_STEP));
  };
  const tTop = Date.now();
  while (!(await atTop()) && Date.now() - tTop < 90_000) await sleep(250);
  process.stdout.write(`${label} top step (720p@30): ${((Date.now() - tTop) / 1000).toFixed(2)} s\n`);
  await sleep(3000);
  const t600 = Date.now();
  patient.host.limitDownlink(600, burstKb);
  const toLower = await watch('<= 640 px at 600 kbit/s', t600, STEADY_S, (w) => w > 0 && w <= 640, true);
  const at600 = await signals(patient.page, t600);
  const switches = at600.filter((s) => s.type === 'layersChanged').length;
  const lowerStep = at600.find((s) => s.type === 'layersChanged' && stepOrder(s) < TOP_STEP);
  const toLowerStep = lowerStep ? lowerStep.at - t600 : null;
  const before = await audio();
  const t80 = Date.now();
  patient.host.limitDownlink(80, burstKb);
  const toPause = await watch('video paused at 80 kbit/s', t80, 20, (_w, s) => s.some((x) => x.type === 'videoPaused' && x.viewerId === self));
  await sleep(2000);
  const after = await audio();
  const expected = (after.received - before.received) + (after.lost - before.lost);
  const audioLossPct = toPause === null || expected <= 0 ? null : (100 * (after.lost - before.lost)) / expected;
  await sleep(Math.max(0, 20_000 - (Date.now() - t80)));
  const framesPaused = (await inboundVideo(patient.page))?.framesDecoded ?? 0;
  const tFree = Date.now();
  patient.host.limitDownlink();
  const toResume = await watch('video resumed once freed', tFree, 40, (_w, s) => s.some((x) => x.type === 'videoResumed' && x.viewerId === self));
  const toFrames = await watch('frames decoded again', tFree, 40, (_w, _s, v) => (v?.framesDecoded ?? 0) > framesPaused);
  await sleep(500); // the last rounds reach the server log
  const log = parseAdaptationLog(visit.server.output(), self);
  const stages = {
    down: stepDownStages(log, t600, t80, 600_000, toLower),
    pause: pauseStages(log, t80, tFree, toPause),
    resume: resumeStages(log, tFree, tFree + 40_000, toResume, toFrames),
  };
  for (const [name, s] of Object.entries(stages)) process.stdout.write(`${label} stages, ${name}: ${formatStages(s)}\n`);
  if (process.env.ADAPT_TRACE) {
    // This run's downlink rounds (one a second) and pauses and resumes, times from the lift (negative: before it).
    const since = (at: number) => `${((at - tFree) / 1000).toFixed(1)} s`;
    let lastRoundS = 0;
    for (const r of log.rounds.filter((x) => x.at >= t600 - 1000)) {
      if (Math.floor(r.at / 1000) === lastRoundS && !process.env.ADAPT_TRACE_ALL) continue;
      lastRoundS = Math.floor(r.at / 1000);
      process.stdout.write(`${label}     ${since(r.at)} round ${r.mode} pauses ${r.pauses} bwe ${r.bwe ?? '-'} score ${r.score} loss ${r.loss ?? '-'} nacks ${r.nackRatio?.toFixed(2) ?? '-'} queue ${r.queueDelayMs?.toFixed(0) ?? '-'} ms layer ${r.layer}.${r.temporalLayer ?? '-'}${r.paused ? ' paused' : ''}\n`);
    }
    for (const d of log.decisions.filter((x) => x.at >= t600 - 1000)) process.stdout.write(`${label}   ${since(d.at)} ${d.type}\n`);
  }
  return { toLowerStep, toLower, failedUps: failedStepUps(at600), switches, toPause, audioLossPct, toResume, stages };
}

const seconds = (ms: number | null) => (ms === null ? Infinity : ms / 1000);
const fmt = (x: number, unit: string, digits = 1) => (Number.isFinite(x) ? `${x.toFixed(digits)}${unit}` : 'not reached');

const rows: string[] = [];
const stageRows: { label: string; runs: Stages[] }[] = [];
let exitCode = 0;
for (const burstKb of BURSTS) {
  const visit = await startImpairedVisit({ LOG_LEVEL: 'debug' });
  const runs: RunFigures[] = [];
  try {
    for (let r = 1; r <= RUNS; r++) runs.push(await runOnce(visit, burstKb, `burst ${burstKb} KB run ${r}`));
  } finally {
    const code = await visit.close();
    if (code !== 0) { exitCode = 1; console.log(visit.log.slice(-10).join('\n')); }
  }
  const col = (pick: (r: RunFigures) => number, unit: string, digits = 1) => {
    const xs = runs.map(pick);
    return `${fmt(median(xs), unit, digits)} / ${fmt(Math.max(...xs), unit, digits)}`;
  };
  for (const name of ['down', 'pause', 'resume'] as const) stageRows.push({ label: `${burstKb} KB ${{ down: '600 kbit/s', pause: '80 kbit/s', resume: 'freed' }[name]}`, runs: runs.map((r) => r.stages[name]) });
  rows.push(`| ${burstKb} KB | ${col((r) => seconds(r.toLowerStep), ' s')} | ${col((r) => seconds(r.toLower), ' s')} | ${col((r) => r.failedUps, '', 0)} (switches ${col((r) => r.switches, '', 0)}) | ${col((r) => seconds(r.toPause), ' s')} | ${col((r) => r.audioLossPct ?? Infinity, ' %')} | ${col((r) => seconds(r.toResume), ' s')} |`);
}
console.log(`\nbench:adapt: patient downlink limited with tc tbf; ${RUNS} runs per burst, median / worst; times from the limit change, 0.25 s polling`);
console.log(`| tbf burst | 600 kbit/s: a lower step | 600 kbit/s: <= 640 px | failed step ups in ${STEADY_S} s at 600 | 80 kbit/s: video paused | audio loss, 80 kbit/s transition | freed: video resumed |`);
console.log('|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
process.exitCode = exitCode;
console.log('\nWhere the time goes: seconds from the limit change to each stage, median (worst) over the runs');
console.log(stagesTable(stageRows));
