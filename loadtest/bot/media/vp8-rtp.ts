/**
 * VP8 RTP payloads (RFC 7741): the payload descriptor and frame splitting.
 * mediasoup drops VP8 packets without the extended (X) byte, so every
 * descriptor carries X and a 15-bit PictureID, as browsers send.
 */
import { vp8KeyFrameSize } from './vp8-frames.ts';

export const VP8_DESCRIPTOR_BYTES = 4;
/** Largest VP8 data per packet: RTP packets stay under 1200 bytes with SRTP. */
const MAX_DATA_PER_PACKET = 1100;

/** Splits a frame into near-equal chunks; the descriptor is prepended per packet at send time. */
export function splitFrame(frame: Buffer): Buffer[] {
  const count = Math.ceil(frame.length / MAX_DATA_PER_PACKET);
  const size = Math.ceil(frame.length / count);
  const chunks: Buffer[] = [];
  for (let at = 0; at < frame.length; at += size) chunks.push(frame.subarray(at, Math.min(at + size, frame.length)));
  return chunks;
}

/** One packet's payload: descriptor (start-of-frame flag on the first chunk) and the chunk. */
export function vp8Payload(chunk: Buffer, first: boolean, pictureId: number): Buffer {
  const payload = Buffer.allocUnsafe(VP8_DESCRIPTOR_BYTES + chunk.length);
  payload[0] = 0x80 | (first ? 0x10 : 0); // X, S, partition 0
  payload[1] = 0x80; // I: PictureID present
  payload.writeUInt16BE(0x8000 | (pictureId & 0x7fff), 2); // M: 15-bit PictureID
  chunk.copy(payload, VP8_DESCRIPTOR_BYTES);
  return payload;
}

/** Length of the payload descriptor at the start of a VP8 RTP payload, or -1 when it is malformed. */
export function vp8DescriptorLength(payload: Buffer): number {
  if (payload.length < 1) return -1;
  let n = 1;
  if (payload[0] & 0x80) {
    if (payload.length < 2) return -1;
    const x = payload[1];
    n = 2;
    if (x & 0x80) n += payload.length > 2 && payload[2] & 0x80 ? 2 : 1;
    if (x & 0x40) n += 1;
    if (x & 0x30) n += 1;
  }
  return n <= payload.length ? n : -1;
}

/** The resolution carried by a packet that starts a VP8 key frame; undefined for any other packet. */
export function keyFrameResolution(payload: Buffer): { width: number; height: number } | undefined {
  if (payload.length < 1 || (payload[0] & 0x17) !== 0x10) return undefined; // S set, partition 0
  const n = vp8DescriptorLength(payload);
  return n < 0 ? undefined : vp8KeyFrameSize(payload, n);
}
