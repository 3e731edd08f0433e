/**
 * Alternate download of a FUMO package over HTTP(S) (facts §8.1 PkgURL) on the platform's byte
 * streams: one GET per connection, the body streamed to a target (the slot writer) as it arrives,
 * never collected. Resumable: a request from offset N carries `Range: bytes=N-`; a `206` whose
 * Content-Range starts at N continues, a `200` means the server restarts from 0 (the target is told),
 * anything else is refused. Bounded: redirects (`maxRedirects`), consecutive failed attempts without
 * progress (`maxRetries`, exponential back-off), connect and idle timeouts, header bytes, and the
 * size of in-memory documents (download descriptor, hash sidecar).
 *
 * Failures end as FUMO result codes (facts §8.4): 406 authentication (HTTP 401/403/407, TLS
 * certificate refused), 407 time-out, 411 bad URL (unparseable, HTTP 404/410), 412 server
 * unavailable (connection refused, HTTP 503), 500 server error (other 5xx, broken HTTP), 402 size
 * mismatch with what was announced, 503 network issues (drops past the retry budget).
 */
import { DecodeError } from '../errors';
import type { ByteStream, Platform, TimerHandle } from '../platform';
import { PlatformError } from '../platform';
import type { ParsedUrl } from '../session/http';
import { buildRequest, HttpResponseParser, mediaType, parseUrl, resolveUrl } from '../session/http';
import { FumoResult } from './alert';
import { DD_MEDIA_TYPE } from './dd';

/** Bounds and timing of downloads. */
export interface DownloaderLimits {
  /** Connect (and TLS handshake) timeout, ms. Default 30 000. */
  connectTimeoutMs: number;
  /** No byte from the server for this long → the attempt failed, ms. Default 60 000. */
  idleTimeoutMs: number;
  /** Redirects followed per download. Default 5. */
  maxRedirects: number;
  /** Consecutive failed attempts (without new bytes in between) before giving up. Default 5. */
  maxRetries: number;
  /** First back-off, ms (doubles per consecutive failure). Default 2 000. */
  retryDelayMs: number;
  /** Back-off cap, ms. Default 60 000. */
  maxRetryDelayMs: number;
  /** Status line + headers, bytes. Default 8 192. */
  maxHeaderBytes: number;
  /** Largest in-memory document (download descriptor, sidecar), bytes. Default 8 192. */
  maxDocumentBytes: number;
}

export const DEFAULT_DOWNLOAD_CONNECT_TIMEOUT_MS = 30000;
export const DEFAULT_DOWNLOAD_IDLE_TIMEOUT_MS = 60000;
export const DEFAULT_DOWNLOAD_MAX_REDIRECTS = 5;
export const DEFAULT_DOWNLOAD_MAX_RETRIES = 5;
export const DEFAULT_DOWNLOAD_RETRY_DELAY_MS = 2000;
export const DEFAULT_DOWNLOAD_MAX_RETRY_DELAY_MS = 60000;
export const DEFAULT_DOWNLOAD_MAX_HEADER_BYTES = 8192;
export const DEFAULT_DOWNLOAD_MAX_DOCUMENT_BYTES = 8192;

export const DEFAULT_DOWNLOADER_LIMITS: Readonly<DownloaderLimits> = Object.freeze({
  connectTimeoutMs: DEFAULT_DOWNLOAD_CONNECT_TIMEOUT_MS,
  idleTimeoutMs: DEFAULT_DOWNLOAD_IDLE_TIMEOUT_MS,
  maxRedirects: DEFAULT_DOWNLOAD_MAX_REDIRECTS,
  maxRetries: DEFAULT_DOWNLOAD_MAX_RETRIES,
  retryDelayMs: DEFAULT_DOWNLOAD_RETRY_DELAY_MS,
  maxRetryDelayMs: DEFAULT_DOWNLOAD_MAX_RETRY_DELAY_MS,
  maxHeaderBytes: DEFAULT_DOWNLOAD_MAX_HEADER_BYTES,
  maxDocumentBytes: DEFAULT_DOWNLOAD_MAX_DOCUMENT_BYTES,
});

