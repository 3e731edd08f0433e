/**
 * OMA Client Provisioning (the CP bootstrap profile, [DMBOOT] 3.1.3): decoding a WBXML provisioning
 * document (`application/vnd.wap.connectivity-wbxml`, WSP 0x36; DTD "-//WAPFORUM//DTD PROV 1.0//EN",
 * public id 0x0B) into characteristics and parms, and mapping the `w7` APPLICATION characteristic
 * (the DM account, OMA DM w7 application registration) onto a DMAcc profile (facts §7.8).
 *
 * The token tables below are written from the Provisioning Content specification's code pages
 * (OMA-WAP-TS-ProvCont-V1_1 §7; the same assignments appear in libwbxml's `sv_prov10_*` tables,
 * used here as the interop oracle): tag page 0/1 (`wap-provisioningdoc` 0x05, `characteristic`
 * 0x06, `parm` 0x07), attribute-start and attribute-value tokens of pages 0 and 1. In WBXML an
 * attribute is a start token (a name, possibly with a value prefix such as `name=NAME`) followed
 * by value tokens and strings up to the next start token or END; SWITCH_PAGE inside an attribute
 * list switches the attribute code page.
 *
 * Unknown attribute tokens decode to a placeholder (`?0x..`) instead of failing, so a document with
 * vendor parameters still yields its w7 account; structural damage (truncation, bad header, wrong
 * root, bounds) is a DecodeError. XML provisioning documents (`text/vnd.wap.connectivity-xml`) are
 * not supported (pushes carry WBXML).
 */
import { b64decode } from '../crypto/base64';
import type { DmAccountProfile, DmAuthProfile } from '../csp/dmacc';
import { AAUTH_TYPES } from '../csp/dmacc';
import { DecodeError } from '../errors';
import { isAclId } from '../tree/acl';
import { utf8Decode, utf8Encode } from '../util/utf8';
import type { BootstrapLimits } from './limits';
import { DEFAULT_BOOTSTRAP_LIMITS } from './limits';

// the content type (WSP 0x36, `application/vnd.wap.connectivity-wbxml`) is defined in ./kind
export { CP_WBXML_CT_CODE, CP_WBXML_TYPE } from './kind';
/** WBXML public id of PROV 1.0. */
export const CP_PUBLIC_ID = 0x0b;

/** One parm. */
export interface CpParm {
  name: string;
  value: string;
}

/** One characteristic (with its nested characteristics). */
export interface CpCharacteristic {
  type: string;
  parms: CpParm[];
  children: CpCharacteristic[];
}

/** A decoded provisioning document. */
export interface CpDocument {
  /** `version` attribute of wap-provisioningdoc ('' when absent). */
  version: string;
  characteristics: CpCharacteristic[];
}

/** The bounds CP decoding uses. */
export type CpLimits = Pick<BootstrapLimits, 'maxDocumentBytes' | 'maxCpCharacteristics' | 'maxCpParms' | 'maxValueBytes'>;

// ---------------------------------------------------------------------------------------------
// Token tables (page → token → [attribute, value prefix]); names per ProvCont.

