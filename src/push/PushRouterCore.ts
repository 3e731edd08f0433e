/**
 * The push router core (OMA DM notification path): inbound WDP datagram → session decision.
 * `PushRouter` (./PushRouter) is this class with the SMS bearers (GSM SMS-DELIVER, CDMA WAP
 * teleservice, concatenation); the core alone takes WDP datagrams (push over IP, port 2948), so a
 * device that listens only on WDP does not load the SMS decoders (the QuickJS host's `listen`
 * without `--modem`).
 *
 *   GSM SMS-DELIVER or CDMA WAP teleservice → port 2948 check → reassembly → WSP Push →
 *   Content-Type 0x44 / textual form → X-Wap-Application-Id 7 / textual form → package #0 →
 *   DMAcc lookup by server id → digest (with the reset-nonce retry) → duplicate session id and
 *   rate limit (one bounded table) → ui-mode → decision.
 *
 * Every outcome is a value delivered to `onDecision`: accepted (start a session with Alert 1200
 * and SessionID `sessionId`) or rejected with a reason. Every rejection is logged (never secrets,
 * digests or nonces). `handle()` never throws for bad input; unexpected internal errors are
 * logged at 'error' and reported as 'malformed'.
 *
 * The host owns the loop: call `tick()` at `nextDeadline()` so timed-out partial messages are
 * reported as 'incomplete' even when no further SMS arrives.
 */
import type { WspPush } from './wspPdu';
import { bootstrapKind } from '../bootstrap/kind';
import { DecodeError } from '../errors';
import type { InboundSms, LogSink, UserInterface, LogLevel } from '../platform';
import type { DuplicatePortsMode } from './cdma';
import { decodeWspPush, WSP_PDU_PUSH, WSP_CT_SYNCML_NOTIFICATION, WSP_APPID_SYNCML_DM, wspAppIdName, wspContentTypeName, DEFAULT_WSP_MAX_HEADERS } from './wspPdu';
import { parsePkg0, verifyPkg0, UiMode } from './pkg0';
import { DEFAULT_REASSEMBLY_LIMITS } from './reassemblyLimits';
import type { ReassemblyLimits, ReassemblyUsage } from './reassemblyLimits';

/** Server credentials the router needs from a DMAcc (SRVCRED AppAuth). */
export interface PushAccount {
  serverId: string;
  /** SRVCRED AAuthSecret (bytes of the secret as stored). */
  serverSecret: Uint8Array;
  /** SRVCRED AAuthData: the nonce the client issued to the server, raw bytes. */
  serverNonce: Uint8Array;
}

/** Account lookup (the DMAcc CSP implements it). */
export interface PushAccounts {
  /** The account whose ServerID equals `serverId` exactly, or null. */
  find(serverId: string): PushAccount | null;
}

/** Why a push did not start a session. */
export type PushRejectReason =
  | 'malformed' | 'wrong-port' | 'wrong-content-type' | 'wrong-app-id' | 'unknown-server'
  | 'bad-digest' | 'duplicate' | 'rate-limited' | 'user-declined' | 'incomplete';

/** An authenticated notification: start a server-initiated session. */
export interface PushAccepted {
  outcome: 'accepted';
  serverId: string;
  /** For the pkg1 SyncHdr SessionID: uppercase hex without leading zeros. */
  sessionId: string;
  uiMode: UiMode;
  initiator: number;
  /** Notification version field (e.g. 12 or 11). */
  version: number;
  /** Vendor-specific trigger body (a copy). */
  vendor: Uint8Array;
  /** True when only the reset nonce matched: the session must renegotiate the server nonce. */
  nonceReset: boolean;
}

/** A dropped push. */
export interface PushRejected {
  outcome: 'rejected';
  reason: PushRejectReason;
  /** Human-readable detail for logs (no secrets). */
  detail: string;
}

export type PushDecision = PushAccepted | PushRejected;

/** Bounded notification bookkeeping. */
export const DEFAULT_MAX_TRACKED = 16;
/** A session id seen again from the same server within this window is a duplicate (ms). */
export const DEFAULT_DUPLICATE_WINDOW_MS = 600_000;
/** At most this many accepted notifications per server per rate window. */
export const DEFAULT_RATE_LIMIT_COUNT = 3;
/** Rate-limit window (ms). */
export const DEFAULT_RATE_WINDOW_MS = 60_000;

