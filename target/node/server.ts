/**
 * Node listener for the loopback DM test server (src/server): node:http or node:https on
 * 127.0.0.1, keep-alive, a request body limit (413), and the fault directives of the portable
 * engine (delay, drop, truncate) applied to the socket. Test tooling: not part of device images.
 *
 *   const srv = await startServer({ script: 'test/fixtures/server/basic.json', port: 0 });
 *   ... point a client at srv.url ...
 *   const rec = await srv.waitForSession();   // the first session, once it has ended
 *   await srv.close();
 */
import { randomFillSync } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { dirname, isAbsolute, resolve } from 'node:path';
import { DmServer } from '../../src/server/DmServer';
import type { DmServerOptions } from '../../src/server/DmServer';
import type { HttpRequest, HttpResponse } from '../../src/server/http';
import type { ServerLimits } from '../../src/server/limits';
import { DEFAULT_SERVER_LIMITS } from '../../src/server/limits';
import type { MessageRecord, SessionRecord } from '../../src/server/record';
import { parseScript } from '../../src/server/script';
import type { Script } from '../../src/server/script';
import type { ServerStateData } from '../../src/server/state';
import { checkState, emptyState } from '../../src/server/state';

/** Default keep-alive idle time of a connection (ms). */
export const DEFAULT_KEEP_ALIVE_MS = 5000;
/** Default interval of the idle-session sweep (ms). */
export const DEFAULT_TICK_MS = 1000;
/** Default URL path printed for clients (the server answers on every path). */
export const DEFAULT_PATH = '/dm';

/** Options of `startServer`. */
export interface StartServerOptions {
  /** A validated Script, a script object as parsed from JSON, or the path of a JSON script file. */
  script: Script | Record<string, unknown> | string;
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Address to bind. Default '127.0.0.1' (loopback only). */
  host?: string;
  /** URL path in `url`. Default '/dm'. */
  path?: string;
  /** Serve HTTPS with this PEM key and certificate (chain). */
  tls?: { key: string | Uint8Array; cert: string | Uint8Array };
  /** JSON file holding the nonce state: loaded at start when present, rewritten (atomically) on change. */
  stateFile?: string;
  /** Largest request body in bytes (413 above). Default: limits.maxInMsgSize (1 MiB). */
  bodyLimit?: number;
  /** Engine bounds. */
  limits?: Partial<ServerLimits>;
  /** Keep-alive idle timeout per connection (ms). Default 5000. */
  keepAliveMs?: number;
  /** Interval of the idle-session sweep (ms). Default 1000. */
  tickMs?: number;
  /** Every recorded message (in and out). */
  onMessage?: (msg: MessageRecord, session: SessionRecord | null) => void;
  /** Every session end. */
  onSessionEnd?: (rec: SessionRecord) => void;
}

/** A running server. */
export interface RunningServer {
  /** Base URL for clients, e.g. `http://127.0.0.1:41234/dm`. */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** The engine (records, state, events). */
  readonly dm: DmServer;
  /** Stops listening, drops open connections, cancels pending answers, saves the state. Idempotent. */
  close(): Promise<void>;
  /** Records of the kept sessions, oldest first. */
  sessions(): SessionRecord[];
  /**
   * Resolves with session number `n` (1-based creation order, default 1) once it has ended;
   * rejects after `timeoutMs` (default 30 s).
   */
  waitForSession(n?: number, timeoutMs?: number): Promise<SessionRecord>;
}

/** Reads and validates a JSON script; `dataFile` paths are relative to the script's folder. */
export function loadScriptFile(path: string): Script {
  const text = readFileSync(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`${path}: not JSON: ${(e as Error).message}`);
  }
  const dir = dirname(resolve(path));
  return parseScript(json, { readFile: (p) => new Uint8Array(readFileSync(isAbsolute(p) ? p : resolve(dir, p))) });
}

function toScript(s: StartServerOptions['script']): Script {
  if (typeof s === 'string') return loadScriptFile(s);
  // a validated Script has normalised packages (with `path`); anything else goes through the validator
  const pk = (s as { packages?: unknown }).packages;
  // (an empty package list proves nothing: a validated Script also has its `auth` normalised)
  if (Array.isArray(pk) && typeof (s as { auth?: unknown }).auth === 'object' && pk.every((p) => typeof (p as { path?: unknown }).path === 'string')) return s as Script;
  return parseScript(s, { readFile: (p) => new Uint8Array(readFileSync(p)) });
}

function loadState(file: string | undefined): ServerStateData {
  if (file === undefined || !existsSync(file)) return emptyState();
  return checkState(JSON.parse(readFileSync(file, 'utf8')));
}

