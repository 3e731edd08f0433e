// Layer: unit (portable). Resume after each state, and an in-process power-cut sweep of a whole
// DownloadAndUpdate: every write of the device (fumo.rec, boot.rec, alerts.rec, tree.rec, flash
// erases, flash page programs) is a crash point; the power goes exactly there (a torn write keeps
// only its first bytes), the device restarts (bootloader first) and the flow must complete:
// a valid image boots at every restart, every persisted State is a legal one, an interrupted
// download resumes with Range from its checkpoint, and the server receives the 1226 (200).
// The Node child-process sweep over the real simulated flash is test/fault/fumo/sweep.test.ts.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from '../../../src/codec/model';
import { FakePowerCut } from '../../../src/native/fake';
import { FumoState, isFumoState, stateName } from '../../../src/fumo/Machine';
import { FumoRecordStore, encodeFumoRecord } from '../../../src/fumo/record';
import type { PendingAlert } from '../../../src/session/Session';
import { RecordStore } from '../../../src/store/RecordStore';
import { Cut, Rig, cmd, imageBytes, item } from './helpers';

const X = './FUMO/fw';
const URL_PATH = '/fw-2.0.bin';
const dlu = (): Command[] => [cmd('Replace', [item(`${X}/DownloadAndUpdate/PkgURL`, `http://dl.test${URL_PATH}`)]), cmd('Exec', [item(`${X}/DownloadAndUpdate`)], { correlator: 'sweep' })];

/** Server-side view of one scenario run. */
interface Outcome {
  /** 1226 alerts the server received (each acknowledged with 200). */
  received: PendingAlert[];
  /** States found in fumo.rec at each power-on. */
  bootStates: number[];
  /** Ranges requested after a restart that found a checkpoint: [expected, got]. */
  resumes: [string, string | null][];
  boots: number;
  final: FumoState;
}

/**
 * A DownloadAndUpdate from a well-behaved server: it sends Replace + Exec once (again only when
 * the device restarted without having recorded the operation, i.e. the Exec's Status never left),
 * acknowledges every alert it receives, and considers the job done once it has the result.
 */
function scenario(r: Rig, afterCut?: () => void): Outcome {
  const out: Outcome = { received: [], bootStates: [], resumes: [], boots: 0, final: FumoState.Idle };
  let execDone = false;
  for (;;) {
    if (++out.boots > 40) throw new Error(`no progress after ${out.boots} boots`);
    try {
      const rec = new FumoRecordStore(r.storage).load();
      assert.notEqual(rec.how, 'corrupt', 'fumo.rec always decodes');
      out.bootStates.push(rec.record.state);
      const reqBefore = r.http.requests.length;
      const b = r.boot(); // throws 'bricked' when neither slot is valid
      b.platform.runAll();
      if (r.plan.dead) throw new Cut('died');
      if (rec.record.state === FumoState.DownloadProgressing && rec.record.written > 0 && rec.record.written !== rec.record.expectedSize) {
        out.resumes.push([`bytes=${rec.record.written}-`, r.http.requests[reqBefore]?.range ?? null]);
      }
      if (b.reboots > 0) continue;
      if (!execDone) {
        if (b.fumo.state('fw') === FumoState.Idle) r.run(dlu());
        if (r.plan.dead) throw new Cut('died during the session'); // the Status never left
        execDone = true;
        b.platform.runAll();
        if (r.plan.dead) throw new Cut('died');
        if (b.reboots > 0) continue;
      }
      // a session: the server receives every pending alert and acknowledges it
      const pending = b.alerts.pending();
      for (const a of pending) {
        out.received.push(a);
        b.alerts.status(a.id, 200);
      }
      b.platform.runAll();
      if (r.plan.dead) throw new Cut('died');
      if (b.reboots > 0) continue;
      const st = b.fumo.state('fw');
      if (pending.length === 0 && (st === FumoState.UpdateSuccessfulNoData || st === FumoState.UpdateFailedNoData || st === FumoState.DownloadFailed)) {
        out.final = st;
        return out;
      }
    } catch (e) {
      if (!(e instanceof Cut) && !(e instanceof FakePowerCut)) throw e;
      afterCut?.();
    }
  }
}

