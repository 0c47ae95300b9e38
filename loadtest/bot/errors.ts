/**
 * Why a bot could not join or had to stop. `code` is the server's error code
 * (UNAUTHORIZED, TOKEN_EXPIRED, FORBIDDEN, LIMIT_EXCEEDED, ...) when the
 * server refused, else one of the bot's own: CONNECT_FAILED, TIMEOUT,
 * DENIED (a provider denied admission), MEDIA_FAILED (ICE or DTLS failed),
 * ROUTE_FAILED (the edge router gave no node), ABORTED (told to stop while joining).
 */
export class BotError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'BotError';
  }
}

export function botErrorOf(err: unknown): BotError {
  if (err instanceof BotError) return err;
  return new BotError('INTERNAL', err instanceof Error ? err.message : String(err));
}
