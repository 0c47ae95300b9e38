/**
 * npm run bench:adapt — how fast the layer policy reacts on a real limited
 * network: a provider and a patient in Chromium, each in a network namespace;
 * the patient's downlink is limited with tc tbf to 600 kbit/s, then 80 kbit/s,
 * then freed. Per tbf burst (ADAPT_BURSTS_KB, default "4 16") it runs the
 * sequence ADAPT_RUNS times (default 3) in one visit and prints the median and
 * worst of: time to <= 640 px at 600 kbit/s, failed step ups (a step up undone
 * within 10 s) in ADAPT_STEADY_S (default 60) s at 600 kbit/s, time to the
 * video pause at 80 kbit/s, the patient's audio loss from that limit change
 * until 2 s after the pause, and time to the resume once freed.
 * ADAPT_TRACE=1 runs the server at LOG_LEVEL=debug and prints, after each run,
 * the patient's downlink rounds (mode, pause count, estimate, score; one a
 * second) and video pauses and resumes from the 600 kbit/s limit on.
 * Needs root (network namespaces). Figures only, no pass or fail.
 */
import { rtpStats } from '../test/helpers/browser.ts';
import { inboundVideo, signals, startImpairedVisit, type Signal } from '../test/helpers/impaired-visit.ts';

const STEADY_S = Number(process.env.ADAPT_STEADY_S ?? 60);
const RUNS = Number(process.env.ADAPT_RUNS ?? 3);
const BURSTS = (process.env.ADAPT_BURSTS_KB ?? '4 16').split(/\s+/).filter(Boolean).map(Number);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RunFigures { toLower: number | null; failedUps: number; switches: number; toPause: number | null; audioLossPct: number | null; toResume: number | null }

/** Step ups undone by a step down within 10 s, from the top layer (2) the limit started at. */
function failedStepUps(s: Signal[]): number {
  const changes = [{ spatialLayer: 2, at: 0 }, ...s.filter((x) => x.type === 'layersChanged').map((x) => ({ spatialLayer: x.spatialLayer ?? 0, at: x.at }))];
  let failed = 0;
  for (let i = 1; i + 1 < changes.length; i++) {
    const [prev, up, down] = [changes[i - 1]!, changes[i]!, changes[i + 1]!];
    if (up.spatialLayer > prev.spatialLayer && down.spatialLayer < up.spatialLayer && down.at - up.at < 10_000) failed++;
  }
  return failed;
}

