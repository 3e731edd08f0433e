// Layer: unit (portable). The replay table (bounded ring, persisted across restarts and power cuts,
// an unreadable record starts empty) and the factory profile (validation with JSON paths, install on
// the first start only, write-only secrets, all-or-nothing, corrupt tree → installed again).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { documentDigest, ReplayGuard } from '../../../src/bootstrap/replay';
import { DEFAULT_OTA_POLICY, installFactoryProfile, parseBootstrapProfile } from '../../../src/bootstrap/profile';
import { ConfigError } from '../../../src/agent/config';
import { utf8Decode } from '../../../src/util/utf8';
import { MemStorage } from '../../helpers/fake-platform';
import { device, IMSI_KEY, u8 } from './helpers';

const dg = (i: number): Uint8Array => documentDigest(u8(`doc ${i}`));

describe('replay table', () => {
  test('remembers, forgets the oldest beyond max, persists across instances', () => {
    const storage = new MemStorage();
    const g = new ReplayGuard({ max: 3, storage });
    for (let i = 0; i < 4; i++) g.remember(dg(i));
    assert.equal(g.size, 3);
    assert.deepEqual([0, 1, 2, 3].map((i) => g.seen(dg(i))), [false, true, true, true]);
    const g2 = new ReplayGuard({ max: 3, storage });
    assert.deepEqual([0, 1, 2, 3].map((i) => g2.seen(dg(i))), [false, true, true, true]);
    g2.remember(dg(2));
    assert.equal(g2.size, 3, 'remembering a known digest is a no-op');
  });
  test('a smaller ring after a configuration change keeps the newest entries', () => {
    const storage = new MemStorage();
    const g = new ReplayGuard({ max: 4, storage });
    for (let i = 0; i < 4; i++) g.remember(dg(i));
    const g2 = new ReplayGuard({ max: 2, storage });
    assert.deepEqual([0, 1, 2, 3].map((i) => g2.seen(dg(i))), [false, false, true, true]);
  });
  test('each remember is durable (power cut right after it)', () => {
    const storage = new MemStorage();
    const g = new ReplayGuard({ max: 4, storage });
    g.remember(dg(1));
    storage.powerCut();
    assert.equal(new ReplayGuard({ max: 4, storage }).seen(dg(1)), true);
  });
  test('a torn write keeps the previous table', () => {
    const storage = new MemStorage();
    const g = new ReplayGuard({ max: 4, storage });
    g.remember(dg(1));
    storage.failAtWrite = storage.writes + 1;
    storage.tornBytes = 5;
    assert.throws(() => g.remember(dg(2)), /EIO/);
    assert.equal(g.seen(dg(2)), false, 'not counted when it was not persisted');
    storage.powerCut();
    storage.failAtWrite = 0;
    const g2 = new ReplayGuard({ max: 4, storage });
    assert.equal(g2.seen(dg(1)), true);
    assert.equal(g2.seen(dg(2)), false);
  });
  test('an unreadable record starts empty (logged); in-memory mode; bad max', () => {
    const storage = new MemStorage();
    new ReplayGuard({ max: 2, storage, recordName: 'x.rec' }).remember(dg(1));
    // damage the payload of the only slot: the CRC no longer matches, the record is invalid
    const f = storage.files.get('x.rec.a')!;
    f.data[f.size - 1] = f.data[f.size - 1]! ^ 0xff;
    const logs: string[] = [];
    const g = new ReplayGuard({ max: 2, storage, recordName: 'x.rec', log: (_l, m) => logs.push(m) });
    assert.equal(g.size, 0);
    const mem = new ReplayGuard({ max: 1, storage: null });
    mem.remember(dg(1));
    assert.equal(mem.seen(dg(1)), true);
    assert.throws(() => new ReplayGuard({ max: 0, storage: null }), /max/);
  });
});

