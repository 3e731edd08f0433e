// Layer: unit (portable). OMA download descriptor parsing (DLOTA 1.0 media element; our hash fields).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDownloadDescriptor } from '../../../src/fumo/dd';
import { DecodeError } from '../../../src/errors';
import { toHex } from '../../../src/util/bytes';
import { utf8Encode } from '../../../src/util/utf8';

const H = 'ab'.repeat(32);
const dd = (s: string) => parseDownloadDescriptor(utf8Encode(s));

test('a DLOTA 1.0 descriptor: objectURI, size, type, name, installNotifyURI', () => {
  const d = dd(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE media>
<media xmlns="http://www.openmobilealliance.org/xmlns/dd">
  <!-- firmware -->
  <DDVersion>1.0</DDVersion>
  <name>Firmware 2.0 &amp; fixes</name>
  <size> 65536 </size>
  <type>application/octet-stream</type>
  <objectURI>http://dl.example.com/fw/2.0.bin?a=1&amp;b=2</objectURI>
  <installNotifyURI>http://dl.example.com/notify</installNotifyURI>
  <vendor>ACME</vendor>
</media>`);
  assert.deepEqual({ ...d, sha256: d.sha256 }, {
    objectUri: 'http://dl.example.com/fw/2.0.bin?a=1&b=2', size: 65536, type: 'application/octet-stream', name: 'Firmware 2.0 & fixes',
    ddVersion: '1.0', installNotifyUri: 'http://dl.example.com/notify', sha256: null,
  });
});

test('hash from a sha256 element (any prefix) or installParam; CDATA and character references', () => {
  const a = dd(`<dd:media xmlns:dd="http://www.openmobilealliance.org/xmlns/dd" xmlns:x="urn:x"><dd:objectURI><![CDATA[fw.bin]]></dd:objectURI><x:sha256>${H.toUpperCase()}</x:sha256><dd:size>5</dd:size></dd:media>`);
  assert.equal(a.objectUri, 'fw.bin');
  assert.equal(toHex(a.sha256!), H);
  const b = dd(`<media><objectURI>&#x66;w&#46;bin</objectURI><installParam>mode=full; sha256=${H}</installParam><size>1</size></media>`);
  assert.equal(b.objectUri, 'fw.bin');
  assert.equal(toHex(b.sha256!), H);
  const c = dd(`<media><objectURI>a</objectURI><installParam>nothing</installParam><empty/></media>`);
  assert.equal(c.sha256, null);
  assert.equal(c.size, null);
});

test('malformed descriptors are DecodeErrors with a code', () => {
  const cases: [string, string][] = [
    ['<media><size>1</size></media>', 'dd-objecturi'],
    ['<other><objectURI>a</objectURI></other>', 'dd-root'],
    ['<media><objectURI>a</objectURI>', 'dd-truncated'],
    ['<media><objectURI>a</size></media>', 'dd-nesting'],
    ['<media><objectURI>a</objectURI><size>-1</size></media>', 'dd-size'],
    ['<media><objectURI>a</objectURI><sha256>abc</sha256></media>', 'dd-hash'],
    ['<media><objectURI>a &amp b</objectURI></media>', 'dd-entity'],
    ['x<media><objectURI>a</objectURI></media>', 'dd-text'],
    ['<media><objectURI>a</objectURI></media><media/>', 'dd-root'],
    ['<!DOCTYPE media [<!ENTITY e "x">]><media><objectURI>a</objectURI></media>', 'dd-doctype'],
    [`<media>${'<a>'.repeat(9)}</media>`, 'dd-depth'],
    ['<media><!-- open', 'dd-truncated'],
  ];
  for (const [doc, code] of cases) {
    assert.throws(() => dd(doc), (e: unknown) => e instanceof DecodeError && e.code === code, `${code}: ${doc}`);
  }
});
