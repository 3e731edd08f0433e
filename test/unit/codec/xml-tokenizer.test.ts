// Unit (portable): XML tokenizer — namespaces, markup skipping, CDATA, entities, chunking, limits, errors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { XmlTokenizer, setXmlInlineScan } from '../../../src/codec/xml/Tokenizer';
import { DecodeError } from '../../../src/errors';
import { PAGE_NAMES } from '../../../src/codec/tokens';
import { TEXT_ESCAPED } from '../../../src/codec/events';
import { utf8Decode, utf8Encode } from '../../../src/util/utf8';
import { EventLog, rng } from './helpers';

const DOC = `\ufeff<?xml version="1.0" encoding="UTF-8"?>
<!-- leading comment -- with dashes -->
<!DOCTYPE SyncML PUBLIC "-//SYNCML//DTD SyncML 1.2//EN" "http://x/y.dtd" [ <!ENTITY foo "bar>"> ]>
<SyncML xmlns="SYNCML:SYNCML1.2">
  <SyncHdr><VerDTD>1.2</VerDTD><?pi skip ?></SyncHdr>
  <SyncBody>
    <Alert><CmdID>1</CmdID><Data>a &amp; b &lt;c&gt; &#233;&#x263A;</Data></Alert>
    <Replace>
      <Item>
        <Meta><Type xmlns="syncml:metinf">text/plain</Type><m:Format xmlns:m="syncml:metinf">chr</m:Format><Type>bare</Type></Meta>
        <Data><![CDATA[<raw> ]] ]]]]><![CDATA[> & stuff]]></Data>
      </Item>
    </Replace>
    <MgmtTree xmlns="syncml:dmddf1.2"><VerDTD>1.2</VerDTD><Node><NodeName>x</NodeName></Node></MgmtTree>
    <Foo xmlns="urn:other"><Bar/></Foo>
    <Final />
  </SyncBody>
</SyncML>
<!-- trailing comment -->
`;

const EXPECTED_NONWS = [
  'open SyncML', 'open SyncHdr', 'open VerDTD', 'text "1.2"', 'close VerDTD', 'close SyncHdr',
  'open SyncBody', 'open Alert', 'open CmdID', 'text "1"', 'close CmdID',
  'open Data', 'text "a & b <c> é☺"', 'close Data', 'close Alert',
  'open Replace', 'open Item', 'open Meta', 'open Type', 'text "text/plain"', 'close Type',
  'open Format', 'text "chr"', 'close Format', 'open Type', 'text "bare"', 'close Type', 'close Meta',
  'open Data', 'cdata "<raw> ]] ]]> & stuff"', 'close Data',
  'close Item', 'close Replace',
  'open MgmtTree', 'open VerDTD', 'text "1.2"', 'close VerDTD', 'open Node', 'open NodeName', 'text "x"', 'close NodeName', 'close Node', 'close MgmtTree',
  'open #Foo', 'open #Bar/', 'close #', 'close #',
  'open Final/', 'close Final', 'close SyncBody', 'close SyncML',
];

function events(doc: Uint8Array, cuts: number[] = [], maxTokenLen = 1024): string[] {
  const log = new EventLog();
  const t = new XmlTokenizer(log, { maxTokenLen });
  let prev = 0;
  for (const c of [...cuts, doc.length]) {
    t.write(doc.subarray(prev, c));
    prev = c;
  }
  t.end();
  return log.done().filter((e) => !/^text "(?:\\[nrt]| )*"$/.test(e));
}

