/**
 * npm run bench:adapt — how fast the layer policy reacts on a real limited
 * network: a provider and a patient in Chromium, each in a network namespace;
 * the patient's downlink is limited to 600 kbit/s, then 80 kbit/s, then freed.
 * Prints, per step, the time from the limit change to the layer change, the
 * video pause and the resume, and the layer switches during a constant limit.
 * Needs root (network namespaces). Figures only, no pass or fail.
 */
import { audioPacketsReceived, inboundVideo, signals, startImpairedVisit } from '../test/helpers/impaired-visit.ts';

const STEADY_S = Number(process.env.ADAPT_STEADY_S ?? 60);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const visit = await startImpairedVisit();
const { patient } = visit;
const self = patient.participantId;

async function watch(label: string, seconds: number, done?: (w: number, s: Awaited<ReturnType<typeof signals>>) => boolean): Promise<number | null> {
  const t0 = Date.now();
  let hit: number | null = null;
  while (Date.now() - t0 < seconds * 1000) {
    const v = await inboundVideo(patient.page);
    const s = await signals(patient.page, t0);
    const line = `${label} +${((Date.now() - t0) / 1000).toFixed(1)}s width=${v?.frameWidth ?? '-'} decoded=${v?.framesDecoded ?? '-'} audioPkts=${await audioPacketsReceived(patient.page)}`;
    process.stdout.write(`${line}\n`);
    if (hit === null && done?.(v?.frameWidth ?? 0, s)) { hit = Date.now() - t0; if (seconds > 90) break; }
    await sleep(500);
  }
  return hit;
}

try {
  await watch('unlimited', 15, (w) => w >= 1280);
  patient.host.limitDownlink(600);
  const t600 = Date.now();
  const toLower = await watch('600kbit', STEADY_S, (w) => w > 0 && w <= 640);
  const switches600 = (await signals(patient.page, t600)).filter((s) => s.type === 'layersChanged').length;
  patient.host.limitDownlink(80);
  const t80 = Date.now();
  const toPause = await watch('80kbit', 20, (_w, s) => s.some((x) => x.type === 'videoPaused' && x.viewerId === self));
  const switches80 = (await signals(patient.page, t80)).filter((s) => s.type === 'layersChanged' || s.type === 'videoPaused' || s.type === 'videoResumed').length;
  patient.host.limitDownlink();
  const tFree = Date.now();
  const toResume = await watch('freed', 40, (_w, s) => s.some((x) => x.type === 'videoResumed' && x.viewerId === self));
  const switchesFree = (await signals(patient.page, tFree)).filter((s) => s.type === 'layersChanged').length;
  const fmt = (ms: number | null) => (ms === null ? 'not reached' : `${(ms / 1000).toFixed(1)} s`);
  console.log('\nbench:adapt (patient downlink limited with tc tbf; times from the limit change, 0.5 s polling)');
  console.log(`  600 kbit/s: down to <= 640 px wide in ${fmt(toLower)}; layer switches in ${STEADY_S} s: ${switches600}`);
  console.log(`  80 kbit/s:  video paused (audio-only) in ${fmt(toPause)}; switches in 20 s: ${switches80}`);
  console.log(`  freed:      video resumed in ${fmt(toResume)}; layer switches in 40 s after: ${switchesFree}`);
} finally {
  const code = await visit.close();
  if (visit.log.length) console.log(visit.log.slice(-10).join('\n'));
  process.exitCode = code === 0 ? 0 : 1;
}
