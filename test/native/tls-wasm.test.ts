/**
 * mbedtls compiled to wasm32-wasi (native/core/tls/wasm) as a Node `Network`: verified HTTPS against
 * `openssl s_server` with a PKI made at test time (1 MiB body, SHA-256 vs node:crypto), the device's
 * certificate failure codes (wrong CA, expired, wrong name, bad CA bundle), and a side-by-side
 * measurement against node:tls printed as diagnostics (no timing assertions).
 * Skipped with a reason when clang-14/wasi-libc are not installed. Layer: node-only.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { ROOT, BUILD } from '../helpers/paths';
import type { Network, PlatformError } from '../../src/platform';
import { WasmTlsEngine, WasmTlsNetwork } from '../../native/core/tls/wasm/WasmTls';
import { makePki, startSServer, type Pki, type SServer } from './tls-pki';

const WASM = join(BUILD, 'wasm', 'tls.wasm');

/** GET `path` over a Network stream; resolves with the body (after the header) or the close error. */
function get(net: Network, port: number, path: string, servername = 'localhost'): Promise<{ body: Buffer; ms: number } | PlatformError> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = net.connect({ host: '127.0.0.1', port, tls: true, servername }, {
      onOpen: () => s.write(new TextEncoder().encode(`GET ${path} HTTP/1.0\r\nHost: localhost\r\n\r\n`)),
      onData: (c) => chunks.push(Buffer.from(c)),
      onClose: (err) => {
        if (err) { resolve(err); return; }
        const all = Buffer.concat(chunks);
        const end = all.indexOf('\r\n\r\n');
        resolve({ body: all.subarray(end + 4), ms: performance.now() - t0 });
      },
    });
  });
}

/** The same GET with node:tls. */
function nodeGet(ca: Buffer, port: number, path: string): Promise<{ body: Buffer; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca }, () => s.write(`GET ${path} HTTP/1.0\r\nHost: localhost\r\n\r\n`));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', reject);
    s.on('end', () => {
      const all = Buffer.concat(chunks);
      resolve({ body: all.subarray(all.indexOf('\r\n\r\n') + 4), ms: performance.now() - t0 });
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

describe('mbedtls in wasm as a Node TLS engine', () => {
  let skip: string | false = false;
  let pki: Pki;
  let good: SServer;
  let expired: SServer;
  let engine: WasmTlsEngine;
  const body = new Uint8Array(randomBytes(1 << 20));
  const sha = createHash('sha256').update(body).digest('hex');

  before(async () => {
    const mk = spawnSync('make', ['-s', '--no-print-directory', 'tls-wasm'], { cwd: ROOT, encoding: 'utf8' });
    if (mk.status !== 0 || !existsSync(WASM)) {
      skip = `tls.wasm not built (needs clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32): ${(mk.stderr || '').split('\n')[0]}`;
      return;
    }
    pki = makePki();
    writeFileSync(join(pki.dir, 'big.bin'), body);
    writeFileSync(join(pki.dir, 'small.txt'), 'hello');
    good = await startSServer(pki.dir, pki.cert, pki.key);
    expired = await startSServer(pki.dir, pki.expired, pki.key);
    engine = await WasmTlsEngine.load(WASM);
  });
  after(() => {
    good?.stop();
    expired?.stop();
    pki?.cleanup();
  });

  test('verified download of 1 MiB matches node:crypto SHA-256', async (t) => {
    if (skip) { t.skip(skip); return; }
    const r = await get(new WasmTlsNetwork(engine, { ca: readFileSync(pki.ca, 'utf8') }), good.port, '/big.bin');
    assert.ok(!(r instanceof Error) && 'body' in r, String(r));
    assert.equal(r.body.length, body.length);
    assert.equal(createHash('sha256').update(r.body).digest('hex'), sha);
  });

  test('certificate failures carry the device codes', async (t) => {
    if (skip) { t.skip(skip); return; }
    const ok = new WasmTlsNetwork(engine, { ca: readFileSync(pki.ca) });
    const wrong = new WasmTlsNetwork(engine, { ca: readFileSync(pki.wrongCa) });
    const cases: [Network, number, string, string][] = [
      [wrong, good.port, 'localhost', 'ECERTUNTRUSTED'],
      [ok, expired.port, 'localhost', 'ECERTEXPIRED'],
      [ok, good.port, 'dm.example.com', 'ECERTNAME'],
      [new WasmTlsNetwork(engine, { ca: '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n' }), good.port, 'localhost', 'ECAFILE'],
    ];
    for (const [net, port, name, code] of cases) {
      const r = await get(net, port, '/small.txt', name);
      assert.ok(r instanceof Error, `${code}: expected a failure`);
      assert.equal((r as PlatformError).code, code);
    }
  });

  test('measurement against node:tls (diagnostics)', async (t) => {
    if (skip) { t.skip(skip); return; }
    const net = new WasmTlsNetwork(engine, { ca: readFileSync(pki.ca) });
    const ca = readFileSync(pki.ca);
    const hsW: number[] = [];
    const hsN: number[] = [];
    for (let i = 0; i < 7; i++) {
      const w = await get(net, good.port, '/small.txt');
      assert.ok('ms' in w);
      hsW.push(w.ms);
      hsN.push((await nodeGet(ca, good.port, '/small.txt')).ms);
    }
    const bigW: number[] = [];
    const bigN: number[] = [];
    for (let i = 0; i < 3; i++) {
      const w = await get(net, good.port, '/big.bin');
      assert.ok('ms' in w && w.body.length === body.length);
      bigW.push(w.ms);
      bigN.push((await nodeGet(ca, good.port, '/big.bin')).ms);
    }
    const mibs = (ms: number): string => (1000 / ms).toFixed(1);
    t.diagnostic(`connect+handshake+small GET, median of 7: wasm mbedtls ${median(hsW).toFixed(1)} ms, node:tls ${median(hsN).toFixed(1)} ms`);
    t.diagnostic(`1 MiB GET, median of 3: wasm mbedtls ${median(bigW).toFixed(1)} ms (${mibs(median(bigW))} MiB/s), node:tls ${median(bigN).toFixed(1)} ms (${mibs(median(bigN))} MiB/s)`);
    t.diagnostic(`wasm module ${readFileSync(WASM).length} B, linear memory ${engine.memoryBytes} B`);
  });
});
