import { randomBytes } from 'node:crypto';
import type { AuditLog } from '../common/audit.ts';
import type { MediaConfig } from '../common/config.ts';
import { ErrorCode, VisitwireError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import { MemoryRegistry } from '../common/registry/memory.ts';
import type { Registry } from '../common/registry/types.ts';
import { MEDIA_ROLES } from '../common/roles.ts';
import type { VisitClaims } from '../common/tokens.ts';
import type { IceServer } from '../common/turn-credentials.ts';
import { takeCensus, type MediaCensus } from '../sfu/media-census.ts';
import type { PolicyConfig } from '../sfu/policy/config.ts';
import { addCounts, emptyCounts, type MediaCounts, type VisitMedia } from '../sfu/visit-media.ts';
import type { WorkerPool } from '../sfu/worker-pool.ts';
import type { Participant, ParticipantLink } from './participant.ts';
import type { ClientReplies, ResumeGrant } from './protocol.ts';
import { Visit, type VisitContext } from './visit.ts';
import type { CascadeOptions } from './visit-cascade.ts';

export type { Participant, ParticipantLink } from './participant.ts';

export interface VisitServiceOptions {
  pool: WorkerPool;
  media: MediaConfig;
  maxParticipantsPerVisit: number;
  audit: AuditLog;
  logger: Logger;
  nodeId: string;
  /** Layer policy and audio-only fallback settings. */
  policy: PolicyConfig;
  /** Where admissions are remembered (the cluster registry), so that a patient admitted once is let back in on any node; default in memory. */
  admissions?: Pick<Registry, 'rememberAdmission' | 'wasAdmitted'>;
  /** How long a participant whose connection dropped keeps its media and may resume; 0 = leave at once (default in common/config.ts). */
  resumeGraceMs: number;
  /** ICE servers (TURN with short-lived credentials) for a participant, sent in the join answer; default none. */
  iceServers?: (claims: VisitClaims) => IceServer[];
  /** While true, joins of visits this node does not hold are refused (UNAVAILABLE). */
  isDraining?: () => boolean;
  /** The visit's last participant left, or its media was lost: the node no longer holds it. Called once per visit. */
  onVisitEnded?: (visitId: string) => void;
  /** In a cluster: visits span nodes (signaling/visit-cascade.ts). */
  cascade?: CascadeOptions;
}

/** A patient admitted once is let straight back in on rejoin (reconnect, node or worker failover) for this long. */
const READMIT_MS = 4 * 3600_000;

/**
 * The visits on one node. Ownership runs one way: this service owns its
 * Visits, a Visit owns its Participants and its media (sfu/VisitMedia, a
 * mediasoup Router), a Participant owns its media (sfu/ParticipantMedia:
 * transports, producers, consumers). Each level closes once and cascades.
 */
export class VisitService {
  private readonly visits = new Map<string, Visit>();
  private readonly admissions: Pick<Registry, 'rememberAdmission' | 'wasAdmitted'>;
  /** Resume credentials of joined participants. */
  private readonly resumable = new Map<string, Participant>();
  private readonly context: VisitContext;

  constructor(private readonly o: VisitServiceOptions) {
    this.admissions = o.admissions ?? new MemoryRegistry();
    this.context = {
      pool: o.pool, media: o.media, policy: o.policy, maxParticipants: o.maxParticipantsPerVisit, audit: o.audit, logger: o.logger, nodeId: o.nodeId, cascade: o.cascade,
      wasAdmitted: (visitId, userId) => this.admissions.wasAdmitted(visitId, userId).catch((err: unknown) => {
        o.logger.warn({ visitId, err: (err as Error).message }, 'admission lookup failed; the patient waits to be admitted');
        return false;
      }),
      rememberAdmitted: (visitId, userId) => void this.admissions.rememberAdmission(visitId, userId, READMIT_MS).catch((err: unknown) => {
        o.logger.warn({ visitId, err: (err as Error).message }, 'could not remember an admission; a rejoin elsewhere will wait again');
      }),
      onParticipantClosed: (p) => { if (p.credential) this.resumable.delete(p.credential); },
      onClosed: (visit) => {
        if (this.visits.get(visit.visitId) !== visit) return;
        this.visits.delete(visit.visitId);
        this.o.onVisitEnded?.(visit.visitId);
      },
    };
  }

  get visitCount(): number {
    return this.visits.size;
  }

  /** Participants seated on this node, joining or joined. */
  get participantCount(): number {
    let n = 0;
    for (const v of this.visits.values()) n += v.participants.size;
    return n;
  }

  /** Visits on this node by how many nodes each spans (heartbeats; the router's /v1/regions). */
  visitsByNodes(): Record<string, number> {
    const byNodes: Record<string, number> = {};
    for (const v of this.visits.values()) {
      const n = String(1 + (v.cascade?.peerCount() ?? 0));
      byNodes[n] = (byNodes[n] ?? 0) + 1;
    }
    return byNodes;
  }

  /** Participants seated on this node, by role (metrics). */
  participantsByRole(): Map<string, number> {
    const byRole = new Map<string, number>();
    for (const v of this.visits.values()) for (const p of v.participants.values()) byRole.set(p.role, (byRole.get(p.role) ?? 0) + 1);
    return byRole;
  }

  /** Consumers that participants here own (read with every heartbeat). */
  consumerCount(): number {
    let count = 0;
    for (const media of this.medias()) count += media.consumerCount();
    return count;
  }

  /** Routers, transports, producers and consumers that participants own, by kind. */
  mediaCounts(): MediaCounts {
    return this.medias().reduce((sum, m) => addCounts(sum, m.counts()), emptyCounts());
  }

  /** Compares what participants own with what the workers hold (router dumps). */
  census(): Promise<MediaCensus> {
    return takeCensus(this.o.pool, this.medias(), this.o.media.requestTimeoutMs);
  }

  /** The visit's media, for policy and tests; undefined when the visit has none on this node. */
  mediaOf(visitId: string): VisitMedia | undefined {
    return this.visits.get(visitId)?.media;
  }

  visit(visitId: string): Visit | undefined {
    return this.visits.get(visitId);
  }

  /**
   * Seats a participant at once (nothing awaited) and completes the join in
   * its request queue. The caller holds the participant from the first
   * moment, so that a disconnect at any point closes it.
   */
  join(claims: VisitClaims, link: ParticipantLink): { participant: Participant; reply: Promise<ClientReplies['join']> } {
    if (!MEDIA_ROLES.has(claims.role)) {
      this.o.audit.record({ action: 'denied-request', userId: claims.sub, role: claims.role, visitId: claims.visit, address: link.address, node: this.o.nodeId, target: 'join' });
      throw new VisitwireError(ErrorCode.FORBIDDEN, `role ${claims.role} cannot join a visit's media`);
    }
    let visit = this.visits.get(claims.visit);
    if (!visit) {
      if (this.o.isDraining?.()) throw new VisitwireError(ErrorCode.UNAVAILABLE, 'node is draining');
      visit = new Visit(claims.visit, this.context);
      this.visits.set(claims.visit, visit);
    }
    let participant: Participant;
    try {
      participant = visit.seat(claims, link);
    } catch (err) {
      if (visit.participants.size === 0) visit.close('join-failed');
      throw err;
    }
    const iceServers = this.o.iceServers?.(claims) ?? [];
    const reply = participant.run(async () => ({ ...await visit.completeJoin(participant), resume: this.grant(participant), iceServers }));
    reply.catch(() => participant.close('join-failed'));
    return { participant, reply };
  }

  /**
   * A new connection takes back the participant a resume credential was
   * issued to: same visit, same user, within the grace, once. Its media was
   * never touched; the events it missed come back in the answer.
   */
  resume(claims: VisitClaims, link: ParticipantLink, credential: string): { participant: Participant; reply: ClientReplies['resume'] } {
    const participant = this.resumable.get(credential);
    if (!participant || participant.closed || participant.credential !== credential) {
      throw new VisitwireError(ErrorCode.RESUME_FAILED, 'the resume credential is unknown, used already or past its grace: join again');
    }
    if (participant.visit.visitId !== claims.visit || participant.userId !== claims.sub) {
      throw new VisitwireError(ErrorCode.RESUME_FAILED, 'the resume credential is not for this visit token: join again');
    }
    const missed = participant.attach(link);
    return { participant, reply: { self: participant.info(), admission: participant.admission, resume: this.grant(participant), missed } };
  }

  /** What a dropped connection does to its participant: the grace starts (or it leaves when there is none). */
  connectionLost(participant: Participant, link: ParticipantLink): void {
    participant.connectionLost(link, this.o.resumeGraceMs);
  }

  /** A new resume credential for `p`; the previous one stops working. */
  private grant(p: Participant): ResumeGrant {
    if (p.credential) this.resumable.delete(p.credential);
    p.credential = randomBytes(24).toString('base64url');
    this.resumable.set(p.credential, p);
    return { credential: p.credential, graceMs: this.o.resumeGraceMs };
  }

  /** The node drains: asks every joined participant to move to another node; returns the visits. */
  migrateAll(): string[] {
    for (const visit of this.visits.values()) for (const p of visit.joinedParticipants()) p.notify('migrate', { reason: 'drain' });
    return [...this.visits.keys()];
  }

  /** Ends every visit on this node (shutdown). */
  close(): void {
    for (const visit of [...this.visits.values()]) visit.close('node-stopped');
  }

  private medias(): VisitMedia[] {
    return [...this.visits.values()].flatMap((v) => (v.media && !v.media.isClosed ? [v.media] : []));
  }
}
