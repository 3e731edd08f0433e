/**
 * A simulated device on Node: the agent with FUMO on a file-backed simulated NOR flash (two A/B
 * slots) and a storage folder, run as a child process per power-on by a supervisor.
 *
 *   supervisor (startDevice)  ── spawns ──►  device process (runDeviceChild)
 *     restarts it on                           1. bootloader: bootsim on flash.img + boot.rec
 *       66 reboot (FUMO asked for it)          2. agent (tree, DMAcc, DevInfo/DevDetail with FwV =
 *       67 failed boot (tries used up)            the booted version) + FUMO
 *       86 / SIGKILL power cut (fault tests)    3. check-in session; FUMO resumes / reports
 *     stops on 0 (idle), 68 (bricked)          4. exits: 66 when FUMO reboots, 0 when idle
 *
 * The child writes one JSON event per line on stdout, prefixed with `@@ ` (boot decision, state
 * changes, progress, sessions, exit with its count of writes). Every write of the device (storage
 * blob writes, flash erases, flash page programs) is counted; `fault: { at, tear }` cuts the power
 * at write number `at` of that power-on: a storage write keeps `tear` bytes and the process
 * SIGKILLs itself, a flash operation is cut inside the native simulator (`_exit(86)` with `tear`
 * bytes of the page on the medium).
 *
 * Both sides live in one module: a script that bundles it calls `if (isDeviceChild()) runDeviceChild()`
 * at top level, and passes its own path as `script` to `startDevice`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from '../../src/agent/Agent';
import type { AgentConfig } from '../../src/agent/Agent';
import type { DmAccountProfile } from '../../src/csp/dmacc';
import type { Blob, LogLevel, Platform, Storage } from '../../src/platform';
import { Fumo } from '../../src/fumo/index';
import type { FumoCsp, FumoProgress } from '../../src/fumo/FumoCsp';
import type { DownloaderLimits } from '../../src/fumo/Downloader';
import type { FumoLimits } from '../../src/fumo/FumoCsp';
import { FumoMachine } from '../../src/fumo/Machine';
import { BootControl } from '../../src/fumo/BootControl';
import type { FlashDevice, SlotLayout } from '../../src/fumo/slot';
import type { NativeFlash } from '../../src/native/Flash';
import { bootSim, writeFactoryImage } from './bootsim';
import { openFlash } from './flash';
import { DirStorage, nodePlatform } from './platform';
import { openSmsSource } from './sms';
import { renderMessage } from '../../src/agent/transcript';

/** Environment variable carrying the child's JSON configuration. */
export const DEVICE_ENV = 'OMADM_FUMO_DEVICE';
/** Exit codes of the device process. */
export const EXIT_IDLE = 0;
export const EXIT_TIMEOUT = 65;
export const EXIT_REBOOT = 66;
export const EXIT_BOOT_FAILED = 67;
export const EXIT_BRICKED = 68;
export const EXIT_ERROR = 70;
/** The native flash simulator's power-cut exit status (constants.SIM_EXIT_CODE). */
export const EXIT_POWER_CUT = 86;

