/**
 * A firewalled patient, as behind many hospital firewalls: Chromium in a
 * network namespace (test host 31) whose outbound UDP is dropped and whose
 * TCP reaches only the signaling port and coturn's TLS port; the provider
 * (test host 30) has an open network. The node hands out coturn credentials
 * (VISITWIRE_TURN_URLS, VISITWIRE_TURN_SECRET) in its join answer; coturn
 * (Debian's, real) relays only to the SFU's address. Then the same patient
 * against a node with no TURN (test hosts 32, 33) gets MEDIA_UNREACHABLE.
 *
 * Chromium checks a turns: server's certificate: with this test's
 * self-signed one it never connects. The patient's Chromium gets
 * --ignore-certificate-errors-spki-list with the SHA-256 of this test
 * certificate's public key, which trusts that one key only.
 * Needs root, iproute2, iptables, coturn and openssl (scripts/prepare.mjs --for-tests).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, until, visitState, type PcWindow, type TestBrowser, type TestPage } from './helpers/browser.ts';
import { startCoturn, type Coturn } from './helpers/coturn.ts';
import { inboundVideo } from './helpers/impaired-visit.ts';
import { createTestHost, ensureServerAddress, removeServerAddress, SERVER_ADDRESS, type TestHost } from './helpers/netns.ts';
import { startServer, type RunningStack } from './helpers/stack.ts';

interface Party { host: TestHost; browser: TestBrowser; page: TestPage; participantId: string }

const log: string[] = [];
const hosts: TestHost[] = [];
const browsers: TestBrowser[] = [];
const servers: RunningStack[] = [];
let coturn: Coturn | undefined;

beforeAll(async () => {
  ensureServerAddress();
  coturn = await startCoturn({ address: SERVER_ADDRESS, peer: SERVER_ADDRESS });
}, 30_000);

afterAll(async () => {
  for (const b of browsers) await b.close().catch(() => undefined);
  for (const h of hosts) h.destroy();
  const codes = [];
  for (const s of servers) codes.push(await s.stop());
  await coturn?.stop();
  removeServerAddress();
  if (log.length) console.log(log.slice(-20).join('\n'));
  expect(codes.every((c) => c === 0)).toBe(true);
}, 60_000);

async function startNode(env: Record<string, string> = {}): Promise<RunningStack> {
  const server = await startServer({ HOST: SERVER_ADDRESS, VISITWIRE_RTC_LISTEN_IP: SERVER_ADDRESS, VISITWIRE_WORKERS: '1', ...env });
  servers.push(server);
  return server;
}

/** Opens a demo link in Chromium on a test host; `firewall`: only signaling and coturn's TLS port reachable over TCP. */
async function open(server: RunningStack, link: string, name: string, index: number, firewall: boolean): Promise<Party> {
  const host = createTestHost(name, index);
  hosts.push(host);
  if (firewall) host.allowOnlyTcpTo([Number(new URL(server.url).port), coturn!.tlsPort]);
  const browser = await launchBrowser('chromium', {
    wrap: (bin) => host.wrap(bin), secureOrigin: server.url,
    args: [`--ignore-certificate-errors-spki-list=${coturn!.spkiSha256}`],
  });
  browsers.push(browser);
  const page = await browser.newPage({ label: name, log });
  await page.goto(`${server.url}${link}`);
  const state = await until(`${name} joined`, async () => { const s = await visitState(page); return s.phase === 'joined' && s; });
  return { host, browser, page, participantId: state.participantId! };
}

/** A provider on an open network and a firewalled patient in one visit, the patient admitted. */
async function firewalledVisit(server: RunningStack, indices: [number, number]): Promise<{ provider: Party; patient: Party; admittedAt: number }> {
  const links = await (await fetch(`${server.url}/api/demo/visits`, { method: 'POST' })).json() as { providerUrl: string; patientUrl: string };
  const provider = await open(server, links.providerUrl, 'prov', indices[0], false);
  const patient = await open(server, links.patientUrl, 'fwpat', indices[1], true);
  await until('the patient in the waiting room', async () => (await visitState(provider.page)).waiting.length === 1);
  const admittedAt = Date.now();
  await provider.page.evaluate((id) => (window as unknown as PcWindow).visit.admit(id), patient.participantId);
  return { provider, patient, admittedAt };
}

/** The local candidate of each connected peer connection's selected pair: type and, for a relay, how the browser reaches the TURN server. */
const selectedLocalCandidates = (page: TestPage) => page.evaluate(async () => {
  const out: { candidateType: string; relayProtocol?: string; protocol?: string }[] = [];
  for (const pc of (window as unknown as PcWindow).__pcs) {
    if (pc.connectionState !== 'connected') continue;
    const stats = new Map<string, any>();
    (await pc.getStats()).forEach((s: any) => stats.set(s.id, s));
    for (const s of stats.values()) {
      if (s.type !== 'transport' || !s.selectedCandidatePairId) continue;
      const local = stats.get(stats.get(s.selectedCandidatePairId)?.localCandidateId);
      if (local) out.push({ candidateType: local.candidateType, relayProtocol: local.relayProtocol, protocol: local.protocol });
    }
  }
  return out;
});

const framesDecoded = async (page: TestPage) => (await inboundVideo(page))?.framesDecoded ?? 0;

async function keepsDecoding(label: string, page: TestPage): Promise<void> {
  const first = await until(`${label}: first decoded frames`, async () => { const n = await framesDecoded(page); return n > 0 && n; });
  await until(`${label}: decoded frames to grow past ${first} + 30`, async () => (await framesDecoded(page)) >= first + 30);
}

describe('a patient whose network allows only TCP to the signaling port and coturn\'s TLS port', () => {
  it('connects through coturn over TLS: the selected pair is a relay over TLS, and video decodes both ways', async () => {
    const server = await startNode({ VISITWIRE_TURN_URLS: coturn!.url, VISITWIRE_TURN_SECRET: coturn!.secret });
    const { provider, patient, admittedAt } = await firewalledVisit(server, [30, 31]);
    await keepsDecoding('patient', patient.page);
    await keepsDecoding('provider', provider.page);
    console.log(`firewalled patient: video decoding both ways ${Date.now() - admittedAt} ms after admission`);
    const candidates = await until('both patient transports connected', async () => { const c = await selectedLocalCandidates(patient.page); return c.length === 2 && c; });
    console.log('patient selected local candidates:', JSON.stringify(candidates));
    for (const c of candidates) expect(c).toMatchObject({ candidateType: 'relay', relayProtocol: 'tls' });
    expect((await visitState(patient.page)).errors).toEqual([]);
  }, 150_000);

  it('with no TURN server configured, fails with MEDIA_UNREACHABLE within the connect timeout', async () => {
    const server = await startNode();
    const { patient, admittedAt } = await firewalledVisit(server, [32, 33]);
    const error = await until('an SDK error at the patient', async () => (await visitState(patient.page)).errors.find((e) => e.includes('MEDIA_UNREACHABLE')), 60_000);
    console.log(`no TURN: "${error}" ${Date.now() - admittedAt} ms after admission (connect timeout 15000 ms)`);
    expect(error).toMatch(/^MEDIA_UNREACHABLE: .*did not connect within 15000 ms.*no TURN server/);
    expect(await selectedLocalCandidates(patient.page)).toEqual([]);
  }, 120_000);
});
