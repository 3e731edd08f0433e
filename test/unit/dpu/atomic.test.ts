// Layer: unit (portable). Atomic all-or-nothing with rollback (including a CSP failing mid-way and
// a CSP whose own rollback fails), nesting rules, persistence once at the end, storage failure.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Dpu } from '../../../src/dpu/Dpu';
import type { OutStatus } from '../../../src/codec/model';
import type { Csp } from '../../../src/csp/Csp';
import { storedCsp, storedHandlers } from '../../../src/csp/stored';
import { RecordStore } from '../../../src/store/RecordStore';
import { newTree, dump } from '../tree/helpers';
import { cmd, item, run, brief, container } from './msg';

const FULL = 'Add=*&Get=*&Replace=*&Delete=*&Exec=*';

/** A CSP with side effects outside the tree (a "device" map), hooks for Atomic, and a failure switch. */
function deviceCsp(root: string, opts: { failOn?: string; rollbackFails?: boolean } = {}) {
  const device = new Map<string, string>();
  let snapshot: Map<string, string> | null = null;
  const log: string[] = [];
  const csp: Csp = {
    ...storedHandlers,
    root,
    add: (c, v) => {
      if (c.rel[c.rel.length - 1] === opts.failOn) return 500;
      device.set(c.path, v.text());
      return 200;
    },
    replace: (c, v) => { device.set(c.path, v.text()); return 200; },
    begin: () => { log.push('begin'); snapshot = new Map(device); },
    commit: () => { log.push('commit'); snapshot = null; },
    rollback: () => {
      log.push('rollback');
      if (opts.rollbackFails) return 500;
      device.clear();
      for (const [k, v] of snapshot!) device.set(k, v);
      return 200;
    },
  };
  return { csp, device, log };
}

function setup(opts: { failOn?: string; rollbackFails?: boolean } = {}) {
  const t = newTree({ rootAcl: FULL });
  t.tree.addCsp(storedCsp('./T'));
  const d = deviceCsp('./D', opts);
  t.tree.addCsp(d.csp);
  t.tree.commit();
  const dpu = new Dpu(t.tree, { platform: t.platform });
  return { ...t, dpu, ...d };
}

