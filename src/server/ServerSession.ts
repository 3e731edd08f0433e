/**
 * One DM session on the server side: authentication of the client (none / basic / md5 / HMAC) and
 * of the server towards the client, the script cursor (one script package per client package),
 * splitting our packages into messages under the client's MaxMsgSize (continuing on its Alert 1222),
 * large objects both ways (MoreData chunks, Meta Size, 213), expectation checks on the statuses and
 * results the client returns, and the session end rules of [DMPRO] 2.3 (facts §9.1).
 *
 * The session is a pure function of the messages it receives: `receive()` takes one decoded
 * message and returns the bytes of the answer. HTTP, faults and recording of the wire bytes are the
 * DmServer's job.
 */
import type { Chal, Command, Cred, DmVersion, Encoding, Item, Message, Meta, OutCommand, OutHeader, OutItem, OutStatus } from '../codec/model';
import { MessageBuilder, commandSpan } from '../codec/syncml/Builder';
import { WbxmlWriter } from '../codec/wbxml/Writer';
import { XmlWriter, isUtf8 } from '../codec/xml/Writer';
import { b64decode, b64encode } from '../crypto/base64';
import { AlertCode } from '../status';
import { asciiBytes, bytesEqual, concatBytes } from '../util/bytes';
import { utf8Decode, utf8Encode } from '../util/utf8';
import { AUTH_TYPES, basicCredential, formatHmacHeader, hmacMac, md5Credential, parseBasicCredential, parseHmacHeader, safeEqual, schemeOfType } from './auth';
import type { AuthScheme } from './auth';
import { HMAC_HEADER } from './http';
import type { HttpRequest } from './http';
import type { ServerLimits } from './limits';
import type { AlertRecord, AuthEvent, Outcome, ResultValue, SessionRecord, StatusRecord } from './record';
import { pushBounded } from './record';
import type { ScriptCommand, Script, ScriptItem } from './script';
import type { DeviceState, ServerStateData } from './state';
import { deviceState } from './state';

/** What a session borrows from its DmServer. */
export interface SessionContext {
  readonly script: Script;
  readonly limits: ServerLimits;
  readonly state: ServerStateData;
  /** Server clock, ms. */
  now(): number;
  /** A fresh unpredictable nonce (Base64 of 16 bytes). */
  newNonce(): string;
  /** Called after the state object changed (nonces). */
  stateChanged(): void;
  /** Called once when the session ends. */
  ended(rec: SessionRecord): void;
}

/** The answer to one message. */
export interface SessionReply {
  body: Uint8Array;
  encoding: Encoding;
  version: DmVersion;
  /** Extra HTTP headers (x-syncml-hmac). */
  headers: Record<string, string>;
  final: boolean;
  msgId: string;
  /** The same request arrived twice (same MsgID and bytes): this is the cached answer. */
  retransmission: boolean;
}

/** A script command waiting to be sent. */
interface OutEntry {
  cmd: ScriptCommand;
}

/** An outgoing large object being sent in chunks. */
interface ChunkOut {
  cmd: ScriptCommand;
  item: ScriptItem;
  /** The transported form (UTF-8 text, Base64 text, or raw bytes for WBXML OPAQUE). */
  payload: Uint8Array;
  /** Chunks are written as text (else as OPAQUE bytes). */
  text: boolean;
  /** Item Meta to repeat on every chunk (Size only on the first). */
  meta: Meta;
  /** Meta Size of the first chunk. */
  declared: number;
  /** Next byte to send. */
  offset: number;
  /** Chunks sent so far. */
  sent: number;
}

/** A command we sent and whose Status (and Results) we wait for. */
interface SentCmd {
  msgId: string;
  cmdId: string;
  name: string;
  targets: string[];
  /** The script command (null for generated ones such as our Alert 1222). */
  cmd: ScriptCommand | null;
  /** Alert code, for Alerts. */
  alert?: number;
  pkg: number;
  noResp: boolean;
  expect: number[] | null;
  statuses: number;
  /** Last status code received. */
  code: number;
  results: number;
  /** 1-based chunk number when this command carried one chunk of a large object. */
  chunk: number;
  lastChunk: boolean;
}

/** An incoming large object (client Results/Replace with MoreData). */
interface ChunkIn {
  uri: string;
  cmdName: string;
  parts: Uint8Array[];
  length: number;
  declared: number | null;
  meta: Meta | undefined;
  opaque: boolean;
  chunks: number;
  sent: SentCmd | null;
}

/** State at the start of a message we sent, to resend it after the client challenged our credentials. */
interface Snapshot {
  msgId: string;
  outbox: OutEntry[];
  chunk: ChunkOut | null;
  pkgDone: boolean;
}

type Phase = 'new' | 'auth' | 'open' | 'ended';

/** Result of checking the client's credentials on one message. */
interface AuthResult {
  ok: boolean;
  code: number;
  chal?: Chal;
  /** The failure limit was reached: the session ends after this answer. */
  fatal: boolean;
}

const DEFAULT_GET_TARGET = './DevInfo/DevId';

export class ServerSession {
  /** The record (live object; JSON-able). */
  readonly record: SessionRecord;
  /** Map key: device id + session id. */
  readonly key: string;
  /** Server clock of the last message. */
  lastActivity: number;

  readonly #ctx: SessionContext;
  readonly #script: Script;
  #phase: Phase = 'new';
  #version: DmVersion = '1.2';
  #enc: Encoding = 'wbxml';

  // client side of the header
  #clientTarget = '';
  #clientSource = '';
  #sessionId = '';
  #requestUrl = '';
  #lastInMsgId: number | null = null;
  #clientMaxMsg: number | null = null;
  #clientMaxObj: number | null = null;

  // our messages
  #outMsgId = 0;
  #pending: OutStatus[] = [];
  /** Generated records to send after the statuses (Alert 1225 about a broken client object). */
  #extra: OutCommand[] = [];

  // authentication
  #clientAuthed = false;
  #fail401 = 0;
  #fail407 = 0;
  #serverScheme: AuthScheme | 'none';
  #serverAuthed = false;
  #serverRetries = 0;
  /** Our message the client refused (401/407 on our SyncHdr): statuses for it are ignored. */
  #rejectedMsg: string | null = null;

  // script cursor
  #pkgIndex = -1;
  #pkgDone = true;
  #ending = false;
  #abortPkg = false;
  #outbox: OutEntry[] = [];
  #chunk: ChunkOut | null = null;
  #sent = new Map<string, SentCmd>();
  #snapshot: Snapshot | null = null;
  #incoming: ChunkIn | null = null;
  #pkg1Checked = false;
  #endAfterReply: Outcome | null = null;

  // retransmission cache
  #lastReqBody: Uint8Array | null = null;
  #lastReply: SessionReply | null = null;

  /** Per package index: responses a package-level fault has applied to. */
  readonly faultUses = new Map<number, number>();

  constructor(ctx: SessionContext, record: SessionRecord, key: string) {
    this.#ctx = ctx;
    this.#script = ctx.script;
    this.record = record;
    this.key = key;
    this.lastActivity = ctx.now();
    this.#serverScheme = ctx.script.auth.server.type;
  }

  /** True once the session is over. */
  get ended(): boolean {
    return this.#phase === 'ended';
  }

  /** True when the session ended in a way that refuses a restart with the same session id. */
  get refusesRestart(): boolean {
    return this.record.outcome === 'auth-failed';
  }

