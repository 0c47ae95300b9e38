import { describe, expect, it } from 'vitest';
import { distanceKm } from './distance.ts';
import { CITIES } from './test-fixtures.ts';

describe('distanceKm', () => {
  it.each([
    ['the same point', CITIES.london, CITIES.london, 0],
    ['London to New York', CITIES.london, CITIES.newYork, 5570],
    ['London to Berlin', CITIES.london, CITIES.berlin, 930],
    ['Tokyo to Sydney', CITIES.tokyo, CITIES.sydney, 7820],
    ['across the antimeridian', { lat: 0, lon: 179.5 }, { lat: 0, lon: -179.5 }, 111],
    ['pole to pole', { lat: 90, lon: 0 }, { lat: -90, lon: 0 }, 20015],
  ])('%s', (_name, a, b, km) => {
    expect(distanceKm(a, b)).toBeCloseTo(km, -1.5);
    expect(distanceKm(b, a)).toBeCloseTo(distanceKm(a, b), 9);
  });
});
