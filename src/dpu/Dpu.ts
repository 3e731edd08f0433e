/**
 * The DM command processor (DPU): takes the SyncBody commands of one received message for one
 * server principal, runs them against the tree (which checks ACLs and routes to the CSPs), and
 * emits the Status/Results/Alert records of the reply in wire order.
 *
 * Decisions (facts §2):
 * - Every command gets a Status (unless NoResp), including unknown and malformed ones: missing
 *   CmdID → 400 with an empty CmdRef; decoder-flagged commands → their `errorStatus`; DS-only
 *   commands (Map, Put, Search, Sync, Move) → 406; command-level Cred → 400 (flagged by the decoder).
 * - Multi-item commands get **one Status per Item**, each with that item's TargetRef (and
 *   SourceRef for Copy), as the AOSP engine does: items can fail independently and a single status
 *   could not say which one did. A Get's Results follow its Status, one Results per item.
 * - Atomic: children run like a Sequence; the first failure stops it (later children 215), the
 *   tree journal is rolled back, successful children become 216 (516 when their CSP's rollback
 *   failed), the Atomic 507. The Atomic's status is emitted first, then its children's. Get or
 *   Exec inside Atomic → 500 (not allowed there per facts §2.1); nested Atomic → 500, outer 507
 *   (as Windows does); a large-object chunk inside a container → 400. A successful Atomic is
 *   persisted once, at its end (`tree.commitAtomic()`).
 * - Sequence: 200 once started (emitted first); a user "No" on 1101 or a cancel skips the rest
 *   (215). Sequence/Atomic nested in a Sequence → 500 (parents are SyncBody per facts §2.1,
 *   except Sequence inside Atomic, which the DTD allows).
 * - UI alerts 1100–1104 go to the host as `UiRequest`s yielded by `run`; without `platform.ui`
 *   → 406; fewer than 2 Items (3 for 1103/1104) → 412. Cancel → 214 and 215 for every command
 *   left in the message; "No" on 1101 → 304 (top level: no effect). Timeouts are the host's job
 *   (MAXDT is passed on) → 408. Client-only alerts (1200/1201/1224/1226) → 405, others → 406.
 * - Large objects (facts §2.5): each non-final chunk → 213; Meta Size on the first chunk (an
 *   object announced beyond `maxObjSize` → 413 before anything is buffered); chunks stream into
 *   the tree's sink (a CSP sink or a spool blob); size mismatch at the end → 424 and nothing is
 *   committed; any other command before the last chunk → Alert 1225 naming the broken object, and
 *   the partial object is dropped. A chunk whose Format is b64 is decoded as it streams; sizes are
 *   counted on the transported (b64) bytes, as Meta Size is.
 * - TNDS (Meta Type application/vnd.syncml.dmtnds+xml/+wbxml) in Add/Replace: the subtree is
 *   decoded and applied all-or-nothing with one status (src/bootstrap/tnds.ts); `?list=TNDS` → 406.
 *   A TNDS object sent as a large object (MoreData) is refused with 415.
 * - Binary values (Format bin) in Results: OPAQUE bytes in WBXML; Base64 text with Format b64
 *   when the reply is XML (`ctx.encoding`).
 */
import type { Command, DmVersion, Encoding, Item, Meta, OutAlert, OutItem, OutResults, OutStatus } from '../codec/model';
import { b64decode, b64encode, Base64Decoder, b64DecodedMaxLength } from '../crypto/base64';
import type { ValueIn, WriteSink } from '../csp/Csp';
import { valueIn } from '../csp/Csp';
import { tndsCommand } from '../bootstrap/tnds';
import { DecodeError } from '../errors';
import { DEFAULT_MAX_OBJ_SIZE } from '../limits';
import type { Platform, UiAnswer, UiRequest } from '../platform';
import { AlertCode, isSuccess, Status } from '../status';
import type { Format } from '../tree/format';
import { DEFAULT_TYPE, isFormat } from '../tree/format';
import type { ResultItem, Tree } from '../tree/Tree';
import { utf8Decode } from '../util/utf8';
import { parseUiParams, UI_KINDS, uiOutcome, uiRequest } from './ui';

