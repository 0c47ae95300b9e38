/** Plain data shared by the selection tests. */
import type { NodeRecord } from '../../common/registry/types.ts';
import type { Region } from '../regions.ts';
import type { GeoPoint, SelectionContext } from './types.ts';

export const NOW = 1_700_000_000_000;

export const REGIONS: Region[] = [
  { id: 'eu-west', lat: 53.35, lon: -6.26, tags: ['eu'] },
  { id: 'eu-central', lat: 50.11, lon: 8.68, tags: ['eu'] },
  { id: 'us-east', lat: 38.9, lon: -77.4, tags: ['us'] },
  { id: 'us-west', lat: 45.6, lon: -122.7, tags: ['us'] },
  { id: 'ap-northeast', lat: 35.68, lon: 139.69, tags: [] },
  { id: 'sa-east', lat: -23.55, lon: -46.63, tags: [] },
];

export const CITIES = {
  london: { lat: 51.5, lon: -0.13 },
  berlin: { lat: 52.52, lon: 13.4 },
  newYork: { lat: 40.7, lon: -74.0 },
  seattle: { lat: 47.6, lon: -122.3 },
  tokyo: { lat: 35.68, lon: 139.69 },
  sydney: { lat: -33.87, lon: 151.2 },
  rio: { lat: -22.9, lon: -43.2 },
} satisfies Record<string, GeoPoint>;

export function node(nodeId: string, region: string, o: {
  visits?: number; maxVisits?: number; cpu?: number; draining?: boolean; ageMs?: number;
} = {}): NodeRecord {
  return {
    nodeId,
    region,
    signalingUrl: `http://127.0.0.1/${nodeId}`,
    capacity: { maxVisits: o.maxVisits ?? 100 },
    load: { visits: o.visits ?? 0, participants: 0, consumers: 0, cpu: o.cpu ?? 0 },
    draining: o.draining ?? false,
    heartbeatAt: NOW - (o.ageMs ?? 500),
  };
}

export function context(o: Partial<Omit<SelectionContext, 'policy'>> & { stickyKm?: number; defaultRegion?: string } = {}): SelectionContext {
  return {
    now: NOW,
    regions: new Map(REGIONS.map((r) => [r.id, r])),
    client: o.client === undefined ? CITIES.london : o.client,
    residency: o.residency,
    visitHome: o.visitHome ?? null,
    policy: { heartbeatMaxAgeMs: 5000, stickyKm: o.stickyKm ?? 3000, defaultRegion: o.defaultRegion ?? 'us-east' },
  };
}

export const ids = (nodes: readonly NodeRecord[]): string[] => nodes.map((n) => n.nodeId);
