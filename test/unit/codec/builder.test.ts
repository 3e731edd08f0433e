// Unit (portable): response builder and writers — records round-trip, size limit, 1.1.2 rules.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageDecoder } from '../../../src/codec/decode';
import type { OutCommand, OutHeader, OutRecord } from '../../../src/codec/model';
import { MessageBuilder, commandSpan } from '../../../src/codec/syncml/Builder';
import { WbxmlWriter } from '../../../src/codec/wbxml/Writer';
import { XmlWriter } from '../../../src/codec/xml/Writer';
import { Tag } from '../../../src/codec/tokens';
import { utf8Decode, utf8Encode } from '../../../src/util/utf8';
import { plain } from './helpers';

const HDR: OutHeader = {
  version: '1.2', sessionId: '1A', msgId: '2', target: 'https://dm.example.com/dm', source: 'IMEI:1234',
  sourceName: 'dev', cred: { meta: { type: 'syncml:auth-basic', format: 'b64' }, data: 'QnJ1Y2UyOk9oQmVoYXZl' },
  meta: { maxMsgSize: 8192, maxObjSize: 65536 },
};

const RECORDS: OutRecord[] = [
  { kind: 'Status', msgRef: '1', cmdRef: '0', cmd: 'SyncHdr', targetRefs: ['IMEI:1234'], sourceRefs: ['https://dm.example.com/dm'], code: 200,
    chal: { meta: { type: 'syncml:auth-md5', format: 'b64', nextNonce: 'AAECAw==' } } },
  { kind: 'Status', msgRef: '1', cmdRef: '3', cmd: 'Alert', code: 200, items: [{ data: 'typed <text> & more' }] },
  { kind: 'Results', msgRef: '1', cmdRef: '4', items: [{ source: './DevDetail/FwV', meta: { format: 'chr', type: 'text/plain' }, data: 'FW-1' }] },
  { kind: 'Alert', code: 1226, correlator: 'c-1', items: [{ source: './FUMO/x', meta: { type: 'org.openmobilealliance.dm.firmwareupdate.update', format: 'int', mark: 'critical' }, data: '410' }] },
  { kind: 'Replace', items: [{ source: './DevInfo/Man', meta: { format: 'chr' }, data: 'Acme' }, { source: './DevInfo/Bin', data: Uint8Array.from([104, 105]) }] },
  { kind: 'Alert', code: 1222 },
];

function build(enc: 'xml' | 'wbxml', cap = 16384, hdr: OutHeader = HDR, records: (OutRecord | OutCommand)[] = RECORDS, final = true): { bytes: Uint8Array; added: number } {
  const b = new MessageBuilder(enc === 'xml' ? new XmlWriter(cap) : new WbxmlWriter(cap));
  assert.ok(b.begin(hdr));
  let id = 1;
  let added = 0;
  for (const r of records) {
    if (!b.add(r, String(id))) break;
    id += r.kind === 'Atomic' || r.kind === 'Sequence' ? commandSpan(r as OutCommand) : 1;
    added++;
  }
  return { bytes: b.finish(final).slice(), added };
}

