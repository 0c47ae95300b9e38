import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { labelVariable, series, stat } from './panels.ts';

const R = '{region=~"$region"}';

/** Every region and node at a glance: what runs where, how busy, how much room is left, who drains. */
export const fleet = new DashboardBuilder('visitwire / Fleet')
  .uid('visitwire-fleet').tags(['visitwire']).refresh('30s').time({ from: 'now-3h', to: 'now' })
  .withVariable(labelVariable('region', 'Region', 'visitwire_visits', { all: true }))
  .withRow(new RowBuilder('Now'))
  .withPanel(stat('Visits', 'short', [`sum(visitwire_visits${R})`, 'visits']))
  .withPanel(stat('Participants', 'short', [`sum(visitwire_participants${R})`, 'participants']))
  .withPanel(stat('Nodes up', 'short', [`count(up{job="visitwire-nodes"} == 1)`, 'nodes'], 'Node metrics endpoints Prometheus reaches'))
  .withPanel(stat('Orphaned media objects', 'short', [`sum(visitwire_orphans${R})`, 'orphans'], 'Must stay 0 (media census)'))
  .withRow(new RowBuilder('Load by region'))
  .withPanel(series('Visits by region', 'short', [[`sum by (region) (visitwire_visits${R})`, '{{region}}']]))
  .withPanel(series('Participants by region and role', 'short', [[`sum by (region, role) (visitwire_participants${R})`, '{{region}} {{role}}']]))
  .withPanel(series('Worker CPU by node', 'percentunit', [[`sum by (node) (rate(visitwire_worker_cpu_seconds_total${R}[$__rate_interval]))`, '{{node}}']], 'mediasoup workers, in cores (1 = one core busy)'))
  .withPanel(series('Node process CPU by node', 'percentunit', [[`sum by (node) (rate(process_cpu_seconds_total{region=~"$region", node!=""}[$__rate_interval]))`, '{{node}}']], 'The Node.js process (signaling, policy), in cores'))
  .withRow(new RowBuilder('Capacity (edge router view)'))
  .withPanel(series('Capacity headroom by region', 'percentunit', [[`min by (region) (visitwire_region_headroom_ratio${R})`, '{{region}}']], 'Free share of the routable nodes\' max visits; scale out below 20%'))
  .withPanel(series('Visits and capacity by region', 'short', [
    [`max by (region) (visitwire_region_visits${R})`, '{{region}} visits'],
    [`max by (region) (visitwire_region_capacity_visits${R})`, '{{region}} capacity'],
  ]))
  .withPanel(series('Healthy and draining nodes by region', 'short', [
    [`max by (region) (visitwire_region_nodes_healthy${R})`, '{{region}} healthy'],
    [`max by (region) (visitwire_region_nodes_draining${R})`, '{{region}} draining'],
  ]))
  .withPanel(series('Worker deaths', 'short', [[`sum by (node) (increase(visitwire_worker_deaths_total${R}[$__rate_interval]))`, '{{node}}']]));
