/**
 * A visit participant made of real WebRTC (werift) that speaks visitwire
 * signaling: joins, waits for admission, publishes, subscribes to everyone
 * else, measures what it receives, and joins again when it loses its
 * connection or its media.
 */
import type { types } from 'mediasoup';
import type { ClientReplies, ParticipantInfo, ProducerInfo, ResumeGrant, Role, ServerEventName, ServerEvents } from '../../signaling/protocol.ts';
import { FAILOVER_AFTER_MS, MAKE_BEFORE_BREAK_MS, MIGRATE_ATTEMPTS, backOff, singleFlight } from '../../common/reconnect.ts';
import type { Bot, BotOptions } from './bot-options.ts';
import { BotError, botErrorOf } from './errors.ts';
import { MediaGaps } from './media-gaps.ts';
import { mediaLoop } from './media/media-loop.ts';
import { audioOnlyFor, subscriptionMetrics, type BotMetrics, type BotState, type SubscriptionMetrics } from './metrics.ts';
import { Publisher, type SendStats } from './publisher.ts';
import { SignalingClient } from './signaling-client.ts';
import { receiveCapabilities, Subscriber } from './subscriber.ts';
import { monotonicNow } from '../clock.ts';

export type { Bot, BotOptions } from './bot-options.ts';

/** Joins a visit as a bot; resolves once admitted and publishing, rejects with a BotError. */
export async function connectBot(options: BotOptions): Promise<Bot> {
  const bot = new VisitBot(options);
  try {
    await bot.start();
    return bot;
  } catch (err) {
    const e = botErrorOf(err);
    bot.fail(e);
    await bot.leave();
    throw e;
  }
}


class VisitBot implements Bot {
  participantId = '';
  role: Role = 'patient';
  readonly gaps = new MediaGaps();
  private sig: SignalingClient;
  private url = '';
  private nodeId?: string;
  private resumeGrant?: ResumeGrant;
  private resumeTimer?: NodeJS.Timeout;
  private failoverTimer?: NodeJS.Timeout;
  private resumes = 0;
  private reroutes = 0;
  private migrations = 0;
  private readonly began = performance.now();
  private state: BotState = 'connecting';
  private joinMs?: number;
  private admittedMs?: number;
  private publishMs?: number;
  private reconnects = 0;
  private audioOnlyMs = 0;
  private error?: { code: string; message: string };
  private publisher?: Publisher;
  private subscriber?: Subscriber;
  private admitted = false;
  private admissionWaiter?: { resolve: (producers: ProducerInfo[]) => void; reject: (err: Error) => void };
  private readonly admitting = new Set<string>();
  private waiting: ParticipantInfo[] = [];
  private videoEnabled = true;
  private maxSpatialLayer = 2;
  private earlyAdmission?: ServerEvents['admission'];
  /** Announced between the join request and admission, consumed once publishing. */
  private pendingProducers: ProducerInfo[] = [];
  private leaving = false;
  private rejoining = false;
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private lastTick = performance.now();
  private sendStats?: SendStats;
  private lastSubscriptions: SubscriptionMetrics[] = [];
  private viewport?: { width: number; height: number };

  constructor(private readonly o: BotOptions) {
    this.nodeId = o.nodeId;
    this.viewport = o.viewport;
    this.sig = this.signaling(o.url);
  }

  /** Drops the signaling connection and keeps it down for `ms` (benchmarks: a signaling blip); media is untouched. */
  cutSignaling(ms: number): void {
    const manager = this.sig.socket.io;
    const saved = [manager.reconnectionDelay(), manager.reconnectionDelayMax(), manager.randomizationFactor()] as const;
    manager.reconnectionDelay(ms).reconnectionDelayMax(ms).randomizationFactor(0);
    manager.engine?.close();
    setTimeout(() => manager.reconnectionDelay(saved[0]).reconnectionDelayMax(saved[1]).randomizationFactor(saved[2]), ms + 500);
  }

  private signaling(url: string): SignalingClient {
    this.url = url;
    const sig = new SignalingClient({ url, token: this.o.token, requestTimeoutMs: this.o.requestTimeoutMs ?? 10_000 });
    this.listen(sig);
    return sig;
  }

