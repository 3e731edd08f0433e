/**
 * Test-server scripts: the JSON format (documented with a complete example in docs/server.md), its
 * validated in-memory form, and the validator. A script is data: which server it pretends to be
 * (ids, DM version, encoding, credentials), the packages it sends (lists of DM commands with the
 * statuses it expects back), and fault behaviours for the whole script or one package.
 *
 * `parseScript` checks everything up front and throws one `ScriptError` naming the JSON path of the
 * first problem (`packages[1].commands[0].expect`), so a typo never surfaces mid-session. Unknown
 * fields are errors too.
 */
import { b64decode } from '../crypto/base64';
import type { Meta } from '../codec/model';
import { utf8Encode } from '../util/utf8';

/** DM version the server speaks: a fixed one, or 'auto' (answer in the client's version). */
export type ScriptVersion = '1.2' | '1.1.2' | 'auto';
/** Encoding of the server's messages: fixed, or 'auto' (the encoding of the client's request). */
export type ScriptEncoding = 'wbxml' | 'xml' | 'auto';
/** Authentication scheme of one direction. */
export type AuthType = 'none' | 'basic' | 'md5' | 'hmac';
/** Server commands a script can send. */
export type ScriptCommandName = 'Add' | 'Replace' | 'Delete' | 'Get' | 'Exec' | 'Copy' | 'Alert' | 'Atomic' | 'Sequence';

/** Why a script was refused. */
export type ScriptErrorCode = 'type' | 'missing' | 'unknown-field' | 'range' | 'conflict' | 'data';

/** A script that cannot be used: `path` is the JSON path of the offending value ('' = the root). */
export class ScriptError extends Error {
  override readonly name = 'ScriptError';
  /** Stable reason. */
  readonly code: ScriptErrorCode;
  /** JSON path, e.g. `packages[0].commands[2].expect`. */
  readonly path: string;
  constructor(code: ScriptErrorCode, path: string, message: string) {
    super(`${path === '' ? 'script' : path}: ${message}`);
    this.code = code;
    this.path = path;
  }
}

/** How the server authenticates the client. */
export interface ClientAuth {
  type: AuthType;
  username: string;
  password: string;
  /** Base64 nonce assumed issued to devices without a stored one (md5/hmac). Absent: a random one. */
  nonce?: string;
  /**
   * SyncHdr status on success for basic/md5: 212 (authenticated for the whole session, default) or
   * 200 (credentials required on every message; each reply carries a fresh nonce). HMAC always uses 200.
   */
  accept: 212 | 200;
  /** Rejected attempts (401, and separately 407) after which the session ends 'auth-failed'. Default 2. */
  maxFailures: number;
}

/** How the server authenticates itself to the client. */
export interface ServerAuth {
  /** 'none', or the scheme used until the client challenges with another one. */
  type: AuthType;
  username: string;
  password: string;
  /** Base64 nonce the client is assumed to have issued (md5/hmac) when none is stored. Absent: empty. */
  nonce?: string;
  /** Client challenges (401/407 on our SyncHdr) answered by resending, before the session ends. Default 2. */
  maxRetries: number;
}

/** Redirect fault. */
export interface RedirectFault {
  /** 301, 302, 303, 307 or 308. Default 307 (keeps POST). */
  status: number;
  /** Target (absolute URL, or a path resolved against the request URL); null with `loop`. */
  location: string | null;
  /** Redirect every request between two paths, forever (a redirect loop). */
  loop: boolean;
}

/** Fault behaviours; every field off by default. */
export interface Faults {
  /** Close the connection without answering; the request is not processed (a retry works). */
  dropAfterRequest: boolean;
  /** Delay the answer (ms). */
  delayMs: number;
  /** Answer with this HTTP status and no DM message; the request is not processed. */
  httpStatus: number | null;
  /** Answer a valid message with this Content-Type instead of the DM one. */
  wrongContentType: string | null;
  /** Answer 3xx; the request is not processed. */
  redirect: RedirectFault | null;
  /** Send only part of the (processed) answer. */
  truncateBody: { bytes: number; close: boolean } | null;
  /** Flip one character of the mac in our x-syncml-hmac header (needs server HMAC). */
  corruptHmac: boolean;
  /** Number of responses the faults apply to; Infinity = all (script-level default), 1 = package-level default. */
  times: number;
}