async function runOnce(visit: Awaited<ReturnType<typeof startImpairedVisit>>, burstKb: number, label: string): Promise<RunFigures> {
  const { patient } = visit;
  const self = patient.participantId;
  const audio = async () => (await rtpStats(patient.page)).filter((s) => s.type === 'inbound-rtp' && s.kind === 'audio')
    .reduce((a, s) => ({ received: a.received + (s.packetsReceived ?? 0), lost: a.lost + (s.packetsLost ?? 0) }), { received: 0, lost: 0 });
  /** Polls every 250 ms until `done` or `seconds`; returns ms from t0 or null. */
  const watch = async (step: string, t0: number, seconds: number, done: (w: number, s: Signal[]) => boolean, keepGoing = false) => {
    let hit: number | null = null;
    while (Date.now() - t0 < seconds * 1000) {
      const v = await inboundVideo(patient.page);
      if (hit === null && done(v?.frameWidth ?? 0, await signals(patient.page, t0))) {
        hit = Date.now() - t0;
        process.stdout.write(`${label} ${step}: ${(hit / 1000).toFixed(2)} s (width ${v?.frameWidth ?? '-'}, decoded ${v?.framesDecoded ?? '-'})\n`);
        if (!keepGoing) break;
      }
      await sleep(250);
    }
    return hit;
  };

  await watch('top layer', Date.now(), 40, (w) => w >= 1280);
  await sleep(3000);
  const t600 = Date.now();
  patient.host.limitDownlink(600, burstKb);
  const toLower = await watch('<= 640 px at 600 kbit/s', t600, STEADY_S, (w) => w > 0 && w <= 640, true);
  const at600 = await signals(patient.page, t600);
  const switches = at600.filter((s) => s.type === 'layersChanged').length;
  const before = await audio();
  const t80 = Date.now();
  patient.host.limitDownlink(80, burstKb);
  const toPause = await watch('video paused at 80 kbit/s', t80, 20, (_w, s) => s.some((x) => x.type === 'videoPaused' && x.viewerId === self));
  await sleep(2000);
  const after = await audio();
  const expected = (after.received - before.received) + (after.lost - before.lost);
  const audioLossPct = toPause === null || expected <= 0 ? null : (100 * (after.lost - before.lost)) / expected;
  await sleep(Math.max(0, 20_000 - (Date.now() - t80)));
  const tFree = Date.now();
  patient.host.limitDownlink();
  const toResume = await watch('video resumed once freed', tFree, 40, (_w, s) => s.some((x) => x.type === 'videoResumed' && x.viewerId === self));
  if (process.env.ADAPT_TRACE) {
    let lastRoundS = 0;
    // Server log of this run's downlink pauses and resumes, times from the lift (negative: before it).
    for (const line of visit.server.output().split('\n')) {
      if (!line.includes('downlink video fallback') && !line.includes('downlink round')) continue;
      try {
        const j = JSON.parse(line) as { time: number; viewerId: string; event: { type: string }; availableBitrate?: number; downlink: { pauses: number }; consumers: { score: number }[];
          mode?: string; pauses?: number; video?: { score: number; paused: boolean; layer?: number }[] };
        if (j.viewerId !== self || j.time < t600 - 1000) continue;
        if (j.video) {
          // One line per second at most.
          if (Math.floor(j.time / 1000) === lastRoundS) continue;
          lastRoundS = Math.floor(j.time / 1000);
          process.stdout.write(`${label}     ${((j.time - tFree) / 1000).toFixed(1)} s round ${j.mode} pauses ${j.pauses} bwe ${j.availableBitrate ?? '-'} ${j.video.map((v) => `score ${v.score} layer ${v.layer}${v.paused ? ' paused' : ''}`).join('; ')}\n`);
          continue;
        }
        process.stdout.write(`${label}   ${((j.time - tFree) / 1000).toFixed(1)} s ${j.event.type} bwe ${j.availableBitrate ?? '-'} pauses ${j.downlink.pauses} scores ${j.consumers.map((c) => c.score).join(',')}\n`);
      } catch { /* not JSON */ }
    }
  }
  return { toLower, failedUps: failedStepUps(at600), switches, toPause, audioLossPct, toResume };
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN; };
const seconds = (ms: number | null) => (ms === null ? Infinity : ms / 1000);
const fmt = (x: number, unit: string, digits = 1) => (Number.isFinite(x) ? `${x.toFixed(digits)}${unit}` : 'not reached');

const rows: string[] = [];
let exitCode = 0;
for (const burstKb of BURSTS) {
  const visit = await startImpairedVisit(process.env.ADAPT_TRACE ? { LOG_LEVEL: 'debug' } : {});
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
  rows.push(`| ${burstKb} KB | ${col((r) => seconds(r.toLower), ' s')} | ${col((r) => r.failedUps, '', 0)} (switches ${col((r) => r.switches, '', 0)}) | ${col((r) => seconds(r.toPause), ' s')} | ${col((r) => r.audioLossPct ?? Infinity, ' %')} | ${col((r) => seconds(r.toResume), ' s')} |`);
}
console.log(`\nbench:adapt: patient downlink limited with tc tbf; ${RUNS} runs per burst, median / worst; times from the limit change, 0.25 s polling`);
console.log(`| tbf burst | 600 kbit/s: <= 640 px | failed step ups in ${STEADY_S} s at 600 | 80 kbit/s: video paused | audio loss, 80 kbit/s transition | freed: video resumed |`);
console.log('|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
process.exitCode = exitCode;
