/**
 * Writes the dashboards (TypeScript, grafana/dashboards/src) as the JSON Grafana
 * loads (grafana/dashboards/*.json). `npm run grafana:generate`; a test fails
 * when the committed JSON differs from what this writes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DASHBOARDS } from './dashboards/src/index.ts';

export const DASHBOARD_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'dashboards');

/** File name -> JSON text of every dashboard. */
export function renderDashboards(): Map<string, string> {
  return new Map(Object.entries(DASHBOARDS).map(([file, builder]) => [`${file}.json`, `${JSON.stringify(builder.build(), null, 2)}\n`]));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const [file, json] of renderDashboards()) fs.writeFileSync(path.join(DASHBOARD_DIR, file), json);
  console.log(`wrote ${[...renderDashboards().keys()].join(', ')} to ${path.relative(process.cwd(), DASHBOARD_DIR)}/`);
}
