/**
 * XML encoder for SyncML DM: `<SyncML xmlns="SYNCML:SYNCML1.2">` (or 1.1), MetInf elements carry
 * `xmlns="syncml:metinf"` where they start a MetInf scope (as libwbxml and the spec examples do),
 * text escaped (&, <, >), no DOCTYPE unless asked. Compact by default (the wire form); `indent` for
 * transcripts and the decode CLI.
 */
import type { DocWriter } from '../Writer';
import { BufferWriter } from '../Writer';
import type { DmVersion } from '../model';
import { FPI_SYNCML_11, FPI_SYNCML_12, NAME_BYTES, NAME_LEN, NAME_OFF, NS_DDF, NS_METINF, NS_SYNCML_11, NS_SYNCML_12, Page } from '../tokens';
import { utf8EncodeInto } from '../../util/utf8';

export interface XmlWriterOptions {
  /** Indent nested elements (2 spaces per level, one element per line). Default false. */
  indent?: boolean;
  /** Write the `<?xml version="1.0" encoding="UTF-8"?>` declaration. Default true. */
  declaration?: boolean;
  /** Write the SyncML DOCTYPE. Default false. */
  doctype?: boolean;
  maxDepth?: number;
}


export class XmlWriter extends BufferWriter implements DocWriter {
  readonly encoding = 'xml' as const;
  readonly #indent: boolean;
  readonly #decl: boolean;
  readonly #doctype: boolean;
  /** Per depth: the element has child elements (its end tag goes on its own line when indenting). */
  readonly #hasKids: Uint8Array;
  /** Per depth: the default-namespace page in scope inside that element. */
  readonly #pages: Int8Array;
  #version: DmVersion = '1.2';

  constructor(capacity: number, opts: XmlWriterOptions = {}) {
    super(capacity, opts.maxDepth ?? 32);
    this.#indent = opts.indent ?? false;
    this.#decl = opts.declaration ?? true;
    this.#doctype = opts.doctype ?? false;
    this.#hasKids = new Uint8Array(this.stack.length + 1);
    this.#pages = new Int8Array(this.stack.length + 1);
  }

