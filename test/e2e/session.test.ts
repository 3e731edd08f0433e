// End-to-end (node-only): the device agent against the loopback DM test server over real sockets
// (HTTPS with a CA made by openssl at test time): every command kind, Atomic rollback, the sync
// settings CSP, multi-message packages, 1 MB large objects both ways under a small MaxMsgSize,
// md5 both ways with nonce rotation across sessions, HMAC, DM 1.1.2 and the 1.2→1.1.2 retry policy,
// a server that never ends, a server that drops the connection mid-package.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startServer } from '../../target/node/server';
import { parseScript } from '../../src/server/script';
import type { RunningServer } from '../../target/node/server';
import type { Csp, WriteSink } from '../../src/csp/Csp';
import type { Storage } from '../../src/platform';
import { makePki } from '../helpers/pki';
import { authTrouble, makeDevice } from '../helpers/device';

const pki = makePki();
const servers: RunningServer[] = [];
async function serve(script: Record<string, unknown>, tls = true): Promise<RunningServer> {
  const s = await startServer({ script: parseScript(script), port: 0, ...(tls ? { tls: { key: pki.key, cert: pki.cert } } : {}) });
  servers.push(s);
  return s;
}
after(async () => {
  for (const s of servers) await s.close();
});

/** A CSP holding one large binary value in a storage blob (streamed in, read whole for Get). */
function blobCsp(storage: Storage): Csp {
  const read = (): Uint8Array => {
    if (!storage.exists('blob.bin')) return new Uint8Array(0);
    const b = storage.open('blob.bin', false);
    try {
      const out = new Uint8Array(b.size());
      b.read(0, out);
      return out;
    } finally {
      b.close();
    }
  };
  return {
    root: './Vendor/test',
    rootAcl: 'Get=*&Replace=*',
    init(store) {
      store.ensure('./Vendor/test/Blob', { format: 'bin', permanent: true, volatile: true });
    },
    get(_call, out) {
      out.value(read(), 'bin');
      return 200;
    },
    beginWrite(): WriteSink {
      const b = storage.open('blob.tmp', true);
      b.truncate(0);
      let off = 0;
      return {
        write(chunk) {
          b.write(off, chunk);
          off += chunk.length;
          return 200;
        },
        end() {
          b.sync();
          b.close();
          storage.rename('blob.tmp', 'blob.bin');
          return 200;
        },
        abort() {
          b.close();
          storage.remove('blob.tmp');
        },
      };
    },
  };
}

