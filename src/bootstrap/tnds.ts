/**
 * TNDS — Tree and Node Description Serialisation (OMA-TS-DM_TNDS-V1_2, facts §4.5): decoding a
 * TNDS object (XML `application/vnd.syncml.dmtnds+xml`, or WBXML `…+wbxml` on DDF code page 2)
 * into a flat node list, and encoding one (for tests, tools and a future `?list=TNDS`).
 *
 * Structure (DDF DTD subset, [TNDS] 9.2): `MgmtTree` > `VerDTD`, `Man?`, `Mod?`, `Node+`;
 * `Node` > `NodeName`, `Path?`, `RTProperties?`, (`Node*` | `Value?`); `RTProperties` > `ACL?`,
 * `Format` (an empty element named after the format: `<chr/>`, `<node/>`…), `Title?`,
 * `Type` (`<MIME>` or `<DDFName>` text), and read-only `Name/Size/TStamp/VerNo` (ignored).
 * Elements are recognised order-insensitively; unknown ones (and DDF-only `DFProperties`) are
 * skipped with their subtree. XML without the `syncml:dmddf1.2` namespace is accepted (names are
 * matched on the DDF page whatever page the tokenizer resolved them to).
 *
 * Paths: a node's URI is its `Path` (a full URI, trailing `/` dropped, a leading `/` read as `./`)
 * or its parent's URI (the `base` for top-level nodes: the Add/Replace target), plus `/NodeName`.
 * Kinds: Format `node`, or child Nodes → interior; a `Value`, or a non-node Format → leaf; a Node
 * with none of these is an interior node whose description continues elsewhere ([TNDS] 9.2.3.1.5).
 * A `b64` value is decoded and reported with Format `bin`.
 *
 * Bounds (limits.ts): nodes, Node nesting depth, value bytes, field characters, document bytes.
 * Malformed input → DecodeError (codes: 'not-tnds', 'no-nodes', 'too-many-nodes', 'depth', 'value-too-long',
 * 'field-too-long', 'bad-name', 'bad-b64', 'kind-mismatch', 'too-large', and the tokenizers' own).
 */
import { b64decode, b64encode } from '../crypto/base64';
import { DecodeError } from '../errors';
import type { TokenHandler } from '../codec/events';
import { TEXT_ESCAPED } from '../codec/events';
import { PAGE_NAMES, Page, tagName } from '../codec/tokens';
import { WbxmlTokenizer } from '../codec/wbxml/Tokenizer';
import { XmlTokenizer } from '../codec/xml/Tokenizer';
import { unescapeInto } from '../codec/xml/entities';
import type { Format } from '../tree/format';
import { isFormat } from '../tree/format';
import { utf8Decode, utf8Encode, utf8EncodeInto } from '../util/utf8';
import { Status } from '../status';
import type { Tree } from '../tree/Tree';
import type { TreeOp } from './apply';
import { applyOps } from './apply';
import type { BootstrapLimits } from './limits';
import { DEFAULT_BOOTSTRAP_LIMITS } from './limits';

/** MIME type of a TNDS object in XML. */
export const TNDS_XML_TYPE = 'application/vnd.syncml.dmtnds+xml';
/** MIME type of a TNDS object in WBXML. */
export const TNDS_WBXML_TYPE = 'application/vnd.syncml.dmtnds+wbxml';
/** XML namespace of TNDS/DDF documents. */
export const TNDS_NAMESPACE = 'syncml:dmddf1.2';
/** Formal public identifier written in the string table of WBXML TNDS objects (as libwbxml does). */
export const TNDS_FPI = '-//OMA//DTD-DM-DDF 1.2//EN';

/** The bounds TNDS decoding uses (a subset of BootstrapLimits). */
export type TndsLimits = Pick<BootstrapLimits, 'maxTndsNodes' | 'maxTndsDepth' | 'maxValueBytes' | 'maxFieldLength' | 'maxDocumentBytes'>;