  begin(version: DmVersion): void {
    this.pos = 0;
    this.d = 0;
    this.page = -1;
    this.overflow = false;
    this.binaryInXml = false;
    this.#version = version;
    this.#pages[0] = -1;
    if (this.#decl) this.#ascii('<?xml version="1.0" encoding="UTF-8"?>');
    if (this.#doctype) {
      if (this.#decl && this.#indent) this.#ascii('\n');
      const fpi = version === '1.2' ? FPI_SYNCML_12 : FPI_SYNCML_11;
      const sys = version === '1.2'
        ? 'http://www.openmobilealliance.org/tech/DTD/OMA-TS-SyncML_RepPro_DTD-V1_2.dtd'
        : 'http://www.syncml.org/docs/syncml_represent_v11_20020213.dtd';
      this.#ascii(`<!DOCTYPE SyncML PUBLIC "${fpi}" "${sys}">`);
    }
  }

  open(tag: number): void {
    if (!this.#startTag(tag, false)) return;
    const d = this.d;
    if (!this.pushTag(tag)) return;
    this.#hasKids[d + 1] = 0;
    this.#pages[d + 1] = tag >> 8;
  }

  close(): void {
    if (this.d === 0 || this.overflow) return;
    const tag = this.stack[this.d - 1]!;
    const kids = this.#hasKids[this.d] === 1;
    if (this.#indent && kids) this.#newline(this.d - 1);
    // </Name>
    const i = ((tag >> 8) << 6) | (tag & 0x3f);
    const n = NAME_LEN[i]!;
    if (!this.room(n + 3)) return;
    this.buf[this.pos++] = 0x3c;
    this.buf[this.pos++] = 0x2f;
    this.#name(i, n);
    this.buf[this.pos++] = 0x3e;
    this.d--;
  }

  empty(tag: number): void {
    this.#startTag(tag, true);
  }

  leaf(tag: number, text: string): void {
    if (text.length === 0) {
      this.empty(tag);
      return;
    }
    this.open(tag);
    this.text(text);
    this.close();
  }

  leafBytes(tag: number, bytes: Uint8Array, opaque: boolean): void {
    if (bytes.length === 0) {
      this.empty(tag);
      return;
    }
    if (opaque) {
      if (!isUtf8(bytes) || hasCdataEnd(bytes)) {
        this.overflow = true;
        this.binaryInXml = true;
        return;
      }
      this.open(tag);
      if (!this.room(12 + bytes.length)) return;
      this.#ascii('<![CDATA[');
      this.buf.set(bytes, this.pos);
      this.pos += bytes.length;
      this.#ascii(']]>');
      this.close();
      return;
    }
    this.open(tag);
    this.#escapedBytes(bytes);
    this.close();
  }

  text(s: string): void {
    if (this.overflow) return;
    // Usual text (base64, URIs, numbers) has nothing to escape: three native scans, then one UTF-8
    // conversion (native where the host installs it, src/util/utf8.ts), no per-character JS loop.
    if (s.indexOf('&') < 0 && s.indexOf('<') < 0 && s.indexOf('>') < 0) this.#utf8(s);
    else this.#textFrom(s, 0);
  }

  /** The rest of `s` from index `from`: entities for &, <, > and UTF-8 for the rest. */
  #textFrom(s: string, from: number): void {
    let start = from;
    for (let i = from; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x26 || c === 0x3c || c === 0x3e) {
        if (i > start && !this.#utf8(s.substring(start, i))) return;
        if (!this.#ascii(c === 0x26 ? '&amp;' : c === 0x3c ? '&lt;' : '&gt;')) return;
        start = i + 1;
      }
    }
    if (start < s.length) this.#utf8(start === 0 ? s : s.substring(start));
  }

  protected override markExtra(): number {
    return 0;
  }

  #escapedBytes(b: Uint8Array): void {
    let start = 0;
    for (let i = 0; i < b.length; i++) {
      const c = b[i]!;
      if (c === 0x26 || c === 0x3c || c === 0x3e) {
        if (!this.#raw(b, start, i)) return;
        if (!this.#ascii(c === 0x26 ? '&amp;' : c === 0x3c ? '&lt;' : '&gt;')) return;
        start = i + 1;
      }
    }
    this.#raw(b, start, b.length);
  }

  #raw(b: Uint8Array, s: number, e: number): boolean {
    if (e <= s) return true;
    if (!this.room(e - s)) return false;
    this.buf.set(b.subarray(s, e), this.pos);
    this.pos += e - s;
    return true;
  }

  /** `<Name` + namespace when needed + `>` or `/>`. */
  #startTag(tag: number, empty: boolean): boolean {
    if (this.overflow) return false;
    const page = tag >> 8;
    const i = page < 4 && (tag & 0xff) < 64 ? (page << 6) | (tag & 0xff) : 0;
    const n = NAME_LEN[i]!;
    if (n === 0) throw new RangeError(`unknown tag 0x${tag.toString(16)}`);
    if (this.#indent && (this.d > 0 || this.pos > 0)) this.#newline(this.d);
    if (this.d > 0) this.#hasKids[this.d] = 1;
    // <Name
    if (!this.room(n + 1)) return false;
    this.buf[this.pos++] = 0x3c;
    this.#name(i, n);
    const scope = this.#pages[this.d]!;
    if (page !== scope) {
      const ns = page === Page.SyncML ? (this.#version === '1.2' ? NS_SYNCML_12 : NS_SYNCML_11) : page === Page.MetInf ? NS_METINF : NS_DDF;
      if (!this.#ascii(` xmlns="${ns}"`)) return false;
    }
    return this.#ascii(empty ? '/>' : '>');
  }

  /** Copies name `i` (length n, room already checked). */
  #name(i: number, n: number): void {
    const o = NAME_OFF[i]!;
    for (let k = 0; k < n; k++) this.buf[this.pos++] = NAME_BYTES[o + k]!;
  }

  #newline(depth: number): void {
    if (!this.room(1 + depth * 2)) return;
    this.buf[this.pos++] = 0x0a;
    for (let i = 0; i < depth * 2; i++) this.buf[this.pos++] = 0x20;
  }

  #ascii(s: string): boolean {
    if (!this.room(s.length)) return false;
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
    return true;
  }

  #utf8(s: string): boolean {
    if (this.overflow) return false;
    const end = utf8EncodeInto(s, this.buf.subarray(0, this.limit), this.pos);
    if (end < 0) {
      this.overflow = true;
      return false;
    }
    this.pos = end;
    return true;
  }
}

/** Strict UTF-8 validity (no overlongs, no surrogates). */
export function isUtf8(b: Uint8Array): boolean {
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) { need = 1; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { need = 2; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { need = 3; min = 0x10000; }
    else return false;
    let cp = c & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    // control characters other than tab/newline/CR are not allowed in XML 1.0 either
    i += need + 1;
  }
  for (let k = 0; k < n; k++) {
    const c = b[k]!;
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return true;
}

function hasCdataEnd(b: Uint8Array): boolean {
  for (let i = 0; i + 2 < b.length; i++) if (b[i] === 0x5d && b[i + 1] === 0x5d && b[i + 2] === 0x3e) return true;
  return false;
}
