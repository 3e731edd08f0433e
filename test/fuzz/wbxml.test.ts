// Fuzz (node-only, fast-check): the streaming WBXML tokenizer on generated token streams. The
// generator knows the WBXML grammar (header, string table, element tokens with content/attribute
// bits, LITERAL tags, STR_I/STR_T/ENTITY/OPAQUE, EXT_*, PI, SWITCH_PAGE, END) and produces both
// valid streams and near-misses (bad pages, offsets outside the string table, unbalanced END,
// overlong mb_u_int32, huge lengths). Properties:
//  - only DecodeError escapes, with an offset inside the input;
//  - feeding the same bytes in arbitrary chunks gives the same events and the same error (code and
//    offset) as feeding them whole;
//  - after an error, reset() makes the instance decode a valid document exactly like a fresh one;
//  - events are balanced (every open has its close) and never deeper than maxDepth.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WbxmlTokenizer } from '../../src/codec/wbxml/Tokenizer';
import { PAGE_NAMES } from '../../src/codec/tokens';
import { params } from './lib/params';
import { hexOf, underContract } from './lib/contract';
import type { Outcome } from './lib/contract';
import { Recorder } from './lib/events';
import { applyEdits, byteEdit, chunksOf, mb, splits } from './lib/syncml';

const LIMITS = { maxDepth: 12, maxStringTable: 256, maxOpaque: 4096 };

/** Valid tokens per code page (token values 5..63 that have a name). */
const TOKENS: number[][] = PAGE_NAMES.map((names) => names.map((n, i) => (n !== null && i >= 5 ? i : -1)).filter((i) => i >= 0));

/** A byte sequence of the body, built from a small token grammar. */
type Piece = number[];

const cstr = fc.array(fc.integer({ min: 1, max: 255 }), { maxLength: 12 });
const mbNum = (max: number): fc.Arbitrary<number[]> => fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max }).map(mb) },
  { weight: 1, arbitrary: fc.constantFrom<number[]>([0x80, 0x80, 0x80, 0x80, 0x80, 0x01], [0x8f, 0xff, 0xff, 0xff, 0x7f], [0xff, 0xff, 0xff, 0xff, 0x7f], [0x80, 0x00]) },
);

/** Content (text-like) tokens. */
const content = (tableLen: number): fc.Arbitrary<Piece> => fc.oneof(
  cstr.map((s) => [0x03, ...s, 0x00]),
  mbNum(tableLen + 2).map((o) => [0x83, ...o]),
  fc.oneof(fc.integer({ min: 0, max: 0x10ffff }), fc.constantFrom(0xd800, 0x110000)).map((cp) => [0x02, ...mb(cp)]),
  fc.uint8Array({ maxLength: 16 }).map((b) => [0xc3, ...mb(b.length), ...b]),
  fc.constantFrom<number[]>([0x40, 0x41, 0x00], [0x42, 0x00], [0x80, 0x05], [0x81, 0x00], [0x82, 0x01], [0xc0], [0xc1], [0xc2]),
  fc.constantFrom<number[]>([0xc3, 0x8f, 0xff, 0xff, 0xff, 0x7f], [0xc3, 0x90, 0x00]), // huge OPAQUE lengths
);

