import { parseNodeInfo } from './schema.ts';
import { DEFAULT_HEARTBEAT_EXPIRY_MS, type NodeInfo, type NodeRecord, type Registry } from './types.ts';

interface Claim { nodeId: string; expiresAt: number }

/** A registry inside one process, for `npm start` and tests. */
export class MemoryRegistry implements Registry {
  readonly heartbeatExpiryMs: number;
  private readonly nodes = new Map<string, NodeRecord>();
  private readonly claims = new Map<string, Claim>();
  /** Admission expiry (ms epoch) by visit and user. */
  private readonly admissions = new Map<string, number>();
  /** Nodes holding part of each visit: node id -> internal URL and expiry (ms epoch). */
  private readonly visitParts = new Map<string, Map<string, { url: string; expiresAt: number }>>();
  private claimsSinceSweep = 0;

  constructor(options: { heartbeatExpiryMs?: number } = {}) {
    this.heartbeatExpiryMs = options.heartbeatExpiryMs ?? DEFAULT_HEARTBEAT_EXPIRY_MS;
  }

  async heartbeat(node: NodeInfo): Promise<void> {
    const info = parseNodeInfo(node);
    this.nodes.set(info.nodeId, { ...info, heartbeatAt: Date.now() });
  }

  async removeNode(nodeId: string): Promise<void> {
    this.nodes.delete(nodeId);
  }

  async listNodes(): Promise<NodeRecord[]> {
    const live: NodeRecord[] = [];
    for (const [nodeId, node] of this.nodes) {
      if (this.isLive(node)) live.push({ ...node, capacity: { ...node.capacity }, load: { ...node.load } });
      else this.nodes.delete(nodeId);
    }
    return live;
  }

  async getVisitHome(visitId: string): Promise<string | null> {
    return this.currentClaim(visitId)?.nodeId ?? null;
  }

  async claimVisitHome(visitId: string, nodeId: string, ttlMs: number): Promise<string> {
    if (++this.claimsSinceSweep >= 1024) this.sweepClaims();
    const claim = this.currentClaim(visitId);
    if (claim && claim.nodeId !== nodeId && this.isLiveId(claim.nodeId)) return claim.nodeId;
    this.claims.set(visitId, { nodeId, expiresAt: Date.now() + ttlMs });
    return nodeId;
  }

  async releaseVisit(visitId: string, nodeId: string): Promise<boolean> {
    if (this.currentClaim(visitId)?.nodeId !== nodeId) return false;
    this.claims.delete(visitId);
    return true;
  }

  async rememberAdmission(visitId: string, userId: string, ttlMs: number): Promise<void> {
    const now = Date.now();
    for (const [key, until] of this.admissions) if (until <= now) this.admissions.delete(key);
    this.admissions.set(admissionKey(visitId, userId), now + ttlMs);
  }

  async wasAdmitted(visitId: string, userId: string): Promise<boolean> {
    return (this.admissions.get(admissionKey(visitId, userId)) ?? 0) > Date.now();
  }

  async addVisitNode(visitId: string, nodeId: string, internalUrl: string, ttlMs: number): Promise<void> {
    const parts = this.visitParts.get(visitId) ?? new Map<string, { url: string; expiresAt: number }>();
    parts.set(nodeId, { url: internalUrl, expiresAt: Date.now() + ttlMs });
    this.visitParts.set(visitId, parts);
  }

  async removeVisitNode(visitId: string, nodeId: string): Promise<void> {
    const parts = this.visitParts.get(visitId);
    parts?.delete(nodeId);
    if (parts?.size === 0) this.visitParts.delete(visitId);
  }

  async visitNodes(visitId: string): Promise<Map<string, string>> {
    const live = new Map<string, string>();
    const now = Date.now();
    for (const [nodeId, part] of this.visitParts.get(visitId) ?? []) {
      if (part.expiresAt > now && this.isLiveId(nodeId)) live.set(nodeId, part.url);
    }
    return live;
  }

  async close(): Promise<void> {
    this.visitParts.clear();
    this.nodes.clear();
    this.claims.clear();
    this.admissions.clear();
  }

  private sweepClaims(): void {
    this.claimsSinceSweep = 0;
    const now = Date.now();
    for (const [visitId, claim] of this.claims) if (claim.expiresAt <= now) this.claims.delete(visitId);
  }

  private currentClaim(visitId: string): Claim | undefined {
    const claim = this.claims.get(visitId);
    if (claim && claim.expiresAt <= Date.now()) {
      this.claims.delete(visitId);
      return undefined;
    }
    return claim;
  }

  private isLive(node: NodeRecord): boolean {
    return Date.now() - node.heartbeatAt < this.heartbeatExpiryMs;
  }

  private isLiveId(nodeId: string): boolean {
    const node = this.nodes.get(nodeId);
    return node !== undefined && this.isLive(node);
  }
}

const admissionKey = (visitId: string, userId: string) => JSON.stringify([visitId, userId]);
