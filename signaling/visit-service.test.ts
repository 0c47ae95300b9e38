import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../common/audit.ts';
import type { MediaConfig } from '../common/config.ts';
import { logger } from '../common/logger.ts';
import type { Role, VisitClaims } from '../common/tokens.ts';
import { DEFAULT_POLICY } from '../sfu/policy/config.ts';
import { WorkerPool } from '../sfu/worker-pool.ts';
import { audioRtpParameters, simulcastVideoRtpParameters } from '../test/helpers/fake-media.ts';
import type { ServerEventName } from './protocol.ts';
import { VisitService, type ParticipantLink } from './visit-service.ts';

const media: MediaConfig = { workers: 1, listenIp: '127.0.0.1', rtcPort: 0, initialAvailableOutgoingBitrate: 1e6, requestTimeoutMs: 5000 };
let pool: WorkerPool;
let visits: VisitService;

class Inbox implements ParticipantLink {
  address = '127.0.0.1';
  events: { event: ServerEventName; data: unknown }[] = [];
  notify(event: ServerEventName, data: unknown) { this.events.push({ event, data }); }
  of(event: ServerEventName) { return this.events.filter((e) => e.event === event).map((e) => e.data as Record<string, unknown>); }
}

const claims = (visit: string, sub: string, role: Role): VisitClaims => ({ visit, sub, role, exp: Math.floor(Date.now() / 1000) + 60 });

beforeAll(async () => {
  pool = new WorkerPool(media);
  await pool.start();
  visits = new VisitService({ pool, media, maxParticipantsPerVisit: 4, policy: DEFAULT_POLICY, audit: new AuditLog(logger.child({}, { level: 'silent' })), logger, nodeId: 'test' });
});
afterAll(async () => {
  visits.close();
  await pool.close();
});

async function joinWithMedia(visitId: string, sub: string, role: Role, ssrc: number) {
  const c = claims(visitId, sub, role);
  const inbox = new Inbox();
  const { participant, reply } = await visits.join(c, inbox);
  const id = participant.participantId;
  const send = await visits.handle(visitId, id, c, 'createTransport', { direction: 'send' });
  const recv = await visits.handle(visitId, id, c, 'createTransport', { direction: 'recv' });
  await visits.handle(visitId, id, c, 'produce', { transportId: send.id, kind: 'audio', rtpParameters: audioRtpParameters(ssrc) });
  await visits.handle(visitId, id, c, 'produce', { transportId: send.id, kind: 'video', rtpParameters: simulcastVideoRtpParameters(ssrc + 10) });
  const caps = reply.routerRtpCapabilities as never;
  const consumers = [];
  const m = await visits.mediaOf(visitId);
  for (const p of m!.producers().filter((p) => p.appData.participantId !== id)) {
    consumers.push(await visits.handle(visitId, id, c, 'consume', { transportId: recv.id, producerId: p.id, rtpCapabilities: caps }));
  }
  return { id, c, inbox, consumers, caps, recv };
}

