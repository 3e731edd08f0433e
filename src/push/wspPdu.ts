/**
 * WSP (WAP-230-WSP §8) connectionless Push PDU (the code behind ./wsp, without its name arrays: the
 * push router imports this module, so a listening QuickJS device never builds those arrays): TID, PDU type, uintvar header length,
 * Content-Type (short-integer, text, or general form with parameters), headers (well-known
 * with code-page shifts, or application headers), body. Zero-copy: `body` and raw header
 * values are views into the input. Unknown headers are kept generically and never fail the PDU.
 */
import { DecodeError } from '../errors';

/** PDU type Push (§8.2.1 Table 34). */
export const WSP_PDU_PUSH = 0x06;
/** PDU type ConfirmedPush. */
export const WSP_PDU_CONFIRMED_PUSH = 0x07;
/** Well-known header field code of X-Wap-Application-Id (§8.4.1 Table 39). */
export const WSP_HDR_APP_ID = 0x2f;
/** Well-known content type code of application/vnd.syncml.notification (WINA). */
export const WSP_CT_SYNCML_NOTIFICATION = 0x44;
/** Push application id code of x-wap-application:syncml.dm (WINA). */
export const WSP_APPID_SYNCML_DM = 0x07;

/** Bound on the number of headers in one PDU (a 140-octet SMS holds far fewer). */
export const DEFAULT_WSP_MAX_HEADERS = 32;

/** Decoder limits. */
export interface WspLimits {
  /** Headers (excluding Content-Type) accepted in one PDU; more → DecodeError 'too-many-headers'. Default 32. */
  maxHeaders: number;
}

/**
 * Well-known content types (WAP-230 Table 40 + WINA registry; checked against tshark's table),
 * entry i = code i, '|'-separated. The tables are packed strings, looked up on demand, rather than
 * arrays of literals: QuickJS makes an atom of every string literal in loaded bytecode, and a
 * listening device looks up one or two names per push (./wsp exports them as arrays).
 */
export const WSP_CONTENT_TYPES_PACKED =
  '*/*|text/*|text/html|text/plain|text/x-hdml|text/x-ttml|text/x-vCalendar|text/x-vCard|' +
  'text/vnd.wap.wml|text/vnd.wap.wmlscript|text/vnd.wap.channel|multipart/*|multipart/mixed|' +
  'multipart/form-data|multipart/byteranges|multipart/alternative|application/*|' +
  'application/java-vm|application/x-www-form-urlencoded|application/x-hdmlc|' +
  'application/vnd.wap.wmlc|application/vnd.wap.wmlscriptc|application/vnd.wap.channelc|' +
  'application/vnd.wap.uaprof|application/vnd.wap.wtls-ca-certificate|' +
  'application/vnd.wap.wtls-user-certificate|application/x-x509-ca-cert|' +
  'application/x-x509-user-cert|image/*|image/gif|image/jpeg|image/tiff|image/png|' +
  'image/vnd.wap.wbmp|application/vnd.wap.multipart.*|application/vnd.wap.multipart.mixed|' +
  'application/vnd.wap.multipart.form-data|application/vnd.wap.multipart.byteranges|' +
  'application/vnd.wap.multipart.alternative|application/xml|text/xml|application/vnd.wap.wbxml|' +
  'application/x-x968-cross-cert|application/x-x968-ca-cert|application/x-x968-user-cert|' +
  'text/vnd.wap.si|application/vnd.wap.sic|text/vnd.wap.sl|application/vnd.wap.slc|text/vnd.wap.co|' +
  'application/vnd.wap.coc|application/vnd.wap.multipart.related|application/vnd.wap.sia|' +
  'text/vnd.wap.connectivity-xml|application/vnd.wap.connectivity-wbxml|application/pkcs7-mime|' +
  'application/vnd.wap.hashed-certificate|application/vnd.wap.signed-certificate|' +
  'application/vnd.wap.cert-response|application/xhtml+xml|application/wml+xml|text/css|' +
  'application/vnd.wap.mms-message|application/vnd.wap.rollover-certificate|' +
  'application/vnd.wap.locc+wbxml|application/vnd.wap.loc+xml|application/vnd.syncml.dm+wbxml|' +
  'application/vnd.syncml.dm+xml|application/vnd.syncml.notification|application/vnd.wap.xhtml+xml|' +
  'application/vnd.wv.csp.cir|application/vnd.oma.dd+xml|application/vnd.oma.drm.message|' +
  'application/vnd.oma.drm.content|application/vnd.oma.drm.rights+xml|' +
  'application/vnd.oma.drm.rights+wbxml|application/vnd.wv.csp+xml|application/vnd.wv.csp+wbxml';
