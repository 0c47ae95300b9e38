import { describe, expect, it } from 'vitest';
import { chooseIceServers } from './options.ts';

describe('chooseIceServers', () => {
  const app = [{ urls: 'turns:app.example:443?transport=tcp', username: 'a', credential: 'a' }];
  const node = [{ urls: 'turns:turn-eu.example:443?transport=tcp', username: '1800000000:pt-1', credential: 'n' }];
  const router = [{ urls: 'stun:stun.example:3478' }];
  it.each([
    ['the app\'s, when it gave some', app, node, router, app],
    ['else the node\'s (the TURN beside it)', [], node, router, node],
    ['else the router\'s', [], [], router, router],
    ['else the router\'s, from a node that sends none (an older node)', [], undefined, router, router],
    ['none at all', [], [], [], []],
  ])('%s', (_what, fromApp, fromNode, fromRouter, expected) => {
    expect(chooseIceServers(fromApp, fromNode, fromRouter)).toEqual(expected);
  });
});
