// Fuzz (node-only, fast-check): the streaming XML tokenizer on generated documents. The generator
// knows the markup the tokenizer must skip or handle (BOM, XML declaration, PIs with '?' runs,
// comments with '-' runs, DOCTYPE with quoted strings and an internal subset, CDATA with ']' runs,
// attributes with both quote kinds, default namespaces, empty elements, entity and character
// references) and element names from the SyncML/MetInf/DDF pages or unknown ones. Properties:
//  - only DecodeError escapes, with an offset inside the input;
//  - any chunking gives the same events and the same error (code and offset) as one whole write;
//  - after an error, reset() makes the instance decode a valid document like a fresh one;
//  - events are balanced and never deeper than maxDepth.
// Namespace prefix declarations (xmlns:p) and prefixed names are generated too (they were finding
// F1); more than maxPrefixes declarations in scope is a DecodeError whatever the chunking.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { XmlTokenizer } from '../../src/codec/xml/Tokenizer';
import { PAGE_NAMES } from '../../src/codec/tokens';
import { params } from './lib/params';
import { hexOf, underContract } from './lib/contract';
import { Recorder } from './lib/events';
import { applyEdits, byteEdit, chunksOf, splits } from './lib/syncml';
import { knownHits } from './lib/known';

const LIMITS = { maxDepth: 12, maxTokenLen: 1024, maxPrefixes: 8 };

const names = [...PAGE_NAMES[0]!, ...PAGE_NAMES[1]!, 'Node', 'NodeName', 'Unknown', 'x', 'Ü'].filter((n): n is string => n !== null);
const name = fc.tuple(fc.constantFrom(...names), fc.constantFrom('', '', '', 'm:', 'p:', 'zz:')).map(([n, p]) => p + n);
const ws = fc.constantFrom('', ' ', '\n', '\t', '\r\n  ');
const textChars = fc.array(fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...'abcXYZ019 ./:=_-'.split('')) },
  { weight: 2, arbitrary: fc.constantFrom('&amp;', '&lt;', '&#x41;', '&#65;', '&bogus;', '&', '>', ']', ']]', '"', "'", 'é', '😀', '\n') },
), { maxLength: 20 }).map((a) => a.join(''));
const quoted = fc.tuple(fc.constantFrom('"', "'"), fc.array(fc.constantFrom(...'ab <>/=&]['.split('')), { maxLength: 8 })).map(([q, a]) => q + a.join('').split(q).join('') + q);
const namespace = fc.constantFrom('SYNCML:SYNCML1.2', 'syncml:metinf', 'SYNCML:SYNCML1.1', 'syncml:dmddf1.2', ' syncml:MetInf ', 'urn:other');

/** Attributes: xmlns defaults, prefix declarations (m, p, and undeclared zz stays unknown) and ordinary ones. */
const attrs = fc.array(fc.oneof(
  fc.tuple(ws, namespace, fc.constantFrom('"', "'")).map(([w, ns, q]) => ` xmlns${w}=${w}${q}${ns}${q}`),
  fc.tuple(fc.constantFrom('m', 'p'), namespace).map(([pf, ns]) => ` xmlns:${pf}="${ns}"`),
  fc.tuple(fc.constantFrom('a', 'b-c', 'x:y', 'xmlnsx'), ws, quoted).map(([n, w, v]) => ` ${n}${w}=${w}${v}`),
), { maxLength: 3 }).map((a) => a.join(''));

const comment = fc.array(fc.constantFrom('a', '-', ' ', '>', '<', '--x'), { maxLength: 10 }).map((a) => `<!--${a.join('').replace(/--/g, '- ').replace(/-$/, '')}-->`);
const pi = fc.array(fc.constantFrom('a', '?', ' ', '>', '??'), { maxLength: 8 }).map((a) => `<?pi ${a.join('').replace(/\?>/g, '? >')}?>`);
const cdata = fc.array(fc.constantFrom('a', ']', ']]', '>', '<', '&', ' '), { maxLength: 12 }).map((a) => `<![CDATA[${a.join('').split(']]>').join(']] >')}]]>`);
const doctype = fc.array(fc.constantFrom(' ', 'SyncML', 'PUBLIC', '"a]b>"', "'[x>'", '[<!ENTITY e "v">]', '[ <!ATTLIST a b CDATA "]"> ]'), { maxLength: 4 }).map((a) => `<!DOCTYPE${a.join(' ')} >`);

