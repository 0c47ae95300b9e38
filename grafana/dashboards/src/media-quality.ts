import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { labelVariable, quantile, series } from './panels.ts';

const R = '{region=~"$region"}';
const rate = (metric: string, by: string) => `sum by (${by}) (rate(${metric}${R}[$__rate_interval]))`;

/** How calls sound and look: loss, RTT, jitter, scores, bitrates, layers, pauses by reason. */
export const mediaQuality = new DashboardBuilder('visitwire / Media quality')
  .uid('visitwire-media-quality').tags(['visitwire']).refresh('30s').time({ from: 'now-1h', to: 'now' })
  .withVariable(labelVariable('region', 'Region', 'visitwire_visits', { all: true }))
  .withRow(new RowBuilder('Network'))
  .withPanel(series('Packet loss', 'percentunit', [[
    `${rate('visitwire_rtp_packets_lost_total', 'direction')} / (${rate('visitwire_rtp_packets_total', 'direction')} + ${rate('visitwire_rtp_packets_lost_total', 'direction')})`, '{{direction}}',
  ]], 'in: publishers to the SFU; out: the SFU to viewers (receiver reports)'))
  .withPanel(series('Round-trip time to viewers', 's', [
    [quantile(0.5, 'visitwire_rtt_seconds', R), 'p50'],
    [quantile(0.95, 'visitwire_rtt_seconds', R), 'p95'],
  ]))
  .withPanel(series('Jitter of publishers\' streams', 's', [[quantile(0.95, 'visitwire_jitter_seconds', R, ['kind']), 'p95 {{kind}}']]))
  .withPanel(series('Downlink estimate of viewers', 'bps', [
    [quantile(0.1, 'visitwire_downlink_estimate_bps', R), 'p10'],
    [quantile(0.5, 'visitwire_downlink_estimate_bps', R), 'p50'],
  ], 'mediasoup bandwidth estimate of each receive transport'))
  .withRow(new RowBuilder('Streams'))
  .withPanel(series('Bitrate', 'bps', [[`8 * ${rate('visitwire_rtp_bytes_total', 'direction, kind')}`, '{{direction}} {{kind}}']]))
  .withPanel(series('Consumer score', 'short', [
    [quantile(0.1, 'visitwire_consumer_score', R, ['kind']), 'p10 {{kind}}'],
    [quantile(0.5, 'visitwire_consumer_score', R, ['kind']), 'p50 {{kind}}'],
  ], '0 bad .. 10 perfect'))
  .withPanel(series('NACKs and keyframe requests', 'short', [
    [rate('visitwire_rtp_nacks_total', 'direction'), 'NACK {{direction}}'],
    [rate('visitwire_rtp_keyframe_requests_total', 'direction, type'), '{{type}} {{direction}}'],
  ], 'Per second'))
  .withRow(new RowBuilder('Adaptation'))
  .withPanel(series('Layer switches', 'short', [[`sum by (direction) (increase(visitwire_layer_switches_total${R}[$__rate_interval]))`, '{{direction}}']]))
  .withPanel(series('Video pauses by reason', 'short', [[`sum by (reason) (increase(visitwire_video_pauses_total${R}[$__rate_interval]))`, '{{reason}}']], 'bandwidth: a viewer\'s downlink; sender-network: a publisher\'s uplink; muted: the publisher'));
