/**
 * The omadm host's native UTF-8 conversions (host.c dmHost.utf8Decode / utf8EncodeInto) give the
 * portable results: target/quickjs/tests/utf8-cases.ts bundled with the QuickJS test shims and run by
 * `omadm --run` on the build machine and, statically linked, under qemu-aarch64 and qemu-arm (64-bit
 * and 32-bit size_t). Layer: node-only (child processes, QEMU).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, BUILD } from '../helpers/paths';
import { buildHostTestBundle, parseSummary, type PortableBundle } from './bundle';

const RUNTIMES = [
  { name: 'host', cmd: [join(BUILD, 'qjs', 'host', 'omadm')] },
  { name: 'aarch64', cmd: ['qemu-aarch64', join(BUILD, 'qjs', 'aarch64', 'omadm')] },
  { name: 'armhf', cmd: ['qemu-arm', join(BUILD, 'qjs', 'armhf', 'omadm')] },
];

let bundle: PortableBundle;

before(async () => {
  const targets = ['build/qjs/host/omadm', 'build/qjs/aarch64/omadm', 'build/qjs/armhf/omadm'];
  const mk = spawnSync('make', ['-s', '--no-print-directory', '-j2', ...targets], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(mk.status, 0, mk.stdout + mk.stderr);
  bundle = await buildHostTestBundle({ outFile: join(BUILD, 'qjs-tests', 'utf8-cases.mjs'), files: [join(ROOT, 'target', 'quickjs', 'tests', 'utf8-cases.ts')] });
});

for (const rt of RUNTIMES) {
  test(`${rt.name}: native UTF-8 equals the portable loops`, async () => {
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      execFile(rt.cmd[0]!, [...rt.cmd.slice(1), '--run', bundle.file], { timeout: 300_000, maxBuffer: 16 << 20 },
        (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, out: stdout + stderr }));
    });
    const s = parseSummary(r.out);
    assert.ok(s, r.out.slice(-4000));
    assert.equal(s.fail, 0, r.out.slice(-4000));
    assert.equal(s.pass, 4, r.out.slice(-4000));
    assert.equal(r.code, 0, r.out.slice(-4000));
  });
}