/** Fills defaults; RangeError naming a bad field. */
export function checkDownloaderLimits(p: Partial<DownloaderLimits> = {}): DownloaderLimits {
  const l: DownloaderLimits = { ...DEFAULT_DOWNLOADER_LIMITS, ...p };
  for (const [k, v] of Object.entries(l)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new RangeError(`download.${k}: must be a non-negative integer, got ${String(v)}`);
  }
  if (l.maxHeaderBytes < 256) throw new RangeError('download.maxHeaderBytes: at least 256');
  return l;
}

/** Where the package bytes go. */
export interface DownloadTarget {
  /**
   * The body starts: its bytes begin at package offset `from` (the requested offset, or 0 when
   * the server restarted); `total` is the package size when the server said it. Return 0 to go
   * on, or a FUMO result to stop the download with it (e.g. 501: does not fit).
   */
  start(from: number, total: number | null): number;
  /** Package bytes in order (a view valid during the call). 0 to go on, or a FUMO result to stop. */
  data(chunk: Uint8Array): number;
}

/** How a download ended. */
export interface DownloadOutcome {
  /** 200, or the FUMO failure result. */
  result: number;
  /** Package size (bytes delivered in total) when successful. */
  total: number;
  /** Set instead of streaming when the URL answered with a download descriptor (body in memory). */
  descriptor?: { url: string; body: Uint8Array };
  /** Diagnostic text. */
  detail: string;
}

/** Result of a small in-memory fetch. */
export interface SmallFetch {
  /** 200 on HTTP 2xx, else the FUMO result of the failure (411 for 404/410). */
  result: number;
  /** HTTP status (0 when no response). */
  status: number;
  body: Uint8Array;
  type: string;
}

/** Options of one `get`. */
export interface GetOptions {
  /** Resume offset: bytes of the package already held (Range request when > 0). */
  from: number;
  /** Size the package must have (descriptor, Ext), null unknown: a different size → 402. */
  expectedSize: number | null;
  /** Accept a download descriptor answer (first request of an operation only). */
  allowDescriptor: boolean;
}

const RETRYABLE_CONNECT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);

/** One attempt's failure. */
interface Fail {
  /** FUMO result if this is the final failure. */
  result: number;
  retry: boolean;
  detail: string;
}

/**
 * One HTTP GET on one connection. The head is handed to `onHead` before any body byte (or at the
 * end for an empty body), which decides what to do with the body.
 */
class Exchange {
  readonly #p: Platform;
  readonly #lim: DownloaderLimits;
  readonly #parser: HttpResponseParser;
  #stream: ByteStream | null = null;
  #timer: TimerHandle | null = null;
  #over = false;
  #headDone = false;
  /** Body consumer chosen by onHead: false = discard. */
  #body: ((chunk: Uint8Array) => Fail | null) | null = null;
  #done: (f: Fail | null) => void = () => {};

  constructor(p: Platform, lim: DownloaderLimits, parser: HttpResponseParser) {
    this.#p = p;
    this.#lim = lim;
    this.#parser = parser;
  }

