import type { NodeRecord } from '../../common/registry/types.ts';
import type { Region } from '../regions.ts';

/**
 * Default of `stickyKm`. Within 1,500 km (one metro area or one continental
 * region: Dublin-Frankfurt, Virginia-Chicago) the visit's node is at most
 * some 15-25 ms of round trip farther than the nearest one, which RTCP,
 * retransmissions and bandwidth estimation take well, and one node costs no
 * pipe hop and no second copy of every stream. Beyond it (Virginia-Oregon,
 * Boston-Tokyo) the participant's own node joins the visit and the pipe
 * carries the long leg once (README, "One visit across regions").
 */
export const DEFAULT_STICKY_KM = 1500;

export interface GeoPoint { lat: number; lon: number }

export interface SelectionPolicy {
  /** A node heard from longer ago than this is unhealthy. */
  heartbeatMaxAgeMs: number;
  /** The visit's home node is preferred while its region is within this distance of the client. */
  stickyKm: number;
  /** Stands in for the client's location when it is unknown. */
  defaultRegion: string;
}

/** Everything a selection step may look at; plain data. */
export interface SelectionContext {
  now: number;
  regions: ReadonlyMap<string, Region>;
  /** null when the client's location is unknown. */
  client: GeoPoint | null;
  /** The token's residency (e.g. `eu`), if any. */
  residency?: string;
  /** The node holding the visit's claim, if any (it may be dead). */
  visitHome: string | null;
  policy: SelectionPolicy;
}

export type SelectionFailureReason =
  | 'no-healthy-node'
  | 'all-draining'
  | 'all-at-capacity'
  | 'no-node-in-known-region'
  | 'residency-excluded-all';

/** One filtering step: keeps the nodes it allows; an empty result fails selection with `failure`. */
export interface NodeFilter {
  readonly failure: SelectionFailureReason;
  apply(nodes: readonly NodeRecord[], ctx: SelectionContext): NodeRecord[];
}

export type Selection =
  | { ok: true; node: NodeRecord; region: Region; reason: string }
  | { ok: false; reason: SelectionFailureReason };
