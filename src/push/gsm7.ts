/**
 * GSM 7-bit default alphabet and its extension table (3GPP TS 23.038 §6.2.1), and septet
 * packing (LSB first, as in SMS user data and alphanumeric addresses).
 */

/** Default alphabet, index = septet value. 0x1B is the escape to the extension table. */
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** Extension table (after ESC): septet → character. */
const EXT: Record<number, string> = { 0x0a: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2f: '\\', 0x3c: '[', 0x3d: '~', 0x3e: ']', 0x40: '|', 0x65: '€' };
/** Reverse maps for encoding. */
const ENC_BASIC = new Map<string, number>();
const ENC_EXT = new Map<string, number>();
for (let i = 0; i < 128; i++) if (i !== 0x1b) ENC_BASIC.set(BASIC[i]!, i);
for (const [k, v] of Object.entries(EXT)) ENC_EXT.set(v, Number(k));

/** The septet at index `i` of the packed data starting at bit `bitOffset` of `b[start]`. */
function septetAt(b: Uint8Array, start: number, bitOffset: number, i: number): number {
  const bit = bitOffset + i * 7;
  const o = start + (bit >> 3);
  const v = b[o]! | ((b[o + 1] ?? 0) << 8);
  return (v >> (bit & 7)) & 0x7f;
}

/**
 * Decodes `count` septets packed from bit `bitOffset` of `b[start]` into text. An escape
 * followed by an unknown extension code decodes as the basic character (23.038 fallback);
 * a trailing lone escape decodes as a space.
 */
export function unpackGsm7(b: Uint8Array, start: number, count: number, bitOffset = 0): string {
  let s = '';
  for (let i = 0; i < count; i++) {
    const c = septetAt(b, start, bitOffset, i);
    if (c === 0x1b) {
      if (i + 1 >= count) { s += ' '; break; }
      const e = septetAt(b, start, bitOffset, ++i);
      s += EXT[e] ?? BASIC[e]!;
    } else s += BASIC[c]!;
  }
  return s;
}

/** Text → septet values (extension characters become ESC + code). RangeError for a character outside the alphabet. */
export function gsm7Septets(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const v = ENC_BASIC.get(ch);
    if (v !== undefined) { out.push(v); continue; }
    const e = ENC_EXT.get(ch);
    if (e === undefined) throw new RangeError(`gsm7: character U+${ch.codePointAt(0)!.toString(16)} not in the GSM default alphabet`);
    out.push(0x1b, e);
  }
  return Uint8Array.from(out);
}

/** Packs septet values LSB-first after `fillBits` zero bits; returns ceil((fillBits + 7n) / 8) octets. */
export function packSeptets(septets: Uint8Array, fillBits = 0): Uint8Array {
  const out = new Uint8Array(Math.ceil((fillBits + septets.length * 7) / 8));
  for (let i = 0; i < septets.length; i++) {
    const bit = fillBits + i * 7;
    const o = bit >> 3;
    const v = (septets[i]! & 0x7f) << (bit & 7);
    out[o] = out[o]! | (v & 0xff);
    if (v > 0xff) out[o + 1] = out[o + 1]! | (v >> 8);
  }
  return out;
}
