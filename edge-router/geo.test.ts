import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGeoLocator, type GeoLocator } from './geo.ts';
import { buildCityMmdb } from './test-mmdb.ts';

const NOT_LOCATED = ['127.0.0.1', '::1', '10.1.2.3', '192.168.0.10', '::ffff:10.0.0.1', 'fd00::1', 'not-an-ip', ''];

describe('geoip-lite locator', () => {
  let geo: GeoLocator;
  beforeAll(async () => { geo = await createGeoLocator(); });

  it.each([
    ['81.2.69.142', 'GB'], ['::ffff:81.2.69.142', 'GB'], ['8.8.8.8', 'US'], ['1.0.16.1', 'JP'],
    ['5.9.0.1', 'DE'], ['203.2.218.214', 'AU'], ['2001:4860:4860::8888', 'US'],
  ])('places %s in %s', (ip, country) => {
    const found = geo.lookup(ip);
    expect(found?.country).toBe(country);
    expect(Number.isFinite(found?.lat)).toBe(true);
  });

  it.each(NOT_LOCATED)('does not place %j', (ip) => expect(geo.lookup(ip)).toBeNull());

  it('does not place an address the data knows without coordinates', () => {
    expect(geo.lookup('1.1.1.1')).toBeNull();
  });

  it('names its source', () => expect(geo.source).toBe('geoip-lite'));
});

describe('mmdb locator', () => {
  let dir: string;
  let geo: GeoLocator;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'visitwire-geo-'));
    const path = join(dir, 'city.mmdb');
    await writeFile(path, buildCityMmdb([
      { cidr: '81.2.69.0/24', country: 'GB', lat: 51.5, lon: -0.12 },
      { cidr: '8.8.8.0/24', country: 'US', lat: 37.75, lon: -97.82 },
    ]));
    geo = await createGeoLocator({ mmdbPath: path });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each([
    ['81.2.69.142', { country: 'GB', lat: 51.5, lon: -0.12 }],
    ['::ffff:8.8.8.8', { country: 'US', lat: 37.75, lon: -97.82 }],
  ])('places %s from the database', (ip, expected) => expect(geo.lookup(ip)).toEqual(expected));

  it.each([...NOT_LOCATED, '1.0.16.1', '2001:4860:4860::8888'])('does not place %j', (ip) => expect(geo.lookup(ip)).toBeNull());

  it('refuses a file that is not a MaxMind database', async () => {
    const path = join(dir, 'bad.mmdb');
    await writeFile(path, 'not a database');
    await expect(createGeoLocator({ mmdbPath: path })).rejects.toThrow();
  });
});
