/**
 * The management tree — the Configuration Manager of the DM client.
 *
 * It holds every node (interior and leaf) with its properties (ACL, Format, Name, Size, Title,
 * TStamp, Type, VerNo), enforces URI limits and per-server ACLs, routes each command to the CSP
 * owning the path (longest root prefix, see src/csp/Csp.ts), applies the standard effect of a
 * successful handler, journals every change so a failed command or an Atomic can be undone
 * exactly, and persists itself through one power-fail-safe record (`commit()`).
 *
 * Server operations (`get/add/replace/delete/exec/copy/beginWrite`) return DM status codes as
 * values; programmer misuse throws TypeError/RangeError; storage failures in `commit()` throw
 * PlatformError. Nodes outside every CSP (the root, `./Vendor`…) can be read but not changed (405).
 */
import type { Csp, CspCall, EnsureOptions, NodeInfo, NodeStore, ValueIn, ValueSink, WriteInfo, WriteSink } from '../csp/Csp';
import { valueIn } from '../csp/Csp';
import { DecodeError } from '../errors';
import type { Blob, Platform } from '../platform';
import { PlatformError } from '../platform';
import { isSuccess, Status } from '../status';
import { CborReader, CborWriter } from '../store/cbor';
import { RecordStore } from '../store/RecordStore';
import { utf8Decode, utf8Encode, utf8Length } from '../util/utf8';
import type { AclCommand } from './acl';
import { aclGrants, isAclId, parseAcl, ROOT_DEFAULT_ACL, scrubAcl } from './acl';
import type { Format } from './format';
import { DEFAULT_FORMAT, FORMAT_BY_CODE, FORMAT_CODE, tstampText } from './format';
import type { TreeLimits } from './limits';
import { checkTreeLimits } from './limits';
import type { ParsedUri } from './uri';
import { checkSegment, joinPath, parseUri } from './uri';

/** Persisted node flag bits (frozen: on flash). */
const F_PERMANENT = 1;
const F_SECRET = 2;
const F_VOLATILE = 4;

/** Upper bound of a node record's CBOR bytes besides its strings and value (45 measured, see #encode). */
const NODE_OVERHEAD = 48;
/** Upper bound of the record's framing bytes (map, keys, array head, version). */
const RECORD_OVERHEAD = 32;
/** Tree record format version (the `v` key). History: 1 = initial. */
export const TREE_RECORD_VERSION = 1;
/** Name of the spool blob for large objects without a CSP sink. */
const SPOOL_BLOB = 'lo.spool';

/** One node. Interior nodes have `kids`; leaves may have a stored `value`. */
class TNode {
  parent: TNode | null = null;
  kids: Map<string, TNode> | null;
  value: Uint8Array | null = null;
  type = '';
  acl = '';
  title = '';
  tstamp = 0;
  verNo = 0;
  flags = 0;
  constructor(public name: string, interior: boolean, public format: Format) {
    this.kids = interior ? new Map() : null;
  }
}

function nodeBytes(n: TNode): number {
  return NODE_OVERHEAD + utf8Length(n.name) + utf8Length(n.type) + utf8Length(n.acl) + utf8Length(n.title) + (n.value ? n.value.length : 0);
}

/** Outcome of a changing operation. */
export interface OpResult {
  /** DM status of the command item. */
  status: number;
  /** Add: the implicitly created ancestor that failed (for the Status Item/Target). */
  failedUri?: string;
  /** Root of the CSP that handled it (to attribute an Atomic rollback failure). */
  csp?: string;
}

/** One item of a Get result. */
export interface ResultItem {
  /** Source LocURI: the URI as requested for a plain Get, the node path for `?list=` items. */
  uri: string;
  format: Format;
  /** MIME type or MO identifier ('' = default / none). */
  type: string;
  /** Value (UTF-8 text for interior listings and properties); null for `?list=Struct` items. */
  data: Uint8Array | null;
}

/** Outcome of a Get. */
export interface GetResult {
  status: number;
  items: ResultItem[];
}

/** Options of `get`. */
export interface GetOptions {
  /** Allow `?list=` (DM 1.2 sessions only; 1.1.2 → 406). Default true. */
  allowList?: boolean;
}

/** Outcome of `beginWrite`. */
export interface BeginWriteResult {
  status: number;
  sink: WriteSink | null;
}

/** Outcome of `commitAtomic`. */
export interface AtomicCommitResult {
  /** True when the Atomic's changes are kept and persisted. */
  ok: boolean;
  /** The storage failure that forced a rollback. */
  error?: PlatformError;
  /** Roots of CSPs whose rollback hook failed during that rollback. */
  rollbackFailed: string[];
}

/** High-water marks and sizes (principle 6). */
export interface TreeUsage {
  nodes: number;
  maxNodesSeen: number;
  /** Upper bound of the next record payload, bytes. */
  payloadBound: number;
  maxPayloadBoundSeen: number;
  /** Size of the last committed payload (0 before the first commit). */
  lastPayloadBytes: number;
  maxJournalSeen: number;
}

/** Options of the tree. */
export interface TreeOptions {
  limits?: Partial<TreeLimits>;
  /** Record name in platform storage. Default `tree.rec`. */
  recordName?: string;
  /** ACL of a fresh root. Default `Add=*&Get=*`. */
  rootAcl?: string;
}

/** How the persisted state was found at construction. */
export type TreeLoadState = 'fresh' | 'loaded' | 'corrupt';

export class Tree {
  /** The effective bounds. */
  readonly limits: TreeLimits;
  /** Direct (ACL-free, journaled) access for CSPs and host code. */
  readonly store: NodeStore;
  /** What the constructor found in storage. */
  readonly loadState: TreeLoadState;
  readonly #platform: Platform;
  readonly #rs: RecordStore;
  #root: TNode;
  /** CSPs by normalised root path. */
  readonly #csps = new Map<string, Csp>();
  /** Node count and payload-bound bytes of the live tree. */
  #nodes = 0;
  #bytes = 0;
  #hwNodes = 0;
  #hwBytes = 0;
  #hwJournal = 0;
  #lastPayload = 0;
  /** Undo closures, newest last; cleared after each command outside an Atomic. */
  #journal: (() => void)[] = [];
  #atomic = false;
  /** CSPs touched in the open Atomic (their begin hook has run) → their normalised root. */
  readonly #touched = new Map<Csp, string>();
  #dirty = false;

  constructor(platform: Platform, opts: TreeOptions = {}) {
    this.limits = checkTreeLimits(opts.limits);
    this.#platform = platform;
    this.#rs = new RecordStore(platform.storage, opts.recordName ?? 'tree.rec', { maxPayload: this.limits.maxRecordPayload });
    const rootAcl = opts.rootAcl ?? ROOT_DEFAULT_ACL;
    if (!parseAcl(rootAcl) || rootAcl === '') throw new TypeError(`rootAcl: not a valid non-empty ACL: "${rootAcl}"`);
    let state: TreeLoadState = 'fresh';
    let root: TNode | null = null;
    const payload = this.#rs.load();
    if (payload) {
      try {
        root = this.#decode(payload);
        state = 'loaded';
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        platform.log('error', 'tree record unreadable; starting from an empty tree', { code: e.code, offset: e.offset });
        state = 'corrupt';
      }
    }
    if (!root) {
      root = new TNode('.', true, 'node');
      root.acl = rootAcl;
      root.flags = F_PERMANENT;
      this.#dirty = true;
    }
    this.#root = root;
    this.loadState = state;
    const [n, b] = this.#stats(root);
    this.#nodes = n;
    this.#bytes = b;
    this.#hw();
    this.store = this.#makeStore();
  }

