/**
 * The device's TLS engine on Node: mbedtls 2.28 compiled to wasm32-wasi (tls_wasm.c), driven over a
 * node:net socket, as a `Network` (src/platform.ts). It verifies the server exactly as the device
 * does (same mbedtls, same VERIFY_REQUIRED + name check, same error codes: ECERTUNTRUSTED,
 * ECERTEXPIRED, ECERTNAME, ...), so host-side tests can reproduce device TLS behaviour.
 * It is an option, not the default: node:tls is faster and maintained with Node (see
 * target/quickjs/README.md for the measurements).
 *
 *   const engine = await WasmTlsEngine.load('build/wasm/tls.wasm');
 *   const network = new WasmTlsNetwork(engine, { ca: readFileSync('ca.pem') });
 *   platform.network = network;      // or pass it where the host builds its Platform
 *
 * Node-only (node:net, node:wasi). One engine (one wasm instance) serves any number of streams.
 */
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { WASI } from 'node:wasi';
import { PlatformError, type ByteStream, type Network, type StreamEvents, type StreamTarget } from '../../../../src/platform';

/** Default connect + handshake timeout, ms. */
export const DEFAULT_WASM_TLS_CONNECT_TIMEOUT_MS = 30000;
/** Plaintext bytes read from the engine per call (one onData chunk at most). */
export const WASM_TLS_READ_CHUNK = 16384;

/** tls_wasm.c result codes → stable names (same values as native/core/tls/dm_tls.h). */
const CODES: Record<number, string> = {
  [-4001]: 'ECERTUNTRUSTED', [-4002]: 'ECERTEXPIRED', [-4003]: 'ECERTNAME', [-4004]: 'ECERTINVALID',
  [-4005]: 'ETLSHANDSHAKE', [-4006]: 'ECAFILE', [-4007]: 'EDNS', [-4008]: 'ETLSPROTOCOL', [-4009]: 'ETLSINTERNAL',
  [-12]: 'ENOMEM', [-22]: 'EINVAL', [-104]: 'ECONNRESET', [-105]: 'ENOBUFS',
};
const TW_EAGAIN = -11;

/** Stable code of a negative engine result. */
export function wasmTlsCode(r: number): string {
  return CODES[r] ?? `E${-r}`;
}

/** The parts of the WebAssembly API used here (the lib es2022 + @types/node setup declares none of them). */
interface WasmMemory { readonly buffer: ArrayBuffer }
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: object): Promise<{ exports: object }>;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Exports {
  memory: WasmMemory;
  tw_alloc(n: number): number;
  tw_free(p: number): void;
  tw_last_error(): number;
  tw_new(id: number, ca: number, caLen: number, host: number): number;
  tw_feed(t: number, p: number, n: number): number;
  tw_eof(t: number): void;
  tw_handshake(t: number): number;
  tw_read(t: number, p: number, n: number): number;
  tw_write(t: number, p: number, n: number): number;
  tw_cipher(t: number): number;
  tw_close(t: number): void;
}

/** One instance of tls.wasm; routes its outgoing ciphertext to the right socket by stream id. */
export class WasmTlsEngine {
  readonly #x: Exports;
  /** Stream id → sink for ciphertext produced by the engine. */
  readonly #sinks: Map<number, (bytes: Uint8Array) => void>;
  #nextId = 1;

  private constructor(x: Exports, sinks: Map<number, (bytes: Uint8Array) => void>) {
    this.#x = x;
    this.#sinks = sinks;
  }

  /** Compiles and instantiates the wasm file (WASI preview1: random and clock only). */
  static async load(wasmFile: string): Promise<WasmTlsEngine> {
    const sinks = new Map<number, (bytes: Uint8Array) => void>();
    const wasi = new WASI({ version: 'preview1', args: [], env: {}, returnOnExit: true });
    let mem: WasmMemory | null = null;
    const env = {
      tw_send(id: number, p: number, n: number): number {
        // copy out: the socket keeps the bytes after we return and memory may grow
        sinks.get(id)?.(new Uint8Array(mem!.buffer, p, n).slice());
        return n;
      },
    };
    const mod = await WA.compile(readFileSync(wasmFile));
    const inst = await WA.instantiate(mod, { wasi_snapshot_preview1: wasi.wasiImport, env });
    wasi.initialize(inst);
    const x = inst.exports as unknown as Exports;
    mem = x.memory;
    return new WasmTlsEngine(x, sinks);
  }

