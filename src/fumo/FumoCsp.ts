/**
 * The FUMO management object (urn:oma:mo:oma-fumo:1.0, facts §8) and the engine behind it.
 *
 *   ./FUMO                                 interior; ACL Get=*&Replace=*&Exec=* when created
 *     <x>                                  interior, Type urn:oma:mo:oma-fumo:1.0 (one per instance)
 *       PkgName, PkgVersion                chr, Get/Replace (kept in the tree)
 *       Download                           Exec → alternate download only (ends in State 50)
 *       Download/PkgURL                    chr, Get/Replace
 *       Update                             Exec → install the package held (State 50 or 70)
 *       Update/PkgData                     bin, Replace only: the package as a DM (large) object,
 *                                          streamed to the inactive slot, never kept in memory or the tree
 *       DownloadAndUpdate                  Exec → download, then install without a further Exec
 *       DownloadAndUpdate/PkgURL           chr, Get/Replace
 *       State                              int, Get only (from fumo.rec)
 *       Ext/PkgSHA256                      chr, Get/Replace: expected SHA-256 of the package (64 hex, '' none)
 *       Ext/PkgSize                        chr, Get/Replace: expected size in bytes ('' none)
 *       Ext/Progress                       int, Get only: percent of the running phase
 *
 * Exec answers 202 and the work continues asynchronously in bounded steps on platform timers
 * (one erase block per step) and network events; the final result is a Generic Alert 1226 queued in
 * the host's persistent alert queue, after which a client-initiated session is requested. Exec
 * answers 405 when the State does not allow the operation (nothing starts), and 400 when the
 * PkgURL cannot be used — that operation ends at once in State 20 and its 1226 (411) goes out in
 * the same session (the "synchronous" report).
 *
 * PkgURL and PkgData are mutually exclusive ([FUMO] 10.4) per instance: a Replace of PkgData is
 * refused (405) while a PkgURL of the instance is set, and a Replace of a PkgURL with a non-empty
 * value, or an Exec of Download/DownloadAndUpdate, is refused (405) while the instance holds a
 * package delivered as PkgData.
 *
 * Power-fail safety: every state change is one commit of `fumo.rec`; downloads checkpoint the
 * durable byte count after each erase block; the update writes and verifies the image in the
 * inactive slot before the boot flag flips (`boot.rec`); after any restart the resume table
 * (Machine.ts) decides how to continue.
 */
import type { Csp, CspCall, NodeStore, ValueIn, ValueSink, WriteInfo, WriteSink } from '../csp/Csp';
import { Sha256 } from '../crypto/sha256';
import { DecodeError } from '../errors';
import type { Platform, TimerHandle } from '../platform';
import { PlatformError } from '../platform';
import type { PendingAlert } from '../session/Session';
import { formatUrl, parseUrl, resolveUrl } from '../session/http';
import { Status } from '../status';
import { bytesEqual, fromHex } from '../util/bytes';
import { utf8Decode, utf8Encode } from '../util/utf8';
import type { AlertSource } from './alert';
import { FumoResult, OP_NODE, resultAlert } from './alert';
import { BootControl } from './BootControl';
import { parseDownloadDescriptor } from './dd';
import type { DlotaCause } from './dlota';
import { DLOTA_REPORT_TYPE, dlotaReportText, dlotaStatusFor } from './dlota';
import type { DownloadOutcome, DownloaderLimits } from './Downloader';
import { checkDownloaderLimits, Downloader, usableRequestUrl } from './Downloader';
import type { ImageCheck } from './image';
import { omadmImageCheck } from './image';
import { FumoEvent, FumoMachine, FumoOp, FumoState, ResumeAction, stateName } from './Machine';
import type { FumoRecord } from './record';
import { FUMO_RECORD_MAX_PAYLOAD, FumoRecordStore, idleRecord, PkgSource } from './record';
import type { FlashDevice, SlotLayout } from './slot';
import { checkSlots, readSlot, SlotWriter } from './slot';

/** MO identifier of a FUMO object. */
export const FUMO_MO_TYPE = 'urn:oma:mo:oma-fumo:1.0';
/** Default root of the FUMO objects. */
export const DEFAULT_FUMO_ROOT = './FUMO';
/** Default instance names. */
export const DEFAULT_FUMO_INSTANCES: readonly string[] = Object.freeze(['fw']);
/** Default ACL of the root when it is created. */
export const DEFAULT_FUMO_ACL = 'Get=*&Replace=*&Exec=*';

/** Bounds of the FUMO engine. */
export interface FumoLimits {
  /** Longest PkgURL accepted, characters. Longer Replace → 413. Default 2048. */
  maxUrlLength: number;
  /** Longest Exec Correlator kept, characters. Longer → 400. Default 128. */
  maxCorrelatorLength: number;
  /** Restarts during one operation before LoopDetected. Default 16. */
  maxResumes: number;
  /** State transitions during one operation before LoopDetected. Default 32. */
  maxTransitions: number;
  /** Client-initiated sessions requested for one result alert per boot before waiting for the
   *  next boot or session. Default 8. */
  maxReportAttempts: number;
  /** First wait before asking again for a session when the alert is still pending, ms (doubles). Default 30 000. */
  reportRetryMs: number;
  /** Cap of that wait, ms. Default 3 600 000. */
  maxReportRetryMs: number;
  /** Delay between bounded steps (re-hash, verify), ms. Default 0. */
  stepDelayMs: number;
  /** Longest DLOTA `installNotifyURI` (as written and after resolution) a status report is sent to,
   *  characters. Longer → no report (logged). Default 2048. `maxUrlLength + maxNotifyUriLength +
   *  maxCorrelatorLength` must leave 1 KiB of `FUMO_RECORD_MAX_PAYLOAD` (8192) for the other fields. */
  maxNotifyUriLength: number;
}

export const DEFAULT_FUMO_MAX_URL_LENGTH = 2048;
export const DEFAULT_FUMO_MAX_CORRELATOR_LENGTH = 128;
export const DEFAULT_FUMO_MAX_RESUMES = 16;
export const DEFAULT_FUMO_MAX_TRANSITIONS = 32;
export const DEFAULT_FUMO_MAX_REPORT_ATTEMPTS = 8;
export const DEFAULT_FUMO_REPORT_RETRY_MS = 30000;
export const DEFAULT_FUMO_MAX_REPORT_RETRY_MS = 3_600_000;
export const DEFAULT_FUMO_MAX_NOTIFY_URI_LENGTH = 2048;

export const DEFAULT_FUMO_LIMITS: Readonly<FumoLimits> = Object.freeze({
  maxUrlLength: DEFAULT_FUMO_MAX_URL_LENGTH,
  maxCorrelatorLength: DEFAULT_FUMO_MAX_CORRELATOR_LENGTH,
  maxResumes: DEFAULT_FUMO_MAX_RESUMES,
  maxTransitions: DEFAULT_FUMO_MAX_TRANSITIONS,
  maxReportAttempts: DEFAULT_FUMO_MAX_REPORT_ATTEMPTS,
  reportRetryMs: DEFAULT_FUMO_REPORT_RETRY_MS,
  maxReportRetryMs: DEFAULT_FUMO_MAX_REPORT_RETRY_MS,
  stepDelayMs: 0,
  maxNotifyUriLength: DEFAULT_FUMO_MAX_NOTIFY_URI_LENGTH,
});

