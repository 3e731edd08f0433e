/**
 * Grammar-aware SyncML generators for the codec fuzz targets (node-only: fast-check).
 *
 * A message is generated as a description (`GMsg`: header fields, commands, items, data bytes),
 * turned into an element tree (`XElem`), and serialised by our own writers in several styles:
 * XML (default namespace or none for MetInf, optional pretty whitespace, comments, PIs, CDATA,
 * character references, a BOM) and WBXML (STR_I, STR_T from a string table, ENTITY, OPAQUE, lazy or
 * redundant SWITCH_PAGE, WBXML 1.1–1.3). The writers are independent of src/codec's writers, so a
 * decode that matches the description is checked against a second implementation, not itself.
 *
 * `summarize(Message)` and `expected(GMsg)` produce the same JSON shape, compared with deepEqual.
 */
import fc from 'fast-check';
import type { Command, Message } from '../../../src/codec/model';
import { PAGE_NAMES } from '../../../src/codec/tokens';

// ------------------------------------------------------------------ description

/** Item of a generated command. `data` is the exact value bytes (UTF-8 text or binary). */
export interface GItem {
  target?: string;
  source?: string;
  meta?: { format?: string; type?: string; size?: number };
  data?: Uint8Array;
  /** The data is binary (WBXML: OPAQUE; XML: not representable, such messages are WBXML only). */
  binary?: boolean;
  moreData: boolean;
}

export type GCmdName = 'Add' | 'Alert' | 'Atomic' | 'Copy' | 'Delete' | 'Exec' | 'Get' | 'Replace' | 'Sequence' | 'Results' | 'Status';

export interface GCmd {
  name: GCmdName;
  cmdId: string;
  noResp: boolean;
  meta?: { format?: string; type?: string };
  items: GItem[];
  /** Alert / Status code. */
  data?: string;
  correlator?: string;
  msgRef?: string;
  cmdRef?: string;
  cmd?: string;
  targetRefs?: string[];
  sourceRefs?: string[];
  nextNonce?: string;
  children?: GCmd[];
}

export interface GMsg {
  version: '1.2' | '1.1.2';
  sessionId: string;
  msgId: string;
  target: string;
  source: string;
  sourceName?: string;
  respUri?: string;
  cred?: { type: string; format: string; data: string };
  maxMsgSize?: number;
  maxObjSize?: number;
  cmds: GCmd[];
  final: boolean;
}

// ------------------------------------------------------------------ element tree

export type XNode = XElem | XText | XOpaque;
/** An element: `page` 0 SyncML, 1 MetInf, -1 a name outside the code pages (LITERAL in WBXML). */
export interface XElem { k: 'e'; name: string; page: number; kids: XNode[] }
export interface XText { k: 't'; s: Uint8Array }
export interface XOpaque { k: 'o'; b: Uint8Array }

const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

export function el(name: string, kids: XNode[] = [], page = 0): XElem {
  return { k: 'e', name, page, kids };
}
function leaf(name: string, text: string | Uint8Array, page = 0): XElem {
  return el(name, [{ k: 't', s: typeof text === 'string' ? enc(text) : text }], page);
}
function meta(m: Record<string, string | number | undefined>): XElem {
  const kids: XNode[] = [];
  for (const [k, v] of Object.entries(m)) if (v !== undefined) kids.push(leaf(k, String(v), 1));
  return el('Meta', kids);
}

function itemTree(it: GItem): XElem {
  const kids: XNode[] = [];
  if (it.target !== undefined) kids.push(el('Target', [leaf('LocURI', it.target)]));
  if (it.source !== undefined) kids.push(el('Source', [leaf('LocURI', it.source)]));
  if (it.meta) kids.push(meta({ Format: it.meta.format, Type: it.meta.type, Size: it.meta.size }));
  if (it.data !== undefined) kids.push(it.binary ? el('Data', [{ k: 'o', b: it.data }]) : el('Data', it.data.length ? [{ k: 't', s: it.data }] : []));
  if (it.moreData) kids.push(el('MoreData'));
  return el('Item', kids);
}

