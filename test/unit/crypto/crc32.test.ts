// Unit (portable): CRC-32 check value, chaining, and agreement with a bitwise reference written here.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from '../../../src/crypto/crc32';
import { utf8Encode } from '../../../src/util/utf8';

/** Bit-at-a-time CRC-32 straight from the definition (independent of the table code). */
function refCrc(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('crc32', () => {
  test('check value of "123456789" is 0xCBF43926', () => {
    assert.equal(crc32(utf8Encode('123456789')), 0xcbf43926);
    assert.equal(crc32(new Uint8Array(0)), 0);
  });
  test('matches the bitwise reference for lengths 0..300 and is chainable at every cut', () => {
    const data = new Uint8Array(300);
    let x = 12345;
    for (let i = 0; i < data.length; i++) { x = (x * 1103515245 + 12345) >>> 0; data[i] = x >>> 24; }
    for (let n = 0; n <= 300; n++) {
      const b = data.subarray(0, n);
      const want = refCrc(b);
      assert.equal(crc32(b), want, `n=${n}`);
      const cut = (n * 7) % (n + 1);
      assert.equal(crc32(b.subarray(cut), crc32(b.subarray(0, cut))), want, `n=${n} cut=${cut}`);
    }
  });
  test('result is an unsigned 32-bit integer', () => {
    const v = crc32(new Uint8Array([0xff, 0xff, 0xff, 0xff]));
    assert.ok(v >= 0 && v <= 0xffffffff && Number.isInteger(v));
    assert.equal(v, refCrc(new Uint8Array([0xff, 0xff, 0xff, 0xff])));
  });
});
