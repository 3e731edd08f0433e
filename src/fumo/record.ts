/**
 * The persisted FUMO record (`fumo.rec`): the one durable description of the operation in progress
 * or last finished. Kept in a power-fail-safe RecordStore (two slots, sequence number, CRC-32), so
 * a power cut during any save leaves the previous or the new record, never a mix.
 *
 * Payload: a deterministic CBOR map with short keys (frozen: on flash). History: v1 = initial;
 * the optional keys `nr`/`nc` (DLOTA status report) were added later WITHOUT a version bump, on
 * purpose: an older reader ignores unknown keys, so firmware rolled back to an older build still
 * reads the record (and the operation's 1226) instead of failing safe; a record without them (an
 * older writer's) loads as "no report".
 *
 * | key | type | field |
 * |-----|------|-------|
 * | v   | uint | record version (1) |
 * | x   | text | FUMO instance name `<x>` of the operation ('' = none yet) |
 * | st  | uint | FUMO State value (Machine.ts `FumoState`) |
 * | op  | uint | operation: 0 none, 1 Download, 2 Update, 3 DownloadAndUpdate |
 * | src | uint | package source: 0 none, 1 alternate download (PkgURL), 2 DM large object (PkgData) |
 * | ser | uint | operation serial, +1 per new operation (alert id `fumo:<x>:<ser>`) |
 * | sid | text | ServerID that started the operation (the result goes to it) |
 * | cor | text | the Exec's Correlator (absent: the Exec had none) |
 * | url | text | URL of the package (after a download descriptor was resolved) |
 * | dd  | bool | `url` came from a download descriptor |
 * | sz  | int  | expected package size in bytes, -1 unknown |
 * | h   | bytes| expected SHA-256 (32 bytes), absent unknown |
 * | wr  | uint | bytes written to the slot, synced and checkpointed: the resume offset |
 * | len | uint | package length once complete (0 before) |
 * | ph  | bytes| SHA-256 of the complete package as written (absent before) |
 * | slot| uint | target slot (0 = A, 1 = B) |
 * | stp | uint | update step: 0 verifying the image, 1 boot flag flipped and reboot requested |
 * | gen | uint | boot-control generation returned by markPending (0 none) |
 * | res | uint | result code of the ended operation (0 = not ended) |
 * | rep | bool | the result alert is in the alert queue |
 * | rs  | uint | restarts during this operation (cap → LoopDetected) |
 * | tr  | uint | state transitions during this operation (cap → LoopDetected) |
 * | pv  | text | version string of the image (from its header), '' unknown |
 * | nr  | text | optional: DLOTA installNotifyURI of the report (absent: none) |
 * | nc  | uint | optional: DLOTA status code pending for `nr`; 0 or absent while the download runs |
 */
import { DecodeError } from '../errors';
import type { Storage } from '../platform';
import { RecordStore } from '../store/RecordStore';
import type { CborMap, CborValue } from '../store/cbor';
import { cborDecode, cborEncode } from '../store/cbor';
import { isDlotaStatus } from './dlota';
import { FumoOp, FumoState } from './Machine';

/** Record format version (the `v` key). History: 1 = initial. */
export const FUMO_RECORD_VERSION = 1;
/** Default record name in platform storage. */
export const FUMO_RECORD_NAME = 'fumo.rec';
/** Payload bound of the record store (the record is a few hundred bytes; URLs are capped). */
export const FUMO_RECORD_MAX_PAYLOAD = 8192;

/** Package source (persisted; frozen values). */
export enum PkgSource {
  None = 0,
  Url = 1,
  PkgData = 2,
}

/** The decoded record (see the module comment for the field meanings). */
export interface FumoRecord {
  x: string;
  state: number;
  op: FumoOp;
  src: PkgSource;
  serial: number;
  serverId: string;
  correlator: string | null;
  url: string;
  fromDd: boolean;
  expectedSize: number;
  expectedHash: Uint8Array | null;
  written: number;
  length: number;
  pkgHash: Uint8Array | null;
  slot: number;
  step: number;
  bootGen: number;
  result: number;
  reported: boolean;
  resumes: number;
  transitions: number;
  pkgVersion: string;
  /** DLOTA installNotifyURI ('' none): of this operation's descriptor while `reportCode` is 0,
   *  else where the pending report goes. */
  reportUri: string;
  /** DLOTA status code waiting for delivery to `reportUri` (0: none pending / download running). */
  reportCode: number;
}

/** A fresh record: Idle, nothing pending. */
export function idleRecord(): FumoRecord {
  return {
    x: '', state: FumoState.Idle, op: FumoOp.None, src: PkgSource.None, serial: 0, serverId: '', correlator: null, url: '',
    fromDd: false, expectedSize: -1, expectedHash: null, written: 0, length: 0, pkgHash: null, slot: 0, step: 0, bootGen: 0,
    result: 0, reported: false, resumes: 0, transitions: 0, pkgVersion: '', reportUri: '', reportCode: 0,
  };
}

