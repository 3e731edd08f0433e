/**
 * A small CBOR (RFC 8949) codec for what we persist: unsigned and negative integers (safe JS
 * integers), byte strings, text strings, arrays, maps with text keys, true/false/null and float64.
 * Portable (no Buffer, no TextEncoder) and bounded: the writer never grows its buffer and the reader
 * checks every length against the remaining input before it allocates anything.
 *
 * Encoding is deterministic: shortest argument encodings, definite lengths only, map keys sorted
 * by their encoded bytes (RFC 8949 §4.2.1 "length-first" order for text keys), no tags.
 * One documented deviation from "preferred serialisation": numbers that are not safe integers
 * are always written as float64 (never float16/float32), so a value never changes on a round trip.
 *
 * Decoding is liberal in what cbor-x and other encoders produce: non-shortest lengths, float16/32/64,
 * and tag 64 (cbor-x's "uint8 typed array") around a byte string. Everything else that is not in
 * the subset (other tags, indefinite lengths, undefined, simple values, non-text map keys,
 * duplicate keys, integers beyond 2^53) is a `DecodeError`.
 */
import { DecodeError, LimitError } from '../errors';
import { utf8Decode, utf8EncodeInto, utf8Length } from '../util/utf8';

/** The value model of the subset. Maps decode to plain objects with a null prototype. */
export type CborValue = number | string | boolean | null | Uint8Array | CborValue[] | CborMap;
/** A CBOR map with text keys. */
export interface CborMap {
  [key: string]: CborValue;
}

/** Bounds of the reader. */
export interface CborReadLimits {
  /** Maximum nesting of arrays/maps. Default `DEFAULT_CBOR_MAX_DEPTH`. */
  maxDepth: number;
}

/** Default maximum nesting depth of decoded arrays/maps. */
export const DEFAULT_CBOR_MAX_DEPTH = 32;

// Major types (high three bits of the initial byte).
const MT_UINT = 0;
const MT_NEG = 1;
const MT_BYTES = 2;
const MT_TEXT = 3;
const MT_ARRAY = 4;
const MT_MAP = 5;
const MT_TAG = 6;
const MT_SIMPLE = 7;

/** Tag cbor-x puts around Uint8Array values (RFC 8746 "uint8 typed array"). */
const TAG_UINT8_ARRAY = 64;

const TWO_32 = 4294967296;

/** Encoded size of the head (initial byte + argument) for argument `n`. */
export function headSize(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < TWO_32 ? 5 : 9;
}

/**
 * Writes CBOR items into a caller-sized buffer. Exceeding the capacity throws `LimitError`
 * ('cborCapacity'); size the buffer with `cborSize` or an upper bound.
 */
