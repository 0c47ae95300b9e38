import { parseTurnUrls, type TurnSettings } from '../common/turn-credentials.ts';
import { fail } from './args.ts';

/** A port from an option, else the fallback (from the environment). */
export function portOption(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) fail(`--port must be 0-65535, not "${raw}"`);
  return port;
}

export function positiveIntOption(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1) fail(`--${name} must be a positive whole number, not "${raw}"`);
  return n;
}

/** `--redis`, else REDIS_URL; a cluster role without it exits 2. */
export function redisUrlOption(raw: string | undefined, fromEnv: string | undefined, role: string): string {
  const url = raw ?? fromEnv;
  if (!url) fail(`${role} needs the cluster registry: --redis redis://HOST:6379 (or REDIS_URL)`);
  if (!/^rediss?:\/\//.test(url)) fail(`--redis must be a redis:// or rediss:// URL, not "${url}"`);
  return url;
}

export function httpUrlOption(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol)) fail(`--${name} must be an http:// or https:// URL, not "${raw}"`);
  return raw.replace(/\/+$/, '');
}

/**
 * `--turn-urls` (comma-separated), else VISITWIRE_TURN_URLS, with the secret
 * from VISITWIRE_TURN_SECRET only (a secret on a command line shows in `ps`).
 */
export function turnOption(raw: string | undefined, fromEnv: TurnSettings | undefined): TurnSettings | undefined {
  if (raw === undefined) return fromEnv;
  let urls: string[];
  try {
    urls = parseTurnUrls(raw);
  } catch (err) {
    return fail(`--turn-urls: ${(err as Error).message}`);
  }
  const secret = fromEnv?.secret ?? process.env.VISITWIRE_TURN_SECRET;
  if (!secret) fail('--turn-urls needs VISITWIRE_TURN_SECRET (coturn static-auth-secret) in the environment');
  return { urls, secret };
}
