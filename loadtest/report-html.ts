/** report.html: one self-contained page (inline CSS and SVG) that opens offline. */
import { bitrate } from './format.ts';
import type { LoadtestReport, TrackSummary } from './summary.ts';
import { escapeHtml as esc, lineChart } from './svg-chart.ts';

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}.pass{color:#127a2e}.fail{color:#b3261e}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}
figure{margin:16px 0}figcaption{font-weight:600}svg text{font-size:11px;fill:#555}.legend span{margin-right:14px}
.legend i{display:inline-block;width:12px;height:3px;margin-right:4px;vertical-align:middle}code{background:#f4f4f4;padding:1px 4px}`;

const n = (v: number | undefined, unit = '') => (v === undefined ? '-' : `${v}${unit}`);

function trackRow(name: string, t: TrackSummary): string {
  return `<tr><td>${name}</td><td>${t.receiving}/${t.subscriptions}</td><td>${n(t.firstPacketMs.p50, ' ms')}</td><td>${n(t.firstPacketMs.p95, ' ms')}</td>`
    + `<td>${bitrate(t.bitrateBps.mean)}</td><td>${bitrate(t.bitrateBps.min)}</td><td>${t.lossPct.toFixed(2)}%</td><td>${n(t.jitterMs.p95, ' ms')}</td></tr>`;
}

export function reportHtml(r: LoadtestReport): string {
  const tl = r.timeline;
  const at = <K extends keyof (typeof tl)[number]>(k: K, scale = 1) => tl.map((p) => [p.t, p[k] === undefined ? undefined : (p[k] as number) * scale] as [number, number | undefined]);
  const perReceiver = (bps: 'videoBps' | 'audioBps', n: 'videoReceivers' | 'audioReceivers') =>
    tl.map((p) => [p.t, p[n] > 0 ? p[bps] / p[n] / 1000 : undefined] as [number, number | undefined]);
  const charts = [
    lineChart('Visits up', 'visits', [
      { name: 'visits up', color: '#1565c0', points: at('visitsUp') },
      { name: 'target', color: '#888', dashed: true, points: tl.map((p) => [p.t, r.visits.target]) },
      { name: 'failed joins', color: '#b3261e', points: at('failures') },
    ]),
    lineChart('Video received, mean per subscriber', 'kbps', [{ name: 'video', color: '#6a1b9a', points: perReceiver('videoBps', 'videoReceivers') }]),
    lineChart('Audio received, mean per subscriber', 'kbps', [{ name: 'audio', color: '#00897b', points: perReceiver('audioBps', 'audioReceivers') }]),
    lineChart('Received, all subscribers', 'Mbps', [
      { name: 'video', color: '#6a1b9a', points: at('videoBps', 1e-6) },
      { name: 'audio', color: '#00897b', points: at('audioBps', 1e-6) },
    ]),
    lineChart('Packet loss', '%', [{ name: 'loss', color: '#b3261e', points: at('lossPct') }]),
    lineChart('CPU', 'percent of one core', [
      { name: 'bots', color: '#ef6c00', points: at('botCpuPct') },
      { name: 'node process', color: '#1565c0', points: at('nodeCpuPct') },
      { name: 'mediasoup workers', color: '#2e7d32', points: at('workerCpuPct') },
    ]),
  ].join('');
  const failures = Object.entries(r.joins.failures);
  const failedBots = r.bots.filter((b) => b.status === 'failed').slice(0, 50);
  const layers = Object.entries(r.tracks.video.layerSeconds ?? {});
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>visitwire load test ${esc(r.startedAt)}</title><style>${CSS}</style></head><body>
<h1>visitwire load test: <span class="${r.verdict === 'PASS' ? 'pass' : 'fail'}">${r.verdict}</span></h1>
<p>${esc(r.startedAt)} · ${r.durationS} s (${r.stoppedBy === 'signal' ? 'stopped by Ctrl-C' : 'full duration'}) · ${r.options.visits} visits, profile <code>${esc(r.options.profile)}</code>,
target ${r.visits.target}, ${esc(r.options.node ? `node ${r.options.node}` : `router ${r.options.router}`)}, ramp ${r.options.ramp} joins/s, ${r.options.workers} worker processes</p>
${r.reasons.length ? `<ul>${r.reasons.map((x) => `<li class="fail">${esc(x)}</li>`).join('')}</ul>` : ''}
<h2>Visits and joins</h2>
<table><tr><th>visits planned</th><th>fully joined</th><th>up: min through hold</th><th>up at end</th><th>joins ok / attempted</th><th>join p50</th><th>join p95</th><th>admitted p95</th><th>reconnects</th><th>audio-only</th><th>RTT p50</th></tr>
<tr><td>${r.visits.planned}</td><td>${r.visits.fullyJoined}</td><td>${n(r.visits.upMin)}</td><td>${r.visits.upAtEnd}</td><td>${r.joins.succeeded} / ${r.joins.attempted}</td>
<td>${n(r.joins.joinMs.p50, ' ms')}</td><td>${n(r.joins.joinMs.p95, ' ms')}</td><td>${n(r.joins.admittedMs.p95, ' ms')}</td><td>${r.total.reconnects}</td><td>${r.total.audioOnlySeconds} s</td><td>${n(r.total.rttMs.p50, ' ms')}</td></tr></table>
${failures.length ? `<p>Failed joins: ${failures.map(([c, k]) => `<code>${esc(c)}</code> ×${k}`).join(', ')}</p><ul>${failedBots.map((b) => `<li>${esc(b.botId)}: ${esc(b.error?.message ?? '')}</li>`).join('')}</ul>` : ''}
<h2>Per track</h2>
<table><tr><th>track</th><th>receiving</th><th>first packet p50</th><th>p95</th><th>bitrate per subscriber</th><th>min</th><th>loss</th><th>jitter p95</th></tr>
${trackRow('audio', r.tracks.audio)}${trackRow('video', r.tracks.video)}</table>
${layers.length ? `<p>Video layers received (seconds, all subscribers): ${layers.map(([k, s]) => `${esc(k)}: ${s}`).join(', ')}</p>` : ''}
<h2>Over time</h2>${charts}
<h2>Nodes</h2>
<table><tr><th>node</th><th>consumers max</th><th>process CPU mean</th><th>workers CPU mean</th><th>scrape errors</th></tr>
${r.nodes.map((x) => `<tr><td>${esc(x.url)}</td><td>${n(x.consumersMax)}</td><td>${n(x.processCpuPct.mean, '%')}</td><td>${n(x.workerCpuPct.mean, '%')}</td><td>${x.scrapeErrors}</td></tr>`).join('')}</table>
<p><small>All measures, per bot and per second: report.json next to this file.</small></p>
</body></html>
`;
}
