/**
 * End to end on ARM: the QuickJS client (`omadm run`, static binary) under qemu-aarch64 and qemu-arm,
 * and on the build machine, holds a full DM 1.2 session with the loopback test server (src/server
 * engine behind a node:https host in this file) over HTTPS through mbedtls: MD5 authentication both
 * ways, Get of DevInfo, Add of an interior node and of a 12 KB leaf delivered as a large
 * object over 4 KB messages, and Get of it back (a large object in Results). The server's record
 * is the oracle: every expected status and value matched, no failures, session completed.
 * Then a 1 MiB firmware package as a FUMO PkgData large object streamed to a simulated NOR flash
 * under a hard JS heap limit (1 MB = 1,000,000 B on armhf, issue 7; 1,250,000 B on the 64-bit builds), and the
 * server-initiated path: `omadm listen` on a loopback WDP port receives a WAP push with a
 * signed package #0 (UDP datagram), authenticates it and holds the session it asks for, which
 * streams the same 1 MiB FUMO package under the same heap limits (measured: armhf 925,808 B under
 * 1,000,000 B, 64-bit 1,170,528 B under 1,250,000 B; target/quickjs/README.md).
 * Layer: node-only (child processes, QEMU, TLS).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DmServer } from '../../src/server/DmServer';
import { parseScript } from '../../src/server/script';
import { buildPkg0 } from '../../src/push/pkg0';
import { encodeWspPush } from '../../src/push/wsp';
import type { SessionRecord } from '../../src/server/record';
import { ROOT, BUILD } from '../helpers/paths';
import { makePki, type Pki } from '../native/tls-pki';

const RUNTIMES = [
  { name: 'host', cmd: [join(BUILD, 'qjs', 'host', 'omadm')] },
  { name: 'aarch64', cmd: ['qemu-aarch64', join(BUILD, 'qjs', 'aarch64', 'omadm')] },
  { name: 'armhf', cmd: ['qemu-arm', join(BUILD, 'qjs', 'armhf', 'omadm')] },
];
const DEV_ID = 'IMEI:493005100592800';
const BLOB = 'x'.repeat(1000) + Array.from({ length: 11000 }, (_, i) => String.fromCharCode(97 + (i * 7) % 26)).join('');

const SCRIPT = {
  serverId: 'com.example.dm',
  auth: {
    client: { type: 'md5', username: 'dev1', password: 'client-secret', nonce: 'AAECAw==' },
    server: { type: 'md5', username: 'com.example.dm', password: 'server-secret' },
  },
  packages: [
    { commands: [
      { cmd: 'Get', target: './DevInfo/Mod', expect: 200, expectValue: 'QJS-Board' },
      { cmd: 'Add', target: './Vendor/omadm/Sync/e2e', format: 'node', expect: 200 },
      { cmd: 'Replace', target: './Vendor/omadm/Sync/e2e?prop=ACL', data: 'Add=*&Delete=*&Get=*&Replace=*', expect: 200 },
      { cmd: 'Add', target: './Vendor/omadm/Sync/e2e/Ext', format: 'node', expect: 200 },
      { cmd: 'Add', target: './Vendor/omadm/Sync/e2e/Ext/Blob', data: BLOB, format: 'chr', expect: 200 },
    ] },
    { commands: [{ cmd: 'Get', target: './Vendor/omadm/Sync/e2e/Ext/Blob', expect: 200, expectValue: BLOB }] },
  ],
};

/** Heap limits of the push-started FUMO session (`listen`), armhf and the 64-bit builds (bytes). */
const PUSH_LIMIT_ARMHF = 1_000_000;
const PUSH_LIMIT_64 = 1_250_000;

/** The 1 MiB firmware package (deterministic, no period short enough to hide a misplaced page). */
function fumoPackage(): Uint8Array {
  const pkg = new Uint8Array(1 << 20);
  for (let i = 0; i < pkg.length; i++) pkg[i] = (i * 131 + (i >> 9)) & 255;
  return pkg;
}

