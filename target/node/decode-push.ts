/**
 * Pretty-printer for the push path (`omadm decode --sms|--sms-smsc|--cdma|--wsp|--pkg0 FILE`): an
 * SMS or WAP push rendered layer by layer as readable text, the way `omadm decode` renders SyncML.
 *
 *   GSM SMS-DELIVER (TPDU, optionally with the SMSC prefix of AT+CMT) → UDH information elements →
 *   WSP Push (when it is a single-part WAP push) → OMA DM notification (package #0)
 *   CDMA IS-637 transport message → bearer data → WDP header → WSP Push → package #0
 *
 * Every layer that decodes is printed; the first malformed layer is reported with its DecodeError
 * (code, offset, state) and rendering stops there. Nothing here throws for bad input: only an
 * unknown `kind` is a TypeError. Node host tooling (target/node), never part of device images.
 */
import { readFileSync } from 'node:fs';
import { DecodeError } from '../../src/errors';
import { decodeGsmDeliver } from '../../src/push/gsm';
import type { GsmAddress, GsmDeliver } from '../../src/push/gsm';
import { concatInfo, portInfo, WAP_PUSH_PORT } from '../../src/push/udh';
import { decodeCdmaSms, parseCdmaWdp } from '../../src/push/cdma';
import { decodeWspPush, WSP_APP_IDS, WSP_CT_SYNCML_NOTIFICATION } from '../../src/push/wsp';
import type { WspPush, WspValue } from '../../src/push/wsp';
import { parsePkg0, verifyPkg0, UiMode } from '../../src/push/pkg0';
import { b64decode } from '../../src/crypto/base64';

/** What the bytes are: a GSM TPDU, a GSM PDU with the SMSC prefix, a CDMA transport message, a WSP push PDU, or a bare package #0. */
export type PushKind = 'sms' | 'sms-smsc' | 'cdma' | 'wsp' | 'pkg0';

/** The kinds, for argument checking. */
export const PUSH_KINDS: readonly PushKind[] = ['sms', 'sms-smsc', 'cdma', 'wsp', 'pkg0'];

/** Options of `describePush`. */
export interface DescribePushOptions {
  /**
   * SRVCRED secret (and nonce, raw bytes; default empty) to check the package #0 digest with. When
   * given, the verdict is printed ('ok', 'ok with the reset nonce' or 'BAD'); the secret never is.
   */
  secret?: string;
  nonce?: Uint8Array;
}

const hex = (b: Uint8Array, max = 64): string => {
  let s = '';
  for (let i = 0; i < b.length && i < max; i++) s += (i ? ' ' : '') + b[i]!.toString(16).padStart(2, '0').toUpperCase();
  return b.length > max ? `${s} … (${b.length} bytes)` : s;
};
const h2 = (v: number, w = 2): string => `0x${v.toString(16).padStart(w, '0').toUpperCase()}`;

/** Appends lines with a two-space indent per level. */
class Out {
  readonly lines: string[] = [];
  line(level: number, text: string): void {
    this.lines.push('  '.repeat(level) + text);
  }
  field(level: number, name: string, value: string): void {
    const w = 22 - 2 * level;
    this.line(level, `${name.length < w ? name.padEnd(w) : `${name}  `}${value}`);
  }
  error(level: number, layer: string, e: unknown): void {
    if (e instanceof DecodeError) this.line(level, `malformed ${layer}: ${e.code} at offset ${e.offset}${e.byte >= 0 ? ` (byte ${h2(e.byte)})` : ' (end of input)'}, state ${e.state}`);
    else throw e;
  }
}

function tonName(ton: number): string {
  return ['unknown', 'international', 'national', 'network-specific', 'subscriber', 'alphanumeric', 'abbreviated', 'reserved'][ton] ?? String(ton);
}

function address(a: GsmAddress): string {
  return `${a.ton === 5 ? JSON.stringify(a.number) : a.number || '(empty)'} (${tonName(a.ton)}, plan ${a.npi}, type ${h2(a.type)})`;
}

const IE_NAMES: Record<number, string> = {
  0x00: 'concatenation (8-bit reference)', 0x04: 'application ports (8-bit)', 0x05: 'application ports (16-bit)',
  0x08: 'concatenation (16-bit reference)', 0x01: 'special SMS message indication', 0x24: 'national language single shift', 0x25: 'national language locking shift',
};

