/**
 * A real TURN server for tests: Debian's coturn (`turnserver`, installed by
 * scripts/prepare.mjs --for-tests), in the foreground as a child process, with
 * the REST credentials scheme visitwire hands out (use-auth-secret) and TURN
 * over TLS with a self-signed certificate made here with openssl.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface Coturn {
  /** TURN over TLS (TCP). */
  tlsPort: number;
  secret: string;
  /** `turns:<address>:<tlsPort>?transport=tcp` */
  url: string;
  /**
   * base64 SHA-256 of the certificate's public key (SPKI). Chromium checks a
   * turns: server's certificate; `--ignore-certificate-errors-spki-list=<this>`
   * trusts exactly this test key and nothing else.
   */
  spkiSha256: string;
  output(): string;
  stop(): Promise<void>;
}

/** A free TCP port on `address` (coturn takes it a moment later). */
async function freePort(address: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, address, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function acceptsTcp(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, address);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts coturn on `address`, relaying only to `peer` (the SFU): every other
 * peer address is denied, as in the production configuration in the README.
 */
export async function startCoturn(o: { address: string; peer: string }): Promise<Coturn> {
  if (spawnSync('sh', ['-c', 'command -v turnserver && command -v openssl']).status !== 0) {
    throw new Error('coturn or openssl is missing: run `node scripts/prepare.mjs --for-tests` as root (it installs Debian\'s coturn and openssl)');
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'visitwire-coturn-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', `/CN=${o.address}`, '-addext', `subjectAltName=IP:${o.address}`, '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const spki = new X509Certificate(fs.readFileSync(cert)).publicKey.export({ type: 'spki', format: 'der' });
  const secret = randomBytes(24).toString('hex');
  const [plainPort, tlsPort] = [await freePort(o.address), await freePort(o.address)];
  const proc: ChildProcess = spawn('turnserver', [
    '-n', '--no-cli', '--log-file=stdout', '--simple-log', `--pidfile=${path.join(dir, 'turnserver.pid')}`,
    `--listening-ip=${o.address}`, `--relay-ip=${o.address}`, `--listening-port=${plainPort}`, `--tls-listening-port=${tlsPort}`,
    '--no-dtls', '--no-rfc5780', '--fingerprint', '--realm=visitwire.test', '--use-auth-secret', `--static-auth-secret=${secret}`,
    `--cert=${cert}`, `--pkey=${key}`, '--no-multicast-peers',
    '--denied-peer-ip=0.0.0.0-255.255.255.255', `--allowed-peer-ip=${o.peer}`,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  while (!(await acceptsTcp(o.address, tlsPort))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`coturn did not listen on ${o.address}:${tlsPort}:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    tlsPort, secret, url: `turns:${o.address}:${tlsPort}?transport=tcp`,
    spkiSha256: createHash('sha256').update(spki).digest('base64'),
    output: () => out, stop,
  };
}
