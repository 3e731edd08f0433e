/**
 * The scriptable loopback DM test server, portable part: one HTTP request in, one HTTP response out.
 *
 * It checks the HTTP envelope (method, Content-Type, size), decodes the DM message, finds or creates
 * the session (keyed by the client's Source/LocURI and SessionID), applies the script's fault
 * behaviours, lets the session answer, and records every message in the session record as readable
 * XML with secrets redacted. It never touches sockets or timers: the host (target/node/server.ts)
 * does, following the directives in the response (`delayMs`, `drop`, `truncate`).
 *
 * Not for device images: a test tool (design.md, "never bundled into device images").
 */
import { DecodeError } from '../errors';
import { MessageDecoder, encodingOfContentType } from '../codec/decode';
import type { DmVersion, Encoding, Message } from '../codec/model';
import { transcode } from '../codec/transcode';
import { b64encode } from '../crypto/base64';
import { utf8Decode, utf8Encode } from '../util/utf8';
import { HMAC_HEADER, contentTypeOf } from './http';
import type { HttpRequest, HttpResponse } from './http';
import type { ServerLimits } from './limits';
import { checkServerLimits } from './limits';
import type { MessageRecord, SessionRecord, ServerEvent } from './record';
import { newSessionRecord, pushBounded, redactHeaders, redactXml } from './record';
import type { Faults, Script } from './script';
import { ServerSession } from './ServerSession';
import type { SessionContext, SessionReply } from './ServerSession';
import type { ServerStateData } from './state';
import { emptyState } from './state';

/** Options of a DmServer. */
export interface DmServerOptions {
  /** Server clock in ms (record timestamps, idle timeouts). Default `Date.now`. */
  now?: () => number;
  /**
   * Fills `out` with unpredictable bytes (nonces). Default: Math.random, which is fine for a
   * loopback test server and nothing else; the Node host passes crypto.randomFillSync.
   */
  randomFill?: (out: Uint8Array) => void;
  /** Nonce state to start from (e.g. loaded from a JSON file). Default: empty. The object is updated in place. */
  state?: ServerStateData;
  /** Bounds (defaults in limits.ts). */
  limits?: Partial<ServerLimits>;
  /** Called for every message recorded (in and out); `session` is null for requests outside any session. */
  onMessage?: (msg: MessageRecord, session: SessionRecord | null) => void;
  /** Called once when a session ends. */
  onSessionEnd?: (rec: SessionRecord) => void;
  /** Called after the nonce state changed (the Node host saves it). */
  onStateChange?: (state: ServerStateData) => void;
}

/** Which fault set applies to one response. */
interface ActiveFault {
  faults: Faults;
  /** 'script' or the package index. */
  scope: 'script' | number;
}

const TEXT_PLAIN = 'text/plain; charset=utf-8';

export class DmServer {
  readonly script: Script;
  readonly limits: ServerLimits;
  readonly #now: () => number;
  readonly #random: (out: Uint8Array) => void;
  readonly #state: ServerStateData;
  readonly #opts: DmServerOptions;
  readonly #decoder: MessageDecoder;
  readonly #ctx: SessionContext;
  /** Live sessions and finished ones still kept, by key. */
  readonly #byKey = new Map<string, ServerSession>();
  /** Every kept session in creation order. */
  readonly #all: ServerSession[] = [];
  readonly #events: ServerEvent[] = [];
  #created = 0;
  /** Responses the script-level faults have applied to. */
  #scriptFaultUses = 0;

