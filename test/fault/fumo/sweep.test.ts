// Layer: fault (node-only). The power-cut sweep of a whole FUMO DownloadAndUpdate on the simulated
// device: child processes on the native file-backed NOR flash simulator, real storage files, the
// loopback DM server and the HTTP download server.
//
// 1. A reference run enumerates every write of the flow across all its power-ons: record-store
//    writes (fumo.rec, boot.rec, alerts.rec, tree.rec, including the bootloader's), flash erases
//    and flash page programs.
// 2. For each write (and torn variants: a storage write keeping its first bytes, a page program
//    cut inside the page, a partial erase) a fresh device runs the same flow and loses power
//    exactly there (storage: the process SIGKILLs itself after the torn bytes; flash: the native
//    simulator `_exit`s inside the operation); the supervisor powers it on again until it is idle.
// 3. Each run must show: every power-on boots a valid image (old or new, never neither), every
//    persisted FUMO State is a legal one, a download interrupted after a checkpoint resumes with
//    `Range: bytes=<checkpoint>-` (and gets 206), the device ends on the new firmware in State 100,
//    and the server receives the final 1226 (200) exactly once — twice only when the cut hit the
//    alert queue's removal commit after the server's acknowledgement (at-least-once delivery).
//
// Write numbers are global across power-ons and the check-in session's writes (tree.rec) may
// interleave with the download's under load, so a crash point's number can name a different write
// than in the reference run: every case traces its writes, and a failure prints the whole run
// (the write actually cut, per power-on the boot, resume, states, sessions and record-store writes,
// the end state, the servers' view).
//
// OMADM_FUMO_SWEEP=full: 256-byte pages and every torn variant (a longer run, `make fumo-sweep`).
// Hunting a rare failure: OMADM_FUMO_SWEEP_ONLY=95-110 (crash points), OMADM_FUMO_SWEEP_REPEAT=n,
// OMADM_FUMO_SWEEP_TRACE=1 (print the reference run).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeImage } from '../../../src/fumo/image';
import { BootControl } from '../../../src/fumo/BootControl';
import { FumoRecordStore } from '../../../src/fumo/record';
import { FumoState, isFumoState, stateName } from '../../../src/fumo/Machine';
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
const FULL = process.env['OMADM_FUMO_SWEEP'] === 'full';
const ERASE = 4096;
const PAGE = FULL ? 256 : 1024;
const SERVER_ID = 'com.mgmtsrv.manage';
const X = './FUMO/fw';
/** A 64 KiB image (header + payload): 16 erase blocks. */
const IMG = (() => {
  const p = new Uint8Array(64 * 1024 - 96);
  let x = 99;
  for (let i = 0; i < p.length; i++) { x = (x * 1103515245 + 12345) >>> 0; p[i] = x >>> 24; }
  return encodeImage('2.0', p);
})();

type Write = Extract<DeviceEvent, { t: 'write' }> & { powerOn: number };

