// Unit (portable): WBXML tokenizer — header forms, every global token, chunking, limits, errors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WbxmlTokenizer } from '../../../src/codec/wbxml/Tokenizer';
import { DecodeError } from '../../../src/errors';
import { asciiBytes, concatBytes } from '../../../src/util/bytes';
import { EventLog, rng } from './helpers';

const s = (t: string): number[] => [...asciiBytes(t)];

// string table: "hello\0" at 0, "Foo\0" at 6
const STRTBL = [...s('hello'), 0, ...s('Foo'), 0];
const ALL_TOKENS = Uint8Array.from([
  0x03, 0xa4, 0x01, 0x6a, STRTBL.length, ...STRTBL,
  0x6d, // <SyncML>
  0x43, 0x05, 0x03, ...s('x'), 0x00, 0x01, // PI with an attribute
  0x4f, // <Data>
  0x03, ...s('ab'), 0x00, // STR_I
  0x02, 0x81, 0x00, // ENTITY 128
  0x83, 0x00, // STR_T 0 -> "hello"
  0xc3, 0x03, 0x01, 0x02, 0x03, // OPAQUE
  0x40, ...s('e'), 0x00, // EXT_I_0
  0x80, 0x01, // EXT_T_0
  0xc0, // EXT_0
  0x01, // </Data>
  0x44, 0x06, 0x03, ...s('in'), 0x00, 0x01, // LITERAL_C "Foo" with content
  0x04, 0x06, // LITERAL "Foo", empty
  0x84, 0x06, 0x05, 0x83, 0x00, 0x01, // LITERAL_A: attributes, no content
  0xc4, 0x06, 0x05, 0x03, ...s('v'), 0x00, 0x01, 0x03, ...s('c'), 0x00, 0x01, // LITERAL_AC
  0xcf, 0x05, 0x03, ...s('v'), 0x00, 0x01, 0x03, ...s('z'), 0x00, 0x01, // <Data attr>z</Data>
  0x00, 0x01, 0x53, 0x03, ...s('text/plain'), 0x00, 0x01, // page 1 <Type>
  0x00, 0x00, 0x12, // page 0 <Final/>
  0x01, // </SyncML>
  0x43, 0x05, 0x01, // trailing PI
]);

const EXPECTED = [
  'open SyncML', 'open Data', 'str "ab"', 'entity 128', 'str "hello"', 'opaque "\\u0001\\u0002\\u0003"', 'close Data',
  'open #Foo', 'str "in"', 'close #', 'open #Foo/', 'close #', 'open #Foo/', 'close #', 'open #Foo', 'str "c"', 'close #',
  'open Data', 'str "z"', 'close Data', 'open Type', 'str "text/plain"', 'close Type', 'open Final/', 'close Final', 'close SyncML',
];

function decodeChunks(doc: Uint8Array, cuts: number[]): string[] {
  const log = new EventLog();
  const t = new WbxmlTokenizer(log);
  let prev = 0;
  for (const c of [...cuts, doc.length]) {
    t.write(doc.subarray(prev, c));
    prev = c;
  }
  t.end();
  return log.done();
}

