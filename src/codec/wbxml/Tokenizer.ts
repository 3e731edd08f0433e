/**
 * Streaming WBXML 1.0–1.3 tokenizer (WAP-192-WBXML): a resumable byte state machine. Feed chunks of
 * any size with `write()`, then `end()`; events are identical whatever the split points (a text or
 * opaque value split by a boundary arrives in pieces). Spans point into the caller's chunk
 * (zero-copy) or into the string table. Memory is fixed: the element stack and the string table
 * buffer are allocated in the constructor from the limits.
 *
 * Malformed input raises one `DecodeError` (absolute offset, byte, state); `reset()` makes the
 * instance usable again.
 */
import { DecodeError } from '../../errors';
import type { TokenHandler } from '../events';
import { TEXT_WBXML } from '../events';
import { KNOWN_TOKENS } from '../tokens';

/** Tokenizer limits (bytes / levels). */
export interface WbxmlLimits {
  /** Element nesting depth. */
  maxDepth: number;
  /** String table size in bytes. */
  maxStringTable: number;
  /** Largest OPAQUE length accepted (checked when the length is read, before any byte is consumed). */
  maxOpaque: number;
}

export const DEFAULT_WBXML_LIMITS: Readonly<WbxmlLimits> = Object.freeze({
  maxDepth: 24,
  maxStringTable: 4096,
  maxOpaque: 16 * 1024 * 1024,
});

enum S {
  Version,
  PublicId, // mb
  PublicIdIndex, // mb
  Charset, // mb
  StrTblLen, // mb
  StrTbl, // raw bytes
  Body,
  SwitchPage, // u8
  StrI, // bytes until NUL
  StrT, // mb
  Entity, // mb
  Literal, // mb (tag from string table)
  OpaqueLen, // mb
  OpaqueData, // raw bytes
  ExtI, // bytes until NUL (discarded)
  ExtT, // mb (discarded)
  Done, // after the root element: only PIs allowed
  Attr, // inside an attribute list or a PI, until its END
}

const STATE_NAMES = [
  'version', 'publicid', 'publicid-index', 'charset', 'strtbl-length', 'strtbl', 'body', 'switch-page',
  'str_i', 'str_t', 'entity', 'literal', 'opaque-length', 'opaque-data', 'ext_i', 'ext_t', 'done', 'attributes',
];

// global tokens
const SWITCH_PAGE = 0x00;
const END = 0x01;
const ENTITY = 0x02;
const STR_I = 0x03;
const LITERAL = 0x04;
const EXT_I_0 = 0x40;
const EXT_I_2 = 0x42;
const PI = 0x43;
const LITERAL_C = 0x44;
const EXT_T_0 = 0x80;
const EXT_T_2 = 0x82;
const STR_T = 0x83;
const LITERAL_A = 0x84;
const EXT_0 = 0xc0;
const EXT_2 = 0xc2;
const OPAQUE = 0xc3;
const LITERAL_AC = 0xc4;

export class WbxmlTokenizer {
  /** WBXML version byte (0x01 = 1.1, 0x02 = 1.2, 0x03 = 1.3), -1 before the header. */
  version = -1;
  /** Numeric public id, 0 when given as a string-table reference, -1 before the header. */
  publicId = -1;
  /** String-table index of the textual public id (when `publicId` is 0), else -1. */
  publicIdIndex = -1;
  /** IANA MIBenum charset (106 = UTF-8), -1 before the header. */
  charset = -1;
  /** The string table (a view into the input or into the internal buffer); valid until reset. */
  stringTable: Uint8Array = new Uint8Array(0);
  /** Absolute offset just after the last element token (for error positions). */
  contentStart = 0;
  /** Absolute offset of the last END token. */
  tagStart = 0;

  readonly #h: TokenHandler;
  readonly #lim: WbxmlLimits;
  readonly #stack: Int32Array;
  readonly #strtblBuf: Uint8Array;
  #state = S.Version;
  #depth = 0;
  #page = 0;
  /** Inside an attribute list (after a tag with 0x80, or a PI) until its END. */
  #inAttr = false;
  /** The attribute list belongs to a PI (no element follows). */
  #attrIsPi = false;
  /** Pending element of an attribute list: tag id, has content, or -2 for a LITERAL (name in #litStart/End). */
  #attrTag = 0;
  #attrContent = false;
  #litStart = 0;
  #litEnd = 0;
  /** mb_u_int32 accumulator. */
  #mb = 0;
  #mbLen = 0;
  /** Literal tag flags (content/attributes) while reading its index. */
  #litFlags = 0;
  /** Remaining raw bytes (string table / opaque). */
  #remaining = 0;
  #strtblLen = 0;
  /** Absolute offset of the current chunk's first byte. */
  #base = 0;
  /** Direct-mapped cache of string-table string ends (offset → NUL position), per document. */
  readonly #strCacheOff = new Int32Array(256).fill(-1);
  readonly #strCacheEnd = new Int32Array(256);
  #strCacheGen = 0;
  /** Incremented by reset(): invalidates per-document caches lazily. */
  #docGen = 1;
  /** The root element has closed. */
  #rootClosed = false;
  /** The string table is being copied into #strtblBuf (split across chunks). */
  #strtblCopied = 0;

