/**
 * Generic transcoding WBXML ⇄ XML (and pretty-printing): tokenizer events written straight to a
 * DocWriter, element by element, without the SyncML model, so whatever the document holds survives.
 * Used by `omadm decode` / `omadm encode`. Binary OPAQUE values that are not valid UTF-8 become
 * base64 text in XML (XML cannot carry them).
 */
import { b64encode } from '../crypto/base64';
import { DecodeError } from '../errors';
import { concatBytes } from '../util/bytes';
import { utf8Decode, utf8Encode } from '../util/utf8';
import { detectEncoding } from './decode';
import type { TokenHandler } from './events';
import { TEXT_ESCAPED } from './events';
import type { DmVersion, Encoding } from './model';
import { Tag } from './tokens';
import { WbxmlTokenizer } from './wbxml/Tokenizer';
import { WbxmlWriter } from './wbxml/Writer';
import type { DocWriter } from './Writer';
import { unescape } from './xml/entities';
import { XmlTokenizer } from './xml/Tokenizer';
import { XmlWriter } from './xml/Writer';

class Transcoder implements TokenHandler {
  /** Tag opened but not written yet (we learn only later whether it is a leaf). */
  #pending = -1;
  #parts: Uint8Array[] = [];
  #opaque = false;
  constructor(private readonly w: DocWriter | null) {}
  /** VerDTD text seen (first pass). */
  verDtd: string | null = null;

  open(tag: number, buf: Uint8Array, ns: number, ne: number): void {
    if (tag < 0) throw new DecodeError('unknown-element', `cannot transcode unknown element ${utf8Decode(buf, ns, ne)}`, 0, -1, 'transcode');
    if (this.#pending >= 0) this.w?.open(this.#pending);
    this.#pending = tag;
    this.#parts = [];
    this.#opaque = false;
  }

  close(): void {
    const w = this.w;
    if (this.#pending < 0) {
      w?.close();
    } else {
      const tag = this.#pending;
      this.#pending = -1;
      const bytes = concatBytes(this.#parts);
      if (tag === Tag.VerDTD && this.verDtd === null) this.verDtd = utf8Decode(bytes).trim();
      if (!w) return;
      if (bytes.length === 0) w.empty(tag);
      else if (this.#opaque) {
        const m = w.mark();
        w.leafBytes(tag, bytes, true);
        if (w.overflow && w.binaryInXml) {
          w.reset(m);
          w.leaf(tag, b64encode(bytes));
        }
      } else w.leafBytes(tag, bytes, false);
    }
    if (w?.overflow) throw new RangeError('output buffer too small');
  }

  text(buf: Uint8Array, start: number, end: number, flags: number): void {
    if (this.#pending < 0) return; // whitespace between elements
    this.#parts.push(flags & TEXT_ESCAPED ? unescape(buf, start, end) : buf.slice(start, end));
  }

  opaque(buf: Uint8Array, start: number, end: number): void {
    if (this.#pending < 0) return;
    this.#opaque = true;
    this.#parts.push(buf.slice(start, end));
  }

  entity(cp: number): void {
    if (this.#pending < 0) return;
    this.#parts.push(utf8Encode(String.fromCodePoint(cp)));
  }
}

export interface TranscodeOptions {
  /** Output encoding. */
  to: Encoding;
  /** Indent XML output (default true). */
  indent?: boolean;
  /** Protocol version (WBXML public id / XML namespace of the output) when the document has no VerDTD. */
  version?: DmVersion;
}

/**
 * Transcodes a whole SyncML document; the input encoding is detected. The output's version (public
 * id / namespace) comes from VerDTD, found by a first pass.
 */
export function transcode(input: Uint8Array, opts: TranscodeOptions): Uint8Array {
  const from = detectEncoding(input);
  if (from === null) throw new DecodeError('unknown-encoding', 'neither WBXML nor XML', 0, input[0] ?? -1, 'detect');
  const probe = new Transcoder(null);
  tokenize(input, from, probe);
  const version: DmVersion = probe.verDtd === '1.1' ? '1.1.2' : probe.verDtd === '1.2' ? '1.2' : opts.version ?? '1.2';
  const cap = (from === 'wbxml' ? input.length * 8 : input.length * 2) + 4096;
  const w: DocWriter = opts.to === 'xml' ? new XmlWriter(cap, { indent: opts.indent ?? true, maxDepth: 64 }) : new WbxmlWriter(cap, 64);
  w.begin(version);
  tokenize(input, from, new Transcoder(w));
  return w.bytes().slice();
}

function tokenize(input: Uint8Array, from: Encoding, h: TokenHandler): void {
  if (from === 'wbxml') new WbxmlTokenizer(h, { maxDepth: 64, maxStringTable: 1 << 20, maxOpaque: input.length }).decode(input);
  else new XmlTokenizer(h, { maxDepth: 64, maxTokenLen: 1 << 16 }).decode(input);
}
