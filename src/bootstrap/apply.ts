/**
 * Applying a list of tree operations all-or-nothing: the engine shared by the DM bootstrap
 * (message items and embedded TNDS), and by TNDS Add/Replace inside a DM session (`tndsCommand`,
 * for the DPU).
 *
 * Every operation on a node owned by a CSP goes through the tree's server operations
 * (`tree.add/replace/delete`) with a principal, so ACLs are checked, CSP schemas validate values
 * and mark secrets (AAuthSecret stays write-only), and CSP hooks run. Nodes outside every CSP
 * (e.g. the connectivity subtree `./SyncML/Con` a bootstrap carries) are refused (405, as in a
 * session) or, for a bootstrap, created directly through `tree.store` (policy `unowned: 'store'`).
 *
 * The whole list runs inside one tree Atomic (`beginAtomic`/`commitAtomic`): the first failing
 * operation rolls everything back and its status is returned; success persists the tree once.
 * When the caller already holds an Atomic (a TNDS Add inside a DM Atomic), the operations join it
 * and the caller's Atomic decides.
 */
import { valueIn } from '../csp/Csp';
import type { Format } from '../tree/format';
import type { Tree } from '../tree/Tree';
import { parseUri } from '../tree/uri';
import { isSuccess, Status } from '../status';
import { PlatformError } from '../platform';

/** One operation. */
export interface TreeOp {
  /**
   * 'add': create (an existing interior node is kept — a described subtree may repeat existing
   * ancestors; an existing leaf is 418); 'set': create or overwrite (bootstrap semantics);
   * 'delete': remove the node and its subtree (404 when missing unless `lenient`);
   * 'prune': remove the children of an existing interior node that are not in `keep`;
   * 'remove': device authority — remove the node through the store (no ACL check, no CSP hook;
   * a missing node is fine, a permanent one 405). The bootstrap uses it to replace an account of
   * the same ServerID living under another node name, without scrubbing that ServerID from ACLs.
   */
  kind: 'add' | 'set' | 'delete' | 'prune' | 'remove';
  /** Absolute or relative URI (normalised by the tree). */
  path: string;
  /** Interior node (add/set). */
  interior?: boolean;
  /** Leaf Format (default `chr`). */
  format?: Format;
  /** MIME type (leaf) or MO identifier (interior). */
  type?: string;
  /** Leaf value (default empty). */
  value?: Uint8Array;
  /** Format/Type came from the sender (a Replace without them keeps the node's own). Default true. */
  declared?: boolean;
  /** ACL property to set (null/absent: leave as is / inherit). */
  acl?: string | null;
  /** Title property to set. */
  title?: string | null;
  /** 'delete': a missing node is fine. */
  lenient?: boolean;
  /** 'prune': child names to keep. */
  keep?: readonly string[];
}

/** Who performs the operations and what happens outside the CSPs. */
export interface ApplyPolicy {
  /** Server principal for the ACL checks of an operation on `path` (normalised). */
  principal(path: string): string;
  /** Nodes no CSP owns: 'refuse' (405, session semantics) or 'store' (created directly: bootstrap). */
  unowned: 'refuse' | 'store';
  /** ACL for the topmost node an operation creates outside the CSPs (policy 'store'); '' = inherit. */
  unownedAcl?(principal: string): string;
}

/** Outcome of `applyOps`. */
export interface ApplyResult {
  /** 200, or the status of the first failing operation (510 when persisting failed). */
  status: number;
  /** Index of the failing operation. */
  failedIndex?: number;
  /** URI of the failing operation (or the implicitly created ancestor that failed). */
  failedUri?: string;
  /** Normalised paths of the nodes the operations created (in order; empty after a failure). */
  created: string[];
}

const EMPTY = new Uint8Array(0);

/** Normalised path, or the status when the URI is malformed / too long. */
function norm(tree: Tree, path: string): string | number {
  const p = parseUri(path, tree.limits);
  if (typeof p === 'number') return p;
  if (p.prop !== undefined || p.list !== undefined || p.segs.length === 0) return Status.CommandNotAllowed;
  return p.path;
}

/** True when a CSP owns `path` (a registered root is a prefix of it). */
export function ownedByCsp(tree: Tree, path: string): boolean {
  const p = parseUri(path, tree.limits);
  if (typeof p === 'number') return false;
  for (let i = p.segs.length; i >= 1; i--) if (tree.csp('./' + p.segs.slice(0, i).join('/'))) return true;
  return false;
}

/** The first missing node on the way to `path` (the topmost node creating `path` would add), or null. */
function firstMissing(tree: Tree, path: string): string | null {
  const segs = path === '.' ? [] : path.slice(2).split('/');
  for (let i = 1; i <= segs.length; i++) {
    const p = './' + segs.slice(0, i).join('/');
    if (!tree.store.exists(p)) return p;
  }
  return null;
}

/** An ACL property to set once every node exists (an ACL without Add for its creator must not stop the
 *  creation of the node's own children, as in a TNDS object that describes a whole account). */
interface DeferredAcl {
  path: string;
  acl: string;
  /** Set through the store (a node this list created, or one outside the CSPs) rather than as a Replace. */
  direct: boolean;
  who: string;
}

