import type { AuditAction, AuditLog } from '../common/audit.ts';
import type { MediaConfig } from '../common/config.ts';
import { ErrorCode, VisitwireError } from '../common/errors.ts';
import type { MediaEvents } from '../common/media.ts';
import type { Logger } from '../common/logger.ts';
import { STAFF_ROLES } from '../common/roles.ts';
import type { VisitClaims } from '../common/tokens.ts';
import { VisitAdaptation } from '../sfu/adaptation.ts';
import type { PolicyConfig } from '../sfu/policy/config.ts';
import { VisitMedia } from '../sfu/visit-media.ts';
import type { WorkerPool } from '../sfu/worker-pool.ts';
import { Participant, type ParticipantLink } from './participant.ts';
import type { ClientReplies, LeaveReason, ProducerInfo, ServerEventName, ServerEvents } from './protocol.ts';

/** What a visit needs from its node. */
export interface VisitContext {
  pool: WorkerPool;
  media: MediaConfig;
  policy: PolicyConfig;
  maxParticipants: number;
  audit: AuditLog;
  logger: Logger;
  nodeId: string;
  /** A patient admitted before, on this node or another, is let straight back in. */
  wasAdmitted(visitId: string, userId: string): Promise<boolean>;
  rememberAdmitted(visitId: string, userId: string): void;
  /** The visit closed: called once, after its last participant. */
  onClosed(visit: Visit): void;
  /** A participant closed: called once each. */
  onParticipantClosed(p: Participant): void;
}

/** A join's answer but for its resume credential, which the node issues. */
export type JoinReply = Omit<ClientReplies['join'], 'resume' | 'iceServers'>;

/** What a participant's closing tells that participant itself, by reason. */
const TOLD_ON_CLOSE: Partial<Record<LeaveReason, (p: Participant) => void>> = {
  'media-lost': (p) => p.link.notify('visitInterrupted', { reason: 'media-worker-died' }),
  replaced: (p) => p.link.notify('removed', { reason: 'replaced' }),
};

/**
 * One visit on this node: its participants (joining and joined) and, once the
 * first join needs it, its media (a mediasoup Router) and adaptation. It owns
 * them: a participant's close removes it here, and the last one out closes
 * the visit, its media and its adaptation, once.
 */
export class Visit {
  readonly participants = new Map<string, Participant>();
  media?: VisitMedia;
  adaptation?: VisitAdaptation;
  private mediaCreation?: Promise<VisitMedia>;
  private closing = false;

  constructor(readonly visitId: string, private readonly ctx: VisitContext) {}

  get closed(): boolean {
    return this.closing;
  }

  /**
   * Registers a join before anything is awaited, so that the participant cap
   * and the one-seat-per-user rule hold under concurrent joins, and a
   * disconnect at any later point finds the participant to close.
   */
  seat(claims: VisitClaims, link: ParticipantLink): Participant {
    if (this.closing) throw new VisitwireError(ErrorCode.UNAVAILABLE, 'the visit is closing; join again');
    const previous = [...this.participants.values()].filter((p) => p.userId === claims.sub);
    if (this.participants.size - previous.length >= this.ctx.maxParticipants) {
      throw new VisitwireError(ErrorCode.LIMIT_EXCEEDED, `visit is full (${this.ctx.maxParticipants} participants)`);
    }
    // A patient waits unless admitted before (looked up while the join completes).
    const participant = new Participant(this, claims, link, claims.role === 'patient' ? 'waiting' : 'admitted');
    this.participants.set(participant.participantId, participant);
    for (const p of previous) p.close('replaced');
    return participant;
  }

  /** Completes a seated participant's join: the visit's media, then the others are told. */
  async completeJoin(p: Participant): Promise<JoinReply> {
    const [media, admittedBefore] = await Promise.all([
      this.ensureMedia(),
      p.admission === 'waiting' ? this.ctx.wasAdmitted(this.visitId, p.userId) : false,
    ]);
    if (p.closed) throw new VisitwireError(ErrorCode.NOT_JOINED, 'the participant left while joining');
    if (admittedBefore) p.admission = 'admitted';
    p.markJoined(media.addParticipant(p.participantId));
    this.audit('join', p, p.admission);
    if (p.admission === 'waiting') this.notifyWaitingRoom();
    else this.announceAdmitted(p);
    const waiting = p.admission === 'waiting';
    return {
      self: p.info(),
      admission: p.admission,
      routerRtpCapabilities: media.rtpCapabilities,
      participants: waiting ? [] : this.othersAdmitted(p).map((o) => o.info()),
      producers: waiting ? [] : this.producersFor(p),
      waiting: STAFF_ROLES.has(p.role) ? this.waiting().map((o) => o.info()) : [],
    };
  }

  /** A provider or nurse admits or denies a participant in the waiting room. */
  decideAdmission(self: Participant, decision: 'admit' | 'deny', targetId: string): void {
    if (!STAFF_ROLES.has(self.role)) {
      this.recordDenied(self, `${decision}:${targetId}`);
      throw new VisitwireError(ErrorCode.FORBIDDEN, `only a provider or nurse may ${decision}`);
    }
    const target = this.participants.get(targetId);
    if (!target?.joined || target.admission !== 'waiting') throw new VisitwireError(ErrorCode.NOT_FOUND, 'no such participant in the waiting room');
    if (decision === 'deny') {
      this.audit('deny', self, target.userId);
      target.notify('admission', { admission: 'denied', participants: [], producers: [] });
      target.close('denied');
      return;
    }
    target.admission = 'admitted';
    this.ctx.rememberAdmitted(this.visitId, target.userId);
    this.audit('admit', self, target.userId);
    target.notify('admission', { admission: 'admitted', participants: this.othersAdmitted(target).map((o) => o.info()), producers: this.producersFor(target) });
    this.announceAdmitted(target);
    this.notifyWaitingRoom();
  }

