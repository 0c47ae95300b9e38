import type { ClusterBus } from '../common/registry/bus.ts';
import type { Registry } from '../common/registry/types.ts';
import type { Logger } from '../common/logger.ts';
import { sharedInterval } from '../common/shared-interval.ts';
import { callPeer } from '../sfu/cascade/internal-client.ts';
import { planPipes, type LayerWant } from '../sfu/cascade/pipe-plan.ts';
import type { PipedProducer } from '../sfu/cascade/visit-pipes.ts';
import { CascadeMessage, diffState, type ForwardedEvent, type NodeState, type RemoteParticipant } from './cascade-messages.ts';
import type { LeaveReason, ServerEvents } from './protocol.ts';
import type { Visit } from './visit.ts';

/** What a node needs to share its visits with the other nodes of the cluster. */
export interface CascadeOptions {
  nodeId: string;
  /** This node's internal API (sfu/cascade/internal-api.ts), as the others reach it. */
  internalUrl: string;
  /** VISITWIRE_CLUSTER_SECRET: signs pipe requests. */
  secret: string;
  registry: Pick<Registry, 'addVisitNode' | 'removeVisitNode' | 'visitNodes'>;
  bus: ClusterBus;
  /** How often the node re-registers its part and looks for dead peers; default 2000 ms. */
  refreshMs?: number;
  /** Each call to a peer's internal API. */
  timeoutMs: number;
  logger: Logger;
}

/** A participant of this visit on another node, as this node knows it. */
export interface RemoteMember extends RemoteParticipant { nodeId: string }

/**
 * This node's part of a visit that spans nodes: it tells the other nodes
 * (bus topic = the visit id) about its participants and producers, keeps
 * what they tell about theirs, pipes in the producers its viewers need
 * (sfu/cascade/pipe-plan.ts), and drops a node that says bye or whose
 * heartbeat expired. Its visit owns it and closes it once.
 */
export class VisitCascade {
  private readonly nodes = new Map<string, NodeState>();
  /** What this node's viewers want of the producers piped in, as last published. */
  private wants: LayerWant[] = [];
  private unsubscribe?: () => Promise<void>;
  private stopRefreshing?: () => void;
  private closed = false;
  private readonly log: Logger;

  constructor(private readonly visit: Visit, private readonly o: CascadeOptions) {
    this.log = o.logger.child({ visitId: visit.visitId, cascade: true });
  }

  private get visitId(): string { return this.visit.visitId; }
  private get ttlMs(): number { return (this.o.refreshMs ?? 2000) * 3; }

  /** Subscribes, registers this node's part, says hello and its state; failures leave the visit on this node alone. */
  async start(): Promise<void> {
    const unsubscribe = await this.o.bus.subscribe(this.visitId, (m) => this.receive(m));
    if (this.closed) return void unsubscribe().catch(() => undefined);
    this.unsubscribe = unsubscribe;
    await this.o.registry.addVisitNode(this.visitId, this.o.nodeId, this.o.internalUrl, this.ttlMs);
    if (this.closed) return void this.o.registry.removeVisitNode(this.visitId, this.o.nodeId).catch(() => undefined); // closed while registering
    this.stopRefreshing = sharedInterval(this.o.refreshMs ?? 2000, () => void this.refresh());
    this.publish({ type: 'hello', from: this.o.nodeId });
    this.changed();
  }

  /** Other nodes holding parts of this visit, as last heard. */
  peerCount(): number {
    return this.nodes.size;
  }

  /** Participants on other nodes. */
  members(): RemoteMember[] {
    return [...this.nodes.values()].flatMap((n) => n.participants.map((p) => ({ ...p, nodeId: n.from })));
  }

  member(participantId: string): RemoteMember | undefined {
    return this.members().find((m) => m.participantId === participantId);
  }

  /** This node's participants or producers changed: the others get its state; pipes follow. */
  changed(): void {
    if (this.closed || !this.unsubscribe) return;
    const participants = this.visit.joinedParticipants().map((p) => ({ ...p.info(), admission: p.admission === 'admitted' ? 'admitted' as const : 'waiting' as const }));
    const producers = this.visit.localProducers();
    this.publish({ type: 'state', from: this.o.nodeId, url: this.o.internalUrl, participants, producers, wants: this.wants });
    this.syncPipes();
  }

  /** The adaptation's report of every round (pipedInWants): the others get it in this node's state when it changed. */
  reportWants(wants: LayerWant[]): void {
    if (JSON.stringify(wants) === JSON.stringify(this.wants)) return;
    this.wants = wants;
    this.changed();
  }

  /** What the other nodes last reported wanting of a producer of this node, by node id. */
  reportedWants(producerId: string): Map<string, number | null> {
    const reported = new Map<string, number | null>();
    for (const n of this.nodes.values()) {
      const want = n.wants?.find((w) => w.producerId === producerId);
      if (want) reported.set(n.from, want.spatialLayer);
    }
    return reported;
  }

  /** Forwards an event to the admitted participants of the other nodes, or to one of them. */
  tell<E extends ForwardedEvent>(event: E, data: ServerEvents[E], to?: string): void {
    if (this.closed || !this.unsubscribe || this.nodes.size === 0) return;
    this.publish({ type: 'tell', from: this.o.nodeId, event, data: data as Record<string, unknown>, to });
  }

  /** A staff member here decided about a participant waiting on `nodeId`; that node, which owns the participant, applies it. */
  decide(nodeId: string, decision: 'admit' | 'deny', targetId: string, by: { userId: string; role: RemoteParticipant['role'] }): void {
    this.publish({ type: 'decide', from: this.o.nodeId, decision, targetId, by });
    this.log.info({ to: nodeId, decision, targetId }, 'admission decision sent to the participant\'s node');
  }