/** The test server's Node host: HTTPS, whole bodies, answers from DmServer.handle. */
async function startHost(pki: Pki, dm: DmServer): Promise<{ port: number; server: Server }> {
  const server = createServer({ key: readFileSync(pki.key), cert: readFileSync(pki.cert) }, (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => { size += c.length; if (size <= 1 << 20) chunks.push(c); });
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const port = (server.address() as AddressInfo).port;
      const r = dm.handle({ method: req.method ?? 'GET', url: `https://localhost:${port}${req.url ?? '/'}`, headers, body: new Uint8Array(Buffer.concat(chunks)) });
      res.writeHead(r.status, { ...r.headers, 'content-length': String(r.body.length) });
      res.end(Buffer.from(r.body));
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return { port: (server.address() as AddressInfo).port, server };
}

function deviceConfig(port: number, pki: Pki): unknown {
  return {
    storage: 'state',
    devInfo: { devId: DEV_ID, man: 'omadm', mod: 'QJS-Board', lang: 'en-US' },
    devDetail: { devTyp: 'router', fwV: '1.0' },
    accounts: [{
      serverId: 'com.example.dm', addr: `https://localhost:${port}/dm`, authPref: 'DIGEST',
      client: { type: 'DIGEST', name: 'dev1', secret: 'client-secret', nonce: 'AAECAw==' },
      server: { type: 'DIGEST', name: 'com.example.dm', secret: 'server-secret', nonce: 'BAUGBw==' },
    }],
    tls: { ca: pki.ca },
    limits: { session: { maxMsgSize: 4096 } },
    log: 'warn',
  };
}

function run(cmd: string[], args: string[]): Promise<{ code: number | null; out: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile('timeout', ['300', ...cmd, ...args], { maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, out: stdout + stderr, stdout }));
  });
}

