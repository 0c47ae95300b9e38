import { type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectBot, type Bot } from '../loadtest/bot/index.ts';
import { mintToken, type MintOptions } from '../common/tokens.ts';
import { sealBody, signClusterRequest } from '../sfu/cascade/cluster-auth.ts';
import { deleteKeys, request, spawnRole, type RoleProcess } from './helpers/cluster.ts';
import { connectClient, type TestClient } from './helpers/signaling-client.ts';
import { simulcastVideoRtpParameters } from './helpers/fake-media.ts';
import { TEST_CLUSTER_ENV, TEST_SECRET } from './helpers/stack.ts';

/**
 * One visit across regions, on this machine: `visitwire node` processes in
 * us-east, ap-northeast and eu-west and a router trusting 127.0.0.1, sharing
 * the real Redis under a key prefix of their own. Participants are werift
 * bots routed from addresses in the US, Japan and the UK; each lands on its
 * nearest node and the nodes pipe the visit to each other.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `visitwire-cascade-test-${randomBytes(6).toString('hex')}:`;
const IP = { uk: '81.2.69.142', us: '8.8.8.8', jp: '1.0.16.1' };
const REGIONS = [
  { id: 'eu-west', lat: 53.35, lon: -6.26, tags: ['eu'] },
  { id: 'us-east', lat: 38.95, lon: -77.45, tags: [] },
  { id: 'ap-northeast', lat: 35.68, lon: 139.69, tags: [] },
];
// Layers nobody wants stop at the publisher after 3 s here (10 s by default), to see it within the test.
const ENV = {
  ...TEST_CLUSTER_ENV, VISITWIRE_SECRET: TEST_SECRET, VISITWIRE_REDIS_PREFIX: PREFIX, VISITWIRE_WORKERS: '1', VISITWIRE_RTC_PORT: '0', VISITWIRE_UNUSED_LAYER_MS: '3000', LOG_LEVEL: 'warn',
};

const started: ChildProcess[] = [];
const bots: Bot[] = [];
let tmp: string;
let router: string;
let nodes: Record<'iad' | 'nrt' | 'dub', RoleProcess>;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'visitwire-cascade-'));
  const regionsFile = path.join(tmp, 'regions.json');
  await writeFile(regionsFile, JSON.stringify(REGIONS));
  const node = (id: string, region: string) => spawnRole(
    ['node', '--region', region, '--node-id', id, '--redis', REDIS_URL, '--host', '127.0.0.1', '--port', '0'],
    ENV, /visitwire node \S+ \(\S+\) is serving (\S+)[\s\S]*node-to-node API: (\S+)/, started);
  const [iad, nrt, dub, r] = await Promise.all([
    node('iad-1', 'us-east'), node('nrt-1', 'ap-northeast'), node('dub-1', 'eu-west'),
    spawnRole(['router', '--regions', regionsFile, '--redis', REDIS_URL, '--trust-proxy', '127.0.0.1/32', '--default-region', 'us-east', '--port', '0'],
      ENV, /visitwire router is listening on (\S+) /, started),
  ]);
  nodes = { iad: iad!, nrt: nrt!, dub: dub! };
  router = r!.ready[0]!;
});

afterAll(async () => {
  await Promise.all(bots.map((b) => b.leave().catch(() => undefined)));
  for (const proc of started) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  await deleteKeys(REDIS_URL, PREFIX);
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const token = (o: Partial<MintOptions> & { visit: string }) => mintToken(TEST_SECRET, { user: 'pt-1', role: 'patient', ...o });

/** Routes from `from` and joins as a bot on the node the router names. */
async function join(visit: string, user: string, role: 'provider' | 'nurse' | 'patient', from: string, rejoin = true): Promise<{ bot: Bot; nodeId: string }> {
  const t = await token({ visit, user, role });
  const res = await request(`${router}/v1/route?visit=${visit}`, { headers: { authorization: `Bearer ${t}`, 'x-forwarded-for': from } });
  expect(res.status).toBe(200);
  const bot = await connectBot({ url: res.body.signalingUrl, token: t, nodeId: res.body.nodeId, label: `${visit}/${user}`, rejoin });
  bots.push(bot);
  return { bot, nodeId: res.body.nodeId };
}

