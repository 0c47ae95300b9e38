import type { ErrorCode } from '../../common/errors.ts';

/**
 * Codes a `VisitError` carries: the server's codes (from an ack's
 * `{ error: { code } }` or a refused connection) and the SDK's own.
 */
export type VisitErrorCode =
  | ErrorCode
  /** The visit was left, denied or closed; nothing more can be sent. */
  | 'CLOSED'
  /** A WebRTC transport to the media server failed. */
  | 'TRANSPORT_FAILED'
  /**
   * No media path: a media transport did not connect within the connect
   * timeout (UDP and TCP to the media server blocked, and no reachable TURN
   * server). The visit closes (`closed`, reason `failed`).
   */
  | 'MEDIA_UNREACHABLE'
  /** The camera or microphone could not be opened. */
  | 'MEDIA'
  /** The page cannot do a visit (no RTCPeerConnection, no getUserMedia, not a secure context): `joinVisit` says why, before contacting any server. */
  | 'UNSUPPORTED_BROWSER';

/** Every error the SDK reports: a rejected request, a refused connection, a failed transport. */
export class VisitError extends Error {
  constructor(
    readonly code: VisitErrorCode,
    message: string,
    /** The message (request) that failed, when one did. */
    readonly request?: string,
  ) {
    super(message);
    this.name = 'VisitError';
  }
}

/** Wraps anything thrown into a VisitError, keeping VisitErrors as they are. */
export function toVisitError(err: unknown, code: VisitErrorCode = 'INTERNAL'): VisitError {
  if (err instanceof VisitError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new VisitError(code, message);
}
