// Layer: unit (portable). The DPU per command and status code: Status/Results construction
// (MsgRef, CmdRef, Cmd, TargetRef, SourceRef), per-item statuses, malformed and unknown commands,
// values (Format, b64), Results Meta and binary encodings.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Dpu } from '../../../src/dpu/Dpu';
import type { OutResults, OutStatus } from '../../../src/codec/model';
import { storedCsp, storedHandlers } from '../../../src/csp/stored';
import { toHex } from '../../../src/util/bytes';
import { utf8Decode } from '../../../src/util/utf8';
import { newTree } from '../tree/helpers';
import { cmd, item, run, brief, data } from './msg';

const FULL = 'Add=*&Get=*&Replace=*&Delete=*&Exec=*';

function setup() {
  const t = newTree({ rootAcl: FULL });
  t.tree.addCsp(storedCsp('./T'));
  const execs: unknown[] = [];
  t.tree.addCsp({ ...storedHandlers, root: './X', init: (s) => { s.ensure('./X/Run', {}); }, exec: (c, d, corr) => { execs.push([c.path, d ? d.text() : null, corr]); return 202; } });
  const dpu = new Dpu(t.tree, { platform: t.platform });
  return { ...t, dpu, execs };
}

describe('dpu: Status/Results construction', () => {
  test('Add: one Status with MsgRef, CmdRef, Cmd, TargetRef, code', () => {
    const { dpu, tree } = setup();
    const c = cmd('Add', [item('./T/a', 'v')], { cmdId: '42' });
    const { recs, summary } = run(dpu, [c]);
    assert.deepEqual(recs, [{ kind: 'Status', msgRef: '7', cmdRef: '42', cmd: 'Add', code: 200, targetRefs: ['./T/a'] }]);
    assert.equal(tree.store.readText('./T/a'), 'v');
    assert.deepEqual(summary, { executed: 1, pendingChunk: false, cancelled: false });
  });
  test('Get: Status before Results; Results item Source LocURI, Data, no Meta for chr/text/plain', () => {
    const { dpu, tree } = setup();
    tree.store.ensure('./T/a', { value: 'hello', type: 'text/plain' });
    const { recs } = run(dpu, [cmd('Get', [item('./T/a')], { cmdId: '5' })]);
    assert.deepEqual(recs, [
      { kind: 'Status', msgRef: '7', cmdRef: '5', cmd: 'Get', code: 200, targetRefs: ['./T/a'] },
      { kind: 'Results', msgRef: '7', cmdRef: '5', items: [{ source: './T/a', data: 'hello' }] },
    ]);
  });
  test('Get: interior → Meta Format node; int → Meta Format int; custom Type kept', () => {
    const { dpu, tree } = setup();
    tree.store.ensure('./T/n', { value: '3', format: 'int', type: 'text/x-count' });
    tree.store.ensure('./T/d/e', { value: '1' });
    const { recs } = run(dpu, [cmd('Get', [item('./T/n'), item('./T/d')])]);
    const res = recs.filter((r) => r.kind === 'Results') as OutResults[];
    assert.deepEqual(res[0]!.items, [{ source: './T/n', meta: { format: 'int', type: 'text/x-count' }, data: '3' }]);
    assert.deepEqual(res[1]!.items, [{ source: './T/d', meta: { format: 'node' }, data: 'e' }]);
  });
  test('binary values: OPAQUE bytes with Format bin (WBXML), Base64 with Format b64 (XML)', () => {
    const { dpu, tree } = setup();
    tree.store.ensure('./T/b', { value: new Uint8Array([0, 255, 16]), format: 'bin' });
    const w = run(dpu, [cmd('Get', [item('./T/b')])]).recs[1] as OutResults;
    assert.equal(w.items[0]!.meta!.format, 'bin');
    assert.equal(toHex(w.items[0]!.data as Uint8Array), '00ff10');
    const x = run(dpu, [cmd('Get', [item('./T/b')])], { encoding: 'xml' }).recs[1] as OutResults;
    assert.deepEqual(x.items[0], { source: './T/b', meta: { format: 'b64' }, data: 'AP8Q' });
  });
  test('multi-item commands: one Status per item with its TargetRef; Results per Get item', () => {
    const { dpu, tree } = setup();
    tree.store.ensure('./T/exists', { value: 'x' });
    const { recs } = run(dpu, [cmd('Add', [item('./T/a', '1'), item('./T/exists', '2'), item('./T/b', '3')], { cmdId: '9' }), cmd('Get', [item('./T/a'), item('./T/none'), item('./T/b')], { cmdId: '10' })]);
    assert.deepEqual(brief(recs), [
      'Status Add#9 200 ./T/a', 'Status Add#9 418 ./T/exists', 'Status Add#9 200 ./T/b',
      'Status Get#10 200 ./T/a', 'Results #10 ./T/a', 'Status Get#10 404 ./T/none', 'Status Get#10 200 ./T/b', 'Results #10 ./T/b',
    ]);
  });
  test('Copy carries TargetRef and SourceRef', () => {
    const { dpu, tree } = setup();
    tree.store.ensure('./T/src', { value: 'x' });
    const { recs } = run(dpu, [cmd('Copy', [{ target: './T/dst', source: './T/src', moreData: false }])]);
    const s = recs[0] as OutStatus;
    assert.equal(s.code, 200);
    assert.deepEqual([s.targetRefs, s.sourceRefs], [['./T/dst'], ['./T/src']]);
    assert.equal(tree.store.readText('./T/dst'), 'x');
    assert.equal((run(dpu, [cmd('Copy', [item('./T/dst2')])]).recs[0] as OutStatus).code, 412, 'no Source');
  });
  test('Replace 404, Delete 200/404, Exec 202 with Correlator (1.2) and without (1.1.2)', () => {
    const { dpu, tree, execs } = setup();
    tree.store.ensure('./T/a', { value: 'x' });
    const { recs } = run(dpu, [
      cmd('Replace', [item('./T/none', 'v')]), cmd('Delete', [item('./T/a')]), cmd('Delete', [item('./T/a')]),
      cmd('Exec', [item('./X/Run', 'arg')], { correlator: 'corr-1' }),
    ]);
    assert.deepEqual(recs.map((r) => (r as OutStatus).code), [404, 200, 404, 202]);
    run(dpu, [cmd('Exec', [item('./X/Run')], { correlator: 'ignored' })], { version: '1.1.2' });
    assert.deepEqual(execs, [['./X/Run', 'arg', 'corr-1'], ['./X/Run', null, null]]);
  });
  test('a failed implicit ancestor is named in the Status Item', () => {
    const { dpu, tree } = setup();
    tree.addCsp({ ...storedHandlers, root: './Y', add: (c, v) => (v.format === 'node' ? 405 : 200) });
    const s = run(dpu, [cmd('Add', [item('./Y/a/b', 'v')])]).recs[0] as OutStatus;
    assert.equal(s.code, 405);
    assert.deepEqual(s.items, [{ target: './Y/a' }]);
  });
});