  /** This node's part ended: the others are told, the registry forgets it. Pipes close with the visit's media. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopRefreshing?.();
    if (this.unsubscribe) {
      this.publish({ type: 'bye', from: this.o.nodeId });
      void this.unsubscribe().catch(() => undefined);
    }
    this.o.registry.removeVisitNode(this.visitId, this.o.nodeId).catch((err: unknown) => {
      this.log.warn({ err: (err as Error).message }, 'could not remove this node from the visit; the record expires with its TTL');
    });
    this.nodes.clear();
  }

  private receive(raw: unknown): void {
    if (this.closed) return;
    const parsed = CascadeMessage.safeParse(raw);
    if (!parsed.success) {
      this.log.warn({ issue: parsed.error.issues[0]?.message }, 'bad cascade message dropped');
      return;
    }
    const m = parsed.data;
    if (m.from === this.o.nodeId) return;
    switch (m.type) {
      case 'hello': return this.changed();
      case 'state': return this.applyState(m);
      case 'tell': return this.visit.deliverForwarded(m.event, m.data as ServerEvents[typeof m.event], m.to);
      case 'decide': return this.visit.applyRemoteDecision(m.decision, m.targetId, m.by, m.from);
      case 'bye': return this.dropNode(m.from, undefined);
    }
  }

  private applyState(state: NodeState): void {
    const change = diffState(this.nodes.get(state.from)?.participants ?? [], state.participants);
    this.nodes.set(state.from, state);
    for (const info of change.admitted) this.visit.announceRemoteJoined(info);
    if (change.waitingChanged) this.visit.waitingRoomChanged();
    for (const p of state.producers) this.syncPaused(this.visit.media?.pipes.producers.get(p.producerId), p.paused);
    this.syncPipes();
  }

  private syncPaused(piped: PipedProducer | undefined, paused: boolean): void {
    if (!piped || piped.closed || piped.paused === paused) return;
    (paused ? piped.pause() : piped.resume()).catch(() => undefined);
  }

  /** Pipes in what the viewers here need (pipe-plan.ts) and closes what is no longer announced. */
  private syncPipes(): void {
    const media = this.visit.media;
    if (!media || media.isClosed) return;
    const announced = new Map([...this.nodes.values()].map((n) => [n.from, n.producers.map((p) => p.producerId)]));
    const piped = new Map(media.pipedProducers().map((p) => [p.id, p.appData.fromNode]));
    const plan = planPipes({ localViewers: this.visit.admittedCount(), announced, piped });
    for (const id of plan.close) media.pipes.closeProducer(id);
    for (const { nodeId, producerId } of plan.pull) {
      const url = this.nodes.get(nodeId)!.url;
      const call = (path: string, body: object) => callPeer({ url, path, body: { visitId: this.visitId, ...body }, secret: this.o.secret, nodeId: this.o.nodeId, timeoutMs: this.o.timeoutMs });
      media.pipes.pull(nodeId, producerId, call).then((producer) => {
        if (!producer || this.closed) return;
        const announcedNow = this.nodes.get(nodeId)?.producers.find((p) => p.producerId === producerId);
        if (!announcedNow) return void producer.close();
        this.syncPaused(producer, announcedNow.paused);
        this.visit.announcePiped(announcedNow);
      }, (err: unknown) => {
        if (!this.closed) this.log.warn({ from: nodeId, producerId, err: (err as Error).message }, 'piping a producer in failed; tried again on the next change');
      });
    }
  }

  /**
   * Every `refreshMs`: keep this node's part registered; a peer whose heartbeat
   * expired is dropped. A visit with no peer (on this node alone) has none to
   * look up: one registry call, not two.
   */
  private async refresh(): Promise<void> {
    try {
      await this.o.registry.addVisitNode(this.visitId, this.o.nodeId, this.o.internalUrl, this.ttlMs);
      if (this.closed) return void this.o.registry.removeVisitNode(this.visitId, this.o.nodeId).catch(() => undefined);
      if (this.nodes.size === 0) return;
      const live = await this.o.registry.visitNodes(this.visitId);
      if (this.closed) return;
      for (const nodeId of [...this.nodes.keys()]) if (!live.has(nodeId)) this.dropNode(nodeId, 'disconnected');
      this.syncPipes();
    } catch (err) {
      if (!this.closed) this.log.warn({ err: (err as Error).message }, 'cascade refresh failed');
    }
  }

  /**
   * A node left the visit (bye: its participants' leaves came before it) or
   * died (`reason`: its participants are announced gone here). Its pipes close.
   */
  private dropNode(nodeId: string, reason: LeaveReason | undefined): void {
    const state = this.nodes.get(nodeId);
    this.nodes.delete(nodeId);
    this.visit.media?.pipes.closePeer(nodeId);
    if (!state) return;
    if (reason) {
      this.log.warn({ node: nodeId }, 'a node of this visit is gone; its participants leave here');
      for (const p of state.participants.filter((x) => x.admission === 'admitted')) {
        for (const producer of state.producers.filter((x) => x.participantId === p.participantId)) {
          this.visit.deliverForwarded('producerClosed', { producerId: producer.producerId, participantId: p.participantId });
        }
        this.visit.deliverForwarded('participantLeft', { participantId: p.participantId, reason });
      }
    }
    if (state.participants.some((p) => p.admission === 'waiting')) this.visit.waitingRoomChanged();
  }

  private publish(message: CascadeMessage): void {
    this.o.bus.publish(this.visitId, message).catch((err: unknown) => {
      if (!this.closed) this.log.warn({ type: message.type, err: (err as Error).message }, 'cascade publish failed');
    });
  }
}

