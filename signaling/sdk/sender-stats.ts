import type { types } from 'mediasoup-client';
import type { ClientMessage } from '../protocol.ts';

const REASONS = new Set(['none', 'bandwidth', 'cpu', 'other']);
/** A previous sample older than this (e.g. from before the video was paused) gives no send rate. */
const MAX_SAMPLE_GAP_MS = 5_000;

export type SenderReport = ClientMessage<'reportSenderStats'>;
/** What the next report compares against: time, video bytes sent, packets sent per SSRC. */
export interface SenderSample { at: number; bytes: number; packets: Record<number, number> }

const previous = new WeakMap<types.Producer, SenderSample>();

/**
 * The publisher's own view of its uplink, for the SFU's uplink fallback
 * (sfu/policy/fallback.ts), from its video sender's stats. Every browser has
 * the SFU's receiver reports (remote-inbound-rtp: loss and round trip) and
 * outbound-rtp bytesSent; Chromium also has the candidate pair's
 * availableOutgoingBitrate and qualityLimitationReason, Firefox neither.
 */
export async function senderStats(producer: types.Producer): Promise<SenderReport> {
  const stats: Record<string, any>[] = [];
  (await producer.getStats()).forEach((s) => stats.push(s));
  const { report, sample } = senderReport(stats, previous.get(producer));
  previous.set(producer, sample);
  return report;
}

/** The report from one getStats() of the video sender and the sample of the previous call. */
export function senderReport(stats: Record<string, any>[], before?: SenderSample): { report: SenderReport; sample: SenderSample } {
  const report: SenderReport = {};
  const sample: SenderSample = { at: 0, bytes: 0, packets: {} };
  const selectedPair = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId)?.selectedCandidatePairId;
  const remote: Record<string, any>[] = [];
  for (const s of stats) {
    const selected = selectedPair ? s.id === selectedPair : s.nominated && s.state === 'succeeded';
    if (s.type === 'candidate-pair' && selected && typeof s.availableOutgoingBitrate === 'number') report.availableOutgoingBitrate = s.availableOutgoingBitrate;
    if (s.type === 'outbound-rtp' && s.kind === 'video') {
      if (REASONS.has(s.qualityLimitationReason) && report.qualityLimitationReason !== 'bandwidth') report.qualityLimitationReason = s.qualityLimitationReason;
      sample.at = Math.max(sample.at, s.timestamp ?? 0);
      sample.bytes += s.bytesSent ?? 0;
      sample.packets[s.ssrc] = s.packetsSent ?? 0;
    }
    if (s.type === 'remote-inbound-rtp' && s.kind === 'video') remote.push(s);
  }
  const fresh = before && sample.at > before.at && sample.at - before.at <= MAX_SAMPLE_GAP_MS ? before : undefined;
  if (fresh) report.sendBitrate = Math.max(0, ((sample.bytes - fresh.bytes) * 8 * 1000) / (sample.at - fresh.at));

  // Loss and round trip of the layers that sent since the last report (a stopped layer's last receiver report is stale), weighted by packets.
  let packets = 0;
  let lost = 0;
  for (const r of remote) {
    const sent = (sample.packets[r.ssrc] ?? 0) - (fresh?.packets[r.ssrc] ?? 0);
    if (sent <= 0) continue;
    if (typeof r.fractionLost === 'number') { packets += sent; lost += sent * Math.min(1, Math.max(0, r.fractionLost)); }
    if (typeof r.roundTripTime === 'number') report.roundTripTimeMs = Math.max(report.roundTripTimeMs ?? 0, r.roundTripTime * 1000);
  }
  if (packets > 0) report.lossFraction = lost / packets;
  return { report, sample };
}
