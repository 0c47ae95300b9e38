import type { types } from 'mediasoup-client';

/**
 * VP8 simulcast in three spatial layers, lowest first:
 * ~320x180 at 150 kbps, ~640x360 at 500 kbps, ~1280x720 at 1.5 Mbps (from a 720p camera).
 */
export const SIMULCAST_ENCODINGS: types.RtpEncodingParameters[] = [
  { scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
];

/** What `publish({ video: true })` asks the camera for: 720p, so the top layer is full size. */
export const CAMERA_CONSTRAINTS: MediaTrackConstraints = {
  width: { ideal: 1280 },
  height: { ideal: 720 },
  frameRate: { ideal: 30 },
};

/** What `publish({ audio: true })` asks the microphone for. */
export const MICROPHONE_CONSTRAINTS: MediaTrackConstraints = {
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
};

/** Start the send-side estimate high enough that all three layers come up quickly. */
export const VIDEO_CODEC_OPTIONS: types.ProducerCodecOptions = { videoGoogleStartBitrate: 1000 };
