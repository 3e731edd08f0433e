// Layer: unit, NODE-ONLY (imports the npm package cbor-x as an independent oracle; the QuickJS
// runner must skip this file). Proves our CBOR subset codec against cbor-x in both directions.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Decoder, Encoder, decode as cxDefaultDecode, encode as cxEncode } from 'cbor-x';
import fc from 'fast-check';
import { cborDecode, cborEncode } from '../../../src/store/cbor';
import type { CborValue } from '../../../src/store/cbor';
import { toHex } from '../../../src/util/bytes';

/** Normalises decoded values for comparison (Buffer/Uint8Array → hex, null-proto maps → plain objects). */
function norm(v: unknown): unknown {
  if (v instanceof Uint8Array) return { bytes: toHex(v) };
  if (Array.isArray(v)) return v.map(norm);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]));
  return v;
}

// cbor-x hands out 64-bit integers (major type 0/1 with an 8-byte argument) as BigInt by default;
// int64AsNumber gives the JS number, which is what our subset means by "safe integer".
// (the option exists in cbor-x 1.6 but is missing from its type declarations)
const cx = new Decoder({ int64AsNumber: true, mapsAsObjects: true } as ConstructorParameters<typeof Decoder>[0]);
const cxDecode = (b: Uint8Array): unknown => cx.decode(b);

const key = fc.string({ maxLength: 8, unit: 'grapheme' }).filter((k) => k !== '__proto__');
function values(opts: { negZero: boolean }): fc.Arbitrary<CborValue> {
  const { value } = fc.letrec<{ value: CborValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant(null), fc.boolean(),
      fc.integer({ min: -(2 ** 31), max: 2 ** 32 }), fc.maxSafeInteger(), fc.maxSafeNat().map((n) => (n === 0 ? 0 : -n)),
      fc.double().filter((x) => opts.negZero || !Object.is(x, -0)), // cbor-x writes -0 as integer 0
      fc.string({ maxLength: 40, unit: 'binary' }),
      fc.uint8Array({ maxLength: 40 }),
      fc.array(tie('value'), { maxLength: 6 }),
      fc.dictionary(key, tie('value'), { maxKeys: 6, noNullPrototype: true }) as fc.Arbitrary<CborValue>,
    ),
  }));
  return value;
}

describe('cbor vs cbor-x', () => {
  test('our bytes decode with cbor-x to the same value', () => {
    fc.assert(fc.property(values({ negZero: true }), (v) => {
      assert.deepEqual(norm(cxDecode(cborEncode(v))), norm(v));
    }), { seed: 42, numRuns: 2000 });
  });
  test('cbor-x bytes (default encoder) decode with ours to the same value', () => {
    fc.assert(fc.property(values({ negZero: false }), (v) => {
      assert.deepEqual(norm(cborDecode(cxEncode(v))), norm(v));
    }), { seed: 43, numRuns: 2000 });
  });
  test('cbor-x bytes (no records, variable map size) decode with ours to the same value', () => {
    const enc = new Encoder({ useRecords: false, variableMapSize: true });
    fc.assert(fc.property(values({ negZero: false }), (v) => {
      assert.deepEqual(norm(cborDecode(enc.encode(v))), norm(v));
    }), { seed: 44, numRuns: 1000 });
  });
  test('byte-identical to cbor-x where both are canonical (ints < 2^32, strings, arrays, single-key maps)', () => {
    const enc = new Encoder({ useRecords: false, variableMapSize: true });
    const { v } = fc.letrec<{ v: CborValue }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }), fc.string({ maxLength: 30 }), fc.boolean(), fc.constant(null),
        fc.array(tie('v'), { maxLength: 5 }),
        fc.tuple(key, tie('v')).map(([k, x]) => ({ [k]: x })) as fc.Arbitrary<CborValue>,
      ),
    }));
    fc.assert(fc.property(v, (x) => {
      assert.equal(toHex(cborEncode(x)), toHex(enc.encode(x)));
    }), { seed: 45, numRuns: 1000 });
  });
  test('default cbor-x decoding sees our 64-bit integers as the same integer (BigInt)', () => {
    for (const n of [2 ** 32, 1764000000000, Number.MAX_SAFE_INTEGER, -(2 ** 40)]) {
      assert.equal(cxDefaultDecode(cborEncode(n)), BigInt(n));
    }
  });
  test('a persisted-tree-like record round-trips through cbor-x and back to identical bytes', () => {
    const rec: CborValue = { v: 1, n: Array.from({ length: 50 }, (_, i) => [i === 0 ? 0 : i - 1, `n${i}`, i & 3, 5, 'text/plain', i % 7 ? '' : 'Get=*', '', 1764000000000 + i, i, i % 2 ? null : new Uint8Array([i, i + 1])]) };
    const ours = cborEncode(rec);
    const back = cborEncode(cxDecode(ours) as CborValue);
    assert.equal(toHex(back), toHex(ours));
  });
});