/** Packets `viewer` received of `publisher`'s audio and video so far (and whether a video key frame told its size). */
function received(viewer: Bot, publisher: Bot) {
  const subs = viewer.metrics().subscriptions.filter((s) => s.participantId === publisher.participantId && !s.closed);
  const of = (kind: 'audio' | 'video') => subs.filter((s) => s.kind === kind).reduce((n, s) => n + s.packets, 0);
  return { audio: of('audio'), video: of('video'), sized: subs.some((s) => s.kind === 'video' && (s.width ?? 0) > 0) };
}

async function expectReceiving(pairs: [Bot, Bot][], more = 50): Promise<void> {
  const before = pairs.map(([v, p]) => received(v, p));
  await vi.waitFor(() => {
    pairs.forEach(([viewer, publisher], i) => {
      const now = received(viewer, publisher);
      expect(now.audio, `${viewer.metrics().label} hears ${publisher.metrics().label}`).toBeGreaterThan(before[i]!.audio + more);
      expect(now.video, `${viewer.metrics().label} sees ${publisher.metrics().label}`).toBeGreaterThan(before[i]!.video + more);
      expect(now.sized).toBe(true);
    });
  }, { timeout: 30_000, interval: 250 });
}

async function visitsByNodes(): Promise<Record<string, number>> {
  const admin = await token({ visit: 'ops', user: 'admin-1', role: 'administrator' });
  return (await request(`${router}/v1/regions`, { headers: { authorization: `Bearer ${admin}` } })).body.visitsByNodes;
}

async function status(node: RoleProcess) {
  const admin = await token({ visit: 'ops', user: 'admin-1', role: 'administrator' });
  return (await request(`${node.ready[0]}/v1/admin/status`, { headers: { authorization: `Bearer ${admin}` } })).body;
}

describe('one visit across regions', () => {
  it('a provider in the US and a patient in Japan land on their nearest nodes, the patient is admitted across them, and both receive audio and video', async () => {
    const provider = await join('cross-two', 'dr-1', 'provider', IP.us);
    expect(provider.nodeId).toBe('iad-1');
    // connectBot resolves once admitted and publishing: the provider's bot on iad-1 admits the patient waiting on nrt-1.
    const patient = await join('cross-two', 'pt-1', 'patient', IP.jp);
    expect(patient.nodeId).toBe('nrt-1');
    expect(patient.bot.metrics().state).toBe('joined');
    await expectReceiving([[provider.bot, patient.bot], [patient.bot, provider.bot]]);
    // Every simulcast layer crosses the pipe and the viewer's node picks: more than the lowest (320x180) arrives.
    await vi.waitFor(() => {
      for (const [viewer, publisher] of [[provider.bot, patient.bot], [patient.bot, provider.bot]] as const) {
        const video = viewer.metrics().subscriptions.find((x) => x.participantId === publisher.participantId && x.kind === 'video');
        expect(video?.width, `${viewer.metrics().label} sees ${publisher.metrics().label} above the lowest layer`).toBeGreaterThanOrEqual(640);
      }
    }, { timeout: 30_000, interval: 250 });
    const [iad, nrt] = await Promise.all([status(nodes.iad), status(nodes.nrt)]);
    for (const s of [iad, nrt]) expect(s.media).toMatchObject({ orphans: 0, owned: { pipes: { transports: 2, producers: 2, consumers: 2 } } });
    await vi.waitFor(async () => expect(await visitsByNodes()).toEqual({ 2: 1 }), { timeout: 10_000, interval: 250 });
    await Promise.all([provider.bot.leave(), patient.bot.leave()]);
  });

  it('three participants on three nodes all receive each other; one leaves, the pipes of their tracks close and the others go on', async () => {
    const provider = await join('cross-three', 'dr-2', 'provider', IP.us);
    const nurse = await join('cross-three', 'rn-2', 'nurse', IP.uk);
    const patient = await join('cross-three', 'pt-2', 'patient', IP.jp);
    expect([provider.nodeId, nurse.nodeId, patient.nodeId]).toEqual(['iad-1', 'dub-1', 'nrt-1']);
    const all = [provider.bot, nurse.bot, patient.bot];
    await expectReceiving(all.flatMap((v) => all.filter((p) => p !== v).map((p) => [v, p] as [Bot, Bot])));
    for (const node of [nodes.iad, nodes.nrt, nodes.dub]) expect((await status(node)).media.owned.pipes).toMatchObject({ producers: 4, consumers: 4 });
    await vi.waitFor(async () => expect(await visitsByNodes()).toEqual({ 3: 1 }), { timeout: 10_000, interval: 250 });

    await nurse.bot.leave();
    await vi.waitFor(async () => {
      for (const node of [nodes.iad, nodes.nrt]) {
        expect((await status(node)).media).toMatchObject({ orphans: 0, settled: true, owned: { pipes: { transports: 2, producers: 2, consumers: 2 } } });
      }
      expect((await status(nodes.dub)).media).toMatchObject({ orphans: 0, workers: { routers: 0, transports: 0, producers: 0, consumers: 0 } });
    }, { timeout: 15_000, interval: 250 });
    await expectReceiving([[provider.bot, patient.bot], [patient.bot, provider.bot]]);
    await Promise.all([provider.bot.leave(), patient.bot.leave()]);
  });
});

