import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, toErrorBody, VisitwireError } from '../common/errors.ts';
import { LimitExceededError } from '../common/rate-limits.ts';

/** The browser SDK calls the router cross-origin with a bearer token (Access-Control-Allow-Origin: per request, corsHeaders). */
export const CORS_HEADERS = {
  'Access-Control-Allow-Methods': 'GET, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type',
  'Access-Control-Max-Age': '600',
} as const;

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

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    ...CORS_HEADERS,
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
  const code = status ?? STATUS_BY_CODE[body.code] ?? 500;
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
