import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { onConsumerTrace } from './consumer-trace.ts';
import { mediaMetrics } from './media-metrics.ts';

const SSRC = 1111;
const VP8 = { mimeType: 'video/VP8', payloadType: 101, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }] };

/** An RTP packet carrying a whole small VP8 keyframe (descriptor with picture id, frame tag, start code, 320x180), as a publisher would send it. */
function rtpPacket(seq: number): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80; header[1] = 0x80 | VP8.payloadType;
  header.writeUInt16BE(seq, 2); header.writeUInt32BE(seq * 3000, 4); header.writeUInt32BE(SSRC, 8);
  const payload = Buffer.from([0x90, 0x80, 0x80, seq & 0xff, 0x50, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xb4, 0x00, ...new Array(20).fill(0)]);
  return Buffer.concat([header, payload]);
}

/** An RTCP generic NACK (RFC 4585) from the viewer for one packet of the consumer's stream. */
function nackPacket(mediaSsrc: number, seq: number): Buffer {
  const b = Buffer.alloc(16);
  b[0] = 0x81; b[1] = 205; b.writeUInt16BE(3, 2);
  b.writeUInt32BE(4242, 4); b.writeUInt32BE(mediaSsrc, 8);
  b.writeUInt16BE(seq, 12); b.writeUInt16BE(0, 14);
  return b;
}

describe('onConsumerTrace (a real mediasoup consumer)', () => {
  let worker: types.Worker;
  let producer: types.Producer;
  let consumer: types.Consumer;
  let viewer: types.DirectTransport;

  beforeAll(async () => {
    worker = await mediasoup.createWorker({ logLevel: 'warn' });
    const router = await worker.createRouter({ mediaCodecs: [{ kind: 'video', mimeType: 'video/VP8', clockRate: 90000 }] });
    const publisher = await router.createDirectTransport();
    producer = await publisher.produce({ kind: 'video', rtpParameters: { codecs: [VP8], encodings: [{ ssrc: SSRC }] } });
    viewer = await router.createDirectTransport();
    consumer = await viewer.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
  });
  afterAll(() => worker?.close());

  it('the first-packet metric stopping its trace leaves NACK tracing on; a stopped listener hears nothing more', async () => {
    const nacks: number[] = [];
    const delivered: number[] = [];
    consumer.on('rtp', () => delivered.push(Date.now()));
    const stopNacks = onConsumerTrace(consumer, 'nack', () => nacks.push(Date.now()));
    mediaMetrics.watchFirstPacket(consumer);
    producer.send(rtpPacket(1));
    // The first packet delivered, and the first-packet watch gone.
    await vi.waitFor(() => expect([delivered.length > 0, consumer.listenerCount('trace')]).toEqual([true, 1]), { timeout: 2_000 });
    producer.send(rtpPacket(2));
    viewer.sendRtcp(nackPacket(consumer.rtpParameters.encodings![0]!.ssrc!, 1));
    await vi.waitFor(() => expect(nacks.length).toBeGreaterThan(0), { timeout: 2_000 });

    await new Promise((r) => setTimeout(r, 100));
    const seen = nacks.length;
    stopNacks();
    viewer.sendRtcp(nackPacket(consumer.rtpParameters.encodings![0]!.ssrc!, 2));
    await new Promise((r) => setTimeout(r, 200));
    expect(nacks).toHaveLength(seen);
    expect(consumer.listenerCount('trace')).toBe(0);
  });
});
