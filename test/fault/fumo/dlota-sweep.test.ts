// Layer: fault (node-only). Power cuts around the DLOTA status report: a DownloadAndUpdate through a
// download descriptor with an installNotifyURI on the simulated device (child processes, native
// file-backed NOR flash simulator, real storage files, loopback DM, download and notify servers).
//
// A reference run enumerates every write of the flow across its power-ons (record-store writes incl.
// the report's own commits in fumo.rec, flash erases, page programs). Then, for every record-store
// write (fumo.rec's also torn after 7 bytes) and every flash erase (page programs are left to
// sweep.test.ts), a fresh device runs the same flow and loses power exactly there;
// the supervisor powers it on again until it is idle. Checked for each run:
//   - before every power-on after the first: once fumo.rec says the download ended (State past 30),
//     and until the notify server has answered a report with 2xx, fumo.rec holds the report
//     (the notify URI and 900): pending or delivered, never lost;
//   - at the end the report was delivered (a 2xx-answered `900 Success`, every POST body that one)
//     and fumo.rec no longer holds it; a second delivery only after a cut that hit the clearing
//     commit or a POST in flight (at-least-once);
//   - the package and slots end as without the report: State 100, slot B active, versions 1.0 / 2.0,
//     never bricked, the 1226 (200) delivered.
// A smaller image than sweep.test.ts (4 erase blocks) keeps this under ~30 s; sweep.test.ts covers the
// download's checkpoints in depth.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeImage } from '../../../src/fumo/image';
import { BootControl } from '../../../src/fumo/BootControl';
import { FumoRecordStore } from '../../../src/fumo/record';
import { FumoState, stateName } from '../../../src/fumo/Machine';
import { isDeviceChild, runDeviceChild, startDevice, deviceSlots } from '../../../target/node/fumo-device';
import type { DeviceConfig, DeviceEvent, DeviceRun } from '../../../target/node/fumo-device';
import { startDownloadServer } from '../../../target/node/download-server';
import { startFumoServer } from '../../../target/node/fumo-server';
import { slotImageVersion } from '../../../target/node/bootsim';
import { openFlash } from '../../../target/node/flash';
import { DirStorage } from '../../../target/node/platform';
import { findNativeAddon } from '../../../target/node/native';
import { pool } from '../../helpers/pool';

const SELF = fileURLToPath(import.meta.url);
const ERASE = 4096;
const PAGE = 1024;
const SERVER_ID = 'com.mgmtsrv.manage';
const X = './FUMO/fw';
/** A 16 KiB image (header + payload): 4 erase blocks. */
const IMG = (() => {
  const p = new Uint8Array(16 * 1024 - 96);
  let x = 7;
  for (let i = 0; i < p.length; i++) { x = (x * 1103515245 + 12345) >>> 0; p[i] = x >>> 24; }
  return encodeImage('2.0', p);
})();

type Write = Extract<DeviceEvent, { t: 'write' }> & { powerOn: number };
interface Post { body: string; status: number }
interface Scenario {
  run: DeviceRun;
  writes: Write[];
  boots: Extract<DeviceEvent, { t: 'boot' }>[];
  posts: Post[];
  notifyUri: string;
  /** Violations of "pending or delivered" seen before power-ons. */
  lost: string[];
  /** Power-ons that started with the download ended, nothing delivered, and the report pending. */
  checked: number;
  alerts: { data: string; status: number }[];
  dir: string;
}

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function readRecord(dir: string) {
  return new FumoRecordStore(new DirStorage(dir)).load();
}

