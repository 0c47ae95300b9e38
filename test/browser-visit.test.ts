/**
 * A real video visit in two headless Chromium pages (Debian chromium, fake
 * camera and microphone) against the server of `npm start`: the demo's
 * provider and patient pages, the SDK bundle, signaling and a mediasoup worker.
 * WebRTC stats are read from every RTCPeerConnection the pages make (recorded
 * by an init script), not from the SDK, so the SDK cannot vouch for itself.
 */
import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningStack } from './helpers/stack.ts';
import { CHROMIUM, CHROMIUM_ARGS, WAIT_MS, assertBrowserReady, grows, recordPeerConnections, rtpStats, until, visitState, type PcWindow } from './helpers/browser.ts';

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

describe('a video visit in two Chromium pages', () => {
  let server: RunningStack;
  let browser: Browser;
  let provider: Page;
  let patient: Page;
  const pageLog: string[] = [];
  let admitClickedAt = 0;

  beforeAll(async () => {
    assertBrowserReady();
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