/** Router bounds: reassembly plus the notification table. */
export interface PushRouterLimits extends ReassemblyLimits {
  /** Recently accepted notifications remembered (default 16; ≥ rateLimitCount). Oldest entry is overwritten. */
  maxTracked: number;
  /** Duplicate session-id window in ms (default 600 000). */
  duplicateWindowMs: number;
  /** Accepted notifications per server per window (default 3). */
  rateLimitCount: number;
  /** Rate window in ms (default 60 000). */
  rateWindowMs: number;
  /** WSP headers per push (default 32). */
  maxWspHeaders: number;
}

/** Defaults as one object. */
export const DEFAULT_PUSH_ROUTER_LIMITS: Readonly<PushRouterLimits> = Object.freeze({
  ...DEFAULT_REASSEMBLY_LIMITS,
  maxTracked: DEFAULT_MAX_TRACKED,
  duplicateWindowMs: DEFAULT_DUPLICATE_WINDOW_MS,
  rateLimitCount: DEFAULT_RATE_LIMIT_COUNT,
  rateWindowMs: DEFAULT_RATE_WINDOW_MS,
  maxWspHeaders: DEFAULT_WSP_MAX_HEADERS,
});

export interface PushRouterOptions {
  accounts: PushAccounts;
  /** Host UI. Absent: ui-mode 3 follows `noUi`. */
  ui?: UserInterface;
  log: LogSink;
  /** Monotonic milliseconds. */
  now: () => number;
  limits?: Partial<PushRouterLimits>;
  /** Receives every decision (synchronously from `handle()`/`tick()`, or later after a UI answer). */
  onDecision: (d: PushDecision) => void;
  /** Retry a failed digest with the reset nonce (4 zero bytes). Default true (facts §6.2). */
  allowNonceReset?: boolean;
  /** CDMA duplicated-WDP-ports quirk handling. Default 'detect'. */
  cdmaDuplicatePorts?: DuplicatePortsMode;
  /** Which notification version fields to accept. Default: 10..19 (1.x; both 11 and 12 seen in the wild). */
  acceptVersion?: (version: number) => boolean;
  /** ui-mode 3 without a UI: 'accept' (headless device, default) or 'decline'. */
  noUi?: 'accept' | 'decline';
  /**
   * Bootstrap documents (OMA DM bootstrap `application/vnd.syncml.dm+wbxml; SEC=…; MAC=…`, OMA CP)
   * are handed here instead of being rejected; without it they are rejected like any other type.
   */
  onBootstrap?: (push: WspPush) => void;
}

/** What the core asks of a reassembler (./Reassembler implements it). */
export interface SegmentStore {
  /** Evicts partial messages timed out at `now`; returns how many. */
  expire(now: number): number;
  /** When the next partial message times out, or null. */
  nextDeadline(): number | null;
  usage(): ReassemblyUsage;
}

/** Router counters. */
export interface PushRouterUsage {
  reassembly: ReassemblyUsage;
  /** Entries in the notification table now. */
  tracked: number;
  accepted: number;
  rejected: Record<PushRejectReason, number>;
}

const DM_CT = wspContentTypeName(WSP_CT_SYNCML_NOTIFICATION);
const DM_APP = wspAppIdName(WSP_APPID_SYNCML_DM)!;

/** Internal early exit carrying a rejection. */
class Reject {
  constructor(readonly reason: PushRejectReason, readonly detail: string) {}
}

