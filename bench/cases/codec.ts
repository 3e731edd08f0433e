/**
 * Codec workloads on the perfkit corpus, per message type and wire form:
 *
 * - `tokenize`: the streaming tokenizer (WBXML or XML) over the whole message with a counting
 *   handler, exactly what bench/codec-adapter.mjs gives perfkit (every text/opaque span touched,
 *   entity-bearing text resolved). Check: the element count equals the corpus manifest's (the
 *   generator's count, itself checked against libwbxml's round trip).
 * - `decode`: `MessageDecoder.decode` → the message model the session uses (header, commands,
 *   items, data views). Check: number of commands, last CmdID, Final — compared with a count the
 *   tokenizer makes independently of the parser in setup.
 * - `encode`: `MessageBuilder` writes the decoded message again (same form) into a preallocated
 *   writer. Check: output length and last byte; in setup the output is decoded again and must give
 *   the manifest's element count and the same command list.
 */
import { MessageDecoder } from '../../src/codec/decode';
import type { TokenHandler } from '../../src/codec/events';
import { TEXT_ESCAPED } from '../../src/codec/events';
import type { Command, Item, Message, OutCommand, OutHeader, OutItem, OutRecord, OutResults, OutStatus } from '../../src/codec/model';
import { MessageBuilder } from '../../src/codec/syncml/Builder';
import { Tag } from '../../src/codec/tokens';
import { WbxmlTokenizer } from '../../src/codec/wbxml/Tokenizer';
import { WbxmlWriter } from '../../src/codec/wbxml/Writer';
import { unescapeInto } from '../../src/codec/xml/entities';
import { XmlTokenizer } from '../../src/codec/xml/Tokenizer';
import { XmlWriter } from '../../src/codec/xml/Writer';
import { corpusFile } from '../lib/corpus';
import type { BenchHost, CaseInstance, CaseParams } from '../lib/types';
import { check } from '../lib/types';

type Form = 'xml' | 'wbxml';

/** Tokenizer limits wide enough for the 10 MiB stress message (the adapter's). */
const WIDE = { maxDepth: 64, maxStringTable: 1 << 20, maxOpaque: 1 << 30, maxTokenLen: 1 << 16 };

