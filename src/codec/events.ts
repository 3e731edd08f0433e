/**
 * The event interface both tokenizers (WBXML and XML) drive. Spans are `(buf, start, end)` into the
 * caller's chunk (or into the tokenizer's own carry/string-table buffer): valid only during the call.
 * Consumers that keep a span across calls must copy it. A text or opaque value split by a chunk
 * boundary arrives as several consecutive calls.
 */
export interface TokenHandler {
  /**
   * Element start. `tag` is `page << 8 | token` (see tokens.ts) or -1 for an element not in the code
   * pages (XML: unknown name or namespace; WBXML: LITERAL), whose raw name is `buf[ns, ne)`.
   * `empty` is true when the element has no content (WBXML token without 0x40, XML `<x/>`);
   * a `close` always follows, also for empty elements.
   */
  open(tag: number, buf: Uint8Array, ns: number, ne: number, empty: boolean): void;
  /** Element end (matching the innermost open element). */
  close(tag: number): void;
  /**
   * Character data. `flags`: TEXT_ESCAPED (XML text containing '&': entity references must be
   * resolved by the consumer, see xml/entities.ts), TEXT_CDATA (XML CDATA section, literal),
   * TEXT_WBXML (WBXML STR_I/STR_T, literal UTF-8).
   */
  text(buf: Uint8Array, start: number, end: number, flags: number): void;
  /** WBXML OPAQUE bytes (possibly in several pieces when split across chunks). */
  opaque(buf: Uint8Array, start: number, end: number): void;
  /** WBXML ENTITY (a UCS-4 code point). */
  entity(codePoint: number): void;
}

export const TEXT_PLAIN = 0;
export const TEXT_ESCAPED = 1;
export const TEXT_CDATA = 2;
export const TEXT_WBXML = 4;

/** A handler that ignores everything (for benchmarks and validation-only decodes). */
export const NULL_HANDLER: TokenHandler = {
  open() {},
  close() {},
  text() {},
  opaque() {},
  entity() {},
};
