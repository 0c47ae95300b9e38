import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A real Prometheus (Debian's `prometheus`, installed by the test set-up) scraping given targets every second. */
export interface RunningPrometheus {
  url: string;
  /** Result of an instant query; throws with Prometheus's error when the query fails. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  get<T = any>(apiPath: string): Promise<T>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** `jobs`: job name -> `host:port` targets; `ruleFiles`: absolute paths of rule files to load. */
export async function startPrometheus(jobs: Record<string, string[]>, ruleFiles: string[] = []): Promise<RunningPrometheus> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'visitwire-prometheus-'));
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: ruleFiles,
    scrape_configs: Object.entries(jobs).map(([job, targets]) => ({ job_name: job, static_configs: [{ targets }] })),
  };
  await fs.writeFile(path.join(dir, 'prometheus.yml'), JSON.stringify(config)); // JSON is YAML
  const port = await freePort();
  const proc: ChildProcess = spawn('prometheus', [
    `--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (d) => { log += d; });
  const spawnError = new Promise<never>((_, reject) => proc.once('error', (err) => reject(new Error(`prometheus cannot run (${err.message}): npm test's set-up installs the Debian package prometheus`))));
  const url = `http://127.0.0.1:${port}`;
  const ready = (async () => {
    for (let i = 0; i < 300; i++) {
      if (proc.exitCode !== null) throw new Error(`prometheus exited ${proc.exitCode}:\n${log}`);
      if (await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`prometheus not ready in 30 s:\n${log}`);
  })();
  await Promise.race([ready, spawnError]);
  const get = async (apiPath: string) => {
    const body = await (await fetch(`${url}${apiPath}`)).json() as { status: string; data: any; error?: string };
    if (body.status !== 'success') throw new Error(`${apiPath}: ${body.error}`);
    return body.data;
  };
  return {
    url, get,
    query: async (expr) => (await get(`/api/v1/query?query=${encodeURIComponent(expr)}`)).result,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
