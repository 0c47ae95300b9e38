/**
 * The VP8 simulcast ladder, lowest first, as the SDK sends it and the layer
 * policy expects it: ~320x180 at 150 kbps, ~640x360 at 500 kbps, ~1280x720 at
 * 1.5 Mbps from a 720p camera. `scaleResolutionDownBy` is relative to the top layer.
 */
export const SIMULCAST_LADDER = [
  { width: 320, height: 180, bitrate: 150_000, scaleResolutionDownBy: 4 },
  { width: 640, height: 360, bitrate: 500_000, scaleResolutionDownBy: 2 },
  { width: 1280, height: 720, bitrate: 1_500_000, scaleResolutionDownBy: 1 },
] as const;