  /**
   * Sends the request. `onHead(status, headers)` returns a body consumer, null to discard the body,
   * or a Fail to end the exchange at once. `done(null)` after a complete response.
   */
  run(url: ParsedUrl, headers: [string, string][], userAgent: string,
    onHead: (status: number, headers: ReadonlyMap<string, string>) => ((chunk: Uint8Array) => Fail | null) | null | Fail,
    done: (f: Fail | null) => void, method = 'GET', body: Uint8Array | null = null): void {
    this.#done = done;
    this.#parser.reset({ sink: (c) => this.#onBody(c, onHead) });
    const req = buildRequest(method, url, [['User-Agent', userAgent], ['Accept', '*/*'], ...headers, ['Connection', 'close']], body);
    this.#arm(this.#lim.connectTimeoutMs, 'connect');
    try {
      this.#stream = this.#p.network.connect({ host: url.host, port: url.port, tls: url.scheme === 'https' }, {
        onOpen: () => {
          if (this.#over) return;
          this.#arm(this.#lim.idleTimeoutMs, 'response');
          this.#stream?.write(req);
        },
        onData: (chunk) => {
          if (this.#over) return;
          this.#arm(this.#lim.idleTimeoutMs, 'response');
          try {
            this.#parser.push(chunk);
          } catch (e) {
            if (!(e instanceof DecodeError)) throw e;
            this.#finish({ result: FumoResult.ServerError, retry: true, detail: `bad HTTP response: ${e.code}` });
            return;
          }
          if (!this.#over && this.#parser.done) this.#complete(onHead);
        },
        onClose: (err) => {
          if (this.#over) return;
          if (err) {
            this.#finish(classifyNetError(err));
            return;
          }
          try {
            this.#parser.end();
          } catch (e) {
            if (!(e instanceof DecodeError)) throw e;
            this.#finish({ result: FumoResult.NetworkIssues, retry: true, detail: 'connection closed before the response was complete' });
            return;
          }
          this.#complete(onHead);
        },
      });
    } catch (e) {
      if (!(e instanceof PlatformError)) throw e;
      this.#finish(classifyNetError(e));
    }
  }

  /** Stops the exchange without calling `done`. */
  cancel(): void {
    this.#over = true;
    this.#disarm();
    this.#stream?.close();
    this.#stream = null;
  }

  #onBody(c: Uint8Array, onHead: Parameters<Exchange['run']>[3]): void {
    if (this.#over) return;
    if (!this.#headDone && !this.#head(onHead)) return;
    if (!this.#body) return;
    const f = this.#body(c);
    if (f) this.#finish(f);
  }

  /** Runs onHead once; false when the exchange ended there. */
  #head(onHead: Parameters<Exchange['run']>[3]): boolean {
    this.#headDone = true;
    const r = onHead(this.#parser.status, this.#parser.headers);
    if (r !== null && typeof r === 'object') {
      this.#finish(r);
      return false;
    }
    this.#body = r;
    return true;
  }

  #complete(onHead: Parameters<Exchange['run']>[3]): void {
    if (!this.#headDone && !this.#head(onHead)) return;
    this.#finish(null);
  }

  #finish(f: Fail | null): void {
    if (this.#over) return;
    this.#over = true;
    this.#disarm();
    const s = this.#stream;
    this.#stream = null;
    s?.close();
    this.#done(f);
  }

  #arm(ms: number, what: string): void {
    this.#disarm();
    this.#timer = this.#p.setTimer(ms, () => {
      this.#timer = null;
      this.#finish({ result: FumoResult.RequestTimeout, retry: true, detail: `${what} timeout after ${ms} ms` });
    });
  }

  #disarm(): void {
    if (this.#timer !== null) {
      this.#p.clearTimer(this.#timer);
      this.#timer = null;
    }
  }
}

function classifyNetError(e: PlatformError): Fail {
  if (e.code === 'ECERT' || e.code === 'ETLS') return { result: FumoResult.AuthenticationFailure, retry: false, detail: `TLS: ${e.message}` };
  if (RETRYABLE_CONNECT.has(e.code)) return { result: FumoResult.ServerUnavailable, retry: true, detail: e.message };
  if (e.code === 'ETIMEDOUT') return { result: FumoResult.RequestTimeout, retry: true, detail: e.message };
  return { result: FumoResult.NetworkIssues, retry: true, detail: e.message };
}

/** Classifies a non-2xx, non-redirect HTTP status. */
function classifyStatus(status: number): Fail {
  const d = `HTTP ${status}`;
  if (status === 401 || status === 403 || status === 407) return { result: FumoResult.AuthenticationFailure, retry: false, detail: d };
  if (status === 404 || status === 410) return { result: FumoResult.BadUrl, retry: false, detail: d };
  if (status === 408) return { result: FumoResult.RequestTimeout, retry: true, detail: d };
  if (status === 429 || status === 503) return { result: FumoResult.ServerUnavailable, retry: true, detail: d };
  if (status >= 500) return { result: FumoResult.ServerError, retry: true, detail: d };
  return { result: FumoResult.UndefinedError, retry: false, detail: d };
}

