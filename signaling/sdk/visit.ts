import type { Admission, ClientMessage, ClientMessageName, ClientReplies, ParticipantInfo, ProducerInfo, ResumeGrant, ServerEventRecord, ServerEvents } from '../protocol.ts';
import { FAILOVER_AFTER_MS, MAKE_BEFORE_BREAK_MS, MIGRATE_ATTEMPTS, backOff, singleFlight } from '../../common/reconnect.ts';
import { TypedEmitter } from './emitter.ts';
import { VisitError, toVisitError } from './errors.ts';
import type { ConnectionState, InterruptReason, MediaKind, RemoteTrack, VisitEvents } from './events.ts';
import type { ResolvedJoinOptions } from './options.ts';
import { MediaSession, type Consumed } from './session.ts';
import { senderStats } from './sender-stats.ts';
import { findRoute, type Route } from './route.ts';
import { Signal } from './signal.ts';
import { CAMERA_CONSTRAINTS, MICROPHONE_CONSTRAINTS } from './simulcast.ts';

type JoinReply = ClientReplies['join'];

/** What `publish` takes per kind: a track, or `true` to open the default camera or microphone. */
export interface PublishOptions {
  audio?: MediaStreamTrack | boolean;
  video?: MediaStreamTrack | boolean;
}

/** The tracks this participant publishes. */
export interface LocalTracks {
  audio?: MediaStreamTrack;
  video?: MediaStreamTrack;
}

const KINDS: MediaKind[] = ['audio', 'video'];
/** How often the publisher reports its uplink to the SFU. */
const SENDER_STATS_MS = 2000;
type Size = { width: number; height: number };

/**
 * One participant's presence in a visit: made by `joinVisit()`. Subscribes to
 * everyone else by itself; publishes what `publish()` is given; rejoins by
 * itself when the media is interrupted.
 */
export class Visit extends TypedEmitter<VisitEvents> {
  /** This participant, as the server knows them. */
  self: ParticipantInfo;
  /** `waiting` (a patient before admission), `admitted` or `denied`. */
  admission: Admission;
  private readonly others = new Map<string, ParticipantInfo>();
  private waitingList: ParticipantInfo[] = [];
  private readonly remoteKinds = new Map<string, MediaKind>();
  private readonly local: LocalTracks = {};
  private readonly ownTracks = new Set<MediaStreamTrack>();
  private readonly muted: Record<MediaKind, boolean> = { audio: false, video: false };
  private state: ConnectionState = 'connected';
  /** The credential that takes this participant back after a dropped connection. */
  private resumeGrant: ResumeGrant;
  private resumeTimer?: ReturnType<typeof setTimeout>;
  private failoverTimer?: ReturnType<typeof setTimeout>;
  /** Server events wait here until the session that should see them is ready. */
  private inbox: (() => void)[] | null = [];
  private rejoinTimer?: ReturnType<typeof setTimeout>;
  private rejoinRunning = false;
  /** The SFU stopped our video: our uplink cannot carry it (audio goes on). */
  private uplinkStopped = false;
  /** Rendered sizes of remote videos, by participant; sent again for each new consumer. */
  private readonly videoSizes = new Map<string, Size>();
  private readonly statsTimer: ReturnType<typeof setInterval>;

  /** @internal Use `joinVisit()`. */
  constructor(
    private signal: Signal,
    private readonly o: ResolvedJoinOptions,
    reply: JoinReply,
    private session: MediaSession,
    /** The node the edge router chose (with `routerUrl`), to report when it fails or drains. */
    private nodeId?: string,
  ) {
    super();
    this.self = reply.self;
    this.admission = reply.admission;
    this.resumeGrant = reply.resume;
    this.adopt(session);
    this.listen(signal);
    // Give the app a turn to attach listeners, then report what is already there.
    setTimeout(() => this.start(reply), 0);
    this.statsTimer = setInterval(() => void this.reportSenderStats(), SENDER_STATS_MS);
  }

  /** Admitted participants other than this one. */
  get participants(): ParticipantInfo[] {
    return [...this.others.values()];
  }

  /** For providers and nurses: who waits in the waiting room. */
  get waiting(): ParticipantInfo[] {
    return [...this.waitingList];
  }

  /** Remote tracks being received now. */
  get remoteTracks(): RemoteTrack[] {
    return [...this.session.consumers.values()].map((c) => c.remote);
  }