interface Scenario {
  run: DeviceRun;
  writes: Write[];
  resumes: { powerOn: number; state: number; written: number; expectedSize: number; how: string }[];
  boots: Extract<DeviceEvent, { t: 'boot' }>[];
  alerts: { data: string; correlator: string | undefined; status: number }[];
  requests: { range: string | null; status: number }[];
  execStatuses: number[];
  dir: string;
  /** Every event of every power-on (for the trace of a failing case). */
  events: { n: number; e: DeviceEvent }[];
}

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** One DownloadAndUpdate on a fresh device; `target` = global write number to cut at (0 = none). */
async function scenario(target: number, tear: number, trace = false, sessionId?: string): Promise<Scenario> {
  const dir = mkdtempSync(join(tmpdir(), 'omadm-fumo-sweep-'));
  dirs.push(dir);
  const dl = await startDownloadServer({ files: { '/fw-2.0.bin': { body: IMG } } });
  const srv = await startFumoServer({
    deploy: { serverId: SERVER_ID, packages: [{ commands: [
      { cmd: 'Replace', target: `${X}/DownloadAndUpdate/PkgURL`, data: `${dl.url}/fw-2.0.bin`, format: 'chr' },
      { cmd: 'Exec', target: `${X}/DownloadAndUpdate`, correlator: 'sweep', expect: [202, 405] },
    ] }] },
    execTarget: `${X}/DownloadAndUpdate`,
  });
  const s: Scenario = { run: { powerOns: [], end: '', writes: 0 }, writes: [], resumes: [], boots: [], alerts: [], requests: [], execStatuses: [], dir, events: [] };
  const cfg: DeviceConfig = {
    dir, serverUrl: srv.url, serverId: SERVER_ID, flash: { eraseSize: ERASE, pageSize: PAGE, slotSize: 128 * 1024 },
    fumo: { reportRetryMs: 200 }, download: { retryDelayMs: 20, idleTimeoutMs: 5000 }, maxLifetimeMs: 20000, traceWrites: trace, ...(sessionId !== undefined ? { sessionId } : {}),
  };
  try {
    s.run = await startDevice({
      config: cfg, script: SELF, maxPowerOns: 12,
      faultFor: (_n, prev) => {
        if (target === 0 || prev.some((p) => p.why === 'power-cut')) return undefined;
        const used = prev.reduce((a, p) => a + p.writes, 0);
        return target - used > 0 ? { at: target - used, tear } : undefined;
      },
      onEvent: (e, n) => {
        s.events.push({ n, e });
        if (e.t === 'write') s.writes.push({ ...e, powerOn: n });
        else if (e.t === 'resume') s.resumes.push({ powerOn: n, state: e.state, written: e.written, expectedSize: e.expectedSize, how: e.how });
        else if (e.t === 'boot') s.boots.push(e);
      },
    });
  } finally {
    s.alerts = srv.alerts().map((a) => ({ data: a.items[0]?.data ?? '', correlator: a.correlator, status: a.status }));
    s.requests = dl.requests.map((q) => ({ range: q.range, status: q.status }));
    s.execStatuses = srv.execStatuses();
    await srv.close();
    await dl.close();
  }
  return s;
}

/** The device's durable end state, read from its folder. */
function finalState(dir: string): { fumo: number; active: number; versions: [string | null, string | null] } {
  const st = new DirStorage(dir);
  const f = new FumoRecordStore(st).load();
  const b = new BootControl(st).state;
  const cfg = { dir, serverUrl: '', serverId: '', flash: { slotSize: 128 * 1024 } } as DeviceConfig;
  const slots = deviceSlots(cfg);
  const flash = openFlash(join(dir, 'flash.img'), { kind: 'sim', eraseSize: ERASE, pageSize: PAGE });
  try {
    return { fumo: f.record.state, active: b.active, versions: [slotImageVersion(flash, slots[0]), slotImageVersion(flash, slots[1])] };
  } finally {
    flash.close();
  }
}

/** The write the power was cut at (the last one the power-cut power-on traced). */
function cutWrite(s: Scenario): Write | undefined {
  const n = s.run.powerOns.findIndex((p) => p.why === 'power-cut') + 1;
  return n === 0 ? undefined : s.writes.filter((w) => w.powerOn === n).pop();
}

/**
 * The story of one run, for a failing case: per power-on how it ended, the cut write (the last
 * write it traced), the boot decision, resume, state changes and sessions, with the record-store
 * writes in order (flash erases/programs counted); then the durable end state and the servers' view.
 */
function trace(s: Scenario): string {
  const out: string[] = [];
  s.run.powerOns.forEach((p, k) => {
    const n = k + 1;
    const evs = s.events.filter((x) => x.n === n).map((x) => x.e);
    const ws = evs.filter((e): e is Extract<DeviceEvent, { t: 'write' }> => e.t === 'write');
    const last = ws[ws.length - 1];
    out.push(`power-on ${n}: ${p.why} (code ${p.code}, signal ${p.signal}), ${ws.length} writes${p.why === 'power-cut' && last ? `, cut at its write ${last.n}: ${last.kind} ${last.where}` : ''}`);
    let flash = 0;
    const flush = (): void => { if (flash > 0) out.push(`    … ${flash} flash writes`); flash = 0; };
    for (const e of evs) {
      if (e.t === 'write') {
        if (e.kind !== 'store') { flash++; continue; }
        flush();
        out.push(`    w${e.n} ${e.where}`);
      } else if (e.t !== 'progress' && e.t !== 'log' && e.t !== 'message') {
        flush();
        out.push(`  ${JSON.stringify(e)}`);
      }
    }
    flush();
  });
  try {
    const st = new DirStorage(s.dir);
    out.push(`boot.rec: ${JSON.stringify(new BootControl(st).state)}`);
    const f = new FumoRecordStore(st).load().record;
    out.push(`fumo.rec: ${JSON.stringify({ state: f.state, op: f.op, result: f.result, reported: f.reported, slot: f.slot, step: f.step, bootGen: f.bootGen, serial: f.serial, resumes: f.resumes })}`);
    out.push(`final: ${JSON.stringify(finalState(s.dir))}`);
  } catch (e) {
    out.push(`end state unreadable: ${String(e)}`);
  }
  out.push(`alerts: ${JSON.stringify(s.alerts)}; Exec statuses: ${JSON.stringify(s.execStatuses)}; requests: ${JSON.stringify(s.requests)}`);
  return out.join('\n');
}

