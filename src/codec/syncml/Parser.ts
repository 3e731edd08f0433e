/**
 * SyncML message parser: turns tokenizer events (WBXML or XML, they share tag ids) into the message
 * model (model.ts) without building a DOM. Decoding is order-insensitive inside containers (servers
 * are sloppy with element order), LocURIs are trimmed, MetInf elements are recognised with or
 * without their namespace, and malformed commands are kept (with `error`/`errorStatus`) so the DPU
 * can answer each with a status.
 *
 * Values are views into the input where possible (one contiguous span: plain text, a STR_I, an
 * OPAQUE); values made of several pieces (entities, mixed WBXML strings, chunked input) are copied
 * into a fixed arena allocated once from the limits. A Message is therefore valid until the input
 * buffer or the parser is reused.
 */
import { DecodeError } from '../../errors';
import { utf8Decode, utf8EncodeInto } from '../../util/utf8';
import type { TokenHandler } from '../events';
import { TEXT_ESCAPED } from '../events';
import type { Chal, Command, CommandName, Cred, DataValue, DmVersion, Encoding, Item, Message, Meta, SyncHdr } from '../model';
import { Tag, tagName } from '../tokens';
import { unescapeInto } from '../xml/entities';

/** Parser limits. */
export interface ParserLimits {
  /** Commands per message, nested ones included. */
  maxCmdsPerMsg: number;
  /** Items per command. */
  maxItemsPerCmd: number;
  /** Bytes of the copy arena (values assembled from several pieces). */
  arenaSize: number;
  /** Longest text of a non-Data element (LocURI, CmdID, Meta values...). */
  maxFieldLen: number;
}

export const DEFAULT_PARSER_LIMITS: Readonly<ParserLimits> = Object.freeze({
  maxCmdsPerMsg: 256,
  maxItemsPerCmd: 64,
  arenaSize: 64 * 1024,
  maxFieldLen: 2048,
});

class Value implements DataValue {
  #text: string | null = null;
  constructor(readonly kind: 'text' | 'opaque', readonly bytes: Uint8Array, private readonly latin1: boolean) {}
  text(): string {
    if (this.#text === null) {
      if (this.latin1) {
        let s = '';
        for (let i = 0; i < this.bytes.length; i++) s += String.fromCharCode(this.bytes[i]!);
        this.#text = s;
      } else this.#text = utf8Decode(this.bytes);
    }
    return this.#text;
  }
}

const COMMANDS: Partial<Record<number, CommandName>> = {
  [Tag.Add]: 'Add', [Tag.Alert]: 'Alert', [Tag.Atomic]: 'Atomic', [Tag.Copy]: 'Copy', [Tag.Delete]: 'Delete',
  [Tag.Exec]: 'Exec', [Tag.Get]: 'Get', [Tag.Replace]: 'Replace', [Tag.Sequence]: 'Sequence',
  [Tag.Results]: 'Results', [Tag.Status]: 'Status', [Tag.Map]: 'Map', [Tag.Put]: 'Put',
  [Tag.Search]: 'Search', [Tag.Sync]: 'Sync', [Tag.Move]: 'Move',
};

/** Where the current Target/Source LocURI goes. */
enum Loc { None, HdrTarget, HdrSource, ItemTarget, ItemSource }

/** What the text being captured is for. */
enum Cap { None, Field, Data }

/** Raw-content positions of the XML tokenizer (for Data elements holding markup). */
export interface RawPositions {
  readonly contentStart: number;
  readonly tagStart: number;
}

export class MessageParser implements TokenHandler {
  readonly #lim: ParserLimits;
  readonly #arena: Uint8Array;
  #arenaPos = 0;
  /** Copy every span (chunked input whose buffers the caller reuses). */
  copySpans = false;
  /** WBXML charset was ISO-8859-1. */
  latin1 = false;
  /** The whole input (whole-buffer XML decodes), for raw Data capture. */
  doc: Uint8Array | null = null;
  raw: RawPositions | null = null;

  // element stack
  #stack: number[] = [];
  #skipDepth = -1;

