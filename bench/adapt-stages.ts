/**
 * Where bench:adapt's delays come from: the server's adaptation log for one
 * viewer (LOG_LEVEL=debug: a `downlink round` line per round with the estimate,
 * score, receiver-report loss, NACK ratio and chosen layer; a `downlink video fallback`
 * line per pause and resume) turned into the time, from a limit change, of each
 * stage: the first fast signal, the policy's decision, what the viewer saw.
 * Server and bench run on one host, so their clocks agree.
 */
import { DEFAULT_POLICY as C } from '../sfu/policy/config.ts';

export interface Round { at: number; mode?: string; pauses?: number; bwe?: number; score?: number; loss?: number; nackRatio?: number; queueDelayMs?: number; layer?: number; temporalLayer?: number; paused?: boolean }
export interface Decision { at: number; type: string }
export interface AdaptationLog { rounds: Round[]; decisions: Decision[] }

export function parseAdaptationLog(output: string, viewerId: string): AdaptationLog {
  const rounds: Round[] = [];
  const decisions: Decision[] = [];
  for (const line of output.split('\n')) {
    if (!line.includes(viewerId) || !line.includes('downlink')) continue;
    try {
      const j = JSON.parse(line) as { time: number; msg: string; viewerId: string; availableBitrate?: number; event?: { type: string }; mode?: string; pauses?: number;
        video?: { score?: number; loss?: number; nackRatio?: number; queueDelayMs?: number; layer?: number; temporalLayer?: number; paused?: boolean }[] };
      if (j.viewerId !== viewerId) continue;
      if (j.msg === 'downlink round') rounds.push({ at: j.time, mode: j.mode, pauses: j.pauses, bwe: j.availableBitrate, ...(j.video?.[0] ?? {}) });
      else if (j.msg === 'downlink video fallback' && j.event) decisions.push({ at: j.time, type: j.event.type });
    } catch { /* not JSON */ }
  }
  return { rounds, decisions };
}

/** Milliseconds from the limit change to each stage; null = not seen. */
export type Stages = Record<string, number | null>;

const first = <T extends { at: number }>(xs: T[], t0: number, tEnd: number, p: (x: T) => boolean) => {
  const hit = xs.find((x) => x.at >= t0 && x.at <= tEnd && p(x));
  return hit ? hit.at - t0 : null;
};
/** bps of estimate (before bweUsableFraction) that carries audio plus the lowest layer × factor. */
const estimateFor = (factor: number) => (C.audioBitrate + C.layers[0]!.bitrate * factor) / C.bweUsableFraction;
const signals = (log: AdaptationLog, t0: number, tEnd: number, bweBelow: number) => ({
  [`NACKs >= ${C.stepDownNackRatio}/packet`]: first(log.rounds, t0, tEnd, (r) => (r.nackRatio ?? 0) >= C.stepDownNackRatio),
  [`queue >= ${C.stepDownQueueMs} ms`]: first(log.rounds, t0, tEnd, (r) => (r.queueDelayMs ?? 0) >= C.stepDownQueueMs),
  'score < 10': first(log.rounds, t0, tEnd, (r) => (r.score ?? 10) < 10),
  [`RR loss >= ${C.stepDownLoss * 100} %`]: first(log.rounds, t0, tEnd, (r) => (r.loss ?? 0) >= C.stepDownLoss),
  [`estimate < ${Math.round(bweBelow / 1000)} k`]: first(log.rounds, t0, tEnd, (r) => r.bwe !== undefined && r.bwe < bweBelow),
});

/** The drop from the top layer to a lower limit: signals, the policy leaving the top layer, the viewer's frames at <= 640 px. */
export function stepDownStages(log: AdaptationLog, t0: number, tEnd: number, limitBps: number, viewerMs: number | null): Stages {
  return {
    ...signals(log, t0, tEnd, limitBps),
    'policy: below 720p@30': first(log.rounds, t0, tEnd, (r) => (r.layer ?? 2) < 2 || (r.temporalLayer ?? 2) < 2),
    'policy: layer < 2': first(log.rounds, t0, tEnd, (r) => (r.layer ?? 2) < 2),
    'viewer <= 640 px': viewerMs,
  };
}

/** The drop below audio plus the lowest layer: signals, the pause decision, the viewer told. */
export function pauseStages(log: AdaptationLog, t0: number, tEnd: number, viewerMs: number | null): Stages {
  return { ...signals(log, t0, tEnd, estimateFor(1)), 'policy: paused': first(log.decisions, t0, tEnd, (d) => d.type === 'videoPaused'), 'viewer told': viewerMs };
}

/**
 * The limit lifted: the estimate back at the resume threshold (first after the lift, and the start of the run that
 * led to the resume, negative when it began before the lift), the resume decision, the viewer told, frames again.
 */
export function resumeStages(log: AdaptationLog, t0: number, tEnd: number, viewerMs: number | null, framesMs: number | null): Stages {
  const threshold = estimateFor(C.fallbackResumeFactor);
  const decision = first(log.decisions, t0, tEnd, (d) => d.type === 'videoResumed');
  let runStart: number | null = null;
  if (decision !== null) {
    for (const r of log.rounds.filter((x) => x.at <= t0 + decision).reverse()) {
      if (r.bwe === undefined || r.bwe < threshold) break;
      runStart = r.at - t0;
    }
  }
  return {
    [`estimate >= ${Math.round(threshold / 1000)} k`]: first(log.rounds, t0, tEnd, (r) => r.bwe !== undefined && r.bwe >= threshold),
    'its run began': runStart,
    'policy: resumed': decision,
    'viewer told': viewerMs,
    'frames again': framesMs,
  };
}

export const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN; };

/** A markdown table: one row per case and burst, each stage's median (and worst) in seconds over the runs. */
export function stagesTable(rows: { label: string; runs: Stages[] }[]): string {
  const out: string[] = [];
  for (const { label, runs } of rows) {
    const names = Object.keys(runs[0] ?? {});
    const cell = (name: string) => {
      const xs = runs.map((r) => r[name]).filter((x): x is number => x !== null && x !== undefined);
      if (xs.length === 0) return `${name}: -`;
      const missing = runs.length - xs.length;
      return `${name}: ${(median(xs) / 1000).toFixed(2)} s (worst ${(Math.max(...xs) / 1000).toFixed(2)})${missing ? `, ${missing} not seen` : ''}`;
    };
    out.push(`| ${label} | ${names.map(cell).join(' → ')} |`);
  }
  return out.join('\n');
}

export const formatStages = (s: Stages) => Object.entries(s).map(([k, v]) => `${k} ${v === null ? '-' : (v / 1000).toFixed(2)}`).join(', ');
