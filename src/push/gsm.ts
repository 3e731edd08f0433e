/**
 * GSM SMS-DELIVER TPDU (3GPP TS 23.040 §9.2.2.1) decoder and builder, with the optional SMSC
 * address prefix that modems emit in PDU mode (AT+CMT). Zero-copy: `ud` is a view into the PDU.
 * Text is decoded only for the 7-bit default alphabet (with correct UDH fill bits) and UCS-2;
 * WAP push uses 8-bit data.
 */
import { DecodeError } from '../errors';
import { parseUdh, buildUdh, concatIe, portsIe, WAP_PUSH_PORT, WAP_PUSH_SRC_PORT } from './udh';
import type { UdhIe } from './udh';
import { unpackGsm7, gsm7Septets, packSeptets } from './gsm7';

/** An address field (SMSC or TP-OA). */
export interface GsmAddress {
  /** Type-of-address octet (bit 7 set). */
  type: number;
  /** Type of number (bits 6..4): 0 unknown, 1 international, 2 national, 5 alphanumeric. */
  ton: number;
  /** Numbering plan identification (bits 3..0): 1 = E.164. */
  npi: number;
  /** Digits ('+' prefixed when international; BCD 0xA–0xE as `*#abc`), or the alphanumeric text. */
  number: string;
}

/** TP-SCTS as written by the service centre (no Date: the core has no time zone database). */
export interface GsmTimestamp {
  /** Four-digit year: 2000 + the two transmitted digits. */
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Offset from GMT in quarters of an hour (signed, −79..79). */
  tzQuarterHours: number;
}

/** Character set of the user data, from TP-DCS (23.038 §4). */
export type GsmAlphabet = 'gsm7' | '8bit' | 'ucs2';

/** A decoded SMS-DELIVER. */
export interface GsmDeliver {
  /** SMSC address when the PDU had the prefix and it was not empty. */
  smsc: GsmAddress | null;
  /** The raw first octet. */
  firstOctet: number;
  /** TP-MMS inverted: true when the SC has more messages waiting. */
  moreMessages: boolean;
  /** TP-LP (loop prevention). */
  loopPrevention: boolean;
  /** TP-SRI (status report indication). */
  statusReport: boolean;
  /** TP-UDHI: the user data starts with a header. */
  udhi: boolean;
  /** TP-RP (reply path). */
  replyPath: boolean;
  /** TP-OA. */
  originator: GsmAddress;
  /** TP-PID. */
  pid: number;
  /** TP-DCS. */
  dcs: number;
  alphabet: GsmAlphabet;
  /** DCS says the text is compressed (not decoded here). */
  compressed: boolean;
  /** Message class 0..3, or null when the DCS gives none. */
  messageClass: number | null;
  scts: GsmTimestamp;
  /** TP-UDL as transmitted (septets for gsm7, octets otherwise). */
  udl: number;
  /** UDH information elements (empty without TP-UDHI). */
  udh: UdhIe[];
  /** Octets of the user data after the UDH (for gsm7: the packed octets, starting with the fill bits). */
  ud: Uint8Array;
  /** Decoded text for gsm7 (uncompressed) and ucs2; null for 8-bit data. */
  text: string | null;
}

/** Decoding options. */
export interface GsmDecodeOptions {
  /** The PDU starts with the SMSC address field (AT+CMT PDU mode). */
  smsc: boolean;
}

const BCD = '0123456789*#abc';

function fail(code: string, msg: string, pdu: Uint8Array, off: number, state: string): never {
  throw new DecodeError(code, msg, off, off < pdu.length ? pdu[off]! : -1, state);
}

function need(pdu: Uint8Array, off: number, n: number, state: string): void {
  if (off + n > pdu.length) fail('truncated', `${state}: need ${n} octet(s)`, pdu, Math.min(off + n - 1, pdu.length), state);
}

/** BCD digits, low nibble first; a 0xF nibble ends the number. */
function bcdDigits(pdu: Uint8Array, off: number, octets: number, maxDigits: number): string {
  let s = '';
  for (let i = 0; i < octets && s.length < maxDigits; i++) {
    const b = pdu[off + i]!;
    for (const d of [b & 0x0f, b >> 4]) {
      if (d === 0x0f || s.length >= maxDigits) break;
      s += BCD[d]!;
    }
  }
  return s;
}