/** Runs `omadm listen`, sends one WDP push once it listens, resolves with its output and status. */
function listenAndPush(cmd: string[], args: string[], push: Uint8Array): Promise<{ code: number | null; out: string; stdout: string }> {
  return new Promise((resolve) => {
    const p = spawn('timeout', ['300', ...cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    // decode as a stream: a multi-byte UTF-8 character may span two chunks
    p.stdout.setEncoding('utf8');
    p.stderr.setEncoding('utf8');
    p.stdout.on('data', (d) => {
      stdout += d;
      const m = /^listening wdp (\d+)$/m.exec(stdout);
      if (m && !sent) {
        sent = true;
        const sock = createSocket('udp4');
        sock.send(push, Number(m[1]), '127.0.0.1', () => sock.close());
      }
    });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('close', (code) => resolve({ code, out: stdout + stderr, stdout }));
  });
}

describe('DM session over HTTPS (mbedtls) from the QuickJS client', () => {
  let pki: Pki;
  let work: string;
  before(() => {
    const mk = spawnSync('make', ['-s', '--no-print-directory', '-j2', ...RUNTIMES.map((r) => r.cmd[r.cmd.length - 1]!.slice(ROOT.length + 1))],
      { cwd: ROOT, encoding: 'utf8' });
    assert.equal(mk.status, 0, mk.stdout + mk.stderr);
    pki = makePki();
    work = mkdtempSync(join(tmpdir(), 'omadm-session-'));
  });
  after(() => {
    pki?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  for (const rt of RUNTIMES) {
    test(`${rt.name}: full session with a large object both ways`, async (t) => {
      const dm = new DmServer(parseScript(SCRIPT));
      const host = await startHost(pki, dm);
      try {
        const dir = join(work, rt.name);
        const cfgFile = join(work, `${rt.name}.json`);
        rmSync(dir, { recursive: true, force: true });
        writeFileSync(cfgFile, JSON.stringify({ ...(deviceConfig(host.port, pki) as object), storage: dir }));
        const r = await run(rt.cmd, ['--mem-report', 'run', '--config', cfgFile]);
        const rec: SessionRecord | undefined = dm.sessions()[0];
        const detail = `${r.out}\nserver failures: ${JSON.stringify(rec?.failures ?? null)}`;
        assert.equal(r.code, 0, detail);
        assert.match(r.stdout, /^session completed/m, detail);
        assert.ok(rec, 'the server saw a session');
        assert.equal(rec.deviceId, DEV_ID);
        assert.equal(rec.outcome, 'completed', detail);
        assert.deepEqual(rec.failures, [], detail);
        assert.ok(rec.auth.length > 0, 'client authentication happened');
        assert.equal(rec.packagesSent, 2);
        const peak = /high-water (\d+) B/.exec(r.out)?.[1];
        t.diagnostic(`${rt.name}: ${/^session .*$/m.exec(r.stdout)?.[0]}; ${rec.messages.length} messages; JS heap high-water ${peak} B`);
      } finally {
        host.server.close();
      }
    });
  }

  for (const rt of RUNTIMES) {
    // The server-initiated path under the same heap target: `listen` loads the push side (router, WSP,
    // package #0, the WDP/SMS source; the bootstrapper only on a bootstrap push) on top of FUMO, and
    // the session the push starts delivers the 1 MiB FUMO package. OMADM_PUSH_LIMIT=<bytes>
    // overrides the limit for every runtime (to measure how low a change gets).
    const limit = Number(process.env.OMADM_PUSH_LIMIT ?? 0) || (rt.name === 'armhf' ? PUSH_LIMIT_ARMHF : PUSH_LIMIT_64);
    test(`${rt.name}: a WAP push over WDP starts an authenticated server-initiated session that streams a 1 MiB FUMO package to flash under a ${limit} B heap limit`, async (t) => {
      const pkg = fumoPackage();
      const dm = new DmServer(parseScript({ ...SCRIPT, packages: [{ commands: [
        { cmd: 'Get', target: './DevInfo/DevId', expect: 200, expectValue: DEV_ID },
        { cmd: 'Replace', target: './FUMO/fw/Update/PkgData', dataBase64: Buffer.from(pkg).toString('base64'), format: 'bin', expect: 200 },
      ] }] }));
      const host = await startHost(pki, dm);
      try {
        const dir = join(work, `push-${rt.name}`);
        const cfgFile = join(work, `push-${rt.name}.json`);
        const flashFile = join(work, `push-flash-${rt.name}.img`);
        rmSync(dir, { recursive: true, force: true });
        rmSync(flashFile, { force: true });
        writeFileSync(cfgFile, JSON.stringify({
          ...(deviceConfig(host.port, pki) as object), storage: dir, memoryLimit: limit, limits: { session: { maxMsgSize: 16384 } },
          fumo: { flash: flashFile, kind: 'sim', size: 2560 << 10 },
        }));
        const pkg0 = buildPkg0({ sessionId: 0x4a2f, serverId: 'com.example.dm', secret: 'server-secret', nonce: new Uint8Array([4, 5, 6, 7]) });
        const push = encodeWspPush({ contentType: 0x44, appId: 7, body: pkg0 });
        const r = await listenAndPush(rt.cmd, ['--mem-report', 'listen', '--config', cfgFile, '--wdp-port', '0', '--wdp-loopback', '--sessions', '1'], push);
        const rec: SessionRecord | undefined = dm.sessions()[0];
        const detail = `${r.out.slice(-3000)}\nserver failures: ${JSON.stringify(rec?.failures ?? null)}, outcome ${rec?.outcome}`;
        assert.equal(r.code, 0, detail);
        assert.match(r.stdout, /^push accepted server com\.example\.dm session 4A2F$/m, detail);
        assert.match(r.stdout, /^session completed/m, detail);
        assert.ok(rec, 'the server saw a session');
        assert.equal(rec.alert, 1200, 'server-initiated (Alert 1200)');
        assert.equal(rec.sessionId, '4A2F');
        assert.equal(rec.outcome, 'completed', detail);
        assert.deepEqual(rec.failures, [], detail);
        // the package is on the flash byte for byte, in the inactive slot (B: a fresh device boots A)
        const flash = readFileSync(flashFile);
        const slot = flash.length / 2;
        assert.ok(Buffer.from(pkg).equals(flash.subarray(slot, slot + pkg.length)), 'slot B holds the package');
        const peak = Number(/high-water (\d+) B/.exec(r.out)?.[1]);
        assert.ok(peak > 0 && peak <= limit, `high-water ${peak} B, limit ${limit} B`);
        t.diagnostic(`${rt.name}: ${/^session .*$/m.exec(r.stdout)?.[0]}; ${rec.messages.length} messages; JS heap high-water ${peak} B under a hard limit of ${limit} B`);
      } finally {
        host.server.close();
      }
    });
  }

  for (const rt of RUNTIMES) {
    // issue 7: the whole session with the 1 MiB object under a 1 MB (decimal: 1,000,000 B) heap limit on the
    // 32-bit board; the 64-bit builds need more for the same objects (8-byte pointers, 16-byte values: they
    // complete at 1,080,000 B, target/quickjs/README.md), so 1,150,000 B leaves room for code growth.
    // OMADM_FUMO_LIMIT=<bytes> overrides the limit for every runtime (to measure how low a change gets).
    const limit = Number(process.env.OMADM_FUMO_LIMIT ?? 0) || (rt.name === 'armhf' ? 1_000_000 : 1_150_000);
    test(`${rt.name}: a 1 MiB FUMO package as a large object, streamed to flash under a ${limit} B heap limit`, async (t) => {
      const pkg = fumoPackage();
      const dm = new DmServer(parseScript({ ...SCRIPT, packages: [{ commands: [
        { cmd: 'Replace', target: './FUMO/fw/Update/PkgData', dataBase64: Buffer.from(pkg).toString('base64'), format: 'bin', expect: 200 },
      ] }] }));
      const host = await startHost(pki, dm);
      try {
        const dir = join(work, `fumo-${rt.name}`);
        const cfgFile = join(work, `fumo-${rt.name}.json`);
        rmSync(dir, { recursive: true, force: true });
        writeFileSync(cfgFile, JSON.stringify({
          ...(deviceConfig(host.port, pki) as object), storage: dir, memoryLimit: limit, limits: { session: { maxMsgSize: 16384 } },
          fumo: { flash: join(work, `flash-${rt.name}.img`), kind: 'sim', size: 2560 << 10 },
        }));
        rmSync(join(work, `flash-${rt.name}.img`), { force: true });
        const r = await run(rt.cmd, ['--mem-report', 'run', '--config', cfgFile]);
        const rec: SessionRecord | undefined = dm.sessions()[0];
        const detail = `${r.out.slice(-3000)}\nserver failures: ${JSON.stringify(rec?.failures ?? null)}, outcome ${rec?.outcome}`;
        assert.equal(r.code, 0, detail);
        assert.equal(rec?.outcome, 'completed', detail);
        assert.deepEqual(rec?.failures, [], detail);
        // the package is on the flash byte for byte, in the inactive slot (B: a fresh device boots A)
        const flash = readFileSync(join(work, `flash-${rt.name}.img`));
        const slot = flash.length / 2;
        assert.ok(Buffer.from(pkg).equals(flash.subarray(slot, slot + pkg.length)), 'slot B holds the package');
        const peak = Number(/high-water (\d+) B/.exec(r.out)?.[1]);
        assert.ok(peak > 0 && peak <= limit, `high-water ${peak} B, limit ${limit} B`);
        t.diagnostic(`${rt.name}: ${rec?.messages.length} messages; JS heap high-water ${peak} B under a hard limit of ${limit} B`);
      } finally {
        host.server.close();
      }
    });
  }
});
