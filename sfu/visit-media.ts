import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import type { MediaConfig } from '../common/config.ts';
import { ErrorCode, VisitwireError, withTimeout } from '../common/errors.ts';
import type { ConsumerInfo, MediaSource, TransportInfo } from '../signaling/protocol.ts';
import { MEDIA_CODECS } from './codecs.ts';
import type { WorkerPool, WorkerSlot } from './worker-pool.ts';

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

interface ParticipantMedia {
  transports: Map<string, types.WebRtcTransport>;
  producers: Map<string, types.Producer<ProducerMeta>>;
  consumers: Map<string, types.Consumer<ConsumerMeta>>;
  /** Latest send-side bandwidth estimate (bps) towards this participant, from mediasoup's `bwe` trace. */
  downlinkEstimate?: number;
}

interface VisitMediaEvents {
  /** A consumer closed because its producer or transport closed; tell its participant. */
  consumerClosed: [participantId: string, consumerId: string, producerId: string];
}

const MAX_PRODUCERS_PER_PARTICIPANT = 3;

/** A visit's media on this node: one mediasoup Router and each participant's transports, producers and consumers. */
export class VisitMedia extends EventEmitter<VisitMediaEvents> {
  private readonly participants = new Map<string, ParticipantMedia>();
  private closed = false;

  private constructor(
    readonly router: types.Router,
    readonly slot: WorkerSlot,
    private readonly config: MediaConfig,
  ) {
    super();
  }

  static async create(pool: WorkerPool, config: MediaConfig, visitId: string): Promise<VisitMedia> {
    const slot = pool.pick();
    if (!slot) throw new VisitwireError(ErrorCode.UNAVAILABLE, 'no media worker is running');
    const router = await withTimeout(slot.worker.createRouter({ mediaCodecs: MEDIA_CODECS, appData: { visitId } }), config.requestTimeoutMs, 'createRouter');
    slot.routers++;
    router.observer.once('close', () => slot.routers--);
    return new VisitMedia(router, slot, config);
  }

  get rtpCapabilities(): types.RtpCapabilities {
    return this.router.rtpCapabilities;
  }

  get isClosed(): boolean {
    return this.closed || this.router.closed;
  }

  producers(): types.Producer<ProducerMeta>[] {
    return [...this.participants.values()].flatMap((p) => [...p.producers.values()]);
  }

  consumers(): types.Consumer<ConsumerMeta>[] {
    return [...this.participants.values()].flatMap((p) => [...p.consumers.values()]);
  }

  consumersOf(participantId: string): types.Consumer<ConsumerMeta>[] {
    return [...(this.participants.get(participantId)?.consumers.values() ?? [])];
  }

  downlinkEstimate(participantId: string): number | undefined {
    return this.participants.get(participantId)?.downlinkEstimate;
  }

  participantIds(): string[] {
    return [...this.participants.keys()];
  }

  transportsOf(participantId: string): types.WebRtcTransport[] {
    return [...(this.participants.get(participantId)?.transports.values() ?? [])];
  }

  async createTransport(participantId: string, direction: 'send' | 'recv'): Promise<TransportInfo> {
    const media = this.media(participantId);
    if ([...media.transports.values()].some((t) => t.appData.direction === direction)) {
      throw new VisitwireError(ErrorCode.LIMIT_EXCEEDED, `a ${direction} transport already exists`);
    }
    const transport = await this.timed(this.router.createWebRtcTransport({
      webRtcServer: this.slot.webRtcServer,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: this.config.initialAvailableOutgoingBitrate,
      appData: { direction, participantId },
    }), 'createWebRtcTransport', false);
    if (this.closed) { transport.close(); throw new VisitwireError(ErrorCode.UNAVAILABLE, 'visit media closed'); }
    media.transports.set(transport.id, transport);
    transport.observer.once('close', () => media.transports.delete(transport.id));
    if (direction === 'recv') {
      transport.on('trace', (trace) => {
        const info = trace.info as { availableBitrate?: number };
        if (trace.type === 'bwe' && typeof info.availableBitrate === 'number') media.downlinkEstimate = info.availableBitrate;
      });
      await this.timed(transport.enableTraceEvent(['bwe']), 'enableTraceEvent', false);
    }
    return { id: transport.id, iceParameters: transport.iceParameters, iceCandidates: transport.iceCandidates, dtlsParameters: transport.dtlsParameters };
  }

  async connectTransport(participantId: string, transportId: string, dtlsParameters: types.DtlsParameters): Promise<void> {
    await this.timed(this.transport(participantId, transportId).connect({ dtlsParameters }), 'connectTransport');
  }