function address(type: number, text: string): GsmAddress {
  const ton = (type >> 4) & 7;
  return { type, ton, npi: type & 0x0f, number: ton === 1 ? `+${text}` : text };
}

/** Swapped-nibble BCD octet → value (lenient: non-decimal nibbles count at face value). */
function swapped(b: number): number {
  return (b & 0x0f) * 10 + (b >> 4);
}

/** Alphabet, compression and class from a TP-DCS value (23.038 §4). */
export function parseDcs(dcs: number): { alphabet: GsmAlphabet; compressed: boolean; messageClass: number | null } {
  const g = dcs >> 4;
  if (g <= 0x7) {
    // General data coding (00xx) and automatic-deletion group (01xx).
    const a = (dcs >> 2) & 3;
    return { alphabet: a === 1 ? '8bit' : a === 2 ? 'ucs2' : 'gsm7', compressed: (dcs & 0x20) !== 0, messageClass: dcs & 0x10 ? dcs & 3 : null };
  }
  if (g === 0xf) return { alphabet: dcs & 0x04 ? '8bit' : 'gsm7', compressed: false, messageClass: dcs & 3 };
  if (g === 0xe) return { alphabet: 'ucs2', compressed: false, messageClass: null };
  // 0xC/0xD message waiting (GSM 7-bit); 0x8..0xB reserved: treated as the default alphabet.
  return { alphabet: 'gsm7', compressed: false, messageClass: null };
}

/**
 * Decodes an SMS-DELIVER TPDU. DecodeError codes: 'truncated' (any field cut short),
 * 'not-deliver' (TP-MTI is not SMS-DELIVER), 'bad-length' (address length or UDL out of range).
 * Octets after the user data are ignored.
 */
export function decodeGsmDeliver(pdu: Uint8Array, opts: GsmDecodeOptions): GsmDeliver {
  let p = 0;
  let smsc: GsmAddress | null = null;
  if (opts.smsc) {
    need(pdu, p, 1, 'smsc');
    const n = pdu[p]!;
    if (n > 11) fail('bad-length', `SMSC address length ${n} > 11`, pdu, p, 'smsc');
    need(pdu, p + 1, n, 'smsc');
    if (n > 0) smsc = address(pdu[p + 1]!, bcdDigits(pdu, p + 2, n - 1, 20));
    p += 1 + n;
  }
  need(pdu, p, 1, 'first-octet');
  const fo = pdu[p]!;
  if ((fo & 3) !== 0) fail('not-deliver', `TP-MTI ${fo & 3} is not SMS-DELIVER`, pdu, p, 'first-octet');
  p++;
  need(pdu, p, 2, 'originator');
  const digits = pdu[p]!;
  if (digits > 20) fail('bad-length', `originator length ${digits} > 20`, pdu, p, 'originator');
  const type = pdu[p + 1]!;
  const oaOctets = (digits + 1) >> 1;
  need(pdu, p + 2, oaOctets, 'originator');
  let oaText: string;
  if (((type >> 4) & 7) === 5) oaText = unpackGsm7(pdu, p + 2, Math.floor((digits * 4) / 7));
  else oaText = bcdDigits(pdu, p + 2, oaOctets, digits);
  const originator = address(type, oaText);
  p += 2 + oaOctets;
  need(pdu, p, 2 + 7 + 1, 'pid-dcs-scts-udl');
  const pid = pdu[p]!;
  const dcs = pdu[p + 1]!;
  const t = p + 2;
  const tz = pdu[t + 6]!;
  const tzq = (tz & 0x07) * 10 + (tz >> 4);
  const scts: GsmTimestamp = {
    year: 2000 + swapped(pdu[t]!), month: swapped(pdu[t + 1]!), day: swapped(pdu[t + 2]!),
    hour: swapped(pdu[t + 3]!), minute: swapped(pdu[t + 4]!), second: swapped(pdu[t + 5]!),
    tzQuarterHours: tz & 0x08 ? -tzq : tzq,
  };
  p = t + 7;
  const udl = pdu[p]!;
  const udlAt = p;
  p++;
  const { alphabet, compressed, messageClass } = parseDcs(dcs);
  const septets = alphabet === 'gsm7' && !compressed;
  const udOctets = septets ? Math.ceil((udl * 7) / 8) : udl;
  if (udOctets > 140) fail('bad-length', `TP-UDL ${udl} exceeds 140 octets`, pdu, udlAt, 'udl');
  need(pdu, p, udOctets, 'ud');
  const udEnd = p + udOctets;
  const udhi = (fo & 0x40) !== 0;
  let udh: UdhIe[] = [];
  let hdrOctets = 0;
  if (udhi) {
    const h = parseUdh(pdu, p, udEnd);
    udh = h.ies;
    hdrOctets = h.length;
  }
  const ud = pdu.subarray(p + hdrOctets, udEnd);
  let text: string | null = null;
  if (septets) {
    const hdrSeptets = Math.ceil((hdrOctets * 8) / 7);
    const count = udl - hdrSeptets;
    if (count < 0) fail('bad-length', 'UDH longer than TP-UDL', pdu, udlAt, 'udl');
    // Text septets start at the first septet boundary after the header: fill bits = 7*hdrSeptets - 8*hdrOctets.
    text = unpackGsm7(pdu, p, count, hdrSeptets * 7);
  } else if (alphabet === 'ucs2' && !compressed) {
    text = '';
    for (let i = 0; i + 1 < ud.length; i += 2) text += String.fromCharCode((ud[i]! << 8) | ud[i + 1]!);
  }
  return {
    smsc, firstOctet: fo,
    moreMessages: (fo & 0x04) === 0, loopPrevention: (fo & 0x08) !== 0, statusReport: (fo & 0x20) !== 0,
    udhi, replyPath: (fo & 0x80) !== 0,
    originator, pid, dcs, alphabet, compressed, messageClass, scts, udl, udh, ud, text,
  };
}