  /** The tracks being published. */
  get localTracks(): LocalTracks {
    return { ...this.local };
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /**
   * `connected`; `resuming` (the signaling connection dropped: media goes on,
   * the SDK reconnects and takes the same participant back); `rejoining` (media
   * was lost: joining again); `closed`. Changes come with `connectionStateChanged`.
   */
  get connectionState(): ConnectionState {
    return this.state;
  }

  isMuted(kind: MediaKind): boolean {
    return this.muted[kind];
  }

  /**
   * Publishes the microphone and/or camera: pass tracks, or `true` to open the
   * default devices. Video goes out as VP8 simulcast in three layers. Publishing
   * a kind again replaces its track. A waiting patient is refused (NOT_ADMITTED).
   */
  async publish(o: PublishOptions): Promise<LocalTracks> {
    this.assertOpen();
    const tracks = await this.tracksFor(o);
    if (this.state === 'rejoining') {
      // The media is being set up again: these tracks go out with it.
      for (const [kind, track] of tracks) {
        const old = this.local[kind];
        if (old && old !== track && this.ownTracks.delete(old)) old.stop();
        track.enabled = !this.muted[kind];
        this.local[kind] = track;
      }
      return this.localTracks;
    }
    const session = this.session;
    const previous = { ...this.local };
    try {
      for (const [kind, track] of tracks) {
        track.enabled = !this.muted[kind];
        this.local[kind] = track;
      }
      await Promise.all(tracks.map(([kind, track]) => session.produce(kind, track, this.muted[kind])));
    } catch (err) {
      for (const [kind, track] of tracks) {
        this.local[kind] = previous[kind];
        if (this.ownTracks.delete(track)) track.stop();
      }
      throw toVisitError(err);
    }
    for (const [kind] of tracks) {
      const old = previous[kind];
      if (old && old !== this.local[kind] && this.ownTracks.delete(old)) old.stop();
    }
    return this.localTracks;
  }

  /** Mutes or unmutes what this participant sends: pauses the producer for everyone and disables the track. */
  async setMuted(kind: MediaKind, muted: boolean): Promise<void> {
    this.assertOpen();
    this.muted[kind] = muted;
    const track = this.local[kind];
    if (track) track.enabled = !muted;
    const producer = await this.session.producers.get(kind)?.catch(() => undefined);
    if (!producer || producer.closed) return;
    if (muted) producer.pause();
    else if (!(kind === 'video' && this.uplinkStopped)) producer.resume();
    await this.signal.request(muted ? 'pauseProducer' : 'resumeProducer', { producerId: producer.id });
  }

  /**
   * Tells the SFU the size (device pixels) at which a participant's video is
   * shown, so it never sends a larger layer than the tile shows; 0x0 = hidden.
   */
  async setVideoSize(participantId: string, size: Size): Promise<void> {
    this.assertOpen();
    const rounded = { width: Math.round(size.width), height: Math.round(size.height) };
    this.videoSizes.set(participantId, rounded);
    const consumed = [...this.session.consumers.values()].find((c) => c.remote.participantId === participantId && c.remote.kind === 'video');
    if (consumed) await this.signal.request('reportViewport', { consumerId: consumed.remote.consumerId, ...rounded });
  }

  /** Keeps the SFU told of the size at which `element` shows a participant's video; returns a function that stops it. */
  observeVideoSize(element: HTMLElement, participantId: string): () => void {
    const observer = new ResizeObserver(([entry]) => {
      const ratio = globalThis.devicePixelRatio || 1;
      const box = entry.contentRect;
      void this.setVideoSize(participantId, { width: box.width * ratio, height: box.height * ratio }).catch(() => undefined);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }

  /** Providers: asks for the best video of a participant (to look closely), until called with `false`. */
  async requestFullQuality(participantId: string, enabled = true): Promise<void> {
    this.assertOpen();
    await this.signal.request('requestFullQuality', { participantId, enabled });
  }

  /** For providers and nurses: lets a waiting participant in. */
  async admit(participantId: string): Promise<void> {
    this.assertOpen();
    await this.signal.request('admit', { participantId });
  }

  /** For providers and nurses: turns a waiting participant away. */
  async deny(participantId: string): Promise<void> {
    this.assertOpen();
    await this.signal.request('deny', { participantId });
  }

  /** Leaves the visit: tells the server, closes all media and the connection. Tracks passed to `publish` keep running. */
  async leave(): Promise<void> {
    if (this.state === 'closed') return;
    if (this.signal.connected) await this.signal.request('leave', {}).catch(() => undefined);
    this.close('left');
  }

  /**
   * Sends one protocol message as is (see signaling/protocol.ts). For what the
   * methods above do not cover; answers or rejects with a VisitError.
   */
  request<N extends ClientMessageName>(name: N, payload: ClientMessage<N>): Promise<ClientReplies[N]> {
    this.assertOpen();
    return this.signal.request(name, payload);
  }

  private assertOpen(): void {
    if (this.state === 'closed') throw new VisitError('CLOSED', 'this visit was left or closed');
  }

  private async tracksFor(o: PublishOptions): Promise<[MediaKind, MediaStreamTrack][]> {
    const out: [MediaKind, MediaStreamTrack][] = [];
    const open = { audio: o.audio === true, video: o.video === true };
    if (open.audio || open.video) {
      let stream: MediaStream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          audio: open.audio ? MICROPHONE_CONSTRAINTS : false, video: open.video ? CAMERA_CONSTRAINTS : false,
        });
      } catch (err) {
        throw new VisitError('MEDIA', `could not open ${open.video ? 'the camera' : 'the microphone'}: ${(err as Error).message}`);
      }
      for (const track of stream.getTracks()) {
        this.ownTracks.add(track);
        out.push([track.kind as MediaKind, track]);
      }
    }
    for (const kind of KINDS) {
      const t = o[kind];
      if (typeof t === 'object' && t !== null) {
        if (t.kind !== kind) throw new VisitError('BAD_REQUEST', `publish: ${kind} was given a ${t.kind} track`);
        out.push([kind, t]);
      }
    }
    return out;
  }