/** An Item to send. `data` as text, or as bytes (binary: OPAQUE in WBXML, Base64 with Format b64 in XML). */
export interface ScriptItem {
  target?: string;
  source?: string;
  meta?: Meta;
  data?: string | Uint8Array;
}

/** One command of a package (validated). */
export interface ScriptCommand {
  cmd: ScriptCommandName;
  /** JSON path in the script, for the session record (`packages[0].commands[1]`). */
  path: string;
  items: ScriptItem[];
  /** Command-level Meta. */
  meta?: Meta;
  noResp: boolean;
  /** Exec/Alert Correlator (dropped in DM 1.1.2 messages, which cannot carry it). */
  correlator?: string;
  /** Alert code. */
  code?: number;
  /** Atomic/Sequence children. */
  commands?: ScriptCommand[];
  /** Acceptable status codes; null = any. */
  expect: number[] | null;
  /** Get: the value the Results must carry (text; binary values compare as Base64). */
  expectValue?: string;
  /** Add/Replace: send even when larger than the client's MaxObjSize (to test its 413). */
  ignoreMaxObjSize: boolean;
  /** Add/Replace chunked: Meta Size to declare on the first chunk instead of the real size (to test 424). */
  declaredSize?: number;
}

/** One server package (validated). */
export interface ScriptPackage {
  name?: string;
  path: string;
  commands: ScriptCommand[];
  /** Faults for the responses that belong to this package. */
  faults: Faults | null;
  /** Send Alert 1223 after the commands, with Final, and end the session ('aborted-by-server'). */
  abort: boolean;
}

/** What the first package of a session must look like. */
export interface SessionExpectations {
  /** 1200 (server-initiated) or 1201 (client-initiated). */
  alert?: number;
  sessionId?: string;
  deviceId?: string;
  /** DevInfo values the client must report (URI → value). */
  devInfo?: Record<string, string>;
}

/** A validated script. */
export interface Script {
  name?: string;
  /** Server identifier (default server Cred username, recorded in sessions). */
  serverId: string;
  /** Source/LocURI of server messages. Absent: the Target/LocURI the client used. */
  serverUri?: string;
  version: ScriptVersion;
  /** Client version to refuse with SyncHdr status `rejectStatus` (session ends 'version-rejected'). */
  rejectVersion?: '1.2' | '1.1.2';
  /** 505 or 513 (default 513). */
  rejectStatus: number;
  encoding: ScriptEncoding;
  /** RespURI to send in every SyncHdr; a path is resolved against the request URL; `{sessionId}` and `{deviceId}` are substituted. */
  respUri?: string;
  /** SyncHdr Meta the server advertises (its own MaxMsgSize / MaxObjSize). */
  advertise: { maxMsgSize?: number; maxObjSize?: number };
  auth: { client: ClientAuth; server: ServerAuth };
  expectSession: SessionExpectations;
  /** Status for a client Generic Alert (1226) by Meta Type; '*' = any other type. */
  genericAlertStatus: Readonly<Record<string, number>>;
  /** Status for a client event alert (1224). */
  clientEventStatus: number;
  /** Status for the client's DevInfo Replace. */
  devInfoStatus: number;
  packages: ScriptPackage[];
  /** After the last package keep sending a Get of this URI forever (null = end normally). */
  neverEnd: string | null;
  /** Faults for every response. */
  faults: Faults | null;
}

/** Options of `parseScript`. */
export interface ParseScriptOptions {
  /** Reads a `dataFile` (path as written in the script). Absent: `dataFile` is a ScriptError. */
  readFile?: (path: string) => Uint8Array;
}

// ------------------------------------------------------------------------------------------------

type Json = unknown;
type Obj = Record<string, Json>;

const COMMANDS: readonly ScriptCommandName[] = ['Add', 'Replace', 'Delete', 'Get', 'Exec', 'Copy', 'Alert', 'Atomic', 'Sequence'];

function isObj(v: Json): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: Json): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function at(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
}

function obj(v: Json, path: string, allowed: readonly string[]): Obj {
  if (!isObj(v)) throw new ScriptError('type', path, `must be an object, got ${typeName(v)}`);
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) throw new ScriptError('unknown-field', at(path, k), `unknown field (allowed: ${allowed.join(', ')})`);
  }
  return v;
}

