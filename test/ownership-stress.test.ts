import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheus } from '../loadtest/node-metrics.ts';
import { audioRtpParameters, simulcastVideoRtpParameters } from './helpers/fake-media.ts';
import { connectClient, type TestClient } from './helpers/signaling-client.ts';
import { startServer, type RunningStack } from './helpers/stack.ts';

/**
 * 1,000 cycles of connect, join, createTransport (send and recv),
 * connectTransport, produce, consume and leave or disconnect, 10 at a time,
 * against `visitwire start`; a share of them drop the connection while a
 * request is with the server (the join of a new visit, createTransport,
 * connectTransport, produce, consume). Half the lanes share a visit with a
 * provider who stays throughout, so that its router stays alive and anything
 * leaked into it shows in the router dumps; the other half make a new visit
 * every cycle. Afterwards the node must hold nothing.
 */
const CYCLES = 1000;
const LANES = 10;
const HOST_VISIT = 'stress-host';
const STEPS = ['join', 'createTransport', 'connectTransport', 'produce', 'consume'] as const;
type Step = (typeof STEPS)[number];

let server: RunningStack;
let adminToken: string;
let host: TestClient;
let hostProducers: string[] = [];
let ssrc = 10_000;
const dropped = new Map<Step, number>(STEPS.map((s) => [s, 0]));

const fingerprint = Array.from({ length: 32 }, () => 'AB').join(':');
const dtlsParameters = { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: fingerprint }] };

beforeAll(async () => {
  // A short resume grace: dropped participants wait for a resume, then leave by the grace timer. The cap is the highest
  // allowed: at 300 ms of grace and 60 seats, a fast run (2.5 s for 1,000 cycles) filled the host's visit with dropped
  // participants still in their grace (1 run in 4, before any change of this session).
  // 1,000 connections from one address on purpose: above the default connection rate limit.
  server = await startServer({ VISITWIRE_WORKERS: '1', VISITWIRE_MAX_PARTICIPANTS: '100', VISITWIRE_RESUME_GRACE_MS: '50', VISITWIRE_LIMIT_CONNECTIONS_PER_MINUTE: '100000' });
  adminToken = await server.token({ visit: 'admin', user: 'admin-1', role: 'administrator' });
  host = await connectClient(server.url, await server.token({ visit: HOST_VISIT, user: 'dr-host', role: 'provider' }));
  expect((await host.request('join', {})).data.admission).toBe('admitted');
  const send = (await host.request('createTransport', { direction: 'send' })).data;
  await host.request('createTransport', { direction: 'recv' });
  for (const [kind, rtpParameters] of [['audio', audioRtpParameters(1)], ['video', simulcastVideoRtpParameters(11)]] as const) {
    hostProducers.push((await host.request('produce', { transportId: send.id, kind, rtpParameters })).data.producerId);
  }
});
afterAll(async () => {
  host?.close();
  if (server?.proc.exitCode === null) await server.stop();
});

async function status(): Promise<{ media: { owned: Record<string, unknown>; workers: Record<string, number>; orphans: number; settled: boolean } }> {
  const res = await fetch(`${server.url}/v1/admin/status`, { headers: { authorization: `Bearer ${adminToken}` } });
  expect(res.status).toBe(200);
  return res.json();
}

/** Sends `name` and drops the connection while the server works on it. */
async function dropDuring(c: TestClient, name: string, payload: unknown): Promise<void> {
  c.socket.emit(name, payload, () => undefined);
  await new Promise((r) => setTimeout(r, Math.random() * 3));
  c.close();
}

async function cycle(lane: number, n: number): Promise<void> {
  const visit = lane < LANES / 2 ? HOST_VISIT : `stress-${lane}-${n}`;
  // Only the host's visit has a producer to consume.
  const steps = visit === HOST_VISIT ? STEPS : STEPS.filter((s) => s !== 'consume');
  const drop: Step | undefined = Math.random() < 0.5 ? steps[Math.floor(Math.random() * steps.length)] : undefined;
  if (drop) dropped.set(drop, dropped.get(drop)! + 1);
  const c = await connectClient(server.url, await server.token({ visit, user: `u-${lane}-${n}`, role: 'nurse' }));
  const step = async (name: Step, payload: unknown) => {
    if (drop === name) {
      await dropDuring(c, name, payload);
      return undefined;
    }
    const ack = await c.request(name, payload);
    if (ack.error) throw new Error(`${name} in ${visit}: ${ack.error.code} ${ack.error.message}`);
    return ack.data;
  };
  try {
    const joined = await step('join', {});
    if (!joined) return;
    const send = await step('createTransport', { direction: 'send' });
    if (!send) return;
    const recv = (await c.request('createTransport', { direction: 'recv' })).data;
    if (!(await step('connectTransport', { transportId: send.id, dtlsParameters }))) return;
    ssrc += 20;
    if (!(await step('produce', { transportId: send.id, kind: 'audio', rtpParameters: audioRtpParameters(ssrc) }))) return;
    const producerId = visit === HOST_VISIT ? hostProducers[n % 2] : undefined;
    if (producerId && !(await step('consume', { transportId: recv.id, producerId, rtpCapabilities: joined.routerRtpCapabilities }))) return;
    if (Math.random() < 0.5) expect((await c.request('leave', {})).error).toBeUndefined();
  } finally {
    c.close();
  }
}

describe('one owner for each participant', () => {
  it(`ends every participant of ${CYCLES} join/leave cycles, ${LANES} at a time, some dropped mid-request; nothing is left`, async () => {
    const started = Date.now();
    let next = 0;
    await Promise.all(Array.from({ length: LANES }, async (_, lane) => {
      while (next < CYCLES) await cycle(lane, next++);
    }));
    console.log(`${CYCLES} cycles in ${Date.now() - started} ms; dropped during ${[...dropped].map(([s, n]) => `${s} ${n}`).join(', ')}`);

    // The host is alone again: its 2 transports and 2 producers, nobody's consumers, nothing unowned in the router.
    await expect.poll(async () => (await (await fetch(`${server.url}/healthz`)).json()).participants, { timeout: 10_000 }).toBe(1);
    await expect.poll(async () => (await status()).media, { timeout: 10_000 }).toMatchObject({
      orphans: 0, settled: true,
      owned: { routers: 1, transports: 2, producers: { audio: 1, video: 1 }, consumers: { audio: 0, video: 0 } },
      workers: { routers: 1, transports: 2, producers: 2, consumers: 0 },
    });

    host.close();
    await expect.poll(async () => (await (await fetch(`${server.url}/healthz`)).json()), { timeout: 10_000 }).toMatchObject({ visits: 0, participants: 0 });
    const metrics = parsePrometheus(await (await fetch(`${server.metricsUrl}/metrics`)).text());
    for (const name of ['visitwire_visits', 'visitwire_participants', 'visitwire_transports', 'visitwire_producers', 'visitwire_consumers', 'visitwire_orphans']) {
      expect([name, metrics.get(name)]).toEqual([name, 0]);
    }
    expect((await status()).media).toMatchObject({ orphans: 0, workers: { routers: 0, transports: 0, producers: 0, consumers: 0 } });

    // A drain started now finishes at once: `visitwire start` exits 0 when drained.
    const drain = await fetch(`${server.url}/v1/admin/drain`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}` } });
    expect(drain.status).toBe(202);
    const exit = await Promise.race([
      new Promise<number | null>((resolve) => server.proc.once('exit', resolve)),
      new Promise<string>((resolve) => setTimeout(() => resolve('still running 10 s after the drain'), 10_000)),
    ]);
    expect(exit).toBe(0);
  }, 180_000);
});
