/**
 * A deterministic in-memory Platform for unit tests: manual clock and timers, seeded random,
 * in-memory storage (with a durable/volatile split so tests can simulate a power cut), captured log.
 * Portable (no node:* imports) so the same tests can run under QuickJS.
 */
import type { Blob, ByteStream, LogLevel, Network, Platform, Storage, StreamEvents, StreamTarget, TimerHandle } from '../../src/platform';
import { PlatformError } from '../../src/platform';

/** One in-memory file: `data` is what reads see, `durable` what survives `powerCut()`. */
interface MemFile {
  data: Uint8Array;
  size: number;
  durable: Uint8Array;
  durableSize: number;
}

export class MemStorage implements Storage {
  /** name → file */
  readonly files = new Map<string, MemFile>();
  /** Counts every write() call across all blobs (for crash-point sweeps). */
  writes = 0;
  /** When set, the write with this 1-based index throws EIO after storing only `tornBytes` bytes. */
  failAtWrite = 0;
  tornBytes = 0;

  open(name: string, create: boolean): Blob {
    let f = this.files.get(name);
    if (!f) {
      if (!create) throw new PlatformError('ENOENT', `no such blob: ${name}`);
      f = { data: new Uint8Array(64), size: 0, durable: new Uint8Array(0), durableSize: 0 };
      this.files.set(name, f);
    }
    return new MemBlob(this, f);
  }
  exists(name: string): boolean {
    return this.files.has(name);
  }
  remove(name: string): void {
    this.files.delete(name);
  }
  rename(from: string, to: string): void {
    const f = this.files.get(from);
    if (!f) throw new PlatformError('ENOENT', `no such blob: ${from}`);
    this.files.delete(from);
    this.files.set(to, f);
  }
  /** Simulates losing power: every file reverts to its last synced content. */
  powerCut(): void {
    for (const f of this.files.values()) {
      f.data = new Uint8Array(Math.max(64, f.durableSize));
      f.data.set(f.durable.subarray(0, f.durableSize));
      f.size = f.durableSize;
    }
  }
}

class MemBlob implements Blob {
  #closed = false;
  constructor(private readonly st: MemStorage, private readonly f: MemFile) {}
  #check(): void {
    if (this.#closed) throw new TypeError('blob is closed');
  }
  size(): number {
    this.#check();
    return this.f.size;
  }
  read(offset: number, dst: Uint8Array): number {
    this.#check();
    if (offset >= this.f.size) return 0;
    const n = Math.min(dst.length, this.f.size - offset);
    dst.set(this.f.data.subarray(offset, offset + n));
    return n;
  }
  write(offset: number, src: Uint8Array): void {
    this.#check();
    this.st.writes++;
    let n = src.length;
    const tear = this.st.failAtWrite !== 0 && this.st.writes === this.st.failAtWrite;
    if (tear) n = Math.min(n, this.st.tornBytes);
    this.#ensure(offset + n);
    this.f.data.set(src.subarray(0, n), offset);
    if (offset + n > this.f.size) this.f.size = offset + n;
    if (tear) throw new PlatformError('EIO', 'simulated power cut during write');
  }
  truncate(length: number): void {
    this.#check();
    this.#ensure(length);
    if (length > this.f.size) this.f.data.fill(0, this.f.size, length);
    this.f.size = length;
  }
  sync(): void {
    this.#check();
    this.f.durable = this.f.data.slice(0, this.f.size);
    this.f.durableSize = this.f.size;
  }
  close(): void {
    this.#closed = true;
  }
  #ensure(n: number): void {
    if (n <= this.f.data.length) return;
    const d = new Uint8Array(Math.max(n, this.f.data.length * 2));
    d.set(this.f.data.subarray(0, this.f.size));
    this.f.data = d;
  }
}

/** Network that refuses every connection unless a handler is installed. */
export class FakeNetwork implements Network {
  handler: ((target: StreamTarget, events: StreamEvents) => ByteStream) | null = null;
  constructor(private readonly p: FakePlatform) {}
  connect(target: StreamTarget, events: StreamEvents): ByteStream {
    if (this.handler) return this.handler(target, events);
    this.p.setTimer(0, () => events.onClose(new PlatformError('ECONNREFUSED', `${target.host}:${target.port}`)));
    return { write() {}, close() {} };
  }
}

export interface LogEntry {
  level: LogLevel;
  msg: string;
  fields?: Record<string, unknown>;
}

export class FakePlatform implements Platform {
  #now = 0;
  #seed: number;
  #timers: { at: number; seq: number; cb: () => void; id: number }[] = [];
  #seq = 0;
  readonly logs: LogEntry[] = [];
  readonly storage: MemStorage;
  readonly network: FakeNetwork;
  readonly clock = {
    now: (): number => this.#now,
    wallMs: (): number => 1_764_000_000_000 + this.#now,
  };

  constructor(seed = 1, storage: MemStorage = new MemStorage()) {
    this.#seed = seed >>> 0 || 1;
    this.storage = storage;
    this.network = new FakeNetwork(this);
  }

  randomFill(out: Uint8Array): void {
    for (let i = 0; i < out.length; i++) {
      // xorshift32
      let x = this.#seed;
      x ^= x << 13; x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5; x >>>= 0;
      this.#seed = x;
      out[i] = x & 0xff;
    }
  }

  log = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    this.logs.push(fields === undefined ? { level, msg } : { level, msg, fields });
  };

  setTimer(ms: number, cb: () => void): TimerHandle {
    const id = ++this.#seq;
    this.#timers.push({ at: this.#now + Math.max(0, ms), seq: id, cb, id });
    return id;
  }
  clearTimer(h: TimerHandle): void {
    this.#timers = this.#timers.filter((t) => t.id !== h);
  }

  /** Advances the clock by `ms`, firing due timers in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const t = this.#timers[0];
      if (!t || t.at > end) break;
      this.#timers.shift();
      this.#now = Math.max(this.#now, t.at);
      t.cb();
    }
    this.#now = end;
  }

  /** Fires timers until none are left (or `maxSteps` fired). */
  runAll(maxSteps = 100000): void {
    for (let i = 0; i < maxSteps && this.#timers.length > 0; i++) {
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const t = this.#timers.shift()!;
      this.#now = Math.max(this.#now, t.at);
      t.cb();
    }
  }

  pendingTimers(): number {
    return this.#timers.length;
  }
}