async function scenario(target: number, tear: number, trace = false): Promise<Scenario> {
  const dir = mkdtempSync(join(tmpdir(), 'omadm-dlota-sweep-'));
  dirs.push(dir);
  const posts: Post[] = [];
  const ns = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      posts.push({ body: req.method === 'POST' ? Buffer.concat(parts).toString('utf8') : `(${req.method})`, status: 200 });
      res.writeHead(200, { 'Content-Length': '0', Connection: 'close' });
      res.end();
    });
  });
  await new Promise<void>((ok) => ns.listen(0, '127.0.0.1', ok));
  const notifyUri = `http://127.0.0.1:${(ns.address() as AddressInfo).port}/dlota/notify`;
  const ddBody = `<media xmlns="http://www.openmobilealliance.org/xmlns/dd"><DDVersion>1.0</DDVersion><objectURI>fw.bin</objectURI>` +
    `<size>${IMG.length}</size><type>application/octet-stream</type><installParam>sha256=${createHash('sha256').update(IMG).digest('hex')}</installParam>` +
    `<installNotifyURI>${notifyUri}</installNotifyURI></media>`;
  const dl = await startDownloadServer({ files: { '/fw.bin': { body: IMG }, '/fw.dd': { body: new TextEncoder().encode(ddBody), type: 'application/vnd.oma.dd+xml' } } });
  const srv = await startFumoServer({
    deploy: { serverId: SERVER_ID, packages: [{ commands: [
      { cmd: 'Replace', target: `${X}/DownloadAndUpdate/PkgURL`, data: `${dl.url}/fw.dd`, format: 'chr' },
      { cmd: 'Exec', target: `${X}/DownloadAndUpdate`, correlator: 'dlota', expect: [202, 405] },
    ] }] },
    execTarget: `${X}/DownloadAndUpdate`,
  });
  const s: Scenario = { run: { powerOns: [], end: '', writes: 0 }, writes: [], boots: [], posts, notifyUri, lost: [], checked: 0, alerts: [], dir };
  const cfg: DeviceConfig = {
    dir, serverUrl: srv.url, serverId: SERVER_ID, flash: { eraseSize: ERASE, pageSize: PAGE, slotSize: 128 * 1024 },
    fumo: { reportRetryMs: 200 }, download: { retryDelayMs: 20, idleTimeoutMs: 5000 }, maxLifetimeMs: 20000, traceWrites: trace,
  };
  try {
    s.run = await startDevice({
      config: cfg, script: SELF, maxPowerOns: 12,
      beforePowerOn: (n) => {
        if (n === 1 || posts.some((p) => p.status >= 200 && p.status < 300)) return;
        const l = readRecord(dir);
        if (l.how !== 'loaded') return;
        const r = l.record;
        const ended = r.state !== FumoState.Idle && r.state !== FumoState.DownloadProgressing;
        if (ended && (r.reportUri !== notifyUri || r.reportCode !== 900)) {
          s.lost.push(`power-on ${n}: State ${stateName(r.state)}, report ${JSON.stringify([r.reportUri, r.reportCode])}, nothing delivered yet`);
        } else if (ended) s.checked++;
      },
      faultFor: (_n, prev) => {
        if (target === 0 || prev.some((p) => p.why === 'power-cut')) return undefined;
        const used = prev.reduce((a, p) => a + p.writes, 0);
        return target - used > 0 ? { at: target - used, tear } : undefined;
      },
      onEvent: (e, n) => {
        if (e.t === 'write') s.writes.push({ ...e, powerOn: n });
        else if (e.t === 'boot') s.boots.push(e);
      },
    });
  } finally {
    s.alerts = srv.alerts().map((a) => ({ data: a.items[0]?.data ?? '', status: a.status }));
    await srv.close();
    await dl.close();
    ns.closeAllConnections();
    await new Promise<void>((ok) => ns.close(() => ok()));
  }
  return s;
}

function finalState(dir: string): { fumo: number; report: [string, number]; active: number; versions: [string | null, string | null] } {
  const st = new DirStorage(dir);
  const f = new FumoRecordStore(st).load();
  const b = new BootControl(st).state;
  const slots = deviceSlots({ dir, serverUrl: '', serverId: '', flash: { slotSize: 128 * 1024 } } as DeviceConfig);
  const flash = openFlash(join(dir, 'flash.img'), { kind: 'sim', eraseSize: ERASE, pageSize: PAGE });
  try {
    return { fumo: f.record.state, report: [f.record.reportUri, f.record.reportCode], active: b.active, versions: [slotImageVersion(flash, slots[0]), slotImageVersion(flash, slots[1])] };
  } finally {
    flash.close();
  }
}

