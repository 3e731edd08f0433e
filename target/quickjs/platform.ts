/**
 * The `Platform` (src/platform.ts) on QuickJS 2021-03-27, over quickjs-libc's `os`/`std` modules and
 * the `dm_native` C module (target/quickjs/host.c links it in).
 *
 * - clock: `dm_native.clockMonotonicMs()` (CLOCK_MONOTONIC), wall time from `Date.now()`.
 * - timers: one queue ordered by due time (then creation), driven by a single `os.setTimeout` for
 *   the earliest entry. quickjs-libc alone fires expired timers in creation order, so a late loop
 *   would run a 30 ms timer before a 10 ms one; Node orders by due time, and so do we.
 * - random: `dm_native.random` (getrandom).
 * - storage: the durable native file API (`fileOpen/Pread/Pwrite/Sync/Truncate/Rename/Remove`:
 *   fdatasync, directory fsync after rename/remove; quickjs-libc's `os` has neither fsync nor
 *   ftruncate, so it is not used for blobs).
 * - network: TCP or TLS streams from `dm_native.tls*` (mbedtls, certificate verified against
 *   `caFile`), driven by `os.setReadHandler` / `os.setWriteHandler` on the socket fd.
 * - log: one line per entry on `std.err`.
 * Every callback the platform runs from the loop is guarded: an exception escaping it is fatal
 * (message + stack on stderr, exit status 70), as an uncaught exception is on Node; QuickJS's own
 * loop would print it and carry on with exit status 0.
 */
import { policyUi as makePolicyUi } from '../../src/agent/ui';
import { setUtf8Native } from '../../src/util/utf8';
import { setXmlInlineScan } from '../../src/codec/xml/Tokenizer';
import * as os from 'os';
import * as std from 'std';
import * as native from 'dm_native';
import {
  PlatformError, type Blob, type ByteStream, type LogLevel, type Network, type Platform, type Storage,
  type StreamEvents, type StreamTarget, type TimerHandle, type UiAnswer, type UiRequest, type UserInterface,
} from '../../src/platform';

/** Default time allowed for TCP connect + TLS handshake, ms. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30000;
/** Default bytes read from a stream per native read (one onData chunk at most). */
export const DEFAULT_READ_CHUNK = 4096;
/** Default bound on bytes queued for sending on one stream; more fails the stream with ENOBUFS. */
export const DEFAULT_MAX_WRITE_QUEUE = 65536;
/** Reads per readiness callback before yielding to the loop (the rest continues from a 0 ms timer). */
export const DEFAULT_READS_PER_TICK = 16;

/** Options of `createQjsPlatform`. */
export interface QjsPlatformOptions {
  /** Directory holding the Storage blobs (created if missing). */
  storageDir: string;
  /** PEM/DER CA bundle TLS streams verify the server against. Required for `tls: true` targets. */
  caFile: string;
  /** Connect + handshake timeout in ms. Default `DEFAULT_CONNECT_TIMEOUT_MS`. */
  connectTimeoutMs?: number;
  /** Bytes per native read. Default `DEFAULT_READ_CHUNK`. */
  readChunk?: number;
  /** Bound on queued outgoing bytes per stream. Default `DEFAULT_MAX_WRITE_QUEUE`. */
  maxWriteQueue?: number;
  /** Least severe level written. Default 'info'. */
  logLevel?: LogLevel;
  /** User interface for UI alerts; absent = none (the engine answers 406). */
  ui?: UserInterface;
}

const LEVELS: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
const NAME_RE = /^[A-Za-z0-9._-]+$/;

/** errno value → name, from the native table (system errno names + TLS codes). */
const ERRNO_NAMES: Map<number, string> = new Map(Object.entries(native.errno).map(([k, v]) => [v, k]));

/** Stable error code of a negative native result ('ECONNREFUSED', 'ECERTEXPIRED'; 'E<n>' if unknown). */
export function errName(r: number): string {
  return ERRNO_NAMES.get(-r) ?? `E${-r}`;
}

/** PlatformError for a negative native result. */
export function nativeError(r: number, what: string): PlatformError {
  return new PlatformError(errName(r), what);
}

/** Runs a loop callback; an escaping exception is fatal (see the file comment). */
export function guard(fn: () => void): () => void {
  return () => {
    try {
      fn();
    } catch (e) {
      fatal(e);
    }
  };
}