  /**
   * Index of the script package the answer to `m` belongs to (for package-level faults): 0 while
   * package 1 is being authenticated, the current package while ours is incomplete or the client's
   * is, the next one when the client's Final closes its package. May be ≥ packages.length (the end).
   */
  peekPackage(m: Message): number {
    if (this.#phase === 'new' || this.#phase === 'auth') return 0;
    if (!this.#pkgDone) return Math.max(0, this.#pkgIndex);
    return m.final ? this.#pkgIndex + 1 : Math.max(0, this.#pkgIndex);
  }

  /** Ends the session from outside (timeout, eviction). */
  end(outcome: Outcome): void {
    if (this.#phase === 'ended') return;
    this.#phase = 'ended';
    this.record.outcome = outcome;
    this.record.endedAt = this.#ctx.now();
    this.#ctx.ended(this.record);
  }

  /** Records a script failure. */
  fail(message: string, path: string | null = null, msgId: string | null = null): void {
    pushBounded(this.record, this.record.failures, { at: this.#ctx.now(), msgId, path, message }, this.#ctx.limits.maxRecordEntries);
  }

  // =============================================================================================
  // receive

  /** Handles one decoded client message (its HTTP request is `req`) and returns our answer. */
  receive(m: Message, req: HttpRequest): SessionReply {
    const now = this.#ctx.now();
    this.lastActivity = now;
    const hdr = m.hdr;
    if (this.#lastReply && this.#lastReqBody && String(this.#lastInMsgId) === hdr.msgId && bytesEqual(req.body, this.#lastReqBody)) {
      return { ...this.#lastReply, retransmission: true };
    }
    const msgNo = /^[0-9]{1,9}$/.test(hdr.msgId) ? parseInt(hdr.msgId, 10) : NaN;
    if (Number.isNaN(msgNo)) this.fail(`MsgID ${JSON.stringify(hdr.msgId)} is not a number`, null, hdr.msgId);
    else if (this.#lastInMsgId !== null && msgNo !== this.#lastInMsgId + 1) {
      this.fail(`MsgID ${msgNo} does not follow ${this.#lastInMsgId}`, null, hdr.msgId);
    }
    if (!Number.isNaN(msgNo)) this.#lastInMsgId = msgNo;
    this.#clientTarget = hdr.target;
    this.#clientSource = hdr.source;
    this.#sessionId = hdr.sessionId;
    this.#requestUrl = req.url;
    if (hdr.meta?.maxMsgSize !== undefined) this.#clientMaxMsg = hdr.meta.maxMsgSize;
    if (hdr.meta?.maxObjSize !== undefined) this.#clientMaxObj = hdr.meta.maxObjSize;
    this.#enc = this.#script.encoding === 'auto' ? m.encoding : this.#script.encoding;
    if (this.#phase === 'new') {
      this.#version = this.#script.version === 'auto' ? m.version : this.#script.version;
      this.record.version = this.#version;
      this.record.encoding = this.#enc;
      const dev = deviceState(this.#ctx.state, hdr.source);
      dev.sessions++;
      this.#ctx.stateChanged();
    }
    const reply = this.#receive(m, req);
    this.#lastReqBody = req.body.slice();
    this.#lastReply = reply;
    return reply;
  }

  #receive(m: Message, req: HttpRequest): SessionReply {
    const hdr = m.hdr;
    if (this.#phase === 'ended') return this.#afterEnd(m, req);

    if (this.#script.rejectVersion !== undefined && m.version === this.#script.rejectVersion) {
      this.#version = this.#script.version === 'auto' ? (m.version === '1.2' ? '1.1.2' : '1.2') : this.#script.version;
      this.record.version = this.#version;
      this.#pending = [this.#hdrStatus(m, this.#script.rejectStatus)];
      this.#endAfterReply = 'version-rejected';
      return this.#send({ kind: 'statuses' });
    }
    if (m.version !== this.#version) {
      this.fail(`client speaks DM ${m.version}, the session runs DM ${this.#version}`, null, hdr.msgId);
    }

    const a = this.#authenticate(m, req);
    const hs = this.#hdrStatus(m, a.code);
    if (a.chal) hs.chal = a.chal;
    if (!a.ok) {
      // [DMPRO] 2.4: only Status commands, one for every command received
      const st: OutStatus[] = [hs];
      for (const c of m.body) if (c.name !== 'Status' && c.name !== 'Results') st.push(this.#status(m, c, a.code));
      // statuses still waiting from earlier (authenticated) messages are kept behind these
      this.#pending = [...st, ...this.#pending];
      if (this.#phase === 'new') this.#phase = 'auth';
      if (a.fatal) this.#endAfterReply = 'auth-failed';
      return this.#send({ kind: 'statuses' });
    }
    this.#pending.unshift(hs);
    if (this.#phase === 'new' || this.#phase === 'auth') this.#phase = 'open';
    if (this.#outMsgId > 0) {
      const ours = String(this.#outMsgId);
      if (!m.body.some((c) => c.name === 'Status' && c.cmdRef === '0' && c.msgRef === ours)) {
        this.fail(`no Status for the server's SyncHdr (MsgID ${ours})`, null, hdr.msgId);
      }
      const adv = this.#script.advertise.maxMsgSize;
      if (adv !== undefined && req.body.length > adv) {
        this.fail(`client message of ${req.body.length} bytes exceeds the advertised MaxMsgSize ${adv}`, null, hdr.msgId);
      }
    }

    const ourPackageOpen = !this.#pkgDone;
    const abort = this.#processBody(m);
    if (abort) {
      this.#endAfterReply = 'aborted-by-client';
      return this.#send({ kind: 'statuses' });
    }
    if (this.#endAfterReply !== null) return this.#send({ kind: 'statuses' });
    if (!this.#pkgDone) {
      if (m.final && ourPackageOpen) this.fail('client sent Final while the server package was still incomplete', null, hdr.msgId);
      return this.#send({ kind: 'package' });
    }
    if (!m.final) return this.#send({ kind: 'next' });
    this.#closePackage(hdr.msgId);
    this.#startNextPackage();
    return this.#send({ kind: 'package' });
  }

  /** A message for a session that is over. */
  #afterEnd(m: Message, req: HttpRequest): SessionReply {
    if (this.record.outcome === 'auth-failed') {
      const a = this.#authenticate(m, req);
      const hs = this.#hdrStatus(m, a.ok ? 401 : a.code);
      hs.chal = a.chal ?? this.#chalFor(this.#script.auth.client.type);
      this.#pending = [hs];
      return this.#send({ kind: 'statuses' });
    }
    this.fail(`message after the session ended (${this.record.outcome})`, null, m.hdr.msgId);
    const st: OutStatus[] = [this.#hdrStatus(m, 200)];
    for (const c of m.body) if (c.name !== 'Status' && c.name !== 'Results') st.push(this.#status(m, c, 200));
    this.#pending = st;
    return this.#send({ kind: 'statuses' });
  }

  // =============================================================================================
  // authentication

  #event(msgId: string, side: AuthEvent['side'], scheme: string | null, event: AuthEvent['event'], code: number, detail?: string): void {
    const e: AuthEvent = { at: this.#ctx.now(), msgId, side, scheme, event, code };
    if (detail !== undefined) e.detail = detail;
    pushBounded(this.record, this.record.auth, e, this.#ctx.limits.maxRecordEntries);
  }

  #device(): DeviceState {
    return deviceState(this.#ctx.state, this.#clientSource);
  }

  /** The nonce the client must use now (raw bytes). */
  #clientNonce(): Uint8Array {
    const dev = this.#device();
    if (dev.clientNonce === undefined) {
      dev.clientNonce = this.#script.auth.client.nonce ?? this.#ctx.newNonce();
      this.#ctx.stateChanged();
    }
    return decodeNonce(dev.clientNonce);
  }

  /** Issues a fresh nonce to the client (stored) and returns it. */
  #issueNonce(): string {
    const n = this.#ctx.newNonce();
    this.#device().clientNonce = n;
    this.#ctx.stateChanged();
    return n;
  }

  #chalFor(type: string, nonce?: string): Chal {
    const scheme = (type === 'none' ? 'basic' : type) as AuthScheme;
    const meta: Meta = { type: AUTH_TYPES[scheme], format: 'b64' };
    if (scheme !== 'basic') meta.nextNonce = nonce ?? this.#issueNonce();
    return { meta };
  }

  #challenge(m: Message, code: 401 | 407, detail: string): AuthResult {
    const ca = this.#script.auth.client;
    const chal = this.#chalFor(ca.type);
    let fatal = false;
    if (code === 401) fatal = ++this.#fail401 >= ca.maxFailures;
    else fatal = ++this.#fail407 >= ca.maxFailures;
    this.#event(m.hdr.msgId, 'client', ca.type, code === 401 ? 'rejected' : 'missing', code, detail);
    if (fatal) this.#event(m.hdr.msgId, 'client', ca.type, 'failed', code, `limit of ${ca.maxFailures} reached: session ends`);
    return { ok: false, code, chal, fatal };
  }

  #authenticate(m: Message, req: HttpRequest): AuthResult {
    const ca = this.#script.auth.client;
    const msgId = m.hdr.msgId;
    if (ca.type === 'none') return { ok: true, code: 200, fatal: false };
    if (ca.type === 'hmac') {
      const hv = req.headers[HMAC_HEADER];
      if (hv === undefined || hv.trim() === '') return this.#challenge(m, 407, 'no x-syncml-hmac header');
      const p = parseHmacHeader(hv);
      if (!p) return this.#challenge(m, 401, 'malformed x-syncml-hmac header');
      if (p.algorithm.toUpperCase() !== 'MD5') return this.#challenge(m, 401, `unsupported algorithm ${p.algorithm}`);
      if (p.username !== ca.username) return this.#challenge(m, 401, `unknown user ${JSON.stringify(p.username)}`);
      const expected = hmacMac(ca.username, ca.password, this.#clientNonce(), req.body);
      if (!safeEqual(expected, p.mac.trim())) return this.#challenge(m, 401, 'wrong mac');
      this.#clientAuthed = true;
      const nonce = this.#issueNonce();
      this.#event(msgId, 'client', 'hmac', 'accepted', 200);
      return { ok: true, code: 200, chal: { meta: { type: AUTH_TYPES.hmac, format: 'b64', nextNonce: nonce } }, fatal: false };
    }
    if (this.#clientAuthed && ca.accept === 212) return { ok: true, code: 200, fatal: false };
    const cred = m.hdr.cred;
    if (!cred || cred.data === '') return this.#challenge(m, 407, 'no Cred in SyncHdr');
    // RepPro: a Cred without Meta Type is basic
    const scheme = cred.meta.type === undefined ? 'basic' : schemeOfType(cred.meta.type);
    if (scheme !== ca.type) return this.#challenge(m, 401, `Cred type ${cred.meta.type ?? '(none)'}, expected ${AUTH_TYPES[ca.type]}`);
    if (ca.type === 'basic') {
      const up = parseBasicCredential(cred.data.trim());
      if (!up) return this.#challenge(m, 401, 'basic Cred is not Base64 of user:password');
      if (up.username !== ca.username || !safeEqual(up.password, ca.password)) return this.#challenge(m, 401, `wrong user or password for ${JSON.stringify(up.username)}`);
      this.#clientAuthed = true;
      this.#event(msgId, 'client', 'basic', 'accepted', ca.accept);
      return { ok: true, code: ca.accept, fatal: false };
    }
    // md5: the user name travels in Source/LocName
    const name = m.hdr.sourceName;
    if (name !== undefined && name !== ca.username) return this.#challenge(m, 401, `unknown user ${JSON.stringify(name)} in Source/LocName`);
    const expected = md5Credential(ca.username, ca.password, this.#clientNonce());
    if (!safeEqual(expected, cred.data.trim())) return this.#challenge(m, 401, 'wrong digest (password or stale nonce)');
    this.#clientAuthed = true;
    const nonce = this.#issueNonce();
    this.#event(msgId, 'client', 'md5', 'accepted', ca.accept, ca.accept === 212 ? 'NextNonce is for the next session' : 'NextNonce is for the next message');
    return { ok: true, code: ca.accept, chal: { meta: { type: AUTH_TYPES.md5, format: 'b64', nextNonce: nonce } }, fatal: false };
  }

  /** Our credentials for the next header (none once the client answered 212). */
  #serverCred(): { cred?: Cred; sourceName?: string } {
    const sa = this.#script.auth.server;
    const scheme = this.#serverScheme;
    if (this.#serverAuthed || scheme === 'none' || scheme === 'hmac') return {};
    if (scheme === 'basic') return { cred: { meta: { type: AUTH_TYPES.basic, format: 'b64' }, data: basicCredential(sa.username, sa.password) } };
    return {
      cred: { meta: { type: AUTH_TYPES.md5, format: 'b64' }, data: md5Credential(sa.username, sa.password, this.#serverNonce()) },
      sourceName: sa.username,
    };
  }

  #serverNonce(): Uint8Array {
    const n = this.#device().serverNonce ?? this.#script.auth.server.nonce ?? '';
    return decodeNonce(n);
  }

  /** The client's verdict on our SyncHdr (Status with CmdRef 0). */
  #onHdrStatus(c: Command, m: Message): void {
    const code = statusCodeOf(c);
    const msgId = m.hdr.msgId;
    const sa = this.#script.auth.server;
    const nonce = c.chal?.meta.nextNonce;
    if (nonce !== undefined) {
      this.#device().serverNonce = nonce.trim();
      this.#ctx.stateChanged();
      this.#event(msgId, 'server', this.#serverScheme, 'nonce', code, 'client issued a nonce for our credentials');
    }
    if (code === 212 || code === 200) {
      if (this.#serverScheme !== 'none' && !this.#serverAuthed) this.#event(msgId, 'server', this.#serverScheme, 'accepted', code);
      if (code === 212) this.#serverAuthed = true;
      return;
    }
    if (code === 401 || code === 407) {
      const wanted = c.chal ? schemeOfType(c.chal.meta.type) : null;
      this.#event(msgId, 'server', this.#serverScheme, code === 401 ? 'rejected' : 'missing', code, wanted ? `client wants ${AUTH_TYPES[wanted]}` : undefined);
      if (sa.password === '' && sa.type === 'none') {
        this.fail(`client challenged the server (${code}) but the script gives no server credentials`, null, msgId);
        this.#endAfterReply = 'auth-failed';
        return;
      }
      if (this.#serverRetries >= sa.maxRetries) {
        this.fail(`client refused the server credentials ${this.#serverRetries + 1} times`, null, msgId);
        this.#event(msgId, 'server', this.#serverScheme, 'failed', code);
        this.#endAfterReply = 'auth-failed';
        return;
      }
      this.#serverRetries++;
      if (wanted) this.#serverScheme = wanted;
      else if (this.#serverScheme === 'none') this.#serverScheme = 'basic';
      this.#serverAuthed = false;
      this.#rollback(c.msgRef ?? '');
      return;
    }
    this.fail(`client answered our SyncHdr with ${code}`, null, msgId);
  }

  /** Makes our message `msgId` unsent again (the client refused it): its commands go out again. */
  #rollback(msgId: string): void {
    const s = this.#snapshot;
    if (!s || s.msgId !== msgId) {
      this.fail(`cannot resend message ${msgId}: only the last message (${s?.msgId ?? 'none'}) can be resent`);
      return;
    }
    this.#rejectedMsg = msgId;
    this.#outbox = s.outbox.slice();
    this.#chunk = s.chunk ? { ...s.chunk } : null;
    this.#pkgDone = s.pkgDone && this.#outbox.length === 0 && this.#chunk === null && !this.#ending && !this.#abortPkg;
    for (const [k, v] of this.#sent) if (v.msgId === msgId) this.#sent.delete(k);
  }

  // =============================================================================================
  // client commands

  /** Processes the body; returns true when the client aborted (Alert 1223). */
  #processBody(m: Message): boolean {
    const msgId = m.hdr.msgId;
    this.#rejectedMsg = null;
    for (const c of m.body) {
      if (c.name === 'Status' && c.cmdRef === '0' && !c.error) this.#onHdrStatus(c, m);
    }
    let abort = false;
    for (const c of m.body) {
      if (c.name === 'Status') {
        if (c.cmdRef === '0' && !c.error) continue;
        this.#onStatus(c, m);
        continue;
      }
      if (this.#incoming && !(c.name === this.#incoming.cmdName && c.items.some((it) => (it.source ?? it.target) === this.#incoming!.uri))) {
        this.#brokenIncoming(m, `${c.name} arrived before the last chunk of ${this.#incoming.uri}`);
      }
      if (c.error !== undefined) {
        this.fail(`client sent a malformed ${c.element}: ${c.error}`, null, msgId);
        this.#pending.push(this.#status(m, c, c.errorStatus ?? 400));
        continue;
      }
      switch (c.name) {
        case 'Results': this.#onResults(c, m); break;
        case 'Alert': if (this.#onAlert(c, m)) abort = true; break;
        case 'Replace': this.#onReplace(c, m); break;
        default:
          this.fail(`client sent ${c.name}, which a DM client may not send`, null, msgId);
          this.#pending.push(this.#status(m, c, 405));
      }
    }
    if (m.final && this.#incoming) this.#brokenIncoming(m, `Final arrived before the last chunk of ${this.#incoming.uri}`);
    return abort;
  }

  #onStatus(c: Command, m: Message): void {
    const msgRef = c.msgRef ?? '';
    if (c.error !== undefined) {
      this.fail(`malformed Status: ${c.error}`, null, m.hdr.msgId);
      return;
    }
    if (msgRef === this.#rejectedMsg) return; // the client refused that whole message
    const code = statusCodeOf(c);
    const sent = this.#sent.get(`${msgRef}:${c.cmdRef ?? ''}`);
    const rec: StatusRecord = {
      pkg: sent?.pkg ?? this.#pkgIndex, msgRef, cmdRef: c.cmdRef ?? '', cmd: c.cmd ?? '', targets: sent?.targets ?? c.targetRefs ?? [],
      code, expected: null, ok: true, path: sent?.cmd?.path ?? null,
    };
    const items = c.items.filter((it) => it.data !== undefined).map((it) => it.data!.text());
    if (items.length > 0) rec.items = items;
    if (!sent) {
      rec.ok = false;
      this.fail(`Status ${code} for a command we did not send (MsgRef ${msgRef}, CmdRef ${c.cmdRef ?? ''})`, null, m.hdr.msgId);
      pushBounded(this.record, this.record.statuses, rec, this.#ctx.limits.maxRecordEntries);
      return;
    }
    if (c.cmd !== undefined && c.cmd !== sent.name) this.fail(`Status Cmd ${c.cmd} for our ${sent.name} (MsgRef ${msgRef}, CmdRef ${sent.cmdId})`, sent.cmd?.path ?? null, m.hdr.msgId);
    sent.statuses++;
    sent.code = code;
    if (sent.chunk > 0) rec.chunk = sent.chunk;
    let expected = sent.expect;
    if (sent.chunk > 0 && !sent.lastChunk) {
      if (code === 213) expected = [213];
      else {
        // the client refused the object part-way (413 too large, 420 full...): judge by the script's expectation
        if (this.#chunk && this.#chunk.cmd === sent.cmd) this.#chunk = null;
        expected = sent.cmd?.expect ?? null;
        if (expected === null) expected = [213];
      }
    }
    rec.expected = expected;
    rec.ok = expected === null || expected.includes(code);
    if (!rec.ok) this.fail(`${describe(sent)}: status ${code}, expected ${expected!.join(' or ')}`, sent.cmd?.path ?? null, m.hdr.msgId);
    pushBounded(this.record, this.record.statuses, rec, this.#ctx.limits.maxRecordEntries);
  }

  #onResults(c: Command, m: Message): void {
    const msgRef = c.msgRef ?? String(this.#outMsgId);
    const sent = this.#sent.get(`${msgRef}:${c.cmdRef ?? ''}`) ?? null;
    if (!sent) this.fail(`Results for a command we did not send (MsgRef ${msgRef}, CmdRef ${c.cmdRef ?? ''})`, null, m.hdr.msgId);
    else if (sent.name !== 'Get') this.fail(`Results for our ${sent.name}`, sent.cmd?.path ?? null, m.hdr.msgId);
    let status = 200;
    for (const it of c.items) {
      const uri = it.source ?? it.target ?? sent?.targets[0] ?? '';
      const code = this.#itemIn('Results', uri, it, c.meta, sent, m);
      if (code !== 200) status = code;
    }
    // [DMREP] 4.1.5.1: no Status for Results unless it is not 200
    if (status !== 200) this.#pending.push(this.#status(m, c, status));
  }

  /**
   * One incoming item value (Results or Replace), possibly a chunk of a large object. Returns the
   * status for it (213 for a buffered chunk, 424 size mismatch, 413 too large, else 200).
   */
  #itemIn(cmdName: string, uri: string, it: Item, cmdMeta: Meta | undefined, sent: SentCmd | null, m: Message): number {
    const meta = mergeMeta(cmdMeta, it.meta);
    const data = it.data;
    let inc = this.#incoming;
    if (!inc && !it.moreData) {
      this.#storeValue(cmdName, uri, data ? copyBytes(data.bytes) : new Uint8Array(0), data?.kind === 'opaque', meta, 1, sent, m);
      return 200;
    }
    if (!inc) {
      if (meta?.size === undefined) this.fail(`first chunk of ${uri} without Meta Size`, null, m.hdr.msgId);
      const advObj = this.#script.advertise.maxObjSize;
      if (advObj !== undefined && meta?.size !== undefined && meta.size > advObj) {
        this.fail(`client object ${uri} of ${meta.size} bytes exceeds the advertised MaxObjSize ${advObj}`, null, m.hdr.msgId);
        return 413;
      }
      inc = { uri, cmdName, parts: [], length: 0, declared: meta?.size ?? null, meta, opaque: data?.kind === 'opaque', chunks: 0, sent };
      this.#incoming = inc;
    } else if (it.meta?.size !== undefined && inc.chunks > 0) {
      this.fail(`chunk ${inc.chunks + 1} of ${uri} repeats Meta Size (only the first chunk may carry it)`, null, m.hdr.msgId);
    }
    const bytes = data ? data.bytes : new Uint8Array(0);
    if (inc.length + bytes.length > this.#ctx.limits.maxObjSize) {
      this.fail(`large object ${uri} exceeds the server's ${this.#ctx.limits.maxObjSize}-byte limit`, null, m.hdr.msgId);
      this.#incoming = null;
      return 413;
    }
    inc.parts.push(copyBytes(bytes));
    inc.length += bytes.length;
    inc.chunks++;
    if (it.moreData) return 213;
    this.#incoming = null;
    const whole = concatBytes(inc.parts);
    if (inc.declared !== null && inc.declared !== whole.length) {
      this.fail(`large object ${uri}: ${whole.length} bytes received, Meta Size said ${inc.declared}`, null, m.hdr.msgId);
      return 424;
    }
    this.#storeValue(cmdName, uri, whole, inc.opaque, inc.meta, inc.chunks, sent, m);
    return 200;
  }

  /** The client started another command before the last chunk of its object: Alert 1225 ([DMPRO] 2.2). */
  #brokenIncoming(m: Message, why: string): void {
    const inc = this.#incoming!;
    this.#incoming = null;
    this.fail(`client large object broken: ${why}`, null, m.hdr.msgId);
    this.#extra.push({ kind: 'Alert', code: AlertCode.NoEndOfData, items: [{ source: inc.uri }] });
  }

  #storeValue(cmdName: string, uri: string, bytes: Uint8Array, opaque: boolean, meta: Meta | undefined, chunks: number, sent: SentCmd | null, m: Message): void {
    const lim = this.#ctx.limits.maxRecordEntries;
    const binary = opaque && !isUtf8(bytes);
    const value = binary ? b64encode(bytes) : utf8Decode(bytes);
    if (cmdName === 'Replace') {
      if (uri in this.record.devInfo || Object.keys(this.record.devInfo).length < lim) this.record.devInfo[uri] = value;
      else this.record.dropped++;
      return;
    }
    if (sent) sent.results++;
    const rv: ResultValue = { value, binary, size: bytes.length, chunks, pkg: sent?.pkg ?? this.#pkgIndex };
    if (meta?.format !== undefined) rv.format = meta.format;
    if (meta?.type !== undefined) rv.type = meta.type;
    if (uri in this.record.results || Object.keys(this.record.results).length < lim) this.record.results[uri] = rv;
    else this.record.dropped++;
    const ev = sent?.cmd?.expectValue;
    if (ev !== undefined && ev !== value) {
      this.fail(`Get ${uri}: value ${JSON.stringify(clip(value))}, expected ${JSON.stringify(clip(ev))}`, sent!.cmd!.path, m.hdr.msgId);
    }
  }

  /** Returns true for Alert 1223 (session abort). */
  #onAlert(c: Command, m: Message): boolean {
    const code = parseInt(c.data?.text().trim() ?? '', 10);
    const lim = this.#ctx.limits.maxRecordEntries;
    switch (code) {
      case AlertCode.ServerInitiated:
      case AlertCode.ClientInitiated:
        if (this.record.alert !== null && this.record.alert !== code) this.fail(`Alert ${code} after Alert ${this.record.alert} in the same session`, null, m.hdr.msgId);
        this.record.alert = code;
        this.#pending.push(this.#status(m, c, 200));
        return false;
      case AlertCode.NextMessage:
        this.#pending.push(this.#status(m, c, 200));
        return false;
      case AlertCode.SessionAbort:
        this.#pending.push(this.#status(m, c, 200));
        return true;
      case AlertCode.ClientEvent:
      case AlertCode.GenericAlert: {
        const generic = code === AlertCode.GenericAlert;
        let status = this.#script.clientEventStatus;
        if (generic) {
          const type = c.items.find((it) => it.meta?.type !== undefined)?.meta?.type?.trim();
          const table = this.#script.genericAlertStatus;
          status = (type !== undefined ? table[type] : undefined) ?? table['*'] ?? 200;
          if (this.#version === '1.1.2') this.fail('Generic Alert 1226 in a DM 1.1.2 session', null, m.hdr.msgId);
        }
        const rec: AlertRecord = { msgId: m.hdr.msgId, cmdId: c.cmdId ?? '', code, items: [], status };
        if (c.correlator !== undefined) rec.correlator = c.correlator;
        for (const it of c.items) {
          const meta = mergeMeta(c.meta, it.meta);
          const x: AlertRecord['items'][number] = { data: it.data?.text() ?? '' };
          if (it.source !== undefined) x.source = it.source;
          if (it.target !== undefined) x.target = it.target;
          if (meta?.type !== undefined) x.type = meta.type;
          if (meta?.format !== undefined) x.format = meta.format;
          if (meta?.mark !== undefined) x.mark = meta.mark;
          if (meta?.type === undefined || meta.format === undefined) this.fail(`Alert ${code} item without Meta Type and Format`, null, m.hdr.msgId);
          rec.items.push(x);
        }
        if (c.items.length === 0) this.fail(`Alert ${code} without Item`, null, m.hdr.msgId);
        pushBounded(this.record, generic ? this.record.genericAlerts : this.record.clientEvents, rec, lim);
        this.#pending.push(this.#status(m, c, status));
        return false;
      }
      case AlertCode.NoEndOfData:
        this.fail('client reports that our large object ended without its last chunk (Alert 1225)', null, m.hdr.msgId);
        this.#pending.push(this.#status(m, c, 200));
        return false;
      default:
        this.fail(`client sent Alert ${Number.isNaN(code) ? JSON.stringify(c.data?.text()) : code}, which a DM client does not send`, null, m.hdr.msgId);
        this.#pending.push(this.#status(m, c, 405));
        return false;
    }
  }

  #onReplace(c: Command, m: Message): void {
    let status = this.#script.devInfoStatus;
    for (const it of c.items) {
      const uri = it.source ?? it.target ?? '';
      if (uri === '') this.fail('Replace item without Source/LocURI', null, m.hdr.msgId);
      const code = this.#itemIn('Replace', uri, it, c.meta, null, m);
      if (code !== 200) status = code;
    }
    this.#pending.push(this.#status(m, c, status));
  }

  // =============================================================================================
  // packages

  /** The client closed a package (Final) after ours was complete: check what it owed us. */
  #closePackage(msgId: string): void {
    for (const s of this.#sent.values()) {
      const what = `${describe(s)} (MsgID ${s.msgId}, CmdID ${s.cmdId})`;
      if (!s.noResp && s.statuses === 0) this.fail(`no Status for ${what}`, s.cmd?.path ?? null, msgId);
      if (s.name === 'Get' && s.code === 200 && s.results === 0) this.fail(`no Results for ${what}`, s.cmd?.path ?? null, msgId);
    }
    this.#sent.clear();
    if (!this.#pkg1Checked) {
      this.#pkg1Checked = true;
      this.#checkSessionStart(msgId);
    }
  }

  #checkSessionStart(msgId: string): void {
    const e = this.#script.expectSession;
    const r = this.record;
    if (r.alert === null) this.fail('package 1 carried no Alert 1200/1201', null, msgId);
    else if (e.alert !== undefined && r.alert !== e.alert) this.fail(`package 1 Alert ${r.alert}, expected ${e.alert}`, 'expectSession.alert', msgId);
    if (Object.keys(r.devInfo).length === 0) this.fail('package 1 carried no DevInfo Replace', null, msgId);
    if (e.sessionId !== undefined && r.sessionId !== e.sessionId) this.fail(`SessionID ${r.sessionId}, expected ${e.sessionId}`, 'expectSession.sessionId', msgId);
    if (e.deviceId !== undefined && r.deviceId !== e.deviceId) this.fail(`device id ${r.deviceId}, expected ${e.deviceId}`, 'expectSession.deviceId', msgId);
    if (e.devInfo) {
      for (const [uri, v] of Object.entries(e.devInfo)) {
        if (r.devInfo[uri] !== v) this.fail(`DevInfo ${uri} = ${JSON.stringify(r.devInfo[uri] ?? null)}, expected ${JSON.stringify(v)}`, 'expectSession.devInfo', msgId);
      }
    }
  }

  #startNextPackage(): void {
    this.#pkgIndex++;
    this.#pkgDone = false;
    this.#abortPkg = false;
    const pk = this.#script.packages[this.#pkgIndex];
    if (pk) {
      this.#outbox = pk.commands.map((cmd) => ({ cmd }));
      this.#abortPkg = pk.abort;
      if (pk.abort) this.#outbox.push({ cmd: generatedAlert(AlertCode.SessionAbort) });
      this.record.packagesSent++;
      return;
    }
    if (this.#script.neverEnd !== null) {
      this.#outbox = [{ cmd: generatedGet(this.#script.neverEnd, `neverEnd[${this.#pkgIndex - this.#script.packages.length}]`) }];
      this.record.packagesSent++;
      return;
    }
    this.#outbox = [];
    this.#ending = true;
  }

  // =============================================================================================
  // building messages

  #hdrStatus(m: Message, code: number): OutStatus {
    return { kind: 'Status', msgRef: m.hdr.msgId, cmdRef: '0', cmd: 'SyncHdr', targetRefs: [m.hdr.target], sourceRefs: [m.hdr.source], code };
  }

  #status(m: Message, c: Command, code: number): OutStatus {
    const s: OutStatus = { kind: 'Status', msgRef: m.hdr.msgId, cmdRef: c.cmdId ?? '', cmd: c.name === 'Unknown' ? c.element : c.name, code };
    const src = c.items.map((it) => it.source).filter((x): x is string => x !== undefined);
    const tgt = c.items.map((it) => it.target).filter((x): x is string => x !== undefined);
    if (c.name !== 'Alert' && tgt.length > 0) s.targetRefs = tgt;
    if (c.name !== 'Alert' && src.length > 0) s.sourceRefs = src;
    return s;
  }

  #header(msgId: string): OutHeader {
    const h: OutHeader = {
      version: this.#version,
      sessionId: this.#sessionId,
      msgId,
      target: this.#clientSource,
      source: this.#script.serverUri ?? this.#clientTarget,
    };
    const respUri = this.#respUri();
    if (respUri !== undefined) h.respUri = respUri;
    const sc = this.#serverCred();
    if (sc.cred) h.cred = sc.cred;
    if (sc.sourceName !== undefined) h.sourceName = sc.sourceName;
    const adv = this.#script.advertise;
    if (adv.maxMsgSize !== undefined || adv.maxObjSize !== undefined) {
      const meta: Meta = {};
      if (adv.maxMsgSize !== undefined) meta.maxMsgSize = adv.maxMsgSize;
      if (adv.maxObjSize !== undefined) meta.maxObjSize = adv.maxObjSize;
      h.meta = meta;
    }
    return h;
  }

  #respUri(): string | undefined {
    const r = this.#script.respUri;
    if (r === undefined) return undefined;
    const v = r.replace(/\{sessionId\}/g, encodeURIComponent(this.#sessionId)).replace(/\{deviceId\}/g, encodeURIComponent(this.#clientSource));
    if (!v.startsWith('/')) return v;
    const origin = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]+/.exec(this.#requestUrl);
    return origin ? origin[0] + v : v;
  }

  /** Buffer size for our messages: the client's MaxMsgSize within the server's bounds. */
  #capacity(): number {
    const l = this.#ctx.limits;
    if (this.#clientMaxMsg === null) return l.maxOutMsgSize;
    return Math.max(l.minOutMsgSize, Math.min(this.#clientMaxMsg, l.maxOutMsgSize));
  }

  #newBuilder(cap: number): MessageBuilder {
    return new MessageBuilder(this.#enc === 'wbxml' ? new WbxmlWriter(cap, 40) : new XmlWriter(cap, { maxDepth: 40 }));
  }

  /**
   * Builds our next message: pending statuses first, then (per `kind`) nothing, an Alert 1222, or
   * the next commands of the current package (chunking large objects).
   *
   * Statuses other than the SyncHdr one can wait: when they leave no room for the Alert 1222 or for
   * the next command / chunk, the message is rebuilt with only the SyncHdr status before them and
   * the rest stays pending. Otherwise a small MaxMsgSize could livelock (every continuation message
   * brings a new status to send, filling the room a chunk needs).
   */
  #send(opts: { kind: 'statuses' | 'next' | 'package' }): SessionReply {
    const msgId = String(++this.#outMsgId);
    let cap = this.#capacity();
    this.#snapshot = { msgId, outbox: this.#outbox.slice(), chunk: this.#chunk ? { ...this.#chunk } : null, pkgDone: this.#pkgDone };
    const hdr = this.#header(msgId);
    // the header and the SyncHdr status must fit: else the client's MaxMsgSize is unusable
    for (;;) {
      const b0 = this.#newBuilder(cap);
      const first = this.#pending[0];
      if (b0.begin(hdr) && (!first || b0.fits(first, '1'))) break;
      if (cap >= this.#ctx.limits.maxOutMsgSize) throw new RangeError(`limits.maxOutMsgSize (${cap}) cannot hold a message header`);
      this.fail(`client MaxMsgSize ${this.#clientMaxMsg ?? '(none)'} cannot hold the header and SyncHdr status: message ${msgId} exceeds it`, null, null);
      cap = this.#ctx.limits.maxOutMsgSize;
    }
    const pendingBefore = this.#pending.slice();
    const extraBefore = this.#extra.slice();
    /** One way to fill the message: up to `maxStatuses` statuses (the SyncHdr one first), then the rest. */
    const attempt = (maxStatuses: number): { b: MessageBuilder; final: boolean; progress: boolean; added: number } => {
      const b = this.#newBuilder(cap);
      b.begin(hdr);
      this.#pending = pendingBefore.slice();
      this.#extra = extraBefore.slice();
      let id = 1;
      let added = 0;
      while (this.#pending.length > 0 && added < maxStatuses) {
        if (!b.add(this.#pending[0]!, String(id))) break;
        id++;
        added++;
        this.#pending.shift();
      }
      const deferring = maxStatuses !== Infinity;
      while (!deferring && this.#pending.length === 0 && this.#extra.length > 0) {
        if (!b.add(this.#extra[0]!, String(id))) break;
        id++;
        this.#extra.shift();
      }
      const allIn = this.#pending.length === 0 && this.#extra.length === 0;
      if (opts.kind === 'statuses') return { b, final: allIn, progress: false, added };
      if (opts.kind === 'next') {
        if (!allIn && !deferring) return { b, final: false, progress: false, added };
        const alert: OutCommand = { kind: 'Alert', code: AlertCode.NextMessage };
        if (!b.add(alert, String(id))) return { b, final: false, progress: false, added };
        this.#register(generatedAlert(AlertCode.NextMessage), alert, msgId, id, [200]);
        return { b, final: false, progress: true, added };
      }
      if (!allIn && !deferring) return { b, final: false, progress: false, added };
      const before = id;
      id = this.#fillCommands(b, id, msgId, cap, allIn);
      const final = allIn && this.#outbox.length === 0 && this.#chunk === null;
      return { b, final, progress: id > before, added };
    };
    let r = attempt(Infinity);
    const workLeft = (): boolean => this.#outbox.length > 0 || this.#chunk !== null;
    if (opts.kind !== 'statuses' && !r.progress && !r.final && r.added > 1 && (opts.kind === 'next' || workLeft())) {
      // the statuses took the room: keep only as many as leave room for the next piece of work
      const keep = this.#nextWork(opts.kind === 'next');
      const k = keep ? this.#statusesBefore(keep, pendingBefore, hdr, cap) : 1;
      const r2 = attempt(k);
      r = r2.progress ? r2 : attempt(Infinity);
    }
    const b = r.b;
    const final = r.final;
    const body = b.finish(final).slice();
    if (this.record.version === null) this.record.version = this.#version;
    if (this.record.encoding === null) this.record.encoding = this.#enc;
    const headers: Record<string, string> = {};
    if (this.#serverScheme === 'hmac') {
      const sa = this.#script.auth.server;
      headers[HMAC_HEADER] = formatHmacHeader(sa.username, hmacMac(sa.username, sa.password, this.#serverNonce(), body));
    }
    if (opts.kind === 'package' && final) {
      this.#pkgDone = true;
      if (this.#abortPkg) this.#endAfterReply = 'aborted-by-server';
      else if (this.#ending) this.#endAfterReply = 'completed';
    }
    const reply: SessionReply = { body, encoding: this.#enc, version: this.#version, headers, final, msgId, retransmission: false };
    if (this.#endAfterReply !== null && (final || opts.kind !== 'package')) {
      const outcome = this.#endAfterReply;
      this.#endAfterReply = null;
      // a statuses-only answer that did not fit ends anyway: the client gets what fitted
      this.end(outcome);
    }
    return reply;
  }

  /** The smallest useful next record to send (Alert 1222, the next command, a 64-byte chunk), or null. */
  #nextWork(next: boolean): OutCommand | null {
    if (next) return { kind: 'Alert', code: AlertCode.NextMessage };
    const c = this.#chunk;
    if (c) {
      const remaining = c.payload.length - c.offset;
      return remaining > 1 ? this.#chunkOut(c, Math.min(64, remaining - 1), false) : null;
    }
    const e = this.#outbox[0];
    return e && e.cmd.path !== 'abort' ? this.#toOut(e.cmd) : null;
  }

  /** How many of `statuses` (from the first) fit in a message together with `keep` (at least 1). */
  #statusesBefore(keep: OutCommand, statuses: readonly OutStatus[], hdr: OutHeader, cap: number): number {
    const b = this.#newBuilder(cap);
    if (!b.begin(hdr)) return 1;
    let n = 0;
    for (const st of statuses) {
      if (!b.add(st, String(n + 1))) break;
      if (!b.fits(keep, String(n + 2))) break;
      n++;
    }
    return Math.max(1, n);
  }

  /**
   * Adds package commands to the message; returns the next CmdID. The last piece of the package (its
   * last command, or the last chunk of its last object) goes only into a message that also holds
   * every pending status (`allIn`): that message carries Final, and a Final without any command would
   * tell the client the session is over.
   */
  #fillCommands(b: MessageBuilder, id: number, msgId: string, cap: number, allIn: boolean): number {
    for (;;) {
      if (this.#chunk) {
        const r = this.#addChunk(b, id, msgId, cap, allIn || this.#outbox.length > 0);
        if (!r.added) {
          // continue in the next message (with fewer statuses, or allowed to send the last chunk)
          if (b.records > 1 || !(allIn || this.#outbox.length > 0)) break;
          // not even a one-byte chunk fits beside the header: give up on this object
          this.fail(`${this.#chunk.cmd.cmd} ${this.#chunk.item.target ?? ''}: no chunk fits the client's MaxMsgSize (${cap} bytes): rest skipped`, this.#chunk.cmd.path, null);
          this.#chunk = null;
          continue;
        }
        id++;
        if (!r.last) break; // a non-final chunk ends the message ([DMPRO] 2.2: chunks are contiguous)
        continue;
      }
      const e = this.#outbox[0];
      if (!e) break;
      if (e.cmd.path === 'abort') {
        // the Alert 1223 closing an abort package: the client does not answer it
        if (!allIn || !b.add({ kind: 'Alert', code: AlertCode.SessionAbort }, String(id))) break;
        this.#outbox.shift();
        id++;
        continue;
      }
      const out = this.#toOut(e.cmd);
      const lastPiece = this.#outbox.length === 1;
      if (lastPiece && !allIn) {
        // only when it can close the package; unless it cannot fit whole at all (then it is chunked)
        if (this.#fitsAlone(out, msgId, cap)) break;
      } else if (b.add(out, String(id))) {
        this.#register(e.cmd, out, msgId, id, e.cmd.expect);
        id += commandSpan(out);
        this.#outbox.shift();
        continue;
      }
      if (this.#fitsAlone(out, msgId, cap)) break; // next message
      this.#outbox.shift();
      if (this.#startChunk(e.cmd)) continue;
      this.fail(`${e.cmd.cmd} does not fit the client's MaxMsgSize (${cap} bytes) and cannot be chunked: skipped`, e.cmd.path, null);
    }
    return id;
  }

  /** True when `out` fits a message holding only the header and a SyncHdr status. */
  #fitsAlone(out: OutCommand, msgId: string, cap: number): boolean {
    const b = this.#newBuilder(cap);
    if (!b.begin(this.#header(msgId))) return false;
    b.add({ kind: 'Status', msgRef: '99999', cmdRef: '0', cmd: 'SyncHdr', targetRefs: [this.#clientTarget], sourceRefs: [this.#clientSource], code: 200 }, '1');
    return b.fits(out, '2');
  }

  /** Sets up chunked sending of a single-item Add/Replace; false when it cannot be chunked. */
  #startChunk(cmd: ScriptCommand): boolean {
    if ((cmd.cmd !== 'Add' && cmd.cmd !== 'Replace') || cmd.items.length !== 1 || cmd.items[0]!.data === undefined) return false;
    const item = cmd.items[0]!;
    const { payload, text, meta } = this.#transported(item);
    if (this.#clientMaxObj !== null && payload.length > this.#clientMaxObj && !cmd.ignoreMaxObjSize) {
      this.fail(`${cmd.cmd} ${item.target ?? ''}: ${payload.length} bytes exceed the client's MaxObjSize ${this.#clientMaxObj}: skipped`, cmd.path, null);
      return true; // handled (skipped)
    }
    if (payload.length < 2) return false;
    this.#chunk = { cmd, item, payload, text, meta, declared: cmd.declaredSize ?? payload.length, offset: 0, sent: 0 };
    return true;
  }

  /** Adds the next chunk (as large as fits); the last one only when `lastAllowed`. */
  #addChunk(b: MessageBuilder, id: number, msgId: string, cap: number, lastAllowed: boolean): { added: boolean; last: boolean } {
    const c = this.#chunk!;
    const remaining = c.payload.length - c.offset;
    const cid = String(id);
    // the whole rest, as the last chunk (when it can fit at all)
    const lastOut = lastAllowed && remaining <= cap ? this.#chunkOut(c, remaining, true) : null;
    if (lastOut && b.add(lastOut, cid)) {
      this.#registerChunk(c, lastOut, msgId, id, true);
      this.#chunk = null;
      return { added: true, last: true };
    }
    // the largest prefix that fits as a non-final chunk (binary search over trial writes; a chunk
    // never holds more bytes than the whole message can)
    let lo = 0;
    let hi = Math.min(remaining - 1, cap);
    while (lo < hi) {
      const mid = lo + Math.ceil((hi - lo) / 2);
      if (b.fits(this.#chunkOut(c, mid, false), cid)) lo = mid;
      else hi = mid - 1;
    }
    if (c.text) while (lo > 0 && (c.payload[c.offset + lo]! & 0xc0) === 0x80) lo--; // keep UTF-8 sequences whole
    // tiny leftovers of a message are not worth a chunk unless the message carries nothing else
    const minChunk = Math.min(64, remaining - 1);
    if (lo < 1 || (lo < minChunk && b.records > 1)) return { added: false, last: false };
    const out = this.#chunkOut(c, lo, false);
    if (!b.add(out, cid)) return { added: false, last: false };
    this.#registerChunk(c, out, msgId, id, false);
    c.offset += lo;
    c.sent++;
    return { added: true, last: false };
  }

  #chunkOut(c: ChunkOut, len: number, last: boolean): OutCommand {
    const meta: Meta = { ...c.meta };
    if (c.sent === 0) meta.size = c.declared;
    else delete meta.size;
    const slice = c.payload.subarray(c.offset, c.offset + len);
    const item: OutItem = { meta, data: c.text ? utf8Decode(slice) : slice };
    if (c.item.target !== undefined) item.target = c.item.target;
    if (c.item.source !== undefined) item.source = c.item.source;
    if (!last) item.moreData = true;
    const out: OutCommand = { kind: c.cmd.cmd as OutCommand['kind'], items: [item] };
    if (c.cmd.noResp) out.noResp = true;
    if (c.cmd.meta) out.meta = c.cmd.meta;
    return out;
  }

  #registerChunk(c: ChunkOut, out: OutCommand, msgId: string, id: number, last: boolean): void {
    const s = this.#register(c.cmd, out, msgId, id, last ? c.cmd.expect : [213]);
    s.chunk = c.sent + 1;
    s.lastChunk = last;
  }

  /** The transported form of an item's data for this session's encoding. */
  #transported(item: ScriptItem): { payload: Uint8Array; text: boolean; meta: Meta } {
    const meta: Meta = { ...(item.meta ?? {}) };
    const d = item.data!;
    if (typeof d === 'string') return { payload: utf8Encode(d), text: true, meta };
    // bytes declared as text (chr, int, xml...) travel as text when they are UTF-8
    if (meta.format !== undefined && meta.format !== 'bin' && meta.format !== 'b64' && isUtf8(d)) return { payload: d, text: true, meta };
    if (meta.format === 'b64' || this.#enc === 'xml') {
      meta.format = 'b64';
      return { payload: asciiBytes(b64encode(d)), text: true, meta };
    }
    if (meta.format === undefined) meta.format = 'bin';
    return { payload: d, text: false, meta };
  }

  /** A script command as the builder's record, binary data adapted to the encoding. */
  #toOut(c: ScriptCommand): OutCommand {
    const o: OutCommand = { kind: c.cmd };
    if (c.noResp) o.noResp = true;
    if (c.meta) o.meta = c.meta;
    if (c.correlator !== undefined) o.correlator = c.correlator;
    if (c.code !== undefined) o.code = c.code;
    if (c.items.length > 0) {
      o.items = c.items.map((it) => {
        const oi: OutItem = {};
        if (it.target !== undefined) oi.target = it.target;
        if (it.source !== undefined) oi.source = it.source;
        if (it.data === undefined) {
          if (it.meta) oi.meta = it.meta;
          return oi;
        }
        const t = this.#transported(it);
        if (Object.keys(t.meta).length > 0) oi.meta = t.meta;
        oi.data = t.text ? (typeof it.data === 'string' ? it.data : utf8Decode(t.payload)) : t.payload;
        return oi;
      });
    }
    if (c.commands) o.children = c.commands.map((ch) => this.#toOut(ch));
    return o;
  }

  /** Remembers a sent command (and its Atomic/Sequence children) to match the client's statuses. */
  #register(c: ScriptCommand, out: OutCommand, msgId: string, id: number, expect: number[] | null): SentCmd {
    const s: SentCmd = {
      msgId, cmdId: String(id), name: c.cmd, targets: c.items.map((it) => it.target).filter((x): x is string => x !== undefined),
      cmd: c.path === '' ? null : c, pkg: this.#pkgIndex, noResp: c.noResp, expect, statuses: 0, code: 0, results: 0, chunk: 0, lastChunk: false,
    };
    if (c.code !== undefined) s.alert = c.code;
    this.#sent.set(`${msgId}:${id}`, s);
    if (c.commands && out.children) {
      let n = id + 1;
      c.commands.forEach((ch, i) => {
        const o = out.children![i]!;
        this.#register(ch, o, msgId, n, ch.expect);
        n += commandSpan(o);
      });
    }
    return s;
  }
}

// ------------------------------------------------------------------------------------------------

/** "Get ./DevInfo/Mod", "Alert 1101", "Atomic". */
function describe(s: SentCmd): string {
  if (s.targets.length > 0) return `${s.name} ${s.targets.join(', ')}`;
  if (s.alert !== undefined) return `${s.name} ${s.alert}`;
  return s.name;
}

function statusCodeOf(c: Command): number {
  const t = c.data?.text().trim() ?? '';
  return /^[0-9]{3}$/.test(t) ? parseInt(t, 10) : 0;
}

function decodeNonce(b64: string): Uint8Array {
  try {
    return b64decode(b64);
  } catch {
    return new Uint8Array(0);
  }
}

function copyBytes(b: Uint8Array): Uint8Array {
  return b.slice();
}

function mergeMeta(a: Meta | undefined, b: Meta | undefined): Meta | undefined {
  if (!a) return b;
  if (!b) return a;
  return { ...a, ...b };
}

function clip(s: string): string {
  return s.length > 80 ? s.slice(0, 77) + '...' : s;
}

function generatedGet(target: string, path: string): ScriptCommand {
  return { cmd: 'Get', path, items: [{ target: target === '' ? DEFAULT_GET_TARGET : target }], noResp: false, expect: null, ignoreMaxObjSize: false };
}

/** A generated Alert (path '' marks it as not from the script; 'abort' for the deferred 1223). */
function generatedAlert(code: number): ScriptCommand {
  return { cmd: 'Alert', path: code === AlertCode.SessionAbort ? 'abort' : '', code, items: [], noResp: false, expect: null, ignoreMaxObjSize: false };
}
