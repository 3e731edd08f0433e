/**
 * Portable: the pure-TS flash fake (src/native/fake.ts) behind NativeFlash (src/native/Flash.ts) and
 * the errno mapping (src/native/errors.ts). The fake's equivalence with the native simulator is
 * checked separately (test/native/fake-parity.test.ts); here: the wrapper's contracts.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { PlatformError } from '../../../src/platform';
import { NativeFlash } from '../../../src/native/Flash';
import { NativeErrors } from '../../../src/native/errors';
import { FAKE_ERRNO, FakeFlashBinding, FakeFlashMedia, FakePowerCut } from '../../../src/native/fake';

const isCode = (code: string) => (e: unknown): boolean => e instanceof PlatformError && e.code === code;

function page(fill: number, n = 128): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

describe('NativeFlash over the fake', () => {
  test('a fresh sim image is erased; geometry comes back from info', () => {
    const b = new FakeFlashBinding();
    const f = NativeFlash.open(b, 'img', { kind: 'sim', eraseSize: 1024, pageSize: 128, size: 8192 });
    assert.deepEqual(f.info(), { kind: 'sim', size: 8192, eraseSize: 1024, pageSize: 128, verify: true, aligned: true, dead: false, simOps: 0 });
    assert.equal(f.blocks, 8);
    const all = new Uint8Array(8192);
    assert.equal(f.read(0, all), 8192);
    assert.ok(all.every((x) => x === 0xff));
    f.close();
  });

  test('NOR: only clearing bits is allowed; erase resets one block', () => {
    const b = new FakeFlashBinding();
    const f = NativeFlash.open(b, 'img', { kind: 'sim', eraseSize: 1024, pageSize: 128, size: 4096 });
    f.write(128, page(0x0f));
    f.write(128, page(0x03));
    assert.throws(() => f.write(128, page(0x07)), isCode('EIO'));
    const back = new Uint8Array(128);
    f.read(128, back);
    assert.deepEqual(back, page(0x03));
    f.write(1024, page(0x00));
    f.erase(0);
    f.read(128, back);
    assert.deepEqual(back, page(0xff));
    f.read(1024, back);
    assert.deepEqual(back, page(0x00));
    assert.equal(f.info().simOps, 3);
    f.close();
  });

  test('NAND: one program per page per erase', () => {
    const f = NativeFlash.open(new FakeFlashBinding(), 'n', { kind: 'sim-nand', eraseSize: 1024, pageSize: 256, size: 4096 });
    f.write(0, page(0xf0, 256));
    assert.throws(() => f.write(0, page(0x00, 256)), isCode('EIO'));
    f.erase(0);
    f.write(0, page(0x00, 256));
    f.close();
  });

  test('misuse throws RangeError/TypeError naming the argument', () => {
    const f = NativeFlash.open(new FakeFlashBinding(), 'img', { kind: 'sim', eraseSize: 1024, pageSize: 128, size: 4096 });
    assert.throws(() => f.write(10, page(0)), /page size/);
    assert.throws(() => f.write(0, new Uint8Array(2048)), /one erase block/);
    assert.throws(() => f.write(4096, page(0)), /exceeds the device size/);
    assert.throws(() => f.write(-128, page(0)), /offset/);
    assert.throws(() => f.erase(4), /block/);
    assert.throws(() => f.erase(1.5), /block/);
    assert.throws(() => f.read(5000, new Uint8Array(1)), /offset/);
    assert.throws(() => f.simFault({ nth: -1 }), /fault.nth/);
    assert.throws(() => NativeFlash.open(new FakeFlashBinding(), 'x', { kind: 'sim', size: -1 }), /opts.size/);
    assert.throws(() => NativeFlash.open(new FakeFlashBinding(), 'x', { kind: 'disk' as 'sim', size: 4096 }), TypeError);
    f.close();
    f.close();
    assert.throws(() => f.info(), TypeError);
    assert.throws(() => f.erase(0), /closed/);
  });

  test('open errors are PlatformErrors: geometry mismatch, missing file, unsupported kinds', () => {
    const media = new FakeFlashMedia();
    NativeFlash.open(new FakeFlashBinding(media), 'img', { kind: 'sim', eraseSize: 1024, pageSize: 128, size: 4096 }).close();
    assert.throws(() => NativeFlash.open(new FakeFlashBinding(media), 'img', { kind: 'sim', eraseSize: 1024, pageSize: 128, size: 8192 }), isCode('EINVAL'));
    assert.throws(() => NativeFlash.open(new FakeFlashBinding(media), 'new', { kind: 'sim' }), isCode('EINVAL'));
    assert.throws(() => NativeFlash.open(new FakeFlashBinding(media), 'nofile', { kind: 'file' }), isCode('ENOENT'));
    assert.throws(() => NativeFlash.open(new FakeFlashBinding(media), 'img', { kind: 'mtd' }), isCode('ENODEV'));
    assert.throws(() => NativeFlash.open(new FakeFlashBinding(media), 'img', { kind: 'block' }), isCode('ENODEV'));
  });

  test('handle table: EMFILE beyond MAX_FLASH; stale handles are EBADF and close stays idempotent', () => {
    const b = new FakeFlashBinding();
    const c = b.constants;
    const hs = [0, 1, 2, 3].map((i) => b.flashOpen(`d${i}`, c.FLASH_SIM, 1024, 128, 1024));
    assert.ok(hs.every((h) => h > 0));
    assert.equal(b.flashOpen('d9', c.FLASH_SIM, 1024, 128, 1024), -FAKE_ERRNO.EMFILE!);
    assert.equal(b.close(hs[1]!), 0);
    assert.equal(b.close(hs[1]!), 0);
    const again = b.flashOpen('d1', c.FLASH_SIM, 1024, 128, 0);
    assert.notEqual(again, hs[1]);
    assert.equal(b.flashSync(hs[1]!), -FAKE_ERRNO.EBADF!);
    assert.equal(b.close(hs[1]!), 0);
    assert.equal(b.flashSync(again), 0); // the stale close did not close the new handle
    assert.equal(b.close(12345), -FAKE_ERRNO.EBADF!);
    assert.throws(() => b.flashErase(again, -1), TypeError);
    assert.throws(() => b.flashRead(again, 0, new Uint8Array(4), 2, 4), RangeError);
  });

  test('power cut, exit mode: FakePowerCut unwinds the writer; the reboot sees the torn page', () => {
    const media = new FakeFlashMedia();
    const f = NativeFlash.open(new FakeFlashBinding(media), 'slot', { kind: 'sim', eraseSize: 1024, pageSize: 128, size: 2048 });
    const rec = new Uint8Array(512);
    for (let i = 0; i < 512; i++) rec[i] = i & 0x7f;
    f.simFault({ nth: 2, tearBytes: 5 });
    assert.throws(() => f.write(0, rec), (e: unknown) => e instanceof FakePowerCut && e.path === 'slot');
    // "reboot": a new binding over the same media
    const g = NativeFlash.open(new FakeFlashBinding(media), 'slot', { kind: 'sim', eraseSize: 1024, pageSize: 128 });
    const img = new Uint8Array(512);
    g.read(0, img);
    const want = new Uint8Array(512).fill(0xff);
    want.set(rec.subarray(0, 128 + 5));
    assert.deepEqual(img, want);
    g.close();
  });

  test('power cut, eio mode: the device is dead until reopened; erases can be torn too', () => {
    const media = new FakeFlashMedia();
    const b = new FakeFlashBinding(media);
    const f = NativeFlash.open(b, 's', { kind: 'sim', eraseSize: 1024, pageSize: 128, size: 2048 });
    f.write(1024, new Uint8Array(1024)); // block 1 all zero
    f.simFault({ nth: 1, tearBytes: 100, mode: 'eio', countErases: true });
    assert.throws(() => f.erase(1), isCode('EIO'));
    assert.equal(f.info().dead, true);
    assert.throws(() => f.read(0, new Uint8Array(1)), isCode('EIO'));
    assert.throws(() => f.write(0, page(0)), isCode('EIO'));
    assert.throws(() => f.sync(), isCode('EIO'));
    f.close();
    const img = media.image('s')!;
    assert.ok(img.subarray(1024, 1124).every((x) => x === 0xff));
    assert.ok(img.subarray(1124, 2048).every((x) => x === 0));
    const g = NativeFlash.open(b, 's', { kind: 'sim', eraseSize: 1024, pageSize: 128 });
    assert.equal(g.info().dead, false);
    g.simFault(null);
    g.close();
  });

  test('file kind: no rules, unaligned writes, erase fills 0xFF, simFault unsupported', () => {
    const f = NativeFlash.open(new FakeFlashBinding(), 'p', { kind: 'file', eraseSize: 4096, size: 8192 });
    f.write(3, Uint8Array.of(1, 2));
    f.write(3, Uint8Array.of(0xff));
    const b = new Uint8Array(4);
    f.read(2, b);
    assert.deepEqual([...b], [0, 0xff, 2, 0]);
    f.erase(0);
    f.read(2, b);
    assert.deepEqual([...b], [0xff, 0xff, 0xff, 0xff]);
    assert.throws(() => f.simFault({ nth: 1 }), isCode('ENOTSUP'));
    f.close();
  });
});

describe('NativeErrors', () => {
  const e = new NativeErrors(FAKE_ERRNO);
  test('maps -errno to names and back', () => {
    assert.equal(e.name(-5), 'EIO');
    assert.equal(e.name(-28), 'ENOSPC');
    assert.equal(e.name(-9999), 'E9999');
    assert.equal(e.code('ETIMEDOUT'), -110);
    assert.throws(() => e.code('EWHAT'), RangeError);
  });
  test('check passes results through and throws PlatformError with the code', () => {
    assert.equal(e.check(0, 'x'), 0);
    assert.equal(e.check(17, 'x'), 17);
    assert.throws(() => e.check(-2, 'open /x'), (err: unknown) => err instanceof PlatformError && err.code === 'ENOENT' && /open \/x/.test(err.message));
  });
  test('the first name wins for shared values', () => {
    const dup = new NativeErrors({ EAGAIN: 11, EWOULDBLOCK: 11 });
    assert.equal(dup.name(-11), 'EAGAIN');
  });
});