describe('signals across nodes', () => {
  it('a nurse on one node sees the waiting room of another, admits from there, and gets joins, producers, network quality and leaves of the others', async () => {
    const nurse: TestClient = await connectClient(nodes.dub.ready[0]!, await token({ visit: 'cross-signals', user: 'rn-4', role: 'nurse' }));
    try {
      expect((await nurse.request('join', {})).data).toMatchObject({ admission: 'admitted' });
      const seen = (event: string, match: (data: any) => boolean = () => true) => vi.waitFor(() => {
        const hit = nurse.events.find((e) => e.event === event && match(e.data));
        expect(hit, `the nurse gets ${event}`).toBeDefined();
        return hit!.data;
      }, { timeout: 20_000, interval: 100 });

      const patientJoining = join('cross-signals', 'pt-4', 'patient', IP.jp);
      const room = await seen('waitingRoom', (d) => d.waiting.some((w: any) => w.userId === 'pt-4'));
      const waiting = room.waiting.find((w: any) => w.userId === 'pt-4');
      expect(await nurse.request('admit', { participantId: waiting.participantId })).toEqual({ data: {} });
      const patient = await patientJoining;
      expect(patient.nodeId).toBe('nrt-1');
      await seen('participantJoined', (d) => d.participantId === patient.bot.participantId);
      const provider = await join('cross-signals', 'dr-4', 'provider', IP.us);
      await seen('participantJoined', (d) => d.participantId === provider.bot.participantId);
      for (const p of [patient, provider]) {
        for (const kind of ['audio', 'video']) await seen('newProducer', (d) => d.participantId === p.bot.participantId && d.kind === kind);
        await seen('networkQuality', (d) => d.participantId === p.bot.participantId);
      }
      await expectReceiving([[provider.bot, patient.bot], [patient.bot, provider.bot]]);

      await patient.bot.leave();
      await seen('producerClosed', (d) => d.participantId === patient.bot.participantId);
      expect(await seen('participantLeft', (d) => d.participantId === patient.bot.participantId)).toEqual({ participantId: patient.bot.participantId, reason: 'left' });
      await provider.bot.leave();
      await seen('participantLeft', (d) => d.participantId === provider.bot.participantId);
    } finally {
      nurse.close();
    }
  });
});

