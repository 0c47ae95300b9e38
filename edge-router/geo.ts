import type { GeoPoint } from './selection/types.ts';
import { isNonPublicIp, normalizeIp } from './ip.ts';

export interface GeoLocation extends GeoPoint {
  /** ISO 3166-1 alpha-2, '' when the database does not know. */
  country: string;
}

export interface GeoLocator {
  /** `geoip-lite` or the path of the .mmdb in use. */
  readonly source: string;
  /** null for private, loopback and unknown addresses. */
  lookup(ip: string): GeoLocation | null;
}

export interface GeoLocatorOptions {
  /** A MaxMind City database (GeoLite2-City.mmdb, GeoIP2-City.mmdb); without it, geoip-lite's bundled data. */
  mmdbPath?: string;
}

export async function createGeoLocator(options: GeoLocatorOptions = {}): Promise<GeoLocator> {
  const find = options.mmdbPath ? await openMmdb(options.mmdbPath) : await openGeoipLite();
  return {
    source: options.mmdbPath ?? 'geoip-lite',
    lookup(raw) {
      const ip = normalizeIp(raw);
      if (!ip || isNonPublicIp(ip)) return null;
      const found = find(ip);
      return found && Number.isFinite(found.lat) && Number.isFinite(found.lon) ? found : null;
    },
  };
}

type Find = (ip: string) => GeoLocation | null;

async function openGeoipLite(): Promise<Find> {
  // Imported on demand: geoip-lite loads its data (~150 MB of memory) when first imported.
  const { default: geoip } = await import('geoip-lite');
  return (ip) => {
    const hit = geoip.lookup(ip);
    if (!hit || hit.ll[0] === null || hit.ll[1] === null) return null;
    return { lat: hit.ll[0], lon: hit.ll[1], country: hit.country };
  };
}

async function openMmdb(path: string): Promise<Find> {
  const { Reader, BadMethodCallError } = await import('@maxmind/geoip2-node');
  const reader = await Reader.open(path);
  try {
    reader.city('1.1.1.1');
  } catch (err) {
    if (err instanceof BadMethodCallError) throw new Error(`${path} is not a City database: ${err.message}`);
  }
  return (ip) => {
    try {
      const { location, country } = reader.city(ip);
      if (location?.latitude === undefined || location.longitude === undefined) return null;
      return { lat: location.latitude, lon: location.longitude, country: country?.isoCode ?? '' };
    } catch {
      return null; // not in the database, or an IPv6 address in an IPv4-only one
    }
  };
}
