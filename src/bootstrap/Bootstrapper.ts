/**
 * The bootstrap receiver: a decoded WAP push (content type + parameters + body) carrying an OMA DM
 * bootstrap ([DMBOOT] 3.1.4: `application/vnd.syncml.dm+wbxml`, WSP 0x42) or an OMA CP document
 * ([DMBOOT] 3.1.3: `application/vnd.wap.connectivity-wbxml`, WSP 0x36) becomes a decision:
 * applied (and the sessions to start) or rejected with a reason. No response is ever sent to the
 * sender ([DMBOOT]; facts §9.5): success shows in the first session.
 *
 *   content type → SEC/MAC parameters → key (network secret from the host, PIN from the user)
 *   → HMAC-SHA1 check → replay check → decode + plan → apply in one tree Atomic → remember the
 *   digest → start a client-initiated session with each bootstrapped server.
 *
 * Every rejection is a value with a reason (and is logged without secrets); `handle()` never
 * throws for bad input. One push is processed at a time (a second one while the first waits for
 * the PIN is rejected 'busy'), so the work and the memory per push are bounded.
 *
 * Authority: a verified DM bootstrap acts as the server it provisions — operations under an account
 * node run with that account's ServerID as principal, everything else with the first account's —
 * so the tree's ACLs, CSP schemas (write-only secrets) and hooks apply as in a session, and a
 * bootstrap for one server cannot rewrite another server's account (425 → rejected). A new account
 * node gets `Add=S&Delete=S&Get=S&Replace=S` unless the bootstrap sets its ACL ([DMBOOT] 3.1.3.4,
 * 3.1.4.3); an existing account with the same ServerID under another node name is replaced. Nodes
 * no CSP owns (connectivity, `./SyncML/Con/…`) follow the `unowned` policy (default: stored as
 * plain nodes with the same grant on the topmost created node).
 */
import { detectEncoding, MessageDecoder } from '../codec/decode';
import type { Message } from '../codec/model';
import type { DmAcc } from '../csp/dmacc';
import { DecodeError } from '../errors';
import type { LogSink, Storage, UserInterface } from '../platform';
import { PlatformError } from '../platform';
import type { WspParam } from '../push/wspPdu';
import { wspContentTypeCode } from '../push/wspPdu';
import type { Tree } from '../tree/Tree';
import { toHex } from '../util/bytes';
import type { TreeOp } from './apply';
import { applyOps, ownedByCsp } from './apply';
import { decodeCp, w7Accounts } from './cp';
import type { PlannedAccount } from './dm';
import { bootstrapKind } from './kind';
import { planDmBootstrap } from './dm';
import type { BootstrapLimits } from './limits';
import { checkBootstrapLimits } from './limits';
import type { OtaPolicy } from './profile';
import { DEFAULT_OTA_POLICY } from './profile';
import { documentDigest, ReplayGuard } from './replay';
import type { SecMethod } from './sec';
import { bootstrapKey, needsNetworkKey, needsPin, parseSec, verifyMac, verifyUserPinMac } from './sec';

// The content types and `bootstrapKind` live in ./kind (the push router needs them without this module).
export { bootstrapKind, DM_WBXML_CT_CODE, DM_WBXML_TYPE } from './kind';
/** WSP well-known parameter codes of SEC and MAC (WAP-230 Table 38, encoding version 1.4). */
export const WSP_PARAM_SEC = 0x11;
export const WSP_PARAM_MAC = 0x12;

/** What the bootstrapper needs from its host (the Agent). */
export interface BootstrapHost {
  tree: Tree;
  dmacc: DmAcc;
  log: LogSink;
  /** The network shared secret as HMAC key bytes (GSM/UMTS: `imsiKey(imsi)`), or null when unknown. */
  networkSecret(): Uint8Array | null;
  /** Asks the user for the PIN (USERPIN, USERPIN_NETWORKID, USERPINMAC). */
  ui?: UserInterface;
  /** A PIN known without asking (headless devices, tools); when it returns a string, the user is not asked. */
  userPin?(): string | null;
  /** Persists the replay table; absent/null: in memory only. */
  storage?: Storage | null;
  /** Starts a client-initiated session with a freshly bootstrapped server (the Agent's `runSession`). */
  startSession?(serverId: string): void;
}