const A0_NAME: readonly (readonly [number, string])[] = [
  [0x07, 'NAME'], [0x08, 'NAP-ADDRESS'], [0x09, 'NAP-ADDRTYPE'], [0x0a, 'CALLTYPE'], [0x0b, 'VALIDUNTIL'],
  [0x0c, 'AUTHTYPE'], [0x0d, 'AUTHNAME'], [0x0e, 'AUTHSECRET'], [0x0f, 'LINGER'], [0x10, 'BEARER'],
  [0x11, 'NAPID'], [0x12, 'COUNTRY'], [0x13, 'NETWORK'], [0x14, 'INTERNET'], [0x15, 'PROXY-ID'],
  [0x16, 'PROXY-PROVIDER-ID'], [0x17, 'DOMAIN'], [0x18, 'PROVURL'], [0x19, 'PXAUTH-TYPE'], [0x1a, 'PXAUTH-ID'],
  [0x1b, 'PXAUTH-PW'], [0x1c, 'STARTPAGE'], [0x1d, 'BASAUTH-ID'], [0x1e, 'BASAUTH-PW'], [0x1f, 'PUSHENABLED'],
  [0x20, 'PXADDR'], [0x21, 'PXADDRTYPE'], [0x22, 'TO-NAPID'], [0x23, 'PORTNBR'], [0x24, 'SERVICE'],
  [0x25, 'LINKSPEED'], [0x26, 'DNLINKSPEED'], [0x27, 'LOCAL-ADDR'], [0x28, 'LOCAL-ADDRTYPE'], [0x29, 'CONTEXT-ALLOW'],
  [0x2a, 'TRUST'], [0x2b, 'MASTER'], [0x2c, 'SID'], [0x2d, 'SOC'], [0x2e, 'WSP-VERSION'], [0x2f, 'PHYSICAL-PROXY-ID'],
  [0x30, 'CLIENT-ID'], [0x31, 'DELIVERY-ERR-SDU'], [0x32, 'DELIVERY-ORDER'], [0x33, 'TRAFFIC-CLASS'],
  [0x34, 'MAX-SDU-SIZE'], [0x35, 'MAX-BITRATE-UPLINK'], [0x36, 'MAX-BITRATE-DNLINK'], [0x37, 'RESIDUAL-BER'],
  [0x38, 'SDU-ERROR-RATIO'], [0x39, 'TRAFFIC-HANDL-PRIO'], [0x3a, 'TRANSFER-DELAY'],
  [0x3b, 'GUARANTEED-BITRATE-UPLINK'], [0x3c, 'GUARANTEED-BITRATE-DNLINK'], [0x3d, 'PXADDR-FQDN'],
  [0x3e, 'PROXY-PW'], [0x3f, 'PPGAUTH-TYPE'], [0x47, 'PULLENABLED'], [0x48, 'DNS-ADDR'], [0x49, 'MAX-NUM-RETRY'],
  [0x4a, 'FIRST-RETRY-TIMEOUT'], [0x4b, 'REREG-THRESHOLD'], [0x4c, 'T-BIT'], [0x4e, 'AUTH-ENTITY'], [0x4f, 'SPI'],
];
const A0_TYPE: readonly (readonly [number, string])[] = [
  [0x51, 'PXLOGICAL'], [0x52, 'PXPHYSICAL'], [0x53, 'PORT'], [0x54, 'VALIDITY'], [0x55, 'NAPDEF'], [0x56, 'BOOTSTRAP'],
  [0x57, 'VENDORCONFIG'], [0x58, 'CLIENTIDENTITY'], [0x59, 'PXAUTHINFO'], [0x5a, 'NAPAUTHINFO'], [0x5b, 'ACCESS'],
];
const A1_NAME: readonly (readonly [number, string])[] = [
  [0x07, 'NAME'], [0x14, 'INTERNET'], [0x1c, 'STARTPAGE'], [0x22, 'TO-NAPID'], [0x23, 'PORTNBR'], [0x24, 'SERVICE'],
  [0x2e, 'AACCEPT'], [0x2f, 'AAUTHDATA'], [0x30, 'AAUTHLEVEL'], [0x31, 'AAUTHNAME'], [0x32, 'AAUTHSECRET'],
  [0x33, 'AAUTHTYPE'], [0x34, 'ADDR'], [0x35, 'ADDRTYPE'], [0x36, 'APPID'], [0x37, 'APROTOCOL'], [0x38, 'PROVIDER-ID'],
  [0x39, 'TO-PROXY'], [0x3a, 'URI'], [0x3b, 'RULE'],
];
const A1_TYPE: readonly (readonly [number, string])[] = [
  [0x53, 'PORT'], [0x55, 'APPLICATION'], [0x56, 'APPADDR'], [0x57, 'APPAUTH'], [0x58, 'CLIENTIDENTITY'], [0x59, 'RESOURCE'],
];

function startTable(names: readonly (readonly [number, string])[], types: readonly (readonly [number, string])[], extra: readonly (readonly [number, string, string])[]): Map<number, readonly [string, string]> {
  const m = new Map<number, readonly [string, string]>([[0x05, ['name', '']], [0x06, ['value', '']], [0x50, ['type', '']]]);
  for (const [t, v] of names) m.set(t, ['name', v]);
  for (const [t, v] of types) m.set(t, ['type', v]);
  for (const [t, a, v] of extra) m.set(t, [a, v]);
  return m;
}

