// Layer: unit (portable). The FUMO transition and resume tables: every row, and everything that
// is not a row (the machine refuses it), against an independent statement of the intended machine.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FumoEvent, FumoMachine, FumoOp, FumoState, RESUME, ResumeAction, TRANSITIONS, isFumoState, stateName } from '../../../src/fumo/Machine';

const S = FumoState;
const E = FumoEvent;
const O = FumoOp;
const ALL_STATES = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100] as FumoState[];
const ALL_EVENTS = [E.ExecDownload, E.ExecUpdate, E.ExecDownloadAndUpdate, E.PkgData, E.Success, E.Failure, E.NothingToDo, E.Aborted, E.LoopDetected];
const ALL_OPS = [O.None, O.Download, O.Update, O.DownloadAndUpdate];

/**
 * The intended machine, written as a function (an independent oracle for the table): facts §8.3
 * plus our A/B reading (success leads straight to 100, failures after the flip to 80).
 */
function intended(s: FumoState, e: FumoEvent, op: FumoOp): FumoState | null {
  const restartable = s === S.Idle || s === S.DownloadFailed || s >= S.UpdateFailedHaveData;
  if (restartable && (e === E.ExecDownload || e === E.ExecDownloadAndUpdate)) return S.DownloadProgressing;
  if (restartable && e === E.PkgData) return S.ReadyToUpdate;
  if (s === S.UpdateFailedHaveData && e === E.ExecUpdate) return S.UpdateProgressing;
  if (s === S.DownloadProgressing) {
    if (e === E.Success) return S.DownloadComplete;
    if (e === E.Failure || e === E.Aborted || e === E.LoopDetected) return S.DownloadFailed;
  }
  if (s === S.DownloadComplete) {
    if (e === E.Success && op === O.Download) return S.ReadyToUpdate;
    if (e === E.Success && op === O.DownloadAndUpdate) return S.UpdateProgressing;
    if (e === E.LoopDetected) return S.DownloadFailed;
  }
  if (s === S.ReadyToUpdate) {
    if (e === E.ExecUpdate) return S.UpdateProgressing;
    if (e === E.PkgData) return S.ReadyToUpdate;
    if (e === E.ExecDownload || e === E.ExecDownloadAndUpdate) return S.DownloadProgressing;
    if (e === E.Aborted) return S.Idle;
  }
  if (s === S.UpdateProgressing) {
    if (e === E.Success || e === E.NothingToDo) return S.UpdateSuccessfulNoData;
    if (e === E.Failure || e === E.LoopDetected) return S.UpdateFailedNoData;
    if (e === E.Aborted) return S.UpdateFailedHaveData;
  }
  return null;
}

describe('transition table', () => {
  test('every row is what the machine does', () => {
    for (const [from, ev, to, op] of TRANSITIONS) {
      const ops = op === undefined ? ALL_OPS : [op];
      for (const o of ops) assert.equal(FumoMachine.next(from, ev, o), to, `${stateName(from)} --${E[ev]}/${O[o]}--> ${stateName(to)}`);
    }
  });

  test('the table equals the intended machine for every state × event × operation', () => {
    let rows = 0;
    for (const s of ALL_STATES) for (const e of ALL_EVENTS) for (const o of ALL_OPS) {
      const want = intended(s, e, o);
      assert.equal(FumoMachine.next(s, e, o), want, `${stateName(s)} --${E[e]}/${O[o]}-->`);
      if (want !== null) rows++;
    }
    assert.ok(rows > 40, `a machine with ${rows} live (state, event, op) triples`);
  });

  test('no duplicate (from, event, op) rows', () => {
    const seen = new Set<string>();
    for (const [f, e, , o] of TRANSITIONS) {
      for (const op of o === undefined ? ALL_OPS : [o]) {
        const k = `${f}/${e}/${op}`;
        assert.ok(!seen.has(k), `duplicate row ${k}`);
        seen.add(k);
      }
    }
  });

  test('every state is reachable from Idle and every non-terminal state can end', () => {
    const reach = new Set<number>([S.Idle]);
    for (let changed = true; changed;) {
      changed = false;
      for (const [f, , t] of TRANSITIONS) if (reach.has(f) && !reach.has(t)) { reach.add(t); changed = true; }
    }
    for (const s of ALL_STATES) {
      if (s === S.UpdateSuccessfulHaveData) continue; // A/B keeps no package: 90 is never entered
      assert.ok(reach.has(s), `${stateName(s)} unreachable`);
    }
    for (const s of [S.DownloadProgressing, S.DownloadComplete, S.UpdateProgressing]) {
      assert.ok(TRANSITIONS.some(([f, e]) => f === s && e === E.LoopDetected), `${stateName(s)} has no LoopDetected exit`);
    }
  });

  test('terminal and busy sets', () => {
    for (const s of ALL_STATES) {
      assert.equal(FumoMachine.isTerminal(s), [20, 70, 80, 90, 100].includes(s), stateName(s));
      assert.equal(FumoMachine.isBusy(s), [30, 40, 60].includes(s), stateName(s));
    }
  });
});

describe('resume table', () => {
  const want: [FumoState, ResumeAction][] = [
    [S.Idle, ResumeAction.None],
    [S.DownloadFailed, ResumeAction.Report],
    [S.DownloadProgressing, ResumeAction.ResumeDownload],
    [S.DownloadComplete, ResumeAction.FinishDownload],
    [S.ReadyToUpdate, ResumeAction.Hold],
    [S.UpdateProgressing, ResumeAction.ResolveBoot],
    [S.UpdateFailedHaveData, ResumeAction.Report],
    [S.UpdateFailedNoData, ResumeAction.Report],
    [S.UpdateSuccessfulHaveData, ResumeAction.Report],
    [S.UpdateSuccessfulNoData, ResumeAction.Report],
  ];
  for (const [s, a] of want) {
    test(`${stateName(s)} → ${ResumeAction[a]}`, () => {
      assert.equal(FumoMachine.resume(s), a);
      assert.equal(RESUME.get(s), a);
    });
  }
  test('one row per state, nothing else', () => {
    assert.equal(RESUME.size, ALL_STATES.length);
  });
  test('anything else fails safe', () => {
    for (const v of [0, 1, 9, 11, 15, 25, 55, 65, 99, 101, 110, 255, -10, 1e6, NaN]) {
      assert.equal(FumoMachine.resume(v), ResumeAction.FailSafe, String(v));
      assert.equal(isFumoState(v), false, String(v));
    }
    for (const s of ALL_STATES) assert.equal(isFumoState(s), true);
  });
  test('states with work in progress resume it, terminal states report', () => {
    for (const s of ALL_STATES) {
      const a = FumoMachine.resume(s);
      if (FumoMachine.isTerminal(s)) assert.equal(a, ResumeAction.Report, stateName(s));
      if (FumoMachine.isBusy(s)) assert.ok([ResumeAction.ResumeDownload, ResumeAction.FinishDownload, ResumeAction.ResolveBoot].includes(a), stateName(s));
    }
  });
});

test('persisted state values are the spec numbers', () => {
  assert.deepEqual([S.Idle, S.DownloadFailed, S.DownloadProgressing, S.DownloadComplete, S.ReadyToUpdate, S.UpdateProgressing,
    S.UpdateFailedHaveData, S.UpdateFailedNoData, S.UpdateSuccessfulHaveData, S.UpdateSuccessfulNoData], [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  assert.deepEqual([O.None, O.Download, O.Update, O.DownloadAndUpdate], [0, 1, 2, 3]);
  assert.equal(stateName(42), 'Unknown(42)');
});
