import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** The process's Prometheus registry; `GET /metrics` serves it. */
export const metrics = new Registry();
collectDefaultMetrics({ register: metrics, prefix: 'visitwire_process_' });

/** A gauge whose value is read when Prometheus scrapes. */
export function gaugeFrom(name: string, help: string, read: () => number | Promise<number>): Gauge {
  return new Gauge({
    name, help, registers: [metrics],
    async collect() { this.set(await read()); },
  });
}

/** A gauge with one label, each label value's figure read when Prometheus scrapes. */
export function labelledGaugeFrom(name: string, help: string, label: string, read: () => Record<string, number>): Gauge {
  return new Gauge({
    name, help, labelNames: [label], registers: [metrics],
    collect() {
      for (const [value, n] of Object.entries(read())) this.set({ [label]: value }, n);
    },
  });
}
