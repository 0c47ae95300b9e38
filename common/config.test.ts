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
      VISITWIRE_RTC_LISTEN_IP: '0.0.0.0', VISITWIRE_ANNOUNCED_ADDRESS: '203.0.113.7', VISITWIRE_PIPE_ADDRESS: '10.0.0.7', VISITWIRE_RTC_PORT: '41000' });
    expect(c).toMatchObject({ port: 9000, host: '0.0.0.0', secret: 'a-secret-of-sixteen+' });
    expect(c.media).toMatchObject({ workers: 3, listenIp: '0.0.0.0', announcedAddress: '203.0.113.7', pipeAddress: '10.0.0.7', rtcPort: 41000 });
  });

  it('names each bad variable', () => {
    expect(() => configFromEnv({ PORT: 'eighty', VISITWIRE_SECRET: 'short' })).toThrow(/PORT[\s\S]*VISITWIRE_SECRET: VISITWIRE_SECRET must be at least 16/);
    expect(() => configFromEnv({ VISITWIRE_PIPE_ADDRESS: 'node-eu' })).toThrow(/VISITWIRE_PIPE_ADDRESS: must be an IP address/);
  });

  it('reads TURN and TLS settings', () => {
    const c = configFromEnv({ VISITWIRE_TURN_URLS: 'turns:turn.example:443?transport=tcp,turn:turn.example:3478?transport=udp', VISITWIRE_TURN_SECRET: 'coturn-static-auth-secret',
      VISITWIRE_TLS_CERT: 'cert.pem', VISITWIRE_TLS_KEY: 'key.pem' });
    expect(c.turn).toEqual({ urls: ['turns:turn.example:443?transport=tcp', 'turn:turn.example:3478?transport=udp'], secret: 'coturn-static-auth-secret' });
    expect(c.tls).toEqual({ certFile: 'cert.pem', keyFile: 'key.pem' });
    expect(configFromEnv({})).toMatchObject({ turn: undefined, tls: undefined });
  });

  it('refuses half a TURN or TLS setting, a bad TURN URL and a short TURN secret', () => {
    expect(() => configFromEnv({ VISITWIRE_TURN_URLS: 'turns:turn.example:443' })).toThrow(/VISITWIRE_TURN_URLS and VISITWIRE_TURN_SECRET go together/);
    expect(() => configFromEnv({ VISITWIRE_TLS_KEY: 'key.pem' })).toThrow(/VISITWIRE_TLS_CERT and VISITWIRE_TLS_KEY go together/);
    expect(() => configFromEnv({ VISITWIRE_TURN_URLS: 'stun:x:3478', VISITWIRE_TURN_SECRET: 'coturn-static-auth-secret' })).toThrow(/VISITWIRE_TURN_URLS: "stun:x:3478" is not a TURN URL/);
    expect(() => configFromEnv({ VISITWIRE_TURN_URLS: 'turn:x', VISITWIRE_TURN_SECRET: 'short' })).toThrow(/VISITWIRE_TURN_SECRET must be at least 16/);
  });
});
