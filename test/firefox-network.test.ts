/**
 * A Firefox patient publishing to a Chromium provider on real limited
 * networks: each browser in its own network namespace (test hosts 20 and 21),
 * tc limits on the provider's downlink and the patient's uplink. Firefox
 * reports no availableOutgoingBitrate and no qualityLimitationReason, so its
 * uplink fallback runs on the stats every browser has. Needs root, iproute2
 * and iptables; without network namespaces it fails with the reason.
 */
import { describe, expect, it } from 'vitest';
import { rtpStats, sum, until, type Evaluates, type PcWindow } from './helpers/browser.ts';
import { impairedVisitForFile } from './helpers/impaired-visit-hooks.ts';
import { audioPacketsReceived, inboundVideo, signals, type ImpairedVisit } from './helpers/impaired-visit.ts';

let visit: ImpairedVisit;
const SLOW = 40_000;

// LOG_LEVEL info: the server logs the inputs behind each uplink decision, printed below.
impairedVisitForFile({ VISITWIRE_UNUSED_LAYER_MS: '3000', LOG_LEVEL: 'info' }, { provider: 'chromium', patient: 'firefox', hostIndices: [20, 21] }, (v) => { visit = v; });

const width = async (page: Evaluates) => (await inboundVideo(page))?.frameWidth ?? 0;
const framesAtProvider = async () => (await inboundVideo(visit.provider.page))?.framesDecoded ?? 0;

async function keepsGrowing(what: string, read: () => Promise<number>, by: number, timeoutMs = SLOW) {
  const first = await read();
  await until(`${what} to grow past ${first} + ${by}`, async () => (await read()) >= first + by, timeoutMs);
}

/** Outbound video of the Firefox patient per layer: rid, size and bytes sent. */
const firefoxLayers = async () => (await rtpStats(visit.patient.page)).filter((s) => s.type === 'outbound-rtp' && s.kind === 'video')
  .sort((a, b) => String(a.rid).localeCompare(String(b.rid)));

describe('a Firefox publisher on limited networks', () => {
  it('sends three simulcast layers, and the provider receives the top one', async () => {
    await until('three Firefox layers sending', async () => { const l = await firefoxLayers(); return l.length === 3 && l.every((s) => (s.bytesSent ?? 0) > 0); }, SLOW);
    await until('1280-wide Firefox video at the provider', async () => (await width(visit.provider.page)) >= 1280, SLOW);
    const a = await firefoxLayers();
    await new Promise((r) => setTimeout(r, 4000));
    const b = await firefoxLayers();
    console.log(`Firefox simulcast: ${b.map((s, i) => `${s.rid} ${s.frameWidth}x${s.frameHeight} ${(((s.bytesSent! - a[i]!.bytesSent!) * 8) / (s.timestamp - a[i]!.timestamp)).toFixed(0)} kbps`).join(', ')}`);
  }, 120_000);

  it('the provider on a ~600 kbit/s downlink gets a lower layer of the Firefox video, then the top layer again', async () => {
    const { page, host } = visit.provider;
    const since = Date.now();
    host.limitDownlink(600);
    await until('a lower layer at 600 kbit/s', async () => { const w = await width(page); return w > 0 && w < 1280; }, SLOW);
    const loweredAfter = Date.now() - since;
    await keepsGrowing('decoded frames at 600 kbit/s', framesAtProvider, 40);
    // What the provider was told (mediasoup may lower the layer before the policy announces a step): a figure, not an assertion.
    const down = (await signals(page, since)).filter((s) => s.type === 'layersChanged' && s.participantId === visit.patient.participantId);
    const liftedAt = Date.now();
    host.limitDownlink();
    await until('the top layer again', async () => (await width(page)) >= 1280, 90_000);
    console.log(`provider: lower Firefox layer ${loweredAfter} ms after the limit (layersChanged: ${down.map((s) => `${s.spatialLayer}.${s.temporalLayer}`).join(' -> ') || 'none yet'}), top layer ${Date.now() - liftedAt} ms after lifting it`);
  }, 180_000);

  it('a limited Firefox uplink stops its video, audio goes on, the provider is told why, and video comes back after', async () => {
    const { page: patientPage, host, participantId } = visit.patient;
    const providerPage = visit.provider.page;
    const since = Date.now();
    host.limitUplink(100);
    const stopped = await until('videoPaused (sender-network) at the provider', async () =>
      (await signals(providerPage, since)).find((s) => s.type === 'videoPaused' && s.reason === 'sender-network'), SLOW);
    expect(stopped.participantId).toBe(participantId);
    await until('the Firefox patient told to stop its video', async () =>
      patientPage.evaluate(() => (window as unknown as PcWindow & { visitState: { ownVideoStopped: boolean } }).visitState.ownVideoStopped), SLOW);
    const tile = await providerPage.evaluate((id) => document.querySelector(`.tile[data-participant="${id}"]`)?.className ?? '', participantId);
    expect(tile).toContain('video-paused');
    const videoBytes = async () => sum(await rtpStats(patientPage), 'outbound-rtp', 'video', 'bytesSent');
    const before = await videoBytes();
    await keepsGrowing('audio packets at the provider while the patient sends no video', () => audioPacketsReceived(providerPage), 100);
    expect(await videoBytes() - before).toBeLessThan(20_000);

    const liftedAt = Date.now();
    host.limitUplink();
    const resumed = await until('videoResumed (sender-network) at the provider', async () =>
      (await signals(providerPage, liftedAt)).find((s) => s.type === 'videoResumed' && s.reason === 'sender-network'), 150_000);
    expect(resumed.participantId).toBe(participantId);
    await keepsGrowing('decoded Firefox frames at the provider after the uplink recovers', framesAtProvider, 40);
    console.log(`Firefox uplink at 100 kbit/s: video stopped ${stopped.at - since} ms after the limit; back ${resumed.at - liftedAt} ms after lifting it`);
    const decisions = visit.server.output().split('\n').filter((l) => l.includes('uplink video fallback'))
      .map((l) => JSON.parse(l) as { enabled: boolean; input: { lossFraction?: number; roundTripTimeMs?: number; sendBitrate?: number } });
    console.log(`uplink decisions:\n${decisions.map((d) => `${d.enabled ? 'video on' : 'video off'} on ${JSON.stringify(d.input)}`).join('\n')}`);
    // The decision had Firefox's own view of its uplink (loss and send rate from its stats), not only the server's score.
    expect(decisions[0]).toMatchObject({ enabled: false, input: { lossFraction: expect.any(Number), sendBitrate: expect.any(Number) } });
  }, 240_000);
});
