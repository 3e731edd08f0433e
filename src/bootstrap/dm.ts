/**
 * The OMA DM bootstrap profile ([DMBOOT] 3.1.4, facts §9.5): a normal DM message (WBXML), usually
 * Add/Replace of a DMAcc account and connectivity, possibly carrying embedded TNDS objects
 * (`application/vnd.syncml.dmtnds+wbxml` as OPAQUE, or `+xml` text), possibly addressed to the
 * Inbox. This module turns the decoded message into a plan: the tree operations, and the accounts
 * (ServerIDs) it provisions. Nothing is applied here (see Bootstrapper).
 *
 * Decisions:
 * - Bootstrap semantics are "make the tree look like this": Add and Replace both create or
 *   overwrite (a re-bootstrap of an existing account must not fail on 418/404), Delete of a
 *   missing node is fine. Atomic and Sequence are flattened (the whole bootstrap is atomic anyway).
 * - Only Add, Replace, Delete, Atomic and Sequence may appear; anything else (Get, Exec, Copy,
 *   Alert…) rejects the bootstrap: no response is ever sent, so such commands cannot be answered.
 * - Large-object chunks (MoreData) and commands the decoder flagged malformed reject the bootstrap.
 * - Inbox ([DMSTDOBJ] 7.1.3.4): `./Inbox/<name>` is placed where its MO identifier (the Type of the
 *   interior node) says: DMAcc 1.2 → `./DMAcc/<name>`, DMAcc 1.1.2 (w7) → `./SyncML/DMAcc/<name>`;
 *   `./Inbox/<name>` references inside values of the same bootstrap (ConRef) are rewritten to the
 *   new location. Any other MO in the Inbox rejects the bootstrap ('unsupported-mo').
 */
import type { Command, Item, Message, Meta } from '../codec/model';
import { b64decode } from '../crypto/base64';
import { DMACC_112_MO, DMACC_112_ROOT, DMACC_MO, DMACC_ROOT } from '../csp/dmacc';
import { DecodeError } from '../errors';
import { isFormat } from '../tree/format';
import type { Format } from '../tree/format';
import { utf8Decode, utf8Encode } from '../util/utf8';
import type { TreeOp } from './apply';
import type { BootstrapLimits } from './limits';
import { decodeTnds, tndsEncodingOf, tndsOps, tndsPath } from './tnds';

/** An account a bootstrap provisions. */
export interface PlannedAccount {
  /** Normalised path of the account node (`./DMAcc/<X>` or `./SyncML/DMAcc/<X>`). */
  path: string;
  serverId: string;
  form: '1.2' | '1.1.2';
}

/** What a DM bootstrap message asks for. */
export interface DmBootstrapPlan {
  ops: TreeOp[];
  accounts: PlannedAccount[];
}

/** Why a message cannot be a bootstrap. */
export interface PlanError {
  reason: 'malformed' | 'unsupported-command' | 'unsupported-mo' | 'too-large';
  detail: string;
}

/** MO identifier → where an Inbox object of that MO goes. */
export const INBOX_ROOTS: Readonly<Record<string, string>> = Object.freeze({
  [DMACC_MO]: DMACC_ROOT,
  [DMACC_112_MO]: DMACC_112_ROOT,
});

const ACC_12 = /^\.\/DMAcc\/([^/]+)\/ServerID$/;
const ACC_112 = /^\.\/SyncML\/DMAcc\/([^/]+)\/ServerId$/;

class Reject extends Error {
  constructor(readonly reason: PlanError['reason'], detail: string) {
    super(detail);
  }
}

function meta(c: Command, it: Item): Meta {
  return { ...(c.meta ?? {}), ...(it.meta ?? {}) };
}

