/**
 * The OMA DM session engine (client side): a step machine with no timers and no I/O. The host
 * (Client.ts, or a test) feeds it the server's responses and the current time; it answers with
 * what to do next — send a message, ask the user, or stop. Same engine on Node and QuickJS.
 *
 *   start(now)          → send package 1 (Alert 1200/1201, DevInfo Replace, pending generic alerts)
 *   receive(now, resp)  → decode, check the header and the server's credentials, handle Status and
 *                          Alert 1222/1223, run the other commands through the DPU, and reply
 *                          (or end the session when the server sent nothing that needs an answer)
 *   answer(now, a)      → resume after a UI alert
 *   transportFailed(…)  → the host gave up delivering a message
 *
 * Memory is fixed by `SessionLimits`: one decoder, one send buffer, a bounded queue of records to
 * send; responses that do not fit the server's MaxMsgSize continue in further messages, and an
 * item too large for any message is sent as a large object in MoreData chunks.
 */
import { MessageDecoder } from '../codec/decode';
import type { Command, DmVersion, Encoding, Message, Meta, OutAlert, OutHeader, OutItem, OutRecord, OutResults, OutStatus } from '../codec/model';
import { MessageBuilder } from '../codec/syncml/Builder';
import { WbxmlWriter } from '../codec/wbxml/Writer';
import { XmlWriter, isUtf8 } from '../codec/xml/Writer';
import { b64decode, b64encode } from '../crypto/base64';
import { DecodeError } from '../errors';
import type { LogSink, UiAnswer, UiRequest } from '../platform';
import { AlertCode, Status } from '../status';
import { utf8Encode } from '../util/utf8';
import type { AuthScheme } from './auth';
import {
  basicCredential, checkCredential, checkHmac, hmacHeader, hmacMac, md5Credential, metaTypeOf, schemeOfAAuthType, schemeOfMetaType,
} from './auth';
import { mediaType } from './http';

/** Credentials of one side (DMAcc AppAuth entry or 1.1.2 fields). */
export interface SessionCredentials {
  /** DMAcc AAuthType: BASIC, DIGEST, HMAC, or '' for none. */
  type: string;
  name: string;
  secret: Uint8Array;
  /** Stored nonce (raw bytes). */
  nonce: Uint8Array;
}

/** What the session needs to know about the account (a subset of csp/dmacc DmAccount). */
export interface SessionAccount {
  serverId: string;
  /** Server URL (AppAddr). */
  addr: string;
  /** Preferred AAuthType for the client credentials ('' = use client.type). */
  authPref: string;
  client: SessionCredentials;
  server: SessionCredentials;
}

/** The DPU as the session drives it (src/dpu/Dpu.ts). */
export interface SessionDpu {
  run(cmds: readonly Command[], ctx: { serverId: string; msgId: string; version: DmVersion; encoding?: Encoding },
    out: (r: OutStatus | OutResults | OutAlert) => void): Generator<UiRequest, { pendingChunk?: boolean; cancelled?: boolean }, UiAnswer>;
}

/** A generic alert (1226) or client event (1224) waiting to be delivered. */
export interface PendingAlert {
  /** Stable id (persisted by the queue owner). */
  id: string;
  code: number;
  correlator?: string;
  items: OutItem[];
}

export interface SessionHooks {
  dpu: SessionDpu;
  /** Makes the tree changes of the processed message durable (tree.commit()). */
  commit(): void;
  /** Persists a nonce: 'client' = issued by the server for our credentials; 'server' = issued by us. */
  setNonce(side: 'client' | 'server', nonce: Uint8Array): void;
  /** The server acknowledged (2xx) or refused a pending alert. */
  onAlertStatus?(id: string, code: number): void;
  /**
   * Alerts queued now (polled before each message): alerts that appear during the session (e.g. a
   * FUMO operation that finished) are sent in the same session. Alerts already sent in this session
   * are not sent again.
   */
  pendingAlerts?(): PendingAlert[];
  randomFill(out: Uint8Array): void;
  log: LogSink;
}

export interface SessionLimits {
  /** Largest message we accept (advertised as MaxMsgSize). */
  maxMsgSize: number;
  /** Largest object we accept (advertised as MaxObjSize). */
  maxObjSize: number;
  /** Our send buffer: no message we send is larger, whatever the server allows. */
  sendBufferSize: number;
  /** Messages we send in one session before giving up. */
  maxMessages: number;
  /** Session wall time in milliseconds. */
  maxSessionMs: number;
  /** Authentication retries (re-sent package 1) per session. */
  maxAuthRetries: number;
  /** The same server command set seen this many times → loop, abort. */
  maxRepeats: number;
  /** Records waiting to be sent. */
  maxQueue: number;
  /** Commands per received message (decoder). */
  maxCmdsPerMsg: number;
}

export const DEFAULT_SESSION_LIMITS: Readonly<SessionLimits> = Object.freeze({
  maxMsgSize: 16384,
  maxObjSize: 1048576,
  sendBufferSize: 16384,
  maxMessages: 200,
  maxSessionMs: 10 * 60 * 1000,
  maxAuthRetries: 2,
  maxRepeats: 5,
  maxQueue: 2048,
  maxCmdsPerMsg: 256,
});