describe('dpu: malformed, unknown and special commands', () => {
  test('missing CmdID → 400 with an empty CmdRef; decoder errorStatus kept; never dropped', () => {
    const { dpu, tree } = setup();
    const { recs } = run(dpu, [
      cmd('Add', [item('./T/a', '1')], { cmdId: null, error: 'missing CmdID', errorStatus: 400 }),
      cmd('Replace', [], { cmdId: '3', error: 'Replace without Item', errorStatus: 412 }),
      cmd('Add', [item('./T/b', '1')], { cmdId: null }),
    ]);
    assert.deepEqual(recs.map((r) => [(r as OutStatus).cmdRef, (r as OutStatus).code]), [['', 400], ['3', 412], ['', 400]]);
    assert.equal(tree.store.exists('./T/a'), false, 'not executed');
    assert.equal(tree.store.exists('./T/b'), false, 'not executed either');
  });
  test('unknown element → 400 (Cmd = element name); DS-only commands → 406; Cred flagged → 400', () => {
    const { dpu } = setup();
    const { recs } = run(dpu, [
      { name: 'Unknown', element: 'Frobnicate', cmdId: '4', noResp: false, items: [], error: 'unknown element', errorStatus: 400 },
      cmd('Map', [], { cmdId: '5' }), cmd('Sync', [], { cmdId: '6' }),
      cmd('Add', [item('./T/c', '1')], { cmdId: '7', cred: { meta: {}, data: 'x' }, error: 'command-level Cred', errorStatus: 400 }),
    ]);
    assert.deepEqual(brief(recs), ['Status Frobnicate#4 400', 'Status Map#5 406', 'Status Sync#6 406', 'Status Add#7 400']);
  });
  test('NoResp: no Status (Results of a Get still sent)', () => {
    const { dpu, tree } = setup();
    tree.store.ensure('./T/a', { value: 'x' });
    const { recs } = run(dpu, [cmd('Add', [item('./T/b', '1')], { noResp: true }), cmd('Get', [item('./T/a')], { noResp: true, cmdId: '77' })]);
    assert.deepEqual(brief(recs), ['Results #77 ./T/a']);
    assert.equal(tree.store.readText('./T/b'), '1');
  });
  test('server Status/Results at top level are ignored (the session filters them anyway)', () => {
    const { dpu } = setup();
    const { recs, summary } = run(dpu, [cmd('Status', [], { cmdRef: '1', data: data('200') }), cmd('Results', [item('./x', 'y')])]);
    assert.deepEqual(recs, []);
    assert.equal(summary.executed, 0);
  });
  test('item without Target → 412; ?list= in 1.1.2 → 406; Get ?list=Struct in 1.2', () => {
    const { dpu, tree } = setup();
    tree.store.ensure('./T/a', { value: 'x' });
    assert.equal((run(dpu, [cmd('Get', [item(undefined)])]).recs[0] as OutStatus).code, 412);
    assert.equal((run(dpu, [cmd('Get', [item('./T?list=Struct')])], { version: '1.1.2' }).recs[0] as OutStatus).code, 406);
    const ok = run(dpu, [cmd('Get', [item('./T?list=Struct')])]).recs;
    assert.deepEqual((ok[1] as OutResults).items.map((i) => i.source), ['./T', './T/a']);
  });
});

