/** Load a node reports with every heartbeat. */
export interface NodeLoad {
  visits: number;
  participants: number;
  consumers: number;
  /** Share of the node's worker cores in use, 0..1. */
  cpu: number;
  /** This node's visits by how many nodes each spans ("1": on this node alone, "2": this and one other...). */
  visitsByNodes?: Record<string, number>;
}

export interface NodeCapacity {
  maxVisits: number;
}

/** What a node announces about itself on every heartbeat. */
export interface NodeInfo {
  nodeId: string;
  region: string;
  signalingUrl: string;
  capacity: NodeCapacity;
  load: NodeLoad;
  draining: boolean;
}

export interface NodeRecord extends NodeInfo {
  /**
   * When the registry last heard from the node (ms epoch), in the reader's clock:
   * the registry stamps it, so clock skew between hosts does not matter.
   */
  heartbeatAt: number;
}

/**
 * Where nodes register and where each visit's home node is claimed.
 * Every method settles within the registry's timeout; none waits forever.
 */
export interface Registry {
  /** A node missing heartbeats for this long drops out of `listNodes()`. */
  readonly heartbeatExpiryMs: number;
  /** Registers the node or refreshes it; a `heartbeatAt` in the argument is ignored. */
  heartbeat(node: NodeInfo): Promise<void>;
  removeNode(nodeId: string): Promise<void>;
  /** Live nodes only: heard from within `heartbeatExpiryMs`. */
  listNodes(): Promise<NodeRecord[]>;
  /** The node holding the visit's claim, live or not; null when unclaimed. */
  getVisitHome(visitId: string): Promise<string | null>;
  /**
   * Atomically makes `nodeId` the visit's home unless another live node holds it.
   * Returns the home after the call. A claim whose node is no longer live is taken over.
   */
  claimVisitHome(visitId: string, nodeId: string, ttlMs: number): Promise<string>;
  /** Drops the claim if `nodeId` holds it; returns whether it did. */
  releaseVisit(visitId: string, nodeId: string): Promise<boolean>;
  /** Remembers for `ttlMs` that a provider or nurse admitted this user to this visit, on whatever node. */
  rememberAdmission(visitId: string, userId: string, ttlMs: number): Promise<void>;
  /** Whether this user was admitted to this visit within the remembered time. */
  wasAdmitted(visitId: string, userId: string): Promise<boolean>;
  /**
   * Records that `nodeId` holds part of the visit and takes pipe requests at
   * `internalUrl`; the record lapses after `ttlMs` unless added again (each node refreshes its visits).
   */
  addVisitNode(visitId: string, nodeId: string, internalUrl: string, ttlMs: number): Promise<void>;
  /** The node's part of the visit ended. */
  removeVisitNode(visitId: string, nodeId: string): Promise<void>;
  /** Live nodes holding part of the visit (a node past its heartbeat expiry is left out): node id -> internal URL. */
  visitNodes(visitId: string): Promise<Map<string, string>>;
  close(): Promise<void>;
}

export const DEFAULT_HEARTBEAT_EXPIRY_MS = 5000;
