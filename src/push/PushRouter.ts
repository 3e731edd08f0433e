/**
 * The push router (OMA DM notification path): inbound SMS / WDP datagram → session decision.
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
import type { WspPush } from './wsp';
import { bootstrapKind } from '../bootstrap/kind';
import { DecodeError } from '../errors';
import type { InboundSms, LogSink, UserInterface, LogLevel } from '../platform';
import { decodeGsmDeliver } from './gsm';
import { concatInfo, portInfo, WAP_PUSH_PORT } from './udh';
import { decodeCdmaSms, parseCdmaWdp, TELESERVICE_WAP, CDMA_MSG_POINT_TO_POINT } from './cdma';
import type { DuplicatePortsMode } from './cdma';
import { decodeWspPush, WSP_PDU_PUSH, WSP_CT_SYNCML_NOTIFICATION, WSP_APPID_SYNCML_DM, WSP_APP_IDS, WSP_CONTENT_TYPES, DEFAULT_WSP_MAX_HEADERS } from './wsp';
import { parsePkg0, verifyPkg0, UiMode } from './pkg0';
import { Reassembler, DEFAULT_REASSEMBLY_LIMITS } from './Reassembler';
import type { ReassemblyLimits, ReassemblyUsage, EvictReason } from './Reassembler';

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

/** Router counters. */
export interface PushRouterUsage {
  reassembly: ReassemblyUsage;
  /** Entries in the notification table now. */
  tracked: number;
  accepted: number;
  rejected: Record<PushRejectReason, number>;
}

const DM_CT = WSP_CONTENT_TYPES[WSP_CT_SYNCML_NOTIFICATION]!;
const DM_APP = WSP_APP_IDS[WSP_APPID_SYNCML_DM]!;

/** Internal early exit carrying a rejection. */
class Reject {
  constructor(readonly reason: PushRejectReason, readonly detail: string) {}
}