describe('WBXML tokenizer', () => {
  test('decodes every global token and both literal forms', () => {
    const log = new EventLog();
    const t = new WbxmlTokenizer(log);
    t.decode(ALL_TOKENS);
    assert.deepEqual(log.done(), EXPECTED);
    assert.equal(t.version, 3);
    assert.equal(t.publicId, 0x1201);
    assert.equal(t.charset, 106);
    assert.equal(t.stringTable.length, STRTBL.length);
  });

  test('every single split point gives the same events', () => {
    for (let i = 0; i <= ALL_TOKENS.length; i++) {
      assert.deepEqual(decodeChunks(ALL_TOKENS, [i]), EXPECTED, `split at ${i}`);
    }
  });

  test('byte-by-byte and random multi-splits give the same events', () => {
    const every = Array.from({ length: ALL_TOKENS.length - 1 }, (_, i) => i + 1);
    assert.deepEqual(decodeChunks(ALL_TOKENS, every), EXPECTED);
    const r = rng(42);
    for (let k = 0; k < 200; k++) {
      const cuts = [...new Set(Array.from({ length: 1 + Math.floor(r() * 8) }, () => Math.floor(r() * ALL_TOKENS.length)))].sort((a, b) => a - b);
      assert.deepEqual(decodeChunks(ALL_TOKENS, cuts), EXPECTED);
    }
  });

  // fuzz finding (seed 720724351): an empty inline string gave an empty text event when whole and
  // none when split, so two OPAQUE values around it were one run split and two runs whole
  test('an empty STR_I is no event, whole or split', () => {
    const doc = Uint8Array.from([
      0x03, 0x01, 0x6a, 0x00, 0x6d, 0x4f, // <SyncML><Data>
      0xc3, 0x02, 0x0a, 0x0b, 0x03, 0x00, 0xc3, 0x01, 0x0c, // OPAQUE, STR_I "", OPAQUE
      0x01, 0x4f, 0x03, 0x00, 0x01, 0x01, // </Data><Data>STR_I ""</Data></SyncML>
    ]);
    const whole = decodeChunks(doc, []);
    assert.deepEqual(whole, ['open SyncML', 'open Data', 'opaque "\\n\\u000b\\f"', 'close Data', 'open Data', 'close Data', 'close SyncML']);
    for (let i = 1; i < doc.length; i++) assert.deepEqual(decodeChunks(doc, [i]), whole, `split at ${i}`);
    assert.deepEqual(decodeChunks(doc, Array.from({ length: doc.length - 1 }, (_, i) => i + 1)), whole);
  });

  test('string-table public id without NUL (SyncML RTK / Funambol header) and VerDTD-independent', () => {
    const fpi = s('-//SYNCML//DTD SyncML 1.1//EN');
    assert.equal(fpi.length, 0x1d);
    const doc = Uint8Array.from([0x02, 0x00, 0x00, 0x6a, 0x1d, ...fpi, 0x6d, 0x12, 0x01]);
    const log = new EventLog();
    const t = new WbxmlTokenizer(log);
    t.decode(doc);
    assert.equal(t.publicId, 0);
    assert.equal(t.publicIdIndex, 0);
    assert.deepEqual(log.done(), ['open SyncML', 'open Final/', 'close Final', 'close SyncML']);
  });

  test('WBXML 1.0 header has no charset', () => {
    const doc = Uint8Array.from([0x00, 0x01, 0x00, 0x2d]); // version 1.0, unknown public id, no strtbl, <SyncML/>
    const log = new EventLog();
    const t = new WbxmlTokenizer(log);
    t.decode(doc);
    assert.equal(t.version, 0);
    assert.equal(t.charset, -1);
    assert.deepEqual(log.done(), ['open SyncML/', 'close SyncML']);
  });

  test('empty element as token|0x40 followed by END is accepted', () => {
    const doc = Uint8Array.from([0x03, 0xa4, 0x01, 0x6a, 0x00, 0x6d, 0x52, 0x01, 0x01]);
    const log = new EventLog();
    new WbxmlTokenizer(log).decode(doc);
    assert.deepEqual(log.done(), ['open SyncML', 'open Final', 'close Final', 'close SyncML']);
  });

  const header = [0x03, 0xa4, 0x01, 0x6a, 0x00];
  const errCases: [string, number[], string, Record<string, number>?][] = [
    ['unknown page', [...header, 0x6d, 0x00, 0x07, 0x45, 0x01, 0x01], 'unknown-page'],
    ['unknown tag on a known page', [...header, 0x6d, 0x70, 0x01, 0x01], 'unknown-tag'],
    ['mb_u_int32 longer than 32 bits', [...header, 0x6d, 0x4f, 0xc3, 0x8f, 0xff, 0xff, 0xff, 0xff, 0x7f], 'mb-overflow'],
    ['STR_T outside the string table', [...header, 0x6d, 0x4f, 0x83, 0x05, 0x01, 0x01], 'strtbl-range'],
    ['END without an element', [...header, 0x01], 'unbalanced-end'],
    ['content outside the root', [...header, 0x03, 0x61, 0x00], 'bad-token'],
    ['data after the root', [...header, 0x2d, 0x2d], 'trailing-data'],
    ['unsupported version', [0x07, 0xa4, 0x01, 0x6a, 0x00, 0x2d], 'version'],
    ['unsupported charset', [0x03, 0xa4, 0x01, 0x11, 0x00, 0x2d], 'charset'],
    ['string table over the limit', [0x03, 0xa4, 0x01, 0x6a, 0x81, 0x00], 'strtbl-too-large', { maxStringTable: 64 }],
    ['OPAQUE over the limit', [...header, 0x6d, 0x4f, 0xc3, 0x81, 0x00], 'opaque-too-large', { maxOpaque: 100 }],
    ['ENTITY that is a surrogate', [...header, 0x6d, 0x4f, 0x02, 0x83, 0xb0, 0x00], 'bad-entity'],
  ];
  for (const [name, bytes, code, limits] of errCases) {
    test(`error: ${name} → DecodeError(${code})`, () => {
      const t = new WbxmlTokenizer(new EventLog(), limits ?? {});
      assert.throws(() => t.decode(Uint8Array.from(bytes)), (e: unknown) => e instanceof DecodeError && e.code === code);
    });
  }

  test('nesting deeper than the limit is a DecodeError, not a stack overflow', () => {
    const depth = 40;
    const doc = Uint8Array.from([...header, 0x6d, ...new Array(depth).fill(0x54), ...new Array(depth + 1).fill(0x01)]);
    const t = new WbxmlTokenizer(new EventLog(), { maxDepth: 24 });
    assert.throws(() => t.decode(doc), (e: unknown) => e instanceof DecodeError && e.code === 'depth');
    const ok = new WbxmlTokenizer(new EventLog(), { maxDepth: 64 });
    ok.decode(doc);
  });

  test('truncation at every byte is a DecodeError, and the instance is reusable afterwards', () => {
    const log = new EventLog();
    const t = new WbxmlTokenizer(log);
    for (let n = 0; n < ALL_TOKENS.length - 3; n++) {
      // (the last 3 bytes are an optional trailing PI)
      assert.throws(() => t.decode(ALL_TOKENS.subarray(0, n)), (e: unknown) => e instanceof DecodeError, `cut at ${n}`);
    }
    log.events = [];
    t.decode(ALL_TOKENS);
    assert.deepEqual(log.done(), EXPECTED);
  });

  test('random mutations raise only DecodeError', () => {
    const r = rng(7);
    const t = new WbxmlTokenizer(new EventLog(), { maxDepth: 16, maxStringTable: 256, maxOpaque: 1 << 16 });
    let errors = 0;
    for (let k = 0; k < 3000; k++) {
      const d = ALL_TOKENS.slice();
      const edits = 1 + Math.floor(r() * 4);
      for (let e = 0; e < edits; e++) d[Math.floor(r() * d.length)] = Math.floor(r() * 256);
      try {
        t.decode(d);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        errors++;
      }
    }
    assert.ok(errors > 1000, `most mutations should be rejected (${errors})`);
  });

  test('offsets in errors are absolute across chunks', () => {
    const doc = Uint8Array.from([...header, 0x6d, 0x70]);
    const t = new WbxmlTokenizer(new EventLog());
    t.write(doc.subarray(0, 3));
    try {
      t.write(doc.subarray(3));
      assert.fail('no error');
    } catch (e) {
      assert.ok(e instanceof DecodeError);
      assert.equal(e.offset, 6);
      assert.equal(e.byte, 0x70);
    }
  });

  test('OPAQUE values are views into the input (zero-copy)', () => {
    const payload = new Uint8Array(1000).map((_, i) => i & 0xff);
    const doc = concatBytes([Uint8Array.from([...header, 0x6d, 0x4f, 0xc3, 0x87, 0x68]), payload, Uint8Array.from([0x01, 0x01])]);
    let seen: Uint8Array | null = null;
    const t = new WbxmlTokenizer({ ...new EventLog(), open() {}, close() {}, text() {}, entity() {}, opaque(b, st, en) { seen = b.subarray(st, en); } });
    t.decode(doc);
    assert.ok(seen);
    const v = seen as Uint8Array;
    assert.equal(v.buffer, doc.buffer);
    assert.equal(v.length, 1000);
    assert.equal(v[999], 999 & 0xff);
  });
});
