import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Role } from '../../common/roles.ts';
import { mintToken } from '../../common/tokens.ts';

export const TEST_SECRET = 'visitwire-test-secret-0123456789';
/** What `visitwire node` processes of a test cluster sign pipe requests with; their internal API takes any free loopback port. */
export const TEST_CLUSTER_ENV = { VISITWIRE_CLUSTER_SECRET: 'visitwire-test-cluster-secret-0123456789', VISITWIRE_INTERNAL_ADDR: '127.0.0.1:0' };
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface RunningStack {
  url: string;
  /** The metrics address (VISITWIRE_METRICS_ADDR): scrape `${metricsUrl}/metrics`. */
  metricsUrl: string;
  proc: ChildProcess;
  /** Everything the server wrote, for failure messages. */
  output: () => string;
  token(o: { visit: string; user: string; role: Role; ttlSeconds?: number; residency?: string }): Promise<string>;
  stop(): Promise<number | null>;
}

/**
 * Runs the server of `npm start` (`visitwire start`) on a free port, as a child process.
 * Media listens on 127.0.0.1 unless `env` says otherwise; a variable given as
 * undefined is removed, so `{ VISITWIRE_RTC_LISTEN_IP: undefined }` runs npm start's own default.
 */
export async function startServer(env: Record<string, string | undefined> = {}): Promise<RunningStack> {
  const merged: Record<string, string | undefined> = {
    ...process.env, PORT: '0', HOST: '127.0.0.1', VISITWIRE_SECRET: TEST_SECRET, VISITWIRE_RTC_PORT: '0', LOG_LEVEL: 'warn',
    VISITWIRE_RTC_LISTEN_IP: '127.0.0.1', VISITWIRE_METRICS_ADDR: '127.0.0.1:0', ...env,
  };
  const proc = spawn(process.execPath, [path.join(root, 'bin', 'visitwire.mjs'), 'start'], {
    cwd: root,
    env: Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  const [url, metricsUrl] = await new Promise<[string, string]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s:\n${out}`)), 30_000);
    proc.stdout!.on('data', () => {
      const m = /open (https?:\/\/\S+?)\/ [^]*metrics for Prometheus: (http:\/\/\S+)\/metrics/.exec(out);
      if (m) { clearTimeout(timer); resolve([m[1], m[2]]); }
    });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}:\n${out}`)); });
  });
  return {
    url, metricsUrl, proc,
    output: () => out,
    token: (o) => mintToken(TEST_SECRET, o),
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null) return resolve(proc.exitCode);
      proc.once('exit', (code) => resolve(code));
      proc.kill('SIGINT');
    }),
  };
}
