import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, VisitwireError } from './errors.ts';
import { sendError } from './http-json.ts';

/** URL path -> the file served there and its content type. */
export type StaticFiles = Record<string, { file: string; type: string }>;

/**
 * A handler that answers GET for `files` and returns false for anything
 * else, so the next handler may answer. A listed file that is missing on
 * disk is a 404 saying `missing`.
 */
export function staticFilesHandler(files: StaticFiles, o: { headers: (req: IncomingMessage) => Record<string, string>; missing: string }) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const entry = req.method === 'GET' ? files[(req.url ?? '/').split('?')[0]!] : undefined;
    if (!entry) return false;
    fs.readFile(entry.file, (err, data) => {
      if (err) sendError(res, new VisitwireError(ErrorCode.NOT_FOUND, o.missing));
      else res.writeHead(200, { 'content-type': entry.type, ...o.headers(req) }).end(data);
    });
    return true;
  };
}
