import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, toErrorBody, VisitwireError } from './errors.ts';
import { LimitExceededError } from './rate-limits.ts';

/** JSON over plain node:http, for the router, a node's admin endpoints and the node-to-node API. */

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  TOKEN_EXPIRED: 401,
  FORBIDDEN: 403,
  LIMIT_EXCEEDED: 429,
  NOT_FOUND: 404,
  UNAVAILABLE: 503,
  TIMEOUT: 503,
};

/** A request body over the reader's limit: 413, not a rate limit's 429. */
export class BodyTooLargeError extends VisitwireError {
  constructor(maxBytes: number) {
    super(ErrorCode.LIMIT_EXCEEDED, `body over ${maxBytes} bytes`);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(json),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(json);
}

/** Answers `{ error: { code, message } }` with the status the code stands for. */
export function sendError(res: ServerResponse, err: unknown, status?: number): void {
  const body = toErrorBody(err);
  const code = status ?? (err instanceof BodyTooLargeError ? 413 : STATUS_BY_CODE[body.code]) ?? 500;
  const headers: Record<string, string> = code === 401 ? { 'WWW-Authenticate': 'Bearer' } : {};
  if (err instanceof LimitExceededError) headers['Retry-After'] = String(Math.max(1, Math.ceil(err.retryAfterMs / 1000)));
  sendJson(res, code, { error: body }, headers);
}

/** The token of `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

export const badRequest = (message: string) => new VisitwireError(ErrorCode.BAD_REQUEST, message);

/** The whole body as text; over `maxBytes` the request is cut off with BodyTooLargeError. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new BodyTooLargeError(maxBytes));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** JSON.parse, with BAD_REQUEST for text that is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('body is not JSON');
  }
}
