/**
 * HTTPS and WSS: `visitwire start` (the same server as `visitwire node`) given
 * a certificate (VISITWIRE_TLS_CERT, VISITWIRE_TLS_KEY) serves /healthz over
 * HTTPS and signaling over WSS, TLS 1.2 or later only. The certificate is
 * self-signed, made here with openssl; clients trust it as their CA.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { spawnRole } from './helpers/cluster.ts';
import { startServer, TEST_SECRET, type RunningStack } from './helpers/stack.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'visitwire-tls-'));
const certFile = path.join(dir, 'cert.pem');
const keyFile = path.join(dir, 'key.pem');
let ca: Buffer;
let server: RunningStack;

beforeAll(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  ca = fs.readFileSync(certFile);
  server = await startServer({ VISITWIRE_TLS_CERT: certFile, VISITWIRE_TLS_KEY: keyFile });
}, 60_000);

const started: ChildProcess[] = [];

afterAll(async () => {
  for (const proc of started) proc.kill('SIGTERM');
  expect(await server?.stop()).toBe(0);
  fs.rmSync(dir, { recursive: true, force: true });
});

function get(url: string, o: https.RequestOptions): Promise<{ status: number; body: any; protocol: string | null }> {
  return new Promise((resolve, reject) => {
    https.get(url, o, (res) => {
      let text = '';
      const protocol = (res.socket as tls.TLSSocket).getProtocol();
      res.setEncoding('utf8').on('data', (d) => { text += d; }).on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text), protocol }));
    }).on('error', reject);
  });
}

describe('HTTPS and WSS with a certificate', () => {
  it('announces an https URL and answers /healthz over TLS to a client that trusts the certificate', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await get(`${server.url}/healthz`, { ca });
    expect(res).toMatchObject({ status: 200, body: { status: 'ok' }, protocol: 'TLSv1.3' });
    await expect(get(`${server.url}/healthz`, {})).rejects.toThrow(/self-signed certificate/);
  });

  it('refuses TLS 1.1', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port: Number(new URL(server.url).port), ca, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
      socket.once('secureConnect', () => { resolve(`connected ${socket.getProtocol()}`); socket.destroy(); });
      socket.once('error', (err) => resolve(`refused: ${err.message}`));
    });
    expect(outcome).toMatch(/^refused: .*(protocol version|unsupported protocol)/i);
  });

  it('carries signaling over WSS: a client joins a visit', async () => {
    const token = await server.token({ visit: 'v-tls', user: 'dr-tls', role: 'provider' });
    const socket = io(server.url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true, ca: ca.toString() });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      const reply = await socket.timeout(10_000).emitWithAck('join', {});
      expect(reply.data).toMatchObject({ self: { role: 'provider' }, admission: 'admitted' });
    } finally {
      socket.close();
    }
  });

  it('serves the edge router (visitwire router) over HTTPS too', async () => {
    const regions = path.join(dir, 'regions.json');
    fs.writeFileSync(regions, JSON.stringify([{ id: 'eu-west', lat: 53.35, lon: -6.26, tags: ['eu'] }]));
    const router = await spawnRole(['router', '--regions', regions, '--port', '0'], {
      VISITWIRE_SECRET: TEST_SECRET, VISITWIRE_TLS_CERT: certFile, VISITWIRE_TLS_KEY: keyFile, REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      VISITWIRE_REDIS_PREFIX: `visitwire-tls-test-${process.pid}:`, VISITWIRE_METRICS_ADDR: '127.0.0.1:0',
    }, /listening on (https:\/\/\S+) /, started);
    const res = await get(`${router.ready[0]}/healthz`, { ca });
    expect(res).toMatchObject({ status: 200, body: { ok: true } });
  });
});
