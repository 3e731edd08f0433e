/**
 * The QuickJS heap's small-block pool (target/quickjs/qjs_pool.h, used by the allocator hooks of
 * target/quickjs/host.c): its C unit test (target/quickjs/tests/pool_test.c) with ASan + UBSan on the
 * build machine and statically linked under qemu-aarch64 and qemu-arm (64-bit and 32-bit page
 * headers); ASan reports a use after free and an overflow of a pool block; and the omadm host itself
 * (the ASan + UBSan build, the host build, aarch64 and armhf) runs target/quickjs/tests/heap-cases.ts
 * under a 3 MiB limit: contents kept through realloc between classes and malloc, pages given back
 * after garbage, high-water never above the limit; and the
 * ASan build runs `omadm selftest` without a report or a leak.
 * Layer: node-only (child processes, QEMU).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, BUILD } from '../helpers/paths';
import { buildHostTestBundle, parseSummary, type PortableBundle } from './bundle';

const QJS = join(BUILD, 'qjs');
const UNIT = [
  { name: 'host (ASan + UBSan)', cmd: [join(QJS, 'pooltest', 'pool_test')] },
  { name: 'aarch64', cmd: ['qemu-aarch64', join(QJS, 'pooltest', 'pool_test-aarch64')] },
  { name: 'armhf', cmd: ['qemu-arm', join(QJS, 'pooltest', 'pool_test-armhf')] },
];
const HOSTS = [
  { name: 'host (ASan + UBSan)', cmd: [join(QJS, 'asan', 'omadm')] },
  { name: 'host', cmd: [join(QJS, 'host', 'omadm')] },
  { name: 'aarch64', cmd: ['qemu-aarch64', join(QJS, 'aarch64', 'omadm')] },
  { name: 'armhf', cmd: ['qemu-arm', join(QJS, 'armhf', 'omadm')] },
];
/** The unit test frees everything (leaks are errors); the QuickJS runner ends with std.exit, which frees nothing. */
const sanEnv = (leaks: boolean) => ({ ...process.env, ASAN_OPTIONS: `detect_leaks=${leaks ? 1 : 0}`, UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' });

let bundle: PortableBundle;

before(async () => {
  const targets = ['qjs-pool-test', ...HOSTS.slice(1).map((h) => h.cmd[h.cmd.length - 1]!.slice(ROOT.length + 1))];
  const mk = spawnSync('make', ['-s', '--no-print-directory', '-j2', ...targets], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(mk.status, 0, mk.stdout + mk.stderr);
  bundle = await buildHostTestBundle({ outFile: join(BUILD, 'qjs-tests', 'heap-cases.mjs'), files: [join(ROOT, 'target', 'quickjs', 'tests', 'heap-cases.ts')] });
});

function run(cmd: string[], args: string[], leaks = true): Promise<{ code: number | null; out: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile(cmd[0]!, [...cmd.slice(1), ...args], { timeout: 300_000, maxBuffer: 16 << 20, env: sanEnv(leaks) },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, out: stdout + stderr, stdout }));
  });
}

for (const u of UNIT) {
  test(`${u.name}: pool unit test`, async () => {
    const r = await run(u.cmd, []);
    assert.equal(r.code, 0, r.out);
    assert.match(r.stdout, /^\d+ passed, 0 failed$/m, r.out);
    assert.doesNotMatch(r.out, /AddressSanitizer|runtime error/, r.out);
  });
}

for (const mode of ['uaf', 'overflow']) {
  test(`host (ASan): ${mode === 'uaf' ? 'a write to a freed' : 'a read past the end of a'} pool block is reported`, async () => {
    const r = await run(UNIT[0]!.cmd, [mode]);
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /ERROR: AddressSanitizer: use-after-poison/, r.out);
    assert.doesNotMatch(r.stdout, /no report/, r.out);
  });
}

for (const h of HOSTS) {
  test(`${h.name}: the omadm heap under a 3 MiB limit (target/quickjs/tests/heap-cases.ts)`, async () => {
    const r = await run(h.cmd, ['--memory-limit', '3M', '--run', bundle.file], false);
    const tail = r.out.slice(-4000);
    const s = parseSummary(r.out);
    assert.ok(s, tail);
    assert.equal(s.fail, 0, tail);
    assert.equal(s.pass, 4, tail);
    assert.equal(r.code, 0, tail);
    assert.doesNotMatch(r.out, /AddressSanitizer|runtime error/, tail);
  });
}

test('host (ASan + UBSan): omadm selftest runs clean, and ends without a leak', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omadm-pool-'));
  try {
    const r = await run(HOSTS[0]!.cmd, ['--mem-report', 'selftest', '--storage', join(dir, 'st')]);
    assert.equal(r.code, 0, r.out.slice(-4000));
    assert.match(r.stdout, /selftest: \d+ passed, 0 failed/, r.out.slice(-4000));
    assert.doesNotMatch(r.out, /AddressSanitizer|LeakSanitizer|runtime error/, r.out.slice(-4000));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
