import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../common/logger.ts';
import type { AllowedOrigins } from '../common/origins.ts';
import type { RateLimits } from '../common/rate-limits.ts';
import type { Registry } from '../common/registry/types.ts';
import type { VerificationKeys } from '../common/tokens.ts';
import type { TurnSettings } from '../common/turn-credentials.ts';
import type { GeoLocator } from '../edge-router/geo.ts';
import type { Region } from '../edge-router/regions.ts';
import { createEdgeRouter } from '../edge-router/server.ts';

/** The one region of `npm start`. */
export const LOCAL_REGION: Region = { id: 'local', lat: 0, lon: 0, tags: [] };

/** With one region a client's location changes nothing, so no GeoIP data is loaded. */
const NO_GEO: GeoLocator = { source: 'none', lookup: () => null };

/**
 * The edge router of `npm start`, on the stack's own port: it answers the
 * `/v1/` paths (`/v1/route`, `/v1/regions`) and leaves every other path to the stack.
 */
export function localEdgeRouter(o: { registry: Registry; keys: VerificationKeys; allowedOrigins: AllowedOrigins; limits: RateLimits; logger: Logger; turn?: TurnSettings }) {
  const router = createEdgeRouter({
    registry: o.registry, regions: [LOCAL_REGION], keys: o.keys, allowedOrigins: o.allowedOrigins, limits: o.limits, geo: NO_GEO, trustProxy: [], defaultRegion: LOCAL_REGION.id, logger: o.logger, turn: o.turn,
  });
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (!(req.url ?? '/').startsWith('/v1/')) return false;
    router(req, res);
    return true;
  };
}
