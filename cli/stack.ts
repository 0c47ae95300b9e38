import type { IncomingMessage, ServerResponse } from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import { AuditLog } from '../common/audit.ts';
import type { Config } from '../common/config.ts';
import { ErrorCode, VisitwireError } from '../common/errors.ts';
import { sendError, sendJson } from '../common/http-json.ts';
import { createHttpServer } from '../common/http-server.ts';
import { logger } from '../common/logger.ts';
import { startMetricsServer } from '../common/metrics-server.ts';
import { createRateLimits } from '../common/rate-limits.ts';
import { MemoryRegistry, type Registry } from '../common/registry/index.ts';
import type { VerificationKeys } from '../common/tokens.ts';
import { iceServersFor } from '../common/turn-credentials.ts';
import { demoHandler } from '../demo/routes.ts';
import { RedisBus } from '../common/registry/bus.ts';
import { startInternalApi, type InternalApi } from '../sfu/cascade/internal-api.ts';
import { NodePresence } from '../sfu/node-presence.ts';
import { WorkerPool } from '../sfu/worker-pool.ts';
import { attachSignaling } from '../signaling/server.ts';
import { connectionsOpened } from '../signaling/signaling-metrics.ts';
import { VisitService } from '../signaling/visit-service.ts';
import { LOCAL_REGION, localEdgeRouter } from './local-router.ts';
import { nodeAdminHandler } from './node-admin.ts';
import { nodeMetrics } from './node-metrics.ts';
import { sdkBundleHandler } from './sdk-bundle.ts';

export interface Stack {
  url: string;
  /** Where Prometheus scrapes this process (`${metricsUrl}/metrics`): VISITWIRE_METRICS_ADDR. */
  metricsUrl: string;
  /** The node-to-node API (a cluster only). */
  internalUrl?: string;
  visits: VisitService;
  pool: WorkerPool;
  /** The node in the registry: status, draining. */
  node: NodePresence;
  close(): Promise<void>;
}

export interface StackOptions extends Config {
  /** What visit tokens are verified with (the demo, when on, mints with `secret`). */
  keys: VerificationKeys;
  nodeId?: string;
  /**
   * The cluster's registry. Without one the stack keeps an in-memory registry
   * holding just this node and answers the edge router's `/v1/` paths itself.
   */
  registry?: Registry;
  /** Default `local`. */
  region?: string;
  /** Signaling URL announced to routers; default the listen URL. */
  publicUrl?: string;
  /** Visits this node takes before routers pass it over; default 100. */
  maxVisits?: number;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const missing = (why: string): never => {
  throw new Error(why);
};

/** Signaling and SFU (and the demo, when asked) behind one HTTP server. */
export async function startStack(config: StackOptions): Promise<Stack> {
  const nodeId = config.nodeId ?? `${os.hostname()}-${process.pid}`;
  const pool = new WorkerPool(config.media);
  await pool.start();
  const audit = new AuditLog(logger, config.auditFile);
  const registry = config.registry ?? new MemoryRegistry();
  const node: NodePresence = new NodePresence({
    registry, nodeId, region: config.region ?? LOCAL_REGION.id, capacity: { maxVisits: config.maxVisits ?? 100 }, pool, logger,
    requestTimeoutMs: config.media.requestTimeoutMs,
    onDrain: () => { for (const visitId of visits.migrateAll()) node.releaseClaim(visitId); },
    onDrainTimeout: () => visits.close(),
    drainTimeoutMs: config.drainTimeoutMs,
  });
  // In a cluster a visit may span nodes: they pipe media to each other through the internal API and share signals on the bus.
  let internal: InternalApi | undefined;
  let bus: RedisBus | undefined;
  if (config.registry && config.redisUrl) {
    const secret = config.clusterSecret ?? missing('a node in a cluster signs pipe requests with VISITWIRE_CLUSTER_SECRET');
    internal = await startInternalApi({ addr: config.internalAddr, publicUrl: config.internalUrl, secret, host: { pipesOf: (id) => visits.mediaOf(id)?.pipes }, logger });
    bus = new RedisBus(config.redisUrl, config.redisPrefix);
  }
  const cascade = internal && bus && config.clusterSecret
    ? { nodeId, internalUrl: internal.url, secret: config.clusterSecret, registry, bus, timeoutMs: config.media.requestTimeoutMs, logger }
    : undefined;
  const visits: VisitService = new VisitService({
    pool, media: config.media, maxParticipantsPerVisit: config.maxParticipantsPerVisit, resumeGraceMs: config.resumeGraceMs, admissions: registry, policy: config.policy, audit, logger, nodeId,
    iceServers: (claims) => iceServersFor(config.turn, claims),
    isDraining: () => node.draining, onVisitEnded: (visitId) => node.visitEnded(visitId), cascade,
  });
  const metricGroup = nodeMetrics({ visits, pool, node, region: config.region ?? LOCAL_REGION.id });
  const metricsServer = await startMetricsServer(config.metricsAddr, (message) => logger.warn(message));

  // Counted in the cluster's Redis when there is a cluster, so that limits hold across nodes.
  const limits = createRateLimits({ settings: config.rateLimits, redisUrl: config.registry ? config.redisUrl : undefined, prefix: config.redisPrefix, logger });
  const handlers: Handler[] = [nodeAdminHandler({ keys: config.keys, presence: node, logger, census: () => visits.census() })];
  if (!config.registry) handlers.push(localEdgeRouter({ registry, keys: config.keys, allowedOrigins: config.allowedOrigins, limits, logger, turn: config.turn }));
  handlers.push(sdkBundleHandler(config.allowedOrigins));
  if (config.demo) handlers.push(demoHandler(config.secret ?? missing('the demo mints its tokens with VISITWIRE_SECRET')));
  const { server, scheme, stopWatching } = createHttpServer(config.tls, (req, res) => void route(req, res), (message) => logger.error(message));
  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/healthz') {
        const healthy = pool.size === config.media.workers;
        sendJson(res, healthy ? 200 : 503, {
          status: healthy ? 'ok' : 'degraded', node: nodeId, workers: pool.size, visits: visits.visitCount, participants: visits.participantCount,
        });
        return;
      }
      for (const handle of handlers) if (await handle(req, res)) return;
      sendError(res, new VisitwireError(ErrorCode.NOT_FOUND, 'no such path'));
    } catch (err) {
      logger.error({ err }, 'http request failed');
      if (!res.headersSent) sendError(res, err);
    }
  }

  const io = attachSignaling(server, { keys: config.keys, allowedOrigins: config.allowedOrigins, limits, visits, logger });
  metricGroup.gauge('visitwire_signaling_connections', 'Open signaling (socket.io) connections', () => io.engine.clientsCount);
  io.on('connection', () => connectionsOpened.inc());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `${scheme}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  await node.start(visits, config.publicUrl ?? url);
  logger.info({ url, metrics: `${metricsServer.url}/metrics`, node: nodeId, workers: pool.size }, 'visitwire listening');

  return {
    url, metricsUrl: metricsServer.url, internalUrl: internal?.url, visits, pool, node,
    async close() {
      await node.stop();
      visits.close();
      await internal?.close();
      await bus?.close();
      await new Promise<void>((resolve) => io.close(() => resolve()));
      server.closeAllConnections();
      stopWatching();
      await pool.close();
      audit.close();
      await metricsServer.close();
      metricGroup.remove();
      await limits.close();
      if (!config.registry) await registry.close();
    },
  };
}
