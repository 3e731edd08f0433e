// Layer: unit (portable). The bootstrap receiver end to end on an in-memory device: each SEC method
// accepted with the right key and refused with a wrong MAC / PIN / network secret, unsigned and unknown
// methods, replays (also after a restart), truncated documents, busy, all-or-nothing application,
// account ownership, re-bootstrap, Inbox, unowned nodes, OMA CP w7, sessions to start.
// (The MACs here come from src/crypto; python3's hmac checks them in test/interop/bootstrap.)
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Bootstrapper, bootstrapPushFromHeader, bootstrapKind } from '../../../src/bootstrap/Bootstrapper';
import type { BootstrapDecision, BootstrapHost, BootstrapOptions } from '../../../src/bootstrap/Bootstrapper';
import { bootstrapKey, bootstrapMac, imsiKey, userPinMac } from '../../../src/bootstrap/sec';
import type { SecMethod } from '../../../src/bootstrap/sec';
import { encodeTnds, TNDS_WBXML_TYPE } from '../../../src/bootstrap/tnds';
import { valueIn } from '../../../src/csp/Csp';
import type { UserInterface } from '../../../src/platform';
import { utf8Decode } from '../../../src/util/utf8';
import { MemStorage } from '../../helpers/fake-platform';
import { account12, add, addNode, answeringUi, device, dmMessage, dump, IMSI, push, SRV, u8 } from './helpers';
import type { Device } from './helpers';

const ADDR = 'https://dm.example.com/dm';
const PIN = '4711';

interface Rig extends Device {
  b: Bootstrapper;
  sessions: string[];
  ui: ReturnType<typeof answeringUi> | undefined;
}

function rig(o: { pin?: string | 'cancel'; noUi?: boolean; imsi?: string | null; storage?: MemStorage; opts?: BootstrapOptions; presetPin?: string } = {}): Rig {
  const d = device(o.storage);
  const sessions: string[] = [];
  const ui = o.noUi ? undefined : answeringUi(o.pin ?? PIN);
  const host: BootstrapHost = {
    tree: d.tree, dmacc: d.dmacc, log: d.platform.log, storage: d.storage,
    networkSecret: () => (o.imsi === null ? null : imsiKey(o.imsi ?? IMSI)),
    startSession: (id) => sessions.push(id),
  };
  if (ui) host.ui = ui as UserInterface;
  if (o.presetPin !== undefined) host.userPin = () => o.presetPin!;
  return { ...d, b: new Bootstrapper(host, o.opts ?? {}), sessions, ui };
}

function sign(sec: SecMethod, doc: Uint8Array, pin = PIN, imsi = IMSI): string {
  return bootstrapMac(bootstrapKey(sec, imsiKey(imsi), pin), doc);
}

const DOC = dmMessage(account12('srv', SRV, ADDR));

function applied(d: BootstrapDecision): asserts d is Extract<BootstrapDecision, { outcome: 'applied' }> {
  assert.equal(d.outcome, 'applied', JSON.stringify(d));
}
function rejected(d: BootstrapDecision, reason: string): void {
  assert.equal(d.outcome, 'rejected', JSON.stringify(d));
  if (d.outcome === 'rejected') assert.equal(d.reason, reason, d.detail);
}

