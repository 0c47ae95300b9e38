import { afterAll, beforeAll, expect } from 'vitest';
import { startImpairedVisit, type ImpairedVisit, type ImpairedVisitOptions } from './impaired-visit.ts';

/**
 * One impaired visit for a whole test file: started before its tests (handed
 * to `use`), and after them stopped, its log's end printed, the server's exit
 * code checked (0: it stopped cleanly).
 */
export function impairedVisitForFile(env: Record<string, string>, o: ImpairedVisitOptions, use: (visit: ImpairedVisit) => void): void {
  let visit: ImpairedVisit | undefined;
  beforeAll(async () => {
    visit = await startImpairedVisit(env, o);
    use(visit);
  }, 120_000);
  afterAll(async () => {
    const code = await visit?.close();
    if (visit?.log.length) console.log(visit.log.slice(-20).join('\n'));
    expect(code).toBe(0);
  }, 60_000);
}