/** Runs one operation; returns 0 on success or the failing status (with `failedUri` in `out`). */
function runOp(tree: Tree, op: TreeOp, policy: ApplyPolicy, created: string[], out: { failedUri?: string }, deferred: DeferredAcl[]): number {
  const path = norm(tree, op.path);
  if (typeof path === 'number') return path;
  const st = tree.store;
  const who = policy.principal(path);
  const owned = ownedByCsp(tree, path);
  if (!owned && policy.unowned === 'refuse' && op.kind !== 'remove') return Status.CommandNotAllowed;
  const info = st.info(path);
  if (op.kind === 'remove') {
    if (!info) return 0;
    if (info.permanent) return Status.CommandNotAllowed;
    const s = st.remove(path);
    return isSuccess(s) ? 0 : s;
  }
  if (op.kind === 'delete') {
    if (!info) return op.lenient ? 0 : Status.NotFound;
    if (owned) {
      const r = tree.delete(who, path);
      return isSuccess(r.status) ? 0 : r.status;
    }
    if (info.permanent) return Status.CommandNotAllowed;
    const s = st.remove(path);
    return isSuccess(s) ? 0 : s;
  }
  if (op.kind === 'prune') {
    if (!info || !info.interior) return info ? Status.CommandNotAllowed : Status.NotFound;
    for (const k of st.children(path) ?? []) {
      if (op.keep?.includes(k)) continue;
      const s = runOp(tree, { kind: 'delete', path: `${path}/${k}` }, policy, created, out, deferred);
      if (s) return s;
    }
    return 0;
  }
  const interior = op.interior === true;
  const format: Format = interior ? 'node' : op.format ?? 'chr';
  const type = op.type ?? '';
  const existed = info !== null;
  if (info) {
    if (info.interior !== interior) return interior ? Status.AlreadyExists : Status.CommandNotAllowed;
    if (!interior) {
      if (op.kind === 'add') return Status.AlreadyExists;
      if (owned) {
        const v = valueIn(op.value ?? EMPTY, format, type);
        v.declared = op.declared !== false;
        const r = tree.replace(who, path, v);
        if (!isSuccess(r.status)) return r.status;
      } else {
        const s = st.write(path, op.value ?? EMPTY, op.declared === false ? undefined : format, op.declared === false ? undefined : type);
        if (!isSuccess(s)) return s;
      }
    }
  } else {
    const top = firstMissing(tree, path);
    if (owned) {
      const v = valueIn(interior ? EMPTY : op.value ?? EMPTY, format, type);
      v.declared = op.declared !== false;
      const r = tree.add(who, path, v);
      if (!isSuccess(r.status)) {
        if (r.failedUri !== undefined) out.failedUri = r.failedUri;
        return r.status;
      }
    } else {
      const s = st.ensure(path, interior ? { interior: true, type } : { value: op.value ?? EMPTY, format, type });
      if (!isSuccess(s)) return s;
      const acl = policy.unownedAcl?.(who) ?? '';
      if (top !== null && acl !== '' && (op.acl == null || top !== path)) {
        const a = st.setAcl(top, acl);
        if (!isSuccess(a)) return a;
      }
    }
    if (top !== null) {
      const segs = path.slice(2).split('/');
      for (let d = top.slice(2).split('/').length; d <= segs.length; d++) created.push('./' + segs.slice(0, d).join('/'));
    }
  }
  if (op.acl != null) deferred.push({ path, acl: op.acl, direct: !existed || !owned, who });
  if (op.title != null) {
    if (!existed || !owned) {
      const s = st.ensure(path, interior ? { interior: true, title: op.title } : { title: op.title });
      if (!isSuccess(s)) return s;
    } else {
      const r = tree.replace(who, `${path}?prop=Title`, valueIn(op.title));
      if (!isSuccess(r.status)) return r.status;
    }
  }
  return 0;
}

/**
 * Applies `ops` in order, all-or-nothing (see the module comment). A storage failure while
 * persisting (or a PlatformError thrown by a CSP) is 510 (Data store failure), rolled back.
 */
export function applyOps(tree: Tree, ops: readonly TreeOp[], policy: ApplyPolicy): ApplyResult {
  const own = !tree.inAtomic;
  if (own) tree.beginAtomic();
  const created: string[] = [];
  const deferred: DeferredAcl[] = [];
  let fail: ApplyResult | null = null;
  try {
    for (let i = 0; i < ops.length; i++) {
      const out: { failedUri?: string } = {};
      const s = runOp(tree, ops[i]!, policy, created, out, deferred);
      if (s) {
        fail = { status: s, failedIndex: i, failedUri: out.failedUri ?? ops[i]!.path, created: [] };
        break;
      }
    }
    for (const d of fail ? [] : deferred) {
      const s = d.direct ? tree.store.setAcl(d.path, d.acl) : tree.replace(d.who, `${d.path}?prop=ACL`, valueIn(d.acl)).status;
      if (!isSuccess(s)) {
        fail = { status: s, failedUri: d.path, created: [] };
        break;
      }
    }
  } catch (e) {
    if (!(e instanceof PlatformError)) {
      if (own && tree.inAtomic) tree.rollbackAtomic();
      throw e;
    }
    fail = { status: Status.DataStoreFailure, created: [] };
  }
  if (!own) return fail ?? { status: Status.Ok, created };
  if (fail) {
    tree.rollbackAtomic();
    return fail;
  }
  const r = tree.commitAtomic();
  if (!r.ok) return { status: Status.DataStoreFailure, created: [] };
  return { status: Status.Ok, created };
}
