import type { types } from 'mediasoup-client';
import type { ClientMessage } from '../protocol.ts';

const REASONS = new Set(['none', 'bandwidth', 'cpu', 'other']);

/**
 * The publisher's own view of its uplink, for the SFU's uplink fallback:
 * the send estimate of the selected candidate pair and whether the video
 * encoder is held back by bandwidth.
 */
export async function senderStats(producer: types.Producer): Promise<ClientMessage<'reportSenderStats'>> {
  const report = await producer.getStats();
  const out: ClientMessage<'reportSenderStats'> = {};
  let selectedPair: string | undefined;
  report.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) selectedPair = s.selectedCandidatePairId; });
  report.forEach((s) => {
    const selected = selectedPair ? s.id === selectedPair : s.nominated && s.state === 'succeeded';
    if (s.type === 'candidate-pair' && selected && typeof s.availableOutgoingBitrate === 'number') out.availableOutgoingBitrate = s.availableOutgoingBitrate;
    if (s.type === 'outbound-rtp' && REASONS.has(s.qualityLimitationReason) && out.qualityLimitationReason !== 'bandwidth') {
      out.qualityLimitationReason = s.qualityLimitationReason;
    }
  });
  return out;
}
