/**
 * WSP (WAP-230-WSP §8) connectionless Push PDU: decoder, encoder and the well-known name tables as
 * arrays (index = code). What a device needs to receive pushes lives in ./wspPdu (the decoder, the
 * name tables packed into strings); this module adds the encoder (servers, tools, tests) and the
 * arrays, built from the same packed strings.
 */
import { WSP_APP_IDS_PACKED, WSP_APPID_SYNCML_DM, WSP_CONTENT_TYPES_PACKED, WSP_CT_SYNCML_NOTIFICATION, WSP_HDR_APP_ID, WSP_HEADER_NAMES_PACKED, WSP_PDU_PUSH } from './wspPdu';

export * from './wspPdu';

/** Well-known content types (WAP-230 Table 40 + WINA registry; checked against tshark's table), index = code. */
export const WSP_CONTENT_TYPES: readonly string[] = WSP_CONTENT_TYPES_PACKED.split('|');
/** Push application ids (WINA), index = code. */
export const WSP_APP_IDS: readonly string[] = WSP_APP_IDS_PACKED.split('|');
/** Well-known header field names, code page 1 (WSP encoding versions 1.1–1.4), index = code. */
export const WSP_HEADER_NAMES: readonly string[] = WSP_HEADER_NAMES_PACKED.split('|');

/** A header for `encodeWspPush`: well-known (by code) or application header (by name). */
export interface WspHeaderInit {
  /** Well-known field code (code page 1); omit for an application header. */
  code?: number;
  /** Application header token (used when `code` is absent). */
  name?: string;
  /** Integer (encoded short or long), text, or already-encoded value bytes. */
  value: number | string | Uint8Array;
}

/** What `encodeWspPush` builds. Defaults give the DM minimal form `01 06 03 C4 AF 87`. */
export interface WspPushInit {
  /** Transaction id, default 1. */
  tid?: number;
  /** Default 0x06 (Push). */
  pduType?: number;
  /** Well-known code or textual media type; default 0x44. */
  contentType?: number | string;
  /** Use the general form (Value-length + media + params) even without parameters. */
  contentTypeGeneral?: boolean;
  /** Content-type parameters (typed by code, or untyped by name). */
  contentTypeParams?: { code?: number; name?: string; value: number | string }[];
  /** X-Wap-Application-Id: number or URI text; null = omit. Default 7. */
  appId?: number | string | null;
  /** Encode a numeric app id as Long-integer even when it fits a Short-integer. */
  appIdLong?: boolean;
  /** Extra headers, after the app id. */
  headers?: readonly WspHeaderInit[];
  body: Uint8Array;
}

function pushInteger(out: number[], v: number, forceLong = false): void {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`WSP integer must be a non-negative integer, got ${v}`);
  if (v < 128 && !forceLong) { out.push(0x80 | v); return; }
  const bytes: number[] = [];
  do { bytes.unshift(v % 256); v = Math.floor(v / 256); } while (v > 0);
  if (bytes.length > 30) throw new RangeError('WSP integer too large');
  out.push(bytes.length, ...bytes);
}

function pushText(out: number[], s: string): void {
  if (s.length > 0 && s.charCodeAt(0) >= 128) out.push(127);
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch === 0 || ch > 255) throw new RangeError('WSP text must be Latin-1 without NUL');
    out.push(ch);
  }
  out.push(0);
}

/** Encodes a uintvar. */
export function encodeUintvar(v: number): number[] {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError('uintvar out of range');
  const out = [v & 0x7f];
  v = Math.floor(v / 128);
  while (v > 0) { out.unshift(0x80 | (v & 0x7f)); v = Math.floor(v / 128); }
  return out;
}

function pushValueLength(out: number[], n: number): void {
  if (n <= 30) out.push(n);
  else out.push(31, ...encodeUintvar(n));
}

/** Builds a WSP Push PDU (connectionless form, with TID). RangeError on unencodable input. */
export function encodeWspPush(init: WspPushInit): Uint8Array {
  const hdr: number[] = [];
  const ct = init.contentType ?? WSP_CT_SYNCML_NOTIFICATION;
  const ps = init.contentTypeParams ?? [];
  if (ps.length === 0 && !init.contentTypeGeneral) {
    if (typeof ct === 'number') pushInteger(hdr, ct); else pushText(hdr, ct);
  } else {
    const inner: number[] = [];
    if (typeof ct === 'number') pushInteger(inner, ct); else pushText(inner, ct);
    for (const p of ps) {
      if (p.code !== undefined) pushInteger(inner, p.code); else pushText(inner, p.name ?? '');
      if (typeof p.value === 'number') pushInteger(inner, p.value); else pushText(inner, p.value);
    }
    pushValueLength(hdr, inner.length);
    hdr.push(...inner);
  }
  const appId = init.appId === undefined ? WSP_APPID_SYNCML_DM : init.appId;
  if (appId !== null) {
    hdr.push(0x80 | WSP_HDR_APP_ID);
    if (typeof appId === 'number') pushInteger(hdr, appId, init.appIdLong); else pushText(hdr, appId);
  }
  for (const h of init.headers ?? []) {
    if (h.code !== undefined) hdr.push(0x80 | h.code); else pushText(hdr, h.name ?? '');
    if (typeof h.value === 'number') pushInteger(hdr, h.value);
    else if (typeof h.value === 'string') pushText(hdr, h.value);
    else hdr.push(...h.value);
  }
  const head = [init.tid ?? 1, init.pduType ?? WSP_PDU_PUSH, ...encodeUintvar(hdr.length), ...hdr];
  const out = new Uint8Array(head.length + init.body.length);
  out.set(head, 0);
  out.set(init.body, head.length);
  return out;
}
