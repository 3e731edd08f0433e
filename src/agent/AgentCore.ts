/**
 * The device agent without its push side: wires the management tree, the built-in CSPs, the DPU,
 * the alert queue and the session driver. The push router and the over-the-air bootstrapper (WAP
 * push, package #0, OMA DM/CP bootstrap: about a fifth of the client's code) are attached with
 * `enablePush(parts)`, so a host that only runs client-initiated sessions never loads them:
 * `Agent` (Agent.ts) is this class with push enabled at construction (static imports); the QuickJS
 * host uses `AgentCore` and loads the push parts with a dynamic `import('./push')` for `listen` only.
 * Portable: everything host specific comes in through the Platform (and optional CSPs the host
 * registers, e.g. FUMO).
 *
 *   const agent = new AgentCore(platform, config); // loads the tree; installs the factory profile once
 *   agent.enablePush((await import('./push')).PUSH_PARTS);
 *   // or, loading the bootstrapper only when the first bootstrap push arrives:
 *   agent.enablePush({ PushRouter, loadBootstrapper: async () => (await import('../bootstrap/Bootstrapper')).Bootstrapper });
 *   agent.handleSms(sms);                           // a WAP push → maybe a server-initiated session
 *   await agent.runSession({ serverId });           // a client-initiated session
 */
import type { DmVersion, Encoding, OutItem } from '../codec/model';
import type { Csp } from '../csp/Csp';
import { DevDetailCsp } from '../csp/devdetail';
import type { DevDetailConfig } from '../csp/devdetail';
import { DevInfoCsp } from '../csp/devinfo';
import type { DevInfoConfig } from '../csp/devinfo';
import { DmAcc } from '../csp/dmacc';
import type { DmAccount, DmAccountProfile } from '../csp/dmacc';
import { SyncSettings } from '../csp/sync';
import { Dpu } from '../dpu/Dpu';
import type { InboundSms, Platform } from '../platform';
import type { PushDecision, PushRouterCore, PushRouterLimits } from '../push/PushRouterCore';
import type { WspPush } from '../push/wspPdu';
import { DmClient } from '../session/Client';
import type { ClientLimits, TraceEntry } from '../session/Client';
import type { SessionConfig, SessionHooks, SessionLimits, SessionResult, ServerQuirks } from '../session/Session';
import { Tree } from '../tree/Tree';
import type { TreeLimits } from '../tree/limits';
import { AlertQueue } from './AlertQueue';
import { RecordStore } from '../store/RecordStore';
import { cborDecode, cborEncode } from '../store/cbor';
import type { BootstrapDecision, BootstrapHost, BootstrapOptions, Bootstrapper } from '../bootstrap/Bootstrapper';
import type { BootstrapLimits } from '../bootstrap/limits';
import { installFactoryProfile } from '../bootstrap/profile';
import type { OtaPolicy } from '../bootstrap/profile';

export interface AgentConfig {
  devInfo: DevInfoConfig;
  devDetail: DevDetailConfig;
  /**
   * Factory bootstrap (accounts installed on first start only; secrets stored write-only) and the
   * policy for over-the-air bootstraps (OMA DM bootstrap with SEC/MAC, OMA CP w7).
   */
  bootstrap?: { accounts: DmAccountProfile[]; ota?: Partial<OtaPolicy>; limits?: Partial<BootstrapLimits> };
  /** Network secret for NETWORKID bootstraps (the IMSI key, ESN…), or null when unknown. */
  networkSecret?: () => Uint8Array | null;
  /** User PIN for USERPIN bootstraps when the host has no UI to ask, or null. */
  userPin?: () => string | null;
  /** Called with every over-the-air bootstrap decision. */
  onBootstrap?: (d: BootstrapDecision) => void;
  tree?: Partial<TreeLimits>;
  session?: Partial<SessionLimits>;
  client?: Partial<ClientLimits>;
  push?: Partial<PushRouterLimits>;
  quirks?: Partial<ServerQuirks>;
  /** HTTP User-Agent. */
  userAgent?: string;
  /** Start a session automatically for every accepted notification. Default true. */
  autoSession?: boolean;
  /** Called for every message exchanged (transcripts, `omadm trace`). */
  onTrace?: (e: TraceEntry) => void;
  /** Called with every push decision (accepted or rejected). */
  onPush?: (d: PushDecision) => void;
}