/** Payload bytes of the new image: two erase blocks and a bit (keeps the sweep quick on QuickJS under QEMU;
 *  the Node child-process sweep in test/fault/fumo uses 64 KiB). */
const PAYLOAD = 8300;

function newRig(): Rig {
  const r = new Rig();
  r.http.files.set(URL_PATH, { body: imageBytes('2.0', PAYLOAD, 77) });
  r.http.chunk = 1500;
  return r;
}

describe('resume after each state', () => {
  // Cut right after the state became durable (the callback runs after the commit), before anything else.
  for (const at of [FumoState.DownloadProgressing, FumoState.DownloadComplete, FumoState.UpdateProgressing, FumoState.UpdateSuccessfulNoData]) {
    test(`cut after entering ${stateName(at)}`, () => {
      const r = newRig();
      let armed = true;
      r.opts.onState = (_x, _from, to) => {
        if (armed && to === at) { armed = false; throw new Cut(`after ${stateName(at)}`); }
      };
      const o = scenario(r);
      assert.equal(armed, false, 'the cut happened');
      assert.equal(o.final, FumoState.UpdateSuccessfulNoData);
      assert.ok(o.bootStates.includes(at), `restarted in ${stateName(at)}: ${o.bootStates.join(',')}`);
      assert.deepEqual(o.received.map((a) => a.items[0]!.data), ['200'], 'exactly one result alert');
      assert.equal(o.received[0]!.correlator, 'sweep');
      assert.equal(r.slotVersion(1), '2.0');
      assert.equal(r.cur!.fumo.boot.state.active, 1);
    });
  }

  test('power lost instead of a clean reboot after the flag flipped: the bootloader tries the new slot', () => {
    const r = newRig();
    let cut = false;
    r.opts.reboot = () => { if (!cut) { cut = true; throw new Cut('power lost instead of a clean reboot'); } };
    const o = scenario(r);
    assert.equal(cut, true);
    assert.equal(o.final, FumoState.UpdateSuccessfulNoData);
    assert.deepEqual(o.received.map((a) => a.items[0]!.data), ['200']);
  });

  test('unknown persisted state → fail safe: unconfirmed flip cancelled, 80 with 409 reported', () => {
    const r = newRig();
    const o = scenario(r);
    assert.equal(o.final, FumoState.UpdateSuccessfulNoData);
    // forge a record in an unknown state with a pending flip to slot A (as if mid-operation)
    const rec = { ...r.cur!.fumo.record, state: 55, result: 0, reported: false, serial: 9 };
    new RecordStore(r.storage, 'fumo.rec', { maxPayload: 8192 }).commit(encodeFumoRecord(rec));
    r.cur!.fumo.boot.markPending(0);
    const b = r.boot();
    assert.equal(b.decision!.reason, 'trial');
    b.platform.runAll();
    assert.equal(b.fumo.state('fw'), FumoState.UpdateFailedNoData);
    assert.equal(b.fumo.boot.state.pending, -1);
    assert.equal(b.reboots, 1, 'running the unconfirmed slot: reboot back to the committed one');
    assert.equal(b.alerts.pending()[0]!.items[0]!.data, '409');
    assert.deepEqual(r.boot().decision, { slot: 1, reason: 'active', triesLeft: 0 });
  });

  test('a restart loop is cut by LoopDetected (resume cap) → 20 with 400', () => {
    const r = newRig();
    r.opts.limits = { reportRetryMs: 1000, maxResumes: 3 };
    r.http.chunk = 500; // 1.5 KB per boot: never a whole erase block, so never a checkpoint
    r.boot().platform.runAll();
    r.run(dlu());
    const seen: number[] = [];
    for (let n = 0; n < 6 && r.cur!.fumo.state('fw') === FumoState.DownloadProgressing; n++) {
      r.cur!.platform.advance(3);
      seen.push(r.boot().fumo.record.resumes);
      r.cur!.platform.advance(0);
    }
    r.cur!.platform.runAll();
    assert.equal(r.cur!.fumo.state('fw'), FumoState.DownloadFailed);
    assert.equal(r.cur!.fumo.record.resumes, 4);
    assert.equal(r.cur!.alerts.pending()[0]!.items[0]!.data, '400');
    assert.deepEqual(r.http.requests.map((q) => q.range), [null, null, null, null], 'no checkpoint was ever reached: each attempt starts at 0');
  });
});