describe('DM bootstrap: SEC methods', () => {
  for (const sec of ['NETWORKID', 'USERPIN', 'USERPIN_NETWORKID'] as const) {
    test(`${sec}: the right key applies the account (secrets write-only) and starts a session`, async () => {
      const r = rig();
      const d = await r.b.handle(push(DOC, { sec, mac: sign(sec, DOC) }));
      applied(d);
      assert.deepEqual(d.serverIds, [SRV]);
      assert.deepEqual(r.sessions, [SRV]);
      assert.equal(r.ui!.asked.length, sec === 'NETWORKID' ? 0 : 1, 'PIN asked only when needed');
      if (sec !== 'NETWORKID') assert.equal(r.ui!.asked[0]!.echo, 'P');
      const a = r.dmacc.findByServerId(SRV)!;
      assert.equal(a.addr, ADDR);
      assert.equal(a.client.name, 'dev1');
      assert.equal(utf8Decode(a.client.secret), 'devpw');
      assert.deepEqual([...a.client.nonce], [...Array(16).keys()], 'b64 nonce stored as bytes');
      assert.equal(utf8Decode(a.server.secret), 'srvpw');
      assert.equal(r.tree.get(SRV, './DMAcc/srv/AppAuth/1/AAuthSecret').status, 405, 'secret not readable by Get');
      assert.equal(r.tree.get(SRV, './DMAcc/srv/AppAddr/1/Addr').status, 200, 'the server may read its account');
      assert.equal(r.tree.store.info('./DMAcc/srv')!.acl, `Add=${SRV}&Delete=${SRV}&Get=${SRV}&Replace=${SRV}`);
      assert.equal(r.tree.dirty, false, 'persisted');
    });
  }

  test('SEC as the WSP short-integer code and as an untyped textual parameter both work', async () => {
    const r = rig();
    applied(await r.b.handle(push(DOC, { sec: 1, mac: sign('USERPIN', DOC) })));
    const r2 = rig();
    const p = bootstrapPushFromHeader(`application/vnd.syncml.dm+wbxml; SEC=NETWORKID; MAC="${sign('NETWORKID', DOC).toLowerCase()}"`, DOC);
    assert.equal(p.contentTypeCode, 0x42);
    applied(await r2.b.handle(p));
  });

  test('USERPIN_NETWORKID with the "PIN:network" key form when the policy says so', async () => {
    const mac = bootstrapMac(bootstrapKey('USERPIN_NETWORKID', imsiKey(IMSI), PIN, 'pin-colon-network'), DOC);
    rejected(await rig().b.handle(push(DOC, { sec: 'USERPIN_NETWORKID', mac })), 'bad-mac');
    applied(await rig({ opts: { policy: { userPinNetworkKeyForm: 'pin-colon-network' } } }).b.handle(push(DOC, { sec: 'USERPIN_NETWORKID', mac })));
  });

  test('a preset PIN is used without asking; a null preset falls back to the UI', async () => {
    applied(await rig({ noUi: true, presetPin: PIN }).b.handle(push(DOC, { sec: 'USERPIN', mac: sign('USERPIN', DOC) })));
    const r = rig({ pin: '0000', presetPin: PIN });
    applied(await r.b.handle(push(DOC, { sec: 'USERPIN', mac: sign('USERPIN', DOC) })));
    assert.equal(r.ui!.asked.length, 0);
    const d = device();
    const ui = answeringUi(PIN);
    const b = new Bootstrapper({ tree: d.tree, dmacc: d.dmacc, log: d.platform.log, ui, userPin: () => null, networkSecret: () => null });
    applied(await b.handle(push(DOC, { sec: 'USERPIN', mac: sign('USERPIN', DOC) })));
    assert.equal(ui.asked.length, 1);
  });
});