/** Configuration of the device (JSON-able: it crosses the process boundary). */
export interface DeviceConfig {
  /** Device folder: storage records and `flash.img`. */
  dir: string;
  /** DM server URL and ServerID of the factory account. */
  serverUrl: string;
  serverId: string;
  /** More fields of the factory account (credentials, encoding, retry policy). */
  account?: Partial<DmAccountProfile>;
  /** ./DevInfo/DevId. Default 'IMEI:001010123456789'. */
  devId?: string;
  /** Flash geometry: erase block 4096, page 256, slot 128 KiB by default; 'sim' (NOR) or 'sim-nand'. */
  flash?: { kind?: 'sim' | 'sim-nand'; eraseSize?: number; pageSize?: number; slotSize?: number };
  /** Factory image written to slot A when flash.img is created. Default '1.0', 16000 payload bytes. */
  factoryVersion?: string;
  factoryPayloadBytes?: number;
  /** Versions whose boot fails (bootsim). */
  failVersions?: string[];
  /** Boot attempts of a new slot. Default 3. */
  bootTries?: number;
  /** Run a client-initiated session at every power-on. Default true. */
  checkIn?: boolean;
  /** Exit 0 once nothing is left to do. Default true (false: run until killed). */
  exitWhenIdle?: boolean;
  /** Give up (exit 65) after this long, ms. Default 60 000. */
  maxLifetimeMs?: number;
  /**
   * Cut the power in this power-on: at write number `at` (1-based), keeping `tear` bytes of it; or
   * (demo) once the download has passed `downloadFraction` (0..1) of the package (SIGKILL).
   */
  fault?: { at?: number; tear?: number; downloadFraction?: number };
  /**
   * SessionID of every client-initiated session (tests: replay a SessionID the device's random
   * 16-bit choice repeated across power-ons). Default: the agent's own choice.
   */
  sessionId?: string;
  /** Emit a `write` event for every counted write (enumeration of crash points). */
  traceWrites?: boolean;
  /** CA bundle (PEM) for HTTPS DM and download servers. */
  ca?: string;
  /** Modem tty (e.g. the simulator's pty): WAP pushes start server-initiated sessions. */
  modem?: string;
  /** Do not exit idle before this many push-initiated sessions ran in this power-on. Default 0. */
  waitForPushes?: number;
  /** Emit every DM message as a `message` event (redacted XML), for transcripts. */
  transcript?: boolean;
  /** DevInfo/DevDetail overrides. */
  devInfo?: Partial<AgentConfig['devInfo']>;
  /** FUMO and downloader bounds. */
  fumo?: Partial<FumoLimits>;
  download?: Partial<DownloaderLimits>;
  /** Fetch `<url>.sha256`. */
  sidecar?: boolean;
  /** Log level on stderr; 'silent' (default) logs nothing. */
  logLevel?: LogLevel | 'silent';
}

/** Events of the device (stdout JSON lines). */
export type DeviceEvent =
  | { t: 'boot'; slot: number; version: string; reason: string; triesLeft: number; failed: boolean }
  | { t: 'bricked' }
  | { t: 'resume'; state: number; written: number; expectedSize: number; how: string }
  | { t: 'state'; x: string; from: number; to: number; result: number }
  | { t: 'progress'; phase: FumoProgress['phase']; done: number; total: number | null }
  | { t: 'session'; outcome: string; reason?: string }
  | { t: 'write'; n: number; kind: 'store' | 'erase' | 'program'; where: string }
  | { t: 'exit'; code: number; writes: number }
  | { t: 'listening'; modem: string }
  | { t: 'push'; outcome: string; detail: string }
  | { t: 'message'; dir: 'out' | 'in'; url: string; bytes: number; xml: string }
  | { t: 'log'; level: LogLevel; msg: string; fields?: Record<string, unknown> };

const PREFIX = '@@ ';

/** True when this process was started by `startDevice` as the device child. */
export function isDeviceChild(): boolean {
  return typeof process.env[DEVICE_ENV] === 'string';
}

function emit(e: DeviceEvent): void {
  process.stdout.write(PREFIX + JSON.stringify(e) + '\n');
}

/** Counts every write of one power-on and cuts the power at write `at`. */
class WriteCounter {
  n = 0;
  constructor(readonly at: number, readonly tear: number, readonly trace: boolean) {}
  /** Counts `k` writes; returns the 1-based index among them to cut, or 0. */
  take(k: number, kind: 'store' | 'erase' | 'program', where: (i: number) => string): number {
    const first = this.n + 1;
    if (this.trace) for (let i = 0; i < k; i++) emit({ t: 'write', n: first + i, kind, where: where(i) });
    this.n += k;
    return this.at >= first && this.at <= this.n ? this.at - first + 1 : 0;
  }
}

