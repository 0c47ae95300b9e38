/** The per-participant `networkQuality` signal for the app, from what the SFU knows of one link. */
import { DEFAULT_POLICY, type PolicyConfig } from './config.ts';

export type NetworkQuality = 'excellent' | 'good' | 'poor' | 'lost';

export interface NetworkQualityInput {
  /** mediasoup score (0-10): the lowest consumer score for a viewer, the lowest-layer producer score for a publisher. */
  score?: number;
  /** Link estimate (bps): the recv transport's BWE for a viewer, the SDK's availableOutgoingBitrate for a publisher. */
  availableBitrate?: number;
  /** Packet loss (0-1) when known, e.g. fractionLost from RTCP. */
  lossFraction?: number;
  /** The link runs audio-only (downlink fallback, or the publisher's video stopped). */
  audioOnly: boolean;
}

/** The worst grade any known measurement earns; unknown measurements are left out, and with none known the link is `good`. */
export function networkQuality(input: NetworkQualityInput, config: PolicyConfig = DEFAULT_POLICY): NetworkQuality {
  const { score, lossFraction: loss } = input;
  const known = score !== undefined || loss !== undefined || input.availableBitrate !== undefined;
  const usable = input.availableBitrate === undefined ? undefined : input.availableBitrate * config.bweUsableFraction;
  const below = (bps: number) => usable !== undefined && usable < bps;
  const audio = config.audioBitrate;
  const layers = config.layers;

  if ((score !== undefined && score <= config.qualityLostScore) || (loss !== undefined && loss >= config.qualityLostLoss) || below(audio)) {
    return 'lost';
  }
  if (input.audioOnly || (score !== undefined && score <= config.qualityPoorScore)
    || (loss !== undefined && loss >= config.qualityPoorLoss) || below(audio + layers[0]!.bitrate)) {
    return 'poor';
  }
  if ((score !== undefined && score <= config.qualityGoodScore) || (loss !== undefined && loss >= config.qualityGoodLoss)
    || below(audio + layers[layers.length - 1]!.bitrate)) {
    return 'good';
  }
  return known ? 'excellent' : 'good';
}

const ORDER: readonly NetworkQuality[] = ['lost', 'poor', 'good', 'excellent'];

/** The worse of several grades, e.g. a participant's uplink and downlink. */
export function worseQuality(first: NetworkQuality, ...rest: NetworkQuality[]): NetworkQuality {
  return [first, ...rest].reduce((a, b) => (ORDER.indexOf(b) < ORDER.indexOf(a) ? b : a));
}
