/**
 * Synthetic VP8 frames, made once per process without an encoder.
 *
 * A frame has a real VP8 frame tag, key frames the real start code and size
 * (what mediasoup and receivers parse), and a first partition whose header
 * literals are entropy-coded. Every bool after those literals is coded as 0:
 * no probability updates, no skip flag, every macroblock intra-predicted from
 * DC with no residual, so the picture decodes as flat grey. The rest of the
 * frame is zero filler that brings it to the size the layer's bitrate needs.
 */
import { BoolEncoder } from './bool-encoder.ts';

/** One simulcast layer a bot sends. */
export interface VideoLayer {
  width: number;
  height: number;
  /** Target bitrate of the layer's RTP payload, bits per second. */
  bitrateBps: number;
}

/** The three layers every video bot sends, lowest first (the order of the producer's encodings). */
export const SIMULCAST_LAYERS: readonly VideoLayer[] = [
  { width: 320, height: 180, bitrateBps: 150_000 },
  { width: 640, height: 360, bitrateBps: 500_000 },
  { width: 1280, height: 720, bitrateBps: 1_500_000 },
];

export const VIDEO_FPS = 30;
/** Frames in the loop; the first is a key frame, so a key frame comes every 3 s (and on every PLI). */
export const LOOP_FRAMES = 90;
/** A key frame is this many times the size of an average delta frame. */
const KEY_FRAME_WEIGHT = 4;

const LOOP_FILTER_LEVEL = 16;
const Y_AC_QINDEX = 48;

function header(keyFrame: boolean): Buffer {
  const e = new BoolEncoder();
  if (keyFrame) {
    e.writeLiteral(0, 1); // color space
    e.writeLiteral(0, 1); // clamping type
  }
  e.writeLiteral(0, 1); // segmentation off
  e.writeLiteral(0, 1); // normal loop filter
  e.writeLiteral(LOOP_FILTER_LEVEL, 6);
  e.writeLiteral(0, 3); // sharpness
  e.writeLiteral(0, 1); // no loop filter deltas
  e.writeLiteral(0, 2); // one token partition
  e.writeLiteral(Y_AC_QINDEX, 7);
  e.writeLiteral(0, 5); // no quantizer deltas (five flags)
  if (!keyFrame) {
    e.writeLiteral(0, 2); // golden and altref not refreshed
    e.writeLiteral(0, 4); // nor copied (two 2-bit fields)
    e.writeLiteral(0, 2); // sign bias golden, altref
  }
  e.writeLiteral(1, 1); // refresh entropy probs
  if (!keyFrame) e.writeLiteral(1, 1); // refresh last frame
  return e.finish();
}

const KEY_HEADER = header(true);
const DELTA_HEADER = header(false);

/** Builds a frame of exactly `size` bytes (at least the headers). */
export function vp8Frame(layer: VideoLayer, keyFrame: boolean, size: number): Buffer {
  const mbs = Math.ceil(layer.width / 16) * Math.ceil(layer.height / 16);
  const tagLen = keyFrame ? 10 : 3;
  const coded = keyFrame ? KEY_HEADER : DELTA_HEADER;
  // What a decoder reads of the first partition: about a byte per macroblock in key frames, 1.2 in delta frames.
  const wanted = coded.length + 64 + Math.ceil(mbs * (keyFrame ? 1 : 1.25));
  const firstPartition = Math.max(coded.length, Math.min(wanted, size - tagLen - 16));
  const frame = Buffer.alloc(Math.max(size, tagLen + firstPartition));
  const tag = (keyFrame ? 0 : 1) | (1 << 4) | (firstPartition << 5); // version 0, shown
  frame.writeUIntLE(tag, 0, 3);
  if (keyFrame) {
    frame.set([0x9d, 0x01, 0x2a], 3);
    frame.writeUInt16LE(layer.width & 0x3fff, 6);
    frame.writeUInt16LE(layer.height & 0x3fff, 8);
  }
  coded.copy(frame, tagLen);
  return frame;
}

/** The width and height a key frame declares; undefined for delta frames and non-VP8 data. */
export function vp8KeyFrameSize(frame: Buffer, offset = 0): { width: number; height: number } | undefined {
  if (frame.length < offset + 10 || (frame[offset] & 1) !== 0) return undefined;
  if (frame[offset + 3] !== 0x9d || frame[offset + 4] !== 0x01 || frame[offset + 5] !== 0x2a) return undefined;
  return { width: frame.readUInt16LE(offset + 6) & 0x3fff, height: frame.readUInt16LE(offset + 8) & 0x3fff };
}

/** A loop of frames for one layer whose sizes average the layer's bitrate. */
export function vp8Loop(layer: VideoLayer, frames = LOOP_FRAMES): Buffer[] {
  const bytesPerLoop = (layer.bitrateBps / 8) * (frames / VIDEO_FPS);
  const delta = bytesPerLoop / (frames - 1 + KEY_FRAME_WEIGHT);
  let seed = layer.height;
  const wobble = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return 0.85 + 0.3 * (seed / 2147483648);
  };
  return Array.from({ length: frames }, (_, i) =>
    i === 0 ? vp8Frame(layer, true, Math.round(delta * KEY_FRAME_WEIGHT)) : vp8Frame(layer, false, Math.round(delta * wobble())));
}