  constructor(script: Script, opts: DmServerOptions = {}) {
    if (typeof script !== 'object' || script === null || !Array.isArray(script.packages)) {
      throw new TypeError('DmServer: script must be a validated Script (see parseScript)');
    }
    this.script = script;
    this.limits = checkServerLimits(opts.limits);
    this.#now = opts.now ?? Date.now;
    this.#random = opts.randomFill ?? mathRandomFill;
    this.#state = opts.state ?? emptyState();
    this.#opts = opts;
    this.#decoder = new MessageDecoder({
      maxMsgSize: this.limits.maxInMsgSize, maxObjSize: this.limits.maxObjSize,
      maxCmdsPerMsg: this.limits.maxCmdsPerMsg, maxItemsPerCmd: this.limits.maxItemsPerCmd,
    });
    const self = this;
    this.#ctx = {
      script,
      limits: this.limits,
      state: this.#state,
      now: () => self.#now(),
      newNonce: () => {
        const b = new Uint8Array(16);
        self.#random(b);
        return b64encode(b);
      },
      stateChanged: () => self.#opts.onStateChange?.(self.#state),
      ended: (rec) => self.#opts.onSessionEnd?.(rec),
    };
  }

  /** The nonce state (live object; JSON-able). */
  state(): ServerStateData {
    return this.#state;
  }

  /** Records of the kept sessions, oldest first (live objects: copy before mutating). */
  sessions(): SessionRecord[] {
    return this.#all.map((s) => s.record);
  }

  /** Requests that belonged to no session (bad method, wrong Content-Type, undecodable body...). */
  events(): ServerEvent[] {
    return this.#events.slice();
  }

  /** Ends sessions idle for longer than `limits.sessionTimeoutMs` (outcome 'timed-out'). Call it now and then. */
  tick(now: number = this.#now()): void {
    for (const s of this.#all) {
      if (!s.ended && now - s.lastActivity > this.limits.sessionTimeoutMs) s.end('timed-out');
    }
  }

  /**
   * Records a request the host refused before it reached `handle` (e.g. 413 for a body over the
   * host's limit: `req.body` may then be empty) as a server event.
   */
  noteRefused(req: HttpRequest, status: number, reason: string): void {
    this.#refuse(req, status, reason);
  }

  /** Handles one HTTP request. Never throws for anything the client sends. */
  handle(req: HttpRequest): HttpResponse {
    const method = req.method.toUpperCase();
    if (method !== 'POST') return this.#refuse(req, 405, `method ${method} not allowed: DM messages are POSTed`, { allow: 'POST' });
    if (req.body.length > this.limits.maxInMsgSize) return this.#refuse(req, 413, `body of ${req.body.length} bytes exceeds ${this.limits.maxInMsgSize}`);
    const ct = req.headers['content-type'] ?? '';
    const ctEnc = encodingOfContentType(ct);
    if (ctEnc === null) return this.#refuse(req, 415, `Content-Type ${JSON.stringify(ct)} is not a DM message type`);
    if (req.body.length === 0) return this.#refuse(req, 400, 'empty body');
    let m: Message;
    try {
      m = this.#decoder.decode(req.body);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      return this.#refuse(req, 400, `undecodable DM message: ${e.message}`);
    }
    const session = this.#session(m);
    const rec = session.record;
    const inRec = this.#messageRecord('in', req.body, factsOf(m), { method, url: req.url, headers: redactHeaders(req.headers) });
    if (m.encoding !== ctEnc) {
      session.fail(`Content-Type says ${ctEnc} but the body is ${m.encoding}`, null, m.hdr.msgId);
    }

    // faults that answer without processing
    const active = this.#activeFault(session, m);
    const f = active?.faults;
    if (f && (f.dropAfterRequest || f.httpStatus !== null || f.redirect !== null)) {
      this.#consume(session, active!);
      let resp: HttpResponse;
      if (f.dropAfterRequest) {
        inRec.fault = 'dropAfterRequest';
        resp = this.#response(0, {}, new Uint8Array(0), rec);
        resp.drop = true;
      } else if (f.httpStatus !== null) {
        inRec.fault = `httpStatus ${f.httpStatus}`;
        resp = this.#response(f.httpStatus, { 'content-type': TEXT_PLAIN }, utf8Encode(`fault: HTTP ${f.httpStatus}\n`), rec);
      } else {
        const r = f.redirect!;
        const location = r.loop ? loopLocation(req.url) : resolveUrl(req.url, r.location!);
        inRec.fault = `redirect ${r.status} ${location}`;
        resp = this.#response(r.status, { location, 'content-type': TEXT_PLAIN }, utf8Encode(`moved to ${location}\n`), rec);
      }
      resp.delayMs = f.delayMs;
      this.#record(session, inRec);
      const outRec: MessageRecord = { dir: 'out', at: this.#now(), msgId: null, encoding: null, version: null, length: resp.body.length, final: false, http: { status: resp.status, headers: resp.headers }, xml: null };
      if (inRec.fault !== undefined) outRec.fault = inRec.fault;
      if (!resp.drop) this.#record(session, outRec);
      return resp;
    }

    this.#record(session, inRec);
    let reply: SessionReply;
    try {
      reply = session.receive(m, req);
    } catch (e) {
      // a server bug or an impossible limit must not kill the host: answer 500 and record it
      session.fail(`server error: ${(e as Error).message}`, null, m.hdr.msgId);
      return this.#response(500, { 'content-type': TEXT_PLAIN }, utf8Encode(`server error: ${(e as Error).message}\n`), rec);
    }
    const headers: Record<string, string> = { 'content-type': contentTypeOf(reply.encoding), 'cache-control': 'no-store', ...reply.headers };
    const resp = this.#response(200, headers, reply.body, rec);
    const outRec = this.#messageRecord('out', reply.body, { msgId: reply.msgId, encoding: reply.encoding, version: reply.version, final: reply.final }, { status: 200, headers });
    if (reply.retransmission) outRec.fault = 'retransmission: repeated the previous answer';
    if (f) {
      this.#consume(session, active!);
      const notes: string[] = [];
      if (f.delayMs > 0) { resp.delayMs = f.delayMs; notes.push(`delayMs ${f.delayMs}`); }
      if (f.wrongContentType !== null) { headers['content-type'] = f.wrongContentType; notes.push(`wrongContentType ${f.wrongContentType}`); }
      if (f.corruptHmac && headers[HMAC_HEADER] !== undefined) { headers[HMAC_HEADER] = corruptMac(headers[HMAC_HEADER]); notes.push('corruptHmac'); }
      if (f.truncateBody !== null) {
        resp.truncate = { bytes: Math.min(f.truncateBody.bytes, reply.body.length), close: f.truncateBody.close };
        notes.push(`truncateBody ${resp.truncate.bytes}/${reply.body.length}${f.truncateBody.close ? ' then close' : ''}`);
      }
      if (notes.length > 0) outRec.fault = notes.join(', ');
    }
    outRec.http.headers = { ...headers };
    this.#record(session, outRec);
    return resp;
  }

  // ------------------------------------------------------------------------------------------

  #session(m: Message): ServerSession {
    const key = `${m.hdr.source}\u0000${m.hdr.sessionId}`;
    const old = this.#byKey.get(key);
    // a finished session restarts when the client begins again (Alert 1200/1201), e.g. after a
    // version fallback; auth failures stay refused
    if (old && !(old.ended && !old.refusesRestart && startsSession(m))) return old;
    this.#evict();
    const rec = newSessionRecord(++this.#created, m.hdr.sessionId, m.hdr.source, this.script.serverId, this.#now(), this.script.name);
    const s = new ServerSession(this.#ctx, rec, key);
    this.#byKey.set(key, s);
    this.#all.push(s);
    return s;
  }

  /** Keeps at most maxSessions: drops the oldest finished session, else ends and drops the oldest one. */
  #evict(): void {
    if (this.#all.length < this.limits.maxSessions) return;
    let i = this.#all.findIndex((s) => s.ended);
    if (i < 0) {
      i = 0;
      this.#all[0]!.end('evicted');
    }
    const [s] = this.#all.splice(i, 1);
    if (s && this.#byKey.get(s.key) === s) this.#byKey.delete(s.key);
  }

  #activeFault(session: ServerSession, m: Message): ActiveFault | null {
    const idx = session.peekPackage(m);
    const pf = this.script.packages[idx]?.faults;
    if (pf && (session.faultUses.get(idx) ?? 0) < timesOf(pf)) return { faults: pf, scope: idx };
    const sf = this.script.faults;
    if (sf && this.#scriptFaultUses < timesOf(sf)) return { faults: sf, scope: 'script' };
    return null;
  }

  #consume(session: ServerSession, a: ActiveFault): void {
    if (a.scope === 'script') this.#scriptFaultUses++;
    else session.faultUses.set(a.scope, (session.faultUses.get(a.scope) ?? 0) + 1);
  }

  #response(status: number, headers: Record<string, string>, body: Uint8Array, session: SessionRecord | null): HttpResponse {
    return { status, headers, body, delayMs: 0, drop: false, truncate: null, session };
  }

  /** An HTTP-level refusal outside any session (recorded as a server event). */
  #refuse(req: HttpRequest, status: number, why: string, extra: Record<string, string> = {}): HttpResponse {
    const msg = this.#messageRecord('in', req.body, null, { method: req.method, url: req.url, headers: redactHeaders(req.headers) });
    msg.error = `HTTP ${status}: ${why}`;
    if (this.#events.length >= this.limits.maxEvents) this.#events.shift();
    this.#events.push({ at: this.#now(), message: msg });
    this.#opts.onMessage?.(msg, null);
    return this.#response(status, { 'content-type': TEXT_PLAIN, ...extra }, utf8Encode(why + '\n'), null);
  }

  #record(session: ServerSession, msg: MessageRecord): void {
    pushBounded(session.record, session.record.messages, msg, this.limits.maxRecordEntries);
    this.#opts.onMessage?.(msg, session.record);
  }

  /** A message record: the XML transcript (Cred Data redacted) and the header facts. */
  #messageRecord(dir: 'in' | 'out', body: Uint8Array, info: MessageFacts | null, http: MessageRecord['http']): MessageRecord {
    const rec: MessageRecord = {
      dir, at: this.#now(), msgId: info?.msgId ?? null, encoding: info?.encoding ?? null, version: info?.version ?? null,
      length: body.length, final: info?.final ?? false, http, xml: null,
    };
    if (body.length > 0) {
      try {
        rec.xml = redactXml(utf8Decode(transcode(body, { to: 'xml', indent: true })));
      } catch (e) {
        rec.error = (e as Error).message;
      }
    }
    return rec;
  }
}

