/**
 * The coordinator's view of a run: every bot's latest report, each
 * subscription's history (bytes, losses, layers), and a point per second for
 * the timeline. Plain bookkeeping: no sockets, no timers.
 */
import type { BotMetrics } from './bot/metrics.ts';
import type { GroupEvent } from './bot-group.ts';
import type { NodeSample } from './node-metrics.ts';
import { expectedKinds, type ParticipantPlan, type VisitPlan } from './plan.ts';
import type { Profile } from './options.ts';
import { dist } from './stats.ts';
import { monotonicNow } from './clock.ts';

export type BotStatus = 'pending' | 'joining' | 'joined' | 'failed' | 'left';
type Kind = 'audio' | 'video';

export interface LayerSpan { t: number; width: number; height: number }

export interface SubscriptionRecord {
  kind: Kind;
  participantId: string;
  firstPacketMs?: number;
  /** Run seconds and bytes when the first packet was seen, and at the latest report. */
  first?: { t: number; bytes: number };
  last?: { t: number; bytes: number };
  packets: number;
  packetsLost: number;
  jitterMs: number;
  closed: boolean;
  producerPaused: boolean;
  /** monotonicNow() of the latest report in which packets had arrived since the one before. */
  flowingAt?: number;
  /** Each change of received resolution, from the first key frame. */
  layers: LayerSpan[];
}

export interface BotRecord {
  plan: ParticipantPlan;
  status: BotStatus;
  url?: string;
  routeMs?: number;
  error?: { code: string; message: string };
  metrics?: BotMetrics;
  /** Every subscription the bot ever had, by consumer id (rejoins add new ones). */
  subscriptions: Map<string, SubscriptionRecord>;
}

export interface TimelinePoint {
  /** Seconds since the run started. */
  t: number;
  visitsUp: number;
  botsJoined: number;
  failures: number;
  audioBps: number;
  videoBps: number;
  /** Subscriptions that received media in the last second, to read the bitrates per subscriber. */
  audioReceivers: number;
  videoReceivers: number;
  /** Packets lost / expected over the last second, percent. */
  lossPct: number;
  joinP95Ms?: number;
  /** Bot processes' CPU, percent of one core. */
  botCpuPct?: number;
  nodeCpuPct?: number;
  workerCpuPct?: number;
  nodeConsumers?: number;
  /**
   * False for the points soon after the load tester's own event loop stalled
   * (a tick over STALL_MS late): the bots' reports were held up with it, so
   * stale reports there say nothing about the visits.
   */
  judged: boolean;
}

const FRESH_MS = 3000;
const FLOW_GRACE_MS = 2500;
const TICK_MS = 1000;
const STALL_MS = 2000;

export class RunState {
  readonly bots = new Map<string, BotRecord>();
  readonly timeline: TimelinePoint[] = [];
  /** Every scrape of every node. */
  readonly nodes = new Map<string, NodeSample[]>();
  /** Run seconds when every bot had joined or failed. */
  settledAt?: number;
  private readonly cpu = new Map<number, { micros: number; at: number }>();
  private cpuPct = new Map<number, number>();
  private lost = { audio: 0, video: 0 };
  private received = { audio: 0, video: 0 };
  private lastTickAt?: number;
  private blindUntil = 0;
  /** Milliseconds the load tester's event loop was stalled beyond its tick, summed. */
  stalledMs = 0;

  constructor(readonly visits: VisitPlan[], readonly profile: Profile, readonly startedAt: number) {
    for (const v of visits) for (const p of v.participants) this.bots.set(p.botId, { plan: p, status: 'pending', subscriptions: new Map() });
  }

  seconds(at = monotonicNow()): number {
    return (at - this.startedAt) / 1000;
  }

  starting(botId: string): void {
    const b = this.bots.get(botId);
    if (b) b.status = 'joining';
  }

  onEvent(group: number, e: GroupEvent): void {
    if (e.type === 'joined' || e.type === 'failed') {
      const b = this.bots.get(e.botId);
      if (!b) return;
      if (e.type === 'joined') Object.assign(b, { status: 'joined', url: e.url, routeMs: e.routeMs });
      else Object.assign(b, { status: 'failed', error: { code: e.code, message: e.message } });
      if (this.settledAt === undefined && [...this.bots.values()].every((x) => x.status === 'joined' || x.status === 'failed')) this.settledAt = this.seconds();
    } else if (e.type === 'metrics') {
      for (const { botId, metrics } of e.batch) this.onMetrics(botId, metrics);
      const before = this.cpu.get(group);
      if (before && e.at > before.at) this.cpuPct.set(group, ((e.cpuMicros - before.micros) / 1000 / (e.at - before.at)) * 100);
      this.cpu.set(group, { micros: e.cpuMicros, at: e.at });
    }
  }