  /** Audits a request refused for the participant's role. */
  recordDenied(p: Participant, request: string): void {
    this.audit('denied-request', p, request);
  }

  /** Tells the admitted others, except `from`. */
  tellOthers<E extends ServerEventName>(from: Participant, event: E, data: ServerEvents[E]): void {
    for (const other of this.othersAdmitted(from)) other.notify(event, data);
  }

  /** Tells every admitted participant, `from` included. */
  tellAdmitted<E extends ServerEventName>(event: E, data: ServerEvents[E]): void {
    for (const p of this.participants.values()) if (p.admitted) p.notify(event, data);
  }

  /** Called by Participant when its connection drops and its grace starts. */
  participantDetached(p: Participant): void {
    if (p.admission === 'admitted') this.tellOthers(p, 'participantReconnecting', { participantId: p.participantId });
  }

  /** Called by Participant when a new connection resumes it. */
  participantReattached(p: Participant): void {
    if (p.admission === 'admitted') this.tellOthers(p, 'participantReconnected', { participantId: p.participantId });
  }

  /** Called by Participant.close, once per participant. */
  participantClosed(p: Participant, reason: LeaveReason, wasJoined: boolean): void {
    this.participants.delete(p.participantId);
    this.ctx.onParticipantClosed(p);
    this.adaptation?.forget(p.participantId);
    TOLD_ON_CLOSE[reason]?.(p);
    if (wasJoined) {
      const producers = [...(p.media?.producers.values() ?? [])];
      this.media?.removeParticipant(p.participantId);
      this.audit('leave', p, reason);
      if (!this.closing && p.admission === 'admitted') {
        for (const producer of producers) this.tellOthers(p, 'producerClosed', { producerId: producer.id, participantId: p.participantId });
        this.tellOthers(p, 'participantLeft', { participantId: p.participantId, reason });
      } else if (!this.closing) {
        this.notifyWaitingRoom();
      }
    }
    if (this.participants.size === 0) this.close('left');
  }

  /** Closes every participant with `reason`, then the media; idempotent. */
  close(reason: LeaveReason): void {
    if (this.closing) return;
    this.closing = true;
    for (const p of [...this.participants.values()]) p.close(reason);
    this.adaptation?.close();
    this.media?.close();
    this.ctx.onClosed(this);
  }

  /** Joined participants of this visit, admitted or waiting. */
  joinedParticipants(): Participant[] {
    return [...this.participants.values()].filter((p) => p.joined);
  }

  private ensureMedia(): Promise<VisitMedia> {
    if (this.mediaCreation) return this.mediaCreation;
    const creation = VisitMedia.create(this.ctx.pool, this.ctx.media, this.visitId).then((media) => {
      if (this.closing) {
        media.close();
        throw new VisitwireError(ErrorCode.UNAVAILABLE, 'the visit closed while its media was created');
      }
      this.adopt(media);
      return media;
    });
    // A failed creation (no live worker during a respawn) is tried afresh by the next join.
    creation.catch(() => { if (this.mediaCreation === creation) this.mediaCreation = undefined; });
    this.mediaCreation = creation;
    return creation;
  }

  private adopt(media: VisitMedia): void {
    this.media = media;
    media.on('consumerClosed', (pid, consumerId, producerId) => this.participants.get(pid)?.notify('consumerClosed', { consumerId, producerId }));
    media.once('lost', () => {
      this.ctx.logger.warn({ visitId: this.visitId, worker: media.slot.index }, 'visit media lost with its worker; participants told to rejoin');
      this.close('media-lost');
    });
    this.adaptation = new VisitAdaptation(media, {
      notify: (pid, event, data) => this.participants.get(pid)?.link.notify<keyof MediaEvents>(event, data),
      roleOf: (pid) => this.participants.get(pid)?.role,
    }, this.ctx.policy, this.ctx.logger.child({ visitId: this.visitId }));
  }

  private announceAdmitted(p: Participant): void {
    for (const other of this.othersAdmitted(p)) other.notify('participantJoined', p.info());
  }

  private notifyWaitingRoom(): void {
    const waiting = this.waiting().map((p) => p.info());
    for (const p of this.participants.values()) if (p.admitted && STAFF_ROLES.has(p.role)) p.notify('waitingRoom', { waiting });
  }

  private othersAdmitted(self: Participant): Participant[] {
    return [...this.participants.values()].filter((p) => p !== self && p.admitted);
  }

  private waiting(): Participant[] {
    return [...this.participants.values()].filter((p) => p.joined && p.admission === 'waiting');
  }

  private producersFor(p: Participant): ProducerInfo[] {
    return (this.media?.producers() ?? []).filter((x) => x.appData.participantId !== p.participantId).map((x) => ({
      producerId: x.id, participantId: x.appData.participantId, kind: x.kind, source: x.appData.source, paused: x.paused,
    }));
  }

  private audit(action: AuditAction, p: Participant, target?: string): void {
    this.ctx.audit.record({ action, userId: p.userId, role: p.role, visitId: this.visitId, address: p.address, node: this.ctx.nodeId, target });
  }
}
