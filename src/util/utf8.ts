/**
 * UTF-8 for the portable core (QuickJS 2021 has no TextEncoder/TextDecoder).
 * Invalid sequences decode to U+FFFD (WHATWG "replacement" behaviour); lone surrogates encode as U+FFFD.
 */

/**
 * Engine-native conversions a host may install (QuickJS has no TextEncoder/TextDecoder, and a
 * per-character loop costs it ~1,000 instructions per byte). They must give exactly the portable
 * result, or decline: `encodeInto` returns -2 to let the portable code run, `decode` returns
 * undefined (e.g. for anything that is not strict UTF-8, whose U+FFFD rules stay the portable ones).
 */
export interface Utf8Native {
  encodeInto?: EncodeInto;
  decode?: Decode;
}

type EncodeInto = (s: string, out: Uint8Array, pos: number) => number;
type Decode = (b: Uint8Array, start: number, end: number) => string | undefined;
let nativeEncodeInto: EncodeInto | null = null;
let nativeDecode: Decode | null = null;
/** Strings or byte runs shorter than this stay in the portable loop (a call costs more). */
let nativeMin = 0;

/** Installs (or with null removes) native conversions; `minLength` skips them for short inputs. */
export function setUtf8Native(impl: Utf8Native | null, minLength = 0): void {
  nativeEncodeInto = impl?.encodeInto ?? null;
  nativeDecode = impl?.decode ?? null;
  nativeMin = minLength;
}

/** Number of UTF-8 bytes `s` encodes to. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { n += 4; i++; } else n += 3;
    } else n += 3;
  }
  return n;
}

/**
 * Encodes `s` into `out` at `pos`. Returns the new position, or -1 if it does not fit
 * (in which case bytes up to the end of `out` may have been written).
 */
export function utf8EncodeInto(s: string, out: Uint8Array, pos: number): number {
  if (nativeEncodeInto !== null && s.length >= nativeMin) {
    const r = nativeEncodeInto(s, out, pos);
    if (r !== -2) return r;
  }
  const end = out.length;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      if (pos >= end) return -1;
      out[pos++] = c;
      continue;
    }
    if (c < 0x800) {
      if (pos + 2 > end) return -1;
      out[pos++] = 0xc0 | (c >> 6);
      out[pos++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        i++;
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        if (pos + 4 > end) return -1;
        out[pos++] = 0xf0 | (c >> 18);
        out[pos++] = 0x80 | ((c >> 12) & 0x3f);
        out[pos++] = 0x80 | ((c >> 6) & 0x3f);
        out[pos++] = 0x80 | (c & 0x3f);
        continue;
      }
      c = 0xfffd;
    }
    if (pos + 3 > end) return -1;
    out[pos++] = 0xe0 | (c >> 12);
    out[pos++] = 0x80 | ((c >> 6) & 0x3f);
    out[pos++] = 0x80 | (c & 0x3f);
  }
  return pos;
}

/** Encodes `s` to a new array. */
export function utf8Encode(s: string): Uint8Array {
  const out = new Uint8Array(utf8Length(s));
  utf8EncodeInto(s, out, 0);
  return out;
}

const CHUNK = 4096;
const units: number[] = [];

/** Decodes `b[start, end)` (defaults: the whole array). */
export function utf8Decode(b: Uint8Array, start = 0, end = b.length): string {
  if (nativeDecode !== null && end - start >= nativeMin) {
    const r = nativeDecode(b, start, end);
    if (r !== undefined) return r;
  }
  // ASCII fast path
  let i = start;
  while (i < end && b[i]! < 0x80) i++;
  if (i === end) return asciiSlice(b, start, end);
  let out = i > start ? asciiSlice(b, start, i) : '';
  units.length = 0;
  while (i < end) {
    const c = b[i]!;
    let cp = 0xfffd;
    let need = 0;
    let min = 0;
    if (c < 0x80) { cp = c; i++; }
    else if (c >= 0xc2 && c <= 0xdf) { need = 1; cp = c & 0x1f; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { need = 2; cp = c & 0x0f; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { need = 3; cp = c & 0x07; min = 0x10000; }
    else { i++; }
    if (need > 0) {
      let j = i + 1;
      let ok = true;
      for (let k = 0; k < need; k++, j++) {
        const d = j < end ? b[j]! : 0;
        if ((d & 0xc0) !== 0x80) { ok = false; break; }
        cp = (cp << 6) | (d & 0x3f);
      }
      if (ok && cp >= min && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) {
        i = j;
      } else {
        cp = 0xfffd;
        // skip the lead byte and any continuation bytes that belonged to it
        j = i + 1;
        let k = 0;
        while (k < need && j < end && (b[j]! & 0xc0) === 0x80) { j++; k++; }
        i = j;
      }
    }
    if (cp > 0xffff) {
      cp -= 0x10000;
      units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    } else units.push(cp);
    if (units.length >= CHUNK) {
      out += String.fromCharCode.apply(null, units);
      units.length = 0;
    }
  }
  if (units.length > 0) out += String.fromCharCode.apply(null, units);
  units.length = 0;
  return out;
}

function asciiSlice(b: Uint8Array, start: number, end: number): string {
  if (end - start <= CHUNK) return String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[]);
  let s = '';
  for (let i = start; i < end; i += CHUNK) {
    s += String.fromCharCode.apply(null, b.subarray(i, Math.min(end, i + CHUNK)) as unknown as number[]);
  }
  return s;
}
