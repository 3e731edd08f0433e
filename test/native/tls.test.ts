/**
 * native/core/tls against real peers: the C unit checks (ASan/UBSan build), then `openssl s_server`
 * with certificates generated at test time: good CA, wrong CA, expired certificate, wrong host name,
 * a 1 MiB body whose SHA-256 is compared with node:crypto, plain TCP mode, and a non-TLS peer.
 * Layer: native (node-only: child processes, openssl CLI).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, BUILD } from '../helpers/paths';
import { makePki, startSServer, startPlainHttp, startGarbageServer, type Pki, type SServer } from './tls-pki';

const BIN = join(BUILD, 'tls', 'tls_test');

function run(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1' } });
  return { code: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

/** Like run(), without blocking this process's event loop (for servers running in this process). */
function runAsync(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    execFile(BIN, args, { timeout: 60_000 }, (err, stdout, stderr) =>
      res({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, out: stdout + stderr }));
  });
}

describe('native/core/tls', () => {
  let pki: Pki;
  let good: SServer;
  let expired: SServer;
  const body = new Uint8Array(randomBytes(1 << 20));
  const bodySha = createHash('sha256').update(body).digest('hex');

  before(async () => {
    const mk = spawnSync('make', ['-s', '--no-print-directory', 'tls-test-bin'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(mk.status, 0, `make tls-test-bin failed:\n${mk.stdout}${mk.stderr}`);
    pki = makePki();
    writeFileSync(join(pki.dir, 'big.bin'), body);
    good = await startSServer(pki.dir, pki.cert, pki.key);
    expired = await startSServer(pki.dir, pki.expired, pki.key);
  });
  after(() => {
    good?.stop();
    expired?.stop();
    pki?.cleanup();
  });

  test('C unit checks pass under ASan/UBSan', () => {
    const r = run(['unit']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /PASSED: 0 failure\(s\)/);
    assert.ok((r.out.match(/^ok /gm) ?? []).length >= 30, 'expected at least 30 checks');
  });

  test('verified TLS 1.2 download of 1 MiB matches node:crypto SHA-256', () => {
    const r = run(['get', '127.0.0.1', String(good.port), pki.ca, 'localhost', '/big.bin']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^open TLS-ECDHE-ECDSA-WITH-/m);
    assert.match(r.out, new RegExp(`^body ${body.length} ${bodySha}$`, 'm'));
  });

  test('host name "localhost" resolves and verifies', () => {
    const r = run(['get', 'localhost', String(good.port), pki.ca, 'localhost', '/big.bin']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(`^body ${body.length} ${bodySha}$`, 'm'));
  });

  test('wrong CA -> ECERTUNTRUSTED', () => {
    const r = run(['get', '127.0.0.1', String(good.port), pki.wrongCa, 'localhost', '/big.bin']);
    assert.equal(r.code, 3, r.out);
    assert.match(r.out, /^error ECERTUNTRUSTED -4001$/m);
  });

  test('expired certificate -> ECERTEXPIRED', () => {
    const r = run(['get', '127.0.0.1', String(expired.port), pki.ca, 'localhost', '/big.bin']);
    assert.equal(r.code, 3, r.out);
    assert.match(r.out, /^error ECERTEXPIRED -4002$/m);
  });

  test('wrong host name -> ECERTNAME', () => {
    const r = run(['get', '127.0.0.1', String(good.port), pki.ca, 'dm.example.com', '/big.bin']);
    assert.equal(r.code, 3, r.out);
    assert.match(r.out, /^error ECERTNAME -4003$/m);
  });

  test('plain TCP mode (http://) reads the whole body', async () => {
    const small = new Uint8Array(randomBytes(70_000));
    const srv = await startPlainHttp(small);
    try {
      const r = await runAsync(['get', '127.0.0.1', String(srv.port), '-', 'localhost', '/', 'tcp']);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, new RegExp(`^body ${small.length} ${createHash('sha256').update(small).digest('hex')}$`, 'm'));
    } finally {
      srv.stop();
    }
  });

  test('non-TLS peer -> ETLSHANDSHAKE (or a reset), never success', async () => {
    const srv = await startGarbageServer();
    try {
      const r = await runAsync(['get', '127.0.0.1', String(srv.port), pki.ca, 'localhost', '/']);
      assert.equal(r.code, 3, r.out);
      assert.match(r.out, /^error (ETLSHANDSHAKE -4005|ECONNRESET -104)$/m);
    } finally {
      srv.stop();
    }
  });
});
