// Layer: unit (portable). The FUMO MO through the DPU and the tree on an in-memory device: PkgData as
// a large object → Exec Update; Exec DownloadAndUpdate → 202 → download → update → reboot →
// 1226; failed boot → rollback → 410; Correlator echo; PkgURL/PkgData exclusivity; synchronous
// failures; descriptors; sidecar hashes; no 1226 in DM 1.1.2 sessions.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { OutStatus, OutResults, Message, Command } from '../../../src/codec/model';
import { MessageDecoder } from '../../../src/codec/decode';
import { Session } from '../../../src/session/Session';
import type { SessionAccount, SessionHooks, PendingAlert } from '../../../src/session/Session';
import { FumoState } from '../../../src/fumo/Machine';
import { Sha256 } from '../../../src/crypto/sha256';
import { toHex } from '../../../src/util/bytes';
import { utf8Decode, utf8Encode } from '../../../src/util/utf8';
import { ERASE, Rig, SERVER_ID, SLOT, cmd, imageBytes, item, payload } from './helpers';

const X = './FUMO/fw';

function exec(node: string, correlator?: string): Command {
  return cmd('Exec', [item(`${X}/${node}`)], correlator === undefined ? {} : { correlator });
}
function replace(path: string, v: string): Command {
  return cmd('Replace', [item(path, v)]);
}
function getValue(r: Rig, path: string): { code: number; data: string | undefined; format: string | undefined } {
  const recs = r.run([cmd('Get', [item(path)])]);
  const st = recs[0] as OutStatus;
  const res = recs[1] as OutResults | undefined;
  const d = res?.items[0]?.data;
  return { code: st.code, data: d === undefined ? undefined : typeof d === 'string' ? d : utf8Decode(d), format: res?.items[0]?.meta?.format };
}
/** Replace of PkgData in MoreData chunks of `n` bytes; returns the item statuses. */
function pkgData(r: Rig, img: Uint8Array, n: number): number[] {
  const codes: number[] = [];
  for (let o = 0; o < img.length; o += n) {
    const last = o + n >= img.length;
    const meta = o === 0 ? { size: img.length, format: 'bin' } : undefined;
    codes.push(...r.codes([cmd('Replace', [item(`${X}/Update/PkgData`, img.subarray(o, o + n), meta, !last)])]));
  }
  return codes;
}
const state = (r: Rig) => r.cur!.fumo.state('fw');
const settle = (r: Rig) => r.cur!.platform.runAll();

