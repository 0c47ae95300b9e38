import { describe, expect, it } from 'vitest';
import { localRtcAddress } from './local-address.ts';

const lo = { address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' } as const;
const v4 = (address: string) => ({ ...lo, address, internal: false, cidr: `${address}/24` });
const v6 = { ...lo, address: 'fe80::1', family: 'IPv6', internal: false, cidr: 'fe80::1/64', scopeid: 2 } as const;

describe('the WebRTC address of npm start without settings', () => {
  it.each([
    { name: 'first non-internal IPv4', ifs: { lo: [lo], eth0: [v6, v4('192.0.2.2')], eth1: [v4('198.51.100.9')] }, listenIp: '192.0.2.2' },
    { name: 'skips link-local and IPv6-only interfaces', ifs: { lo: [lo], usb0: [v4('169.254.3.4')], wlan0: [v6], eth1: [v4('10.1.2.3')] }, listenIp: '10.1.2.3' },
    { name: 'loopback only when there is nothing else', ifs: { lo: [lo], wlan0: [v6] }, listenIp: '127.0.0.1' },
    { name: 'loopback with no interfaces at all', ifs: {}, listenIp: '127.0.0.1' },
  ])('$name: listens on $listenIp and says how to override it', ({ ifs, listenIp }) => {
    const chosen = localRtcAddress({}, ifs);
    expect(chosen?.listenIp).toBe(listenIp);
    expect(chosen?.announcedAddress).toBeUndefined();
    expect(chosen?.notes.join('\n')).toMatch(/VISITWIRE_ANNOUNCED_ADDRESS/);
    expect(chosen?.notes.some((n) => n.includes('other machines'))).toBe(true);
    if (listenIp === '127.0.0.1') expect(chosen?.notes[0]).toContain('media.peerconnection.ice.loopback');
  });

  it.each([
    { VISITWIRE_RTC_LISTEN_IP: '127.0.0.1' },
    { VISITWIRE_ANNOUNCED_ADDRESS: 'media.example.org' },
    { VISITWIRE_RTC_LISTEN_IP: '0.0.0.0', VISITWIRE_ANNOUNCED_ADDRESS: '203.0.113.7' },
  ])('leaves explicit settings alone: %o', (env) => {
    expect(localRtcAddress(env, { eth0: [v4('192.0.2.2')] })).toBeUndefined();
  });
});