/** Registered content type codes beyond the dense table. */
const MORE_CONTENT_TYPES: Readonly<Record<number, string>> = { 0x5a: 'application/octet-stream' };

/** Push application ids (WINA), entry i = code i, '|'-separated. */
export const WSP_APP_IDS_PACKED =
  'x-wap-application:*|x-wap-application:push.sia|x-wap-application:wml.ua|' +
  'x-wap-application:wta.ua|x-wap-application:mms.ua|x-wap-application:push.syncml|' +
  'x-wap-application:loc.ua|x-wap-application:syncml.dm|x-wap-application:drm.ua|' +
  'x-wap-application:emn.ua|x-wap-application:wv.ua';

/** Well-known header field names, code page 1 (WSP encoding versions 1.1–1.4), entry i = code i, '|'-separated. */
export const WSP_HEADER_NAMES_PACKED =
  'Accept|Accept-Charset|Accept-Encoding|Accept-Language|Accept-Ranges|Age|Allow|Authorization|' +
  'Cache-Control|Connection|Content-Base|Content-Encoding|Content-Language|Content-Length|' +
  'Content-Location|Content-MD5|Content-Range|Content-Type|Date|Etag|Expires|From|Host|' +
  'If-Modified-Since|If-Match|If-None-Match|If-Range|If-Unmodified-Since|Location|Last-Modified|' +
  'Max-Forwards|Pragma|Proxy-Authenticate|Proxy-Authorization|Public|Range|Referer|Retry-After|' +
  'Server|Transfer-Encoding|Upgrade|User-Agent|Vary|Via|Warning|WWW-Authenticate|' +
  'Content-Disposition|X-Wap-Application-Id|X-Wap-Content-URI|X-Wap-Initiator-URI|' +
  'Accept-Application|Bearer-Indication|Push-Flag|Profile|Profile-Diff|Profile-Warning|Expect|TE|' +
  'Trailer|Accept-Charset|Accept-Encoding|Cache-Control|Content-Range|X-Wap-Tod|Content-ID|' +
  'Set-Cookie|Cookie|Encoding-Version|Profile-Warning|Content-Disposition|X-WAP-Security|' +
  'Cache-Control';

/** Well-known parameter names (§8.4.2.4 Table 38), entry i = code i, '|'-separated (code 4 has none). */
export const WSP_PARAM_NAMES_PACKED =
  'Q|Charset|Level|Type||Name|Filename|Differences|Padding|Type|Start|Start-info|Comment|Domain|' +
  'Max-Age|Path|Secure|SEC|MAC|Creation-date|Modification-date|Read-date|Size|Name|Filename|Start|' +
  'Start-info|Comment|Domain|Path';

/** Entry `i` of a '|'-separated table, or undefined past its end (or for a negative / fractional i). */
function packedEntry(table: string, i: number): string | undefined {
  if (!Number.isInteger(i) || i < 0) return undefined;
  let start = 0;
  for (let k = 0; k < i; k++) {
    const bar = table.indexOf('|', start);
    if (bar < 0) return undefined;
    start = bar + 1;
  }
  const end = table.indexOf('|', start);
  return table.slice(start, end < 0 ? table.length : end);
}

/** Index of `name` in a '|'-separated table (exact match), or -1. */
function packedIndex(table: string, name: string): number {
  if (name.includes('|')) return -1;
  const at = ('|' + table + '|').indexOf('|' + name + '|');
  if (at < 0) return -1;
  let i = 0;
  for (let p = table.indexOf('|'); p >= 0 && p < at; p = table.indexOf('|', p + 1)) i++;
  return i;
}