  /** Bytes of linear memory (grows with streams and CA bundles). */
  get memoryBytes(): number {
    return this.#x.memory.buffer.byteLength;
  }

  /** Copies `b` into a fresh allocation; the caller frees it. */
  #copyIn(b: Uint8Array, nul = false): number {
    const p = this.#x.tw_alloc(b.length + (nul ? 1 : 0));
    if (p === 0) throw new PlatformError('ENOMEM', 'wasm allocation failed');
    const m = new Uint8Array(this.#x.memory.buffer);
    m.set(b, p);
    if (nul) m[p + b.length] = 0;
    return p;
  }

  /** A TLS client context (internal to WasmTlsStream). Throws PlatformError (ECAFILE, ...). */
  open(ca: Uint8Array, servername: string, sink: (bytes: Uint8Array) => void): WasmTlsSession {
    const id = this.#nextId++;
    const pem = ca.length > 0 && ca[0] === 0x2d; // "-----BEGIN": PEM needs its NUL counted
    const caP = this.#copyIn(ca, pem);
    const hostP = this.#copyIn(new TextEncoder().encode(servername), true);
    const t = this.#x.tw_new(id, caP, ca.length + (pem ? 1 : 0), hostP);
    this.#x.tw_free(caP);
    this.#x.tw_free(hostP);
    if (t === 0) throw new PlatformError(wasmTlsCode(this.#x.tw_last_error()), `TLS setup for ${servername}`);
    this.#sinks.set(id, sink);
    return new WasmTlsSession(this.#x, t, () => this.#sinks.delete(id), (b) => this.#copyIn(b));
  }
}

/** One TLS context inside the engine. Methods return engine codes; see tls_wasm.c. */
export class WasmTlsSession {
  #t: number;
  readonly #buf: number;
  constructor(private readonly x: Exports, t: number, private readonly release: () => void, private readonly copyIn: (b: Uint8Array) => number) {
    this.#t = t;
    this.#buf = x.tw_alloc(WASM_TLS_READ_CHUNK);
  }
  feed(b: Uint8Array): number {
    const p = this.copyIn(b);
    const r = this.x.tw_feed(this.#t, p, b.length);
    this.x.tw_free(p);
    return r;
  }
  eof(): void { this.x.tw_eof(this.#t); }
  handshake(): number { return this.x.tw_handshake(this.#t); }
  /** Plaintext (a copy), 'eof', 'again', or a negative code. */
  read(): Uint8Array | 'eof' | 'again' | number {
    const r = this.x.tw_read(this.#t, this.#buf, WASM_TLS_READ_CHUNK);
    if (r > 0) return new Uint8Array(this.x.memory.buffer, this.#buf, r).slice();
    if (r === 0) return 'eof';
    return r === TW_EAGAIN ? 'again' : r;
  }
  /** Encrypts all of `b` (records leave through the sink); 0 or a negative code. */
  write(b: Uint8Array): number {
    const p = this.copyIn(b);
    try {
      for (let off = 0; off < b.length;) {
        const r = this.x.tw_write(this.#t, p + off, b.length - off);
        if (r < 0) return r;
        off += r;
      }
      return 0;
    } finally {
      this.x.tw_free(p);
    }
  }
  cipher(): string {
    const p = this.x.tw_cipher(this.#t);
    const m = new Uint8Array(this.x.memory.buffer);
    let e = p;
    while (m[e] !== 0) e++;
    return new TextDecoder().decode(m.subarray(p, e));
  }
  close(): void {
    if (this.#t === 0) return;
    this.x.tw_close(this.#t);
    this.x.tw_free(this.#buf);
    this.#t = 0;
    this.release();
  }
}

/** Options of WasmTlsNetwork. */
export interface WasmTlsNetworkOptions {
  /** CA bundle (PEM text or bytes, or DER) the server certificate must chain to. */
  ca: Uint8Array | string;
  /** Connect + handshake timeout, ms. Default DEFAULT_WASM_TLS_CONNECT_TIMEOUT_MS. */
  connectTimeoutMs?: number;
}

/** `Network` whose TLS streams run the wasm mbedtls; plain TCP targets use node:net directly. */
export class WasmTlsNetwork implements Network {
  readonly #ca: Uint8Array;
  readonly #timeout: number;
  constructor(private readonly engine: WasmTlsEngine, o: WasmTlsNetworkOptions) {
    this.#ca = typeof o.ca === 'string' ? new TextEncoder().encode(o.ca) : o.ca;
    this.#timeout = o.connectTimeoutMs ?? DEFAULT_WASM_TLS_CONNECT_TIMEOUT_MS;
  }
  connect(target: StreamTarget, events: StreamEvents): ByteStream {
    return new WasmTlsStream(this.engine, this.#ca, this.#timeout, target, events);
  }
}

/** A TCP stream with the wasm TLS engine on top (or none for plain targets). */
class WasmTlsStream implements ByteStream {
  #sock: Socket;
  #tls: WasmTlsSession | null = null;
  #open = false;
  #closed = false;
  #pending: Uint8Array[] = [];
  #timer: ReturnType<typeof setTimeout> | null;

  constructor(engine: WasmTlsEngine, ca: Uint8Array, timeoutMs: number, private readonly target: StreamTarget, private readonly ev: StreamEvents) {
    this.#timer = setTimeout(() => this.#fail(new PlatformError('ETIMEDOUT', `${target.host}:${target.port}: connect/handshake`)), timeoutMs);
    this.#sock = netConnect({ host: target.host, port: target.port });
    this.#sock.setNoDelay(true);
    this.#sock.on('connect', () => {
      if (!target.tls) { this.#opened(); return; }
      try {
        this.#tls = engine.open(ca, target.servername ?? target.host, (b) => { if (!this.#sock.destroyed) this.#sock.write(b); });
      } catch (e) {
        this.#fail(e as PlatformError);
        return;
      }
      this.#pump();
    });
    this.#sock.on('data', (d: Buffer) => {
      if (!this.#tls) { if (!this.#closed) this.ev.onData(new Uint8Array(d.buffer, d.byteOffset, d.length)); return; }
      const r = this.#tls.feed(new Uint8Array(d.buffer, d.byteOffset, d.length));
      if (r < 0) { this.#fail(new PlatformError(wasmTlsCode(r), 'TLS input')); return; }
      this.#pump();
    });
    this.#sock.on('end', () => {
      if (this.#tls) { this.#tls.eof(); this.#pump(); }
      if (!this.#closed) this.#finish(null);
    });
    this.#sock.on('error', (e: NodeJS.ErrnoException) => this.#fail(new PlatformError(e.code ?? 'EIO', e.message)));
  }

  write(data: Uint8Array): void {
    if (this.#closed || data.length === 0) return;
    if (!this.#open) { this.#pending.push(data.slice()); return; }
    if (!this.#tls) { this.#sock.write(data.slice()); return; }
    const r = this.#tls.write(data);
    if (r < 0) this.#fail(new PlatformError(wasmTlsCode(r), 'TLS write'));
  }

  close(): void {
    if (this.#closed) return;
    this.#release();
    this.#sock.end();
    setImmediate(() => this.ev.onClose(null));
  }

  #opened(): void {
    this.#open = true;
    if (this.#timer) { clearTimeout(this.#timer); this.#timer = null; }
    this.ev.onOpen();
    const q = this.#pending;
    this.#pending = [];
    for (const b of q) this.write(b);
  }

  /** Handshake progress, then plaintext out until the engine needs more input. */
  #pump(): void {
    const t = this.#tls;
    if (!t || this.#closed) return;
    if (!this.#open) {
      const r = t.handshake();
      if (r === 1) return;
      if (r < 0) { this.#fail(new PlatformError(wasmTlsCode(r), `${this.target.host}:${this.target.port}`)); return; }
      this.#opened();
    }
    while (!this.#closed && this.#tls) {
      const r = this.#tls.read();
      if (r === 'again') return;
      if (r === 'eof') { this.#finish(null); return; }
      if (typeof r === 'number') { this.#fail(new PlatformError(wasmTlsCode(r), 'TLS read')); return; }
      this.ev.onData(r);
    }
  }

  #release(): void {
    this.#closed = true;
    if (this.#timer) { clearTimeout(this.#timer); this.#timer = null; }
    this.#tls?.close();
    this.#tls = null;
  }

  #finish(err: PlatformError | null): void {
    if (this.#closed) return;
    this.#release();
    this.#sock.destroy();
    this.ev.onClose(err);
  }

  #fail(err: PlatformError): void {
    this.#finish(err);
  }
}