/** Who sent the message and how we answer. */
export interface DpuContext {
  /** Server principal (the account's ServerID) the ACLs are checked for. */
  serverId: string;
  /** MsgID of the received message (MsgRef of every Status/Results). */
  msgId: string;
  /** Protocol of the session: `?list=` and Correlator exist in 1.2 only. */
  version: DmVersion;
  /** Encoding of the reply; decides how binary values are sent. Default 'wbxml'. */
  encoding?: Encoding;
}

/** Bounds of the DPU. */
export interface DpuLimits {
  /** Largest large object accepted (bytes as announced in Meta Size). Default DEFAULT_MAX_OBJ_SIZE. */
  maxObjSize: number;
}

/** Options of the DPU. */
export interface DpuOptions {
  platform: Platform;
  limits?: Partial<DpuLimits>;
}

/** What one `run` did. */
export interface DpuSummary {
  /** Commands processed (nested ones included; skipped 215 ones not). */
  executed: number;
  /** A large object is still open: the session must ask for the next message (Alert 1222). */
  pendingChunk: boolean;
  /** The user cancelled a UI alert: the rest of the message got 215 and the package stops. */
  cancelled: boolean;
}

/** Records the DPU emits. */
export type DpuRecord = OutStatus | OutResults | OutAlert;

/** A large object being received across messages. */
interface LargeObject {
  cmd: 'Add' | 'Replace';
  target: string;
  source?: string;
  /** Declared size (transported bytes), null when not announced. */
  declared: number | null;
  /** Transported bytes received so far. */
  received: number;
  sink: WriteSink;
  /** Streaming Base64 decoder when the Format is b64. */
  b64: Base64Decoder | null;
}

/** Where we are while running (per `run`). */
interface RunState {
  ctx: DpuContext;
  emit: (r: DpuRecord, meta?: EmitMeta) => void;
  cancelled: boolean;
  executed: number;
}

/** Extra facts about an emitted status, used by Atomic to rewrite it on rollback. */
interface EmitMeta {
  /** The status is a success of something the rollback undoes. */
  undoable: boolean;
  csp?: string;
}

/** Position of a command. */
interface Where {
  atomic: boolean;
  sequence: boolean;
  top: boolean;
}

/** Result of processing one command. */
interface CmdOutcome {
  /** Every status it produced was 2xx (Atomic keeps going). */
  ok: boolean;
  /** A 304 "No" on a confirm alert (Sequence skips the rest, Atomic fails). */
  rejected: boolean;
}

const OK: CmdOutcome = { ok: true, rejected: false };
const FAIL: CmdOutcome = { ok: false, rejected: false };
const DS_ONLY = new Set(['Map', 'Put', 'Search', 'Sync', 'Move']);
const ITEM_COMMANDS = new Set(['Add', 'Replace', 'Delete', 'Copy', 'Exec', 'Get']);

/** TNDS subtree values (application/vnd.syncml.dmtnds+xml|+wbxml). */
function isTnds(m: Meta): boolean {
  return m.type !== undefined && m.type.trim().toLowerCase().startsWith('application/vnd.syncml.dmtnds');
}
const CLIENT_ONLY_ALERTS = new Set([AlertCode.ServerInitiated, AlertCode.ClientInitiated, AlertCode.ClientEvent, AlertCode.GenericAlert]);

export class Dpu {
  /** The bounds in force. */
  readonly limits: DpuLimits;
  readonly #tree: Tree;
  readonly #platform: Platform;
  /** The large object spanning messages, if any. */
  #lo: LargeObject | null = null;

  constructor(tree: Tree, opts: DpuOptions) {
    if (!opts || !opts.platform) throw new TypeError('opts.platform: required');
    const max = opts.limits?.maxObjSize ?? DEFAULT_MAX_OBJ_SIZE;
    if (!Number.isInteger(max) || max <= 0) throw new RangeError(`limits.maxObjSize: must be a positive integer, got ${max}`);
    this.#tree = tree;
    this.#platform = opts.platform;
    this.limits = { maxObjSize: max };
  }

  /** True while a large object awaits more chunks. */
  get pendingObject(): boolean {
    return this.#lo !== null;
  }

