import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, TEST_SECRET, type RunningStack } from './helpers/stack.ts';
import { connectClient, type TestClient } from './helpers/signaling-client.ts';
import { audioRtpParameters } from './helpers/fake-media.ts';

let server: RunningStack;
let provider: TestClient;
let patient: TestClient;
const visit = 'visit-bad-input';

beforeAll(async () => {
  server = await startServer();
  provider = await connectClient(server.url, await server.token({ visit, user: 'dr-1', role: 'provider' }));
  expect((await provider.request('join', {})).data.admission).toBe('admitted');
  patient = await connectClient(server.url, await server.token({ visit, user: 'pt-1', role: 'patient' }));
  expect((await patient.request('join', {})).data.admission).toBe('waiting');
});
afterAll(async () => {
  provider?.close();
  patient?.close();
  expect(await server.stop()).toBe(0);
});

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

  it('rtpParameters that pass the schema but that mediasoup rejects', async () => {
    const t = (await provider.request('createTransport', { direction: 'send' })).data;
    const bad = { ...audioRtpParameters(1), codecs: [{ mimeType: 'audio/nonsense', payloadType: 100, clockRate: 48000 }] };
    expect((await provider.request('produce', { transportId: t.id, kind: 'audio', rtpParameters: bad })).error?.code).toBe('BAD_REQUEST');
    expect((await provider.request('createTransport', { direction: 'send' })).error?.code).toBe('LIMIT_EXCEEDED');
    const ok = await provider.request('produce', { transportId: t.id, kind: 'audio', rtpParameters: audioRtpParameters(2) });
    expect(ok.data.producerId).toMatch(/-/);
  });

  it('leaves the connections and the visit as they were', async () => {
    expect(provider.socket.connected && patient.socket.connected && other.socket.connected).toBe(true);
    const health = await (await fetch(`${server.url}/healthz`)).json();
    expect(health).toMatchObject({ status: 'ok', visits: 1, participants: 2 });
    // The patient still waits, and the provider still admits.
    const waiting = provider.events.filter((e) => e.event === 'waitingRoom').at(-1)?.data.waiting;
    expect(waiting).toHaveLength(1);
    expect((await provider.request('admit', { participantId: waiting[0].participantId })).error).toBeUndefined();
    await expect.poll(() => patient.events.find((e) => e.event === 'admission')?.data.admission).toBe('admitted');
    expect(patient.events.find((e) => e.event === 'admission')?.data.producers).toHaveLength(1);
  });
});
