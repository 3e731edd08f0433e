// Layer: fault (node-only). A/B boot and rollback on the simulated device, table-driven: each case
// lists the faults (firmware versions whose boot fails, boot attempts, slots corrupted between
// power-ons) and the expected bootloader decisions, FUMO State chain and final 1226 result.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, readSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeImage } from '../../../src/fumo/image';
import { isDeviceChild, runDeviceChild, startDevice } from '../../../target/node/fumo-device';
import type { DeviceConfig, DeviceEvent, DeviceRun, PowerOn } from '../../../target/node/fumo-device';
import { startDownloadServer } from '../../../target/node/download-server';
import { startFumoServer } from '../../../target/node/fumo-server';
import { findNativeAddon } from '../../../target/node/native';

const SELF = fileURLToPath(import.meta.url);
const SERVER_ID = 'com.mgmtsrv.manage';
const X = './FUMO/fw';
const SLOT = 128 * 1024;

function image(version: string, n: number): Uint8Array {
  const p = new Uint8Array(n);
  for (let i = 0; i < n; i++) p[i] = (i * 7 + version.length) & 0xff;
  return encodeImage(version, p);
}

/** Flips one byte of `flash.img` at `offset` (a corrupted slot). */
function corrupt(dir: string, offset: number): void {
  const fd = openSync(join(dir, 'flash.img'), 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, offset);
    b[0] = b[0]! ^ 0x5a;
    writeSync(fd, b, 0, 1, offset);
  } finally {
    closeSync(fd);
  }
}

interface Case {
  name: string;
  version: string;
  faults: { failVersions?: string[]; bootTries?: number; corruptBefore?: { powerOn: number; slot: 0 | 1; at: number } };
  /** `slot:version:reason[:failed]` per power-on. */
  boots: string[];
  states: number[];
  result: string;
  /** Active slot at the end. */
  active: number;
}

const CASES: Case[] = [
  { name: 'new firmware boots: trial, commit, 200', version: '2.0', faults: {},
    boots: ['0:1.0:active', '1:2.0:trial'], states: [30, 40, 60, 100], result: '200', active: 1 },
  { name: 'new firmware never boots: tries exhausted, rollback, 410', version: '6.6.6', faults: { failVersions: ['6.6.6'] },
    boots: ['0:1.0:active', '1:6.6.6:trial:failed', '1:6.6.6:trial:failed', '1:6.6.6:trial:failed', '0:1.0:rollback'], states: [30, 40, 60, 80], result: '410', active: 0 },
  { name: 'one boot attempt configured: a single failed trial rolls back', version: '6.6.6', faults: { failVersions: ['6.6.6'], bootTries: 1 },
    boots: ['0:1.0:active', '1:6.6.6:trial:failed', '0:1.0:rollback'], states: [30, 40, 60, 80], result: '410', active: 0 },
  { name: 'the new slot is corrupted after the flip (before the reboot): the bootloader refuses it, 410', version: '2.0',
    faults: { corruptBefore: { powerOn: 2, slot: 1, at: 5000 } },
    boots: ['0:1.0:active', '0:1.0:rollback'], states: [30, 40, 60, 80], result: '410', active: 0 },
  { name: 'a corrupted header of the new slot: same', version: '2.0', faults: { corruptBefore: { powerOn: 2, slot: 1, at: 20 } },
    boots: ['0:1.0:active', '0:1.0:rollback'], states: [30, 40, 60, 80], result: '410', active: 0 },
];

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