function str(o: Obj, key: string, path: string, required: true): string;
function str(o: Obj, key: string, path: string, required?: boolean): string | undefined;
function str(o: Obj, key: string, path: string, required = false): string | undefined {
  const v = o[key];
  if (v === undefined) {
    if (required) throw new ScriptError('missing', at(path, key), 'is required');
    return undefined;
  }
  if (typeof v !== 'string') throw new ScriptError('type', at(path, key), `must be a string, got ${typeName(v)}`);
  return v;
}

function int(o: Obj, key: string, path: string, min: number, max: number): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ScriptError('type', at(path, key), `must be an integer, got ${typeName(v) === 'number' ? String(v) : typeName(v)}`);
  if (v < min || v > max) throw new ScriptError('range', at(path, key), `must be in ${min}..${max}, got ${v}`);
  return v;
}

function bool(o: Obj, key: string, path: string): boolean | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new ScriptError('type', at(path, key), `must be true or false, got ${typeName(v)}`);
  return v;
}

function oneOf<T extends string>(o: Obj, key: string, path: string, values: readonly T[]): T | undefined {
  const v = str(o, key, path);
  if (v === undefined) return undefined;
  if (!(values as readonly string[]).includes(v)) throw new ScriptError('range', at(path, key), `must be one of ${values.map((x) => JSON.stringify(x)).join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

function statusCode(v: Json, path: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ScriptError('type', path, `must be a status code (integer), got ${typeName(v)}`);
  if (v < 100 || v > 599) throw new ScriptError('range', path, `status codes are 100..599, got ${v}`);
  return v;
}

function expectList(v: Json, path: string): number[] | null {
  if (v === undefined) return null;
  if (Array.isArray(v)) {
    if (v.length === 0) throw new ScriptError('range', path, 'must list at least one status code');
    return v.map((x, i) => statusCode(x, at(path, i)));
  }
  return [statusCode(v, path)];
}

const META_FIELDS = ['type', 'format', 'size', 'mark', 'version', 'emi', 'maxMsgSize', 'maxObjSize', 'nextNonce'] as const;

function meta(v: Json, path: string): Meta {
  const o = obj(v, path, META_FIELDS);
  const m: Meta = {};
  const type = str(o, 'type', path);
  if (type !== undefined) m.type = type;
  const format = str(o, 'format', path);
  if (format !== undefined) m.format = format;
  const mark = str(o, 'mark', path);
  if (mark !== undefined) m.mark = mark;
  const version = str(o, 'version', path);
  if (version !== undefined) m.version = version;
  const nonce = str(o, 'nextNonce', path);
  if (nonce !== undefined) m.nextNonce = nonce;
  const size = int(o, 'size', path, 0, Number.MAX_SAFE_INTEGER);
  if (size !== undefined) m.size = size;
  const mms = int(o, 'maxMsgSize', path, 1, Number.MAX_SAFE_INTEGER);
  if (mms !== undefined) m.maxMsgSize = mms;
  const mos = int(o, 'maxObjSize', path, 1, Number.MAX_SAFE_INTEGER);
  if (mos !== undefined) m.maxObjSize = mos;
  if (o['emi'] !== undefined) {
    const e = o['emi'];
    if (!Array.isArray(e) || e.some((x) => typeof x !== 'string')) throw new ScriptError('type', at(path, 'emi'), 'must be an array of strings');
    m.emi = e as string[];
  }
  return m;
}

/** Data of an item or command: at most one of data / dataBase64 / dataFile. */
function data(o: Obj, path: string, opts: ParseScriptOptions): string | Uint8Array | undefined {
  const given = ['data', 'dataBase64', 'dataFile'].filter((k) => o[k] !== undefined);
  if (given.length > 1) throw new ScriptError('conflict', at(path, given[1]!), `give only one of data, dataBase64, dataFile (found ${given.join(', ')})`);
  const text = str(o, 'data', path);
  if (text !== undefined) return text;
  const b64 = str(o, 'dataBase64', path);
  if (b64 !== undefined) {
    try {
      return b64decode(b64);
    } catch (e) {
      throw new ScriptError('data', at(path, 'dataBase64'), `is not valid Base64 (${(e as Error).message})`);
    }
  }
  const file = str(o, 'dataFile', path);
  if (file !== undefined) {
    if (!opts.readFile) throw new ScriptError('data', at(path, 'dataFile'), 'dataFile needs a host that can read files (parseScript readFile option)');
    try {
      return opts.readFile(file);
    } catch (e) {
      throw new ScriptError('data', at(path, 'dataFile'), `cannot read ${JSON.stringify(file)}: ${(e as Error).message}`);
    }
  }
  return undefined;
}

/** Item-level meta from the `format`/`type`/`meta` shorthands of an object. */
function itemMeta(o: Obj, path: string): Meta | undefined {
  let m: Meta | undefined;
  if (o['meta'] !== undefined) m = meta(o['meta'], at(path, 'meta'));
  const format = str(o, 'format', path);
  const type = str(o, 'type', path);
  if (format !== undefined || type !== undefined) {
    m = { ...(m ?? {}) };
    if (format !== undefined) {
      if (m.format !== undefined) throw new ScriptError('conflict', at(path, 'format'), 'given both as format and meta.format');
      m.format = format;
    }
    if (type !== undefined) {
      if (m.type !== undefined) throw new ScriptError('conflict', at(path, 'type'), 'given both as type and meta.type');
      m.type = type;
    }
  }
  return m;
}

const ITEM_FIELDS = ['target', 'source', 'data', 'dataBase64', 'dataFile', 'format', 'type', 'meta'] as const;

function item(v: Json, path: string, opts: ParseScriptOptions): ScriptItem {
  if (typeof v === 'string') return { data: v };
  const o = obj(v, path, ITEM_FIELDS);
  const it: ScriptItem = {};
  const target = str(o, 'target', path);
  if (target !== undefined) it.target = target;
  const source = str(o, 'source', path);
  if (source !== undefined) it.source = source;
  const m = itemMeta(o, path);
  if (m) it.meta = m;
  const d = data(o, path, opts);
  if (d !== undefined) it.data = d;
  return it;
}

const COMMAND_FIELDS = [
  'cmd', 'target', 'source', 'data', 'dataBase64', 'dataFile', 'format', 'type', 'itemMeta', 'meta', 'items',
  'noResp', 'correlator', 'code', 'commands', 'expect', 'expectValue', 'ignoreMaxObjSize', 'declaredSize', 'comment',
] as const;

function command(v: Json, path: string, opts: ParseScriptOptions, depth: number): ScriptCommand {
  const o = obj(v, path, COMMAND_FIELDS);
  const name = str(o, 'cmd', path, true);
  if (!(COMMANDS as readonly string[]).includes(name)) {
    throw new ScriptError('range', at(path, 'cmd'), `unknown command ${JSON.stringify(name)} (one of ${COMMANDS.join(', ')})`);
  }
  const cmd = name as ScriptCommandName;
  const c: ScriptCommand = { cmd, path, items: [], noResp: bool(o, 'noResp', path) ?? false, expect: expectList(o['expect'], at(path, 'expect')), ignoreMaxObjSize: false };
  str(o, 'comment', path);
  if (o['meta'] !== undefined) c.meta = meta(o['meta'], at(path, 'meta'));
  const only = (fields: readonly string[]): void => {
    for (const f of COMMAND_FIELDS) {
      if (o[f] !== undefined && !fields.includes(f)) throw new ScriptError('unknown-field', at(path, f), `not used by ${cmd}`);
    }
  };
  const common = ['cmd', 'meta', 'noResp', 'expect', 'comment'];
  const itemFields = ['target', 'source', 'data', 'dataBase64', 'dataFile', 'format', 'type', 'itemMeta', 'items'];
  switch (cmd) {
    case 'Atomic':
    case 'Sequence': {
      only([...common, 'commands']);
      const list = o['commands'];
      if (list === undefined) throw new ScriptError('missing', at(path, 'commands'), 'is required');
      if (!Array.isArray(list) || list.length === 0) throw new ScriptError('type', at(path, 'commands'), 'must be a non-empty array of commands');
      if (depth >= 8) throw new ScriptError('range', at(path, 'commands'), 'nesting deeper than 8 levels');
      c.commands = list.map((x, i) => command(x, at(at(path, 'commands'), i), opts, depth + 1));
      return c;
    }
    case 'Alert': {
      only([...common, 'code', 'items', 'correlator']);
      const code = int(o, 'code', path, 0, 9999);
      if (code === undefined) throw new ScriptError('missing', at(path, 'code'), 'is required');
      c.code = code;
      const corr = str(o, 'correlator', path);
      if (corr !== undefined) c.correlator = corr;
      const items = o['items'];
      if (items !== undefined) {
        if (!Array.isArray(items)) throw new ScriptError('type', at(path, 'items'), 'must be an array of strings or items');
        c.items = items.map((x, i) => item(x, at(at(path, 'items'), i), opts));
      }
      return c;
    }
    case 'Get':
    case 'Delete':
      only([...common, 'target', 'items', 'format', 'type', 'itemMeta', ...(cmd === 'Get' ? ['expectValue'] : [])]);
      break;
    case 'Add':
    case 'Replace':
      only([...common, ...itemFields, 'ignoreMaxObjSize', 'declaredSize']);
      break;
    case 'Exec':
      only([...common, ...itemFields, 'correlator']);
      break;
    case 'Copy':
      only([...common, ...itemFields]);
      break;
  }
  // item commands: either the single-item shorthand (target, source, data, format, type, itemMeta) or `items`
  if (o['items'] !== undefined) {
    for (const f of ['target', 'source', 'data', 'dataBase64', 'dataFile', 'format', 'type', 'itemMeta']) {
      if (o[f] !== undefined) throw new ScriptError('conflict', at(path, f), 'give either items or the single-item fields, not both');
    }
    const items = o['items'];
    if (!Array.isArray(items) || items.length === 0) throw new ScriptError('type', at(path, 'items'), 'must be a non-empty array of items');
    c.items = items.map((x, i) => item(x, at(at(path, 'items'), i), opts));
  } else {
    const it: ScriptItem = {};
    const target = str(o, 'target', path);
    if (target !== undefined) it.target = target;
    const source = str(o, 'source', path);
    if (source !== undefined) it.source = source;
    let m: Meta | undefined;
    if (o['itemMeta'] !== undefined) m = meta(o['itemMeta'], at(path, 'itemMeta'));
    const format = str(o, 'format', path);
    const type = str(o, 'type', path);
    if (format !== undefined || type !== undefined) {
      m = { ...(m ?? {}) };
      if (format !== undefined) m.format = format;
      if (type !== undefined) m.type = type;
    }
    if (m) it.meta = m;
    const d = data(o, path, opts);
    if (d !== undefined) it.data = d;
    c.items = [it];
  }
  c.items.forEach((it, i) => {
    const p = o['items'] !== undefined ? at(at(path, 'items'), i) : path;
    if (it.target === undefined || it.target === '') throw new ScriptError('missing', at(p, 'target'), `${cmd} needs a target URI`);
    if (cmd === 'Copy' && (it.source === undefined || it.source === '')) throw new ScriptError('missing', at(p, 'source'), 'Copy needs a source URI');
    if ((cmd === 'Get' || cmd === 'Delete') && it.data !== undefined) throw new ScriptError('unknown-field', at(p, 'data'), `${cmd} carries no data`);
  });
  const corr = str(o, 'correlator', path);
  if (corr !== undefined) c.correlator = corr;
  const ev = str(o, 'expectValue', path);
  if (ev !== undefined) {
    if (c.items.length !== 1) throw new ScriptError('conflict', at(path, 'expectValue'), 'needs a single-item Get');
    c.expectValue = ev;
  }
  c.ignoreMaxObjSize = bool(o, 'ignoreMaxObjSize', path) ?? false;
  const ds = int(o, 'declaredSize', path, 0, Number.MAX_SAFE_INTEGER);
  if (ds !== undefined) c.declaredSize = ds;
  return c;
}

const FAULT_FIELDS = ['dropAfterRequest', 'delayMs', 'httpStatus', 'wrongContentType', 'redirect', 'truncateBody', 'corruptHmac', 'times'] as const;

function faults(v: Json, path: string, defaultTimes: number): Faults {
  const o = obj(v, path, FAULT_FIELDS);
  const f: Faults = {
    dropAfterRequest: bool(o, 'dropAfterRequest', path) ?? false,
    delayMs: int(o, 'delayMs', path, 0, 3_600_000) ?? 0,
    httpStatus: null,
    wrongContentType: null,
    redirect: null,
    truncateBody: null,
    corruptHmac: bool(o, 'corruptHmac', path) ?? false,
    times: int(o, 'times', path, 1, Number.MAX_SAFE_INTEGER) ?? defaultTimes,
  };
  if (o['httpStatus'] !== undefined) f.httpStatus = statusCode(o['httpStatus'], at(path, 'httpStatus'));
  const wct = o['wrongContentType'];
  if (wct !== undefined) {
    if (wct === true) f.wrongContentType = 'text/html; charset=utf-8';
    else if (typeof wct === 'string' && wct !== '') f.wrongContentType = wct;
    else if (wct !== false) throw new ScriptError('type', at(path, 'wrongContentType'), 'must be true or a Content-Type string');
  }
  const r = o['redirect'];
  if (r !== undefined) {
    const rp = at(path, 'redirect');
    const ro = obj(r, rp, ['status', 'location', 'loop']);
    const status = int(ro, 'status', rp, 300, 399) ?? 307;
    if (![301, 302, 303, 307, 308].includes(status)) throw new ScriptError('range', at(rp, 'status'), 'must be 301, 302, 303, 307 or 308');
    const loop = bool(ro, 'loop', rp) ?? false;
    const location = str(ro, 'location', rp) ?? null;
    if (!loop && (location === null || location === '')) throw new ScriptError('missing', at(rp, 'location'), 'is required unless loop is true');
    f.redirect = { status, location, loop };
  }
  const t = o['truncateBody'];
  if (t !== undefined) {
    const tp = at(path, 'truncateBody');
    if (typeof t === 'number') {
      if (!Number.isInteger(t) || t < 0) throw new ScriptError('range', tp, 'must be a byte count >= 0');
      f.truncateBody = { bytes: t, close: true };
    } else {
      const to = obj(t, tp, ['bytes', 'close']);
      const bytes = int(to, 'bytes', tp, 0, Number.MAX_SAFE_INTEGER);
      if (bytes === undefined) throw new ScriptError('missing', at(tp, 'bytes'), 'is required');
      f.truncateBody = { bytes, close: bool(to, 'close', tp) ?? true };
    }
  }
  const pre = [f.dropAfterRequest, f.httpStatus !== null, f.redirect !== null].filter(Boolean).length;
  if (pre > 1) throw new ScriptError('conflict', path, 'dropAfterRequest, httpStatus and redirect exclude each other');
  return f;
}

function authType(o: Obj, path: string): AuthType | undefined {
  return oneOf(o, 'type', path, ['none', 'basic', 'md5', 'hmac'] as const);
}

function nonceField(o: Obj, path: string): string | undefined {
  const n = str(o, 'nonce', path);
  if (n === undefined) return undefined;
  try {
    b64decode(n);
  } catch {
    throw new ScriptError('data', at(path, 'nonce'), 'must be Base64');
  }
  return n;
}

function auth(v: Json, path: string, serverId: string): { client: ClientAuth; server: ServerAuth } {
  const o = v === undefined ? {} : obj(v, path, ['client', 'server', 'hmac']);
  const hmac = bool(o, 'hmac', path) ?? false;
  const cp = at(path, 'client');
  const co = o['client'] === undefined ? {} : obj(o['client'], cp, ['type', 'username', 'password', 'nonce', 'accept', 'maxFailures']);
  let ctype = authType(co, cp) ?? 'none';
  if (hmac) {
    if (co['type'] !== undefined && ctype !== 'hmac') throw new ScriptError('conflict', at(cp, 'type'), '"hmac": true needs client type "hmac" (or none given)');
    ctype = 'hmac';
  }
  const client: ClientAuth = {
    type: ctype,
    username: str(co, 'username', cp) ?? '',
    password: str(co, 'password', cp) ?? '',
    accept: 212,
    maxFailures: int(co, 'maxFailures', cp, 1, 100) ?? 2,
  };
  const cn = nonceField(co, cp);
  if (cn !== undefined) client.nonce = cn;
  const acc = int(co, 'accept', cp, 200, 212);
  if (acc !== undefined) {
    if (acc !== 200 && acc !== 212) throw new ScriptError('range', at(cp, 'accept'), 'must be 212 or 200');
    client.accept = acc;
  }
  if (client.type !== 'none' && co['username'] === undefined) throw new ScriptError('missing', at(cp, 'username'), `is required for ${client.type}`);
  if (client.type !== 'none' && co['password'] === undefined) throw new ScriptError('missing', at(cp, 'password'), `is required for ${client.type}`);

  const sp = at(path, 'server');
  const so = o['server'] === undefined ? {} : obj(o['server'], sp, ['type', 'username', 'password', 'nonce', 'maxRetries']);
  let stype = authType(so, sp) ?? 'none';
  if (hmac) {
    if (so['type'] !== undefined && stype !== 'hmac') throw new ScriptError('conflict', at(sp, 'type'), '"hmac": true needs server type "hmac" (or none given)');
    stype = 'hmac';
  }
  const server: ServerAuth = {
    type: stype,
    username: str(so, 'username', sp) ?? serverId,
    password: str(so, 'password', sp) ?? '',
    maxRetries: int(so, 'maxRetries', sp, 0, 100) ?? 2,
  };
  const sn = nonceField(so, sp);
  if (sn !== undefined) server.nonce = sn;
  if (server.type !== 'none' && so['password'] === undefined) throw new ScriptError('missing', at(sp, 'password'), `is required for ${server.type}`);
  return { client, server };
}

const PACKAGE_FIELDS = ['name', 'commands', 'faults', 'abort', 'comment'] as const;

const SCRIPT_FIELDS = [
  'name', 'comment', 'serverId', 'serverUri', 'version', 'rejectVersion', 'rejectStatus', 'encoding', 'respUri', 'advertise',
  'auth', 'expectSession', 'genericAlertStatus', 'clientEventStatus', 'devInfoStatus', 'packages', 'neverEnd', 'faults',
] as const;

/**
 * Validates a script given as parsed JSON and returns its normalised form. Throws `ScriptError`.
 * Text data is kept as strings; `dataBase64`/`dataFile` become bytes.
 */
export function parseScript(json: unknown, opts: ParseScriptOptions = {}): Script {
  const o = obj(json, '', SCRIPT_FIELDS);
  str(o, 'comment', '');
  const serverId = str(o, 'serverId', '') ?? 'omadm-test-server';
  if (serverId === '') throw new ScriptError('range', 'serverId', 'must not be empty');
  const s: Script = {
    serverId,
    version: oneOf(o, 'version', '', ['1.2', '1.1.2', 'auto'] as const) ?? 'auto',
    rejectStatus: 513,
    encoding: oneOf(o, 'encoding', '', ['wbxml', 'xml', 'auto'] as const) ?? 'auto',
    advertise: {},
    auth: auth(o['auth'], 'auth', serverId),
    expectSession: {},
    genericAlertStatus: { '*': 200 },
    clientEventStatus: 200,
    devInfoStatus: 200,
    packages: [],
    neverEnd: null,
    faults: null,
  };
  const name = str(o, 'name', '');
  if (name !== undefined) s.name = name;
  const serverUri = str(o, 'serverUri', '');
  if (serverUri !== undefined) s.serverUri = serverUri;
  const rv = oneOf(o, 'rejectVersion', '', ['1.2', '1.1.2'] as const);
  if (rv !== undefined) s.rejectVersion = rv;
  if (o['rejectStatus'] !== undefined) {
    const rs = statusCode(o['rejectStatus'], 'rejectStatus');
    if (rs !== 505 && rs !== 513) throw new ScriptError('range', 'rejectStatus', 'must be 505 or 513');
    s.rejectStatus = rs;
  }
  if (rv !== undefined && rv === s.version) throw new ScriptError('conflict', 'rejectVersion', `a ${s.version} server cannot reject ${rv} clients`);
  const respUri = str(o, 'respUri', '');
  if (respUri !== undefined) s.respUri = respUri;
  if (o['advertise'] !== undefined) {
    const ao = obj(o['advertise'], 'advertise', ['maxMsgSize', 'maxObjSize']);
    const mms = int(ao, 'maxMsgSize', 'advertise', 256, 0x7fffffff);
    if (mms !== undefined) s.advertise.maxMsgSize = mms;
    const mos = int(ao, 'maxObjSize', 'advertise', 1, 0x7fffffff);
    if (mos !== undefined) s.advertise.maxObjSize = mos;
  }
  if (o['expectSession'] !== undefined) {
    const eo = obj(o['expectSession'], 'expectSession', ['alert', 'sessionId', 'deviceId', 'devInfo']);
    const alert = int(eo, 'alert', 'expectSession', 1200, 1201);
    if (alert !== undefined) s.expectSession.alert = alert;
    const sid = str(eo, 'sessionId', 'expectSession');
    if (sid !== undefined) s.expectSession.sessionId = sid;
    const did = str(eo, 'deviceId', 'expectSession');
    if (did !== undefined) s.expectSession.deviceId = did;
    if (eo['devInfo'] !== undefined) {
      const dp = 'expectSession.devInfo';
      const d = eo['devInfo'];
      if (!isObj(d)) throw new ScriptError('type', dp, 'must be an object of URI → value');
      for (const [k, v] of Object.entries(d)) if (typeof v !== 'string') throw new ScriptError('type', at(dp, k), 'must be a string');
      s.expectSession.devInfo = d as Record<string, string>;
    }
  }
  const gas = o['genericAlertStatus'];
  if (gas !== undefined) {
    if (typeof gas === 'number') s.genericAlertStatus = { '*': statusCode(gas, 'genericAlertStatus') };
    else if (isObj(gas)) {
      const m: Record<string, number> = { '*': 200 };
      for (const [k, v] of Object.entries(gas)) m[k] = statusCode(v, at('genericAlertStatus', k));
      s.genericAlertStatus = m;
    } else throw new ScriptError('type', 'genericAlertStatus', 'must be a status code or an object of Meta Type → status code');
  }
  if (o['clientEventStatus'] !== undefined) s.clientEventStatus = statusCode(o['clientEventStatus'], 'clientEventStatus');
  if (o['devInfoStatus'] !== undefined) s.devInfoStatus = statusCode(o['devInfoStatus'], 'devInfoStatus');
  const ne = o['neverEnd'];
  if (ne !== undefined) {
    if (ne === true) s.neverEnd = './DevInfo/DevId';
    else if (typeof ne === 'string' && ne !== '') s.neverEnd = ne;
    else if (ne !== false) throw new ScriptError('type', 'neverEnd', 'must be true, false or a URI to Get');
  }
  if (o['faults'] !== undefined) s.faults = faults(o['faults'], 'faults', Infinity);
  const pk = o['packages'];
  if (pk === undefined) throw new ScriptError('missing', 'packages', 'is required (use [] for a session that only answers package 1)');
  if (!Array.isArray(pk)) throw new ScriptError('type', 'packages', `must be an array, got ${typeName(pk)}`);
  s.packages = pk.map((p, i) => {
    const path = at('packages', i);
    const po = obj(p, path, PACKAGE_FIELDS);
    str(po, 'comment', path);
    const cmds = po['commands'] ?? [];
    if (!Array.isArray(cmds)) throw new ScriptError('type', at(path, 'commands'), 'must be an array of commands');
    const pkg: ScriptPackage = {
      path,
      commands: cmds.map((c, j) => command(c, at(at(path, 'commands'), j), opts, 0)),
      faults: po['faults'] === undefined ? null : faults(po['faults'], at(path, 'faults'), 1),
      abort: bool(po, 'abort', path) ?? false,
    };
    const pname = str(po, 'name', path);
    if (pname !== undefined) pkg.name = pname;
    if (pkg.commands.length === 0 && !pkg.abort) throw new ScriptError('range', at(path, 'commands'), 'a package needs at least one command (or "abort": true)');
    return pkg;
  });
  const needsHmac = [s.faults, ...s.packages.map((p) => p.faults)].some((f) => f?.corruptHmac);
  if (needsHmac && s.auth.server.type !== 'hmac') throw new ScriptError('conflict', 'auth.server.type', 'corruptHmac needs server HMAC ("auth": {"server": {"type": "hmac"}} or "hmac": true)');
  return s;
}

/** UTF-8 bytes of a text item value, or the bytes themselves. */
export function dataBytes(d: string | Uint8Array): Uint8Array {
  return typeof d === 'string' ? utf8Encode(d) : d;
}
