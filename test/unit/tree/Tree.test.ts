// Layer: unit (portable). The Configuration Manager per command and status code: Get/Add/Replace/
// Delete/Exec/Copy, properties, ?list=, limits, routing to CSPs, handler failures and undo.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { valueIn } from '../../../src/csp/Csp';
import type { Csp } from '../../../src/csp/Csp';
import { storedCsp, storedHandlers } from '../../../src/csp/stored';
import { Status } from '../../../src/status';
import { utf8Decode } from '../../../src/util/utf8';
import { newTree, text, dump } from './helpers';

const S = 'srv1';
/** Root ACL granting everything to everyone (ACL behaviour itself is tested in acl-matrix). */
const FULL = { rootAcl: 'Add=*&Get=*&Replace=*&Delete=*&Exec=*' };

function withStored(opts = {}) {
  const t = newTree(opts);
  t.tree.addCsp(storedCsp('./Vendor/t', { acl: 'Add=*&Get=*&Replace=*&Delete=*&Exec=*' }));
  return t;
}

describe('tree: Get', () => {
  test('root lists top-level children; root ACL is the factory default', () => {
    const { tree } = withStored();
    const r = tree.get(S, '.');
    assert.equal(r.status, 200);
    assert.equal(r.items[0]!.format, 'node');
    assert.equal(text(r), 'Vendor');
    assert.equal(text(tree.get(S, '.?prop=ACL')), 'Add=*&Get=*');
    assert.equal(text(tree.get(S, './?prop=Name')), '.');
  });
  test('leaf value, interior listing, empty interior → empty data, missing → 404', () => {
    const { tree } = withStored();
    assert.equal(tree.add(S, './Vendor/t/a', valueIn('x')).status, 200);
    assert.equal(tree.add(S, './Vendor/t/b', valueIn('', 'node')).status, 200);
    assert.equal(text(tree.get(S, 'Vendor/t/a')), 'x');
    assert.equal(text(tree.get(S, './Vendor/t')), 'a/b');
    const empty = tree.get(S, './Vendor/t/b');
    assert.equal(empty.status, 200);
    assert.equal(empty.items[0]!.data!.length, 0);
    assert.equal(tree.get(S, './Vendor/t/zz').status, 404);
  });
  test('the Results URI echoes the request; malformed URIs → 400, unsupported query → 406', () => {
    const { tree } = withStored();
    tree.add(S, './Vendor/t/a', valueIn('x'));
    assert.equal(tree.get(S, '  Vendor/t/a\n').items[0]!.uri, 'Vendor/t/a');
    for (const u of ['/Vendor', './Vendor//t', './Vendor/../t', '', './Vendor/./t', './Vendor?prop=']) assert.equal(tree.get(S, u).status, 400, u);
    assert.equal(tree.get(S, './Vendor?foo=bar').status, 406);
    assert.equal(tree.get(S, './Vendor/t/?prop=Name').status, 200, 'one trailing slash is tolerated');
  });
  test('URI limits → 414 (depth, total length, segment length)', () => {
    const { tree } = withStored({ limits: { maxUriDepth: 5, maxUriLength: 40, maxSegmentLength: 10 } });
    assert.equal(tree.add(S, './Vendor/t/a/b/c', valueIn('1')).status, 200);
    assert.equal(tree.add(S, './Vendor/t/a/b/c2/d', valueIn('1')).status, 414);
    assert.equal(tree.add(S, './Vendor/t/abcdefghijk', valueIn('1')).status, 414);
    assert.equal(tree.get(S, './Vendor/t/' + 'abcdefghij/'.repeat(3)).status, 414);
  });
  test('a CSP without get answers 405 for leaf values; interior listing still works', () => {
    const { tree } = newTree();
    tree.addCsp({ root: './X', add: () => 200 });
    assert.equal(tree.add(S, './X/a', valueIn('v')).status, 200);
    assert.equal(tree.get(S, './X/a').status, 405);
    assert.equal(text(tree.get(S, './X')), 'a');
  });
  test('a get handler can produce the value (format/type) itself', () => {
    const { tree } = newTree();
    tree.addCsp({ root: './Dyn', init: (st) => { st.ensure('./Dyn/Battery', {}); }, get: (_c, out) => { out.value('87', 'int', 'text/plain'); return 200; } });
    const r = tree.get(S, './Dyn/Battery');
    assert.equal(text(r), '87');
    assert.equal(r.items[0]!.format, 'int');
    assert.equal(text(tree.get(S, './Dyn/Battery?prop=Size')), '2');
  });
});

