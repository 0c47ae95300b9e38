import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { corsHeaders, type AllowedOrigins } from '../common/origins.ts';
import { staticFilesHandler } from '../common/static-files.ts';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');

/**
 * The browser SDK bundle (built by scripts/prepare.mjs), on every node with
 * or without the demo: clinics' pages on other origins import it, so it
 * carries CORS headers for VISITWIRE_ALLOWED_ORIGINS.
 */
export function sdkBundleHandler(allowedOrigins: AllowedOrigins) {
  return staticFilesHandler({
    '/sdk/visitwire-sdk.js': { file: path.join(dist, 'visitwire-sdk.js'), type: 'text/javascript' },
    '/sdk/visitwire-sdk.js.map': { file: path.join(dist, 'visitwire-sdk.js.map'), type: 'application/json' },
  }, {
    headers: (req) => ({ 'cache-control': 'no-cache', ...corsHeaders(allowedOrigins, req.headers.origin) }),
    missing: 'the SDK bundle is not built: run node scripts/prepare.mjs',
  });
}
