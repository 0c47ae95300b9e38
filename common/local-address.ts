import type { NetworkInterfaceInfo } from 'node:os';

/**
 * Where `npm start` listens for WebRTC when nothing is set. Firefox never pairs
 * a loopback server candidate with its own (non-loopback) candidates, so a
 * local demo announced on 127.0.0.1 fails in a stock Firefox. Without
 * VISITWIRE_RTC_LISTEN_IP and VISITWIRE_ANNOUNCED_ADDRESS the demo listens on,
 * and announces, the machine's first non-internal IPv4 address, which every
 * browser on this machine reaches; loopback only when there is none.
 * `visitwire node` (production) never guesses: its settings stay explicit.
 */
export interface LocalRtcAddress {
  listenIp: string;
  announcedAddress?: string;
  /** Lines for the start banner: what was chosen, and how to override it. */
  notes: string[];
}

type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

const isLinkLocal = (address: string) => address.startsWith('169.254.');

export function localRtcAddress(env: NodeJS.ProcessEnv, interfaces: Interfaces): LocalRtcAddress | undefined {
  if (env.VISITWIRE_RTC_LISTEN_IP || env.VISITWIRE_ANNOUNCED_ADDRESS) return undefined;
  const remote = 'Clients on other machines need VISITWIRE_ANNOUNCED_ADDRESS=<an address they reach> (with VISITWIRE_RTC_LISTEN_IP=0.0.0.0).';
  for (const [name, infos] of Object.entries(interfaces)) {
    const v4 = (infos ?? []).find((i) => i.family === 'IPv4' && !i.internal && !isLinkLocal(i.address));
    if (!v4) continue;
    return {
      listenIp: v4.address,
      notes: [
        `WebRTC media on ${v4.address} (${name}, this machine's first non-loopback IPv4 address), reachable by every browser on this machine;`
          + ' set VISITWIRE_RTC_LISTEN_IP or VISITWIRE_ANNOUNCED_ADDRESS to choose another.',
        remote,
      ],
    };
  }
  return {
    listenIp: '127.0.0.1',
    notes: [
      'WebRTC media on 127.0.0.1: this machine has no non-loopback IPv4 address. Chromium connects;'
        + ' Firefox needs the about:config pref media.peerconnection.ice.loopback=true.',
      remote,
    ],
  };
}
