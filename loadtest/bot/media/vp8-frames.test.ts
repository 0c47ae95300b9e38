import { describe, expect, it } from 'vitest';
import { BoolEncoder } from './bool-encoder.ts';
import { SIMULCAST_LAYERS, VIDEO_FPS, LOOP_FRAMES, vp8Frame, vp8KeyFrameSize, vp8Loop } from './vp8-frames.ts';
import { keyFrameResolution, splitFrame, vp8Payload } from './vp8-rtp.ts';

/** RFC 6386's boolean decoder, to read back what the encoder wrote. */
class BoolDecoder {
  private value: number;
  private range = 255;
  private bitCount = 0;
  private pos = 2;
  constructor(private readonly data: Buffer) {
    this.value = ((data[0] ?? 0) << 8) | (data[1] ?? 0);
  }
  readBool(prob: number): boolean {
    const split = 1 + (((this.range - 1) * prob) >> 8);
    const bigSplit = split << 8;
    let bit: boolean;
    if (this.value >= bigSplit) {
      bit = true;
      this.range -= split;
      this.value -= bigSplit;
    } else {
      bit = false;
      this.range = split;
    }
    while (this.range < 128) {
      this.value <<= 1;
      this.range <<= 1;
      if (++this.bitCount === 8) {
        this.bitCount = 0;
        this.value |= this.data[this.pos++] ?? 0;
      }
    }
    return bit;
  }
  readLiteral(bits: number): number {
    let v = 0;
    for (let i = 0; i < bits; i++) v = (v << 1) | (this.readBool(128) ? 1 : 0);
    return v;
  }
}

describe('VP8 frame synthesis', () => {
  it('codes literals that a boolean decoder reads back, then only zeros whatever the probability', () => {
    const e = new BoolEncoder();
    const values = [[5, 3], [200, 8], [1, 1], [0, 2], [127, 7], [1, 1]] as const;
    for (const [v, bits] of values) e.writeLiteral(v, bits);
    const d = new BoolDecoder(Buffer.concat([e.finish(), Buffer.alloc(64)]));
    for (const [v, bits] of values) expect(d.readLiteral(bits)).toBe(v);
    for (let i = 0; i < 2000; i++) expect(d.readBool((i * 37) % 256)).toBe(false);
  });

  it('writes key frame headers a parser reads and delta frames marked as such', () => {
    const layer = SIMULCAST_LAYERS[2];
    const key = vp8Frame(layer, true, 20_000);
    expect(key.length).toBe(20_000);
    expect(vp8KeyFrameSize(key)).toEqual({ width: 1280, height: 720 });
    const firstPartition = key.readUIntLE(0, 3) >> 5;
    expect(10 + firstPartition).toBeLessThan(key.length);
    const d = new BoolDecoder(key.subarray(10));
    expect([d.readLiteral(1), d.readLiteral(1), d.readLiteral(1), d.readLiteral(1), d.readLiteral(6)]).toEqual([0, 0, 0, 0, 16]);
    const delta = vp8Frame(layer, false, 5000);
    expect(delta[0] & 1).toBe(1);
    expect(vp8KeyFrameSize(delta)).toBeUndefined();
  });

  it('loops at each layer bitrate and splits frames into RTP-sized packets with a parseable descriptor', () => {
    for (const layer of SIMULCAST_LAYERS) {
      const frames = vp8Loop(layer);
      const bits = frames.reduce((n, f) => n + f.length * 8, 0) / (LOOP_FRAMES / VIDEO_FPS);
      expect(bits / layer.bitrateBps).toBeGreaterThan(0.95);
      expect(bits / layer.bitrateBps).toBeLessThan(1.05);
      const chunks = splitFrame(frames[0]);
      expect(Buffer.concat(chunks).equals(frames[0])).toBe(true);
      for (const c of chunks) expect(c.length).toBeLessThanOrEqual(1100);
      expect(keyFrameResolution(vp8Payload(chunks[0], true, 300))).toEqual({ width: layer.width, height: layer.height });
      expect(keyFrameResolution(vp8Payload(splitFrame(frames[1])[0], true, 301))).toBeUndefined();
    }
  });
});
