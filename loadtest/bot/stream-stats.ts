/**
 * Receive statistics of one RTP stream, counted by the bot itself (RFC 3550
 * A.1 and A.8) rather than read from werift's getStats, whose loss counter
 * has shown impossible values (65536 lost where the SFU counted none).
 */
export interface StreamSample {
  /** Payload bitrate since the previous sample, bits per second. */
  bitrateBps: number;
  /** Packets lost / expected since the previous sample, 0..1 (after retransmissions). */
  lossRate: number;
  packets: number;
}

export class StreamStats {
  packets = 0;
  bytes = 0;
  /** Interarrival jitter in RTP clock units. */
  private jitter = 0;
  private baseSeq = -1;
  private maxSeq = 0;
  private cycles = 0;
  private lastTransit: number | undefined;
  private mark = { at: 0, packets: 0, bytes: 0, expected: 0 };

  constructor(private readonly clockRate: number) {}

  onPacket(seq: number, timestamp: number, payloadBytes: number, arrivalMs: number): void {
    this.packets++;
    this.bytes += payloadBytes;
    if (this.baseSeq < 0) {
      this.baseSeq = seq;
      this.maxSeq = seq;
      this.mark = { at: arrivalMs, packets: 0, bytes: 0, expected: 0 };
    } else {
      const ahead = (seq - this.maxSeq + 0x10000) & 0xffff;
      if (ahead > 0 && ahead < 0x8000) {
        if (seq < this.maxSeq) this.cycles += 0x10000;
        this.maxSeq = seq;
      }
    }
    const transit = (arrivalMs * this.clockRate) / 1000 - timestamp;
    if (this.lastTransit !== undefined) {
      let d = Math.abs(transit - this.lastTransit);
      if (d > 0x80000000) d = 0x100000000 - d; // timestamp wrapped
      this.jitter += (d - this.jitter) / 16;
    }
    this.lastTransit = transit;
  }

  get expected(): number {
    return this.baseSeq < 0 ? 0 : this.cycles + this.maxSeq - this.baseSeq + 1;
  }

  /** Cumulative packets lost; duplicates never make it negative. */
  get lost(): number {
    return Math.max(0, this.expected - this.packets);
  }

  get jitterMs(): number {
    return (this.jitter * 1000) / this.clockRate;
  }

  /** Bitrate and loss since the previous call. */
  sample(nowMs: number): StreamSample {
    const seconds = Math.max((nowMs - this.mark.at) / 1000, 0.001);
    const packets = this.packets - this.mark.packets;
    const expected = this.expected - this.mark.expected;
    const s = {
      bitrateBps: ((this.bytes - this.mark.bytes) * 8) / seconds,
      lossRate: expected > 0 ? Math.max(0, expected - packets) / expected : 0,
      packets,
    };
    this.mark = { at: nowMs, packets: this.packets, bytes: this.bytes, expected: this.expected };
    return s;
  }
}