describe('dpu: values', () => {
  test('Meta Format/Type: item overrides command; b64 decoded to bin; bad b64 400; unknown format 415', () => {
    const { dpu, tree } = setup();
    const { recs } = run(dpu, [
      cmd('Add', [item('./T/n', '12', { format: 'int' }), item('./T/m', 'x')], { meta: { format: 'chr', type: 'text/x-a' } }),
      cmd('Add', [item('./T/bin', 'AP8Q', { format: 'b64' })]),
      cmd('Add', [item('./T/bad', 'A*==', { format: 'b64' })]),
      cmd('Add', [item('./T/weird', 'x', { format: 'blob' })]),
      cmd('Add', [item('./T/dir', undefined, { format: 'node' })]),
    ]);
    assert.deepEqual(recs.map((r) => (r as OutStatus).code), [200, 200, 200, 400, 415, 200]);
    assert.equal(tree.store.info('./T/n')!.format, 'int');
    assert.equal(tree.store.info('./T/n')!.type, 'text/x-a');
    assert.equal(tree.store.info('./T/bin')!.format, 'bin');
    assert.equal(toHex(tree.store.read('./T/bin')!), '00ff10');
    assert.equal(tree.store.info('./T/dir')!.interior, true);
  });
  test('TNDS subtrees: Add/Replace of a TNDS object apply all-or-nothing (one status); ?list=TNDS is 406', () => {
    const { dpu, tree } = setup();
    const tnds = '<MgmtTree xmlns="syncml:dmddf1.2"><VerDTD>1.2</VerDTD><Node><NodeName>sub</NodeName>'
      + '<Node><NodeName>a</NodeName><Value>1</Value></Node><Node><NodeName>b</NodeName><Value>2</Value></Node></Node></MgmtTree>';
    const { recs } = run(dpu, [
      cmd('Add', [item('./T', tnds, { type: 'application/vnd.syncml.dmtnds+xml', format: 'xml' })]),
      cmd('Add', [item('./T', tnds, { type: 'application/vnd.syncml.dmtnds+xml', format: 'xml' })]),
      cmd('Replace', [item('./T', new Uint8Array([3, 1]), { type: 'application/vnd.syncml.dmtnds+wbxml', format: 'bin' })]),
      cmd('Get', [item('./T?list=TNDS+ACL')]),
    ]);
    assert.deepEqual(recs.map((r) => (r as OutStatus).code), [200, 418, 400, 406]);
    assert.equal(tree.store.readText('./T/sub/b'), '2');
    assert.deepEqual((recs[1] as OutStatus).items, [{ target: './T/sub/a' }]);
  });
  test('opaque (WBXML) data is stored as received', () => {
    const { dpu, tree } = setup();
    run(dpu, [cmd('Add', [item('./T/o', new Uint8Array([1, 2, 3]), { format: 'bin' })])]);
    assert.equal(toHex(tree.store.read('./T/o')!), '010203');
    assert.equal(utf8Decode(new Uint8Array(0)), '');
  });
});