  /** Drops a partial large object without telling the server (session ended or aborted). */
  abortObject(): void {
    if (this.#lo) { this.#lo.sink.abort(); this.#lo = null; }
  }

  /**
   * Runs the commands in order; yields a UiRequest whenever a UI alert needs the user and is
   * resumed with the UiAnswer; emits Status/Results/Alert records through `out` in wire order
   * (Status of a Get before its Results). Returns a summary.
   */
  *run(cmds: readonly Command[], ctx: DpuContext, out: (r: DpuRecord) => void): Generator<UiRequest, DpuSummary, UiAnswer> {
    if (typeof ctx.serverId !== 'string' || ctx.serverId === '') throw new TypeError('ctx.serverId: must be a non-empty string');
    const st: RunState = { ctx, emit: (r) => out(r), cancelled: false, executed: 0 };
    for (const c of cmds) {
      if (st.cancelled) { this.#skip(c, st); continue; }
      yield* this.#command(c, st, { atomic: false, sequence: false, top: true });
    }
    return { executed: st.executed, pendingChunk: this.#lo !== null, cancelled: st.cancelled };
  }

  // ------------------------------------------------------------------------------------------

  *#command(c: Command, st: RunState, where: Where): Generator<UiRequest, CmdOutcome, UiAnswer> {
    if (this.#lo && !this.#continues(c, where)) this.#interrupt(st);
    if (c.errorStatus !== undefined || c.error !== undefined || c.cmdId === null) {
      st.executed++;
      this.#status(st, c, c.errorStatus ?? Status.BadRequest);
      if (c.children) for (const ch of c.children) this.#skip(ch, st);
      return FAIL;
    }
    st.executed++;
    switch (c.name) {
      case 'Add': case 'Replace': case 'Delete': case 'Copy': case 'Exec': case 'Get':
        if (where.atomic && (c.name === 'Get' || c.name === 'Exec')) { this.#status(st, c, Status.CommandFailed); return FAIL; }
        return this.#items(c, st, where);
      case 'Alert':
        return yield* this.#alert(c, st);
      case 'Atomic':
        if (where.atomic || where.sequence) {
          this.#status(st, c, Status.CommandFailed);
          for (const ch of c.children ?? []) this.#skip(ch, st);
          return FAIL;
        }
        return yield* this.#atomic(c, st);
      case 'Sequence':
        if (where.sequence) {
          this.#status(st, c, Status.CommandFailed);
          for (const ch of c.children ?? []) this.#skip(ch, st);
          return FAIL;
        }
        return yield* this.#sequence(c, st, where);
      case 'Status': case 'Results':
        // The session filters these at top level (no Status is ever sent for them there);
        // inside a container they are misplaced.
        if (where.top) { st.executed--; return OK; }
        this.#status(st, c, Status.BadRequest);
        return FAIL;
      default:
        this.#status(st, c, DS_ONLY.has(c.name) ? Status.OptionalFeatureNotSupported : Status.BadRequest);
        return FAIL;
    }
  }

  /** 215 for a command (and its children) that will not run: one per Item for item commands. */
  #skip(c: Command, st: RunState): void {
    if (c.name === 'Status' || c.name === 'Results') return;
    if (ITEM_COMMANDS.has(c.name) && c.items.length > 0 && c.cmdId !== null) {
      for (const it of c.items) {
        this.#status(st, c, Status.NotExecuted, {
          targetRefs: it.target !== undefined ? [it.target] : [],
          sourceRefs: c.name === 'Copy' && it.source !== undefined ? [it.source] : [],
        });
      }
    } else this.#status(st, c, Status.NotExecuted);
    if (c.children) for (const ch of c.children) this.#skip(ch, st);
  }

  #status(st: RunState, c: Command, code: number, extra: Partial<Pick<OutStatus, 'targetRefs' | 'sourceRefs' | 'items'>> = {}, meta?: EmitMeta): void {
    if (c.noResp) return;
    const rec: OutStatus = { kind: 'Status', msgRef: st.ctx.msgId, cmdRef: c.cmdId ?? '', cmd: c.name === 'Unknown' ? c.element : c.name, code };
    if (extra.targetRefs && extra.targetRefs.length > 0) rec.targetRefs = extra.targetRefs;
    if (extra.sourceRefs && extra.sourceRefs.length > 0) rec.sourceRefs = extra.sourceRefs;
    if (extra.items && extra.items.length > 0) rec.items = extra.items;
    st.emit(rec, meta);
  }

  // ------------------------------------------------------------------------------------------
  // Item commands

