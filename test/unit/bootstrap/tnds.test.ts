// Layer: unit (portable). TNDS decoding (XML with and without the DDF namespace, WBXML on code page
// 2), paths, node kinds, values, bounds and errors; the encoder round trip; the TNDS Add/Replace of a
// DM session (`tndsCommand`): ACLs, 418, 405 outside the CSPs, Replace pruning, all-or-nothing.
// libwbxml cross-checks are in test/interop/bootstrap/tnds.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError } from '../../../src/errors';
import { decodeTnds, encodeTnds, tndsCommand, tndsEncodingOf, tndsOps, tndsPath, TNDS_WBXML_TYPE, TNDS_XML_TYPE } from '../../../src/bootstrap/tnds';
import type { TndsDocument, TndsNode } from '../../../src/bootstrap/tnds';
import { valueIn } from '../../../src/csp/Csp';
import { utf8Decode } from '../../../src/util/utf8';
import { device, dump, u8 } from './helpers';

const XML_DOC = `<?xml version="1.0"?>
<MgmtTree xmlns="syncml:dmddf1.2">
  <VerDTD>1.2</VerDTD>
  <Man>Acme</Man>
  <Node>
    <NodeName>acc1</NodeName>
    <Path>./DMAcc/</Path>
    <RTProperties>
      <ACL>Get=srv&amp;Replace=srv</ACL>
      <Format><node/></Format>
      <Type><DDFName>urn:oma:mo:oma-dm-dmacc:1.0</DDFName></Type>
    </RTProperties>
    <Node>
      <NodeName>ServerID</NodeName>
      <RTProperties><Format><chr/></Format><Type><MIME>text/plain</MIME></Type><Title>the id</Title></RTProperties>
      <Value>srv</Value>
    </Node>
    <Node>
      <NodeName>AppAddr</NodeName>
      <Node><NodeName>1</NodeName>
        <Node><NodeName>Addr</NodeName><Value><![CDATA[https://dm.example.com/a?b=1&c=2]]></Value></Node>
      </Node>
    </Node>
    <Node>
      <NodeName>Blob</NodeName>
      <RTProperties><Format><b64/></Format><DFProperties><AccessType><Get/></AccessType></DFProperties></RTProperties>
      <Value>AAEC/w==</Value>
    </Node>
  </Node>
</MgmtTree>`;

function brief(nodes: TndsNode[]): string[] {
  return nodes.map((n) => `${n.path} ${n.interior ? 'I' : 'L'} ${n.format ?? '-'} ${n.type || '-'} ${n.value ? JSON.stringify(utf8Decode(n.value)) : '-'} ${n.acl ?? '-'} ${n.title ?? '-'} ${n.depth}`);
}