export interface SessionConfig {
  account: SessionAccount;
  /** ./DevInfo/DevId, also SyncHdr Source/LocURI. */
  devId: string;
  /** 'server' after a notification (Alert 1200), 'client' otherwise (1201). */
  initiator: 'server' | 'client';
  /** SessionID: the notification's hex id, or a fresh one for client-initiated sessions. */
  sessionId: string;
  version: DmVersion;
  encoding: Encoding;
  /** Items of the package 1 Replace (./DevInfo/...). */
  devInfo: OutItem[];
  /** Generic alerts / client events to deliver in package 1. */
  alerts?: PendingAlert[];
  limits?: Partial<SessionLimits>;
  /** Server quirks (see ServerQuirks). */
  quirks?: Partial<ServerQuirks>;
}

/**
 * Deviations of real servers, handled explicitly instead of with scattered special cases.
 * Defaults are lenient where it costs nothing.
 */
export interface ServerQuirks {
  /** Compare SessionIDs case-insensitively and ignoring leading zeros (`0A3F` = `a3f`). Default true. */
  looseSessionId: boolean;
  /** Accept a server message whose SessionID does not match at all (log only). Default false. */
  ignoreSessionIdMismatch: boolean;
  /** Accept a reply in the other protocol version and switch to it. Default true. */
  followServerVersion: boolean;
}

const DEFAULT_QUIRKS: ServerQuirks = { looseSessionId: true, ignoreSessionIdMismatch: false, followServerVersion: true };

export interface OutgoingMessage {
  /** Where to POST it (the account address, or the server's RespURI). */
  url: string;
  contentType: string;
  /** Extra HTTP headers (x-syncml-hmac). */
  headers: [string, string][];
  body: Uint8Array;
  /** Our MsgID. */
  msgId: number;
  /** The message carries `<Final/>`. */
  final: boolean;
  /** False for the last message of an aborted session (Alert 1223): send it, ignore any answer. */
  expectReply: boolean;
}

export interface IncomingMessage {
  contentType: string;
  /** Value of x-syncml-hmac, if present. */
  hmac?: string;
  body: Uint8Array;
}

export type SessionOutcome = 'completed' | 'aborted' | 'failed';

export interface SessionResult {
  outcome: SessionOutcome;
  /** Machine-readable reason for aborted/failed sessions. */
  reason?: string;
  /** Human detail. */
  detail?: string;
  /** Messages we sent / received. */
  sent: number;
  received: number;
  clientAuthenticated: boolean;
  serverAuthenticated: boolean;
  /** Protocol version in use at the end. */
  version: DmVersion;
}

export type SessionStep =
  | { kind: 'send'; message: OutgoingMessage }
  | { kind: 'ui'; request: UiRequest }
  | { kind: 'done'; result: SessionResult };

/** A record queued for sending, possibly a large object being chunked. */
interface Queued {
  rec: OutRecord;
  /** Alert id, when this is a pending alert. */
  alertId?: string;
  /** For chunked items: the full data and how much was sent. */
  large?: { data: Uint8Array; sent: number; total: number };
}

/** What a CmdID of ours referred to, for the server's Status. */
interface SentRef {
  kind: string;
  alertId?: string;
}

const MIME_WBXML = 'application/vnd.syncml.dm+wbxml';
const MIME_XML = 'application/vnd.syncml.dm+xml';

export class Session {
  readonly #cfg: SessionConfig;
  readonly #hooks: SessionHooks;
  readonly #lim: SessionLimits;
  readonly #quirks: ServerQuirks;
  readonly #decoder: MessageDecoder;
  readonly #builder: MessageBuilder;
  #version: DmVersion;
  #url: string;
  #msgId = 0;
  #received = 0;
  #startedAt = 0;
  #done: SessionResult | null = null;
  /** Status for the server's last SyncHdr: first record of our next message. */
  #hdrStatus: OutStatus | null = null;
  readonly #queue: Queued[] = [];
  /** Our (msgId, cmdId) → what it was. */
  readonly #sent = new Map<string, SentRef>();
  /** The MsgID `#note` last pruned `#sent` for. */
  #sentPrunedFor = -1;
  /** The server's MaxMsgSize / MaxObjSize (0 = not given). */
  #peerMaxMsg = 0;
  #peerMaxObj = 0;
  /** Package 1 content must be (re)sent in the next message. */
  #needPkg1 = true;
  /** Our last message lacked Final (our package continues). */
  #ourPackageOpen = false;
  /** The server's current package has not been closed with Final yet. */
  #serverPkgOpen = false;
  // client credentials
  readonly #clientScheme: AuthScheme;
  #clientNonce: Uint8Array;
  #clientAuthed = false;
  #authRetries = 0;
  // server credentials
  readonly #serverScheme: AuthScheme;
  readonly #serverUser: string;
  #serverNonce: Uint8Array;
  /**
   * A nonce we put in a Chal for the server, not yet sent: it becomes #serverNonce (and is
   * persisted) only when the message carrying it goes out — a reply that is never sent (the
   * session ended) must not leave the device expecting a nonce the server never got.
   */
  #pendingServerNonce: Uint8Array | null = null;
  /** HMAC check of the current server message. */
  #hmacState: 'ok' | 'missing' | 'bad' = 'ok';
  /** Server messages refused for their credentials / HMAC in this session. */
  #serverAuthFailures = 0;
  #serverAuthed = false;
  // in-progress DPU run (paused on a UI alert)
  #dpuRun: { it: Generator<UiRequest, { pendingChunk?: boolean; cancelled?: boolean }, UiAnswer>; msg: Message; serverCommands: boolean } | null = null;
  readonly #repeats = new Map<number, number>();
  #sentVersion: DmVersion = '1.2';
  /** Ids of alerts sent in this session. */
  readonly #alertsSent = new Set<string>();

