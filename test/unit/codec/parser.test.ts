// Unit (portable): SyncML parser over both encodings — the corpus, chunking, leniency, malformed input.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageDecoder } from '../../../src/codec/decode';
import type { Message } from '../../../src/codec/model';
import { transcode } from '../../../src/codec/transcode';
import { DecodeError } from '../../../src/errors';
import { utf8Encode } from '../../../src/util/utf8';
import { CORPUS, LENIENT, plain, rng } from './helpers';

const dec = new MessageDecoder({ maxMsgSize: 65536 });

function decodeChunked(bytes: Uint8Array, cuts: number[]): unknown {
  const d = new MessageDecoder({ maxMsgSize: 65536 });
  d.begin(bytes[0]! <= 3 ? 'wbxml' : 'xml');
  let prev = 0;
  for (const c of [...cuts, bytes.length]) {
    d.write(bytes.slice(prev, c)); // slice: the decoder must not keep views into reused chunks
    prev = c;
  }
  return plain(d.end());
}

function withoutEncoding(m: Message): unknown {
  const p = plain(m) as Record<string, unknown>;
  delete p.encoding;
  return p;
}

describe('SyncML parser: corpus', () => {
  for (const [name, xml] of Object.entries(CORPUS)) {
    const xmlBytes = utf8Encode(xml);
    const wbxml = transcode(xmlBytes, { to: 'wbxml' });

    test(`${name}: XML and WBXML decode to the same message`, () => {
      const a = withoutEncoding(dec.decode(xmlBytes));
      const b = withoutEncoding(dec.decode(wbxml));
      assert.deepEqual(b, a);
    });

    test(`${name}: chunked decoding equals whole decoding (both encodings)`, () => {
      for (const bytes of [xmlBytes, wbxml]) {
        const whole = plain(dec.decode(bytes));
        const r = rng(bytes.length);
        const n = bytes.length;
        // every single split point for the small WBXML documents, random ones otherwise
        if (n < 1200) for (let i = 0; i <= n; i++) assert.deepEqual(decodeChunked(bytes, [i]), whole, `split at ${i}`);
        for (let k = 0; k < 60; k++) {
          const cuts = [...new Set(Array.from({ length: 1 + Math.floor(r() * 12) }, () => Math.floor(r() * n)))].sort((x, y) => x - y);
          assert.deepEqual(decodeChunked(bytes, cuts), whole);
        }
      }
    });
  }

  test('pkg1-dm12: header, Cred, Meta, DevInfo items, Generic Alert with Correlator', () => {
    const m = dec.decode(utf8Encode(CORPUS['pkg1-dm12']!));
    assert.equal(m.version, '1.2');
    assert.equal(m.hdr.sessionId, 'A3F');
    assert.equal(m.hdr.source, 'IMEI:493005100592800');
    assert.equal(m.hdr.sourceName, 'Bruce2');
    assert.deepEqual(m.hdr.cred, { meta: { format: 'b64', type: 'syncml:auth-md5' }, data: 'Zz6EivR3yeaaENcRN6lpAQ==' });
    assert.deepEqual(m.hdr.meta, { maxMsgSize: 16384, maxObjSize: 1048576 });
    assert.equal(m.final, true);
    assert.deepEqual(m.body.map((c) => c.name), ['Alert', 'Replace', 'Alert']);
    assert.equal(m.body[0]!.data!.text(), '1200');
    const rep = m.body[1]!;
    assert.equal(rep.items.length, 5);
    assert.equal(rep.items[1]!.source, './DevInfo/Man');
    assert.equal(rep.items[1]!.data!.text(), 'Acme Devices & Co');
    const ga = m.body[2]!;
    assert.equal(ga.correlator, 'abc-123');
    assert.deepEqual(ga.items[0]!.meta, { type: 'org.openmobilealliance.dm.firmwareupdate.downloadandupdate', format: 'int', mark: 'critical' });
  });

  test('pkg2-mgmt: Status with Chal, commands, RespURI, ?prop and escaped ACL', () => {
    const m = dec.decode(utf8Encode(CORPUS['pkg2-mgmt']!));
    assert.equal(m.hdr.respUri, 'https://dm.example.com:8443/dm?s=77');
    const st = m.body[0]!;
    assert.equal(st.name, 'Status');
    assert.equal(st.cmd, 'SyncHdr');
    assert.equal(st.cmdRef, '0');
    assert.deepEqual(st.targetRefs, ['https://dm.example.com:8443/dm']);
    assert.deepEqual(st.chal, { meta: { type: 'syncml:auth-md5', format: 'b64', nextNonce: 'LG3iZQhhdmKNHg==' } });
    assert.equal(st.data!.text(), '212');
    assert.deepEqual(m.body.map((c) => c.name), ['Status', 'Status', 'Get', 'Replace', 'Add', 'Delete', 'Copy', 'Exec', 'Get', 'Replace']);
    const exec = m.body[7]!;
    assert.equal(exec.correlator, 'corr-0042');
    const copy = m.body[6]!;
    assert.equal(copy.items[0]!.source, './Vendor/omadm/Sync/acct1/Addr');
    assert.equal(m.body[9]!.items[0]!.data!.text(), 'Get=*&Replace=com.mgmtsrv.manage&Delete=com.mgmtsrv.manage');
    assert.equal(m.body[3]!.meta!.format, 'chr');
    assert.equal(m.body[3]!.items[1]!.meta!.format, 'int');
    for (const c of m.body) assert.equal(c.error, undefined, `${c.name} ${c.cmdId}`);
  });

  test('pkg2-atomic-seq-ui: nested Atomic/Sequence children and UI alert items', () => {
    const m = dec.decode(utf8Encode(CORPUS['pkg2-atomic-seq-ui']!));
    const atomic = m.body[1]!;
    assert.equal(atomic.name, 'Atomic');
    assert.deepEqual(atomic.children!.map((c) => `${c.name}:${c.cmdId}`), ['Add:3', 'Add:4', 'Replace:5']);
    const seq = m.body[2]!;
    assert.deepEqual(seq.children!.map((c) => `${c.name}:${c.cmdId}`), ['Alert:7', 'Replace:8']);
    assert.equal(seq.children![0]!.items[0]!.data!.text(), 'MINDT=5&MAXDT=30&DR=1');
    const multi = m.body[6]!;
    assert.equal(multi.data!.text(), '1104');
    assert.equal(multi.items.length, 5);
  });

  test('pkg2-largeobj: MoreData, Meta Size, no Final; the data is a view into the input', () => {
    const bytes = utf8Encode(CORPUS['pkg2-largeobj']!);
    const m = dec.decode(bytes);
    assert.equal(m.final, false);
    const it = m.body[1]!.items[0]!;
    assert.equal(it.moreData, true);
    assert.equal(it.meta!.size, 12000);
    assert.equal(it.data!.bytes.buffer, bytes.buffer, 'zero-copy');
    assert.equal(it.data!.bytes.length, 4000);
  });

  test('DM 1.1.2 messages are recognised from VerDTD, NoResp is kept', () => {
    const m = dec.decode(utf8Encode(CORPUS['pkg2-dm112']!));
    assert.equal(m.version, '1.1.2');
    assert.equal(m.body[1]!.noResp, true);
    const w = transcode(utf8Encode(CORPUS['pkg2-dm112']!), { to: 'wbxml' });
    assert.equal(w[1], 0x9f); // public id 0x0FD3
    assert.equal(w[2], 0x53);
  });

  test('version comes from VerDTD, not from the WBXML public id', () => {
    const w = transcode(utf8Encode(CORPUS['pkg2-dm112']!), { to: 'wbxml' });
    const lying = w.slice();
    lying[1] = 0xa4; // claim 0x1201 (1.2)
    lying[2] = 0x01;
    assert.equal(dec.decode(lying).version, '1.1.2');
  });
});