describe('tree: Add', () => {
  test('418 on existing, 405 under a leaf, 405 outside any CSP', () => {
    const { tree } = withStored();
    assert.equal(tree.add(S, './Vendor/t/a', valueIn('1')).status, 200);
    assert.equal(tree.add(S, './Vendor/t/a', valueIn('2')).status, 418);
    assert.equal(tree.add(S, './Vendor/t/a/b', valueIn('2')).status, 405);
    assert.equal(tree.add(S, './Other', valueIn('', 'node')).status, 405);
    assert.equal(tree.add(S, './Vendor/x', valueIn('', 'node')).status, 405);
  });
  test('implicit interior ancestors are created (Format node, inherited ACL)', () => {
    const { tree } = withStored();
    assert.equal(tree.add(S, './Vendor/t/a/b/c', valueIn('deep', 'chr', 'text/plain')).status, 200);
    assert.equal(text(tree.get(S, './Vendor/t/a/b')), 'c');
    assert.equal(tree.store.info('./Vendor/t/a')!.format, 'node');
    assert.equal(tree.store.info('./Vendor/t/a')!.acl, '');
    assert.equal(tree.get(S, './Vendor/t/a/b/c').items[0]!.type, 'text/plain');
  });
  test('a refused implicit ancestor names the failed URI and leaves nothing behind', () => {
    const { tree } = newTree();
    tree.addCsp({ ...storedHandlers, root: './Y', add: (c, v) => (v.format === 'node' && c.rel.length === 2 ? 405 : 200) });
    const before = dump(tree);
    const r = tree.add(S, './Y/a/b/c', valueIn('1'));
    assert.equal(r.status, 405);
    assert.equal(r.failedUri, './Y/a/b');
    assert.equal(dump(tree), before);
  });
  test('a node budget (420), a value budget (413) and a record budget (420)', () => {
    const { tree } = withStored({ limits: { maxNodes: 20, maxValueSize: 100 } });
    const base = tree.usage().nodes;
    let i = 0;
    while (tree.add(S, `./Vendor/t/n${i}`, valueIn('v')).status === 200) i++;
    assert.equal(base + i, 20);
    assert.equal(tree.add(S, './Vendor/t/more', valueIn('v')).status, 420);
    const t2 = withStored({ limits: { maxValueSize: 100 } }).tree;
    assert.equal(t2.add(S, './Vendor/t/big', valueIn(new Uint8Array(101), 'bin')).status, 413);
    const t3 = withStored({ limits: { maxRecordPayload: 4096, maxValueSize: 1000 } }).tree;
    let k = 0;
    while (t3.add(S, `./Vendor/t/v${k}`, valueIn(new Uint8Array(1000), 'bin')).status === 200) k++;
    assert.ok(k >= 2 && k <= 4, `${k} values fit`);
    assert.equal(t3.add(S, './Vendor/t/last', valueIn(new Uint8Array(1000), 'bin')).status, 420);
    t3.commit();
    assert.ok(t3.usage().lastPayloadBytes <= 4096);
    assert.ok(t3.usage().lastPayloadBytes <= t3.usage().payloadBound);
  });
  test('TStamp/VerNo: new node stamped, parent updated', () => {
    const { tree, platform } = withStored();
    platform.advance(1000);
    tree.add(S, './Vendor/t/a', valueIn('1'));
    const a = tree.store.info('./Vendor/t/a')!;
    assert.equal(a.tstamp, platform.clock.wallMs());
    assert.equal(text(tree.get(S, './Vendor/t/a?prop=TStamp')), '20251124T160001Z');
    const pv = tree.store.info('./Vendor/t')!.verNo;
    tree.add(S, './Vendor/t/b', valueIn('1'));
    assert.equal(tree.store.info('./Vendor/t')!.verNo, (pv + 1) & 0xffff);
  });
});