  // ---- server events ----

  /** Wires a signaling connection's events; events of a connection this visit has moved away from are ignored. */
  private listen(signal: Signal): void {
    const on = <E extends keyof ServerEvents>(event: E, handler: (data: ServerEvents[E]) => void) =>
      signal.on(event, (data) => {
        if (this.state === 'closed' || signal !== this.signal) return;
        if (this.inbox) this.inbox.push(() => handler(data));
        else handler(data);
      });
    on('participantJoined', (p) => this.addParticipant(p));
    on('participantLeft', ({ participantId, reason }) => {
      for (const c of this.session.endParticipant(participantId)) this.emit('trackEnded', c.remote);
      if (this.others.delete(participantId)) this.emit('participantLeft', { participantId, reason });
    });
    on('participantReconnecting', (e) => this.emit('participantReconnecting', e));
    on('participantReconnected', (e) => this.emit('participantReconnected', e));
    on('newProducer', (p) => this.subscribe(p));
    on('producerClosed', ({ producerId }) => this.endTrack(producerId));
    on('consumerClosed', ({ producerId }) => this.endTrack(producerId));
    on('producerPaused', (e) => this.onProducerPaused(e.producerId, e.participantId, true));
    on('producerResumed', (e) => this.onProducerPaused(e.producerId, e.participantId, false));
    on('waitingRoom', ({ waiting }) => {
      this.waitingList = waiting;
      this.emit('waitingRoom', { waiting: this.waiting });
    });
    on('admission', (e) => this.onAdmission(e));
    on('videoPaused', (e) => this.emit('videoPaused', e));
    on('videoResumed', (e) => this.emit('videoResumed', e));
    on('layersChanged', (e) => this.emit('layersChanged', e));
    on('networkQuality', (e) => this.emit('networkQuality', e));
    on('sendVideo', ({ producerId, enabled }) => {
      this.uplinkStopped = !enabled;
      void this.withVideoProducer(producerId, (p) => (enabled && !this.muted.video ? p.resume() : p.pause()));
    });
    on('maxSpatialLayer', ({ producerId, spatialLayer }) => {
      void this.withVideoProducer(producerId, (p) => p.setMaxSpatialLayer(spatialLayer));
    });
    on('visitInterrupted', ({ reason }) => {
      if (this.interrupt(reason)) void this.rejoin();
    });
    on('removed', () => this.close('replaced'));
    on('migrate', () => void this.migrate());

    const socket = signal.socket;
    socket.on('disconnect', (reason) => {
      if (this.state === 'closed' || signal !== this.signal || reason === 'io client disconnect') return;
      this.startResuming();
      // The server hung up on us: socket.io does not retry that by itself.
      if (reason === 'io server disconnect') socket.connect();
    });
    socket.on('connect', () => {
      if (signal !== this.signal) return;
      if (this.state === 'resuming') void this.resume();
      else if (this.state === 'rejoining') void this.rejoin();
    });
    socket.on('connect_error', (err: Error & { data?: { code?: string; message?: string } }) => {
      if (this.state === 'closed' || signal !== this.signal) return;
      // The node refuses connections (gone, or restarting): ask the router now rather than after FAILOVER_AFTER_MS.
      if (!err.data?.code && this.state === 'resuming' && this.o.routerUrl) {
        clearTimeout(this.failoverTimer);
        void this.failover();
      }
      if (!err.data?.code) return;
      // Refused on reconnect (an expired token, say): no point in retrying.
      this.emit('error', new VisitError(err.data.code as VisitError['code'], err.data.message ?? err.message, 'connect'));
      this.close('failed');
    });
    signal.replayBacklog();
  }