const PROFILE = {
  devInfo: { devId: 'IMEI:493005100592800', man: 'Acme', mod: 'W3', ext: { Region: 'EU' } },
  devDetail: { devTyp: 'router', fwV: 'FW-1', lrgObj: false },
  accounts: [
    {
      serverId: 'com.example.dm', addr: 'https://dm.example.com/dm', port: 8443, authPref: 'digest', name: 'Operator',
      client: { type: 'DIGEST', name: 'dev1', secret: 'devpw', nonce: 'AAECAw==' },
      server: { type: 'DIGEST', name: 'com.example.dm', secret: { hex: '00ff' }, nonce: 'BAUGBw==' },
      protoVersion: '1.2', defaultEncoding: 'application/vnd.syncml.dm+xml', connRetryFreq: 2,
    },
    { serverId: 'com.example.backup', addr: 'http://backup.example.com/dm', form: '1.1.2', client: { name: 'u', secret: 'p' } },
  ],
  bootstrap: { sec: ['USERPIN', 'NETWORKID'], networkId: { imsi: '262011234567890' }, unowned: 'ignore' },
};

describe('factory profile: parsing', () => {
  test('a full profile becomes the Agent configuration', () => {
    const p = parseBootstrapProfile(JSON.parse(JSON.stringify(PROFILE)));
    assert.deepEqual(p.devInfo, { devId: 'IMEI:493005100592800', man: 'Acme', mod: 'W3', dmV: 'omadm 0.1', lang: 'en-US', ext: { Region: 'EU' } });
    assert.deepEqual(p.devDetail, { devTyp: 'router', oem: 'Acme', fwV: 'FW-1', swV: '1.0', hwV: '1.0', lrgObj: false });
    assert.equal(p.accounts.length, 2);
    const a = p.accounts[0]!;
    assert.equal(a.authPref, 'DIGEST');
    assert.deepEqual([...a.client!.nonce!], [0, 1, 2, 3]);
    assert.deepEqual([...(a.server!.secret as Uint8Array)], [0, 255]);
    assert.equal(a.client!.secret, 'devpw');
    assert.equal(p.accounts[1]!.form, '1.1.2');
    assert.deepEqual(p.ota.sec, ['USERPIN', 'NETWORKID']);
    assert.deepEqual([...p.ota.networkKey!], IMSI_KEY);
    assert.equal(p.ota.unowned, 'ignore');
    assert.deepEqual(parseBootstrapProfile({ devInfo: PROFILE.devInfo }).ota, { ...DEFAULT_OTA_POLICY });
  });

  const bad = (patch: (p: typeof PROFILE) => void, field: string): void => {
    const p = JSON.parse(JSON.stringify(PROFILE));
    patch(p);
    assert.throws(() => parseBootstrapProfile(p), (e: unknown) => e instanceof ConfigError && e.field === field, field);
  };
  test('every error names its JSON path', () => {
    bad((p) => { (p.devInfo as Record<string, unknown>).devId = '12345'; }, 'devInfo.devId');
    bad((p) => { (p.devInfo as Record<string, unknown>).colour = 'red'; }, 'devInfo.colour');
    bad((p) => { (p.accounts[0] as Record<string, unknown>).addr = 'ftp://x'; }, 'accounts[0].addr');
    bad((p) => { (p.accounts[0] as Record<string, unknown>).serverId = 'a b'; }, 'accounts[0].serverId');
    bad((p) => { (p.accounts[0] as Record<string, unknown>).port = 70000; }, 'accounts[0].port');
    bad((p) => { (p.accounts[0]!.client as Record<string, unknown>).type = 'KERBEROS'; }, 'accounts[0].client.type');
    bad((p) => { (p.accounts[0]!.client as Record<string, unknown>).nonce = '***'; }, 'accounts[0].client.nonce');
    bad((p) => { (p.accounts[0]!.server as Record<string, unknown>).secret = { hex: 'zz' }; }, 'accounts[0].server.secret');
    bad((p) => { (p.accounts[1] as Record<string, unknown>).serverId = 'com.example.dm'; }, 'accounts[1].serverId');
    bad((p) => { (p.accounts[1] as Record<string, unknown>).form = '1.3'; }, 'accounts[1].form');
    bad((p) => { (p.bootstrap as Record<string, unknown>).sec = ['NONE']; }, 'bootstrap.sec');
    bad((p) => { (p.bootstrap as Record<string, unknown>).networkId = { imsi: '12ab' }; }, 'bootstrap.networkId.imsi');
    bad((p) => { (p as Record<string, unknown>).extra = 1; }, 'profile.extra');
  });
});

