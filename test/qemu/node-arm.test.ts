/**
 * Node on ARM, the second runtime: Debian's node 18 for arm64 and armhf, unpacked into a sysroot from
 * Debian .debs (target/cross/sysroot.sh; `make sysroot ARCH=…`), runs under qemu-aarch64 / qemu-arm
 * with -L. The portable unit tests, bundled into one module with the real node:test and node:assert,
 * must all pass there. (The cross-built N-API addon is loaded by that same node in
 * test/native/cross.test.ts.) Layer: node-only (child processes, QEMU).
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, BUILD } from '../helpers/paths';
import { buildPortableNodeBundle, type PortableBundle } from '../quickjs/bundle';

const ARCHS = [
  { arch: 'aarch64', qemu: 'qemu-aarch64', nodeArch: 'arm64' },
  { arch: 'armhf', qemu: 'qemu-arm', nodeArch: 'arm' },
];
/** Bound on one node process under QEMU (P6): a hang guard, generous for loaded machines. */
const RUN_TIMEOUT_S = 1800;

function runNode(qemu: string, arch: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const sysroot = join(BUILD, 'sysroot', arch);
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT; // a fresh runner inside QEMU, not a child of ours
    delete env.NODE_OPTIONS;
    const p = spawn('timeout', [String(RUN_TIMEOUT_S), qemu, '-L', sysroot, join(sysroot, 'usr', 'bin', 'node'), ...args],
      { stdio: ['ignore', 'pipe', 'pipe'], env, cwd: ROOT });
    let out = '';
    // decode as a stream: a multi-byte UTF-8 character may span two chunks
    p.stdout.setEncoding('utf8');
    p.stderr.setEncoding('utf8');
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('close', (code) => resolve({ code, out }));
  });
}

describe('Debian node on ARM under QEMU', () => {
  let bundle: PortableBundle;
  /** The suite runs per arch, started together once the bundle exists. */
  const suites = new Map<string, Promise<{ code: number | null; out: string }>>();
  before(async () => {
    const mk = spawnSync('make', ['-s', '--no-print-directory', ...ARCHS.map((a) => `build/sysroot/${a.arch}/.stamp-node`)],
      { cwd: ROOT, encoding: 'utf8' });
    assert.equal(mk.status, 0, mk.stdout + mk.stderr);
    bundle = await buildPortableNodeBundle({ outFile: join(BUILD, 'qjs-tests', 'portable.node.mjs') });
    // run the file directly: `node --test` would spawn a child node, and without binfmt_misc a child
    // process of an emulated program cannot be an ARM binary (toolchain.md P12)
    if (bundle.included.length > 0) for (const a of ARCHS) suites.set(a.arch, runNode(a.qemu, a.arch, [bundle.file]));
  });

  for (const { arch, qemu, nodeArch } of ARCHS) {
    test(`${arch}: node reports ${nodeArch} and N-API 8+`, async () => {
      const r = await runNode(qemu, arch, ['-p', 'process.arch + " " + process.version + " napi " + process.versions.napi']);
      assert.equal(r.code, 0, r.out);
      const m = /^(\S+) v(\d+)\.\d+\.\d+ napi (\d+)$/m.exec(r.out);
      assert.ok(m, r.out);
      assert.equal(m[1], nodeArch);
      assert.ok(Number(m[2]) >= 18 && Number(m[3]) >= 8, r.out);
    });

    test(`${arch}: portable unit tests pass on node under ${qemu}`, async (t) => {
      if (bundle.included.length === 0) { t.skip('no portable tests yet'); return; }
      const r = await suites.get(arch)!;
      const pass = /^# pass (\d+)$/m.exec(r.out);
      const fail = /^# fail (\d+)$/m.exec(r.out);
      assert.ok(pass && fail, `no TAP summary (exit ${r.code}):\n${r.out.slice(-4000)}`);
      t.diagnostic(`${bundle.included.length} files: ${pass[1]} pass, ${fail[1]} fail`);
      assert.equal(Number(fail[1]), 0, r.out.split('\n').filter((l) => /not ok|error:|expected|actual/.test(l)).join('\n').slice(0, 6000));
      assert.ok(Number(pass[1]) > 0);
      assert.equal(r.code, 0);
    });
  }
});
