/**
 * Node-only: flash through the addon (target/node/flash.ts → NativeFlash → native/core/flash.c).
 *  - simulated NOR/NAND: rules, alignment, typed errors;
 *  - power cuts in a child process armed by DM_FLASH_SIM_FAULT: exit status 86 at the cut, then the
 *    parent reopens the image and compares it with the state computed independently here, for every
 *    cut point of a small record write (crash-point sweep), with torn pages and torn erases;
 *  - the block backend on a real loop device (when losetup works), the file backend;
 *  - MTD: only when /dev/mtd0 exists (it does not on this machine kind: no MTD driver, no mtdram).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlatformError } from '../../src/platform';
import { findNativeAddon, loadNative } from '../../target/node/native';
import { openFlash, type NativeFlash } from '../../target/node/flash';

const addon = findNativeAddon();
const skip = addon === null ? 'needs `make native`' : false;
const isCode = (code: string) => (e: unknown): boolean => (e as PlatformError).name === 'PlatformError' && (e as PlatformError).code === code;

/** Deterministic page contents: page i of a record. */
function pageData(i: number, size: number): Uint8Array {
  const p = new Uint8Array(size);
  for (let k = 0; k < size; k++) p[k] = (i * 31 + k * 7 + 1) & 0xff;
  p[0] = i; // makes pages distinct
  return p;
}

describe('flash: simulated NOR/NAND through the addon', { skip }, () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'dm-flash-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('geometry, erase/write/read/sync, NOR rule violation is EIO', () => {
    const f = openFlash(join(dir, 'a.img'), { kind: 'sim', eraseSize: 4096, pageSize: 256, size: 65536 });
    try {
      assert.deepEqual(f.info(), { kind: 'sim', size: 65536, eraseSize: 4096, pageSize: 256, verify: true, aligned: true, dead: false, simOps: 0 });
      assert.equal(f.blocks, 16);
      const page = pageData(3, 256);
      f.write(4096 + 512, page);
      const back = new Uint8Array(256);
      assert.equal(f.read(4096 + 512, back), 256);
      assert.deepEqual(back, page);
      // setting a cleared bit again: EIO, nothing changes
      assert.throws(() => f.write(4096 + 512, new Uint8Array(256).fill(0xff)), isCode('EIO'));
      f.read(4096 + 512, back);
      assert.deepEqual(back, page);
      f.erase(1);
      f.read(4096 + 512, back);
      assert.ok(back.every((x) => x === 0xff));
      f.sync();
      assert.equal(f.info().simOps, 1);
    } finally {
      f.close();
    }
    assert.equal(readFileSync(join(dir, 'a.img')).length, 65536);
  });

  test('misuse is RangeError before any native call; closed devices are TypeError', () => {
    const f = openFlash(join(dir, 'b.img'), { kind: 'sim', eraseSize: 1024, pageSize: 128, size: 4096 });
    assert.throws(() => f.write(64, new Uint8Array(128)), RangeError);       // unaligned offset
    assert.throws(() => f.write(0, new Uint8Array(100)), RangeError);        // unaligned length
    assert.throws(() => f.write(0, new Uint8Array(2048)), /one erase block/); // too much for one call
    assert.throws(() => f.write(3968, new Uint8Array(256)), /exceeds the device size/);
    assert.throws(() => f.erase(4), RangeError);
    assert.throws(() => f.erase(-1), RangeError);
    assert.throws(() => f.read(4097, new Uint8Array(1)), RangeError);
    assert.throws(() => f.simFault({ nth: 0 }), RangeError);
    assert.equal(f.read(4000, new Uint8Array(200)), 96); // short read at the end
    f.close();
    f.close();
    assert.throws(() => f.read(0, new Uint8Array(1)), (e: Error) => e instanceof TypeError && /closed/.test(e.message));
  });

  test('open errors are PlatformErrors with errno codes', () => {
    assert.throws(() => openFlash(join(dir, 'b.img'), { kind: 'sim', eraseSize: 1024, pageSize: 128, size: 8192 }), isCode('EINVAL'));
    assert.throws(() => openFlash(join(dir, 'nope', 'x.img'), { kind: 'sim', size: 4096 }), isCode('ENOENT'));
    assert.throws(() => openFlash(join(dir, 'b.img'), { kind: 'block' }), isCode('ENODEV'));
    assert.throws(() => openFlash(join(dir, 'b.img'), { kind: 'mtd' }), isCode('ENODEV'));
    assert.throws(() => openFlash('/dev/null', { kind: 'mtd' }), isCode('ENOTTY'));
    assert.throws(() => openFlash(join(dir, 'b.img'), { kind: 'nor' as 'sim' }), TypeError);
  });

  test('NAND: one program per page per erase', () => {
    const f = openFlash(join(dir, 'n.img'), { kind: 'sim-nand', eraseSize: 2048, pageSize: 512, size: 8192 });
    try {
      const p = pageData(1, 512);
      f.write(512, p);
      const cleared = p.map((x) => x & 0x0f);
      assert.throws(() => f.write(512, cleared), isCode('EIO')); // only clears bits, still refused on NAND
      f.erase(0);
      f.write(512, cleared);
    } finally {
      f.close();
    }
  });

  test('in-process cut (eio mode): torn page, dead device, state kept for the "reboot"', () => {
    const path = join(dir, 'eio.img');
    const f = openFlash(path, { kind: 'sim', eraseSize: 1024, pageSize: 128, size: 4096 });
    const rec = new Uint8Array(512);
    for (let i = 0; i < 4; i++) rec.set(pageData(i, 128), i * 128);
    f.simFault({ nth: 3, tearBytes: 40, mode: 'eio' });
    assert.throws(() => f.write(0, rec), isCode('EIO'));
    assert.equal(f.info().dead, true);
    assert.throws(() => f.read(0, new Uint8Array(4)), isCode('EIO'));
    assert.throws(() => f.sync(), isCode('EIO'));
    f.close();
    const g = openFlash(path, { kind: 'sim', eraseSize: 1024, pageSize: 128 });
    const img = new Uint8Array(512);
    g.read(0, img);
    const want = new Uint8Array(512).fill(0xff);
    want.set(rec.subarray(0, 256 + 40));
    assert.deepEqual(img, want);
    g.close();
  });
});

