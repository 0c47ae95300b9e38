import type { NodeRecord } from '../../common/registry/types.ts';
import type { Region } from '../regions.ts';
import { distanceKm } from './distance.ts';
import type { GeoPoint } from './types.ts';

/** The region nearest `point` among those hosting at least one of `nodes`; ties go to the lower id. */
export function nearestRegion(nodes: readonly NodeRecord[], regions: ReadonlyMap<string, Region>, point: GeoPoint): Region | null {
  let best: { region: Region; km: number } | null = null;
  for (const id of new Set(nodes.map((n) => n.region))) {
    const region = regions.get(id);
    if (!region) continue;
    const km = distanceKm(point, region);
    if (!best || km < best.km || (km === best.km && region.id < best.region.id)) best = { region, km };
  }
  return best?.region ?? null;
}