  // message under construction
  #hdr: SyncHdr | null = null;
  #body: Command[] = [];
  #final = false;
  #inHdr = false;
  #inBody = false;
  #inBodySeen = false;
  #cmds: Command[] = [];
  #cmdCount = 0;
  #item: Item | null = null;
  #meta: Meta | null = null;
  #cred: Cred | null = null;
  #chal: Chal | null = null;
  #loc = Loc.None;
  #rootSeen = false;

  // text capture
  #cap = Cap.None;
  #capDepth = 0;
  #capOpaque = false;
  #capEscaped = false;
  #spanBuf: Uint8Array | null = null;
  #spanStart = 0;
  #spanEnd = 0;
  #copyStart = -1; // arena offset when copying
  #nested = false; // Data contains elements
  #dataRawStart = 0;

  constructor(limits: Partial<ParserLimits> = {}) {
    this.#lim = { ...DEFAULT_PARSER_LIMITS, ...limits };
    this.#arena = new Uint8Array(this.#lim.arenaSize);
  }

  /**
   * A DecodeError at the current position: the tokenizer's offset of the element being opened or
   * closed (`raw`, set for both encodings by MessageDecoder); -1 byte (the element, not one byte).
   */
  #err(code: string, msg: string, state: string): DecodeError {
    const at = this.raw ? Math.max(this.raw.contentStart, this.raw.tagStart) : 0;
    return new DecodeError(code, msg, at, -1, state);
  }

  reset(): void {
    this.#arenaPos = 0;
    this.#stack.length = 0;
    this.#skipDepth = -1;
    this.#hdr = null;
    this.#body = [];
    this.#final = false;
    this.#inHdr = this.#inBody = this.#rootSeen = false;
    this.#cmds.length = 0;
    this.#cmdTags.clear();
    this.#cmdCount = 0;
    this.#inBodySeen = false;
    this.#item = this.#meta = null;
    this.#cred = null;
    this.#chal = null;
    this.#loc = Loc.None;
    this.#cap = Cap.None;
    this.#nested = false;
    this.latin1 = false;
    this.doc = null;
    this.raw = null;
  }

  /** The decoded message (after the tokenizer's `end()`). */
  result(encoding: Encoding): Message {
    const hdr = this.#hdr;
    if (!hdr) throw this.#err('no-synchdr', 'SyncML message without SyncHdr', 'message');
    if (!this.#inBodySeen) throw this.#err('no-syncbody', 'SyncML message without SyncBody', 'message');
    return { version: versionOf(hdr), encoding, hdr, body: this.#body, final: this.#final };
  }

  // ------------------------------------------------------------------ TokenHandler

  open(tag: number, buf: Uint8Array, ns: number, ne: number, empty: boolean): void {
    const depth = this.#stack.length;
    this.#stack.push(tag);
    if (this.#skipDepth >= 0) return;
    if (this.#cap !== Cap.None) {
      // markup inside a captured element
      if (this.#cap === Cap.Data) {
        if (!this.#nested) {
          this.#nested = true;
          if (!this.doc || !this.raw) this.#setError('Data with nested markup cannot be decoded from chunked or WBXML input', 415);
        }
        this.#skipDepth = depth;
      } else {
        this.#skipDepth = depth; // ignore elements inside fields
      }
      return;
    }
    const parent = depth > 0 ? this.#stack[depth - 1]! : -2;
    if (depth === 0) {
      if (tag !== Tag.SyncML) throw this.#err('not-syncml', `root element is ${tag < 0 ? nameOf(buf, ns, ne) : tagName(tag)}, not SyncML`, 'root');
      this.#rootSeen = true;
      return;
    }
    switch (parent) {
      case Tag.SyncML:
        if (tag === Tag.SyncHdr) {
          this.#hdr = { verDtd: '', verProto: '', sessionId: '', msgId: '', target: '', source: '', noResp: false };
          this.#inHdr = true;
        } else if (tag === Tag.SyncBody) {
          this.#inBody = true;
          this.#inBodySeen = true;
        } else this.#skipDepth = depth;
        return;
      case Tag.SyncHdr:
        if (!this.#inHdr) break;
        switch (tag) {
          case Tag.VerDTD: case Tag.VerProto: case Tag.SessionID: case Tag.MsgID: case Tag.RespURI:
            this.#capture(Cap.Field, depth);
            return;
          case Tag.Target: this.#loc = Loc.HdrTarget; return;
          case Tag.Source: this.#loc = Loc.HdrSource; return;
          case Tag.NoResp: this.#hdr!.noResp = true; return;
          case Tag.Cred: this.#cred = { meta: {}, data: '' }; this.#hdr!.cred = this.#cred; return;
          case Tag.Meta: this.#meta = this.#hdr!.meta ??= {}; return;
        }
        break;
      case Tag.SyncBody:
        if (tag === Tag.Final) {
          this.#final = true;
          return;
        }
        this.#newCommand(tag, buf, ns, ne, this.#body, depth);
        return;
      case Tag.Target:
      case Tag.Source:
        if (tag === Tag.LocURI || tag === Tag.LocName) {
          this.#capture(Cap.Field, depth);
          return;
        }
        break;
      case Tag.Item:
        if (!this.#item) break;
        switch (tag) {
          case Tag.Target: this.#loc = Loc.ItemTarget; return;
          case Tag.Source: this.#loc = Loc.ItemSource; return;
          case Tag.Meta: this.#meta = this.#item!.meta ??= {}; return;
          case Tag.Data: this.#capture(Cap.Data, depth); return;
          case Tag.MoreData: this.#item!.moreData = true; return;
        }
        break;
      case Tag.Meta:
      case Tag.MetInf:
        if (tag === Tag.MetInf) return; // transparent wrapper
        if (tag >> 8 === 1 && this.#meta) {
          this.#capture(Cap.Field, depth);
          return;
        }
        break;
      case Tag.Cred:
        if (tag === Tag.Meta && this.#cred) { this.#meta = this.#cred.meta; return; }
        if (tag === Tag.Data && this.#cred) { this.#capture(Cap.Field, depth); return; }
        break;
      case Tag.Chal:
        if (tag === Tag.Meta && this.#chal) { this.#meta = this.#chal.meta; return; }
        break;
      default: {
        const cmd = this.#cmds[this.#cmds.length - 1];
        if (cmd && COMMANDS[parent] !== undefined) {
          this.#commandChild(cmd, tag, buf, ns, ne, depth);
          return;
        }
        if (cmd && parent === -1) break;
      }
    }
    // anything else: ignore the subtree
    this.#skipDepth = depth;
    void empty;
  }

  close(tag: number): void {
    const depth = this.#stack.length - 1;
    this.#stack.pop();
    if (this.#skipDepth >= 0) {
      if (depth === this.#skipDepth) this.#skipDepth = -1;
      if (depth > this.#capDepth || this.#cap === Cap.None) return;
    }
    if (this.#cap !== Cap.None && depth === this.#capDepth) {
      this.#endCapture(tag);
      return;
    }
    if (this.#cmdTags.get(depth) === tag) {
      this.#cmdTags.delete(depth);
      const cmd = this.#cmds.pop();
      if (cmd) this.#finishCommand(cmd);
      return;
    }
    switch (tag) {
      case Tag.SyncHdr: this.#inHdr = false; break;
      case Tag.SyncBody: this.#inBody = false; break;
      case Tag.Target: case Tag.Source: this.#loc = Loc.None; break;
      case Tag.Item: this.#item = null; break;
      case Tag.Meta: this.#meta = null; break;
      case Tag.Cred: this.#cred = null; break;
      case Tag.Chal: this.#chal = null; break;
    }
  }

  text(buf: Uint8Array, start: number, end: number, flags: number): void {
    if (this.#cap === Cap.None || this.#skipDepth >= 0 || end <= start) return;
    if (flags & TEXT_ESCAPED) this.#capEscaped = true;
    this.#span(buf, start, end);
  }

  opaque(buf: Uint8Array, start: number, end: number): void {
    if (this.#cap === Cap.None || this.#skipDepth >= 0) return;
    this.#capOpaque = true;
    if (end > start) this.#span(buf, start, end);
    else if (this.#spanBuf === null && this.#copyStart < 0) {
      // zero-length OPAQUE: an empty value
      this.#spanBuf = buf;
      this.#spanStart = this.#spanEnd = start;
    }
  }

  entity(codePoint: number): void {
    if (this.#cap === Cap.None || this.#skipDepth >= 0) return;
    const n = utf8EncodeInto(String.fromCodePoint(codePoint), SCRATCH, 0);
    this.#toArena();
    this.#arenaPut(SCRATCH, 0, n);
  }

  // ------------------------------------------------------------------ commands

  #newCommand(tag: number, buf: Uint8Array, ns: number, ne: number, container: Command[], depth: number): void {
    if (++this.#cmdCount > this.#lim.maxCmdsPerMsg) {
      throw this.#err('too-many-commands', `more than ${this.#lim.maxCmdsPerMsg} commands in one message`, 'body');
    }
    const name = COMMANDS[tag];
    const cmd: Command = { name: name ?? 'Unknown', element: name ?? (tag < 0 ? nameOf(buf, ns, ne) : tagName(tag)), cmdId: null, noResp: false, items: [] };
    if (name === undefined) {
      cmd.error = `unknown element ${cmd.element} in a command list`;
      cmd.errorStatus = 400;
      container.push(cmd);
      this.#cmdTags.set(depth, tag);
      this.#cmds.push(cmd);
      return;
    }
    if (name === 'Atomic' || name === 'Sequence') cmd.children = [];
    container.push(cmd);
    this.#cmdTags.set(depth, tag);
    this.#cmds.push(cmd);
  }
  /** depth → tag of the command element open at that depth. */
  #cmdTags = new Map<number, number>();

  #commandChild(cmd: Command, tag: number, buf: Uint8Array, ns: number, ne: number, depth: number): void {
    if (cmd.children && tag !== Tag.CmdID && tag !== Tag.NoResp && tag !== Tag.Meta) {
      // Atomic / Sequence: anything but their own header elements is a (possibly unknown) command
      this.#newCommand(tag, buf, ns, ne, cmd.children, depth);
      return;
    }
    switch (tag) {
      case Tag.CmdID: case Tag.MsgRef: case Tag.CmdRef: case Tag.Cmd: case Tag.TargetRef: case Tag.SourceRef: case Tag.Correlator:
        this.#capture(Cap.Field, depth);
        return;
      case Tag.Data:
        this.#capture(Cap.Data, depth);
        return;
      case Tag.NoResp:
        cmd.noResp = true;
        return;
      case Tag.Meta:
        this.#meta = cmd.meta ??= {};
        return;
      case Tag.Item:
        if (cmd.items.length >= this.#lim.maxItemsPerCmd) {
          throw this.#err('too-many-items', `more than ${this.#lim.maxItemsPerCmd} items in one command`, 'command');
        }
        this.#item = { moreData: false };
        cmd.items.push(this.#item);
        return;
      case Tag.Chal:
        this.#chal = { meta: {} };
        cmd.chal = this.#chal;
        return;
      case Tag.Cred:
        this.#cred = { meta: {}, data: '' };
        cmd.cred = this.#cred;
        return;
      case Tag.Archive: case Tag.SftDel: case Tag.Lang: case Tag.NoResults:
        this.#skipDepth = depth;
        return;
    }
    // unknown child element of a command: ignored (lenient), unless it is a command inside a
    // non-container command, which is malformed
    if (COMMANDS[tag] !== undefined) {
      cmd.error = `${tagName(tag)} inside ${cmd.name}`;
      cmd.errorStatus = 400;
    }
    this.#skipDepth = depth;
  }

  #finishCommand(cmd: Command): void {
    if (cmd.name === 'Unknown') return;
    if (cmd.cmdId === null || cmd.cmdId === '') {
      cmd.cmdId = null;
      cmd.error ??= 'missing CmdID';
      cmd.errorStatus ??= 400;
    }
    if (cmd.cred) {
      cmd.error ??= 'command-level Cred is not allowed in DM';
      cmd.errorStatus ??= 400;
    }
    switch (cmd.name) {
      case 'Add': case 'Replace': case 'Delete': case 'Get': case 'Copy': case 'Exec':
        if (cmd.items.length === 0) {
          cmd.error ??= `${cmd.name} without Item`;
          cmd.errorStatus ??= 412;
        }
        break;
      case 'Alert':
        if (!cmd.data) {
          cmd.error ??= 'Alert without Data';
          cmd.errorStatus ??= 412;
        }
        break;
      case 'Status':
        if (!cmd.data || cmd.cmdRef === undefined) {
          cmd.error ??= 'Status without Data or CmdRef';
          cmd.errorStatus ??= 412;
        }
        break;
      case 'Atomic': case 'Sequence':
        break;
    }
  }

  #setError(msg: string, status: number): void {
    const cmd = this.#cmds[this.#cmds.length - 1];
    if (cmd) {
      cmd.error ??= msg;
      cmd.errorStatus ??= status;
    }
  }

  // ------------------------------------------------------------------ text capture

  #capture(kind: Cap, depth: number): void {
    this.#cap = kind;
    this.#capDepth = depth;
    this.#capOpaque = false;
    this.#capEscaped = false;
    this.#spanBuf = null;
    this.#copyStart = -1;
    this.#nested = false;
    if (kind === Cap.Data && this.raw) this.#dataRawStart = this.raw.contentStart;
  }

  #span(buf: Uint8Array, start: number, end: number): void {
    if (this.#copyStart >= 0) {
      this.#arenaPut(buf, start, end);
      return;
    }
    if (this.#spanBuf === null && !this.copySpans) {
      this.#spanBuf = buf;
      this.#spanStart = start;
      this.#spanEnd = end;
      return;
    }
    this.#toArena();
    this.#arenaPut(buf, start, end);
  }

  /** Switches the current capture to arena copying (moving a held view into the arena). */
  #toArena(): void {
    if (this.#copyStart >= 0) return;
    this.#copyStart = this.#arenaPos;
    if (this.#spanBuf !== null) {
      const b = this.#spanBuf;
      this.#spanBuf = null;
      this.#arenaPut(b, this.#spanStart, this.#spanEnd);
    }
  }

  #arenaPut(b: Uint8Array, s: number, e: number): void {
    const n = e - s;
    if (this.#arenaPos + n > this.#arena.length) {
      throw this.#err('arena-full', `values assembled from pieces exceed the ${this.#arena.length}-byte arena`, 'value');
    }
    this.#arena.set(b.subarray(s, e), this.#arenaPos);
    this.#arenaPos += n;
  }

  /** The captured bytes (escapes resolved), or null when nothing was captured. */
  #captured(): Uint8Array | null {
    let bytes: Uint8Array | null;
    if (this.#copyStart >= 0) bytes = this.#arena.subarray(this.#copyStart, this.#arenaPos);
    else if (this.#spanBuf !== null) bytes = this.#spanBuf.subarray(this.#spanStart, this.#spanEnd);
    else bytes = null;
    if (bytes !== null && this.#capEscaped) {
      if (this.#copyStart >= 0) {
        // already in the arena: unescape in place (the result is never longer, and writes never
        // overtake reads)
        const end = unescapeInto(this.#arena, this.#copyStart, this.#arenaPos, this.#arena, this.#copyStart);
        this.#arenaPos = end;
        bytes = this.#arena.subarray(this.#copyStart, end);
      } else {
        // a view into the input: unescape into the arena
        const at = this.#arenaPos;
        if (at + bytes.length > this.#arena.length) throw this.#err('arena-full', `values assembled from pieces exceed the ${this.#arena.length}-byte arena`, 'value');
        const end = unescapeInto(bytes, 0, bytes.length, this.#arena, at);
        this.#arenaPos = end;
        bytes = this.#arena.subarray(at, end);
      }
    }
    return bytes;
  }

  #endCapture(tag: number): void {
    const kind = this.#cap;
    this.#cap = Cap.None;
    let bytes: Uint8Array | null;
    if (kind === Cap.Data && this.#nested && this.doc && this.raw) {
      bytes = this.doc.subarray(this.#dataRawStart, this.raw.tagStart);
      this.#capOpaque = false;
    } else bytes = this.#captured();
    this.#spanBuf = null;
    this.#copyStart = -1;
    if (kind === Cap.Data) {
      const v = new Value(this.#capOpaque ? 'opaque' : 'text', bytes ?? EMPTY, this.latin1 && !this.#capOpaque);
      const parent = this.#stack[this.#stack.length - 1];
      if (parent === Tag.Item && this.#item) this.#item.data = v;
      else {
        const cmd = this.#cmds[this.#cmds.length - 1];
        if (cmd) cmd.data = v;
      }
      return;
    }
    if (bytes !== null && bytes.length > this.#lim.maxFieldLen) {
      throw this.#err('field-too-long', `${tagName(tag)} longer than ${this.#lim.maxFieldLen} bytes`, 'field');
    }
    const text = bytes === null ? '' : this.latin1 ? latin1(bytes) : utf8Decode(bytes);
    const t = text.trim();
    const parent = this.#stack[this.#stack.length - 1]!;
    switch (tag) {
      case Tag.LocURI:
      case Tag.LocName:
        this.#setLoc(tag, t);
        return;
      case Tag.VerDTD: this.#hdr!.verDtd = t; return;
      case Tag.VerProto: this.#hdr!.verProto = t; return;
      case Tag.SessionID: this.#hdr!.sessionId = t; return;
      case Tag.MsgID: this.#hdr!.msgId = t; return;
      case Tag.RespURI: this.#hdr!.respUri = t; return;
      case Tag.Data:
        if (parent === Tag.Cred && this.#cred) this.#cred.data = t;
        return;
    }
    if (tag >> 8 === 1) {
      this.#setMeta(tag, t);
      return;
    }
    const cmd = this.#cmds[this.#cmds.length - 1];
    if (!cmd) return;
    switch (tag) {
      case Tag.CmdID: cmd.cmdId = t; return;
      case Tag.MsgRef: cmd.msgRef = t; return;
      case Tag.CmdRef: cmd.cmdRef = t; return;
      case Tag.Cmd: cmd.cmd = t; return;
      case Tag.TargetRef: (cmd.targetRefs ??= []).push(t); return;
      case Tag.SourceRef: (cmd.sourceRefs ??= []).push(t); return;
      case Tag.Correlator: cmd.correlator = t; return;
    }
  }

  #setLoc(tag: number, t: string): void {
    const name = tag === Tag.LocName;
    switch (this.#loc) {
      case Loc.HdrTarget:
        if (name) this.#hdr!.targetName = t; else this.#hdr!.target = t;
        return;
      case Loc.HdrSource:
        if (name) this.#hdr!.sourceName = t; else this.#hdr!.source = t;
        return;
      case Loc.ItemTarget:
        if (this.#item) { if (name) this.#item.targetName = t; else this.#item.target = t; }
        return;
      case Loc.ItemSource:
        if (this.#item) { if (name) this.#item.sourceName = t; else this.#item.source = t; }
        return;
    }
  }

  #setMeta(tag: number, t: string): void {
    const m = this.#meta;
    if (!m) return;
    switch (tag) {
      case Tag.Type: m.type = t; return;
      case Tag.Format: m.format = t; return;
      case Tag.Mark: m.mark = t; return;
      case Tag.Version: m.version = t; return;
      case Tag.NextNonce: m.nextNonce = t; return;
      case Tag.EMI: (m.emi ??= []).push(t); return;
      case Tag.Size: { const v = toInt(t); if (v >= 0) m.size = v; return; }
      case Tag.MaxMsgSize: { const v = toInt(t); if (v >= 0) m.maxMsgSize = v; return; }
      case Tag.MaxObjSize: { const v = toInt(t); if (v >= 0) m.maxObjSize = v; return; }
    }
  }
}

const EMPTY = new Uint8Array(0);
const SCRATCH = new Uint8Array(4);

/** Decimal non-negative integer, or -1. */
function toInt(t: string): number {
  if (!/^[0-9]{1,15}$/.test(t)) return -1;
  return parseInt(t, 10);
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

function nameOf(b: Uint8Array, s: number, e: number): string {
  return utf8Decode(b, s, e);
}

/** Protocol version from VerDTD / VerProto (never from the WBXML public id). */
export function versionOf(h: SyncHdr): DmVersion {
  if (h.verDtd === '1.1' || h.verProto === 'DM/1.1') return '1.1.2';
  return '1.2';
}