/** Attribute-start tokens per attribute page. */
const ATTR_START: readonly Map<number, readonly [string, string]>[] = [
  startTable(A0_NAME, A0_TYPE, [[0x45, 'version', ''], [0x46, 'version', '1.0']]),
  startTable(A1_NAME, A1_TYPE, []),
];

/** Attribute-value tokens per attribute page. */
const ATTR_VALUE: readonly Map<number, string>[] = [
  new Map<number, string>([
    [0x85, 'IPV4'], [0x86, 'IPV6'], [0x87, 'E164'], [0x88, 'ALPHA'], [0x89, 'APN'], [0x8a, 'SCODE'], [0x8b, 'TETRA-ITSI'],
    [0x8c, 'MAN'], [0x8d, 'APPSRV'], [0x8e, 'OBEX'],
    [0x90, 'ANALOG-MODEM'], [0x91, 'V.120'], [0x92, 'V.110'], [0x93, 'X.31'], [0x94, 'BIT-TRANSPARENT'],
    [0x95, 'DIRECT-ASYNCHRONOUS-DATA-SERVICE'],
    [0x9a, 'PAP'], [0x9b, 'CHAP'], [0x9c, 'HTTP-BASIC'], [0x9d, 'HTTP-DIGEST'], [0x9e, 'WTLS-SS'], [0x9f, 'MD5'],
    [0xa2, 'GSM-USSD'], [0xa3, 'GSM-SMS'], [0xa4, 'ANSI-136-GUTS'], [0xa5, 'IS-95-CDMA-SMS'], [0xa6, 'IS-95-CDMA-CSD'],
    [0xa7, 'IS-95-CDMA-PACKET'], [0xa8, 'ANSI-136-CSD'], [0xa9, 'ANSI-136-GPRS'], [0xaa, 'GSM-CSD'], [0xab, 'GSM-GPRS'],
    [0xac, 'AMPS-CDPD'], [0xad, 'PDC-CSD'], [0xae, 'PDC-PACKET'], [0xaf, 'IDEN-SMS'], [0xb0, 'IDEN-CSD'],
    [0xb1, 'IDEN-PACKET'], [0xb2, 'FLEX/REFLEX'], [0xb3, 'PHS-SMS'], [0xb4, 'PHS-CSD'], [0xb5, 'TETRA-SDS'],
    [0xb6, 'TETRA-PACKET'], [0xb7, 'ANSI-136-GHOST'], [0xb8, 'MOBITEX-MPAK'], [0xb9, 'CDMA2000-1X-SIMPLE-IP'],
    [0xba, 'CDMA2000-1X-MOBILE-IP'], [0xc5, 'AUTOBAUDING'],
    [0xca, 'CL-WSP'], [0xcb, 'CO-WSP'], [0xcc, 'CL-SEC-WSP'], [0xcd, 'CO-SEC-WSP'], [0xce, 'CL-SEC-WTA'],
    [0xcf, 'CO-SEC-WTA'], [0xd0, 'OTA-HTTP-TO'], [0xd1, 'OTA-HTTP-TLS-TO'], [0xd2, 'OTA-HTTP-PO'], [0xd3, 'OTA-HTTP-TLS-PO'],
    [0xe0, 'AAA'], [0xe1, 'HA'],
  ]),
  new Map<number, string>([
    [0x86, 'IPV6'], [0x87, 'E164'], [0x88, 'ALPHA'], [0x8d, 'APPSRV'], [0x8e, 'OBEX'],
    [0x90, ','], [0x91, 'HTTP-'], [0x92, 'BASIC'], [0x93, 'DIGEST'],
  ]),
];

// ---------------------------------------------------------------------------------------------
// Decoder

const SWITCH_PAGE = 0x00;
const END = 0x01;
const ENTITY = 0x02;
const STR_I = 0x03;
const LITERAL = 0x04;
const STR_T = 0x83;
const OPAQUE = 0xc3;

const TAG_DOC = 0x05;
const TAG_CHAR = 0x06;
const TAG_PARM = 0x07;

