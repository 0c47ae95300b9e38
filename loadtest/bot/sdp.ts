/**
 * Hand-built SDP between werift and a mediasoup WebRtcTransport, as
 * mediasoup-client would build it: the SFU side is ice-lite with the
 * transport's ICE and DTLS parameters; media is matched by SSRC.
 */
import sdpTransform from 'sdp-transform';
import type { types } from 'mediasoup';
import type { TransportInfo } from '../../signaling/protocol.ts';

export interface RemoteTransport {
  id: string;
  iceParameters: types.IceParameters;
  iceCandidates: types.IceCandidate[];
  dtlsParameters: types.DtlsParameters;
}

export function remoteTransport(info: TransportInfo): RemoteTransport {
  return info as unknown as RemoteTransport;
}

/** What one m-line of the local (werift) offer holds. */
export interface LocalMedia {
  kind: 'audio' | 'video';
  mid: string;
  payloadType: number;
  ssrc: number;
  cname: string;
}

export const VIDEO_FEEDBACK: types.RtcpFeedback[] = [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }];

function transportLines(t: RemoteTransport, setup: 'passive' | 'actpass'): string[] {
  const fp = t.dtlsParameters.fingerprints.find((f) => f.algorithm === 'sha-256') ?? t.dtlsParameters.fingerprints[0];
  const candidates = t.iceCandidates.filter((c) => c.protocol === 'udp')
    .map((c) => `a=candidate:${c.foundation} 1 udp ${c.priority} ${c.address} ${c.port} typ host`);
  return [`a=ice-ufrag:${t.iceParameters.usernameFragment}`, `a=ice-pwd:${t.iceParameters.password}`, ...candidates,
    'a=end-of-candidates', `a=fingerprint:${fp.algorithm} ${fp.value}`, `a=setup:${setup}`, 'a=rtcp-mux', 'a=rtcp-rsize'];
}

function codecLines(c: types.RtpCodecParameters): string[] {
  const name = c.mimeType.split('/')[1];
  const lines = [`a=rtpmap:${c.payloadType} ${name}/${c.clockRate}${c.channels && c.channels > 1 ? `/${c.channels}` : ''}`];
  const params = Object.entries(c.parameters ?? {}).map(([k, v]) => `${k}=${v}`).join(';');
  if (params) lines.push(`a=fmtp:${c.payloadType} ${params}`);
  for (const f of c.rtcpFeedback ?? []) {
    if (f.type === 'transport-cc') continue; // the bot sends transport-wide feedback itself; see twcc-feedback.ts
    lines.push(`a=rtcp-fb:${c.payloadType} ${f.type}${f.parameter ? ` ${f.parameter}` : ''}`);
  }
  return lines;
}

function session(mids: string[], lines: string[]): string {
  return ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=ice-lite', `a=group:BUNDLE ${mids.join(' ')}`,
    'a=msid-semantic: WMS *', ...lines, ''].join('\r\n');
}

/** Reads the m-lines of werift's send offer. */
export function localMedia(offerSdp: string): LocalMedia[] {
  return sdpTransform.parse(offerSdp).media.map((m) => {
    const ssrc = m.ssrcs?.find((s) => s.attribute === 'cname');
    if (!ssrc) throw new Error(`offer m-line ${m.mid} has no a=ssrc cname`);
    return { kind: m.type as 'audio' | 'video', mid: String(m.mid), payloadType: Number(m.rtp[0].payload), ssrc: Number(ssrc.id), cname: String(ssrc.value) };
  });
}

export function opusCodec(payloadType: number): types.RtpCodecParameters {
  return { mimeType: 'audio/opus', payloadType, clockRate: 48000, channels: 2, parameters: { minptime: 10, useinbandfec: 1, usedtx: 1 }, rtcpFeedback: [] };
}

export function vp8Codec(payloadType: number): types.RtpCodecParameters {
  return { mimeType: 'video/VP8', payloadType, clockRate: 90000, parameters: {}, rtcpFeedback: VIDEO_FEEDBACK };
}

/** The SFU's answer to werift's send offer: it receives every m-line. */
export function publishAnswer(media: LocalMedia[], t: RemoteTransport): string {
  const lines = media.flatMap((m) => [
    `m=${m.kind} 7 UDP/TLS/RTP/SAVPF ${m.payloadType}`, 'c=IN IP4 127.0.0.1', `a=mid:${m.mid}`, 'a=recvonly',
    ...transportLines(t, 'passive'), ...codecLines(m.kind === 'audio' ? opusCodec(m.payloadType) : vp8Codec(m.payloadType)),
  ]);
  return session(media.map((m) => m.mid), lines);
}

export interface OfferedConsumer {
  consumerId: string;
  producerId: string;
  kind: 'audio' | 'video';
  rtpParameters: types.RtpParameters;
}

/** The SFU's offer of every consumer so far on the receive transport (each renegotiation re-offers all). */
export function consumeOffer(consumers: OfferedConsumer[], t: RemoteTransport): string {
  const lines = consumers.flatMap((c) => {
    const p = c.rtpParameters;
    const codec = p.codecs[0];
    const ssrc = p.encodings?.[0]?.ssrc;
    return [
      `m=${c.kind} 7 UDP/TLS/RTP/SAVPF ${codec.payloadType}`, 'c=IN IP4 127.0.0.1', `a=mid:${p.mid}`, 'a=sendonly',
      ...transportLines(t, 'actpass'), ...codecLines(codec),
      `a=msid:${c.producerId} ${c.consumerId}`, `a=ssrc:${ssrc} cname:${p.rtcp?.cname ?? 'sfu'}`,
    ];
  });
  return session(consumers.map((c) => String(c.rtpParameters.mid)), lines);
}

/** The local DTLS fingerprint and setup role from werift's description. */
export function localDtls(sdp: string): { fingerprints: types.DtlsFingerprint[]; setup?: string } {
  const s = sdpTransform.parse(sdp);
  const fp = s.fingerprint ?? s.media.find((m) => m.fingerprint)?.fingerprint;
  if (!fp) throw new Error('local description has no DTLS fingerprint');
  const setup = s.setup ?? s.media.find((m) => m.setup)?.setup;
  return { fingerprints: [{ algorithm: fp.type as types.FingerprintAlgorithm, value: fp.hash }], setup };
}
