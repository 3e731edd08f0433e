/**
 * CDMA SMS (3GPP2 C.S0015 / IS-637) transport-layer messages and the WAP teleservice (4100):
 * parameters (Teleservice Identifier, Originating Address, Bearer Reply Option, Bearer Data),
 * bearer-data subparameters (Message Identifier, User Data with its bit-aligned fields), and
 * the WDP datagram header carried in WAP user data (WAP-259-WDP §6.5; Android's
 * CdmaInboundSmsHandler): MSG_TYPE(8)=0, TOTAL_SEGMENTS(8), SEGMENT_NUMBER(8, 0-based), then in
 * segment 0 SOURCE_PORT(16) DESTINATION_PORT(16), then the WSP data.
 */
import { DecodeError } from '../errors';
import { BitReader, BitWriter } from './bits';
import { peekWspPushContentType, WSP_CT_SYNCML_NOTIFICATION, wspContentTypeName } from './wspPdu';
import { WAP_PUSH_PORT, WAP_PUSH_SRC_PORT } from './udh';

/** Teleservice id of WAP (C.S0015 Table 3.4.3.1-1 / TIA TSB-58). */
export const TELESERVICE_WAP = 4100;
/** Teleservice id of wireless messaging (CMT-95), for ordinary texts. */
export const TELESERVICE_WMT = 4098;
/** SMS_MSG_TYPE Point-to-Point. */
export const CDMA_MSG_POINT_TO_POINT = 0;

/** An address parameter (C.S0015 §3.4.3.3). */
export interface CdmaAddress {
  /** 0 = 4-bit DTMF digits, 1 = 8-bit characters. */
  digitMode: number;
  /** 0 = ANSI T1.607 number, 1 = data network address (e-mail, IP). */
  numberMode: number;
  /** NUMBER_TYPE (3 bits, only with digitMode 1), else 0. */
  numberType: number;
  /** NUMBER_PLAN (4 bits, only with digitMode 1 and numberMode 0), else 0. */
  numberPlan: number;
  /** The address as text (DTMF digits 0-9 * #, or the 8-bit characters). */
  address: string;
}

/** User Data subparameter (C.S0015 §4.5.2). */
export interface CdmaUserData {
  /** MSG_ENCODING: 0 octet, 2 7-bit ASCII, 3 IA5, 4 UCS-2, 8 Latin-1, 9 GSM 7-bit, others not decoded. */
  encoding: number;
  /** NUM_FIELDS. */
  numFields: number;
  /** For octet encoding: the octets (copied out of their bit-aligned position). Empty otherwise. */
  bytes: Uint8Array;
  /** For the character encodings 2, 3, 4, 8: the text; null otherwise. */
  text: string | null;
}

/** A decoded transport-layer message. */
export interface CdmaSms {
  /** SMS_MSG_TYPE: 0 point-to-point, 1 broadcast, 2 acknowledge. */
  messageType: number;
  teleservice: number | null;
  originator: CdmaAddress | null;
  /** REPLY_SEQ of the Bearer Reply Option, or null. */
  replySeq: number | null;
  /** Bearer Data parameter value (view), or null. */
  bearerData: Uint8Array | null;
  /** Message Identifier subparameter, or null. */
  messageId: { type: number; id: number; headerInd: boolean } | null;
  userData: CdmaUserData | null;
}

const DTMF = ' 1234567890*#';

function fail(code: string, msg: string, b: Uint8Array, off: number, state: string): never {
  throw new DecodeError(code, msg, off, off < b.length ? b[off]! : -1, state);
}

function parseAddress(b: Uint8Array, start: number, end: number): CdmaAddress {
  const r = new BitReader(b, start, end, 'cdma-address');
  const digitMode = r.read(1);
  const numberMode = r.read(1);
  let numberType = 0, numberPlan = 0;
  if (digitMode === 1) {
    numberType = r.read(3);
    if (numberMode === 0) numberPlan = r.read(4);
  }
  const n = r.read(8);
  let address = '';
  for (let i = 0; i < n; i++) {
    if (digitMode === 0) {
      const d = r.read(4);
      address += d >= 1 && d <= 12 ? DTMF[d]! : '?';
    } else address += String.fromCharCode(r.read(8));
  }
  return { digitMode, numberMode, numberType, numberPlan, address };
}

function parseUserData(b: Uint8Array, start: number, end: number): CdmaUserData {
  const r = new BitReader(b, start, end, 'cdma-user-data');
  const encoding = r.read(5);
  if (encoding === 1) r.read(8); // IS-91 extended protocol: MESSAGE_TYPE
  const numFields = r.read(8);
  let bytes = new Uint8Array(0);
  let text: string | null = null;
  if (encoding === 0) {
    bytes = new Uint8Array(numFields);
    r.readBytes(numFields, bytes);
  } else if (encoding === 2 || encoding === 3 || encoding === 4 || encoding === 8) {
    const w = encoding === 4 ? 16 : encoding === 8 ? 8 : 7;
    text = '';
    for (let i = 0; i < numFields; i++) text += String.fromCharCode(r.read(w));
  }
  return { encoding, numFields, bytes, text };
}

