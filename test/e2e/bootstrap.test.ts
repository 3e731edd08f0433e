// End-to-end (node-only): a device with no DM account receives an OMA DM bootstrap over WAP push
// (a WBXML DM message built with MessageBuilder, HMAC-SHA1 computed by python3, WSP PDU through our
// push decoder), applies it, and its next client-initiated session authenticates with the new account
// (MD5 both ways) against the loopback server over HTTPS. A forged push changes nothing; after a
// restart the replayed push is refused while the account (and its rotated nonces) keeps working.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../../target/node/server';
import type { RunningServer } from '../../target/node/server';
import { parseScript } from '../../src/server/script';
import { Bootstrapper } from '../../src/bootstrap/Bootstrapper';
import type { BootstrapDecision } from '../../src/bootstrap/Bootstrapper';
import { imsiKey } from '../../src/bootstrap/sec';
import { decodeWspPush, encodeWspPush } from '../../src/push/wsp';
import type { SessionResult } from '../../src/session/Session';
import type { TestDevice } from '../helpers/device';
import { authTrouble, makeDevice } from '../helpers/device';
import { makePki } from '../helpers/pki';
import { account12, answeringUi, dmMessage } from '../unit/bootstrap/helpers';
import { PYTHON_SKIP, pythonVectors } from '../interop/bootstrap/oracle';

const pki = makePki();
const SRV = 'com.bootstrap.srv';
const IMSI = '262011234567890';
const PIN = '2580';
const servers: RunningServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

/** The Bootstrapper wired to a device's agent the way the lead's Agent integration does. */
function wire(dev: TestDevice, pin = PIN): { b: Bootstrapper; sessions: Promise<SessionResult>[] } {
  const sessions: Promise<SessionResult>[] = [];
  const p = dev.agent.platform;
  const b = new Bootstrapper({
    tree: dev.agent.tree, dmacc: dev.agent.dmacc, log: p.log, storage: p.storage, ui: answeringUi(pin),
    networkSecret: () => imsiKey(IMSI),
    startSession: (serverId) => { sessions.push(dev.agent.runSession({ serverId })); },
  });
  return { b, sessions };
}

