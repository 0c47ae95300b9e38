import { ErrorCode, VisitwireError } from '../common/errors.ts';

export interface ShapeLimits {
  /** Bytes of the message as JSON (UTF-8). */
  maxBytes: number;
  /** Nesting of objects and arrays; a flat object is depth 1. */
  maxDepth: number;
}

/**
 * Checks a decoded client message's size and nesting without recursion (a
 * message nested thousands deep must not overflow the stack) and stops as
 * soon as a limit is passed. Throws LIMIT_EXCEEDED or BAD_REQUEST.
 */
export function checkMessageShape(message: unknown, limits: ShapeLimits): void {
  let bytes = 0;
  const pending: [value: unknown, depth: number][] = [[message, 0]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    bytes += scalarBytes(value);
    if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer)) {
      if (depth + 1 > limits.maxDepth) throw new VisitwireError(ErrorCode.BAD_REQUEST, `message is nested deeper than ${limits.maxDepth} levels`);
      const entries = Array.isArray(value) ? value.map((v): [string | undefined, unknown] => [undefined, v]) : Object.entries(value);
      bytes += 2 + Math.max(0, entries.length - 1);
      for (const [key, child] of entries) {
        if (key !== undefined) bytes += jsonBytes(key) + 1;
        pending.push([child, depth + 1]);
      }
    }
    if (bytes > limits.maxBytes) throw new VisitwireError(ErrorCode.LIMIT_EXCEEDED, `message is over ${limits.maxBytes} bytes`);
  }
}

function scalarBytes(value: unknown): number {
  if (value === null || value === undefined) return 4;
  if (typeof value === 'string') return jsonBytes(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value).length : 4;
  if (typeof value === 'boolean') return value ? 4 : 5;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value.byteLength;
  return 0;
}

const jsonBytes = (s: string) => Buffer.byteLength(JSON.stringify(s));
