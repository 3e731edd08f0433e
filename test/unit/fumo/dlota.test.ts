// Layer: unit (portable). DLOTA installNotifyURI status reports: the download outcome → status code
// table against an independent statement of it, the report text, fumo.rec with and without a
// pending report (and a record as written before the report existed), and the engine in memory:
// a descriptor's installNotifyURI gets one POST after the download, a bad URI gets none.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { DLOTA_FALLBACK, DLOTA_STATUS_TEXT, DLOTA_TABLE, DlotaStatus, dlotaReportText, dlotaStatusFor, isDlotaStatus } from '../../../src/fumo/dlota';
import { FumoResult } from '../../../src/fumo/alert';
import { FumoRecordStore, decodeFumoRecord, encodeFumoRecord, idleRecord, PkgSource } from '../../../src/fumo/record';
import type { FumoRecord } from '../../../src/fumo/record';
import { FumoOp, FumoState } from '../../../src/fumo/Machine';
import { cborDecode, cborEncode } from '../../../src/store/cbor';
import type { CborMap } from '../../../src/store/cbor';
import { DecodeError } from '../../../src/errors';
import { MemStorage } from '../../helpers/fake-platform';
import { Sha256 } from '../../../src/crypto/sha256';
import { toHex } from '../../../src/util/bytes';
import { utf8Encode } from '../../../src/util/utf8';
import type { Command } from '../../../src/codec/model';
import { Rig, cmd, imageBytes, item } from './helpers';
import { checkFumoLimits, DEFAULT_FUMO_MAX_NOTIFY_URI_LENGTH } from '../../../src/fumo/FumoCsp';

const X = './FUMO/fw';
const exec = (node: string): Command => cmd('Exec', [item(`${X}/${node}`)]);
const replace = (path: string, v: string): Command => cmd('Replace', [item(path, v)]);
const dd = (objectUri: string, size: number, notify: string, extra = ''): Uint8Array =>
  utf8Encode(`<media xmlns="http://www.openmobilealliance.org/xmlns/dd"><objectURI>${objectUri}</objectURI><size>${size}</size><type>application/octet-stream</type>${notify === '' ? '' : `<installNotifyURI>${notify}</installNotifyURI>`}${extra}</media>`);

describe('DLOTA outcome → status code', () => {
  // The statement of the mapping, written out independently of DLOTA_TABLE (docs/fumo.md says the same).
  const expected: [number, 'hash' | 'flash' | 'dd-version' | undefined, number][] = [
    [200, undefined, 900],
    [402, undefined, 905], [402, 'hash', 954], [402, 'flash', 905],
    [405, undefined, 906], [405, 'dd-version', 951],
    [411, undefined, 954], [406, undefined, 954],
    [501, undefined, 901], [501, 'flash', 954],
    [407, undefined, 903], [412, undefined, 903], [500, undefined, 903], [503, undefined, 903],
    [401, undefined, 902], [400, undefined, 952], [409, undefined, 952],
    [410, undefined, 952], [403, undefined, 952], [999, undefined, 952], [200, 'hash', 900],
  ];
  for (const [result, cause, code] of expected) {
    test(`${result}${cause ? ` (${cause})` : ''} → ${code}`, () => {
      assert.equal(dlotaStatusFor(result, cause), code);
    });
  }

  test('every table code is a DLOTA code; the fallback is Device Aborted', () => {
    for (const row of DLOTA_TABLE) assert.ok(isDlotaStatus(row.code), String(row.code));
    assert.equal(DLOTA_FALLBACK, 952);
    assert.ok(!isDlotaStatus(904) && !isDlotaStatus(200) && !isDlotaStatus(0));
    // a cause row always precedes the plain row of its result (first match wins)
    DLOTA_TABLE.forEach((row, i) => {
      if (row.cause === undefined) return;
      const plain = DLOTA_TABLE.findIndex((r) => r.result === row.result && r.cause === undefined);
      assert.ok(plain < 0 || plain > i, `row ${i}`);
    });
  });

  test('report text: code, one space, the status text', () => {
    assert.equal(dlotaReportText(DlotaStatus.Success), '900 Success');
    assert.equal(dlotaReportText(DlotaStatus.AttributeMismatch), '905 Attribute Mismatch');
    assert.equal(dlotaReportText(DlotaStatus.LoaderError), '954 Loader Error');
    assert.equal(dlotaReportText(DlotaStatus.InvalidDdVersion), '951 Invalid DDVersion');
    assert.equal(Object.keys(DLOTA_STATUS_TEXT).length, 10);
    for (const k of Object.keys(DLOTA_STATUS_TEXT)) assert.match(dlotaReportText(Number(k) as DlotaStatus), /^9[05][0-9] [A-Z][A-Za-z -]+$/);
  });

  test('the codes used for FUMO failures cover every download-phase result', () => {
    for (const r of [FumoResult.CorruptedPackage, FumoResult.PackageNotAcceptable, FumoResult.AuthenticationFailure, FumoResult.RequestTimeout,
      FumoResult.BadUrl, FumoResult.ServerUnavailable, FumoResult.ServerError, FumoResult.DownloadOutOfMemory, FumoResult.NetworkIssues]) {
      assert.ok(DLOTA_TABLE.some((row) => row.result === r), `result ${r} has a row`);
    }
  });
});