describe('SyncML parser: leniency and malformed input', () => {
  test('sloppy server package: trimmed LocURIs, Type without namespace, CDATA, bare &, char refs', () => {
    const m = dec.decode(utf8Encode(LENIENT['lenient-sloppy']!));
    assert.equal(m.hdr.target, 'IMEI:493005100592800');
    const it = m.body[1]!.items[0]!;
    assert.equal(it.target, './Vendor/omadm/Sync/a/Addr');
    assert.deepEqual(it.meta, { type: 'text/plain', format: 'chr' });
    assert.equal(it.data!.text(), '<not-markup> & raw ]]> text');
    const alert = m.body[2]!;
    assert.equal(alert.items[0]!.data!.text(), 'MAXDT=15&DR=1');
    assert.equal(alert.items[1]!.data!.text(), 'Café ☺ <ok>');
  });

  test('commands without CmdID or Item, unknown elements and command-level Cred are kept with an error status', () => {
    const xml = `<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>1</MsgID>
      <Target><LocURI>d</LocURI></Target><Source><LocURI>s</LocURI></Source></SyncHdr><SyncBody>
      <Get><Item><Target><LocURI>./a</LocURI></Target></Item></Get>
      <Replace><CmdID>2</CmdID></Replace>
      <Bogus><CmdID>3</CmdID></Bogus>
      <Sync><CmdID>4</CmdID></Sync>
      <Add><CmdID>5</CmdID><Cred><Data>x</Data></Cred><Item><Target><LocURI>./b</LocURI></Target></Item></Add>
      <Atomic><CmdID>6</CmdID><Item><Target><LocURI>./c</LocURI></Target></Item><Delete><CmdID>7</CmdID><Item><Target><LocURI>./d</LocURI></Target></Item></Delete></Atomic>
      <Final/></SyncBody></SyncML>`;
    const m = dec.decode(utf8Encode(xml));
    const [get, rep, bogus, sync, add, atomic] = m.body;
    assert.equal(get!.cmdId, null);
    assert.equal(get!.errorStatus, 400);
    assert.equal(rep!.errorStatus, 412);
    assert.equal(bogus!.name, 'Unknown');
    assert.equal(bogus!.element, 'Bogus');
    assert.equal(bogus!.errorStatus, 400);
    assert.equal(sync!.name, 'Sync');
    assert.equal(add!.errorStatus, 400);
    assert.equal(atomic!.children!.length, 2);
    assert.equal(atomic!.children![0]!.name, 'Unknown');
    assert.equal(atomic!.children![1]!.name, 'Delete');
  });

  test('Data holding XML markup (embedded TNDS) is kept as raw text', () => {
    const tnds = '<MgmtTree xmlns="syncml:dmddf1.2"><VerDTD>1.2</VerDTD><Node><NodeName>x</NodeName></Node></MgmtTree>';
    const xml = `<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><SessionID>1</SessionID><MsgID>1</MsgID><Target><LocURI>d</LocURI></Target><Source><LocURI>s</LocURI></Source></SyncHdr>
      <SyncBody><Add><CmdID>1</CmdID><Item><Target><LocURI>./Inbox</LocURI></Target><Meta><Type xmlns="syncml:metinf">application/vnd.syncml.dmtnds+xml</Type></Meta><Data>${tnds}</Data></Item></Add></SyncBody></SyncML>`;
    const m = dec.decode(utf8Encode(xml));
    assert.equal(m.body[0]!.items[0]!.data!.text(), tnds);
    assert.equal(m.body[0]!.error, undefined);
  });

  test('more commands than the limit → DecodeError(too-many-commands)', () => {
    const cmds = Array.from({ length: 20 }, (_, i) => `<Get><CmdID>${i + 1}</CmdID><Item><Target><LocURI>./x</LocURI></Target></Item></Get>`).join('');
    const xml = `<SyncML><SyncHdr><VerDTD>1.2</VerDTD></SyncHdr><SyncBody>${cmds}</SyncBody></SyncML>`;
    const small = new MessageDecoder({ maxCmdsPerMsg: 10 });
    assert.throws(() => small.decode(utf8Encode(xml)), (e: unknown) => e instanceof DecodeError && e.code === 'too-many-commands');
    assert.equal(new MessageDecoder({ maxCmdsPerMsg: 20 }).decode(utf8Encode(xml)).body.length, 20);
  });

  test('a string table referenced over and over cannot blow up memory (arena bound)', () => {
    // 2000 STR_T references to a 1000-byte string inside one Data element: 2 MB if assembled
    const str = new Uint8Array(1001).fill(0x61);
    str[1000] = 0;
    const refs: number[] = [];
    for (let i = 0; i < 2000; i++) refs.push(0x83, 0x00);
    const doc = Uint8Array.from([0x02, 0xa4, 0x01, 0x6a, 0x87, 0x69, ...str, 0x6d, 0x6c, 0x71, 0x03, 0x31, 0x2e, 0x32, 0x00, 0x01, 0x01, 0x6b, 0x46, 0x4b, 0x03, 0x31, 0x00, 0x01, 0x4f, ...refs, 0x01, 0x01, 0x01, 0x01]);
    const d = new MessageDecoder({ maxMsgSize: 16384, maxStringTable: 2048 });
    assert.throws(() => d.decode(doc), (e: unknown) => e instanceof DecodeError && e.code === 'arena-full');
  });

  test('not SyncML, no SyncHdr, no SyncBody → DecodeError', () => {
    assert.throws(() => dec.decode(utf8Encode('<html/>')), (e: unknown) => e instanceof DecodeError && e.code === 'not-syncml');
    assert.throws(() => dec.decode(utf8Encode('<SyncML><SyncBody/></SyncML>')), (e: unknown) => e instanceof DecodeError && e.code === 'no-synchdr');
    assert.throws(() => dec.decode(utf8Encode('<SyncML><SyncHdr/></SyncML>')), (e: unknown) => e instanceof DecodeError && e.code === 'no-syncbody');
    assert.throws(() => dec.decode(Uint8Array.from([0x99, 0x01])), (e: unknown) => e instanceof DecodeError && e.code === 'unknown-encoding');
  });

  test('truncations and mutations of every corpus message raise only DecodeError', () => {
    const r = rng(5);
    for (const xml of Object.values(CORPUS)) {
      const x = utf8Encode(xml);
      for (const bytes of [x, transcode(x, { to: 'wbxml' })]) {
        const step = Math.max(1, Math.floor(bytes.length / 150));
        for (let n = 0; n < bytes.length; n += step) {
          try {
            dec.decode(bytes.subarray(0, n));
          } catch (e) {
            if (!(e instanceof DecodeError)) throw e;
          }
        }
        for (let k = 0; k < 150; k++) {
          const d = bytes.slice();
          d[Math.floor(r() * d.length)] = Math.floor(r() * 256);
          try {
            dec.decode(d);
          } catch (e) {
            if (!(e instanceof DecodeError)) throw e;
          }
        }
      }
    }
    // and the shared decoder still works
    assert.equal(dec.decode(utf8Encode(CORPUS['pkg4-end']!)).hdr.msgId, '3');
  });
});
