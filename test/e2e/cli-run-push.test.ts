// End-to-end (node-only): `omadm run --config` and `omadm push --config [--start]` as users run them.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../target/node/server';
import type { RunningServer } from '../../target/node/server';
import { parseScript } from '../../src/server/script';
import { buildPkg0 } from '../../src/push/pkg0';
import { encodeWspPush } from '../../src/push/wsp';
import { encodeGsmWapPush } from '../../src/push/gsm';
import { encodeCdmaWapPush } from '../../src/push/cdma';
import { toHex } from '../../src/util/bytes';
import { BUILD } from '../helpers/paths';
import { makePki } from '../helpers/pki';

const CLI = join(BUILD, 'dist', 'omadm.mjs');
const skip = existsSync(CLI) ? false : 'CLI not built (make build)';
const pki = makePki();
const servers: RunningServer[] = [];
after(async () => { for (const s of servers) await s.close(); });

function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

function config(dir: string, url: string, extra: Record<string, unknown> = {}): string {
  writeFileSync(join(dir, 'ca.pem'), pki.ca);
  const cfg = {
    storage: 'state',
    devInfo: { devId: 'IMEI:493005100592800', man: 'Acme', mod: 'W1' },
    devDetail: { fwV: 'FW-1' },
    accounts: [{ serverId: 'com.mgmtsrv.manage', addr: url, authPref: 'DIGEST',
      client: { type: 'DIGEST', name: 'dev1', secret: 'devpw' },
      server: { type: 'DIGEST', name: 'com.mgmtsrv.manage', secret: 'srvpw', nonce: 'EBESExQVFhcYGRobHB0eHw==' } }],
    tls: { ca: 'ca.pem' },
    log: 'warn',
    ...extra,
  };
  const f = join(dir, 'device.json');
  writeFileSync(f, JSON.stringify(cfg, null, 1));
  return f;
}

const AUTH = {
  client: { type: 'md5', username: 'dev1', password: 'devpw' },
  server: { type: 'md5', username: 'com.mgmtsrv.manage', password: 'srvpw', nonce: 'EBESExQVFhcYGRobHB0eHw==' },
};

describe('omadm run / push', { skip }, () => {
  test('run: one client-initiated session, exit 0, trace renders with secrets redacted', async () => {
    const srv = await startServer({ script: parseScript({ auth: AUTH, packages: [{ commands: [{ cmd: 'Get', target: './DevInfo/Mod', expect: 200, expectValue: 'W1' }] }] }), port: 0, tls: { key: pki.key, cert: pki.cert } });
    servers.push(srv);
    const dir = mkdtempSync(join(tmpdir(), 'omadm-run-'));
    const cfg = config(dir, srv.url);
    const r = await run(['run', '--config', cfg, '--trace', join(dir, 'trace.json')]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /session completed/);
    assert.deepEqual((await srv.waitForSession(1)).failures, []);
    const t = await run(['trace', join(dir, 'trace.json')]);
    assert.equal(t.code, 0);
    assert.match(t.out, /<Data>\*\*\*<\/Data>/, 'Cred redacted');
    assert.match(t.out, /client → server/);
    assert.equal(JSON.parse(readFileSync(join(dir, 'trace.json'), 'utf8')).length >= 4, true);
  });

  test('run: a failed session exits non-zero; a bad config is a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omadm-run-'));
    const cfg = config(dir, 'https://127.0.0.1:1/dm', {});
    const raw = JSON.parse(readFileSync(cfg, 'utf8'));
    raw.accounts[0].connRetryFreq = 0;
    writeFileSync(cfg, JSON.stringify(raw));
    const r = await run(['run', '--config', cfg]);
    assert.equal(r.code, 1);
    assert.match(r.out, /session failed \(transport-connect/);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ devInfo: { devId: 5 } }));
    const b = await run(['run', '--config', join(dir, 'bad.json')]);
    assert.equal(b.code, 2);
    assert.match(b.err, /devInfo\.devId: must be a string/);
  });

  test('push: GSM (single and concatenated) and CDMA notifications are decided; --start runs the session', async () => {
    const srv = await startServer({ script: parseScript({ auth: AUTH, expectSession: { alert: 1200, sessionId: '4D2' }, packages: [{ commands: [{ cmd: 'Get', target: './DevInfo/Man', expect: 200 }] }] }), port: 0, tls: { key: pki.key, cert: pki.cert } });
    servers.push(srv);
    const dir = mkdtempSync(join(tmpdir(), 'omadm-push-'));
    const cfg = config(dir, srv.url);
    const nonce = new Uint8Array(Buffer.from('EBESExQVFhcYGRobHB0eHw==', 'base64'));
    const good = buildPkg0({ serverId: 'com.mgmtsrv.manage', secret: 'srvpw', nonce, sessionId: 0x4d2 });
    const bad = buildPkg0({ serverId: 'com.mgmtsrv.manage', secret: 'WRONG', nonce, sessionId: 0x4d3 });
    const vendorLong = buildPkg0({ serverId: 'com.mgmtsrv.manage', secret: 'srvpw', nonce, sessionId: 0x4d4, vendor: new Uint8Array(200).fill(0x41) });
    const wsp = (b: Uint8Array): Uint8Array => encodeWspPush({ contentType: 0x44, appId: 7, body: b });
    const lines = [
      '# decided one by one',
      ...encodeGsmWapPush(wsp(bad), { originator: '+15550001' }).map((p) => `gsm:${toHex(p)}`),
      ...encodeGsmWapPush(wsp(vendorLong), { originator: '+15550001', refBits: 16 }).map((p) => toHex(p)),
      ...encodeCdmaWapPush(wsp(good), { originator: '5550001', messageId: 9 }).map((p) => `cdma:${toHex(p)}`),
    ];
    const f = join(dir, 'pdus.hex');
    writeFileSync(f, lines.join('\n'));
    const r = await run(['push', '--config', cfg, f]);
    const decisions = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(decisions.map((d) => d.outcome === 'accepted' ? `ok:${d.sessionId}` : `no:${d.reason}`), ['no:bad-digest', 'ok:4D4', 'ok:4D2']);
    assert.equal(r.code, 0);
    // --start: the accepted CDMA notification runs its server-initiated session
    writeFileSync(f, lines.slice(-1).join('\n'));
    const s = await run(['push', '--config', cfg, '--start', f]);
    assert.equal(s.code, 0, s.out + s.err);
    assert.match(s.out, /"session":"completed"/);
    const rec = await srv.waitForSession(1);
    assert.equal(rec.alert, 1200);
    assert.equal(rec.sessionId, '4D2');
    assert.deepEqual(rec.failures, []);
  });
});
