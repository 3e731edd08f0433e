// Layer: unit (portable). Tree persistence through the record store: exact round trip, volatile
// nodes, corrupt records, the crash-point sweep at tree level, and a 10,000-node tree.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { valueIn } from '../../../src/csp/Csp';
import type { Csp } from '../../../src/csp/Csp';
import { storedHandlers } from '../../../src/csp/stored';
import { Tree } from '../../../src/tree/Tree';
import { RecordStore } from '../../../src/store/RecordStore';
import { cborDecode, cborEncode } from '../../../src/store/cbor';
import type { CborMap } from '../../../src/store/cbor';
import { FakePlatform, MemStorage } from '../../helpers/fake-platform';
import { toHex } from '../../../src/util/bytes';
import { CrashStorage, PowerCut } from '../store/crash-storage';
import { dump } from './helpers';

const S = 'srv1';
const FULL = 'Add=*&Get=*&Replace=*&Delete=*&Exec=*';

/** A CSP with a permanent skeleton, a volatile node and secrets (as the built-in ones have). */
function demoCsp(): Csp {
  return {
    ...storedHandlers,
    root: './Vendor/demo',
    init(st) {
      st.ensure('./Vendor/demo/Fixed', { value: 'factory', permanent: true });
      st.ensure('./Vendor/demo/Live', { volatile: true, value: 'now' });
    },
    add: (c, v) => { if (c.rel[c.rel.length - 1] === 'Secret') v.secret = true; return 200; },
  };
}

function open(storage: MemStorage | CrashStorage, platform = new FakePlatform(1, storage instanceof MemStorage ? storage : undefined)): Tree {
  const p = storage instanceof MemStorage ? platform : Object.assign(new FakePlatform(1), { storage });
  const t = new Tree(p as FakePlatform, { rootAcl: FULL });
  t.addCsp(demoCsp());
  return t;
}

describe('tree persistence', () => {
  test('commit then restart gives the same tree (volatile nodes re-created by their CSP)', () => {
    const mem = new MemStorage();
    const t = open(mem);
    assert.equal(t.loadState, 'fresh');
    t.add(S, './Vendor/demo/a/b', valueIn('text', 'chr', 'text/plain'));
    t.add(S, './Vendor/demo/bin', valueIn(new Uint8Array([0, 1, 255]), 'bin', 'application/octet-stream'));
    t.add(S, './Vendor/demo/n', valueIn('42', 'int'));
    t.add(S, './Vendor/demo/Secret', valueIn('pw'));
    t.replace(S, './Vendor/demo/a?prop=Title', valueIn('Tïtle ✓'));
    t.replace(S, './Vendor/demo/Fixed?prop=ACL', valueIn('Get=srv1&Replace=srv1'));
    t.replace(S, './Vendor/demo/Live', valueIn('changed'));
    t.commit();
    const before = dump(t);
    const t2 = open(mem);
    assert.equal(t2.loadState, 'loaded');
    // The volatile node came back from init with its factory value; everything else is identical.
    const norm = (d: string) => d.split('\n').filter((l) => !l.startsWith('./Vendor/demo/Live|')).join('\n');
    assert.equal(norm(dump(t2)), norm(before));
    assert.equal(t2.store.readText('./Vendor/demo/Live'), 'now');
    assert.equal(t2.store.info('./Vendor/demo/Fixed')!.acl, 'Get=srv1&Replace=srv1', 'server-set ACL of a permanent node survives');
    assert.equal(t2.get(S, './Vendor/demo/Secret').status, 405, 'secret flag survives');
  });

  test('the payload is deterministic CBOR within the computed bound; an unchanged tree is not rewritten', () => {
    const mem = new MemStorage();
    const t = open(mem);
    t.add(S, './Vendor/demo/x', valueIn('1'));
    t.commit();
    const payload = new RecordStore(mem, 'tree.rec').load()!;
    assert.equal(toHex(cborEncode(cborDecode(payload))), toHex(payload));
    const rec = cborDecode(payload) as CborMap;
    assert.equal(rec.v, 1);
    assert.equal((rec.nodes as unknown[]).length, t.usage().nodes);
    const live = (rec.nodes as unknown[][]).find((n) => n[1] === 'Live')!;
    assert.equal(live[9], null, 'the value of a volatile node is not persisted');
    assert.ok(payload.length <= t.usage().payloadBound);
    const writes = mem.writes;
    t.commit();
    assert.equal(mem.writes, writes);
    assert.equal(t.dirty, false);
  });

  test('a CRC-valid record that is not a tree record → loadState corrupt, empty tree, error logged', () => {
    for (const bad of [cborEncode({ v: 99, nodes: [] }), cborEncode([1, 2]), new Uint8Array([0xa1, 0x61]), cborEncode({ v: 1, nodes: [[5, 'x', 0, 1, '', '', '', 0, 0, null]] })]) {
      const mem = new MemStorage();
      new RecordStore(mem, 'tree.rec').commit(bad);
      const p = new FakePlatform(1, mem);
      const t = new Tree(p);
      assert.equal(t.loadState, 'corrupt');
      assert.deepEqual(t.store.children('.'), []);
      assert.ok(p.logs.some((l) => l.level === 'error'));
    }
  });
});

