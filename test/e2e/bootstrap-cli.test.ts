// End-to-end (node-only): over-the-air bootstrap through the product paths: a signed DM bootstrap
// arriving as GSM WAP push SMS through the agent's push router, and `omadm bootstrap` from the CLI;
// then the client-initiated session with the new server authenticates against the loopback server.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../target/node/server';
import type { RunningServer } from '../../target/node/server';
import { parseScript } from '../../src/server/script';
import { encodeWspPush } from '../../src/push/wsp';
import { encodeGsmWapPush } from '../../src/push/gsm';
import { bootstrapKey, bootstrapMac, imsiKey } from '../../src/bootstrap/sec';
import { BUILD } from '../helpers/paths';
import { makePki } from '../helpers/pki';
import { makeDevice } from '../helpers/device';
import { IMSI, account12, dmMessage } from '../unit/bootstrap/helpers';

const CLI = join(BUILD, 'dist', 'omadm.mjs');
const pki = makePki();
const servers: RunningServer[] = [];
after(async () => { for (const s of servers) await s.close(); });

async function newServer(): Promise<RunningServer> {
  const s = await startServer({
    script: parseScript({
      serverId: 'com.bootstrap.srv',
      auth: { client: { type: 'md5', username: 'dev1', password: 'devpw', nonce: 'AAECAwQFBgcICQoLDA0ODw==' }, server: { type: 'md5', username: 'com.bootstrap.srv', password: 'srvpw' } },
      packages: [{ commands: [{ cmd: 'Get', target: './DevInfo/DevId', expect: 200 }] }],
    }),
    port: 0, tls: { key: pki.key, cert: pki.cert },
  });
  servers.push(s);
  return s;
}

describe('over-the-air bootstrap', () => {
  test('NETWORKID bootstrap in GSM SMS → applied → session with the new account', async () => {
    const srv = await newServer();
    const doc = dmMessage(account12('bs', 'com.bootstrap.srv', srv.url));
    const mac = bootstrapMac(bootstrapKey('NETWORKID', imsiKey(IMSI), null), doc);
    const wsp = encodeWspPush({ contentType: 0x42, contentTypeParams: [{ code: 0x11, value: 0 }, { code: 0x12, value: mac }], appId: 7, body: doc });
    // the device knows the operator's factory server only; the bootstrap adds a second one
    const dev = makeDevice({ url: 'https://127.0.0.1:1/old', ca: pki.ca, agent: { networkSecret: () => imsiKey(IMSI) } });
    for (const p of encodeGsmWapPush(wsp, { originator: '+15550001' })) dev.agent.handleSms({ kind: 'gsm', bytes: p });
    assert.equal(dev.agent.bootstraps.length, 1);
    const d = await dev.agent.bootstraps[0]!;
    assert.equal(d.outcome, 'applied', JSON.stringify(d));
    assert.ok(dev.agent.account('com.bootstrap.srv'));
    const r = await dev.agent.pushSessions[0]!;
    assert.equal(r.outcome, 'completed', JSON.stringify(r));
    const rec = await srv.waitForSession(1);
    assert.deepEqual(rec.failures, []);
    assert.equal(rec.alert, 1201);
    // the same push again is a replay: refused, nothing changes
    for (const p of encodeGsmWapPush(wsp, { originator: '+15550001', ref: 7 })) dev.agent.handleSms({ kind: 'gsm', bytes: p });
    const again = await dev.agent.bootstraps[1]!;
    assert.equal(again.outcome, 'rejected');
    // a wrong MAC is refused
    const bad = encodeWspPush({ contentType: 0x42, contentTypeParams: [{ code: 0x11, value: 0 }, { code: 0x12, value: mac.replace(/^./, mac[0] === 'A' ? 'B' : 'A') }], appId: 7, body: dmMessage(account12('b2', 'com.other', srv.url)) });
    for (const p of encodeGsmWapPush(bad, { originator: '+15550001', ref: 9 })) dev.agent.handleSms({ kind: 'gsm', bytes: p });
    assert.equal((await dev.agent.bootstraps[2]!).outcome, 'rejected');
    assert.equal(dev.agent.account('com.other'), null);
  });

  test('omadm bootstrap --sec USERPIN --sign --pin → applied and the session completes', { skip: existsSync(CLI) ? false : 'CLI not built' }, async () => {
    const srv = await newServer();
    const dir = mkdtempSync(join(tmpdir(), 'omadm-bs-'));
    writeFileSync(join(dir, 'ca.pem'), pki.ca);
    writeFileSync(join(dir, 'device.json'), JSON.stringify({ storage: 'state', devInfo: { devId: 'IMEI:1', man: 'Acme', mod: 'W1' }, tls: { ca: 'ca.pem' }, log: 'warn' }));
    writeFileSync(join(dir, 'doc.wbxml'), dmMessage(account12('bs', 'com.bootstrap.srv', srv.url)));
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = spawn(process.execPath, [CLI, 'bootstrap', '--config', join(dir, 'device.json'), '--doc', join(dir, 'doc.wbxml'), '--sec', 'USERPIN', '--sign', '--pin', '1234'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.on('data', (b) => (out += b));
      p.stderr.on('data', (b) => (out += b));
      p.on('exit', (code) => resolve({ code, out }));
    });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /"outcome":"applied"/);
    assert.match(r.out, /"session":"completed"/);
  });
});
