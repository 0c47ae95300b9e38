import type { types } from 'mediasoup-client';
import { SIMULCAST_LADDER } from '../../common/simulcast.ts';

/**
 * VP8 simulcast in three spatial layers, lowest first (common/simulcast.ts). mediasoup-client
 * gives each encoding three temporal layers (L1T3; Chromium's default, and declared for Firefox):
 * 7.5, 15 and 30 fps, which the layer policy (sfu/policy/layers.ts) uses as steps between
 * spatial layers, e.g. 720p at 15 fps before 360p, 180p at 7.5 fps before audio-only.
 */
export const SIMULCAST_ENCODINGS: types.RtpEncodingParameters[] = SIMULCAST_LADDER.map((l) => ({
  scaleResolutionDownBy: l.scaleResolutionDownBy, maxBitrate: l.bitrate,
}));

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

/** Opus in-band FEC (a lost packet is rebuilt from the next) and DTX (silence costs almost nothing): audio first on a poor network. */
export const AUDIO_CODEC_OPTIONS: types.ProducerCodecOptions = { opusFec: true, opusDtx: true };
