/**
 * HTTP/1.1 client framing over a byte stream (shared by Node and QuickJS): URL parsing (QuickJS has
 * no URL class), request serialisation, and a resumable response parser with fixed buffers
 * (Content-Length, chunked transfer coding, or until close), bounded header and body sizes. Bodies
 * are either collected into a preallocated buffer (DM messages, bounded by MaxMsgSize) or streamed
 * to a callback (firmware downloads), never grown.
 */
import { DecodeError } from '../errors';
import { utf8Encode } from '../util/utf8';

export interface ParsedUrl {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  /** Path and query, at least "/". */
  path: string;
}

/** Parses an absolute http(s) URL; null when it is not one. IPv6 literals in brackets are kept without the brackets. */
export function parseUrl(u: string): ParsedUrl | null {
  const m = /^(https?):\/\/(\[[0-9A-Fa-f:.]+\]|[^\x00-\x20\x7f/:?#@[\]]+)(?::([0-9]{1,5}))?([/?][\x21\x22\x24-\x7e]*)?(#[\x21-\x7e]*)?$/.exec(u.trim());
  if (!m) return null;
  const scheme = m[1]!.toLowerCase() as 'http' | 'https';
  let host = m[2]!;
  if (host.startsWith('[')) host = host.slice(1, -1);
  const port = m[3] ? parseInt(m[3], 10) : scheme === 'https' ? 443 : 80;
  if (port < 1 || port > 65535) return null;
  let path = m[4] ?? '/';
  if (path.startsWith('?')) path = '/' + path;
  return { scheme, host, port, path };
}

/**
 * Resolves a reference (a Location header, a descriptor's objectURI) against the URL it came from
 * (RFC 3986 §4.2 forms; dot segments are left to the server). null when it is not usable: another
 * scheme (`ftp:`, `mailto:`… is absolute, never a relative path), or bytes that may not reach a
 * request line. A fragment is dropped: it is never sent.
 */
export function resolveUrl(base: ParsedUrl, location: string): ParsedUrl | null {
  // only visible ASCII may reach a request line (no spaces, CR/LF or controls smuggled in)
  if (!/^[\x21-\x7e]+$/.test(location)) return null;
  const ref = location.replace(/#.*$/, '');
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(ref)) return parseUrl(ref);
  if (ref.startsWith('//')) return parseUrl(`${base.scheme}:${ref}`);
  if (ref.startsWith('/')) return { ...base, path: ref };
  const own = base.path.replace(/[?].*$/, '');
  if (ref === '') return { ...base };
  if (ref.startsWith('?')) return { ...base, path: own + ref };
  return { ...base, path: own.replace(/[^/]*$/, '') + ref };
}

/** `scheme://host:port/path` of a parsed URL. */
export function formatUrl(u: ParsedUrl): string {
  const h = u.host.includes(':') ? `[${u.host}]` : u.host;
  return `${u.scheme}://${h}:${u.port}${u.path}`;
}

/** Serialises a request (headers are written in the given order; Host and Content-Length are added). */
export function buildRequest(method: string, url: ParsedUrl, headers: readonly (readonly [string, string])[], body: Uint8Array | null): Uint8Array {
  const h = url.host.includes(':') ? `[${url.host}]` : url.host;
  const defPort = url.scheme === 'https' ? 443 : 80;
  if (!/^\/[\x21-\x7e]*$/.test(url.path)) throw new TypeError(`url.path: only visible ASCII is allowed in a request line: ${JSON.stringify(url.path)}`);
  let head = `${method} ${url.path} HTTP/1.1\r\nHost: ${url.port === defPort ? h : `${h}:${url.port}`}\r\n`;
  for (const [k, v] of headers) {
    if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) throw new TypeError(`header ${k}: CR/LF not allowed`);
    head += `${k}: ${v}\r\n`;
  }
  if (body !== null) head += `Content-Length: ${body.length}\r\n`;
  head += '\r\n';
  const hb = utf8Encode(head);
  if (body === null || body.length === 0) return hb;
  const out = new Uint8Array(hb.length + body.length);
  out.set(hb, 0);
  out.set(body, hb.length);
  return out;
}

export interface HttpLimits {
  /** Status line + headers, bytes. */
  maxHeaderBytes: number;
  /** Body bytes when collecting. */
  maxBody: number;
  /** Number of header fields. */
  maxHeaders: number;
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = Object.freeze({ maxHeaderBytes: 8192, maxBody: 65536, maxHeaders: 64 });

enum P { StatusLine, Headers, Body, ChunkSize, ChunkData, ChunkDataEnd, Trailers, UntilClose, Done }

/**
 * Resumable HTTP/1.1 response parser. Feed bytes with `push()`; `done` becomes true once the
 * response is complete (the rest of the chunk, if any, is returned by `push`). Errors are
 * DecodeError (code 'http-…'). Reusable after `reset()`.
 */
export class HttpResponseParser {
  status = 0;
  reason = '';
  /** Header names lower-cased; repeated headers joined with ", ". */
  readonly headers = new Map<string, string>();
  readonly #lim: HttpLimits;
  readonly #line: Uint8Array;
  #lineLen = 0;
  #state = P.StatusLine;
  #remaining = 0;
  #headerBytes = 0;
  readonly #body: Uint8Array;
  #bodyLen = 0;
  /** Streaming sink: when set, body bytes go there instead of the buffer. */
  #sink: ((chunk: Uint8Array) => void) | null = null;
  /** No body expected (HEAD, 204, 304). */
  #noBody = false;
  /** Response to a request with this method. */
  #offset = 0;

  constructor(limits: Partial<HttpLimits> = {}) {
    this.#lim = { ...DEFAULT_HTTP_LIMITS, ...limits };
    this.#line = new Uint8Array(this.#lim.maxHeaderBytes);
    this.#body = new Uint8Array(this.#lim.maxBody);
  }

  /** True once the whole response has been parsed. */
  get done(): boolean {
    return this.#state === P.Done;
  }

  /** True when the body is delimited by the connection closing (call `end()` on close). */
  get untilClose(): boolean {
    return this.#state === P.UntilClose;
  }

  /** The collected body (a view into the internal buffer, valid until reset). */
  get body(): Uint8Array {
    return this.#body.subarray(0, this.#bodyLen);
  }

  /** Bytes of body received so far (collected or streamed). */
  bodyReceived = 0;

  /** Starts a new response. `sink` streams the body instead of collecting it; `noBody` for HEAD. */
  reset(opts: { sink?: (chunk: Uint8Array) => void; noBody?: boolean } = {}): void {
    this.status = 0;
    this.reason = '';
    this.headers.clear();
    this.#lineLen = 0;
    this.#state = P.StatusLine;
    this.#remaining = 0;
    this.#headerBytes = 0;
    this.#bodyLen = 0;
    this.bodyReceived = 0;
    this.#sink = opts.sink ?? null;
    this.#noBody = opts.noBody ?? false;
    this.#offset = 0;
  }

  /** The peer closed the connection: completes an until-close body, else throws 'http-truncated'. */
  end(): void {
    if (this.#state === P.UntilClose) {
      this.#state = P.Done;
      return;
    }
    if (this.#state !== P.Done) throw this.#err('http-truncated', 'connection closed before the response was complete', -1);
  }

  /** Feeds bytes; returns how many were consumed (the rest belongs to the next response). */
  push(b: Uint8Array): number {
    let p = 0;
    const n = b.length;
    while (p < n && this.#state !== P.Done) {
      switch (this.#state) {
        case P.StatusLine:
        case P.Headers:
        case P.ChunkSize:
        case P.ChunkDataEnd:
        case P.Trailers: {
          // line-oriented states
          const c = b[p++]!;
          this.#offset++;
          if (this.#state === P.StatusLine || this.#state === P.Headers || this.#state === P.Trailers) {
            if (++this.#headerBytes > this.#lim.maxHeaderBytes) throw this.#err('http-header-too-large', `headers larger than ${this.#lim.maxHeaderBytes} bytes`, c);
          }
          if (c === 0x0a) {
            let len = this.#lineLen;
            if (len > 0 && this.#line[len - 1] === 0x0d) len--;
            this.#lineLen = 0;
            this.#line_(len);
          } else {
            if (this.#lineLen >= this.#line.length) throw this.#err('http-line-too-long', 'line too long', c);
            this.#line[this.#lineLen++] = c;
          }
          break;
        }
        case P.Body:
        case P.ChunkData: {
          const take = Math.min(this.#remaining, n - p);
          this.#emit(b, p, p + take);
          p += take;
          this.#offset += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = this.#state === P.Body ? P.Done : P.ChunkDataEnd;
          break;
        }
        case P.UntilClose: {
          this.#emit(b, p, n);
          this.#offset += n - p;
          p = n;
          break;
        }
      }
    }
    return p;
  }

  #emit(b: Uint8Array, s: number, e: number): void {
    if (e <= s) return;
    this.bodyReceived += e - s;
    if (this.#sink) {
      this.#sink(b.subarray(s, e));
      return;
    }
    if (this.#bodyLen + (e - s) > this.#body.length) throw this.#err('http-body-too-large', `body larger than ${this.#body.length} bytes`, b[s]!);
    this.#body.set(b.subarray(s, e), this.#bodyLen);
    this.#bodyLen += e - s;
  }

  #line_(len: number): void {
    const line = this.#text(len);
    switch (this.#state) {
      case P.StatusLine: {
        if (line.length === 0) return; // tolerate a leading CRLF
        const m = /^HTTP\/1\.[01] ([0-9]{3})(?: (.*))?$/.exec(line);
        if (!m) throw this.#err('http-bad-status', `bad status line: ${line.slice(0, 60)}`, -1);
        this.status = parseInt(m[1]!, 10);
        this.reason = m[2] ?? '';
        this.#state = P.Headers;
        return;
      }
      case P.Headers:
      case P.Trailers: {
        if (line.length === 0) {
          if (this.#state === P.Trailers) {
            this.#state = P.Done;
            return;
          }
          this.#startBody();
          return;
        }
        const i = line.indexOf(':');
        if (i <= 0) throw this.#err('http-bad-header', `bad header line: ${line.slice(0, 60)}`, -1);
        if (this.#state === P.Trailers) return;
        if (this.headers.size >= this.#lim.maxHeaders) throw this.#err('http-too-many-headers', `more than ${this.#lim.maxHeaders} headers`, -1);
        const k = line.slice(0, i).trim().toLowerCase();
        const v = line.slice(i + 1).trim();
        const prev = this.headers.get(k);
        this.headers.set(k, prev === undefined ? v : `${prev}, ${v}`);
        return;
      }
      case P.ChunkSize: {
        const m = /^([0-9A-Fa-f]{1,8})(;.*)?$/.exec(line.trim());
        if (!m) throw this.#err('http-bad-chunk', `bad chunk size line: ${line.slice(0, 30)}`, -1);
        const size = parseInt(m[1]!, 16);
        if (size === 0) {
          this.#state = P.Trailers;
          return;
        }
        this.#remaining = size;
        this.#state = P.ChunkData;
        return;
      }
      case P.ChunkDataEnd:
        if (line.length !== 0) throw this.#err('http-bad-chunk', 'missing CRLF after chunk data', -1);
        this.#state = P.ChunkSize;
        return;
    }
  }

  #startBody(): void {
    if (this.#noBody || this.status === 204 || this.status === 304 || (this.status >= 100 && this.status < 200)) {
      if (this.status >= 100 && this.status < 200) {
        // interim response (100 Continue): parse the next one
        this.status = 0;
        this.headers.clear();
        this.#state = P.StatusLine;
        return;
      }
      this.#state = P.Done;
      return;
    }
    const te = this.headers.get('transfer-encoding');
    if (te !== undefined && /(^|,)\s*chunked\s*$/i.test(te)) {
      this.#state = P.ChunkSize;
      return;
    }
    const cl = this.headers.get('content-length');
    if (cl !== undefined) {
      if (!/^[0-9]{1,15}$/.test(cl)) throw this.#err('http-bad-length', `bad Content-Length: ${cl}`, -1);
      const len = parseInt(cl, 10);
      if (!this.#sink && len > this.#body.length) throw this.#err('http-body-too-large', `Content-Length ${len} exceeds the limit of ${this.#body.length}`, -1);
      this.#remaining = len;
      this.#state = len === 0 ? P.Done : P.Body;
      return;
    }
    this.#state = P.UntilClose;
  }

  #text(len: number): string {
    let s = '';
    for (let i = 0; i < len; i++) s += String.fromCharCode(this.#line[i]!);
    return s;
  }

  #err(code: string, msg: string, byte: number): DecodeError {
    return new DecodeError(code, msg, this.#offset, byte, P[this.#state] ?? 'http');
  }
}

/** `Content-Type` media type without parameters, lower-cased. */
export function mediaType(ct: string | undefined): string {
  return (ct ?? '').split(';')[0]!.trim().toLowerCase();
}

