/**
 * The HTTP exchange as the portable server engine sees it: one request in, one response out. The
 * host (target/node/server.ts) owns sockets, framing and timers and applies the response's fault
 * directives (`delayMs`, `drop`, `truncate`).
 */
import type { Encoding } from '../codec/model';
import type { SessionRecord } from './record';

/** Content-Type of WBXML-encoded DM messages. */
export const CONTENT_TYPE_WBXML = 'application/vnd.syncml.dm+wbxml';
/** Content-Type of XML-encoded DM messages. */
export const CONTENT_TYPE_XML = 'application/vnd.syncml.dm+xml';
/** HTTP header carrying the DM HMAC credentials (facts §5.1). */
export const HMAC_HEADER = 'x-syncml-hmac';

/** Content-Type for an encoding. */
export function contentTypeOf(enc: Encoding): string {
  return enc === 'wbxml' ? CONTENT_TYPE_WBXML : CONTENT_TYPE_XML;
}

/** One HTTP request. */
export interface HttpRequest {
  /** Method as received ('POST'...). */
  method: string;
  /** Absolute URL the client used (scheme, host, port, path, query), e.g. `http://127.0.0.1:8080/dm`. */
  url: string;
  /** Header names in lower case; repeated headers joined with ', '. */
  headers: Readonly<Record<string, string>>;
  /** The entity body (complete: the host reassembles it and enforces the size limit). */
  body: Uint8Array;
}

/** What the host must do after the response is known. */
export interface TruncateDirective {
  /** Send only this many body bytes. */
  bytes: number;
  /**
   * true: declare the full Content-Length, send `bytes`, then destroy the connection (a transfer cut
   * short). false: declare Content-Length = `bytes` (a complete transfer of a malformed message).
   */
  close: boolean;
}

/** One HTTP response plus directives for the host. */
export interface HttpResponse {
  status: number;
  /** Header names in lower case. The host adds Content-Length. */
  headers: Record<string, string>;
  body: Uint8Array;
  /** Wait this long before answering (ms; 0 = at once). */
  delayMs: number;
  /** Close the connection without answering (status/headers/body are then unused). */
  drop: boolean;
  /** Send only part of the body, or null. */
  truncate: TruncateDirective | null;
  /** The session the request belonged to, when it could be decoded. */
  session: SessionRecord | null;
}