/** Encodes a record (deterministic CBOR). */
export function encodeFumoRecord(r: FumoRecord): Uint8Array {
  const m: CborMap = {
    v: FUMO_RECORD_VERSION, x: r.x, st: r.state, op: r.op, src: r.src, ser: r.serial, sid: r.serverId, url: r.url, dd: r.fromDd,
    sz: r.expectedSize, wr: r.written, len: r.length, slot: r.slot, stp: r.step, gen: r.bootGen, res: r.result,
    rep: r.reported, rs: r.resumes, tr: r.transitions, pv: r.pkgVersion,
  };
  if (r.correlator !== null) m.cor = r.correlator;
  if (r.expectedHash) m.h = r.expectedHash;
  if (r.pkgHash) m.ph = r.pkgHash;
  if (r.reportUri !== '') {
    m.nr = r.reportUri;
    if (r.reportCode !== 0) m.nc = r.reportCode;
  }
  return cborEncode(m);
}

function bad(field: string): DecodeError {
  return new DecodeError('fumo-record', `fumo record: bad or missing field "${field}"`, 0, -1, field);
}

/**
 * Decodes a record payload. DecodeError for anything that is not a v1 record with well-typed
 * fields (the caller fails safe). The State value is NOT checked against the known states here:
 * an unknown state is a resume decision (Machine's resume table), not a decoding error.
 */
export function decodeFumoRecord(payload: Uint8Array): FumoRecord {
  const v: CborValue = cborDecode(payload, { maxDepth: 4 });
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) throw bad('(root)');
  const m = v as CborMap;
  if (m.v !== FUMO_RECORD_VERSION) throw new DecodeError('fumo-record-version', `fumo record: unsupported version ${String(m.v)}`, 0, -1, 'v');
  const uint = (k: string): number => {
    const x = m[k];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) throw bad(k);
    return x;
  };
  const int = (k: string): number => {
    const x = m[k];
    if (typeof x !== 'number' || !Number.isInteger(x)) throw bad(k);
    return x;
  };
  const text = (k: string): string => {
    const x = m[k];
    if (typeof x !== 'string') throw bad(k);
    return x;
  };
  const bool = (k: string): boolean => {
    const x = m[k];
    if (typeof x !== 'boolean') throw bad(k);
    return x;
  };
  const hash = (k: string): Uint8Array | null => {
    const x = m[k];
    if (x === undefined) return null;
    if (!(x instanceof Uint8Array) || x.length !== 32) throw bad(k);
    return x.slice();
  };
  const op = uint('op');
  if (op > FumoOp.DownloadAndUpdate) throw bad('op');
  const src = uint('src');
  if (src > PkgSource.PkgData) throw bad('src');
  const slot = uint('slot');
  if (slot > 1) throw bad('slot');
  const cor = m.cor;
  if (cor !== undefined && typeof cor !== 'string') throw bad('cor');
  const nr = m.nr;
  if (nr !== undefined && (typeof nr !== 'string' || nr === '')) throw bad('nr');
  const nc = m.nc;
  if (nc !== undefined && (nr === undefined || typeof nc !== 'number' || !isDlotaStatus(nc))) throw bad('nc');
  return {
    x: text('x'), state: uint('st'), op, src, serial: uint('ser'), serverId: text('sid'), correlator: cor === undefined ? null : cor,
    url: text('url'), fromDd: bool('dd'), expectedSize: int('sz'), expectedHash: hash('h'), written: uint('wr'), length: uint('len'),
    pkgHash: hash('ph'), slot, step: uint('stp'), bootGen: uint('gen'), result: uint('res'), reported: bool('rep'),
    resumes: uint('rs'), transitions: uint('tr'), pkgVersion: text('pv'),
    reportUri: nr ?? '', reportCode: nc ?? 0,
  };
}

/** How the record was found at load. */
export type FumoRecordLoad = 'fresh' | 'loaded' | 'corrupt';

/**
 * The record on storage: `load()` once at start, `save(r)` for every change (one RecordStore
 * commit each: payload, header, sync). `saves` counts commits since construction (diagnostics).
 */
export class FumoRecordStore {
  readonly #rs: RecordStore;
  /** Commits since construction. */
  saves = 0;

  constructor(storage: Storage, name: string = FUMO_RECORD_NAME) {
    this.#rs = new RecordStore(storage, name, { maxPayload: FUMO_RECORD_MAX_PAYLOAD });
  }

  /** The persisted record, or a fresh Idle one; `how` says which (corrupt = a valid slot with an
   *  undecodable payload, e.g. a future version: the caller fails safe). */
  load(): { record: FumoRecord; how: FumoRecordLoad; error?: DecodeError } {
    const p = this.#rs.load();
    if (!p) return { record: idleRecord(), how: 'fresh' };
    try {
      return { record: decodeFumoRecord(p), how: 'loaded' };
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      return { record: idleRecord(), how: 'corrupt', error: e };
    }
  }

  /** Durably replaces the record (throws PlatformError on storage failure; the old one stays). */
  save(r: FumoRecord): void {
    this.#rs.commit(encodeFumoRecord(r));
    this.saves++;
  }
}
