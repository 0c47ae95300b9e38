import { BlockList, isIP } from 'node:net';

export type IpFamily = 'ipv4' | 'ipv6';

/**
 * Canonical form of an address as found in sockets and X-Forwarded-For:
 * trims, drops brackets, ports and zone ids, turns IPv4-mapped IPv6
 * (`::ffff:1.2.3.4`) into IPv4. null when it is not an IP address.
 */
export function normalizeIp(raw: string): string | null {
  let ip = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(ip);
  if (bracketed) ip = bracketed[1]!;
  else if (/^[\d.]+:\d+$/.test(ip)) ip = ip.slice(0, ip.indexOf(':'));
  ip = ip.replace(/%[\w.-]+$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) ip = mapped[1]!;
  const family = isIP(ip);
  if (family === 0) return null;
  return family === 6 ? ip.toLowerCase() : ip;
}

export function ipFamily(ip: string): IpFamily {
  return isIP(ip) === 6 ? 'ipv6' : 'ipv4';
}

const NON_PUBLIC_V4 = ([
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 3],
] as const).map(([net, prefix]) => ({ net: ipv4ToInt(net), shift: 32 - prefix }));

const NON_PUBLIC_V6 = new BlockList();
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['2001:db8::', 32],
] as const) NON_PUBLIC_V6.addSubnet(net, prefix, 'ipv6');

/** Private, loopback, link-local, documentation, multicast or reserved: no place on a map. */
export function isNonPublicIp(ip: string): boolean {
  if (ipFamily(ip) === 'ipv6') return NON_PUBLIC_V6.check(ip, 'ipv6');
  const n = ipv4ToInt(ip);
  // Compared as integers: BlockList.check costs as much as a GeoIP lookup.
  return NON_PUBLIC_V4.some(({ net, shift }) => (n ^ net) >>> shift === 0);
}

function ipv4ToInt(ip: string): number {
  const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number];
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}
