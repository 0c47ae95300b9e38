/**
 * A signaling blip in a real visit: the provider's page reaches the server's
 * signaling through a TCP relay that the test cuts for 3 s (the page is not
 * told), while its media goes straight to the SFU. Audio and video must keep
 * flowing both ways, and the SDK must take the same participant back.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grows, launchBrowser, rtpStats, sum, until, visitState, type TestBrowser, type TestPage } from './helpers/browser.ts';
import { startServer, type RunningStack } from './helpers/stack.ts';

/** A TCP relay to `target` whose connections the test can cut, refusing new ones for a while. */
async function startRelay(target: URL): Promise<{ url: string; cut(ms: number): void; close(): void }> {
  const open = new Set<net.Socket>();
  let refuseUntil = 0;
  const server = net.createServer((client) => {
    if (Date.now() < refuseUntil) return client.destroy();
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const [a, b] of [[client, upstream], [upstream, client]]) {
      open.add(a);
      a.pipe(b);
      a.on('error', () => b.destroy());
      a.on('close', () => { open.delete(a); b.destroy(); });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    cut(ms) {
      refuseUntil = Date.now() + ms;
      for (const s of open) s.destroy();
    },
    close() {
      for (const s of open) s.destroy();
      server.close();
    },
  };
}

describe('a signaling blip during a Chromium visit', () => {
  let server: RunningStack;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let browser: TestBrowser;
  let provider: TestPage;
  let patient: TestPage;

  beforeAll(async () => {
    browser = await launchBrowser('chromium');
    server = await startServer();
    relay = await startRelay(new URL(server.url));
    [provider, patient] = [await browser.newPage({ label: 'provider' }), await browser.newPage({ label: 'patient' })];
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    relay?.close();
    expect(await server?.stop()).toBe(0);
  }, 60_000);

  it('keeps audio and video flowing both ways and the same participant while the provider\'s signaling is cut for 3 s', async () => {
    const visit = 'visit-blip';
    await provider.goto(`${relay.url}/visit?token=${await server.token({ visit, user: 'dr-blip', role: 'provider' })}`);
    await patient.goto(`${server.url}/visit?token=${await server.token({ visit, user: 'pt-blip', role: 'patient' })}`);
    await until('the patient in the waiting room', async () => (await visitState(provider)).waiting.length === 1);
    await provider.click('button[data-action="admit"]');
    for (const page of [provider, patient]) {
      await grows(page, 'before the blip', 'inbound-rtp', 'video', 'framesDecoded');
      await grows(page, 'before the blip', 'inbound-rtp', 'audio', 'packetsReceived');
    }
    const before = await visitState(provider);
    const counters = async (page: TestPage) => {
      const stats = await rtpStats(page);
      return { frames: sum(stats, 'inbound-rtp', 'video', 'framesDecoded'), audio: sum(stats, 'inbound-rtp', 'audio', 'packetsReceived') };
    };
    const atCut = { provider: await counters(provider), patient: await counters(patient) };

    const cutAt = Date.now();
    relay.cut(3000);
    await until('the provider to notice the drop', async () => (await visitState(provider)).connectionState === 'resuming', 10_000);
    await new Promise((r) => setTimeout(r, 2000));
    // Still cut off from signaling: media goes on regardless.
    expect((await visitState(provider)).connectionState).toBe('resuming');
    const during = { provider: await counters(provider), patient: await counters(patient) };
    for (const side of ['provider', 'patient'] as const) {
      expect(during[side].frames, `${side} video frames during the blip`).toBeGreaterThan(atCut[side].frames + 10);
      expect(during[side].audio, `${side} audio packets during the blip`).toBeGreaterThan(atCut[side].audio + 50);
    }

    const resumedAt = await until('the provider to resume', async () => {
      const s = await visitState(provider);
      return s.connectionState === 'connected' && s.resumes === 1 && Date.now();
    });
    const after = await visitState(provider);
    expect(after.participantId).toBe(before.participantId);
    expect(after.rejoins).toBe(0);
    expect(after.interrupted).toBe(false);
    const seenByPatient = await visitState(patient);
    expect(seenByPatient.reconnecting).toEqual([before.participantId]);
    expect(Object.keys(seenByPatient.participants)).toEqual([before.participantId]);
    for (const page of [provider, patient]) {
      await grows(page, 'after the blip', 'inbound-rtp', 'video', 'framesDecoded');
      await grows(page, 'after the blip', 'inbound-rtp', 'audio', 'packetsReceived');
    }
    // Signaling works again on the resumed participant: the provider mutes, the patient is told.
    await provider.click('#mute-audio');
    await until('the patient to see the provider muted', async () => Object.values((await visitState(patient)).participants)[0]?.audioPaused === true);
    console.log(`resumed ${resumedAt - cutAt} ms after the cut (3 s of it refused); frames decoded during the blip: provider +${during.provider.frames - atCut.provider.frames}, patient +${during.patient.frames - atCut.patient.frames}`);
  });
});