export interface RunSessionOptions {
  /** Server to talk to; default: the only (or first) account. */
  serverId?: string;
  initiator?: 'client' | 'server';
  /** SessionID (server-initiated: from the notification). Default: a fresh random one. */
  sessionId?: string;
  /** Override the account's protocol version / encoding. */
  version?: DmVersion;
  encoding?: Encoding;
}

/** Bootstrap pushes that may wait for the bootstrapper to load (`PushParts.loadBootstrapper`). */
export const DEFAULT_MAX_QUEUED_BOOTSTRAPS = 4;

/**
 * The classes `enablePush` builds the push side from (`PUSH_PARTS` in ./push): the router, and the
 * bootstrapper either as a class (built at `enablePush`) or as a loader called on the first
 * bootstrap push (the QuickJS host: the bootstrapper's code then enters the heap only when a
 * bootstrap document arrives). One of `Bootstrapper` / `loadBootstrapper` is required; with both,
 * the class is used.
 */
export interface PushParts {
  /** The router class: `PushRouter` (SMS and WDP) or `PushRouterCore` (WDP datagrams only). */
  PushRouter: typeof PushRouterCore;
  Bootstrapper?: typeof Bootstrapper;
  /**
   * Loads the bootstrapper class (e.g. a dynamic `import()`), called once, on the first bootstrap
   * push. Pushes arriving while it loads wait (at most `DEFAULT_MAX_QUEUED_BOOTSTRAPS`, copied) and
   * are handed to the bootstrapper in arrival order, each after the previous one is decided.
   * If it rejects, the waiting pushes are rejected (reason 'malformed', detail "internal error: …")
   * and the next bootstrap push tries again.
   */
  loadBootstrapper?: () => Promise<typeof Bootstrapper>;
}

export class AgentCore {
  readonly platform: Platform;
  readonly tree: Tree;
  readonly dmacc: DmAcc;
  readonly devInfo: DevInfoCsp;
  readonly devDetail: DevDetailCsp;
  readonly sync: SyncSettings;
  readonly dpu: Dpu;
  readonly alerts: AlertQueue;
  readonly client: DmClient;
  #router: PushRouterCore | null = null;
  #bootstrapper: Bootstrapper | null = null;
  /** The bootstrapper being loaded (`PushParts.loadBootstrapper`); pushes meanwhile chain on it. */
  #bootstrapperLoading: Promise<Bootstrapper> | null = null;
  /** Bootstrap pushes queued behind the load (or behind each other) and not decided yet. */
  #bsQueued = 0;
  /** The last queued push's decision (null: nothing queued). */
  #bsTail: Promise<BootstrapDecision> | null = null;
  /** `PushParts.loadBootstrapper` when `enablePush` got no class. */
  #loadBootstrapper: (() => Promise<typeof Bootstrapper>) | null = null;
  /** Decisions of over-the-air bootstraps (for hosts and tests). */
  readonly bootstraps: Promise<BootstrapDecision>[] = [];
  readonly #cfg: AgentConfig;
  /** Sessions run one at a time; a notification arriving during a session waits here (bounded). */
  readonly #waiting: RunSessionOptions[] = [];
  #running: Promise<SessionResult> | null = null;
  /** Results of sessions started by notifications (for hosts and tests). */
  readonly pushSessions: Promise<SessionResult>[] = [];

  constructor(platform: Platform, cfg: AgentConfig) {
    this.platform = platform;
    this.#cfg = cfg;
    this.tree = new Tree(platform, { limits: cfg.tree ?? {} });
    this.devInfo = new DevInfoCsp(cfg.devInfo);
    this.devDetail = new DevDetailCsp(cfg.devDetail);
    this.tree.addCsp(this.devInfo);
    this.tree.addCsp(this.devDetail);
    this.dmacc = DmAcc.attach(this.tree);
    this.sync = SyncSettings.attach(this.tree);
    this.dpu = new Dpu(this.tree, { platform, limits: { maxObjSize: cfg.session?.maxObjSize ?? 1048576 } });
    this.alerts = new AlertQueue(platform.storage, { log: platform.log });
    const clientOpts: ConstructorParameters<typeof DmClient>[0] = { platform, limits: { maxResponseBody: (cfg.session?.maxMsgSize ?? 16384) + 1024, ...(cfg.client ?? {}) } };
    if (cfg.userAgent !== undefined) clientOpts.userAgent = cfg.userAgent;
    if (cfg.onTrace !== undefined) clientOpts.onTrace = cfg.onTrace;
    this.client = new DmClient(clientOpts);
    // factory bootstrap: on first start only (an account a server deleted stays deleted)
    installFactoryProfile(this.tree, this.dmacc, cfg.bootstrap?.accounts ?? [], platform.log);
  }