function gsm(out: Out, bytes: Uint8Array, smsc: boolean, opts: DescribePushOptions): void {
  out.line(0, `GSM SMS-DELIVER${smsc ? ' with SMSC address' : ''} (${bytes.length} bytes)`);
  let d: GsmDeliver;
  try {
    d = decodeGsmDeliver(bytes, { smsc });
  } catch (e) {
    out.error(1, 'SMS-DELIVER', e);
    return;
  }
  if (smsc) out.field(1, 'SMSC', d.smsc ? address(d.smsc) : '(none)');
  const flags = [d.moreMessages ? 'more messages waiting' : 'no more messages', d.udhi ? 'UDH present' : 'no UDH'];
  if (d.statusReport) flags.push('status report requested');
  if (d.replyPath) flags.push('reply path');
  if (d.loopPrevention) flags.push('loop prevention');
  out.field(1, 'first octet', `${h2(d.firstOctet)} (${flags.join(', ')})`);
  out.field(1, 'originator', address(d.originator));
  out.field(1, 'PID', h2(d.pid));
  out.field(1, 'DCS', `${h2(d.dcs)} (${d.alphabet === '8bit' ? '8-bit data' : d.alphabet === 'ucs2' ? 'UCS-2' : 'GSM 7-bit'}${d.compressed ? ', compressed' : ''}${d.messageClass !== null ? `, class ${d.messageClass}` : ''})`);
  const t = d.scts;
  const tz = Math.abs(t.tzQuarterHours) * 15;
  out.field(1, 'SCTS', `${t.year}-${pad(t.month)}-${pad(t.day)} ${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)} ${t.tzQuarterHours < 0 ? '-' : '+'}${pad(Math.floor(tz / 60))}:${pad(tz % 60)}`);
  out.field(1, 'UDL', `${d.udl} ${d.alphabet === 'gsm7' && !d.compressed ? 'septets' : 'octets'}`);
  for (const ie of d.udh) {
    let detail = hex(ie.data);
    const c = concatInfo([ie]);
    const p = portInfo([ie]);
    if (c) detail = `reference ${c.ref}, part ${c.seq} of ${c.total}`;
    if (p) detail = `destination ${p.dst}${p.dst === WAP_PUSH_PORT ? ' (WAP push)' : ''}, source ${p.src}`;
    out.field(1, `IE ${h2(ie.iei)}`, `${IE_NAMES[ie.iei] ?? 'information element'}: ${detail}`);
  }
  if (d.text !== null) out.field(1, 'text', JSON.stringify(d.text));
  else out.field(1, 'user data', `${d.ud.length} octets: ${hex(d.ud, 32)}`);
  const ports = portInfo(d.udh);
  const concat = concatInfo(d.udh);
  if (concat && concat.total > 1) {
    out.line(1, `(part ${concat.seq} of ${concat.total}: the WSP push is decoded once all parts are reassembled, e.g. with omadm push)`);
    return;
  }
  if (ports?.dst === WAP_PUSH_PORT && d.alphabet === '8bit') wsp(out, d.ud, true, opts);
}

