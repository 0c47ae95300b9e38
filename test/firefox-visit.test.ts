/**
 * A Firefox patient (Debian firefox-esr over WebDriver BiDi) and a Chromium
 * provider in one visit, against the server of `npm start` with its own
 * defaults: no VISITWIRE_RTC_LISTEN_IP, no VISITWIRE_ANNOUNCED_ADDRESS, and no
 * ICE prefs in Firefox (it never pairs a loopback server candidate). Stats
 * come from the pages' RTCPeerConnections, not from the SDK.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grows, launchBrowser, until, visitState, type PcWindow, type TestBrowser, type TestPage } from './helpers/browser.ts';
import { startServer, type RunningStack } from './helpers/stack.ts';

let server: RunningStack;
let chromium: TestBrowser;
let firefox: TestBrowser;
let provider: TestPage;
let patient: TestPage;
const log: string[] = [];
const auditDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vw-ff-audit-'));
const auditFile = path.join(auditDir, 'audit.jsonl');
const audit = () => fs.readFileSync(auditFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { action: string; visitId: string });

beforeAll(async () => {
  // npm start's own choice of media address: the variables are removed, not set.
  server = await startServer({ VISITWIRE_RTC_LISTEN_IP: undefined, VISITWIRE_ANNOUNCED_ADDRESS: undefined, VISITWIRE_WORKERS: '1', VISITWIRE_AUDIT_FILE: auditFile });
  chromium = await launchBrowser('chromium');
  firefox = await launchBrowser('firefox');
  provider = await chromium.newPage({ label: 'provider (chromium)', log });
  patient = await firefox.newPage({ label: 'patient (firefox)', log });
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  await firefox?.close();
  const code = await server?.stop();
  fs.rmSync(auditDir, { recursive: true, force: true });
  if (log.length) console.log(`page console:\n${log.slice(-30).join('\n')}`);
  expect(code).toBe(0);
}, 60_000);

/** The remote address of the selected ICE candidate pair of every open transport of a page. */
const remoteAddresses = (page: TestPage) => page.evaluate(async () => {
  const out: string[] = [];
  for (const pc of (window as unknown as PcWindow).__pcs) {
    if (pc.connectionState !== 'connected') continue;
    const stats = await pc.getStats();
    stats.forEach((s: any) => {
      if (s.type === 'candidate-pair' && (s.selected || s.nominated) && s.state === 'succeeded') {
        const remote = stats.get(s.remoteCandidateId) as any;
        out.push(remote?.address ?? remote?.ip);
      }
    });
  }
  return out;
});

describe('a Firefox patient and a Chromium provider on npm start\'s defaults', () => {
  it('announces a media address every browser on this machine reaches, and says how to override it', () => {
    expect(server.output()).toMatch(/WebRTC media on \S+/);
    expect(server.output()).toContain('VISITWIRE_ANNOUNCED_ADDRESS');
  });

  it('waiting room, admit; each side decodes the other\'s video and receives its audio', async () => {
    const links = await (await fetch(`${server.url}/api/demo/visits`, { method: 'POST' })).json() as { providerUrl: string; patientUrl: string };
    await provider.goto(`${server.url}${links.providerUrl}`);
    await until('provider joined and published', async () => { const s = await visitState(provider); return s.admission === 'admitted' && s.published.video && s.published.audio; });
    await patient.goto(`${server.url}${links.patientUrl}`);
    const waiting = await until('the Firefox patient in the waiting room', async () => { const s = await visitState(patient); return s.admission === 'waiting' && s; });
    await until('the provider sees them waiting', async () => (await visitState(provider)).waiting.length === 1);

    const admittedAt = Date.now();
    await provider.click('button[data-action="admit"]');
    await until('patient admitted and published', async () => { const s = await visitState(patient); return s.admission === 'admitted' && s.published.video && s.published.audio; });
    for (const [name, page] of [['provider (chromium)', provider], ['patient (firefox)', patient]] as const) {
      const [v1, v2] = await grows(page, name, 'inbound-rtp', 'video', 'framesDecoded');
      const [a1, a2] = await grows(page, name, 'inbound-rtp', 'audio', 'packetsReceived');
      const s = await visitState(page);
      expect(Object.values(s.participants)).toHaveLength(1);
      expect(Object.values(s.participants)[0]).toMatchObject({ video: true, audio: true });
      console.log(`${name}: first remote frame ${s.marks.firstRemoteFrame - admittedAt} ms after Admit; framesDecoded ${v1} -> ${v2}, audio packets ${a1} -> ${a2}`);
    }
    const addresses = await remoteAddresses(patient);
    expect(addresses.length).toBeGreaterThan(0);
    console.log(`Firefox patient's media server address: ${addresses.join(', ')} (${waiting.participantId})`);
    for (const page of [provider, patient]) expect((await visitState(page)).errors).toEqual([]);
  });
});

describe('a browser the SDK cannot serve', () => {
  it('joinVisit without RTCPeerConnection rejects with UNSUPPORTED_BROWSER, and the node sees no join', async () => {
    const page = await firefox.newPage({
      label: 'no-webrtc (firefox)', log,
      initScript: () => { delete (window as { RTCPeerConnection?: unknown }).RTCPeerConnection; },
    });
    const token = await server.token({ visit: 'v-unsupported', user: 'pt-no-webrtc', role: 'patient' });
    // The demo's patient page: it calls joinVisit and shows what went wrong.
    await page.goto(`${server.url}/visit?token=${token}`);
    const state = await until('the join to fail', async () => { const s = await visitState(page); return s.phase === 'failed' && s; });
    expect(state.errors).toEqual([expect.stringMatching(/^join: UNSUPPORTED_BROWSER .*RTCPeerConnection/)]);
    expect(await page.evaluate(() => document.getElementById('notice')?.textContent)).toContain('UNSUPPORTED_BROWSER');
    // The node saw nothing of it: no join in the audit log, nobody in the visit.
    expect(audit().filter((e) => e.visitId === 'v-unsupported')).toEqual([]);
    expect(audit().some((e) => e.action === 'join')).toBe(true); // the log is written at all
    const health = await (await fetch(`${server.url}/healthz`)).json() as { participants: number };
    expect(health.participants).toBe(2);
  });
});