export class CborWriter {
  /** The output buffer (fixed capacity). */
  readonly buf: Uint8Array;
  /** Next write position. */
  pos = 0;
  /** DataView over `buf` for 4/8-byte fields. */
  #dv: DataView;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`capacity: must be a non-negative integer, got ${capacity}`);
    this.buf = new Uint8Array(capacity);
    this.#dv = new DataView(this.buf.buffer);
  }

  /** The bytes written so far (a view, no copy). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  #room(n: number): void {
    if (this.pos + n > this.buf.length) throw new LimitError('cborCapacity', `encoder buffer of ${this.buf.length} bytes is full`);
  }

  /** Writes a head: major type `mt` with argument `n` (0 ≤ n ≤ 2^53-1), shortest form. */
  head(mt: number, n: number): void {
    const b = this.buf;
    const m = mt << 5;
    if (n < 24) { this.#room(1); b[this.pos++] = m | n; }
    else if (n < 0x100) { this.#room(2); b[this.pos++] = m | 24; b[this.pos++] = n; }
    else if (n < 0x10000) { this.#room(3); b[this.pos++] = m | 25; b[this.pos++] = n >> 8; b[this.pos++] = n & 0xff; }
    else if (n < TWO_32) { this.#room(5); b[this.pos++] = m | 26; this.#dv.setUint32(this.pos, n); this.pos += 4; }
    else {
      this.#room(9);
      b[this.pos++] = m | 27;
      this.#dv.setUint32(this.pos, Math.floor(n / TWO_32));
      this.#dv.setUint32(this.pos + 4, n >>> 0);
      this.pos += 8;
    }
  }

  /** Writes a safe integer (unsigned or negative). */
  int(v: number): void {
    if (!Number.isSafeInteger(v)) throw new RangeError(`int: not a safe integer: ${v}`);
    if (v >= 0) this.head(MT_UINT, v);
    else this.head(MT_NEG, -1 - v);
  }

  /** Writes any number: safe integers as integers, everything else (and -0) as float64. */
  number(v: number): void {
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) { this.int(v); return; }
    this.#room(9);
    this.buf[this.pos++] = (MT_SIMPLE << 5) | 27;
    this.#dv.setFloat64(this.pos, v);
    this.pos += 8;
  }

  /** Writes a text string (UTF-8). */
  text(s: string): void {
    const n = utf8Length(s);
    this.head(MT_TEXT, n);
    this.#room(n);
    this.pos = utf8EncodeInto(s, this.buf, this.pos);
  }

  /** Writes a byte string. */
  bytesItem(v: Uint8Array): void {
    this.head(MT_BYTES, v.length);
    this.#room(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  /** Writes the head of an array of `n` items (write the items next). */
  array(n: number): void {
    this.head(MT_ARRAY, n);
  }

  /** Writes the head of a map of `n` pairs (write key, value, key, value… next, keys sorted). */
  map(n: number): void {
    this.head(MT_MAP, n);
  }

  /** Writes true/false. */
  bool(v: boolean): void {
    this.#room(1);
    this.buf[this.pos++] = v ? 0xf5 : 0xf4;
  }

  /** Writes null. */
  null(): void {
    this.#room(1);
    this.buf[this.pos++] = 0xf6;
  }

  /** Writes a value of the subset (maps with sorted keys). */
  value(v: CborValue): void {
    writeValue(this, v, 0);
  }
}

/** Sorted keys of a map in deterministic order, with their UTF-8 lengths. */
function sortedKeys(m: CborMap): string[] {
  const keys = Object.keys(m);
  // Length-first then code-unit order equals bytewise order of the encoded keys for UTF-8 text
  // (UTF-8 preserves code point order; surrogate pairs are the one exception, compared below).
  return keys.sort((a, b) => {
    const la = utf8Length(a);
    const lb = utf8Length(b);
    if (la !== lb) return la - lb;
    return compareUtf8(a, b);
  });
}

function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(i)!;
    if (ca !== cb) return ca - cb;
    if (ca > 0xffff) i++;
  }
  return a.length - b.length;
}

const MAX_ENCODE_DEPTH = 64;

function checkValue(v: unknown, depth: number): void {
  if (depth > MAX_ENCODE_DEPTH) throw new RangeError('value: nested deeper than 64 levels (cycle?)');
  if (v === null || typeof v === 'boolean' || typeof v === 'string' || typeof v === 'number' || v instanceof Uint8Array) return;
  if (Array.isArray(v)) { for (const x of v) checkValue(x, depth + 1); return; }
  if (typeof v === 'object') {
    for (const k of Object.keys(v as object)) {
      const x = (v as Record<string, unknown>)[k];
      if (x === undefined) throw new TypeError(`value: map key "${k}" is undefined (not in the CBOR subset)`);
      checkValue(x, depth + 1);
    }
    return;
  }
  throw new TypeError(`value: ${typeof v} is not in the CBOR subset`);
}

function writeValue(w: CborWriter, v: CborValue, depth: number): void {
  if (v === null) w.null();
  else if (typeof v === 'boolean') w.bool(v);
  else if (typeof v === 'number') w.number(v);
  else if (typeof v === 'string') w.text(v);
  else if (v instanceof Uint8Array) w.bytesItem(v);
  else if (Array.isArray(v)) {
    w.array(v.length);
    for (const x of v) writeValue(w, x, depth + 1);
  } else {
    const keys = sortedKeys(v);
    w.map(keys.length);
    for (const k of keys) {
      w.text(k);
      writeValue(w, v[k]!, depth + 1);
    }
  }
}

/** Exact encoded size of `v` in bytes. Throws TypeError for values outside the subset. */
export function cborSize(v: CborValue): number {
  if (v === null || typeof v === 'boolean') return 1;
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) return headSize(v >= 0 ? v : -1 - v);
    return 9;
  }
  if (typeof v === 'string') { const n = utf8Length(v); return headSize(n) + n; }
  if (v instanceof Uint8Array) return headSize(v.length) + v.length;
  if (Array.isArray(v)) {
    let n = headSize(v.length);
    for (const x of v) n += cborSize(x);
    return n;
  }
  const keys = Object.keys(v);
  let n = headSize(keys.length);
  for (const k of keys) n += cborSize(k) + cborSize(v[k]!);
  return n;
}

