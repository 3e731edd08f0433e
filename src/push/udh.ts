/**
 * GSM SMS User Data Header (3GPP TS 23.040 §9.2.3.24): information elements, and the two the
 * push path needs: concatenation (IEI 0x00 8-bit reference, 0x08 16-bit reference) and
 * application port addressing (IEI 0x04 8-bit ports, 0x05 16-bit ports; WAP push = 2948).
 */
import { DecodeError } from '../errors';

/** IEI: concatenated short message, 8-bit reference (ref, total, seq). */
export const IEI_CONCAT8 = 0x00;
/** IEI: application port addressing, 8-bit ports (dst, src). */
export const IEI_PORTS8 = 0x04;
/** IEI: application port addressing, 16-bit ports (dst, src). */
export const IEI_PORTS16 = 0x05;
/** IEI: concatenated short message, 16-bit reference (ref hi, ref lo, total, seq). */
export const IEI_CONCAT16 = 0x08;
/** WDP destination port of connectionless WAP push (WAP-259-WDP; OMA DM notifications). */
export const WAP_PUSH_PORT = 2948;
/** Usual WDP source port of a WAP push (WSP connectionless session service). */
export const WAP_PUSH_SRC_PORT = 9200;

/** One information element. `data` is a view into the PDU when decoded. */
export interface UdhIe {
  /** Information Element Identifier. */
  iei: number;
  /** IE data (without IEI and length octets). */
  data: Uint8Array;
}

/** A parsed UDH. */
export interface Udh {
  /** IEs in order of appearance. */
  ies: UdhIe[];
  /** Octets the header occupies including the UDHL octet (UDHL + 1). */
  length: number;
}

/** Concatenation IE content. */
export interface ConcatInfo {
  /** Reference number shared by all parts (0..255 or 0..65535). */
  ref: number;
  /** Number of parts (1..255). */
  total: number;
  /** This part's sequence number, 1-based. */
  seq: number;
  /** Width of the reference. */
  refBits: 8 | 16;
}

/** Application port addressing IE content. */
export interface PortInfo {
  dst: number;
  src: number;
  bits: 8 | 16;
}

/**
 * Parses the UDH that starts at `pdu[start]` (the UDHL octet) and must end by `end`.
 * DecodeError codes: 'truncated' (UDHL or an IE runs past `end`).
 */
export function parseUdh(pdu: Uint8Array, start: number, end: number = pdu.length): Udh {
  if (start >= end) throw new DecodeError('truncated', 'UDH length octet missing', start, -1, 'udh');
  const udhl = pdu[start]!;
  const hEnd = start + 1 + udhl;
  if (hEnd > end) throw new DecodeError('truncated', `UDH length ${udhl} exceeds user data`, start, udhl, 'udh');
  const ies: UdhIe[] = [];
  let p = start + 1;
  while (p < hEnd) {
    if (p + 2 > hEnd) throw new DecodeError('truncated', 'IE header cut by UDH end', p, pdu[p]!, 'udh-ie');
    const iei = pdu[p]!;
    const len = pdu[p + 1]!;
    if (p + 2 + len > hEnd) throw new DecodeError('truncated', `IE 0x${iei.toString(16)} length ${len} exceeds UDH`, p + 1, len, 'udh-ie');
    ies.push({ iei, data: pdu.subarray(p + 2, p + 2 + len) });
    p += 2 + len;
  }
  return { ies, length: 1 + udhl };
}

/** Encodes IEs into a UDH including its UDHL octet. RangeError if it would exceed 255 octets or an IE is >255. */
export function buildUdh(ies: readonly UdhIe[]): Uint8Array {
  let n = 0;
  for (const ie of ies) {
    if (ie.data.length > 255) throw new RangeError('buildUdh: IE data longer than 255 octets');
    n += 2 + ie.data.length;
  }
  if (n > 255) throw new RangeError('buildUdh: header longer than 255 octets');
  const out = new Uint8Array(1 + n);
  out[0] = n;
  let p = 1;
  for (const ie of ies) {
    out[p++] = ie.iei;
    out[p++] = ie.data.length;
    out.set(ie.data, p);
    p += ie.data.length;
  }
  return out;
}

/**
 * Concatenation info from the IEs, or null. Per 23.040 the last valid occurrence wins, and an IE
 * with total 0, seq 0 or seq > total (or the wrong length) is ignored.
 */
export function concatInfo(ies: readonly UdhIe[]): ConcatInfo | null {
  let r: ConcatInfo | null = null;
  for (const { iei, data: d } of ies) {
    let c: ConcatInfo | null = null;
    if (iei === IEI_CONCAT8 && d.length === 3) c = { ref: d[0]!, total: d[1]!, seq: d[2]!, refBits: 8 };
    else if (iei === IEI_CONCAT16 && d.length === 4) c = { ref: (d[0]! << 8) | d[1]!, total: d[2]!, seq: d[3]!, refBits: 16 };
    if (c && c.total > 0 && c.seq > 0 && c.seq <= c.total) r = c;
  }
  return r;
}

/** Application ports from the IEs, or null (last well-formed occurrence wins). */
export function portInfo(ies: readonly UdhIe[]): PortInfo | null {
  let r: PortInfo | null = null;
  for (const { iei, data: d } of ies) {
    if (iei === IEI_PORTS16 && d.length === 4) r = { dst: (d[0]! << 8) | d[1]!, src: (d[2]! << 8) | d[3]!, bits: 16 };
    else if (iei === IEI_PORTS8 && d.length === 2) r = { dst: d[0]!, src: d[1]!, bits: 8 };
  }
  return r;
}

/** IE for 16-bit application ports. */
export function portsIe(dst: number, src: number): UdhIe {
  return { iei: IEI_PORTS16, data: new Uint8Array([dst >> 8, dst & 0xff, src >> 8, src & 0xff]) };
}

/** IE for concatenation with an 8- or 16-bit reference. */
export function concatIe(ref: number, total: number, seq: number, refBits: 8 | 16): UdhIe {
  return refBits === 8
    ? { iei: IEI_CONCAT8, data: new Uint8Array([ref & 0xff, total, seq]) }
    : { iei: IEI_CONCAT16, data: new Uint8Array([(ref >> 8) & 0xff, ref & 0xff, total, seq]) };
}