/** Options. */
export interface BootstrapOptions {
  limits?: Partial<BootstrapLimits>;
  /** Over-the-air policy (from the factory profile's `bootstrap` object). */
  policy?: Partial<OtaPolicy>;
  /** Accept documents without SEC/MAC (only for transports that authenticate by themselves). Default false. */
  allowUnsigned?: boolean;
}

/** The decoded push (a `WspPush` fits). */
export interface BootstrapPush {
  contentType: string;
  contentTypeCode: number | null;
  contentTypeParams: readonly WspParam[];
  body: Uint8Array;
}

/** Why a push was not applied. */
export type BootstrapRejectReason =
  | 'not-bootstrap' | 'not-accepted' | 'too-large' | 'unsigned' | 'unknown-sec' | 'sec-not-allowed'
  | 'no-network-secret' | 'pin-unavailable' | 'pin-cancelled' | 'bad-mac' | 'replay' | 'busy'
  | 'malformed' | 'unsupported-command' | 'unsupported-mo' | 'no-account' | 'apply-failed';

/** An applied bootstrap. */
export interface BootstrapApplied {
  outcome: 'applied';
  profile: 'dm' | 'cp';
  /** The method that authenticated it (null: accepted unsigned). */
  sec: SecMethod | null;
  /** ServerIDs of the accounts provisioned, in document order. */
  serverIds: string[];
  /** ServerIDs a session was (or should be) started with. */
  sessions: string[];
  /** Tree operations performed (DM) or accounts installed (CP). */
  operations: number;
  /** Hex SHA-1 of the document (the replay key). */
  digest: string;
}

/** A rejected push. */
export interface BootstrapRejected {
  outcome: 'rejected';
  reason: BootstrapRejectReason;
  /** Human-readable detail for logs (never secrets). */
  detail: string;
}

export type BootstrapDecision = BootstrapApplied | BootstrapRejected;

/** Counters. */
export interface BootstrapUsage {
  applied: number;
  rejected: Partial<Record<BootstrapRejectReason, number>>;
  /** Digests in the replay table. */
  remembered: number;
}

/**
 * A push from a textual Content-Type header (`application/vnd.syncml.dm+wbxml; SEC=USERPIN;
 * MAC=…`), for transports other than WSP (files, OBEX, the CLI). Parameter values may be quoted.
 */
export function bootstrapPushFromHeader(contentType: string, body: Uint8Array): BootstrapPush {
  const [type, ...rest] = contentType.split(';');
  const params: WspParam[] = [];
  for (const r of rest) {
    const eq = r.indexOf('=');
    if (eq < 0) continue;
    const name = r.slice(0, eq).trim();
    let value = r.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    params.push({ name, code: null, value });
  }
  const t = type!.trim();
  const code = wspContentTypeCode(t.toLowerCase());
  return { contentType: t, contentTypeCode: code >= 0 ? code : null, contentTypeParams: params, body };
}

function param(ps: readonly WspParam[], code: number, name: string): WspParam | undefined {
  return ps.find((p) => p.code === code) ?? ps.find((p) => p.code === null && p.name.toLowerCase() === name);
}

/** Early exit carrying a rejection. */
class Reject {
  constructor(readonly reason: BootstrapRejectReason, readonly detail: string) {}
}

/** The ACL a bootstrapped server gets on its new account (and on unowned nodes it creates). */
export function bootstrapGrant(serverId: string): string {
  return `Add=${serverId}&Delete=${serverId}&Get=${serverId}&Replace=${serverId}`;
}