/** What `encodeGsmDeliver` builds. Defaults produce the facts sheet §6.4 framing. */
export interface GsmDeliverInit {
  /** SMSC number to prefix (e.g. '+447700900000'); '' = empty SMSC field; undefined = no prefix. */
  smsc?: string;
  /** '+…' international, digits = unknown type, anything else = alphanumeric (GSM 7-bit). */
  originator: string;
  /** TP-PID, default 0. */
  pid?: number;
  /** TP-DCS, default 0x04 (8-bit data). */
  dcs?: number;
  /** Default 2025-11-24 12:34:00 +00. */
  scts?: GsmTimestamp;
  /** Sets TP-MMS = 0 (more messages waiting). Default false. */
  moreMessages?: boolean;
  /** UDH information elements; sets TP-UDHI when non-empty. */
  udh?: readonly UdhIe[];
  /** User data octets after the UDH (8-bit / UCS-2 DCS). */
  ud?: Uint8Array;
  /** Text for a GSM 7-bit DCS (packed after the UDH with fill bits). */
  text?: string;
}

const DEFAULT_SCTS: GsmTimestamp = { year: 2025, month: 11, day: 24, hour: 12, minute: 34, second: 0, tzQuarterHours: 0 };

function bcdEncode(digits: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < digits.length; i += 2) {
    const lo = BCD.indexOf(digits[i]!);
    const hi = i + 1 < digits.length ? BCD.indexOf(digits[i + 1]!) : 0x0f;
    if (lo < 0 || hi < 0) throw new RangeError(`GSM address: bad digit in "${digits}"`);
    out.push(lo | (hi << 4));
  }
  return out;
}