  /** Applies a join reply: participants, waiting room, then subscribes and publishes when admitted. */
  private start(reply: JoinReply): void {
    if (this.state === 'closed') return;
    const present = new Set(reply.participants.map((p) => p.participantId));
    for (const [id] of this.others) {
      if (!present.has(id)) {
        this.others.delete(id);
        this.emit('participantLeft', { participantId: id, reason: 'disconnected' });
      }
    }
    for (const p of reply.participants) this.addParticipant(p);
    this.waitingList = reply.waiting;
    if (reply.waiting.length > 0 || this.self.role === 'provider' || this.self.role === 'nurse') this.emit('waitingRoom', { waiting: this.waiting });
    const queued = this.inbox ?? [];
    this.inbox = null;
    if (this.admission === 'admitted') this.enterMedia(reply.producers);
    for (const run of queued) if (!this.closed) run();
  }

  private addParticipant(p: ParticipantInfo): void {
    if (p.participantId === this.self.participantId || this.others.has(p.participantId)) return;
    this.others.set(p.participantId, p);
    this.emit('participantJoined', p);
  }

  private onAdmission(e: ServerEvents['admission']): void {
    this.admission = e.admission;
    if (e.admission === 'denied') {
      this.emit('admission', { admission: 'denied' });
      this.close('denied');
      return;
    }
    if (e.admission !== 'admitted') {
      this.emit('admission', { admission: e.admission });
      return;
    }
    for (const p of e.participants) this.addParticipant(p);
    this.emit('admission', { admission: 'admitted' });
    this.enterMedia(e.producers);
  }

  /** Once admitted: subscribe to everyone, and publish again what was published before a rejoin. */
  private enterMedia(producers: ProducerInfo[]): void {
    for (const p of producers) this.subscribe(p);
    const session = this.session;
    for (const kind of KINDS) {
      const track = this.local[kind];
      if (!track || track.readyState !== 'live' || session.producers.has(kind)) continue;
      session.produce(kind, track, this.muted[kind]).catch((err) => {
        if (session.isOpen) this.emit('error', toVisitError(err));
      });
    }
  }

  private subscribe(p: ProducerInfo): void {
    if (this.admission !== 'admitted' || p.participantId === this.self.participantId) return;
    this.remoteKinds.set(p.producerId, p.kind);
    const session = this.session;
    session.consume(p).then(async (consumed?: Consumed) => {
      if (!consumed) return;
      consumed.remote.paused = consumed.remote.paused || p.paused;
      this.emit('track', consumed.remote);
      const size = p.kind === 'video' ? this.videoSizes.get(p.participantId) : undefined;
      if (size) await this.signal.request('reportViewport', { consumerId: consumed.remote.consumerId, ...size }).catch(() => undefined);
      // The app has wired the track: let the media flow.
      await this.signal.request('resumeConsumer', { consumerId: consumed.remote.consumerId }).catch((err: unknown) => {
        if (session.isOpen && !(err instanceof VisitError && err.code === 'NOT_FOUND')) throw err;
      });
    }).catch((err: unknown) => {
      if (session.isOpen && this.state !== 'closed') this.emit('error', toVisitError(err));
    });
  }

  private endTrack(producerId: string): void {
    const ended = this.session.end(producerId);
    this.remoteKinds.delete(producerId);
    if (ended) this.emit('trackEnded', ended.remote);
  }

  private onProducerPaused(producerId: string, participantId: string, paused: boolean): void {
    const consumed = this.session.consumers.get(producerId);
    if (consumed) consumed.remote.paused = paused;
    this.emit(paused ? 'producerPaused' : 'producerResumed', { participantId, producerId, kind: this.remoteKinds.get(producerId) });
  }