function cmdTree(c: GCmd): XElem {
  const kids: XNode[] = [leaf('CmdID', c.cmdId)];
  if (c.name === 'Status' || c.name === 'Results') {
    kids.push(leaf('MsgRef', c.msgRef ?? '1'), leaf('CmdRef', c.cmdRef ?? '0'));
    if (c.name === 'Status') kids.push(leaf('Cmd', c.cmd ?? 'SyncHdr'));
    for (const t of c.targetRefs ?? []) kids.push(leaf('TargetRef', t));
    for (const s of c.sourceRefs ?? []) kids.push(leaf('SourceRef', s));
    if (c.nextNonce !== undefined) kids.push(el('Chal', [meta({ Type: 'syncml:auth-md5', Format: 'b64', NextNonce: c.nextNonce })]));
  }
  if (c.noResp) kids.push(el('NoResp'));
  if (c.correlator !== undefined) kids.push(leaf('Correlator', c.correlator));
  if (c.meta) kids.push(meta({ Format: c.meta.format, Type: c.meta.type }));
  if (c.data !== undefined) kids.push(leaf('Data', c.data));
  for (const ch of c.children ?? []) kids.push(cmdTree(ch));
  for (const it of c.items) kids.push(itemTree(it));
  return el(c.name, kids);
}

/** The element tree of a description. */
export function toTree(m: GMsg): XElem {
  const hdr: XNode[] = [
    leaf('VerDTD', m.version === '1.2' ? '1.2' : '1.1'),
    leaf('VerProto', m.version === '1.2' ? 'DM/1.2' : 'DM/1.1'),
    leaf('SessionID', m.sessionId),
    leaf('MsgID', m.msgId),
    el('Target', [leaf('LocURI', m.target)]),
    el('Source', [leaf('LocURI', m.source), ...(m.sourceName !== undefined ? [leaf('LocName', m.sourceName)] : [])]),
  ];
  if (m.respUri !== undefined) hdr.push(leaf('RespURI', m.respUri));
  if (m.cred) hdr.push(el('Cred', [meta({ Type: m.cred.type, Format: m.cred.format }), leaf('Data', m.cred.data)]));
  if (m.maxMsgSize !== undefined || m.maxObjSize !== undefined) hdr.push(meta({ MaxMsgSize: m.maxMsgSize, MaxObjSize: m.maxObjSize }));
  const body: XNode[] = m.cmds.map(cmdTree);
  if (m.final) body.push(el('Final'));
  return el('SyncML', [el('SyncHdr', hdr), el('SyncBody', body)]);
}

// ------------------------------------------------------------------ expected model