describe('XML tokenizer', () => {
  const doc = utf8Encode(DOC);
  // "]]]]><![CDATA[>" is the standard way to put "]]>" in CDATA: the held-back ']' logic must
  // emit the first two ']' as content whatever the split points.
  test('decodes namespaces, markup, entities and CDATA', () => {
    assert.deepEqual(events(doc), EXPECTED_NONWS);
  });

  test('MetInf and DDF names map to their code pages; unknown namespaces give tag -1', () => {
    const ev = events(doc);
    assert.ok(ev.includes('open MgmtTree'));
    assert.ok(ev.includes('open #Foo'));
  });

  test('every split point gives the same events (tags carried across chunks)', () => {
    for (let i = 0; i <= doc.length; i++) assert.deepEqual(events(doc, [i]), EXPECTED_NONWS, `split at ${i}`);
  });

  test('the inline text scan length is tuning only: the same events for every value, split or whole', () => {
    const long = utf8Encode(DOC.replace('text/plain', 'text/' + 'p'.repeat(70) + '&amp;' + 'q'.repeat(2000)));
    const want = events(long);
    try {
      for (const v of [0, 1, 7, 8, 64, 1024, 65536]) {
        setXmlInlineScan(v);
        assert.deepEqual(events(doc), EXPECTED_NONWS, `inline ${v}`);
        assert.deepEqual(events(long), want, `inline ${v}`);
        for (let i = 0; i <= doc.length; i += 7) assert.deepEqual(events(doc, [i]), EXPECTED_NONWS, `inline ${v}, split at ${i}`);
      }
      assert.throws(() => setXmlInlineScan(-1), RangeError);
      assert.throws(() => setXmlInlineScan(1.5), RangeError);
    } finally {
      setXmlInlineScan(1024);
    }
  });

  test('byte-by-byte and random splits give the same events', () => {
    const every = Array.from({ length: doc.length - 1 }, (_, i) => i + 1);
    assert.deepEqual(events(doc, every), EXPECTED_NONWS);
    const r = rng(9);
    for (let k = 0; k < 200; k++) {
      const cuts = [...new Set(Array.from({ length: 1 + Math.floor(r() * 10) }, () => Math.floor(r() * doc.length)))].sort((a, b) => a - b);
      assert.deepEqual(events(doc, cuts), EXPECTED_NONWS);
    }
  });

  test('a tag longer than the carry buffer split across chunks is a DecodeError, whole it is fine', () => {
    const long = utf8Encode(`<SyncML xmlns="SYNCML:SYNCML1.2" a="${'x'.repeat(300)}"><Final/></SyncML>`);
    assert.throws(() => events(long, [10], 128), (e: unknown) => e instanceof DecodeError && e.code === 'token-too-long');
    assert.deepEqual(events(long, [], 128), ['open SyncML', 'open Final/', 'close Final', 'close SyncML']);
  });

  // The hot path handles `<Name>`, `<Name xmlns="…">` and `</Name>` inline; the same documents with
  // blanks inside every tag (`<Name >`, `<Name xmlns = "…" >`, `</Name >`) take the general path.
  // Both must give the same tag ids (code pages included), names, flags and errors.
  test('inline start/end tags and the general path agree (tag ids, pages, errors)', () => {
    const ids = (text: string): string[] => {
      const out: string[] = [];
      const t = new XmlTokenizer({
        open: (tag, b, s, e, empty) => out.push(`open ${tag} ${utf8Decode(b, s, e)}${empty ? '/' : ''}`),
        close: (tag) => out.push(`close ${tag}`),
        text: (b, s, e, f) => out.push(`text ${f} ${utf8Decode(b, s, e)}`),
        opaque: () => out.push('opaque'),
        entity: (cp) => out.push(`entity ${cp}`),
      });
      try {
        t.decode(utf8Encode(text));
      } catch (e) {
        out.push(e instanceof DecodeError ? `error ${e.code}` : `other ${String(e)}`);
      }
      return out;
    };
    const slow = (text: string): string =>
      text.replace(/ xmlns=(["'])/g, ' xmlns = $1').replace(/<([A-Za-z][^ >/]*)>/g, '<$1 >').replace(/(["'])>/g, '$1 >').replace(/<\/([^>]*)>/g, '</$1 >');
    const docs = [
      '<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><Meta><Format xmlns="syncml:metinf">b64</Format><Type xmlns=\'SYNCML:METINF\'>x</Type></Meta></SyncHdr></SyncML>',
      '<SyncML><MgmtTree xmlns="syncml:dmddf1.2"><Node><NodeName>a</NodeName><Format>x</Format></Node></MgmtTree><Format>y</Format></SyncML>',
      '<SyncML><Foo xmlns="urn:other"><Data>q</Data></Foo><Data>a&amp;b</Data></SyncML>',
      '<SyncML><Meta xmlns=" syncml:metinf "><Type>t</Type></Meta><Type xmlns="">u</Type></SyncML>',
      '<SyncML><Data>x</Dat></SyncML>',
      '<SyncML><Data>x</DataX></SyncML>',
      '<SyncML><Data xmlns="syncml:metinf>x</Data></SyncML>',
      // namespaces matched in place: a longer or shorter value, the other quote inside, other case
      '<SyncML><Meta xmlns="syncml:metinfX"><Type>a</Type></Meta><Meta xmlns="syncml:metin"><Type>b</Type></Meta></SyncML>',
      '<SyncML><Meta xmlns="syncml:metinf\'"><Type>c</Type></Meta><Meta xmlns=\'syncml:metinf\'><Type>d</Type></Meta></SyncML>',
      '<SyncML xmlns="SYNCML:SYNCML1.1"><Meta xmlns="SyncML:MetInf"><Type>e</Type></Meta><MgmtTree xmlns="syncml:dmddf1.2"><Type>f</Type></MgmtTree></SyncML>',
    ];
    for (const d of docs) {
      const fast = ids(d);
      assert.deepEqual(fast, ids(slow(d)), d);
      assert.notEqual(slow(d), d);
    }
    // spot checks of the expected ids: MetInf Format and Type under their namespace, DDF Format
    // inside MgmtTree, and outside it the SyncML page's fallback to MetInf
    const id = (page: number, name: string): number => (page << 8) | PAGE_NAMES[page]!.indexOf(name);
    const first = ids(docs[0]!);
    assert.ok(first.includes(`open ${id(1, 'Format')} Format`) && first.includes(`open ${id(1, 'Type')} Type`), first.join('|'));
    const second = ids(docs[1]!);
    assert.ok(second.includes(`open ${id(2, 'Format')} Format`) && second.includes(`open ${id(1, 'Format')} Format`), second.join('|'));
    assert.ok(ids(docs[2]!).includes('open -1 Foo'));
    assert.equal(ids(docs[4]!).at(-1), 'error mismatched-tag');
    assert.equal(ids(docs[5]!).at(-1), 'error mismatched-tag');
  });

  test('end tags and names are compared in full at every length and position (word-wise compare)', () => {
    // element names of 1..17 letters; the end tag differs from the start tag in exactly one byte, at
    // each position in turn: the fast path (`<N>`), the general path (`<N >`) and split across chunks
    // all reject it; the unchanged end tag is accepted. Every name of every page maps to its own id
    // wherever it starts in the buffer (word loads at any alignment).
    for (let len = 1; len <= 17; len++) {
      const name = Array.from({ length: len }, (_, i) => String.fromCharCode(65 + ((i * 7 + len) % 26))).join('');
      for (const open of [`<${name}>`, `<${name} >`]) {
        const ok = utf8Encode(`<SyncML>${open}x</${name}></SyncML>`);
        new XmlTokenizer(new EventLog()).decode(ok);
        for (let k = 0; k < len; k++) {
          const bad = name.slice(0, k) + (name[k] === 'q' ? 'r' : 'q') + name.slice(k + 1);
          const doc = utf8Encode(`<SyncML>${open}x</${bad}></SyncML>`);
          assert.throws(() => new XmlTokenizer(new EventLog()).decode(doc), (e: unknown) => e instanceof DecodeError && e.code === 'mismatched-tag', `${open} </${bad}>`);
          const cut = doc.indexOf(0x3c, 8 + open.length); // the end tag in the next chunk
          const t = new XmlTokenizer(new EventLog());
          assert.throws(() => { t.reset(); t.write(doc.subarray(0, cut)); t.write(doc.subarray(cut)); t.end(); },
            (e: unknown) => e instanceof DecodeError && e.code === 'mismatched-tag', `split ${open} </${bad}>`);
        }
      }
    }
    const tagsOf = (text: string): number[] => {
      const out: number[] = [];
      new XmlTokenizer({ open: (tag) => out.push(tag), close: () => {}, text: () => {}, opaque: () => {}, entity: () => {} }).decode(utf8Encode(text));
      return out;
    };
    const ns = ['SYNCML:SYNCML1.2', 'syncml:metinf', 'syncml:dmddf1.2'];
    PAGE_NAMES.forEach((names, page) => names.forEach((n, token) => {
      if (n === null) return;
      for (let pad = 0; pad < 4; pad++) {
        const doc: string = `<SyncML xmlns="${ns[0]}">${' '.repeat(pad)}<${n} xmlns="${ns[page]}"></${n}><${n}X xmlns="${ns[page]}"/></SyncML>`;
        assert.deepEqual(tagsOf(doc).slice(1), [(page << 8) | token, -1], doc);
        // in the scope of the page (the name recognised from its first word), and near misses: one
        // byte changed at each position, one byte more
        const near: string[] = [...n].map((ch, k) => n.slice(0, k) + (ch === 'q' ? 'r' : 'q') + n.slice(k + 1));
        const inScope: string = `<SyncML><Foo xmlns="${ns[page]}">${' '.repeat(pad)}<${n}></${n}><${n}X></${n}X><${n}/>` +
          near.map((m) => `<${m}></${m}>`).join('') + '</Foo></SyncML>';
        assert.deepEqual(tagsOf(inScope).slice(1), [-1, (page << 8) | token, -1, (page << 8) | token, ...near.map(() => -1)], inScope);
      }
    }));
  });

  test("'&' marks exactly the texts that hold it, short and long, in any order (TEXT_ESCAPED)", () => {
    // lengths around the 64-byte switch from the inline loop to indexOf, '&' at the edges and in
    // the middle, texts without '&' between and after texts with one (the remembered position)
    const texts: string[] = [];
    for (const len of [1, 5, 40, 63, 64, 65, 66, 100, 300]) {
      texts.push('x'.repeat(len));
      for (const at of [0, len >> 1, len - 1, 63, 64, 65]) {
        if (at < 0 || at >= len) continue;
        texts.push('y'.repeat(at) + '&amp;' + 'z'.repeat(len - at - 1));
      }
    }
    const flags: boolean[] = [];
    const t = new XmlTokenizer({ open: () => {}, close: () => {}, opaque: () => {}, entity: () => {},
      text: (_b, _s, _e, f) => { flags.push((f & TEXT_ESCAPED) !== 0); } });
    const r = rng(5);
    for (let round = 0; round < 20; round++) {
      const order = texts.slice().sort(() => r() - 0.5);
      flags.length = 0;
      t.decode(utf8Encode('<SyncML>' + order.map((x) => `<Data>${x}</Data>`).join('') + '</SyncML>'));
      assert.deepEqual(flags, order.map((x) => x.includes('&')), order.join('|'));
    }
  });

  const errs: [string, string, string][] = [
    ['mismatched end tag', '<SyncML><SyncHdr></SyncBody></SyncML>', 'mismatched-tag'],
    ['end tag without open element', '</SyncML>', 'unbalanced-end'],
    ['text outside the root', 'hello<SyncML/>', 'text-outside-root'],
    ['second root', '<SyncML/><SyncML/>', 'trailing-data'],
    ['unquoted attribute', '<SyncML a=b/>', 'bad-attribute'],
    ['bad markup declaration', '<SyncML><!FOO></SyncML>', 'bad-markup'],
    ['CDATA outside root', '<![CDATA[x]]><SyncML/>', 'cdata-outside-root'],
    ['truncated', '<SyncML><SyncHdr>', 'truncated'],
    ['unterminated comment', '<SyncML/><!-- x', 'truncated'],
  ];
  for (const [name, text, code] of errs) {
    test(`error: ${name} → DecodeError(${code})`, () => {
      assert.throws(() => events(utf8Encode(text)), (e: unknown) => e instanceof DecodeError && e.code === code);
    });
  }

  test('nesting deeper than the limit is a DecodeError', () => {
    const deep = utf8Encode('<SyncML>' + '<Item>'.repeat(100) + '</Item>'.repeat(100) + '</SyncML>');
    const t = new XmlTokenizer(new EventLog(), { maxDepth: 24 });
    assert.throws(() => t.decode(deep), (e: unknown) => e instanceof DecodeError && e.code === 'depth');
  });

  test('truncation at every byte is a DecodeError; the instance is reusable', () => {
    const log = new EventLog();
    const t = new XmlTokenizer(log);
    const end = DOC.lastIndexOf('</SyncML>') + '</SyncML>'.length;
    const cutDoc = utf8Encode(DOC.slice(0, end));
    for (let n = 0; n < cutDoc.length; n++) {
      assert.throws(() => t.decode(cutDoc.subarray(0, n)), (e: unknown) => e instanceof DecodeError, `cut at ${n}`);
    }
    log.events = [];
    t.decode(doc);
  });

  test('random mutations raise only DecodeError', () => {
    const r = rng(11);
    const t = new XmlTokenizer(new EventLog(), { maxDepth: 16, maxTokenLen: 256 });
    let errors = 0;
    for (let k = 0; k < 3000; k++) {
      const d = doc.slice();
      for (let e = 0; e < 1 + Math.floor(r() * 3); e++) d[Math.floor(r() * d.length)] = [0x3c, 0x3e, 0x2f, 0x26, 0x22, 0x5d, Math.floor(r() * 256)][Math.floor(r() * 7)]!;
      try {
        t.decode(d);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        errors++;
      }
    }
    assert.ok(errors > 500, `mutations rejected: ${errors}`);
  });

  test('text spans are views into the input (zero-copy) and flagged when they hold references', () => {
    const d = utf8Encode('<SyncML><Data>plain</Data><Data>a&amp;b</Data></SyncML>');
    const spans: { buf: Uint8Array; flags: number }[] = [];
    const t = new XmlTokenizer({ open() {}, close() {}, opaque() {}, entity() {}, text(buf, _s, _e, flags) { spans.push({ buf, flags }); } });
    t.decode(d);
    assert.equal(spans.length, 2);
    assert.equal(spans[0]!.buf, d);
    assert.equal(spans[0]!.flags, 0);
    assert.equal(spans[1]!.flags, 1);
  });
});