class Cursor {
  p = 0;
  constructor(readonly b: Uint8Array) {}
  fail(code: string, msg: string, at = this.p): never {
    throw new DecodeError(code, msg, at, at < this.b.length ? this.b[at]! : -1, 'cp');
  }
  u8(): number {
    if (this.p >= this.b.length) this.fail('truncated', 'unexpected end of the provisioning document');
    return this.b[this.p++]!;
  }
  mb(): number {
    let v = 0;
    for (let i = 0; i < 5; i++) {
      const c = this.u8();
      v = v * 128 + (c & 0x7f);
      if ((c & 0x80) === 0) return v;
    }
    return this.fail('mb-overflow', 'mb_u_int32 longer than 5 bytes', this.p - 1);
  }
  cstr(): Uint8Array {
    const z = this.b.indexOf(0, this.p);
    if (z < 0) this.fail('truncated', 'unterminated inline string');
    const s = this.b.subarray(this.p, z);
    this.p = z + 1;
    return s;
  }
}

/** Decodes a WBXML provisioning document (see the module comment). */
export function decodeCp(bytes: Uint8Array, limits: Partial<CpLimits> = {}): CpDocument {
  const lim: CpLimits = { ...DEFAULT_BOOTSTRAP_LIMITS, ...limits };
  const c = new Cursor(bytes);
  if (bytes.length > lim.maxDocumentBytes) c.fail('too-large', `provisioning document of ${bytes.length} bytes exceeds ${lim.maxDocumentBytes}`, 0);
  const version = c.u8();
  if (version > 3) c.fail('version', `unsupported WBXML version 0x${version.toString(16)}`, 0);
  if (c.mb() === 0) c.mb(); // public id (0 → string-table index follows); any id accepted, the root decides
  const charset = version === 0 ? 106 : c.mb();
  if (charset !== 106 && charset !== 4 && charset !== 3 && charset !== 0) c.fail('charset', `unsupported charset ${charset}`, c.p - 1);
  const latin1 = charset === 4;
  const stLen = c.mb();
  if (stLen > bytes.length - c.p) c.fail('truncated', 'string table runs past the document');
  const strtbl = bytes.subarray(c.p, c.p + stLen);
  c.p += stLen;
  const text = (b: Uint8Array): string => (latin1 ? String.fromCharCode(...b) : utf8Decode(b));
  const tstr = (off: number): string => {
    if (off >= strtbl.length) c.fail('strtbl-range', `string-table offset ${off} outside the table`, c.p - 1);
    let z = strtbl.indexOf(0, off);
    if (z < 0) z = strtbl.length;
    return text(strtbl.subarray(off, z));
  };
  let tagPage = 0;
  let attrPage = 0;
  let nChars = 0;
  let nParms = 0;

  /** Reads an attribute list up to its END; returns name → value. */
  const attrs = (): Map<string, string> => {
    const out = new Map<string, string>();
    let name: string | null = null;
    let value = '';
    const flush = (): void => {
      if (name !== null) {
        if (value.length > lim.maxValueBytes) c.fail('value-too-long', `attribute ${name} exceeds ${lim.maxValueBytes} characters`);
        out.set(name, value);
      }
    };
    for (;;) {
      const t = c.u8();
      if (t === END) { flush(); return out; }
      if (t === SWITCH_PAGE) { attrPage = c.u8(); continue; }
      if (t === STR_I) { if (name === null) c.fail('bad-token', 'value before an attribute name', c.p - 1); value += text(c.cstr()); continue; }
      if (t === STR_T) { if (name === null) c.fail('bad-token', 'value before an attribute name', c.p - 1); value += tstr(c.mb()); continue; }
      if (t === ENTITY) { value += String.fromCodePoint(c.mb()); continue; }
      if (t === OPAQUE) { const n = c.mb(); if (n > bytes.length - c.p) c.fail('truncated', 'OPAQUE runs past the document'); value += text(bytes.subarray(c.p, c.p + n)); c.p += n; continue; }
      if (t === LITERAL) { flush(); name = tstr(c.mb()); value = ''; continue; }
      if (t >= 0x40 && t <= 0x42) { c.cstr(); continue; } // EXT_I_n: vendor extension, ignored
      if (t >= 0x80 && t <= 0x82) { c.mb(); continue; } // EXT_T_n
      if (t === 0xc0 || t === 0xc1 || t === 0xc2) continue; // EXT_n
      if (t < 0x80) {
        flush();
        const s = ATTR_START[attrPage]?.get(t);
        name = s ? s[0] : `?${attrPage}:0x${t.toString(16)}`;
        value = s ? s[1] : '';
        continue;
      }
      if (name === null) c.fail('bad-token', 'value before an attribute name', c.p - 1);
      value += ATTR_VALUE[attrPage]?.get(t) ?? `?0x${t.toString(16)}`;
    }
  };

  /** Reads one element whose tag byte was `t`; returns a characteristic / parm / the doc. */
  const element = (t: number, depth: number): { tag: number; attrs: Map<string, string>; kids: CpCharacteristic[]; parms: CpParm[] } => {
    if (depth > 16) c.fail('depth', 'characteristics nested deeper than 16');
    const tok = t & 0x3f;
    if (tok !== TAG_DOC && tok !== TAG_CHAR && tok !== TAG_PARM) c.fail('unknown-tag', `unknown tag 0x${tok.toString(16)} on page ${tagPage}`, c.p - 1);
    const a = t & 0x80 ? attrs() : new Map<string, string>();
    const kids: CpCharacteristic[] = [];
    const parms: CpParm[] = [];
    if (t & 0x40) {
      for (;;) {
        const n = c.u8();
        if (n === END) break;
        if (n === SWITCH_PAGE) { tagPage = c.u8(); continue; }
        if (n === STR_I) { c.cstr(); continue; } // stray text: ignored
        if (n === STR_T) { c.mb(); continue; }
        if ((n & 0x3f) < 5 || n === OPAQUE) c.fail('bad-token', `token 0x${n.toString(16)} is not valid here`, c.p - 1);
        const e = element(n, depth + 1);
        if (e.tag === TAG_PARM) {
          if (++nParms > lim.maxCpParms) c.fail('too-many-parms', `more than ${lim.maxCpParms} parms`);
          parms.push({ name: e.attrs.get('name') ?? '', value: e.attrs.get('value') ?? '' });
        } else if (e.tag === TAG_CHAR) {
          if (++nChars > lim.maxCpCharacteristics) c.fail('too-many-characteristics', `more than ${lim.maxCpCharacteristics} characteristics`);
          kids.push({ type: e.attrs.get('type') ?? '', parms: e.parms, children: e.kids });
        } else c.fail('bad-token', 'nested wap-provisioningdoc');
      }
    }
    return { tag: tok, attrs: a, kids, parms };
  };

  const root = c.u8();
  if ((root & 0x3f) !== TAG_DOC) c.fail('not-provisioning', 'the root element is not wap-provisioningdoc', c.p - 1);
  const doc = element(root, 0);
  return { version: doc.attrs.get('version') ?? '', characteristics: doc.kids };
}