describe('tree crash-point sweep', () => {
  /** Each step changes the tree; the runner commits after each. */
  const steps: ((t: Tree) => void)[] = [
    (t) => { t.add(S, './Vendor/demo/a', valueIn('alpha')); },
    (t) => { t.add(S, './Vendor/demo/g/h/i', valueIn(new Uint8Array(120).fill(7), 'bin')); },
    (t) => { t.replace(S, './Vendor/demo/a', valueIn('beta, longer than alpha')); t.replace(S, './Vendor/demo/g?prop=ACL', valueIn('Get=*')); },
    (t) => { t.delete(S, './Vendor/demo/g'); },
    (t) => { t.beginAtomic(); t.add(S, './Vendor/demo/x', valueIn('1')); t.add(S, './Vendor/demo/y', valueIn('2')); t.commit(); t.commitAtomic(); },
    (t) => { t.replace(S, './Vendor/demo/Fixed', valueIn('')); },
  ];

  function run(storage: MemStorage | CrashStorage, snaps?: string[]): number {
    let done = 0;
    try {
      const t = open(storage);
      t.commit();
      snaps?.push(dump(t));
      done = 1;
      for (const s of steps) { s(t); t.commit(); snaps?.push(dump(t)); done++; }
    } catch (e) {
      if (!(e instanceof PowerCut)) throw e;
    }
    return done;
  }

  const snaps: string[] = [];
  const dry = new CrashStorage(new MemStorage());
  assert.equal(run(dry, snaps), steps.length + 1);
  const trace = dry.trace.slice();

  for (const persistUnsynced of [false, true]) {
    test(`restart after a cut at every op and torn byte is exactly a committed state (unsynced ${persistUnsynced ? 'kept' : 'lost'})`, (t) => {
      let cases = 0;
      for (let op = 1; op <= trace.length; op++) {
        const tr = trace[op - 1]!;
        for (let torn = 0; torn <= (tr.kind === 'write' ? tr.length : 0); torn++) {
          cases++;
          const mem = new MemStorage();
          const done = run(new CrashStorage(mem, { atOp: op, tornBytes: torn, persistUnsynced }));
          const t2 = open(mem);
          const got = dump(t2);
          const ok = done === 0 ? [dump(open(new MemStorage())), snaps[0]] : [snaps[done - 1], snaps[done]];
          // Timestamps come from the same manual clock in every run, so dumps compare exactly.
          if (!ok.includes(got)) {
            const diff = got.split('\n').filter((l) => !ok[0]!.split('\n').includes(l)).join('\n');
            assert.fail(`op ${op} (${tr.kind} ${tr.blob}) torn ${torn}: state after ${done} commits expected; differing lines:\n${diff}\n--- expected\n${ok[0]}`);
          }
          assert.notEqual(t2.loadState, 'corrupt');
        }
      }
      t.diagnostic(`${cases} crash points, ${trace.length} storage operations`);
      assert.ok(cases > trace.length);
    });
  }
});

describe('10,000-node tree', () => {
  test('saves and loads within the limits, identical after restart', (t) => {
    const mem = new MemStorage();
    const tree = open(mem);
    const start = tree.usage().nodes;
    for (let g = 0; g < 100; g++) {
      for (let n = 0; n < 99; n++) {
        const r = tree.add(S, `./Vendor/demo/big/g${g}/n${n}`, valueIn(`value-${g}-${n}`));
        assert.equal(r.status, 200);
      }
    }
    const u = tree.usage();
    assert.ok(u.nodes >= 10000, `${u.nodes} nodes`);
    assert.ok(u.nodes <= tree.limits.maxNodes);
    tree.commit();
    const payload = tree.usage().lastPayloadBytes;
    assert.ok(payload <= tree.limits.maxRecordPayload);
    assert.ok(payload <= u.payloadBound);
    const before = dump(tree);
    const t2 = open(mem);
    assert.equal(t2.usage().nodes, u.nodes);
    assert.equal(dump(t2), before);
    t.diagnostic(`nodes ${u.nodes} (built-in ${start}), payload ${payload} bytes, bound ${u.payloadBound} bytes, limit ${tree.limits.maxRecordPayload}`);
  });
});
