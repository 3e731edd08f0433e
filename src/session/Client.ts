/**
 * The session driver: carries the Session's messages over HTTP(S) on the platform's byte streams,
 * with keep-alive, bounded redirects, connect/response timeouts, and the delivery retry policy of
 * the account (ConnRetryFreq with exponential back-off from InitialBackOffTime, capped by
 * MaxBackOffTime; retries of the first package in DM 1.1.2 unless BackCompatRetryDisabled — the
 * Windows DMAcc model, facts sheet §9.3). Portable: timers and sockets come from the Platform.
 */
import type { ByteStream, Platform, UiAnswer } from '../platform';
import { PlatformError } from '../platform';
import { DecodeError } from '../errors';
import type { DmVersion } from '../codec/model';
import { HttpResponseParser, buildRequest, formatUrl, parseUrl, resolveUrl } from './http';
import type { ParsedUrl } from './http';
import { Session } from './Session';
import type { IncomingMessage, OutgoingMessage, SessionConfig, SessionHooks, SessionResult, SessionStep } from './Session';

/** Delivery retry policy (DMAcc Ext values). */
export interface RetryPolicy {
  /** Retries of a failed delivery of package 1 (0 = none). Default 3. */
  connRetryFreq: number;
  /** First wait, ms; doubles each retry. Default 16000. */
  initialBackOffMs: number;
  /** Cap on the wait, ms. Default 86 400 000. */
  maxBackOffMs: number;
  /** When false, retries of a DM 1.2 package 1 are sent as DM 1.1.2 (and a 505/513 refusal restarts as 1.1.2). Default false. */
  backCompatRetryDisabled: boolean;
}

export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({
  connRetryFreq: 3, initialBackOffMs: 16000, maxBackOffMs: 86_400_000, backCompatRetryDisabled: false,
});

export interface ClientLimits {
  /** Connect + TLS handshake, ms. */
  connectTimeoutMs: number;
  /** From the end of the request to the end of the response, ms. */
  responseTimeoutMs: number;
  /** Redirects followed for one message. */
  maxRedirects: number;
  /** Largest response body (should be ≥ the MaxMsgSize we advertise). */
  maxResponseBody: number;
}

export const DEFAULT_CLIENT_LIMITS: Readonly<ClientLimits> = Object.freeze({
  connectTimeoutMs: 30000, responseTimeoutMs: 60000, maxRedirects: 5, maxResponseBody: 16384 + 1024,
});

/** A transport failure of one exchange. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  /** 'connect', 'timeout', 'reset', 'http-status', 'http-framing', 'redirect-loop', 'bad-url', 'tls'. */
  readonly kind: string;
  readonly code: string;
  constructor(kind: string, code: string, message: string) {
    super(message);
    this.kind = kind;
    this.code = code;
  }
}

/** Trace of every message exchanged (for transcripts and `omadm trace`). */
export interface TraceEntry {
  dir: 'out' | 'in';
  url: string;
  contentType: string;
  headers: [string, string][];
  body: Uint8Array;
  /** HTTP status for 'in'. */
  status?: number;
}

export interface ClientOptions {
  platform: Platform;
  limits?: Partial<ClientLimits>;
  userAgent?: string;
  /** Called for every message sent and received (bodies are copies). */
  onTrace?: (e: TraceEntry) => void;
}

interface Conn {
  key: string;
  stream: ByteStream;
  open: boolean;
  closed: boolean;
  /** Pending response handling. */
  onData: ((b: Uint8Array) => void) | null;
  onClose: ((err: PlatformError | null) => void) | null;
  onOpen: (() => void) | null;
}

export class DmClient {
  readonly #p: Platform;
  readonly #lim: ClientLimits;
  readonly #ua: string;
  readonly #parser: HttpResponseParser;
  readonly #trace: ((e: TraceEntry) => void) | undefined;
  #conn: Conn | null = null;

  constructor(opts: ClientOptions) {
    this.#p = opts.platform;
    this.#lim = { ...DEFAULT_CLIENT_LIMITS, ...opts.limits };
    this.#ua = opts.userAgent ?? 'omadm/0.1';
    this.#parser = new HttpResponseParser({ maxBody: this.#lim.maxResponseBody });
    this.#trace = opts.onTrace;
  }

