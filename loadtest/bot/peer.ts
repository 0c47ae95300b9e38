/** werift peer connections set up to talk to a mediasoup WebRtcTransport. */
import { RTCPeerConnection, RTCRtpCodecParameters, type PeerConfig } from 'werift';
import { BotError } from './errors.ts';
import type { RemoteTransport } from './sdp.ts';

export const OPUS_PT = 100;
export const VP8_PT = 101;

/**
 * ICE binds to `iceAddress` when given; else to 127.0.0.1 when the SFU
 * announces a loopback candidate (werift skips loopback by default), else to
 * every interface.
 */
export function createPeer(t: RemoteTransport, iceAddress?: string): RTCPeerConnection {
  const loopback = t.iceCandidates.some((c) => c.address.startsWith('127.'));
  const address = iceAddress ?? (loopback ? '127.0.0.1' : undefined);
  const config: Partial<PeerConfig> = {
    iceServers: [],
    iceUseIpv6: false,
    bundlePolicy: 'max-bundle',
    codecs: {
      audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: OPUS_PT })],
      video: [new RTCRtpCodecParameters({
        mimeType: 'video/VP8', clockRate: 90000, payloadType: VP8_PT,
        rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
      })],
    },
    headerExtensions: { audio: [], video: [] },
    ...(address ? { iceInterfaceAddresses: { udp4: address }, iceAdditionalHostAddresses: [address] } : {}),
  };
  return new RTCPeerConnection(config);
}

/** Resolves when ICE and DTLS are up; rejects with MEDIA_FAILED on failure or timeout. */
export function connected(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.connectionState === 'connected') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.unSubscribe();
      reject(new BotError('MEDIA_FAILED', `ICE/DTLS not connected in ${timeoutMs} ms (state ${pc.connectionState})`));
    }, timeoutMs);
    const sub = pc.connectionStateChange.subscribe((state) => {
      if (state !== 'connected' && state !== 'failed' && state !== 'closed') return;
      clearTimeout(timer);
      sub.unSubscribe();
      if (state === 'connected') resolve();
      else reject(new BotError('MEDIA_FAILED', `ICE/DTLS ${state}`));
    });
  });
}