describe('fumo.rec with a DLOTA report', () => {
  const base = (): FumoRecord => ({
    ...idleRecord(), x: 'fw', state: FumoState.ReadyToUpdate, op: FumoOp.Download, src: PkgSource.Url, serial: 3, serverId: 's',
    url: 'http://h/fw.bin', fromDd: true, expectedSize: 10, written: 10, length: 10, pkgHash: new Uint8Array(32).fill(1), result: 200, reported: true,
  });

  test('round trip: none, URI only (download running), URI + code', () => {
    const none = base();
    assert.deepEqual(decodeFumoRecord(encodeFumoRecord(none)), none);
    const m0 = cborDecode(encodeFumoRecord(none)) as CborMap;
    assert.ok(!('nr' in m0) && !('nc' in m0), 'no keys without a report');
    const running = { ...base(), state: FumoState.DownloadProgressing, reportUri: 'http://h/notify?id=1', reportCode: 0 };
    assert.deepEqual(decodeFumoRecord(encodeFumoRecord(running)), running);
    const m1 = cborDecode(encodeFumoRecord(running)) as CborMap;
    assert.equal(m1.nr, 'http://h/notify?id=1');
    assert.ok(!('nc' in m1));
    const pending = { ...base(), reportUri: 'https://h:8443/n', reportCode: DlotaStatus.Success };
    assert.deepEqual(decodeFumoRecord(encodeFumoRecord(pending)), pending);
    const m2 = cborDecode(encodeFumoRecord(pending)) as CborMap;
    assert.deepEqual([m2.v, m2.nr, m2.nc], [1, 'https://h:8443/n', 900]);
  });

  test('a record written before reports existed (no nr/nc keys) still loads, as "no report"', () => {
    // The v1 layout as the previous release wrote it, built by hand (not by our encoder).
    const old: CborMap = {
      v: 1, x: 'fw', st: 50, op: 1, src: 1, ser: 3, sid: 's', url: 'http://h/fw.bin', dd: true, sz: 10, wr: 10, len: 10, slot: 0,
      stp: 0, gen: 0, res: 200, rep: true, rs: 0, tr: 2, pv: '', ph: new Uint8Array(32).fill(1),
    };
    const st = new MemStorage();
    const r = decodeFumoRecord(cborEncode(old));
    assert.equal(r.reportUri, '');
    assert.equal(r.reportCode, 0);
    assert.equal(r.state, 50);
    // and through the store, followed by a save with a report and a reload
    const s = new FumoRecordStore(st);
    s.save(r);
    s.save({ ...r, reportUri: 'http://h/n', reportCode: 954 });
    const l = new FumoRecordStore(st).load();
    assert.equal(l.how, 'loaded');
    assert.deepEqual([l.record.reportUri, l.record.reportCode], ['http://h/n', 954]);
  });

  test('bad report fields are decode errors', () => {
    const m = cborDecode(encodeFumoRecord({ ...base(), reportUri: 'http://h/n', reportCode: 900 })) as CborMap;
    const noNr: CborMap = { ...m };
    delete noNr.nr;
    const bads: [string, CborMap][] = [['nr empty', { ...m, nr: '' }], ['nr type', { ...m, nr: 7 }], ['nc not DLOTA', { ...m, nc: 904 }],
      ['nc type', { ...m, nc: '900' }], ['nc without nr', noNr]];
    for (const [what, bad] of bads) assert.throws(() => decodeFumoRecord(cborEncode(bad)), DecodeError, what);
  });
});