/** DirStorage whose blob writes are counted; the cut one keeps `tear` bytes, then SIGKILL. */
class CountingStorage implements Storage {
  constructor(readonly inner: DirStorage, readonly c: WriteCounter) {}
  open(name: string, create: boolean): Blob {
    const b = this.inner.open(name, create);
    const c = this.c;
    return {
      size: () => b.size(), read: (o, d) => b.read(o, d), truncate: (n) => b.truncate(n), sync: () => b.sync(), close: () => b.close(),
      write: (o, src) => {
        if (c.take(1, 'store', () => name) === 0) { b.write(o, src); return; }
        if (c.tear > 0) b.write(o, src.subarray(0, Math.min(c.tear, src.length)));
        process.kill(process.pid, 'SIGKILL');
      },
    };
  }
  exists(name: string): boolean { return this.inner.exists(name); }
  remove(name: string): void { this.inner.remove(name); }
  rename(from: string, to: string): void { this.inner.rename(from, to); }
}

/** The flash with counted erases and page programs; the cut is the native simulator's own. */
class CountingFlash implements FlashDevice {
  constructor(readonly inner: NativeFlash, readonly c: WriteCounter) {}
  get size(): number { return this.inner.size; }
  get eraseSize(): number { return this.inner.eraseSize; }
  get pageSize(): number { return this.inner.pageSize; }
  erase(block: number): void {
    if (this.c.take(1, 'erase', () => String(block * this.inner.eraseSize)) !== 0) {
      this.inner.simFault({ nth: 1, tearBytes: this.c.tear, countErases: true, mode: 'exit' });
    }
    this.inner.erase(block);
  }
  write(offset: number, d: Uint8Array): void {
    const p = this.inner.pageSize;
    const k = this.c.take(Math.ceil(d.length / p), 'program', (i) => String(offset + i * p));
    if (k !== 0) this.inner.simFault({ nth: k, tearBytes: this.c.tear, mode: 'exit' });
    this.inner.write(offset, d);
  }
  read(offset: number, dst: Uint8Array): number { return this.inner.read(offset, dst); }
  sync(): void { this.inner.sync(); }
}

/**
 * The account as it arrives through JSON: nonces given as Base64 strings (or byte arrays turned into
 * index→byte objects by JSON) become bytes again.
 */
function jsonAccount(a: Partial<DmAccountProfile> | undefined): Partial<DmAccountProfile> {
  if (!a) return {};
  const bytes = (v: unknown): Uint8Array | undefined => {
    if (v === undefined || v === null) return undefined;
    if (v instanceof Uint8Array) return v;
    if (typeof v === 'string') return new Uint8Array(Buffer.from(v, 'base64'));
    if (typeof v === 'object') return Uint8Array.from(Object.values(v as Record<string, number>));
    return undefined;
  };
  const out: Partial<DmAccountProfile> = { ...a };
  for (const side of ['client', 'server'] as const) {
    const c = a[side];
    if (!c) continue;
    const n = bytes(c.nonce);
    const { nonce: _drop, ...rest } = c;
    void _drop;
    out[side] = n ? { ...rest, nonce: n } : rest;
  }
  return out;
}

/** Slot layout of a configuration. */
export function deviceSlots(cfg: DeviceConfig): [SlotLayout, SlotLayout] {
  const s = cfg.flash?.slotSize ?? 128 * 1024;
  return [{ offset: 0, size: s }, { offset: s, size: s }];
}

