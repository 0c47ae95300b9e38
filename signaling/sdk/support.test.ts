import { describe, expect, it } from 'vitest';
import { unsupportedReason } from './support.ts';

describe('browsers joinVisit cannot serve', () => {
  const ok = { isSecureContext: true, hasPeerConnection: true, hasGetUserMedia: true };
  it.each([
    { name: 'a modern browser on https', s: ok, reason: undefined },
    { name: 'a page without isSecureContext (old browser)', s: { ...ok, isSecureContext: undefined }, reason: undefined },
    { name: 'plain http on another host', s: { ...ok, isSecureContext: false, hasGetUserMedia: false }, reason: /secure context/ },
    { name: 'WebRTC disabled', s: { ...ok, hasPeerConnection: false }, reason: /RTCPeerConnection/ },
    { name: 'no camera API', s: { ...ok, hasGetUserMedia: false }, reason: /getUserMedia/ },
  ])('$name', ({ s, reason }) => {
    const r = unsupportedReason(s);
    if (reason === undefined) expect(r).toBeUndefined();
    else expect(r).toMatch(reason);
  });
});