/** Parses `Content-Range: bytes a-b/total` (total may be `*`). */
function parseContentRange(v: string | undefined): { start: number; end: number; total: number | null } | null {
  const m = v === undefined ? null : /^bytes\s+([0-9]{1,15})-([0-9]{1,15})\/([0-9]{1,15}|\*)$/i.exec(v.trim());
  if (!m) return null;
  const start = parseInt(m[1]!, 10);
  const end = parseInt(m[2]!, 10);
  const total = m[3] === '*' ? null : parseInt(m[3]!, 10);
  if (end < start || (total !== null && end >= total)) return null;
  return { start, end, total };
}

function contentLength(h: ReadonlyMap<string, string>): number | null {
  const v = h.get('content-length');
  return v !== undefined && /^[0-9]{1,15}$/.test(v) ? parseInt(v, 10) : null;
}

/** How a `post` ended. */
export interface PostOutcome {
  /** A 2xx answer arrived. */
  delivered: boolean;
  /** HTTP status of the last attempt (0: no response). */
  status: number;
  /** Attempts made. */
  attempts: number;
  /** Diagnostic text of the last failure ('' when delivered). */
  detail: string;
}

/** True when `url` can be used for a request: http(s), and a path `buildRequest` accepts. */
export function usableRequestUrl(url: string): boolean {
  const u = parseUrl(url);
  return u !== null && /^\/[\x21-\x7e]*$/.test(u.path);
}

/**
 * Downloads packages and small documents, one at a time (`get`, `fetchSmall`), and posts small
 * reports (`post`: DLOTA status reports) on a channel of their own, so a report never disturbs a
 * download and the other way round.
 */
export class Downloader {
  readonly limits: DownloaderLimits;
  readonly #p: Platform;
  readonly #ua: string;
  readonly #parser: HttpResponseParser;
  /** In-memory documents (descriptor, sidecar): `maxDocumentBytes`, allocated once. */
  readonly #doc: Uint8Array;
  #ex: Exchange | null = null;
  #timer: TimerHandle | null = null;
  /** Generation of the running operation (a cancelled one's callbacks are ignored). */
  #gen = 0;
  /** Requests sent (diagnostics and tests). */
  requests = 0;
  /** The post channel: its exchange, back-off timer, generation and (lazy) response parser. */
  #postEx: Exchange | null = null;
  #postTimer: TimerHandle | null = null;
  #postGen = 0;
  #postParser: HttpResponseParser | null = null;

  constructor(platform: Platform, opts: { limits?: Partial<DownloaderLimits>; userAgent?: string } = {}) {
    this.#p = platform;
    this.limits = checkDownloaderLimits(opts.limits);
    this.#ua = opts.userAgent ?? 'omadm-fumo/1.0';
    this.#parser = new HttpResponseParser({ maxHeaderBytes: this.limits.maxHeaderBytes, maxBody: 16, maxHeaders: 64 });
    this.#doc = new Uint8Array(this.limits.maxDocumentBytes);
  }

  /** True while a download, fetch or post (including a post's back-off wait) runs. */
  get busy(): boolean {
    return this.#ex !== null || this.#timer !== null || this.#postEx !== null || this.#postTimer !== null;
  }

  /** True while a post (or its back-off wait) runs. */
  get posting(): boolean {
    return this.#postEx !== null || this.#postTimer !== null;
  }

  /** Stops the running post; its callback is never called. */
  cancelPost(): void {
    this.#postGen++;
    this.#postEx?.cancel();
    this.#postEx = null;
    if (this.#postTimer !== null) {
      this.#p.clearTimer(this.#postTimer);
      this.#postTimer = null;
    }
  }

