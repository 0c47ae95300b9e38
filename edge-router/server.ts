import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { ErrorCode, VisitwireError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import type { Registry } from '../common/registry/types.ts';
import { IdSchema } from '../common/ids.ts';
import { MEDIA_ROLES } from '../common/roles.ts';
import { verifyToken, type VerificationKeys } from '../common/tokens.ts';
import { iceServersFor, type IceServer, type TurnSettings } from '../common/turn-credentials.ts';
import { clientAddress, parseTrustedProxies } from './client-address.ts';
import type { GeoLocator } from './geo.ts';
import { cachedNodeList } from './node-list-cache.ts';
import { badRequest, bearerToken, sendError, sendJson } from '../common/http-json.ts';
import { corsHeaders, originAllowed, type AllowedOrigins } from '../common/origins.ts';
import type { RateLimits } from '../common/rate-limits.ts';
import { parseRegions, type Region } from './regions.ts';
import { checkReportedFailure } from './reported-failure.ts';
import { routeVisit, type RouteVisitDeps } from './route-visit.ts';
import { DEFAULT_STICKY_KM } from './selection/types.ts';
import { regionsReport } from './regions-report.ts';
import { observeRoute, regionMetrics, timedRegistry, type RouteOutcome } from './router-metrics.ts';

/** The browser SDK calls the router cross-origin with a bearer token (the allowed origin per request: common/origins.ts). */
const CORS_HEADERS = {
  'Access-Control-Allow-Methods': 'GET, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type',
  'Access-Control-Max-Age': '600',
} as const;

export type { IceServer } from '../common/turn-credentials.ts';

export interface EdgeRouterOptions {
  registry: Registry;
  regions: Region[];
  /** What visit tokens are verified with: the development secret or a key set. */
  keys: VerificationKeys;
  geo: GeoLocator;
  /** CIDRs (or addresses) of proxies whose X-Forwarded-For is believed. */
  trustProxy: string[];
  /** Region used when the client's location is unknown. */
  defaultRegion: string;
  /** ICE servers every route answer carries as they are (e.g. STUN). */
  iceServers?: IceServer[];
  /** coturn (use-auth-secret): each route answer adds its URLs with credentials for the token's user, expiring with the token. */
  turn?: TurnSettings;
  /** Browser origins answered with CORS headers; a request from another is refused FORBIDDEN. Default '*'. */
  allowedOrigins?: AllowedOrigins;
  /** `/v1/route` requests per client address; over the limit: 429 with Retry-After. */
  limits?: RateLimits;
  /** The visit's home node is preferred within this distance of the client; default DEFAULT_STICKY_KM. */
  stickyKm?: number;
  /** Lifetime of a visit's home claim, refreshed on every route; default 4 h. */
  claimTtlMs?: number;
  /** Default: the registry's heartbeat expiry. */
  heartbeatMaxAgeMs?: number;
  /** How long one node listing serves route requests; default 100 ms. */
  nodeListCacheMs?: number;
  logger?: Logger;
}

/**
 * The edge router's HTTP API as a node:http request listener:
 * `GET /v1/route?visit=<id>[&failed=<nodeId>]` (visit token; `failed`: the node
 * that just failed this client, checked and routed around), `GET /v1/regions` (administrator
 * token), `GET /healthz`. Errors are `{ error: { code, message } }`.
 */
export function createEdgeRouter(options: EdgeRouterOptions): RequestListener {
  const regions = parseRegions(options.regions, 'passed to createEdgeRouter');
  if (!regions.some((r) => r.id === options.defaultRegion)) {
    throw new TypeError(`default region "${options.defaultRegion}" is not one of the regions (${regions.map((r) => r.id).join(', ')})`);
  }
  const trusted = parseTrustedProxies(options.trustProxy);
  const iceServers = options.iceServers ?? [];
  const allowedOrigins = options.allowedOrigins ?? '*';
  const registry = timedRegistry(options.registry);
  const deps: RouteVisitDeps = {
    registry,
    listNodes: cachedNodeList(registry, options.nodeListCacheMs ?? 100),
    regions: new Map(regions.map((r) => [r.id, r])),
    claimTtlMs: options.claimTtlMs ?? 4 * 3600_000,
    policy: {
      heartbeatMaxAgeMs: options.heartbeatMaxAgeMs ?? options.registry.heartbeatExpiryMs,
      stickyKm: options.stickyKm ?? DEFAULT_STICKY_KM,
      defaultRegion: options.defaultRegion,
    },
  };

  regionMetrics(registry, regions, deps.policy.heartbeatMaxAgeMs);

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<RouteOutcome> {
    const visits = url.searchParams.getAll('visit');
    const visit = IdSchema.safeParse(visits[0]);
    const address = clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trusted);
    await options.limits?.take('route', address ?? 'unknown');
    if (visits.length !== 1 || !visit.success) throw badRequest('query parameter "visit" must be one visit id (1-128 of A-Z a-z 0-9 _ . : @ -)');
    const claims = await verifyToken(options.keys, bearerToken(req));
    if (claims.visit !== visit.data) throw new VisitwireError(ErrorCode.UNAUTHORIZED, 'visit token is for another visit');
    if (!MEDIA_ROLES.has(claims.role)) throw new VisitwireError(ErrorCode.FORBIDDEN, `role ${claims.role} does not join media`);

    const failed = url.searchParams.get('failed');
    if (failed !== null && !IdSchema.safeParse(failed).success) throw badRequest('query parameter "failed" must be a node id');
    const gone = failed !== null && await checkReportedFailure(options.registry, failed);
    if (gone) options.logger?.info({ visit: visit.data, node: failed }, 'a client reported a node failed and it does not answer: routing around it');

    const location = address ? options.geo.lookup(address) : null;
    const selection = await routeVisit(deps, { visitId: visit.data, residency: claims.residency, client: location, exclude: gone ? failed : undefined });
    options.logger?.debug({ visit: visit.data, user: claims.sub, country: location?.country, selection: selection.ok ? selection.node.nodeId : null, reason: selection.reason }, 'route');
    if (!selection.ok) throw new VisitwireError(ErrorCode.UNAVAILABLE, selection.reason);
    const { node, region, reason } = selection;
    sendJson(res, 200, { nodeId: node.nodeId, region: region.id, signalingUrl: node.signalingUrl, iceServers: iceServersFor(options.turn, claims, iceServers), reason });
    return { reason, region: region.id };
  }

  async function listRegions(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const claims = await verifyToken(options.keys, bearerToken(req));
    if (claims.role !== 'administrator') throw new VisitwireError(ErrorCode.FORBIDDEN, 'regions are for administrators');
    const nodes = await registry.listNodes();
    sendJson(res, 200, regionsReport(regions, nodes, Date.now(), deps.policy.heartbeatMaxAgeMs));
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<RouteOutcome | void> {
    for (const [name, value] of Object.entries({ ...CORS_HEADERS, ...corsHeaders(allowedOrigins, req.headers.origin) })) res.setHeader(name, value);
    if (!originAllowed(allowedOrigins, req.headers.origin)) throw new VisitwireError(ErrorCode.FORBIDDEN, 'this origin may not use the router (VISITWIRE_ALLOWED_ORIGINS)');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    const endpoint = ({
      '/v1/route': route,
      '/v1/regions': listRegions,
      '/healthz': async (_req: IncomingMessage, r: ServerResponse) => sendJson(r, 200, { ok: true }),
    } as const)[url.pathname];
    if (!endpoint) throw new VisitwireError(ErrorCode.NOT_FOUND, `no endpoint ${url.pathname}`);
    if (req.method !== 'GET') return sendError(res, badRequest(`${req.method} is not allowed; use GET`), 405);
    return endpoint(req, res, url);
  }

  return (req, res) => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://edge-router');
    handle(req, res, url).then((outcome) => {
      if (outcome) observeRoute(url.pathname, started, outcome);
      else if (req.method !== 'OPTIONS') observeRoute(url.pathname, started, { error: undefined });
    }, (err: unknown) => {
      observeRoute(url.pathname, started, { error: err });
      if (!(err instanceof VisitwireError)) options.logger?.warn({ err }, 'edge router request failed');
      if (!res.headersSent) sendError(res, err);
      else res.destroy();
    });
  };
}