async function run(c: Case, dir: string, extra: Partial<DeviceConfig> = {}): Promise<{ r: DeviceRun; alerts: string[]; marks: (string | undefined)[] }> {
  const dl = await startDownloadServer({ files: { '/fw.bin': { body: image(c.version, 30000) } } });
  const srv = await startFumoServer({ deploy: { serverId: SERVER_ID, packages: [{ commands: [
    { cmd: 'Replace', target: `${X}/DownloadAndUpdate/PkgURL`, data: `${dl.url}/fw.bin`, format: 'chr' },
    { cmd: 'Exec', target: `${X}/DownloadAndUpdate`, correlator: 'boot-case', expect: 202 },
  ] }] } });
  try {
    const r = await startDevice({
      config: {
        dir, serverUrl: srv.url, serverId: SERVER_ID, flash: { slotSize: SLOT }, fumo: { reportRetryMs: 200 }, maxLifetimeMs: 20000,
        ...(c.faults.failVersions ? { failVersions: c.faults.failVersions } : {}), ...(c.faults.bootTries ? { bootTries: c.faults.bootTries } : {}), ...extra,
      },
      script: SELF,
      beforePowerOn: (n) => {
        const k = c.faults.corruptBefore;
        if (k && k.powerOn === n) corrupt(dir, k.slot * SLOT + k.at);
      },
    });
    const a = srv.alerts();
    return { r, alerts: a.map((x) => x.items[0]!.data), marks: a.map((x) => x.items[0]!.mark) };
  } finally {
    await srv.close();
    await dl.close();
  }
}

const bootsOf = (r: DeviceRun) => r.powerOns.map((p: PowerOn) => {
  const b = p.events.find((e) => e.t === 'boot') as Extract<DeviceEvent, { t: 'boot' }> | undefined;
  return b ? `${b.slot}:${b.version}:${b.reason}${b.failed ? ':failed' : ''}` : p.why;
});
const statesOf = (r: DeviceRun) => r.powerOns.flatMap((p) => p.events.filter((e) => e.t === 'state').map((e) => (e as { to: number }).to));

if (isDeviceChild()) {
  runDeviceChild();
} else {
  const skip = findNativeAddon() === null ? 'native addon not built (make native)' : false;
  describe('A/B boot and rollback (simulated device)', { skip }, () => {
    for (const c of CASES) {
      test(c.name, { timeout: 60_000 }, async () => {
        const dir = mkdtempSync(join(tmpdir(), 'omadm-fumo-boot-'));
        dirs.push(dir);
        const { r, alerts, marks } = await run(c, dir);
        assert.equal(r.end, 'idle', r.powerOns.map((p) => p.why).join(','));
        assert.deepEqual(bootsOf(r), c.boots);
        assert.deepEqual(statesOf(r), c.states);
        assert.deepEqual(alerts, [c.result]);
        assert.deepEqual(marks, [c.result === '200' ? undefined : 'critical']);
        // the next power-on starts the slot the case expects, with nothing to report
        const again = await startDevice({ config: { dir, serverUrl: 'http://127.0.0.1:9/dm', serverId: SERVER_ID, flash: { slotSize: SLOT }, checkIn: false }, script: SELF });
        assert.equal(bootsOf(again)[0]!.split(':')[0], String(c.active));
        assert.equal(again.end, 'idle');
      });
    }

    test('the committed slot corrupted later: the bootloader falls back to the other valid one', { timeout: 60_000 }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'omadm-fumo-boot-'));
      dirs.push(dir);
      const ok = await run(CASES[0]!, dir);
      assert.deepEqual(ok.alerts, ['200']);
      corrupt(dir, SLOT + 3000); // slot B (committed) damaged
      const r = await startDevice({ config: { dir, serverUrl: 'http://127.0.0.1:9/dm', serverId: SERVER_ID, flash: { slotSize: SLOT }, checkIn: false }, script: SELF });
      assert.deepEqual(bootsOf(r), ['0:1.0:fallback']);
      corrupt(dir, 3000); // now A too: nothing valid is left
      const dead = await startDevice({ config: { dir, serverUrl: 'http://127.0.0.1:9/dm', serverId: SERVER_ID, flash: { slotSize: SLOT }, checkIn: false }, script: SELF });
      assert.deepEqual(dead.powerOns.map((p) => p.why), ['bricked'], 'only reachable by damaging both slots by hand');
    });
  });
}