/** Counts elements and touches every value; also counts SyncBody's direct children (commands). */
class Counter implements TokenHandler {
  elements = 0;
  textBytes = 0;
  commands = 0;
  #depth = 0;
  #scratch = new Uint8Array(4096);
  #bodyDepth = -1;
  #finalSeen = false;
  get final(): boolean {
    return this.#finalSeen;
  }
  reset(): void {
    this.elements = this.textBytes = this.commands = this.#depth = 0;
    this.#bodyDepth = -1;
    this.#finalSeen = false;
  }
  open(tag: number): void {
    this.elements++;
    if (this.#bodyDepth >= 0 && this.#depth === this.#bodyDepth + 1) {
      if (tag === Tag.Final) this.#finalSeen = true;
      else this.commands++;
    }
    if (tag === Tag.SyncBody) this.#bodyDepth = this.#depth;
    this.#depth++;
  }
  close(): void {
    this.#depth--;
  }
  text(buf: Uint8Array, s: number, e: number, flags: number): void {
    if (flags & TEXT_ESCAPED) {
      // resolved into a reused scratch buffer, as bench/codec-adapter.mjs and the SyncML parser do
      if (this.#scratch.length < e - s) this.#scratch = new Uint8Array(e - s);
      this.textBytes += unescapeInto(buf, s, e, this.#scratch, 0);
    } else this.textBytes += e - s;
  }
  opaque(_b: Uint8Array, s: number, e: number): void {
    this.textBytes += e - s;
  }
  entity(): void {
    this.textBytes++;
  }
}

function tokenizer(form: Form, h: TokenHandler): { decode(u8: Uint8Array): void } {
  return form === 'wbxml' ? new WbxmlTokenizer(h, WIDE) : new XmlTokenizer(h, WIDE);
}

function params(p: CaseParams): { msg: string; form: Form } {
  const form = p['form'];
  if (form !== 'xml' && form !== 'wbxml') throw new TypeError(`params.form: 'xml' or 'wbxml', got ${String(form)}`);
  return { msg: String(p['msg']), form };
}

/** Tokenizer only, counting handler (the perfkit adapter's work). */
export function tokenizeCase(host: BenchHost, p: CaseParams): CaseInstance {
  const { msg, form } = params(p);
  const { bytes, entry } = corpusFile(host, msg, form);
  const c = new Counter();
  const t = tokenizer(form, c);
  const want = entry.elements;
  return {
    bytes: bytes.length, elements: want,
    fn() {
      c.reset();
      t.decode(bytes);
      check(c.elements === want, `${form} ${msg}: ${c.elements} elements, manifest says ${want}`);
    },
  };
}

/** Decoder limits sized for one corpus message (the product defaults are device-sized). */
function decoderFor(size: number): MessageDecoder {
  const room = Math.max(65536, size + 4096);
  return new MessageDecoder({ maxMsgSize: room, maxObjSize: room, maxCmdsPerMsg: 4096, maxItemsPerCmd: 64, maxStringTable: 1 << 20, maxTokenLen: 1 << 16, maxDepth: 64 });
}

/** What the tokenizer sees independently of the parser: element count, commands, Final. */
function shape(form: Form, bytes: Uint8Array): { elements: number; commands: number; final: boolean } {
  const c = new Counter();
  tokenizer(form, c).decode(bytes);
  return { elements: c.elements, commands: c.commands, final: c.final };
}

/** MessageDecoder → the message model. */
export function decodeCase(host: BenchHost, p: CaseParams): CaseInstance {
  const { msg, form } = params(p);
  const { bytes, entry } = corpusFile(host, msg, form);
  const s = shape(form, bytes);
  check(s.elements === entry.elements, `${form} ${msg}: tokenizer counts ${s.elements} elements, manifest says ${entry.elements}`);
  const dec = decoderFor(bytes.length);
  const first = dec.decode(bytes, form);
  check(first.body.length === s.commands, `${form} ${msg}: decoder gives ${first.body.length} commands, tokenizer ${s.commands}`);
  check(first.final === s.final, `${form} ${msg}: Final mismatch`);
  const n = s.commands;
  const lastId = first.body[n - 1]?.cmdId ?? null;
  const final = s.final;
  return {
    bytes: bytes.length, elements: entry.elements,
    fn() {
      const m = dec.decode(bytes, form);
      check(m.body.length === n && m.final === final && (m.body[n - 1]?.cmdId ?? null) === lastId, `${form} ${msg}: decoded message differs`);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// decoded model → records the builder writes (done once in setup, outside the timed closure)

function outItem(it: Item): OutItem {
  const o: OutItem = {};
  if (it.target !== undefined) o.target = it.target;
  if (it.source !== undefined) o.source = it.source;
  if (it.sourceName !== undefined) o.sourceName = it.sourceName;
  if (it.meta) o.meta = it.meta;
  if (it.data) o.data = it.data.kind === 'opaque' ? it.data.bytes.slice() : it.data.text();
  if (it.moreData) o.moreData = true;
  return o;
}

function outCommand(c: Command): OutCommand {
  if (c.name === 'Results' || c.name === 'Status' || c.name === 'Unknown' || c.name === 'Map' || c.name === 'Put'
    || c.name === 'Search' || c.name === 'Sync' || c.name === 'Move') {
    throw new Error(`cannot re-encode ${c.name} as a command`);
  }
  const o: OutCommand = { kind: c.name };
  if (c.noResp) o.noResp = true;
  if (c.meta) o.meta = c.meta;
  if (c.correlator !== undefined) o.correlator = c.correlator;
  if (c.name === 'Alert') o.code = Number(c.data?.text() ?? '0');
  if (c.items.length) o.items = c.items.map(outItem);
  if (c.children) o.children = c.children.map(outCommand);
  return o;
}

/** The builder's record for one decoded command, and the CmdID it had. */
export function outRecord(c: Command): { rec: OutRecord | OutCommand; cmdId: string } {
  const cmdId = c.cmdId ?? '0';
  if (c.name === 'Status') {
    const s: OutStatus = { kind: 'Status', msgRef: c.msgRef ?? '', cmdRef: c.cmdRef ?? '', cmd: c.cmd ?? '', code: Number(c.data?.text() ?? '0') };
    if (c.targetRefs) s.targetRefs = c.targetRefs;
    if (c.sourceRefs) s.sourceRefs = c.sourceRefs;
    if (c.chal) s.chal = c.chal;
    if (c.items.length) s.items = c.items.map(outItem);
    return { rec: s, cmdId };
  }
  if (c.name === 'Results') {
    const r: OutResults = { kind: 'Results', msgRef: c.msgRef ?? '', cmdRef: c.cmdRef ?? '', items: c.items.map(outItem) };
    if (c.meta) r.meta = c.meta;
    if (c.targetRefs?.[0] !== undefined) r.targetRef = c.targetRefs[0];
    if (c.sourceRefs?.[0] !== undefined) r.sourceRef = c.sourceRefs[0];
    return { rec: r, cmdId };
  }
  return { rec: outCommand(c), cmdId };
}

/** The header record of a decoded message. */
export function outHeader(m: Message): OutHeader {
  const h = m.hdr;
  const o: OutHeader = { version: m.version, sessionId: h.sessionId, msgId: h.msgId, target: h.target, source: h.source };
  if (h.targetName !== undefined) o.targetName = h.targetName;
  if (h.sourceName !== undefined) o.sourceName = h.sourceName;
  if (h.respUri !== undefined) o.respUri = h.respUri;
  if (h.cred) o.cred = h.cred;
  if (h.meta) o.meta = h.meta;
  return o;
}

/** MessageBuilder writing the decoded message again, same form. */
export function encodeCase(host: BenchHost, p: CaseParams): CaseInstance {
  const { msg, form } = params(p);
  const { bytes, entry } = corpusFile(host, msg, form);
  const m = decoderFor(bytes.length).decode(bytes, form);
  const hdr = outHeader(m);
  const recs = m.body.map(outRecord);
  const final = m.final;
  const cap = bytes.length * 2 + 65536;
  const w = form === 'wbxml' ? new WbxmlWriter(cap, 64) : new XmlWriter(cap, { declaration: true, doctype: true, maxDepth: 64 });
  const b = new MessageBuilder(w);
  const encode = (): Uint8Array => {
    if (!b.begin(hdr)) throw new Error('header does not fit');
    for (const r of recs) if (!b.add(r.rec, r.cmdId)) throw new Error('record does not fit');
    return b.finish(final);
  };
  // oracle check of the output, once: decodes again to the manifest's element count and the same commands
  const out = encode().slice();
  const s = shape(form, out);
  check(s.elements === entry.elements, `${form} ${msg}: re-encoded message has ${s.elements} elements, manifest says ${entry.elements}`);
  const again = decoderFor(out.length).decode(out, form);
  check(again.body.length === m.body.length && again.body.every((c, i) => c.name === m.body[i]!.name && c.cmdId === m.body[i]!.cmdId),
    `${form} ${msg}: re-encoded commands differ`);
  const len = out.length;
  const last = out[len - 1];
  return {
    bytes: len, elements: entry.elements,
    fn() {
      const o = encode();
      check(o.length === len && o[len - 1] === last, `${form} ${msg}: encoded ${o.length} bytes, expected ${len}`);
    },
  };
}
