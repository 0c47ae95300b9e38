import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The alert rules and the compose Prometheus config, through Debian's promtool (the test set-up installs `prometheus`). */
const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'prometheus');
const promtool = (...args: string[]) => {
  const r = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8' });
  if (r.error) throw new Error(`promtool cannot run (${r.error.message}): npm test's set-up installs the Debian package prometheus`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
};

describe('alert rules (grafana/prometheus/alerts.yml)', () => {
  it('pass promtool check rules', () => {
    const r = promtool('check', 'rules', 'alerts.yml');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/SUCCESS: 9 rules found/);
  });

  it('fire on the series each one is for, and stay quiet on the rest (promtool test rules)', () => {
    const r = promtool('test', 'rules', 'alerts.test.yml');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/SUCCESS/);
  });

  it('are loaded by the compose Prometheus config, which promtool accepts', () => {
    const r = promtool('check', 'config', 'prometheus.yml');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/SUCCESS: 9 rules found/);
  });
});
