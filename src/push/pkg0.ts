/**
 * OMA DM 1.2 notification (package #0, OMA-TS-DM_Notification-V1_2 §6.2): parse, digest,
 * verification with the nonce-resynchronisation retry, and a builder.
 *
 * Layout (big-endian bits): digest(128) version(10) ui-mode(2) initiator(1) future-use(27)
 * session-id(16) length-identifier(8) server-identifier(8n) vendor-specific(rest).
 * digest = H(B64(H(server-id ":" secret)) ":" nonce ":" B64(H(trigger))), H = MD5, and
 * trigger = every byte after the digest.
 */
import { DecodeError } from '../errors';
import { md5, Md5 } from '../crypto/md5';
import { b64encode } from '../crypto/base64';
import { utf8Decode, utf8Encode } from '../util/utf8';

/** Digest length in bytes. */
export const PKG0_DIGEST_LEN = 16;
/** Smallest package #0: digest + 8 header bytes (empty server id). */
export const PKG0_MIN_LEN = 24;
/** The resynchronisation nonce "0x00000000": four zero bytes (facts §6.2). */
export const PKG0_RESET_NONCE: Uint8Array = new Uint8Array(4);

/** UI mode values. */
export enum UiMode {
  NotSpecified = 0,
  Background = 1,
  Informative = 2,
  UserInteraction = 3,
}

/** A parsed package #0. Byte fields are views into the input. */
export interface Pkg0 {
  /** The 16-byte digest as received. */
  digest: Uint8Array;
  /** Version field (10 bits): DEC(version)*10, e.g. 12 for 1.2, 11 for 1.1; any value is delivered. */
  version: number;
  /** UI mode (0..3), see `UiMode`. */
  uiMode: UiMode;
  /** Initiator bit: 1 server-initiated, 0 user/client-initiated (informative). */
  initiator: number;
  /** The 27 future-use bits (should be 0; not enforced, for forward compatibility). */
  futureUse: number;
  /** Session id 0..65535. */
  sessionId: number;
  /** Session id as the pkg1 SyncHdr wants it: uppercase hex, no leading zeros (0x0A3F → 'A3F'). */
  sessionIdHex: string;
  /** Server identifier (UTF-8 decoded; ServerIDs are ASCII in practice). */
  serverId: string;
  /** Raw server identifier bytes (0..255 bytes). */
  serverIdBytes: Uint8Array;
  /** Vendor-specific trigger body (possibly empty). */
  vendor: Uint8Array;
  /** Everything after the digest: the bytes the digest covers. */
  trigger: Uint8Array;
}

/** Parses a package #0. DecodeError 'truncated' when shorter than 24 bytes or the server id runs past the end. */
export function parsePkg0(bytes: Uint8Array): Pkg0 {
  if (bytes.length < PKG0_MIN_LEN) {
    throw new DecodeError('truncated', `package #0 needs at least ${PKG0_MIN_LEN} bytes, got ${bytes.length}`, bytes.length, -1, 'pkg0-header');
  }
  const b = (i: number): number => bytes[i]!;
  const version = (b(16) << 2) | (b(17) >> 6);
  const uiMode = (b(17) >> 4) & 3;
  const initiator = (b(17) >> 3) & 1;
  const futureUse = (b(17) & 7) * 0x1000000 + ((b(18) << 16) | (b(19) << 8) | b(20));
  const sessionId = (b(21) << 8) | b(22);
  const idLen = b(23);
  if (24 + idLen > bytes.length) {
    throw new DecodeError('truncated', `server identifier of ${idLen} bytes runs past the end`, 23, idLen, 'pkg0-server-id');
  }
  const serverIdBytes = bytes.subarray(24, 24 + idLen);
  return {
    digest: bytes.subarray(0, 16), version, uiMode, initiator, futureUse, sessionId,
    sessionIdHex: sessionId.toString(16).toUpperCase(),
    serverId: utf8Decode(serverIdBytes), serverIdBytes,
    vendor: bytes.subarray(24 + idLen), trigger: bytes.subarray(16),
  };
}

const COLON = new Uint8Array([0x3a]);