/** JSON-able view of a decoded message (what the fuzz targets compare). */
export interface Summary {
  version: string;
  hdr: Record<string, unknown>;
  body: unknown[];
  final: boolean;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function sumCmd(c: Command): unknown {
  const o: Record<string, unknown> = { name: c.name, cmdId: c.cmdId, noResp: c.noResp };
  if (c.meta) o['meta'] = { ...c.meta };
  if (c.data) o['data'] = hex(c.data.bytes);
  if (c.correlator !== undefined) o['correlator'] = c.correlator;
  for (const k of ['msgRef', 'cmdRef', 'cmd'] as const) if (c[k] !== undefined) o[k] = c[k];
  if (c.targetRefs) o['targetRefs'] = c.targetRefs;
  if (c.sourceRefs) o['sourceRefs'] = c.sourceRefs;
  if (c.chal) o['nextNonce'] = c.chal.meta.nextNonce;
  if (c.error !== undefined) o['error'] = c.errorStatus;
  if (c.children) o['children'] = c.children.map(sumCmd);
  o['items'] = c.items.map((i) => {
    const r: Record<string, unknown> = { moreData: i.moreData };
    if (i.target !== undefined) r['target'] = i.target;
    if (i.source !== undefined) r['source'] = i.source;
    if (i.meta) r['meta'] = { ...i.meta };
    if (i.data) r['data'] = hex(i.data.bytes);
    return r;
  });
  return o;
}

/** Summary of a decoded message. */
export function summarize(m: Message): Summary {
  const h = m.hdr;
  const hdr: Record<string, unknown> = { verDtd: h.verDtd, verProto: h.verProto, sessionId: h.sessionId, msgId: h.msgId, target: h.target, source: h.source, noResp: h.noResp };
  if (h.sourceName !== undefined) hdr['sourceName'] = h.sourceName;
  if (h.respUri !== undefined) hdr['respUri'] = h.respUri;
  if (h.cred) hdr['cred'] = { meta: { ...h.cred.meta }, data: h.cred.data };
  if (h.meta) hdr['meta'] = { ...h.meta };
  return { version: m.version, hdr, body: m.body.map(sumCmd), final: m.final };
}

function expCmd(c: GCmd): unknown {
  const o: Record<string, unknown> = { name: c.name, cmdId: c.cmdId, noResp: c.noResp };
  if (c.meta) o['meta'] = clean({ format: c.meta.format, type: c.meta.type });
  if (c.data !== undefined) o['data'] = hex(enc(c.data));
  if (c.correlator !== undefined) o['correlator'] = c.correlator;
  if (c.name === 'Status' || c.name === 'Results') {
    o['msgRef'] = c.msgRef ?? '1';
    o['cmdRef'] = c.cmdRef ?? '0';
    if (c.name === 'Status') o['cmd'] = c.cmd ?? 'SyncHdr';
    if (c.targetRefs?.length) o['targetRefs'] = c.targetRefs;
    if (c.sourceRefs?.length) o['sourceRefs'] = c.sourceRefs;
    if (c.nextNonce !== undefined) o['nextNonce'] = c.nextNonce;
  }
  if (c.children) o['children'] = c.children.map(expCmd);
  o['items'] = c.items.map((i) => {
    const r: Record<string, unknown> = { moreData: i.moreData };
    if (i.target !== undefined) r['target'] = i.target;
    if (i.source !== undefined) r['source'] = i.source;
    if (i.meta) r['meta'] = clean({ format: i.meta.format, type: i.meta.type, size: i.meta.size });
    if (i.data !== undefined) r['data'] = hex(i.data);
    return r;
  });
  return o;
}

function clean(o: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

/** Summary the decoder must produce for a description (the generators only make valid commands). */
export function expected(m: GMsg): Summary {
  const hdr: Record<string, unknown> = {
    verDtd: m.version === '1.2' ? '1.2' : '1.1', verProto: m.version === '1.2' ? 'DM/1.2' : 'DM/1.1',
    sessionId: m.sessionId, msgId: m.msgId, target: m.target, source: m.source, noResp: false,
  };
  if (m.sourceName !== undefined) hdr['sourceName'] = m.sourceName;
  if (m.respUri !== undefined) hdr['respUri'] = m.respUri;
  if (m.cred) hdr['cred'] = { meta: { type: m.cred.type, format: m.cred.format }, data: m.cred.data };
  if (m.maxMsgSize !== undefined || m.maxObjSize !== undefined) hdr['meta'] = clean({ maxMsgSize: m.maxMsgSize, maxObjSize: m.maxObjSize });
  return { version: m.version, hdr, body: m.cmds.map(expCmd), final: m.final };
}

// ------------------------------------------------------------------ arbitraries

/** Printable field text without leading/trailing blanks (fields are trimmed by the parser). */
const fieldChar = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split('')) },
  { weight: 2, arbitrary: fc.constantFrom('.', '_', '-', '+', '=', '<', '>', '&', '"', "'", ']', '%', '?') },
  { weight: 1, arbitrary: fc.constantFrom('é', 'ß', 'Ω', '中', '€', '😀', ' ') },
);
export const fieldText = (max = 24): fc.Arbitrary<string> =>
  fc.array(fieldChar, { minLength: 1, maxLength: max }).map((a) => a.join('').trim()).filter((s) => s.length > 0);

const segment = fc.array(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.'.split('')), { minLength: 1, maxLength: 10 }).map((a) => a.join(''));
export const uri: fc.Arbitrary<string> = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => './' + s.join('/'));
const num = (max: number): fc.Arbitrary<string> => fc.integer({ min: 1, max }).map(String);

/**
 * Data bytes: any Unicode text (lone surrogates become U+FFFD in UTF-8, NUL and controls included),
 * markup-like text, or binary (WBXML only).
 */
const dataText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', '<a>&amp;</a>', ']]>', ']]]]>', '&#x26;', '&lt;&', 'MAXDT=15&DR=1', '\u0000\u0001', 'x'.repeat(300)),
  fc.string({ unit: 'grapheme-ascii', maxLength: 60 }),
).map(enc);