describe('factory profile: first start only', () => {
  const accounts = parseBootstrapProfile(JSON.parse(JSON.stringify(PROFILE))).accounts;
  test('installed on a fresh tree with write-only secrets; never again once persisted', () => {
    const d = device();
    const r = installFactoryProfile(d.tree, d.dmacc, accounts);
    assert.deepEqual(r, { ran: true, installed: ['com.example.dm', 'com.example.backup'] });
    const a = d.dmacc.findByServerId('com.example.dm')!;
    assert.equal(a.port, 8443);
    assert.equal(a.defaultEncoding, 'application/vnd.syncml.dm+xml');
    assert.equal(utf8Decode(a.client.secret), 'devpw');
    assert.equal(d.tree.get('com.example.dm', `${a.path}/AppAuth/CLCRED/AAuthSecret`).status, 405);
    assert.equal(d.tree.get('com.example.dm', `${a.path}/AppAuth/SRVCRED/AAuthData`).status, 405);
    assert.equal(d.tree.get('com.example.backup', './SyncML/DMAcc/com.example.backup/ClientPW').status, 405);
    assert.equal(d.tree.dirty, false);
    // a server deletes its account; after a restart the factory profile does not bring it back
    assert.equal(d.tree.delete('com.example.dm', a.path).status, 200);
    d.tree.commit();
    const d2 = device(d.storage);
    assert.deepEqual(installFactoryProfile(d2.tree, d2.dmacc, accounts), { ran: false, installed: [] });
    assert.equal(d2.dmacc.findByServerId('com.example.dm'), null);
  });
  test('a power cut before the first commit: the next start installs again', () => {
    const d = device();
    d.storage.failAtWrite = d.storage.writes + 1;
    const r = installFactoryProfile(d.tree, d.dmacc, accounts);
    assert.equal(r.failed?.status, 510);
    assert.equal(d.dmacc.accounts().length, 0, 'rolled back');
    d.storage.powerCut();
    d.storage.failAtWrite = 0;
    const d2 = device(d.storage);
    assert.equal(d2.tree.loadState, 'fresh');
    assert.equal(installFactoryProfile(d2.tree, d2.dmacc, accounts).installed.length, 2);
  });
  test('an unusable account rolls back the whole profile', () => {
    const d = device();
    const r = installFactoryProfile(d.tree, d.dmacc, [accounts[0]!, { serverId: 'x', addr: '' }]);
    assert.deepEqual(r, { ran: true, installed: [], failed: { serverId: 'x', status: 400 } });
    assert.equal(d.dmacc.accounts().length, 0);
  });
  test('a corrupt tree record installs the factory accounts again (logged)', () => {
    const d = device();
    installFactoryProfile(d.tree, d.dmacc, accounts);
    for (const name of ['tree.rec.a', 'tree.rec.b']) {
      const f = d.storage.files.get(name);
      if (f) { f.durable = new Uint8Array(f.durableSize).fill(0x55); }
    }
    d.storage.powerCut();
    const d2 = device(d.storage);
    assert.equal(d2.tree.loadState, 'fresh', 'both slots invalid: nothing loads');
    const logs: string[] = [];
    assert.equal(installFactoryProfile(d2.tree, d2.dmacc, accounts, (_l, m) => logs.push(m)).installed.length, 2);
  });
});
