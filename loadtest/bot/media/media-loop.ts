/**
 * The media every bot in a process sends: made once, then looped. Bots copy
 * no frames; each packet is the shared chunk behind a 4-byte descriptor.
 */
import { splitFrame } from './vp8-rtp.ts';
import { SIMULCAST_LAYERS, vp8Loop, type VideoLayer } from './vp8-frames.ts';

export const OPUS_FRAME_MS = 20;
/** 80 bytes every 20 ms: 32 kbps of Opus payload. */
export const OPUS_FRAME_BYTES = 80;

export interface LayerLoop {
  layer: VideoLayer;
  /** Per frame, its packet chunks; frame 0 is the key frame. */
  frames: Buffer[][];
}

export interface MediaLoop {
  layers: LayerLoop[];
  /** One Opus packet: a TOC byte (CELT-only, fullband, 20 ms, one frame) and filler. */
  opusFrame: Buffer;
}

let shared: MediaLoop | undefined;

/** The process-wide loop, made on first use (a few milliseconds). */
export function mediaLoop(): MediaLoop {
  if (!shared) {
    const opusFrame = Buffer.alloc(OPUS_FRAME_BYTES);
    opusFrame[0] = 0xf8;
    shared = {
      layers: SIMULCAST_LAYERS.map((layer) => ({ layer, frames: vp8Loop(layer).map(splitFrame) })),
      opusFrame,
    };
  }
  return shared;
}