describe('e2e: sessions against the loopback server (HTTPS)', () => {
  test('every command kind, UI alert, Atomic, Sequence; the sync settings are configured and persisted', async () => {
    const srv = await serve({
      serverId: 'com.mgmtsrv.manage',
      packages: [
        { commands: [
          { cmd: 'Get', target: './DevInfo/Mod', expect: 200, expectValue: 'Widget 3000' },
          { cmd: 'Get', target: './DevInfo?list=Struct', expect: 200 },
          { cmd: 'Atomic', commands: [
            { cmd: 'Add', target: './Vendor/omadm/Sync/mail', format: 'node', expect: 200 },
            { cmd: 'Add', target: './Vendor/omadm/Sync/mail/Addr', data: 'https://sync.example.com/ds', format: 'chr', expect: 200 },
          ] },
          { cmd: 'Sequence', commands: [
            { cmd: 'Alert', code: 1101, items: ['MAXDT=30', 'Apply the new sync settings?'], expect: 200 },
            { cmd: 'Replace', target: './Vendor/omadm/Sync/mail/Addr', data: 'https://sync2.example.com/ds', format: 'chr', expect: 200 },
          ] },
          { cmd: 'Copy', target: './Vendor/omadm/Sync/mail/Name', source: './Vendor/omadm/Sync/mail/Addr', expect: [200, 405, 403] },
          { cmd: 'Exec', target: './DevInfo/Mod', correlator: 'x1', expect: 425 },
          { cmd: 'Get', target: './DMAcc/com_mgmtsrv_manage/AppAuth', expect: [200, 404, 425] },
        ] },
        { commands: [
          { cmd: 'Get', target: './Vendor/omadm/Sync/mail/Addr', expect: 200, expectValue: 'https://sync2.example.com/ds' },
          { cmd: 'Delete', target: './Vendor/omadm/Sync/nothing', expect: 404 },
        ] },
      ],
    });
    const dev = makeDevice({ url: srv.url, ca: pki.ca, ui: 'accept' });
    const r = await dev.agent.runSession();
    assert.equal(r.outcome, 'completed', JSON.stringify(r));
    const rec = await srv.waitForSession(1);
    assert.equal(rec.outcome, 'completed');
    assert.deepEqual(rec.failures, []);
    assert.equal(rec.alert, 1201);
    assert.equal(rec.devInfo['./DevInfo/Man'], 'Acme Devices');
    // the settings survive a restart of the device
    const again = makeDevice({ url: srv.url, ca: pki.ca, dir: dev.dir });
    const prof = again.agent.sync.profile('mail');
    assert.equal(prof?.addr ?? again.agent.tree.store.readText('./Vendor/omadm/Sync/mail/Addr'), 'https://sync2.example.com/ds');
  });

  test('Atomic rollback: a failing child undoes the others (tree unchanged)', async () => {
    const srv = await serve({
      packages: [{ commands: [
        { cmd: 'Atomic', expect: 507, commands: [
          { cmd: 'Add', target: './Vendor/omadm/Sync/x', format: 'node', expect: 216 },
          { cmd: 'Add', target: './DevInfo/Nope', data: 'v', expect: [405, 425] },
        ] },
        { cmd: 'Get', target: './Vendor/omadm/Sync/x', expect: 404 },
      ] }],
    });
    const dev = makeDevice({ url: srv.url, ca: pki.ca });
    assert.equal((await dev.agent.runSession()).outcome, 'completed');
    assert.deepEqual((await srv.waitForSession(1)).failures, []);
    assert.equal(dev.agent.tree.store.exists('./Vendor/omadm/Sync/x'), false);
  });

  test('1 MB large object in and out under a 4 KiB MaxMsgSize (multi-message packages both ways)', async () => {
    const data = randomBytes(1 << 20);
    const srv = await serve({
      packages: [
        { commands: [{ cmd: 'Replace', target: './Vendor/test/Blob', dataBase64: data.toString('base64'), format: 'bin', expect: 200 }] },
        { commands: [{ cmd: 'Get', target: './Vendor/test/Blob', expect: 200, expectValue: data.toString('base64') }] },
      ],
    });
    const dev = makeDevice({ url: srv.url, ca: pki.ca, agent: { session: { maxMsgSize: 4096, sendBufferSize: 4096, maxMessages: 2000, maxObjSize: 2 << 20 } } });
    dev.agent.addCsp(blobCsp(dev.agent.platform.storage));
    const r = await dev.agent.runSession();
    assert.equal(r.outcome, 'completed', JSON.stringify(r));
    const rec = await srv.waitForSession(1);
    assert.deepEqual(rec.failures, []);
    assert.ok(r.sent > 250, `chunked over many messages (${r.sent})`);
    for (const m of rec.messages) assert.ok(m.length <= 4096, `${m.dir} message of ${m.length} bytes`);
    // stored by streaming, byte-exact
    const st = dev.agent.platform.storage.open('blob.bin', false);
    const got = new Uint8Array(st.size());
    st.read(0, got);
    st.close();
    assert.ok(Buffer.from(got).equals(data));
  });

  test('md5 both ways; the nonces rotate and a second session authenticates with the persisted ones', async () => {
    const script = {
      serverId: 'com.mgmtsrv.manage',
      auth: {
        client: { type: 'md5', username: 'dev1', password: 'devpw', nonce: 'AAECAwQFBgcICQoLDA0ODw==' },
        server: { type: 'md5', username: 'com.mgmtsrv.manage', password: 'srvpw', nonce: 'EBESExQVFhcYGRobHB0eHw==' },
      },
      packages: [{ commands: [{ cmd: 'Get', target: './DevInfo/DevId', expect: 200 }] }],
    };
    const srv = await serve(script);
    const account = {
      authPref: 'DIGEST',
      client: { type: 'DIGEST', name: 'dev1', secret: 'devpw', nonce: Buffer.from('AAECAwQFBgcICQoLDA0ODw==', 'base64') },
      server: { type: 'DIGEST', name: 'com.mgmtsrv.manage', secret: 'srvpw', nonce: Buffer.from('EBESExQVFhcYGRobHB0eHw==', 'base64') },
    };
    const dev = makeDevice({ url: srv.url, ca: pki.ca, account: { ...account, client: { ...account.client, nonce: new Uint8Array(account.client.nonce) }, server: { ...account.server, nonce: new Uint8Array(account.server.nonce) } } });
    const r1 = await dev.agent.runSession();
    assert.equal(r1.outcome, 'completed', JSON.stringify(r1));
    assert.equal(r1.clientAuthenticated, true);
    assert.equal(r1.serverAuthenticated, true);
    const rec1 = await srv.waitForSession(1);
    assert.deepEqual(rec1.failures, []);
    const a1 = dev.agent.account()!;
    assert.notDeepEqual([...a1.client.nonce], [...account.client.nonce], 'client nonce rotated');
    assert.notDeepEqual([...a1.server.nonce], [...account.server.nonce], 'server nonce rotated');
    // restart the device on the same storage: the rotated nonces are used and accepted
    const dev2 = makeDevice({ url: srv.url, ca: pki.ca, dir: dev.dir });
    const r2 = await dev2.agent.runSession();
    assert.equal(r2.outcome, 'completed', JSON.stringify(r2));
    assert.equal(r2.serverAuthenticated, true);
    const rec2 = await srv.waitForSession(2);
    assert.deepEqual(rec2.failures, []);
    assert.equal(authTrouble(rec2.auth).length, 0, 'no challenge needed in session 2');
  });

  test('wrong client password: 401 challenges, then a clean auth failure; the tree is untouched', async () => {
    const srv = await serve({
      auth: { client: { type: 'md5', username: 'dev1', password: 'right', maxFailures: 2 } },
      packages: [{ commands: [{ cmd: 'Delete', target: './Vendor/omadm/Sync' }] }],
    });
    const dev = makeDevice({ url: srv.url, ca: pki.ca, account: { authPref: 'DIGEST', client: { type: 'DIGEST', name: 'dev1', secret: 'wrong' } } });
    const r = await dev.agent.runSession();
    assert.equal(r.outcome, 'failed');
    assert.equal(r.reason, 'auth-failed');
    assert.equal(dev.agent.tree.store.exists('./Vendor/omadm/Sync'), true);
  });

  test('HMAC both directions; a corrupted server HMAC is refused', async () => {
    const auth = { client: { type: 'hmac', username: 'dev1', password: 'devpw', nonce: 'AAECAwQFBgcICQoLDA0ODw==' }, server: { type: 'hmac', username: 'com.mgmtsrv.manage', password: 'srvpw', nonce: 'EBESExQVFhcYGRobHB0eHw==' } };
    const account = {
      authPref: 'HMAC',
      client: { type: 'HMAC', name: 'dev1', secret: 'devpw', nonce: new Uint8Array(Buffer.from('AAECAwQFBgcICQoLDA0ODw==', 'base64')) },
      server: { type: 'HMAC', name: 'com.mgmtsrv.manage', secret: 'srvpw', nonce: new Uint8Array(Buffer.from('EBESExQVFhcYGRobHB0eHw==', 'base64')) },
    };
    const ok = await serve({ auth, packages: [{ commands: [{ cmd: 'Get', target: './DevInfo/Lang', expect: 200 }] }] });
    const d1 = makeDevice({ url: ok.url, ca: pki.ca, account });
    const r1 = await d1.agent.runSession();
    assert.equal(r1.outcome, 'completed', JSON.stringify(r1));
    assert.deepEqual((await ok.waitForSession(1)).failures, []);
    // one corrupted server message: refused (401 + fresh nonce, its Delete not executed), the
    // server repeats it correctly signed, the session completes
    const once = await serve({ auth, packages: [{ commands: [{ cmd: 'Delete', target: './Vendor/omadm/Sync', expect: [401, 405, 425] }], faults: { corruptHmac: true } }] });
    const d2 = makeDevice({ url: once.url, ca: pki.ca, account });
    const r2 = await d2.agent.runSession();
    assert.ok(d2.agent.tree.store.exists('./Vendor/omadm/Sync'));
    assert.ok(d2.logs.some((l) => /x-syncml-hmac/.test(l.msg)), 'the refusal is logged');
    assert.ok(r2.outcome === 'completed' || r2.reason === 'hmac-mismatch', JSON.stringify(r2));
    // a server whose HMAC is always wrong: the session fails after the retry limit, nothing executed
    const bad = await serve({ auth, faults: { corruptHmac: true, times: 10 }, packages: [{ commands: [{ cmd: 'Delete', target: './Vendor/omadm/Sync' }] }] });
    const d3 = makeDevice({ url: bad.url, ca: pki.ca, account });
    const r3 = await d3.agent.runSession();
    assert.equal(r3.outcome, 'failed');
    assert.equal(r3.reason, 'hmac-mismatch');
    assert.ok(d3.agent.tree.store.exists('./Vendor/omadm/Sync'));
  });

  test('a DM 1.1.2 account against a 1.1.2 server (flat DMAcc, XML)', async () => {
    const srv = await serve({ version: '1.1.2', encoding: 'xml', packages: [{ commands: [{ cmd: 'Get', target: './DevInfo/Mod', expect: 200 }] }] });
    const dev = makeDevice({ url: srv.url, ca: pki.ca, account: { form: '1.1.2', protoVersion: '1.1.2', defaultEncoding: 'application/vnd.syncml.dm+xml' } });
    assert.equal(dev.agent.account()!.form, '1.1.2');
    const r = await dev.agent.runSession();
    assert.equal(r.outcome, 'completed', JSON.stringify(r));
    assert.equal(r.version, '1.1.2');
    const rec = await srv.waitForSession(1);
    assert.deepEqual(rec.failures, []);
    assert.equal(rec.encoding, 'xml');
  });

  test('1.2 → 1.1.2 retry policy: a server refusing DM 1.2 gets the session again in DM 1.1.2', async () => {
    const srv = await serve({ rejectVersion: '1.2', rejectStatus: 505, packages: [{ commands: [{ cmd: 'Get', target: './DevInfo/Mod', expect: 200 }] }] });
    const dev = makeDevice({ url: srv.url, ca: pki.ca });
    const r = await dev.agent.runSession();
    assert.equal(r.outcome, 'completed', JSON.stringify(r));
    assert.equal(r.version, '1.1.2');
    const dis = await serve({ rejectVersion: '1.2', rejectStatus: 505, packages: [] });
    const dev2 = makeDevice({ url: dis.url, ca: pki.ca, account: { backCompatRetryDisabled: true } });
    const r2 = await dev2.agent.runSession();
    assert.equal(r2.outcome, 'failed');
    assert.equal(r2.reason, 'version-rejected');
  });

  test('a server that never ends the session is cut off (loop detection, Alert 1223)', async () => {
    const srv = await serve({ neverEnd: true, packages: [{ commands: [{ cmd: 'Get', target: './DevInfo/Mod' }] }] });
    const dev = makeDevice({ url: srv.url, ca: pki.ca });
    const r = await dev.agent.runSession();
    assert.equal(r.outcome, 'aborted');
    assert.equal(r.reason, 'loop-detected');
    assert.ok(r.sent < 20);
  });

  test('the server drops the connection mid-package: clean failure, nothing of that package applied', async () => {
    const srv = await serve({
      packages: [
        { commands: [{ cmd: 'Add', target: './Vendor/omadm/Sync/p1', format: 'node', expect: 200 }] },
        { commands: [{ cmd: 'Add', target: './Vendor/omadm/Sync/p2', format: 'node' }], faults: { dropAfterRequest: true, times: 5 } },
      ],
    });
    const dev = makeDevice({ url: srv.url, ca: pki.ca });
    const r = await dev.agent.runSession();
    assert.equal(r.outcome, 'failed');
    assert.match(r.reason!, /^transport-/);
    // package 2 was never received: p1 (committed with package 2's request) exists, p2 does not
    assert.equal(dev.agent.tree.store.exists('./Vendor/omadm/Sync/p1'), true);
    assert.equal(dev.agent.tree.store.exists('./Vendor/omadm/Sync/p2'), false);
  });
});

