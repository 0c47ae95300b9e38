/**
 * Shared by the browser tests: Debian Chromium driven by playwright-core, and
 * WebRTC stats read from every RTCPeerConnection a page makes (recorded by an
 * init script), not from the SDK, so the SDK cannot vouch for itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required',
];
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

export async function rtpStats(page: Page): Promise<RtpStat[]> {
  return page.evaluate(async () => {
    const out: RtpStat[] = [];
    for (const pc of (window as unknown as PcWindow).__pcs) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s: any) => {
        if (s.type !== 'inbound-rtp' && s.type !== 'outbound-rtp') return;
        out.push({
          type: s.type, kind: s.kind, ssrc: s.ssrc, rid: s.rid, timestamp: s.timestamp, bytesSent: s.bytesSent,
          packetsReceived: s.packetsReceived, framesDecoded: s.framesDecoded, frameWidth: s.frameWidth,
          frameHeight: s.frameHeight, qualityLimitationReason: s.qualityLimitationReason,
        });
      });
    }
    return out;
  });
}

export const visitState = (page: Page) => page.evaluate(() => (window as unknown as PcWindow).visitState);

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
export async function grows(page: Page, label: string, type: RtpStat['type'], kind: RtpStat['kind'], field: keyof RtpStat): Promise<[number, number]> {
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


/** Fails with the command to run when Chromium or the SDK bundle is missing. */
export function assertBrowserReady(): void {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing (${CHROMIUM}): run \`node scripts/prepare.mjs --for-tests\` as root (it installs Debian's chromium), or \`apt-get install -y chromium\``);
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

