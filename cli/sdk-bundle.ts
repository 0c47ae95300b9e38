import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { corsHeaders, type AllowedOrigins } from '../common/origins.ts';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const FILES: Record<string, [string, string]> = {
  '/sdk/visitwire-sdk.js': [path.join(dist, 'visitwire-sdk.js'), 'text/javascript'],
  '/sdk/visitwire-sdk.js.map': [path.join(dist, 'visitwire-sdk.js.map'), 'application/json'],
};

/**
 * The browser SDK bundle (built by scripts/prepare.mjs), on every node with
 * or without the demo: clinics' pages on other origins import it, so it
 * carries CORS headers for VISITWIRE_ALLOWED_ORIGINS.
 */
export function sdkBundleHandler(allowedOrigins: AllowedOrigins) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const file = req.method === 'GET' ? FILES[(req.url ?? '/').split('?')[0]!] : undefined;
    if (!file) return false;
    const cors = corsHeaders(allowedOrigins, req.headers.origin);
    fs.readFile(file[0], (err, data) => {
      if (err) res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'the SDK bundle is not built: run node scripts/prepare.mjs' } }));
      else res.writeHead(200, { 'content-type': file[1], 'cache-control': 'no-cache', ...cors }).end(data);
    });
    return true;
  };
}
