import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { labelVariable, quantile, series, stat } from './panels.ts';

const N = '{node="$node"}';

/** One node (variable `node`): its visits, media objects, latency, CPU, event loop, errors. */
export const node = new DashboardBuilder('visitwire / Node')
  .uid('visitwire-node').tags(['visitwire']).refresh('30s').time({ from: 'now-1h', to: 'now' })
  .withVariable(labelVariable('node', 'Node', 'visitwire_visits'))
  .withRow(new RowBuilder('Now'))
  .withPanel(stat('Visits', 'short', [`sum(visitwire_visits${N})`, 'visits']))
  .withPanel(stat('Signaling connections', 'short', [`sum(visitwire_signaling_connections${N})`, 'connections']))
  .withPanel(stat('Live workers', 'short', [`sum(visitwire_workers${N})`, 'workers']))
  .withPanel(stat('Draining', 'short', [`max(visitwire_draining${N})`, 'draining'], '1 while the node drains'))
  .withRow(new RowBuilder('Participants and media'))
  .withPanel(series('Participants by role', 'short', [[`sum by (role) (visitwire_participants${N})`, '{{role}}']]))
  .withPanel(series('Transports, producers, consumers', 'short', [
    [`sum(visitwire_transports${N})`, 'transports'],
    [`sum by (kind) (visitwire_producers${N})`, 'producers {{kind}}'],
    [`sum by (kind) (visitwire_consumers${N})`, 'consumers {{kind}}'],
  ]))
  .withPanel(series('Join latency', 's', [
    [quantile(0.5, 'visitwire_join_duration_seconds', N), 'p50'],
    [quantile(0.95, 'visitwire_join_duration_seconds', N), 'p95'],
  ], 'From a join request to its answer'))
  .withPanel(series('First packet after consume', 's', [[quantile(0.95, 'visitwire_first_packet_seconds', N, ['kind']), 'p95 {{kind}}']]))
  .withRow(new RowBuilder('Signaling'))
  .withPanel(series('Requests by message', 'reqps', [[`sum by (message) (rate(visitwire_signaling_requests_total${N}[$__rate_interval]))`, '{{message}}']]))
  .withPanel(series('Errors by code', 'reqps', [[`sum by (code) (rate(visitwire_signaling_errors_total${N}[$__rate_interval]))`, '{{code}}']]))
  .withPanel(series('Admission decisions', 'short', [[`sum by (decision) (increase(visitwire_admission_decisions_total${N}[$__rate_interval]))`, '{{decision}}']]))
  .withPanel(series('Connections refused at the handshake', 'short', [[`sum by (code) (increase(visitwire_signaling_connections_refused_total${N}[$__rate_interval]))`, '{{code}}']]))
  .withRow(new RowBuilder('Process'))
  .withPanel(series('CPU: workers and process', 'percentunit', [
    [`sum by (worker) (rate(visitwire_worker_cpu_seconds_total${N}[$__rate_interval]))`, 'worker {{worker}}'],
    [`rate(process_cpu_seconds_total${N}[$__rate_interval])`, 'node process'],
  ], 'In cores'))
  .withPanel(series('Event-loop lag', 's', [
    [`nodejs_eventloop_lag_p99_seconds${N}`, 'p99'],
    [`nodejs_eventloop_lag_mean_seconds${N}`, 'mean'],
  ]))
  .withPanel(series('Memory', 'bytes', [[`process_resident_memory_bytes${N}`, 'resident']]))
  .withPanel(series('Worker deaths', 'short', [[`increase(visitwire_worker_deaths_total${N}[$__rate_interval])`, 'deaths']]));
