/** Distribution summaries for the report. */
export interface Dist {
  count: number;
  min?: number;
  p50?: number;
  p95?: number;
  max?: number;
  mean?: number;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const round = (x: number | undefined, digits: number) => (x === undefined ? undefined : Math.round(x * 10 ** digits) / 10 ** digits);

export function dist(values: Array<number | undefined>, digits = 1): Dist {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return { count: 0 };
  return {
    count: xs.length,
    min: round(xs[0], digits),
    p50: round(percentile(xs, 50), digits),
    p95: round(percentile(xs, 95), digits),
    max: round(xs[xs.length - 1], digits),
    mean: round(xs.reduce((a, b) => a + b, 0) / xs.length, digits),
  };
}
