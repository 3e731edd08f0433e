/**
 * Schema-driven CSPs: a management object described as a list of node patterns (like a DDF,
 * much smaller). The CSP validates every Add/Replace against the pattern of the target node,
 * normalises the Format, marks secrets, and lets the tree store the values.
 *
 * Status codes: a node that is not in the MO → 405; an interior node where the MO has a leaf (or
 * the reverse) → 415; a Format the node cannot take (e.g. `bin` for a `chr` node) → 415; a value
 * that does not parse for the node's Format, is not in its value list or fails its check → 400;
 * a read-only node → 405 for Add/Replace/Delete.
 */
import type { Csp, CspCall, Format, ValueIn } from './Csp';
import { Status } from '../status';
import { valueMatchesFormat } from '../tree/format';

/** One node pattern of a management object. */
export interface MoNode {
  /** Path below the CSP root, `/`-separated; `*` matches any name (a dynamic node, e.g. `<X>`). */
  path: string;
  /** Interior node (default: leaf). */
  interior?: boolean;
  /** Format of the leaf (default `chr`). Textual values in `chr` are accepted for bool/int/float/
   *  date/time when they parse, and stored with this format; `bin` accepts `bin`/`b64`/`chr`. */
  format?: Format;
  /** Write-only value (Get → 405). */
  secret?: boolean;
  /** Allowed values (exact text). */
  values?: readonly string[];
  /** Extra check of the text value. */
  check?: (text: string) => boolean;
  /** Interior node whose whole subtree is free-form (e.g. `Ext`): anything below is accepted. */
  open?: boolean;
  /** Get only: Add/Replace/Delete → 405 (the CSP or the host fills the value). */
  readOnly?: boolean;
}

interface Compiled extends MoNode {
  segs: string[];
}

/** Hooks run after the schema accepted a command (return a non-2xx status to refuse). */
export type SchemaHooks = Partial<Pick<Csp, 'init' | 'removed' | 'get' | 'exec' | 'begin' | 'commit' | 'rollback' | 'beginWrite'>> & {
  add?: (call: CspCall, v: ValueIn, node: MoNode) => number;
  replace?: (call: CspCall, v: ValueIn, node: MoNode) => number;
  delete?: (call: CspCall, node: MoNode | null) => number;
};

/** Matches `rel` against the MO; returns the node pattern, the open ancestor pattern, or null. */
export function matchMo(nodes: readonly MoNode[], rel: readonly string[]): MoNode | null {
  for (const n of compile(nodes)) {
    if (n.segs.length === rel.length && n.segs.every((s, i) => s === '*' || s === rel[i])) return n;
  }
  for (const n of compile(nodes)) {
    if (n.open && rel.length > n.segs.length && n.segs.every((s, i) => s === '*' || s === rel[i])) return { path: rel.join('/'), open: true, interior: false };
  }
  return null;
}

const cache = new WeakMap<readonly MoNode[], Compiled[]>();
function compile(nodes: readonly MoNode[]): Compiled[] {
  let c = cache.get(nodes);
  if (!c) {
    c = nodes.map((n) => ({ ...n, segs: n.path === '' ? [] : n.path.split('/') }));
    cache.set(nodes, c);
  }
  return c;
}

/** Validates a value for a leaf pattern; 0 when fine (and `v` normalised), else the status. */
export function checkMoValue(node: MoNode, v: ValueIn): number {
  if (node.open) return 0;
  const want: Format = node.format ?? 'chr';
  if (want === 'bin') {
    if (v.format !== 'bin' && v.format !== 'b64' && v.format !== 'chr') return Status.UnsupportedMediaType;
    v.format = 'bin';
    return 0;
  }
  if (v.format === 'bin' || v.format === 'b64' || v.format === 'node') return Status.UnsupportedMediaType;
  if (v.format !== want && v.format !== 'chr') return Status.UnsupportedMediaType;
  const text = v.text();
  if (!valueMatchesFormat(want, text)) return Status.BadRequest;
  if (node.values && !node.values.includes(text)) return Status.BadRequest;
  if (node.check && !node.check(text)) return Status.BadRequest;
  v.format = want;
  return 0;
}

/** Builds a CSP over `root` that accepts exactly the MO described by `nodes`. */
export function schemaCsp(root: string, nodes: readonly MoNode[], hooks: SchemaHooks = {}): Csp {
  const csp: Csp = {
    root,
    get: (call, out) => (hooks.get ? hooks.get(call, out) : Status.Ok),
    add: (call, v) => {
      const n = matchMo(nodes, call.rel);
      if (!n || n.readOnly) return Status.CommandNotAllowed;
      const interior = v.format === 'node';
      if (!n.open && interior !== (n.interior === true)) return Status.UnsupportedMediaType;
      if (!interior) {
        const st = checkMoValue(n, v);
        if (st) return st;
        if (n.secret) v.secret = true;
      }
      return hooks.add ? hooks.add(call, v, n) : Status.Ok;
    },
    replace: (call, v) => {
      const n = matchMo(nodes, call.rel);
      if (!n || n.readOnly) return Status.CommandNotAllowed;
      const st = checkMoValue(n, v);
      if (st) return st;
      return hooks.replace ? hooks.replace(call, v, n) : Status.Ok;
    },
    delete: (call) => {
      const n = matchMo(nodes, call.rel);
      if (n?.readOnly) return Status.CommandNotAllowed;
      return hooks.delete ? hooks.delete(call, n) : Status.Ok;
    },
    rename: (call) => {
      // Only dynamic names (`*` in the pattern) can be renamed; fixed names are the MO's.
      const n = matchMo(nodes, call.rel);
      if (!n) return Status.CommandNotAllowed;
      const last = n.path.split('/').pop();
      return n.open || last === '*' ? Status.Ok : Status.CommandNotAllowed;
    },
  };
  if (hooks.exec) csp.exec = hooks.exec;
  if (hooks.init) csp.init = hooks.init;
  if (hooks.removed) csp.removed = hooks.removed;
  if (hooks.beginWrite) csp.beginWrite = hooks.beginWrite;
  if (hooks.begin) csp.begin = hooks.begin;
  if (hooks.commit) csp.commit = hooks.commit;
  if (hooks.rollback) csp.rollback = hooks.rollback;
  return csp;
}

