/**
 * Streaming XML tokenizer for SyncML DM documents: a resumable scanner over UTF-8 bytes. Feed chunks
 * of any size with `write()`, then `end()`; the events are identical whatever the split points (text
 * and CDATA split by a boundary arrive in pieces). Element names map to the same tag ids as WBXML
 * tokens (tokens.ts) through the namespace in scope: `SYNCML:SYNCML1.x` → page 0, `syncml:metinf` →
 * page 1, `syncml:dmddf1.2` → page 2; a name not found on its page is looked up on the SyncML and
 * MetInf pages too (real servers send `<Type>` without the metinf namespace).
 *
 * Skipped: the XML declaration and other PIs, comments, DOCTYPE (with internal subset), a UTF-8 BOM.
 * Entities are not resolved here: text containing '&' is flagged TEXT_ESCAPED and the consumer
 * resolves it (xml/entities.ts), so spans stay zero-copy.
 *
 * Only an unfinished tag is ever carried across chunks, in a bounded buffer (`maxTokenLen`): a longer
 * tag is a DecodeError('token-too-long'), not a reallocation.
 */
import { DecodeError } from '../../errors';
import type { TokenHandler } from '../events';
import { TEXT_CDATA, TEXT_ESCAPED, TEXT_PLAIN } from '../events';
import {
  NAME_BYTES, NAME_CAND, NAME_FIRST, NAME_LEN, NAME_OFF, NAME_TABLES, NAME_VIEW, NAME_W0, NAME_W1, NS_DDF, NS_METINF, NS_SYNCML_11,
  NS_SYNCML_12, Page, firstWordSlot, fnv1a, sameBytes,
} from '../tokens';

export interface XmlLimits {
  /** Element nesting depth. */
  maxDepth: number;
  /** Longest tag (from '<' to '>') that may be split across chunks. */
  maxTokenLen: number;
  /** Namespace prefix declarations in scope (xmlns:p="…"). */
  maxPrefixes: number;
}

export const DEFAULT_XML_LIMITS: Readonly<XmlLimits> = Object.freeze({
  maxDepth: 24,
  maxTokenLen: 1024,
  maxPrefixes: 8,
});

enum S {
  Text,
  Comment, // inside <!-- … -->
  Cdata, // inside <![CDATA[ … ]]>
  Pi, // inside <? … ?>
  Doctype, // inside <!DOCTYPE … >
}
const STATE_NAMES = ['text', 'comment', 'cdata', 'pi', 'doctype'];

const LT = 0x3c;
const GT = 0x3e;
const AMP = 0x26;
const SLASH = 0x2f;
const QM = 0x3f;
const BANG = 0x21;
const EQ = 0x3d;
const COLON = 0x3a;
const DQ = 0x22;
const SQ = 0x27;
const RSQB = 0x5d;
const DASH = 0x2d;

/** 1 for the bytes that end an element name in the fast path: '>', '/', ':', blanks and controls. */
const NAME_STOP: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let c = 0; c <= 0x20; c++) t[c] = 1;
  t[0x3e] = t[0x2f] = t[0x3a] = 1;
  return t;
})();

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

const enc = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const CDATA_OPEN = enc('<![CDATA[');
const COMMENT_OPEN = enc('<!--');
const DOCTYPE_OPEN = enc('<!DOCTYPE');
const XMLNS = enc('xmlns');

/** Known namespaces (lower case) and their pages. */
const NAMESPACES: readonly [Uint8Array, number][] = [
  [enc('syncml:syncml1.2'), Page.SyncML],
  [enc('syncml:metinf'), Page.MetInf],
  [enc('syncml:syncml1.1'), Page.SyncML],
  [enc('syncml:dmddf1.2'), Page.Ddf],
  [enc('syncml:syncml1.0'), Page.SyncML],
  [enc('syncml:dmddf1.1'), Page.Ddf],
];

/** The namespaces as we (and most peers) write them, for an exact word-wise match before the general one. */
const NS_EXACT: readonly [Uint8Array, DataView, number][] = ([
  [NS_METINF, Page.MetInf], [NS_SYNCML_12, Page.SyncML], [NS_SYNCML_11, Page.SyncML], [NS_DDF, Page.Ddf],
] as const).map(([ns, page]) => {
  const u = enc(ns);
  return [u, new DataView(u.buffer), page];
});