export class PushRouterCore {
  readonly limits: Readonly<PushRouterLimits>;
  readonly #o: PushRouterOptions;
  /** Notification table (ring): server id, session id, acceptance time; null server = empty. */
  readonly #tServer: (string | null)[];
  readonly #tSession: Int32Array;
  readonly #tAt: Float64Array;
  #tNext = 0;
  #accepted = 0;
  readonly #rejected: Record<PushRejectReason, number> = {
    'malformed': 0, 'wrong-port': 0, 'wrong-content-type': 0, 'wrong-app-id': 0, 'unknown-server': 0,
    'bad-digest': 0, 'duplicate': 0, 'rate-limited': 0, 'user-declined': 0, 'incomplete': 0,
  };

  /** RangeError naming the field for invalid limits; TypeError for missing callbacks. */
  constructor(opts: PushRouterOptions) {
    if (!opts || typeof opts.onDecision !== 'function' || typeof opts.now !== 'function' || typeof opts.log !== 'function' || !opts.accounts) {
      throw new TypeError('PushRouter: accounts, log, now and onDecision are required');
    }
    const l: PushRouterLimits = { ...DEFAULT_PUSH_ROUTER_LIMITS, ...(opts.limits ?? {}) };
    for (const [k, v] of Object.entries(l)) {
      if (!Number.isInteger(v) || v <= 0) throw new RangeError(`PushRouter: limits.${k} must be a positive integer`);
    }
    if (l.maxTracked < l.rateLimitCount) throw new RangeError('PushRouter: limits.maxTracked must be >= limits.rateLimitCount');
    this.limits = Object.freeze(l);
    this.#o = opts;
    this.#tServer = new Array<string | null>(l.maxTracked).fill(null);
    this.#tSession = new Int32Array(l.maxTracked);
    this.#tAt = new Float64Array(l.maxTracked);
  }

  /** Processes one inbound SMS or WDP datagram. Never throws for bad input. */
  handle(sms: InboundSms): void {
    let out: PushRejected | null = null;
    try {
      if (!sms || !(sms.bytes instanceof Uint8Array)) throw new Reject('malformed', 'no bytes');
      if (sms.kind !== 'gsm' && sms.kind !== 'cdma' && sms.kind !== 'wdp') throw new Reject('malformed', `unknown SMS kind ${String(sms.kind)}`);
      const payload = sms.kind === 'wdp' ? sms.bytes : this.bearer(sms);
      if (payload) this.#push(payload);
    } catch (e) {
      out = this.#asRejection(e);
    }
    if (out) this.#reject(out);
  }

  /** Evicts timed-out partial messages (each reported as 'incomplete'). */
  tick(): void {
    this.segments()?.expire(this.#o.now());
  }

  /** When `tick()` should next run (monotonic ms), or null when nothing is pending. */
  nextDeadline(): number | null {
    return this.segments()?.nextDeadline() ?? null;
  }

  /** Counters and high-water marks. */
  usage(): PushRouterUsage {
    const reassembly = this.segments()?.usage() ?? {
      pending: 0, highPending: 0, bytes: 0, highBytes: 0, completed: 0, duplicates: 0, evictedTimeout: 0, evictedCapacity: 0, refused: 0,
    };
    return { reassembly, tracked: this.#tServer.filter((s) => s !== null).length, accepted: this.#accepted, rejected: { ...this.#rejected } };
  }

  #asRejection(e: unknown): PushRejected {
    if (e instanceof Reject) return { outcome: 'rejected', reason: e.reason, detail: e.detail };
    if (e instanceof DecodeError) return { outcome: 'rejected', reason: 'malformed', detail: `${e.state}: ${e.code} at ${e.offset}` };
    const msg = e instanceof Error ? e.message : String(e);
    this.#o.log('error', 'push: internal error while routing a push', { error: msg });
    return { outcome: 'rejected', reason: 'malformed', detail: `internal error: ${msg}` };
  }

  /**
   * An SMS (kind 'gsm' or 'cdma') → the complete WSP payload, or null while segments are pending.
   * The core has no SMS bearer: it rejects them 'wrong-port' (not for this router); `PushRouter`
   * decodes them. Rejections are thrown with `fail()`.
   */
  protected bearer(sms: InboundSms): Uint8Array | null {
    return this.fail('wrong-port', `${sms.kind} SMS: this router takes WDP datagrams only`);
  }

  /** Rejects the push being handled (for `bearer`): throws, `handle()` turns it into the decision. */
  protected fail(reason: PushRejectReason, detail: string): never {
    throw new Reject(reason, detail);
  }

  /**
   * The reassembler of concatenated SMS, for `tick`, `nextDeadline` and `usage` (null: none, the
   * core's case). `PushRouter` returns the one it feeds from `bearer`.
   */
  protected segments(): SegmentStore | null {
    return null;
  }

  /** Reports a rejection outside `handle` (e.g. a partial message evicted from `segments()`). */
  protected reportRejection(reason: PushRejectReason, detail: string): void {
    this.#reject({ outcome: 'rejected', reason, detail });
  }

  /** WSP push → pkg0 → checks; emits the decision (maybe later, after the UI). */
  #push(bytes: Uint8Array): void {
    const w = decodeWspPush(bytes, { limits: { maxHeaders: this.limits.maxWspHeaders } });
    if (w.pduType !== WSP_PDU_PUSH) throw new Reject('malformed', `WSP PDU type 0x${w.pduType.toString(16)}`);
    if (this.#o.onBootstrap && bootstrapKind(w.contentType, w.contentTypeCode) !== null) {
      this.#o.log('info', 'push: bootstrap document handed to the bootstrapper', { contentType: w.contentType, bytes: w.body.length });
      this.#o.onBootstrap(w);
      return;
    }
    if (w.contentTypeCode !== null ? w.contentTypeCode !== WSP_CT_SYNCML_NOTIFICATION : w.contentType.toLowerCase() !== DM_CT) {
      throw new Reject('wrong-content-type', w.contentType);
    }
    if (w.appId === null) throw new Reject('wrong-app-id', 'no X-Wap-Application-Id');
    if (typeof w.appId === 'number' ? w.appId !== WSP_APPID_SYNCML_DM : w.appId.toLowerCase() !== DM_APP) {
      throw new Reject('wrong-app-id', String(w.appId));
    }
    const pkg = parsePkg0(w.body);
    const accept = this.#o.acceptVersion ?? ((v: number): boolean => v >= 10 && v <= 19);
    if (!accept(pkg.version)) throw new Reject('malformed', `notification version ${pkg.version}`);
    const acct = this.#o.accounts.find(pkg.serverId);
    if (!acct) throw new Reject('unknown-server', `server id "${pkg.serverId}"`);
    const v = verifyPkg0(pkg, acct.serverSecret, acct.serverNonce, { allowNonceReset: this.#o.allowNonceReset ?? true });
    if (v === 'bad') throw new Reject('bad-digest', `server "${pkg.serverId}" session ${pkg.sessionIdHex}`);
    const now = this.#o.now();
    let recent = 0;
    for (let i = 0; i < this.#tServer.length; i++) {
      if (this.#tServer[i] !== pkg.serverId) continue;
      const age = now - this.#tAt[i]!;
      if (this.#tSession[i] === pkg.sessionId && age < this.limits.duplicateWindowMs) {
        throw new Reject('duplicate', `server "${pkg.serverId}" session ${pkg.sessionIdHex} already notified`);
      }
      if (age < this.limits.rateWindowMs) recent++;
    }
    if (recent >= this.limits.rateLimitCount) throw new Reject('rate-limited', `server "${pkg.serverId}": ${recent} notifications within ${this.limits.rateWindowMs} ms`);
    this.#tServer[this.#tNext] = pkg.serverId;
    this.#tSession[this.#tNext] = pkg.sessionId;
    this.#tAt[this.#tNext] = now;
    this.#tNext = (this.#tNext + 1) % this.#tServer.length;
    const accepted: PushAccepted = {
      outcome: 'accepted', serverId: pkg.serverId, sessionId: pkg.sessionIdHex, uiMode: pkg.uiMode,
      initiator: pkg.initiator, version: pkg.version, vendor: pkg.vendor.slice(), nonceReset: v === 'ok-reset-nonce',
    };
    const ui = this.#o.ui;
    const text = `Device management session requested by ${pkg.serverId}`;
    if (pkg.uiMode === UiMode.UserInteraction) {
      if (!ui) {
        if ((this.#o.noUi ?? 'accept') === 'decline') throw new Reject('user-declined', 'ui-mode 3 and no user interface');
        this.#o.log('info', 'push: ui-mode 3 without a user interface; proceeding');
        this.#accept(accepted);
        return;
      }
      let answered = false;
      ui.ask({ kind: 'notification', text }, (a) => {
        if (answered) return;
        answered = true;
        if (a.outcome === 'ok') this.#accept(accepted);
        else this.#reject({ outcome: 'rejected', reason: 'user-declined', detail: `user answered ${a.outcome}` });
      });
      return;
    }
    if (pkg.uiMode === UiMode.Informative && ui) ui.ask({ kind: 'display', text }, () => {});
    this.#accept(accepted);
  }

  #accept(d: PushAccepted): void {
    this.#accepted++;
    this.#o.log('info', 'push: notification accepted', { serverId: d.serverId, sessionId: d.sessionId, uiMode: d.uiMode, version: d.version, nonceReset: d.nonceReset });
    this.#emit(d);
  }

  #reject(d: PushRejected): void {
    this.#rejected[d.reason]++;
    const quiet = d.reason === 'wrong-port' || d.reason === 'duplicate' || d.reason === 'incomplete' || d.reason === 'user-declined' || d.reason === 'rate-limited';
    const level: LogLevel = quiet ? 'info' : 'warn';
    this.#o.log(level, 'push: notification rejected', { reason: d.reason, detail: d.detail });
    this.#emit(d);
  }

  /** A throwing decision callback is the host's bug: logged, never turned into another decision. */
  #emit(d: PushDecision): void {
    try {
      this.#o.onDecision(d);
    } catch (e) {
      this.#o.log('error', 'push: onDecision threw', { error: e instanceof Error ? e.message : String(e) });
    }
  }
}
