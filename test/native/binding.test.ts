/**
 * Node-only: the N-API shim's argument vocabulary (exports.h): U, S, B checks throw TypeError /
 * RangeError naming the function and argument; -errno results come back as numbers; handles are
 * closed idempotently; the durable file API, random and the clock through the addon.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NativeBinding } from '../../src/native/binding';
import { NativeErrors } from '../../src/native/errors';
import { findNativeAddon, loadNative } from '../../target/node/native';

const skip = findNativeAddon() === null ? 'needs `make native`' : false;

describe('N-API binding', { skip }, () => {
  let b: NativeBinding;
  let dir: string;
  let E: NativeErrors;
  before(() => {
    b = loadNative();
    E = new NativeErrors(b.errno);
    dir = mkdtempSync(join(tmpdir(), 'dm-binding-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('U arguments: integers in [0, 2^32-1], no coercion', () => {
    for (const bad of [-1, 1.5, 2 ** 32, NaN, '1', null, undefined, 1n, {}]) {
      assert.throws(() => b.close(bad as number), (e: Error) => e instanceof TypeError && /close: argument 1/.test(e.message), String(bad));
    }
    assert.equal(b.close(0), -b.errno.EBADF!);
    assert.equal(b.close(2 ** 32 - 1), -b.errno.EBADF!);
    assert.throws(() => b.flashErase(1, -3), /flashErase: argument 2/);
  });

  test('S arguments: strings only, no NUL, at most STR_MAX bytes of UTF-8', () => {
    assert.throws(() => b.fileOpen(5 as unknown as string, 0), /fileOpen: argument 1 must be a string/);
    assert.throws(() => b.fileOpen('a\0b', 0), (e: Error) => e instanceof TypeError && /NUL/.test(e.message));
    const max = b.constants.STR_MAX;
    assert.throws(() => b.fileOpen('x'.repeat(max + 1), 0), RangeError);
    assert.throws(() => b.fileOpen('é'.repeat(Math.floor(max / 2) + 1), 0), RangeError); // 2 bytes each
    assert.equal(b.fileOpen('/' + 'x'.repeat(max - 1), 0), -b.errno.ENAMETOOLONG!); // fits the binding, not the kernel
    assert.throws(() => b.fileRename('a', 7 as unknown as string), /fileRename: argument 2/);
  });

  test('B arguments: bounds-checked (buffer, offset, length); byteOffset honoured; ArrayBuffer accepted', () => {
    const ab = new ArrayBuffer(16);
    const view = new Uint8Array(ab, 4, 8);
    assert.throws(() => b.random(view, 0, 9), (e: Error) => e instanceof RangeError && /random: argument 1: array buffer overflow/.test(e.message));
    assert.throws(() => b.random(view, 8, 1), RangeError);
    assert.throws(() => b.random(view, 2 ** 32 - 1, 2), RangeError); // offset + length wraps 32 bits
    assert.throws(() => b.random(new Uint16Array(4) as unknown as Uint8Array, 0, 2), /Uint8Array or an ArrayBuffer/);
    assert.throws(() => b.random([1, 2] as unknown as Uint8Array, 0, 2), TypeError);
    assert.equal(b.random(view, 2, 4), 4);
    const all = new Uint8Array(ab);
    assert.deepEqual([...all.subarray(0, 6)], [0, 0, 0, 0, 0, 0]); // only view[2..6) = ab[6..10) written
    assert.deepEqual([...all.subarray(10)], [0, 0, 0, 0, 0, 0]);
    assert.ok(all.subarray(6, 10).some((x) => x !== 0));
    assert.equal(b.random(ab, 0, 16), 16);
    assert.equal(b.random(view, 8, 0), 0); // empty at the very end is fine
    assert.equal(b.random(Buffer.alloc(4), 0, 4), 4); // Buffer is a Uint8Array
  });

  test('file API: create, positioned I/O, size, truncate, sync, rename, remove', () => {
    const c = b.constants;
    const p = join(dir, 'rec');
    assert.equal(b.fileOpen(p, 0), -b.errno.ENOENT!);
    const h = E.check(b.fileOpen(p, c.FILE_WRITE | c.FILE_CREATE), 'open');
    assert.equal(b.filePwrite(h, 10, new TextEncoder().encode('hello'), 1, 3), 3); // "ell" at 10
    assert.equal(b.fileSize(h), 13);
    const r = new Uint8Array(8);
    assert.equal(b.filePread(h, 9, r, 0, 8), 4);
    assert.deepEqual([...r.subarray(0, 4)], [0, 0x65, 0x6c, 0x6c]);
    assert.equal(b.fileSync(h), 0);
    assert.equal(b.fileTruncate(h, 11), 0);
    assert.equal(b.fileSize(h), 11);
    assert.equal(b.close(h), 0);
    assert.equal(b.close(h), 0);
    assert.equal(b.fileSize(h), -b.errno.EBADF!);
    assert.deepEqual([...readFileSync(p)], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x65]);
    writeFileSync(join(dir, 'other'), 'x');
    assert.equal(b.fileRename(p, join(dir, 'other')), 0);
    assert.equal(existsSync(p), false);
    assert.equal(readFileSync(join(dir, 'other')).length, 11);
    assert.equal(b.fileRemove(join(dir, 'other')), 0);
    assert.equal(b.fileRemove(join(dir, 'other')), -b.errno.ENOENT!);
    assert.equal(b.fileOpen(p, c.FILE_TRUNC), -b.errno.EINVAL!);
    assert.equal(b.fileOpen(dir, 0), -b.errno.EISDIR!);
    assert.equal(E.name(b.fileOpen(join(dir, 'nodir', 'x'), c.FILE_WRITE | c.FILE_CREATE)), 'ENOENT');
  });

  test('handle table: EMFILE at MAX_FILE, freed by close', () => {
    const c = b.constants;
    const p = join(dir, 'many');
    writeFileSync(p, '');
    const hs: number[] = [];
    for (let i = 0; i < c.MAX_FILE; i++) hs.push(E.check(b.fileOpen(p, 0), 'open'));
    assert.equal(b.fileOpen(p, 0), -b.errno.EMFILE!);
    for (const h of hs) assert.equal(b.close(h), 0);
    const again = E.check(b.fileOpen(p, 0), 'open');
    assert.ok(!hs.includes(again)); // the slot is reused with a new generation
    b.close(again);
  });

  test('random and clock', () => {
    const a = new Uint8Array(32), z = new Uint8Array(32);
    b.random(a, 0, 32);
    b.random(z, 0, 32);
    assert.notDeepEqual(a, z);
    const t0 = b.clockMonotonicMs();
    const t1 = b.clockMonotonicMs();
    assert.ok(t0 > 0 && t1 >= t0);
  });

  test('watch / unwatch: argument checks and handles without fd', () => {
    assert.throws(() => b.watch!(1, 'f' as unknown as () => void), /watch: argument 2 must be a function/);
    assert.equal(b.watch!(12345, () => {}), -b.errno.EBADF!);
    assert.equal(b.unwatch!(12345), 0);
  });

  test('NativeErrors maps names both ways and keeps unknown values readable', () => {
    assert.equal(E.name(-b.errno.EIO!), 'EIO');
    assert.equal(E.code('ENOSPC'), -b.errno.ENOSPC!);
    assert.equal(E.name(-4242), 'E4242');
    assert.throws(() => E.code('ENOPE'), RangeError);
    assert.throws(() => E.check(-b.errno.EIO!, 'x'), (e: Error & { code?: string }) => e.name === 'PlatformError' && e.code === 'EIO');
    assert.equal(E.check(7, 'x'), 7);
  });
});