export const item: fc.Arbitrary<GItem> = fc.record({
  target: fc.option(uri, { nil: undefined }),
  source: fc.option(uri, { nil: undefined }),
  meta: fc.option(fc.record({
    format: fc.option(fc.constantFrom('chr', 'int', 'bin', 'b64', 'node', 'bool', 'xml'), { nil: undefined }),
    type: fc.option(fc.constantFrom('text/plain', 'application/octet-stream', 'org.example/1.0'), { nil: undefined }),
    size: fc.option(fc.integer({ min: 0, max: 1 << 20 }), { nil: undefined }),
  }), { nil: undefined }),
  data: fc.option(dataText, { nil: undefined }),
  moreData: fc.boolean(),
}).map((i) => {
  const o: GItem = { moreData: i.moreData };
  if (i.target !== undefined) o.target = i.target;
  if (i.source !== undefined) o.source = i.source;
  if (i.meta) o.meta = clean({ ...i.meta }) as GItem['meta'] & object;
  if (i.data !== undefined) o.data = i.data;
  return o;
});

/** A binary item (WBXML only). */
export const binaryItem: fc.Arbitrary<GItem> = fc.tuple(uri, fc.uint8Array({ maxLength: 64 })).map(([t, b]) => ({ target: t, data: b, binary: true, moreData: false }));

function simple(name: GCmdName, items: fc.Arbitrary<GItem[]>): fc.Arbitrary<GCmd> {
  return fc.record({
    cmdId: num(999), noResp: fc.boolean(), items,
    meta: fc.option(fc.record({ format: fc.constantFrom('chr', 'node', 'b64'), type: fc.constantFrom('text/plain', 'application/x') }), { nil: undefined }),
  }).map((r) => {
    const c: GCmd = { name, cmdId: r.cmdId, noResp: r.noResp, items: r.items };
    if (r.meta) c.meta = r.meta;
    return c;
  });
}

const itemCmd = (itemArb: fc.Arbitrary<GItem>): fc.Arbitrary<GCmd> =>
  fc.constantFrom<GCmdName>('Add', 'Replace', 'Delete', 'Get', 'Exec', 'Copy').chain((n) => simple(n, fc.array(itemArb, { minLength: 1, maxLength: 3 })))
    .chain((c) => (c.name === 'Exec' ? fc.option(fieldText(10), { nil: undefined }).map((corr) => (corr === undefined ? c : { ...c, correlator: corr })) : fc.constant(c)));

const alertCmd = (itemArb: fc.Arbitrary<GItem>): fc.Arbitrary<GCmd> =>
  fc.tuple(num(999), fc.constantFrom('1100', '1101', '1200', '1222', '1223', '1226'), fc.array(itemArb, { maxLength: 2 }))
    .map(([id, code, items]) => ({ name: 'Alert', cmdId: id, noResp: false, items, data: code }));

const statusCmd: fc.Arbitrary<GCmd> = fc.record({
  cmdId: num(999), msgRef: num(20), cmdRef: fc.oneof(fc.constant('0'), num(99)), cmd: fc.constantFrom('SyncHdr', 'Get', 'Replace', 'Alert'),
  data: fc.constantFrom('200', '212', '401', '407', '404', '500'),
  targetRefs: fc.array(uri, { maxLength: 2 }), sourceRefs: fc.array(uri, { maxLength: 2 }),
  nextNonce: fc.option(fc.base64String({ minLength: 4, maxLength: 24 }), { nil: undefined }),
}).map((r) => {
  const c: GCmd = { name: 'Status', cmdId: r.cmdId, noResp: false, items: [], data: r.data, msgRef: r.msgRef, cmdRef: r.cmdRef, cmd: r.cmd, targetRefs: r.targetRefs, sourceRefs: r.sourceRefs };
  if (r.nextNonce !== undefined) c.nextNonce = r.nextNonce;
  return c;
});

const resultsCmd = (itemArb: fc.Arbitrary<GItem>): fc.Arbitrary<GCmd> =>
  fc.tuple(num(999), num(20), num(99), fc.array(itemArb, { minLength: 1, maxLength: 2 }))
    .map(([id, mr, cr, items]) => ({ name: 'Results', cmdId: id, noResp: false, items, msgRef: mr, cmdRef: cr }));

