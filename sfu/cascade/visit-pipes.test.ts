import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaConfig } from '../../common/config.ts';
import { audioRtpParameters, simulcastVideoRtpParameters } from '../../test/helpers/fake-media.ts';
import { VisitMedia } from '../visit-media.ts';
import { WorkerPool } from '../worker-pool.ts';
import type { PeerCall, PipeEnd, VisitPipes } from './visit-pipes.ts';

/**
 * Two nodes' parts of one visit in one process, each on a real worker of its
 * own (a worker holds one producer per id, as a node does); the internal
 * API's HTTP hop is left out.
 */
const media: MediaConfig = { workers: 2, listenIp: '127.0.0.1', rtcPort: 0, initialAvailableOutgoingBitrate: 1e6, requestTimeoutMs: 5000 };
let pool: WorkerPool;

beforeAll(async () => {
  pool = new WorkerPool(media);
  await pool.start();
});
afterAll(async () => pool.close());

/** What node `to`'s internal API does for a peer node `from` (sfu/cascade/internal-api.ts). */
const callTo = (pipes: VisitPipes, from: string): PeerCall => async (path, body) => (path === '/internal/v1/pipes'
  ? pipes.acceptPipe(from, body as PipeEnd)
  : pipes.consumeFor(from, (body as { producerId: string }).producerId));

async function twoNodes(configOfA: MediaConfig = media) {
  const a = await VisitMedia.create(pool, configOfA, 'v');
  const b = await VisitMedia.create(pool, media, 'v');
  expect(b.slot).not.toBe(a.slot);
  const publisher = a.addParticipant('p-1');
  const { id: transportId } = await publisher.createTransport('send');
  const audio = await publisher.produce({ transportId, kind: 'audio', rtpParameters: audioRtpParameters(1111) as types.RtpParameters, source: 'microphone' });
  const video = await publisher.produce({ transportId, kind: 'video', rtpParameters: simulcastVideoRtpParameters(2222) as types.RtpParameters, source: 'camera' });
  return { a, b, publisher, audio, video, pull: (id: string) => b.pipes.pull('node-a', id, callTo(a.pipes, 'node-b')) };
}

const orphans = async (m: VisitMedia) => (await m.inspect()).orphans;

describe('VisitPipes', () => {
  it('pipes a producer to another node with its id, owner and every simulcast layer; one pipe per direction; nothing unowned', async () => {
    const { a, b, audio, video, pull } = await twoNodes();
    const pipeTransports: types.Transport[] = [];
    for (const m of [a, b]) m.router.observer.on('newtransport', (t) => pipeTransports.push(t));
    const [piped, again] = await Promise.all([pull(video.id), pull(video.id)]);
    expect(again).toBe(piped);
    await pull(audio.id);
    expect(piped).toMatchObject({ id: video.id, kind: 'video', appData: { participantId: 'p-1', source: 'camera', fromNode: 'node-a' } });
    expect(piped!.rtpParameters.encodings).toHaveLength(3);
    expect(b.findProducer(video.id)).toBe(piped);
    expect(a.pipes.pipedTo(video.id)).toEqual(['node-b']);
    expect(a.counts().pipes).toEqual({ transports: 1, producers: 0, consumers: 2 });
    expect(b.counts().pipes).toEqual({ transports: 1, producers: 2, consumers: 0 });
    expect(await orphans(a)).toEqual([]);
    expect(await orphans(b)).toEqual([]);
    // Media between nodes is encrypted: each side of the pipe runs SRTP.
    expect(pipeTransports).toHaveLength(2);
    for (const t of pipeTransports) expect((await t.dump() as types.PipeTransportDump).srtpParameters?.cryptoSuite).toMatch(/^AEAD_AES_256_GCM|AES_CM_128_HMAC_SHA1_80$/);
    a.close();
    b.close();
  });

  it('a pipe announces the pipe address (VISITWIRE_PIPE_ADDRESS), not the address clients are given', async () => {
    // Clients reach node a at 198.18.0.99 (say, a public NAT address); other nodes at 127.0.0.1.
    const { a, b, video, pull } = await twoNodes({ ...media, listenIp: '0.0.0.0', announcedAddress: '198.18.0.99', pipeAddress: '127.0.0.1' });
    const ends: types.TransportTuple[] = [];
    a.router.observer.on('newtransport', (t) => ends.push((t as types.PipeTransport).tuple));
    expect(await pull(video.id)).toMatchObject({ id: video.id });
    expect(ends.map((e) => e.localAddress)).toEqual(['127.0.0.1']);
    a.close();
    b.close();
  });

  it('a producer closing closes its pipe consumer; the piped copy closes when told; closing a peer closes its pipes', async () => {
    const { a, b, publisher, audio, video, pull } = await twoNodes();
    await Promise.all([pull(audio.id), pull(video.id)]);
    publisher.close();
    await expect.poll(() => a.counts().pipes.consumers).toBe(0);
    b.pipes.closeProducer(video.id);
    expect(b.counts().pipes).toMatchObject({ producers: 1 });
    b.pipes.closePeer('node-a');
    a.pipes.closePeer('node-b');
    expect(b.counts().pipes).toEqual({ transports: 0, producers: 0, consumers: 0 });
    expect(a.counts().pipes).toEqual({ transports: 0, producers: 0, consumers: 0 });
    expect(await orphans(a)).toEqual([]);
    expect(await orphans(b)).toEqual([]);
    a.close();
    b.close();
  });

  it('a failed pipe request leaves nothing half set up, and the next pull opens a new pipe', async () => {
    const { a, b, video } = await twoNodes();
    const failing: PeerCall = async () => { throw new Error('peer unreachable'); };
    await expect(b.pipes.pull('node-a', video.id, failing)).rejects.toThrow('peer unreachable');
    expect(b.counts().pipes).toEqual({ transports: 0, producers: 0, consumers: 0 });
    expect(await b.pipes.pull('node-a', video.id, callTo(a.pipes, 'node-b'))).toMatchObject({ id: video.id });
    a.close();
    b.close();
  });

  it('refuses to pipe an unknown producer, or to a node that opened no pipe', async () => {
    const { a, b, video } = await twoNodes();
    await expect(a.pipes.consumeFor('node-b', video.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(b.pipes.pull('node-a', 'no-such-producer', callTo(a.pipes, 'node-b'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    a.close();
    b.close();
  });

  it('the visit closing on one node closes its pipes; what it was asked for afterwards is refused', async () => {
    const { a, b, video, pull } = await twoNodes();
    await pull(video.id);
    b.close();
    expect(b.counts().pipes).toEqual({ transports: 0, producers: 0, consumers: 0 });
    await expect(b.pipes.pull('node-a', video.id, callTo(a.pipes, 'node-b'))).rejects.toThrow();
    a.close();
  });
});