describe('dpu: Atomic', () => {
  test('all children succeed → 200 first, then the children; persisted once at the end', () => {
    const { dpu, tree, storage, log } = setup();
    const rs = new RecordStore(storage, 'tree.rec');
    rs.load();
    const before = rs.seq;
    const { recs } = run(dpu, [container('Atomic', [cmd('Add', [item('./T/a', '1')]), cmd('Add', [item('./D/x', '2')]), cmd('Replace', [item('./T/a', '3')])], { cmdId: '1' })]);
    assert.deepEqual(brief(recs).map((s) => s.replace(/#\d+/, '')), ['Status Atomic 200', 'Status Add 200 ./T/a', 'Status Add 200 ./D/x', 'Status Replace 200 ./T/a']);
    assert.equal((recs[0] as OutStatus).cmdRef, '1');
    const after = new RecordStore(storage, 'tree.rec');
    after.load();
    assert.equal(after.seq, before + 1, 'exactly one record commit for the Atomic');
    assert.equal(tree.dirty, false);
    assert.equal(tree.store.readText('./T/a'), '3');
    assert.deepEqual(log, ['begin', 'commit']);
  });

  test('a CSP failing mid-way: 507, earlier children 216, failing one its code, the rest 215; tree and device restored', () => {
    const { dpu, tree, device, log } = setup({ failOn: 'boom' });
    tree.store.ensure('./T/keep', { value: 'orig' });
    device.set('./D/pre', 'p');
    const before = dump(tree);
    const { recs } = run(dpu, [container('Atomic', [
      cmd('Replace', [item('./T/keep', 'changed')]),
      cmd('Add', [item('./D/ok', '1')]),
      cmd('Delete', [item('./T/keep')]),
      cmd('Add', [item('./D/boom', '2')]),
      cmd('Add', [item('./T/never', '3')]),
    ])]);
    assert.deepEqual(recs.map((r) => (r as OutStatus).code), [507, 216, 216, 216, 500, 215]);
    assert.equal(dump(tree), before, 'tree exactly as before the Atomic');
    assert.deepEqual([...device], [['./D/pre', 'p']], 'the CSP rolled its device state back');
    assert.deepEqual(log, ['begin', 'rollback']);
  });

  test('a CSP whose rollback fails turns its children into 516 (others stay 216)', () => {
    const { dpu } = setup({ failOn: 'boom', rollbackFails: true });
    const { recs } = run(dpu, [container('Atomic', [cmd('Add', [item('./T/a', '1')]), cmd('Add', [item('./D/x', '1')]), cmd('Add', [item('./D/boom', '1')])])]);
    assert.deepEqual(recs.map((r) => (r as OutStatus).code), [507, 216, 516, 500]);
  });

  test('Get and Exec inside Atomic → 500 and the Atomic fails', () => {
    for (const bad of [cmd('Get', [item('./T')]), cmd('Exec', [item('./T')])]) {
      const { dpu, tree } = setup();
      const { recs } = run(dpu, [container('Atomic', [cmd('Add', [item('./T/a', '1')]), bad])]);
      assert.deepEqual(recs.map((r) => (r as OutStatus).code), [507, 216, 500]);
      assert.equal(tree.store.exists('./T/a'), false);
    }
  });

  test('nested Atomic: inner 500 (its children 215), outer 507 (as Windows)', () => {
    const { dpu } = setup();
    const { recs } = run(dpu, [container('Atomic', [cmd('Add', [item('./T/a', '1')]), container('Atomic', [cmd('Add', [item('./T/b', '1')])])])]);
    assert.deepEqual(brief(recs).map((s) => s.replace(/#\d+/, '')), ['Status Atomic 507', 'Status Add 216 ./T/a', 'Status Atomic 500', 'Status Add 215 ./T/b']);
  });

  test('Sequence inside Atomic runs as part of it; Atomic inside Sequence → 500', () => {
    const { dpu, tree } = setup();
    const ok = run(dpu, [container('Atomic', [container('Sequence', [cmd('Add', [item('./T/s', '1')])])])]);
    assert.deepEqual(ok.recs.map((r) => (r as OutStatus).code), [200, 200, 200]);
    const bad = run(dpu, [container('Atomic', [container('Sequence', [cmd('Add', [item('./T/s2', '1')]), cmd('Add', [item('./T/s', 'dup')])])])]);
    assert.deepEqual(bad.recs.map((r) => (r as OutStatus).code), [507, 216, 216, 418]);
    assert.equal(tree.store.exists('./T/s2'), false);
    const nested = run(dpu, [container('Sequence', [container('Atomic', [cmd('Add', [item('./T/z', '1')])])])]);
    assert.deepEqual(nested.recs.map((r) => (r as OutStatus).code), [200, 500, 215]);
  });

  test('storage failing when the Atomic is persisted → rolled back, 507, children 216', () => {
    const { dpu, tree, storage } = setup();
    const before = dump(tree);
    storage.failAtWrite = storage.writes + 1;
    storage.tornBytes = 0;
    const { recs } = run(dpu, [container('Atomic', [cmd('Add', [item('./T/a', '1')]), cmd('Add', [item('./D/b', '2')])])]);
    storage.failAtWrite = 0;
    assert.deepEqual(recs.map((r) => (r as OutStatus).code), [507, 216, 216]);
    assert.equal(dump(tree), before);
  });

  test('an Atomic with NoResp sends no status of its own; empty Atomic → 200', () => {
    const { dpu } = setup();
    assert.deepEqual(run(dpu, [container('Atomic', [cmd('Add', [item('./T/q', '1')])], { noResp: true })]).recs.map((r) => (r as OutStatus).code), [200]);
    assert.deepEqual(run(dpu, [container('Atomic', [])]).recs.map((r) => (r as OutStatus).code), [200]);
  });
});
