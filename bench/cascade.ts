/**
 * npm run bench:cascade — what piping a visit between two nodes costs, next
 * to a single-node visit, on this machine's loopback.
 *
 * Two mediasoup workers stand for two nodes (one router each). STREAMS
 * streams of 200 RTP packets/s of 1,000 bytes (1.6 Mbit/s, a 720p simulcast
 * layer's order) enter the publisher's node on plain transports.
 *   single node: each stream has one viewer on the publisher's node.
 *   piped:       each stream also crosses to the viewer's node over an SRTP
 *                PipeTransport pair (the calls sfu/cascade/visit-pipes.ts makes:
 *                createPipeTransport({ enableSrtp }), connect, consume, produce
 *                with the same id) and has one viewer there.
 * Prints the worker CPU (ms of CPU per second, from getrusage) per stream on
 * each node, the extra per piped stream, and the one-way latency from sender
 * to viewer socket (send time carried in the payload), p50 and p95, for a
 * viewer on the publisher's node and one across the pipe. Figures only.
 */
import dgram from 'node:dgram';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { MEDIA_CODECS } from '../sfu/codecs.ts';

const STREAMS = Number(process.env.CASCADE_STREAMS ?? 10);
const SECONDS = Number(process.env.CASCADE_SECONDS ?? 10);
const PPS = 200;
const PAYLOAD = 1000;
const MAGIC = 0x76697374;
const listenInfo = { protocol: 'udp' as const, ip: '127.0.0.1' };

const [publisherWorker, viewerWorker] = await Promise.all([mediasoup.createWorker({ logLevel: 'none' }), mediasoup.createWorker({ logLevel: 'none' })]);
const cpuMs = async (w: types.Worker) => { const u = await w.getResourceUsage(); return u.ru_utime + u.ru_stime; };

interface Sink { latencies: number[]; port: number; close(): void }
async function sink(): Promise<Sink> {
  const socket = dgram.createSocket('udp4');
  const latencies: number[] = [];
  socket.on('message', (msg) => {
    const at = msg.indexOf(Buffer.from([0x76, 0x69, 0x73, 0x74]), 12);
    if (at < 0) return;
    latencies.push(Number(process.hrtime.bigint() - msg.readBigUInt64BE(at + 4)) / 1e6);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { latencies, port: socket.address().port, close: () => socket.close() };
}

async function viewer(router: types.Router, producerId: string): Promise<Sink> {
  const s = await sink();
  const t = await router.createPlainTransport({ listenInfo, rtcpMux: true, comedia: false });
  await t.connect({ ip: '127.0.0.1', port: s.port });
  await t.consume({ producerId, rtpCapabilities: router.rtpCapabilities, paused: false });
  return s;
}

/** One stream into `router`: a plain transport, an Opus producer, and a socket that sends to it. */
async function stream(router: types.Router, ssrc: number) {
  const t = await router.createPlainTransport({ listenInfo, rtcpMux: true, comedia: true });
  const producer = await t.produce({
    kind: 'audio',
    rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], encodings: [{ ssrc }] },
  });
  const socket = dgram.createSocket('udp4');
  let seq = 0;
  const send = () => {
    const packet = Buffer.alloc(12 + PAYLOAD);
    packet[0] = 0x80;
    packet[1] = 100;
    packet.writeUInt16BE(seq++ & 0xffff, 2);
    packet.writeUInt32BE((seq * 240) >>> 0, 4);
    packet.writeUInt32BE(ssrc, 8);
    packet.writeUInt32BE(MAGIC, 12);
    packet.writeBigUInt64BE(process.hrtime.bigint(), 16);
    socket.send(packet, t.tuple.localPort, '127.0.0.1');
  };
  return { producer, start: () => setInterval(send, 1000 / PPS), close: () => socket.close() };
}