describe('visit lifecycle on a real mediasoup worker', () => {
  it('leaves no transports, producers or consumers behind after 100 join/leave cycles', async () => {
    const host = await joinWithMedia('visit-cycles', 'dr-1', 'provider', 1000);
    for (let i = 0; i < 100; i++) {
      const guest = await joinWithMedia('visit-cycles', 'nurse-1', 'nurse', 2000 + i * 20);
      expect(guest.consumers).toHaveLength(2);
      for (const p of host.inbox.of('newProducer').slice(-2)) {
        await visits.handle('visit-cycles', host.id, host.c, 'consume', { transportId: host.recv.id, producerId: p.producerId as string, rtpCapabilities: host.caps });
      }
      visits.leave('visit-cycles', guest.id, i % 2 ? 'left' : 'disconnected');
    }
    const media = await visits.mediaOf('visit-cycles');
    const dump = await media!.router.dump();
    // Only the provider's two transports and two producers remain, consumed by nobody.
    expect(dump.transportIds).toHaveLength(2);
    expect(dump.mapProducerIdConsumerIds).toHaveLength(2);
    expect(dump.mapProducerIdConsumerIds.every((e) => e.values.length === 0)).toBe(true);
    // The provider was told of each guest's producers closing, its own consumers closing, and each departure.
    expect(host.inbox.of('participantLeft')).toHaveLength(100);
    expect(host.inbox.of('producerClosed')).toHaveLength(200);
    await waitFor(() => host.inbox.of('consumerClosed').length === 200);
    visits.leave('visit-cycles', host.id, 'left');
    await waitFor(() => media!.router.closed);
    const workerDump = await pool.all[0].worker.dump();
    expect(workerDump.routerIds).toHaveLength(0);
  });

  it('keeps a patient in the waiting room, without media, until a provider admits', async () => {
    const dr = claims('visit-wait', 'dr-2', 'provider');
    const drInbox = new Inbox();
    const drJoin = await visits.join(dr, drInbox);
    const pt = claims('visit-wait', 'pt-2', 'patient');
    const ptInbox = new Inbox();
    const ptJoin = await visits.join(pt, ptInbox);
    expect(ptJoin.reply.admission).toBe('waiting');
    expect(ptJoin.reply.producers).toEqual([]);
    expect(drInbox.of('waitingRoom').at(-1)).toEqual({ waiting: [ptJoin.reply.self] });
    await expect(visits.handle('visit-wait', ptJoin.participant.participantId, pt, 'createTransport', { direction: 'recv' }))
      .rejects.toMatchObject({ code: 'NOT_ADMITTED' });
    await expect(visits.handle('visit-wait', ptJoin.participant.participantId, pt, 'admit', { participantId: ptJoin.participant.participantId }))
      .rejects.toMatchObject({ code: 'FORBIDDEN' });

    await visits.handle('visit-wait', drJoin.participant.participantId, dr, 'admit', { participantId: ptJoin.participant.participantId });
    await new Promise((r) => setTimeout(r, 10));
    expect(ptInbox.of('admission').at(-1)).toMatchObject({ admission: 'admitted' });
    expect(drInbox.of('participantJoined').at(-1)).toMatchObject({ userId: 'pt-2' });
    const t = await visits.handle('visit-wait', ptJoin.participant.participantId, pt, 'createTransport', { direction: 'recv' });
    expect(t.id).toMatch(/-/);

    // A patient admitted once comes straight back after a reconnect.
    visits.leave('visit-wait', ptJoin.participant.participantId, 'disconnected');
    const again = await visits.join(pt, new Inbox());
    expect(again.reply.admission).toBe('admitted');
    visits.leave('visit-wait', again.participant.participantId, 'left');
    visits.leave('visit-wait', drJoin.participant.participantId, 'left');
  });

  it('denies a waiting patient, and refuses administrators and auditors', async () => {
    const dr = claims('visit-deny', 'dr-3', 'provider');
    const drJoin = await visits.join(dr, new Inbox());
    const ptInbox = new Inbox();
    const ptJoin = await visits.join(claims('visit-deny', 'pt-3', 'patient'), ptInbox);
    await visits.handle('visit-deny', drJoin.participant.participantId, dr, 'deny', { participantId: ptJoin.participant.participantId });
    expect(ptInbox.of('admission').at(-1)).toMatchObject({ admission: 'denied' });
    expect(visits.participantCount).toBe(1);
    await expect(visits.join(claims('visit-deny', 'adm-1', 'administrator'), new Inbox())).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(visits.join(claims('visit-deny', 'aud-1', 'auditor'), new Inbox())).rejects.toMatchObject({ code: 'FORBIDDEN' });
    visits.leave('visit-deny', drJoin.participant.participantId, 'left');
  });

  it('tells participants to rejoin when their worker dies, and serves them on the respawned worker', async () => {
    const a = await joinWithMedia('visit-crash', 'dr-4', 'provider', 5000);
    process.kill(pool.all[0].worker.pid, 'SIGKILL');
    await waitFor(() => a.inbox.of('visitInterrupted').length === 1);
    expect(visits.visitCount).toBe(0);
    await waitFor(() => pool.size === 1);
    const again = await joinWithMedia('visit-crash', 'dr-4', 'provider', 6000);
    expect((await visits.mediaOf('visit-crash'))!.producers()).toHaveLength(2);
    visits.leave('visit-crash', again.id, 'left');
  });
});

async function waitFor(cond: () => boolean, ms = 10_000) {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
