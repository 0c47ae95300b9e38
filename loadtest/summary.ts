/** Turns a finished run into the report (report.json) and its verdict. */
import type { Role } from '../common/roles.ts';
import type { LoadtestOptions } from './options.ts';
import type { BotRecord, BotStatus, RunState, SubscriptionRecord, TimelinePoint } from './run-state.ts';
import { dist, type Dist } from './stats.ts';

/** Seconds after every bot has joined or failed before the hold (where the pass mark is judged) begins. */
export const SETTLE_SECONDS = 5;

export interface TrackSummary {
  subscriptions: number;
  /** Subscriptions that received at least one packet. */
  receiving: number;
  firstPacketMs: Dist;
  /** Per subscription, the mean bitrate from its first packet to its last report. */
  bitrateBps: Dist;
  /** Packets lost / expected over the whole run, percent. */
  lossPct: number;
  jitterMs: Dist;
  /** Video: seconds received at each resolution, summed over subscriptions. */
  layerSeconds?: Record<string, number>;
}

export interface BotReport {
  botId: string;
  visitId: string;
  role: Role;
  status: BotStatus;
  url?: string;
  error?: { code: string; message: string };
  joinMs?: number;
  admittedMs?: number;
  publishMs?: number;
  reconnects: number;
  /** Resumed after a dropped signaling connection; re-routed off a failed node; moved off a draining one. */
  resumes: number;
  reroutes: number;
  migrations: number;
  /** The longest time without remote audio or video packets. */
  longestGapMs?: { audio: number; video: number };
  audioOnlyMs: number;
  rttMs?: number;
  subscriptions: Array<{
    kind: 'audio' | 'video';
    fromRole?: Role;
    firstPacketMs?: number;
    meanBitrateBps?: number;
    packets: number;
    packetsLost: number;
    lossPct: number;
    jitterMs: number;
    layers: Array<{ t: number; width: number; height: number }>;
  }>;
}

export interface LoadtestReport {
  tool: 'visitwire loadtest';
  version: 1;
  startedAt: string;
  endedAt: string;
  durationS: number;
  stoppedBy: 'duration' | 'signal';
  options: Omit<LoadtestOptions, 'secret'> & { targetVisits: number };
  verdict: 'PASS' | 'FAIL';
  reasons: string[];
  visits: {
    planned: number; target: number; fullyJoined: number; upAtEnd: number; upMin?: number; upMax: number; holdFromS?: number;
    /** Seconds the load tester's own event loop stalled (an overloaded bots' machine); visits are not judged right after. */
    testerStalledS: number;
  };
  joins: { attempted: number; succeeded: number; failed: number; failures: Record<string, number>; routeMs: Dist; joinMs: Dist; admittedMs: Dist; publishMs: Dist };
  tracks: { audio: TrackSummary; video: TrackSummary };
  total: { lossPct: number; rttMs: Dist; reconnects: number; resumes: number; reroutes: number; migrations: number; audioOnlySeconds: number };
  cpu: { botsPct: Dist; nodePct: Dist; workerPct: Dist };
  nodes: Array<{ url: string; consumersMax?: number; processCpuPct: Dist; workerCpuPct: Dist; scrapeErrors: number }>;
  timeline: TimelinePoint[];
  bots: BotReport[];
}

const meanBitrate = (s: SubscriptionRecord) =>
  s.first && s.last && s.last.t - s.first.t >= 1 ? Math.round(((s.last.bytes - s.first.bytes) * 8) / (s.last.t - s.first.t)) : undefined;

const lossPct = (lost: number, packets: number) => (lost + packets > 0 ? Math.round((lost / (lost + packets)) * 100_000) / 1000 : 0);

function track(subs: SubscriptionRecord[]): TrackSummary {
  const lost = subs.reduce((n, s) => n + s.packetsLost, 0);
  const packets = subs.reduce((n, s) => n + s.packets, 0);
  const summary: TrackSummary = {
    subscriptions: subs.length,
    receiving: subs.filter((s) => s.packets > 0).length,
    firstPacketMs: dist(subs.map((s) => s.firstPacketMs), 0),
    bitrateBps: dist(subs.map(meanBitrate), 0),
    lossPct: lossPct(lost, packets),
    jitterMs: dist(subs.filter((s) => s.packets > 0).map((s) => s.jitterMs), 2),
  };
  if (subs.some((s) => s.layers.length > 0)) {
    const seconds: Record<string, number> = {};
    for (const s of subs) {
      s.layers.forEach((l, i) => {
        const until = s.layers[i + 1]?.t ?? s.last?.t ?? l.t;
        const key = `${l.width}x${l.height}`;
        seconds[key] = Math.round(((seconds[key] ?? 0) + Math.max(0, until - l.t)) * 10) / 10;
      });
    }
    summary.layerSeconds = seconds;
  }
  return summary;
}

function botReport(b: BotRecord, roleOf: Map<string, Role>): BotReport {
  const m = b.metrics;
  return {
    botId: b.plan.botId, visitId: b.plan.visitId, role: b.plan.role, status: b.status, url: b.url, error: b.error ?? m?.error,
    joinMs: m?.joinMs, admittedMs: m?.admittedMs, publishMs: m?.publishMs, reconnects: m?.reconnects ?? 0,
    resumes: m?.resumes ?? 0, reroutes: m?.reroutes ?? 0, migrations: m?.migrations ?? 0, longestGapMs: m?.longestGapMs, audioOnlyMs: m?.audioOnlyMs ?? 0, rttMs: m?.sent.rttMs,
    subscriptions: [...b.subscriptions.values()].map((s) => ({
      kind: s.kind, fromRole: roleOf.get(s.participantId), firstPacketMs: s.firstPacketMs, meanBitrateBps: meanBitrate(s),
      packets: s.packets, packetsLost: s.packetsLost, lossPct: lossPct(s.packetsLost, s.packets), jitterMs: s.jitterMs, layers: s.layers,
    })),
  };
}

