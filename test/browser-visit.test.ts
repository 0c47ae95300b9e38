/**
 * A real video visit in two headless Chromium pages (Debian chromium, fake
 * camera and microphone) against the server of `npm start`: the demo's
 * provider and patient pages, the SDK bundle, signaling and a mediasoup worker.
 * WebRTC stats are read from every RTCPeerConnection the pages make (recorded
 * by an init script), not from the SDK, so the SDK cannot vouch for itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningStack } from './helpers/stack.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required',
];
/** Two pages on two cores, each encoding 720p simulcast: waits are generous and only end early. */
const WAIT_MS = 45_000;

interface RtpStat {
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

interface VisitState {
  phase: string;
  role: string | null;
  participantId: string | null;
  admission: string | null;
  participants: Record<string, { role: string; video: boolean; audio: boolean; videoPaused: boolean; audioPaused: boolean; firstFrameAt?: number }>;
  waiting: { participantId: string }[];
  published: { audio: boolean; video: boolean };
  interrupted: boolean;
  rejoins: number;
  errors: string[];
  marks: Record<string, number>;
}

type PcWindow = Window & { __pcs: RTCPeerConnection[]; visitState: VisitState; visit: any };

/** Runs before any page script: keeps every RTCPeerConnection the page creates. */
function recordPeerConnections(): void {
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

async function rtpStats(page: Page): Promise<RtpStat[]> {
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

const visitState = (page: Page) => page.evaluate(() => (window as unknown as PcWindow).visitState);

/** Polls `probe` until it returns a value (not undefined/false); fails with `what` and the last value seen. */
async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = WAIT_MS): Promise<T> {
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

const sum = (stats: RtpStat[], type: RtpStat['type'], kind: RtpStat['kind'], field: keyof RtpStat) =>
  stats.filter((s) => s.type === type && s.kind === kind).reduce((n, s) => n + (Number(s[field]) || 0), 0);

/** Waits until a summed counter is positive, then until it grows past that first sample. */
async function grows(page: Page, label: string, type: RtpStat['type'], kind: RtpStat['kind'], field: keyof RtpStat): Promise<[number, number]> {
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

const outboundVideo = async (page: Page) => (await rtpStats(page)).filter((s) => s.type === 'outbound-rtp' && s.kind === 'video');

/** The mediasoup worker processes of the server (children of its process), from /proc. */
function mediasoupWorkers(serverPid: number): number[] {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === serverPid && comm.startsWith('mediasoup-work') ? [Number(d)] : [];
    } catch {
      return []; // gone meanwhile
    }
  });
}

function assertBundleFresh(): void {
  const bundle = path.join(root, 'dist', 'visitwire-sdk.js');
  const built = fs.existsSync(bundle) ? fs.statSync(bundle).mtimeMs : 0;
  const sdkDir = path.join(root, 'signaling', 'sdk');
  const newest = Math.max(...fs.readdirSync(sdkDir).filter((f) => f.endsWith('.ts')).map((f) => fs.statSync(path.join(sdkDir, f)).mtimeMs));
  if (built < newest) throw new Error('dist/visitwire-sdk.js is missing or older than signaling/sdk: run `node scripts/prepare.mjs` (npm test does)');
}

describe('a video visit in two Chromium pages', () => {
  let server: RunningStack;
  let browser: Browser;
  let provider: Page;
  let patient: Page;
  const pageLog: string[] = [];
  let admitClickedAt = 0;

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(`Chromium is missing (${CHROMIUM}): run \`node scripts/prepare.mjs --for-tests\` as root (it installs Debian's chromium), or \`apt-get install -y chromium\``);
    }
    assertBundleFresh();
    server = await startServer();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const open = async (name: string) => {
      const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
      await context.addInitScript(recordPeerConnections);
      const page = await context.newPage();
      page.on('pageerror', (e) => pageLog.push(`${name} pageerror: ${e.message}`));
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') pageLog.push(`${name} ${m.type()}: ${m.text()}`); });
      return page;
    };
    provider = await open('provider');
    patient = await open('patient');
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    const code = await server?.stop();
    if (pageLog.length) console.log(`page console:\n${pageLog.slice(-30).join('\n')}`);
    expect(code).toBe(0);
  }, 60_000);

  it('creates a visit from the start page', async () => {
    await provider.goto(server.url);
    await provider.getByRole('button', { name: 'Create visit' }).click();
    await provider.locator('#links').waitFor({ state: 'visible', timeout: WAIT_MS });
    const providerUrl = await provider.locator('#provider-link').getAttribute('href');
    const patientUrl = await provider.locator('#patient-link').getAttribute('href');
    expect(providerUrl).toMatch(/\/visit\?token=/);
    expect(patientUrl).toMatch(/\/visit\?token=/);

    // The provider joins and publishes; their video leaves the browser before the patient arrives.
    await provider.goto(providerUrl!);
    await until('provider joined and published', async () => {
      const s = await visitState(provider);
      return s.phase === 'joined' && s.admission === 'admitted' && s.published.video && s.published.audio;
    });
    await grows(provider, 'provider', 'outbound-rtp', 'video', 'bytesSent');

    await patient.goto(patientUrl!);
    await until('patient joined the waiting room', async () => {
      const s = await visitState(patient);
      return s.phase === 'joined' && s.admission === 'waiting';
    });
  });

  it('keeps the patient in the waiting room with no media until admitted', async () => {
    // The provider sees them waiting, with an Admit button.
    await provider.getByRole('button', { name: 'Admit', exact: true }).waitFor({ timeout: WAIT_MS });
    const waiting = await visitState(provider);
    expect(waiting.waiting).toHaveLength(1);

    // The server refuses media messages from a waiting patient.
    const refusals = await patient.evaluate(async () => {
      const visit = (window as unknown as PcWindow).visit;
      const code = (p: Promise<unknown>) => p.then(() => 'accepted', (e: { code?: string }) => e.code ?? String(e));
      const id = crypto.randomUUID();
      return {
        createTransport: await code(visit.request('createTransport', { direction: 'recv' })),
        consume: await code(visit.request('consume', { transportId: id, producerId: crypto.randomUUID(), rtpCapabilities: {} })),
        produce: await code(visit.request('produce', { transportId: id, kind: 'video', rtpParameters: { codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }] } })),
        resumeConsumer: await code(visit.request('resumeConsumer', { consumerId: id })),
        publish: await code(visit.publish({ audio: true })),
        admitSelf: await code(visit.admit((window as unknown as PcWindow).visitState.participantId)),
      };
    });
    expect(refusals).toEqual({
      createTransport: 'NOT_ADMITTED', consume: 'NOT_ADMITTED', produce: 'NOT_ADMITTED', resumeConsumer: 'NOT_ADMITTED',
      publish: 'NOT_ADMITTED', admitSelf: 'FORBIDDEN',
    });

    // While the provider is sending, the patient page receives nothing: no remote tiles, no inbound RTP.
    await grows(provider, 'provider while patient waits', 'outbound-rtp', 'video', 'bytesSent');
    const s = await visitState(patient);
    expect(s.admission).toBe('waiting');
    expect(s.participants).toEqual({});
    expect(await patient.locator('.tile.remote').count()).toBe(0);
    expect(await patient.evaluate(() => (window as unknown as PcWindow).visit.remoteTracks.length)).toBe(0);
    expect((await rtpStats(patient)).filter((x) => x.type === 'inbound-rtp')).toEqual([]);
    expect(await patient.locator('#notice').textContent()).toContain('waiting room');
  });

  it('admits the patient by the Admit button; each page decodes video and receives audio from the other', async () => {
    admitClickedAt = Date.now();
    await provider.getByRole('button', { name: 'Admit', exact: true }).click();
    await until('patient admitted and published', async () => {
      const s = await visitState(patient);
      return s.admission === 'admitted' && s.published.video && s.published.audio;
    });

    for (const [name, page] of [['provider', provider], ['patient', patient]] as const) {
      const [v1, v2] = await grows(page, name, 'inbound-rtp', 'video', 'framesDecoded');
      const [a1, a2] = await grows(page, name, 'inbound-rtp', 'audio', 'packetsReceived');
      const s = await visitState(page);
      const inbound = (await rtpStats(page)).filter((x) => x.type === 'inbound-rtp' && x.kind === 'video').sort((a, b) => (b.framesDecoded ?? 0) - (a.framesDecoded ?? 0))[0];
      console.log(`${name}: first remote frame ${s.marks.firstRemoteFrame - admitClickedAt} ms after Admit; ` +
        `framesDecoded ${v1} -> ${v2}, audio packets ${a1} -> ${a2}, receiving ${inbound?.frameWidth}x${inbound?.frameHeight}`);
      expect(Object.values(s.participants)).toHaveLength(1);
      expect(Object.values(s.participants)[0]).toMatchObject({ video: true, audio: true });
      expect(await page.locator('.tile.remote.has-video').count()).toBe(1);
    }
  });

  it('sends the provider video as three simulcast layers', async () => {
    const layers = await until('three outbound video layers, all sending', async () => {
      const out = await outboundVideo(provider);
      return out.length === 3 && out.every((s) => (s.bytesSent ?? 0) > 0) && out;
    });
    expect(new Set(layers.map((s) => s.rid)).size).toBe(3);
    await until('every layer to keep sending', async () => {
      const out = await outboundVideo(provider);
      return layers.every((a) => (out.find((b) => b.rid === a.rid)?.bytesSent ?? 0) > a.bytesSent!) && out;
    });
    // Figures, not assertions: bitrate per layer over at least four seconds of stats.
    const from = await outboundVideo(provider);
    const to = await until('four more seconds of layer stats', async () => {
      const out = await outboundVideo(provider);
      return out.length === 3 && out[0].timestamp - from[0].timestamp >= 4000 && out;
    });
    const figures = [...from].sort((a, b) => String(a.rid).localeCompare(String(b.rid))).map((a) => {
      const b = to.find((x) => x.rid === a.rid)!;
      const kbps = ((b.bytesSent! - a.bytesSent!) * 8) / (b.timestamp - a.timestamp);
      return `${a.rid} ${b.frameWidth}x${b.frameHeight} ${kbps.toFixed(0)} kbps (limited by ${b.qualityLimitationReason})`;
    });
    console.log(`provider simulcast layers: ${figures.join(', ')}`);
  });

  it('mutes and unmutes with the buttons; the other side is told', async () => {
    const patientId = (await visitState(patient)).participantId!;
    await patient.getByRole('button', { name: 'Stop video', exact: true }).click();
    await until('provider sees the patient video paused', async () => (await visitState(provider)).participants[patientId]?.videoPaused);
    expect(await provider.locator(`.tile[data-participant="${patientId}"]`).getAttribute('class')).toContain('video-paused');
    await patient.getByRole('button', { name: 'Start video', exact: true }).click();
    await until('provider sees the patient video resumed', async () => (await visitState(provider)).participants[patientId]?.videoPaused === false);
    await grows(provider, 'provider after unmute', 'inbound-rtp', 'video', 'framesDecoded');

    await provider.getByRole('button', { name: 'Mute', exact: true }).click();
    const providerId = (await visitState(provider)).participantId!;
    await until('patient sees the provider muted', async () => (await visitState(patient)).participants[providerId]?.audioPaused);
    await provider.getByRole('button', { name: 'Unmute', exact: true }).click();
    await until('patient sees the provider unmuted', async () => (await visitState(patient)).participants[providerId]?.audioPaused === false);
  });

  it('rejoins by itself when the media workers die, and media flows again', async () => {
    const workers = mediasoupWorkers(server.proc.pid!);
    expect(workers.length).toBeGreaterThan(0);
    const killedAt = Date.now();
    for (const pid of workers) process.kill(pid, 'SIGKILL');
    for (const [name, page] of [['provider', provider], ['patient', patient]] as const) {
      const s = await until(`${name} to rejoin`, async () => {
        const st = await visitState(page);
        return st.rejoins === 1 && !st.interrupted && st.admission === 'admitted' && st;
      });
      await grows(page, `${name} after rejoin`, 'inbound-rtp', 'video', 'framesDecoded');
      await grows(page, `${name} after rejoin`, 'inbound-rtp', 'audio', 'packetsReceived');
      const { marks } = await visitState(page);
      console.log(`${name}: rejoined ${s.marks.rejoined - killedAt} ms after the workers were killed, ` +
        `remote video again after ${marks.firstRemoteFrameAfterRejoin - killedAt} ms`);
    }
    await until('three outbound video layers again', async () => {
      const out = await outboundVideo(provider);
      return out.length === 3 && out.every((x) => (x.bytesSent ?? 0) > 0);
    });
  });

  it('leaves: the other side drops the tile, the server lets go of everything', async () => {
    await patient.getByRole('button', { name: 'Leave', exact: true }).click();
    await until('patient left', async () => (await visitState(patient)).phase === 'left');
    await until('provider sees the patient gone', async () => {
      const s = await visitState(provider);
      return Object.keys(s.participants).length === 0 && (await provider.locator('.tile.remote').count()) === 0;
    });
    expect(await patient.evaluate(() => (window as unknown as PcWindow).__pcs.every((pc) => pc.connectionState === 'closed'))).toBe(true);

    await provider.getByRole('button', { name: 'Leave', exact: true }).click();
    await until('provider left', async () => (await visitState(provider)).phase === 'left');
    const health = await until('server to count no participants', async () => {
      const h = await (await fetch(`${server.url}/healthz`)).json() as { participants: number; visits: number };
      return h.participants === 0 && h.visits === 0 && h;
    });
    expect(health).toMatchObject({ participants: 0, visits: 0 });
    for (const page of [provider, patient]) expect((await visitState(page)).errors).toEqual([]);
  });
});