/** Encodes `v` deterministically into a new, exactly sized array. */
export function cborEncode(v: CborValue): Uint8Array {
  checkValue(v, 0);
  const w = new CborWriter(cborSize(v));
  w.value(v);
  return w.buf;
}

/**
 * A pull reader over one CBOR input. Every method reads one item (or head) at the current
 * position and throws `DecodeError` (with the absolute offset of the offending byte) when the
 * input does not hold what was asked for.
 */
export class CborReader {
  /** The input. */
  readonly buf: Uint8Array;
  /** Next read position. */
  pos: number;
  readonly #end: number;
  readonly #dv: DataView;
  readonly #maxDepth: number;

  constructor(buf: Uint8Array, limits: Partial<CborReadLimits> = {}) {
    this.buf = buf;
    this.pos = 0;
    this.#end = buf.length;
    this.#dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.#maxDepth = limits.maxDepth ?? DEFAULT_CBOR_MAX_DEPTH;
  }

  /** True when the whole input has been consumed. */
  atEnd(): boolean {
    return this.pos >= this.#end;
  }

  /** Throws unless the whole input has been consumed (trailing bytes are an error). */
  finish(): void {
    if (this.pos < this.#end) this.fail('trailing', 'trailing bytes after the CBOR item', 'finish');
  }

  /** Throws a DecodeError at the current position. */
  fail(code: string, msg: string, state: string, at = this.pos): never {
    throw new DecodeError(code, msg, at, at < this.#end ? this.buf[at]! : -1, state);
  }

  /** Major type of the next item, without consuming it (-1 at end of input). */
  peekMajor(): number {
    return this.pos < this.#end ? this.buf[this.pos]! >> 5 : -1;
  }

  /** True (and consumed) when the next item is null. */
  takeNull(): boolean {
    if (this.pos < this.#end && this.buf[this.pos] === 0xf6) { this.pos++; return true; }
    return false;
  }

  /** Major type of the last head read. */
  lastMajor = 0;

  /** Reads a head; returns its argument and leaves the major type in `lastMajor`. */
  #head(state: string): number {
    if (this.pos >= this.#end) this.fail('truncated', 'input ends before an item', state);
    const start = this.pos;
    const ib = this.buf[this.pos++]!;
    this.lastMajor = ib >> 5;
    const ai = ib & 31;
    if (ai < 24) return ai;
    const need = ai === 24 ? 1 : ai === 25 ? 2 : ai === 26 ? 4 : ai === 27 ? 8 : -1;
    if (need < 0) {
      if (ai === 31) this.fail('indefinite', 'indefinite lengths are not supported', state, start);
      this.fail('bad-head', `reserved additional information ${ai}`, state, start);
    }
    if (this.pos + need > this.#end) this.fail('truncated', 'input ends inside an item head', state);
    let n: number;
    if (need === 1) n = this.buf[this.pos]!;
    else if (need === 2) n = this.#dv.getUint16(this.pos);
    else if (need === 4) n = this.#dv.getUint32(this.pos);
    else if (this.lastMajor === MT_SIMPLE) n = 0; // float64 payload, read by the caller
    else {
      const hi = this.#dv.getUint32(this.pos);
      if (hi > 0x1fffff) this.fail('int-range', 'integer or length beyond 2^53', state, start);
      n = hi * TWO_32 + this.#dv.getUint32(this.pos + 4);
    }
    this.pos += need;
    return n;
  }

  #expect(mt: number, state: string): number {
    const start = this.pos;
    const n = this.#head(state);
    if (this.lastMajor !== mt) this.fail('type', `expected major type ${mt}, got ${this.lastMajor}`, state, start);
    return n;
  }

  /** Reads an unsigned integer. */
  uint(state = 'uint'): number {
    return this.#expect(MT_UINT, state);
  }

  /** Reads an integer (unsigned or negative). */
  int(state = 'int'): number {
    const start = this.pos;
    const n = this.#head(state);
    if (this.lastMajor === MT_UINT) return n;
    if (this.lastMajor === MT_NEG) return -1 - n;
    return this.fail('type', 'expected an integer', state, start);
  }

  /** Reads a text string. */
  text(state = 'text'): string {
    const n = this.#expect(MT_TEXT, state);
    if (n > this.#end - this.pos) this.fail('truncated', `text of ${n} bytes exceeds the input`, state);
    const s = utf8Decode(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** Reads a byte string (tag 64 accepted). `copy` false returns a view into the input. */
  bytes(copy = true, state = 'bytes'): Uint8Array {
    const start = this.pos;
    let n = this.#head(state);
    if (this.lastMajor === MT_TAG && n === TAG_UINT8_ARRAY) n = this.#expect(MT_BYTES, state);
    else if (this.lastMajor !== MT_BYTES) this.fail('type', 'expected a byte string', state, start);
    if (n > this.#end - this.pos) this.fail('truncated', `byte string of ${n} bytes exceeds the input`, state);
    const v = copy ? this.buf.slice(this.pos, this.pos + n) : this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** Reads an array head; returns the item count (checked against the remaining input). */
  array(state = 'array'): number {
    const n = this.#expect(MT_ARRAY, state);
    if (n > this.#end - this.pos) this.fail('truncated', `array of ${n} items exceeds the input`, state);
    return n;
  }

  /** Reads a map head; returns the pair count (checked against the remaining input). */
  map(state = 'map'): number {
    const n = this.#expect(MT_MAP, state);
    if (n * 2 > this.#end - this.pos) this.fail('truncated', `map of ${n} pairs exceeds the input`, state);
    return n;
  }

  /** Reads true/false. */
  bool(state = 'bool'): boolean {
    if (this.pos >= this.#end) this.fail('truncated', 'input ends before a boolean', state);
    const b = this.buf[this.pos]!;
    if (b === 0xf5 || b === 0xf4) { this.pos++; return b === 0xf5; }
    return this.fail('type', 'expected a boolean', state);
  }

  /** Reads any value of the subset. */
  value(): CborValue {
    return this.#value(0);
  }

  #value(depth: number): CborValue {
    if (depth > this.#maxDepth) this.fail('depth', `nesting deeper than ${this.#maxDepth}`, 'value');
    const start = this.pos;
    const n = this.#head('value');
    switch (this.lastMajor) {
      case MT_UINT: return n;
      case MT_NEG: return -1 - n;
      case MT_BYTES:
      case MT_TEXT: {
        if (n > this.#end - this.pos) this.fail('truncated', `string of ${n} bytes exceeds the input`, 'value');
        const s = this.lastMajor === MT_TEXT ? utf8Decode(this.buf, this.pos, this.pos + n) : this.buf.slice(this.pos, this.pos + n);
        this.pos += n;
        return s;
      }
      case MT_ARRAY: {
        if (n > this.#end - this.pos) this.fail('truncated', `array of ${n} items exceeds the input`, 'value');
        const a: CborValue[] = [];
        for (let i = 0; i < n; i++) a.push(this.#value(depth + 1));
        return a;
      }
      case MT_MAP: {
        if (n * 2 > this.#end - this.pos) this.fail('truncated', `map of ${n} pairs exceeds the input`, 'value');
        const m = Object.create(null) as CborMap;
        for (let i = 0; i < n; i++) {
          const kAt = this.pos;
          if (this.peekMajor() !== MT_TEXT) this.fail('map-key', 'map keys must be text strings', 'map-key');
          const k = this.text('map-key');
          if (Object.prototype.hasOwnProperty.call(m, k)) this.fail('duplicate-key', `duplicate map key "${k}"`, 'map-key', kAt);
          m[k] = this.#value(depth + 1);
        }
        return m;
      }
      case MT_TAG: {
        if (n !== TAG_UINT8_ARRAY) this.fail('tag', `tag ${n} is not supported`, 'value', start);
        this.pos = start;
        return this.bytes(true, 'value');
      }
      default: {
        const ai = this.buf[start]! & 31;
        if (ai === 20) return false;
        if (ai === 21) return true;
        if (ai === 22) return null;
        if (ai === 25) { const v = halfToNumber(this.#dv.getUint16(start + 1)); return v; }
        if (ai === 26) return this.#dv.getFloat32(start + 1);
        if (ai === 27) return this.#dv.getFloat64(start + 1);
        return this.fail('simple', `simple value ${ai < 24 ? ai : this.buf[start + 1]} is not in the subset`, 'value', start);
      }
    }
  }
}

/** IEEE 754 binary16 → number (RFC 8949 Appendix D). */
function halfToNumber(h: number): number {
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  let v: number;
  if (exp === 0) v = mant * 2 ** -24;
  else if (exp !== 31) v = (mant + 1024) * 2 ** (exp - 25);
  else v = mant === 0 ? Infinity : NaN;
  return h & 0x8000 ? -v : v;
}

/** Decodes exactly one item filling the whole input. */
export function cborDecode(bytes: Uint8Array, limits: Partial<CborReadLimits> = {}): CborValue {
  const r = new CborReader(bytes, limits);
  const v = r.value();
  r.finish();
  return v;
}
