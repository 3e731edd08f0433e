// Unit (portable): fixed-memory reassembly: order, duplicates, timeout eviction, capacity
// eviction (oldest first), per-message limits, tags, usage high-water marks.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Reassembler } from '../../../src/push/Reassembler';
import type { EvictReason } from '../../../src/push/Reassembler';
import { toHex } from '../../../src/util/bytes';

const seg = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const str = (b: Uint8Array): string => String.fromCharCode(...b);

describe('Reassembler', () => {
  test('in order, out of order and every permutation of 4 parts', () => {
    const parts = ['ab', 'cde', 'f', 'ghij'];
    const perms = (a: number[]): number[][] => (a.length <= 1 ? [a] : a.flatMap((x, i) => perms([...a.slice(0, i), ...a.slice(i + 1)]).map((p) => [x, ...p])));
    const r = new Reassembler({ maxPending: 2 });
    let t = 0;
    for (const order of perms([0, 1, 2, 3])) {
      const key = `k${order.join('')}`;
      let res;
      for (const i of order) res = r.add(key, i, 4, seg(parts[i]!), t++);
      assert.equal(res!.status, 'complete');
      assert.equal(str((res as { data: Uint8Array }).data), 'abcdefghij', order.join(','));
    }
    assert.equal(r.usage().completed, 24);
    assert.equal(r.usage().pending, 0);
    assert.equal(r.usage().bytes, 0);
  });
  test('duplicates are ignored, also shortly after completion', () => {
    const r = new Reassembler({ timeoutMs: 1000 });
    assert.equal(r.add('m', 1, 2, seg('yy'), 0).status, 'pending');
    assert.equal(r.add('m', 1, 2, seg('zz'), 1).status, 'duplicate');
    const c = r.add('m', 0, 2, seg('xx'), 2);
    assert.equal(c.status, 'complete');
    assert.equal(str((c as { data: Uint8Array }).data), 'xxyy', 'first copy of a duplicated part wins');
    assert.equal(r.add('m', 0, 2, seg('xx'), 500).status, 'duplicate', 'late duplicate of a completed message');
    assert.equal(r.add('m', 0, 2, seg('xx'), 1500).status, 'pending', 'after the window the key is new again');
    assert.equal(r.usage().duplicates, 2);
  });
  test('a missing part is evicted after the timeout (on add, and by expire) with a report', () => {
    const ev: [string, EvictReason, number, number][] = [];
    const r = new Reassembler({ timeoutMs: 100 }, (k, why, got, total) => ev.push([k, why, got, total]));
    r.add('a', 0, 3, seg('1'), 0);
    r.add('a', 2, 3, seg('3'), 50);
    assert.equal(r.nextDeadline(), 100);
    assert.equal(r.expire(99), 0);
    assert.equal(r.expire(100), 1);
    assert.deepEqual(ev, [['a', 'timeout', 2, 3]]);
    assert.equal(r.nextDeadline(), null);
    r.add('b', 0, 2, seg('1'), 200);
    assert.equal(r.add('c', 0, 2, seg('1'), 300).status, 'pending');
    assert.deepEqual(ev[1], ['b', 'timeout', 1, 2], 'expired during add');
    assert.equal(r.add('b', 1, 2, seg('2'), 301).status, 'pending', 'the late part starts a new message');
    assert.equal(r.usage().evictedTimeout, 2);
  });
  test('more pending references than slots: the oldest is evicted', () => {
    const ev: string[] = [];
    const r = new Reassembler({ maxPending: 3 }, (k, why) => ev.push(`${k}:${why}`));
    for (let i = 0; i < 5; i++) assert.equal(r.add(`m${i}`, 0, 2, seg('x'), i).status, 'pending');
    assert.deepEqual(ev, ['m0:capacity', 'm1:capacity']);
    assert.equal(r.usage().pending, 3);
    assert.equal(r.usage().highPending, 3);
    assert.equal(r.add('m4', 1, 2, seg('y'), 10).status, 'complete');
    assert.equal(r.add('m0', 1, 2, seg('y'), 11).status, 'pending', 'evicted message starts over');
  });
  test('per-message limits: segments, bytes, total mismatch, bad sequence', () => {
    const r = new Reassembler({ maxSegments: 4, maxMessageBytes: 10 });
    assert.deepEqual(r.add('a', 0, 5, seg('x'), 0), { status: 'refused', reason: 'too-many-segments' });
    assert.equal(r.add('b', 0, 3, seg('123456'), 0).status, 'pending');
    assert.deepEqual(r.add('b', 1, 3, seg('78901'), 0), { status: 'refused', reason: 'too-large' });
    assert.equal(r.usage().pending, 0, 'an oversize message is dropped');
    assert.equal(r.add('c', 0, 3, seg('1'), 0).status, 'pending');
    assert.deepEqual(r.add('c', 1, 2, seg('2'), 0), { status: 'refused', reason: 'total-mismatch' });
    assert.deepEqual(r.add('d', 3, 3, seg('2'), 0), { status: 'refused', reason: 'bad-sequence' });
    assert.deepEqual(r.add('d', -1, 3, seg('2'), 0), { status: 'refused', reason: 'bad-sequence' });
    assert.equal(r.usage().refused, 5);
  });
  test('tags: last non-negative tag of the message is returned', () => {
    const r = new Reassembler();
    r.add('t', 1, 2, seg('b'), 0);
    r.add('t', 0, 2, seg('a'), 0, 2948);
    const c = r.add('u', 0, 1, seg('z'), 0);
    assert.equal(c.status === 'complete' && c.tag, -1);
  });
  test('bytes accounting and high-water marks; memory fixed once allocated (on the first segment)', () => {
    const r = new Reassembler({ maxPending: 2, maxMessageBytes: 64 });
    r.add('a', 0, 2, new Uint8Array(30), 0);
    r.add('b', 0, 2, new Uint8Array(20), 0);
    assert.equal(r.usage().bytes, 50);
    const c = r.add('a', 1, 2, new Uint8Array(34).fill(1), 0);
    assert.equal(c.status === 'complete' && c.data.length, 64);
    assert.equal(r.usage().bytes, 20);
    assert.equal(r.usage().highBytes, 84);
    r.clear();
    assert.equal(r.usage().pending, 0);
    assert.equal(r.usage().bytes, 0);
  });
  test('invalid limits are RangeErrors naming the field', () => {
    assert.throws(() => new Reassembler({ maxPending: 0 }), /maxPending/);
    assert.throws(() => new Reassembler({ maxSegments: 256 }), /maxSegments/);
    assert.throws(() => new Reassembler({ timeoutMs: 1.5 }), /timeoutMs/);
  });
  test('completed data is laid out in sequence order regardless of arrival', () => {
    const r = new Reassembler();
    r.add('x', 2, 3, Uint8Array.of(5, 6), 0);
    r.add('x', 0, 3, Uint8Array.of(1, 2), 0);
    const c = r.add('x', 1, 3, Uint8Array.of(3, 4), 0);
    assert.equal(c.status === 'complete' && toHex(c.data), '010203040506');
  });
});