describe('DM bootstrap: refusals (and the tree stays untouched)', () => {
  const untouched = async (r: Rig, p: ReturnType<typeof push>, reason: string): Promise<void> => {
    const before = dump(r.tree);
    const sessions = r.sessions.length;
    rejected(await r.b.handle(p), reason);
    assert.equal(dump(r.tree), before);
    assert.equal(r.sessions.length, sessions, 'no session started');
  };
  test('wrong MAC for each method', async () => {
    for (const sec of ['NETWORKID', 'USERPIN', 'USERPIN_NETWORKID'] as const) {
      const mac = sign(sec, DOC);
      await untouched(rig(), push(DOC, { sec, mac: (mac[0] === 'A' ? 'B' : 'A') + mac.slice(1) }), 'bad-mac');
    }
  });
  test('a MAC made for another method does not pass', async () => {
    await untouched(rig(), push(DOC, { sec: 'USERPIN', mac: sign('NETWORKID', DOC) }), 'bad-mac');
  });
  test('wrong PIN', async () => {
    await untouched(rig({ pin: '0000' }), push(DOC, { sec: 'USERPIN', mac: sign('USERPIN', DOC) }), 'bad-mac');
    await untouched(rig({ pin: '0000' }), push(DOC, { sec: 'USERPIN_NETWORKID', mac: sign('USERPIN_NETWORKID', DOC) }), 'bad-mac');
  });
  test('another SIM (IMSI) than the one the MAC was made for', async () => {
    await untouched(rig({ imsi: '262011234567891' }), push(DOC, { sec: 'NETWORKID', mac: sign('NETWORKID', DOC) }), 'bad-mac');
  });
  test('PIN prompt cancelled; no UI and no preset PIN; no network secret', async () => {
    await untouched(rig({ pin: 'cancel' }), push(DOC, { sec: 'USERPIN', mac: sign('USERPIN', DOC) }), 'pin-cancelled');
    await untouched(rig({ noUi: true }), push(DOC, { sec: 'USERPIN', mac: sign('USERPIN', DOC) }), 'pin-unavailable');
    await untouched(rig({ imsi: null }), push(DOC, { sec: 'NETWORKID', mac: sign('NETWORKID', DOC) }), 'no-network-secret');
  });
  test('an overlong PIN is refused before any HMAC', async () => {
    await untouched(rig({ pin: '1'.repeat(17) }), push(DOC, { sec: 'USERPIN', mac: sign('USERPIN', DOC) }), 'bad-mac');
  });
  test('unsigned (no SEC), SEC without MAC, unknown SEC, SEC not allowed by the policy', async () => {
    await untouched(rig(), push(DOC), 'unsigned');
    await untouched(rig(), push(DOC, { sec: 'USERPIN' }), 'unsigned');
    await untouched(rig(), push(DOC, { sec: 'SMARTCARD', mac: sign('USERPIN', DOC) }), 'unknown-sec');
    await untouched(rig({ opts: { policy: { sec: ['USERPIN'] } } }), push(DOC, { sec: 'NETWORKID', mac: sign('NETWORKID', DOC) }), 'sec-not-allowed');
  });
  test('unsigned documents are accepted only when allowed explicitly', async () => {
    applied(await rig({ opts: { allowUnsigned: true } }).b.handle(push(DOC)));
  });
  test('truncated documents (valid MAC over the truncated bytes) are malformed, at every length', async () => {
    for (const n of [0, 1, 5, 20, Math.floor(DOC.length / 2), DOC.length - 1]) {
      const doc = DOC.subarray(0, n);
      await untouched(rig(), push(doc, { sec: 'NETWORKID', mac: sign('NETWORKID', doc) }), 'malformed');
    }
  });
  test('a document cut in transit (MAC over the whole) is a bad MAC', async () => {
    await untouched(rig(), push(DOC.subarray(0, DOC.length - 3), { sec: 'NETWORKID', mac: sign('NETWORKID', DOC) }), 'bad-mac');
  });
  test('XML is not a DM bootstrap encoding; other content types are not bootstraps; size bound', async () => {
    const xml = dmMessage(account12('srv', SRV, ADDR), 'xml');
    await untouched(rig(), push(xml, { sec: 'NETWORKID', mac: sign('NETWORKID', xml) }), 'malformed');
    await untouched(rig(), push(DOC, { sec: 'NETWORKID', mac: sign('NETWORKID', DOC), ct: 0x44 }), 'not-bootstrap');
    await untouched(rig({ opts: { limits: { maxDocumentBytes: 256 } } }), push(DOC, { sec: 'NETWORKID', mac: sign('NETWORKID', DOC) }), 'too-large');
    await untouched(rig({ opts: { policy: { accept: ['cp'] } } }), push(DOC, { sec: 'NETWORKID', mac: sign('NETWORKID', DOC) }), 'not-accepted');
  });
  test('commands that need an answer (Get, Exec, Alert…) reject the whole bootstrap', async () => {
    const doc = dmMessage([...account12('srv', SRV, ADDR), { kind: 'Get', items: [{ target: './DevInfo/DevId' }] }]);
    await untouched(rig(), push(doc, { sec: 'NETWORKID', mac: sign('NETWORKID', doc) }), 'unsupported-command');
  });
  test('a message without any DM account', async () => {
    const doc = dmMessage([add('./Vendor/omadm/Sync/x/Addr', 'https://s.example.com/')]);
    await untouched(rig(), push(doc, { sec: 'NETWORKID', mac: sign('NETWORKID', doc) }), 'no-account');
  });
  test('one failing item undoes everything before it (all-or-nothing)', async () => {
    const doc = dmMessage([...account12('srv', SRV, ADDR), add('./DMAcc/srv/AppAddr/1/AddrType', 'X.25')]);
    await untouched(rig(), push(doc, { sec: 'NETWORKID', mac: sign('NETWORKID', doc) }), 'apply-failed');
  });
  test("a bootstrap for one server cannot rewrite another server's account", async () => {
    const r = rig();
    applied(await r.b.handle(push(DOC, { sec: 'NETWORKID', mac: sign('NETWORKID', DOC) })));
    const doc = dmMessage([...account12('evil', 'com.evil', 'https://evil.example.com/'), add('./DMAcc/srv/AppAddr/1/Addr', 'https://evil.example.com/')]);
    await untouched(r, push(doc, { sec: 'NETWORKID', mac: sign('NETWORKID', doc) }), 'apply-failed');
    assert.equal(r.dmacc.findByServerId(SRV)!.addr, ADDR);
  });
});

