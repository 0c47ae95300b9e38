import { describe, expect, it } from 'vitest';
import { clientAddress, parseTrustedProxies } from './client-address.ts';

const trusted = parseTrustedProxies(['10.0.0.0/8', '127.0.0.1', '2001:db8:1::/48']);

describe('clientAddress', () => {
  it.each<[string, string | undefined, string | string[] | undefined, string | null]>([
    ['no header: the socket peer', '81.2.69.142', undefined, '81.2.69.142'],
    ['IPv4-mapped socket address', '::ffff:81.2.69.142', undefined, '81.2.69.142'],
    ['untrusted peer: its header is ignored', '81.2.69.142', '8.8.8.8', '81.2.69.142'],
    ['untrusted IPv4-mapped peer: its header is ignored', '::ffff:192.168.1.5', '8.8.8.8', '192.168.1.5'],
    ['trusted peer: the right-most entry', '10.1.2.3', '8.8.8.8', '8.8.8.8'],
    ['trusted mapped peer', '::ffff:127.0.0.1', '8.8.8.8', '8.8.8.8'],
    ['skips trusted hops from the right', '10.1.2.3', '1.0.16.1, 10.9.9.9, 10.8.8.8', '1.0.16.1'],
    ['stops at the first untrusted hop (a client cannot forge further left)', '10.1.2.3', '6.6.6.6, 8.8.8.8', '8.8.8.8'],
    ['several header lines', '10.1.2.3', ['1.0.16.1', '10.5.5.5'], '1.0.16.1'],
    ['ports and brackets', '10.1.2.3', '[2001:4860::1]:443, 8.8.8.8:5060', '8.8.8.8'],
    ['IPv6 trusted peer', '2001:db8:1::7', '81.2.69.142', '81.2.69.142'],
    ['malformed entry: the last good address', '10.1.2.3', '8.8.8.8, nonsense', '10.1.2.3'],
    ['empty entries are skipped', '10.1.2.3', '8.8.8.8, , ', '8.8.8.8'],
    ['all hops trusted: the left-most', '10.1.2.3', '10.0.0.9, 10.0.0.8', '10.0.0.9'],
    ['no socket address', undefined, '8.8.8.8', null],
  ])('%s', (_name, remote, xff, expected) => {
    expect(clientAddress(remote, xff, trusted)).toBe(expected);
  });

  it('trusts nothing by default', () => {
    expect(clientAddress('127.0.0.1', '8.8.8.8', parseTrustedProxies([]))).toBe('127.0.0.1');
  });
});

describe('parseTrustedProxies', () => {
  it.each([['10.0.0.0/33'], ['10.0.0.0/'], ['10.0.0.0/8/1'], ['nonsense'], ['2001:db8::/129'], ['10.0.0.0/x']])('rejects %j', (entry) => {
    expect(() => parseTrustedProxies([entry])).toThrow(/trusted proxy/);
  });

  it('accepts CIDRs and single addresses of both families', () => {
    const list = parseTrustedProxies(['192.168.0.0/16', '::1', 'fd00::/8', '::ffff:172.16.0.1']);
    expect(list.check('192.168.44.1', 'ipv4')).toBe(true);
    expect(list.check('::1', 'ipv6')).toBe(true);
    expect(list.check('fd12::1', 'ipv6')).toBe(true);
    expect(list.check('172.16.0.1', 'ipv4')).toBe(true);
    expect(list.check('172.16.0.2', 'ipv4')).toBe(false);
  });
});
