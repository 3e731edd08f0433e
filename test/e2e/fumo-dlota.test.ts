// End-to-end (node-only): DLOTA installNotifyURI status reports from the simulated device (child
// processes, native file-backed flash) against the loopback DM server, the download server serving
// a download descriptor and the package, and a loopback notify server (node:http, below) that
// records every request's method, Content-Type and body and answers the status it is told to.
// The 1226 Generic Alert is checked too: it is unchanged by the DLOTA report.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeImage } from '../../src/fumo/image';
import { FumoRecordStore } from '../../src/fumo/record';
import { isDeviceChild, runDeviceChild, startDevice } from '../../target/node/fumo-device';
import type { DeviceConfig, DeviceEvent, DeviceRun } from '../../target/node/fumo-device';
import { startDownloadServer } from '../../target/node/download-server';
import type { DownloadRequestLog, DownloadServer } from '../../target/node/download-server';
import { startFumoServer } from '../../target/node/fumo-server';
import type { FumoServer } from '../../target/node/fumo-server';
import { DirStorage } from '../../target/node/platform';
import { findNativeAddon } from '../../target/node/native';
import { makePki } from '../helpers/pki';

const SELF = fileURLToPath(import.meta.url);
const SERVER_ID = 'com.mgmtsrv.manage';
const X = './FUMO/fw';

function image(version: string, n: number, seed: number): Uint8Array {
  const p = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; p[i] = x >>> 24; }
  return encodeImage(version, p);
}
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'omadm-fumo-dlota-'));
  dirs.push(d);
  return d;
}

/** A POST the notify server received, with what the download server had sent by then. */
interface Seen {
  method: string;
  path: string;
  type: string;
  body: string;
  answered: number;
  /** Snapshot of the download server's log when the request arrived. */
  downloads: DownloadRequestLog[];
}
interface NotifyServer {
  url: string;
  seen: Seen[];
  /** Statuses to answer, in order; 200 once they are used up. */
  answers: number[];
}
async function notifyServer(dl: () => DownloadServer | null, tls?: { key: string; cert: string }): Promise<NotifyServer> {
  const ns: NotifyServer = { url: '', seen: [], answers: [] };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const status = ns.answers.shift() ?? 200;
      ns.seen.push({
        method: req.method ?? '', path: req.url ?? '', type: req.headers['content-type'] ?? '', body: Buffer.concat(parts).toString('utf8'),
        answered: status, downloads: (dl()?.requests ?? []).map((q) => ({ ...q })),
      });
      res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': '2', Connection: 'close' });
      res.end('ok');
    });
  };
  const server = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, handler) : createServer(handler);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  ns.url = `${tls ? 'https://localhost' : 'http://127.0.0.1'}:${(server.address() as AddressInfo).port}`;
  closers.push(() => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }));
  return ns;
}

/** The descriptor + package on a download server, the notify server, and a DM campaign running `op`. */
async function setup(op: 'Download' | 'DownloadAndUpdate', img: Uint8Array, dd: { size?: number; hash?: string; notifyPath?: string }, tls?: { key: string; cert: string }) {
  let dl: DownloadServer | null = null;
  const ns = await notifyServer(() => dl, tls);
  const body = `<?xml version="1.0"?>\n<media xmlns="http://www.openmobilealliance.org/xmlns/dd">` +
    `<DDVersion>1.0</DDVersion><name>fw 2.0</name><objectURI>/fw.bin</objectURI><size>${dd.size ?? img.length}</size>` +
    `<type>application/octet-stream</type><installParam>sha256=${dd.hash ?? sha256(img)}</installParam>` +
    `<installNotifyURI>${ns.url}${dd.notifyPath ?? '/notify?job=17&amp;dev=1'}</installNotifyURI></media>`;
  dl = await startDownloadServer({ files: { '/fw.bin': { body: img }, '/fw.dd': { body: new TextEncoder().encode(body), type: 'application/vnd.oma.dd+xml' } } });
  closers.push(() => dl!.close());
  const srv = await startFumoServer({ deploy: { serverId: SERVER_ID, packages: [{ commands: [
    { cmd: 'Replace', target: `${X}/${op}/PkgURL`, data: `${dl.url}/fw.dd`, format: 'chr', expect: 200 },
    { cmd: 'Exec', target: `${X}/${op}`, correlator: 'dd-1', expect: 202 },
  ] }] } });
  closers.push(() => srv.close());
  return { dl, ns, srv };
}

