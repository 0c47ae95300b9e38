import { parseArgs } from 'node:util';

/** Prints a message and exits; 2 means bad options. */
export function fail(message: string, code = 2): never {
  process.stderr.write(`visitwire: ${message}\n`);
  process.exit(code);
}

/** String options of a subcommand; a parse error exits 2 with parseArgs' message. */
export function parseOptions<K extends string>(args: string[], names: K[]): Partial<Record<K, string>> {
  try {
    const options = Object.fromEntries(names.map((n) => [n, { type: 'string' as const }]));
    return parseArgs({ args, options, strict: true }).values as Partial<Record<K, string>>;
  } catch (err) {
    return fail((err as Error).message);
  }
}
