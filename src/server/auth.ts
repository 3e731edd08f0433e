/**
 * OMA DM authentication formulas (facts §5.1, [DMSEC] 5.1.4) and the `x-syncml-hmac` header, as the
 * server computes and checks them. H = MD5 (raw 16 bytes), B64 = Base64; nonces are the raw bytes
 * (the Base64 NextNonce decoded).
 *
 *   basic : B64(username ":" password)
 *   md5   : B64( H( B64(H(username ":" password)) ":" nonce ) )
 *   MAC   : B64( H( B64(H(username ":" password)) ":" nonce ":" B64(H(body)) ) )   (not RFC 2104 HMAC)
 */
import { b64decode, b64encode } from '../crypto/base64';
import { md5 } from '../crypto/md5';
import { concatBytes } from '../util/bytes';
import { utf8Decode, utf8Encode } from '../util/utf8';

/** Authentication schemes the server speaks. */
export type AuthScheme = 'basic' | 'md5' | 'hmac';

/** Meta Type strings of the schemes (Cred, Chal). */
export const AUTH_TYPES: Readonly<Record<AuthScheme, string>> = Object.freeze({
  basic: 'syncml:auth-basic',
  md5: 'syncml:auth-md5',
  hmac: 'syncml:auth-MAC',
});

/** Scheme of a Meta Type string (case-insensitive, surrounding blanks ignored), or null. */
export function schemeOfType(type: string | undefined): AuthScheme | null {
  if (type === undefined) return null;
  const t = type.trim().toLowerCase();
  if (t === 'syncml:auth-basic') return 'basic';
  if (t === 'syncml:auth-md5') return 'md5';
  if (t === 'syncml:auth-mac') return 'hmac';
  return null;
}

const COLON = Uint8Array.of(0x3a);

/** B64(H(username ":" password)), the inner digest shared by md5 and MAC. */
export function userDigest(username: string, password: string): string {
  return b64encode(md5(utf8Encode(`${username}:${password}`)));
}

/** Basic credential: B64(username ":" password). */
export function basicCredential(username: string, password: string): string {
  return b64encode(utf8Encode(`${username}:${password}`));
}

/** Splits a basic credential into username and password; null when it is not Base64 of "user:pw". */
export function parseBasicCredential(data: string): { username: string; password: string } | null {
  let raw: Uint8Array;
  try {
    raw = b64decode(data);
  } catch {
    return null;
  }
  const s = utf8Decode(raw);
  const i = s.indexOf(':');
  if (i < 0) return null;
  return { username: s.slice(0, i), password: s.slice(i + 1) };
}

/** MD5 digest credential for `nonce` (raw bytes). */
export function md5Credential(username: string, password: string, nonce: Uint8Array): string {
  return b64encode(md5(concatBytes([utf8Encode(userDigest(username, password)), COLON, nonce])));
}

/** auth-MAC value over `body` (the exact HTTP entity bytes) for `nonce` (raw bytes). */
export function hmacMac(username: string, password: string, nonce: Uint8Array, body: Uint8Array): string {
  const inner = utf8Encode(userDigest(username, password));
  const bodyDigest = utf8Encode(b64encode(md5(body)));
  return b64encode(md5(concatBytes([inner, COLON, nonce, COLON, bodyDigest])));
}

/** Parameters of an `x-syncml-hmac` header. */
export interface HmacParams {
  /** 'MD5' unless the header says otherwise (the only algorithm DM defines). */
  algorithm: string;
  username: string;
  mac: string;
}

/**
 * Parses `algorithm=MD5, username="name", mac=base64`: comma-separated, any order, optional quotes
 * around every value, `algorithm` optional. Null when `username` or `mac` is missing.
 */
export function parseHmacHeader(value: string): HmacParams | null {
  const out: Record<string, string> = {};
  // values may be quoted and a quoted username may hold commas: scan, don't split
  const re = /\s*([A-Za-z]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,]*)\s*(?:,|$)/g;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(value)) !== null && m[0].length > 0) {
    const key = m[1]!.toLowerCase();
    out[key] = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[2]!.trim();
    last = re.lastIndex;
    if (last >= value.length) break;
  }
  const username = out['username'];
  const mac = out['mac'];
  if (username === undefined || mac === undefined || mac === '') return null;
  return { algorithm: out['algorithm'] ?? 'MD5', username, mac };
}

/** Formats an `x-syncml-hmac` header value (the shape AOSP and [DMSEC] use). */
export function formatHmacHeader(username: string, mac: string): string {
  return `algorithm=MD5, username="${username.replace(/(["\\])/g, '\\$1')}", mac=${mac}`;
}

/** Constant-time string comparison (length leaks, content does not). */
export function safeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}
