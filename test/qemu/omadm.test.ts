/**
 * The omadm QuickJS host (target/quickjs: host.c + bytecode + dm_native + mbedtls) on the build machine
 * and, statically linked, under qemu-aarch64 and qemu-arm: selftest, HTTPS downloads through mbedtls
 * against `openssl s_server` with a PKI made at test time (1 MiB body under a 1 MiB JS heap limit,
 * SHA-256 checked with node:crypto), certificate failures (wrong CA, expired, wrong name), plain HTTP,
 * and the host's contract (exit codes, unhandled rejections, heap limit, dm_native argument checks).
 * Layer: node-only (child processes, QEMU, openssl).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, BUILD } from '../helpers/paths';
import { makePki, startPlainHttp, startSServer, type Pki, type SServer } from '../native/tls-pki';

const RUNTIMES = [
  { name: 'host', cmd: [join(BUILD, 'qjs', 'host', 'omadm')] },
  { name: 'aarch64', cmd: ['qemu-aarch64', join(BUILD, 'qjs', 'aarch64', 'omadm')] },
  { name: 'armhf', cmd: ['qemu-arm', join(BUILD, 'qjs', 'armhf', 'omadm')] },
];
const HOST = RUNTIMES[0]!.cmd;

interface Run { code: number | null; out: string; stdout: string; maxRssKb: number }

/** Runs under `timeout` (P6) and /usr/bin/time (peak RSS of the process: for QEMU, emulator included). */
function run(cmd: string[], args: string[], timeoutS = 120): Promise<Run> {
  return new Promise((resolve) => {
    execFile('timeout', [String(timeoutS), '/usr/bin/time', '-f', 'maxrss_kb %M', ...cmd, ...args], { maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const m = /maxrss_kb (\d+)/.exec(stderr);
        resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, out: stdout + stderr, stdout, maxRssKb: m ? Number(m[1]) : 0 });
      });
  });
}

