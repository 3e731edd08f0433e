// Layer: unit (portable). Large objects across messages: 213 per chunk, Meta Size, 424 on a size
// mismatch (nothing committed), 413 beyond maxObjSize before buffering, Alert 1225 when another
// command interrupts, b64 chunks split anywhere, CSP sinks, spooling to storage (not memory).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Dpu } from '../../../src/dpu/Dpu';
import type { OutAlert, OutStatus } from '../../../src/codec/model';
import type { WriteSink } from '../../../src/csp/Csp';
import { storedCsp, storedHandlers } from '../../../src/csp/stored';
import { b64encode } from '../../../src/crypto/base64';
import { toHex, concatBytes } from '../../../src/util/bytes';
import { newTree } from '../tree/helpers';
import { cmd, item, run, container } from './msg';

const FULL = 'Add=*&Get=*&Replace=*&Delete=*&Exec=*';

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (seed + i * 13) & 0xff;
  return b;
}

function setup(maxObjSize = 100000) {
  const t = newTree({ rootAcl: FULL, limits: { maxValueSize: 4096 } });
  t.tree.addCsp(storedCsp('./T'));
  // A FUMO-like CSP that streams the package into its own sink.
  const chunks: Uint8Array[] = [];
  const events: string[] = [];
  t.tree.addCsp({
    ...storedHandlers, root: './F',
    beginWrite: (c, info): WriteSink => {
      events.push(`begin ${c.path} ${info.op} ${info.size}`);
      return {
        write: (ch) => { chunks.push(ch.slice()); return 200; },
        end: () => { events.push('end'); return 200; },
        abort: () => { events.push('abort'); chunks.length = 0; },
      };
    },
  });
  t.tree.store.ensure('./T/v', { value: 'old' });
  const dpu = new Dpu(t.tree, { platform: t.platform, limits: { maxObjSize } });
  return { ...t, dpu, chunks, events };
}
const code = (r: { recs: unknown[] }, i = 0) => (r.recs[i] as OutStatus).code;

