import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, type AuditEntry } from '../common/audit.ts';
import type { MediaConfig } from '../common/config.ts';
import { logger } from '../common/logger.ts';
import type { Role } from '../common/roles.ts';
import type { VisitClaims } from '../common/tokens.ts';
import { DEFAULT_POLICY } from '../sfu/policy/config.ts';
import { WorkerPool } from '../sfu/worker-pool.ts';
import { audioRtpParameters, simulcastVideoRtpParameters } from '../test/helpers/fake-media.ts';
import { InProcessClient } from '../test/helpers/in-process-client.ts';
import { VisitService } from './visit-service.ts';

const media: MediaConfig = { workers: 1, listenIp: '127.0.0.1', rtcPort: 0, initialAvailableOutgoingBitrate: 1e6, requestTimeoutMs: 5000 };
const MAX_PARTICIPANTS = 10;
const auditFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'visitwire-audit-')), 'audit.jsonl');
let pool: WorkerPool;
let audit: AuditLog;
let visits: VisitService;
const ended: string[] = [];

const claims = (visit: string, sub: string, role: Role): VisitClaims => ({ visit, sub, role, exp: Math.floor(Date.now() / 1000) + 60 });
const client = (visit: string, sub: string, role: Role) => new InProcessClient(visits, claims(visit, sub, role));
const auditOf = (visitId: string): AuditEntry[] =>
  fs.readFileSync(auditFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditEntry).filter((e) => e.visitId === visitId);

beforeAll(async () => {
  pool = new WorkerPool(media);
  await pool.start();
  audit = new AuditLog(logger.child({}, { level: 'silent' }), auditFile);
  visits = new VisitService({
    pool, media, maxParticipantsPerVisit: MAX_PARTICIPANTS, policy: DEFAULT_POLICY, audit, logger, nodeId: 'test', resumeGraceMs: 0,
    onVisitEnded: (id) => ended.push(id),
  });
});
afterAll(async () => {
  visits.close();
  await pool.close();
  audit.close();
});

async function joinWithMedia(visitId: string, sub: string, role: Role, ssrc: number) {
  const c = client(visitId, sub, role);
  const reply = await c.request('join');
  const send = await c.request('createTransport', { direction: 'send' });
  const recv = await c.request('createTransport', { direction: 'recv' });
  await c.request('produce', { transportId: send.id, kind: 'audio', rtpParameters: audioRtpParameters(ssrc) });
  await c.request('produce', { transportId: send.id, kind: 'video', rtpParameters: simulcastVideoRtpParameters(ssrc + 10) });
  const caps = reply.routerRtpCapabilities as Record<string, unknown>;
  const consumers = [];
  for (const p of visits.mediaOf(visitId)!.producers().filter((p) => p.appData.participantId !== c.participantId)) {
    consumers.push(await c.request('consume', { transportId: recv.id, producerId: p.id, rtpCapabilities: caps }));
  }
  return { c, consumers, caps, recv };
}

async function expectNothingLeft(): Promise<void> {
  await waitFor(() => visits.visitCount === 0);
  const census = await visits.census();
  expect(census).toMatchObject({ orphans: 0, workers: { routers: 0, transports: 0, producers: 0, consumers: 0 } });
  expect((await pool.all[0].worker.dump()).routerIds).toHaveLength(0);
}