if (isDeviceChild()) {
  runDeviceChild();
} else {
  const skip = findNativeAddon() === null ? 'native addon not built (make native)' : false;
  describe('FUMO power-cut sweep (child processes, native flash simulator)', { skip }, () => {
    let ref: Scenario;

    test('reference run: the flow and its writes', { timeout: 60_000 }, async () => {
      ref = await scenario(0, 0, true);
      if (process.env['OMADM_FUMO_SWEEP_TRACE'] === '1') process.stdout.write(`reference run\n${trace(ref)}\n`);
      assert.equal(ref.run.end, 'idle', JSON.stringify(ref.run.powerOns.map((p) => p.why)));
      assert.deepEqual(ref.boots.map((b) => `${b.slot}:${b.version}:${b.reason}`), ['0:1.0:active', '1:2.0:trial']);
      assert.deepEqual(ref.alerts, [{ data: '200', correlator: 'sweep', status: 200 }]);
      assert.equal(ref.writes.length, ref.run.writes, 'traced writes = counted writes');
      const kinds = { store: 0, erase: 0, program: 0 };
      for (const w of ref.writes) kinds[w.kind]++;
      assert.equal(kinds.erase, 16, 'one erase per 4 KiB block of the 64 KiB image');
      assert.equal(kinds.program, 16 * (ERASE / PAGE));
      const blobs = new Set(ref.writes.filter((w) => w.kind === 'store').map((w) => w.where.replace(/\.[ab]$/, '')));
      for (const b of ['fumo.rec', 'boot.rec', 'alerts.rec', 'tree.rec']) assert.ok(blobs.has(b), `${b} written during the flow`);
    });

    // The device picks a random 16-bit SessionID per session, so a later session may repeat the
    // deploy session's (≈ 1 in 65,000 scenarios, a few tenths of a percent of the sweeps). The
    // campaign server routed sessions by (device, SessionID) for good: the final report session then
    // went to the deploy script again, whose repeated Exec started a second DownloadAndUpdate from
    // State 100 (slot A rewritten with 2.0, slot A active, two 1226s) — a sweep case failing on
    // `fin.active` 0 !== 1 whatever write it cut. Every session of this run has the same SessionID.
    test('a SessionID repeated in a later power-on is a new session: the campaign runs once', { timeout: 60_000 }, async () => {
      const s = await scenario(0, 0, true, '1234');
      const why = trace(s);
      assert.equal(s.run.end, 'idle', why);
      assert.deepEqual(s.boots.map((b) => `${b.slot}:${b.version}:${b.reason}`), ['0:1.0:active', '1:2.0:trial'], why);
      assert.deepEqual(s.execStatuses, [202], why);
      assert.deepEqual(s.alerts, [{ data: '200', correlator: 'sweep', status: 200 }], why);
      assert.deepEqual(finalState(s.dir), { fumo: FumoState.UpdateSuccessfulNoData, active: 1, versions: ['1.0', '2.0'] }, why);
    });

    test('a power cut at every write recovers', { timeout: 1_800_000 }, async () => {
      assert.ok(ref, 'reference run first');
      const cases: { i: number; w: Write; tear: number }[] = [];
      ref.writes.forEach((w, k) => {
        const i = k + 1;
        cases.push({ i, w, tear: 0 });
        if (w.kind === 'store') cases.push({ i, w, tear: 7 });
        if (w.kind === 'program' && (FULL || k % 4 === 0)) cases.push({ i, w, tear: Math.floor(PAGE / 3) });
        if (w.kind === 'erase' && (FULL || k % 2 === 0)) cases.push({ i, w, tear: ERASE / 2 });
      });
      // OMADM_FUMO_SWEEP_ONLY=95-110 (crash points) and OMADM_FUMO_SWEEP_REPEAT=n: hunting a rare case
      const only = /^(\d+)-(\d+)$/.exec(process.env['OMADM_FUMO_SWEEP_ONLY'] ?? '');
      const repeat = Math.max(1, Number(process.env['OMADM_FUMO_SWEEP_REPEAT'] ?? '1') | 0);
      const picked = only ? cases.filter((c) => c.i >= Number(only[1]) && c.i <= Number(only[2])) : cases;
      cases.splice(0, cases.length, ...Array.from({ length: repeat }, () => picked).flat());
      const failures: string[] = [];
      let resumedWithRange = 0;
      let duplicates = 0;
      let extraBoots = 0;
      let refusedRepeats = 0;
      await pool(cases, 2, async ({ i, w, tear }) => {
        const at = `cut at write #${i} (${w.kind} ${w.where}, power-on ${w.powerOn}, tear ${tear})`;
        let s: Scenario | undefined;
        try {
          s = await scenario(i, tear, true);
          const cut = s.run.powerOns.findIndex((p) => p.why === 'power-cut');
          assert.ok(cut >= 0, 'the power was cut');
          assert.equal(s.run.end, 'idle', `ended ${s.run.end}: ${s.run.powerOns.map((p) => p.why).join(',')}`);
          assert.ok(s.run.powerOns.every((p) => p.why !== 'bricked'), 'never bricked');
          for (const b of s.boots) assert.ok(b.version === '1.0' || b.version === '2.0', `booted ${b.version}`);
          for (const r of s.resumes) {
            assert.notEqual(r.how, 'corrupt', 'fumo.rec always readable');
            assert.ok(isFumoState(r.state), `illegal persisted state ${r.state}`);
            if (r.state === FumoState.DownloadProgressing && r.written > 0 && r.written !== r.expectedSize) {
              const want = `bytes=${r.written}-`;
              assert.ok(s.requests.some((q) => q.range === want && q.status === 206), `resume from ${r.written}: requests ${JSON.stringify(s.requests)}`);
              resumedWithRange++;
            }
          }
          assert.ok(s.requests.every((q) => q.range === null || q.status === 206), 'every Range request continued (206)');
          const fin = finalState(s.dir);
          assert.equal(fin.fumo, FumoState.UpdateSuccessfulNoData, `final State ${stateName(fin.fumo)}`);
          assert.equal(fin.active, 1);
          assert.deepEqual(fin.versions, ['1.0', '2.0']);
          assert.ok(s.alerts.length >= 1 && s.alerts.every((a) => a.data === '200' && a.correlator === 'sweep' && a.status === 200), `alerts ${JSON.stringify(s.alerts)}`);
          if (s.alerts.length > 1) {
            assert.ok(w.where.startsWith('alerts.rec') && s.alerts.length === 2, `duplicate 1226 after a cut in ${w.where}`);
            duplicates++;
          }
          // 202 — or, when the cut came after the operation was recorded but before the Status left,
          // the server's repeated Exec meets the running operation: 405, and the first one still completes
          assert.ok(s.execStatuses.length >= 1 && s.execStatuses.every((c) => c === 202 || c === 405), `Exec statuses ${s.execStatuses.join(',')}`);
          if (s.execStatuses[0] === 405) refusedRepeats++;
          extraBoots += s.run.powerOns.length - 3;
        } catch (e) {
          const real = s ? cutWrite(s) : undefined;
          const msg = `${at}${real ? ` [cut: ${real.kind} ${real.where}, power-on ${real.powerOn}]` : ''}: ${(e as Error).message.split('\n')[0]}`;
          failures.push(msg);
          process.stdout.write(`FAILED ${msg}\n${s ? trace(s) : '(no run)'}\n`);
        }
      });
      process.stdout.write(`FUMO power-cut sweep: ${ref.writes.length} crash points (${ref.writes.filter((w) => w.kind === 'store').length} record-store writes, ${ref.writes.filter((w) => w.kind === 'erase').length} flash erases, ${ref.writes.filter((w) => w.kind === 'program').length} page programs of ${PAGE} B), ${cases.length} runs, ${resumedWithRange} Range resumes, ${duplicates} re-deliveries after an acknowledged-alert cut, ${refusedRepeats} repeated Execs refused as busy, ${extraBoots} extra power-ons, ${failures.length} failures\n`);
      assert.deepEqual(failures, []);
    });
  });
}
