import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, VisitwireError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import { verifyToken, type VerificationKeys } from '../common/tokens.ts';
import { bearerToken, sendError, sendJson } from '../common/http-json.ts';
import type { MediaCensus } from '../sfu/media-census.ts';
import type { NodePresence } from '../sfu/node-presence.ts';

const ENDPOINTS: Record<string, string> = { '/v1/admin/drain': 'POST', '/v1/admin/status': 'GET' };

/**
 * `POST /v1/admin/drain` and `GET /v1/admin/status` (the node, its load, and
 * its media census: what participants own against what the workers hold), for an administrator's
 * visit token (`Authorization: Bearer`). Answers true when it took the request.
 */
export function nodeAdminHandler(o: { keys: VerificationKeys; presence: NodePresence; logger: Logger; census: () => Promise<MediaCensus> }) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? '/').split('?')[0]!;
    const method = ENDPOINTS[path];
    if (!method) return false;
    if (req.method !== method) {
      sendError(res, new VisitwireError(ErrorCode.BAD_REQUEST, `${req.method} is not allowed; use ${method}`), 405);
      return true;
    }
    try {
      const claims = await verifyToken(o.keys, bearerToken(req));
      if (claims.role !== 'administrator') throw new VisitwireError(ErrorCode.FORBIDDEN, 'node administration is for administrators');
      if (path === '/v1/admin/drain') {
        o.logger.warn({ userId: claims.sub, node: o.presence.nodeId }, 'drain requested');
        o.presence.drain();
        sendJson(res, 202, o.presence.status());
      } else {
        sendJson(res, 200, { ...o.presence.status(), media: await o.census() });
      }
    } catch (err) {
      sendError(res, err);
    }
    return true;
  };
}
