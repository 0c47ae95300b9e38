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