  constructor(handler: TokenHandler, limits: Partial<WbxmlLimits> = {}) {
    this.#h = handler;
    this.#lim = { ...DEFAULT_WBXML_LIMITS, ...limits };
    this.#stack = new Int32Array(this.#lim.maxDepth + 1);
    this.#strtblBuf = new Uint8Array(this.#lim.maxStringTable);
  }

  /** Current element depth (0 outside the root). */
  get depth(): number {
    return this.#depth;
  }

  /** Absolute offset of the next byte to be consumed. */
  get offset(): number {
    return this.#base;
  }

  /** True once the root element closed. */
  get done(): boolean {
    return this.#state === S.Done;
  }

  /** Back to the initial state (also after a DecodeError). */
  reset(): void {
    this.#docGen++;
    this.contentStart = this.tagStart = 0;
    this.version = this.publicId = this.publicIdIndex = this.charset = -1;
    this.stringTable = new Uint8Array(0);
    this.#state = S.Version;
    this.#depth = this.#page = this.#mb = this.#mbLen = this.#remaining = this.#base = 0;
    this.#strtblLen = this.#strtblCopied = 0;
    this.#inAttr = this.#attrIsPi = this.#rootClosed = false;
  }

  /** Decodes a whole document in one call. */
  decode(doc: Uint8Array): void {
    this.reset();
    this.write(doc);
    this.end();
  }

