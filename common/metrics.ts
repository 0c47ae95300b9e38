import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

/**
 * The process's Prometheus registry, served on the metrics address
 * (`common/metrics-server.ts`), never on the public port. Process and Node.js
 * metrics keep prom-client's standard names (`process_cpu_seconds_total`,
 * `nodejs_eventloop_lag_seconds`, ...). No label carries a visit, participant
 * or user id; region and node id are the widest labels.
 */
export const metrics = new Registry();
/**
 * The event-loop lag histogram samples every 100 ms rather than prom-client's
 * 10 ms: 10 wake-ups a second instead of 100, which alone cost an idle node
 * about 0.2 % of a core; 150 samples per 15 s scrape still give its p99.
 */
const EVENT_LOOP_SAMPLE_MS = 100;
collectDefaultMetrics({ register: metrics, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });

/** Metrics read from one running object (a stack, a router); `remove()` takes them out again. */
export class MetricGroup {
  private readonly names: string[] = [];

  /** A gauge whose value is read when Prometheus scrapes. */
  gauge(name: string, help: string, read: () => number | Promise<number>): Gauge {
    return this.add(name, () => new Gauge({ name, help, registers: [metrics], async collect() { this.set(await read()); } }));
  }

  /** A gauge with labels, each series read when Prometheus scrapes (series absent from a reading are dropped). */
  labelled<L extends string>(name: string, help: string, labelNames: L[], read: () => Array<[Record<L, string>, number]> | Promise<Array<[Record<L, string>, number]>>): Gauge<L> {
    return this.add(name, () => new Gauge<L>({
      name, help, labelNames, registers: [metrics],
      async collect() {
        const rows = await read();
        this.reset();
        for (const [labels, n] of rows) this.set(labels, n);
      },
    }));
  }

  /** A counter whose running totals are read when Prometheus scrapes; it only ever moves up. */
  counterTotals<L extends string>(name: string, help: string, labelNames: L[], read: () => Array<[Record<L, string>, number]>): Counter<L> {
    const reported = new Map<string, number>();
    return this.add(name, () => new Counter<L>({
      name, help, labelNames, registers: [metrics],
      collect() {
        for (const [labels, total] of read()) {
          const key = JSON.stringify(labels);
          const grew = total - (reported.get(key) ?? 0);
          if (grew > 0) { this.inc(labels, grew); reported.set(key, total); }
        }
      },
    }));
  }

  remove(): void {
    for (const name of this.names.splice(0)) metrics.removeSingleMetric(name);
  }

  private add<M extends Metric>(name: string, make: () => M): M {
    metrics.removeSingleMetric(name);
    this.names.push(name);
    return make();
  }
}

/** A counter registered once per process (events: they add up across stacks in one process). */
export function counter<L extends string = never>(name: string, help: string, labelNames: L[] = []): Counter<L> {
  return (metrics.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter<L>({ name, help, labelNames, registers: [metrics] });
}

/** Starts each given label set at 0, so that dashboards and alerts see the series before the first event. */
export function startAtZero<L extends string>(c: Counter<L>, labelSets: Array<Record<L, string>>): void {
  for (const labels of labelSets) c.inc(labels, 0);
}

/** A histogram registered once per process. */
export function histogram<L extends string = never>(name: string, help: string, buckets: number[], labelNames: L[] = []): Histogram<L> {
  return (metrics.getSingleMetric(name) as Histogram<L> | undefined) ?? new Histogram<L>({ name, help, buckets, labelNames, registers: [metrics] });
}
