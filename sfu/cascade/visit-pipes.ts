import type { types } from 'mediasoup';
import { ErrorCode, VisitwireError, withTimeout } from '../../common/errors.ts';
import type { MediaKind, MediaSource } from '../../common/media.ts';
import { keepUntilClosed } from '../participant-media.ts';
import type { ProducerMeta, VisitMedia } from '../visit-media.ts';

/** One end of a pipe: its address and SRTP keys, as the other end connects to it. */
export interface PipeEnd { ip: string; port: number; srtpParameters: types.SrtpParameters }

/** What the publishing node answers for a producer piped to another node. */
export interface PipedProducerParams {
  kind: MediaKind;
  rtpParameters: types.RtpParameters;
  paused: boolean;
  participantId: string;
  source?: MediaSource;
}

/** `out`: this node pulls producers through it (they arrive as piped producers); `in`: a peer node pulls through it (pipe consumers). */
type PipeMeta = { peer: string; side: 'in' | 'out' };
export type PipeTransport = types.PipeTransport<PipeMeta>;
export type PipedProducer = types.Producer<ProducerMeta & { fromNode: string }>;
type PipeConsumer = types.Consumer<{ peer: string }>;

/** Calls the peer node's internal API (sfu/cascade/internal-client.ts). */
export type PeerCall = (path: string, body: object) => Promise<unknown>;

/**
 * A visit's pipes to the other nodes holding it, owned like the rest of its
 * media: per peer node at most one `out` transport (this node pulls through
 * it; it owns the piped producers) and one `in` transport (the peer pulls
 * through it; it owns the pipe consumers). Each side sets up its own pulls,
 * so two nodes never race to create the same transport. Closing a transport
 * closes what is on it; every object leaves these maps when it closes,
 * whoever closed it; an answer after the visit closed is closed at once.
 */
export class VisitPipes {
  private readonly transports = new Map<string, PipeTransport>();
  readonly producers = new Map<string, PipedProducer>();
  private readonly consumers = new Map<string, PipeConsumer>();
  private readonly outgoing = new Map<string, Promise<PipeTransport>>();
  private readonly pulls = new Map<string, Promise<PipedProducer | undefined>>();

  constructor(private readonly media: VisitMedia) {}

  /** Ids of every pipe object (census). */
  ids(): string[] {
    return [...this.transports.keys(), ...this.producers.keys(), ...this.consumers.keys()];
  }

  counts(): { transports: number; producers: number; consumers: number } {
    return { transports: this.transports.size, producers: this.producers.size, consumers: this.consumers.size };
  }

  /** Peer nodes that pull this local producer (their viewers count for layer trimming). */
  pipedTo(producerId: string): string[] {
    return [...this.consumers.values()].filter((c) => c.producerId === producerId && !c.closed).map((c) => c.appData.peer);
  }

  /** Peers this visit has pipes with. */
  peers(): string[] {
    return [...new Set([...this.transports.values()].map((t) => t.appData.peer))];
  }

  /** A peer opens a pipe to pull from this node: a fresh `in` transport replaces any earlier one from that peer. */
  async acceptPipe(peer: string, remote: PipeEnd): Promise<PipeEnd> {
    this.transport(peer, 'in')?.close();
    const transport = await this.create('createPipeTransport', this.newTransport(peer, 'in'));
    keepUntilClosed(this.transports, transport);
    try {
      await this.call(transport.connect(remote), 'connectPipeTransport');
    } catch (err) {
      transport.close();
      throw err;
    }
    return this.end(transport);
  }

  /** A peer pulls a local producer through its `in` transport. */
  async consumeFor(peer: string, producerId: string): Promise<PipedProducerParams> {
    const transport = this.transport(peer, 'in');
    if (!transport) throw new VisitwireError(ErrorCode.NOT_FOUND, 'no pipe from this node: open one first');
    const producer = this.media.producers().find((p) => p.id === producerId);
    if (!producer) throw new VisitwireError(ErrorCode.NOT_FOUND, 'unknown producer');
    for (const c of this.consumers.values()) if (c.producerId === producerId && c.appData.peer === peer) c.close();
    const consumer = await this.create('pipeConsume', transport.consume<{ peer: string }>({ producerId, appData: { peer } }));
    if (consumer.closed) throw new VisitwireError(ErrorCode.NOT_FOUND, 'the producer closed');
    keepUntilClosed(this.consumers, consumer);
    return {
      kind: consumer.kind, rtpParameters: consumer.rtpParameters, paused: consumer.producerPaused,
      participantId: producer.appData.participantId, source: producer.appData.source,
    };
  }

