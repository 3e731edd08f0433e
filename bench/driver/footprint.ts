/**
 * Footprint table (`make bench-footprint`): what an OEM puts on the device and what it costs in RAM.
 *
 * - bundle sizes: the portable core and the QuickJS application, as built and minified (esbuild
 *   --minify with the product's QuickJS settings), raw and gzip -9;
 * - bytecode: the application compiled by qjsc (the array embedded in the binary);
 * - static binaries per arch: the omadm device binary (stripped) and plain qjs, with text/data/bss;
 * - RAM of one DM session: a full session (MD5 auth both ways, DevInfo Get, Adds, a 12 KB value
 *   sent and read back as large objects over 4 KiB messages) against the loopback test server over
 *   HTTPS (mbedtls), run by the QuickJS client on this machine, under qemu-aarch64 and qemu-arm
 *   (peak RSS from the kernel, which under QEMU includes the emulator itself, plus the JS heap
 *   high-water from --mem-report), and by the Node client for comparison. `omadm version` (client
 *   loaded, no session) is measured the same way so the session's own share shows.
 * The server's record of every session must say completed with no failures, or the row is marked.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { DmServer } from '../../src/server/DmServer';
import { parseScript } from '../../src/server/script';
import { makePki, type Pki } from '../../test/native/tls-pki';
import { bytes, num, table } from './format';
import { gitId, machine } from './results';
import { BUILD, QEMU, ROOT } from './targets';

const DEV_ID = 'IMEI:493005100592800';
const BLOB = Array.from({ length: 12000 }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('');

const SCRIPT = {
  serverId: 'com.example.dm',
  auth: {
    client: { type: 'md5', username: 'dev1', password: 'client-secret', nonce: 'AAECAw==' },
    server: { type: 'md5', username: 'com.example.dm', password: 'server-secret' },
  },
  packages: [
    { commands: [
      { cmd: 'Get', target: './DevInfo/Mod', expect: 200, expectValue: 'Bench-Board' },
      { cmd: 'Get', target: './DevDetail/FwV', expect: 200 },
      { cmd: 'Add', target: './Vendor/omadm/Sync/fp', format: 'node', expect: 200 },
      { cmd: 'Add', target: './Vendor/omadm/Sync/fp/Name', data: 'footprint', expect: 200 },
      { cmd: 'Add', target: './Vendor/omadm/Sync/fp/Ext', format: 'node', expect: 200 },
      { cmd: 'Add', target: './Vendor/omadm/Sync/fp/Ext/Blob', data: BLOB, format: 'chr', expect: 200 },
    ] },
    { commands: [{ cmd: 'Get', target: './Vendor/omadm/Sync/fp/Ext/Blob', expect: 200, expectValue: BLOB }] },
  ],
};

interface SessionRow {
  runtime: string;
  command: string;
  completed: boolean;
  maxRssKb: number | null;
  heapHighWater: number | null;
  detail: string;
}

export interface Footprint {
  date: string;
  git: string;
  machine: string;
  bundles: { name: string; path: string; bytes: number; gzip: number }[];
  bytecode: { bytes: number | null; source: string };
  binaries: { arch: string; name: string; path: string; bytes: number; text?: number; data?: number; bss?: number }[];
  sessions: SessionRow[];
}

function size(p: string): number | null {
  return existsSync(p) ? statSync(p).size : null;
}

async function startServer(pki: Pki, dm: DmServer): Promise<{ port: number; server: Server }> {
  const server = createServer({ key: readFileSync(pki.key), cert: readFileSync(pki.cert) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
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

function timed(argv: string[]): Promise<{ code: number; out: string; rssKb: number | null }> {
  return new Promise((resolve) => {
    const tf = join(BUILD, 'bench', 'footprint', `time-${process.pid}-${Math.random().toString(36).slice(2)}.txt`);
    execFile('/usr/bin/time', ['-f', 'maxrss_kb %M', '-o', tf, 'timeout', '300', ...argv], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const t = existsSync(tf) ? readFileSync(tf, 'utf8') : '';
      rmSync(tf, { force: true });
      const m = /maxrss_kb (\d+)/.exec(t);
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, out: stdout + stderr, rssKb: m ? Number(m[1]) : null });
    });
  });
}

async function sessionRow(name: string, cmd: string[], pki: Pki, work: string, qjs: boolean): Promise<SessionRow> {
  const dm = new DmServer(parseScript(SCRIPT));
  const { port, server } = await startServer(pki, dm);
  try {
    const dir = join(work, `state-${name}`);
    rmSync(dir, { recursive: true, force: true });
    const cfgFile = join(work, `${name}.json`);
    writeFileSync(cfgFile, JSON.stringify({
      storage: dir,
      devInfo: { devId: DEV_ID, man: 'omadm', mod: 'Bench-Board', lang: 'en-US' },
      devDetail: { devTyp: 'router', fwV: '1.0' },
      accounts: [{
        serverId: 'com.example.dm', addr: `https://localhost:${port}/dm`, authPref: 'DIGEST',
        client: { type: 'DIGEST', name: 'dev1', secret: 'client-secret', nonce: 'AAECAw==' },
        server: { type: 'DIGEST', name: 'com.example.dm', secret: 'server-secret', nonce: 'BAUGBw==' },
      }],
      tls: { ca: pki.ca },
      limits: { session: { maxMsgSize: 4096 } },
      log: 'warn',
    }));
    const r = await timed([...cmd, ...(qjs ? ['--mem-report'] : []), 'run', '--config', cfgFile]);
    const rec = dm.sessions()[0];
    const completed = r.code === 0 && rec?.outcome === 'completed' && (rec?.failures.length ?? 1) === 0;
    const hw = /high-water (\d+) B/.exec(r.out);
    return {
      runtime: name, command: cmd.map((c) => c.replace(ROOT + '/', '')).join(' '), completed,
      maxRssKb: r.rssKb, heapHighWater: hw ? Number(hw[1]) : null,
      detail: completed ? `${rec?.messages.length ?? 0} messages` : `exit ${r.code}, ${rec?.outcome ?? 'no session'}: ${r.out.slice(-300).replace(/\s+/g, ' ')}`,
    };
  } finally {
    server.close();
  }
}

async function loadedRow(name: string, cmd: string[]): Promise<SessionRow> {
  const r = await timed([...cmd, '--mem-report', 'version']);
  const hw = /high-water (\d+) B/.exec(r.out);
  return { runtime: name, command: 'version', completed: r.code === 0, maxRssKb: r.rssKb, heapHighWater: hw ? Number(hw[1]) : null, detail: 'client loaded, no session' };
}

export async function footprintCommand(out: string, log: (s: string) => void): Promise<boolean> {
  const fdir = resolve(out, 'footprint');
  mkdirSync(fdir, { recursive: true });
  // minified QuickJS application, same settings as the product (target/quickjs/quickjs.mk)
  const qjsMin = join(fdir, 'omadm-qjs.min.mjs');
  await esbuild.build({
    entryPoints: [join(ROOT, 'target/quickjs/main.ts')], bundle: true, format: 'esm', platform: 'neutral', target: 'es2022',
    supported: { 'class-static-blocks': false, 'regexp-match-indices': false, 'top-level-await': false },
    external: ['os', 'std', 'dm_native'], minify: true, legalComments: 'none', logLevel: 'warning', outfile: qjsMin,
  });
  const bundle = (name: string, p: string): Footprint['bundles'][number] | null => {
    if (!existsSync(p)) return null;
    const b = readFileSync(p);
    return { name, path: p.replace(ROOT + '/', ''), bytes: b.length, gzip: gzipSync(b, { level: 9 }).length };
  };
  const bundles = [
    bundle('portable core (src/index.ts)', join(BUILD, 'dist', 'core.mjs')),
    bundle('portable core, minified', join(BUILD, 'dist', 'core.min.mjs')),
    bundle('QuickJS application (target/quickjs/main.ts)', join(BUILD, 'dist', 'omadm-qjs.mjs')),
    bundle('QuickJS application, minified', qjsMin),
    bundle('Node CLI (target/node/cli.ts)', join(BUILD, 'dist', 'omadm.mjs')),
  ].filter((x): x is Footprint['bundles'][number] => x !== null);
  const bcFile = join(BUILD, 'qjs', 'gen', 'omadm_bc.c');
  // all the application's bytecode modules (scripts/qjs-modules.mjs), or the one array of older builds
  const bcText = existsSync(bcFile) ? readFileSync(bcFile, 'utf8') : '';
  const bc = /dmq_app_bc_total_size = (\d+);/.exec(bcText) ?? /dmq_app_bc_size = (\d+);/.exec(bcText);
  const binaries: Footprint['binaries'] = [];
  const sizeTool: Record<string, string> = { x86_64: 'size', aarch64: 'aarch64-linux-gnu-size', armhf: 'arm-linux-gnueabihf-size' };
  for (const arch of ['x86_64', 'aarch64', 'armhf']) {
    const d = join(BUILD, 'qjs', arch === 'x86_64' ? 'host' : arch);
    for (const [name, file] of [['omadm (stripped, static)', 'omadm'], ['qjs (plain QuickJS, static, unstripped)', 'qjs']] as const) {
      const p = join(d, file);
      const n = size(p);
      if (n === null) continue;
      const row: Footprint['binaries'][number] = { arch, name: arch === 'x86_64' ? name.replace('stripped, static', 'dynamic glibc, debug info').replace('static, ', '') : name, path: p.replace(ROOT + '/', ''), bytes: n };
      try {
        const [, t, dd, b] = /\n\s*(\d+)\s+(\d+)\s+(\d+)/.exec(execFileSync(sizeTool[arch]!, [p], { encoding: 'utf8' })) ?? [];
        if (t) Object.assign(row, { text: Number(t), data: Number(dd), bss: Number(b) });
      } catch {
        // size tool missing: sizes only
      }
      binaries.push(row);
    }
  }
  // sessions
  const pki = makePki();
  const sessions: SessionRow[] = [];
  try {
    const runs: [string, string[], boolean][] = [
      ['QuickJS x86_64 (native)', [join(BUILD, 'qjs', 'host', 'omadm')], true],
      ['QuickJS aarch64 (qemu-aarch64)', [QEMU.aarch64, join(BUILD, 'qjs', 'aarch64', 'omadm')], true],
      ['QuickJS armhf (qemu-arm)', [QEMU.armhf, join(BUILD, 'qjs', 'armhf', 'omadm')], true],
      ['Node x86_64 (node build/dist/omadm.mjs)', [process.execPath, join(BUILD, 'dist', 'omadm.mjs')], false],
    ];
    for (const [name, cmd, qjs] of runs) {
      if (!existsSync(cmd[cmd.length - 1]!)) continue;
      if (qjs) sessions.push(await loadedRow(name, cmd));
      const s = await sessionRow(name.replace(/[^A-Za-z0-9]+/g, '-'), cmd, pki, fdir, qjs);
      s.runtime = name;
      sessions.push(s);
      log(`[bench] footprint session ${name}: ${s.completed ? 'completed' : 'FAILED'}, peak RSS ${s.maxRssKb} KiB, heap high-water ${s.heapHighWater ?? '-'} B`);
    }
  } finally {
    pki.cleanup();
  }
  const fp: Footprint = { date: new Date().toISOString(), git: gitId(), machine: machine(), bundles, bytecode: { bytes: bc ? Number(bc[1]) : null, source: bcFile.replace(ROOT + '/', '') }, binaries, sessions };
  writeFileSync(join(out, 'footprint.json'), JSON.stringify(fp, null, 1) + '\n');
  const md = footprintMarkdown(fp);
  writeFileSync(join(out, 'footprint.md'), md);
  log(md);
  return sessions.every((s) => s.completed);
}

export function footprintMarkdown(f: Footprint): string {
  const L: string[] = [`Footprint ${f.date} · ${f.git} · ${f.machine}`, ''];
  L.push(table(['bundle', 'bytes', 'gzip -9'], f.bundles.map((b) => [`${b.name} \`${b.path}\``, bytes(b.bytes), bytes(b.gzip)])));
  L.push(`QuickJS bytecode of the application (qjsc, \`${f.bytecode.source}\`): ${bytes(f.bytecode.bytes)}`, '');
  L.push(table(['arch', 'binary', 'bytes', 'text', 'data', 'bss'], f.binaries.map((b) => [b.arch, `${b.name} \`${b.path}\``, bytes(b.bytes), num(b.text), num(b.data), num(b.bss)])));
  L.push(table(['runtime', 'run', 'peak RSS', 'JS heap high-water', 'outcome'], f.sessions.map((s) => [s.runtime, s.command === 'version' ? '`omadm version`' : 'DM session',
    s.maxRssKb === null ? '-' : `${num(s.maxRssKb)} KiB`, s.heapHighWater === null ? '-' : bytes(s.heapHighWater), s.completed ? s.detail : `FAILED ${s.detail}`])));
  L.push('Peak RSS under QEMU includes the emulator (qemu-user itself and its translation cache); the native QuickJS row and the JS heap high-water are the device-side figures.', '');
  return L.join('\n');
}
