// Layer: unit (portable). fumo.rec and boot.rec: layouts, validation, and power cuts at every write
// of a commit (old or new record, never a mix).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FumoRecordStore, decodeFumoRecord, encodeFumoRecord, idleRecord, PkgSource } from '../../../src/fumo/record';
import type { FumoRecord } from '../../../src/fumo/record';
import { BootControl } from '../../../src/fumo/BootControl';
import { FumoOp, FumoState } from '../../../src/fumo/Machine';
import { cborDecode, cborEncode } from '../../../src/store/cbor';
import type { CborMap } from '../../../src/store/cbor';
import { DecodeError } from '../../../src/errors';
import { RecordStore } from '../../../src/store/RecordStore';
import { MemStorage } from '../../helpers/fake-platform';

function sample(): FumoRecord {
  return {
    ...idleRecord(), x: 'fw', state: FumoState.DownloadProgressing, op: FumoOp.DownloadAndUpdate, src: PkgSource.Url, serial: 7,
    serverId: 'srv1', correlator: 'corr-1', url: 'https://h/p.bin', fromDd: true, expectedSize: 65536,
    expectedHash: new Uint8Array(32).fill(0xab), written: 8192, slot: 1, resumes: 2, transitions: 3, pkgVersion: '2.0',
  };
}

describe('fumo.rec', () => {
  test('round trip keeps every field', () => {
    const r = sample();
    assert.deepEqual(decodeFumoRecord(encodeFumoRecord(r)), r);
    const i = idleRecord();
    assert.deepEqual(decodeFumoRecord(encodeFumoRecord(i)), i);
  });

  test('layout: short keys, version 1, optional fields absent when null', () => {
    const m = cborDecode(encodeFumoRecord(idleRecord())) as CborMap;
    assert.equal(m.v, 1);
    assert.equal(m.st, 10);
    assert.equal(m.sz, -1);
    assert.ok(!('cor' in m) && !('h' in m) && !('ph' in m));
    assert.deepEqual(Object.keys(m).sort(), ['dd', 'gen', 'len', 'op', 'pv', 'rep', 'res', 'rs', 'ser', 'sid', 'slot', 'src', 'st', 'stp', 'sz', 'tr', 'url', 'v', 'wr', 'x'].sort());
  });

  test('unknown state values decode (the resume table decides), bad fields do not', () => {
    const m = cborDecode(encodeFumoRecord(sample())) as CborMap;
    assert.equal(decodeFumoRecord(cborEncode({ ...m, st: 55 })).state, 55);
    const bads: [string, CborMap][] = [
      ['v', { ...m, v: 2 }], ['op', { ...m, op: 4 }], ['src', { ...m, src: 3 }], ['slot', { ...m, slot: 2 }],
      ['h', { ...m, h: new Uint8Array(31) }], ['cor', { ...m, cor: 5 }], ['wr', { ...m, wr: -1 }], ['x', { ...m, x: 1 }],
    ];
    for (const [what, bad] of bads) assert.throws(() => decodeFumoRecord(cborEncode(bad)), DecodeError, what);
    const noSt: CborMap = { ...m };
    delete noSt.st;
    assert.throws(() => decodeFumoRecord(cborEncode(noSt)), DecodeError);
    assert.throws(() => decodeFumoRecord(cborEncode([1, 2])), DecodeError);
  });

  test('store: fresh, loaded, corrupt (a future version is not guessed at)', () => {
    const st = new MemStorage();
    assert.equal(new FumoRecordStore(st).load().how, 'fresh');
    const s = new FumoRecordStore(st);
    s.save(sample());
    const l = new FumoRecordStore(st).load();
    assert.equal(l.how, 'loaded');
    assert.deepEqual(l.record, sample());
    // a valid slot (CRC fine) whose payload is a record of another version
    new RecordStore(st, 'fumo.rec', { maxPayload: 8192 }).commit(cborEncode({ ...(cborDecode(encodeFumoRecord(sample())) as CborMap), v: 2 }));
    const c = new FumoRecordStore(st).load();
    assert.equal(c.how, 'corrupt');
    assert.equal(c.error?.code, 'fumo-record-version');
    assert.deepEqual(c.record, idleRecord());
  });

  test('power cut at every write of a save: the old or the new record, never a mix', () => {
    const a = sample();
    const b = { ...sample(), state: FumoState.DownloadComplete, written: 65536, length: 65536, pkgHash: new Uint8Array(32).fill(1) };
    let sawOld = 0;
    let sawNew = 0;
    for (let n = 1; n <= 2; n++) {
      for (const torn of [0, 1, 7, 19, 40, 1000]) {
        const st = new MemStorage();
        new FumoRecordStore(st).save(a);
        st.failAtWrite = st.writes + n;
        st.tornBytes = torn;
        assert.throws(() => new FumoRecordStore(st).save(b), /EIO/);
        st.powerCut();
        const got = new FumoRecordStore(st).load();
        assert.equal(got.how, 'loaded');
        if (got.record.state === a.state) { assert.deepEqual(got.record, a); sawOld++; } else { assert.deepEqual(got.record, b); sawNew++; }
      }
    }
    assert.ok(sawOld > 0, 'a cut before the header is written keeps the old record');
    assert.equal(sawNew, 0, 'nothing is durable before sync()');
  });
});