/** Fills defaults; RangeError naming a bad field. */
export function checkFumoLimits(p: Partial<FumoLimits> = {}): FumoLimits {
  const l: FumoLimits = { ...DEFAULT_FUMO_LIMITS, ...p };
  for (const [k, v] of Object.entries(l)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new RangeError(`limits.${k}: must be a non-negative integer, got ${String(v)}`);
  }
  if (l.maxUrlLength < 16) throw new RangeError('limits.maxUrlLength: at least 16');
  // fumo.rec holds the package URL, the report URI and the Correlator: they must fit its payload bound
  // (with 1 KiB for the fixed fields), or a save would fail mid-operation.
  if (l.maxUrlLength + l.maxNotifyUriLength + l.maxCorrelatorLength > FUMO_RECORD_MAX_PAYLOAD - 1024) {
    throw new RangeError(`limits.maxNotifyUriLength: maxUrlLength + maxNotifyUriLength + maxCorrelatorLength must be at most ${FUMO_RECORD_MAX_PAYLOAD - 1024}`);
  }
  if (l.maxTransitions < 8) throw new RangeError('limits.maxTransitions: at least 8 (a full DownloadAndUpdate needs 4)');
  return l;
}

/** What FUMO needs from its host (the Agent satisfies it). */
export interface FumoHost {
  tree: { addCsp(csp: Csp): void; readonly store: NodeStore };
  alerts: { add(alert: PendingAlert): boolean; pending(): PendingAlert[] };
  platform: Platform;
  /** Starts (or queues) a client-initiated session; never rejects for protocol failures. */
  runSession(o?: { serverId?: string; initiator?: 'client' | 'server' }): Promise<unknown>;
}

/** Progress of the running phase (for a progress bar). */
export interface FumoProgress {
  x: string;
  phase: 'download' | 'rehash' | 'verify';
  /** Bytes done. */
  done: number;
  /** Bytes in total, null unknown. */
  total: number | null;
}

/** Options of `Fumo.attach`. */
export interface FumoOptions {
  /** The flash device holding both slots. */
  flash: FlashDevice;
  /** Slot A and slot B. */
  slots: readonly [SlotLayout, SlotLayout];
  /** Reboots the device (called after the boot flag flipped, or to leave an unhealthy trial slot).
   *  It may return (the engine then waits, doing nothing more). */
  reboot(): void;
  /** Root of the FUMO objects. Default './FUMO'. */
  root?: string;
  /** Instance names `<x>`. Default ['fw']. */
  instances?: readonly string[];
  /** ACL set on the root when it has none. Default DEFAULT_FUMO_ACL. */
  acl?: string;
  /** Boot control; default `new BootControl(platform.storage)` (boot.rec). */
  boot?: BootControl;
  /** The image check run on the package read back from the slot before the boot flag flips
   *  (length = package bytes). Default: the omadm image header check (image.ts). */
  imageCheck?: (length: number) => ImageCheck;
  /** After booting the new slot: is the system healthy (commit) or not (roll back)? Default: healthy. */
  healthy?: () => boolean;
  /** Where the 1226 Source points: the Exec'd node (default) or `<x>`. */
  alertSource?: AlertSource;
  /** Fetch `<url>.sha256` (sha256sum format) when no expected hash is known. Default false. */
  sidecar?: boolean;
  /** Record name in storage. Default 'fumo.rec'. */
  recordName?: string;
  limits?: Partial<FumoLimits>;
  download?: Partial<DownloaderLimits>;
  userAgent?: string;
  onProgress?: (p: FumoProgress) => void;
  /** Every state change (after it is durable). */
  onState?: (x: string, from: number, to: number, result: number) => void;
}

const EXEC_NODES: Readonly<Record<string, FumoOp>> = Object.freeze({
  Download: FumoOp.Download,
  Update: FumoOp.Update,
  DownloadAndUpdate: FumoOp.DownloadAndUpdate,
});
const EXEC_EVENT: Readonly<Record<number, FumoEvent>> = Object.freeze({
  [FumoOp.Download]: FumoEvent.ExecDownload,
  [FumoOp.Update]: FumoEvent.ExecUpdate,
  [FumoOp.DownloadAndUpdate]: FumoEvent.ExecDownloadAndUpdate,
});

/** The fields of `prev` that a new operation's record keeps: an undelivered DLOTA report (a URI
 *  whose download has not ended yet is not kept: it belongs to `prev`'s operation). */
function pendingReport(prev: FumoRecord): Pick<FumoRecord, 'reportUri' | 'reportCode'> {
  return prev.reportCode !== 0 ? { reportUri: prev.reportUri, reportCode: prev.reportCode } : { reportUri: '', reportCode: 0 };
}

/** Thrown inside the engine when a record save fails: the durable state stays the previous one. */
class SaveFailed extends Error {
  override readonly name = 'SaveFailed';
}

/**
 * The FUMO CSP and engine. Create with `Fumo.attach(host, opts)` (index.ts), which registers the CSP
 * and schedules the resume step.
 */
export class FumoCsp implements Csp {
  readonly root: string;
  /** ACL of the root when the tree creates it (Csp.rootAcl). */
  readonly rootAcl: string;
  readonly limits: FumoLimits;
  readonly boot: BootControl;
  readonly #host: FumoHost;
  readonly #p: Platform;
  readonly #o: FumoOptions;
  readonly #instances: readonly string[];
  readonly #store: FumoRecordStore;
  /**
   * The downloader (DownloadAndUpdate / Download): made on first use, so a device (or a session) that
   * never downloads does not hold its buffers (the HTTP header line and `maxDocumentBytes`, 16 KB by
   * default); once made it is kept (allocated once, as before).
   */
  #dlInst: Downloader | null = null;
  readonly #dlOpts: { limits?: Partial<DownloaderLimits>; userAgent?: string };
  /** The persisted record (mirror of the newest durable one, or the one being saved). */
  #rec: FumoRecord;
  /** How `fumo.rec` was found at start. */
  readonly loadState: 'fresh' | 'loaded' | 'corrupt';
  /** Slot writer of the running download / PkgData transfer. */
  #writer: SlotWriter | null = null;
  /** SHA-256 of the bytes written so far. */
  #sha: Sha256 | null = null;
  /** Read buffer for re-hash and verify steps (one erase block, allocated once). */
  readonly #rbuf: Uint8Array;
  /** Staging buffer of the slot writer (one erase block, allocated once, one writer at a time). */
  readonly #wbuf: Uint8Array;
  #timer: TimerHandle | null = null;
  #reportTimer: TimerHandle | null = null;
  #reportAttempts = 0;
  /** Progress of the running phase. */
  #progress: FumoProgress | null = null;
  /** The PkgData sink currently open. */
  #sinkOpen = false;
  /** True after `close()`. */
  #closed = false;
  /** The sidecar was tried for this operation (not persisted: tried again after a restart). */
  #sidecarTried = false;
  /** A reboot was requested; the engine does nothing more. */
  #rebooting = false;
  /** Cause of the running download's failure where the result alone is ambiguous (DLOTA). */
  #dlCause: DlotaCause | undefined = undefined;
  /** The DLOTA report being posted (`uri` + `code`), null when none is in flight. */
  #posting: { uri: string; code: number } | null = null;

