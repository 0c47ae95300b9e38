/** The browser SDK finds its node through the edge router (`joinVisit({ routerUrl, token })`) against `npm start`. */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, assertBrowserReady } from './helpers/browser.ts';
import { startServer, type RunningStack } from './helpers/stack.ts';

let server: RunningStack;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  assertBrowserReady();
  server = await startServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  page = await browser.newPage();
  await page.goto(server.url);
  await page.addScriptTag({ type: 'module', content: "import * as sdk from '/sdk/visitwire-sdk.js'; window.sdk = sdk;" });
  await page.waitForFunction(() => 'sdk' in window);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  expect(await server?.stop()).toBe(0);
});

const join = (token: string) => page.evaluate(async ([routerUrl, t]) => {
  const sdk = (window as unknown as { sdk: { joinVisit(o: object): Promise<any> } }).sdk;
  try {
    const visit = await sdk.joinVisit({ routerUrl, token: t });
    const result = { role: visit.self.role, admission: visit.admission };
    await visit.leave();
    return result;
  } catch (err) {
    return { code: (err as { code?: string }).code, message: (err as Error).message };
  }
}, [server.url, token] as const);

it('joins through the router', async () => {
  expect(await join(await server.token({ visit: 'v-routed', user: 'dr-1', role: 'provider' }))).toEqual({ role: 'provider', admission: 'admitted' });
});

it('reports the router\'s refusal with its code', async () => {
  expect(await join('not-a-token')).toMatchObject({ code: 'UNAUTHORIZED' });
  expect(await join(await server.token({ visit: 'v-routed', user: 'aud-1', role: 'auditor' }))).toMatchObject({ code: 'FORBIDDEN' });
});
