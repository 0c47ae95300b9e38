import { randomUUID } from 'node:crypto';
import type { types } from 'mediasoup';
import type { AuditAction, AuditLog } from '../common/audit.ts';
import type { MediaConfig } from '../common/config.ts';
import { ErrorCode, VisitwireError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import type { VisitClaims } from '../common/tokens.ts';
import { VisitAdaptation } from '../sfu/adaptation.ts';
import type { PolicyConfig } from '../sfu/policy/config.ts';
import { VisitMedia } from '../sfu/visit-media.ts';
import type { WorkerPool, WorkerSlot } from '../sfu/worker-pool.ts';
import type {
  Admission, ClientMessage, ClientMessageName, ClientReplies, ParticipantInfo, ProducerInfo, ServerEventName, ServerEvents,
} from './protocol.ts';

/** How a participant is reached: the socket, seen as a typed event sink. */
export interface ParticipantLink {
  notify<E extends ServerEventName>(event: E, data: ServerEvents[E]): void;
  address: string;
}

export interface Participant extends ParticipantInfo {
  admission: Admission;
  link: ParticipantLink;
}

interface Visit {
  visitId: string;
  participants: Map<string, Participant>;
  media?: Promise<VisitMedia>;
  adaptation?: VisitAdaptation;
}

export interface VisitServiceOptions {
  pool: WorkerPool;
  media: MediaConfig;
  maxParticipantsPerVisit: number;
  audit: AuditLog;
  logger: Logger;
  nodeId: string;
  /** Layer policy and audio-only fallback settings. */
  policy: PolicyConfig;
  /** While true, joins of visits this node does not hold are refused (UNAVAILABLE). */
  isDraining?: () => boolean;
  /** The visit's last participant left, or its media was lost: the node no longer holds it. */
  onVisitEnded?: (visitId: string) => void;
}

const STAFF = new Set(['provider', 'nurse']);
const MEDIA_ROLES = new Set(['provider', 'nurse', 'patient']);
/** A patient admitted once is let straight back in on rejoin (reconnect, node or worker failover) for this long. */
const READMIT_MS = 4 * 3600_000;

/** Visit lifecycle on one node: waiting room, admission, join, media, leave. */
export class VisitService {
  private readonly visits = new Map<string, Visit>();
  private readonly admitted = new Map<string, number>();

  constructor(private readonly o: VisitServiceOptions) {
    o.pool.on('workerDied', (slot) => this.onWorkerDied(slot));
  }

  get visitCount(): number {
    return this.visits.size;
  }

  get participantCount(): number {
    let n = 0;
    for (const v of this.visits.values()) n += v.participants.size;
    return n;
  }

  async consumerCount(): Promise<number> {
    let n = 0;
    for (const v of this.visits.values()) if (v.media) n += (await v.media.catch(() => undefined))?.consumers().length ?? 0;
    return n;
  }

  /** The visit's media, for policy and tests; undefined when the visit has none on this node. */
  async mediaOf(visitId: string): Promise<VisitMedia | undefined> {
    return this.visits.get(visitId)?.media;
  }

  async join(claims: VisitClaims, link: ParticipantLink): Promise<{ participant: Participant; reply: ClientReplies['join'] }> {
    if (!MEDIA_ROLES.has(claims.role)) {
      this.audit('denied-request', claims, link, 'join');
      throw new VisitwireError(ErrorCode.FORBIDDEN, `role ${claims.role} cannot join a visit's media`);
    }
    if (this.o.isDraining?.() && !this.visits.has(claims.visit)) throw new VisitwireError(ErrorCode.UNAVAILABLE, 'node is draining');
    const visit = this.visit(claims.visit);
    for (const old of visit.participants.values()) if (old.userId === claims.sub) this.leave(claims.visit, old.participantId, 'left');
    if (visit.participants.size >= this.o.maxParticipantsPerVisit) {
      throw new VisitwireError(ErrorCode.LIMIT_EXCEEDED, `visit is full (${this.o.maxParticipantsPerVisit} participants)`);
    }
    const media = await this.ensureMedia(visit);
    const waits = claims.role === 'patient' && !this.wasAdmitted(claims.visit, claims.sub);
    const participant: Participant = {
      participantId: `p-${randomUUID()}`, userId: claims.sub, role: claims.role, admission: waits ? 'waiting' : 'admitted', link,
    };
    visit.participants.set(participant.participantId, participant);
    this.audit('join', claims, link, waits ? 'waiting' : 'admitted');
    if (waits) this.notifyWaitingRoom(visit);
    else this.announceAdmitted(visit, participant);
    const staff = STAFF.has(participant.role);
    return {
      participant,
      reply: {
        self: info(participant),
        admission: participant.admission,
        routerRtpCapabilities: media.rtpCapabilities,
        participants: waits ? [] : this.others(visit, participant).map(info),
        producers: waits ? [] : this.producersFor(media, participant),
        waiting: staff ? this.waiting(visit).map(info) : [],
      },
    };
  }

  async handle<N extends Exclude<ClientMessageName, 'join' | 'leave'>>(
    visitId: string, participantId: string, claims: VisitClaims, name: N, msg: ClientMessage<N>,
  ): Promise<ClientReplies[N]> {
    const visit = this.visits.get(visitId);
    const self = visit?.participants.get(participantId);
    if (!visit || !self) throw new VisitwireError(ErrorCode.NOT_JOINED, 'join the visit first');
    if (name === 'requestFullQuality') {
      const r = msg as ClientMessage<'requestFullQuality'>;
      if (self.role !== 'provider') {
        this.audit('denied-request', claims, self.link, `requestFullQuality:${r.participantId}`);
        throw new VisitwireError(ErrorCode.FORBIDDEN, 'only a provider may ask for full quality');
      }
      if (!visit.participants.has(r.participantId)) throw new VisitwireError(ErrorCode.NOT_FOUND, 'no such participant');
      await this.ensureMedia(visit);
      visit.adaptation?.setFullQuality(participantId, r.participantId, r.enabled);
      return {} as ClientReplies[N];
    }
    if (name === 'admit' || name === 'deny') {
      return this.decideAdmission(visit, self, claims, name, (msg as ClientMessage<'admit'>).participantId) as ClientReplies[N];
    }
    if (self.admission !== 'admitted') throw new VisitwireError(ErrorCode.NOT_ADMITTED, 'waiting to be admitted');
    const media = await this.ensureMedia(visit);
    const m = msg as Record<string, unknown>;
    switch (name) {
      case 'createTransport':
        return (await media.createTransport(participantId, m.direction as 'send' | 'recv')) as ClientReplies[N];
      case 'connectTransport':
        await media.connectTransport(participantId, m.transportId as string, m.dtlsParameters as types.DtlsParameters);
        return {} as ClientReplies[N];
      case 'produce': {
        const p = msg as ClientMessage<'produce'>;
        const producer = await media.produce(participantId, { ...p, rtpParameters: p.rtpParameters as types.RtpParameters });
        const event: ProducerInfo = { producerId: producer.id, participantId, kind: producer.kind, source: p.source, paused: producer.paused };
        for (const other of this.others(visit, self)) if (other.admission === 'admitted') other.link.notify('newProducer', event);
        return { producerId: producer.id } as ClientReplies[N];
      }
      case 'consume': {
        const c = msg as ClientMessage<'consume'>;
        return (await media.consume(participantId, { ...c, rtpCapabilities: c.rtpCapabilities as types.RtpCapabilities })) as ClientReplies[N];
      }
      case 'resumeConsumer':
        await media.resumeConsumer(participantId, m.consumerId as string);
        return {} as ClientReplies[N];
      case 'pauseProducer':
      case 'resumeProducer': {
        const paused = name === 'pauseProducer';
        const producer = await media.setProducerPaused(participantId, m.producerId as string, paused);
        const event = { producerId: producer.id, participantId };
        for (const other of this.others(visit, self)) other.link.notify(paused ? 'producerPaused' : 'producerResumed', event);
        if (producer.kind === 'video') {
          for (const p of visit.participants.values()) if (p.admission === 'admitted') p.link.notify(paused ? 'videoPaused' : 'videoResumed', { ...event, reason: 'muted' });
        }
        return {} as ClientReplies[N];
      }
      case 'reportViewport': {
        const r = msg as ClientMessage<'reportViewport'>;
        if (!media.consumersOf(participantId).some((c) => c.id === r.consumerId)) throw new VisitwireError(ErrorCode.NOT_FOUND, 'unknown consumer');
        visit.adaptation?.setViewport(r.consumerId, { width: r.width, height: r.height });
        return {} as ClientReplies[N];
      }
      case 'reportSenderStats':
        visit.adaptation?.setSenderStats(participantId, msg as ClientMessage<'reportSenderStats'>);
        return {} as ClientReplies[N];
    }
    throw new VisitwireError(ErrorCode.BAD_REQUEST, `unknown message ${name}`);
  }

  /** Removes a participant and all they hold; tells the others. */
  leave(visitId: string, participantId: string, reason: 'left' | 'disconnected' | 'denied'): void {
    const visit = this.visits.get(visitId);
    const p = visit?.participants.get(participantId);
    if (!visit || !p) return;
    visit.participants.delete(participantId);
    visit.adaptation?.forget(participantId);
    if (reason !== 'denied') this.o.audit.record({ action: 'leave', userId: p.userId, role: p.role, visitId, address: p.link.address, node: this.o.nodeId, target: reason });
    void visit.media?.then((media) => {
      if (p.admission === 'admitted') {
        for (const producer of media.producers()) {
          if (producer.appData.participantId !== participantId) continue;
          for (const other of visit.participants.values()) if (other.admission === 'admitted') other.link.notify('producerClosed', { producerId: producer.id, participantId });
        }
      }
      media.closeParticipant(participantId);
    }, () => undefined);
    if (p.admission === 'admitted') for (const other of visit.participants.values()) other.link.notify('participantLeft', { participantId, reason });
    else this.notifyWaitingRoom(visit);
    if (visit.participants.size === 0) {
      this.visits.delete(visitId);
      void visit.media?.then((media) => media.close(), () => undefined);
      this.o.onVisitEnded?.(visitId);
    }
  }

  close(): void {
    for (const visit of this.visits.values()) void visit.media?.then((m) => m.close(), () => undefined);
    this.visits.clear();
  }

  private decideAdmission(visit: Visit, self: Participant, claims: VisitClaims, name: 'admit' | 'deny', targetId: string): ClientReplies['admit'] {
    if (!STAFF.has(self.role)) {
      this.audit('denied-request', claims, self.link, `${name}:${targetId}`);
      throw new VisitwireError(ErrorCode.FORBIDDEN, `only a provider or nurse may ${name}`);
    }
    const target = visit.participants.get(targetId);
    if (!target || target.admission !== 'waiting') throw new VisitwireError(ErrorCode.NOT_FOUND, 'no such participant in the waiting room');
    if (name === 'deny') {
      target.link.notify('admission', { admission: 'denied', participants: [], producers: [] });
      this.leave(visit.visitId, targetId, 'denied');
      this.audit('deny', claims, self.link, target.userId);
      return {};
    }
    target.admission = 'admitted';
    this.admitted.set(`${visit.visitId}\n${target.userId}`, Date.now() + READMIT_MS);
    this.audit('admit', claims, self.link, target.userId);
    void visit.media?.then((media) => {
      target.link.notify('admission', { admission: 'admitted', participants: this.others(visit, target).map(info), producers: this.producersFor(media, target) });
    });
    this.announceAdmitted(visit, target);
    this.notifyWaitingRoom(visit);
    return {};
  }

  private visit(visitId: string): Visit {
    let visit = this.visits.get(visitId);
    if (!visit) {
      visit = { visitId, participants: new Map() };
      this.visits.set(visitId, visit);
    }
    return visit;
  }

  private ensureMedia(visit: Visit): Promise<VisitMedia> {
    if (!visit.media) {
      visit.media = VisitMedia.create(this.o.pool, this.o.media, visit.visitId);
      visit.media.then((media) => {
        media.on('consumerClosed', (pid, consumerId, producerId) => {
          visit.participants.get(pid)?.link.notify('consumerClosed', { consumerId, producerId });
        });
        const adaptation = new VisitAdaptation(media, {
          notify: (pid, event, data) => visit.participants.get(pid)?.link.notify(event, data),
          roleOf: (pid) => visit.participants.get(pid)?.role,
        }, this.o.policy, this.o.logger.child({ visitId: visit.visitId }));
        visit.adaptation = adaptation;
        media.router.observer.once('close', () => adaptation.close());
      }, () => { visit.media = undefined; });
    }
    return visit.media;
  }

  private onWorkerDied(slot: WorkerSlot): void {
    for (const visit of [...this.visits.values()]) {
      void visit.media?.then((media) => {
        if (media.slot !== slot) return;
        this.o.logger.warn({ visitId: visit.visitId, worker: slot.index }, 'visit media lost with its worker; participants told to rejoin');
        for (const p of visit.participants.values()) p.link.notify('visitInterrupted', { reason: 'media-worker-died' });
        visit.participants.clear();
        media.close();
        if (this.visits.get(visit.visitId) === visit) {
          this.visits.delete(visit.visitId);
          this.o.onVisitEnded?.(visit.visitId);
        }
      }, () => undefined);
    }
  }

  private wasAdmitted(visitId: string, userId: string): boolean {
    const until = this.admitted.get(`${visitId}\n${userId}`);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.admitted.delete(`${visitId}\n${userId}`);
    return false;
  }

  private announceAdmitted(visit: Visit, p: Participant): void {
    for (const other of this.others(visit, p)) if (other.admission === 'admitted') other.link.notify('participantJoined', info(p));
  }

  private notifyWaitingRoom(visit: Visit): void {
    const waiting = this.waiting(visit).map(info);
    for (const p of visit.participants.values()) if (STAFF.has(p.role) && p.admission === 'admitted') p.link.notify('waitingRoom', { waiting });
  }

  private others(visit: Visit, self: Participant): Participant[] {
    return [...visit.participants.values()].filter((p) => p !== self && p.admission === 'admitted');
  }

  private waiting(visit: Visit): Participant[] {
    return [...visit.participants.values()].filter((p) => p.admission === 'waiting');
  }

  private producersFor(media: VisitMedia, p: Participant): ProducerInfo[] {
    return media.producers().filter((x) => x.appData.participantId !== p.participantId).map((x) => ({
      producerId: x.id, participantId: x.appData.participantId, kind: x.kind, source: x.appData.source, paused: x.paused,
    }));
  }

  private audit(action: AuditAction, claims: VisitClaims, link: ParticipantLink, target?: string): void {
    this.o.audit.record({ action, userId: claims.sub, role: claims.role, visitId: claims.visit, address: link.address, node: this.o.nodeId, target });
  }
}

function info(p: Participant): ParticipantInfo {
  return { participantId: p.participantId, userId: p.userId, role: p.role };
}