  constructor(cfg: SessionConfig, hooks: SessionHooks) {
    this.#cfg = cfg;
    this.#hooks = hooks;
    this.#lim = { ...DEFAULT_SESSION_LIMITS, ...cfg.limits };
    this.#quirks = { ...DEFAULT_QUIRKS, ...cfg.quirks };
    this.#version = cfg.version;
    this.#url = cfg.account.addr;
    this.#decoder = new MessageDecoder({ maxMsgSize: this.#lim.maxMsgSize, maxObjSize: this.#lim.maxObjSize, maxCmdsPerMsg: this.#lim.maxCmdsPerMsg });
    this.#builder = new MessageBuilder(cfg.encoding === 'wbxml' ? new WbxmlWriter(this.#lim.sendBufferSize) : new XmlWriter(this.#lim.sendBufferSize));
    const a = cfg.account;
    this.#clientScheme = schemeOfAAuthType(a.authPref || a.client.type);
    this.#clientNonce = a.client.nonce;
    this.#serverScheme = a.server.secret.length > 0 ? schemeOfAAuthType(a.server.type) : 'none';
    this.#serverUser = a.server.name || a.serverId;
    this.#serverNonce = a.server.nonce;
  }

  /** Protocol version in use. */
  get version(): DmVersion {
    return this.#version;
  }

  /** Time (same clock as `now`) after which the session must be abandoned. */
  get deadline(): number {
    return this.#startedAt + this.#lim.maxSessionMs;
  }

  /** The result once done, else null. */
  get result(): SessionResult | null {
    return this.#done;
  }

  /** Package 1. */
  start(now: number): SessionStep {
    this.#startedAt = now;
    this.#needPkg1 = true;
    return this.#sendNext();
  }