/** One described node, in document order (parents before children). */
export interface TndsNode {
  /** Normalised absolute URI (`./A/B`). */
  path: string;
  /** NodeName. */
  name: string;
  interior: boolean;
  /** Format from RTProperties (`bin` for a decoded `b64` value); null when not given. */
  format: Format | null;
  /** MIME type (leaf) or DDFName / MO identifier (interior); '' when not given. */
  type: string;
  /** Leaf value bytes; null when the Node has no Value (and for interior nodes). */
  value: Uint8Array | null;
  /** ACL property; null when not given. */
  acl: string | null;
  /** Title property; null when not given. */
  title: string | null;
  /** Nesting level: 0 for the top-level Nodes of the MgmtTree. */
  depth: number;
}

/** A decoded TNDS object. */
export interface TndsObject {
  verDtd: string;
  man: string | null;
  mod: string | null;
  nodes: TndsNode[];
}

/** Options of `decodeTnds`. */
export interface TndsDecodeOptions {
  /** Default: detected from the first byte (WBXML version byte ≤ 3, else XML). */
  encoding?: 'xml' | 'wbxml';
  /** URI the top-level nodes are placed under (the command's target). Default `.`. */
  base?: string;
  limits?: Partial<TndsLimits>;
}

/** TNDS MIME type → encoding, or null when `type` is not a TNDS type. */
export function tndsEncodingOf(type: string | undefined): 'xml' | 'wbxml' | null {
  if (type === undefined) return null;
  const t = type.split(';')[0]!.trim().toLowerCase();
  if (t === TNDS_XML_TYPE) return 'xml';
  if (t === TNDS_WBXML_TYPE) return 'wbxml';
  return null;
}

// ---------------------------------------------------------------------------------------------
// Tokens

const DDF_NAMES = PAGE_NAMES[Page.Ddf]!;
const T = (name: string): number => {
  const i = DDF_NAMES.indexOf(name);
  if (i < 0) throw new Error(`DDF token ${name} missing`);
  return i;
};
const MGMT_TREE = T('MgmtTree');
const VER_DTD = T('VerDTD');
const MAN = T('Man');
const MOD = T('Mod');
const NODE = T('Node');
const NODE_NAME = T('NodeName');
const PATH = T('Path');
const RT_PROPERTIES = T('RTProperties');
const VALUE = T('Value');
const ACL = T('ACL');
const FORMAT = T('Format');
const TITLE = T('Title');
const TYPE = T('Type');
const MIME = T('MIME');
const DDF_NAME = T('DDFName');

/** DDF token by element name (exact, case-sensitive: `Node` and `node` differ). */
const DDF_BY_NAME: ReadonlyMap<string, number> = new Map(DDF_NAMES.flatMap((n, i) => (n === null ? [] : [[n, i] as [string, number]])));

/** Format names as DDF tokens (the children of `Format`). */
const FORMAT_TOKENS: ReadonlyMap<number, Format> = new Map(
  ['b64', 'bin', 'bool', 'chr', 'int', 'node', 'null', 'xml', 'date', 'time', 'float'].map((f) => [T(f), f as Format]),
);

// ---------------------------------------------------------------------------------------------
// Decoding

/** What the text being captured is for. */
enum Cap { None, VerDtd, Man, Mod, NodeName, Path, Value, Acl, Title, Type }

interface Frame {
  /** Index in the node list. */
  index: number;
  parent: number;
  name: string | null;
  pathAttr: string | null;
  format: Format | null;
  b64: boolean;
  type: string;
  value: Uint8Array | null;
  acl: string | null;
  title: string | null;
  kids: number;
  depth: number;
}

const EMPTY = new Uint8Array(0);

/** Builds the node list from tokenizer events (either encoding). */
class TndsBuilder implements TokenHandler {
  readonly #lim: TndsLimits;
  readonly #buf: Uint8Array;
  #len = 0;
  #cap: Cap = Cap.None;
  /** Element stack: DDF token per open element (-1 = unknown). */
  readonly #stack: number[] = [];
  /** Depth at which a skipped subtree started (-1 = none). */
  #skip = -1;
  /** Open Node frames, innermost last. */
  readonly #frames: Frame[] = [];
  readonly frames: Frame[] = [];
  verDtd = '';
  man: string | null = null;
  mod: string | null = null;
  #rootSeen = false;
  /** The root is page-0 token 0x20: a document that put the DDF table on code page 0. */
  page0IsDdf = false;
  state = 'tnds';

