import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { sendJson } from '../common/http-json.ts';
import { staticFilesHandler } from '../common/static-files.ts';
import { mintToken } from '../common/tokens.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const pages = staticFilesHandler({
  '/': { file: path.join(here, 'index.html'), type: 'text/html; charset=utf-8' },
  '/visit': { file: path.join(here, 'visit.html'), type: 'text/html; charset=utf-8' },
  '/demo.css': { file: path.join(here, 'demo.css'), type: 'text/css' },
  '/visit.js': { file: path.join(here, 'visit.js'), type: 'text/javascript' },
}, { headers: () => ({ 'cache-control': 'no-store' }), missing: 'that demo file is missing from this install' });

/**
 * The demo: pages for a provider and a patient, and `POST /api/demo/visits`,
 * which makes a visit and dev tokens for both. Serve it only where anyone who
 * reaches the server may mint tokens (a developer's machine).
 */
export function demoHandler(secret: string) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST' && url.pathname === '/api/demo/visits') {
      const visitId = `visit-${randomUUID().slice(0, 8)}`;
      const link = async (role: 'provider' | 'patient', user: string) =>
        `/visit?token=${await mintToken(secret, { visit: visitId, user, role, ttlSeconds: 4 * 3600 })}`;
      const body = { visitId, providerUrl: await link('provider', 'dr-1'), patientUrl: await link('patient', 'pt-1') };
      sendJson(res, 201, body);
      return true;
    }
    return pages(req, res);
  };
}
