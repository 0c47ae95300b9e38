import { describe, expect, it } from 'vitest';
import { corsHeaders, originAllowed, parseAllowedOrigins } from './origins.ts';

const clinic = parseAllowedOrigins('https://clinic.example, http://127.0.0.1:3000');

describe('parseAllowedOrigins', () => {
  it.each([
    [undefined, '*'],
    ['', '*'],
    ['*', '*'],
  ])('reads %j as any origin', (raw, expected) => expect(parseAllowedOrigins(raw)).toBe(expected));

  it('reads a comma-separated list', () => expect([...clinic as Set<string>]).toEqual(['https://clinic.example', 'http://127.0.0.1:3000']));

  it.each(['clinic.example', 'https://clinic.example/', 'https://clinic.example/app', 'ftp://clinic.example', 'https://*.example'])('refuses %j', (raw) => {
    expect(() => parseAllowedOrigins(raw)).toThrow(/is not an origin/);
  });
});

describe('originAllowed and corsHeaders', () => {
  it.each([
    ['any origin, from anywhere', '*', 'https://evil.example', true, { 'Access-Control-Allow-Origin': '*' }],
    ['a listed origin', clinic, 'https://clinic.example', true, { 'Access-Control-Allow-Origin': 'https://clinic.example', Vary: 'Origin' }],
    ['an origin not listed', clinic, 'https://evil.example', false, { Vary: 'Origin' }],
    ['a listed host on another port', clinic, 'http://127.0.0.1:3001', false, { Vary: 'Origin' }],
    ['the http twin of a listed https origin', clinic, 'http://clinic.example', false, { Vary: 'Origin' }],
    ['a request with no Origin (not a browser page)', clinic, undefined, true, { Vary: 'Origin' }],
  ] as const)('%s', (_name, allowed, origin, ok, headers) => {
    expect(originAllowed(allowed, origin)).toBe(ok);
    expect(corsHeaders(allowed, origin)).toEqual(headers);
  });
});
