import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { DEFAULT_METRICS_ADDR, parseMetricsAddr, startMetricsServer } from './metrics-server.ts';

describe('the metrics address', () => {
  it('reads host:port, [v6]:port and :port', () => {
    expect(parseMetricsAddr('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseMetricsAddr('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseMetricsAddr(':9464')).toEqual({ host: '0.0.0.0', port: 9464 });
    for (const bad of ['9464', 'localhost', '127.0.0.1:99999', 'http://127.0.0.1:9464']) expect(() => parseMetricsAddr(bad)).toThrow(/VISITWIRE_METRICS_ADDR/);
  });

  it('serves /metrics and nothing else', async () => {
    const server = await startMetricsServer('127.0.0.1:0');
    try {
      const res = await fetch(`${server.url}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/^process_cpu_seconds_total/m);
      expect((await fetch(`${server.url}/v1/admin/status`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('refuses a configured address that is taken, and says which variable', async () => {
    const first = await startMetricsServer('127.0.0.1:0');
    try {
      await expect(startMetricsServer(first.url.replace('http://', ''))).rejects.toThrow(/VISITWIRE_METRICS_ADDR.*EADDRINUSE/);
    } finally {
      await first.close();
    }
  });

  it('without configuration, moves to a free loopback port when the default is taken, and says so', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.once('error', () => resolve()).listen(9464, '127.0.0.1', () => resolve()));
    const messages: string[] = [];
    const server = await startMetricsServer(undefined, (m) => messages.push(m));
    try {
      expect(server.url).not.toBe(`http://${DEFAULT_METRICS_ADDR}`);
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(messages.join()).toMatch(/9464 is taken/);
    } finally {
      await server.close();
      blocker.close();
    }
  });
});