/** ' xml' and 'ns="' / "ns='" as little-endian words (the start of a default namespace declaration). */
const word = (s: string): number => s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24);
const W_SP_XML = word(' xml');
const W_NS_DQ = word('ns="');
const W_NS_SQ = word("ns='");

/** Page of a namespace given as bytes, or -1 (case-insensitive ASCII, surrounding blanks ignored). */
function pageOfNsBytes(b: Uint8Array, s: number, e: number): number {
  while (s < e && isWs(b[s]!)) s++;
  while (e > s && isWs(b[e - 1]!)) e--;
  const n = e - s;
  outer: for (let k = 0; k < NAMESPACES.length; k++) {
    const [lit, page] = NAMESPACES[k]!;
    if (lit.length !== n) continue;
    for (let i = 0; i < n; i++) {
      let c = b[s + i]!;
      if (c >= 0x41 && c <= 0x5a) c += 32;
      if (c !== lit[i]) continue outer;
    }
    return page;
  }
  return -1;
}

/** Bytes of a text scanned by the tokenizer's own loop before it hands the rest to indexOf. */
let inlineScan = 1024;

/**
 * Engine tuning (not behaviour: the events are the same for any value): how many bytes of each text
 * the XML tokenizer scans in its own loop before it calls indexOf for the rest. A JIT (V8) runs the
 * loop at a fraction of a nanosecond per byte and gains from a long inline scan (1024, the default:
 * SyncML texts are rarely longer); an interpreter (QuickJS) pays ~370 instructions per byte in the
 * loop and ~0 in indexOf's memchr, so the QuickJS host sets 8 (target/quickjs/platform.ts).
 * Measured in docs/bench.md.
 */
export function setXmlInlineScan(bytes: number): void {
  if (!Number.isInteger(bytes) || bytes < 0 || bytes > 1 << 16) throw new RangeError('setXmlInlineScan: bytes must be an integer in [0, 65536]');
  inlineScan = bytes;
}

export class XmlTokenizer {
  readonly #h: TokenHandler;
  readonly #lim: XmlLimits;
  /** Tag id per open element. */
  readonly #tags: Int32Array;
  /** Name hash per open element, for end tags in a later buffer than their start tag. */
  readonly #hashes: Int32Array;
  /** Per open element: name position in the buffer of generation #nameGen (-1 once hashed). */
  readonly #nameStart: Int32Array;
  readonly #nameEnd: Int32Array;
  readonly #nameGen: Int32Array;
  /** Incremented for every buffer scanned. */
  #gen = 0;
  /** Default namespace page per depth (index = depth of the element; [0] = outside the root). */
  readonly #nsPage: Int8Array;
  /** Prefix declarations: hash of the prefix, page, depth at which declared. */
  readonly #pfxHash: Int32Array;
  readonly #pfxPage: Int8Array;
  readonly #pfxDepth: Int32Array;
  #pfxCount = 0;
  readonly #carry: Uint8Array;
  readonly #carryView: DataView;
  /** DataView over the buffer being scanned (names are compared a word at a time). */
  #dv: DataView;
  /** Copy of the depth limit (hot path). */
  readonly #maxDepth: number;
  #carryLen = 0;
  #state = S.Text;
  #depth = 0;
  /** Absolute offset of the current buffer's first byte (the carry counts as its own buffer). */
  #base = 0;
  #rootSeen = false;
  #rootClosed = false;
  /** Skip-state helpers: matched delimiter chars so far / DOCTYPE bracket depth / quote. */
  #match = 0;
  #bracket = 0;
  /** DOCTYPE: progress through "<!--" (1..3), 4 = inside a comment of the internal subset. */
  #dtc = 0;
  #quote = 0;
  /** Position of the next '&' at or after the scan point in the current buffer (-1 = none left). */
  #nextAmp = -1;
  /** Bytes of the UTF-8 BOM matched so far (3 = done with it). */
  #bom = 0;
  /** Offset just after the '>' of the last start tag (content start), for raw-content capture. */
  contentStart = 0;
  /** Offset of the '<' of the last end tag, for raw-content capture. */
  tagStart = 0;