  /**
   * Rebuilds package 1 for a retry of the first delivery in another protocol version (the DM 1.1.2
   * back-compatibility policy). Only valid before any server message was received.
   */
  restartAs(version: DmVersion, now: number): SessionStep {
    if (this.#received > 0) throw new TypeError('restartAs: the session already received a server message');
    this.#version = version;
    this.#queue.length = 0;
    this.#sent.clear();
    this.#msgId = 0;
    return this.start(now);
  }

  /** The host could not deliver the last message (after its own retries). */
  transportFailed(reason: string, detail: string): SessionStep {
    return this.#finish('failed', reason, detail);
  }

  /** A server response arrived. */
  receive(now: number, resp: IncomingMessage): SessionStep {
    if (this.#done) return { kind: 'done', result: this.#done };
    if (this.#dpuRun) throw new TypeError('receive() while a UI answer is pending');
    this.#received++;
    if (now > this.deadline) return this.#abort('session-timeout', `session longer than ${this.#lim.maxSessionMs} ms`);
    const ct = mediaType(resp.contentType);
    if (ct !== MIME_WBXML && ct !== MIME_XML) return this.#finish('failed', 'bad-content-type', `server answered with Content-Type ${resp.contentType || '(none)'}`);
    // HMAC integrity of the server's message (when the server side uses HMAC)
    // (a failure is answered like bad credentials: 401/407 with a fresh nonce, nothing executed;
    // the server may retry with that nonce — the stale-nonce case — a bounded number of times)
    if (this.#serverScheme === 'hmac') {
      const ok = resp.hmac !== undefined && checkHmac(resp.hmac, this.#serverUser, this.#cfg.account.server.secret, this.#serverNonce, resp.body);
      this.#hmacState = ok ? 'ok' : resp.hmac === undefined ? 'missing' : 'bad';
      if (ok) this.#serverAuthed = true;
      else this.#hooks.log('warn', 'server message refused: x-syncml-hmac', { problem: this.#hmacState });
    }
    let msg: Message;
    try {
      msg = this.#decoder.decode(resp.body, ct === MIME_WBXML ? 'wbxml' : 'xml');
    } catch (e) {
      if (e instanceof DecodeError) return this.#finish('failed', 'malformed-message', e.message);
      throw e;
    }
    // header
    const h = msg.hdr;
    if (!this.#sameSessionId(h.sessionId)) {
      if (!this.#quirks.ignoreSessionIdMismatch) return this.#finish('failed', 'session-id-mismatch', `server SessionID ${h.sessionId}, ours ${this.#cfg.sessionId}`);
      this.#hooks.log('warn', 'server SessionID differs (quirk: ignored)', { theirs: h.sessionId, ours: this.#cfg.sessionId });
    }
    if (h.verDtd !== '1.2' && h.verDtd !== '1.1') return this.#finish('failed', 'unsupported-version', `VerDTD ${h.verDtd}`);
    /** The version of our last message (a refusal of it may be written in the server's version). */
    this.#sentVersion = this.#version;
    if (msg.version !== this.#version) {
      if (!this.#quirks.followServerVersion) return this.#finish('failed', 'version-mismatch', `server speaks DM ${msg.version}`);
      this.#hooks.log('info', 'switching to the server\'s protocol version', { version: msg.version });
      this.#version = msg.version;
    }
    if (h.respUri) this.#url = h.respUri;
    if (h.meta?.maxMsgSize !== undefined) this.#peerMaxMsg = h.meta.maxMsgSize;
    if (h.meta?.maxObjSize !== undefined) this.#peerMaxObj = h.meta.maxObjSize;
    this.#hdrStatus = this.#serverHeaderStatus(msg);
    if (this.#hdrStatus.code === Status.InvalidCredentials || this.#hdrStatus.code === Status.MissingCredentials) {
      if (++this.#serverAuthFailures > this.#lim.maxAuthRetries) {
        const hmac = this.#serverScheme === 'hmac';
        return this.#finish('failed', hmac ? 'hmac-mismatch' : 'server-auth-failed',
          hmac ? `x-syncml-hmac ${this.#hmacState === 'missing' ? 'missing' : 'wrong'} in ${this.#serverAuthFailures} server messages` : `server credentials refused ${this.#serverAuthFailures} times`);
      }
    }
    // loop detection on the server's commands
    const sig = signature(msg);
    if (sig !== 0) {
      const n = (this.#repeats.get(sig) ?? 0) + 1;
      this.#repeats.set(sig, n);
      if (this.#repeats.size > 256) this.#repeats.clear();
      if (n > this.#lim.maxRepeats) return this.#abort('loop-detected', `the server sent the same commands ${n} times`);
    }
    // statuses for our commands, 1222 / 1223
    let nextRequested = false;
    let serverCommands = false;
    const mgmt: Command[] = [];
    for (const c of msg.body) {
      if (c.name === 'Status') {
        const r = this.#onStatus(c, msg);
        if (r) return r;
        continue;
      }
      if (c.name === 'Results') continue; // a server never needs our answer to Results
      if (c.name === 'Alert') {
        const code = parseInt(c.data?.text().trim() ?? '', 10);
        if (code === AlertCode.NextMessage) {
          nextRequested = true;
          this.#enqueue({ rec: this.#statusFor(c, msg, Status.Ok) });
          continue;
        }
        if (code === AlertCode.SessionAbort) {
          this.#hooks.commit();
          return this.#finish('aborted', 'server-abort', 'the server sent Alert 1223');
        }
      }
      serverCommands = true;
      mgmt.push(c);
    }
    // the server's package is open while its messages come without Final (a reply that only asks
    // for our next message, Alert 1222, does not open a package)
    if (msg.final) this.#serverPkgOpen = false;
    else if (!nextRequested || serverCommands) this.#serverPkgOpen = true;
    if (this.#needPkg1) {
      // authentication failed: re-send package 1 with new credentials, nothing else is executed
      for (const c of mgmt) this.#enqueue({ rec: this.#statusFor(c, msg, this.#hdrStatus.code >= 400 ? this.#hdrStatus.code : Status.InvalidCredentials) });
      return this.#sendNext();
    }
    if (this.#hdrStatus.code === Status.InvalidCredentials || this.#hdrStatus.code === Status.MissingCredentials) {
      // the server did not authenticate: answer every command with that code, execute nothing
      for (const c of mgmt) this.#enqueue({ rec: this.#statusFor(c, msg, this.#hdrStatus.code) });
      return this.#reply(msg, true, nextRequested);
    }
    if (mgmt.length === 0) return this.#reply(msg, serverCommands, nextRequested);
    const it = this.#hooks.dpu.run(mgmt, { serverId: this.#cfg.account.serverId, msgId: h.msgId, version: this.#version, encoding: this.#cfg.encoding }, (r) => this.#enqueue({ rec: r }));
    this.#dpuRun = { it, msg, serverCommands };
    return this.#continueDpu(undefined, nextRequested);
  }

  /** The user's answer to the pending UI request. */
  answer(now: number, a: UiAnswer): SessionStep {
    if (!this.#dpuRun) throw new TypeError('answer() without a pending UI request');
    if (now > this.deadline) {
      this.#dpuRun = null;
      return this.#abort('session-timeout', 'session time exceeded while waiting for the user');
    }
    return this.#continueDpu(a, false);
  }

  // ------------------------------------------------------------------ internals

  #continueDpu(answer: UiAnswer | undefined, nextRequested: boolean): SessionStep {
    const run = this.#dpuRun!;
    let r: IteratorResult<UiRequest, { pendingChunk?: boolean; cancelled?: boolean }>;
    r = answer === undefined ? run.it.next() : run.it.next(answer);
    if (!r.done) return { kind: 'ui', request: r.value };
    this.#dpuRun = null;
    try {
      this.#hooks.commit();
    } catch (e) {
      this.#hooks.log('error', 'tree commit failed', { error: String(e) });
      return this.#finish('failed', 'commit-failed', String(e));
    }
    return this.#reply(run.msg, run.serverCommands, nextRequested);
  }

  /** Decides what to send after processing a server message. */
  #reply(msg: Message, serverCommands: boolean, nextRequested: boolean): SessionStep {
    // alerts raised during the session (after package 1) go out in this session
    if (!this.#needPkg1 && this.#hooks.pendingAlerts) {
      for (const q of this.#newAlerts(this.#hooks.pendingAlerts())) this.#enqueue(q);
    }
    if (!msg.final && !nextRequested) {
      // the server's package continues: statuses so far, then ask for its next message
      this.#enqueue({ rec: { kind: 'Alert', code: AlertCode.NextMessage } });
      return this.#sendNext();
    }
    if (msg.final && !serverCommands && !nextRequested && this.#queue.length === 0 && !this.#ourPackageOpen && !this.#needPkg1) {
      // nothing but statuses: the session is over (our reply would hold only the SyncHdr status)
      return this.#finish('completed');
    }
    return this.#sendNext();
  }

  #sameSessionId(theirs: string): boolean {
    const ours = this.#cfg.sessionId;
    if (theirs === ours) return true;
    if (!this.#quirks.looseSessionId) return false;
    const norm = (s: string): string => s.trim().toUpperCase().replace(/^0+(?=.)/, '');
    return norm(theirs) === norm(ours);
  }

  /** Our Status for the server's SyncHdr, after checking its credentials. */
  #serverHeaderStatus(msg: Message): OutStatus {
    const h = msg.hdr;
    const st: OutStatus = { kind: 'Status', msgRef: h.msgId, cmdRef: '0', cmd: 'SyncHdr', targetRefs: [h.target], sourceRefs: [h.source], code: Status.Ok };
    const scheme = this.#serverScheme;
    if (scheme === 'none') return st;
    if (scheme === 'hmac') {
      // verified on receipt; a fresh nonce for the next message every time
      if (this.#hmacState !== 'ok') st.code = this.#hmacState === 'missing' ? Status.MissingCredentials : Status.InvalidCredentials;
      st.chal = this.#newServerChal('hmac');
      return st;
    }
    if (this.#serverAuthed) return st;
    const cred = h.cred;
    if (!cred) {
      st.code = Status.MissingCredentials;
      st.chal = this.#newServerChal(scheme);
      return st;
    }
    const credScheme = schemeOfMetaType(cred.meta.type) ?? 'basic';
    const a = this.#cfg.account.server;
    const ok = (credScheme === 'basic' || credScheme === 'md5') && credScheme === scheme
      && checkCredential(credScheme, cred.data, this.#serverUser, a.secret, this.#serverNonce);
    if (!ok) {
      this.#hooks.log('warn', 'server credentials rejected', { scheme: credScheme });
      st.code = Status.InvalidCredentials;
      st.chal = this.#newServerChal(scheme);
      return st;
    }
    this.#serverAuthed = true;
    st.code = Status.AuthAccepted;
    // md5: the nonce for the next session travels now
    if (scheme === 'md5') st.chal = this.#newServerChal('md5');
    return st;
  }

  /** A Chal with a fresh nonce for the server's next credentials; the nonce is persisted. */
  #newServerChal(scheme: AuthScheme): { meta: Meta } {
    if (scheme === 'basic') return { meta: { type: metaTypeOf('basic'), format: 'b64' } };
    const n = new Uint8Array(16);
    this.#hooks.randomFill(n);
    this.#pendingServerNonce = n;
    return { meta: { type: metaTypeOf(scheme), format: 'b64', nextNonce: b64encode(n) } };
  }

  /** A Status from the server about one of our commands. Returns a step when the session ends here. */
  #onStatus(c: Command, msg: Message): SessionStep | null {
    const code = parseInt(c.data?.text().trim() ?? '', 10);
    const key = `${c.msgRef ?? ''}:${c.cmdRef ?? ''}`;
    if (c.cmdRef === '0' || c.cmd === 'SyncHdr') return this.#onHeaderStatus(c, code);
    const ref = this.#sent.get(key);
    if (ref?.alertId !== undefined) this.#hooks.onAlertStatus?.(ref.alertId, code);
    if (!(code >= 200 && code < 300)) this.#hooks.log('warn', 'server reported an error for one of our commands', { cmd: c.cmd, cmdRef: c.cmdRef, code });
    void msg;
    return null;
  }

  #onHeaderStatus(c: Command, code: number): SessionStep | null {
    const chal = c.chal;
    if (chal?.meta.nextNonce !== undefined) {
      try {
        this.#clientNonce = b64decode(chal.meta.nextNonce);
      } catch {
        this.#hooks.log('warn', 'server NextNonce is not Base64; ignored');
      }
    }
    switch (code) {
      case Status.AuthAccepted:
        this.#clientAuthed = true;
        this.#persistClientNonce(chal !== undefined);
        this.#needPkg1 = false;
        return null;
      case Status.Ok:
        // accepted; with basic/md5 the credentials go on every message (no 212)
        this.#persistClientNonce(chal !== undefined);
        this.#needPkg1 = false;
        if (this.#clientScheme === 'none' || this.#clientScheme === 'hmac') this.#clientAuthed = true;
        return null;
      case Status.InvalidCredentials:
      case Status.MissingCredentials: {
        if (this.#authRetries >= this.#lim.maxAuthRetries) {
          return this.#finish('failed', 'auth-failed', `server answered ${code} to our credentials ${this.#authRetries + 1} times`);
        }
        const want = schemeOfMetaType(chal?.meta.type);
        if (want !== null && want !== this.#clientScheme && !(want === 'hmac' && this.#clientScheme === 'hmac')) {
          return this.#finish('failed', 'auth-scheme', `server requires ${chal?.meta.type}, the account is configured for ${this.#clientScheme}`);
        }
        if (this.#clientScheme === 'none') return this.#finish('failed', 'auth-required', 'server requires credentials and the account has none');
        this.#authRetries++;
        this.#needPkg1 = true;
        this.#queue.length = 0;
        return null;
      }
      case Status.DtdVersionNotSupported:
      case Status.ProtocolVersionNotSupported:
        this.#version = this.#sentVersion;
        return this.#finish('failed', 'version-rejected', `server refused DM ${this.#sentVersion} (${code})`);
      default:
        if (code >= 200 && code < 300) {
          this.#needPkg1 = false;
          return null;
        }
        return this.#finish('failed', 'header-refused', `server answered ${code} to our SyncHdr`);
    }
  }

  /** Nonce hygiene: keep a server-issued nonce only when the server is trusted (authenticated or no server auth configured). */
  #persistClientNonce(hadChal: boolean): void {
    if (!hadChal) return;
    if (this.#serverScheme !== 'none' && !this.#serverAuthed) return;
    this.#hooks.setNonce('client', this.#clientNonce);
  }

  #statusFor(c: Command, msg: Message, code: number): OutStatus {
    const st: OutStatus = { kind: 'Status', msgRef: msg.hdr.msgId, cmdRef: c.cmdId ?? '', cmd: c.name === 'Unknown' ? c.element : c.name, code };
    const tr = c.items.map((i) => i.target).filter((t): t is string => t !== undefined);
    if (tr.length > 0) st.targetRefs = tr;
    return st;
  }

  #enqueue(q: Queued): void {
    if (this.#queue.length >= this.#lim.maxQueue) {
      // fixed memory: a runaway response is cut here and the session aborted when sending
      this.#overflowed = true;
      return;
    }
    this.#queue.push(q);
  }
  #overflowed = false;

  #header(): OutHeader {
    const a = this.#cfg.account;
    const hdr: OutHeader = {
      version: this.#version, sessionId: this.#cfg.sessionId, msgId: String(this.#msgId), target: this.#url, source: this.#cfg.devId,
    };
    const scheme = this.#clientScheme;
    if (scheme === 'md5' || scheme === 'hmac') hdr.sourceName = a.client.name;
    if (!this.#clientAuthed && (scheme === 'basic' || scheme === 'md5')) {
      const data = scheme === 'basic' ? basicCredential(a.client.name, a.client.secret) : md5Credential(a.client.name, a.client.secret, this.#clientNonce);
      hdr.cred = { meta: { type: metaTypeOf(scheme), format: 'b64' }, data };
    }
    if (this.#msgId === 1 || this.#needPkg1) hdr.meta = { maxMsgSize: this.#lim.maxMsgSize, maxObjSize: this.#lim.maxObjSize };
    return hdr;
  }

  /** Package 1 records: Alert 1200/1201, DevInfo Replace, pending alerts. */
  #pkg1(): Queued[] {
    const out: Queued[] = [
      { rec: { kind: 'Alert', code: this.#cfg.initiator === 'server' ? AlertCode.ServerInitiated : AlertCode.ClientInitiated } },
      { rec: { kind: 'Replace', items: this.#cfg.devInfo } },
    ];
    this.#alertsSent.clear();
    out.push(...this.#newAlerts(this.#cfg.alerts ?? []));
    return out;
  }

  /** Alerts not sent in this session yet, as records (Generic Alerts only in DM 1.2). */
  #newAlerts(list: readonly PendingAlert[]): Queued[] {
    const out: Queued[] = [];
    for (const a of list) {
      if (this.#alertsSent.has(a.id)) continue;
      // DM 1.1.2 has no Generic Alert: such alerts wait for a 1.2 session
      if (this.#version === '1.1.2' && a.code === AlertCode.GenericAlert) continue;
      const rec: OutAlert = { kind: 'Alert', code: a.code, items: a.items };
      if (a.correlator !== undefined) rec.correlator = a.correlator;
      this.#alertsSent.add(a.id);
      out.push({ rec, alertId: a.id });
    }
    return out;
  }

  /**
   * Builds and returns the next message: the SyncHdr status, then queued records while they fit.
   * The message carries Final when everything queued went out and the server's package is closed.
   */
  #sendNext(): SessionStep {
    if (this.#overflowed) return this.#abort('response-too-large', `more than ${this.#lim.maxQueue} records to send`);
    if (this.#msgId >= this.#lim.maxMessages) return this.#abort('too-many-messages', `more than ${this.#lim.maxMessages} messages`);
    if (this.#needPkg1) {
      // package 1 content goes before everything else
      this.#queue.unshift(...this.#pkg1());
      this.#needPkg1 = false;
    }
    this.#msgId++;
    const b = this.#builder;
    const limit = this.#messageLimit();
    if (!b.begin(this.#header(), limit)) return this.#finish('failed', 'message-too-small', `MaxMsgSize ${limit} cannot hold a SyncHdr`);
    let cmdId = 1;
    if (this.#hdrStatus) {
      if (!b.add(this.#hdrStatus, String(cmdId))) return this.#finish('failed', 'message-too-small', `MaxMsgSize ${limit} cannot hold the SyncHdr status`);
      cmdId++;
      this.#hdrStatus = null;
    }
    const base = b.records;
    let sentAll = true;
    while (this.#queue.length > 0) {
      const q = this.#queue[0]!;
      if (q.large) {
        // a large object in progress: as big a chunk as fits, one chunk per message
        if (!this.#addChunk(q, String(cmdId))) {
          if (b.records === base) return this.#finish('failed', 'message-too-small', `MaxMsgSize ${limit} cannot hold a large-object chunk`);
          sentAll = false;
          break;
        }
        this.#note(cmdId, q);
        cmdId++;
        if (q.large.sent < q.large.total) {
          sentAll = false;
          break;
        }
        this.#queue.shift();
        continue;
      }
      const rec = this.#forEncoding(q.rec);
      if (b.add(rec, String(cmdId))) {
        this.#note(cmdId, q);
        cmdId++;
        this.#queue.shift();
        continue;
      }
      if (b.records > base) {
        // the message is full: the rest goes in the next one
        sentAll = false;
        break;
      }
      // alone in a message and still too large: split items, then chunk the data
      const items = 'items' in rec ? rec.items : undefined;
      if (items && items.length > 1 && (rec.kind === 'Results' || rec.kind === 'Replace' || rec.kind === 'Status')) {
        const parts: Queued[] = items.map((it) => ({ rec: { ...rec, items: [it] } as OutRecord }));
        this.#queue.splice(0, 1, ...parts);
        continue;
      }
      if (this.#canChunk(rec)) {
        const item = (rec as OutResults).items[0]!;
        const data = typeof item.data === 'string' ? utf8Encode(item.data) : item.data!;
        if (this.#peerMaxObj > 0 && data.length > this.#peerMaxObj) {
          return this.#finish('failed', 'object-too-large', `a ${data.length}-byte object exceeds the server's MaxObjSize ${this.#peerMaxObj}`);
        }
        q.rec = rec;
        q.large = { data, sent: 0, total: data.length };
        continue;
      }
      return this.#finish('failed', 'record-too-large', `a ${rec.kind} does not fit in MaxMsgSize ${limit}`);
    }
    const final = sentAll && !this.#serverPkgOpen;
    this.#ourPackageOpen = !sentAll;
    let body: Uint8Array;
    try {
      body = b.finish(final).slice();
    } catch (e) {
      return this.#finish('failed', 'message-too-small', String(e));
    }
    return { kind: 'send', message: this.#outgoing(body, final, true) };
  }

  /** The size limit of our next message: the server's MaxMsgSize, bounded by our buffer. */
  #messageLimit(): number {
    return Math.min(this.#lim.sendBufferSize, this.#peerMaxMsg > 0 ? this.#peerMaxMsg : this.#lim.sendBufferSize);
  }

  /** Remembers what CmdID `cmdId` of the current message was. */
  #note(cmdId: number, q: Queued): void {
    if (this.#sentPrunedFor !== this.#msgId) {
      // a new message: keep only the references of the last few (the server answers the previous one),
      // so a long session (a large object over hundreds of messages) does not accumulate them
      this.#sentPrunedFor = this.#msgId;
      for (const k of this.#sent.keys()) {
        if (parseInt(k, 10) < this.#msgId - 4) this.#sent.delete(k);
      }
    }
    const ref: SentRef = { kind: q.rec.kind };
    if (q.alertId !== undefined) ref.alertId = q.alertId;
    this.#sent.set(`${this.#msgId}:${cmdId}`, ref);
  }

  #canChunk(rec: OutRecord): boolean {
    return (rec.kind === 'Results' || rec.kind === 'Alert' || rec.kind === 'Replace') && rec.items !== undefined && rec.items.length === 1 && rec.items[0]!.data !== undefined;
  }

  /** Adds the next chunk of a large object: as much data as fits. */
  #addChunk(q: Queued, cmdId: string): boolean {
    const L = q.large!;
    const rec = q.rec as OutResults;
    const item = rec.items[0]!;
    const b = this.#builder;
    const remaining = L.total - L.sent;
    // try the whole rest, then shrink (binary search on the chunk size)
    let lo = 0;
    let hi = remaining;
    let best = 0;
    const xml = this.#cfg.encoding === 'xml';
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      let n = mid;
      if (xml) n = utf8Boundary(L.data, L.sent, n);
      const piece = L.data.subarray(L.sent, L.sent + n);
      const more = L.sent + n < L.total;
      const meta: Meta = { ...(item.meta ?? {}) };
      if (L.sent === 0) meta.size = L.total;
      else delete meta.size;
      const chunkItem: OutItem = { ...item, meta, data: piece };
      if (more) chunkItem.moreData = true;
      else delete chunkItem.moreData;
      const chunkRec = { ...rec, items: [chunkItem] } as OutRecord;
      if (n > 0 && b.fits(chunkRec, cmdId)) {
        best = n;
        lo = mid + 1;
      } else hi = mid - 1;
      if (mid === 0) break;
    }
    if (best === 0) return false;
    const piece = L.data.subarray(L.sent, L.sent + best);
    const more = L.sent + best < L.total;
    const meta: Meta = { ...(item.meta ?? {}) };
    if (L.sent === 0) meta.size = L.total;
    else delete meta.size;
    const chunkItem: OutItem = { ...item, meta, data: piece };
    if (more) chunkItem.moreData = true;
    const ok = b.add({ ...rec, items: [chunkItem] } as OutRecord, cmdId);
    if (ok) L.sent += best;
    return ok;
  }

  /** Binary item data in XML: Base64 with Format b64 (XML cannot carry arbitrary bytes). */
  #forEncoding(rec: OutRecord): OutRecord {
    if (this.#cfg.encoding !== 'xml' || !('items' in rec) || !rec.items) return rec;
    let changed = false;
    const items = rec.items.map((it) => {
      if (!(it.data instanceof Uint8Array)) return it;
      const fmt = it.meta?.format;
      if (fmt !== 'bin' && isUtf8(it.data)) return it;
      changed = true;
      return { ...it, data: b64encode(it.data), meta: { ...(it.meta ?? {}), format: 'b64' } };
    });
    return changed ? ({ ...rec, items } as OutRecord) : rec;
  }

  #outgoing(body: Uint8Array, final: boolean, expectReply: boolean): OutgoingMessage {
    if (this.#pendingServerNonce) {
      // the nonce in this message's Chal is now the server's: use it for its next message, keep it
      this.#serverNonce = this.#pendingServerNonce;
      this.#pendingServerNonce = null;
      this.#hooks.setNonce('server', this.#serverNonce);
    }
    const headers: [string, string][] = [];
    if (this.#clientScheme === 'hmac') {
      const a = this.#cfg.account.client;
      headers.push(['x-syncml-hmac', hmacHeader(a.name, hmacMac(a.name, a.secret, this.#clientNonce, body))]);
    }
    return {
      url: this.#url, contentType: this.#cfg.encoding === 'wbxml' ? MIME_WBXML : MIME_XML, headers, body, msgId: this.#msgId, final, expectReply,
    };
  }

  /** Sends Alert 1223 (with what is already queued) and ends the session. */
  #abort(reason: string, detail: string): SessionStep {
    this.#hooks.log('warn', 'aborting the session', { reason, detail });
    try {
      this.#hooks.commit();
    } catch {
      // nothing more to do: the abort goes out anyway
    }
    this.#queue.length = 0;
    this.#msgId++;
    const b = this.#builder;
    b.begin(this.#header(), this.#messageLimit());
    let cmdId = 1;
    if (this.#hdrStatus) {
      b.add(this.#hdrStatus, String(cmdId++));
      this.#hdrStatus = null;
    }
    b.add({ kind: 'Alert', code: AlertCode.SessionAbort }, String(cmdId));
    const body = b.finish(true).slice();
    this.#finish('aborted', reason, detail);
    // the caller sends this last message and ignores any response
    return { kind: 'send', message: this.#outgoing(body, true, false) };
  }

  #finish(outcome: SessionOutcome, reason?: string, detail?: string): SessionStep {
    const r: SessionResult = {
      outcome, sent: this.#msgId, received: this.#received, clientAuthenticated: this.#clientAuthed || (this.#clientScheme === 'none' && this.#received > 0),
      serverAuthenticated: this.#serverAuthed, version: this.#version,
    };
    if (reason !== undefined) r.reason = reason;
    if (detail !== undefined) r.detail = detail;
    this.#done = r;
    if (outcome !== 'completed') this.#hooks.log(outcome === 'failed' ? 'error' : 'warn', `session ${outcome}`, { reason, detail });
    return { kind: 'done', result: r };
  }
}

/** Largest n' ≤ n such that data[start, start+n') ends on a UTF-8 character boundary (for XML text). */
function utf8Boundary(d: Uint8Array, start: number, n: number): number {
  let e = start + n;
  if (e >= d.length) return d.length - start;
  let k = 0;
  while (e > start && (d[e]! & 0xc0) === 0x80 && k < 4) {
    e--;
    k++;
  }
  return e - start;
}

/** A cheap signature of the server's commands (names, targets, alert codes, first data bytes); 0 when none. */
function signature(m: Message): number {
  let h = 0x811c9dc5 | 0;
  let any = false;
  const mix = (s: string): void => {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  };
  const walk = (cmds: readonly Command[]): void => {
    for (const c of cmds) {
      if (c.name === 'Status' || c.name === 'Results') continue;
      if (c.name === 'Alert' && c.data?.text().trim() === '1222') continue; // paging, not a command
      any = true;
      mix(c.name);
      if (c.data) mix(c.data.text().slice(0, 16));
      for (const it of c.items) {
        mix(it.target ?? '');
        mix(it.source ?? '');
        if (it.data) {
          // length and both ends: chunks of one large object differ, repeated commands do not
          const d = it.data.bytes;
          mix(String(d.length));
          for (let i = 0; i < 16 && i < d.length; i++) h = Math.imul(h ^ d[i]!, 0x01000193);
          for (let i = Math.max(0, d.length - 16); i < d.length; i++) h = Math.imul(h ^ d[i]!, 0x01000193);
        }
      }
      if (c.children) walk(c.children);
    }
  };
  walk(m.body);
  return any ? h || 1 : 0;
}
