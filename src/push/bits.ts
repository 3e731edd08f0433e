/** MSB-first bit reader and writer for the bit-packed CDMA SMS fields (3GPP2 C.S0015). */
import { DecodeError } from '../errors';

/** Reads big-endian bit fields from `b[start, end)`; errors carry absolute byte offsets. */
export class BitReader {
  /** Current absolute bit position. */
  #bit: number;
  readonly #endBit: number;
  constructor(readonly b: Uint8Array, start: number, end: number, readonly state: string) {
    this.#bit = start * 8;
    this.#endBit = end * 8;
  }
  /** Bits left. */
  get remaining(): number {
    return this.#endBit - this.#bit;
  }
  /** Reads `n` (0..24) bits as an unsigned number. DecodeError 'truncated' past the end. */
  read(n: number): number {
    if (this.#bit + n > this.#endBit) {
      const at = this.#endBit >> 3;
      throw new DecodeError('truncated', `${this.state}: need ${n} more bit(s)`, at, at < this.b.length ? this.b[at]! : -1, this.state);
    }
    let v = 0;
    for (let i = 0; i < n; i++) {
      const bit = this.#bit++;
      v = (v << 1) | ((this.b[bit >> 3]! >> (7 - (bit & 7))) & 1);
    }
    return v >>> 0;
  }
  /** Reads `n` whole octets (at any bit alignment) into `out` from index 0. */
  readBytes(n: number, out: Uint8Array): void {
    for (let i = 0; i < n; i++) out[i] = this.read(8);
  }
}

/** Accumulates big-endian bit fields; `bytes()` pads the last octet with zero bits. */
export class BitWriter {
  readonly #out: number[] = [];
  #acc = 0;
  #n = 0;
  /** Appends the low `n` (0..24) bits of `v`. */
  write(v: number, n: number): this {
    for (let i = n - 1; i >= 0; i--) {
      this.#acc = (this.#acc << 1) | ((v >>> i) & 1);
      if (++this.#n === 8) { this.#out.push(this.#acc); this.#acc = 0; this.#n = 0; }
    }
    return this;
  }
  /** The octets written so far, zero-padded to a whole octet. */
  bytes(): Uint8Array {
    const out = this.#out.slice();
    if (this.#n > 0) out.push(this.#acc << (8 - this.#n));
    return Uint8Array.from(out);
  }
}