describe('DM bootstrap: replays, concurrency, re-bootstrap', () => {
  test('the same document again is a replay, even after a restart (persisted table)', async () => {
    const storage = new MemStorage();
    const r = rig({ storage });
    const p = push(DOC, { sec: 'NETWORKID', mac: sign('NETWORKID', DOC) });
    applied(await r.b.handle(p));
    rejected(await r.b.handle(p), 'replay');
    // the operator later deletes the account; a replay must not bring it back
    assert.equal(r.tree.delete(SRV, './DMAcc/srv').status, 200);
    r.tree.commit();
    storage.powerCut();
    const r2 = rig({ storage });
    assert.equal(r2.dmacc.findByServerId(SRV), null);
    rejected(await r2.b.handle(p), 'replay');
    assert.equal(r2.dmacc.findByServerId(SRV), null);
    assert.equal(r2.b.usage().remembered, 1);
  });
  test('a rejected (bad MAC) push is not remembered: the genuine one still applies', async () => {
    const r = rig();
    rejected(await r.b.handle(push(DOC, { sec: 'NETWORKID', mac: '0'.repeat(40) })), 'bad-mac');
    applied(await r.b.handle(push(DOC, { sec: 'NETWORKID', mac: sign('NETWORKID', DOC) })));
  });
  test('the replay table is a bounded ring', async () => {
    const r = rig({ opts: { limits: { maxReplayEntries: 2 } } });
    const docs = [1, 2, 3].map((i) => dmMessage(account12('srv', SRV, `${ADDR}/${i}`)));
    for (const d of docs) applied(await r.b.handle(push(d, { sec: 'NETWORKID', mac: sign('NETWORKID', d) })));
    assert.equal(r.b.usage().remembered, 2);
    // the oldest fell out of the ring: it applies again
    applied(await r.b.handle(push(docs[0]!, { sec: 'NETWORKID', mac: sign('NETWORKID', docs[0]!) })));
    rejected(await r.b.handle(push(docs[2]!, { sec: 'NETWORKID', mac: sign('NETWORKID', docs[2]!) })), 'replay');
  });
  test('a second push while the first waits for its PIN is busy', async () => {
    const r = rig();
    const first = r.b.handle(push(DOC, { sec: 'USERPIN', mac: sign('USERPIN', DOC) }));
    const doc2 = dmMessage(account12('srv2', 'com.other', ADDR));
    const second = await r.b.handle(push(doc2, { sec: 'NETWORKID', mac: sign('NETWORKID', doc2) }));
    rejected(second, 'busy');
    applied(await first);
    applied(await r.b.handle(push(doc2, { sec: 'NETWORKID', mac: sign('NETWORKID', doc2) })));
  });
  test('re-bootstrap of the same ServerID under another node name replaces the old account', async () => {
    const r = rig();
    applied(await r.b.handle(push(DOC, { sec: 'NETWORKID', mac: sign('NETWORKID', DOC) })));
    const doc = dmMessage(account12('acc2', SRV, 'https://new.example.com/dm', { clientPw: 'newpw' }));
    applied(await r.b.handle(push(doc, { sec: 'NETWORKID', mac: sign('NETWORKID', doc) })));
    assert.equal(r.tree.store.exists('./DMAcc/srv'), false);
    const a = r.dmacc.findByServerId(SRV)!;
    assert.equal(a.path, './DMAcc/acc2');
    assert.equal(utf8Decode(a.client.secret), 'newpw');
    assert.equal(r.dmacc.accounts().length, 1);
  });
  test('re-bootstrap into the same node overwrites with Add (no 418) and keeps the other servers', async () => {
    const r = rig();
    applied(await r.b.handle(push(DOC, { sec: 'NETWORKID', mac: sign('NETWORKID', DOC) })));
    const other = dmMessage(account12('o', 'com.other', 'https://other.example.com/'));
    applied(await r.b.handle(push(other, { sec: 'NETWORKID', mac: sign('NETWORKID', other) })));
    const doc = dmMessage(account12('srv', SRV, 'https://moved.example.com/dm'));
    applied(await r.b.handle(push(doc, { sec: 'NETWORKID', mac: sign('NETWORKID', doc) })));
    assert.equal(r.dmacc.findByServerId(SRV)!.addr, 'https://moved.example.com/dm');
    assert.equal(r.dmacc.findByServerId('com.other')!.addr, 'https://other.example.com/');
  });
});

