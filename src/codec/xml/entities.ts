/**
 * XML entity resolution for text the tokenizer flagged TEXT_ESCAPED. Lenient where real peers are
 * sloppy: an '&' that does not start a well-formed reference (e.g. `MAXDT=15&DR=1` in a server's UI
 * alert, seen in the wild) is kept literally, as are unknown named entities.
 */
import { utf8EncodeInto } from '../../util/utf8';

const NAMED: Record<string, number> = { lt: 0x3c, gt: 0x3e, amp: 0x26, quot: 0x22, apos: 0x27 };

/**
 * Resolves references in src[s, e) into out starting at o; returns the new end offset in out.
 * `out` must have room for e - s bytes (the result is never longer than the input).
 */
export function unescapeInto(src: Uint8Array, s: number, e: number, out: Uint8Array, o: number): number {
  let i = s;
  while (i < e) {
    const c = src[i]!;
    if (c !== 0x26) {
      out[o++] = c;
      i++;
      continue;
    }
    // find ';' within a short window
    let j = i + 1;
    const lim = Math.min(e, i + 12);
    while (j < lim && src[j] !== 0x3b && src[j] !== 0x26) j++;
    if (j >= lim || src[j] !== 0x3b) {
      out[o++] = c;
      i++;
      continue;
    }
    let cp = -1;
    if (src[i + 1] === 0x23) {
      // &#NNN; or &#xHHH;
      let k = i + 2;
      let hex = false;
      if (src[k] === 0x78 || src[k] === 0x58) {
        hex = true;
        k++;
      }
      if (k < j) {
        cp = 0;
        for (; k < j; k++) {
          const d = src[k]!;
          let v: number;
          if (d >= 0x30 && d <= 0x39) v = d - 0x30;
          else if (hex && d >= 0x61 && d <= 0x66) v = d - 0x57;
          else if (hex && d >= 0x41 && d <= 0x46) v = d - 0x37;
          else {
            cp = -1;
            break;
          }
          cp = cp * (hex ? 16 : 10) + v;
          if (cp > 0x10ffff) {
            cp = -1;
            break;
          }
        }
        if (cp === 0 || (cp >= 0xd800 && cp <= 0xdfff)) cp = -1;
      }
    } else {
      let name = '';
      for (let k = i + 1; k < j; k++) name += String.fromCharCode(src[k]!);
      cp = NAMED[name] ?? -1;
    }
    if (cp < 0) {
      out[o++] = c;
      i++;
      continue;
    }
    // a reference is at least 4 bytes ("&lt;", "&#9;") and its UTF-8 is at most 4: always fits in place
    o = utf8EncodeInto(String.fromCodePoint(cp), out, o);
    i = j + 1;
  }
  return o;
}

/** Resolves references in src[s, e) into a new array. */
export function unescape(src: Uint8Array, s: number, e: number): Uint8Array {
  const out = new Uint8Array(e - s);
  const n = unescapeInto(src, s, e, out, 0);
  return out.subarray(0, n);
}
