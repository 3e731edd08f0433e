/** Crypto primitives of the portable core (pure TypeScript, no host crypto needed). */
export { md5, Md5 } from './md5';
export { sha1, Sha1 } from './sha1';
export { sha256, Sha256 } from './sha256';
export { hmac, createHash } from './hmac';
export type { HashName } from './hmac';
export type { BlockHash } from './block';
export { b64encode, b64decode, b64decodeInto, Base64Decoder, b64EncodedLength, b64DecodedMaxLength } from './base64';
export { crc32 } from './crc32';