function saveState(file: string, state: ServerStateData): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
  renameSync(tmp, file);
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** Starts the listener; resolves once it accepts connections. */
export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  const script = toScript(opts.script);
  const host = opts.host ?? '127.0.0.1';
  const path = opts.path ?? DEFAULT_PATH;
  const limits = { ...DEFAULT_SERVER_LIMITS, ...(opts.limits ?? {}) };
  const bodyLimit = opts.bodyLimit ?? limits.maxInMsgSize;
  if (!Number.isInteger(bodyLimit) || bodyLimit <= 0) throw new RangeError(`bodyLimit must be a positive integer, got ${String(bodyLimit)}`);
  const stateFile = opts.stateFile;
  const state = loadState(stateFile);
  const scheme = opts.tls ? 'https' : 'http';

  const waiters: { n: number; resolve: (r: SessionRecord) => void }[] = [];
  let stateDirty = false;
  let closed = false;
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();

  const flushState = (): void => {
    if (!stateDirty || stateFile === undefined) return;
    stateDirty = false;
    saveState(stateFile, state);
  };

  const dmOpts: DmServerOptions = {
    now: Date.now,
    randomFill: (b) => { randomFillSync(b); },
    state,
    limits: { ...opts.limits, maxInMsgSize: Math.max(limits.maxInMsgSize, bodyLimit) },
    onStateChange: () => {
      if (stateFile === undefined || stateDirty) return;
      stateDirty = true;
      setImmediate(flushState);
    },
    onSessionEnd: (rec) => {
      opts.onSessionEnd?.(rec);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i]!.n === rec.index) {
          waiters[i]!.resolve(rec);
          waiters.splice(i, 1);
        }
      }
    },
  };
  if (opts.onMessage) dmOpts.onMessage = opts.onMessage;
  const dm = new DmServer(script, dmOpts);

  let port = 0;
  const urlOf = (req: IncomingMessage): string => `${scheme}://${req.headers.host ?? `${host}:${port}`}${req.url ?? '/'}`;
  const tooLarge = (req: IncomingMessage, res: ServerResponse, size: string): void => {
    refuseTooLarge(res, bodyLimit);
    dm.noteRefused({ method: req.method ?? '', url: urlOf(req), headers: headersOf(req), body: new Uint8Array(0) }, 413, `body of ${size} bytes exceeds the ${bodyLimit}-byte limit`);
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > bodyLimit) {
      tooLarge(req, res, declared);
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    let refused = false;
    req.on('data', (c: Buffer) => {
      if (refused) return;
      total += c.length;
      if (total > bodyLimit) {
        refused = true;
        chunks.length = 0;
        tooLarge(req, res, `more than ${bodyLimit}`);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (refused || closed) return;
      const buf = Buffer.concat(chunks);
      const body = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
      const hreq: HttpRequest = {
        method: req.method ?? 'GET',
        url: urlOf(req),
        headers: headersOf(req),
        body,
      };
      let resp: HttpResponse;
      try {
        resp = dm.handle(hreq);
      } catch (e) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`server error: ${(e as Error).message}\n`);
        return;
      }
      const answer = (): void => {
        if (closed) return;
        send(res, resp);
      };
      if (resp.delayMs > 0) {
        const t = setTimeout(() => {
          timers.delete(t);
          answer();
        }, resp.delayMs);
        timers.add(t);
      } else answer();
    });
    req.on('error', () => { /* the client went away; nothing to answer */ });
  };

  const server: Server = opts.tls
    ? createHttpsServer({ key: asPem(opts.tls.key), cert: asPem(opts.tls.cert) }, onRequest)
    : createHttpServer(onRequest);
  server.keepAliveTimeout = opts.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', fail);
      ok();
    });
  });
  port = (server.address() as AddressInfo).port;
  const tick = setInterval(() => dm.tick(), opts.tickMs ?? DEFAULT_TICK_MS);
  tick.unref();

  const hostPart = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | null = null;
  return {
    url: `${scheme}://${hostPart}:${port}${path}`,
    port,
    host,
    dm,
    sessions: () => dm.sessions(),
    waitForSession(n = 1, timeoutMs = 30000): Promise<SessionRecord> {
      const done = dm.sessions().find((r) => r.index === n && r.outcome !== 'active');
      if (done) return Promise.resolve(done);
      return new Promise<SessionRecord>((ok, fail) => {
        const w = {
          n,
          resolve: (r: SessionRecord): void => {
            clearTimeout(t);
            ok(r);
          },
        };
        const t = setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) waiters.splice(i, 1);
          const rec = dm.sessions().find((r) => r.index === n);
          fail(new Error(`waitForSession(${n}): no end after ${timeoutMs} ms (session ${rec ? `is ${rec.outcome}` : 'not started'})`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    close(): Promise<void> {
      if (closing) return closing;
      closed = true;
      clearInterval(tick);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      closing = new Promise<void>((ok) => {
        server.close(() => ok());
        for (const s of sockets) s.destroy();
        server.closeAllConnections?.();
      }).then(() => {
        flushState();
      });
      return closing;
    },
  };
}

function asPem(v: string | Uint8Array): string | Buffer {
  return typeof v === 'string' ? v : Buffer.from(v.buffer, v.byteOffset, v.length);
}

function refuseTooLarge(res: ServerResponse, limit: number): void {
  if (res.headersSent) return;
  const body = `request body exceeds ${limit} bytes\n`;
  res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
}

/** Writes the engine's response, honouring drop / truncate directives. */
function send(res: ServerResponse, r: HttpResponse): void {
  const socket = res.socket;
  if (r.drop) {
    socket?.destroy();
    return;
  }
  const body = Buffer.from(r.body.buffer, r.body.byteOffset, r.body.length);
  const t = r.truncate;
  if (t === null) {
    res.writeHead(r.status, { ...r.headers, 'content-length': body.length });
    res.end(body);
    return;
  }
  if (!t.close) {
    res.writeHead(r.status, { ...r.headers, 'content-length': t.bytes });
    res.end(body.subarray(0, t.bytes));
    return;
  }
  // declare the whole length, send a part, then cut the connection
  res.writeHead(r.status, { ...r.headers, 'content-length': body.length });
  res.write(body.subarray(0, t.bytes), () => socket?.destroy());
}