/** A command (depth-limited Atomic/Sequence nesting). */
export function command(itemArb: fc.Arbitrary<GItem> = item, depth = 2): fc.Arbitrary<GCmd> {
  const leafCmd = fc.oneof({ weight: 5, arbitrary: itemCmd(itemArb) }, { weight: 2, arbitrary: alertCmd(itemArb) }, { weight: 2, arbitrary: statusCmd }, { weight: 1, arbitrary: resultsCmd(itemArb) });
  if (depth <= 0) return leafCmd;
  const container = fc.tuple(fc.constantFrom<GCmdName>('Atomic', 'Sequence'), num(999), fc.boolean(), fc.array(command(itemArb, depth - 1), { maxLength: 3 }))
    .map(([name, id, noResp, children]) => ({ name, cmdId: id, noResp, items: [], children }));
  return fc.oneof({ weight: 6, arbitrary: leafCmd }, { weight: 1, arbitrary: container });
}

/** A whole message; `binary` allows binary items (messages to be encoded as WBXML only). */
export function message(opts: { binary?: boolean; maxCmds?: number } = {}): fc.Arbitrary<GMsg> {
  const itemArb = opts.binary ? fc.oneof({ weight: 3, arbitrary: item }, { weight: 1, arbitrary: binaryItem }) : item;
  return fc.record({
    version: fc.constantFrom<'1.2' | '1.1.2'>('1.2', '1.1.2'),
    sessionId: fc.integer({ min: 1, max: 0xffff }).map((n) => n.toString(16).toUpperCase()),
    msgId: num(99),
    target: fc.constantFrom('IMEI:493005100592800', 'http://127.0.0.1/dm', 'urn:uuid:1'),
    source: fc.oneof(uri, fc.constant('https://dm.example.com/dm')),
    sourceName: fc.option(fieldText(12), { nil: undefined }),
    respUri: fc.option(fc.constant('https://dm.example.com/dm?s=1&x=2'), { nil: undefined }),
    cred: fc.option(fc.record({ type: fc.constantFrom('syncml:auth-md5', 'syncml:auth-basic'), format: fc.constant('b64'), data: fc.base64String({ minLength: 4, maxLength: 32 }) }), { nil: undefined }),
    maxMsgSize: fc.option(fc.integer({ min: 0, max: 1 << 24 }), { nil: undefined }),
    maxObjSize: fc.option(fc.integer({ min: 0, max: 1 << 30 }), { nil: undefined }),
    cmds: fc.array(command(itemArb), { maxLength: opts.maxCmds ?? 8 }),
    final: fc.boolean(),
  }).map((r) => clean({ ...r }) as unknown as GMsg);
}

// ------------------------------------------------------------------ XML writer (independent of src/codec)

/** How an XML document is written. */
export interface XmlStyle {
  /** Newlines and indentation between elements. */
  pretty: boolean;
  /** `<?xml …?>` declaration, a comment and a PI before the root, a comment inside. */
  prolog: boolean;
  /** UTF-8 byte order mark first. */
  bom: boolean;
  /** MetInf elements carry `xmlns="syncml:metinf"` (else they rely on the lenient lookup). */
  metinfNs: boolean;
  /** Text: 0 escape `< & >` by entities, 1 CDATA sections, 2 numeric character references for everything special. */
  text: 0 | 1 | 2;
  /** A DOCTYPE with an internal subset (ignored by the decoder). */
  doctype: boolean;
}

export const xmlStyle: fc.Arbitrary<XmlStyle> = fc.record({
  pretty: fc.boolean(), prolog: fc.boolean(), bom: fc.boolean(), metinfNs: fc.boolean(),
  text: fc.constantFrom<0 | 1 | 2>(0, 1, 2), doctype: fc.boolean(),
});