describe('visit lifecycle on a real mediasoup worker', () => {
  it('leaves no transports, producers or consumers behind after 100 join/leave cycles', async () => {
    const host = await joinWithMedia('visit-cycles', 'dr-1', 'provider', 1000);
    for (let i = 0; i < 100; i++) {
      const guest = await joinWithMedia('visit-cycles', 'nurse-1', 'nurse', 2000 + i * 20);
      expect(guest.consumers).toHaveLength(2);
      for (const p of host.c.of('newProducer').slice(-2)) {
        await host.c.request('consume', { transportId: host.recv.id, producerId: p.producerId as string, rtpCapabilities: host.caps });
      }
      if (i % 2) await guest.c.request('leave');
      else guest.c.disconnect();
    }
    const m = visits.mediaOf('visit-cycles')!;
    const dump = await m.router.dump();
    // Only the provider's two transports and two producers remain, consumed by nobody.
    expect(dump.transportIds).toHaveLength(2);
    expect(dump.mapProducerIdConsumerIds).toHaveLength(2);
    expect(dump.mapProducerIdConsumerIds.every((e) => e.values.length === 0)).toBe(true);
    expect(await visits.census()).toMatchObject({ orphans: 0, settled: true, owned: { transports: 2, producers: { audio: 1, video: 1 }, consumers: { audio: 0, video: 0 } } });
    // The provider was told of each guest's producers closing, its own consumers closing, and each departure.
    expect(host.c.of('participantLeft')).toHaveLength(100);
    expect(host.c.of('producerClosed')).toHaveLength(200);
    await waitFor(() => host.c.of('consumerClosed').length === 200);
    await host.c.request('leave');
    await expectNothingLeft();
    expect(ended).toContain('visit-cycles');
  });

  it('keeps a patient in the waiting room, without media, until a provider admits', async () => {
    const dr = client('visit-wait', 'dr-2', 'provider');
    await dr.request('join');
    const pt = client('visit-wait', 'pt-2', 'patient');
    const ptJoin = await pt.request('join');
    expect(ptJoin.admission).toBe('waiting');
    expect(ptJoin.producers).toEqual([]);
    expect(dr.of('waitingRoom').at(-1)).toEqual({ waiting: [ptJoin.self] });
    await expect(pt.request('createTransport', { direction: 'recv' })).rejects.toMatchObject({ code: 'NOT_ADMITTED' });
    await expect(pt.request('admit', { participantId: ptJoin.self.participantId })).rejects.toMatchObject({ code: 'FORBIDDEN' });

    await dr.request('admit', { participantId: ptJoin.self.participantId });
    expect(pt.of('admission').at(-1)).toMatchObject({ admission: 'admitted' });
    expect(dr.of('participantJoined').at(-1)).toMatchObject({ userId: 'pt-2' });
    const t = await pt.request('createTransport', { direction: 'recv' });
    expect(t.id).toMatch(/-/);

    // A patient admitted once comes straight back after a reconnect.
    pt.disconnect();
    const again = client('visit-wait', 'pt-2', 'patient');
    expect((await again.request('join')).admission).toBe('admitted');
    await again.request('leave');
    await dr.request('leave');
  });

  it('denies a waiting patient, whose connection may join again; refuses administrators and auditors', async () => {
    const dr = client('visit-deny', 'dr-3', 'provider');
    await dr.request('join');
    const pt = client('visit-deny', 'pt-3', 'patient');
    const ptJoin = await pt.request('join');
    await dr.request('deny', { participantId: ptJoin.self.participantId });
    expect(pt.of('admission').at(-1)).toMatchObject({ admission: 'denied' });
    expect(visits.participantCount).toBe(1);
    await expect(pt.request('createTransport', { direction: 'recv' })).rejects.toMatchObject({ code: 'NOT_JOINED' });
    // Denied, the connection holds no participant: it may knock again instead of getting ALREADY_JOINED.
    expect((await pt.request('join')).admission).toBe('waiting');
    await expect(client('visit-deny', 'adm-1', 'administrator').request('join')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(client('visit-deny', 'aud-1', 'auditor').request('join')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await pt.request('leave');
    await dr.request('leave');
    expect(auditOf('visit-deny').filter((e) => e.action === 'leave').map((e) => e.target)).toEqual(['denied', 'left', 'left']);
  });

  it('gives a transport new ICE parameters on restartIce, and refuses it for a transport of someone else', async () => {
    const a = await joinWithMedia('visit-ice', 'dr-9', 'provider', 9000);
    const b = client('visit-ice', 'n-9', 'nurse');
    await b.request('join');
    const before = [...visits.visit('visit-ice')!.participants.get(a.c.participantId!)!.media!.transports.values()][0]!;
    const ufrag = before.iceParameters.usernameFragment;
    const { iceParameters } = await a.c.request('restartIce', { transportId: before.id });
    expect((iceParameters as { usernameFragment: string }).usernameFragment).not.toBe(ufrag);
    await expect(b.request('restartIce', { transportId: before.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await b.request('leave');
    await a.c.request('leave');
  });

  it('seats exactly the cap when 20 join a visit capped at 10 at once', async () => {
    const joiners = Array.from({ length: 20 }, (_, i) => client('visit-cap', `u-${i}`, 'nurse'));
    const results = await Promise.allSettled(joiners.map((c) => c.request('join')));
    const seated = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(seated).toHaveLength(MAX_PARTICIPANTS);
    expect(refused.map((r) => r.reason.code)).toEqual(Array(20 - MAX_PARTICIPANTS).fill('LIMIT_EXCEEDED'));
    expect(visits.visit('visit-cap')!.participants.size).toBe(MAX_PARTICIPANTS);
    for (const c of joiners) c.disconnect();
    await waitFor(() => !visits.visit('visit-cap'));
  });

  it('seats one participant when the same user joins twice at once; the first is told it was replaced', async () => {
    const host = client('visit-same', 'dr-6', 'provider');
    await host.request('join');
    const [a, b] = [client('visit-same', 'pt-6', 'nurse'), client('visit-same', 'pt-6', 'nurse')];
    const [ra, rb] = await Promise.allSettled([a.request('join'), b.request('join')]);
    expect(ra.status).toBe('rejected');
    expect(rb.status).toBe('fulfilled');
    expect(a.of('removed')).toEqual([{ reason: 'replaced' }]);
    expect([...visits.visit('visit-same')!.participants.values()].filter((p) => p.userId === 'pt-6')).toHaveLength(1);
    // The replaced connection holds no participant any more: its requests are refused.
    await expect(a.request('createTransport', { direction: 'send' })).rejects.toMatchObject({ code: 'NOT_JOINED' });
    await b.request('leave');
    await host.request('leave');
    await expectNothingLeft();
  });

  it('closes a transport the worker answers with after its participant disconnected', async () => {
    const host = await joinWithMedia('visit-late', 'dr-7', 'provider', 7000);
    let created = 0;
    visits.mediaOf('visit-late')!.router.observer.on('newtransport', () => created++);
    for (let i = 0; i < 10; i++) {
      const guest = client('visit-late', `n-${i}`, 'nurse');
      await guest.request('join');
      const pending = guest.request('createTransport', { direction: 'send' });
      setImmediate(() => guest.disconnect()); // the request has reached the worker; its answer has not come back
      await expect(pending).rejects.toMatchObject({ code: 'NOT_JOINED' });
    }
    expect(created).toBe(10);
    const census = await visits.census();
    expect(census).toMatchObject({ orphans: 0, settled: true, workers: { transports: 2 } });
    await host.c.request('leave');
    await expectNothingLeft();
  });

  it('ends a visit whose media cannot be created (no live worker during a respawn), and tells the node', async () => {
    const respawning = new WorkerPool(media);
    await respawning.start();
    const died = new Promise((resolve) => respawning.once('workerDied', resolve));
    process.kill(respawning.all[0].worker.pid!, 'SIGKILL');
    await died;
    const service = new VisitService({ pool: respawning, media, maxParticipantsPerVisit: 4, policy: DEFAULT_POLICY, audit, logger, nodeId: 'test', resumeGraceMs: 0, onVisitEnded: (id) => ended.push(id) });
    const c = new InProcessClient(service, claims('visit-nomedia', 'dr-8', 'provider'));
    await expect(c.request('join')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(service.visitCount).toBe(0);
    expect(service.participantCount).toBe(0);
    expect(ended).toContain('visit-nomedia');
    // Closed while its worker respawns: the new worker is not kept.
    await respawning.close();
    await new Promise((r) => setTimeout(r, 1500));
    expect(respawning.size).toBe(0);
  });

  it('closes every participant once, each with a leave audit entry, when the worker dies; serves them again on the respawned worker', async () => {
    const a = await joinWithMedia('visit-crash', 'dr-4', 'provider', 5000);
    const b = await joinWithMedia('visit-crash', 'n-4', 'nurse', 5100);
    const pt = client('visit-crash', 'pt-4', 'patient');
    await pt.request('join'); // waiting room
    process.kill(pool.all[0].worker.pid!, 'SIGKILL');
    await waitFor(() => visits.visitCount === 0);
    for (const c of [a.c, b.c, pt]) expect(c.of('visitInterrupted')).toEqual([{ reason: 'media-worker-died' }]);
    const leaves = auditOf('visit-crash').filter((e) => e.action === 'leave');
    expect(leaves.map((e) => [e.userId, e.target]).sort()).toEqual([['dr-4', 'media-lost'], ['n-4', 'media-lost'], ['pt-4', 'media-lost']]);
    expect(ended.filter((id) => id === 'visit-crash')).toHaveLength(1);
    await waitFor(() => pool.size === 1);
    const again = await joinWithMedia('visit-crash', 'dr-4', 'provider', 6000);
    expect(visits.mediaOf('visit-crash')!.producers()).toHaveLength(2);
    await again.c.request('leave');
    await expectNothingLeft();
  });
});

describe('resuming after a dropped connection', () => {
  const GRACE_MS = 800;
  let resumable: VisitService;
  beforeAll(() => {
    resumable = new VisitService({ pool, media, maxParticipantsPerVisit: MAX_PARTICIPANTS, policy: DEFAULT_POLICY, audit, logger, nodeId: 'test', resumeGraceMs: GRACE_MS });
  });
  afterAll(() => resumable.close());
  const rclient = (visit: string, sub: string, role: Role) => new InProcessClient(resumable, claims(visit, sub, role));

  async function publisher(visit: string, sub: string, role: Role, ssrc: number) {
    const c = rclient(visit, sub, role);
    const reply = await c.request('join');
    const send = await c.request('createTransport', { direction: 'send' });
    const { producerId } = await c.request('produce', { transportId: send.id, kind: 'audio', rtpParameters: audioRtpParameters(ssrc) });
    return { c, reply, producerId };
  }

  it('keeps the media of a participant whose connection dropped, and hands it to a new connection with the events it missed', async () => {
    const host = await publisher('visit-resume', 'dr-r', 'provider', 8000);
    const guest = await publisher('visit-resume', 'n-r', 'nurse', 8100);
    const transports = (await resumable.census()).workers.transports;
    guest.c.disconnect();
    expect(host.c.of('participantReconnecting')).toEqual([{ participantId: guest.reply.self.participantId }]);
    await host.c.request('pauseProducer', { producerId: host.producerId }); // the guest misses this
    const back = rclient('visit-resume', 'n-r', 'nurse');
    const resumed = await back.request('resume', { credential: guest.reply.resume.credential });
    expect(resumed.self.participantId).toBe(guest.reply.self.participantId);
    expect(resumed.missed).toContainEqual({ event: 'producerPaused', data: { producerId: host.producerId, participantId: host.reply.self.participantId } });
    expect(resumed.resume.credential).not.toBe(guest.reply.resume.credential);
    expect(host.c.of('participantReconnected')).toEqual([{ participantId: guest.reply.self.participantId }]);
    expect(host.c.of('participantLeft')).toEqual([]);
    // Same media: nothing was closed or made again, and the send transport is still there.
    expect((await resumable.census()).workers.transports).toBe(transports);
    await expect(back.request('createTransport', { direction: 'send' })).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
    // The old connection no longer speaks for the participant.
    await expect(guest.c.request('pauseProducer', { producerId: guest.producerId })).rejects.toMatchObject({ code: 'NOT_JOINED' });
    await new Promise((r) => setTimeout(r, GRACE_MS + 200)); // the old grace timer must not fire
    expect(resumable.visit('visit-resume')!.participants.has(guest.reply.self.participantId)).toBe(true);
    await back.request('leave');
    await host.c.request('leave');
  });

  it('refuses a resume credential used twice, used with another visit\'s token, or used after the grace', async () => {
    const host = await publisher('visit-resume-2', 'dr-s', 'provider', 8200);
    const guest = await publisher('visit-resume-2', 'n-s', 'nurse', 8300);
    guest.c.disconnect();
    const first = await rclient('visit-resume-2', 'n-s', 'nurse').request('resume', { credential: guest.reply.resume.credential });
    await expect(rclient('visit-resume-2', 'n-s', 'nurse').request('resume', { credential: guest.reply.resume.credential }))
      .rejects.toMatchObject({ code: 'RESUME_FAILED' });
    await expect(rclient('visit-other', 'n-s', 'nurse').request('resume', { credential: first.resume.credential }))
      .rejects.toMatchObject({ code: 'RESUME_FAILED' });
    await expect(rclient('visit-resume-2', 'someone-else', 'nurse').request('resume', { credential: first.resume.credential }))
      .rejects.toMatchObject({ code: 'RESUME_FAILED' });

    const holder = resumable.visit('visit-resume-2')!.participants.get(guest.reply.self.participantId)!;
    resumable.connectionLost(holder, holder.link);
    await waitFor(() => host.c.of('participantLeft').length === 1, GRACE_MS * 5);
    expect(host.c.of('participantLeft')).toEqual([{ participantId: guest.reply.self.participantId, reason: 'disconnected' }]);
    await expect(rclient('visit-resume-2', 'n-s', 'nurse').request('resume', { credential: first.resume.credential }))
      .rejects.toMatchObject({ code: 'RESUME_FAILED' });
    expect(auditOf('visit-resume-2').filter((e) => e.action === 'leave').map((e) => [e.userId, e.target])).toEqual([['n-s', 'disconnected']]);
    await host.c.request('leave');
  });
});

async function waitFor(cond: () => boolean, ms = 10_000) {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
