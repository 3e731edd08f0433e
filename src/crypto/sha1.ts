/** SHA-1 (FIPS 180-4). Used for HMAC-SHA1 (DM bootstrap MAC) and content checks. */
import { BlockHash, wordsBE } from './block';

/** Streaming SHA-1: `new Sha1().update(a).digest()` → 20 bytes. `digest()` may be called once. */
export class Sha1 extends BlockHash {
  protected readonly littleEndian = false;
  /** Chaining state H0..H4. */
  readonly #h = new Int32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]);
  /** Message schedule W0..W79. */
  readonly #w = new Int32Array(80);

  protected compress(b: Uint8Array, off: number): void {
    const w = this.#w;
    for (let i = 0; i < 16; i++, off += 4) w[i] = (b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!;
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
      w[i] = (x << 1) | (x >>> 31);
    }
    const h = this.#h;
    let a = h[0]!, bb = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!;
    // One loop per 20-step stage (no per-step branch).
    let i = 0;
    for (; i < 20; i++) {
      const t = (((a << 5) | (a >>> 27)) + ((bb & c) | (~bb & d)) + e + 0x5a827999 + w[i]!) | 0;
      e = d; d = c; c = (bb << 30) | (bb >>> 2); bb = a; a = t;
    }
    for (; i < 40; i++) {
      const t = (((a << 5) | (a >>> 27)) + (bb ^ c ^ d) + e + 0x6ed9eba1 + w[i]!) | 0;
      e = d; d = c; c = (bb << 30) | (bb >>> 2); bb = a; a = t;
    }
    for (; i < 60; i++) {
      const t = (((a << 5) | (a >>> 27)) + ((bb & c) | (bb & d) | (c & d)) + e - 0x70e44324 + w[i]!) | 0;
      e = d; d = c; c = (bb << 30) | (bb >>> 2); bb = a; a = t;
    }
    for (; i < 80; i++) {
      const t = (((a << 5) | (a >>> 27)) + (bb ^ c ^ d) + e - 0x359d3e2a + w[i]!) | 0;
      e = d; d = c; c = (bb << 30) | (bb >>> 2); bb = a; a = t;
    }
    h[0] = (h[0]! + a) | 0; h[1] = (h[1]! + bb) | 0; h[2] = (h[2]! + c) | 0;
    h[3] = (h[3]! + d) | 0; h[4] = (h[4]! + e) | 0;
  }

  protected output(): Uint8Array {
    return wordsBE(this.#h);
  }
}

/** SHA-1 of `data` (20 bytes). */
export function sha1(data: Uint8Array): Uint8Array {
  return new Sha1().update(data).digest();
}
