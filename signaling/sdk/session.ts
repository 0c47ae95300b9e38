import { Device, type types } from 'mediasoup-client';
import type { ClientMessage, ClientReplies, ConsumerInfo, ProducerInfo, TransportInfo } from '../protocol.ts';
import { VisitError } from './errors.ts';
import type { MediaKind, RemoteTrack } from './events.ts';
import { chooseIceServers, type ResolvedJoinOptions } from './options.ts';
import type { Signal } from './signal.ts';
import { AUDIO_CODEC_OPTIONS, SIMULCAST_ENCODINGS, VIDEO_CODEC_OPTIONS } from './simulcast.ts';

type Direction = 'send' | 'recv';
/** ICE restarts tried on a transport before it counts as failed. */
const MAX_ICE_RESTARTS = 2;

/** A consumed remote track and the mediasoup-client Consumer behind it. */
export interface Consumed {
  remote: RemoteTrack;
  consumer: types.Consumer;
}

/**
 * The media of one join: a loaded Device, the send and receive transports
 * (created when first needed), producers by kind and consumers by producer.
 * A rejoin throws the session away and makes a new one.
 */
export class MediaSession {
  readonly producers = new Map<MediaKind, Promise<types.Producer>>();
  /** Consumed producers, by producer id. */
  readonly consumers = new Map<string, Consumed>();
  private readonly consuming = new Set<string>();
  private readonly closedProducers = new Set<string>();
  private readonly transports: Partial<Record<Direction, Promise<types.Transport>>> = {};
  private open = true;
  /** ICE restarts made per transport since it was last connected. */
  private readonly iceRestarts = new Map<string, number>();
  private readonly restarting = new Set<string>();
  /** Called when a transport's ICE or DTLS fails and ICE restarts did not bring it back. */
  onTransportFailed: (direction: Direction) => void = () => undefined;
  /** Called when a new transport has not connected within the connect timeout: no path to the media server (a firewall, no TURN). */
  onUnreachable: (error: VisitError) => void = () => undefined;

  private constructor(
    private readonly device: Device,
    private readonly signal: Signal,
    private readonly iceServers: RTCIceServer[],
    private readonly connectTimeoutMs: number,
  ) {}

