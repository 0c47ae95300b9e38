import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/visitwire.mjs');

export interface RoleProcess {
  proc: ChildProcess;
  /** The groups of the ready line's pattern. */
  ready: string[];
  exited: Promise<number | null>;
  output(): string;
}

/** Runs `visitwire <args>` as a child process and waits for the line matching `ready`. */
export async function spawnRole(args: string[], env: Record<string, string>, ready: RegExp, started: ChildProcess[]): Promise<RoleProcess> {
  const proc = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(proc);
  let out = '';
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`visitwire ${args[0]} did not start in 30 s:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = ready.exec(out);
      if (m) { clearTimeout(timer); resolve(m); }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`visitwire ${args[0]} exited ${code}:\n${out}`)); });
  });
  return { proc, ready: match.slice(1), exited, output: () => out };
}

export interface HttpAnswer { status: number; body: any }

/** A request from a chosen local address (127.0.0.2 is a loopback address too, but not 127.0.0.1/32). */
export function request(url: string, o: { method?: string; headers?: Record<string, string>; localAddress?: string } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: o.method ?? 'GET', headers: o.headers, localAddress: o.localAddress, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d) => { text += d; }).on('end', () => {
        try { resolve({ status: res.statusCode!, body: JSON.parse(text) }); } catch (err) { reject(err); }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${url} timed out`))).on('error', reject).end();
  });
}

/** Removes every Redis key under a test's or benchmark's prefix. */
export async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    await redis.quit();
  }
}
