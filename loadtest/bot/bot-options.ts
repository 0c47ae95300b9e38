/** What connectBot takes and gives. */
import type { Role } from '../../common/roles.ts';
import type { MediaGaps } from './media-gaps.ts';
import type { BotMetrics } from './metrics.ts';

export interface BotOptions {
  /** The node's signaling URL, e.g. http://127.0.0.1:8080 (see loadtest/route.ts to ask the edge router). */
  url: string;
  /** A visit token (common/tokens.ts mintToken); its role decides the waiting room and admitting. */
  token: string;
  /** What to send; both by default. Video is VP8 in three simulcast layers (180p, 360p, 720p). */
  publish?: { audio?: boolean; video?: boolean };
  /** Consume every other participant's producers (default true). */
  subscribe?: boolean;
  /** A provider or nurse bot admits everyone in the waiting room (default true). */
  autoAdmit?: boolean;
  /** Join again after a lost connection, a failed transport or a visitInterrupted event (default true). */
  rejoin?: boolean;
  /**
   * Asks the edge router for a node again (loadtest/route.ts routeTo): given,
   * the bot goes elsewhere when its node fails (naming it) or drains.
   */
  route?: (failedNode?: string) => Promise<{ url: string; nodeId?: string }>;
  /** The node `url` belongs to, as the router named it. */
  nodeId?: string;
  /** Called every `metricsIntervalMs` (default 1000) and once more on leave. */
  onMetrics?: (m: BotMetrics) => void;
  metricsIntervalMs?: number;
  /** Bound on connect + join + admission + publishing (default 30 s). */
  joinTimeoutMs?: number;
  /** Bound on each signaling request and on ICE/DTLS setup (default 10 s). */
  requestTimeoutMs?: number;
  /** Size at which this bot "shows" each remote video, reported to the SFU's layer policy (default: none, any layer). */
  viewport?: { width: number; height: number };
  /** Local address for ICE (default: 127.0.0.1 when the SFU is on loopback, else all interfaces). */
  iceAddress?: string;
  /** Free text carried in metrics, e.g. "visit-3/patient". */
  label?: string;
  /** Aborting gives up joining (connectBot rejects with ABORTED); use leave() once joined. */
  signal?: AbortSignal;
}

export interface Bot {
  readonly participantId: string;
  readonly role: Role;
  /** Every silence of remote audio or video, for failover measurements. */
  readonly gaps: MediaGaps;
  /** Drops the signaling connection for `ms` (benchmarks: a signaling blip); media is untouched. */
  cutSignaling(ms: number): void;
  /** Counters as of now; bitrates, loss rates and RTT as of the latest metrics interval. */
  metrics(): BotMetrics;
  /** Shows every remote video at this size from now on (replaces `viewport`), reported to the SFU's layer policy. */
  setViewport(viewport: { width: number; height: number }): Promise<void>;
  /** Leaves the visit, closes media and the connection. Safe to call twice. */
  leave(): Promise<void>;
}