  /**
   * Pipes a producer of `peer` to this node (once; concurrent calls share the
   * request). Resolves with the piped producer, or undefined when the visit
   * or the pipe closed meanwhile.
   */
  pull(peer: string, producerId: string, call: PeerCall): Promise<PipedProducer | undefined> {
    const existing = this.producers.get(producerId);
    if (existing) return Promise.resolve(existing);
    let pull = this.pulls.get(producerId);
    if (!pull) {
      pull = this.pullOnce(peer, producerId, call).finally(() => this.pulls.delete(producerId));
      this.pulls.set(producerId, pull);
    }
    return pull;
  }

  /** Closes a piped producer (its publisher's node no longer announces it); its local consumers close with it. */
  closeProducer(producerId: string): void {
    this.producers.get(producerId)?.close();
  }

  /** Closes both transports with `peer` and so everything piped either way. */
  closePeer(peer: string): void {
    this.outgoing.delete(peer);
    for (const t of [...this.transports.values()]) if (t.appData.peer === peer) t.close();
  }

  close(): void {
    for (const t of [...this.transports.values()]) t.close();
    this.outgoing.clear();
  }

  private async pullOnce(peer: string, producerId: string, call: PeerCall): Promise<PipedProducer | undefined> {
    const transport = await this.outgoingTo(peer, call);
    const params = await call('/internal/v1/pipes/consume', { producerId }) as PipedProducerParams;
    if (transport.closed || this.media.isClosed) return undefined;
    const producer = await this.create('pipeProduce', transport.produce<PipedProducer['appData']>({
      id: producerId, kind: params.kind, rtpParameters: params.rtpParameters, paused: params.paused,
      appData: { participantId: params.participantId, source: params.source, fromNode: peer },
    }));
    keepUntilClosed(this.producers, producer);
    return producer;
  }

  private outgoingTo(peer: string, call: PeerCall): Promise<PipeTransport> {
    const open = this.transport(peer, 'out');
    if (open) return Promise.resolve(open);
    let pending = this.outgoing.get(peer);
    if (!pending) {
      pending = (async () => {
        const transport = await this.create('createPipeTransport', this.newTransport(peer, 'out'));
        keepUntilClosed(this.transports, transport);
        try {
          const remote = await call('/internal/v1/pipes', this.end(transport)) as PipeEnd;
          await this.call(transport.connect(remote), 'connectPipeTransport');
        } catch (err) {
          transport.close(); // never left half set up: the next pull opens a new one
          throw err;
        }
        return transport;
      })();
      pending.catch(() => undefined).finally(() => { if (this.outgoing.get(peer) === pending) this.outgoing.delete(peer); });
      this.outgoing.set(peer, pending);
    }
    return pending;
  }

  private newTransport(peer: string, side: 'in' | 'out'): Promise<PipeTransport> {
    const { listenIp, announcedAddress, pipeAddress } = this.media.config;
    return this.media.router.createPipeTransport<PipeMeta>({
      listenInfo: { protocol: 'udp', ip: listenIp, announcedAddress: pipeAddress ?? announcedAddress }, enableSrtp: true, enableSctp: false, appData: { peer, side },
    });
  }

  private end(transport: PipeTransport): PipeEnd {
    return { ip: transport.tuple.localAddress, port: transport.tuple.localPort, srtpParameters: transport.srtpParameters! };
  }

  private transport(peer: string, side: 'in' | 'out'): PipeTransport | undefined {
    for (const t of this.transports.values()) if (t.appData.peer === peer && t.appData.side === side && !t.closed) return t;
    return undefined;
  }

  /** A created object, closed at once when the visit closed meanwhile or it came too late. */
  private async create<T extends { close(): void }>(what: string, request: Promise<T>): Promise<T> {
    const object = await this.call(this.media.track(request), what, (late) => late.close());
    if (this.media.isClosed) {
      object.close();
      throw new VisitwireError(ErrorCode.UNAVAILABLE, 'the visit media closed');
    }
    return object;
  }

  private call<T>(request: Promise<T>, what: string, onLate?: (late: T) => void): Promise<T> {
    return withTimeout(request, this.media.config.requestTimeoutMs, what, onLate);
  }
}
