// Layer: unit (portable). The CBOR subset codec against RFC 8949 Appendix A vectors (an independent
// oracle), determinism, and malformed input (only DecodeError, at the right offset).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { cborDecode, cborEncode, cborSize, CborReader, CborWriter } from '../../../src/store/cbor';
import type { CborValue } from '../../../src/store/cbor';
import { DecodeError, LimitError } from '../../../src/errors';
import { fromHex, toHex } from '../../../src/util/bytes';

/** RFC 8949 Appendix A: value → preferred encoding (the subset we encode identically). */
const ENCODE_VECTORS: [CborValue, string][] = [
  [0, '00'], [1, '01'], [10, '0a'], [23, '17'], [24, '1818'], [25, '1819'], [100, '1864'], [1000, '1903e8'],
  [1000000, '1a000f4240'], [1000000000000, '1b000000e8d4a51000'], [-1, '20'], [-10, '29'], [-100, '3863'],
  [-1000, '3903e7'], [1.1, 'fb3ff199999999999a'], [1.0e300, 'fb7e37e43c8800759c'], [-4.1, 'fbc010666666666666'],
  [false, 'f4'], [true, 'f5'], [null, 'f6'],
  [new Uint8Array(0), '40'], [fromHex('01020304'), '4401020304'],
  ['', '60'], ['a', '6161'], ['IETF', '6449455446'], ['"\\', '62225c'], ['\u00fc', '62c3bc'], ['\u6c34', '63e6b0b4'],
  ['\ud800\udd51', '64f0908591'],
  [[], '80'], [[1, 2, 3], '83010203'], [[1, [2, 3], [4, 5]], '8301820203820405'],
  [Array.from({ length: 25 }, (_, i) => i + 1), '98190102030405060708090a0b0c0d0e0f101112131415161718181819'],
  [{}, 'a0'], [{ a: 1, b: [2, 3] }, 'a26161016162820203'], [['a', { b: 'c' }], '826161a161626163'],
  [{ a: 'A', b: 'B', c: 'C', d: 'D', e: 'E' }, 'a56161614161626142616361436164614461656145'],
];

/** RFC 8949 Appendix A decode-only vectors (float16/32 and the edge values). */
const DECODE_VECTORS: [string, number][] = [
  ['f90000', 0], ['f93c00', 1], ['f93e00', 1.5], ['f97bff', 65504], ['fa47c35000', 100000],
  ['fa7f7fffff', 3.4028234663852886e38], ['f90001', 5.960464477539063e-8], ['f90400', 0.00006103515625],
  ['f9c400', -4], ['f97c00', Infinity], ['f9fc00', -Infinity], ['fb7ff0000000000000', Infinity],
  ['1b001fffffffffffff', 9007199254740991],
];