describe('e2e: bootstrap over WAP push, then an authenticated session', { skip: PYTHON_SKIP }, () => {
  test('NETWORKID and USERPIN bootstraps; md5 both ways with the bootstrapped credentials; replay refused after a restart', async () => {
    const srv = await startServer({
      port: 0, tls: { key: pki.key, cert: pki.cert },
      script: parseScript({
        serverId: SRV,
        auth: {
          client: { type: 'md5', username: 'dev1', password: 'devpw', nonce: 'AAECAwQFBgcICQoLDA0ODw==' },
          server: { type: 'md5', username: SRV, password: 'srvpw', nonce: 'EBESExQVFhcYGRobHB0eHw==' },
        },
        expectSession: { alert: 1201 },
        packages: [{ commands: [{ cmd: 'Get', target: './DMAcc/srv/AppAddr/1/Addr', expect: 200 }, { cmd: 'Get', target: './DMAcc/srv/AppAuth/1/AAuthSecret', expect: 405 }] }],
      }),
    });
    servers.push(srv);
    const dev = makeDevice({ url: 'https://127.0.0.1:1/unused', ca: pki.ca, agent: { bootstrap: { accounts: [] } } });
    assert.equal(dev.agent.account(), null, 'a device without any DM account');
    const none = await dev.agent.runSession();
    assert.equal(none.reason, 'no-account');

    // the bootstrap message: the account of the loopback server, with both sides' md5 credentials
    const cmds = account12('srv', SRV, srv.url);
    cmds.push({ kind: 'Add', items: [{ target: './DMAcc/srv/AppAuth/2/AAuthData', meta: { format: 'b64' }, data: 'EBESExQVFhcYGRobHB0eHw==' }] });
    const doc = dmMessage(cmds);
    const v = pythonVectors([{ doc, imsi: IMSI, pin: PIN }])[0]!;
    const pdu = (sec: string, mac: string): Uint8Array => encodeWspPush({ contentType: 0x42, appId: 7, body: doc, contentTypeParams: [{ code: 0x11, value: sec }, { code: 0x12, value: mac }] });

    // a forged push (MAC for another SIM) changes nothing and starts nothing
    const { b, sessions } = wire(dev);
    const forged = pythonVectors([{ doc, imsi: '262011234567891', pin: PIN }])[0]!;
    const f: BootstrapDecision = await b.handle(decodeWspPush(pdu('NETWORKID', forged.NETWORKID)));
    assert.equal(f.outcome === 'rejected' && f.reason, 'bad-mac');
    assert.equal(dev.agent.account(), null);
    assert.equal(sessions.length, 0);

    // the genuine push: applied, then a client-initiated session with the new server
    const d = await b.handle(decodeWspPush(pdu('NETWORKID', v.NETWORKID)));
    assert.equal(d.outcome, 'applied', JSON.stringify(d));
    assert.equal(sessions.length, 1);
    const r = await sessions[0]!;
    assert.equal(r.outcome, 'completed', JSON.stringify(r));
    assert.equal(r.clientAuthenticated, true);
    assert.equal(r.serverAuthenticated, true);
    const rec = await srv.waitForSession(1);
    assert.equal(rec.outcome, 'completed');
    assert.deepEqual(rec.failures, []);
    assert.equal(rec.alert, 1201);

    // restart: the replayed push is refused; the account (with its rotated nonces) works again
    const dev2 = makeDevice({ url: 'https://127.0.0.1:1/unused', ca: pki.ca, dir: dev.dir, agent: { bootstrap: { accounts: [] } } });
    const w2 = wire(dev2);
    const again = await w2.b.handle(decodeWspPush(pdu('NETWORKID', v.NETWORKID)));
    assert.equal(again.outcome === 'rejected' && again.reason, 'replay');
    assert.equal(w2.sessions.length, 0);
    const r2 = await dev2.agent.runSession({ serverId: SRV });
    assert.equal(r2.outcome, 'completed', JSON.stringify(r2));
    assert.equal(r2.serverAuthenticated, true);
    const rec2 = await srv.waitForSession(2);
    assert.deepEqual(rec2.failures, []);
    assert.equal(authTrouble(rec2.auth).length, 0, 'no challenge needed with the persisted nonces');
  });

  test('USERPIN_NETWORKID with the PIN from the user; a wrong PIN leaves the device unprovisioned', async () => {
    const srv = await startServer({
      port: 0, tls: { key: pki.key, cert: pki.cert },
      script: parseScript({ serverId: SRV, auth: { client: { type: 'basic', username: 'dev1', password: 'devpw' } }, packages: [{ commands: [{ cmd: 'Get', target: './DevInfo/DevId', expect: 200 }] }] }),
    });
    servers.push(srv);
    // basic client credentials only: no server credentials, so the device does not challenge the server
    const doc = dmMessage(account12('srv', SRV, srv.url).filter((c) => !c.items?.[0]?.target?.includes('/AppAuth/2/')).map((c) => (/\/(AAuthType|AAuthPref)$/.test(c.items?.[0]?.target ?? '') ? { ...c, items: [{ ...c.items![0]!, data: 'BASIC' }] } : c)));
    const v = pythonVectors([{ doc, imsi: IMSI, pin: PIN }])[0]!;
    const pdu = encodeWspPush({ contentType: 'application/vnd.syncml.dm+wbxml', appId: 7, body: doc, contentTypeParams: [{ code: 0x11, value: 2 }, { code: 0x12, value: v.USERPIN_NETWORKID }] });

    const dev = makeDevice({ url: 'https://127.0.0.1:1/unused', ca: pki.ca, agent: { bootstrap: { accounts: [] } } });
    const wrong = wire(dev, '0000');
    const bad = await wrong.b.handle(decodeWspPush(pdu));
    assert.equal(bad.outcome === 'rejected' && bad.reason, 'bad-mac');
    assert.equal(dev.agent.account(), null);

    const right = wire(dev, PIN);
    const d = await right.b.handle(decodeWspPush(pdu));
    assert.equal(d.outcome, 'applied', JSON.stringify(d));
    const r = await right.sessions[0]!;
    assert.equal(r.outcome, 'completed', JSON.stringify(r));
    assert.equal(r.clientAuthenticated, true);
    assert.deepEqual((await srv.waitForSession(1)).failures, []);
  });
});
