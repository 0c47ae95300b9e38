import type { types } from 'mediasoup';
import { ErrorCode, VisitwireError, withTimeout } from '../common/errors.ts';
import type { ConsumerInfo, MediaKind, MediaSource, TransportInfo } from '../common/media.ts';
import { mediaMetrics } from './media-metrics.ts';
import type { VisitMedia } from './visit-media.ts';

export type ProducerMeta = {
  participantId: string;
  source?: MediaSource;
  /** Paused by its owner (muted). */
  muted?: boolean;
  /** Paused by the SFU because the owner's uplink cannot carry video. */
  uplinkStopped?: boolean;
};
export type ConsumerMeta = {
  participantId: string;
  producerParticipantId: string;
  /** The client has wired the track and asked for media (resumeConsumer). */
  clientReady?: boolean;
  /** Paused by the layer policy (audio-only fallback). */
  policyPaused?: boolean;
};
type TransportMeta = { participantId: string; direction: 'send' | 'recv' };

export type Transport = types.WebRtcTransport<TransportMeta>;
export type Producer = types.Producer<ProducerMeta>;
export type Consumer = types.Consumer<ConsumerMeta>;

const MAX_PRODUCERS_PER_PARTICIPANT = 3;

/**
 * One participant's media in a visit, owned the way mediasoup owns it: the
 * participant's transports, and through them its producers and consumers.
 * `close()` closes the transports, which closes everything on them; every
 * object leaves these maps when it closes, whoever closed it. An object that
 * the worker answers with after this participant closed, or after its request
 * timed out, is closed at once.
 */
export class ParticipantMedia {
  readonly transports = new Map<string, Transport>();
  readonly producers = new Map<string, Producer>();
  readonly consumers = new Map<string, Consumer>();
  /** Latest send-side bandwidth estimate (bps) towards this participant, from mediasoup's `bwe` trace. */
  downlinkEstimate?: number;
  private isClosed = false;

  constructor(readonly participantId: string, private readonly visit: VisitMedia) {}

  get closed(): boolean {
    return this.isClosed;
  }

  async createTransport(direction: 'send' | 'recv'): Promise<TransportInfo> {
    this.checkOpen();
    if (this.transportFor(direction)) throw new VisitwireError(ErrorCode.LIMIT_EXCEEDED, `a ${direction} transport already exists`);
    const transport = await this.create(this.visit.router.createWebRtcTransport<TransportMeta>({
      webRtcServer: this.visit.slot.webRtcServer,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: this.visit.config.initialAvailableOutgoingBitrate,
      appData: { direction, participantId: this.participantId },
    }), 'createWebRtcTransport', false);
    if (this.transportFor(direction)) {
      transport.close();
      throw new VisitwireError(ErrorCode.LIMIT_EXCEEDED, `a ${direction} transport already exists`);
    }
    keepUntilClosed(this.transports, transport);
    if (direction === 'recv') {
      transport.on('trace', (trace) => {
        const info = trace.info as { availableBitrate?: number };
        if (trace.type !== 'bwe' || typeof info.availableBitrate !== 'number') return;
        this.downlinkEstimate = info.availableBitrate;
        this.visit.emit('downlinkEstimate', this.participantId, info.availableBitrate);
      });
      await this.call(transport.enableTraceEvent(['bwe']), 'enableTraceEvent', false);
    }
    return { id: transport.id, iceParameters: transport.iceParameters, iceCandidates: transport.iceCandidates, dtlsParameters: transport.dtlsParameters };
  }

  /** What the SFU sends this participant now (bps: media, retransmissions, probation), from its recv transport's stats. */
  async sendBitrate(): Promise<number | undefined> {
    const transport = this.transportFor('recv');
    if (!transport || transport.closed) return undefined;
    const [stats] = await transport.getStats().catch(() => []);
    return stats?.sendBitrate;
  }

  async connectTransport(transportId: string, dtlsParameters: types.DtlsParameters): Promise<void> {
    await this.call(this.transport(transportId).connect({ dtlsParameters }), 'connectTransport', true);
  }

  /** New ICE parameters for a transport whose ICE went disconnected or failed (a network change). */
  async restartIce(transportId: string): Promise<types.IceParameters> {
    return this.call(this.transport(transportId).restartIce(), 'restartIce', false);
  }

  async produce(o: { transportId: string; kind: MediaKind; rtpParameters: types.RtpParameters; source?: MediaSource; paused?: boolean }): Promise<Producer> {
    const transport = this.transport(o.transportId);
    if (transport.appData.direction !== 'send') throw new VisitwireError(ErrorCode.BAD_REQUEST, 'produce needs a send transport');
    if (this.producers.size >= MAX_PRODUCERS_PER_PARTICIPANT) throw new VisitwireError(ErrorCode.LIMIT_EXCEEDED, `at most ${MAX_PRODUCERS_PER_PARTICIPANT} producers`);
    const producer = await this.create(transport.produce<ProducerMeta>({
      kind: o.kind, rtpParameters: o.rtpParameters, paused: o.paused, appData: { participantId: this.participantId, source: o.source },
    }), 'produce', true);
    keepUntilClosed(this.producers, producer);
    return producer;
  }