/** What a record states about a message. */
interface MessageFacts {
  msgId: string;
  encoding: Encoding;
  version: DmVersion;
  final: boolean;
}

function factsOf(m: Message): MessageFacts {
  return { msgId: m.hdr.msgId, encoding: m.encoding, version: m.version, final: m.final };
}

// ------------------------------------------------------------------------------------------------

function timesOf(f: Faults): number {
  return f.redirect?.loop ? Infinity : f.times;
}

function startsSession(m: Message): boolean {
  return m.body.some((c) => c.name === 'Alert' && /^\s*120[01]\s*$/.test(c.data?.text() ?? ''));
}

function originOf(url: string): string {
  const o = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]+/.exec(url);
  return o ? o[0] : '';
}

function pathOf(url: string): string {
  const p = url.slice(originOf(url).length);
  return p === '' ? '/' : p;
}

/** `location` as an absolute URL (paths are resolved against the request's origin). */
function resolveUrl(requestUrl: string, location: string): string {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(location)) return location;
  return originOf(requestUrl) + (location.startsWith('/') ? location : '/' + location);
}

/** The other end of the redirect loop. */
function loopLocation(requestUrl: string): string {
  const path = pathOf(requestUrl).replace(/[?#].*$/, '');
  return originOf(requestUrl) + (path.endsWith('/loop-a') ? '/loop-b' : '/loop-a');
}

/** Flips the first character of the mac parameter. */
function corruptMac(header: string): string {
  return header.replace(/(mac=)(.)/, (_all, p: string, c: string) => p + (c === 'A' ? 'B' : 'A'));
}

function mathRandomFill(out: Uint8Array): void {
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(Math.random() * 256);
}

