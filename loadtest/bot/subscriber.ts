/**
 * Subscribing: one receive transport, one werift peer connection, one
 * m-line per consumer. New producers are consumed in batches; each batch
 * re-offers every consumer so far (the SFU side offers, werift answers).
 * Packets are counted on the decrypted stream before werift routes them, so
 * nothing is decoded and the SFU's probing packets get transport feedback.
 */
import type { types } from 'mediasoup';
import type { RTCPeerConnection, RtpPacket } from 'werift';
import type { ConsumerInfo, ProducerInfo } from '../../signaling/protocol.ts';
import { BotError } from './errors.ts';
import { connected, createPeer } from './peer.ts';
import { consumeOffer, localDtls, remoteTransport, type OfferedConsumer, type RemoteTransport } from './sdp.ts';
import type { SignalingClient } from './signaling-client.ts';
import { StreamStats, type StreamSample } from './stream-stats.ts';
import { TwccFeedback } from './twcc-feedback.ts';
import { keyFrameResolution } from './media/vp8-rtp.ts';

const TWCC_URI = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';

export interface Subscription {
  producerId: string;
  participantId: string;
  kind: 'audio' | 'video';
  consumerId: string;
  ssrc: number;
  stats: StreamStats;
  /** Bitrate and loss of the latest metrics interval. */
  lastSample?: StreamSample;
  /** performance.now() when the bot asked to consume. */
  requestedAt: number;
  firstPacketAt?: number;
  /** Resolution of the latest key frame received (video). */
  resolution?: { width: number; height: number };
  layerChanges: number;
  producerPaused: boolean;
  closed: boolean;
}

/** What the bot tells the SFU it can receive: the router's codecs without RTX, and transport-wide congestion control. */
export function receiveCapabilities(router: types.RtpCapabilities): types.RtpCapabilities {
  return {
    codecs: (router.codecs ?? []).filter((c) => !/\/rtx$/i.test(c.mimeType)).map((c) => ({
      ...c, rtcpFeedback: (c.rtcpFeedback ?? []).filter((f) => f.type !== 'goog-remb'),
    })),
    headerExtensions: (router.headerExtensions ?? []).filter((h) => h.uri === TWCC_URI),
  };
}