/** Plans a decoded DM bootstrap message (see the module comment). */
export function planDmBootstrap(msg: Message, limits: Pick<BootstrapLimits, 'maxOps' | 'maxTndsNodes' | 'maxTndsDepth' | 'maxValueBytes' | 'maxFieldLength' | 'maxDocumentBytes'>): DmBootstrapPlan | PlanError {
  const ops: TreeOp[] = [];
  const push = (op: TreeOp): void => {
    if (ops.length >= limits.maxOps) throw new Reject('too-large', `more than ${limits.maxOps} operations`);
    ops.push(op);
  };
  const item = (c: Command, it: Item): void => {
    if (it.target === undefined || it.target === '') throw new Reject('malformed', `${c.name} ${c.cmdId ?? ''}: item without Target`);
    if (it.moreData) throw new Reject('malformed', `${c.name} ${c.cmdId ?? ''}: large objects are not allowed in a bootstrap`);
    const target = tndsPath(it.target);
    if (c.name === 'Delete') { push({ kind: 'delete', path: target, lenient: true }); return; }
    const m = meta(c, it);
    const tnds = tndsEncodingOf(m.type);
    const data = it.data ? it.data.bytes : new Uint8Array(0);
    if (tnds !== null) {
      let obj;
      try {
        obj = decodeTnds(data, { encoding: tnds, base: target, limits });
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        throw new Reject(e.code === 'too-many-nodes' || e.code === 'too-large' ? 'too-large' : 'malformed', `TNDS in ${c.name} ${c.cmdId ?? ''}: ${e.message}`);
      }
      for (const op of tndsOps(obj.nodes, 'set')) push(op);
      return;
    }
    let format: Format | undefined;
    let value = data;
    if (m.format !== undefined) {
      const f = m.format.trim();
      if (!isFormat(f)) throw new Reject('malformed', `${c.name} ${c.cmdId ?? ''}: unknown Format ${f}`);
      format = f;
    }
    if (format === 'b64') {
      try {
        value = b64decode(utf8Decode(data).trim());
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        throw new Reject('malformed', `${c.name} ${c.cmdId ?? ''}: Format b64 but the Data is not Base64`);
      }
      format = 'bin';
    }
    if (value.length > limits.maxValueBytes) throw new Reject('too-large', `${target}: value of ${value.length} bytes`);
    const op: TreeOp = { kind: 'set', path: target, interior: format === 'node', declared: m.format !== undefined || m.type !== undefined };
    if (format !== undefined && format !== 'node') op.format = format;
    if (m.type !== undefined && m.type.trim() !== '') op.type = m.type.trim();
    if (format !== 'node') op.value = value.slice();
    push(op);
  };
  const command = (c: Command): void => {
    if (c.error !== undefined || c.errorStatus !== undefined || c.cmdId === null) throw new Reject('malformed', `${c.element}: ${c.error ?? 'malformed command'}`);
    switch (c.name) {
      case 'Add': case 'Replace': case 'Delete':
        for (const it of c.items) item(c, it);
        return;
      case 'Atomic': case 'Sequence':
        for (const ch of c.children ?? []) command(ch);
        return;
      default:
        throw new Reject('unsupported-command', `${c.name === 'Unknown' ? c.element : c.name} is not allowed in a bootstrap`);
    }
  };
  try {
    for (const c of msg.body) command(c);
    const mapped = mapInbox(ops);
    return { ops: mapped, accounts: accountsOf(mapped) };
  } catch (e) {
    if (e instanceof Reject) return { reason: e.reason, detail: e.message };
    throw e;
  }
}

/** The accounts whose ServerID (1.2) / ServerId (1.1.2) leaf the operations set, in order, one per node. */
export function accountsOf(ops: readonly TreeOp[]): PlannedAccount[] {
  const out: PlannedAccount[] = [];
  for (const op of ops) {
    if (op.kind !== 'set' && op.kind !== 'add') continue;
    const m12 = ACC_12.exec(op.path);
    const m112 = m12 ? null : ACC_112.exec(op.path);
    const m = m12 ?? m112;
    if (!m || !op.value) continue;
    const path = m12 ? `${DMACC_ROOT}/${m[1]}` : `${DMACC_112_ROOT}/${m[1]}`;
    const serverId = utf8Decode(op.value).trim();
    const prev = out.findIndex((a) => a.path === path);
    const acc: PlannedAccount = { path, serverId, form: m12 ? '1.2' : '1.1.2' };
    if (prev >= 0) out[prev] = acc; else out.push(acc);
  }
  return out;
}

/** Rewrites `./Inbox/<name>` objects to their MO's location (see the module comment). */
function mapInbox(ops: TreeOp[]): TreeOp[] {
  const moves = new Map<string, string>();
  for (const op of ops) {
    const m = /^\.\/Inbox\/([^/]+)$/.exec(op.path);
    if (!m || (op.kind !== 'set' && op.kind !== 'add')) continue;
    if (!op.interior) throw new Reject('unsupported-mo', `${op.path}: only management objects (interior nodes) can be put in the Inbox`);
    const root = INBOX_ROOTS[op.type ?? ''];
    if (!root) throw new Reject('unsupported-mo', `${op.path}: no place for MO "${op.type ?? ''}" in this device`);
    moves.set(op.path, `${root}/${m[1]}`);
  }
  if (moves.size === 0) {
    if (ops.some((o) => o.path === './Inbox' || o.path.startsWith('./Inbox/'))) throw new Reject('unsupported-mo', 'Inbox content without an MO identifier');
    return ops;
  }
  const move = (p: string): string | null => {
    for (const [from, to] of moves) if (p === from || p.startsWith(from + '/')) return to + p.slice(from.length);
    return null;
  };
  const out: TreeOp[] = [];
  for (const op of ops) {
    if (op.path === './Inbox' && (op.kind === 'set' || op.kind === 'add')) continue; // the drop point itself
    let path = op.path;
    if (path.startsWith('./Inbox/')) {
      const to = move(path);
      if (to === null) throw new Reject('unsupported-mo', `${path}: not inside an Inbox object with an MO identifier`);
      path = to;
    }
    const o: TreeOp = { ...op, path };
    if (o.value && (o.format === undefined || o.format === 'chr')) {
      const t = utf8Decode(o.value);
      const to = t.startsWith('./Inbox/') ? move(t) : null;
      if (to !== null) o.value = utf8Encode(to);
    }
    out.push(o);
  }
  return out;
}