describe('tree: Replace, Delete, Exec', () => {
  test('Replace: 200 + VerNo, 404 missing, 405 on interior, keeps Format when Meta absent', () => {
    const { tree } = withStored();
    tree.add(S, './Vendor/t/n', valueIn('5', 'int'));
    const v0 = tree.store.info('./Vendor/t/n')!.verNo;
    assert.equal(tree.replace(S, './Vendor/t/n', valueIn('6')).status, 200);
    const i = tree.store.info('./Vendor/t/n')!;
    assert.equal(i.verNo, v0 + 1);
    assert.equal(i.format, 'int', 'undeclared Meta keeps Format');
    assert.equal(tree.replace(S, './Vendor/t/n', valueIn('x', 'chr')).status, 200);
    assert.equal(tree.store.info('./Vendor/t/n')!.format, 'chr');
    assert.equal(tree.replace(S, './Vendor/t/missing', valueIn('6')).status, 404);
    assert.equal(tree.replace(S, './Vendor/t', valueIn('6')).status, 405);
  });
  test('Delete: subtree gone; root, permanent node and missing → 405/405/404', () => {
    const { tree } = withStored();
    tree.add(S, './Vendor/t/a/b', valueIn('1'));
    assert.equal(tree.delete(S, './Vendor/t/a').status, 200);
    assert.equal(tree.get(S, './Vendor/t/a/b').status, 404);
    assert.equal(tree.delete(S, '.').status, 405);
    assert.equal(tree.delete(S, './Vendor/t').status, 405, 'permanent CSP root');
    assert.equal(tree.delete(S, './Vendor').status, 425, 'no Delete right there (ACL is checked first)');
    tree.store.setAcl('.', FULL.rootAcl);
    assert.equal(tree.delete(S, './Vendor').status, 405, 'contains a permanent node');
    assert.equal(tree.delete(S, './Vendor/t/a').status, 404);
  });
  test('Exec: handler gets data and correlator; missing handler 405; 202 passes through', () => {
    const { tree } = newTree();
    const seen: unknown[] = [];
    tree.addCsp({ root: './E', init: (s) => { s.ensure('./E/Go', {}); }, exec: (c, d, corr) => { seen.push([c.path, d?.text(), corr]); return 202; } });
    tree.addCsp({ root: './F', init: (s) => { s.ensure('./F/Go', {}); } });
    tree.store.setAcl('.', 'Add=*&Get=*&Exec=*');
    assert.equal(tree.exec(S, './E/Go', valueIn('arg'), 'c-1').status, 202);
    assert.deepEqual(seen, [['./E/Go', 'arg', 'c-1']]);
    assert.equal(tree.exec(S, './F/Go', null, null).status, 405);
    assert.equal(tree.exec(S, './E/Nope', null, null).status, 404);
  });
});

describe('tree: handlers that fail', () => {
  test('a throwing handler → 500, logged, and its store changes are undone', () => {
    const { tree, platform } = newTree(FULL);
    tree.addCsp({ ...storedHandlers, root: './Z', replace: (c) => { c.store.ensure('./Z/side', { value: 'x' }); throw new Error('boom'); } });
    tree.add(S, './Z/a', valueIn('1'));
    const before = dump(tree);
    assert.equal(tree.replace(S, './Z/a', valueIn('2')).status, 500);
    assert.equal(dump(tree), before);
    assert.ok(platform.logs.some((l) => l.level === 'error' && l.msg.includes('threw')));
  });
  test('a handler returning a non-status → 500', () => {
    const { tree } = newTree();
    tree.addCsp({ ...storedHandlers, root: './Z', add: () => 42 });
    assert.equal(tree.add(S, './Z/a', valueIn('1')).status, 500);
    assert.equal(tree.store.exists('./Z/a'), false);
  });
  test('a refusing handler leaves no trace of the changes it made through the store', () => {
    const { tree } = newTree(FULL);
    tree.addCsp({ ...storedHandlers, root: './Z', delete: (c) => { c.store.scrubServerId('x'); c.store.write('./Z/keep', 'changed'); return 403; } });
    tree.add(S, './Z/keep', valueIn('orig'));
    tree.store.setAcl('./Z/keep', 'Get=x+srv1&Delete=*');
    const before = dump(tree);
    assert.equal(tree.delete(S, './Z/keep').status, 403);
    assert.equal(dump(tree), before);
  });
});