  /** The push router (`enablePush` first). */
  get router(): PushRouterCore {
    if (!this.#router) throw new Error('push is not enabled on this agent (enablePush)');
    return this.#router;
  }

  /**
   * The over-the-air bootstrapper (`enablePush` first). With `PushParts.loadBootstrapper` it exists
   * only once the first bootstrap push loaded it (`loadedBootstrapper()` loads it on demand).
   */
  get bootstrapper(): Bootstrapper {
    if (this.#bootstrapper) return this.#bootstrapper;
    throw new Error(this.#router ? 'the bootstrapper is not loaded yet (loadedBootstrapper)' : 'push is not enabled on this agent (enablePush)');
  }

  /**
   * The bootstrapper, loading it first when `enablePush` got a loader (`enablePush` first).
   * Concurrent calls share one load; a failed load is retried by the next call.
   */
  loadedBootstrapper(): Promise<Bootstrapper> {
    if (this.#bootstrapper) return Promise.resolve(this.#bootstrapper);
    const load = this.#loadBootstrapper;
    if (!load) return Promise.reject(new Error('push is not enabled on this agent (enablePush)'));
    return (this.#bootstrapperLoading ??= load().then((B) => {
      this.#bootstrapperLoading = null;
      return (this.#bootstrapper ??= this.#newBootstrapper(B));
    }, (e: unknown) => {
      this.#bootstrapperLoading = null;
      throw e;
    }));
  }

  /** True once `enablePush` ran. */
  get pushEnabled(): boolean {
    return this.#router !== null;
  }

  /**
   * Builds the push router and the bootstrapper from `parts` (once; later calls do nothing).
   * Until then `handleSms` throws.
   */
  enablePush(parts: PushParts): void {
    if (this.#router) return;
    const platform = this.platform;
    const cfg = this.#cfg;
    const cls = parts.Bootstrapper;
    const load = parts.loadBootstrapper;
    if (!cls && typeof load !== 'function') throw new TypeError('enablePush: parts.Bootstrapper or parts.loadBootstrapper is required');
    if (cls) this.#bootstrapper = this.#newBootstrapper(cls);
    else this.#loadBootstrapper = load!;
    const routerOpts: ConstructorParameters<typeof PushRouterCore>[0] = {
      accounts: {
        find: (id: string) => {
          const a = this.dmacc.findByServerId(id);
          return a ? { serverId: a.serverId, serverSecret: a.server.secret, serverNonce: a.server.nonce } : null;
        },
      },
      log: platform.log,
      now: () => platform.clock.now(),
      onDecision: (d) => this.#onPush(d),
      onBootstrap: (push) => this.#onBootstrap(push),
      limits: cfg.push ?? {},
    };
    if (platform.ui) routerOpts.ui = platform.ui;
    this.#router = new parts.PushRouter(routerOpts);
  }

  /**
   * A bootstrap document from the router: handed to the bootstrapper at once when it exists and no
   * earlier push waits (as with `PushParts.Bootstrapper`), else queued: a queued push is copied
   * (the router's buffers are reused) and handed over once the bootstrapper is loaded and the
   * previous queued push is decided, so pushes that arrive during the load are handled in arrival
   * order, one after the other, as if they had come after the load. The queue holds at most
   * `DEFAULT_MAX_QUEUED_BOOTSTRAPS`; beyond that a push is rejected 'busy'.
   */
  #onBootstrap(push: WspPush): void {
    const report = (d: BootstrapDecision): BootstrapDecision => {
      this.#cfg.onBootstrap?.(d);
      return d;
    };
    const b = this.#bootstrapper;
    if (b && this.#bsQueued === 0) {
      this.bootstraps.push(b.handle(push).then(report));
      return;
    }
    if (this.#bsQueued >= DEFAULT_MAX_QUEUED_BOOTSTRAPS) {
      const d: BootstrapDecision = { outcome: 'rejected', reason: 'busy', detail: `${this.#bsQueued} bootstrap pushes wait for the bootstrapper` };
      this.platform.log('warn', 'bootstrap rejected', { reason: d.reason, detail: d.detail });
      this.bootstraps.push(Promise.resolve(report(d)));
      return;
    }
    const copy: WspPush = { ...push, body: push.body.slice() };
    this.#bsQueued++;
    // the load starts now (once for all waiting pushes); its failure is reported per push below
    const loading = this.loadedBootstrapper();
    loading.catch(() => {});
    const prev = this.#bsTail ?? Promise.resolve();
    const p = prev.then(() => loading).then((bs) => bs.handle(copy), (e: unknown) => {
      const msg = e instanceof Error ? e.message : String(e);
      this.platform.log('error', 'bootstrap: the bootstrapper could not be loaded', { error: msg });
      const d: BootstrapDecision = { outcome: 'rejected', reason: 'malformed', detail: `internal error: the bootstrapper could not be loaded: ${msg}` };
      return d;
    }).then((d) => {
      this.#bsQueued--;
      if (this.#bsTail === p) this.#bsTail = null;
      return report(d);
    });
    this.#bsTail = p;
    this.bootstraps.push(p);
  }

  #newBootstrapper(B: typeof Bootstrapper): Bootstrapper {
    const platform = this.platform;
    const cfg = this.#cfg;
    const bsHost: BootstrapHost = {
      tree: this.tree, dmacc: this.dmacc, log: platform.log, storage: platform.storage,
      networkSecret: () => cfg.networkSecret?.() ?? null,
      // after a valid bootstrap: a client-initiated session with the new server
      startSession: (serverId) => {
        this.pushSessions.push(this.runSession({ serverId }));
      },
    };
    if (platform.ui) bsHost.ui = platform.ui;
    if (cfg.userPin) bsHost.userPin = cfg.userPin;
    const bsOpts: BootstrapOptions = {};
    if (cfg.bootstrap?.ota) bsOpts.policy = cfg.bootstrap.ota;
    if (cfg.bootstrap?.limits) bsOpts.limits = cfg.bootstrap.limits;
    return new B(bsHost, bsOpts);
  }

  /** Registers an OEM (or FUMO) CSP. */
  addCsp(csp: Csp): void {
    this.tree.addCsp(csp);
  }

  /** Feeds one inbound SMS / WDP datagram to the push router (`enablePush` first). */
  handleSms(sms: InboundSms): void {
    this.router.handle(sms);
  }

  /** The account a session would use. */
  account(serverId?: string): DmAccount | null {
    if (serverId !== undefined) return this.dmacc.findByServerId(serverId);
    return this.dmacc.accounts()[0] ?? null;
  }

  /**
   * Runs one session (queued behind a running one). Resolves with the result; never rejects for
   * protocol or transport failures.
   */
  runSession(opts: RunSessionOptions = {}): Promise<SessionResult> {
    const prev = this.#running ?? Promise.resolve(null);
    const p = prev.then(() => this.#run(opts), () => this.#run(opts));
    this.#running = p;
    return p;
  }

  async #run(opts: RunSessionOptions): Promise<SessionResult> {
    const a = this.account(opts.serverId);
    if (!a) {
      this.platform.log('error', 'no DM account for the session', { serverId: opts.serverId });
      return { outcome: 'failed', reason: 'no-account', sent: 0, received: 0, clientAuthenticated: false, serverAuthenticated: false, version: opts.version ?? '1.2' };
    }
    const addr = accountUrl(a);
    const cfg: SessionConfig = {
      account: { ...a, addr },
      devId: this.devInfo.config.devId,
      initiator: opts.initiator ?? 'client',
      sessionId: opts.sessionId ?? this.#newSessionId(),
      version: opts.version ?? a.protoVersion,
      encoding: opts.encoding ?? (a.defaultEncoding === 'application/vnd.syncml.dm+xml' ? 'xml' : 'wbxml'),
      devInfo: this.devInfo.pkg1Items() as OutItem[],
      alerts: this.alerts.pending(),
      limits: this.#cfg.session ?? {},
      quirks: this.#cfg.quirks ?? {},
    };
    const serverId = a.serverId;
    const hooks: SessionHooks = {
      dpu: this.dpu,
      commit: () => this.tree.commit(),
      setNonce: (side, nonce) => {
        this.dmacc.setNonce(serverId, side, nonce);
      },
      onAlertStatus: (id, code) => this.alerts.status(id, code),
      pendingAlerts: () => this.alerts.pending(),
      randomFill: (b) => this.platform.randomFill(b),
      log: this.platform.log,
    };
    this.platform.log('info', 'DM session starting', { serverId, initiator: cfg.initiator, sessionId: cfg.sessionId, version: cfg.version });
    const r = await this.client.runSession(cfg, hooks, {
      connRetryFreq: a.connRetryFreq, initialBackOffMs: a.initialBackOffMs, maxBackOffMs: a.maxBackOffMs, backCompatRetryDisabled: a.backCompatRetryDisabled,
    });
    // a large object left open by an interrupted session is dropped (nothing of it was committed)
    if (this.dpu.pendingObject) this.dpu.abortObject();
    this.platform.log(r.outcome === 'completed' ? 'info' : 'warn', 'DM session ended', { ...r });
    return r;
  }

  #onPush(d: PushDecision): void {
    if (d.outcome === 'accepted' && d.nonceReset && !this.#resetNonceGuard(d.serverId, d.sessionId)) {
      this.platform.log('warn', 'notification refused: a reset-nonce notification seen before (replay)', { serverId: d.serverId, sessionId: d.sessionId });
      this.#cfg.onPush?.({ outcome: 'rejected', reason: 'duplicate', detail: `reset-nonce notification replayed (server ${d.serverId}, session ${d.sessionId})` });
      return;
    }
    this.#cfg.onPush?.(d);
    if (d.outcome !== 'accepted') return;
    if (d.nonceReset) {
      // only the reset nonce (4 zero bytes) matched: the server lost our nonce; this session runs on
      // the reset nonce and our Chal in it hands the server a fresh one (facts §6.2)
      this.platform.log('warn', 'notification authenticated with the reset nonce', { serverId: d.serverId });
      this.dmacc.setNonce(d.serverId, 'server', new Uint8Array(4));
    }
    if (this.#cfg.autoSession === false) return;
    if (this.#waiting.length >= 4) {
      this.platform.log('warn', 'too many notifications waiting; dropped', { serverId: d.serverId });
      return;
    }
    const o: RunSessionOptions = { serverId: d.serverId, initiator: 'server', sessionId: d.sessionId };
    this.#waiting.push(o);
    const p = this.runSession(o).finally(() => {
      const i = this.#waiting.indexOf(o);
      if (i >= 0) this.#waiting.splice(i, 1);
    });
    this.pushSessions.push(p);
  }

  /**
   * A notification that only verifies with the reset nonce verifies forever (the reset nonce never
   * changes), so a captured one could be replayed to reset AAuthData again and again. Each one is
   * accepted once: (server, session id) pairs are remembered in a small persistent ring.
   * Returns false for a repeat.
   */
  #resetNonceGuard(serverId: string, sessionId: string): boolean {
    const rs = new RecordStore(this.platform.storage, 'resetnonce.rec', { maxPayload: 4096 });
    let seen: string[] = [];
    const p = rs.load();
    if (p) {
      try {
        const v = cborDecode(p);
        if (Array.isArray(v)) seen = v.filter((x): x is string => typeof x === 'string');
      } catch {
        seen = [];
      }
    }
    const key = `${serverId}|${sessionId}`;
    if (seen.includes(key)) return false;
    seen.push(key);
    if (seen.length > 16) seen = seen.slice(-16);
    rs.commit(cborEncode(seen));
    return true;
  }

  /** Last client-chosen SessionID (1..0xFFFF), 0 before the first. */
  #lastSessionId = 0;

  /**
   * SessionID of a session we start: a random 16-bit value for the first one after start-up, then
   * the next one each time (skipping 0), so that no two sessions of one power-on share an ID (a server
   * may key its state on it; the facts say "unique per client"). Across restarts the random start
   * makes a repeat of the last ID a 1 in 65,535 chance, without a flash write per session.
   */
  #newSessionId(): string {
    let v = this.#lastSessionId;
    if (v === 0) {
      const b = new Uint8Array(2);
      this.platform.randomFill(b);
      v = ((b[0]! << 8) | b[1]!) || 1;
    } else v = v === 0xffff ? 1 : v + 1;
    this.#lastSessionId = v;
    return v.toString(16).toUpperCase();
  }
}

/** The account's server URL with its PortNbr applied when the address has no port. */
export function accountUrl(a: DmAccount): string {
  if (a.port === undefined) return a.addr;
  const m = /^(https?:\/\/)([^/:?#]+|\[[^\]]+\])(:[0-9]+)?(.*)$/.exec(a.addr);
  if (!m || m[3]) return a.addr;
  return `${m[1]}${m[2]}:${a.port}${m[4] ?? ''}`;
}