describe('omadm QuickJS host', () => {
  let pki: Pki;
  let good: SServer;
  let expired: SServer;
  let work: string;
  const body = new Uint8Array(randomBytes(1 << 20));
  const sha = createHash('sha256').update(body).digest('hex');

  before(async () => {
    const targets = ['build/qjs/host/omadm', 'build/qjs/aarch64/omadm', 'build/qjs/armhf/omadm'];
    const mk = spawnSync('make', ['-s', '--no-print-directory', '-j2', ...targets], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(mk.status, 0, mk.stdout + mk.stderr);
    pki = makePki();
    writeFileSync(join(pki.dir, 'big.bin'), body);
    good = await startSServer(pki.dir, pki.cert, pki.key);
    expired = await startSServer(pki.dir, pki.expired, pki.key);
    work = mkdtempSync(join(tmpdir(), 'omadm-qjs-'));
  });
  after(() => {
    good?.stop();
    expired?.stop();
    pki?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  for (const rt of RUNTIMES) {
    describe(rt.name, () => {
      test('selftest passes', async () => {
        const r = await run(rt.cmd, ['selftest', '--storage', join(work, `st-${rt.name}`)]);
        assert.equal(r.code, 0, r.out);
        assert.match(r.out, /^selftest: \d+ passed, 0 failed/m);
        assert.doesNotMatch(r.out, /^FAIL/m);
      });

      test('HTTPS download of 1 MiB streams into storage: the heap grows by less than 64 KiB', async (t) => {
        // the loaded client alone (bytecode + module init) sets the baseline high-water
        const base = await run(rt.cmd, ['--mem-report', 'version']);
        const baseline = Number(/high-water (\d+) B/.exec(base.out)?.[1]);
        assert.ok(baseline > 0, base.out);
        const limit = baseline + 65536;
        const dir = join(work, `dl-${rt.name}`);
        const r = await run(rt.cmd, ['--memory-limit', String(limit), '--mem-report', 'tls-get', `https://localhost:${good.port}/big.bin`,
          '--ca', pki.ca, '--storage', dir, '--out', 'big.bin'], 300);
        assert.equal(r.code, 0, r.out);
        assert.match(r.stdout, /^status 200$/m);
        assert.match(r.stdout, new RegExp(`^bytes ${body.length}$`, 'm'));
        assert.match(r.stdout, new RegExp(`^sha256 ${sha}$`, 'm'));
        assert.equal(createHash('sha256').update(readFileSync(join(dir, 'big.bin'))).digest('hex'), sha, 'stored blob');
        const peak = Number(/^heap-peak (\d+)$/m.exec(r.stdout)?.[1]);
        assert.ok(peak > 0 && peak <= limit, `heap high-water ${peak}`);
        t.diagnostic(`JS heap high-water: loaded client ${baseline} B, with the 1 MiB download ${peak} B (+${peak - baseline} B, ` +
          `hard limit ${limit} B); process peak RSS ${r.maxRssKb} KiB${rt.name === 'host' ? '' : ' (QEMU included)'}`);
      });

      test('certificate failures: wrong CA, expired, wrong host name', async () => {
        const cases: [string[], string][] = [
          [[`https://localhost:${good.port}/big.bin`, '--ca', pki.wrongCa], 'ECERTUNTRUSTED'],
          [[`https://localhost:${expired.port}/big.bin`, '--ca', pki.ca], 'ECERTEXPIRED'],
          [[`https://127.0.0.1:${good.port}/big.bin`, '--ca', pki.ca, '--servername', 'dm.example.com'], 'ECERTNAME'],
        ];
        for (const [args, code] of cases) {
          const r = await run(rt.cmd, ['tls-get', ...args, '--storage', work]);
          assert.equal(r.code, 3, r.out);
          assert.match(r.out, new RegExp(`omadm: error ${code}:`), r.out);
        }
      });

      test('plain HTTP (tcp) download', async () => {
        const small = new Uint8Array(randomBytes(100_000));
        const srv = await startPlainHttp(small);
        try {
          const r = await run(rt.cmd, ['tls-get', `http://127.0.0.1:${srv.port}/x`, '--storage', work]);
          assert.equal(r.code, 0, r.out);
          assert.match(r.stdout, new RegExp(`^bytes ${small.length}$`, 'm'));
          assert.match(r.stdout, new RegExp(`^sha256 ${createHash('sha256').update(small).digest('hex')}$`, 'm'));
        } finally {
          srv.stop();
        }
      });
    });
  }

  describe('host contract', () => {
    const script = (name: string, text: string): string => {
      const f = join(work, name);
      writeFileSync(f, text);
      return f;
    };

    test('bad options exit 2, version prints', async () => {
      assert.equal((await run(HOST, ['--memory-limit', 'lots'])).code, 2);
      assert.equal((await run(HOST, ['--run'])).code, 2);
      assert.equal((await run(HOST, ['no-such-command'])).code, 2);
      const v = await run(HOST, ['version']);
      assert.equal(v.code, 0);
      assert.match(v.stdout, /^omadm \d+\.\d+\.\d+ \(QuickJS 2021-03-27\)$/m);
    });

    test('an unhandled rejection makes the exit status 1; a handled one does not', async () => {
      const bad = await run(HOST, ['--run', script('rej.mjs', "Promise.reject(new Error('boom'));\n")]);
      assert.equal(bad.code, 1);
      assert.match(bad.out, /unhandled promise rejection: Error: boom/);
      const late = await run(HOST, ['--run', script('late.mjs', "const p = Promise.reject(new Error('x'));\nPromise.resolve().then(() => p.catch(() => {}));\n")]);
      assert.equal(late.code, 0, late.out);
    });

    test('exceptions and exit codes', async () => {
      assert.equal((await run(HOST, ['--run', script('throw.mjs', "throw new TypeError('top');\n")])).code, 1);
      assert.equal((await run(HOST, ['--run', script('code.mjs', 'dmHost.setExitCode(7);\n')])).code, 7);
      assert.equal((await run(HOST, ['--run', script('exit.mjs', "import * as os from 'os';\nos.setTimeout(() => dmHost.exit(9), 1);\n")])).code, 9);
    });

    test('the heap limit is enforced: out of memory is an error exit, not a crash', async () => {
      const r = await run(HOST, ['--memory-limit', '2M', '--run', script('oom.mjs', 'const a = []; for (;;) a.push(new Array(1000).fill(1));\n')]);
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /out of memory/i);
      const tiny = await run(HOST, ['--memory-limit', '16k', 'version']);
      assert.equal(tiny.code, 1, tiny.out);
    });

    test('the memory limit can be tightened from JS and the high-water mark is reported', async () => {
      const r = await run(HOST, ['--mem-report', '--run', script('mem.mjs', [
        'const u = dmHost.memoryUsage();',
        "if (!(u.used > 0 && u.peak >= u.used && u.limit === 0)) throw new Error('usage ' + JSON.stringify(u));",
        'dmHost.setMemoryLimit(u.used + 65536);',
        "let caught = '';",
        'try { new Uint8Array(1 << 20).fill(1); } catch (e) { caught = String(e); }',
        "if (!/out of memory/i.test(caught)) throw new Error('limit not enforced: ' + caught);",
        'dmHost.setMemoryLimit(0);',
        'new Uint8Array(1 << 20);',
        "print('peak', dmHost.memoryUsage().peak);",
      ].join('\n'))]);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /heap used \d+ B in \d+ allocations, high-water \d+ B, limit none/);
      assert.ok(Number(/^peak (\d+)/m.exec(r.stdout)?.[1]) > 1 << 20, 'peak includes the 1 MiB array');
    });

    test('dm_native: module shape, argument checks and TLS handles', async () => {
      const r = await run(HOST, ['--run', script('native.mjs', `
import * as n from 'dm_native';
const out = [];
const expectThrow = (name, f, cls) => { try { f(); out.push(name + ': no throw'); } catch (e) { if (!(e instanceof cls)) out.push(name + ': ' + e); } };
if (n.constants.ABI !== 1 || n.constants.MAX_TLS !== 4 || n.constants.TLS_WANT_WRITE !== 2) out.push('constants');
if (n.errno.ECERTUNTRUSTED !== 4001 || n.errno.ECONNREFUSED !== 111 || n.errno.EHOSTUNREACH === undefined) out.push('errno');
expectThrow('u32 negative', () => n.tlsStep(-1), TypeError);
expectThrow('u32 fraction', () => n.tlsStep(1.5), TypeError);
expectThrow('u32 string', () => n.tlsStep('1'), TypeError);
expectThrow('u32 missing', () => n.tlsStep(), TypeError);
expectThrow('str type', () => n.tlsOpen(1, 80, '', '', 0), TypeError);
expectThrow('str NUL', () => n.tlsOpen('a\\0b', 80, '', '', 0), TypeError);
expectThrow('str long', () => n.tlsOpen('a'.repeat(2000), 80, '', '', 0), RangeError);
expectThrow('buf type', () => n.random([1, 2], 0, 2), TypeError);
expectThrow('buf u16', () => n.random(new Uint16Array(4), 0, 2), TypeError);
expectThrow('buf overflow', () => n.random(new Uint8Array(4), 1, 4), RangeError);
const sub = new Uint8Array(8).subarray(4);
if (n.random(sub, 0, 4) !== 4 || n.random(new ArrayBuffer(3), 0, 3) !== 3) out.push('random');
if (n.tlsStep(0) !== -n.errno.EBADF || n.tlsClose(0) !== -n.errno.EBADF) out.push('bad handle');
if (n.tlsOpen('localhost', 443, '', '', 1) !== -n.errno.EINVAL) out.push('tls without CA must be EINVAL');
if (n.tlsOpen('localhost', 443, '', '/nonexistent.pem', 1) !== -n.errno.ECAFILE) out.push('missing CA');
const hs = [];
for (let i = 0; i < 4; i++) hs.push(n.tlsOpen('127.0.0.1', 1, '', '', 0));
if (!hs.every((h) => h > 0)) out.push('open 4: ' + hs);
if (n.tlsOpen('127.0.0.1', 1, '', '', 0) !== -n.errno.EMFILE) out.push('5th open must be EMFILE');
if (n.tlsClose(hs[0]) !== 0 || n.tlsClose(hs[0]) !== 0 || n.tlsStep(hs[0]) !== -n.errno.EBADF) out.push('close idempotent / stale');
const again = n.tlsOpen('127.0.0.1', 1, '', '', 0);
if (!(again > 0) || again === hs[0] || n.tlsStep(hs[0]) !== -n.errno.EBADF) out.push('slot reuse must change the handle');
print(out.length ? 'PROBLEMS ' + out.join('; ') : 'native ok');
`)]);
      assert.equal(r.code, 0, r.out);
      assert.match(r.stdout, /^native ok$/m, r.out);
    });
  });
});