/**
 * The child's job: a small "record write" on a fresh image — erase block 1, program 3 data pages,
 * then a header page last (the commit). Uses the raw binding so that the child is tiny.
 */
const CHILD = `
const b = require(process.argv[1]);
const c = b.constants;
const h = b.flashOpen(process.argv[2], c.FLASH_SIM, 1024, 128, 4096);
if (h < 0) process.exit(3);
const page = (i) => { const p = new Uint8Array(128); for (let k = 0; k < 128; k++) p[k] = (i * 31 + k * 7 + 1) & 0xff; p[0] = i; return p; };
if (b.flashErase(h, 1) !== 0) process.exit(4);
for (const i of [1, 2, 3, 0]) if (b.flashWrite(h, 1024 + i * 128, page(i), 0, 128) !== 128) process.exit(5);
if (b.flashSync(h) !== 0) process.exit(6);
process.exit(0);
`;

describe('flash: power cut in a child process (DM_FLASH_SIM_FAULT)', { skip }, () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'dm-cut-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Prepares an image whose block 1 holds old data (0x55), runs the child with `fault`, returns status + image. */
  function run(name: string, fault: string | null): { status: number | null; img: Uint8Array } {
    const path = join(dir, name);
    rmSync(path, { force: true });
    const f = openFlash(path, { kind: 'sim', eraseSize: 1024, pageSize: 128, size: 4096 });
    for (let p = 0; p < 8; p++) f.write(1024 + p * 128, new Uint8Array(128).fill(0x55));
    f.close();
    const env = { ...process.env };
    delete env['DM_FLASH_SIM_FAULT'];
    if (fault !== null) env['DM_FLASH_SIM_FAULT'] = fault;
    const r = spawnSync(process.execPath, ['-e', CHILD, addon!, path], { env, encoding: 'utf8', timeout: 30_000 });
    return { status: r.status, img: new Uint8Array(readFileSync(path)) };
  }

  /** The image expected when operation `nth` is torn after `tear` bytes (ops: erase?, pages 1,2,3,0). */
  function expected(nth: number, tear: number, countErases: boolean): Uint8Array {
    const img = new Uint8Array(4096).fill(0xff);
    img.fill(0x55, 1024, 2048);
    const eraseOp = (n: number): void => { img.fill(0xff, 1024, 1024 + n); };
    const pageOp = (i: number, n: number): void => { img.set(pageData(i, 128).subarray(0, n), 1024 + i * 128); };
    const all: ((n: number) => void)[] = [];
    if (countErases) all.push(eraseOp);
    else eraseOp(1024);
    for (const i of [1, 2, 3, 0]) all.push((n) => pageOp(i, n));
    all.forEach((op, k) => {
      if (nth === 0 || k + 1 < nth) op(k === 0 && countErases ? 1024 : 128);
      else if (k + 1 === nth) op(tear);
    });
    return img;
  }

  test('no fault: the child completes and the record is whole', () => {
    const { status, img } = run('ok.img', null);
    assert.equal(status, 0);
    assert.deepEqual(img, expected(0, 0, false));
  });

  test('every cut point of the record write, whole and torn pages', () => {
    const exitCode = loadNative().constants.SIM_EXIT_CODE;
    for (let nth = 1; nth <= 4; nth++) {
      for (const tear of [0, 1, 77, 127]) {
        const { status, img } = run(`p${nth}-${tear}.img`, `${nth},${tear}`);
        assert.equal(status, exitCode, `nth ${nth} tear ${tear}`);
        assert.deepEqual(img, expected(nth, tear, false), `image after a cut at op ${nth}, ${tear} bytes`);
      }
    }
    // beyond the last operation: never fires
    assert.equal(run('p9.img', '9').status, 0);
  });

  test('torn erase when erases are counted (flags 2)', () => {
    for (const tear of [0, 300]) {
      const { status, img } = run(`e-${tear}.img`, `1,${tear},2`);
      assert.equal(status, loadNative().constants.SIM_EXIT_CODE);
      assert.deepEqual(img, expected(1, tear, true));
    }
    const { status, img } = run('e-p2.img', '3,64,2'); // erase + page 1 done, page 2 torn
    assert.equal(status, loadNative().constants.SIM_EXIT_CODE);
    assert.deepEqual(img, expected(3, 64, true));
  });

  test('eio mode from the environment (flags 1): the child sees EIO instead of dying', () => {
    const { status } = run('eio-env.img', '2,0,1');
    assert.equal(status, 5); // flashWrite returned -EIO → the child's own exit(5)
  });

  test('a malformed DM_FLASH_SIM_FAULT makes the open fail (EINVAL), not silently run unarmed', () => {
    const { status } = run('bad-env.img', '2;0');
    assert.equal(status, 3);
  });
});

