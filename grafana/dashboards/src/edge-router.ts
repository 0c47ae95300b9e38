import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { quantile, series } from './panels.ts';

const J = '{job="visitwire-routers"}';

/** The edge routers: what they decide, how fast, what they refuse and why, and their registry (Redis). */
export const edgeRouter = new DashboardBuilder('visitwire / Edge router')
  .uid('visitwire-edge-router').tags(['visitwire']).refresh('30s').time({ from: 'now-1h', to: 'now' })
  .withRow(new RowBuilder('Decisions'))
  .withPanel(series('Route decisions by reason', 'reqps', [[`sum by (reason) (rate(visitwire_router_decisions_total${J}[$__rate_interval]))`, '{{reason}}']]))
  .withPanel(series('Route decisions by region', 'reqps', [[`sum by (region) (rate(visitwire_router_decisions_total${J}[$__rate_interval]))`, '{{region}}']]))
  .withPanel(series('Refusals by code', 'reqps', [[`sum by (code) (rate(visitwire_router_refusals_total${J}[$__rate_interval]))`, '{{code}}']]))
  .withPanel(series('Unavailable by cause', 'short', [[`sum by (cause) (increase(visitwire_router_refusals_total{job="visitwire-routers", code="UNAVAILABLE"}[$__rate_interval]))`, '{{cause}}']]))
  .withRow(new RowBuilder('Latency'))
  .withPanel(series('Request latency', 's', [
    [quantile(0.5, 'visitwire_router_request_duration_seconds', J, ['endpoint']), 'p50 {{endpoint}}'],
    [quantile(0.95, 'visitwire_router_request_duration_seconds', J, ['endpoint']), 'p95 {{endpoint}}'],
  ]))
  .withPanel(series('Requests by endpoint', 'reqps', [[`sum by (endpoint) (rate(visitwire_router_request_duration_seconds_count${J}[$__rate_interval]))`, '{{endpoint}}']]))
  .withRow(new RowBuilder('Registry (Redis)'))
  .withPanel(series('Registry latency', 's', [[quantile(0.95, 'visitwire_registry_duration_seconds', J, ['operation']), 'p95 {{operation}}']]))
  .withPanel(series('Registry errors', 'short', [[`sum by (operation) (increase(visitwire_registry_errors_total${J}[$__rate_interval]))`, '{{operation}}']]));