  constructor(host: FumoHost, opts: FumoOptions) {
    if (!host || !host.platform || !host.tree || !host.alerts) throw new TypeError('host: needs tree, alerts, platform, runSession');
    if (!opts || !opts.flash) throw new TypeError('opts.flash: required');
    if (typeof opts.reboot !== 'function') throw new TypeError('opts.reboot: required');
    checkSlots(opts.flash, opts.slots);
    this.#host = host;
    this.#p = host.platform;
    this.#o = opts;
    this.limits = checkFumoLimits(opts.limits);
    this.root = opts.root ?? DEFAULT_FUMO_ROOT;
    this.rootAcl = opts.acl ?? DEFAULT_FUMO_ACL;
    this.#instances = opts.instances ?? DEFAULT_FUMO_INSTANCES;
    if (this.#instances.length === 0) throw new RangeError('opts.instances: at least one instance name');
    for (const x of this.#instances) if (!/^[A-Za-z0-9._-]{1,32}$/.test(x)) throw new RangeError(`opts.instances: bad name "${x}"`);
    this.boot = opts.boot ?? new BootControl(this.#p.storage);
    this.#store = new FumoRecordStore(this.#p.storage, opts.recordName);
    const dlOpts: { limits?: Partial<DownloaderLimits>; userAgent?: string } = {};
    if (opts.download) dlOpts.limits = opts.download;
    if (opts.userAgent !== undefined) dlOpts.userAgent = opts.userAgent;
    checkDownloaderLimits(dlOpts.limits); // bad limits still fail at construction
    this.#dlOpts = dlOpts;
    this.#rbuf = new Uint8Array(opts.flash.eraseSize);
    this.#wbuf = new Uint8Array(opts.flash.eraseSize);
    const l = this.#store.load();
    this.#rec = l.record;
    this.loadState = l.how;
    if (l.how === 'corrupt') this.#p.log('error', 'fumo record unreadable; failing safe', { code: l.error?.code });
  }

  // ============================================================================ public API

  /** A copy of the persisted record. */
  get record(): FumoRecord {
    return { ...this.#rec };
  }

  /** State of instance `x` (Idle when the record is about another instance). */
  state(x: string = this.#instances[0]!): FumoState {
    return this.#rec.x === x ? (this.#rec.state as FumoState) : FumoState.Idle;
  }

  /** Record commits since start (diagnostics). */
  get saves(): number {
    return this.#store.saves;
  }

  /** The downloader (diagnostics: request counts). */
  get downloader(): Downloader {
    return this.#dl();
  }

  #dl(): Downloader {
    return (this.#dlInst ??= new Downloader(this.#p, this.#dlOpts));
  }

  /** Stops all timers and transfers (the durable state is kept; a new instance resumes it). */
  close(): void {
    this.#closed = true;
    this.#dlInst?.cancel();
    this.#dlInst?.cancelPost();
    this.#posting = null;
    this.#clearTimer();
    if (this.#reportTimer !== null) {
      this.#p.clearTimer(this.#reportTimer);
      this.#reportTimer = null;
    }
  }

  /**
   * Continues after a start (called once by `Fumo.attach`, from a timer): the resume table decides
   * (Machine.ts RESUME). Also re-queues a result whose alert was not queued yet, and asks for a
   * session when a result alert is still waiting for the server.
   */
  resume(): void {
    if (this.#closed) return;
    this.#guard(() => this.#resume());
  }

  // ============================================================================ Csp

  init(st: NodeStore): void {
    const r = this.root;
    st.ensure(r, { interior: true, permanent: true });
    const info = st.info(r);
    if (info && info.acl === '') st.setAcl(r, this.rootAcl); // a tree from before the root had one
    for (const x of this.#instances) {
      const b = `${r}/${x}`;
      st.ensure(b, { interior: true, permanent: true, type: FUMO_MO_TYPE });
      st.ensure(`${b}/PkgName`, { permanent: true, format: 'chr', value: '' });
      st.ensure(`${b}/PkgVersion`, { permanent: true, format: 'chr', value: '' });
      for (const n of ['Download', 'Update', 'DownloadAndUpdate']) st.ensure(`${b}/${n}`, { interior: true, permanent: true });
      st.ensure(`${b}/Download/PkgURL`, { permanent: true, format: 'chr', value: '' });
      st.ensure(`${b}/DownloadAndUpdate/PkgURL`, { permanent: true, format: 'chr', value: '' });
      st.ensure(`${b}/Update/PkgData`, { permanent: true, format: 'bin', volatile: true });
      st.ensure(`${b}/State`, { permanent: true, format: 'int', volatile: true });
      st.ensure(`${b}/Ext`, { interior: true, permanent: true });
      st.ensure(`${b}/Ext/PkgSHA256`, { permanent: true, format: 'chr', value: '' });
      st.ensure(`${b}/Ext/PkgSize`, { permanent: true, format: 'chr', value: '' });
      st.ensure(`${b}/Ext/Progress`, { permanent: true, format: 'int', volatile: true });
    }
  }

  get(call: CspCall, out: ValueSink): number {
    const [x, ...rest] = call.rel;
    if (x === undefined || !this.#instances.includes(x)) return Status.Ok;
    const name = rest.join('/');
    if (name === 'State') {
      out.value(String(this.state(x)), 'int');
      return Status.Ok;
    }
    if (name === 'Ext/Progress') {
      const pr = this.#progress;
      const pct = pr && pr.x === x && pr.total ? Math.min(100, Math.floor((pr.done * 100) / pr.total)) : 0;
      out.value(String(pct), 'int');
      return Status.Ok;
    }
    if (name === 'Update/PkgData') return Status.CommandNotAllowed;
    return Status.Ok;
  }

  replace(call: CspCall, v: ValueIn): number {
    const [x, ...rest] = call.rel;
    if (x === undefined || !this.#instances.includes(x)) return Status.CommandNotAllowed;
    const name = rest.join('/');
    switch (name) {
      case 'PkgName':
      case 'PkgVersion':
        if (v.format !== 'chr') return Status.UnsupportedMediaType;
        return v.bytes.length > 255 ? Status.EntityTooLarge : Status.Ok;
      case 'Download/PkgURL':
      case 'DownloadAndUpdate/PkgURL': {
        if (v.format !== 'chr') return Status.UnsupportedMediaType;
        const t = v.text().trim();
        if (t.length > this.limits.maxUrlLength) return Status.EntityTooLarge;
        if (t !== '' && this.#holdsPkgData(x)) return Status.CommandNotAllowed;
        return Status.Ok;
      }
      case 'Ext/PkgSHA256': {
        if (v.format !== 'chr') return Status.UnsupportedMediaType;
        const t = v.text().trim();
        return t === '' || /^[0-9a-fA-F]{64}$/.test(t) ? Status.Ok : Status.BadRequest;
      }
      case 'Ext/PkgSize': {
        if (v.format !== 'chr' && v.format !== 'int') return Status.UnsupportedMediaType;
        const t = v.text().trim();
        return t === '' || /^[0-9]{1,15}$/.test(t) ? Status.Ok : Status.BadRequest;
      }
      case 'Update/PkgData': {
        // A package small enough for one message: the same path as a large object, then the tree
        // keeps no value (the bytes are on flash).
        if (call.inAtomic) return Status.CommandNotAllowed;
        const sink = this.#pkgDataSink(x, { op: 'Replace', size: v.bytes.length, format: v.format, type: v.type });
        if (typeof sink === 'number') return sink;
        const w = sink.write(v.bytes);
        if (w !== Status.Ok) return w;
        const st = sink.end();
        v.bytes = new Uint8Array(0);
        v.format = 'bin';
        return st;
      }
      default:
        return Status.CommandNotAllowed;
    }
  }

  beginWrite(call: CspCall, info: WriteInfo): WriteSink | number {
    const [x, ...rest] = call.rel;
    if (x === undefined || !this.#instances.includes(x) || rest.join('/') !== 'Update/PkgData' || info.op !== 'Replace') return Status.CommandNotAllowed;
    return this.#pkgDataSink(x, info);
  }

  exec(call: CspCall, _data: ValueIn | null, correlator: string | null): number {
    const [x, node, ...more] = call.rel;
    if (x === undefined || !this.#instances.includes(x) || node === undefined || more.length > 0) return Status.CommandNotAllowed;
    const op = EXEC_NODES[node];
    if (op === undefined) return Status.CommandNotAllowed;
    if (correlator !== null && correlator.length > this.limits.maxCorrelatorLength) return Status.BadRequest;
    if (this.#sinkOpen || this.#rebooting) return Status.CommandNotAllowed;
    const r = this.#rec;
    // Another instance owns the slot while it is busy or holds a package.
    if (r.x !== '' && r.x !== x && (FumoMachine.isBusy(r.state) || r.state === FumoState.ReadyToUpdate || r.state === FumoState.UpdateFailedHaveData)) {
      return Status.CommandNotAllowed;
    }
    const cur = this.state(x);
    const next = FumoMachine.next(cur, EXEC_EVENT[op]!, op);
    if (next === null) return Status.CommandNotAllowed;
    if (op !== FumoOp.Update && this.#holdsPkgData(x)) return Status.CommandNotAllowed;
    try {
      this.#flushUnqueued();
      if (op === FumoOp.Update) return this.#execUpdate(call.serverId, correlator);
      return this.#execDownload(x, op, call.store, call.serverId, correlator);
    } catch (e) {
      if (!(e instanceof SaveFailed)) throw e;
      return Status.DataStoreFailure;
    }
  }

  // ============================================================================ Exec

  #execDownload(x: string, op: FumoOp, store: NodeStore, serverId: string, correlator: string | null): number {
    const base = `${this.root}/${x}`;
    const url = (store.readText(`${base}/${OP_NODE[op]}/PkgURL`) ?? '').trim();
    const extHash = (store.readText(`${base}/Ext/PkgSHA256`) ?? '').trim();
    const extSize = (store.readText(`${base}/Ext/PkgSize`) ?? '').trim();
    const from = this.state(x);
    const r: FumoRecord = {
      ...idleRecord(), x, state: from, op, src: PkgSource.Url, serial: this.#rec.serial + 1, serverId, correlator, url,
      expectedSize: extSize === '' ? -1 : parseInt(extSize, 10), expectedHash: extHash === '' ? null : fromHex(extHash),
      slot: this.boot.inactive, ...pendingReport(this.#rec),
    };
    this.#sidecarTried = false;
    this.#dlCause = undefined;
    const bad = url === '' || parseUrl(url) === null;
    this.#start(r, EXEC_EVENT[op]!); // → 30
    if (bad) {
      // Nothing to download: the operation ends now; its 1226 goes out in this session.
      this.#end(FumoEvent.Failure, FumoResult.BadUrl, false);
      return Status.BadRequest;
    }
    this.#later(() => this.#download(false));
    return Status.Accepted;
  }

  #execUpdate(serverId: string, correlator: string | null): number {
    const r = this.#rec;
    this.#start({
      ...r, op: FumoOp.Update, serial: r.serial + 1, serverId, correlator, step: 0, bootGen: 0, result: 0, reported: false,
      resumes: 0, transitions: 0,
    }, FumoEvent.ExecUpdate); // → 60
    this.#later(() => this.#update());
    return Status.Accepted;
  }

  /** Makes `next` the record through `event`'s transition; when that commit fails the previous
   *  record stays in force, in memory too (SaveFailed propagates). */
  #start(next: FumoRecord, event: FumoEvent): void {
    const prev = this.#rec;
    this.#rec = next;
    try {
      this.#transition(event);
    } catch (e) {
      this.#rec = prev;
      throw e;
    }
  }

  /** True when instance `x` holds a package that arrived as PkgData. */
  #holdsPkgData(x: string): boolean {
    const r = this.#rec;
    return r.x === x && r.src === PkgSource.PkgData && (r.state === FumoState.ReadyToUpdate || r.state === FumoState.UpdateFailedHaveData);
  }

  // ============================================================================ PkgData

  #pkgDataSink(x: string, info: WriteInfo): WriteSink | number {
    if (this.#sinkOpen || this.#rebooting) return Status.CommandNotAllowed;
    const r = this.#rec;
    if (FumoMachine.isBusy(r.state)) return Status.CommandNotAllowed;
    if (r.x !== '' && r.x !== x && (r.state === FumoState.ReadyToUpdate || r.state === FumoState.UpdateFailedHaveData)) return Status.CommandNotAllowed;
    if (FumoMachine.next(this.state(x), FumoEvent.PkgData, FumoOp.None) === null) return Status.CommandNotAllowed;
    const store = this.#host.tree.store;
    for (const n of ['Download', 'DownloadAndUpdate']) {
      if ((store.readText(`${this.root}/${x}/${n}/PkgURL`) ?? '').trim() !== '') return Status.CommandNotAllowed;
    }
    const slot = this.boot.inactive;
    const layout = this.#o.slots[slot]!;
    if (info.size !== null && info.size > layout.size) return Status.DeviceFull;
    try {
      this.#flushUnqueued();
      if (r.x === x && r.state === FumoState.ReadyToUpdate) this.#transition(FumoEvent.Aborted); // the held package is overwritten now
    } catch (e) {
      if (e instanceof SaveFailed) return Status.DataStoreFailure;
      throw e;
    }
    const writer = new SlotWriter(this.#o.flash, layout, this.#wbuf);
    writer.begin(0);
    const sha = new Sha256();
    this.#sinkOpen = true;
    let open = true;
    const close = (): void => {
      open = false;
      this.#sinkOpen = false;
    };
    return {
      write: (chunk: Uint8Array): number => {
        if (!open) return Status.CommandFailed;
        try {
          if (!writer.write(chunk)) { close(); return Status.DeviceFull; }
        } catch (e) {
          if (!(e instanceof PlatformError)) throw e;
          close();
          this.#p.log('error', 'fumo: flash write failed during PkgData', { code: e.code });
          return Status.DataStoreFailure;
        }
        sha.update(chunk);
        return Status.Ok;
      },
      end: (): number => {
        if (!open) return Status.CommandFailed;
        close();
        try {
          writer.finish();
        } catch (e) {
          if (!(e instanceof PlatformError)) throw e;
          return Status.DataStoreFailure;
        }
        const from = this.state(x);
        const prev = this.#rec;
        const fresh: FumoRecord = {
          ...idleRecord(), x, state: from, op: FumoOp.None, src: PkgSource.PkgData, serial: prev.serial,
          length: writer.position, written: writer.position, expectedSize: writer.position, pkgHash: sha.digest(), slot,
          ...pendingReport(prev),
        };
        try {
          this.#start(fresh, FumoEvent.PkgData); // → 50
        } catch (e) {
          if (!(e instanceof SaveFailed)) throw e;
          return Status.DataStoreFailure;
        }
        return Status.Ok;
      },
      abort: (): void => {
        close();
      },
    };
  }

  // ============================================================================ download

  /** Starts (resume=false) or resumes the download of the record's URL into its slot. */
  #download(resume: boolean): void {
    const r = this.#rec;
    if (r.slot !== this.boot.inactive) {
      // The slots changed under us (should not happen): never write the running slot.
      this.#end(FumoEvent.Failure, FumoResult.UndefinedError, true);
      return;
    }
    const layout = this.#o.slots[r.slot]!;
    const writer = new SlotWriter(this.#o.flash, layout, this.#wbuf);
    writer.onDurable = (d) => {
      this.#rec.written = d;
      this.#save();
    };
    this.#writer = writer;
    this.#sha = new Sha256();
    const e = this.#o.flash.eraseSize;
    const complete = r.expectedSize > 0 && r.written === r.expectedSize;
    const held = resume && r.written > 0 && r.written <= layout.size && (r.written % e === 0 || complete) ? r.written : 0;
    if (held === 0) {
      writer.begin(0);
      this.#fetch();
      return;
    }
    // Re-hash what is on flash (bounded steps), then continue from there with a Range request
    // (or, when everything was written before the cut, go straight to the checks).
    if (held % e === 0) writer.begin(held);
    else this.#writer = null;
    this.#readSteps(r.slot, held, 'rehash', (c) => this.#sha!.update(c), () => {
      if (this.#writer) this.#fetch();
      else this.#downloaded(held);
    }, (err) => this.#flashFailed(err, FumoResult.DownloadOutOfMemory, 'flash'));
  }

  /** Issues the request(s): sidecar hash first when configured, then the package from the writer's position. */
  #fetch(): void {
    const r = this.#rec;
    if (this.#o.sidecar === true && r.expectedHash === null && !this.#sidecarTried && !r.fromDd) {
      this.#sidecarTried = true;
      this.#dl().fetchSmall(`${r.url}.sha256`, (s) => {
        if (s.result === FumoResult.Successful) {
          const m = /^\s*([0-9a-fA-F]{64})(\s|$)/.exec(utf8Decode(s.body));
          if (m) {
            this.#rec.expectedHash = fromHex(m[1]!);
            this.#save();
          }
        }
        this.#fetch();
      });
      return;
    }
    const writer = this.#writer!;
    this.#setProgress('download', writer.position, r.expectedSize >= 0 ? r.expectedSize : null);
    if (r.expectedSize >= 0 && writer.position === r.expectedSize && writer.position > 0) {
      this.#downloaded(writer.position);
      return;
    }
    this.#dl().get(r.url, { from: writer.position, expectedSize: r.expectedSize >= 0 ? r.expectedSize : null, allowDescriptor: !r.fromDd && writer.position === 0 }, {
      start: (from, total) => {
        try {
          return this.#started(from, total);
        } catch (e) {
          if (e instanceof SaveFailed) return FumoResult.UndefinedError;
          throw e;
        }
      },
      data: (chunk) => {
        const w = this.#writer!;
        try {
          if (!w.write(chunk)) return FumoResult.DownloadOutOfMemory;
        } catch (e) {
          if (e instanceof SaveFailed) return FumoResult.UndefinedError;
          if (!(e instanceof PlatformError)) throw e;
          this.#p.log('error', 'fumo: flash write failed during download', { code: e.code });
          this.#dlCause = 'flash';
          return FumoResult.DownloadOutOfMemory;
        }
        this.#sha!.update(chunk);
        this.#setProgress('download', w.position, this.#rec.expectedSize >= 0 ? this.#rec.expectedSize : null);
        return 0;
      },
    }, (o) => this.#guard(() => this.#downloadDone(o)));
  }

  /** The response body starts at `from` (see DownloadTarget.start). */
  #started(from: number, total: number | null): number {
    const w = this.#writer!;
    if (total !== null && total > w.capacity) return FumoResult.DownloadOutOfMemory;
    if (from !== w.position) {
      if (from !== 0) return FumoResult.UndefinedError;
      // The server restarted from 0 (200 to a Range request): so do we.
      w.begin(0);
      this.#sha = new Sha256();
      if (this.#rec.written !== 0) {
        this.#rec.written = 0;
        this.#save();
      }
    }
    if (total !== null && this.#rec.expectedSize !== total) {
      this.#rec.expectedSize = total;
      this.#save();
    }
    this.#setProgress('download', w.position, total);
    return 0;
  }

  #downloadDone(o: DownloadOutcome): void {
    if (o.descriptor) {
      this.#descriptor(o.descriptor.url, o.descriptor.body);
      return;
    }
    if (o.result !== FumoResult.Successful) {
      this.#p.log('warn', 'fumo download failed', { result: o.result, detail: o.detail });
      this.#end(FumoEvent.Failure, o.result, true, this.#dlCause);
      return;
    }
    this.#downloaded(o.total);
  }

  /** A download descriptor arrived: take the object's URL, size and hash from it and download that. */
  #descriptor(ddUrl: string, body: Uint8Array): void {
    let dd;
    try {
      dd = parseDownloadDescriptor(body);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      this.#p.log('warn', 'fumo: bad download descriptor', { code: e.code });
      this.#end(FumoEvent.Failure, FumoResult.PackageNotAcceptable, true);
      return;
    }
    const base = parseUrl(ddUrl);
    const resolved = base ? resolveUrl(base, dd.objectUri) : parseUrl(dd.objectUri);
    const obj = resolved ? formatUrl(resolved) : dd.objectUri;
    const r = this.#rec;
    const notify = this.#notifyUri(base, dd.installNotifyUri);
    if (notify !== '') {
      // One pending report per instance: this operation's report replaces an undelivered older one.
      if (r.reportCode !== 0) this.#p.log('warn', 'fumo: an undelivered DLOTA report is replaced', { code: r.reportCode });
      this.#dlInst?.cancelPost();
      this.#posting = null;
      r.reportUri = notify;
      r.reportCode = 0;
      this.#save(); // the URI is durable before the download can end
    }
    if (dd.ddVersion !== '' && !/^1(\.[0-9]+)?$/.test(dd.ddVersion)) {
      this.#p.log('warn', 'fumo: unsupported DDVersion', { ddVersion: dd.ddVersion.slice(0, 16) });
      this.#end(FumoEvent.Failure, FumoResult.PackageNotAcceptable, true, 'dd-version');
      return;
    }
    if (dd.size !== null && r.expectedSize >= 0 && dd.size !== r.expectedSize) { this.#end(FumoEvent.Failure, FumoResult.CorruptedPackage, true); return; }
    if (dd.sha256 && r.expectedHash && !bytesEqual(dd.sha256, r.expectedHash)) { this.#end(FumoEvent.Failure, FumoResult.CorruptedPackage, true); return; }
    if (obj.length > this.limits.maxUrlLength || !parseUrl(obj)) { this.#end(FumoEvent.Failure, FumoResult.BadUrl, true); return; }
    r.url = obj;
    r.fromDd = true;
    if (dd.size !== null) r.expectedSize = dd.size;
    if (dd.sha256) r.expectedHash = dd.sha256;
    this.#save();
    this.#fetch();
  }

  /** All bytes are in: flush the tail, check size and hash, then 30 → 40 → next. */
  #downloaded(total: number): void {
    const w = this.#writer;
    try {
      w?.finish();
    } catch (e) {
      if (!(e instanceof PlatformError)) throw e;
      this.#flashFailed(e, FumoResult.DownloadOutOfMemory, 'flash');
      return;
    }
    const r = this.#rec;
    const digest = this.#sha!.digest();
    this.#writer = null;
    this.#sha = null;
    if ((r.expectedSize >= 0 && total !== r.expectedSize) || (w !== null && total !== w.position)) { this.#end(FumoEvent.Failure, FumoResult.CorruptedPackage, true); return; }
    if (r.expectedHash && !bytesEqual(digest, r.expectedHash)) {
      this.#p.log('warn', 'fumo: package SHA-256 mismatch');
      this.#end(FumoEvent.Failure, FumoResult.CorruptedPackage, true, 'hash');
      return;
    }
    r.length = total;
    r.written = total;
    r.pkgHash = digest;
    this.#progress = null;
    this.#setReport(FumoResult.Successful); // 900, durable with the 30 → 40 commit
    this.#transition(FumoEvent.Success); // 30 → 40
    this.#afterDownload();
  }

  /** From 40: Download ends in 50 (and reports 200); DownloadAndUpdate goes on to the update once
   *  the first attempt of a pending DLOTA report is over (delivered or not: it is retried anyway). */
  #afterDownload(): void {
    if (this.#rec.op === FumoOp.Download) {
      this.#rec.result = FumoResult.Successful;
      this.#transition(FumoEvent.Success); // 40 → 50
      this.#report(true);
      this.#notify();
      return;
    }
    this.#rec.step = 0;
    this.#transition(FumoEvent.Success); // 40 → 60
    this.#notify(() => this.#later(() => this.#update()));
  }

  // ============================================================================ update

  /** Step 0 of 60: read the package back from the slot (one block per step), check its hash and the
   *  image, then flip the boot flag and reboot. */
  #update(): void {
    const r = this.#rec;
    if (r.slot !== this.boot.inactive || r.length <= 0) {
      this.#end(FumoEvent.Failure, FumoResult.UndefinedError, true);
      return;
    }
    const sha = new Sha256();
    const check = (this.#o.imageCheck ?? ((n: number) => omadmImageCheck(n)))(r.length);
    this.#readSteps(r.slot, r.length, 'verify', (c) => { sha.update(c); check.update(c); }, () => {
      const rr = this.#rec;
      if (rr.pkgHash && !bytesEqual(sha.digest(), rr.pkgHash)) {
        this.#p.log('warn', 'fumo: the package in the slot changed since it was verified');
        this.#end(FumoEvent.Failure, FumoResult.CorruptedPackage, true);
        return;
      }
      const verdict = check.finish();
      if (verdict !== FumoResult.Successful) {
        this.#end(FumoEvent.Failure, verdict, true);
        return;
      }
      if (check.header) rr.pkgVersion = check.header.version;
      // Intent first (step 1 + the generation markPending will produce), then the flip: a cut in
      // between leaves a record whose generation the boot record does not have → redo step 0.
      rr.step = 1;
      rr.bootGen = this.boot.state.gen + 1;
      this.#save();
      try {
        this.boot.markPending(rr.slot);
      } catch (e) {
        if (!(e instanceof PlatformError)) throw e;
        // The flag did not flip (the boot record keeps its previous content): the package stays usable.
        this.#p.log('error', 'fumo: boot record write failed', { code: e.code });
        this.#end(FumoEvent.Aborted, FumoResult.UpdateFailed, true);
        return;
      }
      this.#requestReboot('update');
    }, (err) => this.#flashFailed(err, FumoResult.UpdateFailed));
  }

  /** State 60 after a restart: what did the bootloader do? */
  #resolveBoot(): void {
    const r = this.#rec;
    const bs = this.boot.state;
    const flipped = r.step === 1 && r.bootGen !== 0 && bs.gen === r.bootGen;
    if (!flipped) {
      if (r.step === 0 || bs.gen === r.bootGen - 1) {
        // The flag never flipped (the intent was saved, the flip was not): verify again and flip.
        r.step = 0;
        r.bootGen = 0;
        this.#save();
        this.#later(() => this.#update());
        return;
      }
      // A generation we did not write: fail safe.
      this.boot.cancelPending();
      this.#end(FumoEvent.Failure, FumoResult.UpdateFailed, true);
      return;
    }
    if (this.boot.rolledBack(r.bootGen)) {
      this.#end(FumoEvent.Failure, FumoResult.UpdateFailed, true); // the bootloader gave up on the new slot
      return;
    }
    if (bs.pending === r.slot && bs.booted === r.slot) {
      // Running the new image on trial: commit it when healthy, else go back to the old one.
      const healthy = this.#o.healthy ? this.#o.healthy() : true;
      if (!healthy) {
        this.boot.cancelPending();
        this.#end(FumoEvent.Failure, FumoResult.UpdateFailed, true);
        this.#requestReboot('unhealthy');
        return;
      }
      this.boot.confirmBoot();
      this.#end(FumoEvent.Success, FumoResult.Successful, true);
      return;
    }
    if (bs.pending === -1 && bs.active === r.slot) {
      this.#end(FumoEvent.NothingToDo, FumoResult.Successful, true); // committed before the cut
      return;
    }
    if (bs.pending === r.slot) {
      this.#requestReboot('update'); // flipped, but the bootloader has not started it yet
      return;
    }
    // The flip vanished without a rollback mark (cancelled before a cut): the old slot runs.
    this.#end(FumoEvent.Failure, FumoResult.UpdateFailed, true);
  }

  #requestReboot(why: string): void {
    this.#rebooting = true;
    this.#clearTimer();
    this.#p.log('info', 'fumo: reboot requested', { why, slot: this.#rec.slot });
    this.#o.reboot();
  }

