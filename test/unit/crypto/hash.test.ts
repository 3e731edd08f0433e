// Unit (portable): MD5 / SHA-1 / SHA-256 / HMAC against the published known-answer vectors
// (RFC 1321 A.5, FIPS 180-2 appendix examples, RFC 2202, RFC 4231) and streaming ≡ one-shot.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { md5, Md5 } from '../../../src/crypto/md5';
import { sha1, Sha1 } from '../../../src/crypto/sha1';
import { sha256, Sha256 } from '../../../src/crypto/sha256';
import { hmac, createHash } from '../../../src/crypto/hmac';
import { toHex, fromHex } from '../../../src/util/bytes';
import { utf8Encode } from '../../../src/util/utf8';

const a = (s: string): Uint8Array => utf8Encode(s);

describe('md5', () => {
  const rfc1321: [string, string][] = [
    ['', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['a', '0cc175b9c0f1b6a831c399e269772661'],
    ['abc', '900150983cd24fb0d6963f7d28e17f72'],
    ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
    ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
    ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', '57edf4a22be3c955ac49da2e2107b67a'],
  ];
  for (const [m, h] of rfc1321) test(`RFC 1321 "${m.slice(0, 20)}"`, () => assert.equal(toHex(md5(a(m))), h));
});

describe('sha1', () => {
  test('FIPS 180 examples', () => {
    assert.equal(toHex(sha1(a('abc'))), 'a9993e364706816aba3e25717850c26c9cd0d89d');
    assert.equal(toHex(sha1(a('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))), '84983e441c3bd26ebaae4aa1f95129e5e54670f1');
    assert.equal(toHex(sha1(new Uint8Array(0))), 'da39a3ee5e6b4b0d3255bfef95601890afd80709');
    const h = new Sha1();
    const chunk = new Uint8Array(1000).fill(0x61);
    for (let i = 0; i < 1000; i++) h.update(chunk);
    assert.equal(toHex(h.digest()), '34aa973cd4c4daa4f61eeb2bdbad27316534016f');
  });
});

describe('sha256', () => {
  test('FIPS 180 examples', () => {
    assert.equal(toHex(sha256(a('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(toHex(sha256(a('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
    assert.equal(toHex(sha256(new Uint8Array(0))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const h = new Sha256();
    const chunk = new Uint8Array(1000).fill(0x61);
    for (let i = 0; i < 1000; i++) h.update(chunk);
    assert.equal(toHex(h.digest()), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });
});

describe('streaming', () => {
  test('any split of the input gives the one-shot digest (all three hashes, lengths 0..200)', () => {
    const data = new Uint8Array(200);
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 0xff;
    for (const [name, one] of [['md5', md5], ['sha1', sha1], ['sha256', sha256]] as const) {
      for (let n = 0; n <= 200; n += 7) {
        const msg = data.subarray(0, n);
        const want = toHex(one(msg));
        for (const cut of [0, 1, 55, 56, 63, 64, 65, n]) {
          const c = Math.min(cut, n);
          const h = createHash(name).update(msg.subarray(0, c)).update(msg.subarray(c));
          assert.equal(toHex(h.digest()), want, `${name} n=${n} cut=${c}`);
        }
        // byte by byte
        const h = createHash(name);
        for (let i = 0; i < n; i++) h.update(msg.subarray(i, i + 1));
        assert.equal(toHex(h.digest()), want, `${name} n=${n} bytewise`);
      }
    }
  });
  test('update after digest and a second digest are TypeErrors', () => {
    const h = new Md5();
    h.update(a('x')).digest();
    assert.throws(() => h.update(a('y')), TypeError);
    assert.throws(() => h.digest(), TypeError);
    assert.throws(() => new Sha256().update('x' as unknown as Uint8Array), TypeError);
  });
  test('digests are fresh arrays of the right size', () => {
    assert.equal(md5(a('')).length, 16);
    assert.equal(sha1(a('')).length, 20);
    assert.equal(sha256(a('')).length, 32);
  });
});

describe('hmac', () => {
  test('RFC 2202 HMAC-MD5 and HMAC-SHA1', () => {
    assert.equal(toHex(hmac('md5', new Uint8Array(16).fill(0x0b), a('Hi There'))), '9294727a3638bb1c13f48ef8158bfc9d');
    assert.equal(toHex(hmac('md5', a('Jefe'), a('what do ya want for nothing?'))), '750c783e6ab0b503eaa86e310a5db738');
    assert.equal(toHex(hmac('md5', new Uint8Array(80).fill(0xaa), a('Test Using Larger Than Block-Size Key - Hash Key First'))), '6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd');
    assert.equal(toHex(hmac('sha1', new Uint8Array(20).fill(0x0b), a('Hi There'))), 'b617318655057264e28bc0b6fb378c8ef146be00');
    assert.equal(toHex(hmac('sha1', a('Jefe'), a('what do ya want for nothing?'))), 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79');
    assert.equal(toHex(hmac('sha1', new Uint8Array(80).fill(0xaa), a('Test Using Larger Than Block-Size Key - Hash Key First'))), 'aa4ae5e15272d00e95705637ce8a3b55ed402112');
  });
  test('RFC 4231 HMAC-SHA256', () => {
    assert.equal(toHex(hmac('sha256', new Uint8Array(20).fill(0x0b), a('Hi There'))), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
    assert.equal(toHex(hmac('sha256', a('Jefe'), a('what do ya want for nothing?'))), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    assert.equal(toHex(hmac('sha256', new Uint8Array(131).fill(0xaa), a('Test Using Larger Than Block-Size Key - Hash Key First'))), '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54');
    assert.equal(toHex(hmac('sha256', fromHex('0102030405060708090a0b0c0d0e0f10111213141516171819'), new Uint8Array(50).fill(0xcd))), '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b');
  });
  test('misuse', () => {
    assert.throws(() => hmac('md4' as 'md5', a('k'), a('d')), RangeError);
    assert.throws(() => hmac('md5', 'k' as unknown as Uint8Array, a('d')), TypeError);
  });
});
