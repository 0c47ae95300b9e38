import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { iceServersFor, parseTurnUrls, turnCredentials } from './turn-credentials.ts';

describe('turnCredentials', () => {
  it('follows coturn use-auth-secret: username <expiry>:<user>, password base64 HMAC-SHA1 of it', () => {
    const c = turnCredentials('north-wing-turn-secret', 'pt-42', 1_800_000_000);
    expect(c.username).toBe('1800000000:pt-42');
    expect(c.credential).toBe(createHmac('sha1', 'north-wing-turn-secret').update('1800000000:pt-42').digest('base64'));
  });

  it('matches a credential computed by hand (openssl dgst -sha1 -hmac secret | base64)', () => {
    // printf '1700000000:dr-7' | openssl dgst -sha1 -hmac 'test-secret-0123456789' -binary | base64
    expect(turnCredentials('test-secret-0123456789', 'dr-7', 1_700_000_000).credential).toBe('dP9PBhY83IN0og8bCWnJKzsmv3w=');
  });

  it('differs per user, per expiry and per secret', () => {
    const base = turnCredentials('secret-one-0123456789', 'a', 100).credential;
    expect(turnCredentials('secret-one-0123456789', 'b', 100).credential).not.toBe(base);
    expect(turnCredentials('secret-one-0123456789', 'a', 101).credential).not.toBe(base);
    expect(turnCredentials('secret-two-0123456789', 'a', 100).credential).not.toBe(base);
  });
});

describe('iceServersFor', () => {
  const turn = { urls: ['turns:turn.example:443?transport=tcp', 'turn:turn.example:3478?transport=udp'], secret: 's'.repeat(20) };

  it('gives the TURN URLs with credentials that expire with the token', () => {
    const [server] = iceServersFor(turn, { sub: 'pt-1', exp: 1_900_000_000 });
    expect(server).toMatchObject({ urls: turn.urls, username: '1900000000:pt-1', credential: expect.any(String) });
  });

  it('keeps fixed servers first, and gives only them without TURN', () => {
    const stun = { urls: 'stun:stun.example:3478' };
    expect(iceServersFor(turn, { sub: 'x', exp: 1 }, [stun])).toHaveLength(2);
    expect(iceServersFor(undefined, { sub: 'x', exp: 1 }, [stun])).toEqual([stun]);
    expect(iceServersFor(undefined, { sub: 'x', exp: 1 })).toEqual([]);
  });
});

describe('parseTurnUrls', () => {
  it('takes turn: and turns: URLs, comma-separated', () => {
    expect(parseTurnUrls('turns:turn.example:443?transport=tcp, turn:10.0.0.5:3478?transport=udp,turn:[2001:db8::1]:3478'))
      .toEqual(['turns:turn.example:443?transport=tcp', 'turn:10.0.0.5:3478?transport=udp', 'turn:[2001:db8::1]:3478']);
  });

  it.each([
    ['', /no TURN URL/],
    ['stun:stun.example:3478', /not a TURN URL/],
    ['https://turn.example', /not a TURN URL/],
    ['turns:turn.example:443?transport=udp', /TLS, which is TCP/],
    ['turn:turn.example:99999', /port out of range/],
  ])('refuses %j', (raw, message) => {
    expect(() => parseTurnUrls(raw)).toThrow(message);
  });
});
