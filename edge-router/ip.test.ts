import { describe, expect, it } from 'vitest';
import { isNonPublicIp, normalizeIp } from './ip.ts';

describe('normalizeIp', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    [' 1.2.3.4 ', '1.2.3.4'],
    ['1.2.3.4:5678', '1.2.3.4'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::FFFF:81.2.69.142', '81.2.69.142'],
    ['2001:DB8::1', '2001:db8::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['', null],
    ['unknown', null],
    ['1.2.3', null],
    ['256.1.1.1', null],
    ['_hidden', null],
  ])('%j → %j', (raw, expected) => {
    expect(normalizeIp(raw)).toBe(expected);
  });
});

describe('isNonPublicIp', () => {
  it.each([
    ['127.0.0.1', true], ['10.20.30.40', true], ['172.16.0.1', true], ['172.32.0.1', false], ['192.168.1.1', true],
    ['169.254.1.1', true], ['100.64.0.1', true], ['0.0.0.0', true], ['224.0.0.1', true], ['203.0.113.9', true],
    ['::1', true], ['::', true], ['fd00::1', true], ['fe80::1', true], ['2001:db8::1', true],
    ['255.255.255.255', true], ['223.255.255.255', false], ['11.0.0.1', false], ['8.8.8.8', false], ['81.2.69.142', false], ['2001:4860:4860::8888', false],
  ])('%s → %s', (ip, expected) => {
    expect(isNonPublicIp(ip)).toBe(expected);
  });
});
