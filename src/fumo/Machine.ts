/**
 * The FUMO state machine: one transition table and one resume table over a small event alphabet
 * (style principle 11, after mender's `state_machine.cpp` + `LoadStateFromDb`).
 *
 * States are the spec's own State values ([FUMO] 10.1.1.10, facts §8.3), which are also the
 * persisted form: never renumber them. Events are the server's triggers (Exec on Download, Update,
 * DownloadAndUpdate; a completed Replace of Update/PkgData) and the outcome of the step the device
 * was running (Success, Failure, NothingToDo, Aborted, LoopDetected).
 *
 * EDITORS: the transition table and the resume table describe the same machine. When a row is
 * added, removed or changed in one, check the other (and test/unit/fumo/machine.test.ts, which
 * walks every row of both).
 */

/** FUMO State node values (persisted in `fumo.rec` and shown in `<x>/State`). Frozen. */
export enum FumoState {
  Idle = 10,
  DownloadFailed = 20,
  DownloadProgressing = 30,
  DownloadComplete = 40,
  ReadyToUpdate = 50,
  UpdateProgressing = 60,
  UpdateFailedHaveData = 70,
  UpdateFailedNoData = 80,
  UpdateSuccessfulHaveData = 90,
  UpdateSuccessfulNoData = 100,
}

/** The operation the server started (persisted; frozen values). */
export enum FumoOp {
  None = 0,
  Download = 1,
  Update = 2,
  DownloadAndUpdate = 3,
}

/** What happens to the machine. Not persisted (events are transient), so values may change. */
export enum FumoEvent {
  /** Server: Exec on `<x>/Download`. */
  ExecDownload,
  /** Server: Exec on `<x>/Update`. */
  ExecUpdate,
  /** Server: Exec on `<x>/DownloadAndUpdate`. */
  ExecDownloadAndUpdate,
  /** Server: a Replace of `<x>/Update/PkgData` completed (the package arrived as a DM large object). */
  PkgData,
  /** The running step completed. */
  Success,
  /** The running step failed (the result code says why). */
  Failure,
  /** The step found its work already done (e.g. the new slot was committed before a power cut). */
  NothingToDo,
  /** The operation was cancelled (user, host, or a new package replacing the held one). */
  Aborted,
  /** The operation restarted or changed state more often than the caps allow. */
  LoopDetected,
}

/** One transition: in `from`, `event` leads to `to` (for operation `op` only, when given). */
export type Transition = readonly [from: FumoState, event: FumoEvent, to: FumoState, op?: FumoOp];

const S = FumoState;
const E = FumoEvent;
const O = FumoOp;

/** Terminal states ([FUMO] 10.2): an operation ended here and was (or is being) reported. */
export const TERMINAL_STATES: readonly FumoState[] = [S.DownloadFailed, S.UpdateFailedHaveData, S.UpdateFailedNoData, S.UpdateSuccessfulHaveData, S.UpdateSuccessfulNoData];

/** States in which the device is working on an operation (flash slot in use, no new operation). */
export const BUSY_STATES: readonly FumoState[] = [S.DownloadProgressing, S.DownloadComplete, S.UpdateProgressing];

/** States from which a new operation may start exactly as from Idle. */
const RESTARTABLE: readonly FumoState[] = [S.Idle, ...TERMINAL_STATES];

/**
 * The transition table. Anything not listed is refused (the server's Exec gets 405, a worker
 * event is a programming error caught by `FumoMachine.next`, which returns null).
 */
