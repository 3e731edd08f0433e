/** MD5 (RFC 1321). Used by OMA DM auth-md5, auth-MAC and the package #0 digest. */
import { BlockHash } from './block';

/** Per-step additive constants: floor(abs(sin(i + 1)) * 2^32), written out (Math.sin is not exact everywhere). */
const K = new Int32Array([
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
  0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
  0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
  0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
  0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
  0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
  0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
  0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
]);
/** Rotation amounts per step. */
const S = new Uint8Array([
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
  5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
  6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
]);
/** Message word index per step. */
const G = new Uint8Array(64);
for (let i = 0; i < 64; i++) G[i] = i < 16 ? i : i < 32 ? (5 * i + 1) & 15 : i < 48 ? (3 * i + 5) & 15 : (7 * i) & 15;

/** Streaming MD5: `new Md5().update(a).update(b).digest()` → 16 bytes. `digest()` may be called once. */
export class Md5 extends BlockHash {
  protected readonly littleEndian = true;
  /** Chaining state A, B, C, D. */
  readonly #h = new Int32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476]);
  /** Message schedule of the current block (16 little-endian words). */
  readonly #w = new Int32Array(16);

  protected compress(b: Uint8Array, off: number): void {
    const w = this.#w;
    for (let i = 0; i < 16; i++, off += 4) w[i] = b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24);
    const h = this.#h;
    let a = h[0]!, bb = h[1]!, c = h[2]!, d = h[3]!;
    // One loop per round (no per-step branch): F, G, H, I as in RFC 1321 §3.4.
    let i = 0;
    for (; i < 16; i++) {
      const t = (a + ((bb & c) | (~bb & d)) + K[i]! + w[i]!) | 0;
      const s = S[i]!;
      a = d; d = c; c = bb; bb = (bb + ((t << s) | (t >>> (32 - s)))) | 0;
    }
    for (; i < 32; i++) {
      const t = (a + ((d & bb) | (~d & c)) + K[i]! + w[G[i]!]!) | 0;
      const s = S[i]!;
      a = d; d = c; c = bb; bb = (bb + ((t << s) | (t >>> (32 - s)))) | 0;
    }
    for (; i < 48; i++) {
      const t = (a + (bb ^ c ^ d) + K[i]! + w[G[i]!]!) | 0;
      const s = S[i]!;
      a = d; d = c; c = bb; bb = (bb + ((t << s) | (t >>> (32 - s)))) | 0;
    }
    for (; i < 64; i++) {
      const t = (a + (c ^ (bb | ~d)) + K[i]! + w[G[i]!]!) | 0;
      const s = S[i]!;
      a = d; d = c; c = bb; bb = (bb + ((t << s) | (t >>> (32 - s)))) | 0;
    }
    h[0] = (h[0]! + a) | 0; h[1] = (h[1]! + bb) | 0; h[2] = (h[2]! + c) | 0; h[3] = (h[3]! + d) | 0;
  }

  protected output(): Uint8Array {
    const out = new Uint8Array(16);
    const h = this.#h;
    for (let i = 0; i < 4; i++) {
      const v = h[i]!;
      out[i * 4] = v; out[i * 4 + 1] = v >>> 8; out[i * 4 + 2] = v >>> 16; out[i * 4 + 3] = v >>> 24;
    }
    return out;
  }
}

/** MD5 of `data` (16 bytes). */
export function md5(data: Uint8Array): Uint8Array {
  return new Md5().update(data).digest();
}