  private onMetrics(botId: string, m: BotMetrics): void {
    const b = this.bots.get(botId);
    if (!b) return;
    b.metrics = m;
    if (m.state === 'left' && b.status === 'joined') b.status = 'left';
    const t = this.seconds(m.at);
    for (const s of m.subscriptions) {
      let r = b.subscriptions.get(s.consumerId);
      if (!r) {
        r = { kind: s.kind, participantId: s.participantId, packets: 0, packetsLost: 0, jitterMs: 0, closed: false, producerPaused: false, layers: [] };
        b.subscriptions.set(s.consumerId, r);
      }
      this.lost[s.kind] += Math.max(0, s.packetsLost - r.packetsLost);
      this.received[s.kind] += Math.max(0, s.packets - r.packets);
      if (s.packets > r.packets) r.flowingAt = m.at;
      Object.assign(r, { firstPacketMs: s.firstPacketMs, packets: s.packets, packetsLost: s.packetsLost, jitterMs: s.jitterMs, closed: s.closed, producerPaused: s.producerPaused });
      if (s.packets > 0) {
        r.first ??= { t, bytes: s.bytes };
        r.last = { t, bytes: s.bytes };
      }
      const layer = r.layers[r.layers.length - 1];
      if (s.height !== undefined && s.width !== undefined && (layer?.height !== s.height || layer?.width !== s.width)) {
        r.layers.push({ t: Math.round(t * 10) / 10, width: s.width, height: s.height });
      }
    }
  }

  /**
   * Whether every participant of the visit is joined and receives every
   * expected kind from every other one: media arrived within the last
   * FLOW_GRACE_MS, so one empty report (a slow bot) does not count as a drop.
   */
  visitUp(v: VisitPlan, now = monotonicNow()): boolean {
    const bots = v.participants.map((p) => this.bots.get(p.botId)!);
    if (bots.some((b) => !b.metrics || b.metrics.state !== 'joined' || !b.metrics.participantId || now - b.metrics.at > FRESH_MS)) return false;
    const kinds = expectedKinds(this.profile);
    // Video its publisher paused (muted) does not count against the visit; video the SFU paused (audio-only fallback) does.
    const flowing = (b: BotRecord, from: string, kind: Kind) => [...b.subscriptions.values()].some((s) =>
      s.participantId === from && s.kind === kind && !s.closed && (s.producerPaused || (s.flowingAt !== undefined && now - s.flowingAt <= FLOW_GRACE_MS)));
    return bots.every((b) => bots.every((other) => other === b || kinds.every((kind) => flowing(b, other.metrics!.participantId!, kind))));
  }

  onNodeSample(s: NodeSample): void {
    this.nodes.set(s.url, [...(this.nodes.get(s.url) ?? []), s]);
  }

  /** Appends the timeline point for now. */
  tick(now = monotonicNow()): TimelinePoint {
    const sinceTick = now - (this.lastTickAt ?? now);
    this.lastTickAt = now;
    if (sinceTick > STALL_MS) {
      this.stalledMs += sinceTick - TICK_MS;
      this.blindUntil = now + FRESH_MS;
    }
    const bps = { audio: 0, video: 0 };
    const receivers = { audio: 0, video: 0 };
    for (const b of this.bots.values()) {
      const m = b.metrics;
      if (!m || now - m.at > FRESH_MS || m.state === 'left') continue;
      for (const s of m.subscriptions) {
        if (s.closed || s.bitrateBps === 0) continue;
        bps[s.kind] += s.bitrateBps;
        receivers[s.kind]++;
      }
    }
    const lost = this.lost.audio + this.lost.video;
    const expected = lost + this.received.audio + this.received.video;
    this.lost = { audio: 0, video: 0 };
    this.received = { audio: 0, video: 0 };
    const nodeSamples = [...this.nodes.values()].map((xs) => xs[xs.length - 1]).filter((x) => now - x.at <= FRESH_MS);
    const sum = (xs: Array<number | undefined>) => (xs.some((x) => x !== undefined) ? xs.reduce<number>((a, x) => a + (x ?? 0), 0) : undefined);
    const records = [...this.bots.values()];
    const point: TimelinePoint = {
      t: Math.round(this.seconds(now) * 10) / 10,
      visitsUp: this.visits.filter((v) => this.visitUp(v, now)).length,
      botsJoined: records.filter((b) => b.status === 'joined').length,
      failures: records.filter((b) => b.status === 'failed').length,
      audioBps: Math.round(bps.audio),
      videoBps: Math.round(bps.video),
      audioReceivers: receivers.audio,
      videoReceivers: receivers.video,
      lossPct: expected > 0 ? Math.round((lost / expected) * 100_000) / 1000 : 0,
      joinP95Ms: dist(records.map((b) => b.metrics?.joinMs)).p95,
      botCpuPct: sum([...this.cpuPct.values()]),
      nodeCpuPct: sum(nodeSamples.map((n) => n.processCpuPct)),
      workerCpuPct: sum(nodeSamples.map((n) => n.workerCpuPct)),
      nodeConsumers: sum(nodeSamples.map((n) => n.consumers)),
      judged: now >= this.blindUntil,
    };
    this.timeline.push(point);
    return point;
  }

  /** Signaling URLs bots were sent to (the node, or where the router sent them). */
  nodeUrls(): string[] {
    return [...new Set([...this.bots.values()].map((b) => b.url).filter((u): u is string => !!u))];
  }
}