describe('large objects', () => {
  test('Replace in three messages: 213, 213, 200; streamed through storage, not memory', () => {
    const { dpu, tree, storage } = setup();
    const obj = bytes(3000, 1);
    const r1 = run(dpu, [cmd('Replace', [item('./T/v', obj.subarray(0, 1000), { size: 3000, format: 'bin' }, true)])]);
    assert.equal(code(r1), 213);
    assert.equal(r1.summary.pendingChunk, true);
    assert.equal(dpu.pendingObject, true);
    assert.ok(storage.exists('lo.spool'), 'chunks go to a spool blob');
    assert.equal(tree.store.readText('./T/v'), 'old', 'nothing committed yet');
    assert.equal(code(run(dpu, [cmd('Replace', [item('./T/v', obj.subarray(1000, 2000), undefined, true)])], { msgId: '8' })), 213);
    const r3 = run(dpu, [cmd('Replace', [item('./T/v', obj.subarray(2000))])], { msgId: '9' });
    assert.deepEqual(r3.recs, [{ kind: 'Status', msgRef: '9', cmdRef: (r3.recs[0] as OutStatus).cmdRef, cmd: 'Replace', code: 200, targetRefs: ['./T/v'] }]);
    assert.equal(r3.summary.pendingChunk, false);
    assert.equal(toHex(tree.store.read('./T/v')!), toHex(obj));
    assert.equal(tree.store.info('./T/v')!.format, 'bin');
    assert.equal(storage.exists('lo.spool'), false);
  });

  test('size mismatch at the last chunk → 424 and nothing committed', () => {
    const { dpu, tree } = setup();
    assert.equal(code(run(dpu, [cmd('Replace', [item('./T/v', bytes(10, 1), { size: 25 }, true)])])), 213);
    assert.equal(code(run(dpu, [cmd('Replace', [item('./T/v', bytes(10, 2))])])), 424);
    assert.equal(tree.store.readText('./T/v'), 'old');
    assert.equal(dpu.pendingObject, false);
    assert.equal(code(run(dpu, [cmd('Replace', [item('./T/v', bytes(10, 1), { size: 15 }, true)])])), 213);
    assert.equal(code(run(dpu, [cmd('Replace', [item('./T/v', bytes(10, 2), undefined, true)])])), 424, 'more than announced is caught early');
  });

  test('Meta Size beyond maxObjSize → 413 before buffering; beyond maxValueSize without a CSP sink → 413', () => {
    const { dpu, storage, events } = setup(5000);
    const w0 = storage.writes;
    assert.equal(code(run(dpu, [cmd('Replace', [item('./F/pkg', bytes(100, 1), { size: 5001 }, true)])])), 413);
    assert.deepEqual(events, []);
    assert.equal(code(run(dpu, [cmd('Replace', [item('./T/v', bytes(100, 1), { size: 4097 }, true)])])), 413);
    assert.equal(storage.writes, w0);
    assert.equal(dpu.pendingObject, false);
  });

  test('a new command before the last chunk → Alert 1225 naming the object, partial object dropped', () => {
    const { dpu, tree, events, chunks } = setup();
    assert.equal(code(run(dpu, [cmd('Add', [{ target: './F/pkg', source: 'http://srv/pkg', meta: { size: 50 }, data: { kind: 'opaque', bytes: bytes(20, 1), text: () => '' }, moreData: true }])])), 213);
    const r = run(dpu, [cmd('Add', [item('./T/other', 'x')])]);
    assert.deepEqual(r.recs[0], { kind: 'Alert', code: 1225, items: [{ target: './F/pkg', source: 'http://srv/pkg' }] } satisfies OutAlert);
    assert.equal(code(r, 1), 200, 'the new command runs');
    assert.deepEqual(events, ['begin ./F/pkg Add 50', 'abort']);
    assert.equal(chunks.length, 0);
    assert.equal(tree.store.exists('./F/pkg'), false);
    assert.equal(dpu.pendingObject, false);
  });

  test('a CSP sink gets the chunks in order; the Added node exists afterwards without a stored value', () => {
    const { dpu, tree, chunks, events } = setup();
    const obj = bytes(2500, 5);
    const parts = [obj.subarray(0, 1000), obj.subarray(1000, 2000), obj.subarray(2000)];
    parts.forEach((p, i) => {
      const r = run(dpu, [cmd('Add', [item('./F/pkg/data', p, i === 0 ? { size: 2500, format: 'bin', type: 'application/octet-stream' } : undefined, i < 2)])]);
      assert.equal(code(r), i < 2 ? 213 : 200);
    });
    assert.equal(toHex(concatBytes(chunks)), toHex(obj));
    assert.deepEqual(events, ['begin ./F/pkg/data Add 2500', 'end']);
    const info = tree.store.info('./F/pkg/data')!;
    assert.equal(info.format, 'bin');
    assert.equal(info.size, 0, 'the value lives in the CSP, not in the tree');
  });

  test('Replace of a missing node is refused at the first chunk (404), nothing opened', () => {
    const { dpu, events } = setup();
    const r = run(dpu, [cmd('Replace', [item('./F/none', 'abc', { size: 10 }, true)])]);
    assert.equal(code(r), 404);
    assert.equal(dpu.pendingObject, false);
    assert.deepEqual(events, []);
  });

  test('b64 chunks split inside a quantum decode exactly (Size counts the Base64 text)', () => {
    const { dpu, tree } = setup();
    const obj = bytes(1001, 9);
    const text = b64encode(obj);
    const cuts = [0, 7, 333, 334, text.length];
    for (let i = 0; i < cuts.length - 1; i++) {
      const last = i === cuts.length - 2;
      const r = run(dpu, [cmd('Replace', [item('./T/v', text.slice(cuts[i], cuts[i + 1]), i === 0 ? { size: text.length, format: 'b64' } : undefined, !last)])]);
      assert.equal(code(r), last ? 200 : 213, `chunk ${i}`);
    }
    assert.equal(toHex(tree.store.read('./T/v')!), toHex(obj));
  });

  test('chunks inside a container → 400; a chunked item must be the last of its command', () => {
    const { dpu } = setup();
    const r = run(dpu, [container('Sequence', [cmd('Replace', [item('./T/v', 'x', { size: 5 }, true)])])]);
    assert.deepEqual(r.recs.map((x) => (x as OutStatus).code), [200, 400]);
    const r2 = run(dpu, [cmd('Replace', [item('./T/v', 'x', { size: 5 }, true), item('./T/v', 'y')])]);
    assert.equal(code(r2), 400);
  });

  test('abortObject drops an open object (session ended)', () => {
    const { dpu, events } = setup();
    run(dpu, [cmd('Add', [item('./F/p', 'abc', { size: 10 }, true)])]);
    dpu.abortObject();
    assert.equal(dpu.pendingObject, false);
    assert.deepEqual(events, ['begin ./F/p Add 10', 'abort']);
  });
});