/** The pipe pair for one visit, as two nodes set it up through their internal API. */
async function pipePair(from: types.Router, to: types.Router) {
  const [out, into] = await Promise.all([
    from.createPipeTransport({ listenInfo, enableSrtp: true }),
    to.createPipeTransport({ listenInfo, enableSrtp: true }),
  ]);
  await Promise.all([
    out.connect({ ip: into.tuple.localAddress, port: into.tuple.localPort, srtpParameters: into.srtpParameters }),
    into.connect({ ip: out.tuple.localAddress, port: out.tuple.localPort, srtpParameters: out.srtpParameters }),
  ]);
  return { out, into };
}

async function run(piped: boolean) {
  const [a, b] = await Promise.all([publisherWorker.createRouter({ mediaCodecs: MEDIA_CODECS }), viewerWorker.createRouter({ mediaCodecs: MEDIA_CODECS })]);
  const pair = piped ? await pipePair(a, b) : undefined;
  const local: Sink[] = [];
  const remote: Sink[] = [];
  const streams = [];
  for (let i = 0; i < STREAMS; i++) {
    const s = await stream(a, 1000 + i);
    streams.push(s);
    local.push(await viewer(a, s.producer.id));
    if (pair) {
      const consumer = await pair.out.consume({ producerId: s.producer.id });
      const pipedProducer = await pair.into.produce({ id: s.producer.id, kind: consumer.kind, rtpParameters: consumer.rtpParameters, paused: consumer.producerPaused });
      remote.push(await viewer(b, pipedProducer.id));
    }
  }
  const timers = streams.map((s) => s.start());
  await new Promise((r) => setTimeout(r, 2000)); // warm up
  for (const s of [...local, ...remote]) s.latencies.length = 0;
  const [a0, b0] = await Promise.all([cpuMs(publisherWorker), cpuMs(viewerWorker)]);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const [a1, b1] = await Promise.all([cpuMs(publisherWorker), cpuMs(viewerWorker)]);
  timers.forEach(clearInterval);
  const result = {
    publisherNodeCpu: (a1 - a0) / SECONDS / STREAMS,
    viewerNodeCpu: (b1 - b0) / SECONDS / STREAMS,
    local: percentiles(local.flatMap((s) => s.latencies)),
    remote: percentiles(remote.flatMap((s) => s.latencies)),
  };
  for (const s of [...streams, ...local, ...remote]) s.close();
  a.close();
  b.close();
  return result;
}

function percentiles(values: number[]) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p95: at(0.95), packets: values.length };
}

const f = (n: number | undefined, digits = 2) => (n === undefined ? '-' : n.toFixed(digits));
process.stdout.write(`bench:cascade  ${STREAMS} streams x ${PPS} pkt/s x ${PAYLOAD} B, ${SECONDS} s per run, loopback\n`);
const single = await run(false);
const piped = await run(true);
process.stdout.write([
  '',
  'worker CPU, ms per second per stream',
  `  single node   publisher's node ${f(single.publisherNodeCpu)}   (producer + 1 local viewer)`,
  `  piped         publisher's node ${f(piped.publisherNodeCpu)}   viewer's node ${f(piped.viewerNodeCpu)}   (+ pipe out | pipe in + 1 viewer)`,
  `  extra per piped stream: publisher's node +${f(piped.publisherNodeCpu - single.publisherNodeCpu)}, viewer's node +${f(piped.viewerNodeCpu)} ms/s`,
  '',
  'one-way latency sender -> viewer socket, ms (p50 / p95)',
  `  single node viewer           ${f(single.local?.p50, 3)} / ${f(single.local?.p95, 3)}   (${single.local?.packets ?? 0} packets)`,
  `  viewer across the pipe       ${f(piped.remote?.p50, 3)} / ${f(piped.remote?.p95, 3)}   (${piped.remote?.packets ?? 0} packets)`,
  `  added by the pipe hop        ${f((piped.remote?.p50 ?? NaN) - (single.local?.p50 ?? NaN), 3)} / ${f((piped.remote?.p95 ?? NaN) - (single.local?.p95 ?? NaN), 3)}`,
  '',
].join('\n'));
publisherWorker.close();
viewerWorker.close();