/** An element (recursive): token on page 0/1/2 with optional attributes and content, or a LITERAL. */
function element(tableLen: number, depth: number): fc.Arbitrary<Piece> {
  const kids: fc.Arbitrary<Piece[]> = depth <= 0
    ? fc.array(content(tableLen), { maxLength: 3 })
    : fc.array(fc.oneof({ weight: 3, arbitrary: content(tableLen) }, { weight: 2, arbitrary: fc.constant(null).chain(() => element(tableLen, depth - 1)) }), { maxLength: 4 });
  const attrs = fc.array(fc.oneof(fc.integer({ min: 5, max: 0x7f }).map((a) => [a]), fc.integer({ min: 0x80, max: 0xff }).map((a) => [a]), cstr.map((s) => [0x03, ...s, 0]), mbNum(tableLen).map((o) => [0x04, ...o])), { maxLength: 3 }).map((a) => [...a.flat(), 0x01]);
  return fc.record({
    page: fc.constantFrom(0, 0, 0, 1, 2),
    switchTo: fc.option(fc.constantFrom(0, 1, 2, 3, 255), { freq: 4, nil: null }),
    tok: fc.nat(),
    literal: fc.option(mbNum(tableLen + 2), { freq: 8, nil: null }),
    attrs: fc.option(attrs, { freq: 6, nil: null }),
    kids,
  }).map((r) => {
    const out: number[] = [];
    if (r.switchTo !== null) out.push(0x00, r.switchTo);
    const page = r.switchTo !== null && r.switchTo <= 2 ? r.switchTo : 0;
    const toks = TOKENS[page]!;
    const hasContent = r.kids.length > 0;
    const flags = (hasContent ? 0x40 : 0) | (r.attrs ? 0x80 : 0);
    if (r.literal) out.push(0x04 | flags, ...r.literal);
    else out.push(toks[r.tok % toks.length]! | flags);
    if (r.attrs) out.push(...r.attrs);
    for (const k of r.kids) out.push(...k);
    if (hasContent) out.push(0x01);
    return out;
  });
}

/** A whole document: header, string table, optional PIs, the root element, trailing PIs. */
const document: fc.Arbitrary<Uint8Array> = fc.array(cstr, { maxLength: 6 }).chain((strs) => {
  const table = strs.flatMap((s) => [...s, 0]);
  return fc.record({
    version: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(1, 2, 3) }, { weight: 1, arbitrary: fc.constantFrom(0, 4) }),
    pid: fc.oneof({ weight: 4, arbitrary: fc.constant(mb(0x1201)) }, { weight: 1, arbitrary: mbNum(table.length).map((o) => [0, ...o]) }),
    charset: fc.oneof({ weight: 8, arbitrary: fc.constant(106) }, { weight: 1, arbitrary: fc.constantFrom(0, 3, 4, 1000) }),
    tableLenDelta: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) }),
    pre: fc.option(fc.constant([0x43, 0x05, 0x01]), { freq: 8, nil: null }),
    root: element(table.length, 4),
    post: fc.option(fc.constantFrom([0x43, 0x06, 0x03, 0x61, 0x00, 0x01], [0x01], [0x03, 0x61, 0x00]), { freq: 6, nil: null }),
  }).map((r) => {
    const head = [r.version, ...r.pid, ...(r.version === 0 ? [] : mb(r.charset)), ...mb(Math.max(0, table.length + r.tableLenDelta)), ...table];
    return Uint8Array.from([...head, ...(r.pre ?? []), ...r.root, ...(r.post ?? [])]);
  });
});

/** A fixed valid document: after any error the instance must decode it like a fresh one. */
const VALID = Uint8Array.from([0x02, 0x9f, 0x53, 0x6a, 0x05, 0x61, 0x62, 0x00, 0x63, 0x00, 0x6d, 0x6c, 0x71, 0x03, 0x31, 0x00, 0x01, 0x00, 0x01, 0x53, 0x83, 0x00, 0x01, 0x00, 0x00, 0x4f, 0xc3, 0x02, 0xff, 0x00, 0x01, 0x01, 0x01]);
const validEvents = run(VALID);

interface Run { events: string[]; error: string | null; maxDepth: number }

/** Decodes `doc` (whole, or in `chunks`) with a fresh tokenizer and recorder. */
function run(doc: Uint8Array, chunks?: Uint8Array[]): Run {
  const rec = new Recorder();
  const tk = new WbxmlTokenizer(rec, LIMITS);
  const r: Outcome<void> = underContract('wbxml tokenizer', () => {
    for (const c of chunks ?? [doc]) tk.write(c);
    tk.end();
  }, doc.length, doc);
  if (r.ok) assert.equal(rec.stack.length, 0, 'a complete document left elements open');
  assert.ok(rec.maxDepth <= LIMITS.maxDepth && rec.maxDepthEmpty <= LIMITS.maxDepth + 1, `nesting ${rec.maxDepth}/${rec.maxDepthEmpty} deeper than the limit`);
  return { events: rec.done(), error: r.ok ? null : `${r.error.code}@${r.error.offset}`, maxDepth: rec.maxDepth };
}

