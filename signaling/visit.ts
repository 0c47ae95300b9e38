import type { AuditAction, AuditLog } from '../common/audit.ts';
import type { MediaConfig } from '../common/config.ts';
import { ErrorCode, VisitwireError } from '../common/errors.ts';
import type { MediaEvents } from '../common/media.ts';
import type { Logger } from '../common/logger.ts';
import { STAFF_ROLES } from '../common/roles.ts';
import type { VisitClaims } from '../common/tokens.ts';
import { VisitAdaptation } from '../sfu/adaptation.ts';
import type { PipedProducer } from '../sfu/cascade/visit-pipes.ts';
import type { Producer } from '../sfu/participant-media.ts';
import type { PolicyConfig } from '../sfu/policy/config.ts';
import { VisitMedia } from '../sfu/visit-media.ts';
import type { WorkerPool } from '../sfu/worker-pool.ts';
import { FORWARDED_EVENTS, type ForwardedEvent, type RemoteParticipant } from './cascade-messages.ts';
import { Participant, type ParticipantLink } from './participant.ts';
import type { ClientReplies, LeaveReason, ParticipantInfo, ProducerInfo, ServerEvents } from './protocol.ts';
import { VisitCascade, type CascadeOptions, type RemoteMember } from './visit-cascade.ts';

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
  /** In a cluster: how this node shares a visit with the other nodes holding it (visit-cascade.ts). */
  cascade?: CascadeOptions;
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
  /** This node's part of the visit when the visit spans nodes (a cluster). */
  cascade?: VisitCascade;
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
    this.cascade?.changed();
    const waiting = p.admission === 'waiting';
    return {
      self: p.info(),
      admission: p.admission,
      routerRtpCapabilities: media.rtpCapabilities,
      participants: waiting ? [] : this.admittedInfos(p),
      producers: waiting ? [] : this.producersFor(p),
      waiting: STAFF_ROLES.has(p.role) ? this.waitingInfos() : [],
    };
  }

  /**
   * A provider or nurse admits or denies a participant in the waiting room,
   * on this node or another (that node, which owns the participant, applies it).
   */
  decideAdmission(self: Participant, decision: 'admit' | 'deny', targetId: string): void {
    if (!STAFF_ROLES.has(self.role)) {
      this.recordDenied(self, `${decision}:${targetId}`);
      throw new VisitwireError(ErrorCode.FORBIDDEN, `only a provider or nurse may ${decision}`);
    }
    const target = this.participants.get(targetId);
    const remote = target ? undefined : this.cascade?.member(targetId);
    if (remote?.admission === 'waiting') {
      this.audit(decision, self, remote.userId);
      this.cascade!.decide(remote.nodeId, decision, targetId, { userId: self.userId, role: self.role });
      return;
    }
    if (!target?.joined || target.admission !== 'waiting') throw new VisitwireError(ErrorCode.NOT_FOUND, 'no such participant in the waiting room');
    this.audit(decision, self, target.userId);
    this.applyAdmission(decision, target);
  }

  /** A staff member on node `from` decided about a participant waiting here. */
  applyRemoteDecision(decision: 'admit' | 'deny', targetId: string, by: { userId: string; role: RemoteParticipant['role'] }, from: string): void {
    const target = this.participants.get(targetId);
    if (!target?.joined || target.admission !== 'waiting') return;
    this.ctx.audit.record({ action: decision, userId: by.userId, role: by.role, visitId: this.visitId, address: `node:${from}`, node: this.ctx.nodeId, target: target.userId });
    this.applyAdmission(decision, target);
  }

  private applyAdmission(decision: 'admit' | 'deny', target: Participant): void {
    if (decision === 'deny') {
      target.notify('admission', { admission: 'denied', participants: [], producers: [] });
      target.close('denied');
      return;
    }
    target.admission = 'admitted';
    this.ctx.rememberAdmitted(this.visitId, target.userId);
    target.notify('admission', { admission: 'admitted', participants: this.admittedInfos(target), producers: this.producersFor(target) });
    this.announceAdmitted(target);
    this.notifyWaitingRoom();
    this.cascade?.changed();
  }

  /** Audits a request refused for the participant's role. */
  recordDenied(p: Participant, request: string): void {
    this.audit('denied-request', p, request);
  }

  /** Tells the admitted others, except `from`, here and on the other nodes of the visit. */
  tellOthers<E extends ForwardedEvent>(from: Participant, event: E, data: ServerEvents[E]): void {
    for (const other of this.othersAdmitted(from)) other.notify(event, data);
    this.cascade?.tell(event, data);
  }

  /** Tells every admitted participant, `from` included, here and on the other nodes. */
  tellAdmitted<E extends ForwardedEvent>(event: E, data: ServerEvents[E]): void {
    for (const p of this.participants.values()) if (p.admitted) p.notify(event, data);
    this.cascade?.tell(event, data);
  }

  /** A participant here published: the admitted others here are told; the other nodes pipe it in and tell theirs. */
  producerAdded(from: Participant, info: ProducerInfo): void {
    for (const other of this.othersAdmitted(from)) other.notify('newProducer', info);
    this.cascade?.changed();
  }

  /** A producer here paused or resumed: its state goes to the other nodes (which pause their piped copy). */
  mediaChanged(): void {
    this.cascade?.changed();
  }

  /** An event another node forwarded: for one participant here (`to`), or every admitted one. */
  deliverForwarded<E extends ForwardedEvent>(event: E, data: ServerEvents[E], to?: string): void {
    if (to) return this.participants.get(to)?.notify(event, data);
    const about = (data as { participantId?: string }).participantId;
    for (const p of this.participants.values()) if (p.admitted && !(about && this.sameUser(p, about))) p.notify(event, data);
  }

  /** A participant on another node was admitted: the admitted here see them join (but the same user: see sameUser). */
  announceRemoteJoined(info: ParticipantInfo): void {
    for (const p of this.participants.values()) if (p.admitted && p.userId !== info.userId) p.notify('participantJoined', info);
  }

  /** A producer of another node is piped in: the admitted here may consume it now. */
  announcePiped(info: ProducerInfo): void {
    for (const p of this.participants.values()) if (p.admitted && !this.sameUser(p, info.participantId)) p.notify('newProducer', info);
  }

  /**
   * Whether `participantId` is another seat of `p`'s user on another node: a
   * move between nodes (drain, make before break) holds both for a moment,
   * and a user never sees or receives themselves.
   */
  private sameUser(p: Participant, participantId: string): boolean {
    return this.cascade?.member(participantId)?.userId === p.userId;
  }

  /** The waiting room on another node changed. */
  waitingRoomChanged(): void {
    this.notifyWaitingRoom();
  }

  /** Admitted participants on this node (they view everything, so they decide what is piped in). */
  admittedCount(): number {
    let n = 0;
    for (const p of this.participants.values()) if (p.admitted) n++;
    return n;
  }

  /** Producers of participants on this node, as the other nodes are told. */
  localProducers(): ProducerInfo[] {
    return (this.media?.producers() ?? []).filter((x) => !x.closed).map(producerInfo);
  }

  /** The role of a participant here or on another node (layer priority). */
  roleOf(participantId: string): ParticipantInfo['role'] | undefined {
    return this.participants.get(participantId)?.role ?? this.cascade?.member(participantId)?.role;
  }

  /** Whether a joined participant with this id is in the visit, here or on another node. */
  hasJoined(participantId: string): boolean {
    return this.participants.get(participantId)?.joined === true || this.cascade?.member(participantId) !== undefined;
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
      if (!this.closing && this.participants.size > 0) this.cascade?.changed();
    }
    if (this.participants.size === 0) this.close('left');
  }

  /** Closes every participant with `reason`, then the media; idempotent. */
  close(reason: LeaveReason): void {
    if (this.closing) return;
    this.closing = true;
    for (const p of [...this.participants.values()]) p.close(reason);
    this.cascade?.close();
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
      return this.joinCluster(media);
    });
    // A failed creation (no live worker during a respawn) is tried afresh by the next join.
    creation.catch(() => { if (this.mediaCreation === creation) this.mediaCreation = undefined; });
    this.mediaCreation = creation;
    return creation;
  }

  /** In a cluster, the visit's part on this node joins the other nodes' (a failure leaves it on this node alone). */
  private async joinCluster(media: VisitMedia): Promise<VisitMedia> {
    if (!this.ctx.cascade) return media;
    this.cascade = new VisitCascade(this, this.ctx.cascade);
    await this.cascade.start().catch((err: unknown) => {
      this.ctx.logger.warn({ visitId: this.visitId, err: (err as Error).message }, 'could not join the visit\'s other nodes; it goes on on this node alone');
    });
    return media;
  }

  private adopt(media: VisitMedia): void {
    this.media = media;
    media.on('consumerClosed', (pid, consumerId, producerId) => this.participants.get(pid)?.notify('consumerClosed', { consumerId, producerId }));
    media.once('lost', () => {
      this.ctx.logger.warn({ visitId: this.visitId, worker: media.slot.index }, 'visit media lost with its worker; participants told to rejoin');
      this.close('media-lost');
    });
    this.adaptation = new VisitAdaptation(media, {
      notify: (pid, event, data) => {
        const local = this.participants.get(pid);
        if (local) local.link.notify<keyof MediaEvents>(event, data);
        else if (isForwarded(event)) this.cascade?.tell(event, data as ServerEvents[typeof event], pid);
      },
      broadcast: (event, data) => {
        for (const pid of media.participantIds()) this.participants.get(pid)?.link.notify<keyof MediaEvents>(event, data);
        this.cascade?.tell(event, data as ServerEvents[typeof event]);
      },
      roleOf: (pid) => this.roleOf(pid),
      reportPipedInWants: (wants) => this.cascade?.reportWants(wants),
      reportedWants: (producerId) => this.cascade?.reportedWants(producerId) ?? new Map(),
    }, this.ctx.policy, this.ctx.logger.child({ visitId: this.visitId }));
  }

  private announceAdmitted(p: Participant): void {
    for (const other of this.othersAdmitted(p)) other.notify('participantJoined', p.info());
  }

  private notifyWaitingRoom(): void {
    const waiting = this.waitingInfos();
    for (const p of this.participants.values()) if (p.admitted && STAFF_ROLES.has(p.role)) p.notify('waitingRoom', { waiting });
  }

  private othersAdmitted(self: Participant): Participant[] {
    return [...this.participants.values()].filter((p) => p !== self && p.admitted);
  }

  /** The admitted others of `self`, here and on the other nodes. */
  private admittedInfos(self: Participant): ParticipantInfo[] {
    const remote = (this.cascade?.members() ?? []).filter((m) => m.admission === 'admitted' && m.userId !== self.userId).map(remoteInfo);
    return [...this.othersAdmitted(self).map((o) => o.info()), ...remote];
  }

  /** The waiting room, here and on the other nodes. */
  private waitingInfos(): ParticipantInfo[] {
    const local = [...this.participants.values()].filter((p) => p.joined && p.admission === 'waiting').map((p) => p.info());
    const remote = (this.cascade?.members() ?? []).filter((m) => m.admission === 'waiting').map(remoteInfo);
    return [...local, ...remote];
  }

  /** What `p` may consume: the others' producers here and those piped in from other nodes. */
  private producersFor(p: Participant): ProducerInfo[] {
    const all = [...(this.media?.producers() ?? []), ...(this.media?.pipedProducers() ?? [])];
    return all.filter((x) => !x.closed && x.appData.participantId !== p.participantId && !this.sameUser(p, x.appData.participantId)).map(producerInfo);
  }

  private audit(action: AuditAction, p: Participant, target?: string): void {
    this.ctx.audit.record({ action, userId: p.userId, role: p.role, visitId: this.visitId, address: p.address, node: this.ctx.nodeId, target });
  }
}

/** A producer as participants are told of it, here or piped in. */
const producerInfo = (x: Producer | PipedProducer): ProducerInfo => ({
  producerId: x.id, participantId: x.appData.participantId, kind: x.kind, source: x.appData.source, paused: x.paused,
});

/** A participant on another node as participants here are told of it. */
const remoteInfo = ({ participantId, userId, role }: RemoteMember): ParticipantInfo => ({ participantId, userId, role });

const FORWARDED: ReadonlySet<string> = new Set(FORWARDED_EVENTS);
const isForwarded = (event: string): event is ForwardedEvent => FORWARDED.has(event);
