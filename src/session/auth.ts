/**
 * OMA DM authentication formulas (OMA-TS-DM_Security-V1_2 §5.1; facts sheet §5.1):
 *   basic: B64(user ":" password)
 *   md5:   B64( H( B64(H(user ":" password)) ":" nonce ) )
 *   HMAC:  mac = B64( H( B64(H(user ":" password)) ":" nonce ":" B64(H(body)) ) ) in `x-syncml-hmac`
 * H = MD5 (raw 16 bytes); the nonce is raw bytes (the Base64-decoded NextNonce). Secrets are bytes
 * (UTF-8 of the configured text) so nothing here ever needs a string copy of a password.
 */
import { b64decode, b64encode } from '../crypto/base64';
import { Md5, md5 } from '../crypto/md5';
import { asciiBytes, concatBytes, ctEqual } from '../util/bytes';
import { utf8Encode } from '../util/utf8';

/** Meta Type values of the DM auth schemes. */
export const AUTH_BASIC = 'syncml:auth-basic';
export const AUTH_MD5 = 'syncml:auth-md5';
export const AUTH_MAC = 'syncml:auth-MAC';

/** Client-level schemes the session engine speaks. */
export type AuthScheme = 'none' | 'basic' | 'md5' | 'hmac';

/** Scheme of a DMAcc AAuthType (BASIC, DIGEST, HMAC; anything else: none). */
export function schemeOfAAuthType(t: string): AuthScheme {
  switch (t.toUpperCase()) {
    case 'BASIC': return 'basic';
    case 'DIGEST': return 'md5';
    case 'HMAC': return 'hmac';
    default: return 'none';
  }
}

/** Scheme of a Meta Type (compared case-insensitively: servers vary), or null. */
export function schemeOfMetaType(t: string | undefined): AuthScheme | null {
  switch ((t ?? '').trim().toLowerCase()) {
    case 'syncml:auth-basic': return 'basic';
    case 'syncml:auth-md5': return 'md5';
    case 'syncml:auth-mac': return 'hmac';
    default: return null;
  }
}

/** Meta Type of a scheme. */
export function metaTypeOf(s: AuthScheme): string {
  return s === 'basic' ? AUTH_BASIC : s === 'md5' ? AUTH_MD5 : AUTH_MAC;
}

const COLON = Uint8Array.of(0x3a);

/** B64(H(user ":" password)): the shared part of md5 and HMAC. */
export function userDigestB64(user: string, password: Uint8Array): string {
  return b64encode(md5(concatBytes([utf8Encode(user), COLON, password])));
}

/** syncml:auth-basic credential. */
export function basicCredential(user: string, password: Uint8Array): string {
  return b64encode(concatBytes([utf8Encode(user), COLON, password]));
}

/** syncml:auth-md5 credential. */
export function md5Credential(user: string, password: Uint8Array, nonce: Uint8Array): string {
  return b64encode(md5(concatBytes([asciiBytes(userDigestB64(user, password)), COLON, nonce])));
}

/** The HMAC mac for a message body. */
export function hmacMac(user: string, password: Uint8Array, nonce: Uint8Array, body: Uint8Array): string {
  const h = new Md5();
  h.update(asciiBytes(userDigestB64(user, password)));
  h.update(COLON);
  h.update(nonce);
  h.update(COLON);
  h.update(asciiBytes(b64encode(md5(body))));
  return b64encode(h.digest());
}

/** The `x-syncml-hmac` header value. */
export function hmacHeader(user: string, mac: string): string {
  return `algorithm=MD5, username="${user.replace(/["\\]/g, '')}", mac=${mac}`;
}

/** Parsed `x-syncml-hmac`: algorithm (default MD5), username, mac; null when malformed. */
export function parseHmacHeader(v: string): { algorithm: string; username: string; mac: string } | null {
  let algorithm = 'MD5';
  let username: string | null = null;
  let mac: string | null = null;
  // comma-separated k=v, values optionally quoted
  const re = /\s*([A-Za-z-]+)\s*=\s*("([^"]*)"|[^,]*)\s*(,|$)/y;
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while (re.lastIndex < v.length && (m = re.exec(v)) !== null) {
    const key = m[1]!.toLowerCase();
    const val = m[3] !== undefined ? m[3] : m[2]!.trim();
    if (key === 'algorithm') algorithm = val;
    else if (key === 'username') username = val;
    else if (key === 'mac') mac = val;
    if (m[0].length === 0) break;
  }
  if (username === null || mac === null) return null;
  return { algorithm, username, mac };
}

/**
 * Checks a credential the peer sent in SyncHdr Cred against what it should be.
 * Comparison is on decoded bytes (Base64 padding and whitespace do not matter).
 */
export function checkCredential(scheme: 'basic' | 'md5', data: string, user: string, password: Uint8Array, nonce: Uint8Array): boolean {
  let got: Uint8Array;
  try {
    got = b64decode(data);
  } catch {
    return false;
  }
  const want = b64decode(scheme === 'basic' ? basicCredential(user, password) : md5Credential(user, password, nonce));
  return ctEqual(got, want);
}

/** Checks an HMAC header value for a body. */
export function checkHmac(header: string, user: string, password: Uint8Array, nonce: Uint8Array, body: Uint8Array): boolean {
  const h = parseHmacHeader(header);
  if (!h || h.algorithm.toUpperCase() !== 'MD5' || h.username !== user) return false;
  let got: Uint8Array;
  try {
    got = b64decode(h.mac);
  } catch {
    return false;
  }
  return ctEqual(got, b64decode(hmacMac(user, password, nonce, body)));
}