describe('power-cut sweep (in process, every write)', () => {
  test('every crash point of a DownloadAndUpdate recovers', () => {
    // 1. enumerate the writes of an uninterrupted run
    const ref = newRig();
    ref.plan.record = true;
    const base = scenario(ref);
    assert.equal(base.final, FumoState.UpdateSuccessfulNoData);
    const ops = ref.plan.ops;
    const kinds = { store: 0, erase: 0, program: 0 };
    for (const o of ops) kinds[o.kind]++;
    assert.equal(kinds.erase, 3, 'one erase per erase block of the package');
    assert.equal(kinds.program, 2 * 16 + 1, 'one program per 256-byte page');
    assert.ok(kinds.store >= 30, JSON.stringify(kinds));
    const byBlob = new Map<string, number>();
    for (const o of ops) if (o.kind === 'store') byBlob.set(o.where.replace(/\.[ab]$/, ''), (byBlob.get(o.where.replace(/\.[ab]$/, '')) ?? 0) + 1);
    for (const n of ['fumo.rec', 'boot.rec', 'alerts.rec', 'tree.rec']) assert.ok((byBlob.get(n) ?? 0) > 0, `${n} is written during the flow`);

    // 2. cut at each one (and torn variants), restart, check
    let runs = 0;
    let duplicates = 0;
    let rangeResumes = 0;
    for (let i = 1; i <= ops.length; i++) {
      const op = ops[i - 1]!;
      // storage: a clean cut losing what was not synced, and a torn write whose bytes stay (a killed
      // process); flash: a cut before the operation, plus torn pages (every 4th) and a half erase
      const variants: [number, boolean][] = op.kind === 'store' ? [[0, true], [5, false]]
        : op.kind === 'program' ? (i % 4 === 0 ? [[0, false], [100, false]] : [[0, false]]) : [[0, false], [2048, false]];
      for (const [tear, lose] of variants) {
        const r = newRig();
        r.plan.target = i;
        r.plan.tear = tear;
        // after the cut, what was written but not synced is gone (lose) or kept (a killed process)
        const at = `cut #${i} (${op.kind} ${op.where}, tear ${tear}${lose ? ', unsynced lost' : ''})`;
        let o: Outcome;
        try {
          o = scenario(r, lose ? () => r.storage.powerCut() : undefined);
        } catch (e) {
          throw new Error(`${at}: ${(e as Error).message}; states ${r.cur?.fumo.record.state}`, { cause: e });
        }
        runs++;
        assert.equal(r.plan.fired, true, `${at}: the cut happened`);
        for (const s of o.bootStates) assert.ok(isFumoState(s), `${at}: illegal persisted state ${s}`);
        assert.equal(o.final, FumoState.UpdateSuccessfulNoData, `${at}: final state ${stateName(o.final)}`);
        assert.equal(r.slotVersion(1), '2.0', at);
        assert.equal(r.cur!.fumo.boot.state.active, 1, at);
        const results = o.received.map((a) => `${a.items[0]!.data}/${a.correlator ?? ''}`);
        assert.ok(results.length >= 1 && results.every((x) => x === '200/sweep'), `${at}: ${results.join(' ')}`);
        if (results.length > 1) {
          // only a cut inside the queue's removal commit (after the server's 200) repeats it
          assert.equal(op.where.startsWith('alerts.rec'), true, `${at}: duplicate delivery`);
          duplicates++;
        }
        for (const [want, got] of o.resumes) { assert.equal(got, want, `${at}: resume request`); rangeResumes++; }
      }
    }
    process_note(`power-cut sweep: ${ops.length} crash points (${kinds.store} storage writes, ${kinds.erase} erases, ${kinds.program} page programs), ${runs} runs, ${rangeResumes} Range resumes, ${duplicates} re-deliveries after an ack cut`);
  });
});

/** Prints a diagnostic line in the TAP output (portable: no console on QuickJS is fine either way). */
function process_note(s: string): void {
  const g = globalThis as { console?: { log(s: string): void } };
  g.console?.log(s);
}