export class PushRouter {
  readonly limits: Readonly<PushRouterLimits>;
  readonly #o: PushRouterOptions;
  readonly #reasm: Reassembler;
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
    this.#reasm = new Reassembler({ maxPending: l.maxPending, maxSegments: l.maxSegments, maxMessageBytes: l.maxMessageBytes, timeoutMs: l.timeoutMs }, (key, reason, received, total) => this.#evicted(key, reason, received, total));
    this.#tServer = new Array<string | null>(l.maxTracked).fill(null);
    this.#tSession = new Int32Array(l.maxTracked);
    this.#tAt = new Float64Array(l.maxTracked);
  }

  /** Processes one inbound SMS or WDP datagram. Never throws for bad input. */
  handle(sms: InboundSms): void {
    let out: PushRejected | null = null;
    try {
      if (!sms || !(sms.bytes instanceof Uint8Array)) throw new Reject('malformed', 'no bytes');
      const payload = sms.kind === 'gsm' ? this.#gsm(sms) : sms.kind === 'cdma' ? this.#cdma(sms.bytes) : sms.kind === 'wdp' ? sms.bytes : null;
      if (sms.kind !== 'gsm' && sms.kind !== 'cdma' && sms.kind !== 'wdp') throw new Reject('malformed', `unknown SMS kind ${String(sms.kind)}`);
      if (payload) this.#push(payload);
    } catch (e) {
      out = this.#asRejection(e);
    }
    if (out) this.#reject(out);
  }

  /** Evicts timed-out partial messages (each reported as 'incomplete'). */
  tick(): void {
    this.#reasm.expire(this.#o.now());
  }

  /** When `tick()` should next run (monotonic ms), or null when nothing is pending. */
  nextDeadline(): number | null {
    return this.#reasm.nextDeadline();
  }

  /** Counters and high-water marks. */
  usage(): PushRouterUsage {
    return { reassembly: this.#reasm.usage(), tracked: this.#tServer.filter((s) => s !== null).length, accepted: this.#accepted, rejected: { ...this.#rejected } };
  }

  #asRejection(e: unknown): PushRejected {
    if (e instanceof Reject) return { outcome: 'rejected', reason: e.reason, detail: e.detail };
    if (e instanceof DecodeError) return { outcome: 'rejected', reason: 'malformed', detail: `${e.state}: ${e.code} at ${e.offset}` };
    const msg = e instanceof Error ? e.message : String(e);
    this.#o.log('error', 'push: internal error while routing a push', { error: msg });
    return { outcome: 'rejected', reason: 'malformed', detail: `internal error: ${msg}` };
  }

  /** GSM: returns the complete WSP payload, or null while segments are pending. */
  #gsm(sms: InboundSms): Uint8Array | null {
    const d = decodeGsmDeliver(sms.bytes, { smsc: sms.smsc === true });
    const ports = portInfo(d.udh);
    const concat = concatInfo(d.udh);
    if (ports && ports.dst !== WAP_PUSH_PORT) throw new Reject('wrong-port', `destination port ${ports.dst}`);
    if (!ports && !concat) throw new Reject('wrong-port', 'no application port (ordinary SMS)');
    if (d.alphabet !== '8bit') {
      if (!ports) throw new Reject('wrong-port', `no application port (${d.alphabet} SMS)`);
      throw new Reject('malformed', `WAP push with ${d.alphabet} data coding`);
    }
    if (!concat) return d.ud;
    const key = `g|${d.originator.number}|${concat.refBits}|${concat.ref}|${concat.total}`;
    return this.#segment(key, concat.seq - 1, concat.total, d.ud, ports ? ports.dst : -1);
  }

  /** CDMA: returns the complete WSP payload, or null while segments are pending. */
  #cdma(bytes: Uint8Array): Uint8Array | null {
    const m = decodeCdmaSms(bytes);
    if (m.messageType !== CDMA_MSG_POINT_TO_POINT) throw new Reject('wrong-port', `CDMA message type ${m.messageType}`);
    if (m.teleservice !== TELESERVICE_WAP) throw new Reject('wrong-port', `teleservice ${m.teleservice ?? 'absent'} is not WAP`);
    if (!m.userData) throw new Reject('malformed', 'WAP message without user data');
    if (m.userData.encoding !== 0) throw new Reject('malformed', `WAP user data encoding ${m.userData.encoding} is not octet`);
    const w = parseCdmaWdp(m.userData.bytes, { duplicatePorts: this.#o.cdmaDuplicatePorts ?? 'detect' });
    if (w.skippedDuplicatePorts) this.#o.log('debug', 'push: skipped duplicated CDMA WDP ports');
    if (w.segment === 0 && w.dstPort !== WAP_PUSH_PORT) throw new Reject('wrong-port', `destination port ${w.dstPort}`);
    if (w.total === 1) return w.payload;
    const key = `c|${m.originator?.address ?? ''}|${m.messageId?.id ?? -1}|${w.total}`;
    return this.#segment(key, w.segment, w.total, w.payload, w.segment === 0 ? w.dstPort : -1);
  }

  #segment(key: string, seq: number, total: number, data: Uint8Array, port: number): Uint8Array | null {
    const r = this.#reasm.add(key, seq, total, data, this.#o.now(), port);
    switch (r.status) {
      case 'pending':
        this.#o.log('debug', 'push: segment buffered', { received: r.received, total: r.total });
        return null;
      case 'duplicate': throw new Reject('duplicate', `duplicate segment ${seq + 1} of ${total}`);
      case 'refused': throw new Reject('incomplete', `segment refused: ${r.reason}`);
      case 'complete':
        if (r.tag !== WAP_PUSH_PORT) throw new Reject('wrong-port', r.tag < 0 ? 'no application port in any segment' : `destination port ${r.tag}`);
        return r.data;
    }
  }

  #evicted(_key: string, reason: EvictReason, received: number, total: number): void {
    this.#reject({ outcome: 'rejected', reason: 'incomplete', detail: `${reason === 'timeout' ? 'timed out' : 'evicted for a newer message'} with ${received} of ${total} segments` });
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