  constructor(handler: TokenHandler, limits: Partial<XmlLimits> = {}) {
    this.#h = handler;
    this.#lim = { ...DEFAULT_XML_LIMITS, ...limits };
    const d = this.#lim.maxDepth + 1;
    this.#tags = new Int32Array(d);
    this.#hashes = new Int32Array(d);
    this.#nameStart = new Int32Array(d);
    this.#nameEnd = new Int32Array(d);
    this.#nameGen = new Int32Array(d).fill(-1);
    this.#nsPage = new Int8Array(d + 1);
    this.#pfxHash = new Int32Array(this.#lim.maxPrefixes);
    this.#pfxPage = new Int8Array(this.#lim.maxPrefixes);
    this.#pfxDepth = new Int32Array(this.#lim.maxPrefixes);
    this.#carry = new Uint8Array(this.#lim.maxTokenLen);
    this.#dv = this.#carryView = new DataView(this.#carry.buffer);
    this.#maxDepth = this.#lim.maxDepth;
  }

  get depth(): number {
    return this.#depth;
  }

  get done(): boolean {
    return this.#rootClosed;
  }

  /** Absolute offset of the next byte. */
  get offset(): number {
    return this.#base;
  }

  reset(): void {
    this.#carryLen = 0;
    this.contentStart = this.tagStart = 0;
    this.#state = S.Text;
    this.#depth = this.#base = this.#match = this.#bracket = this.#quote = this.#pfxCount = 0;
    this.#rootSeen = this.#rootClosed = false;
    this.#nsPage[0] = Page.SyncML;
    this.#bom = 0;
  }

  /** Decodes a whole document in one call. */
  decode(doc: Uint8Array): void {
    this.reset();
    this.write(doc);
    this.end();
  }