  #items(c: Command, st: RunState, where: Where): CmdOutcome {
    const { serverId } = st.ctx;
    let ok = true;
    c.items.forEach((item, idx) => {
      const refs = item.target !== undefined ? [item.target] : [];
      const srcRefs = c.name === 'Copy' && item.source !== undefined ? [item.source] : [];
      const done = (code: number, meta?: EmitMeta, items?: OutItem[]): void => {
        if (!isSuccess(code)) ok = false;
        this.#status(st, c, code, { targetRefs: refs, sourceRefs: srcRefs, ...(items ? { items } : {}) }, meta);
      };
      // A new item while an object is open (the chunked item must be the last of its command).
      if (this.#lo && !(idx === 0 && this.#continues(c, where))) this.#interrupt(st);
      if (item.target === undefined || item.target === '') { done(Status.IncompleteCommand); return; }
      if (c.name === 'Add' || c.name === 'Replace') {
        if (this.#lo || item.moreData) {
          if (!where.top) { done(Status.BadRequest); return; }
          if (item.moreData && idx !== c.items.length - 1) { done(Status.BadRequest); return; }
          done(this.#chunk(c, item, st));
          return;
        }
        const m = this.#meta(c, item);
        if (isTnds(m)) {
          const t = tndsCommand(this.#tree, serverId, c.name, item.target, m.type!, item.data ? item.data.bytes : new Uint8Array(0));
          done(t.status, { undoable: isSuccess(t.status) }, t.failedUri !== undefined && !isSuccess(t.status) ? [{ target: t.failedUri }] : undefined);
          return;
        }
        const v = this.#value(c, item);
        if (typeof v === 'number') { done(v); return; }
        const r = c.name === 'Add' ? this.#tree.add(serverId, item.target, v) : this.#tree.replace(serverId, item.target, v);
        done(r.status, { undoable: isSuccess(r.status), ...(r.csp ? { csp: r.csp } : {}) }, r.failedUri !== undefined ? [{ target: r.failedUri }] : undefined);
        return;
      }
      if (c.name === 'Delete') {
        const r = this.#tree.delete(serverId, item.target);
        done(r.status, { undoable: isSuccess(r.status), ...(r.csp ? { csp: r.csp } : {}) });
        return;
      }
      if (c.name === 'Copy') {
        if (item.source === undefined || item.source === '') { done(Status.IncompleteCommand); return; }
        const r = this.#tree.copy(serverId, item.target, item.source);
        done(r.status, { undoable: isSuccess(r.status), ...(r.csp ? { csp: r.csp } : {}) });
        return;
      }
      if (c.name === 'Exec') {
        let data: ValueIn | null = null;
        if (item.data) {
          const v = this.#value(c, item);
          if (typeof v === 'number') { done(v); return; }
          data = v;
        }
        const corr = st.ctx.version === '1.2' ? c.correlator ?? null : null;
        done(this.#tree.exec(serverId, item.target, data, corr).status);
        return;
      }
      // Get
      const r = this.#tree.get(serverId, item.target, { allowList: st.ctx.version === '1.2' });
      done(r.status);
      if (isSuccess(r.status)) {
        const res: OutResults = { kind: 'Results', msgRef: st.ctx.msgId, cmdRef: c.cmdId ?? '', items: r.items.map((it) => this.#resultItem(it, st.ctx)) };
        st.emit(res);
      }
    });
    return ok ? OK : FAIL;
  }

  /** Effective Meta of an item (item-level overrides command-level, field by field). */
  #meta(c: Command, item: Item): Meta {
    return { ...(c.meta ?? {}), ...(item.meta ?? {}) };
  }

  /** Builds the value of an Add/Replace/Exec item; a status when it cannot be used. */
  #value(c: Command, item: Item): ValueIn | number {
    const m = this.#meta(c, item);
    if (isTnds(m)) return Status.UnsupportedMediaType;
    let format: Format | undefined;
    if (m.format !== undefined) {
      const f = m.format.trim();
      if (!isFormat(f)) return Status.UnsupportedMediaType;
      format = f;
    }
    let bytes = item.data ? item.data.bytes : new Uint8Array(0);
    if (format === 'b64') {
      try {
        bytes = b64decode(item.data ? item.data.text() : '');
      } catch (e) {
        if (e instanceof DecodeError) return Status.BadRequest;
        throw e;
      }
      format = 'bin';
    }
    const v = valueIn(bytes, format, m.type?.trim() ?? '');
    v.declared = m.format !== undefined || m.type !== undefined;
    return v;
  }

  #resultItem(it: ResultItem, ctx: DpuContext): OutItem {
    const out: OutItem = { source: it.uri };
    const meta: Meta = {};
    let format = it.format;
    let data: string | Uint8Array | undefined;
    if (it.data) {
      if (format === 'bin' || format === 'b64') {
        if (ctx.encoding === 'xml') { data = b64encode(it.data); format = 'b64'; }
        else data = it.data;
      } else data = utf8Decode(it.data);
    }
    if (format !== 'chr') meta.format = format;
    if (it.type !== '' && it.type !== DEFAULT_TYPE) meta.type = it.type;
    if (meta.format !== undefined || meta.type !== undefined) out.meta = meta;
    if (data !== undefined) out.data = data;
    return out;
  }

  // ------------------------------------------------------------------------------------------
  // Large objects

  /** True when `c` is the continuation of the open large object. */
  #continues(c: Command, where: Where): boolean {
    const lo = this.#lo;
    if (!lo || !where.top || c.name !== lo.cmd || c.errorStatus !== undefined || c.cmdId === null) return false;
    const first = c.items[0];
    return first !== undefined && first.target === lo.target;
  }

  /** Alert 1225 for the broken object, which is dropped. */
  #interrupt(st: RunState): void {
    const lo = this.#lo!;
    this.#lo = null;
    lo.sink.abort();
    const item: OutItem = { target: lo.target };
    if (lo.source !== undefined) item.source = lo.source;
    st.emit({ kind: 'Alert', code: AlertCode.NoEndOfData, items: [item] });
  }