  // ----------------------------------------------------------------------------------------
  // CSP registry

  /** Registers a CSP for its root (created as a permanent interior node if missing) and runs its
   *  `init`. TypeError for a bad or duplicate root, or inside an Atomic. */
  addCsp(csp: Csp): void {
    if (this.#atomic) throw new TypeError('addCsp: not allowed while an Atomic is open');
    const p = parseUri(csp.root, this.limits);
    if (typeof p === 'number' || p.prop !== undefined || p.list !== undefined || p.segs.length === 0) throw new TypeError(`csp.root: not a valid non-root node path: "${csp.root}"`);
    if (this.#csps.has(p.path)) throw new TypeError(`csp.root: a CSP is already registered at ${p.path}`);
    const st = this.store.ensure(p.path, csp.rootAcl !== undefined ? { interior: true, permanent: true, acl: csp.rootAcl } : { interior: true, permanent: true });
    if (st === Status.CommandNotAllowed) throw new TypeError(`csp.root: ${p.path} exists as a leaf`);
    if (!isSuccess(st)) throw new RangeError(`csp.root: cannot create ${p.path} (status ${st})`);
    this.#csps.set(p.path, csp);
    this.#journal.length = 0;
    csp.init?.(this.store);
    this.#journal.length = 0;
  }

  /** Unregisters the CSP at `root`; with `purge` its subtree is deleted too (else it stays,
   *  read-only). Returns false when none was registered there. */
  removeCsp(root: string, opts: { purge?: boolean } = {}): boolean {
    if (this.#atomic) throw new TypeError('removeCsp: not allowed while an Atomic is open');
    const p = parseUri(root, this.limits);
    if (typeof p === 'number') return false;
    const csp = this.#csps.get(p.path);
    if (!csp) return false;
    this.#csps.delete(p.path);
    csp.removed?.(this.store);
    if (opts.purge) this.store.remove(p.path);
    this.#journal.length = 0;
    return true;
  }

  /** The CSP registered exactly at `root`, if any. */
  csp(root: string): Csp | undefined {
    const p = parseUri(root, this.limits);
    return typeof p === 'number' ? undefined : this.#csps.get(p.path);
  }

  // ----------------------------------------------------------------------------------------
  // Server operations

  /** Get of a node value, an interior listing, a property (`?prop=`) or a walk (`?list=`). */
  get(serverId: string, uri: string, opts: GetOptions = {}): GetResult {
    checkServer(serverId);
    const p = parseUri(uri, this.limits);
    if (typeof p === 'number') return { status: p, items: [] };
    const node = this.#find(p.segs);
    if (!node) return { status: Status.NotFound, items: [] };
    if (!this.#can(node, 'Get', serverId)) return { status: Status.PermissionDenied, items: [] };
    const asked = uri.trim();
    if (p.prop !== undefined) return this.#getProp(node, p, asked, serverId);
    if (p.list !== undefined) {
      if (opts.allowList === false) return { status: Status.OptionalFeatureNotSupported, items: [] };
      if (p.list !== 'Struct' && p.list !== 'StructData') return { status: Status.OptionalFeatureNotSupported, items: [] };
      return this.#walk(node, p.segs, serverId, p.list === 'StructData');
    }
    if (node.kids) return { status: Status.Ok, items: [{ uri: asked, format: 'node', type: node.type, data: utf8Encode([...node.kids.keys()].join('/')) }] };
    const v = this.#readLeaf(node, p.segs, serverId);
    if (!isSuccess(v.status)) return { status: v.status, items: [] };
    return { status: v.status, items: [{ uri: asked, format: v.format, type: v.type, data: v.bytes }] };
  }

  /** Add of a node (interior when `v.format` is `node`), creating missing interior ancestors. */
  add(serverId: string, uri: string, v: ValueIn): OpResult {
    checkServer(serverId);
    const p = parseUri(uri, this.limits);
    if (typeof p === 'number') return { status: p };
    if (p.prop !== undefined || p.list !== undefined) return { status: Status.CommandNotAllowed };
    return this.#add(serverId, p, v, 'add', '');
  }

  /** Replace of a leaf value, or of a property (`?prop=ACL|Name|Title`). */
  replace(serverId: string, uri: string, v: ValueIn): OpResult {
    checkServer(serverId);
    const p = parseUri(uri, this.limits);
    if (typeof p === 'number') return { status: p };
    if (p.list !== undefined) return { status: Status.CommandNotAllowed };
    if (p.prop !== undefined) return this.#replaceProp(serverId, p, v.text());
    return this.#replace(serverId, p, v, 'replace', '');
  }

  /** Delete of a node and its subtree. */
  delete(serverId: string, uri: string): OpResult {
    checkServer(serverId);
    const p = parseUri(uri, this.limits);
    if (typeof p === 'number') return { status: p };
    if (p.prop !== undefined || p.list !== undefined) return { status: Status.CommandNotAllowed };
    if (p.segs.length === 0) return { status: Status.CommandNotAllowed };
    const node = this.#find(p.segs);
    if (!node) return { status: Status.NotFound };
    if (!this.#can(node, 'Delete', serverId)) return { status: Status.PermissionDenied };
    if (this.#hasPermanent(node)) return { status: Status.CommandNotAllowed };
    const own = this.#owner(p.segs);
    if (!own || !own.csp.delete) return { status: Status.CommandNotAllowed, ...cspOf(own) };
    const del = own.csp.delete.bind(own.csp);
    return this.#op(own, () => {
      const st = this.#invoke('delete', () => del(this.#call(own, p, serverId, false)));
      if (!isSuccess(st)) return st;
      if (node.parent) { this.#touch(node.parent); this.#jRemove(node); }
      return st;
    });
  }

  /** Exec on a node; `data` is the Item Data, `correlator` the command's (1.2). */
  exec(serverId: string, uri: string, data: ValueIn | null, correlator: string | null): OpResult {
    checkServer(serverId);
    const p = parseUri(uri, this.limits);
    if (typeof p === 'number') return { status: p };
    if (p.prop !== undefined || p.list !== undefined) return { status: Status.CommandNotAllowed };
    const node = this.#find(p.segs);
    if (!node) return { status: Status.NotFound };
    if (!this.#can(node, 'Exec', serverId)) return { status: Status.PermissionDenied };
    const own = this.#owner(p.segs);
    if (!own || !own.csp.exec) return { status: Status.CommandNotAllowed, ...cspOf(own) };
    const ex = own.csp.exec.bind(own.csp);
    return this.#op(own, () => this.#invoke('exec', () => ex(this.#call(own, p, serverId, false), data, correlator)));
  }

  /**
   * Copy of a leaf value onto `targetUri` (created like an Add when missing, overwritten like a
   * Replace otherwise). Rights are those of the equivalent Get + Add/Replace (no Copy ACL entry).
   */
  copy(serverId: string, targetUri: string, sourceUri: string): OpResult {
    checkServer(serverId);
    const s = parseUri(sourceUri, this.limits);
    if (typeof s === 'number') return { status: s };
    const t = parseUri(targetUri, this.limits);
    if (typeof t === 'number') return { status: t };
    if (s.prop !== undefined || s.list !== undefined || t.prop !== undefined || t.list !== undefined) return { status: Status.CommandNotAllowed };
    const sn = this.#find(s.segs);
    if (!sn) return { status: Status.NotFound };
    if (!this.#can(sn, 'Get', serverId)) return { status: Status.PermissionDenied };
    if (sn.kids) return { status: Status.CommandNotAllowed };
    const val = this.#readLeaf(sn, s.segs, serverId);
    if (!isSuccess(val.status)) return { status: val.status };
    const v = valueIn(val.bytes.slice(), val.format, val.type);
    return this.#find(t.segs) ? this.#replace(serverId, t, v, 'copy', s.path) : this.#add(serverId, t, v, 'copy', s.path);
  }

  /**
   * Starts a large-object Add/Replace. Checks what the command would be refused for (404/418,
   * 425, 405, 413) before any data is accepted, then returns a sink: the CSP's own (`beginWrite`)
   * or a spool blob for values up to `maxValueSize`, handed to add/replace at `end()`.
   */
  beginWrite(serverId: string, uri: string, info: WriteInfo): BeginWriteResult {
    checkServer(serverId);
    const p = parseUri(uri, this.limits);
    if (typeof p === 'number') return { status: p, sink: null };
    if (p.prop !== undefined || p.list !== undefined) return { status: Status.CommandNotAllowed, sink: null };
    const node = this.#find(p.segs);
    const own = this.#owner(p.segs);
    if (info.op === 'Add') {
      if (node) return { status: Status.AlreadyExists, sink: null };
      const anc = this.#nearest(p.segs);
      if (!anc.node.kids) return { status: Status.CommandNotAllowed, sink: null };
      if (!this.#can(anc.node, 'Add', serverId)) return { status: Status.PermissionDenied, sink: null };
      if (!own || own.depth > anc.depth) return { status: Status.CommandNotAllowed, sink: null };
      if (!own.csp.add && !own.csp.beginWrite) return { status: Status.CommandNotAllowed, sink: null };
    } else {
      if (!node) return { status: Status.NotFound, sink: null };
      if (!this.#can(node, 'Replace', serverId)) return { status: Status.PermissionDenied, sink: null };
      if (node.kids) return { status: Status.CommandNotAllowed, sink: null };
      if (!own || (!own.csp.replace && !own.csp.beginWrite)) return { status: Status.CommandNotAllowed, sink: null };
    }
    if (own.csp.beginWrite) {
      const bw = own.csp.beginWrite.bind(own.csp);
      let inner: WriteSink | number = Status.CommandFailed;
      const st = this.#op(own, () => {
        inner = this.#invokeAny('beginWrite', () => bw(this.#call(own, p, serverId, false), info), Status.CommandFailed);
        return typeof inner === 'number' ? inner : Status.Ok;
      });
      if (typeof inner === 'number' || !isSuccess(st.status)) return { status: typeof inner === 'number' ? inner : st.status, sink: null };
      const sink: WriteSink = inner;
      const v = valueIn(new Uint8Array(0), info.format, info.type);
      return {
        status: Status.Ok,
        sink: {
          write: (c) => this.#invoke('sink.write', () => sink.write(c)),
          end: (): number => {
            const st2 = this.#invoke('sink.end', () => sink.end());
            if (!isSuccess(st2)) return st2;
            const r = info.op === 'Add' ? this.#add(serverId, p, v, 'streamed', '') : this.#replace(serverId, p, v, 'streamed', '');
            return isSuccess(r.status) ? st2 : r.status;
          },
          abort: () => { try { sink.abort(); } catch (e) { this.#platform.log('error', 'csp sink abort threw', { error: String(e) }); } },
        },
      };
    }
    if (info.size !== null && info.size > this.limits.maxValueSize) return { status: Status.EntityTooLarge, sink: null };
    try {
      return { status: Status.Ok, sink: new SpoolSink(this.#platform, this.limits.maxValueSize, (bytes) => {
        const v = valueIn(bytes, info.format, info.type);
        const r = info.op === 'Add' ? this.#add(serverId, p, v, 'add', '') : this.#replace(serverId, p, v, 'replace', '');
        return r.status;
      }) };
    } catch (e) {
      if (!(e instanceof PlatformError)) throw e;
      this.#platform.log('error', 'cannot open the large-object spool blob', { code: e.code });
      return { status: e.code === 'ENOSPC' ? Status.DeviceFull : Status.DataStoreFailure, sink: null };
    }
  }

  // ----------------------------------------------------------------------------------------
  // Atomic

  /** True while an Atomic is open. */
  get inAtomic(): boolean {
    return this.#atomic;
  }

  /** Opens an Atomic: changes stay journaled until `commitAtomic` / `rollbackAtomic`. */
  beginAtomic(): void {
    if (this.#atomic) throw new TypeError('beginAtomic: an Atomic is already open (nesting is not allowed)');
    this.#atomic = true;
    this.#journal.length = 0;
    this.#touched.clear();
  }

  /**
   * Closes the Atomic keeping its changes and persists the tree once (the Atomic is durable as a
   * unit before anything after it runs). If persisting fails, every change of the Atomic is undone
   * and the touched CSPs' rollback hooks run: the result then carries the PlatformError.
   * On success the touched CSPs' commit hooks run.
   */
  commitAtomic(): AtomicCommitResult {
    if (!this.#atomic) throw new TypeError('commitAtomic: no Atomic is open');
    this.#atomic = false;
    try {
      this.commit();
    } catch (e) {
      if (!(e instanceof PlatformError)) throw e;
      this.#atomic = true;
      const rollbackFailed = this.rollbackAtomic();
      this.#platform.log('error', 'Atomic rolled back: the tree could not be persisted', { code: e.code });
      return { ok: false, error: e, rollbackFailed };
    }
    this.#journal.length = 0;
    for (const c of this.#touched.keys()) this.#invokeAny('commit', () => { c.commit?.(); return Status.Ok; }, Status.Ok);
    this.#touched.clear();
    return { ok: true, rollbackFailed: [] };
  }

  /** Undoes every change of the open Atomic and runs the touched CSPs' rollback hooks. Returns
   *  the roots of CSPs whose rollback hook failed (their children report 516 instead of 216). */
  rollbackAtomic(): string[] {
    if (!this.#atomic) throw new TypeError('rollbackAtomic: no Atomic is open');
    this.#undoTo(0);
    this.#atomic = false;
    const failed: string[] = [];
    for (const [c, root] of this.#touched) {
      if (!c.rollback) continue;
      const rb = c.rollback.bind(c);
      const st = this.#invoke('rollback', () => rb());
      if (!isSuccess(st)) failed.push(root);
    }
    this.#touched.clear();
    return failed;
  }

  // ----------------------------------------------------------------------------------------
  // Persistence

  /** True when the live tree differs from the last committed record. */
  get dirty(): boolean {
    return this.#dirty;
  }

  /** Persists the tree when it changed (one record write + sync). Inside an Atomic it is
   *  deferred to the Atomic's end (`commitAtomic` persists). Throws PlatformError on storage failure (the previous record
   *  stays valid and the tree stays dirty). */
  commit(): void {
    if (this.#atomic) return; // commitAtomic persists
    if (!this.#dirty) return;
    const payload = this.#encode();
    this.#rs.commit(payload);
    this.#lastPayload = payload.length;
    this.#dirty = false;
  }

  /** Sizes and high-water marks. */
  usage(): TreeUsage {
    return {
      nodes: this.#nodes, maxNodesSeen: this.#hwNodes, payloadBound: RECORD_OVERHEAD + this.#bytes,
      maxPayloadBoundSeen: RECORD_OVERHEAD + this.#hwBytes, lastPayloadBytes: this.#lastPayload, maxJournalSeen: this.#hwJournal,
    };
  }

  // ----------------------------------------------------------------------------------------
  // Internals: lookup, ACL, routing

  #find(segs: readonly string[]): TNode | null {
    let n: TNode = this.#root;
    for (const s of segs) {
      const k = n.kids?.get(s);
      if (!k) return null;
      n = k;
    }
    return n;
  }

  /** Nearest existing node on the path (and its depth). */
  #nearest(segs: readonly string[]): { node: TNode; depth: number } {
    let n: TNode = this.#root;
    let d = 0;
    for (const s of segs) {
      const k = n.kids?.get(s);
      if (!k) break;
      n = k;
      d++;
    }
    return { node: n, depth: d };
  }

  #pathOf(n: TNode): string {
    const segs: string[] = [];
    for (let x: TNode | null = n; x && x.parent; x = x.parent) segs.push(x.name);
    return joinPath(segs.reverse());
  }

  #can(n: TNode, cmd: AclCommand, serverId: string): boolean {
    for (let x: TNode | null = n; x; x = x.parent) if (x.acl) return aclGrants(x.acl, cmd, serverId);
    return aclGrants(ROOT_DEFAULT_ACL, cmd, serverId);
  }

  #owner(segs: readonly string[]): Owner | null {
    if (this.#csps.size === 0) return null;
    for (let i = segs.length; i >= 1; i--) {
      const root = joinPath(segs.slice(0, i));
      const c = this.#csps.get(root);
      if (c) return { csp: c, depth: i, root };
    }
    return null;
  }

  #call(own: Owner, p: { segs: string[]; path: string }, serverId: string, implicit: boolean): CspCall {
    return { path: p.path, rel: p.segs.slice(own.depth), serverId, store: this.store, inAtomic: this.#atomic, implicit };
  }

  /** Runs a handler; a throw or a non-integer result becomes 500 (logged). */
  #invoke(what: string, f: () => number): number {
    return this.#invokeAny(what, f, Status.CommandFailed) as number;
  }

  #invokeAny<T>(what: string, f: () => T, onError: T): T {
    try {
      const r = f();
      if (typeof r === 'number' && (!Number.isInteger(r) || r < 100 || r > 599)) {
        this.#platform.log('error', 'csp handler returned a non-status', { what, result: r });
        return onError;
      }
      return r;
    } catch (e) {
      this.#platform.log('error', 'csp handler threw', { what, error: String(e) });
      return onError;
    }
  }

  /** Runs one command against a CSP: Atomic begin hook, journal mark, undo on failure. */
  #op(own: Owner, f: () => number): OpResult {
    if (this.#atomic && this.#journal.length >= this.limits.maxJournal) return { status: Status.DeviceFull, csp: own.root };
    if (this.#atomic && !this.#touched.has(own.csp)) {
      this.#touched.set(own.csp, own.root);
      const b = own.csp.begin?.bind(own.csp);
      if (b) this.#invokeAny('begin', () => { b(); return 0; }, 0);
    }
    const mark = this.#journal.length;
    let st: number;
    this.#opDepth++;
    try {
      st = f();
    } finally {
      this.#opDepth--;
    }
    if (!isSuccess(st)) this.#undoTo(mark);
    if (!this.#atomic && this.#opDepth === 0) this.#journal.length = 0;
    return { status: st, csp: own.root };
  }

  #readLeaf(node: TNode, segs: readonly string[], serverId: string): { status: number; bytes: Uint8Array; format: Format; type: string } {
    const fail = (status: number): { status: number; bytes: Uint8Array; format: Format; type: string } => ({ status, bytes: EMPTY, format: node.format, type: node.type });
    if (node.flags & F_SECRET) return fail(Status.CommandNotAllowed);
    const own = this.#owner(segs);
    if (!own) return { status: Status.Ok, bytes: node.value ?? EMPTY, format: node.format, type: node.type };
    if (!own.csp.get) return fail(Status.CommandNotAllowed);
    const g = own.csp.get.bind(own.csp);
    let produced: { bytes: Uint8Array; format: Format; type: string } | null = null;
    const sink: ValueSink = {
      value: (d, f, t) => { produced = { bytes: typeof d === 'string' ? utf8Encode(d) : d, format: f ?? node.format, type: t ?? node.type }; },
    };
    const st = this.#invoke('get', () => g(this.#call(own, { segs: segs.slice(), path: joinPath(segs) }, serverId, false), sink));
    if (!isSuccess(st)) return fail(st);
    const pr = produced as { bytes: Uint8Array; format: Format; type: string } | null;
    if (pr) return { status: st, ...pr };
    return { status: st, bytes: node.value ?? EMPTY, format: node.format, type: node.type };
  }

  #getProp(node: TNode, p: ParsedUri, asked: string, serverId: string): GetResult {
    let text: string;
    switch (p.prop) {
      case 'ACL': text = node.acl; break;
      case 'Format': text = node.format; break;
      case 'Name': text = node.name; break;
      case 'Type': text = node.type; break;
      case 'Title': text = node.title; break;
      case 'TStamp': text = tstampText(node.tstamp); break;
      case 'VerNo': text = String(node.verNo); break;
      case 'Size': {
        if (node.kids) return { status: Status.OptionalFeatureNotSupported, items: [] };
        if (node.value || node.flags & F_SECRET) { text = String(node.value ? node.value.length : 0); break; }
        const v = this.#readLeaf(node, p.segs, serverId);
        text = String(isSuccess(v.status) ? v.bytes.length : 0);
        break;
      }
      default: return { status: Status.OptionalFeatureNotSupported, items: [] };
    }
    return { status: Status.Ok, items: [{ uri: asked, format: 'chr', type: 'text/plain', data: utf8Encode(text) }] };
  }

  #walk(start: TNode, startSegs: string[], serverId: string, withData: boolean): GetResult {
    const items: ResultItem[] = [];
    let over = false;
    const visit = (n: TNode, segs: string[]): void => {
      if (over) return;
      if (this.#can(n, 'Get', serverId)) {
        if (items.length >= this.limits.maxResultItems) { over = true; return; }
        let data: Uint8Array | null = null;
        let format = n.format;
        let type = n.type;
        if (withData && !n.kids && !(n.flags & F_SECRET)) {
          const v = this.#readLeaf(n, segs, serverId);
          if (isSuccess(v.status)) { data = v.bytes; format = v.format; type = v.type; }
        }
        items.push({ uri: joinPath(segs), format, type, data });
      }
      if (n.kids) for (const [name, k] of n.kids) visit(k, [...segs, name]);
    };
    visit(start, startSegs);
    if (over) return { status: Status.EntityTooLarge, items: [] };
    return { status: Status.Ok, items };
  }

  #hasPermanent(n: TNode): boolean {
    if (n.flags & F_PERMANENT) return true;
    if (n.kids) for (const k of n.kids.values()) if (this.#hasPermanent(k)) return true;
    return false;
  }

  /** ACL given to an interior node created by a server lacking Replace on its parent. */
  #newInteriorAcl(parent: TNode, serverId: string): string {
    if (this.#can(parent, 'Replace', serverId) || !isAclId(serverId)) return '';
    return `Add=${serverId}&Delete=${serverId}&Replace=${serverId}`;
  }

  #add(serverId: string, p: ParsedUri, v: ValueIn, mode: Mode, sourcePath: string): OpResult {
    if (this.#find(p.segs)) return { status: Status.AlreadyExists };
    const anc = this.#nearest(p.segs);
    if (!anc.node.kids) return { status: Status.CommandNotAllowed };
    if (!this.#can(anc.node, 'Add', serverId)) return { status: Status.PermissionDenied };
    const own = this.#owner(p.segs);
    // The owner must cover every node to be created (its root exists, so depth ≤ anc.depth).
    if (!own || own.depth > anc.depth) return { status: Status.CommandNotAllowed, ...cspOf(own) };
    const csp = own.csp;
    const handler = mode === 'copy' && csp.copy ? csp.copy.bind(csp) : null;
    const addH = csp.add?.bind(csp);
    if (!handler && !addH && mode !== 'streamed') return { status: Status.CommandNotAllowed, ...cspOf(own) };
    const interior = v.format === 'node';
    if (!interior && mode !== 'streamed' && v.bytes.length > this.limits.maxValueSize) return { status: Status.EntityTooLarge, ...cspOf(own) };
    const missing = p.segs.length - anc.depth;
    if (this.#nodes + missing > this.limits.maxNodes) return { status: Status.DeviceFull, ...cspOf(own) };
    let failedUri: string | undefined;
    const r = this.#op(own, () => {
      let parent = anc.node;
      for (let d = anc.depth + 1; d <= p.segs.length; d++) {
        const segs = p.segs.slice(0, d);
        const last = d === p.segs.length;
        const sub = { segs, path: joinPath(segs) };
        let st: number;
        if (!last) {
          if (!addH) { failedUri = sub.path; return Status.CommandNotAllowed; }
          const iv = valueIn(EMPTY, 'node', '');
          st = this.#invoke('add', () => addH(this.#call(own, sub, serverId, true), iv));
          if (!isSuccess(st)) { failedUri = sub.path; return st; }
          const made = this.#createUnder(parent, segs[d - 1]!, true, 'node', '', null, this.#newInteriorAcl(parent, serverId), 0);
          if (typeof made === 'number') { failedUri = sub.path; return made; }
          parent = made;
          continue;
        }
        if (mode === 'streamed') st = Status.Ok;
        else if (handler) st = this.#invoke('copy', () => handler(this.#call(own, sub, serverId, false), sourcePath, v));
        else st = this.#invoke('add', () => addH!(this.#call(own, sub, serverId, false), v));
        if (!isSuccess(st)) return st;
        const existing = this.#find(segs);
        // The kind was fixed by the request; a handler may normalise a leaf's format, not turn it into a node.
        const format: Format = interior ? 'node' : v.format === 'node' ? DEFAULT_FORMAT : v.format;
        if (existing) {
          // The handler created the node itself; only store the value of a leaf.
          if (!existing.kids && mode !== 'streamed') {
            const w = this.#setLeaf(existing, v.bytes, format, v.type);
            if (w) return w;
          }
          return st;
        }
        if (!interior && mode !== 'streamed' && v.bytes.length > this.limits.maxValueSize) return Status.EntityTooLarge;
        const flags = v.secret ? F_SECRET : 0;
        const made = this.#createUnder(parent, segs[d - 1]!, interior, format, v.type, interior || mode === 'streamed' ? null : v.bytes.slice(),
          interior ? this.#newInteriorAcl(parent, serverId) : '', flags);
        if (typeof made === 'number') return made;
        return st;
      }
      return Status.Ok;
    });
    if (failedUri !== undefined && !isSuccess(r.status)) r.failedUri = failedUri;
    return r;
  }

  #replace(serverId: string, p: ParsedUri, v: ValueIn, mode: Mode, sourcePath: string): OpResult {
    const node = this.#find(p.segs);
    if (!node) return { status: Status.NotFound };
    if (!this.#can(node, 'Replace', serverId)) return { status: Status.PermissionDenied };
    if (node.kids) return { status: Status.CommandNotAllowed };
    const own = this.#owner(p.segs);
    if (!own) return { status: Status.CommandNotAllowed };
    const csp = own.csp;
    const h = mode === 'copy' && csp.copy ? ((c: CspCall, x: ValueIn) => csp.copy!(c, sourcePath, x)) : csp.replace?.bind(csp);
    if (!h && mode !== 'streamed') return { status: Status.CommandNotAllowed, ...cspOf(own) };
    if (v.format === 'node') return { status: Status.CommandNotAllowed, ...cspOf(own) };
    if (mode !== 'streamed' && v.bytes.length > this.limits.maxValueSize) return { status: Status.EntityTooLarge, ...cspOf(own) };
    const declared = v.declared !== false;
    const format0 = v.format;
    const type0 = v.type;
    return this.#op(own, () => {
      const st = mode === 'streamed' ? Status.Ok : this.#invoke(mode, () => h!(this.#call(own, p, serverId, false), v));
      if (!isSuccess(st)) return st;
      // Permanent nodes keep Format/Type; undeclared Meta keeps them too unless the CSP normalised.
      const keep = (node.flags & F_PERMANENT) !== 0;
      const format = keep ? node.format : v.format !== format0 || declared ? v.format : node.format;
      const type = keep ? node.type : v.type !== type0 || declared ? v.type : node.type;
      if (mode === 'streamed') {
        this.#jModify(node, () => { node.value = null; node.format = format; node.type = type; stamp(node, this.#now()); });
        return st;
      }
      const w = this.#setLeaf(node, v.bytes.slice(), format, type);
      return w || st;
    });
  }

  #replaceProp(serverId: string, p: ParsedUri, text: string): OpResult {
    const node = this.#find(p.segs);
    if (!node) return { status: Status.NotFound };
    switch (p.prop) {
      case 'ACL': {
        // Interior: Replace on the node or its parent; leaf: Replace on the parent only (root: itself).
        const ok = node.parent
          ? this.#can(node.parent, 'Replace', serverId) || (node.kids !== null && this.#can(node, 'Replace', serverId))
          : this.#can(node, 'Replace', serverId);
        if (!ok) return { status: Status.PermissionDenied };
        if (text.length > this.limits.maxAclLength) return { status: Status.EntityTooLarge };
        const acl = parseAcl(text);
        if (!acl) return { status: Status.BadRequest };
        if (!node.parent && !(acl.get('Add') ?? []).includes('*')) return { status: Status.CommandNotAllowed };
        return this.#propChange(node, () => { node.acl = text; });
      }
      case 'Title': {
        if (!this.#can(node, 'Replace', serverId)) return { status: Status.PermissionDenied };
        if (text.length > this.limits.maxTitleLength) return { status: Status.EntityTooLarge };
        return this.#propChange(node, () => { node.title = text; });
      }
      case 'Name': {
        if (!this.#can(node, 'Replace', serverId)) return { status: Status.PermissionDenied };
        if (!node.parent || this.#hasPermanent(node)) return { status: Status.CommandNotAllowed };
        const bad = checkSegment(text, this.limits);
        if (bad) return { status: bad };
        if (text === node.name) return { status: Status.Ok };
        if (node.parent.kids!.has(text)) return { status: Status.AlreadyExists };
        const own = this.#owner(p.segs);
        if (!own || own.depth >= p.segs.length || !own.csp.rename) return { status: Status.CommandNotAllowed, ...cspOf(own) };
        const parentPath = this.#pathOf(node.parent);
        if ((parentPath + '/' + text).length + this.#deepestSuffix(node) > this.limits.maxUriLength) return { status: Status.UriTooLong };
        const rn = own.csp.rename.bind(own.csp);
        return this.#op(own, () => {
          const st = this.#invoke('rename', () => rn(this.#call(own, p, serverId, false), text));
          if (!isSuccess(st)) return st;
          this.#jRename(node, text);
          this.#touch(node.parent!);
          return st;
        });
      }
      case 'Format': case 'Type': case 'Size': case 'TStamp': case 'VerNo':
        return { status: Status.CommandNotAllowed };
      default:
        return { status: Status.OptionalFeatureNotSupported };
    }
  }

  /** Longest `/name…` suffix length below `n` (for rename URI-length checks). */
  #deepestSuffix(n: TNode): number {
    let best = 0;
    if (n.kids) for (const k of n.kids.values()) best = Math.max(best, 1 + k.name.length + this.#deepestSuffix(k));
    return best;
  }

  #propChange(node: TNode, f: () => void): OpResult {
    if (this.#atomic && this.#journal.length >= this.limits.maxJournal) return { status: Status.DeviceFull };
    const before = nodeBytes(node);
    const saved = { acl: node.acl, title: node.title };
    f();
    const grow = nodeBytes(node) - before;
    node.acl = saved.acl; node.title = saved.title;
    if (grow > 0 && RECORD_OVERHEAD + this.#bytes + grow > this.limits.maxRecordPayload) return { status: Status.DeviceFull };
    this.#jModify(node, f);
    if (!this.#atomic) this.#journal.length = 0;
    return { status: Status.Ok };
  }

  // ----------------------------------------------------------------------------------------
  // Internals: journaled mutations

  #now(): number {
    return this.#platform.clock.wallMs();
  }

  #hw(): void {
    if (this.#nodes > this.#hwNodes) this.#hwNodes = this.#nodes;
    if (this.#bytes > this.#hwBytes) this.#hwBytes = this.#bytes;
    if (this.#journal.length > this.#hwJournal) this.#hwJournal = this.#journal.length;
  }

  #stats(n: TNode): [number, number] {
    let c = 1;
    let b = nodeBytes(n);
    if (n.kids) for (const k of n.kids.values()) { const [c2, b2] = this.#stats(k); c += c2; b += b2; }
    return [c, b];
  }

  /** Links `node` (possibly a subtree) under `parent`, at `index` in child order when given. */
  #link(parent: TNode, node: TNode, index = -1): void {
    const kids = parent.kids!;
    if (index < 0 || index >= kids.size) kids.set(node.name, node);
    else {
      const entries = [...kids];
      entries.splice(index, 0, [node.name, node]);
      parent.kids = new Map(entries);
    }
    node.parent = parent;
    const [c, b] = this.#stats(node);
    this.#nodes += c;
    this.#bytes += b;
    this.#dirty = true;
    this.#hw();
  }

  /** Unlinks `node` from its parent; returns its index in child order. */
  #unlink(node: TNode): number {
    const kids = node.parent!.kids!;
    let i = 0;
    for (const k of kids.keys()) { if (k === node.name) break; i++; }
    kids.delete(node.name);
    const [c, b] = this.#stats(node);
    this.#nodes -= c;
    this.#bytes -= b;
    this.#dirty = true;
    return i;
  }

  /** Creates a child; returns it, or 420 when a bound would be exceeded. Server commands also
   *  stamp the parent (`touchParent`); device-side store calls do not, so that re-creating
   *  volatile nodes at start does not change persisted properties. */
  #createUnder(parent: TNode, name: string, interior: boolean, format: Format, type: string, value: Uint8Array | null, acl: string, flags: number, touchParent = true): TNode | number {
    const n = new TNode(name, interior, interior ? 'node' : format);
    n.type = type;
    n.value = value;
    n.acl = acl;
    n.flags = flags;
    stamp(n, this.#now());
    n.verNo = 0;
    if (this.#nodes + 1 > this.limits.maxNodes) return Status.DeviceFull;
    if (RECORD_OVERHEAD + this.#bytes + nodeBytes(n) > this.limits.maxRecordPayload) return Status.DeviceFull;
    if (touchParent) this.#touch(parent);
    this.#link(parent, n);
    this.#journal.push(() => this.#unlink(n));
    this.#hw();
    return n;
  }

  #jRemove(node: TNode): void {
    const parent = node.parent!;
    const idx = this.#unlink(node);
    this.#journal.push(() => this.#link(parent, node, idx));
    this.#hw();
  }

  /** Applies `f` to the node's scalar fields, journaling their previous values. */
  #jModify(node: TNode, f: () => void): void {
    const old = { name: node.name, value: node.value, format: node.format, type: node.type, acl: node.acl, title: node.title, tstamp: node.tstamp, verNo: node.verNo, flags: node.flags };
    const before = nodeBytes(node);
    f();
    this.#bytes += nodeBytes(node) - before;
    this.#dirty = true;
    this.#journal.push(() => {
      const b = nodeBytes(node);
      if (old.name !== node.name) this.#rekey(node, old.name);
      Object.assign(node, old);
      this.#bytes += nodeBytes(node) - b;
      this.#dirty = true;
    });
    this.#hw();
  }

  /** Renames keeping the node's position among its siblings. */
  #rekey(node: TNode, name: string): void {
    const p = node.parent!;
    p.kids = new Map([...p.kids!].map(([k, v]) => (v === node ? [name, v] : [k, v])));
    node.name = name;
  }

  #jRename(node: TNode, name: string): void {
    this.#jModify(node, () => { this.#rekey(node, name); stamp(node, this.#now()); });
  }

  #touch(n: TNode): void {
    this.#jModify(n, () => stamp(n, this.#now()));
  }

  /** Stores a leaf value (bounds checked: 413/420); returns 0 on success or the status. */
  #setLeaf(node: TNode, value: Uint8Array, format: Format, type: string): number {
    if (value.length > this.limits.maxValueSize) return Status.EntityTooLarge;
    const grow = value.length - (node.value ? node.value.length : 0) + utf8Length(type) - utf8Length(node.type);
    if (grow > 0 && RECORD_OVERHEAD + this.#bytes + grow > this.limits.maxRecordPayload) return Status.DeviceFull;
    this.#jModify(node, () => {
      node.value = value;
      node.format = format;
      node.type = type;
      stamp(node, this.#now());
    });
    return 0;
  }