describe('DLOTA report from the engine (in memory, fake HTTP)', () => {
  test('limits: the report URI bound defaults to 2048 and must fit fumo.rec with the package URL', () => {
    assert.equal(checkFumoLimits().maxNotifyUriLength, DEFAULT_FUMO_MAX_NOTIFY_URI_LENGTH);
    assert.equal(DEFAULT_FUMO_MAX_NOTIFY_URI_LENGTH, 2048);
    assert.throws(() => checkFumoLimits({ maxNotifyUriLength: 6000 }), RangeError);
    assert.throws(() => checkFumoLimits({ maxNotifyUriLength: -1 }), RangeError);
    assert.equal(checkFumoLimits({ maxNotifyUriLength: 4000, maxUrlLength: 1000 }).maxNotifyUriLength, 4000);
  });

  function run(notify: string, opts: { op?: string; sizeDelta?: number; hash?: string; extra?: string; notifyStatus?: number[] } = {}) {
    const r = new Rig();
    const img = imageBytes('4.0', 9000, 11);
    r.http.files.set('/pkg/fw.bin', { body: img });
    const sha = opts.hash ?? toHex(new Sha256().update(img).digest());
    r.http.files.set('/pkg/fw.dd', { body: dd('fw.bin', img.length + (opts.sizeDelta ?? 0), notify, `<installParam>sha256=${sha}</installParam>${opts.extra ?? ''}`), type: 'application/vnd.oma.dd+xml' });
    r.http.files.set('/pkg/notify', { body: new Uint8Array(0) });
    r.http.files.set('/pkg/notify?id=7', { body: new Uint8Array(0) }); // FakeHttp matches the whole path
    const answers = opts.notifyStatus ?? [];
    let posts = 0;
    r.http.faults = (_n, q) => (q.method === 'POST' && posts++ < answers.length ? { status: answers[posts - 1]! } : {});
    r.boot();
    r.cur!.platform.runAll();
    const op = opts.op ?? 'Download';
    r.codes([replace(`${X}/${op}/PkgURL`, 'http://dl.test/pkg/fw.dd'), exec(op)]);
    r.cur!.platform.runAll();
    return r;
  }
  const seen = (r: Rig) => r.http.requests.map((q) => `${q.method} ${q.path}`);

  test('Download with installNotifyURI: one POST after the package, then the record forgets it', () => {
    const r = run('notify?id=7');
    assert.equal(r.cur!.fumo.state('fw'), FumoState.ReadyToUpdate);
    assert.deepEqual(seen(r), ['GET /pkg/fw.dd', 'GET /pkg/fw.bin', 'POST /pkg/notify?id=7']);
    assert.deepEqual([r.cur!.fumo.record.reportUri, r.cur!.fumo.record.reportCode], ['', 0]);
  });

  test('the POST is retried with back-off: 500, 503, then 2xx; cleared only after the 2xx', () => {
    const r = run('/pkg/notify', { notifyStatus: [500, 503] });
    assert.deepEqual(seen(r).filter((x) => x.startsWith('POST')), ['POST /pkg/notify', 'POST /pkg/notify', 'POST /pkg/notify']);
    assert.deepEqual([r.cur!.fumo.record.reportUri, r.cur!.fumo.record.reportCode], ['', 0]);
  });

  test('undelivered within the retry budget: still pending in fumo.rec; the next start delivers it', () => {
    const r = run('/pkg/notify', { notifyStatus: [500, 500, 500, 500, 500, 500] });
    assert.equal(seen(r).filter((x) => x.startsWith('POST')).length, 6, '1 + maxRetries (5) attempts');
    assert.deepEqual([r.cur!.fumo.record.reportUri, r.cur!.fumo.record.reportCode], ['http://dl.test:80/pkg/notify', 900]);
    r.boot(); // same storage and flash: a restart
    r.cur!.platform.runAll();
    assert.equal(seen(r).filter((x) => x.startsWith('POST')).length, 7);
    assert.deepEqual([r.cur!.fumo.record.reportUri, r.cur!.fumo.record.reportCode], ['', 0]);
  });

  test('a new operation keeps an undelivered report (one per record) until it is delivered', () => {
    const r = run('/pkg/notify', { notifyStatus: Array.from({ length: 12 }, () => 500) });
    assert.equal(r.cur!.fumo.record.reportCode, 900);
    const serial = r.cur!.fumo.record.serial;
    r.codes([replace(`${X}/Download/PkgURL`, 'http://dl.test/pkg/fw.bin'), exec('Download')]); // no descriptor
    r.cur!.platform.runAll();
    const rec = r.cur!.fumo.record;
    assert.equal(rec.serial, serial + 1);
    assert.equal(rec.fromDd, false);
    assert.deepEqual([rec.reportUri, rec.reportCode], ['http://dl.test:80/pkg/notify', 900], 'carried into the new record');
    assert.equal(seen(r).filter((x) => x.startsWith('POST')).length, 12, 'the end of the new download tried it again');
    r.boot();
    r.cur!.platform.runAll();
    assert.equal(seen(r).filter((x) => x.startsWith('POST')).length, 13);
    assert.deepEqual([r.cur!.fumo.record.reportUri, r.cur!.fumo.record.reportCode], ['', 0]);
  });

  test('DownloadAndUpdate: the report goes out before the update flips the boot flag', () => {
    const r = run('/pkg/notify', { op: 'DownloadAndUpdate' });
    assert.deepEqual(seen(r), ['GET /pkg/fw.dd', 'GET /pkg/fw.bin', 'POST /pkg/notify']);
    assert.equal(r.cur!.reboots, 1, 'the update went on to the reboot');
    assert.equal(r.cur!.fumo.record.reportCode, 0);
  });

  test('failures carry their code into fumo.rec (server down: the code stays pending)', () => {
    const cases: [string, Parameters<typeof run>[1], number][] = [
      ['size', { sizeDelta: 1 }, 905],
      ['hash', { hash: 'ab'.repeat(32) }, 954],
      ['DDVersion', { extra: '<DDVersion>2.0</DDVersion>' }, 951],
    ];
    for (const [what, o, code] of cases) {
      const r = run('/pkg/notify', { ...o, notifyStatus: [500, 500, 500, 500, 500, 500] });
      assert.equal(r.cur!.fumo.state('fw'), FumoState.DownloadFailed, what);
      assert.equal(r.cur!.fumo.record.reportCode, code, what);
      assert.equal(seen(r).filter((x) => x.startsWith('POST')).length, 6, what);
    }
  });

  test('no installNotifyURI, an unusable one, an overlong one: no POST, the download is unaffected', () => {
    for (const notify of ['', 'ftp://h/x', 'mailto:a@b', `/n${'a'.repeat(2100)}`, 'http://h/with space']) {
      const r = run(notify);
      assert.equal(r.cur!.fumo.state('fw'), FumoState.ReadyToUpdate, notify.slice(0, 20));
      assert.ok(!seen(r).some((x) => x.startsWith('POST')), notify.slice(0, 20));
      assert.deepEqual([r.cur!.fumo.record.reportUri, r.cur!.fumo.record.reportCode], ['', 0]);
    }
  });
});
