/**
 * The Platform on Node: monotonic clock, crypto random, timers, a directory of durable files
 * (fdatasync on sync(), rename + directory fsync), TCP and TLS byte streams (node:net / node:tls,
 * the server certificate verified against a configured CA), and an optional UI.
 */
import { randomFillSync } from 'node:crypto';
import { closeSync, existsSync, fdatasyncSync, fstatSync, ftruncateSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import * as tls from 'node:tls';
import type { Blob, ByteStream, LogLevel, LogSink, Network, Platform, Storage, StreamEvents, StreamTarget, TimerHandle, UserInterface } from '../../src/platform';
import { PlatformError } from '../../src/platform';

const NAME_RE = /^[A-Za-z0-9._-]+$/;

function perr(e: unknown, what: string): PlatformError {
  const code = (e as { code?: string }).code ?? 'EIO';
  return new PlatformError(code, `${what}: ${(e as Error).message ?? String(e)}`);
}

class FileBlob implements Blob {
  #fd: number;
  constructor(fd: number, private readonly name: string) {
    this.#fd = fd;
  }
  #check(): number {
    if (this.#fd < 0) throw new TypeError(`blob ${this.name} is closed`);
    return this.#fd;
  }
  size(): number {
    return fstatSync(this.#check()).size;
  }
  read(offset: number, dst: Uint8Array): number {
    try {
      return readSync(this.#check(), dst, 0, dst.length, offset);
    } catch (e) {
      if (e instanceof TypeError) throw e;
      throw perr(e, `read ${this.name}`);
    }
  }
  write(offset: number, src: Uint8Array): void {
    const fd = this.#check();
    try {
      let done = 0;
      while (done < src.length) done += writeSync(fd, src, done, src.length - done, offset + done);
    } catch (e) {
      throw perr(e, `write ${this.name}`);
    }
  }
  truncate(length: number): void {
    try {
      ftruncateSync(this.#check(), length);
    } catch (e) {
      if (e instanceof TypeError) throw e;
      throw perr(e, `truncate ${this.name}`);
    }
  }
  sync(): void {
    try {
      fdatasyncSync(this.#check());
    } catch (e) {
      if (e instanceof TypeError) throw e;
      throw perr(e, `sync ${this.name}`);
    }
  }
  close(): void {
    if (this.#fd >= 0) {
      closeSync(this.#fd);
      this.#fd = -1;
    }
  }
}

/** Durable named files in one directory. */
export class DirStorage implements Storage {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
  #path(name: string): string {
    if (!NAME_RE.test(name)) throw new TypeError(`storage name must match ${NAME_RE}: ${name}`);
    return join(this.dir, name);
  }
  open(name: string, create: boolean): Blob {
    const p = this.#path(name);
    try {
      const fd = openSync(p, existsSync(p) ? 'r+' : create ? 'w+' : 'r+');
      if (create) this.#syncDir();
      return new FileBlob(fd, name);
    } catch (e) {
      throw perr(e, `open ${name}`);
    }
  }
  exists(name: string): boolean {
    return existsSync(this.#path(name));
  }
  remove(name: string): void {
    const p = this.#path(name);
    try {
      if (existsSync(p)) unlinkSync(p);
      this.#syncDir();
    } catch (e) {
      throw perr(e, `remove ${name}`);
    }
  }
  rename(from: string, to: string): void {
    try {
      renameSync(this.#path(from), this.#path(to));
      this.#syncDir();
    } catch (e) {
      throw perr(e, `rename ${from}`);
    }
  }
  #syncDir(): void {
    const fd = openSync(this.dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

export interface NodeNetworkOptions {
  /** PEM CA bundle the server certificate must chain to (default: Node's bundled roots). */
  ca?: string | Buffer;
  /** Client certificate / key for TLS client authentication. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Minimum TLS version (default TLSv1.2). */
  minVersion?: tls.SecureVersion;
}

/** TLS verification error codes mapped to ECERT (the portable code; the detail stays in the message). */
const CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE', 'CERT_REVOKED', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'INVALID_CA',
]);

export class NodeNetwork implements Network {
  constructor(private readonly opts: NodeNetworkOptions = {}) {}
  connect(target: StreamTarget, ev: StreamEvents): ByteStream {
    let closed = false;
    let opened = false;
    const close = (err: PlatformError | null): void => {
      if (closed) return;
      closed = true;
      setImmediate(() => ev.onClose(err));
    };
    let sock: net.Socket;
    if (target.tls) {
      const o: tls.ConnectionOptions = {
        host: target.host, port: target.port, servername: net.isIP(target.servername ?? target.host) ? '' : target.servername ?? target.host,
        rejectUnauthorized: true, minVersion: this.opts.minVersion ?? 'TLSv1.2',
      };
      if (this.opts.ca !== undefined) o.ca = this.opts.ca;
      if (this.opts.cert !== undefined) o.cert = this.opts.cert;
      if (this.opts.key !== undefined) o.key = this.opts.key;
      sock = tls.connect(o, () => {
        opened = true;
        ev.onOpen();
      });
    } else {
      sock = net.connect({ host: target.host, port: target.port }, () => {
        opened = true;
        ev.onOpen();
      });
    }
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => {
      if (!closed) ev.onData(new Uint8Array(d.buffer, d.byteOffset, d.length));
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? 'EIO';
      close(new PlatformError(CERT_CODES.has(code) ? 'ECERT' : code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') ? 'ETLS' : code, `${code}: ${e.message}`));
    });
    sock.on('close', () => close(opened ? null : new PlatformError('ECONNRESET', 'closed during connect')));
    sock.on('end', () => sock.end());
    return {
      write(data: Uint8Array): void {
        if (!closed) sock.write(Buffer.from(data));
      },
      close(): void {
        if (closed) return;
        sock.destroy();
        close(null);
      },
    };
  }
}

const LEVELS: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** A log sink writing one line per entry to stderr, at or above `level`. */
export function stderrLog(level: LogLevel = 'info'): LogSink {
  return (l, msg, fields) => {
    if (LEVELS[l] > LEVELS[level]) return;
    process.stderr.write(`[${l}] ${msg}${fields ? ' ' + JSON.stringify(fields) : ''}\n`);
  };
}

export interface NodePlatformOptions {
  /** Storage folder. */
  dir: string;
  network?: NodeNetworkOptions;
  log?: LogSink;
  ui?: UserInterface;
}

/** The Node platform. */
export function nodePlatform(o: NodePlatformOptions): Platform {
  const t0 = performance.now();
  const p: Platform = {
    clock: { now: () => performance.now() - t0, wallMs: () => Date.now() },
    randomFill: (out) => {
      randomFillSync(out);
    },
    log: o.log ?? stderrLog('info'),
    setTimer: (ms, cb): TimerHandle => setTimeout(cb, ms),
    clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    storage: new DirStorage(o.dir),
    network: new NodeNetwork(o.network ?? {}),
  };
  if (o.ui) p.ui = o.ui;
  return p;
}