describe('MessageBuilder', () => {
  for (const enc of ['xml', 'wbxml'] as const) {
    test(`${enc}: header and every record kind decode back`, () => {
      const { bytes, added } = build(enc);
      assert.equal(added, RECORDS.length);
      const m = new MessageDecoder().decode(bytes);
      assert.equal(m.encoding, enc);
      assert.equal(m.version, '1.2');
      assert.deepEqual({ ...m.hdr }, {
        verDtd: '1.2', verProto: 'DM/1.2', sessionId: '1A', msgId: '2', target: 'https://dm.example.com/dm', source: 'IMEI:1234',
        sourceName: 'dev', noResp: false, cred: { meta: { type: 'syncml:auth-basic', format: 'b64' }, data: 'QnJ1Y2UyOk9oQmVoYXZl' },
        meta: { maxMsgSize: 8192, maxObjSize: 65536 },
      });
      assert.equal(m.final, true);
      assert.deepEqual(m.body.map((c) => `${c.name}:${c.cmdId}`), ['Status:1', 'Status:2', 'Results:3', 'Alert:4', 'Replace:5', 'Alert:6']);
      const st = m.body[0]!;
      assert.deepEqual([st.msgRef, st.cmdRef, st.cmd, st.data!.text()], ['1', '0', 'SyncHdr', '200']);
      assert.deepEqual(st.chal, { meta: { type: 'syncml:auth-md5', format: 'b64', nextNonce: 'AAECAw==' } });
      assert.equal(m.body[1]!.items[0]!.data!.text(), 'typed <text> & more');
      assert.deepEqual(m.body[2]!.items[0]!.meta, { format: 'chr', type: 'text/plain' });
      assert.equal(m.body[3]!.correlator, 'c-1');
      assert.equal(m.body[3]!.items[0]!.meta!.mark, 'critical');
      const bin = m.body[4]!.items[1]!.data!;
      assert.equal(bin.kind, enc === 'wbxml' ? 'opaque' : 'text');
      assert.equal(bin.text(), 'hi');
    });

    test(`${enc}: records that do not fit are rolled back and the message stays valid`, () => {
      const full = build(enc).bytes.length;
      for (let cap = 200; cap < full + 200; cap += 37) {
        const b = new MessageBuilder(enc === 'xml' ? new XmlWriter(cap) : new WbxmlWriter(cap));
        if (!b.begin(HDR)) continue;
        let id = 1;
        let added = 0;
        for (const r of RECORDS) {
          if (!b.add(r, String(id++))) break;
          added++;
        }
        const bytes = b.finish(added === RECORDS.length);
        assert.ok(bytes.length <= cap, `${bytes.length} > ${cap}`);
        const m = new MessageDecoder().decode(bytes.slice());
        assert.equal(m.body.length, added);
      }
    });
  }

  test('XML and WBXML builds describe the same message', () => {
    const a = plain(new MessageDecoder().decode(build('xml').bytes)) as Record<string, unknown>;
    const b = plain(new MessageDecoder().decode(build('wbxml').bytes)) as Record<string, unknown>;
    delete a.encoding;
    delete b.encoding;
    // binary item: text in XML, opaque in WBXML
    const strip = (x: Record<string, unknown>): string => JSON.stringify(x).replace(/"kind":"(text|opaque)"/g, '');
    assert.equal(strip(b), strip(a));
  });

  test('DM 1.1.2: namespace, VerDTD and no Correlator', () => {
    const h: OutHeader = { ...HDR, version: '1.1.2' };
    for (const enc of ['xml', 'wbxml'] as const) {
      const { bytes } = build(enc, 16384, h);
      const m = new MessageDecoder().decode(bytes);
      assert.equal(m.version, '1.1.2');
      assert.equal(m.hdr.verProto, 'DM/1.1');
      assert.equal(m.body[3]!.correlator, undefined);
      if (enc === 'xml') assert.match(utf8Decode(bytes), /<SyncML xmlns="SYNCML:SYNCML1.1">/);
      else assert.deepEqual([...bytes.subarray(0, 4)], [0x02, 0x9f, 0x53, 0x6a]);
    }
  });

  test('server commands: nested Atomic/Sequence get consecutive CmdIDs', () => {
    const cmds: OutCommand[] = [
      { kind: 'Atomic', children: [{ kind: 'Add', items: [{ target: './a', meta: { format: 'node' } }] }, { kind: 'Sequence', children: [{ kind: 'Get', items: [{ target: './b' }] }] }] },
      { kind: 'Exec', correlator: 'k', items: [{ target: './FUMO/x/Update' }] },
    ];
    const { bytes } = build('wbxml', 4096, { ...HDR, cred: undefined } as unknown as OutHeader, cmds);
    const m = new MessageDecoder().decode(bytes);
    const atomic = m.body[0]!;
    assert.equal(atomic.cmdId, '1');
    assert.deepEqual(atomic.children!.map((c) => c.cmdId), ['2', '3']);
    assert.equal(atomic.children![1]!.children![0]!.cmdId, '4');
    assert.equal(m.body[1]!.cmdId, '5');
    assert.equal(m.body[1]!.correlator, 'k');
  });
});

describe('writers', () => {
  test('XML writer escapes text and indents on request', () => {
    const w = new XmlWriter(1024, { indent: true, declaration: false });
    w.begin('1.2');
    w.open(Tag.SyncML);
    w.leaf(Tag.Data, 'a<b>&"c"');
    w.open(Tag.Meta);
    w.leaf(Tag.Type, 't');
    w.close();
    w.close();
    assert.equal(utf8Decode(w.bytes()), '<SyncML xmlns="SYNCML:SYNCML1.2">\n  <Data>a&lt;b&gt;&amp;"c"</Data>\n  <Meta>\n    <Type xmlns="syncml:metinf">t</Type>\n  </Meta>\n</SyncML>');
  });

  test('XML writer refuses binary that is not UTF-8 (callers base64 it)', () => {
    const w = new XmlWriter(1024);
    w.begin('1.2');
    w.open(Tag.SyncML);
    const m = w.mark();
    w.leafBytes(Tag.Data, Uint8Array.from([0xff, 0x00, 0x80]), true);
    assert.equal(w.overflow, true);
    assert.equal(w.binaryInXml, true);
    w.reset(m);
    w.leafBytes(Tag.Data, utf8Encode('ok ]]'), true);
    assert.equal(w.overflow, false);
    assert.match(utf8Decode(w.bytes()), /<Data><!\[CDATA\[ok \]\]\]\]><\/Data>$/);
  });

  test('WBXML writer switches code pages lazily and writes the numeric public id', () => {
    const w = new WbxmlWriter(256);
    w.begin('1.2');
    w.open(Tag.SyncML);
    w.open(Tag.Meta);
    w.leaf(Tag.Type, 'x');
    w.leaf(Tag.Format, 'y');
    w.close();
    w.empty(Tag.Final);
    w.close();
    assert.deepEqual([...w.bytes()], [0x02, 0xa4, 0x01, 0x6a, 0x00, 0x6d, 0x5a, 0x00, 0x01, 0x53, 0x03, 0x78, 0x00, 0x01, 0x47, 0x03, 0x79, 0x00, 0x01, 0x01, 0x00, 0x00, 0x12, 0x01]);
  });

  test('WBXML writer never writes past its capacity', () => {
    const w = new WbxmlWriter(40);
    w.begin('1.2');
    w.open(Tag.SyncML);
    w.leaf(Tag.Data, 'x'.repeat(100));
    assert.equal(w.overflow, true);
    assert.ok(w.length <= 40);
  });
});
