import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, TEST_SECRET, type RunningStack } from './helpers/stack.ts';
import { connectClient, type TestClient } from './helpers/signaling-client.ts';
import { audioRtpParameters } from './helpers/fake-media.ts';
import { connectBot, type Bot } from '../loadtest/bot/index.ts';

let server: RunningStack;
let provider: TestClient;
let patient: TestClient;
const visit = 'visit-bad-input';
/** A visit beside the bad input, with real WebRTC media both ways (werift bots). */
let beside: Bot[] = [];
const received = () => beside.flatMap((b) => b.metrics().subscriptions).map((s) => `${s.kind}:${s.packets}`);
const packetsOf = (kind: 'audio' | 'video') => beside.map((b) => b.metrics().subscriptions.filter((s) => s.kind === kind).reduce((n, s) => n + s.packets, 0));

beforeAll(async () => {
  server = await startServer();
  const bot = async (user: string, role: 'provider' | 'patient') =>
    connectBot({ url: server.url, token: await server.token({ visit: 'visit-beside', user, role }) });
  beside = [await bot('dr-beside', 'provider'), await bot('pt-beside', 'patient')];
  for (let waited = 0; Math.min(...packetsOf('video'), ...packetsOf('audio')) === 0; waited += 100) {
    if (waited > 20_000) throw new Error(`no media in the visit beside: ${received().join(' ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  provider = await connectClient(server.url, await server.token({ visit, user: 'dr-1', role: 'provider' }));
  expect((await provider.request('join', {})).data.admission).toBe('admitted');
  patient = await connectClient(server.url, await server.token({ visit, user: 'pt-1', role: 'patient' }));
  expect((await patient.request('join', {})).data.admission).toBe('waiting');
});
afterAll(async () => {
  for (const b of beside) await b.leave();
  provider?.close();
  patient?.close();
  expect(await server.stop()).toBe(0);
});

/** Sends a socket.io EVENT packet written by hand (`args`: its JSON array) and resolves with its ack. */
async function rawRequest(client: TestClient, args: string): Promise<unknown> {
  const id = 900_000 + Math.floor(Math.random() * 90_000);
  const engine = client.socket.io.engine;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no ack')), 10_000);
    const onMessage = (data: unknown) => {
      if (typeof data !== 'string' || !data.startsWith(`3${id}[`)) return;
      engine.off('message', onMessage);
      clearTimeout(timer);
      resolve((JSON.parse(data.slice(`3${id}`.length)) as unknown[])[0]);
    };
    engine.on('message', onMessage);
    engine.send(`2${id}${args}`);
  });
}

const refusal = (url: string, token?: string) => connectClient(url, token).then(
  (c) => { c.close(); throw new Error('connection was accepted'); },
  (err: { data?: { code: string } }) => err.data?.code,
);

describe('connections without a valid token are refused with a reason', () => {
  it('no token', async () => expect(await refusal(server.url)).toBe('UNAUTHORIZED'));
  it('forged token', async () => {
    const forged = await new SignJWT({ visit, role: 'provider' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x')
      .setExpirationTime('1h').sign(new TextEncoder().encode('not-the-server-secret-at-all'));
    expect(await refusal(server.url, forged)).toBe('UNAUTHORIZED');
  });
  it('expired token', async () => {
    const expired = await new SignJWT({ visit, role: 'provider' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 5).sign(new TextEncoder().encode(TEST_SECRET));
    expect(await refusal(server.url, expired)).toBe('TOKEN_EXPIRED');
  });
});

describe('bad and unauthorized messages get an error code and change nothing', () => {
  let other: TestClient;
  beforeAll(async () => {
    other = await connectClient(server.url, await server.token({ visit, user: 'nurse-1', role: 'nurse' }));
  });
  afterAll(() => other.close());

  const uuid = randomUUID();
  it.each([
    ['a message before join', 'createTransport', { direction: 'send' }, 'NOT_JOINED'],
    ['an unknown message', 'hack', {}, 'BAD_REQUEST'],
  ])('%s', async (_n, name, payload, code) => {
    expect((await other.request(name, payload)).error?.code).toBe(code);
  });

  it('an auditor or administrator trying to join media', async () => {
    for (const role of ['auditor', 'administrator'] as const) {
      const c = await connectClient(server.url, await server.token({ visit, user: `${role}-1`, role }));
      expect((await c.request('join', {})).error?.code).toBe('FORBIDDEN');
      c.close();
    }
  });

  it('a patient trying to admit', async () => {
    const self = patient.events.length;
    expect((await patient.request('admit', { participantId: 'p-anyone' })).error?.code).toBe('FORBIDDEN');
    expect((await patient.request('createTransport', { direction: 'recv' })).error?.code).toBe('NOT_ADMITTED');
    expect((await patient.request('requestFullQuality', { participantId: 'p-anyone', enabled: true })).error?.code).toBe('FORBIDDEN');
    expect(patient.events.length).toBe(self);
  });

  it.each([
    ['wrong type', 'createTransport', { direction: 5 }, 'BAD_REQUEST'],
    ['unknown field', 'createTransport', { direction: 'send', extra: true }, 'BAD_REQUEST'],
    ['missing payload', 'connectTransport', undefined, 'BAD_REQUEST'],
    ['a string payload', 'produce', 'produce!', 'BAD_REQUEST'],
    ['a non-uuid id', 'resumeConsumer', { consumerId: '../../etc' }, 'BAD_REQUEST'],
    ['an unknown transport', 'connectTransport', { transportId: uuid, dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: 'AA' }] } }, 'NOT_FOUND'],
    ['an unknown consumer', 'resumeConsumer', { consumerId: uuid }, 'NOT_FOUND'],
    ['an unknown producer', 'pauseProducer', { producerId: uuid }, 'NOT_FOUND'],
    ['admitting nobody', 'admit', { participantId: 'p-nobody' }, 'NOT_FOUND'],
    ['an oversized payload', 'produce', { transportId: uuid, kind: 'audio', rtpParameters: { codecs: [{ mimeType: 'x'.repeat(200_000), payloadType: 1, clockRate: 1 }] } }, 'LIMIT_EXCEEDED'],
    ['join twice', 'join', {}, 'ALREADY_JOINED'],
    ['a viewport for an unknown consumer', 'reportViewport', { consumerId: uuid, width: 320, height: 180 }, 'NOT_FOUND'],
    ['a negative viewport', 'reportViewport', { consumerId: uuid, width: -1, height: 180 }, 'BAD_REQUEST'],
    ['a bogus quality limitation', 'reportSenderStats', { qualityLimitationReason: 'gremlins' }, 'BAD_REQUEST'],
    ['full quality of nobody', 'requestFullQuality', { participantId: 'p-nobody', enabled: true }, 'NOT_FOUND'],
  ])('%s', async (_n, name, payload, code) => {
    expect((await provider.request(name, payload)).error?.code).toBe(code);
  });

  it('a message nested 5,000 levels deep: BAD_REQUEST, and nothing at error level in the log', async () => {
    // Written by hand: socket.io-client's own encoder cannot serialise this without overflowing its stack.
    const nested = `${'{"a":'.repeat(5000)}"deep"${'}'.repeat(5000)}`;
    const logged = server.output().length;
    expect(await rawRequest(provider, `["reportSenderStats",${nested}]`)).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    expect(await rawRequest(provider, `["produce",{"transportId":"${uuid}","kind":"audio","rtpParameters":{"codecs":[${nested}]}}]`))
      .toMatchObject({ error: { code: 'BAD_REQUEST' } });
    expect(server.output().slice(logged)).not.toMatch(/"level":(50|60)/);
  });

  it('a message over 32 KB in UTF-8 though under 32 K characters: LIMIT_EXCEEDED', async () => {
    const payload = { qualityLimitationReason: 'é'.repeat(20_000) };
    expect((await provider.request('reportSenderStats', payload)).error?.code).toBe('LIMIT_EXCEEDED');
  });

  it('rtpParameters that pass the schema but that mediasoup rejects', async () => {
    const t = (await provider.request('createTransport', { direction: 'send' })).data;
    const bad = { ...audioRtpParameters(1), codecs: [{ mimeType: 'audio/nonsense', payloadType: 100, clockRate: 48000 }] };
    expect((await provider.request('produce', { transportId: t.id, kind: 'audio', rtpParameters: bad })).error?.code).toBe('BAD_REQUEST');
    expect((await provider.request('createTransport', { direction: 'send' })).error?.code).toBe('LIMIT_EXCEEDED');
    const ok = await provider.request('produce', { transportId: t.id, kind: 'audio', rtpParameters: audioRtpParameters(2) });
    expect(ok.data.producerId).toMatch(/-/);
  });

  it('leaves the connections and the visit as they were, and the visit beside keeps its media flowing', async () => {
    expect(provider.socket.connected && patient.socket.connected && other.socket.connected).toBe(true);
    const health = await (await fetch(`${server.url}/healthz`)).json();
    expect(health).toMatchObject({ status: 'ok', visits: 2, participants: 4 });
    const [audio, video] = [packetsOf('audio'), packetsOf('video')];
    await expect.poll(() => packetsOf('audio').every((n, i) => n > audio[i] + 50) && packetsOf('video').every((n, i) => n > video[i] + 20),
      { timeout: 15_000, message: `media beside: ${received().join(' ')}` }).toBe(true);
    // The patient still waits, and the provider still admits.
    const waiting = provider.events.filter((e) => e.event === 'waitingRoom').at(-1)?.data.waiting;
    expect(waiting).toHaveLength(1);
    expect((await provider.request('admit', { participantId: waiting[0].participantId })).error).toBeUndefined();
    await expect.poll(() => patient.events.find((e) => e.event === 'admission')?.data.admission).toBe('admitted');
    expect(patient.events.find((e) => e.event === 'admission')?.data.producers).toHaveLength(1);
  });
});
