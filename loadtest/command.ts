/**
 * `visitwire loadtest`: parse, run, print the table, write the report.
 * Exit code 0 on PASS, 1 on FAIL (or a run that could not complete), 2 on bad options.
 */
import path from 'node:path';
import { parseLoadtestArgs, USAGE, UsageError } from './options.ts';
import { finalTable } from './format.ts';
import { runLoadtest } from './run.ts';

type Output = NodeJS.WritableStream & { isTTY?: boolean };

/** `io` defaults to stdout and stderr; tests pass their own streams. */
export async function loadtestCommand(argv: string[], io: { out?: Output; err?: Output } = {}): Promise<number> {
  const out = io.out ?? process.stdout;
  const err = io.err ?? process.stderr;
  let parsed: ReturnType<typeof parseLoadtestArgs>;
  try {
    parsed = parseLoadtestArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err.write(`visitwire loadtest: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    out.write(USAGE);
    return 0;
  }
  const options = { ...parsed.options, report: parsed.options.report ?? path.join('reports', `loadtest-${new Date().toISOString().replace(/[:.]/g, '-')}`) };

  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(130); // a second Ctrl-C does not wait for the bots
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    out.write(`visitwire loadtest: ${options.visits} ${options.profile} visits against ${options.node ?? options.router}, ramp ${options.ramp} joins/s, ${options.duration} s\n`);
    const report = await runLoadtest(options, { out, signal: abort.signal });
    out.write(`\n${finalTable(report)}\n\nreport: ${path.join(options.report, 'report.json')} and report.html\n`);
    return report.verdict === 'PASS' ? 0 : 1;
  } catch (e) {
    err.write(`visitwire loadtest: the run failed: ${(e as Error).message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
