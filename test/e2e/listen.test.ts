// End-to-end (node-only): `omadm listen` as the device daemon: the modem simulator on a real pty
// delivers a WAP push (+CMT), the daemon authenticates it and runs the server-initiated session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../target/node/server';
import { parseScript } from '../../src/server/script';
import { buildPkg0 } from '../../src/push/pkg0';
import { encodeWspPush } from '../../src/push/wsp';
import { encodeGsmWapPush } from '../../src/push/gsm';
import { toHex } from '../../src/util/bytes';
import { BUILD } from '../helpers/paths';
import { makePki } from '../helpers/pki';
import { ModemSim, haveModemSim } from '../helpers/modem-sim';

const CLI = join(BUILD, 'dist', 'omadm.mjs');
const skip = !existsSync(CLI) ? 'CLI not built' : !haveModemSim() ? 'modem simulator not built (make native)' : false;

test('omadm listen: push from the modem on a pty → server-initiated session', { skip, timeout: 60000 }, async () => {
  const pki = makePki();
  const srv = await startServer({
    script: parseScript({
      auth: { client: { type: 'md5', username: 'dev1', password: 'devpw' }, server: { type: 'md5', username: 'com.mgmtsrv.manage', password: 'srvpw', nonce: 'EBESExQVFhcYGRobHB0eHw==' } },
      expectSession: { alert: 1200, sessionId: 'BEEF' },
      packages: [{ commands: [{ cmd: 'Get', target: './DevInfo/Mod', expect: 200 }] }],
    }),
    port: 0, tls: { key: pki.key, cert: pki.cert },
  });
  const sim = await ModemSim.start(['--tpdu']);
  try {
    const dir = mkdtempSync(join(tmpdir(), 'omadm-listen-'));
    writeFileSync(join(dir, 'ca.pem'), pki.ca);
    writeFileSync(join(dir, 'device.json'), JSON.stringify({
      storage: 'state', devInfo: { devId: 'IMEI:1', man: 'Acme', mod: 'W1' }, tls: { ca: 'ca.pem' }, log: 'warn',
      accounts: [{ serverId: 'com.mgmtsrv.manage', addr: srv.url, authPref: 'DIGEST', client: { type: 'DIGEST', name: 'dev1', secret: 'devpw' },
        server: { type: 'DIGEST', name: 'com.mgmtsrv.manage', secret: 'srvpw', nonce: 'EBESExQVFhcYGRobHB0eHw==' } }],
    }));
    const d = spawn(process.execPath, [CLI, 'listen', '--config', join(dir, 'device.json'), '--modem', sim.pty, '--sessions', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    d.stdout.on('data', (b) => (out += b));
    d.stderr.on('data', (b) => (out += b));
    await sim.waitFor(/AT\+CNMI/, 10000);
    const pkg0 = buildPkg0({ serverId: 'com.mgmtsrv.manage', secret: 'srvpw', nonce: new Uint8Array(Buffer.from('EBESExQVFhcYGRobHB0eHw==', 'base64')), sessionId: 0xbeef });
    for (const p of encodeGsmWapPush(encodeWspPush({ contentType: 0x44, appId: 7, body: pkg0 }), { originator: '+15550001' })) sim.send(`sms ${toHex(p)}`);
    const code = await new Promise<number | null>((r) => d.on('exit', r));
    assert.equal(code, 0, out);
    assert.match(out, /session completed/);
    const rec = await srv.waitForSession(1);
    assert.equal(rec.alert, 1200);
    assert.equal(rec.sessionId, 'BEEF');
    assert.deepEqual(rec.failures, []);
  } finally {
    await sim.stop();
    await srv.close();
  }
});
