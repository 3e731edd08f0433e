// Unit (portable): Base64 against RFC 4648 §10 vectors, leniency rules, error offsets, streaming.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { b64encode, b64decode, b64decodeInto, Base64Decoder, b64DecodedMaxLength, b64EncodedLength } from '../../../src/crypto/base64';
import { DecodeError } from '../../../src/errors';
import { utf8Encode, utf8Decode } from '../../../src/util/utf8';
import { asciiBytes } from '../../../src/util/bytes';

const rfc: [string, string][] = [
  ['', ''], ['f', 'Zg=='], ['fo', 'Zm8='], ['foo', 'Zm9v'], ['foob', 'Zm9vYg=='], ['fooba', 'Zm9vYmE='], ['foobar', 'Zm9vYmFy'],
];

function isB64Error(e: unknown, offset?: number): boolean {
  if (!(e instanceof DecodeError) || e.code !== 'bad-base64') return false;
  return offset === undefined || e.offset === offset;
}

describe('base64', () => {
  for (const [plain, enc] of rfc) {
    test(`RFC 4648 "${plain}"`, () => {
      assert.equal(b64encode(utf8Encode(plain)), enc);
      assert.equal(utf8Decode(b64decode(enc)), plain);
      assert.equal(utf8Decode(b64decode(enc.replace(/=/g, ''))), plain, 'missing padding accepted');
      assert.equal(b64EncodedLength(plain.length), enc.length);
    });
  }
  test('all byte values round-trip, every length 0..260', () => {
    const all = new Uint8Array(260);
    for (let i = 0; i < all.length; i++) all[i] = (i * 97) & 0xff;
    for (let n = 0; n <= 260; n++) {
      const b = all.subarray(0, n);
      assert.deepEqual(b64decode(b64encode(b)), b.slice());
    }
  });
  test('whitespace is ignored anywhere', () => {
    assert.equal(utf8Decode(b64decode(' Zm9v\r\nYm\tFy \f')), 'foobar');
    assert.equal(utf8Decode(b64decode('Zg =\n=')), 'f');
  });
  test('bad characters, misplaced padding, data after padding, dangling char', () => {
    assert.throws(() => b64decode('Zm9v!'), (e) => isB64Error(e, 4));
    assert.throws(() => b64decode('Zm-v'), (e) => isB64Error(e, 2), 'url-safe alphabet is not accepted');
    assert.throws(() => b64decode('Zm9v\u00e9'), (e) => isB64Error(e, 4));
    assert.throws(() => b64decode('Zm9v\u0100'), (e) => isB64Error(e, 4));
    assert.throws(() => b64decode('=Zm9'), (e) => isB64Error(e, 0));
    assert.throws(() => b64decode('Zm9v='), (e) => isB64Error(e, 4));
    assert.throws(() => b64decode('Zg==Zg=='), (e) => isB64Error(e, 4));
    assert.throws(() => b64decode('Zg==='), (e) => isB64Error(e, 4));
    assert.throws(() => b64decode('Zm8=='), (e) => isB64Error(e, 4));
    assert.throws(() => b64decode('Zm9vY'), (e) => isB64Error(e));
  });
  test('facts §5.1 NextNonce decodes to the listed bytes', () => {
    assert.deepEqual(Array.from(b64decode('LG3iZQhhdmKNHg==')), [0x2c, 0x6d, 0xe2, 0x65, 0x08, 0x61, 0x76, 0x62, 0x8d, 0x1e]);
  });
  test('b64decodeInto and the streaming decoder agree with b64decode for every split', () => {
    const text = 'SGVsbG8s\nIHdvcmxkIQ==';
    const want = b64decode(text);
    const src = asciiBytes(text);
    const out = new Uint8Array(b64DecodedMaxLength(src.length) + 2);
    assert.deepEqual(out.slice(0, b64decodeInto(src, out)), want);
    for (let cut = 0; cut <= src.length; cut++) {
      const d = new Base64Decoder();
      const o = new Uint8Array(64);
      let n = d.push(src.subarray(0, cut), o, 0);
      n += d.push(src.subarray(cut), o, n);
      n += d.end(o, n);
      assert.deepEqual(o.slice(0, n), want, `cut ${cut}`);
    }
  });
  test('streaming error offsets count from the first pushed byte; decoder is reusable after an error', () => {
    const d = new Base64Decoder();
    const o = new Uint8Array(64);
    d.push(asciiBytes('Zm9v'), o);
    assert.throws(() => d.push(asciiBytes('Zm*v'), o), (e) => isB64Error(e, 6));
    const n = d.push(asciiBytes('Zm9v'), o);
    assert.equal(n + d.end(o, n), 3);
    assert.throws(() => d.push(asciiBytes('Zm9vZm9v'), new Uint8Array(4)), RangeError);
  });
});
