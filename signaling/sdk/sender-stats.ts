import type { types } from 'mediasoup-client';
import type { ClientMessage } from '../protocol.ts';

const REASONS = new Set(['none', 'bandwidth', 'cpu', 'other']);
/** A previous sample older than this (e.g. from before the video was paused) gives no send rate. */
const MAX_SAMPLE_GAP_MS = 5_000;

interface Sample { at: number; bytes: number; packets: Map<number, number> }
const previous = new WeakMap<types.Producer, Sample>();

/**
 * The publisher's own view of its uplink, for the SFU's uplink fallback
 * (sfu/policy/fallback.ts). In every browser: the share of video packets lost
 * on the way to the SFU and the round trip, from the SFU's receiver reports
 * (remote-inbound-rtp), and the video actually sent since the last call
 * (outbound-rtp bytesSent). In Chromium also: the send estimate of the
 * selected candidate pair (availableOutgoingBitrate) and whether the encoder
 * is held back by bandwidth (qualityLimitationReason); Firefox has neither.
 */
export async function senderStats(producer: types.Producer): Promise<ClientMessage<'reportSenderStats'>> {
  const report = await producer.getStats();
  const out: ClientMessage<'reportSenderStats'> = {};
  let selectedPair: string | undefined;
  const now: Sample = { at: 0, bytes: 0, packets: new Map() };
  const remote: { ssrc: number; fractionLost?: number; roundTripTime?: number }[] = [];
  report.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) selectedPair = s.selectedCandidatePairId; });
  report.forEach((s) => {
    const selected = selectedPair ? s.id === selectedPair : s.nominated && s.state === 'succeeded';
    if (s.type === 'candidate-pair' && selected && typeof s.availableOutgoingBitrate === 'number') out.availableOutgoingBitrate = s.availableOutgoingBitrate;
    if (s.type === 'outbound-rtp' && s.kind === 'video') {
      if (REASONS.has(s.qualityLimitationReason) && out.qualityLimitationReason !== 'bandwidth') out.qualityLimitationReason = s.qualityLimitationReason;
      now.at = Math.max(now.at, s.timestamp ?? 0);
      now.bytes += s.bytesSent ?? 0;
      now.packets.set(s.ssrc, s.packetsSent ?? 0);
    }
    if (s.type === 'remote-inbound-rtp' && s.kind === 'video') remote.push({ ssrc: s.ssrc, fractionLost: s.fractionLost, roundTripTime: s.roundTripTime });
  });
  const before = previous.get(producer);
  previous.set(producer, now);
  const fresh = before && now.at > before.at && now.at - before.at <= MAX_SAMPLE_GAP_MS ? before : undefined;
  if (fresh) out.sendBitrate = Math.max(0, ((now.bytes - fresh.bytes) * 8 * 1000) / (now.at - fresh.at));

  // Loss and round trip of the layers that sent since the last call (a stopped layer's last report is stale), weighted by packets.
  let packets = 0;
  let lost = 0;
  for (const r of remote) {
    const sent = (now.packets.get(r.ssrc) ?? 0) - (fresh?.packets.get(r.ssrc) ?? 0);
    if (sent <= 0) continue;
    if (typeof r.fractionLost === 'number') { packets += sent; lost += sent * Math.min(1, Math.max(0, r.fractionLost)); }
    if (typeof r.roundTripTime === 'number') out.roundTripTimeMs = Math.max(out.roundTripTimeMs ?? 0, r.roundTripTime * 1000);
  }
  if (packets > 0) out.lossFraction = lost / packets;
  return out;
}
