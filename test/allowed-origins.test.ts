import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningStack } from './helpers/stack.ts';

/**
 * VISITWIRE_ALLOWED_ORIGINS on `visitwire start`: signaling, the edge router's
 * API and the SDK bundle answer pages of the listed origin only. Browsers send
 * the Origin header on every WebSocket and cross-origin request; here it is set by hand.
 */
const CLINIC = 'https://clinic.example';
const EVIL = 'https://evil.example';
let server: RunningStack;

beforeAll(async () => {
  server = await startServer({ VISITWIRE_ALLOWED_ORIGINS: `${CLINIC},http://127.0.0.1:1` });
});
afterAll(async () => {
  expect(await server?.stop()).toBe(0);
});

/** 'connected', or what the refusal said. */
async function connectFrom(user: string, origin: string | undefined): Promise<string> {
  const token = await server.token({ visit: 'v-origins', user, role: 'provider' });
  const socket = io(server.url, {
    auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true,
    extraHeaders: origin ? { origin } : {},
  });
  try {
    return await new Promise<string>((resolve) => {
      socket.once('connect', () => resolve('connected'));
      socket.once('connect_error', (err: Error & { description?: unknown }) => resolve(`refused: ${err.message}`));
    });
  } finally {
    socket.close();
  }
}

describe('allowed origins', () => {
  it('refuses a signaling connection from a disallowed origin and accepts the listed one and non-browser clients', async () => {
    const outcomes = { evil: await connectFrom('dr-evil', EVIL), clinic: await connectFrom('dr-clinic', CLINIC), none: await connectFrom('dr-none', undefined) };
    console.log('signaling connections by origin:', outcomes);
    expect(outcomes.evil).toMatch(/^refused/);
    expect(outcomes.clinic).toBe('connected');
    expect(outcomes.none).toBe('connected');
  });

  it('answers the router API with CORS headers for the listed origin and refuses another with FORBIDDEN', async () => {
    const token = await server.token({ visit: 'v-origins', user: 'pt-1', role: 'patient' });
    const route = (origin: string) => fetch(`${server.url}/v1/route?visit=v-origins`, { headers: { authorization: `Bearer ${token}`, origin } });
    const fromClinic = await route(CLINIC);
    expect(fromClinic.status).toBe(200);
    expect(fromClinic.headers.get('access-control-allow-origin')).toBe(CLINIC);
    const fromEvil = await route(EVIL);
    expect(fromEvil.status).toBe(403);
    expect(((await fromEvil.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    expect(fromEvil.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${server.url}/v1/route`, { method: 'OPTIONS', headers: { origin: CLINIC, 'access-control-request-method': 'GET' } });
    expect([preflight.status, preflight.headers.get('access-control-allow-origin')]).toEqual([204, CLINIC]);
  });

  it('serves the SDK bundle with CORS headers to the listed origin only', async () => {
    const get = (origin: string) => fetch(`${server.url}/sdk/visitwire-sdk.js`, { headers: { origin } });
    const fromClinic = await get(CLINIC);
    expect(fromClinic.status).toBe(200);
    expect(fromClinic.headers.get('access-control-allow-origin')).toBe(CLINIC);
    expect((await get(EVIL)).headers.get('access-control-allow-origin')).toBeNull();
  });
});