function cdma(out: Out, bytes: Uint8Array, opts: DescribePushOptions): void {
  out.line(0, `CDMA SMS transport message (${bytes.length} bytes)`);
  let m;
  try {
    m = decodeCdmaSms(bytes);
  } catch (e) {
    out.error(1, 'CDMA message', e);
    return;
  }
  out.field(1, 'message type', `${m.messageType} (${['point-to-point', 'broadcast', 'acknowledge'][m.messageType] ?? 'unknown'})`);
  out.field(1, 'teleservice', m.teleservice === null ? '(absent)' : `${m.teleservice}${m.teleservice === 4100 ? ' (WAP)' : m.teleservice === 4098 ? ' (CMT-95 text)' : ''}`);
  if (m.originator) out.field(1, 'originator', `${JSON.stringify(m.originator.address)} (${m.originator.digitMode ? '8-bit characters' : 'DTMF digits'})`);
  if (m.replySeq !== null) out.field(1, 'reply sequence', String(m.replySeq));
  if (m.messageId) out.field(1, 'message id', `${m.messageId.id} (type ${m.messageId.type}${m.messageId.headerInd ? ', header' : ''})`);
  const ud = m.userData;
  if (!ud) {
    out.field(1, 'user data', '(none)');
    return;
  }
  out.field(1, 'user data', `encoding ${ud.encoding}, ${ud.numFields} fields${ud.text !== null ? `: ${JSON.stringify(ud.text)}` : ud.encoding === 0 ? `: ${hex(ud.bytes, 32)}` : ''}`);
  if (m.teleservice !== 4100 || ud.encoding !== 0) return;
  out.line(0, `WDP datagram (${ud.bytes.length} bytes)`);
  let w;
  try {
    w = parseCdmaWdp(ud.bytes);
  } catch (e) {
    out.error(1, 'WDP header', e);
    return;
  }
  out.field(1, 'segment', `${w.segment + 1} of ${w.total}`);
  if (w.segment === 0) out.field(1, 'ports', `source ${w.srcPort}, destination ${w.dstPort}${w.dstPort === WAP_PUSH_PORT ? ' (WAP push)' : ''}${w.skippedDuplicatePorts ? ' (duplicated ports skipped)' : ''}`);
  if (w.total > 1) {
    out.line(1, '(segmented: the WSP push is decoded once all segments are reassembled, e.g. with omadm push)');
    return;
  }
  if (w.dstPort === WAP_PUSH_PORT) wsp(out, w.payload, true, opts);
}

function value(v: WspValue): string {
  return typeof v === 'number' ? String(v) : typeof v === 'string' ? JSON.stringify(v) : `<${hex(v, 16)}>`;
}

function wsp(out: Out, bytes: Uint8Array, connectionless: boolean, opts: DescribePushOptions): void {
  out.line(0, `WSP Push (${bytes.length} bytes)`);
  let w: WspPush;
  try {
    w = decodeWspPush(bytes, { connectionless });
  } catch (e) {
    out.error(1, 'WSP push', e);
    return;
  }
  out.field(1, 'TID', String(w.tid));
  out.field(1, 'PDU type', `${h2(w.pduType)} (${w.pduType === 6 ? 'Push' : 'ConfirmedPush'})`);
  out.field(1, 'Content-Type', `${w.contentType}${w.contentTypeCode !== null ? ` (${h2(w.contentTypeCode)})` : ''}`);
  for (const p of w.contentTypeParams) out.field(2, `; ${p.name}`, value(p.value));
  for (const hd of w.headers) {
    let v = value(hd.value);
    if (hd.code === 0x2f && typeof hd.value === 'number') v = `${WSP_APP_IDS[hd.value] ?? 'unregistered application id'} (${h2(hd.value)})`;
    out.field(1, hd.name, v);
  }
  out.field(1, 'body', `${w.body.length} bytes at offset ${w.bodyOffset}`);
  const isDm = w.contentTypeCode === WSP_CT_SYNCML_NOTIFICATION || w.contentType.toLowerCase() === 'application/vnd.syncml.notification';
  if (isDm) pkg0(out, w.body, opts);
  else if (w.body.length > 0) out.field(1, 'body bytes', hex(w.body, 32));
}

const UI = ['not specified', 'background', 'informative', 'user interaction'];

