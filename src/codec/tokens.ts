/**
 * SyncML DM WBXML code pages (facts sheet §4.3–4.5; libwbxml's tables) and the tag-id scheme shared
 * by both decoders: a tag id is `page << 8 | token`, so XML names map to the same ids as WBXML tokens
 * and everything above the tokenizers is encoding-agnostic.
 *
 * Page 0 is SyncML (1.1 and 1.2 share it; 0x35–0x3C exist only in 1.2 and are accepted in 1.1
 * documents too, as libwbxml does for SourceParent). Page 1 is MetInf, page 2 DM DDF (TNDS).
 */

/** Code page numbers. */
export enum Page {
  SyncML = 0,
  MetInf = 1,
  Ddf = 2,
}

/** Tag ids (page << 8 | token) used by the SyncML parser and builder. */
export enum Tag {
  // page 0: SyncML
  Add = 0x05, Alert = 0x06, Archive = 0x07, Atomic = 0x08, Chal = 0x09, Cmd = 0x0a, CmdID = 0x0b,
  CmdRef = 0x0c, Copy = 0x0d, Cred = 0x0e, Data = 0x0f, Delete = 0x10, Exec = 0x11, Final = 0x12,
  Get = 0x13, Item = 0x14, Lang = 0x15, LocName = 0x16, LocURI = 0x17, Map = 0x18, MapItem = 0x19,
  Meta = 0x1a, MsgID = 0x1b, MsgRef = 0x1c, NoResp = 0x1d, NoResults = 0x1e, Put = 0x1f,
  Replace = 0x20, RespURI = 0x21, Results = 0x22, Search = 0x23, Sequence = 0x24, SessionID = 0x25,
  SftDel = 0x26, Source = 0x27, SourceRef = 0x28, Status = 0x29, Sync = 0x2a, SyncBody = 0x2b,
  SyncHdr = 0x2c, SyncML = 0x2d, Target = 0x2e, TargetRef = 0x2f, VerDTD = 0x31, VerProto = 0x32,
  NumberOfChanges = 0x33, MoreData = 0x34, Field = 0x35, Filter = 0x36, Record = 0x37,
  FilterType = 0x38, SourceParent = 0x39, TargetParent = 0x3a, Move = 0x3b, Correlator = 0x3c,
  // page 1: MetInf
  Anchor = 0x105, EMI = 0x106, Format = 0x107, FreeID = 0x108, FreeMem = 0x109, Last = 0x10a,
  Mark = 0x10b, MaxMsgSize = 0x10c, Mem = 0x10d, MetInf = 0x10e, Next = 0x10f, NextNonce = 0x110,
  SharedMem = 0x111, Size = 0x112, Type = 0x113, Version = 0x114, MaxObjSize = 0x115, FieldLevel = 0x116,
}

const SYNCML_NAMES: readonly (string | null)[] = [
  null, null, null, null, null, 'Add', 'Alert', 'Archive', 'Atomic', 'Chal', 'Cmd', 'CmdID', 'CmdRef',
  'Copy', 'Cred', 'Data', 'Delete', 'Exec', 'Final', 'Get', 'Item', 'Lang', 'LocName', 'LocURI', 'Map',
  'MapItem', 'Meta', 'MsgID', 'MsgRef', 'NoResp', 'NoResults', 'Put', 'Replace', 'RespURI', 'Results',
  'Search', 'Sequence', 'SessionID', 'SftDel', 'Source', 'SourceRef', 'Status', 'Sync', 'SyncBody',
  'SyncHdr', 'SyncML', 'Target', 'TargetRef', null, 'VerDTD', 'VerProto', 'NumberOfChanges', 'MoreData',
  'Field', 'Filter', 'Record', 'FilterType', 'SourceParent', 'TargetParent', 'Move', 'Correlator',
];

const METINF_NAMES: readonly (string | null)[] = [
  null, null, null, null, null, 'Anchor', 'EMI', 'Format', 'FreeID', 'FreeMem', 'Last', 'Mark',
  'MaxMsgSize', 'Mem', 'MetInf', 'Next', 'NextNonce', 'SharedMem', 'Size', 'Type', 'Version',
  'MaxObjSize', 'FieldLevel',
];

const DDF_NAMES: readonly (string | null)[] = [
  null, null, null, null, null, 'AccessType', 'ACL', 'Add', 'b64', 'bin', 'bool', 'chr', 'CaseSense',
  'CIS', 'Copy', 'CS', 'date', 'DDFName', 'DefaultValue', 'Delete', 'Description', 'DFFormat',
  'DFProperties', 'DFTitle', 'DFType', 'Dynamic', 'Exec', 'float', 'Format', 'Get', 'int', 'Man',
  'MgmtTree', 'MIME', 'Mod', 'Name', 'Node', 'node', 'NodeName', 'null', 'Occurrence', 'One',
  'OneOrMore', 'OneOrN', 'Path', 'Permanent', 'Replace', 'RTProperties', 'Scope', 'Size', 'time',
  'Title', 'TStamp', 'Type', 'Value', 'VerDTD', 'VerNo', 'xml', 'ZeroOrMore', 'ZeroOrN', 'ZeroOrOne',
];

