/** Error codes a client can see, in acks (`{ error: { code, message } }`) and connect refusals. */
export const ErrorCode = {
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_JOINED: 'NOT_JOINED',
  ALREADY_JOINED: 'ALREADY_JOINED',
  /** A resume credential that is unknown, used already, past its grace, or another participant's. */
  RESUME_FAILED: 'RESUME_FAILED',
  NOT_ADMITTED: 'NOT_ADMITTED',
  NOT_FOUND: 'NOT_FOUND',
  CANNOT_CONSUME: 'CANNOT_CONSUME',
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  UNAVAILABLE: 'UNAVAILABLE',
  TIMEOUT: 'TIMEOUT',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class VisitwireError extends Error {
  constructor(public readonly code: ErrorCode, message: string) {
    super(message);
    this.name = 'VisitwireError';
  }
}

export interface ErrorBody { code: ErrorCode; message: string }

export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof VisitwireError) return { code: err.code, message: err.message };
  if (err instanceof Error && err.name === 'TimeoutError') return { code: ErrorCode.TIMEOUT, message: err.message };
  return { code: ErrorCode.INTERNAL, message: 'internal error' };
}

/**
 * Rejects with a TIMEOUT error when `promise` has not settled within `ms`.
 * `onLate` receives a value that arrives after the timeout, so that whatever
 * it holds (a mediasoup transport, producer, consumer) can be closed at once.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string, onLate?: (value: T) => void): Promise<T> {
  let timer: NodeJS.Timeout;
  let timedOut = false;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      if (onLate) promise.then(onLate, () => undefined);
      reject(new VisitwireError(ErrorCode.TIMEOUT, `${what} timed out after ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => { if (!timedOut) clearTimeout(timer); });
}
