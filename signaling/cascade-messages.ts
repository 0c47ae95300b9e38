import { z } from 'zod';
import { IdSchema } from '../common/ids.ts';
import { MEDIA_SOURCES } from '../common/media.ts';
import { ROLES } from '../common/roles.ts';
import { MAX_ENCODINGS, type ParticipantInfo } from './protocol.ts';

/**
 * What the nodes holding one visit tell each other on the visit's bus topic
 * (common/registry/bus.ts). Another node is trusted (it is in the cluster's
 * Redis), but its messages are still checked: a bad one is dropped and logged.
 */
const ParticipantState = z.strictObject({ participantId: IdSchema, userId: IdSchema, role: z.enum(ROLES), admission: z.enum(['waiting', 'admitted']) });
const ProducerId = z.string().min(1).max(64);
const ProducerState = z.strictObject({
  producerId: ProducerId, participantId: IdSchema, kind: z.enum(['audio', 'video']), source: z.enum(MEDIA_SOURCES).optional(), paused: z.boolean(),
});
/** What the viewers on a node want of a producer piped in to it (sfu/cascade/pipe-plan.ts pipedInWants). */
const LayerWant = z.strictObject({ producerId: ProducerId, spatialLayer: z.number().int().min(0).max(MAX_ENCODINGS - 1).nullable() });
/** Events a node forwards to the participants of the others as they are (see Visit.tellOthers). */
export const FORWARDED_EVENTS = [
  'participantLeft', 'participantReconnecting', 'participantReconnected', 'producerClosed', 'producerPaused', 'producerResumed',
  'videoPaused', 'videoResumed', 'networkQuality',
] as const;
export type ForwardedEvent = (typeof FORWARDED_EVENTS)[number];

const from = IdSchema;
export const CascadeMessage = z.discriminatedUnion('type', [
  /** A node's part of the visit started: the others answer with their state. */
  z.strictObject({ type: z.literal('hello'), from }),
  /**
   * A node's joined participants and their producers, whole, after every
   * change; and what its viewers want of the producers piped in to it (left
   * out by nodes that have not reported: they get every layer).
   */
  z.strictObject({
    type: z.literal('state'), from, url: z.url({ protocol: /^https?$/ }),
    participants: z.array(ParticipantState).max(200), producers: z.array(ProducerState).max(600), wants: z.array(LayerWant).max(600).optional(),
  }),
  /** An event for the admitted participants of the other nodes, or for one participant (`to`). */
  z.strictObject({ type: z.literal('tell'), from, event: z.enum(FORWARDED_EVENTS), data: z.record(z.string(), z.unknown()), to: IdSchema.optional() }),
  /** A provider or nurse on `from` admitted or denied a participant waiting on another node. */
  z.strictObject({ type: z.literal('decide'), from, decision: z.enum(['admit', 'deny']), targetId: IdSchema, by: z.strictObject({ userId: IdSchema, role: z.enum(ROLES) }) }),
  /** The node's part of the visit ended. */
  z.strictObject({ type: z.literal('bye'), from }),
]);
export type CascadeMessage = z.infer<typeof CascadeMessage>;
export type NodeState = Extract<CascadeMessage, { type: 'state' }>;
export type RemoteParticipant = NodeState['participants'][number];
export type RemoteProducer = NodeState['producers'][number];

/** What a node's new state means for the participants here. */
export interface StateChange {
  /** Admitted since the last state (newly joined admitted, or admitted from the waiting room): announce them. */
  admitted: ParticipantInfo[];
  /** The waiting room on that node changed: staff here get a new list. */
  waitingChanged: boolean;
}

export function diffState(before: readonly RemoteParticipant[], after: readonly RemoteParticipant[]): StateChange {
  const was = new Map(before.map((p) => [p.participantId, p.admission]));
  const admitted = after.filter((p) => p.admission === 'admitted' && was.get(p.participantId) !== 'admitted')
    .map(({ participantId, userId, role }) => ({ participantId, userId, role }));
  const waiting = (list: readonly RemoteParticipant[]) => list.filter((p) => p.admission === 'waiting').map((p) => p.participantId).sort().join();
  return { admitted, waitingChanged: waiting(before) !== waiting(after) };
}
