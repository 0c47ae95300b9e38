/**
 * `visitwire loadtest` against the real `npm start` server: real werift bots
 * (ICE, DTLS, SRTP) publishing simulcast and subscribing through mediasoup.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadtestCommand, type LoadtestReport } from '../loadtest/index.ts';
import { SIMULCAST_LAYERS } from '../loadtest/bot/index.ts';
import { startServer, TEST_SECRET, type RunningStack } from './helpers/stack.ts';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string; report?: LoadtestReport; html?: string; dir: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'visitwire-loadtest-'));
  const out = new Capture();
  const err = new Capture();
  const code = await loadtestCommand([...args, '--report', dir], { out, err });
  const read = (f: string) => fs.readFile(path.join(dir, f), 'utf8').catch(() => undefined);
  const json = await read('report.json');
  return { code, out: out.text, err: err.text, report: json ? JSON.parse(json) : undefined, html: await read('report.html'), dir };
}

const LAYER_BPS = new Map(SIMULCAST_LAYERS.map((l) => [`${l.width}x${l.height}`, l.bitrateBps]));

describe('visitwire loadtest', () => {
  let stack: RunningStack;
  beforeAll(async () => { stack = await startServer(); });
  afterAll(async () => { await stack?.stop(); });

  it('holds 5 two-party visits for 15 s: every visit joins, media flows both ways at the sent bitrates, the report is sane', async () => {
    const r = await run(['--node', stack.url, '--metrics', stack.metricsUrl, '--visits', '5', '--duration', '15', '--ramp', '10', '--target-visits', '5', '--workers', '2', '--secret', TEST_SECRET]);
    expect(r.code, `${r.out}\n${r.err}\n${stack.output()}`).toBe(0);
    const rep = r.report!;
    expect(rep.verdict).toBe('PASS');
    expect(rep.visits).toMatchObject({ planned: 5, target: 5, fullyJoined: 5, upMin: 5, upAtEnd: 5, upMax: 5 });
    expect(rep.joins).toMatchObject({ attempted: 10, succeeded: 10, failed: 0, failures: {} });
    for (const d of [rep.joins.joinMs, rep.joins.admittedMs, rep.joins.publishMs]) {
      expect(d.count).toBe(10);
      expect(d.min!).toBeGreaterThan(0);
      expect(d.max!).toBeLessThanOrEqual(30_000); // the bots' join timeout
    }

    // Each participant receives the other's audio and video.
    expect(rep.bots).toHaveLength(10);
    for (const bot of rep.bots) {
      expect(bot.status).toBe('left');
      expect(bot.reconnects).toBe(0);
      const other = bot.role === 'provider' ? 'patient' : 'provider';
      for (const kind of ['audio', 'video'] as const) {
        const subs = bot.subscriptions.filter((s) => s.kind === kind);
        expect(subs, `${bot.botId} ${kind}`).toHaveLength(1);
        const s = subs[0];
        expect(s.fromRole).toBe(other);
        expect(s.packets).toBeGreaterThan(0);
        expect(s.firstPacketMs).toBeGreaterThanOrEqual(0);
        expect(s.firstPacketMs).toBeLessThan(15_000);
        expect(s.lossPct).toBeGreaterThanOrEqual(0);
        expect(s.jitterMs).toBeGreaterThanOrEqual(0);
        expect(s.jitterMs).toBeLessThan(1000);
      }
      const audio = bot.subscriptions.find((s) => s.kind === 'audio')!;
      expect(audio.meanBitrateBps).toBeGreaterThan(32_000 * 0.75);
      expect(audio.meanBitrateBps).toBeLessThan(32_000 * 1.5);
      const video = bot.subscriptions.find((s) => s.kind === 'video')!;
      expect(video.layers.length).toBeGreaterThan(0);
      for (const l of video.layers) expect(LAYER_BPS.has(`${l.width}x${l.height}`)).toBe(true);
    }

    // Video arrives at about the bitrate of the layers it was received at.
    const layers = rep.tracks.video.layerSeconds!;
    const seconds = Object.values(layers).reduce((a, b) => a + b, 0);
    expect(seconds).toBeGreaterThan(0);
    const expectedBps = Object.entries(layers).reduce((n, [k, s]) => n + LAYER_BPS.get(k)! * s, 0) / seconds;
    expect(rep.tracks.video.bitrateBps.mean! / expectedBps).toBeGreaterThan(0.6);
    expect(rep.tracks.video.bitrateBps.mean! / expectedBps).toBeLessThan(1.4);
    for (const t of [rep.tracks.audio, rep.tracks.video]) {
      expect(t).toMatchObject({ subscriptions: 10, receiving: 10 });
      expect(t.lossPct).toBeLessThan(2);
      expect(t.firstPacketMs.count).toBe(10);
      expect(t.jitterMs.count).toBe(10);
    }

    expect(rep.total.lossPct).toBeLessThan(2);
    expect(rep.total.reconnects).toBe(0);
    expect(rep.total.audioOnlySeconds).toBeGreaterThanOrEqual(0);
    expect(rep.total.rttMs.count).toBeGreaterThan(0);
    expect(rep.total.rttMs.min!).toBeGreaterThanOrEqual(0);
    expect(rep.total.rttMs.max!).toBeLessThan(1000);

    // Time series and the node's own metrics.
    expect(rep.timeline.length).toBeGreaterThanOrEqual(10);
    for (const p of rep.timeline) {
      expect(p.visitsUp).toBeGreaterThanOrEqual(0);
      expect(p.visitsUp).toBeLessThanOrEqual(5);
      expect(p.lossPct).toBeGreaterThanOrEqual(0);
      expect(p.lossPct).toBeLessThanOrEqual(100);
      expect(p.audioBps).toBeGreaterThanOrEqual(0);
      expect(p.videoBps).toBeGreaterThanOrEqual(0);
    }
    expect(rep.cpu.botsPct.mean!).toBeGreaterThan(0);
    expect(rep.nodes).toHaveLength(1);
    expect(rep.nodes[0].consumersMax).toBe(20);
    expect(rep.nodes[0].processCpuPct.count).toBeGreaterThan(0);
    expect(rep.nodes[0].scrapeErrors).toBe(0);

    expect(r.out).toMatch(/PASS: target 5 visits/);
    expect(r.html).toContain('<svg');
    expect(r.html).toContain('PASS');
    expect(r.html).not.toMatch(/<(script|link|img)\b[^>]*(src|href)=/i); // opens offline
  });

  it('reports joins the server refuses (wrong secret) and exits 1', async () => {
    const r = await run(['--node', stack.url, '--visits', '2', '--duration', '3', '--ramp', '20', '--secret', 'not-the-server-secret-0123456789']);
    expect(r.code, r.out + r.err).toBe(1);
    const rep = r.report!;
    expect(rep.verdict).toBe('FAIL');
    expect(rep.reasons.join(' ')).toMatch(/0 of 2 target visits/);
    expect(rep.joins).toMatchObject({ attempted: 4, succeeded: 0, failed: 4, failures: { UNAUTHORIZED: 4 } });
    for (const bot of rep.bots) expect(bot).toMatchObject({ status: 'failed', error: { code: 'UNAUTHORIZED' } });
    expect(rep.visits.upMax).toBe(0);
    expect(r.out).toMatch(/FAIL/);
    expect(r.out).toMatch(/UNAUTHORIZED ×4/);
  });

  it('exits 2 with a message on bad options', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--visits', '2', '--secret', TEST_SECRET], /exactly one of --router URL or --node URL/],
      [['--node', stack.url, '--router', stack.url, '--secret', TEST_SECRET], /exactly one of/],
      [['--node', stack.url, '--visits', '0', '--secret', TEST_SECRET], /--visits/],
      [['--node', stack.url, '--profile', 'four-party', '--secret', TEST_SECRET], /--profile/],
      [['--node', stack.url, '--visits', '2', '--target-visits', '3', '--secret', TEST_SECRET], /--target-visits: cannot exceed/],
      [['--node', 'ftp://example', '--secret', TEST_SECRET], /--node: must be an http\(s\) URL/],
      [['--node', stack.url, '--secret', 'short'], /--secret/],
      [['--node', stack.url, '--bogus', '1'], /Unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.report).toBeUndefined();
    }
  });
});