describe('TNDS decode', () => {
  test('XML: paths from Path and nesting, kinds, properties, entities, CDATA, b64 values, DFProperties skipped', () => {
    const t = decodeTnds(u8(XML_DOC));
    assert.equal(t.verDtd, '1.2');
    assert.equal(t.man, 'Acme');
    assert.equal(t.mod, null);
    assert.deepEqual(brief(t.nodes), [
      './DMAcc/acc1 I node urn:oma:mo:oma-dm-dmacc:1.0 - Get=srv&Replace=srv - 0',
      './DMAcc/acc1/ServerID L chr text/plain "srv" - the id 1',
      './DMAcc/acc1/AppAddr I node - - - - 1',
      './DMAcc/acc1/AppAddr/1 I node - - - - 2',
      './DMAcc/acc1/AppAddr/1/Addr L - - "https://dm.example.com/a?b=1&c=2" - - 3',
      './DMAcc/acc1/Blob L bin - "\\u0000\\u0001\\u0002�" - - 1',
    ]);
    assert.deepEqual([...t.nodes[5]!.value!], [0, 1, 2, 255]);
  });

  test('top-level nodes without Path go under the base (the command target); a leading / is read as ./', () => {
    const doc = u8('<MgmtTree><VerDTD>1.2</VerDTD><Node><NodeName>E-Mail</NodeName><Node><NodeName>POP</NodeName><Value>x</Value></Node></Node></MgmtTree>');
    assert.deepEqual(decodeTnds(doc, { base: '/OperatorX' }).nodes.map((n) => n.path), ['./OperatorX/E-Mail', './OperatorX/E-Mail/POP']);
    assert.deepEqual(decodeTnds(doc).nodes.map((n) => n.path), ['./E-Mail', './E-Mail/POP']);
    assert.deepEqual(decodeTnds(doc, { base: './Vendor/x/' }).nodes.map((n) => n.path), ['./Vendor/x/E-Mail', './Vendor/x/E-Mail/POP']);
  });

  test('without the namespace the DDF names are still recognised (Format/Type/Size resolve on other pages)', () => {
    const doc = u8('<MgmtTree><VerDTD>1.2</VerDTD><Node><NodeName>a</NodeName><RTProperties><Format><int/></Format><Type><MIME>text/plain</MIME></Type><Size>3</Size></RTProperties><Value>42</Value></Node></MgmtTree>');
    assert.deepEqual(brief(decodeTnds(doc).nodes), ['./a L int text/plain "42" - - 0']);
  });

  test('WBXML (our encoder) decodes to the same nodes as the XML form of the same document', () => {
    const d: TndsDocument = {
      man: 'Acme',
      nodes: [{
        name: 'acc1', path: './DMAcc', type: 'urn:oma:mo:oma-dm-dmacc:1.0', acl: 'Get=srv', children: [
          { name: 'ServerID', value: 'srv', type: 'text/plain' },
          { name: 'Secret', value: new Uint8Array([0, 1, 2, 0xfe]), format: 'bin', title: 'binary' },
          { name: 'Port', value: '8443', format: 'int' },
          { name: 'Empty', format: 'node' },
        ],
      }],
    };
    const x = decodeTnds(encodeTnds(d, 'xml'));
    const w = decodeTnds(encodeTnds(d, 'wbxml'));
    assert.deepEqual(w, x);
    assert.deepEqual(brief(w.nodes), [
      './DMAcc/acc1 I node urn:oma:mo:oma-dm-dmacc:1.0 - Get=srv - 0',
      './DMAcc/acc1/ServerID L chr text/plain "srv" - - 1',
      './DMAcc/acc1/Secret L bin - "\\u0000\\u0001\\u0002�" - binary 1',
      './DMAcc/acc1/Port L int - "8443" - - 1',
      './DMAcc/acc1/Empty I node - - - - 1',
    ]);
  });

  test('a leaf with a Format but no Value is an empty leaf; a bare Node is an interior continuation', () => {
    const t = decodeTnds(u8('<MgmtTree><Node><NodeName>a</NodeName><RTProperties><Format><chr/></Format></RTProperties></Node><Node><NodeName>b</NodeName></Node></MgmtTree>'));
    assert.deepEqual(brief(t.nodes), ['./a L chr - "" - - 0', './b I node - - - - 0']);
  });

  const fails = (doc: string, code: string, limits = {}): void => {
    assert.throws(() => decodeTnds(u8(doc), { limits }), (e: unknown) => e instanceof DecodeError && e.code === code, code);
  };
  test('malformed objects are DecodeErrors with a stable code', () => {
    fails('<SyncML/>', 'not-tnds');
    fails('<MgmtTree><VerDTD>1.2</VerDTD></MgmtTree>', 'no-nodes');
    fails('<MgmtTree><Node><Value>x</Value></Node></MgmtTree>', 'bad-name');
    fails('<MgmtTree><Node><NodeName>a/b</NodeName><Value>x</Value></Node></MgmtTree>', 'bad-name');
    fails('<MgmtTree><Node><NodeName>a</NodeName><RTProperties><Format><node/></Format></RTProperties><Value>x</Value></Node></MgmtTree>', 'kind-mismatch');
    fails('<MgmtTree><Node><NodeName>a</NodeName><RTProperties><Format><chr/></Format></RTProperties><Node><NodeName>b</NodeName></Node></Node></MgmtTree>', 'kind-mismatch');
    fails('<MgmtTree><Node><NodeName>a</NodeName><RTProperties><Format><b64/></Format></RTProperties><Value>!!</Value></Node></MgmtTree>', 'bad-b64');
    fails('<MgmtTree><Node><NodeName>a</NodeName><RTProperties><Format><weird/></Format></RTProperties></Node></MgmtTree>', 'bad-format');
    fails('<MgmtTree><Node><NodeName>a</NodeName>', 'truncated');
  });

  test('bounds: nodes, nesting, value bytes, field length, document size', () => {
    const many = '<MgmtTree>' + '<Node><NodeName>n</NodeName></Node>'.repeat(5) + '</MgmtTree>';
    assert.equal(decodeTnds(u8(many), { limits: { maxTndsNodes: 5 } }).nodes.length, 5);
    fails(many, 'too-many-nodes', { maxTndsNodes: 4 });
    const deep = '<MgmtTree>' + '<Node><NodeName>n</NodeName>'.repeat(4) + '</Node>'.repeat(4) + '</MgmtTree>';
    const deepNodes = decodeTnds(u8(deep), { limits: { maxTndsDepth: 4 } }).nodes;
    assert.equal(deepNodes[deepNodes.length - 1]!.path, './n/n/n/n');
    fails(deep, 'depth', { maxTndsDepth: 3 });
    fails(`<MgmtTree><Node><NodeName>a</NodeName><Value>${'x'.repeat(65)}</Value></Node></MgmtTree>`, 'value-too-long', { maxValueBytes: 64 });
    fails(`<MgmtTree><Node><NodeName>${'a'.repeat(70)}</NodeName></Node></MgmtTree>`, 'field-too-long', { maxFieldLength: 64 });
    fails(many, 'too-large', { maxDocumentBytes: 100 });
  });

  test('WBXML truncated at every length is a DecodeError, never another exception', () => {
    const w = encodeTnds({ nodes: [{ name: 'a', children: [{ name: 'b', value: 'v' }] }] }, 'wbxml');
    for (let n = 0; n < w.length; n++) {
      assert.throws(() => decodeTnds(w.subarray(0, n), { encoding: 'wbxml' }), DecodeError, `length ${n}`);
    }
    assert.equal(decodeTnds(w).nodes.length, 2);
  });

  test('type helpers', () => {
    assert.equal(tndsEncodingOf(TNDS_XML_TYPE), 'xml');
    assert.equal(tndsEncodingOf(' Application/Vnd.SyncML.DMTNDS+WBXML '), 'wbxml');
    assert.equal(tndsEncodingOf(TNDS_WBXML_TYPE + '; charset=x'), 'wbxml');
    assert.equal(tndsEncodingOf('text/plain'), null);
    assert.equal(tndsEncodingOf(undefined), null);
    assert.deepEqual(['.', './', '/', 'A', '/A/B/', './A/'].map(tndsPath), ['.', '.', '.', './A', './A/B', './A']);
  });
});

