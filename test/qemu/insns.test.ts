/**
 * The QEMU instruction-count plugin (target/cross/qemu-insncount.c, built against Debian's
 * qemu-plugin.h) through scripts/qemu-insns.sh: counts are exact and repeatable for a single-threaded
 * guest, grow linearly with the work done, and the program's exit status passes through.
 * Layer: node-only (QEMU).
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, BUILD } from '../helpers/paths';

const SCRIPT = join(ROOT, 'scripts', 'qemu-insns.sh');

function insns(arch: string, js: string): { count: number; out: string; code: number | null } {
  const r = spawnSync(SCRIPT, ['--timeout', '120', arch, join(BUILD, 'qjs', arch, 'qjs'), '--std', '-e', js], { encoding: 'utf8', timeout: 180_000 });
  const m = /^guest_insns (\d+)$/m.exec(r.stdout);
  return { count: m ? Number(m[1]) : NaN, out: r.stdout + r.stderr, code: r.status };
}

/** Small-integer work only (a sum beyond 2^31 would switch QuickJS to float math mid-way). */
const loop = (n: number): string => `let s = 0; for (let i = 0; i < ${n}; i++) s = (s + i) & 0xffff; print(s);`;

describe('QEMU guest instruction counting', () => {
  before(() => {
    const mk = spawnSync('make', ['-s', '--no-print-directory', 'qemu-insns', 'build/qjs/aarch64/qjs', 'build/qjs/armhf/qjs'],
      { cwd: ROOT, encoding: 'utf8' });
    assert.equal(mk.status, 0, mk.stdout + mk.stderr);
  });

  for (const arch of ['aarch64', 'armhf']) {
    test(`${arch}: repeatable and linear in the work`, () => {
      const a = insns(arch, loop(100_000));
      const b = insns(arch, loop(100_000));
      assert.equal(a.code, 0, a.out);
      assert.match(a.out, /^\d+$/m, 'the program ran');
      assert.ok(a.count > 1_000_000, a.out);
      assert.equal(a.count, b.count, 'single-threaded counts are exact');
      const c0 = insns(arch, loop(0)).count;
      const c2 = insns(arch, loop(200_000)).count;
      const d1 = a.count - c0;
      const d2 = c2 - a.count;
      assert.ok(d1 > 0 && Math.abs(d2 - d1) / d1 < 0.01, `per-100k-iteration cost ${d1} vs ${d2}`);
    });
  }

  test('the program\'s exit status passes through', () => {
    const r = insns('aarch64', 'std.exit(3)');
    assert.equal(r.code, 3, r.out);
    assert.ok(r.count > 0, r.out);
  });
});