function escapeBytes(b: Uint8Array, mode: 0 | 1 | 2): string {
  const s = Buffer.from(b).toString('latin1'); // bytes kept as-is (no re-encoding)
  if (mode === 1) return '<![CDATA[' + s.split(']]>').join(']]]]><![CDATA[>') + ']]>';
  if (mode === 2) return s.replace(/[<>&]/g, (c) => `&#${c.charCodeAt(0)};`);
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Serialises a tree as XML bytes in `style`. Binary (XOpaque) content is written raw (callers avoid it). */
export function toXml(root: XElem, style: XmlStyle, version: '1.2' | '1.1.2' = '1.2'): Uint8Array {
  let out = '';
  if (style.prolog) out += '<?xml version="1.0" encoding="UTF-8"?>\n<!-- generated -->\n<?pi data?>';
  if (style.doctype) out += '<!DOCTYPE SyncML PUBLIC "-//SYNCML//DTD SyncML 1.2//EN" "x" [ <!ENTITY e "<x>"> <!-- c --> <!ATTLIST a b CDATA "]"> ]>';
  const walk = (e: XElem, depth: number, ns: string | null): void => {
    const ind = style.pretty ? '\n' + '  '.repeat(depth) : '';
    let attrs = '';
    let childNs = ns;
    if (depth === 0) {
      attrs = ` xmlns="SYNCML:SYNCML${version === '1.2' ? '1.2' : '1.1'}"`;
      childNs = 'syncml';
    } else if (e.page === 1 && ns !== 'metinf' && style.metinfNs) {
      attrs = ' xmlns="syncml:metinf"';
      childNs = 'metinf';
    } else if (e.page === 0 && ns === 'metinf') {
      attrs = ` xmlns="SYNCML:SYNCML${version === '1.2' ? '1.2' : '1.1'}"`;
      childNs = 'syncml';
    }
    if (e.kids.length === 0) {
      out += `${ind}<${e.name}${attrs}/>`;
      return;
    }
    out += `${ind}<${e.name}${attrs}>`;
    let leafText = true;
    for (const k of e.kids) {
      if (k.k === 'e') {
        leafText = false;
        walk(k, depth + 1, childNs);
      } else out += escapeBytes(k.k === 't' ? k.s : k.b, style.text);
    }
    if (depth === 1 && style.prolog) out += '<!-- inside -->';
    out += `${!leafText && style.pretty ? '\n' + '  '.repeat(depth) : ''}</${e.name}>`;
  };
  walk(root, 0, null);
  const body = new Uint8Array(Buffer.from(out, 'latin1'));
  if (!style.bom) return body;
  const withBom = new Uint8Array(body.length + 3);
  withBom.set([0xef, 0xbb, 0xbf]);
  withBom.set(body, 3);
  return withBom;
}

// ------------------------------------------------------------------ WBXML writer (independent of src/codec)


/** Token of `name` on `page`, or -1. */
export function tokenOf(name: string, page: number): number {
  const t = PAGE_NAMES[page]?.indexOf(name) ?? -1;
  return t >= 5 ? t : -1;
}

/** How a WBXML document is written. */
export interface WbxmlStyle {
  /** WBXML version byte 1..3. */
  version: number;
  /** Text pieces: 0 STR_I only, 1 mix STR_I / STR_T (string table) / ENTITY, 2 text as OPAQUE. */
  text: 0 | 1 | 2;
  /** Write a SWITCH_PAGE before every MetInf and SyncML element even when on that page already. */
  redundantSwitch: boolean;
  /** The public id as a string-table reference instead of the numeric id. */
  publicIdString: boolean;
  /** Random piece boundaries inside text (seed for the splitting). */
  splitSeed: number;
}

export const wbxmlStyle: fc.Arbitrary<WbxmlStyle> = fc.record({
  version: fc.constantFrom(1, 2, 3), text: fc.constantFrom<0 | 1 | 2>(0, 1, 2), redundantSwitch: fc.boolean(), publicIdString: fc.boolean(),
  splitSeed: fc.integer({ min: 1, max: 0x7fffffff }),
});

/** mb_u_int32 bytes of v. */
export function mb(v: number): number[] {
  const out = [v & 0x7f];
  v = Math.floor(v / 128);
  while (v > 0) {
    out.unshift(0x80 | (v & 0x7f));
    v = Math.floor(v / 128);
  }
  return out;
}

/** Serialises a tree as WBXML bytes in `style` (UTF-8 charset). */
export function toWbxml(root: XElem, style: WbxmlStyle, version: '1.2' | '1.1.2' = '1.2'): Uint8Array {
  let rnd = style.splitSeed >>> 0 || 1;
  const next = (n: number): number => {
    rnd ^= rnd << 13; rnd >>>= 0; rnd ^= rnd >>> 17; rnd ^= rnd << 5; rnd >>>= 0;
    return rnd % n;
  };
  const table: number[] = [];
  const tableRefs = new Map<string, number>();
  const addString = (b: Uint8Array): number => {
    const key = Buffer.from(b).toString('hex');
    const have = tableRefs.get(key);
    if (have !== undefined) return have;
    const off = table.length;
    table.push(...b, 0);
    tableRefs.set(key, off);
    return off;
  };
  const pidText = version === '1.2' ? '-//SYNCML//DTD SyncML 1.2//EN' : '-//SYNCML//DTD SyncML 1.1//EN';
  const pidOff = style.publicIdString ? addString(enc(pidText)) : -1;
  const body: number[] = [];
  let page = 0;
  const textPiece = (b: Uint8Array): void => {
    if (b.length === 0) return;
    if (style.text === 2) {
      body.push(0xc3, ...mb(b.length), ...b);
      return;
    }
    // NUL cannot travel in STR_I / STR_T: those bytes go as OPAQUE pieces
    const z = b.indexOf(0);
    if (z >= 0) {
      textPiece(b.subarray(0, z));
      body.push(0xc3, 1, 0);
      textPiece(b.subarray(z + 1));
      return;
    }
    if (style.text === 0) {
      body.push(0x03, ...b, 0);
      return;
    }
    // split into pieces at random points (never inside a UTF-8 sequence for ENTITY pieces)
    let p = 0;
    while (p < b.length) {
      const kind = next(4);
      const n = 1 + next(Math.min(b.length - p, 12));
      const piece = b.subarray(p, p + n);
      if (kind === 0) body.push(0x83, ...mb(addString(piece)));
      else if (kind === 1 && b[p]! < 0x80) {
        body.push(0x02, ...mb(b[p]!));
        p += 1;
        continue;
      } else if (kind === 2) body.push(0xc3, ...mb(piece.length), ...piece);
      else body.push(0x03, ...piece, 0);
      p += n;
    }
  };
  const walk = (e: XElem): void => {
    if (e.page !== page || (style.redundantSwitch && e.page >= 0)) {
      if (e.page >= 0) {
        body.push(0x00, e.page);
        page = e.page;
      }
    }
    const content = e.kids.length > 0 ? 0x40 : 0;
    const tok = e.page >= 0 ? tokenOf(e.name, e.page) : -1;
    if (tok < 0) body.push(0x04 | content, ...mb(addString(enc(e.name))));
    else body.push(tok | content);
    for (const k of e.kids) {
      if (k.k === 'e') walk(k);
      else if (k.k === 't') textPiece(k.s);
      else body.push(0xc3, ...mb(k.b.length), ...k.b);
    }
    if (content) body.push(0x01);
  };
  walk(root);
  const head = [style.version, ...(pidOff >= 0 ? [0, ...mb(pidOff)] : mb(version === '1.2' ? 0x1201 : 0x0fd3)), 0x6a, ...mb(table.length), ...table];
  return Uint8Array.from([...head, ...body]);
}

// ------------------------------------------------------------------ structural mutations

/** One structural edit of a tree (applied to a deep copy). */
export type Mutation =
  | { op: 'drop'; at: number }
  | { op: 'dup'; at: number }
  | { op: 'swap'; at: number }
  | { op: 'rename'; at: number; name: string; page: number }
  | { op: 'wrap'; at: number; name: string; page: number; times: number }
  | { op: 'text'; at: number; s: Uint8Array }
  | { op: 'move'; at: number; to: number };

const NAMES: [string, number][] = [
  ...PAGE_NAMES[0]!.filter((n): n is string => n !== null).map((n): [string, number] => [n, 0]),
  ...PAGE_NAMES[1]!.filter((n): n is string => n !== null).map((n): [string, number] => [n, 1]),
  ['Unknown', -1], ['x:y', -1], ['Node', 2],
];

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('dup' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('swap' as const), at: fc.nat() }),
  fc.tuple(fc.nat(), fc.constantFrom(...NAMES)).map(([at, [name, page]]) => ({ op: 'rename' as const, at, name, page })),
  fc.tuple(fc.nat(), fc.constantFrom(...NAMES), fc.integer({ min: 1, max: 40 })).map(([at, [name, page], times]) => ({ op: 'wrap' as const, at, name, page, times })),
  fc.tuple(fc.nat(), dataText).map(([at, s]) => ({ op: 'text' as const, at, s })),
  fc.record({ op: fc.constant('move' as const), at: fc.nat(), to: fc.nat() }),
);