/** One power-on, in this process. Resolves with the exit code (the caller exits). */
export async function runDevice(cfg: DeviceConfig): Promise<number> {
  mkdirSync(cfg.dir, { recursive: true });
  const counter = new WriteCounter(cfg.fault?.at ?? 0, cfg.fault?.tear ?? 0, cfg.traceWrites === true);
  const slots = deviceSlots(cfg);
  const imgPath = join(cfg.dir, 'flash.img');
  const fresh = !existsSync(imgPath);
  const geo = { kind: cfg.flash?.kind ?? 'sim', eraseSize: cfg.flash?.eraseSize ?? 4096, pageSize: cfg.flash?.pageSize ?? 256 } as const;
  const native = openFlash(imgPath, { ...geo, size: 2 * slots[0].size });
  if (fresh) writeFactoryImage(native, slots[0], cfg.factoryVersion ?? '1.0', cfg.factoryPayloadBytes ?? 16000); // manufacturing: not counted
  const storage = new CountingStorage(new DirStorage(cfg.dir), counter);
  const flash = new CountingFlash(native, counter);

  // 1. the bootloader
  const b = bootSim({ storage, flash, slots, ...(cfg.failVersions ? { failVersions: cfg.failVersions } : {}), ...(cfg.bootTries !== undefined ? { maxTries: cfg.bootTries } : {}) });
  if (!b.decision) {
    emit({ t: 'bricked' });
    return EXIT_BRICKED;
  }
  emit({ t: 'boot', slot: b.decision.slot, version: b.version!, reason: b.decision.reason, triesLeft: b.decision.triesLeft, failed: b.failed });
  if (b.failed) return EXIT_BOOT_FAILED;

  // 2. the OS: platform, agent, FUMO
  const level = cfg.logLevel ?? 'silent';
  const levels: LogLevel[] = ['error', 'warn', 'info', 'debug'];
  const base = nodePlatform({
    dir: cfg.dir, network: cfg.ca ? { ca: cfg.ca } : {},
    log: (l, msg, fields) => {
      if (level === 'silent' || levels.indexOf(l) > levels.indexOf(level)) return;
      process.stderr.write(`[dev ${l}] ${msg}${fields ? ' ' + JSON.stringify(fields) : ''}\n`);
    },
  });
  const platform: Platform = { ...base, storage };
  const acfg: AgentConfig = {
    devInfo: { devId: cfg.devId ?? 'IMEI:001010123456789', man: 'Acme Devices', mod: 'Widget 3000', dmV: 'omadm 0.1', lang: 'en-US', ...(cfg.devInfo ?? {}) },
    devDetail: { devTyp: 'router', oem: 'Acme', fwV: b.version!, swV: '0.1.0', hwV: 'A1' },
    bootstrap: { accounts: [{ serverId: cfg.serverId, addr: cfg.serverUrl, connRetryFreq: 2, initialBackOffMs: 200, maxBackOffMs: 1000, ...jsonAccount(cfg.account) }] },
    // push-initiated sessions are started below (counted like the others)
    autoSession: false,
    onPush: (d) => {
      emit({ t: 'push', outcome: d.outcome, detail: d.outcome === 'accepted' ? `server ${d.serverId}, session id ${d.sessionId}, ui-mode ${d.uiMode}, version ${d.version}` : `${d.reason}: ${d.detail}` });
      if (d.outcome === 'accepted') {
        pushSessions++;
        void run({ serverId: d.serverId, initiator: 'server', sessionId: d.sessionId });
      }
    },
  };
  if (cfg.transcript) acfg.onTrace = (e) => emit({ t: 'message', dir: e.dir, url: e.url, bytes: e.body.length, xml: renderMessage(e.body) });
  let pushSessions = 0;
  const agent = new Agent(platform, acfg);
  let sessions = 0;
  let sessionRequests = 0;
  let rebootAsked = false;
  const run = (o: { serverId?: string; initiator?: 'client' | 'server'; sessionId?: string } = {}): Promise<unknown> => {
    sessions++;
    const fixed = cfg.sessionId !== undefined && o.initiator !== 'server' ? { sessionId: cfg.sessionId } : {};
    return agent.runSession({ ...fixed, ...o }).then((r) => {
      emit({ t: 'session', outcome: r.outcome, ...(r.reason !== undefined ? { reason: r.reason } : {}) });
      return r;
    }).finally(() => { sessions--; });
  };
  const host = {
    tree: agent.tree, alerts: agent.alerts, platform,
    runSession: (o?: { serverId?: string; initiator?: 'client' | 'server' }) => { sessionRequests++; return run(o); },
  };
  let lastPct = -1;
  const fumo: FumoCsp = Fumo.attach(host, {
    flash, slots,
    boot: new BootControl(storage, cfg.bootTries !== undefined ? { maxTries: cfg.bootTries } : {}),
    reboot: () => { rebootAsked = true; },
    ...(cfg.fumo ? { limits: cfg.fumo } : {}),
    ...(cfg.download ? { download: cfg.download } : {}),
    ...(cfg.sidecar !== undefined ? { sidecar: cfg.sidecar } : {}),
    onState: (x, from, to, result) => emit({ t: 'state', x, from, to, result }),
    onProgress: (p) => {
      const cutAt = cfg.fault?.downloadFraction;
      if (cutAt !== undefined && p.phase === 'download' && p.total && p.done >= cutAt * p.total) {
        emit({ t: 'progress', phase: p.phase, done: p.done, total: p.total });
        process.kill(process.pid, 'SIGKILL');
      }
      const pct = p.total ? Math.floor((p.done * 20) / p.total) : -1;
      if (pct !== lastPct || p.done === 0) { lastPct = pct; emit({ t: 'progress', phase: p.phase, done: p.done, total: p.total }); }
    },
  });

  const rec = fumo.record;
  emit({ t: 'resume', state: rec.state, written: rec.written, expectedSize: rec.expectedSize, how: fumo.loadState });

  // the modem: WAP pushes → the push router → server-initiated sessions
  let sms: { close(): void } | null = null;
  if (cfg.modem !== undefined) {
    const src = openSmsSource({ tty: cfg.modem, log: platform.log, onError: (err) => emit({ t: 'log', level: 'error', msg: `modem failed: ${err.message}` }) });
    src.onSms((m) => agent.handleSms(m));
    sms = src;
    emit({ t: 'listening', modem: cfg.modem });
  }

  // 3. check in (after FUMO's resume step, which may have asked for a session already)
  await new Promise((r) => setTimeout(r, 0));
  await new Promise((r) => setTimeout(r, 0));
  if (cfg.checkIn !== false && sessionRequests === 0 && !rebootAsked) void run({ serverId: cfg.serverId });

  // 4. wait for a reboot or for nothing left to do
  const started = Date.now();
  const maxLife = cfg.maxLifetimeMs ?? 60000;
  let idleTicks = 0;
  const code = await new Promise<number>((resolve) => {
    const t = setInterval(() => {
      if (rebootAsked && sessions === 0) { clearInterval(t); resolve(EXIT_REBOOT); return; }
      const idle = sessions === 0 && !rebootAsked && !busy(fumo) && agent.alerts.pending().length === 0 && pushSessions >= (cfg.waitForPushes ?? 0);
      idleTicks = idle ? idleTicks + 1 : 0;
      if (cfg.exitWhenIdle !== false && idleTicks >= 3) { clearInterval(t); resolve(EXIT_IDLE); return; }
      if (Date.now() - started > maxLife) { clearInterval(t); resolve(EXIT_TIMEOUT); }
    }, 20);
  });
  fumo.close();
  sms?.close();
  native.close();
  emit({ t: 'exit', code, writes: counter.n });
  return code;
}