/** Element names per page, indexed by token (null = no such token). */
export const PAGE_NAMES: readonly (readonly (string | null)[])[] = [SYNCML_NAMES, METINF_NAMES, DDF_NAMES];

/** XML namespace of each page (page 0's depends on the version). */
export const NS_SYNCML_12 = 'SYNCML:SYNCML1.2';
export const NS_SYNCML_11 = 'SYNCML:SYNCML1.1';
export const NS_METINF = 'syncml:metinf';
export const NS_DDF = 'syncml:dmddf1.2';

/** WBXML public identifiers. */
export const PUBLIC_ID_SYNCML_12 = 0x1201;
export const PUBLIC_ID_SYNCML_11 = 0x0fd3;
export const FPI_SYNCML_12 = '-//SYNCML//DTD SyncML 1.2//EN';
export const FPI_SYNCML_11 = '-//SYNCML//DTD SyncML 1.1//EN';

/** Name of a tag id ('?' + hex when unknown). */
export function tagName(tag: number): string {
  const n = PAGE_NAMES[tag >> 8]?.[tag & 0xff];
  return n ?? `?${tag.toString(16)}`;
}

/** `KNOWN_TOKENS[page << 6 | token]` is 1 when the token is defined on the page (pages 0–3). */
export const KNOWN_TOKENS: Uint8Array = (() => {
  const t = new Uint8Array(4 << 6);
  PAGE_NAMES.forEach((names, page) => names.forEach((n, token) => {
    if (n !== null) t[(page << 6) | token] = 1;
  }));
  return t;
})();

/** True when `token` is defined on `page`. */
export function isKnownToken(page: number, token: number): boolean {
  return page < 4 && token < 64 && KNOWN_TOKENS[(page << 6) | token] === 1;
}

/** Page of an XML namespace URI (case-insensitive for the SyncML ones), or -1. */
export function pageOfNamespace(ns: string): number {
  const u = ns.trim().toLowerCase();
  if (u === 'syncml:syncml1.2' || u === 'syncml:syncml1.1' || u === 'syncml:syncml1.0') return Page.SyncML;
  if (u === 'syncml:metinf') return Page.MetInf;
  if (u === 'syncml:dmddf1.2' || u === 'syncml:dmddf1.1') return Page.Ddf;
  return -1;
}

/** 32-bit FNV-1a of b[s, e): the XML tokenizer computes it while scanning a name. */
export function fnv1a(b: Uint8Array, s: number, e: number): number {
  let h = FNV_OFFSET;
  for (let i = s; i < e; i++) h = Math.imul(h ^ b[i]!, FNV_PRIME);
  return h;
}
export const FNV_OFFSET = 0x811c9dc5 | 0;
export const FNV_PRIME = 0x01000193;

/**
 * Every element name, ASCII, packed in one buffer (few objects: QuickJS charges ~100 bytes per typed
 * array): the name of tag `page << 8 | token` is NAME_BYTES[NAME_OFF[i], NAME_OFF[i] + NAME_LEN[i])
 * with i = page << 6 | token; NAME_LEN[i] = 0 for undefined tokens.
 */
export const NAME_OFF: Uint16Array = new Uint16Array(4 << 6);
export const NAME_LEN: Uint8Array = new Uint8Array(4 << 6);
export const NAME_BYTES: Uint8Array = (() => {
  let total = 0;
  for (const names of PAGE_NAMES) for (const n of names) if (n !== null) total += n.length;
  const out = new Uint8Array(total);
  let o = 0;
  PAGE_NAMES.forEach((names, page) => names.forEach((n, token) => {
    if (n === null) return;
    const i = (page << 6) | token;
    NAME_OFF[i] = o;
    NAME_LEN[i] = n.length;
    for (let k = 0; k < n.length; k++) out[o++] = n.charCodeAt(k);
  }));
  return out;
})();

/** NAME_BYTES as a DataView, for word-at-a-time name comparison. */
export const NAME_VIEW: DataView = new DataView(NAME_BYTES.buffer, NAME_BYTES.byteOffset, NAME_BYTES.byteLength);

/**
 * First and last 4 bytes of every name of four or more bytes, as little-endian int32 words
 * (index page << 6 | token), for verifying a name with one load per word.
 */
export const NAME_W0: Int32Array = new Int32Array(3 << 6);
export const NAME_W1: Int32Array = new Int32Array(3 << 6);

/** Slot of a name's first word in NAME_FIRST (collision-free per page for the names of tokens.ts). */
export function firstWordSlot(w: number): number {
  return (w ^ (w >>> 11) ^ (w >>> 21)) & 511;
}

