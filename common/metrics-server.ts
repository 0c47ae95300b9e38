import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { metrics } from './metrics.ts';

/** Where metrics listen unless VISITWIRE_METRICS_ADDR says otherwise: loopback only. */
export const DEFAULT_METRICS_ADDR = '127.0.0.1:9464';

export interface MetricsServer {
  /** e.g. http://127.0.0.1:9464 (scrape `${url}/metrics`). */
  url: string;
  close(): Promise<void>;
}

/** `host:port`, `[v6]:port` or `:port` (all interfaces); port 0 picks a free port. */
export function parseMetricsAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(addr.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`VISITWIRE_METRICS_ADDR must be host:port (e.g. 127.0.0.1:9464), not "${addr}"`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/**
 * Serves `GET /metrics` (the process registry) and nothing else on its own
 * address: `addr`, or when none is configured DEFAULT_METRICS_ADDR, and if that
 * port is taken (a second process on this machine) a free loopback port, said in `onFallback`.
 */
export async function startMetricsServer(addr: string | undefined, onFallback?: (message: string) => void): Promise<MetricsServer> {
  if (addr !== undefined) return listen(addr);
  try {
    return await listen(DEFAULT_METRICS_ADDR);
  } catch (err) {
    if (!/EADDRINUSE/.test((err as Error).message)) throw err;
    const server = await listen('127.0.0.1:0');
    onFallback?.(`${DEFAULT_METRICS_ADDR} is taken: metrics are on ${server.url}/metrics (set VISITWIRE_METRICS_ADDR to choose)`);
    return server;
  }
}

async function listen(addr: string): Promise<MetricsServer> {
  const { host, port } = parseMetricsAddr(addr);
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are at /metrics\n');
      return;
    }
    metrics.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`metrics cannot listen on ${addr} (VISITWIRE_METRICS_ADDR): ${err.code ?? err.message}`)));
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