describe('TNDS in a DM session (tndsCommand, for the DPU)', () => {
  const S = 'srv1';
  const SYNC = './Vendor/omadm/Sync';
  const profile = (name: string, addr: string, extra: TndsDocument['nodes'] = []): Uint8Array => encodeTnds({
    nodes: [{ name, type: 'com.omadm/1.0/SyncSettings', children: [{ name: 'Addr', value: addr }, { name: 'Password', value: 'pw' }, ...extra] }],
  }, 'wbxml');

  test('Add creates the whole subtree through the CSP (secrets write-only); the ACL property is set', () => {
    const d = device();
    const doc = encodeTnds({ nodes: [{ name: 'mail', acl: `Get=${S}&Replace=${S}&Delete=${S}&Add=${S}`, children: [{ name: 'Addr', value: 'https://sync.example.com/' }, { name: 'Password', value: 'pw' }] }] }, 'xml');
    const r = tndsCommand(d.tree, S, 'Add', SYNC, TNDS_XML_TYPE, doc);
    assert.deepEqual(r, { status: 200 });
    assert.equal(d.tree.store.readText(`${SYNC}/mail/Addr`), 'https://sync.example.com/');
    assert.equal(d.tree.store.info(`${SYNC}/mail`)!.acl, `Get=${S}&Replace=${S}&Delete=${S}&Add=${S}`);
    assert.equal(d.tree.get(S, `${SYNC}/mail/Password`).status, 405);
    assert.equal(d.tree.dirty, false, 'persisted as one Atomic');
  });

  test('Add onto an existing leaf is 418 and changes nothing (all-or-nothing)', () => {
    const d = device();
    assert.equal(tndsCommand(d.tree, S, 'Add', SYNC, TNDS_WBXML_TYPE, profile('mail', 'https://a.example.com/')).status, 200);
    const before = dump(d.tree);
    const r = tndsCommand(d.tree, S, 'Add', SYNC, TNDS_WBXML_TYPE, profile('mail', 'https://b.example.com/'));
    assert.equal(r.status, 418);
    assert.equal(r.failedUri, `${SYNC}/mail/Addr`);
    assert.equal(dump(d.tree), before);
  });

  test('a value the CSP refuses rolls back the nodes created before it', () => {
    const d = device();
    const before = dump(d.tree);
    const r = tndsCommand(d.tree, S, 'Add', SYNC, TNDS_WBXML_TYPE, profile('mail', 'not a url'));
    assert.equal(r.status, 400);
    assert.equal(dump(d.tree), before);
  });

  test('nodes outside every CSP are 405 in a session; ACL denial is 425', () => {
    const d = device();
    assert.equal(tndsCommand(d.tree, S, 'Add', './Vendor/other', TNDS_XML_TYPE, encodeTnds({ nodes: [{ name: 'x', value: '1' }] }, 'xml')).status, 405);
    assert.equal(d.tree.store.exists('./Vendor/other'), false);
    // an account node belongs to its server: another server cannot add under it
    assert.equal(d.tree.add('owner', './DMAcc/a', valueIn('', 'node')).status, 200);
    const r = tndsCommand(d.tree, 'intruder', 'Add', './DMAcc/a', TNDS_XML_TYPE, encodeTnds({ nodes: [{ name: 'Name', value: 'x' }] }, 'xml'));
    assert.equal(r.status, 425);
  });

  test('Replace overwrites described leaves and deletes undescribed children of described interiors', () => {
    const d = device();
    const extra = [{ name: 'Content', format: 'node' as const, children: [{ name: 'Email', children: [{ name: 'Enabled', value: 'true', format: 'bool' as const }] }] }];
    assert.equal(tndsCommand(d.tree, S, 'Add', SYNC, TNDS_WBXML_TYPE, profile('mail', 'https://a.example.com/', extra)).status, 200);
    assert.equal(d.tree.store.exists(`${SYNC}/mail/Content/Email/Enabled`), true);
    const r = tndsCommand(d.tree, S, 'Replace', SYNC, TNDS_WBXML_TYPE, encodeTnds({ nodes: [{ name: 'mail', children: [{ name: 'Addr', value: 'https://b.example.com/' }, { name: 'Password', value: 'pw2' }] }] }, 'wbxml'));
    assert.equal(r.status, 200);
    assert.equal(d.tree.store.readText(`${SYNC}/mail/Addr`), 'https://b.example.com/');
    assert.equal(d.tree.store.readText(`${SYNC}/mail/Password`), 'pw2');
    assert.deepEqual(d.tree.store.children(`${SYNC}/mail`), ['Addr', 'Password']);
  });

  test('malformed objects are 400, objects beyond a bound 413, other types 415', () => {
    const d = device();
    assert.equal(tndsCommand(d.tree, S, 'Add', SYNC, TNDS_XML_TYPE, u8('<MgmtTree><Node>')).status, 400);
    assert.equal(tndsCommand(d.tree, S, 'Add', SYNC, TNDS_XML_TYPE, profile('mail', 'https://a.example.com/'), { maxTndsNodes: 2 }).status, 400, 'a WBXML body under the XML type is malformed');
    assert.equal(tndsCommand(d.tree, S, 'Add', SYNC, TNDS_WBXML_TYPE, profile('mail', 'https://a.example.com/'), { maxTndsNodes: 2 }).status, 413);
    assert.equal(tndsCommand(d.tree, S, 'Add', SYNC, 'text/plain', profile('mail', 'x')).status, 415);
  });

  test('tndsOps: add / set / replace (prune only interiors with described children)', () => {
    const nodes = decodeTnds(encodeTnds({ nodes: [{ name: 'a', children: [{ name: 'b', value: 'v', acl: 'Get=*' }] }, { name: 'c', format: 'node' }] }, 'xml')).nodes;
    assert.deepEqual(tndsOps(nodes, 'add').map((o) => `${o.kind} ${o.path}`), ['add ./a', 'add ./a/b', 'add ./c']);
    assert.deepEqual(tndsOps(nodes, 'replace').map((o) => `${o.kind} ${o.path}${o.keep ? ' keep=' + o.keep.join(',') : ''}`), ['set ./a', 'set ./a/b', 'set ./c', 'prune ./a keep=b']);
    assert.equal(tndsOps(nodes, 'set')[1]!.acl, 'Get=*');
  });
});
