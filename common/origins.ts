/**
 * Which browser origins may use signaling, the edge router and the SDK
 * bundle (VISITWIRE_ALLOWED_ORIGINS): '*' (any, the default) or a list.
 */
export type AllowedOrigins = '*' | ReadonlySet<string>;

/** Parses VISITWIRE_ALLOWED_ORIGINS: unset or `*` = any; else comma-separated origins like `https://clinic.example`. Throws on anything else. */
export function parseAllowedOrigins(raw: string | undefined): AllowedOrigins {
  if (raw === undefined || raw.trim() === '' || raw.trim() === '*') return '*';
  const origins = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch { /* reported below */ }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin || origin.includes('*')) {
      throw new Error(`"${origin}" is not an origin (scheme://host[:port], no path or trailing slash)`);
    }
  }
  return new Set(origins);
}

/**
 * Whether a request with this Origin header may proceed. A request without
 * one is not a browser's cross-origin request (a back end, a bot) and passes:
 * the origin check keeps other web pages out, tokens keep everyone else out.
 */
export function originAllowed(allowed: AllowedOrigins, origin: string | undefined): boolean {
  return allowed === '*' || origin === undefined || allowed.has(origin);
}

/** The CORS headers for an answer to a request from `origin` (none for a refused one). */
export function corsHeaders(allowed: AllowedOrigins, origin: string | undefined): Record<string, string> {
  if (allowed === '*') return { 'Access-Control-Allow-Origin': '*' };
  if (origin === undefined || !allowed.has(origin)) return { Vary: 'Origin' };
  return { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
}