function plain(v: CborValue): unknown {
  // Null-prototype maps compare equal to object literals only after copying.
  if (v instanceof Uint8Array) return toHex(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

describe('cbor: RFC 8949 Appendix A', () => {
  for (const [v, hex] of ENCODE_VECTORS) {
    test(`encode ${JSON.stringify(plain(v))} → ${hex}`, () => {
      const b = cborEncode(v);
      assert.equal(toHex(b), hex);
      assert.equal(cborSize(v), b.length);
      assert.deepEqual(plain(cborDecode(b)), plain(v));
    });
  }
  for (const [hex, v] of DECODE_VECTORS) {
    test(`decode ${hex} → ${v}`, () => assert.equal(cborDecode(fromHex(hex)), v));
  }
  test('decode f97e00 is NaN, f98000 is -0', () => {
    assert.ok(Number.isNaN(cborDecode(fromHex('f97e00')) as number));
    assert.ok(Object.is(cborDecode(fromHex('f98000')), -0));
  });
  test('non-shortest heads and tag 64 byte strings are accepted (cbor-x writes them)', () => {
    assert.equal(cborDecode(fromHex('1900 05'.replace(' ', ''))), 5);
    assert.deepEqual(plain(cborDecode(fromHex('b9000161610a'))), { a: 10 });
    assert.deepEqual(plain(cborDecode(fromHex('d840420102'))), '0102');
  });
});

describe('cbor: determinism', () => {
  test('map keys are sorted length-first then bytewise, whatever the insertion order', () => {
    const a = cborEncode({ bb: 1, a: 2, b: 3, aa: 4, '\u00fc': 5 });
    const b = cborEncode({ '\u00fc': 5, aa: 4, b: 3, a: 2, bb: 1 });
    assert.equal(toHex(a), toHex(b));
    // a, b (1 byte) < aa, bb, ü (2 bytes; "aa" < "bb" < c3bc)
    assert.deepEqual(Object.keys(cborDecode(a) as object), ['a', 'b', 'aa', 'bb', '\u00fc']);
  });
  test('-0 and non-safe numbers round-trip as float64', () => {
    for (const v of [-0, 2 ** 53, -(2 ** 60), 0.5, Number.MAX_VALUE, Number.MIN_VALUE]) {
      const b = cborEncode(v);
      assert.equal(b.length, 9);
      assert.ok(Object.is(cborDecode(b), v));
    }
  });
  test('values outside the subset are refused with TypeError', () => {
    assert.throws(() => cborEncode(undefined as unknown as CborValue), TypeError);
    assert.throws(() => cborEncode({ a: undefined } as unknown as CborValue), TypeError);
    assert.throws(() => cborEncode((() => 1) as unknown as CborValue), TypeError);
  });
  test('the writer never grows: overflow is a LimitError', () => {
    const w = new CborWriter(3);
    w.int(1);
    assert.throws(() => w.text('abc'), LimitError);
  });
});

describe('cbor: malformed input', () => {
  const sample: CborValue = { name: 'node', vals: [1, -2, 300, 70000, 2 ** 40, 'x', new Uint8Array([9, 8, 7]), null, true, 1.5], m: { k: [] } };
  const enc = cborEncode(sample);

  test('every truncation is a DecodeError', () => {
    for (let n = 0; n < enc.length; n++) {
      assert.throws(() => cborDecode(enc.subarray(0, n)), (e: unknown) => e instanceof DecodeError && e.offset <= n, `prefix ${n}`);
    }
  });
  test('trailing bytes, tags, indefinite lengths, undefined, non-text keys, duplicate keys', () => {
    const cases: [string, string][] = [
      ['0000', 'trailing'], ['c100', 'tag'], ['5f4101ff', 'indefinite'], ['f7', 'simple'], ['a10101', 'map-key'],
      ['a2616101616102', 'duplicate-key'], ['1c', 'bad-head'], ['1b0020000000000000', 'int-range'], ['f820', 'simple'],
    ];
    for (const [hex, code] of cases) {
      assert.throws(() => cborDecode(fromHex(hex)), (e: unknown) => e instanceof DecodeError && e.code === code, hex);
    }
  });
  test('a huge declared length is refused before any allocation', () => {
    assert.throws(() => cborDecode(fromHex('5affffffff00')), (e: unknown) => e instanceof DecodeError && e.code === 'truncated');
    assert.throws(() => cborDecode(fromHex('9affffffff')), (e: unknown) => e instanceof DecodeError && e.code === 'truncated');
  });
  test('depth limit', () => {
    const deep = fromHex('81'.repeat(40) + '00');
    assert.throws(() => cborDecode(deep), (e: unknown) => e instanceof DecodeError && e.code === 'depth');
    assert.equal(JSON.stringify(cborDecode(deep, { maxDepth: 64 })), '['.repeat(40) + '0' + ']'.repeat(40));
  });
  test('seeded random mutations only ever raise DecodeError', () => {
    let seed = 12345;
    const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed % n; };
    for (let i = 0; i < 3000; i++) {
      const m = enc.slice();
      for (let k = 0, n = 1 + rnd(4); k < n; k++) m[rnd(m.length)] = rnd(256);
      try { cborDecode(m); } catch (e) { if (!(e instanceof DecodeError)) throw e; }
    }
  });
  test('reader: typed pulls report the offending offset', () => {
    const r = new CborReader(fromHex('8263616263'));
    assert.equal(r.array(), 2);
    assert.equal(r.text(), 'abc');
    assert.throws(() => r.uint('field'), (e: unknown) => e instanceof DecodeError && e.offset === 5 && e.state === 'field');
  });
});
