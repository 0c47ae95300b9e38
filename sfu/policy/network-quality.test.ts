import { describe, expect, it } from 'vitest';
import { networkQuality, type NetworkQualityInput, worseQuality } from './network-quality.ts';

describe('networkQuality', () => {
  it.each<[string, NetworkQualityInput, string]>([
    ['clean link with room for 720p', { score: 10, availableBitrate: 5_000_000, lossFraction: 0, audioOnly: false }, 'excellent'],
    ['room for 360p but not 720p', { score: 10, availableBitrate: 1_000_000, audioOnly: false }, 'good'],
    ['score 8: some loss', { score: 8, availableBitrate: 5_000_000, audioOnly: false }, 'good'],
    ['2-8 % loss', { score: 10, lossFraction: 0.05, audioOnly: false }, 'good'],
    ['nothing measured yet', { audioOnly: false }, 'good'],
    ['score 5', { score: 5, audioOnly: false }, 'poor'],
    ['10 % loss', { score: 10, lossFraction: 0.1, audioOnly: false }, 'poor'],
    ['audio-only fallback', { score: 10, availableBitrate: 5_000_000, audioOnly: true }, 'poor'],
    ['cannot carry the lowest video layer', { score: 10, availableBitrate: 150_000, audioOnly: false }, 'poor'],
    ['score 0: nothing arrives', { score: 0, audioOnly: false }, 'lost'],
    ['40 % loss', { lossFraction: 0.4, audioOnly: true }, 'lost'],
    ['cannot even carry audio', { score: 10, availableBitrate: 30_000, audioOnly: true }, 'lost'],
  ])('%s: %s', (_name, input, expected) => {
    expect(networkQuality(input)).toBe(expected);
  });

  it('takes the worst of what it knows', () => {
    expect(networkQuality({ score: 10, availableBitrate: 5_000_000, lossFraction: 0.1, audioOnly: false })).toBe('poor');
  });

  it('a participant is as good as the worse of its links', () => {
    expect(worseQuality('excellent', 'poor')).toBe('poor');
    expect(worseQuality('good', 'excellent', 'lost')).toBe('lost');
    expect(worseQuality('excellent')).toBe('excellent');
  });
});