function elementArb(depth: number): fc.Arbitrary<string> {
  const kid = depth <= 0
    ? fc.oneof(textChars, cdata, comment, pi)
    : fc.oneof({ weight: 3, arbitrary: textChars }, { weight: 1, arbitrary: cdata }, { weight: 1, arbitrary: comment }, { weight: 1, arbitrary: pi }, { weight: 3, arbitrary: fc.constant(null).chain(() => elementArb(depth - 1)) });
  return fc.tuple(name, attrs, ws, fc.boolean(), fc.array(kid, { maxLength: 4 })).map(([n, a, w, empty, kids]) =>
    empty && kids.length === 0 ? `<${n}${a}${w}/>` : `<${n}${a}${w}>${kids.join('')}</${n}${w}>`);
}

const documentArb: fc.Arbitrary<Uint8Array> = fc.tuple(
  fc.boolean(), fc.boolean(), fc.array(fc.oneof(comment, pi, ws), { maxLength: 3 }), fc.option(doctype, { nil: '' }),
  elementArb(4), fc.array(fc.oneof(comment, pi, ws), { maxLength: 2 }),
).map(([bom, decl, pre, dt, root, post]) => {
  const s = `${decl ? '<?xml version="1.0" encoding="UTF-8"?>' : ''}${pre.join('')}${dt}${root}${post.join('')}`;
  const b = Buffer.from(s, 'utf8');
  return new Uint8Array(bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b]) : b);
});

interface Run { events: string[]; error: string | null }

function run(doc: Uint8Array, chunks?: Uint8Array[]): Run {
  const rec = new Recorder();
  const tk = new XmlTokenizer(rec, LIMITS);
  const r = underContract('xml tokenizer', () => {
    for (const c of chunks ?? [doc]) tk.write(c);
    tk.end();
  }, doc.length, doc);
  if (r.ok) assert.equal(rec.stack.length, 0, 'a complete document left elements open');
  assert.ok(rec.maxDepth <= LIMITS.maxDepth && rec.maxDepthEmpty <= LIMITS.maxDepth + 1, `nesting ${rec.maxDepth}/${rec.maxDepthEmpty} deeper than the limit`);
  return { events: rec.done(), error: r.ok ? null : `${r.error.code}@${r.error.offset}` };
}

const VALID = new Uint8Array(Buffer.from('\ufeff<?xml version="1.0"?><!-- c --><SyncML xmlns=\'SYNCML:SYNCML1.2\'><SyncHdr><VerDTD>1.2</VerDTD><Meta><Type xmlns="syncml:metinf">a&amp;b</Type></Meta><X/></SyncHdr><SyncBody><![CDATA[]]]]></SyncBody></SyncML>', 'utf8'));
const validRun = run(VALID);

