/** `visitwire loadtest` options: parsed from argv, checked with zod. */
import { parseArgs } from 'node:util';
import { z } from 'zod';

export const PROFILES = ['two-party', 'three-party', 'audio-only'] as const;
export type Profile = (typeof PROFILES)[number];

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).transform((u) => u.replace(/\/+$/, ''));

export const LoadtestOptionsSchema = z.object({
  /** Edge router base URL: each participant asks it for a node (GET /v1/route?visit=). */
  router: httpUrl.optional(),
  /** A node's base URL: every participant goes there. */
  node: httpUrl.optional(),
  /** Metrics addresses of the nodes to watch (VISITWIRE_METRICS_ADDR), comma-separated; each one's `/metrics` is read. */
  metrics: z.string().optional().transform((s, ctx) => {
    const urls = (s ?? '').split(',').map((u) => u.trim().replace(/\/+$/, '').replace(/\/metrics$/, '')).filter(Boolean);
    for (const u of urls) if (!httpUrl.safeParse(u).success) ctx.addIssue({ code: 'custom', message: `"${u}" is not an http(s) URL` });
    return urls;
  }),
  visits: z.coerce.number().int().min(1).max(100_000).default(1),
  /** Participant joins per second. */
  ramp: z.coerce.number().positive().max(10_000).default(5),
  /** Seconds from the first join to the stop. */
  duration: z.coerce.number().positive().max(7 * 86_400).default(60),
  profile: z.enum(PROFILES).default('two-party'),
  /** Pass mark: visits that must stay up through the hold; default all. */
  targetVisits: z.coerce.number().int().min(0).max(100_000).optional(),
  /** Child processes running the bots; 0 runs them in this process. */
  workers: z.coerce.number().int().min(0).max(64).default(0),
  /** Directory for report.json and report.html. */
  report: z.string().min(1).optional(),
  secret: z.string({ error: 'a token secret is needed: --secret or VISITWIRE_SECRET' }).min(16, 'the secret must be at least 16 characters'),
  /** Fails the run when more than this percentage of media packets is lost. */
  maxLoss: z.coerce.number().min(0).max(100).default(2),
  /** Fails the run when the 95th percentile join latency exceeds this (ms). */
  maxJoinP95: z.coerce.number().positive().optional(),
}).superRefine((o, ctx) => {
  if (!o.router === !o.node) ctx.addIssue({ code: 'custom', path: ['router'], message: 'give exactly one of --router URL or --node URL' });
  if (o.targetVisits !== undefined && o.targetVisits > o.visits) ctx.addIssue({ code: 'custom', path: ['targetVisits'], message: 'cannot exceed --visits' });
});

export type LoadtestOptions = z.output<typeof LoadtestOptionsSchema>;
export type LoadtestInput = z.input<typeof LoadtestOptionsSchema>;

export const USAGE = `usage: visitwire loadtest (--node URL | --router URL) [options]

  --node URL            a node's base URL (signaling), e.g. http://127.0.0.1:8080
  --metrics URL,...     the nodes' metrics addresses (npm start prints it), e.g. http://127.0.0.1:9464
  --router URL          the edge router; each participant is routed with its own token
  --visits N            concurrent visits to run (default 1)
  --ramp R              participant joins per second (default 5)
  --duration S          seconds from the first join to the stop (default 60)
  --profile P           two-party (provider+patient, default) | three-party (+nurse) | audio-only
  --target-visits N     pass mark: visits up through the hold (default: --visits)
  --workers K           child processes that run the bots (default 0: this process)
  --report DIR          where report.json and report.html go (default reports/loadtest-<time>)
  --secret S            token secret (default: env VISITWIRE_SECRET)
  --max-loss PCT        fail above this packet loss, percent (default 2)
  --max-join-p95 MS     fail above this 95th percentile join latency (default: no limit)
`;

export class UsageError extends Error {}

const FLAGS = ['router', 'node', 'metrics', 'visits', 'ramp', 'duration', 'profile', 'target-visits', 'workers', 'report', 'secret', 'max-loss', 'max-join-p95'] as const;

/** Parses `visitwire loadtest` arguments; throws UsageError with a message for the user. `help` is true for --help. */
export function parseLoadtestArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): { help: true } | { help: false; options: LoadtestOptions } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: { ...Object.fromEntries(FLAGS.map((f) => [f, { type: 'string' as const }])), help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
  if (values.help) return { help: true };
  const input: Record<string, unknown> = {};
  for (const flag of FLAGS) if (values[flag] !== undefined) input[flag.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())] = values[flag];
  input.secret ??= env.VISITWIRE_SECRET;
  const parsed = LoadtestOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = issue.path.length ? `--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ` : '';
    throw new UsageError(`${flag}${issue.message}`);
  }
  return { help: false, options: parsed.data };
}
