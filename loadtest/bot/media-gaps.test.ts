import { describe, expect, it } from 'vitest';
import { MediaGaps } from './media-gaps.ts';

describe('MediaGaps', () => {
  it('records silences longer than 100 ms per kind, and the longest one in a window', () => {
    const g = new MediaGaps();
    for (const t of [0, 20, 40, 60]) g.onPacket('audio', t);
    g.onPacket('audio', 900); // 840 ms without audio
    g.onPacket('video', 0);
    g.onPacket('video', 90);
    expect(g.gaps).toEqual([{ kind: 'audio', fromMs: 60, toMs: 900 }]);
    expect(g.longest('audio', 0, 1000)).toBe(840);
    expect(g.longest('audio', 950, 960)).toBe(0);
    expect(g.longest('video', 0, 100)).toBe(0);
    // Still silent at the end of the window: counted up to it.
    expect(g.longest('video', 0, 600)).toBe(510);
  });

  it('tells when media came back after an interruption, packets in flight at the instant notwithstanding', () => {
    const g = new MediaGaps();
    for (let t = 0; t <= 1040; t += 20) g.onPacket('audio', t); // the node dies at 1000; packets in flight until 1040
    expect(g.backAfter('audio', 1000, 1500)).toBeUndefined();
    g.onPacket('audio', 4200);
    expect(g.backAfter('audio', 1000, 4300)).toBe(4200);
    const steady = new MediaGaps();
    for (let t = 0; t <= 2000; t += 20) steady.onPacket('audio', t);
    expect(steady.backAfter('audio', 1000, 2010)).toBe(1000);
  });
});
