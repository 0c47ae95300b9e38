/**
 * Talks to a started image from the outside, as a client and as Prometheus would:
 * waits for /healthz, joins a visit and creates a WebRTC transport, scrapes /metrics
 * on the metrics address, then drains the node (it exits 0). Prints the figures as JSON.
 *   tsx scripts/image/smoke.ts <signaling URL> <metrics URL>   (VISITWIRE_SECRET: the image's secret)
 */
import { io } from 'socket.io-client';
import { mintToken } from '../../common/tokens.ts';
import { parsePrometheus } from '../../loadtest/node-metrics.ts';

const [url, metricsUrl] = process.argv.slice(2);
const secret = process.env.VISITWIRE_SECRET;
if (!url || !metricsUrl || !secret) throw new Error('usage: VISITWIRE_SECRET=... tsx scripts/image/smoke.ts <signaling URL> <metrics URL>');

function fail(code: string, message: string): never {
  console.error(`[image] ${code}: ${message}`);
  process.exit(1);
}

const started = performance.now();
let health: { status?: string; workers?: number } | undefined;
for (let i = 0; i < 240 && health?.status !== 'ok'; i++) {
  health = await fetch(`${url}/healthz`).then((r) => r.json(), () => undefined);
  if (health?.status !== 'ok') await new Promise((r) => setTimeout(r, 250));
}
if (health?.status !== 'ok') fail('E_IMAGE_HEALTH', `${url}/healthz did not answer ok within 60 s`);
const healthyAfterMs = Math.round(performance.now() - started);

const token = await mintToken(secret, { visit: 'image-smoke', user: 'dr-smoke', role: 'provider' });
const socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
const ask = (name: string, payload?: unknown) => socket.timeout(10_000).emitWithAck(name, payload ?? {});
const join = await ask('join');
if (join.error) fail('E_IMAGE_JOIN', JSON.stringify(join.error));
const transport = await ask('createTransport', { direction: 'send' });
if (transport.error || !transport.data?.iceCandidates?.length) fail('E_IMAGE_TRANSPORT', JSON.stringify(transport));

const scrapeStarted = performance.now();
const text = await (await fetch(`${metricsUrl}/metrics`)).text();
const scrapeMs = Math.round((performance.now() - scrapeStarted) * 10) / 10;
const m = parsePrometheus(text);
if (m.get('visitwire_transports') !== 1) fail('E_IMAGE_METRICS', `visitwire_transports is ${m.get('visitwire_transports')}, not 1`);
if ((await fetch(`${url}/metrics`)).status !== 404) fail('E_IMAGE_METRICS_PUBLIC', '/metrics answers on the public port');
await ask('leave'); // an explicit leave: a dropped connection would hold its seat for the resume grace (VISITWIRE_RESUME_GRACE_MS)
socket.close();

const admin = await mintToken(secret, { visit: 'ops', user: 'admin-smoke', role: 'administrator' });
const drain = await fetch(`${url}/v1/admin/drain`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
if (drain.status !== 202) fail('E_IMAGE_DRAIN', `drain answered ${drain.status}`);
console.log(JSON.stringify({
  healthyAtMs: Date.now() - (performance.now() - started - healthyAfterMs), workers: health.workers, candidate: transport.data.iceCandidates[0],
  scrapeMs, scrapeBytes: text.length, series: text.split('\n').filter((l) => l && !l.startsWith('#')).length,
}));
process.exit(0);
