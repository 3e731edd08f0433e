// End-to-end (node-only): the simulated device (child processes on a file-backed simulated NOR flash
// with the native addon) against the loopback DM server and the HTTP(S) download server: Exec
// DownloadAndUpdate → 202 → download → reboot → bootloader trial → commit → 1226 (200) in a new
// client-initiated session; a failing new firmware rolls back → 410; PkgData as a large object over
// DM → Exec Update; HTTPS download with a test CA; a drop mid-download resumes with Range.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeImage } from '../../src/fumo/image';
import { isDeviceChild, runDeviceChild, startDevice } from '../../target/node/fumo-device';
import type { DeviceConfig, DeviceEvent, DeviceRun } from '../../target/node/fumo-device';
import { startDownloadServer } from '../../target/node/download-server';
import type { DownloadServer, DownloadServerOptions } from '../../target/node/download-server';
import { startFumoServer } from '../../target/node/fumo-server';
import type { FumoServer } from '../../target/node/fumo-server';
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

const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'omadm-fumo-e2e-'));
  dirs.push(d);
  return d;
}

async function campaign(commands: Record<string, unknown>[], tls?: { key: string; cert: string }): Promise<FumoServer> {
  const s = await startFumoServer({ deploy: { serverId: SERVER_ID, packages: [{ commands }] }, ...(tls ? { tls } : {}) });
  closers.push(() => s.close());
  return s;
}
async function files(f: Record<string, Uint8Array>, tls?: { key: string; cert: string }, faults?: DownloadServerOptions['faults']): Promise<DownloadServer> {
  const s = await startDownloadServer({ files: Object.fromEntries(Object.entries(f).map(([k, v]) => [k, { body: v }])), ...(tls ? { tls } : {}), ...(faults ? { faults } : {}) });
  closers.push(() => s.close());
  return s;
}
function device(srv: FumoServer, extra: Partial<DeviceConfig> = {}): Promise<DeviceRun> {
  const events: string[] = [];
  return startDevice({
    config: { dir: tmp(), serverUrl: srv.url, serverId: SERVER_ID, fumo: { reportRetryMs: 300 }, download: { retryDelayMs: 50 }, maxLifetimeMs: 8000, ...(process.env['OMADM_TEST_DEBUG'] === '1' ? { logLevel: 'info' as const } : {}), ...extra },
    script: SELF,
    onEvent: (e: DeviceEvent, n) => { if (process.env['OMADM_TEST_DEBUG'] === '1') events.push(`${n} ${JSON.stringify(e)}`); },
  }).then((r) => { if (events.length) process.stderr.write(events.join('\n') + '\n'); return r; });
}
const boots = (r: DeviceRun) => r.powerOns.map((p) => {
  const b = p.events.find((e) => e.t === 'boot') as Extract<DeviceEvent, { t: 'boot' }> | undefined;
  return b ? `${b.slot}:${b.version}:${b.reason}${b.failed ? ':failed' : ''}` : p.why;
});
const states = (r: DeviceRun) => r.powerOns.flatMap((p) => p.events.filter((e) => e.t === 'state').map((e) => (e as { to: number }).to));