describe('tree: properties', () => {
  test('Get of every property; Size on interior → 406; unknown → 406', () => {
    const { tree } = withStored();
    tree.add(S, './Vendor/t/a', valueIn('hello', 'chr', 'text/plain'));
    const p = (n: string) => text(tree.get(S, `./Vendor/t/a?prop=${n}`));
    assert.equal(p('Format'), 'chr');
    assert.equal(p('Type'), 'text/plain');
    assert.equal(p('Name'), 'a');
    assert.equal(p('Size'), '5');
    assert.equal(p('ACL'), '');
    assert.equal(p('Title'), '');
    assert.equal(p('VerNo'), '0');
    assert.match(p('TStamp')!, /^\d{8}T\d{6}Z$/);
    assert.equal(tree.get(S, './Vendor/t?prop=Size').status, 406);
    assert.equal(tree.get(S, './Vendor/t/a?prop=Colour').status, 406);
  });
  test('Replace Title; Format/Type/Size/TStamp/VerNo → 405; unknown → 406; Add on a property → 405', () => {
    const { tree } = withStored();
    tree.add(S, './Vendor/t/a', valueIn('x'));
    assert.equal(tree.replace(S, './Vendor/t/a?prop=Title', valueIn('My title')).status, 200);
    assert.equal(text(tree.get(S, './Vendor/t/a?prop=Title')), 'My title');
    assert.equal(tree.replace(S, './Vendor/t/a?prop=Title', valueIn('x'.repeat(256))).status, 413);
    for (const p of ['Format', 'Type', 'Size', 'TStamp', 'VerNo']) assert.equal(tree.replace(S, `./Vendor/t/a?prop=${p}`, valueIn('1')).status, 405, p);
    assert.equal(tree.replace(S, './Vendor/t/a?prop=Colour', valueIn('1')).status, 406);
    assert.equal(tree.add(S, './Vendor/t/a?prop=Title', valueIn('1')).status, 405);
  });
  test('rename via Name: 200, sibling clash 418, permanent 405, bad name 400, keeps order', () => {
    const { tree } = withStored();
    tree.add(S, './Vendor/t/a', valueIn('1'));
    tree.add(S, './Vendor/t/b', valueIn('2'));
    tree.add(S, './Vendor/t/c', valueIn('3'));
    assert.equal(tree.replace(S, './Vendor/t/a?prop=Name', valueIn('b')).status, 418);
    assert.equal(tree.replace(S, './Vendor/t/b?prop=Name', valueIn('bb')).status, 200);
    assert.equal(text(tree.get(S, './Vendor/t')), 'a/bb/c');
    assert.equal(text(tree.get(S, './Vendor/t/bb')), '2');
    assert.equal(tree.replace(S, './Vendor/t?prop=Name', valueIn('u')).status, 405, 'permanent');
    assert.equal(tree.replace(S, './Vendor/t/a?prop=Name', valueIn('x/y')).status, 400);
    const noRename = newTree(FULL).tree;
    noRename.addCsp({ root: './N', add: () => 200 });
    noRename.add(S, './N/a', valueIn('1'));
    assert.equal(noRename.replace(S, './N/a?prop=Name', valueIn('b')).status, 405, 'CSP without rename');
  });
});

describe('tree: ?list=', () => {
  test('Struct and StructData: one item per node the server may Get; secrets without data', () => {
    const { tree } = newTree(FULL);
    tree.addCsp({
      ...storedHandlers, root: './L',
      add: (c, v) => { if (c.rel[c.rel.length - 1] === 'pw') v.secret = true; return 200; },
    });
    tree.add(S, './L/a', valueIn('1'));
    tree.add(S, './L/d/e', valueIn('2', 'int'));
    tree.add(S, './L/pw', valueIn('secret'));
    tree.add(S, './L/hidden', valueIn('h'));
    tree.store.setAcl('./L/hidden', 'Get=other');
    const s = tree.get(S, './L?list=Struct');
    assert.equal(s.status, 200);
    assert.deepEqual(s.items.map((i) => [i.uri, i.format, i.data]), [
      ['./L', 'node', null], ['./L/a', 'chr', null], ['./L/d', 'node', null], ['./L/d/e', 'int', null], ['./L/pw', 'chr', null],
    ]);
    const sd = tree.get(S, './L?list=StructData');
    assert.deepEqual(sd.items.map((i) => [i.uri, i.data ? utf8Decode(i.data) : null]), [
      ['./L', null], ['./L/a', '1'], ['./L/d', null], ['./L/d/e', '2'], ['./L/pw', null],
    ]);
    assert.equal(tree.get(S, './L/pw').status, 405, 'secret value is write-only');
    assert.equal(tree.get(S, './L?list=TNDS').status, 406);
    assert.equal(tree.get(S, './L?list=Struct', { allowList: false }).status, 406);
  });
  test('a walk over maxResultItems → 413', () => {
    const { tree } = withStored({ limits: { maxResultItems: 5 } });
    for (let i = 0; i < 5; i++) tree.add(S, `./Vendor/t/n${i}`, valueIn('1'));
    assert.equal(tree.get(S, './Vendor/t?list=Struct').status, 413);
    assert.equal(tree.get(S, './Vendor/t/n1?list=Struct').status, 200);
  });
});

