/**
 * VP8's boolean entropy encoder (RFC 6386, section 7). The frame synthesiser
 * only writes the header literals with it; everything after is zero bits.
 */
export class BoolEncoder {
  private readonly out: number[] = [];
  private range = 255;
  private bottom = 0;
  private bitCount = 24;

  /** Writes one bool whose probability of being 0 is `prob`/256. */
  writeBool(prob: number, bit: boolean): void {
    const split = 1 + (((this.range - 1) * prob) >> 8);
    if (bit) {
      this.bottom += split;
      this.range -= split;
    } else {
      this.range = split;
    }
    while (this.range < 128) {
      this.range <<= 1;
      if (this.bottom >= 0x80000000) this.carry();
      this.bottom = (this.bottom * 2) % 0x100000000;
      if (--this.bitCount === 0) {
        this.out.push(Math.floor(this.bottom / 0x1000000) & 0xff);
        this.bottom %= 0x1000000;
        this.bitCount = 8;
      }
    }
  }

  /** An unsigned `bits`-wide literal, most significant bit first, each at probability one half. */
  writeLiteral(value: number, bits: number): void {
    for (let i = bits - 1; i >= 0; i--) this.writeBool(128, ((value >> i) & 1) === 1);
  }

  /**
   * Ends the stream so that the decoder's value is exactly zero from here on:
   * every later bool then decodes as 0 whatever its probability, so zero bytes
   * may follow for as long as the partition needs.
   */
  finish(): Buffer {
    for (let i = 0; i < 32; i++) this.writeBool(128, false);
    return Buffer.from(this.out);
  }

  private carry(): void {
    let i = this.out.length - 1;
    while (i >= 0 && this.out[i] === 255) this.out[i--] = 0;
    if (i >= 0) this.out[i]++;
  }
}
