import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, type TestClient } from '../test/helpers/signaling-client.ts';
import { startServer, type RunningStack } from '../test/helpers/stack.ts';

/** `visitwire start` (npm start): the edge router and the admin endpoints on the stack's own port. */
let server: RunningStack;
const clients: TestClient[] = [];
beforeAll(async () => { server = await startServer({ VISITWIRE_WORKERS: '1' }); });
afterAll(async () => {
  for (const c of clients) c.close();
  if (server.proc.exitCode === null) server.proc.kill('SIGKILL');
});

const get = async (path: string, token?: string, method = 'GET') => {
  const res = await fetch(`${server.url}${path}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: (await res.json()) as any };
};
const admin = () => server.token({ visit: 'ops', user: 'admin-1', role: 'administrator' });
const join = async (visit: string, user: string) => {
  const client = await connectClient(server.url, await server.token({ visit, user, role: 'provider' }));
  clients.push(client);
  return { client, reply: await client.request('join', {}) };
};

describe('npm start routes every visit to its one local node', () => {
  it('GET /v1/route answers this server as the node', async () => {
    const res = await get('/v1/route?visit=v-local', await server.token({ visit: 'v-local', user: 'pt-1', role: 'patient' }));
    expect(res).toMatchObject({ status: 200, body: { region: 'local', signalingUrl: server.url, iceServers: [], reason: 'default-region' } });
  });

  it('GET /v1/regions shows the node and its load to an administrator', async () => {
    const { reply } = await join('v-load', 'dr-1');
    expect(reply.data.admission).toBe('admitted');
    await expect.poll(async () => (await get('/v1/regions', await admin())).body.regions?.[0]?.nodes?.[0]?.load, { timeout: 10_000 })
      .toMatchObject({ visits: 1, participants: 1 });
  });

  it('keeps /healthz, serves /metrics only on the metrics address, and refuses bad route requests', async () => {
    expect((await get('/healthz')).body.status).toBe('ok');
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.metricsUrl).not.toBe(server.url);
    const text = await (await fetch(`${server.metricsUrl}/metrics`)).text();
    expect(text).toMatch(/^visitwire_participants\{role="provider",[^}]*region="local"[^}]*\} 1$/m); // no ids in labels but node and region
    expect(text).toMatch(/^visitwire_worker_cpu_seconds_total\{worker="0",/m);
    expect(text).toMatch(/^process_cpu_seconds_total\{/m);
    expect(text).not.toContain('visitwire_process_');
    expect((await get('/v1/route?visit=bad%20id', await admin())).status).toBe(400);
    expect((await get('/v1/route?visit=v-local')).status).toBe(401);
    expect((await get('/v1/regions', await server.token({ visit: 'v', user: 'u', role: 'provider' }))).status).toBe(403);
  });
});

describe('admin endpoints', () => {
  it('status needs an administrator token', async () => {
    expect((await get('/v1/admin/status')).status).toBe(401);
    expect((await get('/v1/admin/status', await server.token({ visit: 'v', user: 'u', role: 'provider' }))).status).toBe(403);
    expect((await get('/v1/admin/drain', await admin())).status).toBe(405);
    expect((await get('/v1/admin/status', await admin())).body).toMatchObject({ region: 'local', draining: false, workers: 1 });
  });

  it('drain: new visits are refused, running ones go on, and the server exits 0 when the last ends', async () => {
    const exited = new Promise<number | null>((resolve) => server.proc.once('exit', resolve));
    const running = clients[0]!;
    const drained = await get('/v1/admin/drain', await admin(), 'POST');
    expect(drained).toMatchObject({ status: 202, body: { draining: true, load: { visits: 1 } } });

    expect((await join('v-new', 'dr-2')).reply.error).toEqual({ code: 'UNAVAILABLE', message: 'node is draining' });
    expect((await join('v-load', 'nurse-1')).reply.data?.admission).toBe('admitted');
    const route = await get('/v1/route?visit=v-new', await server.token({ visit: 'v-new', user: 'pt-2', role: 'patient' }));
    expect(route).toMatchObject({ status: 503, body: { error: { code: 'UNAVAILABLE', message: 'all-draining' } } });

    expect(server.proc.exitCode).toBeNull();
    for (const c of clients) c.close();
    expect(await exited).toBe(0);
    expect(running.socket.connected).toBe(false);
  });
});
