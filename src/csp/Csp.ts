/**
 * The configuration service provider (CSP) plug-in API.
 *
 * A CSP owns the subtree under its `root` and is a record of optional handlers. The tree (the
 * Configuration Manager) parses the URI, checks limits, existence and the requesting server's
 * ACL rights, then asks the owning CSP — the one with the longest root that prefixes the URI —
 * through the matching handler:
 *
 * - the handler returns a DM status code (200, 202, 400, 403, 404, 405, 406, 415, 420, 500 …)
 *   and never throws for an expected outcome (a thrown exception becomes 500 and is logged);
 * - when it returns a 2xx, the engine applies the standard effect: Add creates the node (leaf
 *   value stored in the tree, persisted), Replace stores the value, Delete removes the subtree,
 *   and TStamp/VerNo are updated; Exec has no standard effect. When it returns anything else,
 *   nothing changes (store changes the handler made through `call.store` are undone too);
 * - a handler a CSP does not provide is answered by the engine: 405 (Command not allowed) for
 *   get/add/replace/delete/exec/rename, and Copy into a CSP without add/replace is 405 too;
 * - `get` may produce the value itself (`out.value(…)`, e.g. from device state); when it returns
 *   2xx without doing so, the value stored in the tree is returned;
 * - Atomic: the tree journals every store change and undoes them on rollback. A CSP with side
 *   effects outside the store implements `begin/commit/rollback` (called for CSPs touched by the
 *   Atomic); a `rollback` that returns a non-2xx status turns the children's 216 into 516.
 *
 * Per-CSP state stays inside the CSP object. CSPs are added and removed at run time with
 * `tree.addCsp(csp)` / `tree.removeCsp(root)`. Values in and out are bytes plus Format and Type.
 * See src/csp/README.md for a complete example.
 */
import type { Format } from '../tree/format';
import { DEFAULT_FORMAT } from '../tree/format';
import { utf8Decode, utf8Encode } from '../util/utf8';

export type { Format };

/** A value handed to a CSP (Add/Replace data, Exec argument), already Base64-decoded. */
export interface ValueIn {
  /** The value bytes (b64 transfer encoding already removed; then `format` is `bin`). A handler
   *  may replace them (e.g. decode a text nonce); the engine stores what is here afterwards. */
  bytes: Uint8Array;
  /** Format of the value (`node` for an interior node). A handler may normalise it before the
   *  engine stores it (e.g. a schema CSP turns `chr` "5" into `int`). */
  format: Format;
  /** MIME type (leaf) or MO identifier (interior); '' when the server sent none. May be normalised. */
  type: string;
  /** False when format/type are defaults because the command carried no Meta: Replace then
   *  keeps the node's Format/Type. `valueIn` sets it true when a format is passed. */
  declared?: boolean;
  /** Set by an add handler to make the new node write-only (Get of its value → 405). */
  secret?: boolean;
  /** The current bytes as UTF-8 text. */
  text(): string;
}

