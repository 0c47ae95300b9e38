import { parser } from '@prometheus-io/lezer-promql';

/** One query of one panel of a generated dashboard (JSON). */
export interface PanelQuery {
  dashboard: string;
  panel: string;
  expr: string;
}

/** Every panel's PromQL in a dashboard's JSON (rows included). */
export function panelQueries(dashboard: string, json: { panels?: any[] }): PanelQuery[] {
  const panels = (json.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
  return panels.flatMap((p) => (p.targets ?? []).map((t: { expr: string }) => ({ dashboard, panel: p.title, expr: t.expr })));
}

/** Grafana's variables replaced, for running a query outside Grafana. */
export function substitute(expr: string, vars: Record<string, string>): string {
  return expr.replace(/\$(__rate_interval|\w+)/g, (m, name: string) => vars[name] ?? m);
}

/** Syntax errors lezer-promql finds (Prometheus's own grammar), as "at N: text" strings; [] when the query parses. */
export function syntaxErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({ enter: (n) => { if (n.type.isError) errors.push(`at ${n.from}: "${expr.slice(Math.max(0, n.from - 10), n.to + 10)}"`); } });
  return errors;
}

/** Metric names a query selects. */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  const tree = parser.parse(expr);
  tree.iterate({ enter: (n) => { if (n.type.name === 'Identifier' && n.node.parent?.type.name === 'VectorSelector') names.add(expr.slice(n.from, n.to)); } });
  return [...names];
}