describe('DM bootstrap: TNDS, Inbox, connectivity, 1.1.2', () => {
  const tndsAccount = (x: string, extraAcl?: string): Uint8Array => encodeTnds({
    nodes: [{
      name: x, type: 'urn:oma:mo:oma-dm-dmacc:1.0', ...(extraAcl ? { acl: extraAcl } : {}), children: [
        { name: 'AppID', value: 'w7' }, { name: 'ServerID', value: SRV },
        { name: 'AppAddr', children: [{ name: 'a', children: [{ name: 'Addr', value: ADDR }, { name: 'AddrType', value: 'URI' }] }] },
        { name: 'PrefConRef', value: './Inbox/con1' },
        { name: 'AppAuth', children: [{ name: 'c', children: [{ name: 'AAuthLevel', value: 'CLCRED' }, { name: 'AAuthType', value: 'BASIC' }, { name: 'AAuthName', value: 'dev1' }, { name: 'AAuthSecret', value: 'pw' }] }] },
      ],
    }],
  }, 'wbxml');

  test('an embedded WBXML TNDS (OPAQUE) provisions the account; its ACL property is kept', async () => {
    const r = rig();
    const doc = dmMessage([{ kind: 'Add', items: [{ target: './DMAcc', meta: { type: TNDS_WBXML_TYPE, format: 'xml' }, data: tndsAccount('t1', `Get=${SRV}&Replace=${SRV}`) }] }]);
    applied(await r.b.handle(push(doc, { sec: 'USERPIN', mac: sign('USERPIN', doc) })));
    const a = r.dmacc.findByServerId(SRV)!;
    assert.equal(a.path, './DMAcc/t1');
    assert.equal(a.addr, ADDR);
    assert.equal(a.client.type, 'BASIC');
    assert.equal(r.tree.store.info('./DMAcc/t1')!.acl, `Get=${SRV}&Replace=${SRV}`);
    assert.equal(r.tree.get(SRV, './DMAcc/t1/AppAuth/c/AAuthSecret').status, 405);
  });

  test('the Inbox places a DMAcc object under ./DMAcc and rewrites Inbox references', async () => {
    const r = rig();
    const doc = dmMessage([{ kind: 'Add', items: [{ target: './Inbox', meta: { type: TNDS_WBXML_TYPE }, data: tndsAccount('ib') }] }]);
    applied(await r.b.handle(push(doc, { sec: 'NETWORKID', mac: sign('NETWORKID', doc) })));
    assert.equal(r.tree.store.exists('./Inbox'), false);
    assert.equal(r.dmacc.findByServerId(SRV)!.path, './DMAcc/ib');
    // ./Inbox/con1 is not an object of this bootstrap: the reference is left as sent
    assert.equal(r.tree.store.readText('./DMAcc/ib/PrefConRef'), './Inbox/con1');
  });

  test('Inbox objects of an unknown MO are refused', async () => {
    const doc = dmMessage([...account12('srv', SRV, ADDR), addNode('./Inbox/x', 'urn:oma:mo:unknown:1.0'), add('./Inbox/x/a', '1')]);
    rejected(await rig().b.handle(push(doc, { sec: 'NETWORKID', mac: sign('NETWORKID', doc) })), 'unsupported-mo');
  });

  const CON = [addNode('./SyncML/Con/c1'), add('./SyncML/Con/c1/PX/Addr', '10.0.0.1'), add('./SyncML/Con/c1/NAP/Addr', 'internet')];
  test('connectivity outside every CSP is stored with the server granted on it (policy "store")', async () => {
    const r = rig();
    const doc = dmMessage([...account12('srv', SRV, ADDR), ...CON]);
    applied(await r.b.handle(push(doc, { sec: 'NETWORKID', mac: sign('NETWORKID', doc) })));
    assert.equal(r.tree.store.readText('./SyncML/Con/c1/PX/Addr'), '10.0.0.1');
    assert.equal(r.tree.store.info('./SyncML/Con')!.acl, `Add=${SRV}&Delete=${SRV}&Get=${SRV}&Replace=${SRV}`);
    assert.equal(r.tree.get(SRV, './SyncML/Con/c1/NAP/Addr').status, 200);
    assert.equal(r.tree.get('com.other', './SyncML/Con/c1/NAP/Addr').status, 425);
  });
  test('policy "ignore" drops them, policy "reject" refuses the bootstrap', async () => {
    const doc = dmMessage([...account12('srv', SRV, ADDR), ...CON]);
    const r = rig({ opts: { policy: { unowned: 'ignore' } } });
    applied(await r.b.handle(push(doc, { sec: 'NETWORKID', mac: sign('NETWORKID', doc) })));
    assert.equal(r.tree.store.exists('./SyncML/Con'), false);
    assert.ok(r.dmacc.findByServerId(SRV));
    rejected(await rig({ opts: { policy: { unowned: 'reject' } } }).b.handle(push(doc, { sec: 'NETWORKID', mac: sign('NETWORKID', doc) })), 'apply-failed');
  });

  test('a DM 1.1.2 flat account (./SyncML/DMAcc) in an Atomic, with a Delete of a missing node', async () => {
    const r = rig();
    const a = './SyncML/DMAcc/old';
    const doc = dmMessage([
      { kind: 'Delete', items: [{ target: './SyncML/DMAcc/nothing' }] },
      { kind: 'Atomic', children: [addNode(a), add(`${a}/Addr`, ADDR), add(`${a}/ServerId`, SRV), add(`${a}/UserName`, 'dev1'), add(`${a}/ClientPW`, 'pw'), add(`${a}/AuthPref`, 'syncml:auth-md5')] },
    ], 'wbxml', '1.1.2');
    const d = await r.b.handle(push(doc, { sec: 'NETWORKID', mac: sign('NETWORKID', doc) }));
    applied(d);
    const acc = r.dmacc.findByServerId(SRV)!;
    assert.equal(acc.form, '1.1.2');
    assert.equal(acc.authPref, 'DIGEST');
    assert.equal(r.tree.get(SRV, `${a}/ClientPW`).status, 405);
  });

  test('a Replace carrying b64 data stores the decoded bytes', async () => {
    const r = rig();
    const doc = dmMessage([...account12('srv', SRV, ADDR), { kind: 'Replace', items: [{ target: './DMAcc/srv/AppAuth/2/AAuthData', meta: { format: 'b64' }, data: 'AQID' }] }]);
    applied(await r.b.handle(push(doc, { sec: 'NETWORKID', mac: sign('NETWORKID', doc) })));
    assert.deepEqual([...r.dmacc.findByServerId(SRV)!.server.nonce], [1, 2, 3]);
  });

  test('a session holding an open Atomic makes the bootstrap wait (busy)', async () => {
    const r = rig();
    r.tree.beginAtomic();
    assert.equal(r.tree.add(SRV, './Vendor/omadm/Sync/x', valueIn('', 'node')).status, 200);
    rejected(await r.b.handle(push(DOC, { sec: 'NETWORKID', mac: sign('NETWORKID', DOC) })), 'busy');
    r.tree.rollbackAtomic();
    applied(await r.b.handle(push(DOC, { sec: 'NETWORKID', mac: sign('NETWORKID', DOC) })));
  });
});

