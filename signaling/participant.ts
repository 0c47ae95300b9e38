import { randomUUID } from 'node:crypto';
import { ErrorCode, VisitwireError } from '../common/errors.ts';
import type { Role } from '../common/roles.ts';
import type { VisitClaims } from '../common/tokens.ts';
import type { ParticipantMedia } from '../sfu/participant-media.ts';
import type { Admission, LeaveReason, ParticipantInfo, ServerEventName, ServerEvents } from './protocol.ts';
import type { Visit } from './visit.ts';

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
  private state: 'joining' | 'joined' | 'closed' = 'joining';
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly visit: Visit,
    readonly claims: VisitClaims,
    readonly link: ParticipantLink,
    public admission: Admission,
  ) {}

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
    this.visit.participantClosed(this, reason, wasJoined);
  }
}