/** Headers whose value is an Integer-value or a date (Long-integer) in WSP encoding. */
const INTEGER_HEADERS = new Set([0x05, 0x0d, 0x12, 0x14, 0x17, 0x1b, 0x1d, 0x1e, 0x2f, 0x34, 0x3f]);

/** A decoded header or parameter value: number (integers, dates as seconds), text, or raw bytes of a structured value. */
export type WspValue = number | string | Uint8Array;

/** A content-type parameter. */
export interface WspParam {
  /** Parameter name (lower-case for untyped parameters as sent). */
  name: string;
  /** Well-known parameter code, or null for an untyped (textual) parameter. */
  code: number | null;
  value: WspValue;
}

/** A header other than Content-Type. */
export interface WspHeader {
  /** Field name (well-known name from the table, the application header's token, or 'page<N>-0x<code>'). */
  name: string;
  /** Well-known field code (code page 1), or null for application headers and other pages. */
  code: number | null;
  value: WspValue;
  /** The encoded value bytes (view into the PDU). */
  raw: Uint8Array;
}

/** A decoded Push PDU. */
export interface WspPush {
  /** Transaction id (connectionless PDUs only; -1 otherwise). */
  tid: number;
  /** 0x06 Push or 0x07 ConfirmedPush. */
  pduType: number;
  /** Media type: the well-known name, the textual type as sent, or 'application/x-wsp-0x<code>' for an unlisted code. */
  contentType: string;
  /** Well-known content type code when sent in binary form, else null. */
  contentTypeCode: number | null;
  contentTypeParams: WspParam[];
  headers: WspHeader[];
  /** X-Wap-Application-Id: a number when sent as an integer, the text (URI) otherwise; null if absent. */
  appId: number | string | null;
  /** Offset of the body in the input. */
  bodyOffset: number;
  /** The body (view). */
  body: Uint8Array;
}

/** Byte cursor over `[p, end)` that raises DecodeError with absolute offsets. */
class Cursor {
  constructor(readonly b: Uint8Array, public p: number, public end: number, public state: string) {}
  fail(code: string, msg: string, at = this.p): never {
    throw new DecodeError(code, msg, at, at < this.b.length ? this.b[at]! : -1, this.state);
  }
  peek(): number {
    if (this.p >= this.end) this.fail('truncated', 'unexpected end');
    return this.b[this.p]!;
  }
  u8(): number {
    const v = this.peek();
    this.p++;
    return v;
  }
  /** uintvar (§8.1.2): 7 bits per octet, MSB = continue; at most 5 octets / 32 bits. */
  uintvar(): number {
    let v = 0;
    for (let i = 0; i < 5; i++) {
      const c = this.u8();
      v = v * 128 + (c & 0x7f);
      if ((c & 0x80) === 0) {
        if (v > 0xffffffff) this.fail('bad-uintvar', 'uintvar exceeds 32 bits', this.p - 1);
        return v;
      }
    }
    return this.fail('bad-uintvar', 'uintvar longer than 5 octets', this.p - 1);
  }
  /** Value-length (§8.4.2.2): Short-length 0..30, or 31 + uintvar. Checks that it fits. */
  valueLength(): number {
    const c = this.u8();
    let n: number;
    if (c < 31) n = c;
    else if (c === 31) n = this.uintvar();
    else return this.fail('bad-length', 'value-length expected', this.p - 1);
    if (n > this.end - this.p) this.fail('truncated', `value length ${n} runs past its container`, this.p - 1);
    return n;
  }
  /** Multi-octet big-endian integer of `n` octets (1..6, so it stays an exact JS number). */
  multi(n: number): number {
    if (n < 1 || n > 6) this.fail('bad-integer', `long-integer of ${n} octets`, this.p - 1);
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + this.u8();
    return v;
  }
  /** Integer-value: Short-integer or Long-integer. */
  integer(): number {
    const c = this.u8();
    if (c >= 0x80) return c & 0x7f;
    if (c <= 30) return this.multi(c);
    return this.fail('bad-integer', 'integer value expected', this.p - 1);
  }
  /** Text-string / Token-text / Quoted-string / Extension-media: optional Quote (127) or '"', then chars up to NUL. */
  text(): string {
    let c = this.peek();
    if (c === 127 || c === 34) this.p++;
    let s = '';
    for (;;) {
      c = this.u8();
      if (c === 0) return s;
      s += String.fromCharCode(c);
    }
  }
}