  // ============================================================================ resume

  #resume(): void {
    if (this.loadState === 'corrupt' && this.#rec.x === '') {
      // Nothing readable: no operation can be reported. Drop an unconfirmed flip, start Idle.
      if (this.boot.state.pending >= 0) this.boot.cancelPending();
      this.#rec = idleRecord();
      this.#save();
    }
    const r = this.#rec;
    if (r.x !== '' && !this.#instances.includes(r.x)) {
      this.#p.log('warn', 'fumo record names an unknown instance', { x: r.x });
    }
    this.#flushUnqueued();
    const action = FumoMachine.resume(r.state);
    this.#p.log('info', 'fumo resume', { x: r.x, state: stateName(r.state), action: ResumeAction[action] });
    if (action !== ResumeAction.FinishDownload) this.#notify(); // a DLOTA report still pending (FinishDownload sends it itself)
    switch (action) {
      case ResumeAction.None:
        return;
      case ResumeAction.Report:
      case ResumeAction.Hold:
        if (r.result !== 0) this.#report(true);
        return;
      case ResumeAction.ResumeDownload:
        if (this.#countResume()) this.#download(true);
        return;
      case ResumeAction.FinishDownload:
        if (this.#countResume()) this.#afterDownload();
        return;
      case ResumeAction.ResolveBoot:
        if (this.#countResume()) this.#resolveBoot();
        return;
      case ResumeAction.FailSafe:
      default:
        this.#failSafe();
    }
  }

  /** Counts a restart during the operation; false when the cap forced LoopDetected. */
  #countResume(): boolean {
    const r = this.#rec;
    r.resumes++;
    if (r.resumes > this.limits.maxResumes) {
      this.#p.log('error', 'fumo: restart loop detected', { resumes: r.resumes, state: stateName(r.state) });
      if (r.state === FumoState.UpdateProgressing) this.boot.cancelPending();
      this.#end(FumoEvent.LoopDetected, FumoResult.ClientError, true);
      return false;
    }
    this.#save();
    return true;
  }

  /** An unknown state value: the table has no row from it. Cancel an unconfirmed flip, end in 80. */
  #failSafe(): void {
    const r = this.#rec;
    const bs = this.boot.state;
    const onTrial = bs.pending >= 0 && bs.booted === bs.pending;
    if (bs.pending >= 0) this.boot.cancelPending();
    const from = r.state;
    r.state = FumoState.UpdateFailedNoData;
    r.result = FumoResult.UndefinedError;
    r.reported = false;
    this.#save();
    this.#o.onState?.(r.x, from, r.state, r.result);
    if (r.x !== '' && r.op !== FumoOp.None) this.#report(true);
    if (onTrial) this.#requestReboot('fail-safe');
  }