export const TRANSITIONS: readonly Transition[] = [
  // from                      event                     to                           op
  // A new operation may start from Idle and from every terminal state (the previous result was
  // reported; the State stays readable until then, facts §8.3 "clean-up returns … to Idle").
  ...RESTARTABLE.flatMap((s): Transition[] => [
    [s,                          E.ExecDownload,           S.DownloadProgressing],
    [s,                          E.ExecDownloadAndUpdate,  S.DownloadProgressing],
    [s,                          E.PkgData,                S.ReadyToUpdate],      // DM large-object path: data in hand
  ]),
  [S.UpdateFailedHaveData,       E.ExecUpdate,             S.UpdateProgressing],  // retry with the package kept in the slot
  [S.DownloadProgressing,        E.Success,                S.DownloadComplete],   // size and SHA-256 verified
  [S.DownloadProgressing,        E.Failure,                S.DownloadFailed],
  [S.DownloadProgressing,        E.Aborted,                S.DownloadFailed],     // cancelled: reported as 401
  [S.DownloadProgressing,        E.LoopDetected,           S.DownloadFailed],     // keeps restarting mid-download
  [S.DownloadComplete,           E.Success,                S.ReadyToUpdate,       O.Download],          // download only: wait for Exec Update
  [S.DownloadComplete,           E.Success,                S.UpdateProgressing,   O.DownloadAndUpdate], // no further Exec ([FUMO] 10.2)
  [S.DownloadComplete,           E.LoopDetected,           S.DownloadFailed],
  [S.ReadyToUpdate,              E.ExecUpdate,             S.UpdateProgressing],
  [S.ReadyToUpdate,              E.PkgData,                S.ReadyToUpdate],      // a new package replaces the held one
  [S.ReadyToUpdate,              E.ExecDownload,           S.DownloadProgressing], // replaces a downloaded package (the CSP refuses it over PkgData)
  [S.ReadyToUpdate,              E.ExecDownloadAndUpdate,  S.DownloadProgressing],
  [S.ReadyToUpdate,              E.Aborted,                S.Idle],               // held package discarded (a new PkgData transfer overwrites the slot)
  [S.UpdateProgressing,          E.Success,                S.UpdateSuccessfulNoData], // new slot booted and committed; A/B keeps no package
  [S.UpdateProgressing,          E.NothingToDo,            S.UpdateSuccessfulNoData], // found committed already (cut after confirm, before the record)
  [S.UpdateProgressing,          E.Failure,                S.UpdateFailedNoData], // invalid image, or failed boot rolled back: package unusable
  [S.UpdateProgressing,          E.Aborted,                S.UpdateFailedHaveData], // stopped before the boot flag flipped: package kept
  [S.UpdateProgressing,          E.LoopDetected,           S.UpdateFailedNoData], // pending boot cancelled, old slot stays
];

/** What to do with a persisted state after an unexpected restart. */
export enum ResumeAction {
  /** Nothing pending. */
  None,
  /** An operation ended: make sure its result alert is queued (and delivered). */
  Report,
  /** Continue the download from the last checkpoint (HTTP Range), re-hashing what is on flash. */
  ResumeDownload,
  /** The download was verified: take the state's Success transition again. */
  FinishDownload,
  /** A package is held; nothing to do until the server's Exec Update. */
  Hold,
  /** Ask the boot-control record what happened to the update (committed, rolled back, never flipped). */
  ResolveBoot,
  /** Unknown or impossible state: report failure, cancel any unconfirmed boot flip. */
  FailSafe,
}

/**
 * The resume table: for each persisted state, where to continue after a restart. Anything not
 * listed → `ResumeAction.FailSafe` ("report failure / roll back").
 */
export const RESUME: ReadonlyMap<FumoState, ResumeAction> = new Map<FumoState, ResumeAction>([
  [S.Idle,                       ResumeAction.None],
  [S.DownloadFailed,             ResumeAction.Report],
  [S.DownloadProgressing,        ResumeAction.ResumeDownload],
  [S.DownloadComplete,           ResumeAction.FinishDownload],
  [S.ReadyToUpdate,              ResumeAction.Hold],        // for a Download operation: its 200 alert may still be pending (Report too)
  [S.UpdateProgressing,          ResumeAction.ResolveBoot],
  [S.UpdateFailedHaveData,       ResumeAction.Report],
  [S.UpdateFailedNoData,         ResumeAction.Report],
  [S.UpdateSuccessfulHaveData,   ResumeAction.Report],
  [S.UpdateSuccessfulNoData,     ResumeAction.Report],
]);

/** True for a value that is one of the spec's State values. */
export function isFumoState(v: number): v is FumoState {
  return RESUME.has(v as FumoState);
}

/** The machine's pure functions over the tables. */
export const FumoMachine = {
  /** Next state for `event` in `from` during operation `op`; null when the table has no row. */
  next(from: FumoState, event: FumoEvent, op: FumoOp): FumoState | null {
    for (const [f, e, to, o] of TRANSITIONS) {
      if (f === from && e === event && (o === undefined || o === op)) return to;
    }
    return null;
  },
  /** Resume action for a persisted state value (any number: unknown values fail safe). */
  resume(state: number): ResumeAction {
    return RESUME.get(state as FumoState) ?? ResumeAction.FailSafe;
  },
  isTerminal(s: number): boolean {
    return (TERMINAL_STATES as readonly number[]).includes(s);
  },
  isBusy(s: number): boolean {
    return (BUSY_STATES as readonly number[]).includes(s);
  },
};

/** Human-readable state name (logs, docs). */
export function stateName(s: number): string {
  return FumoState[s] ?? `Unknown(${s})`;
}
