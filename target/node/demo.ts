/**
 * `omadm demo`: the seed scenario end to end on loopback, on embedded defaults.
 *
 *   1. a DM server (the loopback test server) on HTTPS with a CA made at run time;
 *   2. a device (the agent, factory-bootstrapped DMAcc with MD5 both ways) whose modem is the
 *      simulator on a real pseudo-terminal;
 *   3. the server's notification (package #0, digest with the server's credentials) goes out as a
 *      WAP push in GSM SMS-DELIVER PDUs; the modem delivers them (+CMT); the push router reassembles,
 *      authenticates and starts a server-initiated session (Alert 1200 with the notification's id);
 *   4. the session: the server reads DevInfo/DevDetail and configures the sync-server settings
 *      (email, contacts, calendar) through the settings CSP; the session closes;
 *   5. a readable transcript of every message (WBXML decoded, credentials redacted) and a summary.
 *
 * Options: --no-sms (notify through the router directly, without the modem), --quiet (no XML),
 * --keep (keep the work folder).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../../src/agent/Agent';
import { renderMessage } from '../../src/agent/transcript';
import type { LogLevel } from '../../src/platform';
import { buildPkg0, UiMode } from '../../src/push/pkg0';
import { encodeWspPush } from '../../src/push/wsp';
import { encodeGsmWapPush } from '../../src/push/gsm';
import { parseScript } from '../../src/server/script';
import type { TraceEntry } from '../../src/session/Client';
import { toHex } from '../../src/util/bytes';
import { utf8Encode } from '../../src/util/utf8';
import { makePki } from './pki';
import { nodePlatform } from './platform';
import { startServer } from './server';
import { openSmsSource } from './sms';
import { findNativeAddon } from './native';
import { policyUi } from './ui';

const SERVER_ID = 'com.mgmtsrv.manage';
const CLIENT = { name: 'dev-493005', secret: 'dev-secret-7f3a' };
const SERVER = { secret: 'srv-secret-91c2' };
const DEV_ID = 'IMEI:493005100592800';
const NONCE_CLIENT = 'AAECAwQFBgcICQoLDA0ODw==';
const NONCE_SERVER = 'EBESExQVFhcYGRobHB0eHw==';

const tty = process.stdout.isTTY;
const bold = (s: string): string => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string): string => (tty ? `\x1b[2m${s}\x1b[0m` : s);
const step = (n: number, s: string): void => {
  process.stdout.write(`\n${bold(`[${n}] ${s}`)}\n`);
};

export async function demoMain(argv: string[]): Promise<number> {
  const noSms = argv.includes('--no-sms');
  const quiet = argv.includes('--quiet');
  const keep = argv.includes('--keep');
  const t0 = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'omadm-demo-'));
  const cleanup: (() => void | Promise<void>)[] = [];
  try {
    // ------------------------------------------------------------------ 1. server
    step(1, 'DM server on loopback (HTTPS, CA made with openssl now)');
    const pki = makePki(join(work, 'pki'));
    const script = parseScript({
      name: 'seed scenario',
      serverId: SERVER_ID,
      auth: {
        client: { type: 'md5', username: CLIENT.name, password: CLIENT.secret, nonce: NONCE_CLIENT },
        server: { type: 'md5', username: SERVER_ID, password: SERVER.secret, nonce: NONCE_SERVER },
      },
      expectSession: { alert: 1200 },
      packages: [
        { name: 'inventory', commands: [
          { cmd: 'Get', target: './DevInfo/Mod', expect: 200 },
          { cmd: 'Get', target: './DevDetail/FwV', expect: 200 },
          { cmd: 'Get', target: './DevDetail/URI?list=StructData', expect: 200 },
        ] },
        { name: 'configure the sync server (email, contacts, calendar)', commands: [
          { cmd: 'Atomic', expect: 200, commands: [
            { cmd: 'Add', target: './Vendor/omadm/Sync/corp', format: 'node', expect: 200 },
            { cmd: 'Add', target: './Vendor/omadm/Sync/corp/Name', data: 'Corporate sync', format: 'chr', expect: 200 },
            { cmd: 'Add', target: './Vendor/omadm/Sync/corp/Addr', data: 'https://sync.example.com/ds', format: 'chr', expect: 200 },
            { cmd: 'Add', target: './Vendor/omadm/Sync/corp/AccountName', data: 'jdoe', format: 'chr', expect: 200 },
            { cmd: 'Add', target: './Vendor/omadm/Sync/corp/Password', data: 's3cret!', format: 'chr', expect: 200 },
            { cmd: 'Add', target: './Vendor/omadm/Sync/corp/Content/Email/Enabled', data: 'true', format: 'bool', expect: 200 },
            { cmd: 'Add', target: './Vendor/omadm/Sync/corp/Content/Email/RemoteName', data: 'INBOX', format: 'chr', expect: 200 },
            { cmd: 'Add', target: './Vendor/omadm/Sync/corp/Content/Contacts/Enabled', data: 'true', format: 'bool', expect: 200 },
            { cmd: 'Add', target: './Vendor/omadm/Sync/corp/Content/Calendar/Enabled', data: 'true', format: 'bool', expect: 200 },
            { cmd: 'Add', target: './Vendor/omadm/Sync/corp/Schedule/IntervalMin', data: '15', format: 'int', expect: 200 },
          ] },
          { cmd: 'Get', target: './Vendor/omadm/Sync/corp/Password', expect: 405 },
          { cmd: 'Get', target: './Vendor/omadm/Sync/corp/Addr', expect: 200, expectValue: 'https://sync.example.com/ds' },
        ] },
      ],
    });
    const server = await startServer({ script, port: 0, tls: { key: pki.key, cert: pki.cert } });
    cleanup.push(() => server.close());
    process.stdout.write(`    ${server.url}  (server id ${SERVER_ID}, syncml:auth-md5 both ways)\n`);

    // ------------------------------------------------------------------ 2. device
    step(2, 'Device: agent with the factory DM account, tree on disk');
    const logs: string[] = [];
    const transcript: TraceEntry[] = [];
    const level = (process.env['OMADM_LOG'] ?? 'info') as LogLevel;
    const platform = nodePlatform({
      dir: join(work, 'device'),
      network: { ca: pki.ca },
      log: (l, msg, fields) => {
        if (l === 'debug' && level !== 'debug') return;
        logs.push(`${l} ${msg}${fields ? ' ' + JSON.stringify(fields) : ''}`);
      },
      ui: policyUi('accept'),
    });
    let resolveDecision: (d: string) => void = () => {};
    const decided = new Promise<string>((r) => (resolveDecision = r));
    const agent = new Agent(platform, {
      devInfo: { devId: DEV_ID, man: 'Acme Devices', mod: 'Widget 3000', dmV: 'omadm 0.1', lang: 'en-US' },
      devDetail: { devTyp: 'router', oem: 'Acme', fwV: 'FW-1.0.0', swV: '0.1.0', hwV: 'A1' },
      bootstrap: { accounts: [{
        serverId: SERVER_ID, name: 'Example operator', addr: server.url, authPref: 'DIGEST',
        client: { type: 'DIGEST', name: CLIENT.name, secret: CLIENT.secret, nonce: b64(NONCE_CLIENT) },
        server: { type: 'DIGEST', name: SERVER_ID, secret: SERVER.secret, nonce: b64(NONCE_SERVER) },
      }] },
      onTrace: (e) => {
        transcript.push(e);
        if (!quiet) printMessage(e, transcript.length);
      },
      onPush: (d) => resolveDecision(d.outcome === 'accepted' ? `accepted: server ${d.serverId}, session id ${d.sessionId}, ui-mode ${d.uiMode}, version ${d.version}` : `rejected: ${d.reason} (${d.detail})`),
    });
    process.stdout.write(`    ${DEV_ID}, account ${SERVER_ID} → ${agent.account()!.addr}\n`);

    // ------------------------------------------------------------------ 3. the notification
    const sessionNo = 0x1a2b;
    const acct = agent.account()!;
    const pkg0 = buildPkg0({ serverId: SERVER_ID, secret: SERVER.secret, nonce: acct.server.nonce, sessionId: sessionNo, uiMode: UiMode.Informative });
    const wsp = encodeWspPush({ contentType: 0x44, appId: 7, body: pkg0 });
    const pdus = encodeGsmWapPush(wsp, { originator: '+447700900123', forceConcat: true });
    const useModem = !noSms && findNativeAddon() !== null && existsSync(modemSimPath());
    if (useModem) {
      step(3, `Notification: package #0 (${pkg0.length} bytes) in a WAP push, ${pdus.length} SMS via the simulated modem on a pty`);
      const sim = spawn(modemSimPath(), ['--tpdu'], { stdio: ['pipe', 'pipe', 'pipe'] });
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
      const src = openSmsSource({ tty: pty, log: platform.log });
      cleanup.push(() => src.close());
      src.onSms((sms) => {
        process.stdout.write(`    modem → +CMT: ${dim(toHex(sms.bytes).slice(0, 48) + '…')} (${sms.bytes.length} bytes)\n`);
        agent.handleSms(sms);
      });
      await delay(300); // let the AT initialisation finish
      for (const p of pdus) sim.stdin.write(`sms ${toHex(p)}\n`);
    } else {
      step(3, `Notification: package #0 (${pkg0.length} bytes) in a WAP push, ${pdus.length} SMS (fed to the push router directly${noSms ? '' : ': modem simulator not built'})`);
      for (const p of pdus) agent.handleSms({ kind: 'gsm', bytes: p });
    }
    const decision = await Promise.race([decided, delay(15000).then(() => 'no decision (timeout)')]);
    process.stdout.write(`    push router: ${decision}\n`);
    if (!decision.startsWith('accepted')) throw new Error(`notification not accepted: ${decision}`);

    // ------------------------------------------------------------------ 4. the session
    step(4, 'Server-initiated session (Alert 1200), HTTPS');
    const result = await agent.pushSessions[0]!;
    const rec = await server.waitForSession(1);
    const prof = agent.sync.profile('corp');

    // ------------------------------------------------------------------ 5. summary
    step(5, 'Result');
    process.stdout.write(`    session: ${result.outcome}${result.reason ? ` (${result.reason})` : ''}; ${result.sent} messages sent, ${result.received} received; client authenticated ${result.clientAuthenticated}, server authenticated ${result.serverAuthenticated}\n`);
    process.stdout.write(`    server: ${rec.outcome}, ${rec.statuses.length} statuses, ${Object.keys(rec.results).length} results, script failures: ${rec.failures.length}\n`);
    if (prof) process.stdout.write(`    sync settings: ${prof.name} → ${prof.addr} as ${prof.accountName}; email ${prof.content.Email.enabled}, contacts ${prof.content.Contacts.enabled}, calendar ${prof.content.Calendar.enabled}; every ${prof.schedule?.intervalMin ?? '?'} min\n`);
    for (const f of rec.failures) process.stdout.write(`    FAILURE: ${f.message}\n`);
    const ok = result.outcome === 'completed' && rec.failures.length === 0 && prof !== null && prof.addr === 'https://sync.example.com/ds';
    process.stdout.write(`\n${bold(ok ? 'DEMO OK' : 'DEMO FAILED')}: SMS push → authenticated session → sync settings configured → session closed, in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    if (!ok) process.stdout.write(logs.slice(-20).map((l) => `    ${l}`).join('\n') + '\n');
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
    else process.stdout.write(`    work folder kept: ${work}\n`);
  }
}

function printMessage(e: TraceEntry, n: number): void {
  const head = e.dir === 'out' ? `client → server #${n}` : `server → client #${n}`;
  process.stdout.write(`\n${dim(`--- ${head} (${e.body.length} bytes ${e.contentType.replace('application/vnd.syncml.dm+', '')}) ${e.url}`)}\n`);
  process.stdout.write(renderMessage(e.body) + '\n');
}

function modemSimPath(): string {
  const addon = findNativeAddon();
  const base = addon ? join(addon, '..') : join(process.cwd(), 'build', 'native', 'host');
  return join(base, 'modem-sim');
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function b64(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64'));
}

void utf8Encode;
void mkdirSync;