/** Like run() but on a tokenizer whose handler is the given recorder (for instance reuse). */
function runOn(tk: WbxmlTokenizer, rec: Recorder, doc: Uint8Array): Run {
  const r = underContract('wbxml tokenizer', () => tk.decode(doc), doc.length);
  return { events: rec.done(), error: r.ok ? null : `${r.error.code}@${r.error.offset}`, maxDepth: rec.maxDepth };
}

describe('fuzz: WBXML tokenizer', () => {
  test('the reference document decodes (string table, page switch, STR_T, OPAQUE)', () => {
    assert.equal(validEvents.error, null);
    assert.deepEqual(validEvents.events, ['<2d', '<2c', '<31', 's:31', '>31', '<113', 's:6162', '>113', '<f', 'o:ff00', '>f', '>2c', '>2d']);
  });

  test('generated token streams: only DecodeError; chunked feeding = whole feeding (events and error)', () => {
    let ok = 0;
    let failed = 0;
    fc.assert(fc.property(document, fc.integer(), (doc, seed) => {
      const whole = run(doc);
      if (whole.error === null) ok++; else failed++;
      const at = fc.sample(splits(doc.length), { seed, numRuns: 1 })[0]!;
      const chunked = run(doc, chunksOf(doc, at));
      assert.deepEqual(chunked, whole, `splits ${at.join(',')} of ${hexOf(doc)}`);
      const bytewise = run(doc, chunksOf(doc, Array.from({ length: doc.length - 1 }, (_, i) => i + 1)));
      assert.deepEqual(bytewise, whole, `byte by byte: ${hexOf(doc)}`);
    }), params('wbxml/streams', 600));
    // the generator must exercise both sides of the grammar
    assert.ok(ok > 20 && failed > 20, `valid ${ok}, rejected ${failed}`);
  });

  test('byte-mutated streams: only DecodeError, chunk invariance, and the instance is reusable after reset()', () => {
    const rec = new Recorder();
    const tk = new WbxmlTokenizer(rec, LIMITS);
    fc.assert(fc.property(document, fc.array(byteEdit, { minLength: 1, maxLength: 6 }), fc.integer(), (doc, edits, seed) => {
      const bad = applyEdits(doc, edits);
      const whole = run(bad);
      const at = fc.sample(splits(bad.length), { seed, numRuns: 1 })[0]!;
      assert.deepEqual(run(bad, chunksOf(bad, at)), whole, `splits ${at.join(',')} of ${hexOf(bad)}`);
      // the same instance: the bad input, then the valid document
      rec.clear();
      runOn(tk, rec, bad);
      rec.clear();
      assert.deepEqual(runOn(tk, rec, VALID).events, validEvents.events, 'instance unusable after a malformed document');
    }), params('wbxml/mutants', 600));
  });

  test('limits hold for hostile headers and nesting (string table, OPAQUE length, depth)', () => {
    fc.assert(fc.property(fc.integer({ min: 257, max: 0xfffffff }), fc.integer({ min: 4097, max: 0xfffffff }), fc.integer({ min: 13, max: 500 }), (tbl, opq, depth) => {
      const bigTable = Uint8Array.from([0x02, 0x9f, 0x53, 0x6a, ...mb(tbl), 0x61]);
      assert.equal(run(bigTable).error?.split('@')[0], 'strtbl-too-large');
      const bigOpaque = Uint8Array.from([0x02, 0x9f, 0x53, 0x6a, 0x00, 0x6d, 0x4f, 0xc3, ...mb(opq)]);
      assert.equal(run(bigOpaque).error?.split('@')[0], 'opaque-too-large');
      const deep = Uint8Array.from([0x02, 0x9f, 0x53, 0x6a, 0x00, ...new Array<number>(depth).fill(0x54), ...new Array<number>(depth).fill(0x01)]);
      assert.equal(run(deep).error?.split('@')[0], 'depth');
    }), params('wbxml/limits', 100));
  });
});
