import { randomUUID } from 'node:crypto';
import { ErrorCode, VisitwireError } from '../common/errors.ts';
import type { Role } from '../common/roles.ts';
import type { VisitClaims } from '../common/tokens.ts';
import type { ParticipantMedia } from '../sfu/participant-media.ts';
import type { Admission, LeaveReason, ParticipantInfo, ServerEventName, ServerEventRecord, ServerEvents } from './protocol.ts';
import type { Visit } from './visit.ts';

/** Events kept for a participant whose connection is down; beyond this it leaves. */
const MAX_MISSED_EVENTS = 1000;

/** How a participant is reached: its connection, seen as a typed event sink. */
export interface ParticipantLink {
  notify<E extends ServerEventName>(event: E, data: ServerEvents[E]): void;
  address: string;
}

/**
 * One person in one visit on this node, from the moment a join is accepted
 * until `close()`. It owns its link and (once joined) its media; its visit
 * owns it. Every way out (leave, disconnect, deny, replacement by the same
 * user, a lost media worker, a failed join, the node stopping) goes through
 * `close()`, which runs once.
 *
 * Requests of one participant run one after another (`run`): each request
 * sees the state the previous one left, so checks made before a worker
 * request still hold after it, except for closing, which any job may
 * meet after an await and which the media layer checks (sfu/participant-media.ts).
 */
export class Participant {
  readonly participantId = `p-${randomUUID()}`;
  media?: ParticipantMedia;
  /** The current resume credential (VisitService issues and rotates it). */
  credential?: string;
  private state: 'joining' | 'joined' | 'closed' = 'joining';
  private queue: Promise<unknown> = Promise.resolve();
  /** Events sent while no connection is attached, for the resume answer; undefined while attached. */
  private outbox?: ServerEventRecord[];
  private graceTimer?: NodeJS.Timeout;

  constructor(
    readonly visit: Visit,
    readonly claims: VisitClaims,
    private currentLink: ParticipantLink,
    public admission: Admission,
  ) {}

  /** The connection this participant is reached through (the last one it was attached to). */
  get link(): ParticipantLink { return this.currentLink; }
  get address(): string { return this.currentLink.address; }
  /** The connection dropped and the participant may still resume. */
  get detached(): boolean { return this.outbox !== undefined; }

  /** Sends an event to the participant, or keeps it for the resume answer while its connection is down. */
  notify<E extends ServerEventName>(event: E, data: ServerEvents[E]): void {
    if (this.state === 'closed') return;
    if (!this.outbox) {
      this.currentLink.notify(event, data);
      return;
    }
    if (this.outbox.length >= MAX_MISSED_EVENTS) {
      this.close('disconnected');
      return;
    }
    const record = { event, data } as ServerEventRecord;
    this.outbox.push(record);
  }

  /**
   * `link` dropped. A joined participant keeps its media for `graceMs` and
   * may resume; a participant still joining, or with no grace, leaves now.
   * A link that is no longer this participant's (it resumed elsewhere) changes nothing.
   */
  connectionLost(link: ParticipantLink, graceMs: number): void {
    if (link !== this.currentLink || this.state === 'closed' || this.outbox) return;
    if (this.state !== 'joined' || graceMs <= 0) {
      this.close('disconnected');
      return;
    }
    this.outbox = [];
    this.graceTimer = setTimeout(() => this.close('disconnected'), graceMs);
    this.graceTimer.unref();
    this.visit.participantDetached(this);
  }

  /** A new connection takes this participant over; returns the events it missed. */
  attach(link: ParticipantLink): ServerEventRecord[] {
    const missed = this.outbox ?? [];
    clearTimeout(this.graceTimer);
    const wasDetached = this.detached;
    this.outbox = undefined;
    // Taken over from a connection the node still thought alive: that one is told it no longer holds the participant.
    if (!wasDetached) this.currentLink.notify('removed', { reason: 'replaced' });
    this.currentLink = link;
    if (wasDetached) this.visit.participantReattached(this);
    return missed;
  }

  get userId(): string { return this.claims.sub; }
  get role(): Role { return this.claims.role; }
  get closed(): boolean { return this.state === 'closed'; }
  /** Joined: has media in the visit and is known to the others (or the waiting room). */
  get joined(): boolean { return this.state === 'joined'; }
  get admitted(): boolean { return this.state === 'joined' && this.admission === 'admitted'; }

  info(): ParticipantInfo {
    return { participantId: this.participantId, userId: this.userId, role: this.role };
  }

  /** The join completed: from now on the participant owns `media`. */
  markJoined(media: ParticipantMedia): void {
    if (this.state !== 'joining') throw new Error(`participant ${this.participantId} is ${this.state}`);
    this.media = media;
    this.state = 'joined';
  }

  /** Runs `job` after this participant's earlier requests have settled; refuses once closed. */
  run<T>(job: () => Promise<T>): Promise<T> {
    const next = this.queue.then(() => {
      if (this.closed) throw new VisitwireError(ErrorCode.NOT_JOINED, 'the participant has left');
      return job();
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Ends this participant and everything it owns; idempotent. */
  close(reason: LeaveReason): void {
    if (this.state === 'closed') return;
    const wasJoined = this.state === 'joined';
    this.state = 'closed';
    clearTimeout(this.graceTimer);
    this.outbox = undefined;
    this.visit.participantClosed(this, reason, wasJoined);
  }
}
