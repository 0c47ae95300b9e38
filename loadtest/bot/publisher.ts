/**
 * Publishing: Opus, and VP8 in three simulcast layers. werift cannot send
 * rid-based simulcast (one SSRC per sender), so each layer is its own
 * sendonly transceiver and the three SSRCs become the encodings of ONE
 * mediasoup producer, lowest layer first; with no MID/RID header extensions
 * the SFU tells the layers apart by SSRC.
 */
import { MediaStreamTrack, type RTCPeerConnection, type RTCRtpSender } from 'werift';
import type { SignalingClient } from './signaling-client.ts';
import { startMediaPump, type MediaPump } from './media/media-pump.ts';
import type { MediaLoop } from './media/media-loop.ts';
import { connected, createPeer } from './peer.ts';
import { localDtls, localMedia, opusCodec, publishAnswer, remoteTransport, vp8Codec } from './sdp.ts';

export interface PublisherOptions {
  audio: boolean;
  video: boolean;
  loop: MediaLoop;
  iceAddress?: string;
  connectTimeoutMs: number;
}

export interface SendStats {
  /** Round-trip time from the SFU's receiver reports, ms (mean over the streams that have one). */
  rttMs?: number;
  /** Fraction of our packets the SFU reported lost in its latest receiver reports, 0..1. */
  remoteLossRate?: number;
}

export class Publisher {
  private constructor(
    readonly pc: RTCPeerConnection,
    readonly producerIds: { audio?: string; video?: string },
    readonly pump: MediaPump,
    private readonly senders: RTCRtpSender[],
  ) {}

  static async start(sig: SignalingClient, o: PublisherOptions): Promise<Publisher> {
    const info = remoteTransport(await sig.request('createTransport', { direction: 'send' }));
    const pc = createPeer(info, o.iceAddress);
    try {
      const audio = o.audio ? new MediaStreamTrack({ kind: 'audio' }) : undefined;
      const video = o.video ? o.loop.layers.map(() => new MediaStreamTrack({ kind: 'video' })) : [];
      const senders = [audio, ...video].filter((t) => t !== undefined).map((t) => pc.addTransceiver(t, { direction: 'sendonly' }).sender);
      await pc.setLocalDescription(await pc.createOffer());
      const media = localMedia(pc.localDescription!.sdp);
      await pc.setRemoteDescription({ type: 'answer', sdp: publishAnswer(media, info) });
      // The answer made the SFU the DTLS server (a=setup:passive).
      await sig.request('connectTransport', { transportId: info.id, dtlsParameters: { role: 'client', fingerprints: localDtls(pc.localDescription!.sdp).fingerprints } });
      const producerIds: { audio?: string; video?: string } = {};
      const a = media.find((m) => m.kind === 'audio');
      if (a) {
        producerIds.audio = (await sig.request('produce', {
          transportId: info.id, kind: 'audio', source: 'microphone',
          rtpParameters: { mid: a.mid, codecs: [opusCodec(a.payloadType)], encodings: [{ ssrc: a.ssrc }], headerExtensions: [], rtcp: { cname: a.cname, reducedSize: true } },
        })).producerId;
      }
      const layers = media.filter((m) => m.kind === 'video');
      if (layers.length > 0) {
        producerIds.video = (await sig.request('produce', {
          transportId: info.id, kind: 'video', source: 'camera',
          rtpParameters: {
            mid: layers[0].mid, codecs: [vp8Codec(layers[0].payloadType)],
            encodings: layers.map((l, i) => ({ ssrc: l.ssrc, maxBitrate: o.loop.layers[i].layer.bitrateBps, scalabilityMode: 'L1T1' })),
            headerExtensions: [], rtcp: { cname: layers[0].cname, reducedSize: true },
          },
        })).producerId;
      }
      await connected(pc, o.connectTimeoutMs);
      const pump = startMediaPump(o.loop, { audio, video });
      senders.slice(audio ? 1 : 0).forEach((s, layer) => s.onPictureLossIndication.subscribe(() => pump.requestKeyFrame(layer)));
      return new Publisher(pc, producerIds, pump, senders);
    } catch (err) {
      await pc.close().catch(() => undefined);
      throw err;
    }
  }

  async stats(): Promise<SendStats> {
    const rtts: number[] = [];
    const losses: number[] = [];
    for (const sender of this.senders) {
      for (const s of (await sender.getStats()).values()) {
        if (s.type !== 'remote-inbound-rtp') continue;
        const r = s as { roundTripTime?: number; fractionLost?: number };
        // werift's RTT may be negative or absurd right after a clock step; keep what is plausible.
        if (typeof r.roundTripTime === 'number' && r.roundTripTime >= 0 && r.roundTripTime < 10) rtts.push(r.roundTripTime * 1000);
        if (typeof r.fractionLost === 'number' && r.fractionLost >= 0 && r.fractionLost <= 1) losses.push(r.fractionLost);
      }
    }
    const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);
    return { rttMs: mean(rtts), remoteLossRate: losses.length ? Math.max(...losses) : undefined };
  }

  async close(): Promise<void> {
    this.pump.stop();
    await this.pc.close().catch(() => undefined);
  }
}