  /**
   * Runs one DM session to its end, with the delivery retry policy. Resolves with the session
   * result (never rejects for protocol or transport failures: they are outcomes).
   */
  async runSession(cfg: SessionConfig, hooks: SessionHooks, retry: Partial<RetryPolicy> = {}): Promise<SessionResult> {
    const pol = { ...DEFAULT_RETRY, ...retry };
    let version: DmVersion = cfg.version;
    for (let restart = 0; ; restart++) {
      const r = await this.#runOnce({ ...cfg, version }, hooks, pol);
      if (r.outcome === 'failed' && r.reason === 'version-rejected' && version === '1.2' && !pol.backCompatRetryDisabled && restart === 0) {
        hooks.log('info', 'server refused DM 1.2; starting again as DM 1.1.2');
        version = '1.1.2';
        continue;
      }
      return r;
    }
  }

  /** Closes any kept-alive connection. */
  close(): void {
    const c = this.#conn;
    this.#conn = null;
    if (c && !c.closed) c.stream.close();
  }

  async #runOnce(cfg: SessionConfig, hooks: SessionHooks, pol: RetryPolicy): Promise<SessionResult> {
    const s = new Session(cfg, hooks);
    const now = (): number => this.#p.clock.now();
    let step: SessionStep = s.start(now());
    let attempt = 0;
    for (;;) {
      if (step.kind === 'done') {
        this.close();
        return step.result;
      }
      if (step.kind === 'ui') {
        const req = step.request;
        const ui = this.#p.ui;
        const ans: UiAnswer = ui ? await new Promise<UiAnswer>((res) => ui.ask(req, res)) : { outcome: 'timeout' };
        step = s.answer(now(), ans);
        continue;
      }
      const msg = step.message;
      let resp: IncomingMessage;
      try {
        resp = await this.#exchange(msg);
      } catch (e) {
        const te = e instanceof TransportError ? e : new TransportError('reset', e instanceof PlatformError ? e.code : 'EIO', String(e));
        this.close();
        if (!msg.expectReply) return s.result!;
        // retry policy: only the first package can be retried safely (nothing executed yet)
        if (msg.msgId === 1 && attempt < pol.connRetryFreq) {
          const wait = Math.min(pol.maxBackOffMs, pol.initialBackOffMs * 2 ** attempt);
          attempt++;
          hooks.log('warn', 'package 1 delivery failed; retrying', { attempt, waitMs: wait, kind: te.kind, code: te.code });
          await this.#sleep(wait);
          const v: DmVersion = cfg.version === '1.2' && !pol.backCompatRetryDisabled ? '1.1.2' : cfg.version;
          step = s.restartAs(v, now());
          continue;
        }
        step = s.transportFailed(`transport-${te.kind}`, `${te.code}: ${te.message}`);
        continue;
      }
      if (!msg.expectReply) {
        this.close();
        return s.result!;
      }
      step = s.receive(now(), resp);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((res) => {
      this.#p.setTimer(ms, res);
    });
  }

