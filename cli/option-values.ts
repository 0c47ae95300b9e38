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
