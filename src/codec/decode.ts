/**
 * Message decoding entry point: detects WBXML vs XML, drives the matching tokenizer into the SyncML
 * parser, and returns the message model. One `MessageDecoder` owns all its buffers (allocated once
 * from the limits) and is reused for every message of a session.
 */
import { DecodeError } from '../errors';
import type { Limits } from '../limits';
import { DEFAULT_LIMITS } from '../limits';
import type { Encoding, Message } from './model';
import { MessageParser } from './syncml/Parser';
import { WbxmlTokenizer } from './wbxml/Tokenizer';
import { XmlTokenizer } from './xml/Tokenizer';

/** 'wbxml' or 'xml' from the first bytes, or null when neither fits. */
export function detectEncoding(b: Uint8Array): Encoding | null {
  if (b.length === 0) return null;
  const c = b[0]!;
  if (c <= 0x03) return 'wbxml';
  if (c === 0x3c || c === 0xef || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) return 'xml';
  return null;
}

/** Encoding from an HTTP Content-Type (`application/vnd.syncml.dm+wbxml` / `+xml`), or null. */
export function encodingOfContentType(ct: string): Encoding | null {
  const t = ct.split(';')[0]!.trim().toLowerCase();
  if (t === 'application/vnd.syncml.dm+wbxml' || t === 'application/vnd.syncml+wbxml') return 'wbxml';
  if (t === 'application/vnd.syncml.dm+xml' || t === 'application/vnd.syncml+xml' || t === 'text/xml' || t === 'application/xml') return 'xml';
  return null;
}

export class MessageDecoder {
  readonly #parser: MessageParser;
  readonly #wbxml: WbxmlTokenizer;
  readonly #xml: XmlTokenizer;
  #enc: Encoding | null = null;

  constructor(limits: Partial<Limits> = {}) {
    const l = { ...DEFAULT_LIMITS, ...limits };
    this.#parser = new MessageParser({
      maxCmdsPerMsg: l.maxCmdsPerMsg,
      maxItemsPerCmd: l.maxItemsPerCmd,
      // pieces are copied at most once and unescaping never grows them; STR_T can repeat the
      // string table, so allow the table once more on top of the message
      arenaSize: l.maxMsgSize + l.maxStringTable,
    });
    this.#wbxml = new WbxmlTokenizer(this.#parser, { maxDepth: l.maxDepth, maxStringTable: l.maxStringTable, maxOpaque: Math.max(l.maxMsgSize, l.maxObjSize) });
    this.#xml = new XmlTokenizer(this.#parser, { maxDepth: l.maxDepth, maxTokenLen: l.maxTokenLen });
  }

  /** Decodes one whole message (auto-detecting the encoding unless given). Values view `bytes`. */
  decode(bytes: Uint8Array, encoding?: Encoding): Message {
    const enc = encoding ?? detectEncoding(bytes);
    if (enc === null) throw new DecodeError('unknown-encoding', 'neither WBXML nor XML', 0, bytes[0] ?? -1, 'detect');
    const p = this.#parser;
    p.reset();
    p.copySpans = false;
    if (enc === 'wbxml') {
      p.raw = this.#wbxml;
      this.#wbxml.reset();
      this.#wbxml.write(bytes);
      p.latin1 = this.#wbxml.charset === 4;
      this.#wbxml.end();
    } else {
      p.doc = bytes;
      p.raw = this.#xml;
      this.#xml.reset();
      this.#xml.write(bytes);
      this.#xml.end();
    }
    return p.result(enc);
  }

  /** Starts a chunked decode: every value is copied (chunks may be reused by the caller). */
  begin(encoding: Encoding): void {
    this.#enc = encoding;
    this.#parser.reset();
    this.#parser.copySpans = true;
    this.#parser.raw = encoding === 'wbxml' ? this.#wbxml : this.#xml;
    if (encoding === 'wbxml') this.#wbxml.reset();
    else this.#xml.reset();
  }

  write(chunk: Uint8Array): void {
    if (this.#enc === 'wbxml') {
      this.#wbxml.write(chunk);
      this.#parser.latin1 = this.#wbxml.charset === 4;
    } else if (this.#enc === 'xml') this.#xml.write(chunk);
    else throw new TypeError('write() before begin()');
  }

  end(): Message {
    const enc = this.#enc;
    if (enc === null) throw new TypeError('end() before begin()');
    this.#enc = null;
    if (enc === 'wbxml') this.#wbxml.end();
    else this.#xml.end();
    return this.#parser.result(enc);
  }
}
