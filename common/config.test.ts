import { describe, expect, it } from 'vitest';
import { configFromEnv } from './config.ts';

describe('configuration from the environment', () => {
  it('runs with no variables at all', () => {
    const c = configFromEnv({});
    expect(c).toMatchObject({ port: 8080, host: '127.0.0.1', secret: undefined, maxParticipantsPerVisit: 10 });
    expect(c.media.workers).toBeGreaterThanOrEqual(1);
    expect(c.media.rtcPort).toBe(40000);
  });

  it('reads every setting', () => {
    const c = configFromEnv({ PORT: '9000', HOST: '0.0.0.0', VISITWIRE_SECRET: 'a-secret-of-sixteen+', VISITWIRE_WORKERS: '3',
      VISITWIRE_RTC_LISTEN_IP: '0.0.0.0', VISITWIRE_ANNOUNCED_ADDRESS: '203.0.113.7', VISITWIRE_RTC_PORT: '41000' });
    expect(c).toMatchObject({ port: 9000, host: '0.0.0.0', secret: 'a-secret-of-sixteen+' });
    expect(c.media).toMatchObject({ workers: 3, listenIp: '0.0.0.0', announcedAddress: '203.0.113.7', rtcPort: 41000 });
  });

  it('names each bad variable', () => {
    expect(() => configFromEnv({ PORT: 'eighty', VISITWIRE_SECRET: 'short' })).toThrow(/PORT[\s\S]*VISITWIRE_SECRET: VISITWIRE_SECRET must be at least 16/);
  });
});