/**
 * Generic field value (§8.4.1.2): 0..30 Short-length + data, 31 + uintvar + data, 32..127
 * text, 128..255 Short-integer. Length-prefixed data decodes as an integer for `asInteger`
 * fields (Long-integer), else stays raw bytes.
 */
function genericValue(c: Cursor, asInteger: boolean): WspValue {
  const b = c.peek();
  if (b >= 0x80) { c.p++; return b & 0x7f; }
  if (b >= 32) return c.text();
  const n = c.valueLength();
  if (asInteger && n >= 1 && n <= 6) return c.multi(n);
  const v = c.b.subarray(c.p, c.p + n);
  c.p += n;
  return v;
}

/** Name of a well-known content type code ('application/x-wsp-0x<code>' when unlisted). */
export function wspContentTypeName(code: number): string {
  return packedEntry(WSP_CONTENT_TYPES_PACKED, code) ?? MORE_CONTENT_TYPES[code] ?? `application/x-wsp-0x${code.toString(16)}`;
}

/** Well-known code of a content type name (exact, as in the table: lower case but for `text/x-vCalendar`/`text/x-vCard`), or -1. */
export function wspContentTypeCode(name: string): number {
  return packedIndex(WSP_CONTENT_TYPES_PACKED, name);
}

/** Name of a push application id code (WINA), or undefined when unregistered. */
export function wspAppIdName(code: number): string | undefined {
  return packedEntry(WSP_APP_IDS_PACKED, code);
}

/** Parameters until `end` (§8.4.2.4): typed (Integer-value code + Typed-value) or untyped (Token-text + value). */
function params(c: Cursor, end: number, out: WspParam[], max: number): void {
  while (c.p < end) {
    if (out.length >= max) c.fail('too-many-headers', 'too many content-type parameters');
    const b = c.peek();
    if (b >= 0x80 || b < 0x20) {
      const code = c.integer();
      let value: WspValue;
      if (code === 0x00) {
        value = c.uintvar(); // Q-value: 1–2 octets with uintvar continuation
      } else if (c.peek() === 0) {
        c.p++;
        value = ''; // No-value
      } else value = genericValue(c, true);
      out.push({ name: packedEntry(WSP_PARAM_NAMES_PACKED, code) || `param-0x${code.toString(16)}`, code, value });
    } else {
      const name = c.text();
      let value: WspValue;
      const v = c.peek();
      if (v === 0) { c.p++; value = ''; } else if (v >= 0x80 || v <= 30) value = c.integer();
      else value = c.text();
      out.push({ name, code: null, value });
    }
    if (c.p > end) c.fail('truncated', 'parameter runs past the content-type value', end);
  }
}

/**
 * Decodes a WSP Push PDU. `connectionless` (default true) means the PDU starts with a TID octet.
 * DecodeError codes: 'truncated', 'not-push', 'bad-uintvar', 'bad-length', 'bad-integer',
 * 'bad-header', 'too-many-headers'.
 */
