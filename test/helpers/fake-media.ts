/**
 * RTP parameters of a publisher that never sends: enough for mediasoup to create
 * producers and consumers, for tests of lifecycle and clean-up without a peer.
 */
export function audioRtpParameters(ssrc: number) {
  return {
    mid: '0',
    codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }],
    encodings: [{ ssrc }],
    headerExtensions: [],
    rtcp: { cname: `cname-${ssrc}` },
  };
}

export function simulcastVideoRtpParameters(ssrc: number) {
  return {
    mid: '1',
    codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] }],
    encodings: [{ ssrc, maxBitrate: 150_000 }, { ssrc: ssrc + 1, maxBitrate: 500_000 }, { ssrc: ssrc + 2, maxBitrate: 1_500_000 }],
    headerExtensions: [],
    rtcp: { cname: `cname-${ssrc}` },
  };
}