describe('e2e: TLS verification', () => {
  let srvExpired: RunningServer;
  let srvWrongName: RunningServer;
  before(async () => {
    srvExpired = await startServer({ script: { packages: [] }, port: 0, tls: { key: pki.key, cert: pki.expiredCert } });
    srvWrongName = await startServer({ script: { packages: [] }, port: 0, tls: { key: pki.key, cert: pki.wrongNameCert } });
    servers.push(srvExpired, srvWrongName);
  });
  for (const [name, get, ca] of [
    ['expired certificate', () => srvExpired.url, pki.ca],
    ['certificate for another host', () => srvWrongName.url, pki.ca],
  ] as const) {
    test(`${name} → transport-tls, no session`, async () => {
      const dev = makeDevice({ url: get(), ca, account: { connRetryFreq: 0 } });
      const r = await dev.agent.runSession();
      assert.equal(r.outcome, 'failed');
      assert.equal(r.reason, 'transport-tls', JSON.stringify(r));
    });
  }
  test('wrong CA → transport-tls', async () => {
    const srv = await serve({ packages: [] });
    const dev = makeDevice({ url: srv.url, ca: pki.otherCa, account: { connRetryFreq: 0 } });
    const r = await dev.agent.runSession();
    assert.equal(r.reason, 'transport-tls', JSON.stringify(r));
    assert.equal(srv.sessions().length, 0);
  });
});