class Value implements ValueIn {
  #bytes: Uint8Array;
  /** Cached text of `#bytes` (null until asked or after the bytes changed). */
  #text: string | null;
  format: Format;
  type: string;
  declared: boolean;
  secret?: boolean;
  constructor(bytes: Uint8Array, text: string | null, format: Format, type: string, declared: boolean) {
    this.#bytes = bytes;
    this.#text = text;
    this.format = format;
    this.type = type;
    this.declared = declared;
  }
  get bytes(): Uint8Array {
    return this.#bytes;
  }
  set bytes(b: Uint8Array) {
    this.#bytes = b;
    this.#text = null;
  }
  text(): string {
    if (this.#text === null) this.#text = utf8Decode(this.#bytes);
    return this.#text;
  }
}

/** Builds a ValueIn from bytes or text (`declared` is true when `format` is given). */
export function valueIn(data: Uint8Array | string, format?: Format, type = ''): ValueIn {
  return typeof data === 'string'
    ? new Value(utf8Encode(data), data, format ?? DEFAULT_FORMAT, type, format !== undefined)
    : new Value(data, null, format ?? DEFAULT_FORMAT, type, format !== undefined);
}

/** Where a `get` handler puts a value it produces itself. */
export interface ValueSink {
  /** Sets the value (text is UTF-8 encoded); format/type default to the node's properties. */
  value(data: Uint8Array | string, format?: Format, type?: string): void;
}

/** What a large-object write announces to `beginWrite`. */
export interface WriteInfo {
  /** 'Add' (node will be created) or 'Replace' (node exists). */
  op: 'Add' | 'Replace';
  /** Declared total size of the value in bytes (from Meta Size; for a Base64 transfer the
   *  decoded size bound `floor(size * 3 / 4)`), or null when not announced. */
  size: number | null;
  format: Format;
  type: string;
}

/**
 * Receives a large object chunk by chunk (chunks never accumulate in the engine).
 * `write` and `end` return DM statuses; after a non-2xx from `write`, or after `abort`, the
 * sink receives nothing more.
 */
export interface WriteSink {
  /** Accepts the next decoded chunk; 200 to go on, else the status to answer (e.g. 420). */
  write(chunk: Uint8Array): number;
  /** All chunks delivered and sizes verified: commit; returns the command's final status. */
  end(): number;
  /** Drops everything received (size mismatch, interrupted transfer, session end). */
  abort(): void;
}

/** A node as seen through the store. */
export interface NodeInfo {
  /** Normalised absolute path. */
  path: string;
  name: string;
  interior: boolean;
  format: Format;
  /** MIME type or MO identifier; '' when none. */
  type: string;
  /** Own ACL text ('' = inherited). */
  acl: string;
  title: string;
  /** Last change, wall-clock ms (0 = never). */
  tstamp: number;
  /** Change counter, 0..65535, wraps. */
  verNo: number;
  /** Bytes of the stored value (0 for interior nodes or no stored value). */
  size: number;
  /** Built-in: cannot be deleted or renamed. */
  permanent: boolean;
  /** Write-only value. */
  secret: boolean;
  /** Its value is not persisted (the node and its properties are): the CSP provides it again
   *  at start (`ensure` with `value`) or produces it in `get`. */
  volatile: boolean;
}

/** Options of `NodeStore.ensure`. */
export interface EnsureOptions {
  /** Interior node (default false: leaf). */
  interior?: boolean;
  format?: Format;
  type?: string;
  /** ACL set only when the node is created. */
  acl?: string;
  title?: string;
  /** Value set when a leaf is created, or when it exists without a stored value (a volatile
   *  node after a restart). */
  value?: Uint8Array | string;
  permanent?: boolean;
  secret?: boolean;
  volatile?: boolean;
}

/**
 * Direct access to the tree for CSPs and host code: no ACL checks (the caller is the device
 * itself), but the same limits (statuses 400/404/405/413/414/420) and the same journal, so changes
 * made inside a handler are undone when the command fails or its Atomic rolls back.
 * Paths are absolute (`./A/B`) or relative (`A/B`).
 */
export interface NodeStore {
  /** The tree's bounds (DevDetail publishes the URI ones). */
  readonly limits: { readonly maxUriDepth: number; readonly maxUriLength: number; readonly maxSegmentLength: number; readonly maxValueSize: number };
  exists(path: string): boolean;
  info(path: string): NodeInfo | null;
  /** Child names in creation order; null for a leaf or a missing node. */
  children(path: string): string[] | null;
  /** Stored value of a leaf (a view: do not modify); null when missing, interior or without value. */
  read(path: string): Uint8Array | null;
  /** Stored value as UTF-8 text. */
  readText(path: string): string | null;
  /** Creates the node (and missing interior ancestors, with the same `permanent` flag) when
   *  missing; on an existing node updates format/type/title/flags given in `opts`. 200, or
   *  405 when the existing node is of the other kind, or a limit status. */
  ensure(path: string, opts?: EnsureOptions): number;
  /** Sets a leaf's value (and format/type when given); updates TStamp/VerNo. 404 missing, 405 interior. */
  write(path: string, value: Uint8Array | string, format?: Format, type?: string): number;
  /** Removes a node and its subtree, permanent or not. 200 or 404 (405 for the root). */
  remove(path: string): number;
  /** Sets a node's own ACL (validated; '' = inherit). 200, 400, 404, 413. */
  setAcl(path: string, acl: string): number;
  /** Removes a deleted server identity from every ACL (facts §7.3). */
  scrubServerId(serverId: string): void;
}

/** Context of one handler call. */
export interface CspCall {
  /** Normalised absolute path of the target node. */
  readonly path: string;
  /** Segments of the target below the CSP root (`[]` for the root itself). */
  readonly rel: readonly string[];
  /** Server principal of the command ('' for local calls). */
  readonly serverId: string;
  /** Direct, journaled access to the tree. */
  readonly store: NodeStore;
  /** True while an Atomic is open. */
  readonly inAtomic: boolean;
  /** Add only: this is an interior ancestor created implicitly for a deeper Add. */
  readonly implicit: boolean;
}

/** A configuration service provider: a root and optional handlers (see the module comment). */
export interface Csp {
  /** Root of the owned subtree, e.g. `./DevInfo` (normalised form). */
  readonly root: string;
  /** ACL the root gets when the tree creates it (first start only; default: inherited). */
  readonly rootAcl?: string;
  /** Called by `addCsp`: create the permanent skeleton (`store.ensure(...)`). Also runs after a
   *  restart, when persisted nodes already exist (ensure keeps them and their ACLs). */
  init?(store: NodeStore): void;
  /** Called by `removeCsp`. */
  removed?(store: NodeStore): void;
  /** Leaf value read. Interior nodes are listed by the engine without calling the CSP. */
  get?(call: CspCall, out: ValueSink): number;
  /** Node creation (`v.format === 'node'` for interior nodes). */
  add?(call: CspCall, v: ValueIn): number;
  /** Leaf value change. */
  replace?(call: CspCall, v: ValueIn): number;
  /** Removal of the node and its subtree (called for the target only). */
  delete?(call: CspCall): number;
  /** Exec; `data` is the Item Data (null when absent); `correlator` from the command (1.2). */
  exec?(call: CspCall, data: ValueIn | null, correlator: string | null): number;
  /** Copy into this CSP (used instead of add/replace when present); `v` is the source value. */
  copy?(call: CspCall, sourcePath: string, v: ValueIn): number;
  /** Rename through `?prop=Name` (the engine checks permanence and sibling clashes). */
  rename?(call: CspCall, newName: string): number;
  /** Large object: return a sink for the streamed value (the tree stores no value then), or a
   *  status to refuse. Without it, objects up to `maxValueSize` are spooled to storage and
   *  handed to add/replace whole. */
  beginWrite?(call: CspCall, info: WriteInfo): WriteSink | number;
  /** Atomic hooks, for CSPs touched inside an Atomic. */
  begin?(): void;
  commit?(): void;
  rollback?(): number;
}
