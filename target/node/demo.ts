/**
 * `omadm demo`: the seed scenario end to end on loopback, on embedded defaults.
 *
 *   1. a DM server (the loopback test server, as a FUMO campaign) and a firmware download server,
 *      both HTTPS with a CA made with openssl on the spot;
 *   2. the device: a simulated device process (the agent + FUMO on a file-backed NOR flash with A/B
 *      slots, a simulated bootloader, the tree on disk), factory-bootstrapped with its DM account
 *      (MD5 both ways); its modem is the simulator on a real pseudo-terminal;
 *   3. the server's notification (package #0, digest with the server's credentials) goes out as a WAP
 *      push in GSM SMS-DELIVER PDUs; the modem delivers them (+CMT); the push router authenticates it
 *      and starts a server-initiated session (Alert 1200 with the notification's id);
 *   4. in that session the server reads DevInfo/DevDetail, configures the sync-server settings (email,
 *      contacts, calendar) through the settings CSP, and starts a firmware update (FUMO
 *      DownloadAndUpdate, answered 202);
 *   5. the device downloads the package over HTTPS into the inactive slot (progress bar), verifies it,
 *      marks the slot for a trial boot and reboots (the device process restarts); with --power-cut the
 *      power is cut half-way through the download, and the download resumes after the restart;
 *   6. the bootloader boots the new slot, the device commits it and reports the result in a Generic
 *      Alert 1226 in a new client-initiated session; the server acknowledges it and closes the session.
 *
 * Every DM message is printed as XML (WBXML decoded, credentials redacted), then a summary.
 * Options: --quiet (steps and summary only), --power-cut (cut the power half-way through the
 * download), --keep (keep the work folder). Needs the native addon and the modem simulator
 * (`make native`, which `make demo` runs).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeImage } from '../../src/fumo/image';
import { buildPkg0, UiMode } from '../../src/push/pkg0';
import { encodeWspPush } from '../../src/push/wsp';
import { encodeGsmWapPush } from '../../src/push/gsm';
import { toHex } from '../../src/util/bytes';
import { startDownloadServer } from './download-server';
import { startDevice } from './fumo-device';
import type { DeviceEvent } from './fumo-device';
import { startFumoServer } from './fumo-server';
import { findNativeAddon } from './native';
import { makePki } from './pki';

const SERVER_ID = 'com.mgmtsrv.manage';
const CLIENT = { name: 'dev-493005', secret: 'dev-secret-7f3a' };
const SERVER = { secret: 'srv-secret-91c2' };
const DEV_ID = 'IMEI:493005100592800';
const NONCE_CLIENT = 'AAECAwQFBgcICQoLDA0ODw==';
const NONCE_SERVER = 'EBESExQVFhcYGRobHB0eHw==';
const FUMO = './FUMO/fw';
const PACKAGE_BYTES = 96 * 1024;

const tty = process.stdout.isTTY === true;
const bold = (s: string): string => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string): string => (tty ? `\x1b[2m${s}\x1b[0m` : s);
const out = (s: string): void => {
  process.stdout.write(s);
};
const step = (n: number, s: string): void => out(`\n${bold(`[${n}] ${s}`)}\n`);

export async function demoMain(argv: string[]): Promise<number> {
  const quiet = argv.includes('--quiet');
  const keep = argv.includes('--keep');
  const powerCut = argv.includes('--power-cut');
  const t0 = Date.now();
  const addon = findNativeAddon();
  const modemSim = addon ? join(addon, '..', 'modem-sim') : '';
  if (!addon || !existsSync(modemSim)) {
    process.stderr.write('omadm demo: the native addon and the modem simulator are needed (make native)\n');
    return 2;
  }
  const work = mkdtempSync(join(tmpdir(), 'omadm-demo-'));
  const cleanup: (() => void | Promise<void>)[] = [];
  try {
    // ------------------------------------------------------------------ 1. servers
    step(1, 'DM server and firmware server on loopback (HTTPS, CA made with openssl now)');
    const pki = makePki(join(work, 'pki'));
    const tls = { key: pki.key, cert: pki.cert };
    const payload = new Uint8Array(PACKAGE_BYTES);
    for (let i = 0, x = 7; i < payload.length; i++) payload[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    const pkg = encodeImage('2.0', payload);
    const dl = await startDownloadServer({ files: { '/fw/widget-2.0.bin': { body: pkg } }, tls });
    cleanup.push(() => dl.close());
    const auth = {
      client: { type: 'md5', username: CLIENT.name, password: CLIENT.secret, nonce: NONCE_CLIENT },
      server: { type: 'md5', username: SERVER_ID, password: SERVER.secret, nonce: NONCE_SERVER },
    };
    const srv = await startFumoServer({
      tls,
      deploy: {
        name: 'seed scenario', serverId: SERVER_ID, auth,
        packages: [
          { name: 'inventory', commands: [
            { cmd: 'Get', target: './DevInfo/Mod', expect: 200 },
            { cmd: 'Get', target: './DevDetail/FwV', expect: 200, expectValue: '1.0' },
          ] },
          { name: 'sync server settings (email, contacts, calendar)', commands: [
            { cmd: 'Atomic', expect: 200, commands: [
              { cmd: 'Add', target: './Vendor/omadm/Sync/corp', format: 'node', expect: 200 },
              { cmd: 'Add', target: './Vendor/omadm/Sync/corp/Name', data: 'Corporate sync', format: 'chr', expect: 200 },
              { cmd: 'Add', target: './Vendor/omadm/Sync/corp/Addr', data: 'https://sync.example.com/ds', format: 'chr', expect: 200 },
              { cmd: 'Add', target: './Vendor/omadm/Sync/corp/AccountName', data: 'jdoe', format: 'chr', expect: 200 },
              { cmd: 'Add', target: './Vendor/omadm/Sync/corp/Password', data: 's3cret!', format: 'chr', expect: 200 },
              { cmd: 'Add', target: './Vendor/omadm/Sync/corp/Content/Email/Enabled', data: 'true', format: 'bool', expect: 200 },
              { cmd: 'Add', target: './Vendor/omadm/Sync/corp/Content/Contacts/Enabled', data: 'true', format: 'bool', expect: 200 },
              { cmd: 'Add', target: './Vendor/omadm/Sync/corp/Content/Calendar/Enabled', data: 'true', format: 'bool', expect: 200 },
              { cmd: 'Add', target: './Vendor/omadm/Sync/corp/Schedule/IntervalMin', data: '15', format: 'int', expect: 200 },
            ] },
            { cmd: 'Get', target: './Vendor/omadm/Sync/corp/Addr', expect: 200, expectValue: 'https://sync.example.com/ds' },
          ] },
          { name: 'firmware update', commands: [
            { cmd: 'Replace', target: `${FUMO}/DownloadAndUpdate/PkgURL`, data: `${dl.url}/fw/widget-2.0.bin`, format: 'chr', expect: 200 },
            { cmd: 'Exec', target: `${FUMO}/DownloadAndUpdate`, correlator: 'campaign-42', expect: 202 },
          ] },
        ],
      },
      after: { serverId: SERVER_ID, auth, packages: [{ name: 'check the new firmware', commands: [{ cmd: 'Get', target: './DevDetail/FwV', expect: 200, expectValue: '2.0' }] }] },
    });
    cleanup.push(() => srv.close());
    out(`    DM server ${srv.url} (server id ${SERVER_ID}, syncml:auth-md5 both ways)\n`);
    out(`    firmware  ${dl.url}/fw/widget-2.0.bin (${pkg.length} bytes, image 2.0)\n`);

    // ------------------------------------------------------------------ 2. modem + device
    step(2, 'Device: simulated modem on a pty; device process with FUMO on a file-backed NOR flash (A/B slots)');
    const sim = spawn(modemSim, ['--tpdu'], { stdio: ['pipe', 'pipe', 'pipe'] });
    cleanup.push(() => {
      sim.kill();
    });
    const pty = await new Promise<string>((resolve, reject) => {
      let buf = '';
      const t = setTimeout(() => reject(new Error('modem simulator did not start')), 10000);
      sim.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /PTY (\S+)/.exec(buf);
        if (m) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      });
      sim.on('exit', (c) => reject(new Error(`modem simulator exited (${c})`)));
    });
    out(`    modem ${pty}; device ${DEV_ID}, factory account ${SERVER_ID}\n`);
    // the modem is ready for +CMT once the device has set the new-message routing (AT+CNMI)
    let simLog = '';
    let cnmiSeen: () => void = () => {};
    const cnmi = new Promise<void>((r) => (cnmiSeen = r));
    sim.stdout.on('data', (d: Buffer) => {
      simLog += d.toString();
      if (/AT\s*\+CNMI/i.test(simLog)) cnmiSeen();
    });
    const pkg0 = buildPkg0({ serverId: SERVER_ID, secret: SERVER.secret, nonce: new Uint8Array(Buffer.from(NONCE_SERVER, 'base64')), sessionId: 0x1a2b, uiMode: UiMode.Informative });
    const pdus = encodeGsmWapPush(encodeWspPush({ contentType: 0x44, appId: 7, body: pkg0 }), { originator: '+447700900123' });

    let bar = -1;
    let pushed = false;
    let stepNo = 2;
    const onEvent = (e: DeviceEvent, n: number): void => {
      switch (e.t) {
        case 'boot':
          out(`    power-on ${n}: bootloader → slot ${e.slot === 0 ? 'A' : 'B'}, firmware ${e.version} (${e.reason}${e.failed ? ', FAILED' : ''})\n`);
          break;
        case 'listening':
          if (!pushed) {
            pushed = true;
            void cnmi.then(() => {
              step(++stepNo, `Notification: package #0 (${pkg0.length} bytes) in a WAP push, ${pdus.length} SMS through the modem (+CMT)`);
              for (const p of pdus) sim.stdin.write(`sms ${toHex(p)}\n`);
            });
          }
          break;
        case 'push':
          out(`    push router: ${e.outcome}: ${e.detail}\n`);
          if (e.outcome === 'accepted') step(++stepNo, 'Server-initiated session (Alert 1200), HTTPS: inventory, sync settings, firmware update');
          break;
        case 'message':
          if (!quiet) out(`\n${dim(`--- ${e.dir === 'out' ? 'device → server' : 'server → device'} (${e.bytes} bytes) ${e.url}`)}\n${e.xml}\n`);
          break;
        case 'state':
          out(`    FUMO ${e.x}: state ${e.from} → ${e.to}${e.result ? ` (result ${e.result})` : ''}\n`);
          break;
        case 'progress':
          if (e.phase === 'download' && e.total) {
            const pct = Math.floor((e.done * 100) / e.total);
            if (tty) out(`\r    download [${'#'.repeat(Math.floor(pct / 4)).padEnd(25, '.')}] ${String(pct).padStart(3)}%  ${(e.done / 1024).toFixed(0)} / ${(e.total / 1024).toFixed(0)} KiB${pct === 100 ? '\n' : ''}`);
            else if (Math.floor(pct / 25) !== bar) {
              bar = Math.floor(pct / 25);
              out(`    download [${'#'.repeat(Math.floor(pct / 4)).padEnd(25, '.')}] ${String(pct).padStart(3)}%  ${(e.done / 1024).toFixed(0)} / ${(e.total / 1024).toFixed(0)} KiB\n`);
            }
          }
          break;
        case 'resume':
          if (n > 1) out(`    FUMO record after power-on: state ${e.state}, ${e.written} of ${e.expectedSize} bytes on flash (${e.how})\n`);
          break;
        case 'session':
          out(`    session ${e.outcome}${e.reason ? ` (${e.reason})` : ''}\n`);
          break;
        case 'exit':
          if (e.code === 66) {
            bar = -1;
            step(++stepNo, 'Reboot into the new slot (the device process restarts)');
          }
          break;
      }
    };
    const run = await startDevice({
      script: fileURLToPath(import.meta.url),
      config: {
        dir: join(work, 'device'), serverUrl: srv.url, serverId: SERVER_ID, devId: DEV_ID, ca: pki.ca, modem: pty,
        transcript: !quiet, checkIn: false, maxLifetimeMs: 60000,
        flash: { slotSize: 128 * 1024 }, factoryVersion: '1.0',
        account: {
          name: 'Example operator', authPref: 'DIGEST',
          // nonces as Base64: the configuration crosses into the device process as JSON
          client: { type: 'DIGEST', name: CLIENT.name, secret: CLIENT.secret, nonce: NONCE_CLIENT as unknown as Uint8Array },
          server: { type: 'DIGEST', name: SERVER_ID, secret: SERVER.secret, nonce: NONCE_SERVER as unknown as Uint8Array },
        },
        fumo: { reportRetryMs: 500 },
      },
      configFor: (n) => (n === 1 ? { waitForPushes: 1 } : {}),
      faultFor: (n) => {
        if (powerCut && n === 1) return { downloadFraction: 0.5 };
        return undefined;
      },
      onEvent: (e, n) => {
        onEvent(e, n);
        if (powerCut && e.t === 'progress' && n === 1 && e.total && e.done >= e.total / 2 && bar !== 99) {
          bar = 99;
          out(`\n    ${bold('POWER CUT')} at ${Math.floor((e.done * 100) / e.total)}% of the download\n`);
          step(++stepNo, 'Power back on: the download resumes where it stopped (HTTP Range)');
        }
      },
      maxPowerOns: 6,
    });

    // ------------------------------------------------------------------ summary
    step(++stepNo, 'Result');
    const sessions = srv.sessions();
    const alerts = srv.alerts();
    const boots = run.powerOns.map((p) => p.events.find((e) => e.t === 'boot') as Extract<DeviceEvent, { t: 'boot' }> | undefined).filter((b) => b !== undefined);
    const last = boots[boots.length - 1];
    const failures = sessions.flatMap((s) => s.rec.failures.map((f) => `${s.phase}: ${f.message}`));
    const ranges = dl.requests.map((q) => `${q.status}${q.range ? ` ${q.range}` : ''}`).join(', ');
    out(`    power-ons: ${run.powerOns.map((p) => p.why).join(' → ')}; firmware now ${last?.version ?? '?'} on slot ${last?.slot === 1 ? 'B' : 'A'}\n`);
    out(`    sessions: ${sessions.map((s) => `${s.phase} (Alert ${s.rec.alert}, ${s.rec.outcome})`).join(', ')}\n`);
    out(`    firmware requests: ${ranges}\n`);
    for (const a of alerts) out(`    Generic Alert 1226: ${a.items.map((i) => `${i.source} ${i.type} = ${i.data}`).join('; ')} (correlator ${a.correlator}), server answered ${a.status}\n`);
    for (const f of failures) out(`    FAILURE: ${f}\n`);
    const ok = run.end === 'idle' && failures.length === 0 && last?.version === '2.0' && alerts.length === 1 && alerts[0]!.items[0]?.data === '200'
      && sessions.length >= 2 && sessions[0]!.rec.alert === 1200 && (!powerCut || dl.requests.some((q) => q.status === 206));
    out(`\n${bold(ok ? 'DEMO OK' : 'DEMO FAILED')}: SMS push → authenticated session → sync settings → FUMO DownloadAndUpdate${powerCut ? ' (power cut, resumed)' : ''} → reboot → Generic Alert 1226 → session closed, in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    return ok ? 0 : 1;
  } finally {
    for (const c of cleanup.reverse()) {
      try {
        await c();
      } catch {
        // best effort
      }
    }
    if (!keep) rmSync(work, { recursive: true, force: true });
    else out(`    work folder kept: ${work}\n`);
  }
}
