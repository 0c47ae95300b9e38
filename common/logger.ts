import { pino } from 'pino';

/** One pino logger for the process. Logs carry ids (user, visit, node), never names or other PHI. */
export const logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { pid: process.pid },
  redact: { paths: ['token', '*.token', 'authorization', '*.authorization'], remove: true },
});
export type Logger = typeof logger;
