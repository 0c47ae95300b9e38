/**
 * Reads a node's Prometheus metrics (`<metrics address>/metrics`, VISITWIRE_METRICS_ADDR):
 * consumers, and CPU as a rate of the process's CPU seconds plus, when the node
 * exports it, the mediasoup workers' (`visitwire_worker_cpu_seconds_total`, summed over workers).
 */
import { monotonicNow } from './clock.ts';

export interface NodeReading {
  at: number;
  consumers?: number;
  visits?: number;
  processCpuSeconds?: number;
  workerCpuSeconds?: number;
}

export interface NodeSample {
  url: string;
  /** monotonicNow() of the scrape. */
  at: number;
  consumers?: number;
  /** Node process CPU over the last interval, percent of one core. */
  processCpuPct?: number;
  /** mediasoup workers' CPU over the last interval, percent of one core (absent when not exported). */
  workerCpuPct?: number;
  error?: string;
}

const SCRAPE_TIMEOUT_MS = 3000;

/** Sums every series of each metric name, labels ignored. */
export function parsePrometheus(text: string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const v = Number(m[3]);
    if (Number.isFinite(v)) sums.set(m[1], (sums.get(m[1]) ?? 0) + v);
  }
  return sums;
}

export async function readNode(url: string): Promise<NodeReading> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`GET /metrics answered ${res.status}`);
  const m = parsePrometheus(await res.text());
  return {
    at: monotonicNow(),
    consumers: m.get('visitwire_consumers'),
    visits: m.get('visitwire_visits'),
    processCpuSeconds: m.get('process_cpu_seconds_total'),
    workerCpuSeconds: m.get('visitwire_worker_cpu_seconds_total'),
  };
}

const rate = (a?: number, b?: number, seconds = 1) => (a === undefined || b === undefined ? undefined : Math.max(0, ((b - a) / seconds) * 100));

/** Keeps the previous reading of each node to turn counters into CPU percentages. */
export class NodeWatcher {
  private readonly previous = new Map<string, NodeReading>();

  async sample(url: string): Promise<NodeSample> {
    try {
      const now = await readNode(url);
      const before = this.previous.get(url);
      this.previous.set(url, now);
      const seconds = before ? (now.at - before.at) / 1000 : 0;
      return {
        url,
        at: now.at,
        consumers: now.consumers,
        processCpuPct: before && seconds > 0 ? rate(before.processCpuSeconds, now.processCpuSeconds, seconds) : undefined,
        workerCpuPct: before && seconds > 0 ? rate(before.workerCpuSeconds, now.workerCpuSeconds, seconds) : undefined,
      };
    } catch (err) {
      return { url, at: monotonicNow(), error: (err as Error).message };
    }
  }
}
