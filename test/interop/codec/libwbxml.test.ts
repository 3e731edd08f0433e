// Interop (node-only): our codec against libwbxml (xml2wbxml / wbxml2xml) and Python's expat, both ways.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageDecoder } from '../../../src/codec/decode';
import { transcode } from '../../../src/codec/transcode';
import { MessageBuilder } from '../../../src/codec/syncml/Builder';
import { WbxmlWriter } from '../../../src/codec/wbxml/Writer';
import { XmlWriter } from '../../../src/codec/xml/Writer';
import type { OutRecord } from '../../../src/codec/model';
import { ROOT } from '../../helpers/paths';
import { plain } from '../../unit/codec/helpers';

const have = (cmd: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`]);
    return true;
  } catch {
    return false;
  }
};
const skip = have('xml2wbxml') && have('wbxml2xml') ? false : 'libwbxml2-utils not installed (make test installs it)';
const dir = mkdtempSync(join(tmpdir(), 'omadm-wbxml-'));
const FIX = join(ROOT, 'test', 'fixtures', 'codec');
const corpus = readdirSync(FIX).filter((f) => f.endsWith('.xml') && !f.startsWith('lenient-'));

function canon(...files: string[]): unknown {
  return JSON.parse(execFileSync('python3', [join(ROOT, 'test', 'helpers', 'xmlcanon.py'), ...files], { encoding: 'utf8' }));
}
function xml2wbxml(xmlFile: string, out: string, extra: string[] = []): Uint8Array {
  execFileSync('xml2wbxml', [...extra, '-o', out, xmlFile], { stdio: 'pipe' });
  return readFileSync(out);
}
function wbxml2xml(bytes: Uint8Array, name: string): string {
  const inp = join(dir, `${name}.wbxml`);
  const out = join(dir, `${name}.from-libwbxml.xml`);
  writeFileSync(inp, bytes);
  execFileSync('wbxml2xml', ['-o', out, inp], { stdio: 'pipe' });
  return out;
}
/** The message without encoding-specific details (encoding, text vs opaque Data). */
function neutral(x: unknown): string {
  const p = x as Record<string, unknown>;
  delete p.encoding;
  return JSON.stringify(p).replace(/"kind":"(text|opaque)",/g, '');
}

describe('interop with libwbxml', { skip }, () => {
  const dec = new MessageDecoder({ maxMsgSize: 1 << 20 });
  for (const f of corpus) {
    const xmlFile = join(FIX, f);
    test(`${f}: libwbxml's WBXML (with and without string table) decodes to the same message as the XML`, () => {
      const ours = neutral(plain(dec.decode(readFileSync(xmlFile))));
      for (const extra of [[], ['-n'], ['-v', '1.2']]) {
        const wb = xml2wbxml(xmlFile, join(dir, `${f}.${extra.join('')}.wbxml`), extra);
        assert.equal(neutral(plain(dec.decode(wb))), ours, `xml2wbxml ${extra.join(' ')}`);
      }
    });

    test(`${f}: our WBXML decodes with wbxml2xml to the same document`, () => {
      const wb = transcode(readFileSync(xmlFile), { to: 'wbxml' });
      const back = wbxml2xml(wb, f);
      assert.deepEqual(canon(back), canon(xmlFile));
    });

    test(`${f}: our XML re-encoding is the same document for expat`, () => {
      const out = join(dir, `${f}.ours.xml`);
      writeFileSync(out, transcode(readFileSync(xmlFile), { to: 'xml' }));
      assert.deepEqual(canon(out), canon(xmlFile));
    });
  }

  test('builder output: WBXML through wbxml2xml equals the XML build (expat canonical form)', () => {
    const recs: OutRecord[] = [
      { kind: 'Status', msgRef: '1', cmdRef: '0', cmd: 'SyncHdr', targetRefs: ['IMEI:1'], sourceRefs: ['https://s/dm'], code: 212,
        chal: { meta: { type: 'syncml:auth-md5', format: 'b64', nextNonce: 'AAECAw==' } } },
      { kind: 'Results', msgRef: '1', cmdRef: '4', items: [{ source: './DevDetail/FwV', meta: { format: 'chr', type: 'text/plain' }, data: 'FW & <1>' }] },
      { kind: 'Alert', code: 1226, correlator: 'c-1', items: [{ source: './FUMO/x', meta: { type: 'org.openmobilealliance.dm.firmwareupdate.update', format: 'int', mark: 'critical' }, data: '200' }] },
      { kind: 'Replace', items: [{ source: './DevInfo/Man', meta: { format: 'chr' }, data: 'Acme' }] },
    ];
    const hdr = { version: '1.2' as const, sessionId: '1', msgId: '3', target: 'https://s/dm', source: 'IMEI:1', meta: { maxMsgSize: 4096 } };
    const files: string[] = [];
    for (const w of [new XmlWriter(8192), new WbxmlWriter(8192)]) {
      const b = new MessageBuilder(w);
      b.begin(hdr);
      recs.forEach((r, i) => assert.ok(b.add(r, String(i + 1))));
      const bytes = b.finish(true).slice();
      if (w.encoding === 'xml') {
        const p = join(dir, 'built.xml');
        writeFileSync(p, bytes);
        files.push(p);
      } else files.push(wbxml2xml(bytes, 'built'));
    }
    const [a, b] = canon(...files) as unknown[];
    assert.deepEqual(b, a);
  });

  test('a DM 1.1.2 document keeps the 1.1 public id and namespace through libwbxml', () => {
    const f = join(FIX, 'pkg2-dm112.xml');
    const wb = transcode(readFileSync(f), { to: 'wbxml' });
    const back = readFileSync(wbxml2xml(wb, 'dm112'), 'utf8');
    assert.match(back, /SyncML 1\.1\/\/EN/);
    assert.match(back, /xmlns="SYNCML:SYNCML1\.1"/);
  });
});