function asBytes(v: string | Uint8Array): Uint8Array {
  return typeof v === 'string' ? utf8Encode(v) : v;
}

/** digest = H(B64(H(serverId ":" secret)) ":" nonce ":" B64(H(trigger))); 16 bytes. Strings are UTF-8. */
export function pkg0Digest(serverId: string | Uint8Array, secret: string | Uint8Array, nonce: Uint8Array, trigger: Uint8Array): Uint8Array {
  const cred = b64encode(new Md5().update(asBytes(serverId)).update(COLON).update(asBytes(secret)).digest());
  const body = b64encode(md5(trigger));
  return new Md5().update(utf8Encode(cred)).update(COLON).update(nonce).update(COLON).update(utf8Encode(body)).digest();
}

/** Constant-time comparison of two digests (no early exit on the first difference). */
function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** Options of `verifyPkg0`. */
export interface VerifyPkg0Options {
  /** On failure with the stored nonce, retry with the reset nonce (4 zero bytes). Default true. */
  allowNonceReset?: boolean;
}

/**
 * Checks the digest with the server's SRVCRED secret and nonce (AAuthData, raw bytes).
 * 'ok' = stored nonce matched; 'ok-reset-nonce' = only the reset nonce matched (the session must
 * then renegotiate nonces); 'bad' = neither. The digest uses the server id as carried in the package.
 */
export function verifyPkg0(pkg: Pkg0, secret: string | Uint8Array, nonce: Uint8Array, opts: VerifyPkg0Options = {}): 'ok' | 'ok-reset-nonce' | 'bad' {
  if (sameDigest(pkg0Digest(pkg.serverIdBytes, secret, nonce, pkg.trigger), pkg.digest)) return 'ok';
  if ((opts.allowNonceReset ?? true) && sameDigest(pkg0Digest(pkg.serverIdBytes, secret, PKG0_RESET_NONCE, pkg.trigger), pkg.digest)) {
    return 'ok-reset-nonce';
  }
  return 'bad';
}

/** What `buildPkg0` builds. */
export interface Pkg0Init {
  /** Version field, default 12 (see `Pkg0.version`). */
  version?: number;
  /** Default Background. */
  uiMode?: UiMode;
  /** Default 1 (server-initiated). */
  initiator?: number;
  /** Default 0. */
  futureUse?: number;
  /** 0..65535. */
  sessionId: number;
  serverId: string;
  /** SRVCRED secret. */
  secret: string | Uint8Array;
  /** SRVCRED nonce (raw bytes). */
  nonce: Uint8Array;
  /** Vendor-specific body, default empty. */
  vendor?: Uint8Array;
}

/** Builds a signed package #0 (for tests and the loopback server). RangeError on out-of-range fields. */
export function buildPkg0(init: Pkg0Init): Uint8Array {
  const version = init.version ?? 12;
  const ui = init.uiMode ?? UiMode.Background;
  const initiator = init.initiator ?? 1;
  const fu = init.futureUse ?? 0;
  const id = utf8Encode(init.serverId);
  const vendor = init.vendor ?? new Uint8Array(0);
  const check = (name: string, v: number, max: number): void => {
    if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`buildPkg0: ${name} must be an integer in 0..${max}`);
  };
  check('version', version, 1023); check('uiMode', ui, 3); check('initiator', initiator, 1);
  check('futureUse', fu, 0x7ffffff); check('sessionId', init.sessionId, 0xffff); check('serverId length', id.length, 255);
  const out = new Uint8Array(24 + id.length + vendor.length);
  out[16] = version >> 2;
  out[17] = ((version & 3) << 6) | (ui << 4) | (initiator << 3) | Math.floor(fu / 0x1000000);
  out[18] = (fu >> 16) & 0xff; out[19] = (fu >> 8) & 0xff; out[20] = fu & 0xff;
  out[21] = init.sessionId >> 8; out[22] = init.sessionId & 0xff;
  out[23] = id.length;
  out.set(id, 24);
  out.set(vendor, 24 + id.length);
  out.set(pkg0Digest(id, init.secret, init.nonce, out.subarray(16)), 0);
  return out;
}