function device(srv: FumoServer, dir: string, extra: Partial<DeviceConfig> = {}): Promise<DeviceRun> {
  const events: string[] = [];
  return startDevice({
    config: { dir, serverUrl: srv.url, serverId: SERVER_ID, fumo: { reportRetryMs: 300 }, download: { retryDelayMs: 50 }, maxLifetimeMs: 10000, ...(process.env['OMADM_TEST_DEBUG'] === '1' ? { logLevel: 'info' as const } : {}), ...extra },
    script: SELF,
    onEvent: (e: DeviceEvent, n) => { if (process.env['OMADM_TEST_DEBUG'] === '1') events.push(`${n} ${JSON.stringify(e)}`); },
  }).then((r) => { if (events.length) process.stderr.write(events.join('\n') + '\n'); return r; });
}
const states = (r: DeviceRun) => r.powerOns.flatMap((p) => p.events.filter((e) => e.t === 'state').map((e) => (e as { to: number }).to));
const alertData = (srv: FumoServer) => srv.alerts().map((a) => [a.items[0]!.data, a.correlator, a.status]);
const pending = (dir: string) => { const r = new FumoRecordStore(new DirStorage(dir)).load().record; return [r.reportUri, r.reportCode]; };

if (isDeviceChild()) {
  runDeviceChild();
} else {
  const skip = findNativeAddon() === null ? 'native addon not built (make native)' : false;
  after(async () => {
    for (const c of closers) await c();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  describe('e2e: DLOTA installNotifyURI status reports', { skip }, () => {
    test('DownloadAndUpdate through a DD: "900 Success" POSTed once the package is in the slot, then the update', async () => {
      const img = image('2.0', 40000, 21);
      const { dl, ns, srv } = await setup('DownloadAndUpdate', img, {});
      const dir = tmp();
      const r = await device(srv, dir);
      assert.equal(r.end, 'idle', JSON.stringify(r.powerOns.map((p) => p.why)));
      assert.deepEqual(states(r), [30, 40, 60, 100]);
      assert.equal(ns.seen.length, 1, JSON.stringify(ns.seen.map((s) => s.body)));
      const s = ns.seen[0]!;
      assert.deepEqual([s.method, s.path, s.body], ['POST', '/notify?job=17&dev=1', '900 Success']);
      assert.match(s.type, /^text\/plain\b/i);
      // when the report arrived the whole package had been served, and nothing was asked after it
      assert.deepEqual(s.downloads.map((q) => [q.path, q.status]), [['/fw.dd', 200], ['/fw.bin', 200]]);
      assert.equal(s.downloads[1]!.sent, img.length, 'the whole package had been sent');
      assert.deepEqual(dl.requests.map((q) => q.path), ['/fw.dd', '/fw.bin']);
      const boots = r.powerOns.map((p) => (p.events.find((e) => e.t === 'boot') as { version?: string } | undefined)?.version);
      assert.deepEqual(boots, ['1.0', '2.0'], 'the package that was reported is what booted');
      assert.deepEqual(alertData(srv), [['200', 'dd-1', 200]], 'the 1226 is unchanged');
      assert.deepEqual(pending(dir), ['', 0], 'delivered: nothing pending');
    });

    test('size differs from the descriptor: "905 Attribute Mismatch" (1226: 402)', async () => {
      const img = image('2.0', 20000, 22);
      const { ns, srv } = await setup('Download', img, { size: img.length + 1 });
      const dir = tmp();
      const r = await device(srv, dir);
      assert.equal(r.end, 'idle');
      assert.deepEqual(states(r), [30, 20]);
      assert.deepEqual(ns.seen.map((s) => [s.method, s.body]), [['POST', '905 Attribute Mismatch']]);
      assert.deepEqual(alertData(srv), [['402', 'dd-1', 200]]);
      assert.deepEqual(pending(dir), ['', 0]);
    });

    test('SHA-256 differs: "954 Loader Error" (1226: 402)', async () => {
      const img = image('2.0', 20000, 23);
      const { ns, srv } = await setup('Download', img, { hash: 'ab'.repeat(32) });
      const r = await device(srv, tmp());
      assert.equal(r.end, 'idle');
      assert.deepEqual(states(r), [30, 20]);
      assert.deepEqual(ns.seen.map((s) => [s.method, s.body]), [['POST', '954 Loader Error']]);
      assert.deepEqual(alertData(srv), [['402', 'dd-1', 200]]);
    });

    test('the notify server answers 500 twice, then 200: delivered on the third try', async () => {
      const img = image('2.0', 20000, 24);
      const { ns, srv } = await setup('DownloadAndUpdate', img, { notifyPath: '/n' });
      ns.answers = [500, 500];
      const dir = tmp();
      const r = await device(srv, dir);
      assert.equal(r.end, 'idle', JSON.stringify(r.powerOns.map((p) => p.why)));
      assert.deepEqual(ns.seen.map((s) => [s.method, s.path, s.body, s.answered]), [
        ['POST', '/n', '900 Success', 500], ['POST', '/n', '900 Success', 500], ['POST', '/n', '900 Success', 200]]);
      assert.deepEqual(alertData(srv), [['200', 'dd-1', 200]]);
      assert.deepEqual(pending(dir), ['', 0]);
    });

    test('an https installNotifyURI (test CA): the report goes over TLS like the download', async () => {
      const pki = makePki();
      const img = image('2.0', 20000, 26);
      const { ns, srv } = await setup('Download', img, { notifyPath: '/tls' }, { key: pki.key, cert: pki.cert });
      assert.match(ns.url, /^https:\/\/localhost:/);
      const dir = tmp();
      const r = await device(srv, dir, { ca: pki.ca });
      assert.equal(r.end, 'idle');
      assert.deepEqual(ns.seen.map((s) => [s.method, s.path, s.body, s.answered]), [['POST', '/tls', '900 Success', 200]]);
      assert.deepEqual(pending(dir), ['', 0]);
    });

    test('undelivered in one power-on (server failing): kept in fumo.rec, delivered after the restart', async () => {
      const img = image('2.0', 20000, 25);
      const { ns, srv } = await setup('Download', img, { notifyPath: '/late' });
      ns.answers = [503, 503];
      const dir = tmp();
      const r1 = await device(srv, dir, { download: { retryDelayMs: 50, maxRetries: 1 } });
      assert.equal(r1.end, 'idle');
      assert.deepEqual(states(r1), [30, 40, 50]);
      assert.deepEqual(ns.seen.map((s) => [s.body, s.answered]), [['900 Success', 503], ['900 Success', 503]], '1 + maxRetries attempts');
      assert.deepEqual(pending(dir), [`${ns.url}/late`, 900], 'still pending in fumo.rec');
      assert.deepEqual(alertData(srv), [['200', 'dd-1', 200]], 'the 1226 went out regardless');
      // a new power-on (a new agent on the same storage) delivers it
      const r2 = await device(srv, dir, { download: { retryDelayMs: 50, maxRetries: 1 } });
      assert.equal(r2.end, 'idle');
      assert.deepEqual(ns.seen.map((s) => [s.method, s.path, s.body, s.answered]).slice(2), [['POST', '/late', '900 Success', 200]]);
      assert.deepEqual(pending(dir), ['', 0]);
      assert.deepEqual(alertData(srv), [['200', 'dd-1', 200]], 'no second 1226');
    });
  });
}
