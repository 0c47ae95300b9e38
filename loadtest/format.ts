/** Human-readable output: the live progress line and the final table. */
import type { TimelinePoint } from './run-state.ts';
import type { LoadtestReport, TrackSummary } from './summary.ts';

export function bitrate(bps: number | undefined): string {
  if (bps === undefined) return '-';
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(2)} Mbps`;
  return `${Math.round(bps / 1000)} kbps`;
}

const ms = (x: number | undefined) => (x === undefined ? '-' : `${Math.round(x)} ms`);
const pct = (x: number | undefined) => (x === undefined ? '-' : `${Math.round(x)}%`);

/** One line, e.g. `[ 12s] visits up 5/5 (target 5) · joins 10 ok, 0 failed · p95 join 85 ms · ...`. */
export function progressLine(p: TimelinePoint, o: { visits: number; target: number }): string {
  const per = (bps: number, n: number) => (n > 0 ? bitrate(bps / n) : '-');
  const node = p.nodeCpuPct === undefined ? '' : ` · node CPU ${pct(p.nodeCpuPct + (p.workerCpuPct ?? 0))}`;
  return `[${String(Math.round(p.t)).padStart(4)}s] visits up ${p.visitsUp}/${o.visits} (target ${o.target}) · joins ${p.botsJoined} ok, ${p.failures} failed`
    + ` · p95 join ${ms(p.joinP95Ms)} · per subscriber: video ${per(p.videoBps, p.videoReceivers)}, audio ${per(p.audioBps, p.audioReceivers)}`
    + ` · loss ${p.lossPct.toFixed(2)}% · bots CPU ${pct(p.botCpuPct)}${node}`
    + (p.nodeConsumers === undefined ? '' : ` · consumers ${p.nodeConsumers}`);
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

function trackRow(name: string, t: TrackSummary): string[] {
  return [name, `${t.receiving}/${t.subscriptions}`, `${ms(t.firstPacketMs.p50)} / ${ms(t.firstPacketMs.p95)}`,
    `${bitrate(t.bitrateBps.mean)} (min ${bitrate(t.bitrateBps.min)})`, `${t.lossPct.toFixed(2)}%`, ms(t.jitterMs.p95)];
}

export function finalTable(r: LoadtestReport): string {
  const layers = Object.entries(r.tracks.video.layerSeconds ?? {}).map(([k, s]) => `${k} ${s}s`).join(', ') || '-';
  const failures = Object.entries(r.joins.failures).map(([code, n]) => `${code} ×${n}`).join(', ');
  const lines = [
    table([
      ['track', 'receiving', 'first packet p50 / p95', 'bitrate per subscriber', 'loss', 'jitter p95'],
      trackRow('audio', r.tracks.audio),
      trackRow('video', r.tracks.video),
    ]),
    `video layers received: ${layers}`,
    `total: joins ${r.joins.succeeded}/${r.joins.attempted}${failures ? ` (failed: ${failures})` : ''} · join p50/p95 ${ms(r.joins.joinMs.p50)} / ${ms(r.joins.joinMs.p95)}`
      + ` · visits up min ${r.visits.upMin ?? '-'} / end ${r.visits.upAtEnd} of ${r.visits.planned} · loss ${r.total.lossPct.toFixed(2)}%`
      + ` · RTT p50 ${r.total.rttMs.p50 ?? '-'} ms · reconnects ${r.total.reconnects} · resumes ${r.total.resumes} · re-routes ${r.total.reroutes} · moves ${r.total.migrations} · audio-only ${r.total.audioOnlySeconds} s`,
    ...(r.visits.testerStalledS > 0 ? [`the load tester stalled ${r.visits.testerStalledS} s in all (its event loop was blocked: the machine running the bots is overloaded); visits were not judged in the 3 s after each stall`] : []),
    `CPU (percent of one core, mean): bots ${pct(r.cpu.botsPct.mean)} · node ${pct(r.cpu.nodePct.mean)}${r.cpu.workerPct.count ? ` · mediasoup workers ${pct(r.cpu.workerPct.mean)}` : ''}`,
    `${r.verdict}: target ${r.visits.target} visits${r.reasons.length ? ` (${r.reasons.join('; ')})` : ''}`,
  ];
  return lines.join('\n');
}