  async consume(o: { transportId: string; producerId: string; rtpCapabilities: types.RtpCapabilities }): Promise<ConsumerInfo> {
    const transport = this.transport(o.transportId);
    if (transport.appData.direction !== 'recv') throw new VisitwireError(ErrorCode.BAD_REQUEST, 'consume needs a recv transport');
    const producer = this.visit.findProducer(o.producerId);
    if (!producer) throw new VisitwireError(ErrorCode.NOT_FOUND, 'unknown producer');
    if (producer.appData.participantId === this.participantId) throw new VisitwireError(ErrorCode.BAD_REQUEST, 'cannot consume your own producer');
    if (this.consuming(producer.id)) throw new VisitwireError(ErrorCode.BAD_REQUEST, 'already consuming this producer');
    if (!this.visit.router.canConsume({ producerId: producer.id, rtpCapabilities: o.rtpCapabilities })) {
      throw new VisitwireError(ErrorCode.CANNOT_CONSUME, 'these rtpCapabilities cannot receive this producer');
    }
    const consumer = await this.create(transport.consume<ConsumerMeta>({
      producerId: producer.id, rtpCapabilities: o.rtpCapabilities, paused: true,
      appData: { participantId: this.participantId, producerParticipantId: producer.appData.participantId },
    }), 'consume', true);
    // The producer may have closed while the worker answered: the consumer closed with it.
    if (consumer.closed || this.consuming(producer.id)) {
      consumer.close();
      throw new VisitwireError(consumer.closed ? ErrorCode.NOT_FOUND : ErrorCode.BAD_REQUEST, consumer.closed ? 'the producer closed' : 'already consuming this producer');
    }
    keepUntilClosed(this.consumers, consumer);
    mediaMetrics.watchFirstPacket(consumer);
    consumer.on('producerclose', () => this.visit.emit('consumerClosed', this.participantId, consumer.id, consumer.producerId));
    return {
      consumerId: consumer.id, producerId: producer.id, participantId: producer.appData.participantId,
      kind: consumer.kind, rtpParameters: consumer.rtpParameters, producerPaused: consumer.producerPaused,
    };
  }

  async resumeConsumer(consumerId: string): Promise<void> {
    const consumer = this.consumers.get(consumerId);
    if (!consumer) throw new VisitwireError(ErrorCode.NOT_FOUND, 'unknown consumer');
    consumer.appData.clientReady = true;
    if (!consumer.appData.policyPaused) await this.call(consumer.resume(), 'resumeConsumer', false);
  }

  async setProducerPaused(producerId: string, paused: boolean): Promise<Producer> {
    const producer = this.producers.get(producerId);
    if (!producer) throw new VisitwireError(ErrorCode.NOT_FOUND, 'unknown producer');
    producer.appData.muted = paused;
    if (paused || !producer.appData.uplinkStopped) await this.call(paused ? producer.pause() : producer.resume(), paused ? 'pauseProducer' : 'resumeProducer', false);
    return producer;
  }

  /** Closes the transports and, with them, every producer and consumer; idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const transport of [...this.transports.values()]) transport.close();
    this.transports.clear();
    this.producers.clear();
    this.consumers.clear();
  }

  private checkOpen(): void {
    if (this.isClosed) throw new VisitwireError(ErrorCode.NOT_JOINED, 'the participant has left');
  }

  private transportFor(direction: 'send' | 'recv'): Transport | undefined {
    return [...this.transports.values()].find((t) => t.appData.direction === direction);
  }

  private transport(transportId: string): Transport {
    this.checkOpen();
    const transport = this.transports.get(transportId);
    if (!transport) throw new VisitwireError(ErrorCode.NOT_FOUND, 'unknown transport');
    return transport;
  }

  private consuming(producerId: string): boolean {
    return [...this.consumers.values()].some((c) => c.producerId === producerId);
  }

  /**
   * Awaits a worker request that creates an object. A late answer (after the
   * timeout) and an answer after this participant closed are closed at once.
   */
  private async create<T extends { close(): void }>(request: Promise<T>, what: string, fromClientInput: boolean): Promise<T> {
    const object = await this.call(this.visit.track(request), what, fromClientInput, (late) => late.close());
    if (this.isClosed) {
      object.close();
      this.checkOpen();
    }
    return object;
  }

  /**
   * Times a worker request out. When the request carries client input, mediasoup's
   * rejection of it (validation in Node or in the worker) becomes BAD_REQUEST.
   */
  private async call<T>(request: Promise<T>, what: string, fromClientInput: boolean, onLate?: (late: T) => void): Promise<T> {
    try {
      return await withTimeout(request, this.visit.config.requestTimeoutMs, what, onLate);
    } catch (err) {
      this.checkOpen(); // the participant left meanwhile: that, not the worker's answer, is the reason
      if (err instanceof VisitwireError || !fromClientInput) throw err;
      throw new VisitwireError(ErrorCode.BAD_REQUEST, `${what} rejected: ${(err as Error).message}`);
    }
  }
}

/** Keeps a mediasoup object in `map` until it closes, by whoever closes it. */
export function keepUntilClosed<T extends { id: string; observer: { once(event: 'close', listener: () => void): unknown } }>(map: Map<string, T>, object: T): void {
  map.set(object.id, object);
  object.observer.once('close', () => map.delete(object.id));
}