  #undoTo(mark: number): void {
    while (this.#journal.length > mark) this.#journal.pop()!();
  }

  // ----------------------------------------------------------------------------------------
  // Internals: the NodeStore given to CSPs and host code

  #makeStore(): NodeStore {
    const t = this;
    const resolve = (path: string): ParsedUri | number => {
      const p = parseUri(path, t.limits);
      if (typeof p !== 'number' && (p.prop !== undefined || p.list !== undefined)) return Status.BadRequest;
      return p;
    };
    const nodeAt = (path: string): TNode | null => {
      const p = resolve(path);
      return typeof p === 'number' ? null : t.#find(p.segs);
    };
    const done = (st: number): number => { if (!t.#atomic && !t.#inOp()) t.#journal.length = 0; return st; };
    return {
      limits: t.limits,
      exists: (path) => nodeAt(path) !== null,
      info: (path): NodeInfo | null => {
        const p = resolve(path);
        if (typeof p === 'number') return null;
        const n = t.#find(p.segs);
        if (!n) return null;
        return {
          path: p.path, name: n.name, interior: n.kids !== null, format: n.format, type: n.type, acl: n.acl, title: n.title,
          tstamp: n.tstamp, verNo: n.verNo, size: n.value ? n.value.length : 0, permanent: (n.flags & F_PERMANENT) !== 0,
          secret: (n.flags & F_SECRET) !== 0, volatile: (n.flags & F_VOLATILE) !== 0,
        };
      },
      children: (path) => {
        const n = nodeAt(path);
        return n && n.kids ? [...n.kids.keys()] : null;
      },
      read: (path) => {
        const n = nodeAt(path);
        return n && !n.kids ? n.value : null;
      },
      readText: (path) => {
        const n = nodeAt(path);
        return n && !n.kids && n.value ? utf8Decode(n.value) : null;
      },
      ensure: (path, opts: EnsureOptions = {}) => {
        const p = resolve(path);
        if (typeof p === 'number') return p;
        if (p.segs.length === 0) return Status.CommandNotAllowed;
        const interior = opts.interior === true;
        const flags = (opts.permanent ? F_PERMANENT : 0) | (opts.secret ? F_SECRET : 0) | (opts.volatile ? F_VOLATILE : 0);
        const existing = t.#find(p.segs);
        if (existing) {
          if ((existing.kids !== null) !== interior) return Status.CommandNotAllowed;
          if (!interior && existing.value === null && opts.value !== undefined) {
            // Restoring a volatile value is not a change of the node (no TStamp/VerNo bump).
            const v = typeof opts.value === 'string' ? utf8Encode(opts.value) : opts.value.slice();
            if (v.length > t.limits.maxValueSize) return Status.EntityTooLarge;
            if (RECORD_OVERHEAD + t.#bytes + v.length > t.limits.maxRecordPayload) return Status.DeviceFull;
            t.#jModify(existing, () => { existing.value = v; });
          }
          let fl = existing.flags;
          const setFlag = (bit: number, on: boolean | undefined): void => {
            if (on !== undefined) fl = on ? fl | bit : fl & ~bit;
          };
          setFlag(F_PERMANENT, opts.permanent);
          setFlag(F_SECRET, opts.secret);
          setFlag(F_VOLATILE, opts.volatile);
          const format = opts.format !== undefined && !interior ? opts.format : existing.format;
          const type = opts.type ?? existing.type;
          const title = opts.title ?? existing.title;
          // Only a real difference counts as a change (a restart re-runs every CSP's init).
          if (fl !== existing.flags || format !== existing.format || type !== existing.type || title !== existing.title) {
            t.#jModify(existing, () => { existing.flags = fl; existing.format = format; existing.type = type; existing.title = title; });
          }
          return done(Status.Ok);
        }
        const anc = t.#nearest(p.segs);
        if (!anc.node.kids) return Status.CommandNotAllowed;
        const value = opts.value === undefined ? null : typeof opts.value === 'string' ? utf8Encode(opts.value) : opts.value.slice();
        if (value && value.length > t.limits.maxValueSize) return Status.EntityTooLarge;
        if (opts.acl !== undefined && (!parseAcl(opts.acl) || opts.acl.length > t.limits.maxAclLength)) return Status.BadRequest;
        const mark = t.#journal.length;
        let parent = anc.node;
        for (let d = anc.depth + 1; d <= p.segs.length; d++) {
          const last = d === p.segs.length;
          const made = last
            ? t.#createUnder(parent, p.segs[d - 1]!, interior, interior ? 'node' : opts.format ?? DEFAULT_FORMAT, opts.type ?? '', interior ? null : value, opts.acl ?? '', flags, false)
            : t.#createUnder(parent, p.segs[d - 1]!, true, 'node', '', null, '', flags & (F_PERMANENT | F_VOLATILE), false);
          if (typeof made === 'number') { t.#undoTo(mark); return done(made); }
          if (last && opts.title !== undefined) made.title = opts.title;
          parent = made;
        }
        return done(Status.Ok);
      },
      write: (path, value, format, type) => {
        const n = nodeAt(path);
        if (!n) return Status.NotFound;
        if (n.kids) return Status.CommandNotAllowed;
        const bytes = typeof value === 'string' ? utf8Encode(value) : value.slice();
        return done(t.#setLeaf(n, bytes, format ?? n.format, type ?? n.type) || Status.Ok);
      },
      remove: (path) => {
        const p = resolve(path);
        if (typeof p === 'number') return p;
        if (p.segs.length === 0) return Status.CommandNotAllowed;
        const n = t.#find(p.segs);
        if (!n) return Status.NotFound;
        t.#jRemove(n);
        return done(Status.Ok);
      },
      setAcl: (path, acl) => {
        const n = nodeAt(path);
        if (!n) return Status.NotFound;
        if (acl.length > t.limits.maxAclLength) return Status.EntityTooLarge;
        if (!parseAcl(acl) || (!n.parent && acl === '')) return Status.BadRequest;
        t.#jModify(n, () => { n.acl = acl; });
        return done(Status.Ok);
      },
      scrubServerId: (serverId) => {
        const visit = (n: TNode): void => {
          if (n.acl) {
            const next = scrubAcl(n.acl, serverId, n.parent === null);
            if (next !== n.acl) t.#jModify(n, () => { n.acl = next; });
          }
          if (n.kids) for (const k of n.kids.values()) visit(k);
        };
        visit(t.#root);
        done(Status.Ok);
      },
    };
  }

  /** Depth of nested #op calls (store calls inside a handler keep the command's journal). */
  #opDepth = 0;
  #inOp(): boolean {
    return this.#opDepth > 0;
  }

  // ----------------------------------------------------------------------------------------
  // Internals: record encoding

  /**
   * Record payload (CBOR, deterministic): `{"v": 1, "nodes": [node, …]}` with every node in
   * preorder (the values of volatile nodes left out), each node an array of 10 fields:
   * `[parentIndex (root: 0), name, flags, formatCode, type, acl, title, tstampMs, verNo, value|null]`.
   * Written straight into a buffer of the payload bound (no intermediate objects).
   */
  #encode(): Uint8Array {
    const w = new CborWriter(RECORD_OVERHEAD + this.#bytes);
    w.map(2);
    w.text('v');
    w.int(TREE_RECORD_VERSION);
    w.text('nodes');
    w.array(this.#nodes);
    let idx = 0;
    const visit = (n: TNode, parentIdx: number): void => {
      const me = idx++;
      w.array(10);
      w.int(parentIdx);
      w.text(n.name);
      w.int(n.flags);
      w.int(FORMAT_CODE[n.format]);
      w.text(n.type);
      w.text(n.acl);
      w.text(n.title);
      w.int(n.tstamp);
      w.int(n.verNo);
      if (n.value && !(n.flags & F_VOLATILE)) w.bytesItem(n.value);
      else w.null();
      if (n.kids) for (const k of n.kids.values()) visit(k, me);
    };
    visit(this.#root, 0);
    return w.bytes();
  }

  /** Rebuilds the tree from a record payload; DecodeError when it is not a valid tree record. */
  #decode(payload: Uint8Array): TNode {
    const r = new CborReader(payload);
    const pairs = r.map('record');
    let version = -1;
    let root: TNode | null = null;
    for (let i = 0; i < pairs; i++) {
      const at = r.pos;
      const k = r.text('record-key');
      if (k === 'v') {
        version = r.uint('version');
        if (version !== TREE_RECORD_VERSION) r.fail('version', `tree record version ${version} is not supported`, 'version', at);
      } else if (k === 'nodes') {
        if (version !== TREE_RECORD_VERSION) r.fail('version', 'tree record without a version', 'version', at);
        root = this.#decodeNodes(r);
      } else r.value();
    }
    r.finish();
    if (!root) return r.fail('no-nodes', 'tree record without nodes', 'record');
    return root;
  }

  #decodeNodes(r: CborReader): TNode {
    const count = r.array('nodes');
    if (count < 1) r.fail('no-nodes', 'empty node list', 'nodes');
    if (count > this.limits.maxNodes) r.fail('limit', `${count} nodes exceed maxNodes ${this.limits.maxNodes}`, 'nodes');
    const all: TNode[] = [];
    for (let i = 0; i < count; i++) {
      const at = r.pos;
      if (r.array('node') !== 10) r.fail('node', 'a node record has 10 fields', 'node', at);
      const parentIdx = r.uint('parent');
      const name = r.text('name');
      const flags = r.uint('flags');
      const fcode = r.uint('format');
      const type = r.text('type');
      const acl = r.text('acl');
      const title = r.text('title');
      const tstamp = r.uint('tstamp');
      const verNo = r.uint('verNo');
      const value = r.takeNull() ? null : r.bytes(true, 'value');
      const format = FORMAT_BY_CODE[fcode];
      if (!format) r.fail('format', `unknown format code ${fcode}`, 'format', at);
      const n = new TNode(name, format === 'node', format);
      n.type = type; n.acl = acl; n.title = title; n.tstamp = tstamp; n.verNo = verNo & 0xffff; n.flags = flags & (F_PERMANENT | F_SECRET | F_VOLATILE);
      n.value = format === 'node' ? null : value;
      if (i === 0) {
        if (parentIdx !== 0 || !n.kids) r.fail('root', 'the first node must be the interior root', 'node', at);
        n.name = '.';
      } else {
        const parent = parentIdx < i ? all[parentIdx] : undefined;
        if (!parent || !parent.kids) r.fail('parent', `node ${i} has no interior parent ${parentIdx}`, 'node', at);
        if (checkSegment(name, this.limits) || parent.kids.has(name)) r.fail('name', `bad or duplicate node name "${name}"`, 'node', at);
        parent.kids.set(name, n);
        n.parent = parent;
      }
      all.push(n);
    }
    return all[0]!;
  }
}

type Mode = 'add' | 'replace' | 'copy' | 'streamed';
interface Owner {
  csp: Csp;
  /** Number of segments of the CSP root. */
  depth: number;
  /** Normalised root path. */
  root: string;
}

const EMPTY = new Uint8Array(0);

function stamp(n: TNode, now: number): void {
  n.tstamp = now;
  n.verNo = (n.verNo + 1) & 0xffff;
}

function checkServer(serverId: string): void {
  if (typeof serverId !== 'string' || serverId === '') throw new TypeError('serverId: must be a non-empty string');
}

function cspOf(own: Owner | null): { csp?: string } {
  return own ? { csp: own.root } : {};
}

/**
 * Spools a large object to a storage blob (never to memory) and hands the whole value to
 * add/replace at the end. Values beyond `max` bytes are refused with 413 while streaming.
 */
class SpoolSink implements WriteSink {
  #blob: Blob | null;
  #n = 0;
  readonly #platform: Platform;
  readonly #max: number;
  readonly #finish: (bytes: Uint8Array) => number;
  constructor(platform: Platform, max: number, finish: (bytes: Uint8Array) => number) {
    this.#platform = platform;
    this.#max = max;
    this.#finish = finish;
    this.#blob = platform.storage.open(SPOOL_BLOB, true);
    this.#blob.truncate(0);
  }
  write(chunk: Uint8Array): number {
    if (!this.#blob) return Status.CommandFailed;
    if (this.#n + chunk.length > this.#max) { this.abort(); return Status.EntityTooLarge; }
    try {
      this.#blob.write(this.#n, chunk);
    } catch (e) {
      this.abort();
      if (e instanceof PlatformError) return e.code === 'ENOSPC' ? Status.DeviceFull : Status.DataStoreFailure;
      throw e;
    }
    this.#n += chunk.length;
    return Status.Ok;
  }
  end(): number {
    if (!this.#blob) return Status.CommandFailed;
    const bytes = new Uint8Array(this.#n);
    let got = -1;
    try {
      got = this.#blob.read(0, bytes);
    } catch (e) {
      if (!(e instanceof PlatformError)) throw e;
    }
    this.abort();
    if (got !== bytes.length) return Status.DataStoreFailure;
    return this.#finish(bytes);
  }
  abort(): void {
    if (!this.#blob) return;
    this.#blob.close();
    this.#blob = null;
    try { this.#platform.storage.remove(SPOOL_BLOB); } catch { /* best effort: truncated at next use */ }
  }
}