function copy(n: XNode): XNode {
  return n.k === 'e' ? { ...n, kids: n.kids.map(copy) } : n;
}

/** All (parent, index) positions of elements below the root, in document order. */
function positions(root: XElem): [XElem, number][] {
  const out: [XElem, number][] = [];
  const walk = (e: XElem): void => {
    e.kids.forEach((k, i) => {
      if (k.k === 'e') {
        out.push([e, i]);
        walk(k);
      }
    });
  };
  walk(root);
  return out;
}

/** Applies the edits to a copy of `root`; the root element itself is never removed. */
export function mutate(root: XElem, edits: readonly Mutation[]): XElem {
  const r = copy(root) as XElem;
  for (const m of edits) {
    const pos = positions(r);
    if (pos.length === 0) break;
    const [parent, i] = pos[m.at % pos.length]!;
    const node = parent.kids[i] as XElem;
    switch (m.op) {
      case 'drop': parent.kids.splice(i, 1); break;
      case 'dup': parent.kids.splice(i, 0, copy(node)); break;
      case 'swap': if (i + 1 < parent.kids.length) [parent.kids[i], parent.kids[i + 1]] = [parent.kids[i + 1]!, node]; break;
      case 'rename': parent.kids[i] = { ...node, name: m.name, page: m.page }; break;
      case 'wrap': {
        let w: XElem = node;
        for (let k = 0; k < m.times; k++) w = el(m.name, [w], m.page);
        parent.kids[i] = w;
        break;
      }
      case 'text': node.kids.push({ k: 't', s: m.s }); break;
      case 'move': {
        parent.kids.splice(i, 1);
        const dst = positions(r);
        if (dst.length === 0) { r.kids.push(node); break; }
        const [p2, j] = dst[m.to % dst.length]!;
        const target = p2.kids[j] as XElem;
        if (!contains(node, target)) target.kids.push(node);
        break;
      }
    }
  }
  return r;
}