describe('fuzz: XML tokenizer', () => {
  test('the reference document decodes', () => {
    assert.equal(validRun.error, null);
    assert.equal(validRun.events.filter((e) => e.startsWith('<')).length, 7);
  });

  test('generated documents: only DecodeError; chunked and byte-by-byte feeding = whole feeding', () => {
    let ok = 0;
    let failed = 0;
    fc.assert(fc.property(documentArb, fc.integer(), (doc, seed) => {
      const whole = run(doc);
      if (whole.error === null) ok++; else failed++;
      const at = fc.sample(splits(doc.length), { seed, numRuns: 1 })[0]!;
      assert.deepEqual(run(doc, chunksOf(doc, at)), whole, `splits ${at.join(',')} of ${Buffer.from(doc).toString()}`);
      assert.deepEqual(run(doc, chunksOf(doc, Array.from({ length: doc.length - 1 }, (_, i) => i + 1))), whole, `byte by byte: ${Buffer.from(doc).toString()}`);
    }), params('xml/documents', 600));
    assert.ok(ok > 50, `valid ${ok}, rejected ${failed}`);
  });

  test('byte-mutated documents: only DecodeError, chunk invariance, instance reusable after reset()', (t) => {
    const rec = new Recorder();
    const tk = new XmlTokenizer(rec, LIMITS);
    fc.assert(fc.property(documentArb, fc.array(byteEdit, { minLength: 1, maxLength: 6 }), fc.integer(), (doc, edits, seed) => {
      const bad = applyEdits(doc, edits);
      const whole = run(bad);
      const at = fc.sample(splits(bad.length), { seed, numRuns: 1 })[0]!;
      assert.deepEqual(run(bad, chunksOf(bad, at)), whole, `splits ${at.join(',')} of ${hexOf(bad)}`);
      underContract('xml tokenizer (reused)', () => tk.decode(bad), bad.length);
      rec.clear();
      underContract('xml tokenizer (reused, valid)', () => tk.decode(VALID), VALID.length);
      assert.deepEqual(rec.done(), validRun.events, 'instance unusable after a malformed document');
    }), params('xml/mutants', 600));
    if (knownHits.size > 0) t.diagnostic(`known bugs hit (not failures, see lib/known.ts): ${JSON.stringify([...knownHits])}`);
  });

  test('nesting deeper than maxDepth is a DecodeError (depth) whatever the chunking', () => {
    fc.assert(fc.property(fc.integer({ min: LIMITS.maxDepth + 1, max: 400 }), fc.boolean(), (depth, empty) => {
      const doc = new Uint8Array(Buffer.from('<a>'.repeat(depth) + (empty ? '<b/>' : '') + '</a>'.repeat(depth)));
      assert.equal(run(doc).error?.split('@')[0], 'depth');
      assert.equal(run(doc, chunksOf(doc, [1, 7, 100])).error?.split('@')[0], 'depth');
    }), params('xml/depth', 60));
  });

  test('bounded carry: a tag longer than maxTokenLen is fine whole and a DecodeError (token-too-long) when split inside it', () => {
    fc.assert(fc.property(fc.integer({ min: LIMITS.maxTokenLen + 1, max: 4 * LIMITS.maxTokenLen }), fc.integer({ min: 1, max: 64 }), (len, chunk) => {
      const attr = ` a="${'v'.repeat(len)}"`;
      const doc = new Uint8Array(Buffer.from(`<SyncML${attr}><SyncHdr/></SyncML>`));
      assert.equal(run(doc).error, null);
      const r = run(doc, chunksOf(doc, Array.from({ length: Math.ceil(doc.length / chunk) - 1 }, (_, i) => (i + 1) * chunk)));
      assert.equal(r.error?.split('@')[0], 'token-too-long');
      // a long text or CDATA is never carried: any chunking works
      const text = new Uint8Array(Buffer.from(`<SyncML><Data>${'t'.repeat(len)}<![CDATA[${']'.repeat(len)}]]></Data></SyncML>`));
      assert.deepEqual(run(text, chunksOf(text, Array.from({ length: Math.ceil(text.length / chunk) - 1 }, (_, i) => (i + 1) * chunk))), run(text));
    }), params('xml/carry', 40));
  });

  test('namespace prefix declarations split across chunks are counted once (finding F1, fixed in 1f7dee6)', () => {
    const prefixed = fc.tuple(fc.integer({ min: 1, max: 4 }), elementArb(2)).map(([n, inner]) => {
      let decl = '';
      for (let i = 0; i < n; i++) decl += ` xmlns:p${i}="syncml:metinf"`;
      return new Uint8Array(Buffer.from(`<SyncML xmlns="SYNCML:SYNCML1.2"${decl} a="1" b="22" c="333"><p0:Type>t</p0:Type>${inner}</SyncML>`));
    });
    fc.assert(fc.property(prefixed, (doc) => {
      const whole = run(doc);
      // at most maxPrefixes declarations in the whole document can never overflow the scope table
      if ((Buffer.from(doc).toString().match(/xmlns:/g) ?? []).length <= LIMITS.maxPrefixes) assert.equal(whole.error, null);
      assert.deepEqual(run(doc, chunksOf(doc, Array.from({ length: doc.length - 1 }, (_, i) => i + 1))), whole);
    }), params('xml/prefixes', 50));
  });
});
