import type { VisitClaims } from '../../common/tokens.ts';
import { dispatch, type Connection } from '../../signaling/handlers.ts';
import type { ParticipantLink } from '../../signaling/participant.ts';
import type { ClientMessage, ClientMessageName, ClientReplies, ServerEventName } from '../../signaling/protocol.ts';
import type { VisitService } from '../../signaling/visit-service.ts';

/**
 * A client of a VisitService in the test's own process: its requests go
 * through the same dispatch (shape, schema, handler) as a socket's, without
 * socket.io; `disconnect()` does what the server does when a socket drops.
 */
export class InProcessClient implements ParticipantLink {
  readonly address = '127.0.0.1';
  readonly events: { event: ServerEventName; data: unknown }[] = [];
  readonly conn: Connection;

  constructor(private readonly visits: VisitService, claims: VisitClaims) {
    this.conn = { claims, link: this };
  }

  notify(event: ServerEventName, data: unknown): void {
    this.events.push({ event, data });
  }

  of(event: ServerEventName): Record<string, unknown>[] {
    return this.events.filter((e) => e.event === event).map((e) => e.data as Record<string, unknown>);
  }

  request<N extends ClientMessageName>(name: N, payload: ClientMessage<N> | Record<string, unknown> = {}): Promise<ClientReplies[N]> {
    return dispatch(name, payload, { conn: this.conn, visits: this.visits });
  }

  get participantId(): string | undefined {
    return this.conn.participant?.participantId;
  }

  disconnect(): void {
    if (this.conn.participant) this.visits.connectionLost(this.conn.participant, this);
  }
}
