/**
 * The QuickJS Platform (target/quickjs/platform.ts) inside the real host: the cases of
 * target/quickjs/tests/platform-cases.ts bundled with the QuickJS test shims and run by
 * `build/qjs/host/omadm --run`, against a silent TCP peer started here. Layer: node-only.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, BUILD } from '../helpers/paths';
import { makePki, type Pki } from '../native/tls-pki';
import { buildHostTestBundle, parseSummary } from './bundle';

let silent: Server;
const socks: Socket[] = [];
let pki: Pki;
let dir: string;

before(async () => {
  const mk = spawnSync('make', ['-s', '--no-print-directory', 'build/qjs/host/omadm'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(mk.status, 0, mk.stdout + mk.stderr);
  silent = createServer((s) => { socks.push(s); s.on('error', () => {}); });
  await new Promise<void>((res) => silent.listen(0, '127.0.0.1', res));
  pki = makePki();
  dir = mkdtempSync(join(tmpdir(), 'omadm-qjs-platform-'));
});
after(() => {
  for (const s of socks) s.destroy();
  silent?.close();
  pki?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('QuickJS platform cases pass inside the omadm host', async () => {
  const b = await buildHostTestBundle({ outFile: join(BUILD, 'qjs-tests', 'platform-cases.mjs'), files: [join(ROOT, 'target', 'quickjs', 'tests', 'platform-cases.ts')] });
  const port = (silent.address() as AddressInfo).port;
  const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
    import('node:child_process').then(({ execFile }) => execFile(join(BUILD, 'qjs', 'host', 'omadm'),
      ['--run', b.file, String(port), join(dir, 'store'), pki.ca], { timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, out: stdout + stderr })));
  });
  const s = parseSummary(r.out);
  assert.ok(s, r.out);
  assert.equal(s.fail, 0, r.out);
  assert.ok(s.pass >= 12, r.out);
  assert.equal(r.code, 0, r.out);
});
