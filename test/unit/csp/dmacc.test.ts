// Layer: unit (portable). DMAcc in the DM 1.2 and 1.1.2 forms: validation, secrets, the typed view,
// nonce rotation (persisted), bootstrap, ServerID uniqueness and ACL scrubbing on delete.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { valueIn } from '../../../src/csp/Csp';
import { DmAcc, DMACC_MO } from '../../../src/csp/dmacc';
import { Tree } from '../../../src/tree/Tree';
import { FakePlatform, MemStorage } from '../../helpers/fake-platform';
import { utf8Decode } from '../../../src/util/utf8';
import { toHex } from '../../../src/util/bytes';
import { b64encode } from '../../../src/crypto/base64';
import { text } from '../tree/helpers';

const S = 'com.mgmtsrv.manage';
const FULL = 'Add=*&Get=*&Replace=*&Delete=*&Exec=*';

function setup(storage = new MemStorage()) {
  const platform = new FakePlatform(1, storage);
  const tree = new Tree(platform, { rootAcl: FULL });
  const dmacc = DmAcc.attach(tree);
  return { tree, dmacc, storage };
}

/** A DM 1.2 account as a server would Add it, node by node. */
function addAccount12(tree: Tree, x: string, serverId: string): void {
  const ok = (r: { status: number }, what: string) => assert.equal(r.status, 200, what);
  ok(tree.add(S, `./DMAcc/${x}`, valueIn('', 'node')), 'account node');
  ok(tree.add(S, `./DMAcc/${x}/AppID`, valueIn('w7')), 'AppID');
  ok(tree.add(S, `./DMAcc/${x}/ServerID`, valueIn(serverId)), 'ServerID');
  ok(tree.add(S, `./DMAcc/${x}/Name`, valueIn('Mgmt server')), 'Name');
  ok(tree.add(S, `./DMAcc/${x}/AppAddr/1/Addr`, valueIn('https://dm.example.com/dm')), 'Addr');
  ok(tree.add(S, `./DMAcc/${x}/AppAddr/1/AddrType`, valueIn('URI')), 'AddrType');
  ok(tree.add(S, `./DMAcc/${x}/AppAddr/1/Port/1/PortNbr`, valueIn('8443')), 'PortNbr');
  ok(tree.add(S, `./DMAcc/${x}/AAuthPref`, valueIn('DIGEST')), 'AAuthPref');
  for (const [e, lvl, name, pw] of [['c', 'CLCRED', 'Bruce2', 'OhBehave'], ['s', 'SRVCRED', serverId, 'srvpwd']] as const) {
    ok(tree.add(S, `./DMAcc/${x}/AppAuth/${e}/AAuthLevel`, valueIn(lvl)), 'level');
    ok(tree.add(S, `./DMAcc/${x}/AppAuth/${e}/AAuthType`, valueIn('DIGEST')), 'type');
    ok(tree.add(S, `./DMAcc/${x}/AppAuth/${e}/AAuthName`, valueIn(name)), 'name');
    ok(tree.add(S, `./DMAcc/${x}/AppAuth/${e}/AAuthSecret`, valueIn(pw)), 'secret');
  }
  ok(tree.add(S, `./DMAcc/${x}/AppAuth/s/AAuthData`, valueIn(b64encode(new Uint8Array([1, 2, 3, 4])))), 'AAuthData as b64 chr');
}