export class Bootstrapper {
  readonly limits: BootstrapLimits;
  readonly policy: OtaPolicy;
  readonly replay: ReplayGuard;
  readonly #host: BootstrapHost;
  readonly #allowUnsigned: boolean;
  /** Decoder of bootstrap documents: made on the first bootstrap (its buffers are sized by
   *  `maxDocumentBytes`), so a device listening for notifications does not hold it. */
  #decoder: MessageDecoder | null = null;
  #busy = false;
  #applied = 0;
  readonly #rejected: Partial<Record<BootstrapRejectReason, number>> = {};

  /** TypeError for a host without tree/dmacc/log/networkSecret; LimitError for bad limits. */
  constructor(host: BootstrapHost, opts: BootstrapOptions = {}) {
    if (!host || !host.tree || !host.dmacc || typeof host.log !== 'function' || typeof host.networkSecret !== 'function') {
      throw new TypeError('host: tree, dmacc, log and networkSecret are required');
    }
    this.#host = host;
    this.limits = checkBootstrapLimits(opts.limits);
    this.policy = { ...DEFAULT_OTA_POLICY, ...(opts.policy ?? {}) };
    this.#allowUnsigned = opts.allowUnsigned === true;
    this.replay = new ReplayGuard({ max: this.limits.maxReplayEntries, storage: host.storage ?? null, log: host.log });
  }

  #documentDecoder(): MessageDecoder {
    const size = Math.max(512, this.limits.maxDocumentBytes);
    return (this.#decoder ??= new MessageDecoder({ maxMsgSize: size, maxObjSize: size, maxTokenLen: Math.max(1024, this.limits.maxFieldLength) }));
  }

