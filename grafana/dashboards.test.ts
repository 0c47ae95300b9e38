import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_DIR, renderDashboards } from './generate.ts';
import { metricNames, panelQueries, substitute, syntaxErrors } from './dashboards/queries.ts';

const rendered = renderDashboards();
const committed = (file: string) => fs.readFileSync(path.join(DASHBOARD_DIR, file), 'utf8');
const queries = [...rendered].flatMap(([file, json]) => panelQueries(file, JSON.parse(json)));

describe('grafana/dashboards', () => {
  it('the committed JSON is what the TypeScript generates (else: npm run grafana:generate)', () => {
    expect(fs.readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith('.json')).sort()).toEqual([...rendered.keys()].sort());
    for (const [file, json] of rendered) expect(committed(file), `${file} is stale: run npm run grafana:generate`).toBe(json);
  });

  it('has the four dashboards, each with a uid, and Node has the variable node', () => {
    const titles = [...rendered.values()].map((j) => JSON.parse(j)).map((d) => [d.uid, d.title]);
    expect(titles).toEqual([
      ['visitwire-fleet', 'visitwire / Fleet'], ['visitwire-node', 'visitwire / Node'],
      ['visitwire-media-quality', 'visitwire / Media quality'], ['visitwire-edge-router', 'visitwire / Edge router'],
    ]);
    expect(JSON.parse(rendered.get('node.json')!).templating.list.map((v: { name: string }) => v.name)).toEqual(['node']);
  });

  it('every panel query parses as PromQL and selects visitwire, process or Node.js metrics', () => {
    expect(queries.length).toBeGreaterThan(40);
    for (const q of queries) {
      const expr = substitute(q.expr, { __rate_interval: '1m', node: 'n', region: '.*' });
      expect([q.panel, syntaxErrors(expr)]).toEqual([q.panel, []]);
      expect(metricNames(expr).length, `${q.panel}: ${expr}`).toBeGreaterThan(0);
      for (const name of metricNames(expr)) expect(name).toMatch(/^(visitwire_|process_|nodejs_|up$)/);
    }
  });

  it('the syntax check can fail', () => {
    expect(syntaxErrors('sum by (region) (rate(visitwire_visits[5m])')).not.toEqual([]);
    expect(syntaxErrors('sum by (region) (rate(visitwire_visits[5m]))')).toEqual([]);
  });

  it('use the data source the provisioning file defines', () => {
    const provisioning = fs.readFileSync(path.join(DASHBOARD_DIR, '../provisioning/datasources/prometheus.yaml'), 'utf8');
    expect(provisioning).toMatch(/uid: prometheus\b/);
    for (const json of rendered.values()) {
      const uids = new Set([...json.matchAll(/"uid": "([^"]+)"/g)].map((m) => m[1]).filter((u) => !u.startsWith('visitwire-')));
      expect([...uids]).toEqual(['prometheus']);
    }
  });
});