describe('FUMO MO', () => {
  test('skeleton: nodes, Type, ACL, State readable as int, PkgData not readable', () => {
    const r = new Rig();
    r.boot();
    settle(r);
    const t = r.cur!.tree.store;
    assert.equal(t.info(X)!.type, 'urn:oma:mo:oma-fumo:1.0');
    assert.equal(t.info('./FUMO')!.acl, 'Get=*&Replace=*&Exec=*');
    assert.deepEqual(t.children(X), ['PkgName', 'PkgVersion', 'Download', 'Update', 'DownloadAndUpdate', 'State', 'Ext']);
    assert.deepEqual(getValue(r, `${X}/State`), { code: 200, data: '10', format: 'int' });
    assert.equal(getValue(r, `${X}/Update/PkgData`).code, 405);
    assert.equal(getValue(r, `${X}/Download`).data, 'PkgURL');
    assert.deepEqual(r.codes([replace(`${X}/State`, '50')]), [405]);
    assert.deepEqual(r.codes([replace(`${X}/PkgVersion`, '2.0'), replace(`${X}/Ext/PkgSHA256`, 'zz'), replace(`${X}/Ext/PkgSize`, '-1')]), [200, 400, 400]);
    assert.deepEqual(r.codes([cmd('Delete', [item(`${X}/PkgName`)])]), [425], 'the FUMO ACL grants no Delete');
  });

  test('PkgData as a large object → State 50 → Exec Update → 202 → reboot → new slot committed → 1226 (200)', () => {
    const r = new Rig();
    r.boot();
    settle(r);
    const img = imageBytes('2.0', 20000, 5);
    assert.deepEqual(pkgData(r, img, 6000), [213, 213, 213, 200]);
    assert.equal(state(r), FumoState.ReadyToUpdate);
    assert.equal(r.cur!.tree.store.read(`${X}/Update/PkgData`), null, 'the package is not in the tree');
    assert.equal(toHex(r.media.image('flash')!.subarray(SLOT, SLOT + img.length)), toHex(img), 'streamed into slot B');
    assert.equal(r.slotVersion(0), '1.0', 'slot A untouched');
    assert.deepEqual(r.codes([exec('Update', 'corr-up')]), [202]);
    assert.equal(state(r), FumoState.UpdateProgressing);
    settle(r);
    assert.equal(r.cur!.reboots, 1, 'reboot requested after the flag flipped');
    assert.equal(r.cur!.fumo.boot.state.pending, 1);
    assert.equal(r.cur!.alerts.size, 0, 'no result before the reboot');
    const b = r.boot();
    assert.deepEqual(b.decision, { slot: 1, reason: 'trial', triesLeft: 2 });
    settle(r);
    assert.equal(state(r), FumoState.UpdateSuccessfulNoData);
    assert.deepEqual(b.fumo.boot.state, { active: 1, pending: -1, tries: 0, booted: 1, gen: 1, failedGen: 0 });
    const alerts = b.alerts.pending();
    assert.deepEqual(alerts, [{
      id: 'fumo:fw:1', code: 1226, correlator: 'corr-up',
      items: [{ source: `${X}/Update`, meta: { type: 'org.openmobilealliance.dm.firmwareupdate.update', format: 'int' }, data: '200' }],
    }]);
    assert.deepEqual(b.sessions, [SERVER_ID], 'a client-initiated session was requested for the result');
    assert.equal(b.fumo.record.pkgVersion, '2.0');
    assert.deepEqual(r.boot().decision, { slot: 1, reason: 'active', triesLeft: 0 }, 'B stays');
    settle(r);
    assert.equal(r.cur!.alerts.size, 1, 'still pending until the server acknowledges it');
    r.ack();
    assert.equal(r.cur!.alerts.size, 0);
  });

  test('Exec DownloadAndUpdate → 202 → 30 → 40 → 60 → reboot → 100 and one 1226 with the Correlator', () => {
    const r = new Rig();
    const img = imageBytes('3.1', 30000, 8);
    r.http.files.set('/fw-3.1.bin', { body: img });
    r.boot();
    settle(r);
    const states: number[] = [];
    r.opts.onState = (_x, _f, to) => states.push(to);
    r.boot();
    settle(r);
    assert.deepEqual(r.codes([replace(`${X}/DownloadAndUpdate/PkgURL`, 'http://dl.test/fw-3.1.bin'), exec('DownloadAndUpdate', 'c-42')]), [200, 202]);
    assert.equal(getValue(r, `${X}/State`).data, '30');
    settle(r);
    assert.deepEqual(states, [30, 40, 60]);
    assert.equal(r.cur!.reboots, 1);
    assert.equal(r.http.requests.length, 1);
    r.boot();
    settle(r);
    assert.deepEqual(states, [30, 40, 60, 100]);
    assert.equal(r.slotVersion(1), '3.1');
    const a = r.cur!.alerts.pending();
    assert.equal(a.length, 1);
    assert.equal(a[0]!.correlator, 'c-42');
    assert.deepEqual(a[0]!.items, [{ source: `${X}/DownloadAndUpdate`, meta: { type: 'org.openmobilealliance.dm.firmwareupdate.downloadandupdate', format: 'int' }, data: '200' }]);
  });

  test('failed boot of the new firmware → bootloader rolls back → 80 and 1226 (410, critical)', () => {
    const r = new Rig();
    r.http.files.set('/bad.bin', { body: imageBytes('6.6.6', 9000, 2) });
    r.failVersions.add('6.6.6');
    r.boot();
    settle(r);
    assert.deepEqual(r.codes([replace(`${X}/DownloadAndUpdate/PkgURL`, 'http://dl.test/bad.bin'), exec('DownloadAndUpdate', 'c1')]), [200, 202]);
    settle(r);
    assert.equal(r.cur!.reboots, 1);
    const b = r.boot();
    assert.deepEqual(b.decision, { slot: 0, reason: 'rollback', triesLeft: 0 }, 'three failed trials, then the old slot');
    settle(r);
    assert.equal(state(r), FumoState.UpdateFailedNoData);
    assert.deepEqual(b.alerts.pending()[0]!.items[0], { source: `${X}/DownloadAndUpdate`, meta: { type: 'org.openmobilealliance.dm.firmwareupdate.downloadandupdate', format: 'int', mark: 'critical' }, data: '410' });
    assert.equal(b.fumo.boot.state.active, 0);
    assert.equal(r.slotVersion(0), '1.0');
    assert.equal(b.reboots, 0);
  });

  test('unhealthy new firmware: pending flip cancelled, 410, reboot back to the old slot', () => {
    const r = new Rig();
    r.http.files.set('/fw.bin', { body: imageBytes('2.0', 5000, 2) });
    r.boot();
    settle(r);
    r.codes([replace(`${X}/DownloadAndUpdate/PkgURL`, 'http://dl.test/fw.bin'), exec('DownloadAndUpdate')]);
    settle(r);
    r.opts.healthy = () => false;
    const b = r.boot();
    settle(r);
    assert.equal(state(r), FumoState.UpdateFailedNoData);
    assert.equal(b.reboots, 1);
    assert.equal(b.alerts.pending()[0]!.items[0]!.data, '410');
    r.opts.healthy = () => true;
    assert.deepEqual(r.boot().decision, { slot: 0, reason: 'active', triesLeft: 0 });
  });

  test('Download only: 50 + 1226 (download, 200); Exec Update later → its own 1226 (update) with its own Correlator', () => {
    const r = new Rig();
    r.http.files.set('/fw.bin', { body: imageBytes('2.0', 5000, 3) });
    r.boot();
    settle(r);
    assert.deepEqual(r.codes([replace(`${X}/Download/PkgURL`, 'http://dl.test/fw.bin'), exec('Download', 'dl-1')]), [200, 202]);
    settle(r);
    assert.equal(state(r), FumoState.ReadyToUpdate);
    assert.equal(r.cur!.reboots, 0);
    const first = r.ack();
    assert.equal(first.length, 1);
    assert.equal(first[0]!.correlator, 'dl-1');
    assert.equal(first[0]!.items[0]!.meta!.type, 'org.openmobilealliance.dm.firmwareupdate.download');
    assert.equal(first[0]!.items[0]!.source, `${X}/Download`);
    assert.equal(first[0]!.items[0]!.data, '200');
    assert.deepEqual(r.codes([exec('Update', 'up-2')]), [202]);
    settle(r);
    r.boot();
    settle(r);
    const second = r.ack();
    assert.equal(second.length, 1);
    assert.equal(second[0]!.correlator, 'up-2', 'never the first Exec\'s correlator');
    assert.equal(second[0]!.items[0]!.meta!.type, 'org.openmobilealliance.dm.firmwareupdate.update');
    assert.notEqual(second[0]!.id, first[0]!.id);
  });

  test('Correlator: absent → absent; DM 1.1.2 Exec has none; too long → 400', () => {
    const r = new Rig();
    r.boot();
    settle(r);
    assert.deepEqual(r.codes([exec('DownloadAndUpdate')]), [400], 'empty PkgURL');
    assert.equal(r.cur!.alerts.pending()[0]!.correlator, undefined);
    r.ack();
    r.codes([exec('DownloadAndUpdate', 'ignored-in-1.1.2')], '1.1.2');
    assert.equal(r.cur!.alerts.pending()[0]!.correlator, undefined);
    r.ack();
    assert.deepEqual(r.codes([exec('DownloadAndUpdate', 'x'.repeat(129))]), [400]);
    assert.equal(r.cur!.alerts.size, 0, 'refused before anything started');
  });

  test('synchronous failure: unusable PkgURL → Exec 400, State 20, 1226 (411) for this session, no extra session at once', () => {
    const r = new Rig();
    r.boot();
    settle(r);
    assert.deepEqual(r.codes([replace(`${X}/DownloadAndUpdate/PkgURL`, 'not a url'), exec('DownloadAndUpdate', 'c9')]), [200, 400]);
    assert.equal(state(r), FumoState.DownloadFailed);
    const a = r.cur!.alerts.pending();
    assert.equal(a[0]!.items[0]!.data, '411');
    assert.equal(a[0]!.correlator, 'c9');
    assert.deepEqual(r.cur!.sessions, [], 'the running session carries it');
    r.cur!.platform.advance(1000);
    assert.deepEqual(r.cur!.sessions, [SERVER_ID], 'still unacknowledged later: a session is requested');
    r.ack();
    r.cur!.platform.runAll();
    assert.equal(r.cur!.sessions.length, 1, 'acknowledged: no more sessions');
  });

  test('Exec refused (405) where the State does not allow it; nothing starts', () => {
    const r = new Rig();
    r.http.files.set('/fw.bin', { body: imageBytes('2.0', 30000, 3) });
    r.boot();
    settle(r);
    assert.deepEqual(r.codes([exec('Update')]), [405], 'no package');
    assert.deepEqual(r.codes([exec('State'), exec('PkgName')]), [405, 405]);
    assert.deepEqual(r.codes([cmd('Exec', [item('./FUMO/nope/Update')])]), [404]);
    r.codes([replace(`${X}/DownloadAndUpdate/PkgURL`, 'http://dl.test/fw.bin'), exec('DownloadAndUpdate')]);
    r.cur!.platform.advance(3);
    assert.equal(state(r), FumoState.DownloadProgressing);
    assert.deepEqual(r.codes([exec('DownloadAndUpdate'), exec('Download'), exec('Update')]), [405, 405, 405], 'busy');
    assert.deepEqual(pkgData(r, imageBytes('9', 10, 1), 1000), [405], 'no PkgData while downloading');
    assert.equal(r.cur!.alerts.size, 0);
  });

  test('PkgURL / PkgData exclusivity per instance', () => {
    const r = new Rig();
    r.boot();
    settle(r);
    assert.deepEqual(r.codes([replace(`${X}/Download/PkgURL`, 'http://dl.test/a.bin')]), [200]);
    assert.deepEqual(pkgData(r, imageBytes('2', 100, 1), 1000), [405], 'a PkgURL is set');
    assert.deepEqual(r.codes([replace(`${X}/Download/PkgURL`, '')]), [200], 'clearing is always allowed');
    assert.deepEqual(pkgData(r, imageBytes('2', 100, 1), 1000), [200]);
    assert.equal(state(r), FumoState.ReadyToUpdate);
    assert.deepEqual(r.codes([replace(`${X}/DownloadAndUpdate/PkgURL`, 'http://dl.test/b.bin'), replace(`${X}/Download/PkgURL`, 'http://dl.test/b.bin')]), [405, 405]);
    assert.deepEqual(r.codes([exec('DownloadAndUpdate'), exec('Download')]), [405, 405]);
    assert.deepEqual(r.codes([exec('Update')]), [202], 'the held PkgData package installs');
  });

  test('a small PkgData in one message takes the same path (nothing kept in the tree); oversize → 420', () => {
    const r = new Rig();
    r.boot();
    settle(r);
    const img = imageBytes('2.5', 2000, 4);
    assert.deepEqual(r.codes([cmd('Replace', [item(`${X}/Update/PkgData`, img, { format: 'bin' })])]), [200]);
    assert.equal(r.cur!.tree.store.read(`${X}/Update/PkgData`)?.length ?? 0, 0, 'no bytes kept in the tree');
    assert.equal(toHex(r.media.image('flash')!.subarray(SLOT, SLOT + img.length)), toHex(img));
    assert.equal(toHex(r.cur!.fumo.record.pkgHash!), toHex(new Sha256().update(img).digest()));
    assert.deepEqual(r.codes([cmd('Replace', [item(`${X}/Update/PkgData`, new Uint8Array(100), { size: SLOT + 1, format: 'bin' }, true)])]), [420]);
    assert.equal(state(r), FumoState.ReadyToUpdate, 'refused before the held package was touched');
    // a new PkgData transfer replaces the held package (50 → Aborted → 10 → … → 50)
    assert.deepEqual(pkgData(r, imageBytes('2.6', 3000, 5), 1500), [213, 213, 200]);
    assert.equal(r.cur!.fumo.record.length, 3096);
  });

  test('an invalid image is refused before the flag flips: 80 + 404; a corrupted download → 402', () => {
    const r = new Rig();
    r.boot();
    settle(r);
    assert.deepEqual(pkgData(r, payload(5000, 3), 2500), [213, 200]);
    assert.deepEqual(r.codes([exec('Update', 'u')]), [202]);
    settle(r);
    assert.equal(state(r), FumoState.UpdateFailedNoData);
    assert.equal(r.cur!.reboots, 0);
    assert.equal(r.cur!.fumo.boot.state.pending, -1);
    assert.equal(r.ack()[0]!.items[0]!.data, '404');

    r.http.files.set('/fw.bin', { body: imageBytes('2.0', 5000, 3) });
    r.codes([replace(`${X}/DownloadAndUpdate/PkgURL`, 'http://dl.test/fw.bin'), replace(`${X}/Ext/PkgSHA256`, 'ab'.repeat(32)), exec('DownloadAndUpdate')]);
    settle(r);
    assert.equal(state(r), FumoState.DownloadFailed);
    assert.equal(r.ack()[0]!.items[0]!.data, '402');
    const good = toHex(new Sha256().update(r.http.files.get('/fw.bin')!.body).digest());
    r.codes([replace(`${X}/Ext/PkgSHA256`, good), replace(`${X}/Ext/PkgSize`, '5097'), exec('DownloadAndUpdate')]);
    settle(r);
    assert.equal(state(r), FumoState.DownloadFailed, 'size 5097 ≠ 5096');
    assert.equal(r.ack()[0]!.items[0]!.data, '402');
    r.codes([replace(`${X}/Ext/PkgSize`, '5096'), exec('DownloadAndUpdate')]);
    settle(r);
    assert.equal(state(r), FumoState.UpdateProgressing, 'size and hash match: update under way');
  });

  test('download descriptor: relative objectURI, size and sha256 from the DD', () => {
    const r = new Rig();
    const img = imageBytes('4.0', 12000, 6);
    const h = toHex(new Sha256().update(img).digest());
    r.http.files.set('/pkg/fw.bin', { body: img });
    r.http.files.set('/pkg/fw.dd', { body: utf8Encode(`<media xmlns="http://www.openmobilealliance.org/xmlns/dd"><objectURI>fw.bin</objectURI><size>${img.length}</size><type>application/octet-stream</type><installParam>sha256=${h}</installParam></media>`), type: 'application/vnd.oma.dd+xml' });
    r.http.files.set('/pkg/bad.dd', { body: utf8Encode(`<media><objectURI>/pkg/fw.bin</objectURI><sha256>${'00'.repeat(32)}</sha256></media>`), type: 'application/vnd.oma.dd+xml' });
    r.boot();
    settle(r);
    r.codes([replace(`${X}/DownloadAndUpdate/PkgURL`, 'http://dl.test/pkg/fw.dd'), exec('DownloadAndUpdate')]);
    settle(r);
    assert.equal(state(r), FumoState.UpdateProgressing);
    assert.deepEqual(r.http.requests.map((q) => q.path), ['/pkg/fw.dd', '/pkg/fw.bin']);
    assert.equal(r.cur!.fumo.record.url, 'http://dl.test:80/pkg/fw.bin');
    assert.equal(r.cur!.fumo.record.fromDd, true);
    const r2 = new Rig();
    for (const [k, v] of r.http.files) r2.http.files.set(k, v);
    r2.boot();
    settle(r2);
    r2.codes([replace(`${X}/DownloadAndUpdate/PkgURL`, 'http://dl.test/pkg/bad.dd'), exec('DownloadAndUpdate')]);
    settle(r2);
    assert.equal(state(r2), FumoState.DownloadFailed);
    assert.equal(r2.ack()[0]!.items[0]!.data, '402');
  });

  test('sidecar hash (<url>.sha256) when configured', () => {
    for (const good of [true, false]) {
      const r = new Rig({ sidecar: true });
      const img = imageBytes('2.0', 7000, 1);
      const h = good ? toHex(new Sha256().update(img).digest()) : 'cd'.repeat(32);
      r.http.files.set('/fw.bin', { body: img });
      r.http.files.set('/fw.bin.sha256', { body: utf8Encode(`${h}  fw.bin\n`) });
      r.boot();
      settle(r);
      r.codes([replace(`${X}/DownloadAndUpdate/PkgURL`, 'http://dl.test/fw.bin'), exec('DownloadAndUpdate')]);
      settle(r);
      assert.deepEqual(r.http.requests.map((q) => q.path), ['/fw.bin.sha256', '/fw.bin']);
      assert.equal(state(r), good ? FumoState.UpdateProgressing : FumoState.DownloadFailed, `good=${good}`);
    }
  });

  test('power cut mid-download: the restart resumes with Range from the checkpoint, re-hashing the slot', () => {
    const r = new Rig();
    const img = imageBytes('2.0', 40000, 12);
    r.http.files.set('/fw.bin', { body: img });
    r.boot();
    settle(r);
    r.codes([replace(`${X}/DownloadAndUpdate/PkgURL`, 'http://dl.test/fw.bin'), exec('DownloadAndUpdate', 'c')]);
    r.cur!.platform.advance(22); // ~21 KB delivered at 1 KB per tick
    const at = r.cur!.fumo.record.written;
    assert.ok(at > 0 && at % ERASE === 0, `checkpoint at ${at}`);
    r.storage.powerCut();
    r.boot();
    settle(r);
    assert.deepEqual(r.http.requests.map((q) => q.range), [null, `bytes=${at}-`]);
    assert.equal(state(r), FumoState.UpdateProgressing);
    assert.equal(r.cur!.fumo.record.resumes, 1);
    r.boot();
    settle(r);
    assert.equal(state(r), FumoState.UpdateSuccessfulNoData);
    assert.equal(r.slotVersion(1), '2.0');
    assert.equal(r.cur!.alerts.pending().length, 1);
  });

  test('fumo.rec cannot be written: Exec answers 510 and nothing starts; the next Exec works', () => {
    const r = new Rig();
    r.http.files.set('/fw.bin', { body: imageBytes('2.0', 3000, 1) });
    r.boot();
    settle(r);
    r.codes([replace(`${X}/DownloadAndUpdate/PkgURL`, 'http://dl.test/fw.bin')]);
    r.storage.failAtWrite = r.storage.writes + 1;
    assert.deepEqual(r.codes([exec('DownloadAndUpdate', 'a')]), [510]);
    r.storage.failAtWrite = 0;
    assert.equal(state(r), FumoState.Idle);
    assert.equal(r.cur!.fumo.record.serial, 0, 'the new operation never became the record');
    settle(r);
    assert.equal(r.http.requests.length, 0);
    assert.deepEqual(r.codes([exec('DownloadAndUpdate', 'b')]), [202]);
    settle(r);
    assert.equal(state(r), FumoState.UpdateProgressing);
  });

  test('Ext/Progress follows the download', () => {
    const r = new Rig();
    r.http.files.set('/fw.bin', { body: imageBytes('2.0', 40000, 12) });
    r.boot();
    settle(r);
    r.codes([replace(`${X}/Download/PkgURL`, 'http://dl.test/fw.bin'), exec('Download')]);
    r.cur!.platform.advance(22);
    const p = Number(getValue(r, `${X}/Ext/Progress`).data);
    assert.ok(p >= 45 && p <= 60, `progress ${p}%`);
  });
});

