import type { types } from 'mediasoup';

/** A visit's Router speaks Opus (in-band FEC and DTX) and VP8 (simulcast: three spatial layers, three temporal layers each). */
export const MEDIA_CODECS: types.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, preferredPayloadType: 100, parameters: { useinbandfec: 1, usedtx: 1 } },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: {}, preferredPayloadType: 101 },
];
