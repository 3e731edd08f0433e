/**
 * The firmware image format of the simulated device (and the default image check): a tiny header
 * followed by the payload, so a bootloader can tell a valid image from a torn or foreign one
 * without trusting anything else on flash.
 *
 * Header, big-endian, 96 bytes — format version 1, frozen (it is on flash and in packages):
 *
 * | offset | size | field |
 * |-------:|-----:|-------|
 * | 0  | 4  | magic `OMFW` (0x4F 0x4D 0x46 0x57) |
 * | 4  | 2  | header format version (1) |
 * | 6  | 2  | header length in bytes (96) |
 * | 8  | 4  | payload length in bytes |
 * | 12 | 4  | flags (0; reserved) |
 * | 16 | 32 | version string, UTF-8, NUL-padded (at most 32 bytes, no NUL inside) |
 * | 48 | 32 | SHA-256 of the payload |
 * | 80 | 4  | CRC-32 (IEEE) of bytes 0..79 |
 * | 84 | 12 | reserved, zero |
 *
 * The update package delivered by FUMO is the image itself (header + payload).
 */
import { crc32 } from '../crypto/crc32';
import { Sha256 } from '../crypto/sha256';
import { bytesEqual } from '../util/bytes';
import { utf8Decode, utf8Encode } from '../util/utf8';
import { FumoResult } from './alert';

export const IMAGE_MAGIC = 0x4f4d4657;
export const IMAGE_HEADER_VERSION = 1;
export const IMAGE_HEADER_SIZE = 96;
/** Longest version string in bytes. */
export const IMAGE_VERSION_MAX = 32;

/** A parsed header. */
export interface ImageHeader {
  version: string;
  payloadLength: number;
  payloadSha256: Uint8Array;
  flags: number;
}

/** Builds an image (header + payload). RangeError for a version that does not fit. */
export function encodeImage(version: string, payload: Uint8Array, flags = 0): Uint8Array {
  const v = utf8Encode(version);
  if (v.length === 0 || v.length > IMAGE_VERSION_MAX || v.includes(0)) throw new RangeError(`version: 1..${IMAGE_VERSION_MAX} UTF-8 bytes without NUL, got "${version}"`);
  const out = new Uint8Array(IMAGE_HEADER_SIZE + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, IMAGE_MAGIC);
  dv.setUint16(4, IMAGE_HEADER_VERSION);
  dv.setUint16(6, IMAGE_HEADER_SIZE);
  dv.setUint32(8, payload.length);
  dv.setUint32(12, flags >>> 0);
  out.set(v, 16);
  out.set(new Sha256().update(payload).digest(), 48);
  dv.setUint32(80, crc32(out.subarray(0, 80)));
  out.set(payload, IMAGE_HEADER_SIZE);
  return out;
}

/** Parses and checks a header (magic, version, length field, CRC); null when it is not one. */
export function parseImageHeader(b: Uint8Array): ImageHeader | null {
  if (b.length < IMAGE_HEADER_SIZE) return null;
  const dv = new DataView(b.buffer, b.byteOffset, IMAGE_HEADER_SIZE);
  if (dv.getUint32(0) !== IMAGE_MAGIC || dv.getUint16(4) !== IMAGE_HEADER_VERSION || dv.getUint16(6) !== IMAGE_HEADER_SIZE) return null;
  if (crc32(b.subarray(0, 80)) !== dv.getUint32(80)) return null;
  let n = 0;
  while (n < IMAGE_VERSION_MAX && b[16 + n] !== 0) n++;
  for (let i = 16 + n; i < 48; i++) if (b[i] !== 0) return null;
  if (n === 0) return null;
  return { version: utf8Decode(b, 16, 16 + n), payloadLength: dv.getUint32(8), flags: dv.getUint32(12), payloadSha256: b.slice(48, 80) };
}

/**
 * Streaming check of an image read back from flash: feed the bytes in order (any chunking),
 * then `finish()` returns a FUMO result code — 200, 404 (not an image, truncated, payload hash
 * mismatch) or what the `accept` hook says for a well-formed image (e.g. 403 for another device).
 */
export interface ImageCheck {
  /** Bytes of the image in order. */
  update(chunk: Uint8Array): void;
  /** The verdict; call once after the last chunk. */
  finish(): number;
  /** The parsed header once `finish()` said 200 (null otherwise). */
  readonly header: ImageHeader | null;
}

/** Options of the default check. */
export interface ImageCheckOptions {
  /** Extra acceptance rule for a well-formed image (product, version policy); a FUMO result code, 200 to accept. */
  accept?: (h: ImageHeader) => number;
}

/** The default `ImageCheck` for this header format, over a package of `length` bytes. */
export function omadmImageCheck(length: number, opts: ImageCheckOptions = {}): ImageCheck {
  const head = new Uint8Array(IMAGE_HEADER_SIZE);
  let seen = 0;
  let hdr: ImageHeader | null = null;
  let bad = false;
  const sha = new Sha256();
  let result: ImageHeader | null = null;
  return {
    get header(): ImageHeader | null {
      return result;
    },
    update(chunk: Uint8Array): void {
      if (bad) return;
      let c = chunk;
      if (seen < IMAGE_HEADER_SIZE) {
        const take = Math.min(IMAGE_HEADER_SIZE - seen, c.length);
        head.set(c.subarray(0, take), seen);
        seen += take;
        c = c.subarray(take);
        if (seen === IMAGE_HEADER_SIZE) {
          hdr = parseImageHeader(head);
          if (!hdr || IMAGE_HEADER_SIZE + hdr.payloadLength !== length) bad = true;
        }
      }
      if (c.length > 0 && !bad) {
        seen += c.length;
        sha.update(c);
      }
    },
    finish(): number {
      if (bad || !hdr || seen !== length) return FumoResult.FailedValidation;
      const h: ImageHeader = hdr;
      if (!bytesEqual(sha.digest(), h.payloadSha256)) return FumoResult.FailedValidation;
      const r = opts.accept ? opts.accept(h) : FumoResult.Successful;
      if (r === FumoResult.Successful) result = h;
      return r;
    },
  };
}