describe('flash: file backend', { skip }, () => {
  test('unaligned writes, bits can be set, erase fills 0xFF, size from the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dm-file-'));
    try {
      const path = join(dir, 'part.bin');
      const f = openFlash(path, { kind: 'file', eraseSize: 4096, size: 16384 });
      assert.equal(f.info().aligned, false);
      assert.equal(f.pageSize, 1);
      f.write(4099, Uint8Array.of(1, 2, 3));
      f.write(4099, Uint8Array.of(0xff));
      f.erase(2);
      f.sync();
      f.close();
      const bytes = readFileSync(path);
      assert.equal(bytes.length, 16384);
      assert.deepEqual([...bytes.subarray(4098, 4103)], [0, 0xff, 2, 3, 0]);
      assert.ok(bytes.subarray(8192, 12288).every((x) => x === 0xff));
      const g = openFlash(path, { kind: 'file', eraseSize: 4096 });
      assert.equal(g.size, 16384);
      assert.throws(() => g.simFault({ nth: 1 }), isCode('ENOTSUP'));
      g.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Attaches `img` to a free loop device; null when that is not possible here (not root, no loop driver). */
function attachLoop(img: string): string | null {
  try {
    const dev = execFileSync('losetup', ['-f', '--show', img], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dev.startsWith('/dev/loop') ? dev : null;
  } catch {
    return null;
  }
}

describe('flash: block backend on a loop device', { skip }, () => {
  test('BLKGETSIZE64 size, sector page size, erase and unaligned writes reach the backing file', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'dm-loop-'));
    const img = join(dir, 'emmc.img');
    writeFileSync(img, new Uint8Array(1 << 20));
    const dev = attachLoop(img);
    if (dev === null) {
      rmSync(dir, { recursive: true, force: true });
      t.skip('losetup not usable here (needs root and the loop driver)');
      return;
    }
    let f: NativeFlash | null = null;
    try {
      f = openFlash(dev, { kind: 'block', eraseSize: 65536 });
      const info = f.info();
      assert.equal(info.kind, 'block');
      assert.equal(info.size, 1 << 20);
      assert.equal(info.pageSize, 512); // logical sector size
      f.erase(3);
      f.write(65536 * 3 + 7, Uint8Array.of(9, 8, 7));
      const back = new Uint8Array(4);
      f.read(65536 * 3 + 6, back);
      assert.deepEqual([...back], [0xff, 9, 8, 7]);
      assert.throws(() => openFlash(dev, { kind: 'block', size: 2 << 20 }), isCode('ENOSPC'));
      f.sync();
      f.close();
      f = null;
    } finally {
      f?.close();
      execFileSync('losetup', ['-d', dev]);
    }
    const bytes = readFileSync(img);
    try {
      assert.ok(bytes.subarray(65536 * 3, 65536 * 3 + 7).every((x) => x === 0xff));
      assert.deepEqual([...bytes.subarray(65536 * 3 + 7, 65536 * 3 + 10)], [9, 8, 7]);
      assert.ok(bytes.subarray(65536 * 3 + 10, 65536 * 4).every((x) => x === 0xff));
      assert.ok(bytes.subarray(0, 65536 * 3).every((x) => x === 0));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('flash: MTD character device', {
  skip: skip || (!existsSync('/dev/mtd0') ? 'no /dev/mtd0 (no MTD driver or mtdram module on this machine): MTD code paths unexercised' : false),
}, () => {
  test('MEMGETINFO geometry, MEMERASE, aligned write with read-back', () => {
    const f = openFlash('/dev/mtd0', { kind: 'mtd' });
    try {
      const i = f.info();
      assert.equal(i.kind, 'mtd');
      assert.ok(i.verify && i.aligned);
      const last = f.blocks - 1;
      f.erase(last);
      const page = pageData(5, i.pageSize);
      f.write(last * i.eraseSize, page);
      const back = new Uint8Array(i.pageSize);
      f.read(last * i.eraseSize, back);
      assert.deepEqual(back, page);
      f.erase(last);
    } finally {
      f.close();
    }
  });
});