export function summarize(state: RunState, o: LoadtestOptions, stoppedBy: 'duration' | 'signal'): LoadtestReport {
  const records = [...state.bots.values()];
  const roleOf = new Map(records.filter((b) => b.metrics?.participantId).map((b) => [b.metrics!.participantId!, b.plan.role]));
  const subs = records.flatMap((b) => [...b.subscriptions.values()]);
  const target = o.targetVisits ?? o.visits;
  const tl = state.timeline;
  const holdFromS = state.settledAt === undefined ? undefined : state.settledAt + SETTLE_SECONDS;
  const hold = tl.filter((p) => holdFromS !== undefined && p.t >= holdFromS && p.judged);
  const upAtEnd = tl[tl.length - 1]?.visitsUp ?? 0;
  const upMin = hold.length > 0 ? Math.min(...hold.map((p) => p.visitsUp)) : undefined;
  const failures: Record<string, number> = {};
  for (const b of records) if (b.status === 'failed') failures[b.error?.code ?? 'UNKNOWN'] = (failures[b.error?.code ?? 'UNKNOWN'] ?? 0) + 1;
  const joined = records.filter((b) => b.metrics?.joinMs !== undefined && b.status !== 'failed');
  const tracks = { audio: track(subs.filter((s) => s.kind === 'audio')), video: track(subs.filter((s) => s.kind === 'video')) };
  const totalLoss = lossPct(subs.reduce((n, s) => n + s.packetsLost, 0), subs.reduce((n, s) => n + s.packets, 0));
  const joinMs = dist(records.map((b) => b.metrics?.joinMs), 0);

  const reasons: string[] = [];
  const held = upMin ?? upAtEnd;
  if (held < target) reasons.push(`${held} of ${target} target visits stayed up${upMin === undefined ? ' at the end (no hold: joins never settled)' : ' through the hold'}`);
  if (totalLoss > o.maxLoss) reasons.push(`packet loss ${totalLoss}% is above ${o.maxLoss}%`);
  if (o.maxJoinP95 !== undefined && (joinMs.p95 ?? Infinity) > o.maxJoinP95) reasons.push(`p95 join latency ${joinMs.p95 ?? 'n/a'} ms is above ${o.maxJoinP95} ms`);

  const { secret: _secret, ...shown } = o;
  const end = state.startedAt + (tl[tl.length - 1]?.t ?? 0) * 1000;
  return {
    tool: 'visitwire loadtest', version: 1,
    startedAt: new Date(state.startedAt).toISOString(), endedAt: new Date(end).toISOString(), durationS: tl[tl.length - 1]?.t ?? 0, stoppedBy,
    options: { ...shown, targetVisits: target },
    verdict: reasons.length === 0 ? 'PASS' : 'FAIL', reasons,
    visits: {
      planned: state.visits.length, target,
      fullyJoined: state.visits.filter((v) => v.participants.every((p) => joined.some((b) => b.plan.botId === p.botId))).length,
      upAtEnd, upMin, upMax: Math.max(0, ...tl.map((p) => p.visitsUp)), holdFromS, testerStalledS: Math.round(state.stalledMs / 100) / 10,
    },
    joins: {
      attempted: records.filter((b) => b.status !== 'pending').length, succeeded: joined.length,
      failed: records.filter((b) => b.status === 'failed').length, failures,
      routeMs: dist(records.map((b) => b.routeMs), 0), joinMs, admittedMs: dist(records.map((b) => b.metrics?.admittedMs), 0), publishMs: dist(records.map((b) => b.metrics?.publishMs), 0),
    },
    tracks,
    total: {
      lossPct: totalLoss, rttMs: dist(records.map((b) => b.metrics?.sent.rttMs), 2),
      reconnects: records.reduce((n, b) => n + (b.metrics?.reconnects ?? 0), 0),
      resumes: records.reduce((n, b) => n + (b.metrics?.resumes ?? 0), 0),
      reroutes: records.reduce((n, b) => n + (b.metrics?.reroutes ?? 0), 0),
      migrations: records.reduce((n, b) => n + (b.metrics?.migrations ?? 0), 0),
      audioOnlySeconds: Math.round(records.reduce((n, b) => n + (b.metrics?.audioOnlyMs ?? 0), 0) / 100) / 10,
    },
    cpu: { botsPct: dist(tl.map((p) => p.botCpuPct)), nodePct: dist(tl.map((p) => p.nodeCpuPct)), workerPct: dist(tl.map((p) => p.workerCpuPct)) },
    nodes: [...state.nodes].map(([url, samples]) => ({
      url, consumersMax: dist(samples.map((s) => s.consumers)).max,
      processCpuPct: dist(samples.map((s) => s.processCpuPct)), workerCpuPct: dist(samples.map((s) => s.workerCpuPct)),
      scrapeErrors: samples.filter((s) => s.error).length,
    })),
    timeline: tl,
    bots: records.map((b) => botReport(b, roleOf)),
  };
}
