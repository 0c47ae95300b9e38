import type { types } from 'mediasoup';

/** A visit's Router speaks Opus and VP8 (simulcast: three spatial layers). */
export const MEDIA_CODECS: types.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, preferredPayloadType: 100 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: {}, preferredPayloadType: 101 },
];