  private async withVideoProducer(producerId: string, act: (p: Awaited<ReturnType<MediaSession['produce']>>) => unknown): Promise<void> {
    const producer = await this.session.producers.get('video')?.catch(() => undefined);
    if (producer && !producer.closed && producer.id === producerId) await act(producer);
  }

  private async reportSenderStats(): Promise<void> {
    if (this.state !== 'connected' || !this.signal.connected) return;
    const producer = await this.session.producers.get('video')?.catch(() => undefined);
    if (!producer || producer.closed || producer.paused) return;
    const stats = await senderStats(producer).catch(() => undefined);
    if (stats) await this.signal.request('reportSenderStats', stats).catch(() => undefined);
  }

  // ---- resume, interruption and rejoin ----

  private setState(state: ConnectionState, reason: string): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('connectionStateChanged', { state, reason });
  }

  /** The signaling connection dropped: media goes on; take the participant back when socket.io reconnects, within the grace. */
  private startResuming(): void {
    if (this.state !== 'connected') return;
    this.setState('resuming', 'disconnected');
    // Leave a margin for the resume request itself; past the grace the server has ended the participant.
    this.resumeTimer = setTimeout(() => {
      if (this.interrupt('disconnected') && this.signal.connected) void this.rejoin();
    }, Math.max(1000, this.resumeGrant.graceMs - 1000));
    // Through the router: a node that stays unreachable is reported, and the visit goes on elsewhere.
    if (this.o.routerUrl) this.failoverTimer = setTimeout(() => void this.failover(), FAILOVER_AFTER_MS);
  }

  /**
   * The node did not take us back within FAILOVER_AFTER_MS: ask the router
   * again, naming the node. When the router (which checks it) sends us
   * elsewhere, join there with new media; while it says the node is fine, keep
   * resuming. Retries with jittered back-off until the rejoin timeout.
   */
  private readonly failover = singleFlight(() => this.failoverLoop());

  private async failoverLoop(): Promise<void> {
    for (let attempt = 0; this.state === 'resuming' || (this.state === 'rejoining' && !this.signal.connected); attempt++) {
      try {
        const route = await findRoute(this.o.routerUrl!, this.o.token, this.o.connectTimeoutMs, this.nodeId);
        if (route.nodeId === this.nodeId) {
          if (this.state === 'resuming') return; // the node answers: socket.io will get through
        } else {
          if (this.state === 'resuming') this.interrupt('node-failed');
          await this.moveTo(route);
          return;
        }
      } catch {
        // The router or the new node did not answer: try again a little later.
      }
      await backOff(attempt);
    }
  }

  /** A draining node asks us to move: join the node the router names, and leave this one once media flows there. */
  private async migrate(): Promise<void> {
    if (!this.o.routerUrl || this.state !== 'connected') return;
    this.setState('migrating', 'drain');
    for (let attempt = 0; attempt < MIGRATE_ATTEMPTS && this.connectionState === 'migrating'; attempt++) {
      try {
        const route = await findRoute(this.o.routerUrl, this.o.token, this.o.connectTimeoutMs);
        if (route.nodeId !== this.nodeId) {
          await this.moveTo(route);
          return;
        }
      } catch {
        // Try again: the router may not have seen the drain yet.
      }
      await backOff(attempt);
    }
    if (this.connectionState === 'migrating') this.setState('connected', 'migration-failed');
  }

  /**
   * Joins the visit on another node. Make before break: while migrating, the
   * old node's media goes on until the new session receives a remote track
   * (or MAKE_BEFORE_BREAK_MS passes), then the old session and connection close.
   */
  private async moveTo(route: Route): Promise<void> {
    const signal = await Signal.connect({ ...this.o, url: route.signalingUrl });
    let reply: JoinReply;
    let session: MediaSession;
    try {
      reply = await signal.request('join', {});
      session = await MediaSession.create(signal, reply, this.o, route.iceServers);
    } catch (err) {
      signal.close();
      throw err;
    }
    if (this.state === 'closed') {
      session.close();
      signal.close();
      return;
    }
    const old = { signal: this.signal, session: this.session, migrating: this.state === 'migrating' };
    const firstTrack = old.migrating ? this.nextTrack(MAKE_BEFORE_BREAK_MS) : undefined;
    this.signal = signal;
    this.nodeId = route.nodeId;
    this.self = reply.self;
    this.admission = reply.admission;
    this.resumeGrant = reply.resume;
    this.inbox = [];
    this.adopt(session);
    this.listen(signal);
    clearTimeout(this.rejoinTimer);
    this.setState('connected', old.migrating ? 'migrated' : 'failed-over');
    if (!old.migrating) this.emit('rejoined', { admission: reply.admission });
    this.start(reply);
    if (!old.migrating) {
      old.signal.close();
      return;
    }
    await firstTrack;
    for (const c of old.session.close()) this.emit('trackEnded', c.remote);
    await old.signal.request('leave', {}).catch(() => undefined);
    old.signal.close();
  }

  /** Resolves at the next `track` event, or after `timeoutMs`. */
  private nextTrack(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.off('track', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.on('track', done);
    });
  }

  private async resume(): Promise<void> {
    let reply: ClientReplies['resume'];
    try {
      reply = await this.signal.request('resume', { credential: this.resumeGrant.credential });
    } catch {
      // Past the grace, or the participant ended meanwhile: join again with new media.
      if (this.interrupt('disconnected')) void this.rejoin();
      return;
    }
    if (this.state !== 'resuming') return;
    clearTimeout(this.resumeTimer);
    clearTimeout(this.failoverTimer);
    this.resumeGrant = reply.resume;
    this.self = reply.self;
    this.setState('connected', 'resumed');
    this.replay(reply.missed);
  }

  /** Hands events the server kept while the connection was down to their listeners, in order. */
  private replay(missed: ServerEventRecord[]): void {
    for (const { event, data } of missed) for (const listener of this.signal.socket.listeners(event)) listener(data);
  }

  /** Media is gone: drop the session and wait (events queue) until rejoined. */
  private interrupt(reason: InterruptReason): boolean {
    if (this.state !== 'connected' && this.state !== 'resuming' && this.state !== 'migrating') return false;
    clearTimeout(this.resumeTimer);
    clearTimeout(this.failoverTimer);
    this.setState('rejoining', reason);
    this.inbox = [];
    this.emit('interrupted', { reason });
    this.endSession();
    this.rejoinTimer = setTimeout(() => {
      this.emit('error', new VisitError('TIMEOUT', `could not rejoin the visit within ${this.o.rejoinTimeoutMs} ms`));
      this.close('failed');
    }, this.o.rejoinTimeoutMs);
    return true;
  }

  private async rejoin(): Promise<void> {
    if (this.rejoinRunning) return;
    this.rejoinRunning = true;
    try {
      for (let attempt = 0; this.state === 'rejoining' && this.signal.connected; attempt++) {
        try {
          const reply = await this.signal.request('join', {});
          const session = await MediaSession.create(this.signal, reply, this.o);
          if (this.state !== 'rejoining') { session.close(); return; }
          this.adopt(session);
          this.self = reply.self;
          this.admission = reply.admission;
          this.resumeGrant = reply.resume;
          this.setState('connected', 'rejoined');
          clearTimeout(this.rejoinTimer);
          this.emit('rejoined', { admission: reply.admission });
          this.start(reply);
          return;
        } catch (err) {
          // A worker may still be coming back; try again a little later (the rejoin timer bounds it).
          await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** attempt, 4000)));
        }
      }
    } finally {
      this.rejoinRunning = false;
    }
  }


  private adopt(session: MediaSession): void {
    this.session = session;
    // ICE restarts did not bring the transport back: new media from scratch.
    session.onTransportFailed = (direction) => {
      if (this.session !== session) return;
      this.emit('error', new VisitError('TRANSPORT_FAILED', `the ${direction} media transport failed (ICE or DTLS) and an ICE restart did not recover it; joining again`));
      if (this.interrupt('transport-failed') && this.signal.connected) void this.rejoin();
    };
    // No path to the media server at all (a firewall): joining again would not help.
    session.onUnreachable = (error) => {
      if (this.session !== session || this.state === 'closed') return;
      this.emit('error', error);
      this.close('failed');
    };
  }

  private endSession(): void {
    for (const c of this.session.close()) this.emit('trackEnded', c.remote);
    this.remoteKinds.clear();
  }

  private close(reason: VisitEvents['closed']['reason']): void {
    if (this.state === 'closed') return;
    this.endSession();
    this.setState('closed', reason);
    clearTimeout(this.rejoinTimer);
    clearTimeout(this.resumeTimer);
    clearTimeout(this.failoverTimer);
    clearInterval(this.statsTimer);
    this.inbox = null;
    for (const track of this.ownTracks) track.stop();
    this.ownTracks.clear();
    this.signal.close();
    this.emit('closed', { reason });
  }
}
