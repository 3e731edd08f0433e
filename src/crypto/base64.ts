/**
 * Base64 (RFC 4648 §4, standard alphabet) for credentials, nonces and b64 Data values.
 * Decoding is lenient where DM peers are sloppy (ASCII whitespace anywhere, missing padding)
 * and strict elsewhere: any other character, data after padding, or a dangling single
 * character raises `DecodeError` with code 'bad-base64'.
 */
import { DecodeError } from '../errors';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Alphabet as byte codes, for encoding. */
const ENC = new Uint8Array(64);
/** Byte → 6-bit value; WS (-2) for ASCII whitespace, PAD (-3) for '=', BAD (-1) otherwise. */
const DEC = new Int8Array(256).fill(-1);
const WS = -2;
const PAD = -3;
for (let i = 0; i < 64; i++) {
  ENC[i] = ALPHABET.charCodeAt(i);
  DEC[ALPHABET.charCodeAt(i)] = i;
}
for (const c of [0x09, 0x0a, 0x0c, 0x0d, 0x20]) DEC[c] = WS; // WHATWG "ASCII whitespace"
DEC[0x3d] = PAD;

/** Length of the Base64 text (with padding) for `n` input bytes. */
export function b64EncodedLength(n: number): number {
  return Math.ceil(n / 3) * 4;
}

/** Upper bound on the decoded size of `n` Base64 characters (exact for unpadded, whitespace-free text). */
export function b64DecodedMaxLength(n: number): number {
  return Math.floor((n * 3) / 4);
}

/** Base64 of `b`, padded, no line breaks. */
export function b64encode(b: Uint8Array): string {
  let s = '';
  const chunk: number[] = [];
  const n = b.length;
  let i = 0;
  for (; i + 3 <= n; i += 3) {
    const v = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    chunk.push(ENC[v >>> 18]!, ENC[(v >>> 12) & 63]!, ENC[(v >>> 6) & 63]!, ENC[v & 63]!);
    if (chunk.length >= 4096) { s += String.fromCharCode.apply(null, chunk); chunk.length = 0; }
  }
  if (i < n) {
    const v = (b[i]! << 16) | (i + 1 < n ? b[i + 1]! << 8 : 0);
    chunk.push(ENC[v >>> 18]!, ENC[(v >>> 12) & 63]!, i + 1 < n ? ENC[(v >>> 6) & 63]! : 0x3d, 0x3d);
  }
  if (chunk.length > 0) s += String.fromCharCode.apply(null, chunk);
  return s;
}

/**
 * Incremental Base64 decoder for text that arrives in pieces (e.g. a large object's b64 Data
 * split across messages). Holds at most 3 pending sextets between calls: fixed memory.
 * Offsets in errors count from the first byte ever pushed.
 */
export class Base64Decoder {
  /** Accumulated bits (up to 18) of the current quantum. */
  #acc = 0;
  /** Sextets in `#acc` (0..3). */
  #n = 0;
  /** '=' characters seen; after the first, only '=' and whitespace may follow. */
  #pads = 0;
  /** Characters consumed so far (for error offsets). */
  #pos = 0;

  /**
   * Decodes ASCII bytes `src` into `out` starting at `outOff`; returns the number of bytes written.
   * `out` must have room for `b64DecodedMaxLength(src.length) + 2` bytes (RangeError otherwise).
   * Throws DecodeError('bad-base64') on a character outside the alphabet, '=' and whitespace.
   */
  push(src: Uint8Array, out: Uint8Array, outOff = 0): number {
    if (out.length - outOff < b64DecodedMaxLength(src.length) + 2) throw new RangeError('b64: out is too small for src');
    let acc = this.#acc, n = this.#n, o = outOff;
    for (let i = 0; i < src.length; i++) {
      const c = src[i]!;
      const v = DEC[c]!;
      if (v >= 0) {
        if (this.#pads > 0) this.#fail('data after padding', i, c);
        acc = (acc << 6) | v;
        if (++n === 4) {
          out[o++] = acc >>> 16; out[o++] = acc >>> 8; out[o++] = acc;
          acc = 0; n = 0;
        }
      } else if (v === WS) {
        continue;
      } else if (v === PAD) {
        if (n < 2 && this.#pads === 0) this.#fail('misplaced padding', i, c);
        if (++this.#pads > 4 - n) this.#fail('too much padding', i, c);
      } else {
        this.#fail('invalid character', i, c);
      }
    }
    this.#pos += src.length;
    this.#acc = acc; this.#n = n;
    return o - outOff;
  }

  /** Flushes the final partial quantum (missing padding is fine) into `out` at `outOff`; returns bytes written (0..2). Resets the decoder. */
  end(out: Uint8Array, outOff = 0): number {
    const acc = this.#acc, n = this.#n, pos = this.#pos;
    this.reset();
    if (n === 1) throw new DecodeError('bad-base64', 'b64: dangling single character', pos, -1, 'base64');
    if (n === 2) { out[outOff] = acc >>> 4; return 1; }
    if (n === 3) { out[outOff] = acc >>> 10; out[outOff + 1] = acc >>> 2; return 2; }
    return 0;
  }

  /** Drops any partial state (and the error offset base). */
  reset(): void {
    this.#acc = 0; this.#n = 0; this.#pads = 0; this.#pos = 0;
  }

  #fail(why: string, i: number, c: number): never {
    const off = this.#pos + i;
    this.reset();
    throw new DecodeError('bad-base64', `b64: ${why}`, off, c, 'base64');
  }
}

/**
 * Decodes the complete Base64 text in ASCII bytes `src` into `out`; returns the byte count.
 * `out` needs `b64DecodedMaxLength(src.length) + 2` bytes of room. DecodeError('bad-base64') on bad input.
 */
export function b64decodeInto(src: Uint8Array, out: Uint8Array): number {
  const d = new Base64Decoder();
  const n = d.push(src, out, 0);
  return n + d.end(out, n);
}

/** Decodes Base64 text (whitespace ignored, padding optional). DecodeError('bad-base64') on other characters. */
export function b64decode(s: string): Uint8Array {
  const src = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new DecodeError('bad-base64', 'b64: invalid character', i, -1, 'base64');
    src[i] = c;
  }
  const out = new Uint8Array(b64DecodedMaxLength(s.length) + 2);
  const n = b64decodeInto(src, out);
  return out.slice(0, n);
}
