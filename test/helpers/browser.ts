/**
 * Shared by the browser tests: Debian Chromium driven by playwright-core,
 * Debian Firefox ESR driven by puppeteer-core over WebDriver BiDi, one
 * `TestPage` over both (launchBrowser), and WebRTC stats read from every
 * RTCPeerConnection a page makes (recorded by an init script), not from the
 * SDK, so the SDK cannot vouch for itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required',
];
export const FIREFOX = '/usr/bin/firefox-esr';
/** A fake camera and microphone, no permission prompt, audible autoplay; no ICE prefs (media.peerconnection.ice.*) on purpose. */
export const FIREFOX_PREFS: Record<string, unknown> = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
};
export const BROWSERS = ['chromium', 'firefox'] as const;
export type BrowserName = (typeof BROWSERS)[number];

/** Two pages on two cores, each encoding 720p simulcast: waits are generous and only end early. */
export const WAIT_MS = 45_000;

export interface RtpStat {
  type: 'inbound-rtp' | 'outbound-rtp';
  kind: 'audio' | 'video';
  ssrc: number;
  rid?: string;
  timestamp: number;
  bytesSent?: number;
  packetsReceived?: number;
  packetsLost?: number;
  framesDecoded?: number;
  frameWidth?: number;
  frameHeight?: number;
  qualityLimitationReason?: string;
}

export interface VisitState {
  phase: string;
  role: string | null;
  participantId: string | null;
  admission: string | null;
  participants: Record<string, { role: string; video: boolean; audio: boolean; videoPaused: boolean; audioPaused: boolean; firstFrameAt?: number }>;
  waiting: { participantId: string }[];
  published: { audio: boolean; video: boolean };
  interrupted: boolean;
  rejoins: number;
  connectionState: string;
  resumes: number;
  reconnecting: string[];
  errors: string[];
  marks: Record<string, number>;
}

export type PcWindow = Window & { __pcs: RTCPeerConnection[]; visitState: VisitState; visit: any };

/** Runs before any page script: keeps every RTCPeerConnection the page creates. */
export function recordPeerConnections(): void {
  const w = window as unknown as PcWindow;
  const Native = window.RTCPeerConnection;
  w.__pcs = [];
  window.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(config);
      w.__pcs.push(this);
    }
  };
}

/** Anything that runs a function in a page: a TestPage or a playwright Page. */
export interface Evaluates {
  evaluate<R>(fn: () => R | Promise<R>): Promise<R>;
}

/** One page of either browser, with what the scenarios need. */
export interface TestPage extends Evaluates {
  readonly browser: BrowserName;
  evaluate<R>(fn: () => R | Promise<R>): Promise<R>;
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  goto(url: string): Promise<void>;
  click(selector: string): Promise<void>;
}

export interface TestBrowser {
  readonly name: BrowserName;
  newPage(o?: { label?: string; log?: string[]; width?: number; height?: number; deviceScaleFactor?: number; initScript?: () => void }): Promise<TestPage>;
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** Runs the browser somewhere else, e.g. in a test host's namespace: (binary, relayed) -> executable. */
  wrap?: (binary: string, relayed: boolean) => string;
  /** An http origin (not localhost) to treat as secure, so the page may use the camera and WebRTC. */
  secureOrigin?: string;
  /** More command-line switches (Chromium only). */
  args?: string[];
}

/** Launches Debian's Chromium or Firefox ESR headless, with a fake camera and microphone. */
export async function launchBrowser(name: BrowserName, o: LaunchOptions = {}): Promise<TestBrowser> {
  assertBrowserReady(name);
  return name === 'chromium' ? launchChromium(o) : launchFirefox(o);
}

const noteConsole = (log: string[] | undefined, label: string, type: string, text: string) => {
  if (log && (type === 'error' || type === 'warn' || type === 'warning')) log.push(`${label} ${type}: ${text}`);
};

async function launchChromium(o: LaunchOptions): Promise<TestBrowser> {
  const args = [...CHROMIUM_ARGS, ...(o.secureOrigin ? [`--unsafely-treat-insecure-origin-as-secure=${o.secureOrigin}`] : []), ...(o.args ?? [])];
  const browser = await chromium.launch({ executablePath: o.wrap ? o.wrap(CHROMIUM, false) : CHROMIUM, headless: true, args });
  return {
    name: 'chromium',
    async newPage(p = {}) {
      const context = await browser.newContext({ viewport: { width: p.width ?? 1100, height: p.height ?? 700 }, deviceScaleFactor: p.deviceScaleFactor ?? 1 });
      await context.addInitScript(p.initScript ?? recordPeerConnections);
      const page = await context.newPage();
      const label = p.label ?? 'chromium';
      page.on('pageerror', (e) => p.log?.push(`${label} pageerror: ${e.message}`));
      page.on('console', (m) => noteConsole(p.log, label, m.type(), m.text()));
      return {
        browser: 'chromium',
        evaluate: (fn: (arg?: unknown) => unknown, arg?: unknown) => page.evaluate(fn, arg),
        goto: async (url) => { await page.goto(url); },
        click: (selector) => page.locator(selector).click(),
      } as TestPage;
    },
    close: () => browser.close(),
  };
}

