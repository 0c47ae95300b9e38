import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { verifyToken } from '../common/tokens.ts';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'visitwire.mjs');
const secret = 'cli-test-secret-0123456789abcdef';
const run = (args: string[], env: Record<string, string> = { VISITWIRE_SECRET: secret }) =>
  spawnSync(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });

describe('visitwire token', () => {
  it('prints a token the server accepts', async () => {
    const r = run(['token', '--visit', 'v-9', '--user', 'u-9', '--role', 'nurse', '--residency', 'eu', '--ttl', '120']);
    expect(r.status).toBe(0);
    expect(await verifyToken(secret, r.stdout.trim())).toMatchObject({ visit: 'v-9', sub: 'u-9', role: 'nurse', residency: 'eu' });
  });

  it.each([
    [['token', '--visit', 'v', '--user', 'u', '--role', 'king'], /--role must be one of/],
    [['token', '--visit', 'v', '--user', 'u'], /needs --visit, --user and --role/],
    [['token', '--visit', 'v w', '--user', 'u', '--role', 'patient'], /invalid token options/],
    [['token', '--visit', 'v', '--user', 'u', '--role', 'patient', '--ttl', '-1'], /--ttl/],
    [['token', '--visit', 'v', '--user', 'u', '--role', 'patient', '--key-file', '/nonexistent/private.jwk.json'], /--key-file/],
    [['launch'], /unknown command launch/],
  ])('exits 2 with a message for %j', (args, message) => {
    const r = run(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('exits 2 without VISITWIRE_SECRET', () => {
    const r = run(['token', '--visit', 'v', '--user', 'u', '--role', 'patient'], {});
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/VISITWIRE_SECRET is not set/);
  });
});