  end(): void {
    if (this.#carryLen > 0 || this.#state !== S.Text || !this.#rootClosed) {
      // (the carried bytes are already counted in #base: the input ends there)
      throw new DecodeError('truncated', 'unexpected end of XML input', this.#base, -1, STATE_NAMES[this.#state]!);
    }
  }

  write(chunk: Uint8Array): void {
    let pos = 0;
    // UTF-8 byte order mark (possibly split across the first chunks)
    while (this.#bom < 3 && pos < chunk.length) {
      if (chunk[pos] === BOM[this.#bom]) {
        this.#bom++;
        pos++;
      } else if (this.#bom === 0) this.#bom = 3;
      else throw new DecodeError('bad-bom', 'incomplete byte order mark', this.#base + pos, chunk[pos]!, 'text');
    }
    if (this.#carryLen > 0) {
      const carry = this.#carry;
      const old = this.#carryLen;
      const take = Math.min(chunk.length - pos, carry.length - old);
      carry.set(chunk.subarray(pos, pos + take), old);
      const total = old + take;
      const carryBase = this.#base - old; // absolute offset of carry[0]
      const saveBase = this.#base;
      this.#base = carryBase;
      const q = this.#scan(carry, 0, total);
      this.#base = saveBase;
      if (q < old && pos + take < chunk.length) {
        // the carried tag is still incomplete and the carry buffer is full
        throw new DecodeError('token-too-long', `markup longer than ${carry.length} bytes split across chunks`, carryBase + q, carry[q] ?? -1, STATE_NAMES[this.#state]!);
      }
      if (q < total && pos + take === chunk.length) {
        // the chunk is used up inside a tag (the carried one or a new one): keep it
        carry.copyWithin(0, q, total);
        this.#carryLen = total - q;
        this.#base += chunk.length;
        return;
      }
      this.#carryLen = 0;
      pos += q - old;
    }
    const q = this.#scan(chunk, pos, chunk.length);
    if (q < chunk.length) {
      const rest = chunk.length - q;
      if (rest > this.#carry.length) {
        throw new DecodeError('token-too-long', `markup longer than ${this.#carry.length} bytes split across chunks`, this.#base + q, chunk[q]!, STATE_NAMES[this.#state]!);
      }
      this.#carry.set(chunk.subarray(q), 0);
      this.#carryLen = rest;
    }
    this.#base += chunk.length;
  }

  /**
   * Scans b[p, n). Returns the index of the first byte not consumed: the '<' of a tag that is not
   * complete in this buffer (or n when everything was consumed).
   */
  #scan(b: Uint8Array, p: number, n: number): number {
    this.#gen++;
    this.#dv = b === this.#carry ? this.#carryView : new DataView(b.buffer, b.byteOffset, b.byteLength);
    const q = this.#scanBuf(b, p, n);
    this.#leaveBuffer(b);
    this.#dv = this.#carryView; // the caller's buffer is not retained
    return q;
  }

  #scanBuf(b: Uint8Array, p: number, n: number): number {
    const h = this.#h;
    this.#nextAmp = -2; // unknown for this buffer (the carry buffer's content changes between calls)
    while (p < n) {
      switch (this.#state) {
        case S.Text: {
          p = this.#fast(b, p, n);
          if (p < 0) return ~p;
          // short texts: a plain loop; long ones (base64 payloads): the native memchr of indexOf
          let lt = p;
          const short = p + 24 < n ? p + 24 : n;
          while (lt < short && b[lt] !== LT) lt++;
          if (lt === short && short < n) {
            lt = b.indexOf(LT, lt);
            if (lt < 0 || lt >= n) lt = n;
          }
          if (lt > p) {
            if (this.#depth > 0) {
              h.text(b, p, lt, this.#hasAmp(b, p, lt) ? TEXT_ESCAPED : TEXT_PLAIN);
            } else {
              for (let i = p; i < lt; i++) {
                if (!isWs(b[i]!)) throw this.#err('text-outside-root', 'character data outside the root element', b[i]!, i);
              }
            }
          }
          if (lt === n) return n;
          p = lt;
          if (p + 1 >= n) return p; // need the next byte to classify
          const c = b[p + 1]!;
          if (c === SLASH) {
            const q = this.#endTag(b, p, n);
            if (q < 0) return p;
            p = q;
          } else if (c === QM) {
            this.#state = S.Pi;
            this.#match = 0;
            p += 2;
          } else if (c === BANG) {
            // comment, CDATA or DOCTYPE: need enough bytes to classify
            if (this.#startsWith(b, p, n, COMMENT_OPEN)) {
              this.#state = S.Comment;
              this.#match = 0;
              p += 4;
            } else if (this.#startsWith(b, p, n, CDATA_OPEN)) {
              if (this.#depth === 0) throw this.#err('cdata-outside-root', 'CDATA outside the root element', c, p);
              this.#state = S.Cdata;
              this.#match = 0;
              p += 9;
            } else if (this.#startsWith(b, p, n, DOCTYPE_OPEN)) {
              if (this.#rootSeen) throw this.#err('bad-doctype', 'DOCTYPE after the root element', c, p);
              this.#state = S.Doctype;
              this.#bracket = 0;
              this.#quote = 0;
              this.#dtc = 0;
              p += 9;
            } else if (n - p < 9 && this.#isPrefixOfMarkup(b, p, n)) {
              return p; // not enough bytes yet
            } else {
              throw this.#err('bad-markup', 'unknown markup declaration', c, p + 1);
            }
          } else {
            const q = this.#startTag(b, p, n);
            if (q < 0) return p;
            p = q;
          }
          break;
        }
        case S.Cdata: {
          // Content up to "]]>". Up to two trailing ']' are held back at a buffer end (they may
          // start the delimiter); #match counts them and they are emitted from RSQB2 once known
          // to be content.
          let held = this.#match;
          let run = held;
          const s0 = p;
          let i = p;
          let closed = false;
          for (; i < n; i++) {
            const c = b[i]!;
            if (c === RSQB) {
              run++;
              continue;
            }
            if (c === GT && run >= 2) {
              closed = true;
              break;
            }
            run = 0;
            if (held > 0) {
              h.text(RSQB2, 0, held, TEXT_CDATA);
              held = 0;
            }
          }
          const keep = closed ? 2 : Math.min(2, run);
          const emitN = held + (i - s0) - keep;
          const fromPrev = Math.min(held, emitN);
          if (fromPrev > 0) h.text(RSQB2, 0, fromPrev, TEXT_CDATA);
          if (emitN - fromPrev > 0) h.text(b, s0, s0 + emitN - fromPrev, TEXT_CDATA);
          if (closed) {
            this.#state = S.Text;
            this.#match = 0;
            p = i + 1;
          } else {
            this.#match = keep;
            p = n;
          }
          break;
        }
        case S.Comment: {
          // skip to "-->"
          while (p < n) {
            const c = b[p++]!;
            if (this.#match >= 2 && c === GT) {
              this.#state = S.Text;
              this.#match = 0;
              break;
            }
            this.#match = c === DASH ? this.#match + 1 : 0;
          }
          break;
        }
        case S.Pi: {
          while (p < n) {
            const c = b[p++]!;
            if (this.#match === 1 && c === GT) {
              this.#state = S.Text;
              this.#match = 0;
              break;
            }
            this.#match = c === QM ? 1 : 0;
          }
          break;
        }
        case S.Doctype: {
          // quotes, [internal subset] brackets and <!-- comments --> (which may hold ']' or '>')
          while (p < n) {
            const c = b[p++]!;
            if (this.#dtc === 4) {
              if (c === DASH) this.#match++;
              else {
                if (c === GT && this.#match >= 2) this.#dtc = 0;
                this.#match = 0;
              }
              continue;
            }
            if (this.#quote === 0) {
              if (c === LT) this.#dtc = 1;
              else if (this.#dtc === 1 && c === BANG) this.#dtc = 2;
              else if ((this.#dtc === 2 || this.#dtc === 3) && c === DASH) {
                this.#dtc++;
                if (this.#dtc === 4) {
                  this.#match = 0;
                  continue;
                }
              } else this.#dtc = 0;
            }
            if (this.#quote !== 0) {
              if (c === this.#quote) this.#quote = 0;
            } else if (c === DQ || c === SQ) this.#quote = c;
            else if (c === 0x5b) this.#bracket++;
            else if (c === RSQB) this.#bracket--;
            else if (c === GT && this.#bracket <= 0) {
              this.#state = S.Text;
              break;
            }
          }
          break;
        }
      }
    }
    return p;
  }

  /**
   * The hot loop for the common shapes (text, `<Name>`, `</Name>` with the start tag in this same
   * buffer): everything inline, no state dispatch. Returns the position where the general code must
   * take over (at a '<' it does not handle, or at a text it must check), or ~position when the
   * general code must return that position at once (buffer consumed or tag incomplete).
   */
  #fast(b: Uint8Array, p: number, n: number): number {
    const h = this.#h;
    const gen = this.#gen;
    const base = this.#base;
    const tags = this.#tags;
    const nameStart = this.#nameStart;
    const nameEnd = this.#nameEnd;
    const nameGen = this.#nameGen;
    const nsPage = this.#nsPage;
    const dv = this.#dv;
    const maxDepth = this.#maxDepth;
    const inline = inlineScan;
    let depth = this.#depth; // mirrors this.#depth (written on every change, read back after the general code)
    for (;;) {
      if (depth === 0) return p; // prolog/epilog text is checked by the general code
      // The first `inline` bytes of a text: one loop finds '<' and notes '&' (one compare for
      // letters). The rest: indexOf (a memchr on QuickJS) for '<', and for '&' the remembered
      // position of the next one (#hasAmp; looking it up with indexOf for every text instead scans
      // ahead to the next '&' each time one is passed: a whole extra pass). See setXmlInlineScan.
      let lt = p;
      let amp = 0;
      const short = p + inline < n ? p + inline : n;
      for (; lt < short; lt++) {
        const c = b[lt]!;
        if (c < 0x3d && (c === LT || c === AMP)) {
          if (c === LT) break;
          amp = 1;
        }
      }
      if (lt === short && short < n) {
        lt = b.indexOf(LT, lt);
        if (lt < 0 || lt >= n) lt = n;
        if (amp === 0 && this.#hasAmp(b, short, lt)) amp = 1;
      }
      if (lt > p) h.text(b, p, lt, amp === 0 ? TEXT_PLAIN : TEXT_ESCAPED);
      if (lt + 1 >= n) return ~lt; // consumed, or a '<' whose next byte is in the next buffer
      p = lt;
      const c = b[p + 1]!;
      if (c === SLASH) {
        // `</Name>` of the element opened in this buffer: compare against its start-tag bytes in
        // one pass (the '>' must follow right after them); any other shape goes the general way
        const d = depth - 1;
        if (nameGen[d] === gen) {
          const s0 = nameStart[d]!;
          const len = nameEnd[d]! - s0;
          const ns = p + 2;
          if (ns + len < n && b[ns + len] === GT) {
            if (sameBytes(dv, b, s0, dv, b, ns, len)) {
              this.tagStart = base + p;
              this.#depth = depth = d;
              if (this.#pfxCount > 0) this.#popPrefixes(d + 1);
              h.close(tags[d]!);
              p = ns + len + 1;
              if (d === 0) {
                this.#rootClosed = true;
                return p;
              }
              continue;
            }
          }
        }
        const q = this.#endTag(b, p, n);
        if (q < 0) return ~p;
        p = q;
        depth = this.#depth;
        if (depth === 0) return p;
        continue;
      }
      if (c === QM || c === BANG) return p;
      // start tag: `<Name>` and `<Name xmlns="…">` inline, anything else (other attributes, a
      // prefix, an empty element, blanks) the general way
      const ns = p + 1;
      const page0 = nsPage[depth]!;
      // a known name of the scope's page, recognised from its first four bytes without scanning it
      // (verified whole, and followed by a byte that ends a name); otherwise scanned
      let i = -1;
      let known = -1;
      if (ns + 4 < n && page0 >= 0) {
        const w = dv.getInt32(ns, true);
        for (let k = NAME_FIRST[(page0 << 9) | firstWordSlot(w)]!; k !== 0; k++) {
          const token = NAME_CAND[k]!;
          if (token === 0) break;
          const ix = (page0 << 6) | token;
          const len = NAME_LEN[ix]!;
          const e = ns + len;
          if (e < n && NAME_STOP[b[e]!] !== 0 && NAME_W0[ix] === w && (len === 4 || dv.getInt32(e - 4, true) === NAME_W1[ix]) &&
            (len <= 8 || sameBytes(NAME_VIEW, NAME_BYTES, NAME_OFF[ix]! + 4, dv, b, ns + 4, len - 8))) {
            i = e;
            known = (page0 << 8) | token;
            break;
          }
        }
      }
      if (i < 0) {
        i = ns;
        while (i < n && NAME_STOP[b[i]!] === 0) i++;
      }
      if (i < n && i > ns && depth < maxDepth) {
        let page = page0;
        let childPage = page;
        let end = -1;
        const x = b[i]!;
        if (x === GT) end = i + 1;
        else if (x === 0x20 && i + 8 < n && dv.getInt32(i, true) === W_SP_XML) {
          // ` xmlns="…"` then '>': the element's own default namespace; the usual spellings are
          // matched in place, anything else is delimited and looked up case-insensitively
          const w = dv.getInt32(i + 4, true);
          if (w === W_NS_DQ || w === W_NS_SQ) {
            const qc = b[i + 7]!;
            const vs = i + 8;
            let ve = -1;
            let pg = -1;
            for (let k = 0; k < NS_EXACT.length; k++) {
              const [u, v, exact] = NS_EXACT[k]!;
              const e = vs + u.length;
              if (e < n && b[e] === qc && sameBytes(v, u, 0, dv, b, vs, u.length)) {
                ve = e;
                pg = exact;
                break;
              }
            }
            if (ve < 0) {
              ve = vs;
              while (ve < n && b[ve] !== qc) ve++;
              if (ve < n) pg = pageOfNsBytes(b, vs, ve);
            }
            if (ve + 1 < n && b[ve + 1] === GT) {
              page = childPage = pg;
              end = ve + 2;
            }
          }
        }
        if (end > 0) {
          let tag = -1;
          if (known >= 0 && page === page0) tag = known;
          else if (page >= 0) {
            tag = NAME_TABLES[page]!.lookupIn(dv, b, ns, i);
            if (tag < 0 && page !== Page.Ddf) tag = NAME_TABLES[page === Page.SyncML ? Page.MetInf : Page.SyncML]!.lookupIn(dv, b, ns, i);
          }
          tags[depth] = tag;
          nameStart[depth] = ns;
          nameEnd[depth] = i;
          nameGen[depth] = gen;
          nsPage[depth + 1] = childPage;
          this.#depth = ++depth;
          p = end;
          this.contentStart = base + p;
          h.open(tag, b, ns, i, false);
          continue;
        }
      }
      const q = this.#startTag(b, p, n);
      if (q < 0) return ~p;
      p = q;
      depth = this.#depth;
      if (depth === 0) return p;
    }
  }

  /** True when b[s, e) contains '&' (amortised linear: remembers the next '&' position). */
  #hasAmp(b: Uint8Array, s: number, e: number): boolean {
    let a = this.#nextAmp;
    if (a === -1) return false;
    if (a < s) {
      a = b.indexOf(AMP, s);
      this.#nextAmp = a;
      if (a < 0) return false;
    }
    return a < e;
  }

  #startsWith(b: Uint8Array, p: number, n: number, lit: Uint8Array): boolean {
    if (n - p < lit.length) return false;
    for (let i = 0; i < lit.length; i++) if (b[p + i] !== lit[i]) return false;
    return true;
  }

  /** b[p, n) (shorter than the longest markup opener) is a prefix of one of them. */
  #isPrefixOfMarkup(b: Uint8Array, p: number, n: number): boolean {
    for (const lit of [COMMENT_OPEN, CDATA_OPEN, DOCTYPE_OPEN]) {
      let ok = true;
      for (let i = 0; i < n - p && i < lit.length; i++) if (b[p + i] !== lit[i]) { ok = false; break; }
      if (ok) return true;
    }
    return false;
  }

  /** Parses `<name attrs…>` or `<name …/>` at p. Returns the index after '>', or -1 if incomplete. */
  #startTag(b: Uint8Array, p: number, n: number): number {
    if (this.#rootClosed) throw this.#err('trailing-data', 'element after the root element', b[p + 1]!, p + 1);
    // name (note a prefix)
    let i = p + 1;
    const ns = i;
    let colon = -1;
    let c = 0;
    while (i < n) {
      c = b[i]!;
      if (c === GT || c === SLASH || c <= 0x20) break;
      if (c === COLON && colon < 0) colon = i;
      i++;
    }
    if (i >= n) return -1;
    const ne = i;
    if (ne === ns) throw this.#err('bad-name', 'empty element name', c, i);
    let defaultPage = -2; // -2: no xmlns on this element
    let empty = false;
    // prefix declarations are staged past #pfxCount and counted only once the tag is complete
    // (an incomplete tag is scanned again with the next chunk)
    let staged = 0;
    if (c === GT) {
      i++; // fast path: no attributes
    } else {
      for (;;) {
        while (i < n && isWs(b[i]!)) i++;
        if (i >= n) return -1;
        c = b[i]!;
        if (c === GT) {
          i++;
          break;
        }
        if (c === SLASH) {
          if (i + 1 >= n) return -1;
          if (b[i + 1] !== GT) throw this.#err('bad-tag', "expected '>' after '/'", b[i + 1]!, i + 1);
          empty = true;
          i += 2;
          break;
        }
        // an attribute: only xmlns declarations matter
        const an = i;
        while (i < n && b[i] !== EQ && !isWs(b[i]!) && b[i] !== GT && b[i] !== SLASH) i++;
        const ae = i;
        if (ae === an) throw this.#err('bad-attribute', 'attribute without a name', c, i);
        while (i < n && isWs(b[i]!)) i++;
        if (i >= n) return -1;
        if (b[i] !== EQ) throw this.#err('bad-attribute', "expected '=' after an attribute name", b[i]!, i);
        i++;
        while (i < n && isWs(b[i]!)) i++;
        if (i >= n) return -1;
        const q = b[i]!;
        if (q !== DQ && q !== SQ) throw this.#err('bad-attribute', 'attribute value must be quoted', q, i);
        const vs = i + 1;
        const ve = b.indexOf(q, vs);
        if (ve < 0 || ve >= n) return -1;
        i = ve + 1;
        if (ae - an >= 5 && this.#startsWith(b, an, ae, XMLNS)) {
          if (ae - an === 5) defaultPage = pageOfNsBytes(b, vs, ve);
          else if (b[an + 5] === COLON) {
            const k = this.#pfxCount + staged;
            if (k >= this.#lim.maxPrefixes) throw this.#err('too-many-prefixes', `more than ${this.#lim.maxPrefixes} namespace prefixes in scope`, b[an]!, an);
            this.#pfxHash[k] = fnv1a(b, an + 6, ae);
            this.#pfxPage[k] = pageOfNsBytes(b, vs, ve);
            this.#pfxDepth[k] = this.#depth + 1;
            staged++;
          }
        }
      }
    }
    this.#pfxCount += staged;
    // the element's namespace page and tag id
    const depth = this.#depth;
    let page: number = defaultPage === -2 ? this.#nsPage[depth]! : defaultPage;
    let ls = ns;
    if (colon >= 0) {
      page = this.#prefixPage(fnv1a(b, ns, colon));
      ls = colon + 1;
    }
    let tag = -1;
    if (page >= 0) {
      tag = NAME_TABLES[page]!.lookupIn(this.#dv, b, ls, ne);
      // lenient: MetInf elements without their namespace, SyncML elements inside MetInf scope
      if (tag < 0 && page !== Page.Ddf) tag = NAME_TABLES[page === Page.SyncML ? Page.MetInf : Page.SyncML]!.lookupIn(this.#dv, b, ls, ne);
    }
    if (depth === 0) {
      if (this.#rootSeen) throw this.#err('trailing-data', 'second root element', b[p + 1]!, p + 1);
      this.#rootSeen = true;
    }
    this.contentStart = this.#base + i;
    if (empty) {
      this.#h.open(tag, b, ls, ne, true);
      this.#h.close(tag);
      if (this.#pfxCount > 0) this.#popPrefixes(depth + 1);
      if (depth === 0) this.#rootClosed = true;
      return i;
    }
    if (depth >= this.#maxDepth) throw this.#err('depth', `element nesting deeper than ${this.#maxDepth}`, b[p + 1]!, p + 1);
    this.#tags[depth] = tag;
    this.#nameStart[depth] = ns;
    this.#nameEnd[depth] = ne;
    this.#nameGen[depth] = this.#gen;
    // the default namespace inherited by children
    this.#nsPage[depth + 1] = defaultPage === -2 ? this.#nsPage[depth]! : defaultPage;
    this.#depth = depth + 1;
    this.#h.open(tag, b, ls, ne, false);
    return i;
  }

  /** Parses `</name>` at p. Returns the index after '>', or -1 if incomplete. */
  #endTag(b: Uint8Array, p: number, n: number): number {
    let i = p + 2;
    const ns = i;
    let c = 0;
    while (i < n) {
      c = b[i]!;
      if (c === GT || c <= 0x20) break;
      i++;
    }
    const ne = i;
    if (c !== GT) {
      while (i < n && isWs(b[i]!)) i++;
      if (i >= n) return -1;
      if (b[i] !== GT) throw this.#err('bad-tag', "expected '>' in an end tag", b[i]!, i);
    }
    if (this.#depth === 0) throw this.#err('unbalanced-end', 'end tag without an open element', b[ns] ?? -1, ns);
    const d = this.#depth - 1;
    if (!this.#sameName(b, ns, ne, d)) throw this.#err('mismatched-tag', 'end tag does not match the open element', b[ns] ?? -1, ns);
    this.tagStart = this.#base + p;
    this.#depth = d;
    if (this.#pfxCount > 0) this.#popPrefixes(d + 1);
    this.#h.close(this.#tags[d]!);
    if (d === 0) this.#rootClosed = true;
    return i + 1;
  }

  /** The end-tag name b[ns, ne) equals the name of the element open at depth d. */
  #sameName(b: Uint8Array, ns: number, ne: number, d: number): boolean {
    if (this.#nameGen[d] === this.#gen) {
      // start tag in this same buffer: compare bytes
      const s = this.#nameStart[d]!;
      const n = ne - ns;
      return this.#nameEnd[d]! - s === n && sameBytes(this.#dv, b, s, this.#dv, b, ns, n);
    }
    return this.#hashes[d] === fnv1a(b, ns, ne);
  }

  /**
   * Before a buffer is left, the names of elements opened in it are hashed (their bytes will be
   * gone); end tags in later buffers compare hashes. Whole-buffer decodes never hash.
   */
  #leaveBuffer(b: Uint8Array): void {
    const g = this.#gen;
    for (let d = 0; d < this.#depth; d++) {
      if (this.#nameGen[d] === g) {
        this.#hashes[d] = fnv1a(b, this.#nameStart[d]!, this.#nameEnd[d]!);
        this.#nameGen[d] = -1;
      }
    }
  }

  #prefixPage(hash: number): number {
    for (let k = this.#pfxCount - 1; k >= 0; k--) if (this.#pfxHash[k] === hash) return this.#pfxPage[k]!;
    return -1;
  }

  /** Drops prefix declarations made at `depth` or deeper. */
  #popPrefixes(depth: number): void {
    while (this.#pfxCount > 0 && this.#pfxDepth[this.#pfxCount - 1]! >= depth) this.#pfxCount--;
  }

  #err(code: string, msg: string, byte: number, at: number): DecodeError {
    return new DecodeError(code, msg, this.#base + at, byte, STATE_NAMES[this.#state]!);
  }
}

const RSQB2 = new Uint8Array([RSQB, RSQB]);
const BOM = [0xef, 0xbb, 0xbf];