if (isDeviceChild()) {
  runDeviceChild();
} else {
  const skip = findNativeAddon() === null ? 'native addon not built (make native)' : false;
  describe('DLOTA report power-cut sweep (child processes, native flash simulator)', { skip }, () => {
    let ref: Scenario;

    test('reference run: one "900 Success" before the reboot, the report cleared by its own commit', { timeout: 60_000 }, async () => {
      ref = await scenario(0, 0, true);
      assert.equal(ref.run.end, 'idle', JSON.stringify(ref.run.powerOns.map((p) => p.why)));
      assert.deepEqual(ref.boots.map((b) => `${b.slot}:${b.version}:${b.reason}`), ['0:1.0:active', '1:2.0:trial']);
      assert.deepEqual(ref.posts, [{ body: '900 Success', status: 200 }]);
      assert.deepEqual(ref.alerts, [{ data: '200', status: 200 }]);
      assert.deepEqual(ref.lost, []);
      assert.equal(ref.writes.length, ref.run.writes);
      const fin = finalState(ref.dir);
      assert.deepEqual(fin, { fumo: FumoState.UpdateSuccessfulNoData, report: ['', 0], active: 1, versions: ['1.0', '2.0'] });
      assert.ok(ref.writes.filter((w) => w.powerOn === 1 && w.kind === 'store' && w.where.startsWith('fumo.rec')).length >= 8);
    });

    test('a power cut at every write: the report is pending or delivered, never lost', { timeout: 600_000 }, async () => {
      assert.ok(ref, 'reference run first');
      const cases: { i: number; w: Write; tear: number }[] = [];
      // every record-store write, fumo.rec's also torn, and the flash erases (page programs are
      // sweep.test.ts's: the report adds no flash write)
      ref.writes.forEach((w, k) => {
        if (w.kind === 'program') return;
        cases.push({ i: k + 1, w, tear: 0 });
        if (w.kind === 'store' && w.where.startsWith('fumo.rec')) cases.push({ i: k + 1, w, tear: 7 });
      });
      const failures: string[] = [];
      let redelivered = 0;
      let pendingAcrossCut = 0;
      await pool(cases, 2, async ({ i, w, tear }) => {
        const at = `cut at write #${i} (${w.kind} ${w.where}, power-on ${w.powerOn}, tear ${tear})`;
        try {
          const s = await scenario(i, tear);
          assert.ok(s.run.powerOns.some((p) => p.why === 'power-cut'), 'the power was cut');
          assert.equal(s.run.end, 'idle', `ended ${s.run.end}: ${s.run.powerOns.map((p) => p.why).join(',')}`);
          assert.ok(s.run.powerOns.every((p) => p.why !== 'bricked'), 'never bricked');
          for (const b of s.boots) assert.ok(b.version === '1.0' || b.version === '2.0', `booted ${b.version}`);
          assert.deepEqual(s.lost, []);
          assert.ok(s.posts.length >= 1 && s.posts.every((p) => p.body === '900 Success'), `posts ${JSON.stringify(s.posts)}`);
          if (s.posts.length > 1) redelivered++;
          const fin = finalState(s.dir);
          assert.equal(fin.fumo, FumoState.UpdateSuccessfulNoData, `final State ${stateName(fin.fumo)}`);
          assert.deepEqual(fin.report, ['', 0], 'delivered and cleared');
          assert.equal(fin.active, 1);
          assert.deepEqual(fin.versions, ['1.0', '2.0']);
          assert.ok(s.alerts.length >= 1 && s.alerts.every((a) => a.data === '200' && a.status === 200), `alerts ${JSON.stringify(s.alerts)}`);
          if (s.checked > 0) pendingAcrossCut++;
        } catch (e) {
          failures.push(`${at}: ${(e as Error).message.split('\n')[0]}`);
        }
      });
      process.stdout.write(`DLOTA power-cut sweep: ${ref.writes.length} crash points (${ref.writes.filter((w) => w.kind === 'store').length} record-store writes), ${cases.length} runs, ${pendingAcrossCut} with the report pending across a cut, ${redelivered} re-deliveries (at-least-once), ${failures.length} failures\n`);
      assert.deepEqual(failures, []);
      assert.ok(pendingAcrossCut > 0, 'some cuts fell between the end of the download and the delivery');
    });
  });
}