function pkg0(out: Out, bytes: Uint8Array, opts: DescribePushOptions): void {
  out.line(0, `OMA DM notification, package #0 (${bytes.length} bytes)`);
  let p;
  try {
    p = parsePkg0(bytes);
  } catch (e) {
    out.error(1, 'package #0', e);
    return;
  }
  out.field(1, 'digest', hex(p.digest));
  out.field(1, 'version', `${p.version}${p.version >= 10 && p.version <= 19 ? ` (${Math.floor(p.version / 10)}.${p.version % 10})` : ' (not 1.x)'}`);
  out.field(1, 'ui-mode', `${p.uiMode} (${UI[p.uiMode]})`);
  out.field(1, 'initiator', `${p.initiator} (${p.initiator ? 'server' : 'user/client'})`);
  out.field(1, 'future-use', `${p.futureUse}${p.futureUse !== 0 ? ' (should be 0)' : ''}`);
  out.field(1, 'session id', `${p.sessionId} (${h2(p.sessionId, 4)}; pkg1 SessionID "${p.sessionIdHex}")`);
  out.field(1, 'server id', `${JSON.stringify(p.serverId)} (${p.serverIdBytes.length} bytes)`);
  out.field(1, 'vendor data', p.vendor.length === 0 ? '(none)' : hex(p.vendor, 32));
  if (opts.secret !== undefined) {
    const v = verifyPkg0(p, opts.secret, opts.nonce ?? new Uint8Array(0));
    out.field(1, 'digest check', v === 'ok' ? 'ok' : v === 'ok-reset-nonce' ? 'ok with the reset nonce (0x00000000)' : 'BAD (wrong secret, nonce or a tampered trigger)');
  }
  if (p.uiMode === UiMode.UserInteraction) out.line(1, '(the device asks the user before starting the session)');
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * Renders push bytes of `kind` as readable text (several lines, no trailing newline). Never throws
 * for malformed input (the first bad layer is reported); TypeError for an unknown kind.
 */
export function describePush(bytes: Uint8Array, kind: PushKind, opts: DescribePushOptions = {}): string {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('describePush: bytes must be a Uint8Array');
  const out = new Out();
  switch (kind) {
    case 'sms': gsm(out, bytes, false, opts); break;
    case 'sms-smsc': gsm(out, bytes, true, opts); break;
    case 'cdma': cdma(out, bytes, opts); break;
    case 'wsp': wsp(out, bytes, true, opts); break;
    case 'pkg0': pkg0(out, bytes, opts); break;
    default: throw new TypeError(`describePush: kind must be one of ${PUSH_KINDS.join(', ')}, got ${String(kind)}`);
  }
  return out.lines.join('\n');
}

/**
 * Input bytes of a push file: hex text (whitespace, `:` separators and `#` comments ignored; an
 * optional `gsm:`/`cdma:`… prefix as in `omadm push` files is skipped) when the file is text made
 * only of hex digits, else the raw bytes.
 */
export function readPushInput(file: Uint8Array): Uint8Array {
  let text = '';
  for (let i = 0; i < file.length; i++) {
    const c = file[i]!;
    if (c > 0x7e || (c < 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09)) return file;
    text += String.fromCharCode(c);
  }
  const clean = text.replace(/#.*$/gm, '').replace(/^\s*(gsm-smsc|gsm|cdma|wdp|wsp|pkg0)\s*:/gim, '').replace(/[\s:]/g, '');
  if (clean.length === 0 || clean.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(clean)) return file;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

/**
 * The `omadm decode` entry for push input, ready for target/node/cli.ts:
 *   omadm decode --sms|--sms-smsc|--cdma|--wsp|--pkg0 [--secret S] [--nonce-b64 N] FILE
 * FILE holds hex text or raw bytes. Prints the description on stdout; returns the exit status
 * (0 decoded, 1 malformed input or unreadable file, 2 usage).
 */
export async function decodePushMain(argv: readonly string[]): Promise<number> {
  let kind: PushKind | null = null;
  let file: string | null = null;
  const opts: DescribePushOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const k = a.startsWith('--') ? (a.slice(2) as PushKind) : null;
    if (k !== null && PUSH_KINDS.includes(k)) kind = k;
    else if (a === '--secret') opts.secret = argv[++i] ?? '';
    else if (a === '--nonce-b64') opts.nonce = b64decode(argv[++i] ?? '');
    else if (a.startsWith('-')) return usage(`unknown option ${a}`);
    else if (file === null) file = a;
    else return usage('one input file');
  }
  if (kind === null || file === null) return usage('a kind and a file are needed');
  let bytes: Uint8Array;
  try {
    bytes = readPushInput(new Uint8Array(readFileSync(file)));
  } catch (e) {
    process.stderr.write(`omadm decode: ${(e as Error).message}\n`);
    return 1;
  }
  const text = describePush(bytes, kind, opts);
  process.stdout.write(text + '\n');
  return /^\s*malformed /m.test(text) ? 1 : 0;
}

function usage(why: string): number {
  process.stderr.write(`omadm decode: ${why}\nusage: omadm decode --sms|--sms-smsc|--cdma|--wsp|--pkg0 [--secret S] [--nonce-b64 N] FILE\n`);
  return 2;
}
