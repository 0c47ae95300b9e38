import type { types } from 'mediasoup';
import { counter, histogram, startAtZero } from '../common/metrics.ts';
import { SlotCpuTotals, StreamCounters, type StreamTotals } from './stream-counters.ts';
import { onConsumerTrace } from './consumer-trace.ts';
import type { WorkerPool } from './worker-pool.ts';

/**
 * The media plane's Prometheus metrics. Figures come from what the adaptation
 * loop already reads (video producer stats every `layerStatsMs`, consumer scores,
 * downlink estimates) and, every `metricsStatsMs`, consumer and audio producer stats; labels
 * are kinds, directions and reasons only, never ids.
 */
const bytes = counter('visitwire_rtp_bytes_total', 'RTP bytes received from publishers (in) and sent to viewers (out)', ['direction', 'kind']);
const packets = counter('visitwire_rtp_packets_total', 'RTP packets received from publishers (in) and sent to viewers (out)', ['direction', 'kind']);
const lost = counter('visitwire_rtp_packets_lost_total', 'RTP packets lost: from publishers to the SFU (in), from the SFU to viewers as their receiver reports say (out)', ['direction', 'kind']);
const nacks = counter('visitwire_rtp_nacks_total', 'NACKs: sent to publishers (in), received from viewers (out)', ['direction', 'kind']);
const keyframeRequests = counter('visitwire_rtp_keyframe_requests_total', 'PLI and FIR: sent to publishers (in), received from viewers (out)', ['direction', 'type']);
const rtt = histogram('visitwire_rtt_seconds', 'Round-trip time to viewers, per consumer, sampled every stats round', [0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6]);
const jitter = histogram('visitwire_jitter_seconds', 'Jitter of publishers\' streams at the SFU, sampled every stats round', [0.001, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16], ['kind']);
const downlink = histogram('visitwire_downlink_estimate_bps', 'Bandwidth estimate of each viewer\'s receive transport, sampled every adaptation round', [100e3, 200e3, 300e3, 500e3, 800e3, 1.2e6, 2e6, 3e6, 5e6]);
const score = histogram('visitwire_consumer_score', 'mediasoup consumer score (0 bad .. 10 perfect), sampled every adaptation round', [1, 3, 5, 7, 9, 10], ['kind']);
const layerSwitches = counter('visitwire_layer_switches_total', 'Simulcast layer changes the policy made for a viewer', ['direction']);
const videoPauses = counter('visitwire_video_pauses_total', 'Video paused: bandwidth (a viewer\'s downlink), sender-network (a publisher\'s uplink), muted (the publisher)', ['reason']);
const firstPacket = histogram('visitwire_first_packet_seconds', 'From consume to the first RTP packet sent to the viewer', [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8], ['kind']);
const workerDeaths = counter('visitwire_worker_deaths_total', 'mediasoup workers that died (each is respawned)');
startAtZero(videoPauses, [{ reason: 'bandwidth' }, { reason: 'sender-network' }, { reason: 'muted' }]);
startAtZero(layerSwitches, [{ direction: 'up' }, { direction: 'down' }]);

const STAT_FIELDS: Array<[keyof StreamTotals, (s: types.RtpStreamRecvStats | types.RtpStreamSendStats) => number]> = [
  ['bytes', (s) => s.byteCount], ['packets', (s) => s.packetCount], ['lost', (s) => Math.max(0, s.packetsLost)],
  ['nacks', (s) => s.nackCount], ['plis', (s) => s.pliCount], ['firs', (s) => s.firCount],
];

function add(direction: 'in' | 'out', kind: string, d: StreamTotals): void {
  bytes.inc({ direction, kind }, d.bytes);
  packets.inc({ direction, kind }, d.packets);
  lost.inc({ direction, kind }, d.lost);
  nacks.inc({ direction, kind }, d.nacks);
  keyframeRequests.inc({ direction, type: 'pli' }, d.plis);
  keyframeRequests.inc({ direction, type: 'fir' }, d.firs);
}

const totalsOf = (s: types.RtpStreamRecvStats | types.RtpStreamSendStats) => Object.fromEntries(STAT_FIELDS.map(([f, read]) => [f, read(s)])) as unknown as StreamTotals;

/** One visit's stream counters (owned by its adaptation loop, forgotten with it). */
export class VisitMediaMetrics {
  private readonly streams = new StreamCounters();
  private readonly seen = new Set<string>();

  /** Inbound stats of a producer (every encoding): bytes, packets, loss, NACK/PLI/FIR sent, jitter. */
  producerStats(producer: types.Producer, stats: types.ProducerStat[]): void {
    const clockRate = producer.rtpParameters.codecs[0]?.clockRate ?? 90000;
    for (const s of stats) {
      const key = `${producer.id}/${s.ssrc}`;
      this.seen.add(key);
      add('in', producer.kind, this.streams.delta(key, totalsOf(s)));
      if (s.jitter > 0) jitter.observe({ kind: producer.kind }, s.jitter / clockRate);
    }
  }

  /** Outbound stats of a consumer: bytes, packets, loss the viewer reports, NACK/PLI/FIR received, RTT. */
  consumerStats(consumer: types.Consumer, stats: types.ConsumerStat[]): void {
    const out = stats.find((s) => s.type === 'outbound-rtp');
    if (!out) return;
    const key = `${consumer.id}/out`;
    this.seen.add(key);
    add('out', consumer.kind, this.streams.delta(key, totalsOf(out)));
    if (out.roundTripTime) rtt.observe(out.roundTripTime / 1000);
  }

  /** After a stats round: streams not read in it are forgotten. */
  endRound(): void {
    this.streams.prune(this.seen);
    this.seen.clear();
  }
}

export const mediaMetrics = {
  downlinkEstimate(bps: number | undefined): void { if (bps !== undefined) downlink.observe(bps); },
  consumerScore(kind: string, value: number): void { score.observe({ kind }, value); },
  layerSwitch(direction: 'up' | 'down'): void { layerSwitches.inc({ direction }); },
  videoPaused(reason: 'bandwidth' | 'sender-network' | 'muted'): void { videoPauses.inc({ reason }); },

  /** Times consume -> first RTP packet out: one mediasoup 'rtp' trace event, then tracing stops. */
  watchFirstPacket(consumer: types.Consumer): void {
    const started = performance.now();
    const stop = onConsumerTrace(consumer, 'rtp', () => {
      stop();
      firstPacket.observe({ kind: consumer.kind }, (performance.now() - started) / 1000);
    });
  },
};

/** Counts worker deaths. */
export function countWorkerDeaths(pool: WorkerPool): void {
  pool.on('workerDied', () => workerDeaths.inc());
}

/**
 * Each worker slot's CPU seconds, for a counter that never goes backwards
 * (`visitwire_worker_cpu_seconds_total{worker}`, worker = slot index): a
 * replaced worker's seconds stay in its slot's total.
 */
export function workerCpuTotals(pool: WorkerPool, cpuByPid: () => ReadonlyMap<number, number>): () => Array<[{ worker: string }, number]> {
  const totals = new SlotCpuTotals();
  return () => {
    const byPid = cpuByPid();
    return pool.all.flatMap((slot): Array<[{ worker: string }, number]> => {
      const seconds = byPid.get(slot.worker.pid);
      return seconds === undefined ? [] : [[{ worker: String(slot.index) }, totals.observe(slot.index, slot.worker.pid, seconds)]];
    });
  };
}
