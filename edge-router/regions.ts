import { readFile } from 'node:fs/promises';
import { z } from 'zod';

const RegionSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be 1-64 of a-z 0-9 - (e.g. "eu-west")'),
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  /** Residency tags: a token with residency `eu` may only use regions tagged `eu`. */
  tags: z.array(z.string().regex(/^[a-z0-9-]{1,32}$/, 'must be 1-32 of a-z 0-9 -')).max(16).default([]),
}).strict();

export type Region = z.output<typeof RegionSchema>;

export const RegionsFileSchema = z.array(RegionSchema).min(1, 'must list at least one region').superRefine((regions, ctx) => {
  const seen = new Set<string>();
  for (const [i, region] of regions.entries()) {
    if (seen.has(region.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate region id "${region.id}"` });
    seen.add(region.id);
  }
});

export class RegionsFileError extends Error {
  constructor(source: string, detail: string) {
    super(`regions file ${source}: ${detail}`);
    this.name = 'RegionsFileError';
  }
}

/** Checks parsed regions JSON, e.g. `[{ "id": "eu-west", "lat": 53.35, "lon": -6.26, "tags": ["eu"] }]`. */
export function parseRegions(json: unknown, source = '(inline)'): Region[] {
  const result = RegionsFileSchema.safeParse(json);
  if (!result.success) throw new RegionsFileError(source, result.error.issues.map(describeIssue).join('; '));
  return result.data;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const at = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  return at ? `${at.replace(/^\./, '')}: ${issue.message}` : issue.message;
}

export async function loadRegionsFile(path: string): Promise<Region[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new RegionsFileError(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RegionsFileError(path, `is not JSON (${(err as Error).message})`);
  }
  return parseRegions(json, path);
}