  async produce(participantId: string, o: { transportId: string; kind: types.MediaKind; rtpParameters: types.RtpParameters; source?: MediaSource; paused?: boolean }): Promise<types.Producer<ProducerMeta>> {
    const media = this.media(participantId);
    const transport = this.transport(participantId, o.transportId);
    if (transport.appData.direction !== 'send') throw new VisitwireError(ErrorCode.BAD_REQUEST, 'produce needs a send transport');
    if (media.producers.size >= MAX_PRODUCERS_PER_PARTICIPANT) throw new VisitwireError(ErrorCode.LIMIT_EXCEEDED, `at most ${MAX_PRODUCERS_PER_PARTICIPANT} producers`);
    const producer = await this.timed(transport.produce<ProducerMeta>({
      kind: o.kind, rtpParameters: o.rtpParameters, paused: o.paused, appData: { participantId, source: o.source },
    }), 'produce');
    media.producers.set(producer.id, producer);
    producer.observer.once('close', () => media.producers.delete(producer.id));
    return producer;
  }

  async consume(participantId: string, o: { transportId: string; producerId: string; rtpCapabilities: types.RtpCapabilities }): Promise<ConsumerInfo> {
    const media = this.media(participantId);
    const transport = this.transport(participantId, o.transportId);
    if (transport.appData.direction !== 'recv') throw new VisitwireError(ErrorCode.BAD_REQUEST, 'consume needs a recv transport');
    const producer = this.producers().find((p) => p.id === o.producerId);
    if (!producer) throw new VisitwireError(ErrorCode.NOT_FOUND, 'unknown producer');
    if (producer.appData.participantId === participantId) throw new VisitwireError(ErrorCode.BAD_REQUEST, 'cannot consume your own producer');
    if ([...media.consumers.values()].some((c) => c.producerId === producer.id)) throw new VisitwireError(ErrorCode.BAD_REQUEST, 'already consuming this producer');
    if (!this.router.canConsume({ producerId: producer.id, rtpCapabilities: o.rtpCapabilities })) {
      throw new VisitwireError(ErrorCode.CANNOT_CONSUME, 'these rtpCapabilities cannot receive this producer');
    }
    const consumer = await this.timed(transport.consume<ConsumerMeta>({
      producerId: producer.id, rtpCapabilities: o.rtpCapabilities, paused: true,
      appData: { participantId, producerParticipantId: producer.appData.participantId },
    }), 'consume');
    media.consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => media.consumers.delete(consumer.id));
    const closedByProducer = () => this.emit('consumerClosed', participantId, consumer.id, consumer.producerId);
    consumer.on('producerclose', closedByProducer);
    consumer.on('transportclose', closedByProducer);
    return {
      consumerId: consumer.id, producerId: producer.id, participantId: producer.appData.participantId,
      kind: consumer.kind, rtpParameters: consumer.rtpParameters, producerPaused: consumer.producerPaused,
    };
  }

  async resumeConsumer(participantId: string, consumerId: string): Promise<void> {
    const consumer = this.media(participantId).consumers.get(consumerId);
    if (!consumer) throw new VisitwireError(ErrorCode.NOT_FOUND, 'unknown consumer');
    consumer.appData.clientReady = true;
    if (!consumer.appData.policyPaused) await this.timed(consumer.resume(), 'resumeConsumer');
  }

  async setProducerPaused(participantId: string, producerId: string, paused: boolean): Promise<types.Producer<ProducerMeta>> {
    const producer = this.media(participantId).producers.get(producerId);
    if (!producer) throw new VisitwireError(ErrorCode.NOT_FOUND, 'unknown producer');
    producer.appData.muted = paused;
    if (paused || !producer.appData.uplinkStopped) await this.timed(paused ? producer.pause() : producer.resume(), paused ? 'pauseProducer' : 'resumeProducer');
    return producer;
  }

  /** Closes everything a participant holds; their producers' consumers close with them. */
  closeParticipant(participantId: string): void {
    const media = this.participants.get(participantId);
    if (!media) return;
    for (const transport of media.transports.values()) transport.close();
    this.participants.delete(participantId);
  }

  close(): void {
    this.closed = true;
    this.participants.clear();
    if (!this.router.closed) this.router.close();
  }

  private media(participantId: string): ParticipantMedia {
    if (this.closed) throw new VisitwireError(ErrorCode.UNAVAILABLE, 'visit media closed');
    let media = this.participants.get(participantId);
    if (!media) {
      media = { transports: new Map(), producers: new Map(), consumers: new Map() };
      this.participants.set(participantId, media);
    }
    return media;
  }

  private transport(participantId: string, transportId: string): types.WebRtcTransport {
    const transport = this.media(participantId).transports.get(transportId);
    if (!transport) throw new VisitwireError(ErrorCode.NOT_FOUND, 'unknown transport');
    return transport;
  }

  /**
   * Times a worker request out. When the request carries client input, mediasoup's
   * rejection of it (validation in Node or in the worker) becomes BAD_REQUEST.
   */
  private async timed<T>(p: Promise<T>, what: string, fromClientInput = true): Promise<T> {
    try {
      return await withTimeout(p, this.config.requestTimeoutMs, what);
    } catch (err) {
      if (err instanceof VisitwireError || !fromClientInput) throw err;
      throw new VisitwireError(ErrorCode.BAD_REQUEST, `${what} rejected: ${(err as Error).message}`);
    }
  }
}