  constructor(lim: TndsLimits) {
    this.#lim = lim;
    this.#buf = new Uint8Array(Math.max(lim.maxValueBytes, lim.maxFieldLength * 4) + 8);
  }

  #fail(code: string, msg: string): never {
    throw new DecodeError(code, msg, 0, -1, this.state);
  }

  #token(tag: number, buf: Uint8Array, ns: number, ne: number): number {
    if (tag >= 0) {
      const page = tag >> 8;
      if (page === Page.Ddf || (page === Page.SyncML && this.page0IsDdf)) return tag & 0xff;
      return DDF_BY_NAME.get(tagName(tag)) ?? -1;
    }
    let name = '';
    for (let i = ns; i < ne && i - ns < 64; i++) name += String.fromCharCode(buf[i]!);
    const colon = name.indexOf(':');
    return DDF_BY_NAME.get(colon >= 0 ? name.slice(colon + 1) : name) ?? -1;
  }

  open(tag: number, buf: Uint8Array, ns: number, ne: number, _empty: boolean): void {
    const depth = this.#stack.length;
    if (depth === 0 && tag === 0x20) this.page0IsDdf = true;
    const tok = this.#token(tag, buf, ns, ne);
    this.#stack.push(tok);
    if (this.#skip >= 0) return;
    if (depth === 0) {
      if (tok !== MGMT_TREE || this.#rootSeen) this.#fail('not-tnds', 'the root element of a TNDS object must be MgmtTree');
      this.#rootSeen = true;
      return;
    }
    if (this.#cap !== Cap.None) {
      this.#skip = depth; // markup inside a text field
      return;
    }
    const parent = this.#stack[depth - 1]!;
    const frame = this.#frames[this.#frames.length - 1];
    if (parent === MGMT_TREE) {
      if (tok === VER_DTD) this.#capture(Cap.VerDtd);
      else if (tok === MAN) this.#capture(Cap.Man);
      else if (tok === MOD) this.#capture(Cap.Mod);
      else if (tok === NODE) this.#node(-1);
      else this.#skip = depth;
      return;
    }
    if (parent === NODE && frame) {
      if (tok === NODE_NAME) this.#capture(Cap.NodeName);
      else if (tok === PATH) this.#capture(Cap.Path);
      else if (tok === VALUE) this.#capture(Cap.Value);
      else if (tok === NODE) { frame.kids++; this.#node(frame.index); }
      else if (tok !== RT_PROPERTIES) this.#skip = depth;
      return;
    }
    if (parent === RT_PROPERTIES && frame) {
      if (tok === ACL) this.#capture(Cap.Acl);
      else if (tok === TITLE) this.#capture(Cap.Title);
      else if (tok !== FORMAT && tok !== TYPE) this.#skip = depth;
      return;
    }
    if (parent === FORMAT && frame && this.#stack[depth - 2] === RT_PROPERTIES) {
      const f = FORMAT_TOKENS.get(tok);
      if (f === undefined) this.#fail('bad-format', `unknown Format element ${tok < 0 ? '?' : DDF_NAMES[tok]}`);
      frame.b64 = f === 'b64';
      frame.format = f === 'b64' ? 'bin' : f;
      this.#skip = depth; // its (empty) content is irrelevant
      return;
    }
    if (parent === TYPE && frame && (tok === MIME || tok === DDF_NAME)) {
      this.#capture(Cap.Type);
      return;
    }
    this.#skip = depth;
  }

  close(_tag: number): void {
    const tok = this.#stack.pop()!;
    const depth = this.#stack.length;
    if (this.#skip >= 0) {
      if (depth === this.#skip) this.#skip = -1;
      return;
    }
    if (this.#cap !== Cap.None) {
      this.#endCapture();
      return;
    }
    if (tok === NODE) this.#frames.pop();
  }

  text(buf: Uint8Array, start: number, end: number, flags: number): void {
    if (this.#cap === Cap.None || this.#skip >= 0) return;
    if (flags & TEXT_ESCAPED) {
      // unescaping never grows the text: room for the raw span is enough
      if (end - start > this.#buf.length - this.#len) this.#tooLong();
      this.#len = unescapeInto(buf, start, end, this.#buf, this.#len);
      if (this.#len > this.#max()) this.#tooLong();
    } else {
      if (end - start > this.#room()) this.#tooLong();
      this.#buf.set(buf.subarray(start, end), this.#len);
      this.#len += end - start;
    }
  }

  opaque(buf: Uint8Array, start: number, end: number): void {
    if (this.#cap === Cap.None || this.#skip >= 0) return;
    if (end - start > this.#room()) this.#tooLong();
    this.#buf.set(buf.subarray(start, end), this.#len);
    this.#len += end - start;
  }

  entity(cp: number): void {
    if (this.#cap === Cap.None || this.#skip >= 0) return;
    if (this.#room() < 4) this.#tooLong();
    this.#len = utf8EncodeInto(String.fromCodePoint(cp), this.#buf, this.#len);
  }

  /** The document ended: checks the root was seen. */
  finish(): void {
    if (!this.#rootSeen) this.#fail('not-tnds', 'no MgmtTree');
  }

  #max(): number {
    return this.#cap === Cap.Value ? this.#lim.maxValueBytes : this.#lim.maxFieldLength * 4;
  }

  #room(): number {
    return this.#max() - this.#len;
  }

  #tooLong(): never {
    if (this.#cap === Cap.Value) this.#fail('value-too-long', `a Value exceeds ${this.#lim.maxValueBytes} bytes`);
    this.#fail('field-too-long', `a field exceeds ${this.#lim.maxFieldLength} characters`);
  }

  #node(parent: number): void {
    const depth = this.#frames.length;
    if (depth >= this.#lim.maxTndsDepth) this.#fail('depth', `Node nesting deeper than ${this.#lim.maxTndsDepth}`);
    if (this.frames.length >= this.#lim.maxTndsNodes) this.#fail('too-many-nodes', `more than ${this.#lim.maxTndsNodes} nodes`);
    const f: Frame = { index: this.frames.length, parent, name: null, pathAttr: null, format: null, b64: false, type: '', value: null, acl: null, title: null, kids: 0, depth };
    this.frames.push(f);
    this.#frames.push(f);
  }

  #capture(c: Cap): void {
    this.#cap = c;
    this.#len = 0;
  }

  #endCapture(): void {
    const c = this.#cap;
    this.#cap = Cap.None;
    const bytes = this.#buf.subarray(0, this.#len);
    const f = this.#frames[this.#frames.length - 1];
    if (c === Cap.Value) {
      if (f) f.value = bytes.slice();
      return;
    }
    const text = utf8Decode(bytes).trim();
    if (text.length > this.#lim.maxFieldLength) this.#tooLong();
    switch (c) {
      case Cap.VerDtd: this.verDtd = text; return;
      case Cap.Man: this.man = text; return;
      case Cap.Mod: this.mod = text; return;
      case Cap.NodeName: if (f) f.name = text; return;
      case Cap.Path: if (f) f.pathAttr = text; return;
      case Cap.Acl: if (f) f.acl = text; return;
      case Cap.Title: if (f) f.title = text; return;
      case Cap.Type: if (f) f.type = text; return;
      default: return;
    }
  }
}

/** Normalises a TNDS Path / base URI to `.` or `./A/B` (trailing `/` dropped, leading `/` → `./`). */
export function tndsPath(p: string): string {
  let s = p.trim();
  while (s.length > 1 && s.endsWith('/')) s = s.slice(0, -1);
  if (s === '' || s === '.' || s === '/' || s === './') return '.';
  if (s.startsWith('./')) return s;
  if (s.startsWith('/')) return '.' + s;
  return './' + s;
}

/** Decodes a TNDS object; DecodeError when it is malformed or exceeds a bound. */
export function decodeTnds(bytes: Uint8Array, opts: TndsDecodeOptions = {}): TndsObject {
  const lim: TndsLimits = { ...DEFAULT_BOOTSTRAP_LIMITS, ...(opts.limits ?? {}) };
  if (bytes.length > lim.maxDocumentBytes) throw new DecodeError('too-large', `TNDS object of ${bytes.length} bytes exceeds ${lim.maxDocumentBytes}`, 0, -1, 'tnds');
  const enc = opts.encoding ?? (bytes.length > 0 && bytes[0]! <= 0x03 ? 'wbxml' : 'xml');
  const b = new TndsBuilder(lim);
  // the tokenizers' depth: MgmtTree + 2 elements per Node level + RTProperties/Type/MIME
  const maxDepth = 2 * lim.maxTndsDepth + 6;
  if (enc === 'wbxml') {
    b.state = 'tnds-wbxml';
    const t = new WbxmlTokenizer(b, { maxDepth, maxStringTable: Math.min(lim.maxDocumentBytes, 4096), maxOpaque: lim.maxValueBytes });
    t.decode(bytes);
  } else {
    b.state = 'tnds-xml';
    const t = new XmlTokenizer(b, { maxDepth, maxTokenLen: Math.max(1024, lim.maxFieldLength + 64) });
    t.reset();
    t.write(bytes);
    t.end();
  }
  b.finish();
  if (b.frames.length === 0) throw new DecodeError('no-nodes', 'a TNDS object describes one or more Nodes', 0, -1, b.state);
  const base = tndsPath(opts.base ?? '.');
  const nodes: TndsNode[] = [];
  for (const f of b.frames) {
    if (f.name === null || f.name === '' || f.name === '.' || f.name === '..' || /[/?]/.test(f.name)) {
      throw new DecodeError('bad-name', `Node ${f.index + 1} has no valid NodeName`, 0, -1, b.state);
    }
    const parentPath = f.pathAttr !== null ? tndsPath(f.pathAttr) : f.parent >= 0 ? nodes[f.parent]!.path : base;
    let interior: boolean;
    if (f.format === 'node' || f.kids > 0) {
      if (f.value !== null) throw new DecodeError('kind-mismatch', `interior node ${f.name} has a Value`, 0, -1, b.state);
      if (f.format !== null && f.format !== 'node') throw new DecodeError('kind-mismatch', `node ${f.name} has children but Format ${f.format}`, 0, -1, b.state);
      interior = true;
    } else interior = f.value === null && f.format === null;
    let value = f.value;
    if (value !== null && f.b64) {
      try {
        value = b64decode(utf8Decode(value).trim());
      } catch (e) {
        if (e instanceof DecodeError) throw new DecodeError('bad-b64', `node ${f.name}: b64 Value is not Base64`, 0, -1, b.state);
        throw e;
      }
    }
    if (!interior && value === null) value = EMPTY;
    nodes.push({
      path: (parentPath === '.' ? '.' : parentPath) + '/' + f.name,
      name: f.name, interior, format: interior ? 'node' : f.format, type: f.type,
      value: interior ? null : value, acl: f.acl, title: f.title, depth: f.depth,
    });
  }
  return { verDtd: b.verDtd, man: b.man, mod: b.mod, nodes };
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** A node to encode (nested form). */
export interface TndsSpec {
  name: string;
  /** Full URI of the parent (written as `Path`); usually only on top-level nodes. */
  path?: string;
  /** Format; `node` for interior nodes (default: `node` with children, else `chr`). */
  format?: Format;
  /** MIME type of a leaf, or the DDFName (MO identifier) of an interior node. */
  type?: string;
  acl?: string;
  title?: string;
  /** Leaf value: text, or bytes (WBXML: OPAQUE; XML: written Base64 with Format `b64`). */
  value?: string | Uint8Array;
  children?: TndsSpec[];
}

/** A document to encode. */
export interface TndsDocument {
  /** Default `1.2`. */
  verDtd?: string;
  man?: string;
  mod?: string;
  nodes: TndsSpec[];
}

const XML_ESC: Readonly<Record<string, string>> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' };
const esc = (s: string): string => s.replace(/[<>&"]/g, (c) => XML_ESC[c]!);

function specFormat(n: TndsSpec): Format {
  return n.format ?? (n.children && n.children.length > 0 ? 'node' : 'chr');
}

/** Encodes a TNDS object as XML (UTF-8 bytes) or WBXML (version 1.3, DDF code page 2, FPI in the string table). */
export function encodeTnds(doc: TndsDocument, encoding: 'xml' | 'wbxml'): Uint8Array {
  return encoding === 'xml' ? utf8Encode(tndsXml(doc)) : tndsWbxml(doc);
}

function tndsXml(doc: TndsDocument): string {
  let s = `<MgmtTree xmlns="${TNDS_NAMESPACE}"><VerDTD>${esc(doc.verDtd ?? '1.2')}</VerDTD>`;
  if (doc.man !== undefined) s += `<Man>${esc(doc.man)}</Man>`;
  if (doc.mod !== undefined) s += `<Mod>${esc(doc.mod)}</Mod>`;
  const node = (n: TndsSpec): void => {
    let f = specFormat(n);
    let value = n.value;
    if (value instanceof Uint8Array) { value = b64encode(value); f = 'b64'; }
    s += `<Node><NodeName>${esc(n.name)}</NodeName>`;
    if (n.path !== undefined) s += `<Path>${esc(n.path)}</Path>`;
    s += '<RTProperties>';
    if (n.acl !== undefined) s += `<ACL>${esc(n.acl)}</ACL>`;
    s += `<Format><${f}/></Format>`;
    if (n.title !== undefined) s += `<Title>${esc(n.title)}</Title>`;
    if (n.type !== undefined) s += f === 'node' ? `<Type><DDFName>${esc(n.type)}</DDFName></Type>` : `<Type><MIME>${esc(n.type)}</MIME></Type>`;
    s += '</RTProperties>';
    for (const c of n.children ?? []) node(c);
    if (value !== undefined) s += `<Value>${esc(value)}</Value>`;
    s += '</Node>';
  };
  for (const n of doc.nodes) node(n);
  return s + '</MgmtTree>';
}

function tndsWbxml(doc: TndsDocument): Uint8Array {
  const out: number[] = [];
  const fpi = utf8Encode(TNDS_FPI);
  out.push(0x03, 0x00, 0x00, 0x6a, fpi.length + 1, ...fpi, 0x00, 0x00, Page.Ddf);
  const str = (s: string): void => { out.push(0x03, ...utf8Encode(s), 0x00); };
  const leaf = (tok: number, s: string): void => {
    if (s === '') { out.push(tok); return; }
    out.push(tok | 0x40);
    str(s);
    out.push(0x01);
  };
  const mb = (v: number): number[] => {
    const b = [v & 0x7f];
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) b.unshift(0x80 | (v & 0x7f));
    return b;
  };
  out.push(MGMT_TREE | 0x40);
  leaf(VER_DTD, doc.verDtd ?? '1.2');
  if (doc.man !== undefined) leaf(MAN, doc.man);
  if (doc.mod !== undefined) leaf(MOD, doc.mod);
  const node = (n: TndsSpec): void => {
    const f = specFormat(n);
    out.push(NODE | 0x40);
    leaf(NODE_NAME, n.name);
    if (n.path !== undefined) leaf(PATH, n.path);
    out.push(RT_PROPERTIES | 0x40);
    if (n.acl !== undefined) leaf(ACL, n.acl);
    out.push(FORMAT | 0x40, T(f), 0x01);
    if (n.title !== undefined) leaf(TITLE, n.title);
    if (n.type !== undefined) {
      out.push(TYPE | 0x40);
      leaf(f === 'node' ? DDF_NAME : MIME, n.type);
      out.push(0x01);
    }
    out.push(0x01);
    for (const c of n.children ?? []) node(c);
    if (n.value !== undefined) {
      if (typeof n.value === 'string') leaf(VALUE, n.value);
      else {
        out.push(VALUE | 0x40, 0xc3, ...mb(n.value.length));
        for (let i = 0; i < n.value.length; i++) out.push(n.value[i]!);
        out.push(0x01);
      }
    }
    out.push(0x01);
  };
  for (const n of doc.nodes) node(n);
  out.push(0x01);
  return Uint8Array.from(out);
}

/** Checks that `f` names a format (for callers building specs from text). */
export function isTndsFormat(f: string): f is Format {
  return isFormat(f);
}

// ---------------------------------------------------------------------------------------------
// Applying

/**
 * The tree operations that realise a decoded TNDS object: 'add' (an Add command: new nodes, existing
 * interior nodes kept, an existing leaf is 418), 'set' (bootstrap: create or overwrite), or
 * 'replace' (a Replace command: 'set' for every node, then the children of each described interior
 * node that has described children but are not described themselves are deleted, [DMREP] 4.1.6.11).
 */
export function tndsOps(nodes: readonly TndsNode[], mode: 'add' | 'set' | 'replace'): TreeOp[] {
  const ops: TreeOp[] = nodes.map((n): TreeOp => {
    const op: TreeOp = { kind: mode === 'add' ? 'add' : 'set', path: n.path, interior: n.interior, declared: n.format !== null || n.type !== '' };
    if (n.format !== null && !n.interior) op.format = n.format;
    if (n.type !== '') op.type = n.type;
    if (n.value !== null) op.value = n.value;
    if (n.acl !== null) op.acl = n.acl;
    if (n.title !== null) op.title = n.title;
    return op;
  });
  if (mode === 'replace') {
    const kids = new Map<string, string[]>();
    for (const n of nodes) {
      const parent = n.path.slice(0, n.path.lastIndexOf('/'));
      const list = kids.get(parent);
      if (list) list.push(n.name); else kids.set(parent, [n.name]);
    }
    for (const n of nodes) {
      const keep = kids.get(n.path);
      if (n.interior && keep) ops.push({ kind: 'prune', path: n.path, keep });
    }
  }
  return ops;
}

/** DecodeError codes that mean "too big" (413) rather than "malformed" (400). */
const TOO_BIG = new Set(['too-many-nodes', 'depth', 'value-too-long', 'field-too-long', 'too-large', 'opaque-too-large', 'strtbl-too-large']);

/**
 * A TNDS Add or Replace of a DM session, for the DPU: decodes `data` (Meta Type
 * `application/vnd.syncml.dmtnds+xml|+wbxml`) and applies it under `target` for `serverId`,
 * all-or-nothing, with the session's ACL rules (nodes outside every CSP: 405). Returns one status
 * for the whole object: 200; 415 (not a TNDS type); 400 (malformed); 413 (beyond a bound); or the
 * first failing node's status with its URI in `failedUri` (for the Status Item).
 */
export function tndsCommand(tree: Tree, serverId: string, cmd: 'Add' | 'Replace', target: string, type: string, data: Uint8Array, limits: Partial<TndsLimits> = {}): { status: number; failedUri?: string } {
  const encoding = tndsEncodingOf(type);
  if (encoding === null) return { status: Status.UnsupportedMediaType };
  let obj: TndsObject;
  try {
    obj = decodeTnds(data, { encoding, base: target, limits });
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    return { status: TOO_BIG.has(e.code) ? Status.EntityTooLarge : Status.BadRequest };
  }
  const r = applyOps(tree, tndsOps(obj.nodes, cmd === 'Add' ? 'add' : 'replace'), { principal: () => serverId, unowned: 'refuse' });
  return r.failedUri !== undefined && r.status !== Status.Ok ? { status: r.status, failedUri: r.failedUri } : { status: r.status };
}