describe('pause and resume across nodes', () => {
  it('a nurse on one node mutes and unmutes her camera; a provider on another is told, with the reason', async () => {
    const provider = await connectClient(nodes.iad.ready[0]!, await token({ visit: 'cross-mute', user: 'dr-5', role: 'provider' }));
    const nurse = await connectClient(nodes.dub.ready[0]!, await token({ visit: 'cross-mute', user: 'rn-5', role: 'nurse' }));
    try {
      expect((await provider.request('join', {})).data).toMatchObject({ admission: 'admitted' });
      expect((await nurse.request('join', {})).data).toMatchObject({ admission: 'admitted' });
      const seen = (event: string, match: (data: any) => boolean) => vi.waitFor(() => {
        const hit = provider.events.find((e) => e.event === event && match(e.data));
        expect(hit, `the provider gets ${event}`).toBeDefined();
        return hit!.data;
      }, { timeout: 20_000, interval: 100 });
      // A publisher that never sends: the producer exists, is piped and paused, without a WebRTC peer.
      const { data: transport } = await nurse.request('createTransport', { direction: 'send' });
      const { data: produced } = await nurse.request('produce', { transportId: transport.id, kind: 'video', source: 'camera', rtpParameters: simulcastVideoRtpParameters(7000) });
      const producerId = produced.producerId as string;
      await seen('newProducer', (d) => d.producerId === producerId && d.kind === 'video');
      expect(await nurse.request('pauseProducer', { producerId })).toEqual({ data: {} });
      await seen('producerPaused', (d) => d.producerId === producerId);
      expect(await seen('videoPaused', (d) => d.producerId === producerId)).toMatchObject({ reason: 'muted' });
      expect(await nurse.request('resumeProducer', { producerId })).toEqual({ data: {} });
      await seen('producerResumed', (d) => d.producerId === producerId);
      expect(await seen('videoResumed', (d) => d.producerId === producerId)).toMatchObject({ reason: 'muted' });
    } finally {
      nurse.close();
      provider.close();
    }
  });
});

describe('unused layers across nodes', () => {
  /** Video packets `bot` sent per simulcast layer over the next two seconds. */
  async function sentPerLayer(bot: Bot): Promise<number[]> {
    const before = bot.metrics().sent.video.map((l) => l.packets);
    await new Promise((r) => setTimeout(r, 2000));
    return bot.metrics().sent.video.map((l, i) => l.packets - before[i]!);
  }
  const width = (viewer: Bot, publisher: Bot) => viewer.metrics().subscriptions.find((x) => x.participantId === publisher.participantId && x.kind === 'video' && !x.closed)?.width;

  it('a publisher whose only viewer is on another node stops the layers that viewer does not want, and sends them again when it does', async () => {
    const provider = await join('cross-trim', 'dr-6', 'provider', IP.us);
    const patient = await join('cross-trim', 'pt-6', 'patient', IP.jp);
    expect([provider.nodeId, patient.nodeId]).toEqual(['iad-1', 'nrt-1']);
    await patient.bot.setViewport({ width: 320, height: 180 }); // a small tile: the lowest layer (320x180) is enough
    await expectReceiving([[patient.bot, provider.bot]]);
    await vi.waitFor(async () => {
      const sent = await sentPerLayer(provider.bot);
      expect(sent[0], 'the provider sends its lowest layer').toBeGreaterThan(0);
      expect(sent.slice(1), 'the provider sends no higher layer').toEqual([0, 0]);
    }, { timeout: 30_000, interval: 0 });
    expect(width(patient.bot, provider.bot)).toBe(320);

    // A full tile: the layers come back as far as the patient's downlink estimate carries them (on this shared machine, at least 640x360).
    await patient.bot.setViewport({ width: 1280, height: 720 });
    await vi.waitFor(async () => expect((await sentPerLayer(provider.bot))[1], 'the provider sends above its lowest layer again').toBeGreaterThan(0), { timeout: 10_000, interval: 0 });
    await vi.waitFor(() => expect(width(patient.bot, provider.bot), 'the patient sees the provider above the lowest layer again').toBeGreaterThanOrEqual(640), { timeout: 30_000, interval: 250 });
    await Promise.all([provider.bot.leave(), patient.bot.leave()]);
  });
});