// ---------------------------------------------------------------------------------------------
// w7 → DMAcc

/** A w7 account found in a provisioning document. */
export interface W7Account {
  profile: DmAccountProfile;
  /** The w7 carried INIT: the client should start a session with the server after provisioning. */
  init: boolean;
}

/** Result of `w7Accounts`: the accounts, and why any w7 characteristic could not be mapped. */
export interface W7Mapping {
  accounts: W7Account[];
  errors: string[];
}

const parm = (ch: CpCharacteristic, name: string): string | undefined => ch.parms.find((p) => p.name === name)?.value;
const has = (ch: CpCharacteristic, name: string): boolean => ch.parms.some((p) => p.name === name);
const AUTH = new Set<string>(AAUTH_TYPES);

/** `DIGEST`, `HTTP-DIGEST`, `digest,md5` → the AAuthType, or undefined when not one. */
function authType(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const t = v.split(',')[0]!.trim().toUpperCase();
  return AUTH.has(t) ? t : undefined;
}

function nonce(v: string): Uint8Array {
  try {
    return b64decode(v.trim());
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    return utf8Encode(v);
  }
}

/**
 * Maps every `APPLICATION` characteristic with `APPID=w7` onto a DMAcc profile ([DMSTDOBJ]
 * appendix; facts §7.8): PROVIDER-ID → ServerID, NAME → Name, ADDR (or APPADDR/ADDR, ADDRTYPE,
 * PORT/PORTNBR) → AppAddr, TO-NAPID/TO-PROXY → PrefConRef, APPAUTH → AppAuth with AAUTHLEVEL
 * APPSRV → CLCRED (client credentials), CLIENT → SRVCRED (server credentials), AAUTHDATA as Base64
 * of the nonce (raw text when not Base64); AAUTHPREF, or else the APPSRV AAUTHTYPE → AAuthPref.
 * The Windows w7 extensions PROTOVER, DEFAULTENCODING, CONNRETRYFREQ, INITIALBACKOFFTIME,
 * MAXBACKOFFTIME, BACKCOMPATRETRYDISABLED map onto the account's Ext/omadm policy; INIT asks for a
 * session. A w7 without PROVIDER-ID or address, or with an unusable value, is reported in `errors`.
 */