describe('tree: Copy', () => {
  test('creates the target like an Add, overwrites like a Replace, independent afterwards', () => {
    const { tree } = withStored();
    tree.add(S, './Vendor/t/src', valueIn('AB', 'chr', 'text/x'));
    assert.equal(tree.copy(S, './Vendor/t/dst', './Vendor/t/src').status, 200);
    assert.equal(text(tree.get(S, './Vendor/t/dst')), 'AB');
    assert.equal(tree.get(S, './Vendor/t/dst').items[0]!.type, 'text/x');
    tree.replace(S, './Vendor/t/src', valueIn('CD'));
    assert.equal(text(tree.get(S, './Vendor/t/dst')), 'AB');
    assert.equal(tree.copy(S, './Vendor/t/dst', './Vendor/t/src').status, 200);
    assert.equal(text(tree.get(S, './Vendor/t/dst')), 'CD');
  });
  test('missing source 404, interior source 405, secret source 405, a CSP copy handler is used', () => {
    const { tree } = newTree(FULL);
    const copies: string[] = [];
    tree.addCsp({ ...storedHandlers, root: './C', add: (c, v) => { if (c.rel[0] === 'pw') v.secret = true; return 200; }, copy: (c, src) => { copies.push(`${src}->${c.path}`); return 200; } });
    tree.add(S, './C/pw', valueIn('s'));
    tree.add(S, './C/d', valueIn('', 'node'));
    tree.add(S, './C/x', valueIn('1'));
    assert.equal(tree.copy(S, './C/y', './C/none').status, 404);
    assert.equal(tree.copy(S, './C/y', './C/d').status, 405);
    assert.equal(tree.copy(S, './C/y', './C/pw').status, 405);
    assert.equal(tree.copy(S, './C/y', './C/x').status, 200);
    assert.deepEqual(copies, ['./C/x->./C/y']);
  });
});

describe('tree: CSP registry', () => {
  test('routing by longest prefix, run-time add and remove, duplicate and bad roots refused', () => {
    const { tree } = newTree();
    const hits: string[] = [];
    const mk = (root: string): Csp => ({ ...storedHandlers, root, add: (c) => { hits.push(`${root}:${c.rel.join('/')}`); return 200; } });
    tree.addCsp(mk('./A'));
    tree.addCsp(mk('./A/B'));
    tree.add(S, './A/x', valueIn('1'));
    tree.add(S, './A/B/y', valueIn('1'));
    assert.deepEqual(hits, ['./A:x', './A/B:y']);
    assert.throws(() => tree.addCsp(mk('./A')), TypeError);
    assert.throws(() => tree.addCsp(mk('.')), TypeError);
    assert.throws(() => tree.addCsp(mk('./A/x')), TypeError, 'leaf in the way');
    assert.equal(tree.removeCsp('./A/B'), true);
    assert.equal(tree.removeCsp('./A/B'), false);
    assert.equal(tree.add(S, './A/B/z', valueIn('1')).status, 200, 'now routed to ./A');
    assert.deepEqual(hits[hits.length - 1], './A:B/z');
    tree.removeCsp('./A', { purge: true });
    assert.equal(tree.get(S, './A').status, 404);
  });
  test('after removeCsp without purge the subtree is read-only', () => {
    const { tree } = withStored();
    tree.add(S, './Vendor/t/a', valueIn('1'));
    tree.removeCsp('./Vendor/t');
    assert.equal(text(tree.get(S, './Vendor/t/a')), '1');
    assert.equal(tree.replace(S, './Vendor/t/a', valueIn('2')).status, 405);
    assert.equal(tree.add(S, './Vendor/t/b', valueIn('2')).status, 405);
  });
  test('serverId is required', () => {
    const { tree } = withStored();
    assert.throws(() => tree.get('', '.'), TypeError);
  });
});
