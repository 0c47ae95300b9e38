/**
 * A clinic's page on another origin imports the SDK bundle from a node that
 * serves no demo (VISITWIRE_DEMO=0, as `visitwire node`), and joins with it;
 * a node with TURN settings hands its TURN credentials out in the join answer.
 */
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { turnCredentials } from '../common/turn-credentials.ts';
import { CHROMIUM, CHROMIUM_ARGS, assertBrowserReady } from './helpers/browser.ts';
import { connectClient } from './helpers/signaling-client.ts';
import { startServer, type RunningStack } from './helpers/stack.ts';

const TURN = { urls: 'turns:turn.clinic.example:443?transport=tcp,turn:turn.clinic.example:3478?transport=udp', secret: 'coturn-static-auth-secret-for-tests' };
let server: RunningStack;
let browser: Browser;

beforeAll(async () => {
  assertBrowserReady();
  server = await startServer({ VISITWIRE_DEMO: '0', VISITWIRE_TURN_URLS: TURN.urls, VISITWIRE_TURN_SECRET: TURN.secret });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  expect(await server?.stop()).toBe(0);
});

describe('a node without the demo', () => {
  it('serves no demo pages, but the SDK bundle with CORS headers', async () => {
    expect((await fetch(`${server.url}/visit`)).status).toBe(404);
    const sdk = await fetch(`${server.url}/sdk/visitwire-sdk.js`, { headers: { origin: 'https://clinic.example' } });
    expect(sdk.status).toBe(200);
    expect(sdk.headers.get('content-type')).toBe('text/javascript');
    // VISITWIRE_ALLOWED_ORIGINS is unset: any origin (test/allowed-origins.test.ts checks a list).
    expect(sdk.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('a page on another origin imports the SDK from the node and joins a visit', async () => {
    const token = await server.token({ visit: 'v-bundle', user: 'dr-bundle', role: 'provider' });
    const page = await browser.newPage();
    // localhost and 127.0.0.1 are two origins: the import is cross-origin, as from a clinic's app.
    const other = server.url.replace('127.0.0.1', 'localhost');
    await page.goto(`${other}/healthz`);
    await page.addScriptTag({ type: 'module', content: `import * as sdk from '${server.url}/sdk/visitwire-sdk.js'; window.sdk = sdk;` });
    await page.waitForFunction(() => 'sdk' in window);
    const result = await page.evaluate(async ([nodeUrl, t]) => {
      try {
        const sdk = (window as unknown as { sdk: { joinVisit(o: object): Promise<any> } }).sdk;
        const visit = await sdk.joinVisit({ url: nodeUrl, token: t });
        const joined = { origin: location.origin, role: visit.self.role, admission: visit.admission };
        await visit.leave();
        return joined;
      } catch (err) {
        return { error: `${(err as { code?: string }).code ?? ''} ${(err as Error).message}` };
      }
    }, [server.url, token] as const);
    expect(result).toEqual({ origin: other, role: 'provider', admission: 'admitted' });
  });

  it('hands out TURN credentials in the join answer that expire with the token', async () => {
    const token = await server.token({ visit: 'v-bundle-turn', user: 'pt-turn', role: 'patient', ttlSeconds: 900 });
    const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp as number;
    const client = await connectClient(server.url, token);
    try {
      const { data } = await client.request('join', {});
      expect(data.iceServers).toEqual([{ urls: TURN.urls.split(','), ...turnCredentials(TURN.secret, 'pt-turn', exp) }]);
    } finally {
      client.close();
    }
  });
});