  /** Signals the end of input: throws DecodeError('truncated') unless the document is complete. */
  end(): void {
    if (this.#state !== S.Done) throw this.#err('truncated', 'unexpected end of WBXML input', -1, this.#base);
  }

  /** Feeds the next chunk. */
  write(b: Uint8Array): void {
    const n = b.length;
    let p = 0;
    const h = this.#h;
    while (p < n) {
      switch (this.#state) {
        case S.Body: {
          // Hot loop: tags, END, STR_I with its NUL in this chunk, STR_T and OPAQUE with short
          // lengths. The code page only changes through SWITCH_PAGE, which leaves this loop.
          const known = this.#page << 6;
          const pageTag = this.#page << 8;
          const stack = this.#stack;
          const maxDepth = this.#lim.maxDepth;
          while (p < n) {
            const t = b[p]!;
            const token = t & 0x3f;
            if (token >= 5) {
              // element token
              if (KNOWN_TOKENS[known | token] !== 1) throw this.#err('unknown-tag', `unknown tag token 0x${token.toString(16)} on code page ${this.#page}`, t, this.#base + p);
              const tag = pageTag | token;
              if (t & 0x80) {
                this.#attrTag = tag;
                this.#attrContent = (t & 0x40) !== 0;
                this.#inAttr = true;
                this.#attrIsPi = false;
                this.#state = S.Attr;
                p++;
                break;
              }
              p++;
              this.contentStart = this.#base + p;
              if (t & 0x40) {
                const d = this.#depth;
                if (d >= maxDepth) throw this.#err('depth', `element nesting deeper than ${maxDepth}`, t, this.#base + p - 1);
                stack[d] = tag;
                this.#depth = d + 1;
                h.open(tag, b, p - 1, p - 1, false);
              } else {
                h.open(tag, b, p - 1, p - 1, true);
                h.close(tag);
                if (this.#depth === 0) {
                  // an empty root element
                  this.#finishRoot();
                  break;
                }
              }
              continue;
            }
            if (t === END) {
              this.tagStart = this.#base + p;
              p++;
              const d = this.#depth - 1;
              if (d < 0) throw this.#err('unbalanced-end', 'END without an open element', t, this.#base + p - 1);
              this.#depth = d;
              h.close(stack[d]!);
              if (d === 0) {
                this.#finishRoot();
                break;
              }
              continue;
            }
            if (t === STR_I) {
              // short strings: a plain loop; long ones: indexOf (a memchr on QuickJS)
              let z = p + 1;
              const short = p + 33 < n ? p + 33 : n;
              while (z < short && b[z] !== 0) z++;
              if (z === short) z = short < n ? b.indexOf(0, short) : -1;
              if (z >= 0) {
                this.#checkContent(t, p);
                // an empty string is no event (as when it arrives split across chunks)
                if (z > p + 1) h.text(b, p + 1, z, TEXT_WBXML);
                p = z + 1;
                continue;
              }
              this.#checkContent(t, p);
              p++;
              this.#state = S.StrI;
              break;
            }
            if (t === STR_T && p + 2 < n) {
              // STR_T with a one- or two-byte offset (string tables under 16 KB): inline
              const c1 = b[p + 1]!;
              if (c1 < 0x80) {
                this.#checkContent(t, p);
                this.#strT(c1, b, p + 1);
                p += 2;
                continue;
              }
              const c2 = b[p + 2]!;
              if (c2 < 0x80) {
                this.#checkContent(t, p);
                this.#strT(((c1 & 0x7f) << 7) | c2, b, p + 2);
                p += 3;
                continue;
              }
            }
            if (t === OPAQUE && p + 2 < n) {
              // OPAQUE with a one- or two-byte length whose data is all in this chunk: inline
              const c1 = b[p + 1]!;
              let len = c1;
              let s0 = p + 2;
              if (c1 >= 0x80) {
                const c2 = b[p + 2]!;
                len = c2 < 0x80 ? ((c1 & 0x7f) << 7) | c2 : -1;
                s0 = p + 3;
              }
              if (len >= 0 && s0 + len <= n && len <= this.#lim.maxOpaque) {
                this.#checkContent(t, p);
                h.opaque(b, s0, s0 + len);
                p = s0 + len;
                continue;
              }
            }
            // everything else goes through the general dispatcher
            p = this.#global(b, p);
            if (this.#state !== S.Body) break;
          }
          break;
        }
        case S.StrI:
        case S.ExtI: {
          const z = b.indexOf(0, p);
          const e = z < 0 ? n : z;
          if (this.#state === S.StrI && !this.#inAttr && e > p) h.text(b, p, e, TEXT_WBXML);
          if (z < 0) {
            p = n;
          } else {
            p = z + 1;
            this.#state = this.#afterValue();
          }
          break;
        }
        case S.OpaqueData: {
          const take = Math.min(this.#remaining, n - p);
          if (!this.#inAttr && take > 0) h.opaque(b, p, p + take);
          p += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = this.#afterValue();
          break;
        }
        case S.StrTbl: {
          const take = Math.min(this.#remaining, n - p);
          if (this.#strtblCopied === 0 && take === this.#strtblLen) {
            this.stringTable = b.subarray(p, p + take); // whole table in this chunk: zero-copy
          } else {
            this.#strtblBuf.set(b.subarray(p, p + take), this.#strtblCopied);
            this.#strtblCopied += take;
            this.stringTable = this.#strtblBuf.subarray(0, this.#strtblCopied);
          }
          p += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = S.Body;
          break;
        }
        case S.Attr: {
          const t = b[p]!;
          if (t === END) {
            p++;
            this.#endAttrs(b, p - 1);
          } else p = this.#global(b, p);
          break;
        }
        case S.Version: {
          const v = b[p]!;
          if (v > 0x03) throw this.#err('version', `unsupported WBXML version 0x${v.toString(16)}`, v, this.#base + p);
          this.version = v;
          p++;
          this.#state = S.PublicId;
          this.#mb = this.#mbLen = 0;
          break;
        }
        case S.SwitchPage: {
          const pg = b[p]!;
          p++;
          if (this.#inAttr) {
            // attribute code pages are separate and unused by SyncML
            this.#state = S.Attr;
          } else {
            if (pg > 2) throw this.#err('unknown-page', `unknown code page ${pg}`, pg, this.#base + p - 1);
            this.#page = pg;
            this.#state = S.Body;
          }
          break;
        }
        case S.Done: {
          // Only processing instructions may follow the root element.
          const t = b[p]!;
          if (t !== PI) throw this.#err('trailing-data', 'data after the root element', t, this.#base + p);
          p = this.#global(b, p);
          break;
        }
        default: {
          // mb_u_int32 states
          const c = b[p]!;
          p++;
          if (++this.#mbLen > 5 || (this.#mbLen === 5 && (c & 0x80) !== 0) || this.#mb > 0x1ffffff) {
            throw this.#err('mb-overflow', 'mb_u_int32 longer than 32 bits', c, this.#base + p - 1);
          }
          this.#mb = this.#mb * 128 + (c & 0x7f);
          if (c & 0x80) break;
          const v = this.#mb;
          this.#mb = this.#mbLen = 0;
          this.#mbDone(v, b, p - 1);
        }
      }
    }
    this.#base += n;
  }

  /** A complete mb_u_int32 `v` for the current state; `at` = offset of its last byte in `b`. */
  #mbDone(v: number, b: Uint8Array, at: number): void {
    const h = this.#h;
    switch (this.#state) {
      case S.PublicId:
        this.publicId = v;
        this.#state = v === 0 ? S.PublicIdIndex : this.version === 0 ? S.StrTblLen : S.Charset;
        return;
      case S.PublicIdIndex:
        this.publicIdIndex = v;
        this.#state = this.version === 0 ? S.StrTblLen : S.Charset;
        return;
      case S.Charset:
        // 106 UTF-8, 3 US-ASCII, 0 unknown (treated as UTF-8); ISO-8859-1 (4) is accepted and
        // reported: text is passed through as bytes, the consumer decides.
        if (v !== 106 && v !== 3 && v !== 0 && v !== 4) throw this.#err('charset', `unsupported charset MIBenum ${v}`, b[at]!, this.#base + at);
        this.charset = v;
        this.#state = S.StrTblLen;
        return;
      case S.StrTblLen:
        if (v > this.#lim.maxStringTable) throw this.#err('strtbl-too-large', `string table of ${v} bytes exceeds the limit of ${this.#lim.maxStringTable}`, b[at]!, this.#base + at);
        this.#strtblLen = this.#remaining = v;
        this.#strtblCopied = 0;
        this.stringTable = new Uint8Array(0);
        this.#state = v === 0 ? S.Body : S.StrTbl;
        return;
      case S.Entity:
        if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) throw this.#err('bad-entity', `ENTITY ${v} is not a Unicode scalar value`, b[at]!, this.#base + at);
        if (!this.#inAttr) h.entity(v);
        this.#state = this.#afterValue();
        return;
      case S.StrT:
        this.#strT(v, b, at);
        this.#state = this.#afterValue();
        return;
      case S.Literal: {
        const st = this.stringTable;
        if (v >= st.length) throw this.#err('strtbl-range', `LITERAL offset ${v} outside the string table (${st.length} bytes)`, b[at]!, this.#base + at);
        let z = st.indexOf(0, v);
        if (z < 0) z = st.length;
        if (this.#inAttr) {
          // a literal attribute name: ignored
          this.#state = S.Attr;
          return;
        }
        const flags = this.#litFlags;
        if (flags & 0x80) {
          this.#attrTag = -2;
          this.#litStart = v;
          this.#litEnd = z;
          this.#attrContent = (flags & 0x40) !== 0;
          this.#inAttr = true;
          this.#attrIsPi = false;
          this.#state = S.Attr;
          return;
        }
        this.#state = S.Body;
        this.#openElement(-1, st, v, z, (flags & 0x40) !== 0, at);
        return;
      }
      case S.OpaqueLen:
        if (v > this.#lim.maxOpaque) throw this.#err('opaque-too-large', `OPAQUE of ${v} bytes exceeds the limit of ${this.#lim.maxOpaque}`, b[at]!, this.#base + at);
        this.#remaining = v;
        if (v === 0) {
          if (!this.#inAttr) h.opaque(b, at + 1, at + 1);
          this.#state = this.#afterValue();
        } else this.#state = S.OpaqueData;
        return;
      case S.ExtT:
        this.#state = this.#afterValue();
        return;
      default:
        throw this.#err('internal', 'mb_u_int32 in an unexpected state', b[at]!, this.#base + at);
    }
  }

  /** A string-table reference: text from offset v to its NUL (ends cached per document). */
  #strT(v: number, b: Uint8Array, at: number): void {
    const st = this.stringTable;
    if (v >= st.length) throw this.#err('strtbl-range', `STR_T offset ${v} outside the string table (${st.length} bytes)`, b[at]!, this.#base + at);
    const slot = (v ^ (v >>> 8)) & 255;
    let z: number;
    if (this.#strCacheOff[slot] === v && this.#strCacheGen === this.#docGen) z = this.#strCacheEnd[slot]!;
    else {
      if (this.#strCacheGen !== this.#docGen) {
        this.#strCacheOff.fill(-1);
        this.#strCacheGen = this.#docGen;
      }
      z = st.indexOf(0, v);
      if (z < 0) z = st.length; // lenient: unterminated last string
      this.#strCacheOff[slot] = v;
      this.#strCacheEnd[slot] = z;
    }
    if (!this.#inAttr && z > v) this.#h.text(st, v, z, TEXT_WBXML);
  }

  /** Global tokens other than END / STR_I-in-chunk, and literal tags. Returns the next position. */
  #global(b: Uint8Array, p: number): number {
    const t = b[p]!;
    const at = this.#base + p;
    p++;
    switch (t) {
      case SWITCH_PAGE:
        this.#state = S.SwitchPage;
        return p;
      case ENTITY:
        this.#checkContent(t, p - 1);
        this.#state = S.Entity;
        return p;
      case STR_I:
        this.#checkContent(t, p - 1);
        this.#state = S.StrI;
        return p;
      case STR_T:
        this.#checkContent(t, p - 1);
        this.#state = S.StrT;
        return p;
      case OPAQUE:
        this.#checkContent(t, p - 1);
        this.#state = S.OpaqueLen;
        return p;
      case LITERAL:
      case LITERAL_C:
      case LITERAL_A:
      case LITERAL_AC:
        if (this.#inAttr) {
          // LITERAL inside an attribute list names an attribute
          this.#state = S.Literal;
          return p;
        }
        this.#litFlags = t & 0xc0;
        this.#state = S.Literal;
        return p;
      case PI:
        if (this.#inAttr) throw this.#err('bad-token', 'PI inside an attribute list', t, at);
        this.#inAttr = true;
        this.#attrIsPi = true;
        this.#state = S.Attr;
        return p;
      case EXT_0:
      case EXT_0 + 1:
      case EXT_2:
        this.#checkContent(t, p - 1);
        return p;
      default:
        if (t >= EXT_I_0 && t <= EXT_I_2) {
          this.#checkContent(t, p - 1);
          this.#state = S.ExtI;
          return p;
        }
        if (t >= EXT_T_0 && t <= EXT_T_2) {
          this.#checkContent(t, p - 1);
          this.#state = S.ExtT;
          return p;
        }
        if (this.#inAttr) return p; // attribute start/value tokens: ignored
        throw this.#err('bad-token', `token 0x${t.toString(16)} is not valid here`, t, at);
    }
  }

  /** Content tokens are only valid inside an element (or inside an attribute list). */
  #checkContent(t: number, p: number): void {
    if (this.#depth === 0 && !this.#inAttr) throw this.#err('bad-token', `content token 0x${t.toString(16)} outside the root element`, t, this.#base + p);
  }

  /** State after a complete value token (content values only occur inside an element or a list). */
  #afterValue(): S {
    return this.#inAttr ? S.Attr : S.Body;
  }

  /** END of an attribute list: the pending element (if any) starts now. */
  #endAttrs(b: Uint8Array, p: number): void {
    this.#inAttr = false;
    if (this.#attrIsPi) {
      this.#attrIsPi = false;
      this.#state = this.#rootClosed ? S.Done : S.Body;
      return;
    }
    this.#state = S.Body;
    if (this.#attrTag === -2) this.#openElement(-1, this.stringTable, this.#litStart, this.#litEnd, this.#attrContent, p);
    else this.#openElement(this.#attrTag, b, p, p, this.#attrContent, p);
  }

  #openElement(tag: number, nb: Uint8Array, ns: number, ne: number, content: boolean, p: number): void {
    const h = this.#h;
    if (content) {
      this.#push(tag, nb, p);
      h.open(tag, nb, ns, ne, false);
    } else {
      h.open(tag, nb, ns, ne, true);
      h.close(tag);
      if (this.#depth === 0) this.#finishRoot();
    }
  }

  #finishRoot(): void {
    this.#rootClosed = true;
    this.#state = S.Done;
  }

  #push(tag: number, b: Uint8Array, p: number): void {
    if (this.#depth >= this.#lim.maxDepth) throw this.#err('depth', `element nesting deeper than ${this.#lim.maxDepth}`, b[p] ?? -1, this.#base + p);
    this.#stack[this.#depth++] = tag;
  }

  #err(code: string, msg: string, byte: number, offset: number): DecodeError {
    return new DecodeError(code, msg, offset, byte, STATE_NAMES[this.#state] ?? 'unknown');
  }
}