  /** Counters. */
  usage(): BootstrapUsage {
    return { applied: this.#applied, rejected: { ...this.#rejected }, remembered: this.replay.size };
  }

  /**
   * Processes one push. Resolves with the decision (after the PIN prompt when one is needed);
   * never rejects for bad input. The body is copied: the caller may reuse its buffer.
   */
  async handle(push: BootstrapPush): Promise<BootstrapDecision> {
    let d: BootstrapDecision;
    try {
      d = await this.#handle(push);
    } catch (e) {
      if (e instanceof Reject) d = { outcome: 'rejected', reason: e.reason, detail: e.detail };
      else if (e instanceof DecodeError) d = { outcome: 'rejected', reason: 'malformed', detail: `${e.state}: ${e.code}: ${e.message}` };
      else {
        const msg = e instanceof Error ? e.message : String(e);
        this.#host.log('error', 'bootstrap: internal error', { error: msg });
        d = { outcome: 'rejected', reason: 'malformed', detail: `internal error: ${msg}` };
      }
    }
    if (d.outcome === 'applied') {
      this.#applied++;
      this.#host.log('info', 'bootstrap applied', { profile: d.profile, sec: d.sec, serverIds: d.serverIds, operations: d.operations });
    } else {
      this.#rejected[d.reason] = (this.#rejected[d.reason] ?? 0) + 1;
      this.#host.log('warn', 'bootstrap rejected', { reason: d.reason, detail: d.detail });
    }
    return d;
  }

  async #handle(push: BootstrapPush): Promise<BootstrapDecision> {
    if (!push || !(push.body instanceof Uint8Array)) throw new Reject('malformed', 'no body');
    const kind = bootstrapKind(push.contentType ?? '', push.contentTypeCode ?? null);
    if (kind === null) throw new Reject('not-bootstrap', `content type ${push.contentType}`);
    if (!this.policy.accept.includes(kind)) throw new Reject('not-accepted', `${kind === 'dm' ? 'DM' : 'OMA CP'} bootstrap is disabled`);
    if (push.body.length > this.limits.maxDocumentBytes) throw new Reject('too-large', `${push.body.length} bytes (limit ${this.limits.maxDocumentBytes})`);
    const body = push.body.slice();
    const ps = push.contentTypeParams ?? [];
    const secP = param(ps, WSP_PARAM_SEC, 'sec');
    const macP = param(ps, WSP_PARAM_MAC, 'mac');
    let sec: SecMethod | null = null;
    if (secP === undefined) {
      if (!this.#allowUnsigned) throw new Reject('unsigned', 'no SEC parameter');
    } else {
      sec = parseSec(secP.value);
      if (sec === null) throw new Reject('unknown-sec', `SEC=${typeof secP.value === 'object' ? 'binary' : String(secP.value)}`);
      if (!this.policy.sec.includes(sec)) throw new Reject('sec-not-allowed', `SEC=${sec}`);
    }
    const mac = typeof macP?.value === 'string' ? macP.value : null;
    if (sec !== null && sec !== 'USERPINMAC' && mac === null) throw new Reject('unsigned', `SEC=${sec} without a MAC parameter`);
    if (this.#busy) throw new Reject('busy', 'another bootstrap is waiting for its PIN');
    this.#busy = true;
    try {
      if (sec !== null) await this.#verify(sec, mac ?? '', body);
      const digest = documentDigest(body);
      if (this.replay.seen(digest)) throw new Reject('replay', `document ${toHex(digest)} was applied before`);
      if (this.#host.tree.inAtomic) throw new Reject('busy', 'a session holds an open Atomic; try again after it');
      const d = kind === 'dm' ? this.#applyDm(body, sec, toHex(digest)) : this.#applyCp(body, sec, toHex(digest));
      try {
        this.replay.remember(digest);
      } catch (e) {
        if (!(e instanceof PlatformError)) throw e;
        this.#host.log('warn', 'bootstrap: the replay table could not be persisted', { code: e.code });
      }
      if (this.#host.startSession) {
        for (const id of d.sessions) {
          try {
            this.#host.startSession(id);
          } catch (e) {
            this.#host.log('error', 'bootstrap: startSession threw', { serverId: id, error: e instanceof Error ? e.message : String(e) });
          }
        }
      }
      return d;
    } finally {
      this.#busy = false;
    }
  }

  /** Checks the MAC for `sec` (asking for the PIN when needed); throws a Reject when it fails. */
  async #verify(sec: SecMethod, mac: string, body: Uint8Array): Promise<void> {
    let netKey: Uint8Array | null = null;
    if (needsNetworkKey(sec)) {
      netKey = this.#host.networkSecret() ?? this.policy.networkKey ?? null;
      if (!netKey || netKey.length === 0) throw new Reject('no-network-secret', `SEC=${sec} but the network secret is unknown`);
    }
    let pin: string | null = null;
    if (needsPin(sec)) {
      const answer = await this.#askPin();
      if (answer === null) throw new Reject('pin-unavailable', `SEC=${sec} but there is no way to ask for the PIN`);
      if (answer === 'cancel') throw new Reject('pin-cancelled', 'the user cancelled the PIN prompt');
      pin = answer.pin;
      if (pin.length === 0 || pin.length > this.limits.maxPinLength) throw new Reject('bad-mac', `SEC=${sec}: PIN of ${pin.length} characters`);
    }
    const ok = sec === 'USERPINMAC' ? verifyUserPinMac(pin!, body) : verifyMac(mac, bootstrapKey(sec, netKey, pin, this.policy.userPinNetworkKeyForm), body);
    if (!ok) throw new Reject('bad-mac', `SEC=${sec}: the MAC does not match`);
  }

  /** The preset PIN, or the PIN from the UI (null: neither exists; 'cancel': the user declined). */
  #askPin(): Promise<{ pin: string } | 'cancel' | null> {
    const preset = this.#host.userPin?.() ?? null;
    if (preset !== null) return Promise.resolve({ pin: preset });
    const ui = this.#host.ui;
    if (!ui) return Promise.resolve(null);
    return new Promise((resolve) => {
      let done = false;
      ui.ask({ kind: 'input', text: 'Enter the PIN of the device configuration message', inputType: 'N', echo: 'P', maxLen: this.limits.maxPinLength }, (a) => {
        if (done) return;
        done = true;
        resolve(a.outcome === 'ok' ? { pin: a.text ?? '' } : 'cancel');
      });
    });
  }

  // ------------------------------------------------------------------------------------------
  // DM profile

  #applyDm(body: Uint8Array, sec: SecMethod | null, digest: string): BootstrapApplied {
    if (detectEncoding(body) !== 'wbxml') throw new Reject('malformed', 'a DM bootstrap must be WBXML');
    const msg: Message = this.#documentDecoder().decode(body, 'wbxml');
    const plan = planDmBootstrap(msg, this.limits);
    if ('reason' in plan) throw new Reject(plan.reason, plan.detail);
    if (plan.accounts.length === 0) throw new Reject('no-account', 'the message provisions no DM account (ServerID)');
    const tree = this.#host.tree;
    const ops: TreeOp[] = [];
    // an account of the same ServerID under another node name is replaced (device authority)
    for (const a of plan.accounts) {
      const old = this.#host.dmacc.findByServerId(a.serverId);
      if (old && old.path !== a.path) ops.push({ kind: 'remove', path: old.path });
    }
    let body2 = plan.ops;
    if (this.policy.unowned === 'ignore') {
      body2 = body2.filter((op) => {
        const keep = ownedByCsp(tree, op.path);
        if (!keep) this.#host.log('info', 'bootstrap: node outside every CSP ignored', { path: op.path });
        return keep;
      });
    }
    ops.push(...body2);
    for (const a of plan.accounts) {
      if (tree.store.exists(a.path) || plan.ops.some((op) => op.path === a.path && op.acl != null)) continue;
      ops.push({ kind: 'set', path: a.path, interior: true, acl: bootstrapGrant(a.serverId) });
    }
    if (ops.length > this.limits.maxOps) throw new Reject('too-large', `${ops.length} operations (limit ${this.limits.maxOps})`);
    const primary = plan.accounts[0]!.serverId;
    const principal = (path: string): string => accountOf(plan.accounts, path)?.serverId ?? primary;
    const r = applyOps(tree, ops, { principal, unowned: this.policy.unowned === 'reject' ? 'refuse' : 'store', unownedAcl: bootstrapGrant });
    if (r.status !== 200) throw new Reject('apply-failed', `status ${r.status}${r.failedUri !== undefined ? ` at ${r.failedUri}` : ''}; nothing was changed`);
    const serverIds = plan.accounts.map((a) => a.serverId);
    return { outcome: 'applied', profile: 'dm', sec, serverIds, sessions: this.policy.startSession ? serverIds : [], operations: ops.length, digest };
  }