describe('DM 1.1.2 sessions get no 1226', () => {
  const acct: SessionAccount = {
    serverId: SERVER_ID, addr: 'http://dm.test/dm', authPref: '',
    client: { type: '', name: 'u', secret: utf8Encode('p'), nonce: new Uint8Array(0) },
    server: { type: '', name: '', secret: new Uint8Array(0), nonce: new Uint8Array(0) },
  };
  const hooks: SessionHooks = {
    dpu: { *run() { return {}; } }, commit: () => {}, setNonce: () => {}, randomFill: (b) => b.fill(1), log: () => {},
  };
  function pkg1(version: '1.2' | '1.1.2', alerts: PendingAlert[]): Message {
    const s = new Session({ account: acct, devId: 'IMEI:1', initiator: 'client', sessionId: '1', version, encoding: 'xml', devInfo: [], alerts }, hooks);
    const step = s.start(0);
    assert.equal(step.kind, 'send');
    return new MessageDecoder({ maxMsgSize: 1 << 20 }).decode((step as { message: { body: Uint8Array } }).message.body.slice());
  }
  test('the FUMO result alert is in a 1.2 package 1, not in a 1.1.2 one (it waits in the queue)', () => {
    const r = new Rig();
    r.boot();
    settle(r);
    r.codes([exec('DownloadAndUpdate', 'c')]);
    const pending = r.cur!.alerts.pending();
    assert.equal(pending.length, 1);
    const codes = (m: Message) => m.body.filter((c) => c.name === 'Alert').map((c) => c.data!.text());
    assert.deepEqual(codes(pkg1('1.2', pending)), ['1201', '1226']);
    assert.deepEqual(codes(pkg1('1.1.2', pending)), ['1201']);
    assert.equal(r.cur!.alerts.size, 1);
  });
});
