/**
 * Merkle–Damgård framing shared by MD5, SHA-1 and SHA-256: 64-byte blocks, a one-block carry
 * buffer, and the final padding (0x80, zeros, 64-bit bit length). Subclasses supply the
 * compression function and the output encoding. Whole blocks are compressed straight from the
 * caller's array (no copy); only a partial block is buffered, so memory per instance is fixed.
 */
export abstract class BlockHash {
  /** Carry buffer for a partial block. */
  readonly #buf = new Uint8Array(64);
  /** Bytes currently held in `#buf` (0..63). */
  #bufLen = 0;
  /** Total message length in bytes (exact up to 2^53). */
  #total = 0;
  /** Set once `digest()` ran: the instance is then spent. */
  #done = false;

  /** Length field byte order in the padding: MD5 is little-endian, the SHA family big-endian. */
  protected abstract readonly littleEndian: boolean;
  /** Compresses the 64-byte block at `b[off, off + 64)` into the state. */
  protected abstract compress(b: Uint8Array, off: number): void;
  /** Serialises the state into the digest bytes. */
  protected abstract output(): Uint8Array;

  /** Appends `d` to the message. Throws TypeError after `digest()`. */
  update(d: Uint8Array): this {
    if (this.#done) throw new TypeError('hash: update() after digest()');
    if (!(d instanceof Uint8Array)) throw new TypeError('hash: data must be a Uint8Array');
    let i = 0;
    const n = d.length;
    this.#total += n;
    const buf = this.#buf;
    if (this.#bufLen > 0) {
      const take = Math.min(64 - this.#bufLen, n);
      buf.set(d.subarray(0, take), this.#bufLen);
      this.#bufLen += take;
      i = take;
      if (this.#bufLen < 64) return this;
      this.compress(buf, 0);
      this.#bufLen = 0;
    }
    for (; i + 64 <= n; i += 64) this.compress(d, i);
    if (i < n) {
      buf.set(d.subarray(i), 0);
      this.#bufLen = n - i;
    }
    return this;
  }

  /** Finishes the hash and returns the digest (a new array). The instance cannot be reused. */
  digest(): Uint8Array {
    if (this.#done) throw new TypeError('hash: digest() called twice');
    this.#done = true;
    const buf = this.#buf;
    let len = this.#bufLen;
    buf[len++] = 0x80;
    if (len > 56) {
      buf.fill(0, len, 64);
      this.compress(buf, 0);
      len = 0;
    }
    buf.fill(0, len, 56);
    // Bit length as 64 bits: low word from the low 29 bits of the byte count, high word the rest.
    const lo = (this.#total * 8) >>> 0;
    const hi = Math.floor(this.#total / 0x20000000) >>> 0;
    if (this.littleEndian) {
      buf[56] = lo; buf[57] = lo >>> 8; buf[58] = lo >>> 16; buf[59] = lo >>> 24;
      buf[60] = hi; buf[61] = hi >>> 8; buf[62] = hi >>> 16; buf[63] = hi >>> 24;
    } else {
      buf[56] = hi >>> 24; buf[57] = hi >>> 16; buf[58] = hi >>> 8; buf[59] = hi;
      buf[60] = lo >>> 24; buf[61] = lo >>> 16; buf[62] = lo >>> 8; buf[63] = lo;
    }
    this.compress(buf, 0);
    return this.output();
  }
}

/** Writes the 32-bit words of `h` big-endian into a new array of `4 * h.length` bytes. */
export function wordsBE(h: Int32Array): Uint8Array {
  const out = new Uint8Array(h.length * 4);
  for (let i = 0; i < h.length; i++) {
    const v = h[i]!;
    out[i * 4] = v >>> 24; out[i * 4 + 1] = v >>> 16; out[i * 4 + 2] = v >>> 8; out[i * 4 + 3] = v;
  }
  return out;
}
