/**
 * Node-only, differential: the pure-TS fake (src/native/fake.ts) must behave exactly like the native
 * simulator (native/core/flash.c) so portable tests that use the fake test the real semantics.
 * Seeded random scripts of erase / write (valid and rule-breaking, aligned and not, in and out of
 * range) / read / info / sync / power cuts (eio mode) / reopen run against both; every result code,
 * every byte read and the final images must be identical.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlashBinding } from '../../src/native/binding';
import { FakeFlashBinding } from '../../src/native/fake';
import { findNativeAddon, loadNative } from '../../target/node/native';

const skip = findNativeAddon() === null ? 'needs `make native`' : false;

/** xorshift32, seeded. */
function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n: number): number => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x % n;
  };
}

const GEOMETRY = { erase: 512, page: 64, size: 4096 };

function runScript(kindName: 'sim' | 'sim-nand' | 'file', seed: number, dir: string): void {
  const real: FlashBinding = loadNative();
  const fake = new FakeFlashBinding();
  const c = real.constants;
  const kind = { sim: c.FLASH_SIM, 'sim-nand': c.FLASH_SIM_NAND, file: c.FLASH_FILE }[kindName];
  const path = join(dir, `${kindName}-${seed}.img`);
  const page = kindName === 'file' ? 1 : GEOMETRY.page;
  const r = rng(seed);
  const open = (b: FlashBinding, size: number): number => b.flashOpen(path, kind, GEOMETRY.erase, page, size);
  let hr = open(real, GEOMETRY.size);
  let hf = open(fake, GEOMETRY.size);
  assert.ok(hr > 0 && hf > 0, `open ${hr} ${hf}`);
  const log: string[] = [];
  const same = (what: string, a: number, b: number): void => {
    log.push(`${what} → ${a}`);
    assert.equal(b, a, `${kindName} seed ${seed}: ${what}: native ${a}, fake ${b}\n${log.slice(-12).join('\n')}`);
  };
  for (let step = 0; step < 300; step++) {
    const op = r(100);
    if (op < 15) {
      const block = r(GEOMETRY.size / GEOMETRY.erase + 2);
      same(`erase(${block})`, real.flashErase(hr, block), fake.flashErase(hf, block));
    } else if (op < 55) {
      const aligned = r(5) !== 0;
      const offset = aligned ? GEOMETRY.page * r(GEOMETRY.size / GEOMETRY.page + 2) : r(GEOMETRY.size + 100);
      const len = aligned ? GEOMETRY.page * r(GEOMETRY.erase / GEOMETRY.page + 2) : r(GEOMETRY.erase + 100);
      const data = new Uint8Array(len);
      const old = new Uint8Array(len);
      fake.flashRead(hf, Math.min(offset, GEOMETRY.size), old, 0, Math.min(len, Math.max(0, GEOMETRY.size - offset)));
      const valid = r(3) !== 0; // mostly writes that only clear bits
      for (let i = 0; i < len; i++) data[i] = valid ? (old[i] ?? 0xff) & r(256) : r(256);
      same(`write(${offset}, ${len}, ${valid ? 'clearing' : 'random'})`,
        real.flashWrite(hr, offset, data, 0, len), fake.flashWrite(hf, offset, data, 0, len));
    } else if (op < 75) {
      const offset = r(GEOMETRY.size + 20);
      const len = r(600);
      const a = new Uint8Array(len), b = new Uint8Array(len);
      same(`read(${offset}, ${len})`, real.flashRead(hr, offset, a, 0, len), fake.flashRead(hf, offset, b, 0, len));
      assert.deepEqual(b, a, `read(${offset}, ${len}) bytes`);
    } else if (op < 82) {
      const a = new Uint8Array(24), b = new Uint8Array(24);
      same('info', real.flashInfo(hr, a, 0, 24), fake.flashInfo(hf, b, 0, 24));
      assert.deepEqual(b, a, 'info bytes');
    } else if (op < 87) {
      same('sync', real.flashSync(hr), fake.flashSync(hf));
    } else if (op < 93) {
      const nth = 1 + r(6), tear = r(80), flags = c.SIM_FAULT_EIO | (r(2) ? c.SIM_FAULT_ERASE : 0); // never exit mode here
      same(`simFault(${nth}, ${tear}, ${flags})`, real.flashSimFault(hr, nth, tear, flags), fake.flashSimFault(hf, nth, tear, flags));
    } else {
      same('close', real.close(hr), fake.close(hf));
      hr = open(real, 0);
      hf = open(fake, 0);
      assert.ok(hr > 0 && hf > 0, `reopen ${hr} ${hf}`);
      log.push('reopen');
    }
  }
  same('close', real.close(hr), fake.close(hf));
  same('close again', real.close(hr), fake.close(hf));
  assert.deepEqual(fake.media.image(path)!.subarray(0, GEOMETRY.size), new Uint8Array(readFileSync(path)).subarray(0, GEOMETRY.size),
    `${kindName} seed ${seed}: final images differ`);
}

describe('fake flash ≡ native simulator', { skip }, () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'dm-parity-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const kind of ['sim', 'sim-nand', 'file'] as const) {
    test(`${kind}: 20 seeded scripts of 300 operations`, () => {
      for (let seed = 1; seed <= 20; seed++) runScript(kind, seed * 7919 + kind.length, dir);
    });
  }

  test('open paths agree too (geometry errors, missing files, unsupported kinds)', () => {
    const real = loadNative();
    const fake = new FakeFlashBinding();
    const c = real.constants;
    const p = join(dir, 'o.img');
    const cases: [number, number, number, number][] = [
      [c.FLASH_SIM, 1024, 128, 0], [c.FLASH_SIM, 1024, 128, 1500], [c.FLASH_SIM, 1000, 128, 4096],
      [c.FLASH_SIM, 1024, 128, 4096], [c.FLASH_SIM, 1024, 128, 8192], [c.FLASH_SIM, 1024, 128, 0],
      [c.FLASH_FILE, 4096, 0, 0], [9, 0, 0, 0], [c.FLASH_SIM, c.FLASH_MAX_ERASE * 2, 0, 0],
    ];
    for (const [kind, erase, page, size] of cases) {
      const a = real.flashOpen(p, kind, erase, page, size);
      const b = fake.flashOpen(p, kind, erase, page, size);
      assert.equal(a > 0, b > 0, `open(${kind}, ${erase}, ${page}, ${size}): ${a} vs ${b}`);
      if (a <= 0) assert.equal(b, a, `open(${kind}, ${erase}, ${page}, ${size})`);
      if (a > 0) { real.close(a); fake.close(b); }
    }
    assert.equal(fake.flashOpen(join(dir, 'missing'), c.FLASH_FILE, 4096, 0, 0), real.flashOpen(join(dir, 'missing'), c.FLASH_FILE, 4096, 0, 0));
  });
});