/** Prints an uncaught error and exits with status 70 (EX_SOFTWARE). */
export function fatal(e: unknown): never {
  const err = e as { stack?: unknown; message?: unknown };
  std.err.puts(`omadm: fatal: ${String(e)}\n${typeof err?.stack === 'string' ? err.stack : ''}\n`);
  std.err.flush();
  return dmHost.exit(70);
}

function positiveInt(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${name} must be a positive integer, got ${String(v)}`);
  return v;
}

/** Creates the QuickJS platform. Throws RangeError/TypeError for bad options, PlatformError if storageDir is unusable. */
/**
 * Hands the core's UTF-8 conversions to the host's C (dmHost.utf8Decode / utf8EncodeInto in host.c):
 * same results as the portable loops, which stay for what C declines (bytes that are not strict
 * UTF-8; a conversion that runs out of heap). Measured in docs/bench.md.
 */
export function installNativeUtf8(): void {
  if (typeof dmHost === 'undefined' || typeof dmHost.utf8Decode !== 'function') return;
  setUtf8Native({ decode: dmHost.utf8Decode, encodeInto: dmHost.utf8EncodeInto });
}

/**
 * The core's engine tuning for QuickJS: native UTF-8 (above) and a short inline text scan in the
 * XML tokenizer (an interpreted loop costs ~370 instructions per byte, indexOf's memchr next to
 * nothing: src/codec/xml/Tokenizer.ts setXmlInlineScan). Called by main.ts and the bench host.
 */
export function installQjsTuning(): void {
  installNativeUtf8();
  setXmlInlineScan(8);
}

export function createQjsPlatform(opts: QjsPlatformOptions): Platform {
  if (typeof opts.storageDir !== 'string' || opts.storageDir === '') throw new TypeError('storageDir must be a non-empty string');
  if (typeof opts.caFile !== 'string') throw new TypeError('caFile must be a string');
  const level = LEVELS[opts.logLevel ?? 'info'];
  if (level === undefined) throw new RangeError(`logLevel must be one of ${Object.keys(LEVELS).join(', ')}`);
  const log = (lv: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (LEVELS[lv] > level) return;
    std.err.puts(`${lv} ${msg}${fields === undefined ? '' : ' ' + JSON.stringify(fields)}\n`);
  };
  const netOpts: NetOptions = {
    caFile: opts.caFile,
    connectTimeoutMs: positiveInt('connectTimeoutMs', opts.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS),
    readChunk: positiveInt('readChunk', opts.readChunk, DEFAULT_READ_CHUNK),
    maxWriteQueue: positiveInt('maxWriteQueue', opts.maxWriteQueue, DEFAULT_MAX_WRITE_QUEUE),
  };
  const timers = new TimerQueue(() => native.clockMonotonicMs());
  const p: Platform = {
    clock: { now: () => native.clockMonotonicMs(), wallMs: () => Date.now() },
    randomFill(out: Uint8Array): void {
      if (out.length === 0) return;
      const r = native.random(out, 0, out.length);
      if (r !== out.length) throw nativeError(r < 0 ? r : -5, 'random bytes');
    },
    log,
    setTimer: (ms: number, cb: () => void): TimerHandle => timers.add(ms, cb),
    clearTimer: (h: TimerHandle): void => timers.cancel(h),
    storage: createStorage(opts.storageDir),
    network: new QjsNetwork(netOpts),
  };
  if (opts.ui) p.ui = opts.ui;
  return p;
}

/**
 * Non-interactive UI for devices without a screen, same policies as the Node CLI's: 'accept'
 * answers confirm → yes, input → the server's default response, choices → the default or the
 * first; 'reject' answers confirm → no and cancels the rest (display/notification → ok). The answer
 * comes from the loop, never synchronously.
 */
export function policyUi(policy: 'accept' | 'reject'): UserInterface {
  return makePolicyUi(policy, (cb) => {
    os.setTimeout(guard(cb), 0);
  });
}

/** A timer of TimerQueue (the opaque TimerHandle handed out). */
interface TimerEntry {
  /** Due time on the monotonic clock, ms. */
  at: number;
  /** Creation order: ties fire in the order the timers were set. */
  seq: number;
  cb: () => void;
  /** False once fired or cancelled. */
  live: boolean;
}

/**
 * Timers ordered by (due time, creation), over one os.setTimeout armed for the earliest. Callbacks
 * run from the loop, each guarded; a callback may set or clear timers. Cancelling an unknown,
 * fired or cancelled handle does nothing (the Platform contract).
 */
export class TimerQueue {
  /** Pending entries, sorted. */
  readonly #q: TimerEntry[] = [];
  #seq = 0;
  /** The os timer armed for the head, and the due time it was armed for. */
  #armed: unknown = null;
  #armedAt = Infinity;
  constructor(private readonly now: () => number) {}

  /** Number of pending timers. */
  get size(): number {
    return this.#q.length;
  }

  add(ms: number, cb: () => void): TimerHandle {
    if (typeof cb !== 'function') throw new TypeError('setTimer: cb must be a function');
    const e: TimerEntry = { at: this.now() + Math.max(0, Number.isFinite(ms) ? ms : 0), seq: ++this.#seq, cb, live: true };
    // binary search for the first entry due later (equal due times keep creation order)
    let lo = 0;
    let hi = this.#q.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#q[mid]!.at <= e.at) lo = mid + 1;
      else hi = mid;
    }
    this.#q.splice(lo, 0, e);
    this.#arm();
    return e;
  }

  cancel(h: TimerHandle): void {
    const e = h as TimerEntry | null;
    if (typeof e !== 'object' || e === null || e.live !== true) return;
    const i = this.#q.indexOf(e);
    if (i < 0) return;
    e.live = false;
    this.#q.splice(i, 1);
    this.#arm();
  }

  #arm(): void {
    const head = this.#q[0];
    if (head && this.#armed !== null && this.#armedAt === head.at) return;
    if (this.#armed !== null) { os.clearTimeout(this.#armed); this.#armed = null; this.#armedAt = Infinity; }
    if (!head) return;
    this.#armed = os.setTimeout(this.#fire, Math.max(0, Math.ceil(head.at - this.now())));
    this.#armedAt = head.at;
  }

  readonly #fire = (): void => {
    this.#armed = null;
    this.#armedAt = Infinity;
    const t = this.now();
    while (this.#q.length > 0 && this.#q[0]!.at <= t) {
      const e = this.#q.shift()!;
      e.live = false;
      guard(e.cb)();
    }
    this.#arm();
  };
}

// ------------------------------------------------------------------------------------------ storage

/** Creates the blob directory (mode 0700) if needed and returns the storage over it. */
export function createStorage(dir: string): Storage {
  const [st, err] = os.stat(dir);
  if (err !== 0) {
    const r = os.mkdir(dir, 0o700);
    if (r < 0) throw nativeError(r, `mkdir ${dir}`);
  } else if ((st.mode & os.S_IFMT) !== os.S_IFDIR) {
    throw new PlatformError('ENOTDIR', dir);
  }
  return new NativeStorage(dir);
}

function blobPath(dir: string, name: string): string {
  if (typeof name !== 'string' || !NAME_RE.test(name) || name === '.' || name === '..') {
    throw new TypeError(`blob name must match [A-Za-z0-9._-]+, got ${JSON.stringify(name)}`);
  }
  return `${dir}/${name}`;
}

/** Storage over dm_native's durable file API. */
class NativeStorage implements Storage {
  constructor(private readonly dir: string) {}
  open(name: string, create: boolean): Blob {
    const c = native.constants;
    const h = native.fileOpen(blobPath(this.dir, name), (c.FILE_WRITE ?? 1) | (create ? (c.FILE_CREATE ?? 2) : 0));
    if (h < 0) throw nativeError(h, `open ${name}`);
    return new NativeBlob(h, name);
  }
  exists(name: string): boolean {
    return os.stat(blobPath(this.dir, name))[1] === 0;
  }
  remove(name: string): void {
    const r = native.fileRemove(blobPath(this.dir, name));
    if (r < 0 && errName(r) !== 'ENOENT') throw nativeError(r, `remove ${name}`);
  }
  rename(from: string, to: string): void {
    const r = native.fileRename(blobPath(this.dir, from), blobPath(this.dir, to));
    if (r < 0) throw nativeError(r, `rename ${from} -> ${to}`);
  }
}

/** Largest offset/length the native file API takes (uint32 arguments, int results). */
const MAX_FILE_POS = 0x7fffffff;

class NativeBlob implements Blob {
  /** Native handle; -1 after close. */
  #h: number;
  constructor(h: number, private readonly name: string) {
    this.#h = h;
  }
  #live(): number {
    if (this.#h < 0) throw new TypeError(`blob ${this.name} is closed`);
    return this.#h;
  }
  #pos(offset: number, len: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + len > MAX_FILE_POS) throw new RangeError(`offset out of range: ${offset}`);
  }
  size(): number {
    const r = native.fileSize(this.#live());
    if (r < 0) throw nativeError(r, `size ${this.name}`);
    return r;
  }
  read(offset: number, dst: Uint8Array): number {
    const h = this.#live();
    this.#pos(offset, dst.length);
    let done = 0;
    while (done < dst.length) {
      const r = native.filePread(h, offset + done, dst, done, dst.length - done);
      if (r < 0) throw nativeError(r, `read ${this.name}`);
      if (r === 0) break;
      done += r;
    }
    return done;
  }
  write(offset: number, src: Uint8Array): void {
    const h = this.#live();
    this.#pos(offset, src.length);
    if (src.length === 0) return;
    const r = native.filePwrite(h, offset, src, 0, src.length);
    if (r < 0) throw nativeError(r, `write ${this.name}`);
  }
  truncate(length: number): void {
    this.#pos(length, 0);
    const r = native.fileTruncate(this.#live(), length);
    if (r < 0) throw nativeError(r, `truncate ${this.name}`);
  }
  sync(): void {
    const r = native.fileSync(this.#live());
    if (r < 0) throw nativeError(r, `sync ${this.name}`);
  }
  close(): void {
    if (this.#h < 0) return;
    native.close(this.#h);
    this.#h = -1;
  }
}

// ------------------------------------------------------------------------------------------ network

interface NetOptions {
  caFile: string;
  connectTimeoutMs: number;
  readChunk: number;
  maxWriteQueue: number;
}

class QjsNetwork implements Network {
  constructor(private readonly opts: NetOptions) {}
  connect(target: StreamTarget, events: StreamEvents): ByteStream {
    if (typeof target.host !== 'string' || target.host === '') throw new TypeError('target.host must be a non-empty string');
    if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) throw new RangeError(`target.port out of range: ${target.port}`);
    return new QjsStream(target, events, this.opts);
  }
}

/** Stream life cycle. */
enum S { Connecting, Open, Closed }

/**
 * One TCP/TLS stream: a native handle plus fd handlers. Reads are drained until -EAGAIN (TLS may
 * hold decrypted bytes no fd event announces), at most DEFAULT_READS_PER_TICK per callback.
 * Writes are queued (copied, bounded) and retried with the same bytes after -EAGAIN (mbedtls rule).
 */
class QjsStream implements ByteStream {
  #state = S.Connecting;
  /** Native handle (> 0) or -1 when none/closed. */
  #h = -1;
  #fd = -1;
  /** Outgoing chunks (copies); the head is partly sent up to #headOff. */
  #queue: Uint8Array[] = [];
  #headOff = 0;
  #queued = 0;
  /** Connect/handshake deadline timer. */
  #timer: unknown = null;
  #readBuf: Uint8Array;
  /** Which fd readiness the handlers currently wait for (avoid re-registering each time). */
  #rd: (() => void) | null = null;
  #wr: (() => void) | null = null;
  readonly #events: StreamEvents;
  readonly #opts: NetOptions;
  readonly #what: string;

  constructor(target: StreamTarget, events: StreamEvents, opts: NetOptions) {
    this.#events = events;
    this.#opts = opts;
    this.#readBuf = new Uint8Array(opts.readChunk);
    this.#what = `${target.tls ? 'tls' : 'tcp'}://${target.host}:${target.port}`;
    const c = native.constants;
    const h = native.tlsOpen(target.host, target.port, target.servername ?? '', target.tls ? this.#opts.caFile : '',
      target.tls ? (c.TLS_F_TLS ?? 1) : 0);
    if (h < 0) {
      // never call back from inside connect(): report from the loop
      os.setTimeout(guard(() => this.#fail(nativeError(h, this.#what))), 0);
      return;
    }
    this.#h = h;
    this.#fd = native.tlsFd(h);
    this.#timer = os.setTimeout(guard(() => this.#fail(new PlatformError('ETIMEDOUT', `${this.#what}: connect/handshake`))),
      opts.connectTimeoutMs);
    os.setTimeout(guard(() => this.#step()), 0);
  }

  write(data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) throw new TypeError('write: data must be a Uint8Array');
    if (this.#state === S.Closed || data.length === 0) return;
    if (this.#queued + data.length > this.#opts.maxWriteQueue) {
      this.#fail(new PlatformError('ENOBUFS', `${this.#what}: more than ${this.#opts.maxWriteQueue} bytes queued`));
      return;
    }
    this.#queue.push(data.slice());
    this.#queued += data.length;
    if (this.#state === S.Open) this.#flush();
  }

  close(): void {
    if (this.#state === S.Closed) return;
    this.#release();
    os.setTimeout(guard(() => this.#events.onClose(null)), 0);
  }

  /**
   * The fd to watch changes during connect: the resolver's eventfd while the name is looked up, then
   * a socket per address tried. The old fd is already closed natively: drop its handlers (that only
   * edits the loop's list) before the next #watch registers on the new one.
   */
  #refreshFd(): void {
    const fd = native.tlsFd(this.#h);
    if (fd === this.#fd) return;
    this.#watch(null, null);
    this.#fd = fd;
  }

  /** Watches the fd for reading and/or writing (null = not). */
  #watch(rd: (() => void) | null, wr: (() => void) | null): void {
    if (this.#fd < 0) return;
    if (rd !== this.#rd) { os.setReadHandler(this.#fd, rd); this.#rd = rd; }
    if (wr !== this.#wr) { os.setWriteHandler(this.#fd, wr); this.#wr = wr; }
  }

  readonly #onStep = guard(() => this.#step());
  readonly #onReadable = guard(() => this.#pump());
  readonly #onWritable = guard(() => this.#flush());

  #step(): void {
    if (this.#state !== S.Connecting) return;
    const r = native.tlsStep(this.#h);
    this.#refreshFd();
    if (r === 0) {
      this.#state = S.Open;
      if (this.#timer !== null) { os.clearTimeout(this.#timer); this.#timer = null; }
      this.#watch(this.#onReadable, null);
      this.#events.onOpen();
      if (this.#state === S.Open && this.#queue.length > 0) this.#flush();
      return;
    }
    if (r === 1) this.#watch(this.#onStep, null);
    else if (r === 2) this.#watch(null, this.#onStep);
    else this.#fail(nativeError(r, this.#what));
  }

  /** Drains readable bytes (bounded per tick), then retries pending writes that waited for input. */
  #pump(): void {
    const buf = this.#readBuf;
    for (let i = 0; i < DEFAULT_READS_PER_TICK; i++) {
      if (this.#state !== S.Open) return;
      const n = native.tlsRead(this.#h, buf, 0, buf.length);
      if (n > 0) {
        this.#events.onData(buf.subarray(0, n));
        continue;
      }
      if (n === 0) { this.#finish(); return; }
      if (errName(n) !== 'EAGAIN') { this.#fail(nativeError(n, this.#what)); return; }
      if (native.tlsWant(this.#h) === 2) this.#watch(this.#onReadable, this.#onReadable);
      if (this.#queue.length > 0) this.#flush();
      return;
    }
    // more may be buffered inside TLS: continue from the loop without waiting for the fd
    os.setTimeout(this.#onReadable, 0);
  }

  #flush(): void {
    while (this.#state === S.Open && this.#queue.length > 0) {
      const head = this.#queue[0]!;
      const r = native.tlsWrite(this.#h, head, this.#headOff, head.length - this.#headOff);
      if (r > 0) {
        this.#headOff += r;
        this.#queued -= r;
        if (this.#headOff === head.length) { this.#queue.shift(); this.#headOff = 0; }
        continue;
      }
      if (errName(r) === 'EAGAIN') {
        // TLS may need to read before it can write: then the read handler retries (see #pump)
        this.#watch(this.#onReadable, native.tlsWant(this.#h) === 2 ? this.#onWritable : null);
        return;
      }
      this.#fail(nativeError(r, this.#what));
      return;
    }
    if (this.#state === S.Open) this.#watch(this.#onReadable, null);
  }

  /** Releases handlers, timer and the native handle. */
  #release(): void {
    this.#watch(null, null);
    this.#state = S.Closed;
    if (this.#timer !== null) { os.clearTimeout(this.#timer); this.#timer = null; }
    if (this.#h > 0) { native.tlsClose(this.#h); this.#h = -1; }
    this.#fd = -1;
    this.#queue = [];
    this.#queued = 0;
  }

  #finish(): void {
    this.#release();
    this.#events.onClose(null);
  }

  #fail(err: PlatformError): void {
    if (this.#state === S.Closed) return;
    this.#release();
    this.#events.onClose(err);
  }
}