  // ============================================================================ ending, reporting

  /** Ends the operation: the event's transition with `result`, the alert queued, a session asked for.
   *  Ending a download (State 30) with a DLOTA installNotifyURI also makes its status report pending
   *  (`cause` refines the code, see dlota.ts) in the same commit, and starts sending it. */
  #end(event: FumoEvent, result: number, askSession: boolean, cause?: DlotaCause): void {
    this.#dlInst?.cancel();
    this.#clearTimer();
    this.#writer = null;
    this.#sha = null;
    this.#progress = null;
    this.#rec.result = result;
    this.#rec.reported = false;
    if (this.#rec.state === FumoState.DownloadProgressing) this.#setReport(result, cause);
    if (!this.#transition(event)) return;
    this.#report(askSession);
    this.#notify();
  }

  // ============================================================================ DLOTA status report

  /** The report URI of a descriptor's installNotifyURI: resolved against the descriptor's URL;
   *  '' (logged, no report) when absent, unusable or longer than `maxNotifyUriLength`. */
  #notifyUri(base: ReturnType<typeof parseUrl>, raw: string): string {
    if (raw === '') return '';
    // another scheme (ftp:, mailto:…) is not a relative reference (resolveUrl would treat it as one)
    const foreign = /^[A-Za-z][A-Za-z0-9+.-]*:/.test(raw) && !/^https?:\/\//i.test(raw);
    const resolved = foreign ? null : base ? resolveUrl(base, raw) : parseUrl(raw);
    const uri = resolved ? formatUrl(resolved) : '';
    if (uri === '' || raw.length > this.limits.maxNotifyUriLength || uri.length > this.limits.maxNotifyUriLength || !usableRequestUrl(uri)) {
      this.#p.log('warn', 'fumo: installNotifyURI unusable or too long; no DLOTA report', { length: raw.length, head: raw.slice(0, 40) });
      return '';
    }
    return uri;
  }