  async setViewport(viewport: { width: number; height: number }): Promise<void> {
    this.viewport = viewport;
    await this.subscriber?.setViewport(viewport);
  }

  metrics(): BotMetrics {
    return this.snapshot();
  }

  async start(): Promise<void> {
    const timeoutMs = this.o.joinTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    let onAbort = () => undefined as void;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new BotError('ABORTED', 'stopped while joining'));
      if (this.o.signal?.aborted) onAbort();
      this.o.signal?.addEventListener('abort', onAbort, { once: true });
    });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(!this.sig.socket.connected && this.state === 'connecting'
        ? new BotError('CONNECT_FAILED', `no signaling connection to ${this.o.url} within ${timeoutMs} ms: ${this.sig.lastConnectError ?? 'no answer'}`)
        : new BotError('TIMEOUT', `not joined and publishing within ${timeoutMs} ms (state ${this.state})`)), timeoutMs);
    });
    try {
      await Promise.race([this.sig.connect().then(() => this.joinAndPublish()), timeout, aborted]);
    } finally {
      clearTimeout(timer);
      this.o.signal?.removeEventListener('abort', onAbort);
    }
    this.lastTick = performance.now();
    this.timer = setInterval(() => void this.tick(), this.o.metricsIntervalMs ?? 1000);
  }

  async leave(): Promise<void> {
    if (this.leaving) return;
    this.leaving = true;
    clearInterval(this.timer);
    clearTimeout(this.resumeTimer);
    clearTimeout(this.failoverTimer);
    this.admissionWaiter?.reject(new BotError('LEFT', 'left before admission'));
    if (this.timer) await this.tick(); // the last interval with media
    if (this.sig.socket.connected && this.participantId) {
      await Promise.race([this.sig.request('leave', {}).catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
    }
    await this.closeMedia();
    this.sig.close();
    if (this.state !== 'failed') this.state = 'left';
    this.o.onMetrics?.(this.snapshot());
  }

  /** Marks a bot that could not join, before it leaves. */
  fail(err: BotError): void {
    this.state = 'failed';
    this.error = { code: err.code, message: err.message };
  }

  /** Wires a signaling connection; events of one the bot has moved away from are ignored. */
  private listen(sig: SignalingClient): void {
    const on = <E extends ServerEventName>(event: E, handler: (data: ServerEvents[E]) => void) =>
      sig.on(event, (data) => { if (sig === this.sig) handler(data); });
    // The admission may overtake the join answer; it is kept until the answer says "waiting".
    on('admission', (e) => {
      if (!this.admissionWaiter) this.earlyAdmission = e;
      else if (e.admission === 'admitted') this.admissionWaiter.resolve(e.producers);
      else if (e.admission === 'denied') this.admissionWaiter.reject(new BotError('DENIED', 'a provider denied admission'));
    });
    on('waitingRoom', (e) => this.admit(e.waiting));
    on('newProducer', (p) => {
      if (this.admitted) void this.subscribeTo([p]);
      else this.pendingProducers.push(p);
    });
    on('producerClosed', (e) => this.subscriber?.producerClosed(e.producerId));
    on('producerPaused', (e) => this.subscriber?.setProducerPaused(e.producerId, true));
    on('producerResumed', (e) => this.subscriber?.setProducerPaused(e.producerId, false));
    on('sendVideo', (e) => {
      this.videoEnabled = e.enabled;
      this.applyVideoLayers(e.producerId);
    });
    on('maxSpatialLayer', (e) => {
      this.maxSpatialLayer = e.spatialLayer;
      this.applyVideoLayers(e.producerId);
    });
    on('visitInterrupted', () => void this.rejoin('visitInterrupted'));
    on('migrate', () => void this.migrate());
    sig.socket.on('disconnect', () => {
      if (sig !== this.sig || this.leaving || this.state === 'connecting' || this.state === 'migrating') return;
      if (this.state === 'joined' && this.resumeGrant) {
        this.startResuming();
        return;
      }
      this.state = 'rejoining';
      void this.closeMedia();
    });
    // A refused reconnection (the node is gone or restarting): ask the router now.
    sig.socket.on('connect_error', (err: Error & { data?: unknown }) => {
      if (sig !== this.sig || err.data !== undefined || this.state !== 'resuming' || !this.o.route) return;
      clearTimeout(this.failoverTimer);
      void this.failover();
    });
    // After the first connection, every connect is socket.io's reconnection.
    sig.socket.on('connect', () => {
      if (sig !== this.sig) return;
      if (this.state === 'resuming') void this.resume();
      else if (this.state === 'rejoining') void this.rejoin('reconnected');
    });
  }

  // ---- resume, failover and migration: the SDK's paths (signaling/sdk/visit.ts) ----

  /** Signaling dropped: media goes on; take the participant back on reconnection, within the grace. */
  private startResuming(): void {
    this.state = 'resuming';
    this.resumeTimer = setTimeout(() => {
      if (this.state !== 'resuming') return;
      this.state = 'rejoining';
      void this.closeMedia().then(() => { if (this.sig.socket.connected) void this.rejoin('resume grace over'); });
    }, Math.max(1000, this.resumeGrant!.graceMs - 1000));
    if (this.o.route) this.failoverTimer = setTimeout(() => void this.failover(), FAILOVER_AFTER_MS);
  }

  private async resume(): Promise<void> {
    let reply: ClientReplies['resume'];
    try {
      reply = await this.sig.request('resume', { credential: this.resumeGrant!.credential });
    } catch {
      if (this.state !== 'resuming') return;
      this.state = 'rejoining';
      await this.closeMedia();
      void this.rejoin('resume refused');
      return;
    }
    if (this.state !== 'resuming') return;
    clearTimeout(this.resumeTimer);
    clearTimeout(this.failoverTimer);
    this.resumeGrant = reply.resume;
    this.state = 'joined';
    this.resumes++;
    for (const { event, data } of reply.missed) for (const listener of this.sig.socket.listeners(event)) listener(data);
  }

  /** The node did not take the bot back: ask the router again, naming the node; go wherever it sends us. */
  private readonly failover = singleFlight(() => this.failoverLoop());

  private async failoverLoop(): Promise<void> {
    for (let attempt = 0; !this.leaving && (this.state === 'resuming' || (this.state === 'rejoining' && !this.sig.socket.connected)); attempt++) {
      try {
        const route = await this.o.route!(this.nodeId);
        if (route.nodeId !== this.nodeId) {
          await this.moveTo(route, false);
          this.reroutes++;
          return;
        }
        if (this.state === 'resuming') return; // the router says the node is fine: keep resuming
      } catch (err) {
        const e = botErrorOf(err);
        this.error = { code: e.code, message: `failover: ${e.message}` };
      }
      await backOff(attempt);
    }
  }

  /** The node drains: join the node the router names, and leave this one once media flows there. */
  private async migrate(): Promise<void> {
    if (!this.o.route || this.state !== 'joined') return;
    this.state = 'migrating';
    for (let attempt = 0; attempt < MIGRATE_ATTEMPTS && !this.leaving; attempt++) {
      try {
        const route = await this.o.route();
        if (route.nodeId !== this.nodeId) {
          await this.moveTo(route, true);
          this.migrations++;
          return;
        }
      } catch (err) {
        const e = botErrorOf(err);
        this.error = { code: e.code, message: `migrate: ${e.message}` };
      }
      await backOff(attempt);
    }
    if (this.state === 'migrating') this.state = 'joined';
  }

  /** Joins on another node; make before break keeps the old node's media until the new one receives. */
  private async moveTo(route: { url: string; nodeId?: string }, makeBeforeBreak: boolean): Promise<void> {
    clearTimeout(this.resumeTimer);
    clearTimeout(this.failoverTimer);
    // Neither resume nor rejoin on the new connection's events: this move joins there.
    this.state = 'migrating';
    const old = { sig: this.sig, url: this.url, nodeId: this.nodeId, publisher: this.publisher, subscriber: this.subscriber };
    this.publisher = undefined;
    this.subscriber = undefined;
    if (!makeBeforeBreak) {
      old.sig.close();
      await Promise.all([old.publisher?.close(), old.subscriber?.close()]);
    }
    this.sig = this.signaling(route.url);
    this.nodeId = route.nodeId;
    try {
      await this.sig.connect();
      await this.joinAndPublish();
    } catch (err) {
      await this.closeMedia();
      this.sig.close();
      if (makeBeforeBreak) {
        // Still on the old node, whose media never stopped.
        ({ sig: this.sig, url: this.url, nodeId: this.nodeId, publisher: this.publisher, subscriber: this.subscriber } = old);
        this.state = 'joined';
        this.admitted = true;
      } else {
        this.state = 'rejoining';
        this.sig = this.signaling(old.url); // a fresh connection to the old node, for the retries
      }
      throw err;
    }
    if (!makeBeforeBreak) return;
    for (const until = Date.now() + MAKE_BEFORE_BREAK_MS; Date.now() < until; await new Promise((r) => setTimeout(r, 50))) {
      const subscriber = this.subscriber as Subscriber | undefined; // set by joinAndPublish
      if ([...subscriber?.subscriptions.values() ?? []].some((s) => s.firstPacketAt !== undefined)) break;
    }
    await Promise.race([old.sig.request('leave', {}).catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
    old.sig.close();
    await Promise.all([old.publisher?.close(), old.subscriber?.close()]);
  }

  private async joinAndPublish(): Promise<void> {
    this.admitted = false;
    this.earlyAdmission = undefined;
    this.pendingProducers = [];
    this.videoEnabled = true;
    this.maxSpatialLayer = mediaLoop().layers.length - 1;
    const reply = await this.sig.request('join', {});
    this.stopIfLeaving();
    this.resumeGrant = reply.resume;
    this.joinMs ??= Math.round(performance.now() - this.began);
    this.participantId = reply.self.participantId;
    this.role = reply.self.role;
    let producers = reply.producers;
    const early = this.earlyAdmission as ServerEvents['admission'] | undefined; // set by the event handler meanwhile
    const admission = reply.admission === 'waiting' && early ? early.admission : reply.admission;
    if (admission === 'waiting') {
      this.state = 'waiting';
      producers = await this.waitForAdmission();
    } else if (reply.admission === 'waiting' && admission === 'admitted') {
      producers = early?.producers ?? [];
    } else if (admission === 'denied') {
      throw new BotError('DENIED', 'admission denied');
    }
    this.stopIfLeaving();
    this.admitted = true;
    this.admittedMs ??= Math.round(performance.now() - this.began);
    this.admit([...reply.waiting, ...this.waiting]);
    await this.startMedia(reply);
    if (this.leaving) {
      await this.closeMedia(); // leave() ran while publishing started (a join timeout)
      this.stopIfLeaving();
    }
    this.publishMs ??= Math.round(performance.now() - this.began);
    this.state = 'joined';
    await this.subscribeTo([...producers, ...this.pendingProducers]);
  }

  private stopIfLeaving(): void {
    if (this.leaving) throw new BotError('LEFT', 'left while joining');
  }

  private waitForAdmission(): Promise<ProducerInfo[]> {
    return new Promise<ProducerInfo[]>((resolve, reject) => {
      this.admissionWaiter = { resolve, reject };
    }).finally(() => { this.admissionWaiter = undefined; });
  }

  private async startMedia(reply: ClientReplies['join']): Promise<void> {
    const connectTimeoutMs = this.o.requestTimeoutMs ?? 10_000;
    const onFailed = (err: Error) => void this.rejoin(err.message);
    if (this.o.subscribe !== false) {
      this.subscriber = new Subscriber(this.sig, receiveCapabilities(reply.routerRtpCapabilities as types.RtpCapabilities), {
        iceAddress: this.o.iceAddress, connectTimeoutMs, viewport: this.viewport, onFailed, onPacket: (kind) => this.gaps.onPacket(kind),
      });
    }
    const audio = this.o.publish?.audio ?? true;
    const video = this.o.publish?.video ?? true;
    if (!audio && !video) return;
    this.publisher = await Publisher.start(this.sig, { audio, video, loop: mediaLoop(), iceAddress: this.o.iceAddress, connectTimeoutMs });
    this.publisher.pc.connectionStateChange.subscribe((s) => { if (s === 'failed') onFailed(new Error('send transport ICE/DTLS failed')); });
  }

  private async subscribeTo(producers: ProducerInfo[]): Promise<void> {
    const sub = this.subscriber;
    if (!sub || producers.length === 0) return;
    try {
      await sub.consume(producers);
    } catch (err) {
      if (sub !== this.subscriber || this.leaving) return; // a rejoin replaced it
      const e = botErrorOf(err);
      this.error = { code: e.code, message: e.message };
      if (e.code === 'MEDIA_FAILED') void this.rejoin(e.message);
    }
  }

  /** Admits who waits; a waitingRoom event may come before the join answer, so the latest list is kept until then. */
  private admit(waiting: ParticipantInfo[]): void {
    this.waiting = waiting;
    if (this.o.autoAdmit === false || (this.role !== 'provider' && this.role !== 'nurse') || !this.admitted) return;
    for (const w of waiting) {
      if (this.admitting.has(w.participantId)) continue;
      this.admitting.add(w.participantId);
      this.sig.request('admit', { participantId: w.participantId }).catch(() => this.admitting.delete(w.participantId));
    }
  }

  /** The uplink fallback and unused layers, as the SFU asked. */
  private applyVideoLayers(producerId?: string): void {
    const p = this.publisher;
    if (!p || (producerId && producerId !== p.producerIds.video)) return;
    p.pump.setHighestLayer(this.videoEnabled ? this.maxSpatialLayer : -1);
  }

  private async rejoin(reason: string): Promise<void> {
    if (this.leaving || this.rejoining || this.o.rejoin === false || this.state === 'connecting') return;
    this.rejoining = true;
    this.state = 'rejoining';
    try {
      await this.closeMedia();
      for (let attempt = 0; !this.leaving && this.sig.socket.connected; attempt++) {
        try {
          await this.sig.request('leave', {}).catch(() => undefined);
          await this.joinAndPublish();
          this.reconnects++;
          return;
        } catch (err) {
          const e = botErrorOf(err);
          this.error = { code: e.code, message: `rejoin after ${reason}: ${e.message}` };
          await this.closeMedia();
          await new Promise((r) => setTimeout(r, Math.min(5000, 500 * 2 ** attempt)));
        }
      }
    } finally {
      this.rejoining = false;
    }
  }

  private async closeMedia(): Promise<void> {
    const { publisher, subscriber } = this;
    this.publisher = undefined;
    this.subscriber = undefined;
    this.admitted = false;
    await Promise.all([publisher?.close(), subscriber?.close()]);
  }

  private tick(): Promise<void> {
    this.ticking ??= this.measure().finally(() => { this.ticking = undefined; });
    return this.ticking;
  }

  private async measure(): Promise<void> {
    const now = performance.now();
    for (const s of this.subscriber?.subscriptions.values() ?? []) s.lastSample = s.stats.sample(now);
    const subs = this.subscriptionMetrics();
    this.audioOnlyMs += audioOnlyFor(subs, now - this.lastTick);
    this.lastTick = now;
    this.sendStats = (await this.publisher?.stats().catch(() => undefined)) ?? this.sendStats;
    this.o.onMetrics?.(this.snapshot());
  }

  private subscriptionMetrics(): SubscriptionMetrics[] {
    if (this.subscriber) this.lastSubscriptions = [...this.subscriber.subscriptions.values()].map(subscriptionMetrics);
    return this.lastSubscriptions;
  }

  /** A report; the subscriptions of the last session stay visible while the bot rejoins or after it left. */
  private snapshot(subscriptions = this.subscriptionMetrics()): BotMetrics {
    const pump = this.publisher?.pump;
    const send = this.sendStats;
    return {
      at: monotonicNow(), label: this.o.label, participantId: this.participantId || undefined, role: this.participantId ? this.role : undefined,
      state: this.state, joinMs: this.joinMs, admittedMs: this.admittedMs, publishMs: this.publishMs, reconnects: this.reconnects,
      resumes: this.resumes, reroutes: this.reroutes, migrations: this.migrations,
      longestGapMs: { audio: Math.round(this.gaps.longest('audio', 0, monotonicNow())), video: Math.round(this.gaps.longest('video', 0, monotonicNow())) },
      sent: {
        audio: { ...(pump?.sent.audio ?? { packets: 0, bytes: 0 }) },
        video: (pump?.sent.video ?? []).map((v) => ({ ...v })),
        rttMs: send?.rttMs === undefined ? undefined : Math.round(send.rttMs * 100) / 100,
        remoteLossRate: send?.remoteLossRate,
      },
      subscriptions, audioOnlyMs: Math.round(this.audioOnlyMs), error: this.error,
    };
  }
}
