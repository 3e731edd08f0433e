/**
 * The omadm host's heap (target/quickjs/host.c allocator hooks + the small-block pool of
 * target/quickjs/qjs_pool.h) under the kind of work QuickJS does: strings, arrays, property arrays and
 * typed arrays that grow and shrink across the pool's size classes and malloc (realloc between them),
 * and cyclic garbage. Contents are checked after every phase. Running out of memory is left to
 * test/qemu/omadm.test.ts: QuickJS 2021-03-27 can use its freed exception object when an allocation
 * fails deep inside it (target/quickjs/README.md), so an out-of-memory case here would crash at some
 * limits whatever the allocator.
 * Run inside the omadm host under `--memory-limit 3M` (the ASan build, the host build and, under QEMU,
 * aarch64 and armhf) by test/quickjs/pool.test.ts.
 */
import { test } from '../../../test/quickjs/node-test';
import assert from '../../../test/quickjs/node-assert';

/** The limit the test runs under (test/quickjs/pool.test.ts passes --memory-limit 3M). */
const LIMIT = 3 << 20;

test('strings grown one character at a time keep their contents (realloc through every class)', () => {
  let s = '';
  const slices: string[] = [];
  for (let i = 0; i < 3000; i++) {
    s += String.fromCharCode(97 + (i % 26));
    if (i % 7 === 0) slices.push(s.slice(i >> 1));
  }
  assert.equal(s.length, 3000);
  for (let i = 0; i < 3000; i++) assert.equal(s.charCodeAt(i), 97 + (i % 26));
  slices.forEach((t, n) => assert.equal(t, s.slice((n * 7) >> 1, n * 7 + 1)));
});

test('arrays and property arrays grow and shrink', () => {
  const arrs: { j: number; k: string }[][] = [];
  for (let i = 0; i < 600; i++) {
    const a: { j: number; k: string }[] = [];
    for (let j = 0; j < i % 50; j++) a.push({ j, k: 'k' + j });
    arrs.push(a);
  }
  for (const a of arrs) a.length = a.length >> 1;
  const o: Record<string, number> = {};
  for (let i = 0; i < 400; i++) o['p' + i] = i;
  for (let i = 0; i < 400; i += 2) delete o['p' + i];
  dmHost.gc();
  arrs.forEach((a, i) => {
    assert.equal(a.length, (i % 50) >> 1);
    a.forEach((e, j) => assert.deepEqual(e, { j, k: 'k' + j }));
  });
  for (let i = 0; i < 400; i++) assert.equal(o['p' + i], i % 2 ? i : undefined);
});

test('typed arrays of every small size keep their bytes', () => {
  const tas: Uint8Array[] = [];
  for (let n = 1; n <= 300; n++) tas.push(new Uint8Array(n).fill(n & 255));
  dmHost.gc();
  tas.forEach((t, i) => {
    assert.equal(t.length, i + 1);
    assert.ok(t.every((v) => v === ((i + 1) & 255)), `array ${i + 1}`);
  });
});

test('cyclic garbage is collected and its pages go back: the heap does not stay at its high-water', () => {
  dmHost.gc();
  const before = dmHost.memoryUsage().used;
  type Node = { i: number; s: string; next: Node | null };
  /** One round of 1,000 objects and strings in a cycle; its frame is gone when it returns. */
  const round = (r: number): number => {
    let ring: Node | null = null;
    for (let i = 0; i < 1000; i++) ring = { i, s: 'r' + i + '-' + r, next: ring };
    let x = ring!;
    while (x.next) x = x.next;
    x.next = ring; // a cycle: only the collector frees it
    return ring!.i;
  };
  let kept = 0;
  for (let r = 0; r < 40; r++) kept += round(r);
  assert.equal(kept, 40 * 999);
  dmHost.gc();
  const u = dmHost.memoryUsage();
  // 40,000 objects and strings (several MB in all) went through the heap; what stays is the test's own
  // few objects plus partly used pages, far below one round's worth
  assert.ok(u.used - before < 96 * 1024, `used ${u.used} B after, ${before} B before`);
  assert.ok(u.peak <= LIMIT, `peak ${u.peak} B`);
});
