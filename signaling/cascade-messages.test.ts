import { describe, expect, it } from 'vitest';
import { CascadeMessage, diffState, type RemoteParticipant } from './cascade-messages.ts';

const p = (participantId: string, admission: 'waiting' | 'admitted', role: RemoteParticipant['role'] = 'patient'): RemoteParticipant => ({ participantId, userId: `u-${participantId}`, role, admission });

describe('diffState', () => {
  it.each<[string, RemoteParticipant[], RemoteParticipant[], { admitted: string[]; waitingChanged: boolean }]>([
    ['nothing changed', [p('a', 'admitted')], [p('a', 'admitted')], { admitted: [], waitingChanged: false }],
    ['an admitted participant joined', [], [p('a', 'admitted', 'provider')], { admitted: ['a'], waitingChanged: false }],
    ['a patient waits', [], [p('b', 'waiting')], { admitted: [], waitingChanged: true }],
    ['a waiting patient was admitted', [p('b', 'waiting')], [p('b', 'admitted')], { admitted: ['b'], waitingChanged: true }],
    ['a waiting patient left', [p('b', 'waiting')], [], { admitted: [], waitingChanged: true }],
    ['an admitted participant left (its leave came as its own event)', [p('a', 'admitted')], [], { admitted: [], waitingChanged: false }],
  ])('%s', (_name, before, after, expected) => {
    const change = diffState(before, after);
    expect({ admitted: change.admitted.map((x) => x.participantId), waitingChanged: change.waitingChanged }).toEqual(expected);
  });
});

describe('CascadeMessage', () => {
  it('takes a state and refuses an unknown event or an extra field', () => {
    const state = { type: 'state', from: 'nrt-1', url: 'http://127.0.0.1:9470', participants: [p('a', 'admitted')], producers: [{ producerId: 'x', participantId: 'a', kind: 'video', paused: false }] };
    expect(CascadeMessage.safeParse(state).success).toBe(true);
    expect(CascadeMessage.safeParse({ ...state, extra: 1 }).success).toBe(false);
    expect(CascadeMessage.safeParse({ type: 'tell', from: 'a', event: 'removed', data: {} }).success).toBe(false);
    expect(CascadeMessage.safeParse({ type: 'tell', from: 'a', event: 'networkQuality', data: { participantId: 'p', quality: 'good' } }).success).toBe(true);
  });

  it('takes what a node\'s viewers want of the producers piped in (a layer, or null for no video), bounded', () => {
    const state = { type: 'state', from: 'nrt-1', url: 'http://127.0.0.1:9470', participants: [], producers: [] };
    const wants = (spatialLayer: unknown, n = 1) => ({ ...state, wants: Array.from({ length: n }, (_, i) => ({ producerId: `x${i}`, spatialLayer })) });
    for (const ok of [state, wants(0), wants(null), wants(3)]) expect(CascadeMessage.safeParse(ok).success).toBe(true);
    for (const bad of [wants(4), wants(-1), wants(1.5), wants(0, 601)]) expect(CascadeMessage.safeParse(bad).success).toBe(false);
  });
});