  /** POSTs one message and returns the response (following redirects). */
  async #exchange(msg: OutgoingMessage): Promise<IncomingMessage> {
    const first = parseUrl(msg.url);
    if (!first) throw new TransportError('bad-url', 'EINVAL', `not an http(s) URL: ${msg.url}`);
    let url: ParsedUrl = first;
    this.#trace?.({ dir: 'out', url: msg.url, contentType: msg.contentType, headers: msg.headers, body: msg.body.slice() });
    for (let hop = 0; ; hop++) {
      const headers: [string, string][] = [
        ['User-Agent', this.#ua],
        ['Content-Type', msg.contentType],
        ['Accept', 'application/vnd.syncml.dm+wbxml, application/vnd.syncml.dm+xml'],
        ['Accept-Charset', 'utf-8'],
        ['Cache-Control', 'no-store'],
        ...msg.headers,
      ];
      const req = buildRequest('POST', url, headers, msg.body);
      const p = this.#parser;
      await this.#request(url, req);
      const status = p.status;
      if (status >= 300 && status < 400 && status !== 304) {
        const loc = p.headers.get('location');
        const next: ParsedUrl | null = loc !== undefined ? resolveUrl(url, loc) : null;
        if (!next) throw new TransportError('http-status', `HTTP${status}`, `redirect without a usable Location`);
        if (hop + 1 > this.#lim.maxRedirects) throw new TransportError('redirect-loop', `HTTP${status}`, `more than ${this.#lim.maxRedirects} redirects`);
        if (next.scheme === 'http' && url.scheme === 'https') throw new TransportError('http-status', `HTTP${status}`, 'refusing a redirect from https to http');
        url = next;
        continue;
      }
      if (status !== 200) throw new TransportError('http-status', `HTTP${status}`, `server answered HTTP ${status} ${p.reason}`);
      const hm = p.headers.get('x-syncml-hmac');
      const resp: IncomingMessage = { contentType: p.headers.get('content-type') ?? '', body: p.body };
      if (hm !== undefined) resp.hmac = hm;
      this.#trace?.({ dir: 'in', url: formatUrl(url), contentType: resp.contentType, headers: [...p.headers], body: p.body.slice(), status });
      return resp;
    }
  }

  /** Sends one request on a (possibly reused) connection and parses the response into #parser. */
  #request(url: ParsedUrl, req: Uint8Array): Promise<void> {
    const key = `${url.scheme}://${url.host}:${url.port}`;
    let c = this.#conn;
    if (c && (c.key !== key || c.closed)) {
      this.close();
      c = null;
    }
    const reuse = c !== null;
    return new Promise<void>((resolve, reject) => {
      const p = this.#parser;
      p.reset();
      let settled = false;
      let timer: unknown = null;
      const finish = (err: TransportError | null): void => {
        if (settled) return;
        settled = true;
        if (timer !== null) this.#p.clearTimer(timer);
        if (conn) {
          conn.onData = null;
          conn.onClose = null;
          conn.onOpen = null;
        }
        if (err) {
          this.close();
          reject(err);
        } else resolve();
      };
      const arm = (ms: number, what: string): void => {
        if (timer !== null) this.#p.clearTimer(timer);
        timer = this.#p.setTimer(ms, () => finish(new TransportError('timeout', 'ETIMEDOUT', `${what} timed out after ${ms} ms`)));
      };
      let conn: Conn;
      const onData = (b: Uint8Array): void => {
        try {
          p.push(b);
        } catch (e) {
          finish(new TransportError('http-framing', e instanceof DecodeError ? e.code : 'EPROTO', String(e)));
          return;
        }
        if (p.done) {
          const connHdr = (p.headers.get('connection') ?? '').toLowerCase();
          if (connHdr.includes('close')) {
            conn.closed = true;
            conn.stream.close();
            if (this.#conn === conn) this.#conn = null;
          }
          finish(null);
        }
      };
      const onClose = (err: PlatformError | null): void => {
        conn.closed = true;
        if (this.#conn === conn) this.#conn = null;
        if (settled) return;
        if (!err && p.untilClose) {
          p.end();
          finish(null);
          return;
        }
        const code = err?.code ?? 'ECONNRESET';
        const kind = !conn.open ? (code === 'ECERT' || code === 'ETLS' ? 'tls' : 'connect') : 'reset';
        finish(new TransportError(kind, code, err ? err.message : 'connection closed before the response was complete'));
      };
      if (reuse) {
        conn = c!;
        conn.onData = onData;
        conn.onClose = onClose;
        arm(this.#lim.responseTimeoutMs, 'response');
        conn.stream.write(req);
        return;
      }
      arm(this.#lim.connectTimeoutMs, 'connect');
      conn = { key, stream: null as unknown as ByteStream, open: false, closed: false, onData, onClose, onOpen: null };
      conn.onOpen = () => {
        conn.open = true;
        arm(this.#lim.responseTimeoutMs, 'response');
        conn.stream.write(req);
      };
      this.#conn = conn;
      const target = { host: url.host, port: url.port, tls: url.scheme === 'https', servername: url.host };
      conn.stream = this.#p.network.connect(target, {
        onOpen: () => conn.onOpen?.(),
        onData: (b) => conn.onData?.(b),
        onClose: (e) => {
          conn.closed = true;
          if (conn.onClose) conn.onClose(e);
          else if (this.#conn === conn) this.#conn = null;
        },
      });
    });
  }
}