  // ------------------------------------------------------------------------------------------
  // CP profile

  #applyCp(body: Uint8Array, sec: SecMethod | null, digest: string): BootstrapApplied {
    const doc = decodeCp(body, this.limits);
    const m = w7Accounts(doc);
    if (m.errors.length > 0) throw new Reject('malformed', m.errors.join('; '));
    if (m.accounts.length === 0) throw new Reject('no-account', 'the provisioning document has no w7 (DM account) APPLICATION');
    const tree = this.#host.tree;
    tree.beginAtomic();
    for (const a of m.accounts) {
      const st = this.#host.dmacc.install(a.profile);
      if (st !== 200) {
        tree.rollbackAtomic();
        throw new Reject('apply-failed', `w7 ${a.profile.serverId}: status ${st}; nothing was changed`);
      }
    }
    const r = tree.commitAtomic();
    if (!r.ok) throw new Reject('apply-failed', `the tree could not be persisted (${r.error?.code ?? 'error'}); nothing was changed`);
    const serverIds = m.accounts.map((a) => a.profile.serverId);
    const sessions = this.policy.startSession ? m.accounts.filter((a) => a.init).map((a) => a.profile.serverId) : [];
    return { outcome: 'applied', profile: 'cp', sec, serverIds, sessions, operations: m.accounts.length, digest };
  }
}

function accountOf(accounts: readonly PlannedAccount[], path: string): PlannedAccount | undefined {
  return accounts.find((a) => path === a.path || path.startsWith(a.path + '/'));
}