/**
 * Names by their first four bytes, so that a tokenizer can recognise a name without scanning it:
 * NAME_FIRST[page << 9 | firstWordSlot(w)] is the index in NAME_CAND of a 0-terminated list of the
 * tokens on that page whose name (four or more bytes) starts with the word w ("Sync" → Sync,
 * SyncBody, SyncHdr, SyncML), or 0. The caller verifies the whole name and the byte after it.
 */
export const NAME_FIRST: Uint8Array = new Uint8Array(3 << 9);
export const NAME_CAND: Uint8Array = (() => {
  const cand: number[] = [0];
  for (let page = 0; page < 3; page++) {
    const groups = new Map<number, number[]>();
    PAGE_NAMES[page]!.forEach((n, token) => {
      if (n === null || n.length < 4) return;
      const i = (page << 6) | token;
      const o = NAME_OFF[i]!;
      const w = NAME_VIEW.getInt32(o, true);
      NAME_W0[i] = w;
      NAME_W1[i] = NAME_VIEW.getInt32(o + n.length - 4, true);
      const slot = firstWordSlot(w);
      const g = groups.get(slot);
      if (g === undefined) groups.set(slot, [token]);
      else if (NAME_W0[(page << 6) | g[0]!] === w) g.push(token);
      else throw new Error(`NAME_FIRST: slot collision for ${n} on page ${page}`);
    });
    for (const [slot, tokens] of groups) {
      NAME_FIRST[(page << 9) | slot] = cand.length;
      cand.push(...tokens, 0);
    }
  }
  if (cand.length > 255) throw new Error('NAME_CAND: too many names');
  return Uint8Array.from(cand);
})();

/**
 * a[x, x + len) equals b[y, y + len); `da`/`db` are DataViews over the same bytes as `a`/`b`. Compares
 * 4-byte words (the last one overlapping the one before when len is not a multiple of 4), bytes only
 * below 4: V8 compiles a DataView load to one unaligned load, and on QuickJS a call per word is still
 * cheaper than the interpreted loop per byte.
 */
export function sameBytes(da: DataView, a: Uint8Array, x: number, db: DataView, b: Uint8Array, y: number, len: number): boolean {
  if (len < 4) {
    for (let k = 0; k < len; k++) if (a[x + k] !== b[y + k]) return false;
    return true;
  }
  const last = len - 4;
  for (let k = 0; k < last; k += 4) if (da.getInt32(x + k, true) !== db.getInt32(y + k, true)) return false;
  return da.getInt32(x + last, true) === db.getInt32(y + last, true);
}

/**
 * Name → tag lookup for XML: one table per page indexed by a hash of the name's length and its
 * first, middle and last bytes, with constants chosen so that no two names of a page collide (a
 * perfect hash over the three tables, checked at construction); the candidate is verified byte by
 * byte against the packed names, so unknown names cost one comparison. No strings are built.
 */
export class NameTable {
  /** slot → token (0 = empty; tokens are ≥ 5). */
  readonly #slots: Uint8Array;
  readonly #page: number;
  /** The slot of the name b[s, e) (e > s). */
  static slot(b: Uint8Array, s: number, e: number): number {
    const n = e - s;
    return (n * 41 + b[s]! * 51 + b[e - 1]! * 15 + b[s + (n >> 1)]!) & 255;
  }
  constructor(names: readonly (string | null)[], page: number) {
    this.#page = page;
    this.#slots = new Uint8Array(256);
    names.forEach((n, token) => {
      if (n === null) return;
      const i = (page << 6) | token;
      const h = NameTable.slot(NAME_BYTES, NAME_OFF[i]!, NAME_OFF[i]! + NAME_LEN[i]!);
      if (this.#slots[h] !== 0) throw new Error(`NameTable: hash collision for ${n} on page ${page}`);
      this.#slots[h] = token;
    });
  }
  /**
   * Tag id of the name in `b[s, e)`, or -1; `dv` views the same bytes as `b` (names are verified four
   * bytes at a time: one load per word instead of one per byte).
   */
  lookupIn(dv: DataView, b: Uint8Array, s: number, e: number): number {
    const n = e - s;
    if (n <= 0) return -1;
    // NameTable.slot inlined (a call per start tag is measurable on QuickJS)
    const token = this.#slots[(n * 41 + b[s]! * 51 + b[e - 1]! * 15 + b[s + (n >> 1)]!) & 255]!;
    if (token === 0) return -1;
    const i = (this.#page << 6) | token;
    if (NAME_LEN[i] !== n || !sameBytes(NAME_VIEW, NAME_BYTES, NAME_OFF[i]!, dv, b, s, n)) return -1;
    return (this.#page << 8) | token;
  }
}

/** One lookup table per page. */
export const NAME_TABLES: readonly NameTable[] = PAGE_NAMES.map((names, page) => new NameTable(names, page));