export function decodeWspPush(bytes: Uint8Array, opts: { connectionless?: boolean; limits?: Partial<WspLimits> } = {}): WspPush {
  const maxHeaders = opts.limits?.maxHeaders ?? DEFAULT_WSP_MAX_HEADERS;
  const c = new Cursor(bytes, 0, bytes.length, 'wsp-pdu');
  const tid = opts.connectionless === false ? -1 : c.u8();
  const pduType = c.u8();
  if (pduType !== WSP_PDU_PUSH && pduType !== WSP_PDU_CONFIRMED_PUSH) c.fail('not-push', `PDU type 0x${pduType.toString(16)} is not Push`, c.p - 1);
  c.state = 'wsp-headers-length';
  const hlen = c.uintvar();
  const hStart = c.p;
  if (hlen > bytes.length - hStart) c.fail('truncated', `headers length ${hlen} runs past the PDU`, hStart - 1);
  const hEnd = hStart + hlen;
  const h = new Cursor(bytes, hStart, hEnd, 'wsp-content-type');
  // Content-Type (mandatory, first, without a field name).
  let contentType: string;
  let contentTypeCode: number | null = null;
  const contentTypeParams: WspParam[] = [];
  const first = h.peek();
  if (first >= 0x80) {
    h.p++;
    contentTypeCode = first & 0x7f;
    contentType = wspContentTypeName(contentTypeCode);
  } else if (first >= 32) {
    contentType = h.text();
  } else {
    const n = h.valueLength();
    const end = h.p + n;
    const inner = new Cursor(bytes, h.p, end, 'wsp-content-type');
    const m = inner.peek();
    if (m >= 0x80 || m <= 30) {
      contentTypeCode = inner.integer();
      contentType = wspContentTypeName(contentTypeCode);
    } else contentType = inner.text();
    inner.state = 'wsp-content-type-params';
    params(inner, end, contentTypeParams, maxHeaders);
    h.p = end;
  }
  // Headers.
  const headers: WspHeader[] = [];
  let appId: number | string | null = null;
  let page = 1;
  h.state = 'wsp-header';
  while (h.p < hEnd) {
    const b = h.u8();
    if (b === 127) { page = h.u8(); continue; } // Shift-delimiter + Page-identity
    if (b >= 1 && b <= 31) { page = b; continue; } // Short-cut-shift-delimiter
    if (b === 0) h.fail('bad-header', 'NUL where a header field name was expected', h.p - 1);
    if (headers.length >= maxHeaders) h.fail('too-many-headers', `more than ${maxHeaders} headers`, h.p - 1);
    let name: string;
    let code: number | null;
    let value: WspValue;
    let vStart: number;
    if (b >= 0x80) {
      const fc = b & 0x7f;
      code = page === 1 ? fc : null;
      name = page === 1 ? packedEntry(WSP_HEADER_NAMES_PACKED, fc) ?? `header-0x${fc.toString(16)}` : `page${page}-0x${fc.toString(16)}`;
      vStart = h.p;
      value = genericValue(h, page === 1 && INTEGER_HEADERS.has(fc));
      if (code === WSP_HDR_APP_ID) {
        if (typeof value === 'object') h.fail('bad-header', 'X-Wap-Application-Id is neither integer nor URI', vStart);
        else appId = value;
      }
    } else {
      h.p--;
      name = h.text();
      code = null;
      vStart = h.p;
      value = genericValue(h, false);
      if (name.toLowerCase() === 'x-wap-application-id' && typeof value !== 'object') appId = value;
    }
    headers.push({ name, code, value, raw: bytes.subarray(vStart, h.p) });
  }
  return { tid, pduType, contentType, contentTypeCode, contentTypeParams, headers, appId, bodyOffset: hEnd, body: bytes.subarray(hEnd) };
}

/**
 * The content type of a Push PDU if its first bytes parse as one (TID, Push type, header
 * length, Content-Type), else null. Never throws; reads only the header start, so it works on
 * the first segment of a segmented push. Used to detect the CDMA duplicated-port quirk.
 */
export function peekWspPushContentType(bytes: Uint8Array): string | null {
  try {
    const c = new Cursor(bytes, 0, bytes.length, 'wsp-peek');
    c.u8();
    const t = c.u8();
    if (t !== WSP_PDU_PUSH && t !== WSP_PDU_CONFIRMED_PUSH) return null;
    c.uintvar();
    const b = c.peek();
    if (b >= 0x80) return wspContentTypeName(b & 0x7f);
    if (b >= 32) return c.text();
    c.valueLength();
    const m = c.peek();
    return m >= 0x80 || m <= 30 ? wspContentTypeName(c.integer()) : c.text();
  } catch (e) {
    if (e instanceof DecodeError) return null;
    throw e;
  }
}