describe('the node-to-node API', () => {
  const pipeRequest = { visitId: 'cross-auth', ip: '127.0.0.1', port: 40000, srtpParameters: { cryptoSuite: 'AEAD_AES_256_GCM', keyBase64: 'a2V5' } };
  const post = async (authorization?: string, body = JSON.stringify(pipeRequest)) => {
    const res = await fetch(`${nodes.iad.ready[1]}/internal/v1/pipes`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) } });
    return { status: res.status, body: await res.json() };
  };

  it('refuses a pipe request without the cluster credential, with a wrong one, or with one for another request', async () => {
    const body = JSON.stringify(pipeRequest);
    const wrong = await signClusterRequest('not-the-cluster-secret-but-32-chars-long', 'intruder', 'POST', '/internal/v1/pipes', body);
    const other = await signClusterRequest(TEST_CLUSTER_ENV.VISITWIRE_CLUSTER_SECRET, 'nrt-1', 'POST', '/internal/v1/pipes', '{}');
    const visitToken = await token({ visit: 'cross-auth', user: 'dr-1', role: 'provider' });
    for (const authorization of [undefined, `Bearer ${wrong}`, `Bearer ${other}`, `Bearer ${visitToken}`]) {
      expect(await post(authorization)).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });
    }
  });

  it('answers a signed request for a visit the node does not hold with NOT_FOUND, and a bad or unsealed body with BAD_REQUEST', async () => {
    const sign = (body: string) => signClusterRequest(TEST_CLUSTER_ENV.VISITWIRE_CLUSTER_SECRET, 'nrt-1', 'POST', '/internal/v1/pipes', body);
    const seal = (json: object) => sealBody(TEST_CLUSTER_ENV.VISITWIRE_CLUSTER_SECRET, JSON.stringify(json));
    const body = await seal(pipeRequest);
    expect(await post(`Bearer ${await sign(body)}`, body)).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    const bad = await seal({ ...pipeRequest, port: 'x' });
    expect(await post(`Bearer ${await sign(bad)}`, bad)).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    // SRTP keys never travel in clear: a signed but unsealed body, or one sealed with another secret, is refused.
    const plain = JSON.stringify(pipeRequest);
    const foreign = await sealBody('not-the-cluster-secret-but-32-chars-long', plain);
    for (const b of [plain, foreign]) {
      expect(await post(`Bearer ${await sign(b)}`, b)).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST', message: 'body is not sealed with the cluster secret' } } });
    }
  });
});

describe('a node of the visit dies', () => {
  it('the other node drops its pipes to it within the heartbeat expiry and its participant goes on', async () => {
    const provider = await join('cross-dead', 'dr-3', 'provider', IP.us);
    const nurse = await join('cross-dead', 'rn-3', 'nurse', IP.uk, false);
    expect([provider.nodeId, nurse.nodeId]).toEqual(['iad-1', 'dub-1']);
    await expectReceiving([[provider.bot, nurse.bot], [nurse.bot, provider.bot]]);
    nodes.dub.proc.kill('SIGKILL');
    await vi.waitFor(async () => {
      expect((await status(nodes.iad)).media).toMatchObject({ orphans: 0, owned: { transports: 2, pipes: { transports: 0, producers: 0, consumers: 0 } } });
    }, { timeout: 20_000, interval: 500 });
    expect(provider.bot.metrics().state).toBe('joined');
    await provider.bot.leave();
  });
});