export class Subscriber {
  readonly subscriptions = new Map<string, Subscription>();
  private readonly bySsrc = new Map<number, Subscription>();
  private readonly offered: OfferedConsumer[] = [];
  private transport?: RemoteTransport;
  private pc?: RTCPeerConnection;
  private twcc?: TwccFeedback;
  private twccId = -1;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly sig: SignalingClient,
    private readonly caps: types.RtpCapabilities,
    private readonly o: {
      iceAddress?: string; connectTimeoutMs: number; viewport?: { width: number; height: number }; onFailed: (err: Error) => void;
      /** Every media packet received, by kind (the bot's gap meter). */
      onPacket?: (kind: 'audio' | 'video') => void;
    },
  ) {}

  /** Consumes these producers (skipping known ones), in order with earlier calls. */
  consume(producers: ProducerInfo[]): Promise<void> {
    const run = this.queue.then(() => this.consumeBatch(producers.filter((p) => !this.subscriptions.has(p.producerId))));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The producer went away: its subscription stops counting. */
  producerClosed(producerId: string): void {
    const s = this.subscriptions.get(producerId);
    if (s) s.closed = true;
  }

  /** Shows every remote video at this size from now on: reported for each video received, as the SDK does when a tile resizes. */
  async setViewport(viewport: { width: number; height: number }): Promise<void> {
    this.o.viewport = viewport;
    for (const s of this.subscriptions.values()) {
      if (s.kind === 'video' && !s.closed) await this.sig.request('reportViewport', { consumerId: s.consumerId, ...viewport });
    }
  }

  setProducerPaused(producerId: string, paused: boolean): void {
    const s = this.subscriptions.get(producerId);
    if (s) s.producerPaused = paused;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.twcc?.stop();
    await this.pc?.close().catch(() => undefined);
  }

  private async consumeBatch(producers: ProducerInfo[]): Promise<void> {
    if (producers.length === 0 || this.closed) return;
    if (!this.transport) this.transport = remoteTransport(await this.sig.request('createTransport', { direction: 'recv' }));
    const t = this.transport;
    const added: Subscription[] = [];
    for (const p of producers) {
      const requestedAt = performance.now();
      let c: ConsumerInfo;
      try {
        c = await this.sig.request('consume', { transportId: t.id, producerId: p.producerId, rtpCapabilities: this.caps });
      } catch (err) {
        if (err instanceof BotError && err.code === 'NOT_FOUND') continue; // closed since it was announced
        throw err;
      }
      const rtpParameters = c.rtpParameters as types.RtpParameters;
      const ssrc = rtpParameters.encodings?.[0]?.ssrc ?? 0;
      const ext = rtpParameters.headerExtensions?.find((h) => h.uri === TWCC_URI);
      if (ext) this.twccId = ext.id;
      this.offered.push({ consumerId: c.consumerId, producerId: c.producerId, kind: c.kind, rtpParameters });
      const s: Subscription = {
        producerId: c.producerId, participantId: c.participantId, kind: c.kind, consumerId: c.consumerId, ssrc,
        stats: new StreamStats(rtpParameters.codecs[0].clockRate), requestedAt, layerChanges: 0, producerPaused: c.producerPaused, closed: false,
      };
      this.subscriptions.set(c.producerId, s);
      this.bySsrc.set(ssrc, s);
      added.push(s);
    }
    if (added.length === 0) return;
    await this.negotiate(t);
    for (const s of added) {
      await this.sig.request('resumeConsumer', { consumerId: s.consumerId });
      if (s.kind === 'video' && this.o.viewport) await this.sig.request('reportViewport', { consumerId: s.consumerId, ...this.o.viewport });
    }
  }

  private async negotiate(t: RemoteTransport): Promise<void> {
    const first = !this.pc;
    const pc = this.pc ?? this.startPeer(t);
    await pc.setRemoteDescription({ type: 'offer', sdp: consumeOffer(this.offered, t) });
    await pc.setLocalDescription(await pc.createAnswer());
    if (!first) return;
    const { fingerprints, setup } = localDtls(pc.localDescription!.sdp);
    await this.sig.request('connectTransport', { transportId: t.id, dtlsParameters: { role: setup === 'passive' ? 'server' : 'client', fingerprints } });
    await connected(pc, this.o.connectTimeoutMs);
    const dtls = pc.dtlsTransports[0];
    this.twcc = new TwccFeedback(Math.floor(Math.random() * 0xffffffff), (rtcp) => {
      dtls.sendRtcp([{ serialize: () => rtcp } as never]).catch(() => undefined);
    });
    dtls.onRtp.subscribe((rtp) => this.onRtp(rtp));
  }

  private startPeer(t: RemoteTransport): RTCPeerConnection {
    const pc = createPeer(t, this.o.iceAddress);
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'failed' && !this.closed) this.o.onFailed(new Error('receive transport ICE/DTLS failed'));
    });
    this.pc = pc;
    return pc;
  }

  private onRtp(rtp: RtpPacket): void {
    const h = rtp.header;
    if (this.twcc && this.twccId > 0) {
      const ext = h.extensions.find((e) => e.id === this.twccId);
      if (ext && ext.payload.length >= 2) this.twcc.onPacket(ext.payload.readUInt16BE(0));
    }
    const s = this.bySsrc.get(h.ssrc);
    if (!s || rtp.payload.length === 0) return; // probing or padding
    const now = performance.now();
    s.firstPacketAt ??= now;
    s.stats.onPacket(h.sequenceNumber, h.timestamp, rtp.payload.length, now);
    this.o.onPacket?.(s.kind);
    if (s.kind === 'video') {
      const res = keyFrameResolution(rtp.payload);
      if (res && (res.width !== s.resolution?.width || res.height !== s.resolution?.height)) {
        if (s.resolution) s.layerChanges++;
        s.resolution = res;
      }
    }
  }
}