describe('boot.rec', () => {
  const valid = (...ok: number[]) => (s: number) => ok.includes(s);

  test('fresh device boots A; markPending → trial boots with a try counter → confirm commits', () => {
    const st = new MemStorage();
    let bc = new BootControl(st, { maxTries: 3 });
    assert.equal(bc.loadState, 'fresh');
    assert.deepEqual(bc.decideBoot(valid(0, 1)), { slot: 0, reason: 'active', triesLeft: 0 });
    assert.throws(() => bc.markPending(0), RangeError, 'the active slot cannot be pending');
    const gen = bc.markPending(1);
    assert.equal(gen, 1);
    bc = new BootControl(st, { maxTries: 3 });
    assert.deepEqual(bc.decideBoot(valid(0, 1)), { slot: 1, reason: 'trial', triesLeft: 2 });
    bc = new BootControl(st, { maxTries: 3 });
    assert.equal(bc.state.booted, 1);
    assert.equal(bc.confirmBoot(), true);
    assert.deepEqual(new BootControl(st).state, { active: 1, pending: -1, tries: 0, booted: 1, gen: 1, failedGen: 0 });
    assert.equal(new BootControl(st).confirmBoot(), false, 'nothing pending');
    assert.deepEqual(new BootControl(st).decideBoot(valid(0, 1)), { slot: 1, reason: 'active', triesLeft: 0 });
  });

  test('tries exhausted without confirmation → rollback, failedGen marks the generation', () => {
    const st = new MemStorage();
    const gen = new BootControl(st, { maxTries: 2 }).markPending(1);
    assert.equal(new BootControl(st).decideBoot(valid(0, 1))!.reason, 'trial');
    assert.equal(new BootControl(st).decideBoot(valid(0, 1))!.reason, 'trial');
    const d = new BootControl(st).decideBoot(valid(0, 1));
    assert.deepEqual(d, { slot: 0, reason: 'rollback', triesLeft: 0 });
    const bc = new BootControl(st);
    assert.equal(bc.rolledBack(gen), true);
    assert.equal(bc.rolledBack(gen + 1), false);
    assert.equal(bc.rolledBack(0), false);
    assert.equal(bc.state.pending, -1);
    assert.equal(bc.state.active, 0);
  });

  test('an invalid pending image rolls back at once; an invalid active slot falls back', () => {
    const st = new MemStorage();
    new BootControl(st).markPending(1);
    assert.deepEqual(new BootControl(st).decideBoot(valid(0)), { slot: 0, reason: 'rollback', triesLeft: 0 });
    assert.deepEqual(new BootControl(st).decideBoot(valid(1)), { slot: 1, reason: 'fallback', triesLeft: 0 });
    assert.equal(new BootControl(st).state.active, 1);
    assert.equal(new BootControl(st).decideBoot(valid()), null, 'neither valid: bricked');
  });

  test('cancelPending drops an unconfirmed flip', () => {
    const st = new MemStorage();
    const bc = new BootControl(st);
    bc.markPending(1);
    assert.equal(bc.cancelPending(), true);
    assert.equal(bc.cancelPending(), false);
    assert.deepEqual(new BootControl(st).decideBoot(valid(0, 1)), { slot: 0, reason: 'active', triesLeft: 0 });
  });

  test('decideBoot writes only when something changes', () => {
    const st = new MemStorage();
    new BootControl(st).decideBoot(valid(0, 1));
    const w = st.writes;
    new BootControl(st).decideBoot(valid(0, 1));
    new BootControl(st).decideBoot(valid(0, 1));
    assert.equal(st.writes, w, 'a plain boot of the committed slot writes nothing');
  });

  test('a corrupt record is reported and treated as fresh', () => {
    const st = new MemStorage();
    new BootControl(st).markPending(1);
    for (const n of ['boot.rec.a', 'boot.rec.b']) {
      const f = st.files.get(n);
      if (f) { f.data[30] = f.data[30]! ^ 0xff; f.durable[30] = f.durable[30]! ^ 0xff; }
    }
    const bc = new BootControl(st);
    assert.equal(bc.loadState, 'fresh', 'CRC-failed slots are not records at all');
    assert.equal(bc.state.pending, -1);
  });

  test('power cut at every write of markPending and confirmBoot: consistent state, boots a valid slot', () => {
    for (const step of ['mark', 'confirm'] as const) {
      for (let n = 1; n <= 2; n++) {
        for (const torn of [0, 3, 20, 200]) {
          const st = new MemStorage();
          new BootControl(st).decideBoot(valid(0, 1));
          if (step === 'confirm') { new BootControl(st).markPending(1); new BootControl(st).decideBoot(valid(0, 1)); }
          const before = new BootControl(st).state;
          st.failAtWrite = st.writes + n;
          st.tornBytes = torn;
          const bc = new BootControl(st);
          assert.throws(() => (step === 'mark' ? bc.markPending(1) : bc.confirmBoot()), /EIO/);
          st.powerCut();
          const after = new BootControl(st);
          assert.deepEqual(after.state, before, `${step} cut at write ${n}/${torn}: previous state kept`);
          const d = after.decideBoot(valid(0, 1));
          assert.ok(d && (d.slot === 0 || d.slot === 1));
        }
      }
    }
  });
});
