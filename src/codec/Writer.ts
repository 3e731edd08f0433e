/**
 * Document writers: WBXML and XML encoders that write straight into a preallocated buffer with a
 * hard size limit. A write that does not fit sets `overflow` and every later write is ignored, so a
 * caller writes a whole record, checks `overflow`, and if set rolls back with `reset(mark)` (this is
 * how responses are kept under the peer's MaxMsgSize). A `reserve` keeps room for the closing
 * elements of the message.
 */
import type { DmVersion, Encoding } from './model';

export interface DocWriter {
  readonly encoding: Encoding;
  /** Bytes written so far. */
  readonly length: number;
  /** Capacity of the buffer in bytes. */
  readonly capacity: number;
  /** True once a write did not fit (until `reset`). */
  readonly overflow: boolean;
  /** The overflow came from binary data XML cannot carry, not from size. */
  readonly binaryInXml: boolean;
  /** Current element depth. */
  readonly depth: number;
  /** Starts a new document (writes the WBXML header / XML declaration as configured). */
  begin(version: DmVersion): void;
  /** Bytes kept free for closing the document: writes fail when they would eat into them. */
  setReserve(bytes: number): void;
  /** Opens an element that will have content. */
  open(tag: number): void;
  /** Closes the innermost open element. */
  close(): void;
  /** An element without content (`<Final/>`). */
  empty(tag: number): void;
  /** `<tag>text</tag>` (an empty string writes an empty element). */
  leaf(tag: number, text: string): void;
  /**
   * `<tag>bytes</tag>`. WBXML: OPAQUE when `opaque` (or when the bytes contain NUL), else an inline
   * string. XML: the bytes as escaped text (they must be UTF-8), or CDATA for `opaque` bytes that
   * are valid UTF-8 without "]]>"; other binary data cannot be written as XML and sets `overflow`
   * with `binaryInXml` (callers base64-encode binary values for XML peers).
   */
  leafBytes(tag: number, bytes: Uint8Array, opaque: boolean): void;
  /** Text content inside the current element. */
  text(s: string): void;
  /** Position to roll back to. */
  mark(): WriterMark;
  /** Rolls back to a mark (clears `overflow`). */
  reset(m: WriterMark): void;
  /** The document so far (a view into the buffer, valid until the next write or begin). */
  bytes(): Uint8Array;
}

/** Opaque rollback point. */
export interface WriterMark {
  readonly pos: number;
  readonly depth: number;
  readonly page: number;
  readonly extra: number;
}

/** Common buffer management for both writers. */
export abstract class BufferWriter {
  protected buf: Uint8Array;
  protected pos = 0;
  protected limit: number;
  protected reserve = 0;
  protected stack: Int32Array;
  protected d = 0;
  /** Current WBXML code page / XML default-namespace page. */
  protected page = 0;
  overflow = false;
  /** The overflow came from binary data that XML cannot carry (not from size). */
  binaryInXml = false;

  constructor(capacity: number, maxDepth = 32) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.buf = new Uint8Array(capacity);
    this.limit = capacity;
    this.stack = new Int32Array(maxDepth);
  }

  get length(): number {
    return this.pos;
  }
  get capacity(): number {
    return this.buf.length;
  }
  get depth(): number {
    return this.d;
  }

  setReserve(bytes: number): void {
    this.reserve = bytes;
    this.limit = this.buf.length - bytes;
  }

  mark(): WriterMark {
    return { pos: this.pos, depth: this.d, page: this.page, extra: this.markExtra() };
  }

  reset(m: WriterMark): void {
    this.pos = m.pos;
    this.d = m.depth;
    this.page = m.page;
    this.overflow = false;
    this.binaryInXml = false;
    this.resetExtra(m.extra);
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  protected markExtra(): number {
    return 0;
  }
  protected resetExtra(_extra: number): void {}

  /** True when n more bytes fit; otherwise sets overflow. */
  protected room(n: number): boolean {
    if (this.overflow) return false;
    if (this.pos + n > this.limit) {
      this.overflow = true;
      return false;
    }
    return true;
  }

  protected pushTag(tag: number): boolean {
    if (this.d >= this.stack.length) {
      this.overflow = true;
      return false;
    }
    this.stack[this.d++] = tag;
    return true;
  }
}