  /**
   * A session for a join answer. ICE servers: the app's when it gave some,
   * else the node's (TURN beside it, credentials in the join answer), else
   * the router's (`routeIceServers`: of the route this join followed).
   */
  static async create(signal: Signal, reply: ClientReplies['join'], o: Pick<ResolvedJoinOptions, 'iceServers' | 'routeIceServers' | 'connectTimeoutMs'>, routeIceServers = o.routeIceServers): Promise<MediaSession> {
    let device: Device;
    try {
      device = await Device.factory();
      await device.load({ routerRtpCapabilities: reply.routerRtpCapabilities as types.RtpCapabilities });
    } catch (err) {
      throw new VisitError('MEDIA', `this browser cannot take part in a visit: ${(err as Error).message}`);
    }
    const iceServers = chooseIceServers(o.iceServers, reply.iceServers as RTCIceServer[] | undefined, routeIceServers);
    return new MediaSession(device, signal, iceServers, o.connectTimeoutMs);
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Publishes a track (VP8 simulcast for video); a second track of a kind replaces the first. */
  produce(kind: MediaKind, track: MediaStreamTrack, paused: boolean): Promise<types.Producer> {
    const existing = this.producers.get(kind);
    if (existing) {
      return existing.then(async (producer) => {
        await producer.replaceTrack({ track });
        return producer;
      });
    }
    const created = (async () => {
      const transport = await this.transport('send');
      const source = kind === 'audio' ? 'microphone' : 'camera';
      const vp8 = this.device.sendRtpCapabilities.codecs?.find((c) => c.mimeType.toLowerCase() === 'video/vp8');
      const producer = await transport.produce(kind === 'video'
        ? { track, encodings: SIMULCAST_ENCODINGS, codec: vp8, codecOptions: VIDEO_CODEC_OPTIONS, stopTracks: false, zeroRtpOnPause: true, appData: { source, paused } }
        : { track, codecOptions: AUDIO_CODEC_OPTIONS, stopTracks: false, appData: { source, paused } });
      if (!this.open) {
        producer.close();
        throw new VisitError('CLOSED', 'the visit media was closed while publishing');
      }
      // The server made it paused (appData.paused); pause the sender here to match.
      if (paused) producer.pause();
      return producer;
    })();
    this.producers.set(kind, created);
    created.catch(() => { if (this.producers.get(kind) === created) this.producers.delete(kind); });
    return created;
  }

  /**
   * Subscribes to a remote producer. Resolves undefined when there is nothing
   * to do: already consumed, closed meanwhile, or this session is over.
   */
  async consume(p: ProducerInfo): Promise<Consumed | undefined> {
    if (!this.open || this.consumers.has(p.producerId) || this.consuming.has(p.producerId) || this.closedProducers.has(p.producerId)) return undefined;
    this.consuming.add(p.producerId);
    try {
      const transport = await this.transport('recv');
      let info: ConsumerInfo;
      try {
        info = await this.signal.request('consume', {
          transportId: transport.id, producerId: p.producerId, rtpCapabilities: this.device.recvRtpCapabilities as ClientMessage<'consume'>['rtpCapabilities'],
        });
      } catch (err) {
        // The producer went away between its announcement and our request: nothing to consume.
        if (err instanceof VisitError && err.code === 'NOT_FOUND') return undefined;
        throw err;
      }
      const consumer = await transport.consume({
        id: info.consumerId, producerId: info.producerId, kind: info.kind,
        rtpParameters: info.rtpParameters as types.RtpParameters,
        // One stream per participant: the browser keeps their audio and video in sync.
        streamId: info.participantId,
      });
      if (!this.open || this.closedProducers.has(p.producerId)) {
        consumer.close();
        return undefined;
      }
      const remote: RemoteTrack = {
        participantId: info.participantId, kind: info.kind, track: consumer.track,
        consumerId: consumer.id, producerId: info.producerId, paused: info.producerPaused,
      };
      const consumed = { remote, consumer };
      this.consumers.set(p.producerId, consumed);
      return consumed;
    } finally {
      this.consuming.delete(p.producerId);
    }
  }

  /** Stops receiving a producer's track (it closed, or its participant left); returns what ended. */
  end(producerId: string): Consumed | undefined {
    this.closedProducers.add(producerId);
    const consumed = this.consumers.get(producerId);
    if (!consumed) return undefined;
    this.consumers.delete(producerId);
    consumed.consumer.close();
    return consumed;
  }

  /** Ends the tracks of one participant; returns what ended. */
  endParticipant(participantId: string): Consumed[] {
    return [...this.consumers.values()]
      .filter((c) => c.remote.participantId === participantId)
      .map((c) => this.end(c.remote.producerId))
      .filter((c): c is Consumed => c !== undefined);
  }

  /** Closes transports, producers (not their tracks) and consumers; returns the remote tracks that ended. */
  close(): Consumed[] {
    if (!this.open) return [];
    this.open = false;
    const ended = [...this.consumers.values()];
    this.consumers.clear();
    for (const c of ended) c.consumer.close();
    for (const t of Object.values(this.transports)) void t?.then((transport) => transport.close(), () => undefined);
    return ended;
  }

  /**
   * A network change (Wi-Fi to 4G) broke the transport's ICE: new ICE
   * parameters from the server, applied here, keep the same transport, producers
   * and consumers. A transport that fails again after its restarts, or whose
   * restart is refused, is reported (onTransportFailed).
   */
  private async restartIce(transport: types.Transport, direction: Direction, state: string): Promise<void> {
    const attempts = this.iceRestarts.get(transport.id) ?? 0;
    if (this.restarting.has(transport.id)) return;
    if (attempts >= MAX_ICE_RESTARTS) {
      if (state === 'failed') this.onTransportFailed(direction);
      return;
    }
    this.restarting.add(transport.id);
    this.iceRestarts.set(transport.id, attempts + 1);
    try {
      const { iceParameters } = await this.signal.request('restartIce', { transportId: transport.id });
      if (this.open && !transport.closed) await transport.restartIce({ iceParameters: iceParameters as types.IceParameters });
    } catch {
      if (this.open && state === 'failed') this.onTransportFailed(direction);
    } finally {
      this.restarting.delete(transport.id);
    }
  }

  private transport(direction: Direction): Promise<types.Transport> {
    const existing = this.transports[direction];
    if (existing) return existing;
    const created = this.createTransport(direction);
    this.transports[direction] = created;
    created.catch(() => { if (this.transports[direction] === created) delete this.transports[direction]; });
    return created;
  }

  private async createTransport(direction: Direction): Promise<types.Transport> {
    const info: TransportInfo = await this.signal.request('createTransport', { direction });
    if (!this.open) throw new VisitError('CLOSED', 'the visit media was closed');
    const options: types.TransportOptions = {
      id: info.id,
      iceParameters: info.iceParameters as types.IceParameters,
      iceCandidates: info.iceCandidates as types.IceCandidate[],
      dtlsParameters: info.dtlsParameters as types.DtlsParameters,
      iceServers: this.iceServers,
    };
    const transport = direction === 'send' ? this.device.createSendTransport(options) : this.device.createRecvTransport(options);
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.signal.request('connectTransport', { transportId: transport.id, dtlsParameters }).then(() => callback(), errback);
    });
    // A transport that never connects has no path to the media server: say so within the connect timeout
    // (the browser's own ICE failure takes minutes with restarts).
    const unreachable = setTimeout(() => {
      if (!this.open || transport.closed) return;
      const turn = this.iceServers.some((s) => [s.urls].flat().some((u) => /^turns?:/.test(u)));
      this.onUnreachable(new VisitError('MEDIA_UNREACHABLE', `the ${direction} media transport did not connect within ${this.connectTimeoutMs} ms: `
        + (turn ? 'neither the media server nor the TURN servers could be reached' : 'the media server cannot be reached (UDP and TCP to it blocked?) and no TURN server was given (VISITWIRE_TURN_URLS)')));
    }, this.connectTimeoutMs);
    transport.on('connectionstatechange', (state) => {
      if ((state === 'disconnected' || state === 'failed') && this.open) void this.restartIce(transport, direction, state);
      if (state === 'connected') {
        clearTimeout(unreachable);
        this.iceRestarts.delete(transport.id);
      }
    });
    transport.observer.once('close', () => clearTimeout(unreachable));
    if (direction === 'send') {
      transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
        this.signal.request('produce', {
          transportId: transport.id, kind, rtpParameters: rtpParameters as ClientMessage<'produce'>['rtpParameters'],
          source: appData.source as 'microphone' | 'camera', paused: appData.paused === true,
        }).then(({ producerId }) => callback({ id: producerId }), errback);
      });
    }
    return transport;
  }
}