  /** Handles one chunk (first, middle or last); returns the item's status. */
  #chunk(c: Command, item: Item, st: RunState): number {
    const data = item.data ? item.data.bytes : new Uint8Array(0);
    let lo = this.#lo;
    if (!lo) {
      const m = this.#meta(c, item);
      const f = m.format?.trim();
      if ((f !== undefined && !isFormat(f)) || isTnds(m)) return Status.UnsupportedMediaType;
      if (f === 'node') return Status.BadRequest;
      const size = m.size ?? null;
      if (size !== null && size > this.limits.maxObjSize) return Status.EntityTooLarge;
      const b64 = f === 'b64';
      const r = this.#tree.beginWrite(st.ctx.serverId, item.target!, {
        op: c.name as 'Add' | 'Replace', size: size !== null && b64 ? b64DecodedMaxLength(size) : size,
        format: b64 ? 'bin' : ((f ?? 'chr') as Format), type: m.type?.trim() ?? '',
      });
      if (!isSuccess(r.status) || !r.sink) return r.status;
      lo = { cmd: c.name as 'Add' | 'Replace', target: item.target!, declared: size, received: 0, sink: r.sink, b64: b64 ? new Base64Decoder() : null };
      if (item.source !== undefined) lo.source = item.source;
      this.#lo = lo;
    }
    const fail = (code: number): number => { this.#lo = null; lo!.sink.abort(); return code; };
    lo.received += data.length;
    if (lo.declared !== null && lo.received > lo.declared) return fail(Status.SizeMismatch);
    if (lo.received > this.limits.maxObjSize) return fail(Status.EntityTooLarge);
    let chunk = data;
    if (lo.b64) {
      const buf = new Uint8Array(b64DecodedMaxLength(data.length) + 2);
      try {
        chunk = buf.subarray(0, lo.b64.push(data, buf, 0));
        if (!item.moreData) {
          const tail = new Uint8Array(2);
          const n = lo.b64.end(tail, 0);
          if (n > 0) {
            const st2 = lo.sink.write(chunk);
            if (!isSuccess(st2)) return fail(st2);
            chunk = tail.subarray(0, n);
          }
        }
      } catch (e) {
        if (e instanceof DecodeError) return fail(Status.BadRequest);
        throw e;
      }
    }
    if (chunk.length > 0) {
      const w = lo.sink.write(chunk);
      if (!isSuccess(w)) return fail(w);
    }
    if (item.moreData) return Status.ChunkAccepted;
    this.#lo = null;
    if (lo.declared !== null && lo.received !== lo.declared) { lo.sink.abort(); return Status.SizeMismatch; }
    return lo.sink.end();
  }

  // ------------------------------------------------------------------------------------------
  // Alerts

  *#alert(c: Command, st: RunState): Generator<UiRequest, CmdOutcome, UiAnswer> {
    const text = c.data ? c.data.text().trim() : '';
    const code = /^[0-9]{4}$/.test(text) ? Number(text) : NaN;
    if (Number.isNaN(code)) { this.#status(st, c, Status.IncompleteCommand); return FAIL; }
    if (code === AlertCode.NextMessage || code === AlertCode.SessionAbort) {
      // Session-level alerts are the session's; one that reaches us inside a container is acknowledged.
      this.#status(st, c, Status.Ok);
      return OK;
    }
    if (CLIENT_ONLY_ALERTS.has(code) || code === AlertCode.NoEndOfData) { this.#status(st, c, Status.CommandNotAllowed); return FAIL; }
    if (UI_KINDS[code] === undefined) { this.#status(st, c, Status.OptionalFeatureNotSupported); return FAIL; }
    if (!this.#platform.ui) { this.#status(st, c, Status.OptionalFeatureNotSupported); return FAIL; }
    const need = code === 1103 || code === 1104 ? 3 : 2;
    if (c.items.length < need) { this.#status(st, c, Status.IncompleteCommand); return FAIL; }
    const params = parseUiParams(c.items[0]!.data?.text() ?? '');
    const req = uiRequest(code, params, c.items[1]!.data?.text() ?? '', c.items.slice(2).map((i) => i.data?.text() ?? ''));
    const ans: UiAnswer = yield req;
    const res = uiOutcome(code, req, ans ?? { outcome: 'timeout' });
    this.#status(st, c, res.code, res.items ? { items: res.items } : {});
    if (res.code === Status.Cancelled) st.cancelled = true;
    return { ok: isSuccess(res.code), rejected: res.code === Status.NotModified };
  }

  // ------------------------------------------------------------------------------------------
  // Containers

  *#atomic(c: Command, st: RunState): Generator<UiRequest, CmdOutcome, UiAnswer> {
    const outer = st.emit;
    const buffered: { rec: DpuRecord; meta: EmitMeta | undefined }[] = [];
    st.emit = (rec, meta) => { buffered.push({ rec, meta }); };
    const tree = this.#tree;
    tree.beginAtomic();
    let failed = false;
    try {
      for (const ch of c.children ?? []) {
        if (failed || st.cancelled) { this.#skip(ch, st); continue; }
        const r = yield* this.#command(ch, st, { atomic: true, sequence: false, top: false });
        if (!r.ok || r.rejected) failed = true;
      }
    } finally {
      st.emit = outer;
    }
    let rollbackFailed: string[] = [];
    if (failed || st.cancelled) {
      rollbackFailed = tree.rollbackAtomic();
    } else {
      const res = tree.commitAtomic();
      if (!res.ok) { failed = true; rollbackFailed = res.rollbackFailed; }
    }
    if (failed || st.cancelled) {
      for (const b of buffered) {
        if (b.rec.kind === 'Status' && b.meta?.undoable) b.rec.code = b.meta.csp !== undefined && rollbackFailed.includes(b.meta.csp) ? Status.AtomicRollbackFailed : Status.AtomicRollbackOk;
      }
    }
    this.#status(st, c, failed || st.cancelled ? Status.AtomicFailed : Status.Ok);
    for (const b of buffered) outer(b.rec, b.meta);
    return failed || st.cancelled ? FAIL : OK;
  }

  *#sequence(c: Command, st: RunState, where: Where): Generator<UiRequest, CmdOutcome, UiAnswer> {
    this.#status(st, c, Status.Ok, {}, { undoable: where.atomic });
    let ok = true;
    let stop = false;
    for (const ch of c.children ?? []) {
      if (stop || st.cancelled) { this.#skip(ch, st); continue; }
      const r = yield* this.#command(ch, st, { atomic: where.atomic, sequence: true, top: false });
      if (!r.ok) ok = false;
      if (r.rejected) { stop = true; ok = false; }
    }
    return { ok, rejected: false };
  }
}
