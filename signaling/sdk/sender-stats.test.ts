import { describe, expect, it } from 'vitest';
import { senderReport, type SenderSample } from './sender-stats.ts';

/** Stats as Firefox 153 reported them under a 100 kbit/s uplink (test/firefox-network.test.ts): no candidate-pair estimate, no qualityLimitationReason. */
const firefox = (at: number, r0: [number, number], r1: [number, number], lossR0: number, lossR1: number) => [
  { type: 'outbound-rtp', kind: 'audio', ssrc: 9, bytesSent: 60_000, packetsSent: 700, timestamp: at },
  { type: 'outbound-rtp', kind: 'video', ssrc: 1, rid: 'r0', bytesSent: r0[0], packetsSent: r0[1], timestamp: at },
  { type: 'outbound-rtp', kind: 'video', ssrc: 2, rid: 'r1', bytesSent: r1[0], packetsSent: r1[1], timestamp: at },
  { type: 'remote-inbound-rtp', kind: 'video', ssrc: 1, fractionLost: lossR0, roundTripTime: 0.4, timestamp: at },
  { type: 'remote-inbound-rtp', kind: 'video', ssrc: 2, fractionLost: lossR1, roundTripTime: 0.41, timestamp: at },
  { type: 'remote-inbound-rtp', kind: 'audio', ssrc: 9, fractionLost: 0.9, roundTripTime: 2, timestamp: at },
  { type: 'candidate-pair', id: 'cp', nominated: true, state: 'succeeded', currentRoundTripTime: 0.4 },
];
const chromium = (at: number, bytes: number, estimate: number, reason: string) => [
  { type: 'transport', selectedCandidatePairId: 'cp1' },
  { type: 'candidate-pair', id: 'cp0', nominated: true, state: 'succeeded', availableOutgoingBitrate: 9_999_999 },
  { type: 'candidate-pair', id: 'cp1', nominated: true, state: 'succeeded', availableOutgoingBitrate: estimate },
  { type: 'outbound-rtp', kind: 'video', ssrc: 1, rid: 'r0', bytesSent: bytes, packetsSent: bytes / 1000, timestamp: at, qualityLimitationReason: reason },
  { type: 'remote-inbound-rtp', kind: 'video', ssrc: 1, fractionLost: 0, roundTripTime: 0.002, timestamp: at },
];

describe('the uplink report from a video sender\'s stats', () => {
  it('Firefox: loss weighted by the packets each layer sent, the largest round trip, the send rate; no estimate', () => {
    const first = senderReport(firefox(10_000, [100_000, 400], [50_000, 100], 0, 0));
    expect(first.report).toEqual({ lossFraction: 0, roundTripTimeMs: 410 }); // no send rate without an earlier sample
    const second = senderReport(firefox(12_000, [150_000, 700], [50_000, 100], 0.8, 0), first.sample);
    // r1 sent nothing since: its receiver report is stale and left out; audio is not video.
    expect(second.report).toEqual({ lossFraction: 0.8, roundTripTimeMs: 400, sendBitrate: 200_000 });
  });

  it('weights the loss of the layers that sent by their packets', () => {
    const a = senderReport(firefox(0, [0, 0], [0, 0], 0, 0)).sample;
    const { report } = senderReport(firefox(2000, [10_000, 300], [10_000, 100], 0.4, 0), a);
    expect(report.lossFraction).toBeCloseTo(0.3);
  });

  it('Chromium: the selected pair\'s estimate and the bandwidth limitation too', () => {
    const a = senderReport(chromium(0, 0, 300_000, 'none')).sample;
    const { report } = senderReport(chromium(2000, 50_000, 120_000, 'bandwidth'), a);
    expect(report).toEqual({ availableOutgoingBitrate: 120_000, qualityLimitationReason: 'bandwidth', lossFraction: 0, roundTripTimeMs: 2, sendBitrate: 200_000 });
  });

  it.each([
    { name: 'older than 5 s (video was paused meanwhile)', before: { at: 0, bytes: 0, packets: {} }, at: 6000 },
    { name: 'from the same moment', before: { at: 6000, bytes: 0, packets: {} }, at: 6000 },
  ])('gives no send rate when the previous sample is $name', ({ before, at }) => {
    const { report } = senderReport(chromium(at, 50_000, 1e6, 'none'), before as SenderSample);
    expect(report.sendBitrate).toBeUndefined();
  });

  it('reports nothing it cannot see', () => {
    expect(senderReport([]).report).toEqual({});
  });
});
