/**
 * Name resolution off the event loop (native/core/tls resolver thread + target/quickjs/platform.ts),
 * against a DNS server that never answers. Each run happens in a private mount namespace
 * (`unshare -m`, root needed) where /etc/resolv.conf names 127.0.0.2 (a UDP socket of this process
 * that swallows every query, `options timeout:2 attempts:2`) and /etc/hosts maps a test name to
 * 127.0.0.1:
 * - target/quickjs/tests/dns-cases.ts inside the omadm host (build machine, qemu-aarch64, qemu-arm):
 *   timers keep firing while the lookup hangs, close() and the JS connect timeout act at once, the
 *   lookup ends in EDNS, /etc/hosts and numeric hosts connect to a TLS echo server (node:tls) here;
 * - `tls_test stall` (ASan/UBSan build): the lookup bound, close during the lookup without waiting,
 *   and no leak once the abandoned lookups end.
 * Skipped, with the reason, where `unshare -m` or binding 127.0.0.2:53 is refused.
 * Layer: node-only (namespaces, child processes, QEMU).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, BUILD } from '../helpers/paths';
import { makePki, type Pki } from '../native/tls-pki';
import { buildHostTestBundle, parseSummary } from '../quickjs/bundle';

const SILENT_NAME = 'dm.invalid-silent.example';
const HOSTS_NAME = 'dm.hosts-test.example';
const RUNTIMES = [
  { name: 'host', cmd: [join(BUILD, 'qjs', 'host', 'omadm')] },
  { name: 'aarch64', cmd: ['qemu-aarch64', join(BUILD, 'qjs', 'aarch64', 'omadm')] },
  { name: 'armhf', cmd: ['qemu-arm', join(BUILD, 'qjs', 'armhf', 'omadm')] },
];

interface Run { code: number | null; out: string }

/** Runs `cmd` in a new mount namespace with our resolv.conf and hosts bind-mounted over /etc's. */
function inNamespace(dir: string, cmd: string[], timeoutS = 120, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  const script = 'r=$1; h=$2; shift 2; mount --bind "$r" /etc/resolv.conf && mount --bind "$h" /etc/hosts && exec "$@"';
  return new Promise((resolve) => {
    execFile('timeout', [String(timeoutS), 'unshare', '-m', 'sh', '-c', script, 'sh',
      join(dir, 'resolv.conf'), join(dir, 'hosts'), ...cmd], { maxBuffer: 16 << 20, env },
    (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, out: stdout + stderr }));
  });
}

describe('name resolution does not block the QuickJS host', () => {
  let skip: string | null = null;
  let dir = '';
  let pki: Pki | undefined;
  let dns: UdpSocket | undefined;
  let queries = 0;
  let echo: Server | undefined;
  let port = 0;
  let bundle = '';

  before(async () => {
    const un = spawnSync('unshare', ['-m', 'sh', '-c', 'mount --bind /etc/hosts /etc/hosts'], { encoding: 'utf8' });
    if (un.status !== 0) { skip = `unshare -m is not permitted here: ${(un.stderr || un.error?.message || '').trim()}`; return; }
    dns = createSocket('udp4');
    dns.on('message', () => { queries++; }); // swallowed: never answered
    const bound = await new Promise<string | null>((res) => {
      dns!.once('error', (e) => res(String(e.message)));
      dns!.bind(53, '127.0.0.2', () => res(null));
    });
    if (bound !== null) { skip = `cannot bind the silent DNS server on 127.0.0.2:53: ${bound}`; return; }

    const targets = ['build/qjs/host/omadm', 'build/qjs/aarch64/omadm', 'build/qjs/armhf/omadm', 'build/tls/tls_test'];
    const mk = spawnSync('make', ['-s', '--no-print-directory', '-j2', ...targets], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(mk.status, 0, mk.stdout + mk.stderr);
    dir = mkdtempSync(join(tmpdir(), 'omadm-dns-'));
    writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.0.0.2\noptions timeout:2 attempts:2\n');
    writeFileSync(join(dir, 'hosts'), `127.0.0.1 localhost\n::1 localhost ip6-localhost\n127.0.0.1 ${HOSTS_NAME}\n`);
    pki = makePki();
    echo = createServer({ cert: readFileSync(pki.cert), key: readFileSync(pki.key) }, (s) => {
      s.on('error', () => {});
      s.pipe(s);
    });
    await new Promise<void>((res) => echo!.listen(0, '127.0.0.1', res));
    port = (echo.address() as { port: number }).port;
    bundle = (await buildHostTestBundle({ outFile: join(BUILD, 'qjs-tests', 'dns-cases.mjs'),
      files: [join(ROOT, 'target', 'quickjs', 'tests', 'dns-cases.ts')] })).file;
  });
  after(() => {
    dns?.close();
    echo?.close();
    pki?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('C core (ASan): DM_TLS_MAX_LOOKUPS bound, close during a lookup, no leak once the lookups end', async (t) => {
    if (skip) { t.skip(skip); return; }
    const r = await inNamespace(dir, [join(BUILD, 'tls', 'tls_test'), 'stall', SILENT_NAME], 120,
      { ...process.env, ASAN_OPTIONS: 'detect_leaks=1' });
    for (const line of r.out.split('\n')) if (line.startsWith('# stall')) t.diagnostic(line.slice(2));
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^PASSED: 0 failure\(s\)$/m);
    assert.equal((r.out.match(/^ok stall-/gm) ?? []).length, 7, r.out);
  });

  for (const rt of RUNTIMES) {
    test(`${rt.name}: timers run and close() returns while a lookup hangs; hosts/numeric names connect`, async (t) => {
      if (skip) { t.skip(skip); return; }
      if (!existsSync(rt.cmd[rt.cmd.length - 1]!)) { t.skip(`${rt.cmd.join(' ')} not built`); return; }
      const before = queries;
      const r = await inNamespace(dir, [...rt.cmd, '--run', bundle, join(dir, `st-${rt.name}`), pki!.ca, String(port), SILENT_NAME, HOSTS_NAME]);
      for (const line of r.out.split('\n')) if (/^# (dns-|127\.|dm\.)/.test(line)) t.diagnostic(line.slice(2));
      const s = parseSummary(r.out);
      assert.ok(s, r.out);
      assert.equal(s.fail, 0, r.out);
      assert.equal(s.pass, 5, r.out);
      assert.equal(r.code, 0, r.out);
      assert.ok(queries > before, 'the lookups reached the silent DNS server');
    });
  }
});
