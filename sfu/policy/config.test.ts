import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, ENV_NAMES, LAYERS_ENV_NAME, PolicyConfigError, policyConfigFromEnv, validatePolicyConfig } from './config.ts';

describe('policy config', () => {
  it('defaults are valid and match the simulcast ladder', () => {
    expect(validatePolicyConfig({ ...DEFAULT_POLICY })).toEqual(DEFAULT_POLICY);
    expect(DEFAULT_POLICY.layers.map((l) => `${l.width}x${l.height}@${l.bitrate}`)).toEqual(['320x180@150000', '640x360@500000', '1280x720@1500000']);
    expect(policyConfigFromEnv({})).toEqual(DEFAULT_POLICY);
  });

  it('takes overrides from VISITWIRE_* variables, ignoring empty ones', () => {
    const config = policyConfigFromEnv({
      VISITWIRE_FALLBACK_PAUSE_MS: '3000',
      VISITWIRE_FALLBACK_RESUME_FACTOR: ' 2 ',
      VISITWIRE_STEP_UP_MS: '',
      [LAYERS_ENV_NAME]: '320x180@120000, 960x540@900000',
    });
    expect(config).toMatchObject({ fallbackPauseMs: 3000, fallbackResumeFactor: 2, stepUpAfterMs: DEFAULT_POLICY.stepUpAfterMs });
    expect(config.layers).toEqual([{ width: 320, height: 180, bitrate: 120_000 }, { width: 960, height: 540, bitrate: 900_000 }]);
  });

  it.each([
    [{ VISITWIRE_FALLBACK_PAUSE_MS: 'soon' }, /VISITWIRE_FALLBACK_PAUSE_MS: "soon" is not a number/],
    [{ VISITWIRE_STEP_DOWN_MS: '-5' }, /VISITWIRE_STEP_DOWN_MS/],
    [{ VISITWIRE_BWE_USABLE_FRACTION: '1.2' }, /VISITWIRE_BWE_USABLE_FRACTION/],
    [{ VISITWIRE_FALLBACK_RESUME_FACTOR: '0.8' }, /VISITWIRE_FALLBACK_RESUME_FACTOR/],
    [{ VISITWIRE_PRIORITY_NORMAL: '300' }, /VISITWIRE_PRIORITY_NORMAL/],
    [{ VISITWIRE_FALLBACK_RESUME_MAX_MS: '1000' }, /VISITWIRE_FALLBACK_RESUME_MAX_MS: fallbackResumeMaxMs must be >= fallbackResumeMs/],
    [{ VISITWIRE_QUALITY_POOR_SCORE: '9' }, /quality scores must be ordered/],
    [{ [LAYERS_ENV_NAME]: '640x360@500000,320x180@150000' }, /VISITWIRE_SIMULCAST_LAYERS: layers must grow/],
    [{ [LAYERS_ENV_NAME]: '320x180' }, /VISITWIRE_SIMULCAST_LAYERS: "320x180" is not WIDTHxHEIGHT@BPS/],
  ])('rejects %j naming the variable', (env, message) => {
    expect(() => policyConfigFromEnv(env)).toThrow(PolicyConfigError);
    expect(() => policyConfigFromEnv(env)).toThrow(message);
  });

  it('README documents every setting with its default', () => {
    const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    const row = (name: string, value: string) => new RegExp(`\\| \`${name}\` \\| ${value.replace(/[.]/g, '\\.')} \\|`);
    for (const [key, name] of Object.entries(ENV_NAMES)) {
      expect(readme, name).toMatch(row(name, String(DEFAULT_POLICY[key as keyof typeof ENV_NAMES])));
    }
    const ladder = DEFAULT_POLICY.layers.map((l) => `${l.width}x${l.height}@${l.bitrate}`).join(',');
    expect(readme).toMatch(row(LAYERS_ENV_NAME, ladder));
  });
});
