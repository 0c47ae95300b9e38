import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import { QueryVariableBuilder, VariableRefresh, VariableSort } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';

/** The Prometheus data source the provisioning file defines (grafana/provisioning/datasources). */
export const PROMETHEUS = { type: 'prometheus', uid: 'prometheus' };

/** One query: PromQL and its legend. */
export type Query = [expr: string, legend: string];

const target = ([expr, legend]: Query, i: number) =>
  new DataqueryBuilder().datasource(PROMETHEUS).expr(expr).legendFormat(legend).refId(String.fromCharCode(65 + i));

/** A time series panel, half the dashboard wide. */
export function series(title: string, unit: string, queries: Query[], description = ''): TimeseriesPanel {
  const panel = new TimeseriesPanel().title(title).description(description).unit(unit).datasource(PROMETHEUS).height(8).span(12);
  queries.forEach((q, i) => panel.withTarget(target(q, i)));
  return panel;
}

/** A single-number panel, a quarter of the dashboard wide. */
export function stat(title: string, unit: string, query: Query, description = ''): StatPanel {
  return new StatPanel().title(title).description(description).unit(unit).datasource(PROMETHEUS).height(4).span(6).withTarget(target(query, 0));
}

/** A variable whose values are one label's values on one metric. */
export function labelVariable(name: string, label: string, metric: string, o: { all?: boolean } = {}): cog.Builder<any> {
  const v = new QueryVariableBuilder(name).label(label).datasource(PROMETHEUS)
    .query({ qryType: 1, query: `label_values(${metric}, ${name})`, refId: 'PrometheusVariableQueryEditor-VariableQuery' })
    .definition(`label_values(${metric}, ${name})`)
    .refresh(VariableRefresh.OnTimeRangeChanged).sort(VariableSort.AlphabeticalAsc);
  return o.all ? v.includeAll(true).allValue('.*').multi(true) : v;
}

/** `histogram_quantile` of a histogram's rate, summed by `by` (and `le`). */
export const quantile = (q: number, metric: string, selector = '', by: string[] = []) =>
  `histogram_quantile(${q}, sum by (${['le', ...by].join(', ')}) (rate(${metric}_bucket${selector}[$__rate_interval])))`;
