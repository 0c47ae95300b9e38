import { BlockList } from 'node:net';
import { ipFamily, normalizeIp } from './ip.ts';

/**
 * Parses trusted proxy entries (`10.0.0.0/8`, `2001:db8::/32`, or one address).
 * Throws on the first malformed entry.
 */
export function parseTrustedProxies(entries: readonly string[]): BlockList {
  const trusted = new BlockList();
  for (const entry of entries) {
    const [rawNet, rawPrefix, extra] = entry.trim().split('/');
    const net = normalizeIp(rawNet ?? '');
    if (!net || extra !== undefined) throw new TypeError(`trusted proxy "${entry}" is not an address or CIDR`);
    const family = ipFamily(net);
    const max = family === 'ipv4' ? 32 : 128;
    const prefix = rawPrefix === undefined ? max : Number(rawPrefix);
    if (!/^\d+$/.test(rawPrefix ?? String(max)) || prefix > max) {
      throw new TypeError(`trusted proxy "${entry}": prefix length must be 0-${max}`);
    }
    trusted.addSubnet(net, prefix, family);
  }
  return trusted;
}

/**
 * The client's address. X-Forwarded-For counts only when the socket peer is a
 * trusted proxy: walking the header from the right, each trusted hop passes
 * the question on, and the first untrusted address is the client. A malformed
 * entry stops the walk at the last address known good.
 */
export function clientAddress(
  remoteAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: BlockList,
): string | null {
  let client = normalizeIp(remoteAddress ?? '');
  if (!client || forwardedFor === undefined) return client;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
  for (let i = hops.length - 1; i >= 0 && isTrusted(client, trusted); i--) {
    const hop = hops[i]!.trim();
    if (hop === '') continue;
    const ip = normalizeIp(hop);
    if (!ip) break;
    client = ip;
  }
  return client;
}

function isTrusted(ip: string, trusted: BlockList): boolean {
  return trusted.check(ip, ipFamily(ip));
}
