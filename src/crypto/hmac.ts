/** HMAC (RFC 2104) over MD5, SHA-1 or SHA-256 (all with 64-byte blocks). */
import type { BlockHash } from './block';
import { Md5 } from './md5';
import { Sha1 } from './sha1';
import { Sha256 } from './sha256';

/** Hash functions available to `hmac` and `createHash`. */
export type HashName = 'md5' | 'sha1' | 'sha256';

/** A fresh streaming hash of the given kind (`update()`/`digest()`). RangeError for an unknown name. */
export function createHash(hash: HashName): BlockHash {
  switch (hash) {
    case 'md5': return new Md5();
    case 'sha1': return new Sha1();
    case 'sha256': return new Sha256();
    default: throw new RangeError(`hash: unknown hash ${String(hash)}`);
  }
}

/** HMAC-`hash`(key, data) per RFC 2104; keys longer than the 64-byte block are hashed first. */
export function hmac(hash: HashName, key: Uint8Array, data: Uint8Array): Uint8Array {
  if (!(key instanceof Uint8Array)) throw new TypeError('hmac: key must be a Uint8Array');
  const k = new Uint8Array(64);
  k.set(key.length > 64 ? createHash(hash).update(key).digest() : key);
  for (let i = 0; i < 64; i++) k[i] = k[i]! ^ 0x36;
  const inner = createHash(hash).update(k).update(data).digest();
  for (let i = 0; i < 64; i++) k[i] = k[i]! ^ 0x36 ^ 0x5c;
  return createHash(hash).update(k).update(inner).digest();
}