describe('DMAcc 1.2', () => {
  test('a server-built account reads back through the typed view', () => {
    const { tree, dmacc } = setup();
    addAccount12(tree, 'acc1', S);
    const a = dmacc.findByServerId(S)!;
    assert.ok(a);
    assert.equal(a.form, '1.2');
    assert.equal(a.path, './DMAcc/acc1');
    assert.equal(a.addr, 'https://dm.example.com/dm');
    assert.equal(a.port, 8443);
    assert.equal(a.addrType, 'URI');
    assert.equal(a.authPref, 'DIGEST');
    assert.equal(a.protoVersion, '1.2');
    assert.equal(a.client.name, 'Bruce2');
    assert.equal(utf8Decode(a.client.secret), 'OhBehave');
    assert.equal(utf8Decode(a.server.secret), 'srvpwd');
    assert.equal(toHex(a.server.nonce), '01020304', 'chr nonce decoded from Base64');
    assert.equal(a.client.nonce.length, 0);
    assert.equal(a.connRetryFreq, 3);
    assert.equal(a.initialBackOffMs, 16000);
    assert.equal(a.maxBackOffMs, 86400000);
    assert.equal(a.backCompatRetryDisabled, false);
    assert.equal(a.defaultEncoding, 'application/vnd.syncml.dm+wbxml');
    assert.equal(tree.get(S, './DMAcc/acc1').items[0]!.type, DMACC_MO);
    assert.equal(dmacc.findByServerId('other'), null);
  });
  test('secrets are write-only; AAuthData is bin', () => {
    const { tree } = setup();
    addAccount12(tree, 'acc1', S);
    for (const p of ['AppAuth/c/AAuthSecret', 'AppAuth/s/AAuthSecret', 'AppAuth/s/AAuthData']) assert.equal(tree.get(S, `./DMAcc/acc1/${p}`).status, 405, p);
    assert.equal(text(tree.get(S, './DMAcc/acc1/AppAuth/s/AAuthData?prop=Format')), 'bin');
    assert.equal(tree.replace(S, './DMAcc/acc1/AppAuth/c/AAuthSecret', valueIn('new')).status, 200, 'writable');
    assert.equal(text(tree.get(S, './DMAcc/acc1/AppAuth/c/AAuthName')), 'Bruce2');
  });
  test('validation: unknown node 405, bad values 400, wrong kind/format 415, duplicate ServerID 418', () => {
    const { tree } = setup();
    addAccount12(tree, 'acc1', S);
    assert.equal(tree.add(S, './DMAcc/acc1/Colour', valueIn('red')).status, 405);
    assert.equal(tree.replace(S, './DMAcc/acc1/AppID', valueIn('w8')).status, 400);
    assert.equal(tree.replace(S, './DMAcc/acc1/AAuthPref', valueIn('PLAIN')).status, 400);
    assert.equal(tree.replace(S, './DMAcc/acc1/AppAddr/1/Port/1/PortNbr', valueIn('70000')).status, 400);
    assert.equal(tree.replace(S, './DMAcc/acc1/AppAuth/c/AAuthLevel', valueIn('ROOT')).status, 400);
    assert.equal(tree.add(S, './DMAcc/acc1/AppAddr/2', valueIn('x')).status, 415, 'leaf where the MO has a node');
    assert.equal(tree.replace(S, './DMAcc/acc1/Name', valueIn(new Uint8Array([1]), 'bin')).status, 415);
    assert.equal(tree.replace(S, './DMAcc/acc1/ServerID', valueIn('bad id')).status, 400);
    addAccount12(tree, 'acc2', 'srv2');
    assert.equal(tree.replace(S, './DMAcc/acc2/ServerID', valueIn(S)).status, 418);
    assert.equal(tree.add(S, './DMAcc/acc1/Ext/anything/goes', valueIn('free')).status, 200, 'Ext is open');
    assert.equal(tree.add(S, './DMAcc/acc1/Ext/omadm/ConnRetryFreq', valueIn('x')).status, 400, 'but Ext/omadm is validated');
    assert.equal(tree.add(S, './DMAcc/acc1/Ext/omadm/ConnRetryFreq', valueIn('5')).status, 200);
    assert.equal(text(tree.get(S, './DMAcc/acc1/Ext/omadm/ConnRetryFreq?prop=Format')), 'int');
  });
  test('policy from Ext/omadm', () => {
    const { tree, dmacc } = setup();
    addAccount12(tree, 'a', S);
    for (const [n, v] of [['ProtoVer', '1.1'], ['BackCompatRetryDisabled', 'true'], ['InitialBackOffTime', '1000'], ['MaxBackOffTime', '8000'], ['DefaultEncoding', 'application/vnd.syncml.dm+xml']]) {
      assert.equal(tree.add(S, `./DMAcc/a/Ext/omadm/${n}`, valueIn(v!)).status, 200, n);
    }
    const a = dmacc.findByServerId(S)!;
    assert.equal(a.protoVersion, '1.1.2');
    assert.equal(a.backCompatRetryDisabled, true);
    assert.equal(a.initialBackOffMs, 1000);
    assert.equal(a.maxBackOffMs, 8000);
    assert.equal(a.defaultEncoding, 'application/vnd.syncml.dm+xml');
  });
  test('deleting an account scrubs its ServerID from every ACL', () => {
    const { tree, dmacc } = setup();
    addAccount12(tree, 'acc1', S);
    tree.store.setAcl('./DMAcc/acc1/Name', `Get=${S}+other`);
    tree.store.ensure('./DMAcc/keep', { interior: true, acl: `Get=${S}&Replace=${S}+x` });
    tree.store.setAcl('.', `Add=*&Get=*&Delete=${S}+x&Replace=${S}`);
    assert.equal(tree.delete(S, './DMAcc/acc1').status, 200);
    assert.equal(dmacc.findByServerId(S), null);
    assert.equal(tree.store.info('./DMAcc/keep')!.acl, 'Replace=x');
    assert.equal(tree.store.info('.')!.acl, 'Add=*&Delete=x&Get=*');
  });
});

