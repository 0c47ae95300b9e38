import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { mintToken } from '../common/tokens.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const FILES: Record<string, [string, string]> = {
  '/': [path.join(here, 'index.html'), 'text/html; charset=utf-8'],
  '/visit': [path.join(here, 'visit.html'), 'text/html; charset=utf-8'],
  '/demo.css': [path.join(here, 'demo.css'), 'text/css'],
  '/visit.js': [path.join(here, 'visit.js'), 'text/javascript'],
};

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
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      return true;
    }
    const file = req.method === 'GET' ? FILES[url.pathname] : undefined;
    if (!file) return false;
    fs.readFile(file[0], (err, data) => {
      if (err) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      else res.writeHead(200, { 'content-type': file[1], 'cache-control': 'no-store' }).end(data);
    });
    return true;
  };
}
