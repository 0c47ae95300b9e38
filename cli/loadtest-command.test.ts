import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'visitwire.mjs');

it('visitwire loadtest exits 2 with a message on bad options', () => {
  const r = spawnSync(process.execPath, [cli, 'loadtest', '--node', 'http://127.0.0.1:9', '--visits', 'many'],
    { env: { PATH: process.env.PATH, VISITWIRE_SECRET: 'cli-test-secret-0123456789abcdef' }, encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/--visits/);
});
