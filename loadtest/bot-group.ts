/**
 * A share of the run's bots in one process: starts them when told, forwards
 * their metrics in batches, makes them all leave on stop. The coordinator
 * talks to it in-process or, in a worker, over IPC (worker-main.ts).
 */
import { setMaxListeners } from 'node:events';
import { connectBot, type Bot } from './bot/bot.ts';
import { botErrorOf } from './bot/errors.ts';
import type { BotMetrics } from './bot/metrics.ts';
import type { ParticipantPlan } from './plan.ts';
import { routeTo, type Target } from './route.ts';
import { monotonicNow } from './clock.ts';

export type GroupCommand =
  | { type: 'start'; bot: ParticipantPlan; target: Target }
  | { type: 'stop' };

export type GroupEvent =
  /** routeMs: the edge router's answer time (with --router). */
  | { type: 'joined'; botId: string; url: string; routeMs?: number }
  | { type: 'failed'; botId: string; code: string; message: string }
  | { type: 'metrics'; batch: Array<{ botId: string; metrics: BotMetrics }>; cpuMicros: number; at: number }
  | { type: 'stopped' }
  /** A worker process has loaded and is ready for bots. */
  | { type: 'ready' };

const FLUSH_MS = 1000;
const LEAVE_TIMEOUT_MS = 10_000;

export class BotGroup {
  private readonly bots = new Map<string, Bot>();
  private readonly starting = new Set<Promise<void>>();
  private readonly fresh = new Map<string, BotMetrics>();
  private readonly timer: NodeJS.Timeout;
  private stopping = false;
  private readonly abort = new AbortController();

  constructor(private readonly emit: (e: GroupEvent) => void) {
    setMaxListeners(0, this.abort.signal); // every joining bot listens to it
    this.timer = setInterval(() => this.flush(), FLUSH_MS);
  }

  handle(cmd: GroupCommand): void {
    if (cmd.type === 'stop') void this.stop();
    else if (!this.stopping) {
      const p = this.start(cmd.bot, cmd.target).finally(() => this.starting.delete(p));
      this.starting.add(p);
    }
  }

  private async start(plan: ParticipantPlan, target: Target): Promise<void> {
    try {
      const routed = performance.now();
      const { url, nodeId } = await routeTo(target, plan.visitId, plan.token);
      const routeMs = 'router' in target ? Math.round(performance.now() - routed) : undefined;
      const bot = await connectBot({
        url, nodeId, token: plan.token, publish: plan.publish, label: plan.botId, signal: this.abort.signal,
        route: 'router' in target ? (failed) => routeTo(target, plan.visitId, plan.token, failed) : undefined,
        onMetrics: (m) => this.fresh.set(plan.botId, m),
      });
      this.bots.set(plan.botId, bot);
      this.emit({ type: 'joined', botId: plan.botId, url, routeMs });
      if (this.stopping) await bot.leave();
    } catch (err) {
      const e = botErrorOf(err);
      this.emit({ type: 'failed', botId: plan.botId, code: e.code, message: e.message });
    }
  }

  private async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.abort.abort();
    await Promise.allSettled(this.starting);
    await Promise.allSettled([...this.bots.values()].map((b) => Promise.race([b.leave(), new Promise((r) => setTimeout(r, LEAVE_TIMEOUT_MS))])));
    clearInterval(this.timer);
    this.flush();
    this.emit({ type: 'stopped' });
  }

  private flush(): void {
    const batch = [...this.fresh].map(([botId, metrics]) => ({ botId, metrics }));
    this.fresh.clear();
    const cpu = process.cpuUsage();
    this.emit({ type: 'metrics', batch, cpuMicros: cpu.user + cpu.system, at: monotonicNow() });
  }
}
