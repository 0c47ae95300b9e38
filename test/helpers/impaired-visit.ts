/**
 * A provider and a patient, each a headless browser (Chromium unless asked
 * otherwise) in its own network namespace (a test host behind real tc
 * limits), in one visit through the server of `npm start` listening on the
 * lab address. Used by the adaptation tests and by `npm run bench:adapt`.
 */
import { launchBrowser, rtpStats, until, visitState, type BrowserName, type Evaluates, type TestBrowser, type TestPage, type PcWindow } from './browser.ts';
import { createTestHost, ensureServerAddress, removeServerAddress, type TestHost } from './netns.ts';
import { startServer, type RunningStack } from './stack.ts';

export interface Signal {
  type: string; at: number; participantId?: string; viewerId?: string; reason?: string; spatialLayer?: number; temporalLayer?: number; quality?: string;
}

/** Order of a layersChanged signal's step (spatial, then temporal layer): a higher step is a better one. */
export const stepOrder = (s: Pick<Signal, 'spatialLayer' | 'temporalLayer'>) => (s.spatialLayer ?? 0) * 16 + (s.temporalLayer ?? 0);
/** The order of the top step, 720p@30. */
export const TOP_STEP = stepOrder({ spatialLayer: 2, temporalLayer: 2 });
/** `spatial.temporal@ms` since `t0`, for logs. */
export const stepText = (s: Signal, t0: number) => `${s.spatialLayer}.${s.temporalLayer}@${s.at - t0}`;

export interface Side {
  host: TestHost;
  browser: TestBrowser;
  page: TestPage;
  participantId: string;
}

export interface ImpairedVisit {
  server: RunningStack;
  provider: Side;
  patient: Side;
  log: string[];
  close(): Promise<number | null>;
}

export interface ImpairedVisitOptions {
  provider?: BrowserName;
  patient?: BrowserName;
  /** Test host indices (netns.ts) of the provider and the patient; default from the process id. */
  hostIndices?: [number, number];
}

export async function startImpairedVisit(env: Record<string, string> = {}, o: ImpairedVisitOptions = {}): Promise<ImpairedVisit> {
  const address = ensureServerAddress();
  const log: string[] = [];
  const hosts: TestHost[] = [];
  const browsers: TestBrowser[] = [];
  let server: RunningStack | undefined;
  try {
    server = await startServer({ HOST: address, VISITWIRE_RTC_LISTEN_IP: address, VISITWIRE_WORKERS: '1', ...env });
    const res = await fetch(`${server.url}/api/demo/visits`, { method: 'POST' });
    const links = await res.json() as { providerUrl: string; patientUrl: string };
    const open = async (name: string, link: string, kind: BrowserName, index: number | undefined) => {
      const host = createTestHost(name, index);
      hosts.push(host);
      // The lab address is not localhost: let the page use the camera and WebRTC as on https.
      const browser = await launchBrowser(kind, { wrap: (bin, relayed) => (relayed ? host.wrapRelayed(bin) : host.wrap(bin)), secureOrigin: server!.url });
      browsers.push(browser);
      // Device pixels twice the CSS size: a remote tile of ~640 CSS px asks for the 720p layer.
      const page = await browser.newPage({ label: name, log, width: 1280, height: 800, deviceScaleFactor: 2 });
      await page.goto(`${server!.url}${link}`);
      const state = await until(`${name} joined`, async () => { const s = await visitState(page); return s.phase === 'joined' && s; });
      return { host, browser, page, participantId: state.participantId! };
    };
    const provider = await open('prov', links.providerUrl, o.provider ?? 'chromium', o.hostIndices?.[0]);
    const patient = await open('pat', links.patientUrl, o.patient ?? 'chromium', o.hostIndices?.[1]);
    await until('the patient in the waiting room', async () => (await visitState(provider.page)).waiting.length === 1);
    await provider.page.evaluate((id) => (window as unknown as PcWindow).visit.admit(id), patient.participantId);
    for (const side of [provider, patient]) {
      await until('video decoding on both sides', async () => (await inboundVideo(side.page))?.framesDecoded);
    }
    const s = server;
    return {
      server: s, provider, patient, log,
      async close() {
        for (const b of browsers) await b.close().catch(() => undefined);
        for (const h of hosts) h.destroy();
        const code = await s.stop();
        removeServerAddress();
        return code;
      },
    };
  } catch (err) {
    for (const b of browsers) await b.close().catch(() => undefined);
    for (const h of hosts) h.destroy();
    await server?.stop();
    removeServerAddress();
    throw new Error(`${(err as Error).message}\n${log.join('\n')}\n${server?.output().slice(-2000) ?? ''}`);
  }
}

/** The one remote video a page receives. */
export async function inboundVideo(page: Evaluates): Promise<{ frameWidth: number; framesDecoded: number } | undefined> {
  const v = (await rtpStats(page)).filter((s) => s.type === 'inbound-rtp' && s.kind === 'video' && (s.framesDecoded ?? 0) > 0);
  const best = v.sort((a, b) => (b.framesDecoded ?? 0) - (a.framesDecoded ?? 0))[0];
  return best && { frameWidth: best.frameWidth ?? 0, framesDecoded: best.framesDecoded ?? 0 };
}

export async function audioPacketsReceived(page: Evaluates): Promise<number> {
  return (await rtpStats(page)).filter((s) => s.type === 'inbound-rtp' && s.kind === 'audio').reduce((n, s) => n + (s.packetsReceived ?? 0), 0);
}

export async function signals(page: Evaluates, since = 0): Promise<Signal[]> {
  const state = await page.evaluate(() => (window as unknown as PcWindow & { visitState: { signals: Signal[] } }).visitState.signals);
  return state.filter((s) => s.at >= since);
}
