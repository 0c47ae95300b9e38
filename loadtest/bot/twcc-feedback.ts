/**
 * Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01)
 * for a whole receive transport, so that mediasoup's bandwidth estimation,
 * and with it simulcast layer selection, works for bots as for browsers.
 *
 * werift keeps one feedback generator per m-line, each blind to the other
 * m-lines' sequence numbers (and to the SFU's probing packets), which would
 * report most packets lost; the bot therefore turns werift's off and runs this
 * one on every decrypted packet of the transport.
 */
const INTERVAL_MS = 100;
const MAX_PACKETS_PER_FEEDBACK = 1000;

export class TwccFeedback {
  /** Extended sequence number → arrival, microseconds. */
  private readonly arrivals = new Map<number, number>();
  private highest = -1;
  private nextBase = -1;
  private count = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly epoch = performance.now();

  constructor(private readonly senderSsrc: number, private readonly send: (rtcp: Buffer) => void) {
    this.timer = setInterval(() => this.flush(), INTERVAL_MS);
  }

  onPacket(seq16: number): void {
    const arrivalUs = Math.round((performance.now() - this.epoch) * 1000);
    const seq = this.extend(seq16);
    if (this.nextBase >= 0 && seq < this.nextBase) return; // already reported
    this.arrivals.set(seq, arrivalUs);
    if (this.nextBase < 0) this.nextBase = seq;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private extend(seq16: number): number {
    if (this.highest < 0) {
      this.highest = seq16;
      return seq16;
    }
    const last16 = this.highest & 0xffff;
    let diff = seq16 - last16;
    if (diff > 0x8000) diff -= 0x10000;
    else if (diff < -0x8000) diff += 0x10000;
    const seq = this.highest + diff;
    if (seq > this.highest) this.highest = seq;
    return seq;
  }

  private flush(): void {
    if (this.arrivals.size === 0) return;
    const base = this.nextBase;
    const end = Math.min(this.highest, base + MAX_PACKETS_PER_FEEDBACK - 1);
    const statuses: number[] = [];
    const deltas: number[] = [];
    let firstUs = -1;
    for (let s = base; s <= end; s++) {
      const at = this.arrivals.get(s);
      if (at !== undefined && firstUs < 0) firstUs = at;
    }
    if (firstUs < 0) return;
    const referenceTime = Math.floor(firstUs / 64_000);
    let prevTicks = referenceTime * 256; // 250 µs ticks
    for (let s = base; s <= end; s++) {
      const at = this.arrivals.get(s);
      if (at === undefined) { statuses.push(0); continue; }
      const ticks = Math.round(at / 250);
      const d = ticks - prevTicks;
      prevTicks = ticks;
      statuses.push(isSmall(d) ? 1 : 2);
      deltas.push(Math.max(-32768, Math.min(32767, d)));
      this.arrivals.delete(s);
    }
    this.nextBase = end + 1;
    this.send(this.packet(base & 0xffff, statuses, deltas, referenceTime));
  }

  private packet(base: number, statuses: number[], deltas: number[], referenceTime: number): Buffer {
    const chunks: number[] = [];
    for (let i = 0; i < statuses.length; i += 7) {
      let chunk = 0xc000; // status vector, two-bit symbols
      for (let j = 0; j < 7; j++) chunk |= (statuses[i + j] ?? 0) << (12 - 2 * j);
      chunks.push(chunk);
    }
    const deltaBytes = deltas.reduce((n, d) => n + (isSmall(d) ? 1 : 2), 0);
    const body = 8 + 8 + chunks.length * 2 + deltaBytes;
    const padding = (4 - (body + 4) % 4) % 4;
    const buf = Buffer.alloc(4 + body + padding);
    buf[0] = 0x80 | (padding ? 0x20 : 0) | 15;
    buf[1] = 205;
    buf.writeUInt16BE(buf.length / 4 - 1, 2);
    buf.writeUInt32BE(this.senderSsrc >>> 0, 4);
    buf.writeUInt32BE(0, 8);
    buf.writeUInt16BE(base, 12);
    buf.writeUInt16BE(statuses.length, 14);
    buf.writeUIntBE(referenceTime & 0xffffff, 16, 3);
    buf[19] = this.count++ & 0xff;
    let at = 20;
    for (const c of chunks) { buf.writeUInt16BE(c, at); at += 2; }
    deltas.forEach((d) => {
      if (isSmall(d)) buf[at++] = d;
      else { buf.writeInt16BE(d, at); at += 2; }
    });
    if (padding) buf[buf.length - 1] = padding;
    return buf;
  }
}

/** A receive delta that fits the one-byte form (0 to 63.75 ms). */
function isSmall(ticks: number): boolean {
  return ticks >= 0 && ticks <= 255;
}
