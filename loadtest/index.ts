/** `visitwire loadtest`: concurrent visits of werift bots against a deployment. See README.md. */
export { loadtestCommand } from './command.ts';
export { runLoadtest, writeReport, type RunControls } from './run.ts';
export { parseLoadtestArgs, LoadtestOptionsSchema, USAGE, UsageError, PROFILES, type LoadtestOptions, type LoadtestInput, type Profile } from './options.ts';
export type { LoadtestReport, TrackSummary, BotReport } from './summary.ts';
export type { TimelinePoint } from './run-state.ts';