/**
 * Decodes a transport-layer message. Unknown parameters and subparameters are skipped.
 * DecodeError codes: 'truncated' (a parameter or field runs past the end), 'bad-length'.
 */
export function decodeCdmaSms(bytes: Uint8Array): CdmaSms {
  if (bytes.length < 1) fail('truncated', 'empty CDMA message', bytes, 0, 'cdma-msg-type');
  const out: CdmaSms = { messageType: bytes[0]!, teleservice: null, originator: null, replySeq: null, bearerData: null, messageId: null, userData: null };
  let p = 1;
  while (p < bytes.length) {
    if (p + 2 > bytes.length) fail('truncated', 'parameter header cut short', bytes, p, 'cdma-param');
    const id = bytes[p]!;
    const len = bytes[p + 1]!;
    const s = p + 2;
    const e = s + len;
    if (e > bytes.length) fail('truncated', `parameter 0x${id.toString(16)} length ${len} runs past the end`, bytes, p + 1, 'cdma-param');
    switch (id) {
      case 0x00:
        if (len < 2) fail('bad-length', 'teleservice identifier shorter than 2 octets', bytes, p + 1, 'cdma-teleservice');
        out.teleservice = (bytes[s]! << 8) | bytes[s + 1]!;
        break;
      case 0x02: out.originator = parseAddress(bytes, s, e); break;
      case 0x06:
        if (len < 1) fail('bad-length', 'empty bearer reply option', bytes, p + 1, 'cdma-reply-option');
        out.replySeq = bytes[s]! >> 2;
        break;
      case 0x08: out.bearerData = bytes.subarray(s, e); parseBearer(bytes, s, e, out); break;
      default: break;
    }
    p = e;
  }
  return out;
}

function parseBearer(b: Uint8Array, start: number, end: number, out: CdmaSms): void {
  let p = start;
  while (p < end) {
    if (p + 2 > end) fail('truncated', 'subparameter header cut short', b, p, 'cdma-subparam');
    const id = b[p]!;
    const len = b[p + 1]!;
    const s = p + 2;
    const e = s + len;
    if (e > end) fail('truncated', `subparameter 0x${id.toString(16)} length ${len} runs past the bearer data`, b, p + 1, 'cdma-subparam');
    if (id === 0x00) {
      const r = new BitReader(b, s, e, 'cdma-message-id');
      out.messageId = { type: r.read(4), id: r.read(16), headerInd: r.read(1) === 1 };
    } else if (id === 0x01 && out.userData === null) {
      out.userData = parseUserData(b, s, e);
    }
    p = e;
  }
}

/** How to treat the duplicated WDP ports some CDMA carriers put in OMA DM pushes (facts §6.3). */
export type DuplicatePortsMode = 'never' | 'detect';

/** A WDP datagram segment from WAP user data. */
export interface CdmaWdpSegment {
  /** TOTAL_SEGMENTS (1..255). */
  total: number;
  /** SEGMENT_NUMBER, 0-based. */
  segment: number;
  /** Ports (segment 0 only; -1 in later segments). */
  srcPort: number;
  dstPort: number;
  /** The datagram bytes of this segment (view into the user data). */
  payload: Uint8Array;
  /** True when the duplicated-port quirk was detected and 4 bytes were skipped. */
  skippedDuplicatePorts: boolean;
}

/**
 * Parses the WDP header of WAP user data. In 'detect' mode (default) the 4 bytes after the ports
 * are skipped when the data there does not parse as a push but the data after them parses as a
 * push of application/vnd.syncml.notification (Android's checkDuplicatePortOmadmWapPush rule).
 * DecodeError codes: 'truncated', 'not-wdp' (MSG_TYPE ≠ 0), 'bad-segment' (total 0 or segment ≥ total).
 */
export function parseCdmaWdp(ud: Uint8Array, opts: { duplicatePorts?: DuplicatePortsMode } = {}): CdmaWdpSegment {
  if (ud.length < 3) fail('truncated', 'WDP header needs 3 octets', ud, ud.length, 'cdma-wdp');
  if (ud[0] !== 0) fail('not-wdp', `WAP user data MSG_TYPE ${ud[0]} is not WDP`, ud, 0, 'cdma-wdp');
  const total = ud[1]!;
  const segment = ud[2]!;
  if (total === 0 || segment >= total) fail('bad-segment', `segment ${segment} of ${total}`, ud, 2, 'cdma-wdp');
  let p = 3;
  let srcPort = -1, dstPort = -1;
  let skipped = false;
  if (segment === 0) {
    if (ud.length < 7) fail('truncated', 'WDP ports need 4 octets', ud, ud.length, 'cdma-wdp-ports');
    srcPort = (ud[3]! << 8) | ud[4]!;
    dstPort = (ud[5]! << 8) | ud[6]!;
    p = 7;
    if ((opts.duplicatePorts ?? 'detect') === 'detect' && ud.length >= p + 4) {
      const dm = wspContentTypeName(WSP_CT_SYNCML_NOTIFICATION);
      if (peekWspPushContentType(ud.subarray(p)) !== dm && peekWspPushContentType(ud.subarray(p + 4)) === dm) {
        p += 4;
        skipped = true;
      }
    }
  }
  return { total, segment, srcPort, dstPort, payload: ud.subarray(p), skippedDuplicatePorts: skipped };
}