export function w7Accounts(doc: CpDocument): W7Mapping {
  const accounts: W7Account[] = [];
  const errors: string[] = [];
  for (const app of doc.characteristics) {
    if (app.type !== 'APPLICATION' || parm(app, 'APPID') !== 'w7') continue;
    const serverId = parm(app, 'PROVIDER-ID');
    if (serverId === undefined || !isAclId(serverId)) { errors.push(`w7 without a usable PROVIDER-ID (${JSON.stringify(serverId ?? null)})`); continue; }
    const appaddr = app.children.find((c) => c.type === 'APPADDR');
    const addr = parm(app, 'ADDR') ?? (appaddr ? parm(appaddr, 'ADDR') : undefined);
    if (addr === undefined || addr === '') { errors.push(`w7 ${serverId}: no ADDR`); continue; }
    const p: DmAccountProfile = { serverId, addr };
    const name = parm(app, 'NAME');
    if (name !== undefined) p.name = name;
    const at = appaddr ? parm(appaddr, 'ADDRTYPE')?.toUpperCase() : undefined;
    if (at === 'IPV4') p.addrType = 'IPv4';
    else if (at === 'IPV6') p.addrType = 'IPv6';
    else if (at === 'URI' || at === undefined) p.addrType = 'URI';
    const port = appaddr?.children.find((c) => c.type === 'PORT');
    const pn = port ? parm(port, 'PORTNBR') : undefined;
    if (pn !== undefined) {
      if (!/^[0-9]{1,5}$/.test(pn) || Number(pn) > 65535) { errors.push(`w7 ${serverId}: bad PORTNBR ${pn}`); continue; }
      p.port = Number(pn);
    }
    const con = parm(app, 'TO-NAPID') ?? parm(app, 'TO-PROXY');
    if (con !== undefined) p.prefConRef = con;
    for (const auth of app.children.filter((c) => c.type === 'APPAUTH')) {
      const level = parm(auth, 'AAUTHLEVEL')?.toUpperCase();
      const side = level === 'APPSRV' ? 'client' : level === 'CLIENT' ? 'server' : null;
      if (!side) continue; // OBEX (or none): no DMAcc profile slot
      const a: DmAuthProfile = {};
      const type = authType(parm(auth, 'AAUTHTYPE'));
      if (type !== undefined) a.type = type;
      const n = parm(auth, 'AAUTHNAME');
      if (n !== undefined) a.name = n;
      const s = parm(auth, 'AAUTHSECRET');
      if (s !== undefined) a.secret = s;
      const d = parm(auth, 'AAUTHDATA');
      if (d !== undefined) a.nonce = nonce(d);
      p[side] = a;
    }
    const pref = authType(parm(app, 'AAUTHPREF')) ?? p.client?.type;
    if (pref !== undefined) p.authPref = pref;
    const pv = parm(app, 'PROTOVER');
    if (pv === '1.2') p.protoVersion = '1.2';
    else if (pv === '1.1' || pv === '1.1.2') p.protoVersion = '1.1.2';
    const enc = parm(app, 'DEFAULTENCODING');
    if (enc === 'application/vnd.syncml.dm+xml' || enc === 'application/vnd.syncml.dm+wbxml') p.defaultEncoding = enc;
    const num = (k: string): number | undefined => { const v = parm(app, k); return v !== undefined && /^[0-9]{1,10}$/.test(v) ? Number(v) : undefined; };
    const crf = num('CONNRETRYFREQ');
    if (crf !== undefined) p.connRetryFreq = crf;
    const ib = num('INITIALBACKOFFTIME');
    if (ib !== undefined) p.initialBackOffMs = ib;
    const mb = num('MAXBACKOFFTIME');
    if (mb !== undefined) p.maxBackOffMs = mb;
    if (has(app, 'BACKCOMPATRETRYDISABLED')) p.backCompatRetryDisabled = true;
    accounts.push({ profile: p, init: has(app, 'INIT') });
  }
  return { accounts, errors };
}