async function launchFirefox(o: LaunchOptions): Promise<TestBrowser> {
  const prefs = { ...FIREFOX_PREFS, ...(o.secureOrigin ? { 'dom.securecontext.allowlist': new URL(o.secureOrigin).hostname } : {}) };
  const browser = await puppeteer.launch({
    browser: 'firefox', protocol: 'webDriverBiDi', headless: true, executablePath: o.wrap ? o.wrap(FIREFOX, true) : FIREFOX,
    extraPrefsFirefox: prefs, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
  });
  return {
    name: 'firefox',
    async newPage(p = {}) {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport({ width: p.width ?? 1100, height: p.height ?? 700, deviceScaleFactor: p.deviceScaleFactor ?? 1 });
      await page.evaluateOnNewDocument(p.initScript ?? recordPeerConnections);
      const label = p.label ?? 'firefox';
      page.on('pageerror', (e) => p.log?.push(`${label} pageerror: ${(e as Error).message}`));
      page.on('console', (m) => noteConsole(p.log, label, m.type(), m.text()));
      return {
        browser: 'firefox',
        evaluate: (fn: (arg?: unknown) => unknown, ...arg: unknown[]) => page.evaluate(fn, ...arg),
        goto: async (url) => { await page.goto(url); },
        click: (selector) => page.locator(selector).click(),
      } as TestPage;
    },
    close: () => browser.close(),
  };
}

export async function rtpStats(page: Evaluates): Promise<RtpStat[]> {
  return page.evaluate(async () => {
    const out: RtpStat[] = [];
    for (const pc of (window as unknown as PcWindow).__pcs) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s: any) => {
        if (s.type !== 'inbound-rtp' && s.type !== 'outbound-rtp') return;
        out.push({
          type: s.type, kind: s.kind, ssrc: s.ssrc, rid: s.rid, timestamp: s.timestamp, bytesSent: s.bytesSent,
          packetsReceived: s.packetsReceived, packetsLost: s.packetsLost, framesDecoded: s.framesDecoded, frameWidth: s.frameWidth,
          frameHeight: s.frameHeight, qualityLimitationReason: s.qualityLimitationReason,
        });
      });
    }
    return out;
  });
}

export const visitState = (page: Evaluates) => page.evaluate(() => (window as unknown as PcWindow).visitState);

/** Polls `probe` until it returns a value (not undefined/false); fails with `what` and the last value seen. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export const sum = (stats: RtpStat[], type: RtpStat['type'], kind: RtpStat['kind'], field: keyof RtpStat) =>
  stats.filter((s) => s.type === type && s.kind === kind).reduce((n, s) => n + (Number(s[field]) || 0), 0);

/** Waits until a summed counter is positive, then until it grows past that first sample. */
export async function grows(page: Evaluates, label: string, type: RtpStat['type'], kind: RtpStat['kind'], field: keyof RtpStat): Promise<[number, number]> {
  const first = await until(`${label}: first ${kind} ${field}`, async () => {
    const n = sum(await rtpStats(page), type, kind, field);
    return n > 0 && n;
  });
  const second = await until(`${label}: ${kind} ${field} to grow past ${first}`, async () => {
    const n = sum(await rtpStats(page), type, kind, field);
    return n > first && n;
  });
  return [first, second];
}


/** Fails with the command to run when the browser or the SDK bundle is missing. */
export function assertBrowserReady(name: BrowserName = 'chromium'): void {
  const [binary, deb] = name === 'chromium' ? [CHROMIUM, 'chromium'] : [FIREFOX, 'firefox-esr'];
  if (!fs.existsSync(binary)) {
    throw new Error(`${name} is missing (${binary}): run \`node scripts/prepare.mjs --for-tests\` as root (it installs Debian's ${deb}), or \`apt-get install -y ${deb}\``);
  }
  assertBundleFresh();
}

function assertBundleFresh(): void {
  const bundle = path.join(root, 'dist', 'visitwire-sdk.js');
  const built = fs.existsSync(bundle) ? fs.statSync(bundle).mtimeMs : 0;
  const sdkDir = path.join(root, 'signaling', 'sdk');
  const newest = Math.max(...fs.readdirSync(sdkDir).filter((f) => f.endsWith('.ts')).map((f) => fs.statSync(path.join(sdkDir, f)).mtimeMs));
  if (built < newest) throw new Error('dist/visitwire-sdk.js is missing or older than signaling/sdk: run `node scripts/prepare.mjs` (npm test does)');
}