  /** The download ended with `result`: the record's report gets its code (saved by the caller's
   *  transition). Only for this operation's URI whose report has no code yet. */
  #setReport(result: number, cause?: DlotaCause): void {
    const r = this.#rec;
    if (r.reportUri !== '' && r.reportCode === 0) r.reportCode = dlotaStatusFor(result, cause);
  }

  /**
   * Sends the pending DLOTA report (if any, and not in flight yet) through the downloader's post
   * channel; on a 2xx the record forgets it (one commit). Undelivered after the retry budget → it
   * stays pending until the next start (or the next report). `after` runs once when the first
   * attempt is over, or at once when nothing is to be sent (or the report is in flight already).
   */
  #notify(after?: () => void): void {
    const r = this.#rec;
    let first = after;
    const once = (): void => {
      const f = first;
      first = undefined;
      f?.();
    };
    if (this.#closed || this.#rebooting || r.reportCode === 0 || r.reportUri === '') {
      once();
      return;
    }
    const job = { uri: r.reportUri, code: r.reportCode };
    if (this.#posting && this.#posting.uri === job.uri && this.#posting.code === job.code) {
      once();
      return;
    }
    this.#posting = job;
    const text = dlotaReportText(job.code as Parameters<typeof dlotaReportText>[0]);
    this.#p.log('info', 'fumo: sending the DLOTA status report', { report: text });
    this.#dl().post(job.uri, DLOTA_REPORT_TYPE, utf8Encode(text), (o) => this.#guard(() => {
      if (this.#posting === job) this.#posting = null;
      if (!o.delivered) {
        this.#p.log('warn', 'fumo: DLOTA report not delivered; kept for the next start', { status: o.status, attempts: o.attempts, detail: o.detail });
        return;
      }
      const cur = this.#rec;
      if (cur.reportUri === job.uri && cur.reportCode === job.code) {
        cur.reportUri = '';
        cur.reportCode = 0;
        this.#save();
      }
      this.#p.log('info', 'fumo: DLOTA report delivered', { report: text, attempts: o.attempts });
    }), () => { if (first && !this.#closed && !this.#rebooting) this.#guard(once); });
  }

  /** Queues the result alert when not yet queued; asks for a session while it is pending. */
  #report(askSession: boolean): void {
    const r = this.#rec;
    if (r.result === 0 || r.op === FumoOp.None) return;
    if (!r.reported) {
      if (!this.#host.alerts.add(this.#alert())) {
        this.#p.log('error', 'fumo: alert queue full; result kept for a later attempt', { x: r.x, result: r.result });
        this.#scheduleReport();
        return;
      }
      r.reported = true;
      this.#save();
    }
    if (askSession) this.#askSession();
    else this.#scheduleReport();
  }

  #alertId(): string {
    return `fumo:${this.#rec.x}:${this.#rec.serial}`;
  }

  #alert(): PendingAlert {
    const r = this.#rec;
    const a: Parameters<typeof resultAlert>[0] = { id: this.#alertId(), objectPath: `${this.root}/${r.x}`, op: r.op, result: r.result };
    if (r.correlator !== null) a.correlator = r.correlator;
    if (this.#o.alertSource !== undefined) a.source = this.#o.alertSource;
    return resultAlert(a);
  }

  /** The result alert of the record is still in the queue (not acknowledged). */
  #pending(): boolean {
    const id = this.#alertId();
    return this.#host.alerts.pending().some((a) => a.id === id);
  }

  /** A result computed but not queued (a cut between the two commits): queue it now. */
  #flushUnqueued(): void {
    const r = this.#rec;
    if (r.result !== 0 && !r.reported && r.op !== FumoOp.None && r.x !== '') {
      if (this.#host.alerts.add(this.#alert())) {
        r.reported = true;
        this.#save();
      } else {
        this.#p.log('error', 'fumo: alert queue full; a result is still unqueued', { x: r.x, serial: r.serial, result: r.result });
      }
    }
  }

  #askSession(): void {
    if (this.#closed || this.#rebooting) return;
    if (!this.#pending()) return;
    if (this.#reportAttempts >= this.limits.maxReportAttempts) return;
    this.#reportAttempts++;
    const sid = this.#rec.serverId;
    const o: { serverId?: string; initiator: 'client' } = { initiator: 'client' };
    if (sid !== '') o.serverId = sid;
    this.#p.log('info', 'fumo: requesting a session for the result alert', { id: this.#alertId(), attempt: this.#reportAttempts });
    this.#host.runSession(o).then(() => this.#scheduleReport(), () => this.#scheduleReport());
  }

  /** If the alert is still pending later, ask for another session (back-off). */
  #scheduleReport(): void {
    if (this.#closed || this.#reportTimer !== null) return;
    if (this.#rec.reported && !this.#pending()) return;
    const n = Math.max(0, this.#reportAttempts - 1);
    const ms = Math.min(this.limits.maxReportRetryMs, this.limits.reportRetryMs * 2 ** n);
    this.#reportTimer = this.#p.setTimer(ms, () => {
      this.#reportTimer = null;
      if (!this.#rec.reported) this.#report(true);
      else if (this.#pending()) this.#askSession();
    });
  }

  // ============================================================================ machinery

  /** Applies `event` (the table's row) and saves. False (and logs) when the table has no row. */
  #transition(event: FumoEvent): boolean {
    const r = this.#rec;
    const from = r.state as FumoState;
    let ev = event;
    if (ev !== FumoEvent.LoopDetected && r.transitions + 1 > this.limits.maxTransitions) ev = FumoEvent.LoopDetected;
    const to = FumoMachine.next(from, ev, r.op);
    if (to === null) {
      this.#p.log('error', 'fumo: no transition', { from: stateName(from), event: FumoEvent[ev], op: FumoOp[r.op] });
      return false;
    }
    r.state = to;
    r.transitions++;
    if (ev === FumoEvent.LoopDetected && r.result === 0) r.result = FumoResult.ClientError;
    this.#save();
    this.#p.log('info', 'fumo state', { x: r.x, from: stateName(from), to: stateName(to), event: FumoEvent[ev] });
    this.#o.onState?.(r.x, from, to, r.result);
    return true;
  }

  #save(): void {
    try {
      this.#store.save(this.#rec);
    } catch (e) {
      if (!(e instanceof PlatformError)) throw e;
      this.#p.log('error', 'fumo: record save failed; stopping until restart', { code: e.code });
      this.#dlInst?.cancel();
      this.#clearTimer();
      throw new SaveFailed(e.message);
    }
  }

  /** Runs `f`, absorbing a SaveFailed (already logged) or a storage failure of the boot record:
   *  the engine stops, the durable state is resumed at the next start. */
  #guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (e instanceof SaveFailed) return;
      if (!(e instanceof PlatformError)) throw e;
      this.#p.log('error', 'fumo: storage failure; stopping until restart', { code: e.code });
      this.#dlInst?.cancel();
      this.#clearTimer();
    }
  }

  #later(f: () => void, ms = this.limits.stepDelayMs): void {
    this.#clearTimer();
    this.#timer = this.#p.setTimer(ms, () => {
      this.#timer = null;
      if (!this.#closed && !this.#rebooting) this.#guard(f);
    });
  }

  #clearTimer(): void {
    if (this.#timer !== null) {
      this.#p.clearTimer(this.#timer);
      this.#timer = null;
    }
  }

  /** Reads `[0, length)` of a slot one erase block per step. */
  #readSteps(slot: number, length: number, phase: FumoProgress['phase'], onChunk: (c: Uint8Array) => void, done: () => void, fail: (e: PlatformError) => void): void {
    const layout = this.#o.slots[slot]!;
    let at = 0;
    const step = (): void => {
      try {
        const n = Math.min(this.#rbuf.length, length - at);
        if (n > 0) {
          const b = this.#rbuf.subarray(0, n);
          readSlot(this.#o.flash, layout, at, b);
          onChunk(b);
          at += n;
          this.#setProgress(phase, at, length);
        }
      } catch (e) {
        if (!(e instanceof PlatformError)) throw e;
        fail(e);
        return;
      }
      if (at >= length) done();
      else this.#later(step);
    };
    this.#setProgress(phase, 0, length);
    this.#later(step);
  }

  #flashFailed(e: PlatformError, result: number, cause?: DlotaCause): void {
    this.#p.log('error', 'fumo: flash failure', { code: e.code, message: e.message });
    this.#end(FumoEvent.Failure, result, true, cause);
  }

  #setProgress(phase: FumoProgress['phase'], done: number, total: number | null): void {
    const p: FumoProgress = { x: this.#rec.x, phase, done, total };
    this.#progress = p;
    this.#o.onProgress?.(p);
  }
}