/** What `encodeCdmaSms` builds (a point-to-point deliver with octet user data). */
export interface CdmaSmsInit {
  /** Default 4100 (WAP). */
  teleservice?: number;
  /** Digits (4-bit DTMF) or any other ASCII text (8-bit characters, digit mode 1). */
  originator: string;
  /** MESSAGE_ID 0..65535. */
  messageId: number;
  /** MESSAGE_TYPE of the Message Identifier, default 1 (Deliver). */
  messageIdType?: number;
  /** Bearer Reply Option REPLY_SEQ (0..63); omitted when undefined. */
  replySeq?: number;
  /** User data octets (MSG_ENCODING 0). At most 246 octets. */
  userData: Uint8Array;
}

/** Builds a transport-layer Point-to-Point message. RangeError on out-of-range fields. */
export function encodeCdmaSms(init: CdmaSmsInit): Uint8Array {
  if (init.userData.length > 246) throw new RangeError('encodeCdmaSms: user data longer than 246 octets');
  if (!Number.isInteger(init.messageId) || init.messageId < 0 || init.messageId > 0xffff) throw new RangeError('encodeCdmaSms: messageId must be 0..65535');
  const out: number[] = [CDMA_MSG_POINT_TO_POINT];
  const ts = init.teleservice ?? TELESERVICE_WAP;
  out.push(0x00, 2, ts >> 8, ts & 0xff);
  const a = new BitWriter();
  const dtmf = /^[0-9*#]+$/.test(init.originator);
  if (init.originator.length > 255) throw new RangeError('encodeCdmaSms: originator too long');
  if (dtmf) {
    a.write(0, 1).write(0, 1).write(init.originator.length, 8);
    for (const ch of init.originator) a.write(DTMF.indexOf(ch), 4);
  } else {
    a.write(1, 1).write(0, 1).write(0, 3).write(1, 4).write(init.originator.length, 8);
    for (let i = 0; i < init.originator.length; i++) a.write(init.originator.charCodeAt(i) & 0xff, 8);
  }
  const ab = a.bytes();
  if (ab.length > 255) throw new RangeError('encodeCdmaSms: originator too long');
  out.push(0x02, ab.length, ...ab);
  if (init.replySeq !== undefined) out.push(0x06, 1, (init.replySeq & 0x3f) << 2);
  const mid = new BitWriter().write(init.messageIdType ?? 1, 4).write(init.messageId, 16).write(0, 1).write(0, 3).bytes();
  const udw = new BitWriter().write(0, 5).write(init.userData.length, 8);
  for (const x of init.userData) udw.write(x, 8);
  const ud = udw.bytes();
  const bearer = [0x00, mid.length, ...mid, 0x01, ud.length, ...ud];
  out.push(0x08, bearer.length, ...bearer);
  return Uint8Array.from(out);
}

/** Options of `encodeCdmaWapPush`. */
export interface CdmaWapPushInit {
  originator: string;
  messageId: number;
  srcPort?: number;
  dstPort?: number;
  /** Largest user data per message (WDP header included), default 140. */
  maxUserData?: number;
  /** Emit the carrier quirk: ports written twice in segment 0. */
  duplicatePorts?: boolean;
}

/** Splits a WSP push into WAP-teleservice messages with WDP headers (segment 0 first). */
export function encodeCdmaWapPush(wsp: Uint8Array, init: CdmaWapPushInit): Uint8Array[] {
  const max = init.maxUserData ?? 140;
  const src = init.srcPort ?? WAP_PUSH_SRC_PORT;
  const dst = init.dstPort ?? WAP_PUSH_PORT;
  const ports = [src >> 8, src & 0xff, dst >> 8, dst & 0xff];
  const head0 = init.duplicatePorts ? [...ports, ...ports] : ports;
  const room0 = max - 3 - head0.length;
  const room = max - 3;
  if (room0 < 1) throw new RangeError('encodeCdmaWapPush: maxUserData too small');
  const total = wsp.length <= room0 ? 1 : 1 + Math.ceil((wsp.length - room0) / room);
  if (total > 255) throw new RangeError('encodeCdmaWapPush: more than 255 segments');
  const msgs: Uint8Array[] = [];
  let off = 0;
  for (let seg = 0; seg < total; seg++) {
    const take = seg === 0 ? room0 : room;
    const chunk = wsp.subarray(off, off + take);
    off += take;
    const ud = Uint8Array.from([0, total, seg, ...(seg === 0 ? head0 : []), ...chunk]);
    msgs.push(encodeCdmaSms({ originator: init.originator, messageId: init.messageId, userData: ud }));
  }
  return msgs;
}
