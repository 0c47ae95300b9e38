import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'visitwire.mjs');
const secret = 'cli-test-secret-0123456789abcdef';
const dir = mkdtempSync(path.join(os.tmpdir(), 'visitwire-cli-'));
const regions = path.join(dir, 'regions.json');
const badRegions = path.join(dir, 'bad-regions.json');
writeFileSync(regions, JSON.stringify([{ id: 'eu-west', lat: 53.35, lon: -6.26, tags: ['eu'] }]));
writeFileSync(badRegions, JSON.stringify([{ id: 'EU West', lat: 99, lon: 0 }]));
const redis = ['--redis', 'redis://127.0.0.1:6379'];
const run = (args: string[], env: Record<string, string> = { VISITWIRE_SECRET: secret }) =>
  new Promise<{ status: number | null; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH, ...env }, timeout: 30_000 }, (_err, _stdout, stderr) => {
      resolve({ status: child.exitCode, stderr });
    });
  });

describe('visitwire node, router and drain refuse bad options with exit 2 and a message', () => {
  it.concurrent.each<[string[], RegExp, Record<string, string>?]>([
    [['node', '--region', 'eu-west'], /needs the cluster registry: --redis/],
    [['node', '--region', 'EU West', ...redis], /--region must be/],
    [['node', '--region', 'eu-west', ...redis], /VISITWIRE_SECRET is not set/, {}],
    [['node', '--region', 'eu-west', ...redis], /VISITWIRE_CLUSTER_SECRET is not set/],
    [['node', '--region', 'eu-west', ...redis, '--internal-addr', 'nowhere'], /--internal-addr must be host:port/, { VISITWIRE_SECRET: secret, VISITWIRE_CLUSTER_SECRET: 'cli-test-cluster-secret-0123456789abcdef' }],
    [['router', '--regions', regions, ...redis], /VISITWIRE_SECRET is not set/, {}],
    [['router', ...redis], /needs --regions FILE/],
    [['router', '--regions', badRegions, ...redis], /\[0\]\.id: must be 1-64/],
    [['router', '--regions', regions, ...redis, '--trust-proxy', '10.0.0.0/99'], /prefix length must be 0-32/],
    [['router', '--regions', regions, ...redis, '--ice-servers', '[{"url":"stun:x"}]'], /--ice-servers/],
    [['drain', 'http://127.0.0.1:9'], /needs an administrator token/],
    [['node', '--region', 'eu-west', ...redis, '--turn-urls', 'stun:x:3478'], /--turn-urls: "stun:x:3478" is not a TURN URL/],
    [['router', '--regions', regions, ...redis, '--turn-urls', 'turns:turn.example:443?transport=tcp'], /--turn-urls needs VISITWIRE_TURN_SECRET/],
  ])('%j', async (args, message, env) => {
    const r = await run(args, env);
    expect(r.stderr).toMatch(message);
    expect(r.status).toBe(2);
  });
});