describe('content types', () => {
  test('binary and textual forms', () => {
    assert.equal(bootstrapKind('x', 0x42), 'dm');
    assert.equal(bootstrapKind('x', 0x36), 'cp');
    assert.equal(bootstrapKind('x', 0x44), null);
    assert.equal(bootstrapKind('Application/Vnd.SyncML.DM+WBXML; SEC=USERPIN', null), 'dm');
    assert.equal(bootstrapKind('application/vnd.wap.connectivity-wbxml', null), 'cp');
    assert.equal(bootstrapKind('application/vnd.syncml.dm+xml', null), null);
  });
  test('usage counts decisions by reason', async () => {
    const r = rig();
    await r.b.handle(push(DOC));
    await r.b.handle(push(DOC, { sec: 'NETWORKID', mac: sign('NETWORKID', DOC) }));
    assert.deepEqual(r.b.usage(), { applied: 1, rejected: { unsigned: 1 }, remembered: 1 });
  });
  test('USERPINMAC applies a DM document too when the policy allows it', async () => {
    const pin = userPinMac('2468', DOC);
    applied(await rig({ pin }).b.handle(push(DOC, { sec: 'USERPINMAC' })));
    rejected(await rig({ pin: pin.slice(0, -1) + (pin.endsWith('0') ? '1' : '0') }).b.handle(push(DOC, { sec: 'USERPINMAC' })), 'bad-mac');
  });
  test('a host without networkSecret is a TypeError naming the fields', () => {
    const d = device();
    assert.throws(() => new Bootstrapper({ tree: d.tree, dmacc: d.dmacc, log: d.platform.log } as unknown as BootstrapHost), /networkSecret/);
  });
});

void u8;