function encodeAddress(num: string): { digits: number; type: number; body: number[] } {
  if (/^\+?[0-9*#abc]+$/.test(num)) {
    const intl = num.startsWith('+');
    const d = intl ? num.slice(1) : num;
    if (d.length > 20) throw new RangeError('GSM address: more than 20 digits');
    return { digits: d.length, type: intl ? 0x91 : 0x81, body: bcdEncode(d) };
  }
  const packed = packSeptets(gsm7Septets(num));
  if (packed.length > 10) throw new RangeError('GSM address: alphanumeric text longer than 11 characters');
  // Length counts useful semi-octets.
  return { digits: Math.ceil((gsm7Septets(num).length * 7) / 4), type: 0xd0, body: Array.from(packed) };
}

function bcdSwap(v: number): number {
  return (v % 10 << 4) | Math.floor(v / 10);
}

/** Builds an SMS-DELIVER TPDU (for tests, the loopback server and the simulated modem). RangeError on impossible input. */
export function encodeGsmDeliver(init: GsmDeliverInit): Uint8Array {
  const out: number[] = [];
  if (init.smsc !== undefined) {
    if (init.smsc === '') out.push(0);
    else {
      const a = encodeAddress(init.smsc);
      out.push(1 + a.body.length, a.type, ...a.body);
    }
  }
  const ies = init.udh ?? [];
  const udhi = ies.length > 0;
  out.push((udhi ? 0x40 : 0) | (init.moreMessages ? 0 : 0x04));
  const oa = encodeAddress(init.originator);
  out.push(oa.digits, oa.type, ...oa.body);
  const dcs = init.dcs ?? 0x04;
  out.push(init.pid ?? 0, dcs);
  const t = init.scts ?? DEFAULT_SCTS;
  const tz = Math.abs(t.tzQuarterHours);
  out.push(bcdSwap(t.year % 100), bcdSwap(t.month), bcdSwap(t.day), bcdSwap(t.hour), bcdSwap(t.minute), bcdSwap(t.second),
    bcdSwap(tz) | (t.tzQuarterHours < 0 ? 0x08 : 0));
  const hdr = udhi ? buildUdh(ies) : new Uint8Array(0);
  const { alphabet } = parseDcs(dcs);
  if (alphabet === 'gsm7') {
    const sept = gsm7Septets(init.text ?? '');
    const hdrSeptets = Math.ceil((hdr.length * 8) / 7);
    const udl = hdrSeptets + sept.length;
    if (udl > 160) throw new RangeError('encodeGsmDeliver: more than 160 septets');
    const body = packSeptets(sept, hdrSeptets * 7 - hdr.length * 8);
    out.push(udl, ...hdr, ...body);
  } else {
    const ud = init.ud ?? new Uint8Array(0);
    const udl = hdr.length + ud.length;
    if (udl > 140) throw new RangeError('encodeGsmDeliver: more than 140 octets of user data');
    out.push(udl, ...hdr, ...ud);
  }
  return Uint8Array.from(out);
}

/** Options of `encodeGsmWapPush`. */
export interface GsmWapPushInit {
  originator: string;
  /** Concatenation reference (default 0x42). */
  ref?: number;
  /** Reference width when the push needs several parts (default 8). */
  refBits?: 8 | 16;
  /** Destination port, default 2948. */
  dstPort?: number;
  /** Source port, default 9200. */
  srcPort?: number;
  /** Repeat the port IE in every part (common practice, default) or only in the first. */
  portsInEveryPart?: boolean;
  smsc?: string;
  scts?: GsmTimestamp;
  /** Force concatenation IEs even when the payload fits in one SMS. */
  forceConcat?: boolean;
}

/**
 * Splits a WSP push PDU into 8-bit SMS-DELIVER PDUs with port (and when needed concatenation)
 * IEs, as a push proxy gateway does. Returns the parts in sequence order.
 */
export function encodeGsmWapPush(wsp: Uint8Array, init: GsmWapPushInit): Uint8Array[] {
  const dst = init.dstPort ?? WAP_PUSH_PORT;
  const src = init.srcPort ?? WAP_PUSH_SRC_PORT;
  const refBits = init.refBits ?? 8;
  const ref = init.ref ?? 0x42;
  const every = init.portsInEveryPart ?? true;
  const base = { originator: init.originator, dcs: 0x04, ...(init.smsc !== undefined ? { smsc: init.smsc } : {}), ...(init.scts ? { scts: init.scts } : {}) };
  if (!init.forceConcat && wsp.length <= 140 - 7) return [encodeGsmDeliver({ ...base, udh: [portsIe(dst, src)], ud: wsp })];
  const room = 140 - 7 - (refBits === 8 ? 5 : 6);
  const total = Math.max(1, Math.ceil(wsp.length / room));
  if (total > 255) throw new RangeError('encodeGsmWapPush: payload needs more than 255 parts');
  const parts: Uint8Array[] = [];
  for (let i = 0; i < total; i++) {
    const ies: UdhIe[] = [];
    if (every || i === 0) ies.push(portsIe(dst, src));
    ies.push(concatIe(ref, total, i + 1, refBits));
    parts.push(encodeGsmDeliver({ ...base, udh: ies, ud: wsp.subarray(i * room, (i + 1) * room) }));
  }
  return parts;
}