if (isDeviceChild()) {
  runDeviceChild();
} else {
  const skip = findNativeAddon() === null ? 'native addon not built (make native)' : false;
  after(async () => {
    for (const c of closers) await c();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  describe('e2e: FUMO on the simulated device', { skip }, () => {
    test('DownloadAndUpdate: 202, download, reboot, trial boot, commit, 1226 (200) in a new session', async () => {
      const img = image('2.0', 64 * 1024, 1);
      const dl = await files({ '/fw-2.0.bin': img });
      const srv = await campaign([
        { cmd: 'Replace', target: `${X}/DownloadAndUpdate/PkgURL`, data: `${dl.url}/fw-2.0.bin`, format: 'chr', expect: 200 },
        { cmd: 'Exec', target: `${X}/DownloadAndUpdate`, correlator: 'job-17', expect: 202 },
      ]);
      const r = await device(srv);
      assert.equal(r.end, 'idle', JSON.stringify(r.powerOns.map((p) => p.why)));
      assert.deepEqual(boots(r), ['0:1.0:active', '1:2.0:trial']);
      assert.deepEqual(r.powerOns.map((p) => p.why), ['reboot', 'idle']);
      assert.deepEqual(states(r), [30, 40, 60, 100]);
      assert.deepEqual(srv.execStatuses(), [202]);
      const alerts = srv.alerts();
      assert.equal(alerts.length, 1);
      assert.equal(alerts[0]!.correlator, 'job-17');
      assert.deepEqual(alerts[0]!.items.map((i) => [i.source, i.type, i.format, i.data, i.mark]), [[`${X}/DownloadAndUpdate`, 'org.openmobilealliance.dm.firmwareupdate.downloadandupdate', 'int', '200', undefined]]);
      assert.equal(alerts[0]!.status, 200);
      const sessions = srv.sessions();
      assert.deepEqual(sessions.map((s) => [s.phase, s.rec.alert, s.rec.outcome]), [['deploy', 1201, 'completed'], ['after', 1201, 'completed']]);
      assert.equal(sessions[1]!.rec.devInfo['./DevInfo/DevId'], 'IMEI:001010123456789');
      assert.deepEqual(dl.requests.map((q) => [q.path, q.range, q.status]), [['/fw-2.0.bin', null, 200]]);
      // the next power-on keeps the new firmware and has nothing to report
      const again = await startDevice({ config: { dir: dirs[dirs.length - 1]!, serverUrl: srv.url, serverId: SERVER_ID }, script: SELF });
      assert.deepEqual(boots(again), ['1:2.0:active']);
      assert.equal(srv.alerts().length, 1);
    });

    test('a firmware that never boots: three trials, rollback to A, 1226 (410, critical)', async () => {
      const dl = await files({ '/bad.bin': image('6.6.6', 20000, 2) });
      const srv = await campaign([
        { cmd: 'Replace', target: `${X}/DownloadAndUpdate/PkgURL`, data: `${dl.url}/bad.bin`, format: 'chr' },
        { cmd: 'Exec', target: `${X}/DownloadAndUpdate`, correlator: 'bad-1', expect: 202 },
      ]);
      const r = await device(srv, { failVersions: ['6.6.6'] });
      assert.equal(r.end, 'idle');
      assert.deepEqual(boots(r), ['0:1.0:active', '1:6.6.6:trial:failed', '1:6.6.6:trial:failed', '1:6.6.6:trial:failed', '0:1.0:rollback']);
      assert.deepEqual(states(r), [30, 40, 60, 80]);
      const a = srv.alerts();
      assert.equal(a.length, 1);
      assert.deepEqual([a[0]!.items[0]!.data, a[0]!.items[0]!.mark, a[0]!.correlator], ['410', 'critical', 'bad-1']);
    });

    test('PkgData over DM as a large object (small MaxMsgSize) → Exec Update → 1226 (update, 200)', async () => {
      const img = image('3.0', 40000, 3);
      const srv = await campaign([
        { cmd: 'Replace', target: `${X}/Update/PkgData`, dataBase64: Buffer.from(img).toString('base64'), format: 'bin', expect: 200 },
        { cmd: 'Exec', target: `${X}/Update`, correlator: 'up-1', expect: 202 },
      ]);
      const r = await device(srv, { account: { defaultEncoding: 'application/vnd.syncml.dm+wbxml' } });
      assert.equal(r.end, 'idle');
      assert.deepEqual(boots(r), ['0:1.0:active', '1:3.0:trial']);
      assert.deepEqual(states(r), [50, 60, 100]);
      const deploy = srv.sessions()[0]!.rec;
      const chunks = deploy.statuses.filter((s) => s.cmd === 'Replace').map((s) => s.code);
      assert.ok(chunks.length > 2 && chunks.slice(0, -1).every((c) => c === 213) && chunks[chunks.length - 1] === 200, `chunk statuses ${chunks.join(',')}`);
      const a = srv.alerts();
      assert.deepEqual(a.map((x) => [x.correlator, x.items[0]!.type, x.items[0]!.source, x.items[0]!.data]), [['up-1', 'org.openmobilealliance.dm.firmwareupdate.update', `${X}/Update`, '200']]);
    });

    test('HTTPS download (test CA) with a drop mid-body: resumed with Range, verified, installed', async () => {
      const pki = makePki();
      const img = image('4.0', 100000, 4);
      const dl = await files({ '/fw.bin': img }, { key: pki.key, cert: pki.cert }, ({ n }) => (n === 0 ? { dropAfter: 30000 } : undefined));
      const srv = await campaign([
        { cmd: 'Replace', target: `${X}/DownloadAndUpdate/PkgURL`, data: `${dl.url.replace('127.0.0.1', 'localhost')}/fw.bin`, format: 'chr' },
        { cmd: 'Exec', target: `${X}/DownloadAndUpdate`, correlator: 'tls', expect: 202 },
      ], { key: pki.key, cert: pki.cert });
      const r = await device(srv, { ca: pki.ca, serverUrl: srv.url.replace('127.0.0.1', 'localhost') });
      assert.equal(r.end, 'idle');
      assert.deepEqual(boots(r), ['0:1.0:active', '1:4.0:trial']);
      assert.deepEqual(dl.requests.map((q) => [q.range, q.status]), [[null, 200], ['bytes=30000-', 206]]);
      assert.deepEqual(srv.alerts().map((a) => a.items[0]!.data), ['200']);
    });

    test('a power cut halfway through the download (the demo flag): restart, Range resume, one 1226 (200)', async () => {
      const img = image('5.0', 120 * 1024 - 96, 5);
      // The first answer stops after 64 KiB (53 %) and holds the connection: the device cuts its power
      // at 50 % before the rest can arrive. (Paced pieces alone were not enough: a device process
      // stalled by a loaded machine read the whole rest in one chunk, crossed 50 % at 100 %, and
      // resumed with nothing left to fetch — no Range request, a rare failure of this test.)
      const dl = await files({ '/fw.bin': img }, undefined, ({ range }) => (range === null ? { pieceBytes: 8192, paceMs: 2, dropAfter: 64 * 1024, stallMs: 5000 } : { pieceBytes: 8192, paceMs: 2 }));
      const srv = await campaign([
        { cmd: 'Replace', target: `${X}/DownloadAndUpdate/PkgURL`, data: `${dl.url}/fw.bin`, format: 'chr' },
        { cmd: 'Exec', target: `${X}/DownloadAndUpdate`, correlator: 'cut', expect: 202 },
      ]);
      const progress: number[] = [];
      const r = await startDevice({
        config: { dir: tmp(), serverUrl: srv.url, serverId: SERVER_ID, fumo: { reportRetryMs: 300 } },
        script: SELF,
        faultFor: (n) => (n === 1 ? { downloadFraction: 0.5 } : undefined),
        onEvent: (e) => { if (e.t === 'progress' && e.phase === 'download' && e.total) progress.push(Math.floor((e.done * 100) / e.total)); },
      });
      assert.equal(r.end, 'idle');
      assert.deepEqual(r.powerOns.map((p) => p.why), ['power-cut', 'reboot', 'idle']);
      const resumed = r.powerOns[1]!.events.find((e) => e.t === 'resume') as Extract<DeviceEvent, { t: 'resume' }>;
      assert.equal(resumed.state, 30);
      assert.ok(resumed.written >= 40 * 1024 && resumed.written % 4096 === 0, `checkpoint ${resumed.written}`);
      assert.deepEqual(dl.requests.map((q) => q.range), [null, `bytes=${resumed.written}-`]);
      assert.deepEqual(srv.alerts().map((a) => [a.items[0]!.data, a.correlator]), [['200', 'cut']]);
      assert.ok(progress.some((p) => p >= 50) && progress[progress.length - 1] === 100);
    });

    test('the result alert waits out an unreachable server and a reboot, then arrives once (at-least-once queue)', async () => {
      const dl = await files({ '/fw.bin': image('7.0', 20000, 7) });
      const deploy = [
        { cmd: 'Replace', target: `${X}/DownloadAndUpdate/PkgURL`, data: `${dl.url}/fw.bin`, format: 'chr' },
        { cmd: 'Exec', target: `${X}/DownloadAndUpdate`, correlator: 'late', expect: 202 },
      ];
      const down = await startFumoServer({ deploy: { serverId: SERVER_ID, packages: [{ commands: deploy }] }, after: { serverId: SERVER_ID, packages: [], faults: { httpStatus: 503 } } });
      closers.push(() => down.close());
      const dir = tmp();
      const cfg = { dir, serverId: SERVER_ID, fumo: { reportRetryMs: 200 }, account: { connRetryFreq: 0 } };
      const r1 = await startDevice({ config: { ...cfg, serverUrl: down.url, maxLifetimeMs: 2500 }, script: SELF });
      assert.deepEqual(r1.powerOns.map((p) => p.why), ['reboot', 'timeout'], 'the report never got through');
      assert.deepEqual(down.alerts(), []);
      // the server comes back on the same address (the account in the device's tree keeps it)
      await down.close();
      const up = await startFumoServer({ deploy: { serverId: SERVER_ID, packages: [{ commands: deploy }] }, port: down.port });
      closers.push(() => up.close());
      const r2 = await startDevice({ config: { ...cfg, serverUrl: up.url, maxLifetimeMs: 10000 }, script: SELF });
      assert.deepEqual(r2.powerOns.map((p) => p.why), ['idle']);
      assert.deepEqual(up.alerts().map((a) => [a.items[0]!.data, a.correlator, a.status]), [['200', 'late', 200]]);
      assert.deepEqual(up.sessions().map((x) => x.phase), ['after'], 'a session carrying a 1226 never gets the campaign again');
    });

    test('download failures are reported: 404 → 411 (State 20), no reboot', async () => {
      const dl = await files({});
      const srv = await campaign([
        { cmd: 'Replace', target: `${X}/Download/PkgURL`, data: `${dl.url}/missing.bin`, format: 'chr' },
        { cmd: 'Exec', target: `${X}/Download`, correlator: 'd404', expect: 202 },
      ]);
      const r = await device(srv);
      assert.equal(r.end, 'idle');
      assert.deepEqual(r.powerOns.map((p) => p.why), ['idle']);
      assert.deepEqual(states(r), [30, 20]);
      assert.deepEqual(srv.alerts().map((a) => [a.items[0]!.data, a.items[0]!.type, a.items[0]!.mark]), [['411', 'org.openmobilealliance.dm.firmwareupdate.download', 'critical']]);
    });
  });
}