describe('DMAcc 1.1.2 flat form', () => {
  test('server-built account, AuthPref mapping, b64 nonces, secrets', () => {
    const { tree, dmacc } = setup();
    const base = './SyncML/DMAcc/x1';
    assert.equal(tree.add(S, base, valueIn('', 'node')).status, 200);
    for (const [n, v] of [['Addr', 'http://dm.example.com:8080/dm'], ['PortNbr', '8080'], ['ServerId', 'old.server'], ['ServerPW', 'spw'], ['UserName', 'u'], ['ClientPW', 'cpw'], ['AuthPref', 'syncml:auth-md5'], ['Name', 'Old']]) {
      assert.equal(tree.add(S, `${base}/${n}`, valueIn(v!)).status, 200, n);
    }
    assert.equal(tree.add(S, `${base}/ServerNonce`, valueIn('AAAAAA==')).status, 200);
    assert.equal(tree.add(S, `${base}/ClientNonce`, valueIn(new Uint8Array([9, 9]), 'bin')).status, 200);
    assert.equal(tree.add(S, `${base}/AuthPref`.replace('AuthPref', 'Bogus'), valueIn('1')).status, 405);
    assert.equal(tree.replace(S, `${base}/AuthPref`, valueIn('syncml:auth-none')).status, 400);
    const a = dmacc.findByServerId('old.server')!;
    assert.equal(a.form, '1.1.2');
    assert.equal(a.protoVersion, '1.1.2');
    assert.equal(a.authPref, 'DIGEST');
    assert.equal(a.port, 8080);
    assert.equal(a.client.name, 'u');
    assert.equal(utf8Decode(a.client.secret), 'cpw');
    assert.equal(toHex(a.server.nonce), '00000000');
    assert.equal(toHex(a.client.nonce), '0909');
    for (const n of ['ServerPW', 'ClientPW', 'ServerNonce', 'ClientNonce']) assert.equal(tree.get(S, `${base}/${n}`).status, 405, n);
  });
  test('ServerIDs are unique across both forms', () => {
    const { tree } = setup();
    addAccount12(tree, 'acc1', S);
    tree.add(S, './SyncML/DMAcc/x', valueIn('', 'node'));
    assert.equal(tree.add(S, './SyncML/DMAcc/x/ServerId', valueIn(S)).status, 418);
  });
});

describe('nonce rotation and bootstrap', () => {
  test('setNonce persists (1.2 creates the AppAuth entry when missing; 1.1.2 flat nodes)', () => {
    const storage = new MemStorage();
    const { dmacc } = setup(storage);
    assert.equal(dmacc.install({ serverId: S, addr: 'https://dm.example.com/dm', client: { type: 'DIGEST', name: 'dev', secret: 'pw' } }), 200);
    assert.equal(dmacc.install({ serverId: 'legacy', addr: 'http://old/dm', form: '1.1.2', authPref: 'DIGEST', client: { name: 'u', secret: 'p' } }), 200);
    assert.equal(dmacc.setNonce(S, 'client', new Uint8Array([1, 2])), true);
    assert.equal(dmacc.setNonce(S, 'server', new Uint8Array([3, 4])), true);
    assert.equal(dmacc.setNonce('legacy', 'server', new Uint8Array([5])), true);
    assert.equal(dmacc.setNonce('nobody', 'server', new Uint8Array([5])), false);
    // Restart from storage only: the nonces were committed.
    const again = setup(storage).dmacc;
    const a = again.findByServerId(S)!;
    assert.equal(toHex(a.client.nonce), '0102');
    assert.equal(toHex(a.server.nonce), '0304');
    assert.equal(a.client.name, 'dev');
    assert.equal(toHex(again.findByServerId('legacy')!.server.nonce), '05');
    assert.equal(again.findByServerId('legacy')!.authPref, 'DIGEST');
  });
  test('install grants the server its account, replaces an account with the same ServerID, refuses bad profiles', () => {
    const { tree, dmacc } = setup();
    assert.equal(dmacc.install({ serverId: S, addr: 'https://a/dm', port: 443, name: 'A', authPref: 'HMAC', server: { secret: 'sp', nonce: new Uint8Array([7]) }, connRetryFreq: 5, defaultEncoding: 'application/vnd.syncml.dm+xml' }), 200);
    const acl = tree.store.info(`./DMAcc/${S}`)!.acl;
    assert.equal(acl, `Add=${S}&Delete=${S}&Get=${S}&Replace=${S}`);
    tree.store.setAcl('.', 'Add=*&Get=*');
    assert.equal(tree.get('someone.else', `./DMAcc/${S}/Name`).status, 425);
    assert.equal(text(tree.get(S, `./DMAcc/${S}/Name`)), 'A');
    const a = dmacc.findByServerId(S)!;
    assert.equal(a.port, 443);
    assert.equal(a.connRetryFreq, 5);
    assert.equal(a.authPref, 'HMAC');
    assert.equal(toHex(a.server.nonce), '07');
    assert.equal(dmacc.install({ serverId: S, addr: 'https://b/dm', accountId: 'renamed' }), 200);
    assert.equal(dmacc.accounts().length, 1);
    assert.equal(dmacc.findByServerId(S)!.addr, 'https://b/dm');
    assert.equal(dmacc.findByServerId(S)!.id, 'renamed');
    assert.equal(dmacc.install({ serverId: 'bad id', addr: 'x' }), 400);
    assert.equal(dmacc.install({ serverId: 'ok', addr: '' }), 400);
    assert.equal(dmacc.install({ serverId: 'ok', addr: 'x', port: 70000 }), 400);
  });
});