function contains(a: XElem, b: XElem): boolean {
  if (a === b) return true;
  return a.kids.some((k) => k.k === 'e' && contains(k, b));
}

// ------------------------------------------------------------------ byte mutations

/** A byte-level edit of an encoded document. */
export type ByteEdit = { op: 'flip' | 'set' | 'insert' | 'delete' | 'truncate' | 'dupRange'; at: number; v: number; n: number };

export const byteEdit: fc.Arbitrary<ByteEdit> = fc.record({
  op: fc.constantFrom<ByteEdit['op']>('flip', 'set', 'insert', 'delete', 'truncate', 'dupRange'),
  at: fc.nat(), v: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x04, 0x40, 0x43, 0x80, 0x83, 0xc3, 0xff, 0x3c, 0x3e, 0x26, 0x5d)),
  n: fc.integer({ min: 1, max: 32 }),
});

/** Applies byte edits to a copy. */
export function applyEdits(b: Uint8Array, edits: readonly ByteEdit[]): Uint8Array {
  let a = Array.from(b);
  for (const e of edits) {
    const at = a.length === 0 ? 0 : e.at % a.length;
    switch (e.op) {
      case 'flip': if (a.length) a[at] = a[at]! ^ (1 << (e.v & 7)); break;
      case 'set': if (a.length) a[at] = e.v; break;
      case 'insert': a.splice(at, 0, ...new Array<number>(e.n).fill(e.v)); break;
      case 'delete': a.splice(at, e.n); break;
      case 'truncate': a = a.slice(0, at); break;
      case 'dupRange': a.splice(at, 0, ...a.slice(at, at + e.n)); break;
    }
  }
  return Uint8Array.from(a);
}

/** Split points for chunked feeding: sorted, unique, inside (0, n). */
export const splits = (n: number): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 1, max: Math.max(1, n - 1) }), { maxLength: 12 }).map((a) => [...new Set(a)].filter((x) => x > 0 && x < n).sort((x, y) => x - y));

/** Chunks of `b` at the split points (copies: the caller may reuse buffers). */
export function chunksOf(b: Uint8Array, at: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let p = 0;
  for (const s of at) {
    out.push(b.slice(p, s));
    p = s;
  }
  out.push(b.slice(p));
  return out;
}