function busy(f: FumoCsp): boolean {
  return FumoMachine.isBusy(f.record.state) || f.downloader.busy;
}

/** Entry of the device child: runs one power-on from the environment's configuration and exits. */
export function runDeviceChild(): void {
  let cfg: DeviceConfig;
  try {
    cfg = JSON.parse(process.env[DEVICE_ENV]!) as DeviceConfig;
  } catch (e) {
    process.stderr.write(`device: bad ${DEVICE_ENV}: ${String(e)}\n`);
    process.exit(EXIT_ERROR);
  }
  runDevice(cfg).then((code) => process.exit(code), (e) => {
    process.stderr.write(`device: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(EXIT_ERROR);
  });
}

// ------------------------------------------------------------------------------------ supervisor

/** Options of `startDevice`. */
export interface StartDeviceOptions {
  /** The device (the supervisor adds `fault` per power-on). */
  config: Omit<DeviceConfig, 'fault'>;
  /** Module to run as the child (it must call `runDeviceChild()` when `isDeviceChild()`). */
  script: string;
  /** Fault for power-on number `n` (1-based), if any; `previous` are the power-ons so far. */
  faultFor?: (n: number, previous: readonly PowerOn[]) => DeviceConfig['fault'] | undefined;
  /** Every event of every power-on. */
  onEvent?: (e: DeviceEvent, powerOn: number) => void;
  /** Configuration changes for power-on `n` (e.g. wait for a push only in the first one). */
  configFor?: (n: number, previous: readonly PowerOn[]) => Partial<Omit<DeviceConfig, 'fault'>> | undefined;
  /** Called before power-on `n` (tests: corrupt a slot, change the server…). */
  beforePowerOn?: (n: number, previous: readonly PowerOn[]) => void | Promise<void>;
  /** Stop after this many power-ons. Default 40. */
  maxPowerOns?: number;
  /** Extra node arguments. */
  execArgv?: string[];
}

/** How one power-on ended. */
export interface PowerOn {
  code: number | null;
  signal: string | null;
  /** 'idle' | 'reboot' | 'boot-failed' | 'power-cut' | 'bricked' | 'timeout' | 'error'. */
  why: string;
  /** Writes counted (from the exit event; for a power cut: the fault's `at`). */
  writes: number;
  events: DeviceEvent[];
}

/** The whole run. */
export interface DeviceRun {
  powerOns: PowerOn[];
  /** 'idle' (done), 'bricked', 'limit', 'error', 'timeout'. */
  end: string;
  /** Sum of the writes of all power-ons. */
  writes: number;
}

function why(code: number | null, signal: string | null): string {
  if (signal === 'SIGKILL' || code === EXIT_POWER_CUT) return 'power-cut';
  switch (code) {
    case EXIT_IDLE: return 'idle';
    case EXIT_REBOOT: return 'reboot';
    case EXIT_BOOT_FAILED: return 'boot-failed';
    case EXIT_BRICKED: return 'bricked';
    case EXIT_TIMEOUT: return 'timeout';
    default: return 'error';
  }
}

/**
 * Runs the device until it is idle (or bricked, or `maxPowerOns`): spawns one child per power-on,
 * restarting it after a reboot, a failed boot or a power cut.
 */
export async function startDevice(o: StartDeviceOptions): Promise<DeviceRun> {
  const run: DeviceRun = { powerOns: [], end: 'limit', writes: 0 };
  const max = o.maxPowerOns ?? 40;
  for (let n = 1; n <= max; n++) {
    await o.beforePowerOn?.(n, run.powerOns);
    const fault = o.faultFor?.(n, run.powerOns);
    const cfg: DeviceConfig = { ...o.config, ...(o.configFor?.(n, run.powerOns) ?? {}), ...(fault ? { fault } : {}) };
    const p = await powerOn(o, cfg, n);
    if (p.why === 'power-cut' && fault?.at !== undefined) p.writes = fault.at;
    run.powerOns.push(p);
    run.writes += p.writes;
    if (p.why === 'idle' || p.why === 'bricked' || p.why === 'error' || p.why === 'timeout') {
      run.end = p.why;
      return run;
    }
  }
  return run;
}

function powerOn(o: StartDeviceOptions, cfg: DeviceConfig, n: number): Promise<PowerOn> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...(o.execArgv ?? []), o.script], {
      env: { ...process.env, [DEVICE_ENV]: JSON.stringify(cfg) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const events: DeviceEvent[] = [];
    let buf = '';
    let writes = 0;
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.startsWith(PREFIX)) continue;
        let e: DeviceEvent;
        try { e = JSON.parse(line.slice(PREFIX.length)) as DeviceEvent; } catch { continue; }
        if (e.t === 'exit') writes = e.writes;
        events.push(e);
        o.onEvent?.(e, n);
      }
    });
    child.on('exit', (code, signal) => {
      resolve({ code, signal, why: why(code, signal), writes, events });
    });
  });
}