  /**
   * POSTs `body` (Content-Type `type`) to `url` until a 2xx answers, at most `1 + maxRetries`
   * attempts with the download back-off (`retryDelayMs` doubling to `maxRetryDelayMs`); any
   * non-2xx answer or network failure counts as a failed attempt, redirects are not followed. The
   * response body is discarded. `onAttempt` after every attempt (true = delivered), `done` once at
   * the end. A new `post` replaces a running one (whose callbacks are never called). The response
   * parser (`maxHeaderBytes`) is allocated on the first post.
   */
  post(url: string, type: string, body: Uint8Array, done: (r: PostOutcome) => void, onAttempt?: (delivered: boolean) => void): void {
    this.cancelPost();
    const gen = this.#postGen;
    const u = parseUrl(url);
    let attempts = 0;
    const end = (r: PostOutcome): void => {
      if (gen !== this.#postGen) return;
      this.#postEx = null;
      done(r);
    };
    if (!u || !usableRequestUrl(url)) {
      this.#postLater(gen, () => end({ delivered: false, status: 0, attempts: 0, detail: `not a usable http(s) URL: ${url.slice(0, 80)}` }));
      return;
    }
    const parser = (this.#postParser ??= new HttpResponseParser({ maxHeaderBytes: this.limits.maxHeaderBytes, maxBody: 16, maxHeaders: 64 }));
    const attempt = (): void => {
      attempts++;
      const ex = new Exchange(this.#p, this.limits, parser);
      this.#postEx = ex;
      this.requests++;
      let status = 0;
      ex.run(u, [['Content-Type', type]], this.#ua, (s) => {
        status = s;
        return s >= 200 && s < 300 ? null : { result: 0, retry: true, detail: `HTTP ${s}` };
      }, (f) => {
        if (gen !== this.#postGen) return;
        this.#postEx = null;
        const ok = f === null && status >= 200 && status < 300;
        onAttempt?.(ok);
        if (gen !== this.#postGen) return; // onAttempt started another post or cancelled this one
        if (ok) { end({ delivered: true, status, attempts, detail: '' }); return; }
        const detail = f ? f.detail : `HTTP ${status}`;
        if (attempts > this.limits.maxRetries) { end({ delivered: false, status, attempts, detail }); return; }
        const delay = Math.min(this.limits.maxRetryDelayMs, this.limits.retryDelayMs * 2 ** (attempts - 1));
        this.#p.log('warn', 'report post failed; retrying', { detail, delayMs: delay, attempt: attempts });
        this.#postLater(gen, attempt, delay);
      }, 'POST', body);
    };
    attempt();
  }

  #postLater(gen: number, f: () => void, ms = 0): void {
    this.#postTimer = this.#p.setTimer(ms, () => {
      this.#postTimer = null;
      if (gen === this.#postGen) f();
    });
  }

  /** Stops the running operation; its callback is never called. */
  cancel(): void {
    this.#gen++;
    this.#ex?.cancel();
    this.#ex = null;
    if (this.#timer !== null) {
      this.#p.clearTimer(this.#timer);
      this.#timer = null;
    }
  }

  /**
   * Downloads `url` into `target` from `o.from`; `done` is called once (later, from the host loop).
   * With `o.allowDescriptor`, an answer of type `application/vnd.oma.dd+xml` is collected (up to
   * `maxDocumentBytes`) and returned as `outcome.descriptor` instead of being streamed.
   */
  get(url: string, o: GetOptions, target: DownloadTarget, done: (r: DownloadOutcome) => void): void {
    this.cancel();
    const gen = this.#gen;
    let cur = parseUrl(url);
    const finish = (r: DownloadOutcome): void => {
      if (gen !== this.#gen) return;
      this.#ex = null;
      done(r);
    };
    if (!cur) {
      this.#later(() => finish({ result: FumoResult.BadUrl, total: 0, detail: `not an http(s) URL: ${url.slice(0, 80)}` }));
      return;
    }
    let pos = o.from;
    let redirects = 0;
    let fails = 0;
    let total: number | null = null;
    let docBody: Uint8Array | null = null;
    let docLen = 0;
    const attempt = (): void => {
      const startPos = pos;
      const ex = new Exchange(this.#p, this.limits, this.#parser);
      this.#ex = ex;
      this.requests++;
      const headers: [string, string][] = pos > 0 ? [['Range', `bytes=${pos}-`]] : [];
      let redirectTo: ParsedUrl | null = null;
      let streamed = false;
      ex.run(cur!, headers, this.#ua, (status, h) => {
        if (status >= 300 && status < 400 && status !== 304) {
          const loc = h.get('location');
          const next = loc ? resolveUrl(cur!, loc) : null;
          if (!next) return { result: FumoResult.ServerError, retry: false, detail: `HTTP ${status} without a usable Location` };
          if (++redirects > this.limits.maxRedirects) return { result: FumoResult.ServerError, retry: false, detail: `more than ${this.limits.maxRedirects} redirects` };
          redirectTo = next;
          return null;
        }
        if (status === 416) {
          // Range not satisfiable: the server has no byte at `pos`. Done when that is the end.
          const cr = /\/([0-9]{1,15})\s*$/.exec(h.get('content-range') ?? '');
          const t = cr ? parseInt(cr[1]!, 10) : null;
          if (pos > 0 && t !== null && t === pos && (total === null || total === t)) { total = t; return null; }
          if (pos > 0 && t !== null && total !== null && t !== total) {
            return { result: FumoResult.CorruptedPackage, retry: false, detail: `server announced ${total} bytes, now ${t}` };
          }
          if (pos > 0) { pos = 0; return { result: 0, retry: true, detail: 'HTTP 416: restarting from 0' }; }
          return classifyStatus(status);
        }
        if (status !== 200 && status !== 206) return classifyStatus(status);
        if (o.allowDescriptor && pos === 0 && status === 200 && mediaType(h.get('content-type')) === DD_MEDIA_TYPE) {
          const cl = contentLength(h);
          if (cl !== null && cl > this.limits.maxDocumentBytes) return { result: FumoResult.PackageNotAcceptable, retry: false, detail: 'download descriptor too large' };
          docBody = this.#doc;
          docLen = 0;
          return (c) => {
            if (docLen + c.length > docBody!.length) return { result: FumoResult.PackageNotAcceptable, retry: false, detail: 'download descriptor too large' };
            docBody!.set(c, docLen);
            docLen += c.length;
            return null;
          };
        }
        let from = 0;
        let t: number | null = null;
        if (status === 206) {
          const cr = parseContentRange(h.get('content-range'));
          if (!cr || cr.start !== pos) {
            // A range we did not ask for: start over without Range.
            pos = 0;
            return { result: 0, retry: true, detail: `unexpected Content-Range ${h.get('content-range') ?? '(none)'}` };
          }
          from = cr.start;
          t = cr.total;
          if (t === null) { const cl = contentLength(h); if (cl !== null) t = from + cl; }
        } else {
          const cl = contentLength(h);
          t = cl;
        }
        if (t !== null && o.expectedSize !== null && t !== o.expectedSize) {
          return { result: FumoResult.CorruptedPackage, retry: false, detail: `server announces ${t} bytes, expected ${o.expectedSize}` };
        }
        if (t !== null && total !== null && t !== total) {
          // the package changed between two attempts (or the server lied about its length)
          return { result: FumoResult.CorruptedPackage, retry: false, detail: `server announced ${total} bytes, now ${t}` };
        }
        total = t;
        pos = from;
        const st = target.start(from, t);
        if (st !== 0) return { result: st, retry: false, detail: 'refused by the target' };
        streamed = true;
        return (c) => {
          if (total !== null && pos + c.length > total) return { result: FumoResult.CorruptedPackage, retry: false, detail: 'more bytes than announced' };
          if (o.expectedSize !== null && pos + c.length > o.expectedSize) return { result: FumoResult.CorruptedPackage, retry: false, detail: `more than the expected ${o.expectedSize} bytes` };
          const r = target.data(c);
          pos += c.length;
          return r === 0 ? null : { result: r, retry: false, detail: 'refused by the target' };
        };
      }, (f) => {
        if (gen !== this.#gen) return;
        this.#ex = null;
        if (f === null && redirectTo) {
          cur = redirectTo;
          attempt();
          return;
        }
        if (f === null && docBody) {
          finish({ result: FumoResult.Successful, total: docLen, detail: 'download descriptor', descriptor: { url: formatUrlOf(cur!), body: docBody.slice(0, docLen) } });
          return;
        }
        if (f === null) {
          if (!streamed && total === pos && pos > 0) { finish({ result: FumoResult.Successful, total: pos, detail: 'already complete (416)' }); return; }
          const want = total ?? o.expectedSize;
          if (want !== null && pos !== want) {
            f = { result: FumoResult.NetworkIssues, retry: true, detail: `body ended at ${pos} of ${want} bytes` };
          } else {
            finish({ result: FumoResult.Successful, total: pos, detail: 'complete' });
            return;
          }
        }
        if (!f.retry) { finish({ result: f.result, total: pos, detail: f.detail }); return; }
        if (pos > startPos) fails = 0; // progress was made: the retry budget starts over
        if (f.result === 0) {
          // a protocol hiccup that asks for an immediate fresh request (counted, not delayed)
          if (++fails > this.limits.maxRetries) { finish({ result: FumoResult.ServerError, total: pos, detail: f.detail }); return; }
          this.#later(attempt);
          return;
        }
        if (++fails > this.limits.maxRetries) { finish({ result: f.result, total: pos, detail: f.detail }); return; }
        const delay = Math.min(this.limits.maxRetryDelayMs, this.limits.retryDelayMs * 2 ** (fails - 1));
        this.#p.log('warn', 'fumo download attempt failed; retrying', { detail: f.detail, at: pos, delayMs: delay, attempt: fails });
        this.#later(attempt, delay);
      });
    };
    attempt();
  }

  /**
   * Fetches a small document (hash sidecar) into memory. `done` once: result 200 with the body,
   * or the FUMO failure (411 for 404/410). No retries.
   */
  fetchSmall(url: string, done: (r: SmallFetch) => void): void {
    this.cancel();
    const gen = this.#gen;
    const u = parseUrl(url);
    const out = (r: SmallFetch): void => {
      if (gen !== this.#gen) return;
      this.#ex = null;
      done(r);
    };
    if (!u) {
      this.#later(() => out({ result: FumoResult.BadUrl, status: 0, body: new Uint8Array(0), type: '' }));
      return;
    }
    let cur: ParsedUrl = u;
    let redirects = 0;
    const go = (): void => {
      const ex = new Exchange(this.#p, this.limits, this.#parser);
      this.#ex = ex;
      this.requests++;
      const buf = this.#doc;
      let n = 0;
      let status = 0;
      let type = '';
      let next: ParsedUrl | null = null;
      ex.run(cur, [], this.#ua, (s, h) => {
        status = s;
        type = mediaType(h.get('content-type'));
        if (s >= 300 && s < 400 && s !== 304) {
          const loc = h.get('location');
          next = loc ? resolveUrl(cur, loc) : null;
          if (!next || ++redirects > this.limits.maxRedirects) return { result: FumoResult.ServerError, retry: false, detail: 'bad redirect' };
          return null;
        }
        if (s < 200 || s >= 300) return classifyStatus(s);
        return (c) => {
          if (n + c.length > buf.length) return { result: FumoResult.PackageNotAcceptable, retry: false, detail: 'document too large' };
          buf.set(c, n);
          n += c.length;
          return null;
        };
      }, (f) => {
        if (gen !== this.#gen) return;
        if (f === null && next) { cur = next; go(); return; }
        out({ result: f ? f.result : FumoResult.Successful, status, body: buf.slice(0, n), type });
      });
    };
    go();
  }

  #later(f: () => void, ms = 0): void {
    const gen = this.#gen;
    this.#timer = this.#p.setTimer(ms, () => {
      this.#timer = null;
      if (gen === this.#gen) f();
    });
  }
}

function formatUrlOf(u: ParsedUrl): string {
  const h = u.host.includes(':') ? `[${u.host}]` : u.host;
  const def = u.scheme === 'https' ? 443 : 80;
  return `${u.scheme}://${h}${u.port === def ? '' : `:${u.port}`}${u.path}`;
}
