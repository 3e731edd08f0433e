/**
 * A static HTTP/HTTPS file server for firmware downloads (tests, `make demo`): GET and HEAD with
 * single-range `Range: bytes=N-` / `bytes=N-M` (206 + Content-Range; 416 past the end), and fault
 * knobs per request: drop the connection after N body bytes, stall, answer a fixed status, announce a
 * wrong Content-Length, ignore Range (200), answer a wrong Content-Range, or pace the body. Every
 * request is logged (path, Range header, status, bytes sent). Loopback only by default.
 *
 *   const dl = await startDownloadServer({ files: { '/fw.bin': bytes } });
 *   … PkgURL = dl.url + '/fw.bin' …
 *   dl.requests  // [{ path: '/fw.bin', range: null, status: 200, sent: 65632 }, …]
 *   await dl.close();
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** A file served at a path. */
export interface ServedFile {
  /** The bytes, or the path of a file read once at start. */
  body: Uint8Array | string;
  /** Content-Type. Default application/octet-stream. */
  type?: string;
}

/** Faults for one request (all optional; none = a correct answer). */
export interface DownloadFault {
  /** Close the connection after sending this many body bytes. */
  dropAfter?: number;
  /** Wait this long before answering (ms); with `dropAfter` the wait happens at the drop point instead. */
  stallMs?: number;
  /** Answer this status with an empty body (plus `location` for 3xx). */
  status?: number;
  location?: string;
  /** Announce Content-Length larger by this many bytes (then close after the real body). */
  wrongLength?: number;
  /** Answer 200 with the whole file to a Range request. */
  ignoreRange?: boolean;
  /** Answer 206 with a Content-Range starting one byte early. */
  wrongRange?: boolean;
  /** Send the body in pieces of this size with `paceMs` between them (progress bars, mid-body cuts). */
  pieceBytes?: number;
  paceMs?: number;
}

/** One request as seen by the server. */
export interface DownloadRequestLog {
  /** 0-based order. */
  n: number;
  method: string;
  path: string;
  /** The Range header, or null. */
  range: string | null;
  /** Status answered (0 when the connection was dropped before the head). */
  status: number;
  /** Body bytes written. */
  sent: number;
}

export interface DownloadServerOptions {
  /** Path → file. More can be added later with `setFile`. */
  files?: Record<string, ServedFile>;
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: string | Uint8Array; cert: string | Uint8Array };
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Faults per request (called with the request number and what was asked). */
  faults?: (req: { n: number; method: string; path: string; range: string | null }) => DownloadFault | undefined;
}

export interface DownloadServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly port: number;
  /** Every request so far. */
  readonly requests: DownloadRequestLog[];
  /** Adds or replaces a file. */
  setFile(path: string, f: ServedFile): void;
  /** Replaces the fault function. */
  setFaults(f: DownloadServerOptions['faults']): void;
  /** Stops listening and destroys open connections. Idempotent. */
  close(): Promise<void>;
}

/** Starts the server; resolves once it listens. */
export async function startDownloadServer(o: DownloadServerOptions = {}): Promise<DownloadServer> {
  const files = new Map<string, { body: Uint8Array; type: string }>();
  const setFile = (p: string, f: ServedFile): void => {
    const body = typeof f.body === 'string' ? new Uint8Array(readFileSync(f.body)) : f.body;
    files.set(p, { body, type: f.type ?? 'application/octet-stream' });
  };
  for (const [p, f] of Object.entries(o.files ?? {})) setFile(p, f);
  let faults = o.faults;
  const requests: DownloadRequestLog[] = [];
  const sockets = new Set<Socket>();

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0]!;
    const range = typeof req.headers.range === 'string' ? req.headers.range : null;
    const method = req.method ?? 'GET';
    const log: DownloadRequestLog = { n: requests.length, method, path, range, status: 0, sent: 0 };
    requests.push(log);
    const f = faults?.({ n: log.n, method, path, range }) ?? {};
    const answer = (): void => {
      if (f.status !== undefined) {
        log.status = f.status;
        const h: Record<string, string> = { 'content-length': '0' };
        if (f.location) h.location = f.location;
        res.writeHead(f.status, h);
        res.end();
        return;
      }
      if (method !== 'GET' && method !== 'HEAD') {
        log.status = 405;
        res.writeHead(405, { 'content-length': '0', allow: 'GET, HEAD' });
        res.end();
        return;
      }
      const file = files.get(path);
      if (!file) {
        log.status = 404;
        res.writeHead(404, { 'content-length': '0' });
        res.end();
        return;
      }
      const total = file.body.length;
      let start = 0;
      let end = total - 1;
      let status = 200;
      const headers: Record<string, string> = { 'content-type': file.type, 'accept-ranges': 'bytes' };
      const m = range && !f.ignoreRange ? /^bytes=([0-9]+)-([0-9]*)$/.exec(range.trim()) : null;
      if (m) {
        start = parseInt(m[1]!, 10);
        if (m[2]) end = Math.min(end, parseInt(m[2], 10));
        if (start >= total || end < start) {
          log.status = 416;
          res.writeHead(416, { 'content-range': `bytes */${total}`, 'content-length': '0' });
          res.end();
          return;
        }
        status = 206;
        headers['content-range'] = `bytes ${f.wrongRange ? Math.max(0, start - 1) : start}-${end}/${total}`;
      }
      const body = file.body.subarray(start, end + 1);
      headers['content-length'] = String(body.length + (f.wrongLength ?? 0));
      log.status = status;
      res.writeHead(status, headers);
      if (method === 'HEAD') { res.end(); return; }
      const limit = f.dropAfter !== undefined ? Math.min(f.dropAfter, body.length) : body.length;
      const piece = f.pieceBytes && f.pieceBytes > 0 ? f.pieceBytes : limit || 1;
      let at = 0;
      const finish = (): void => {
        if (f.dropAfter !== undefined || f.wrongLength) {
          const cut = (): void => { req.socket.destroy(); };
          if (f.dropAfter !== undefined && f.stallMs) setTimeout(cut, f.stallMs);
          else cut();
        } else res.end();
      };
      const pump = (): void => {
        if (res.destroyed) return;
        if (at >= limit) { finish(); return; }
        const n = Math.min(piece, limit - at);
        const chunk = body.subarray(at, at + n);
        at += n;
        log.sent += n;
        const ok = res.write(chunk);
        const next = (): void => { if (f.paceMs) setTimeout(pump, f.paceMs); else setImmediate(pump); };
        if (ok) next();
        else res.once('drain', next);
      };
      pump();
    };
    if (f.stallMs && f.dropAfter === undefined) setTimeout(answer, f.stallMs);
    else answer();
  };

  const server: Server = o.tls ? createHttpsServer({ key: pem(o.tls.key), cert: pem(o.tls.cert) }, handler) : createHttpServer(handler);
  server.keepAliveTimeout = 2000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | null = null;
  return {
    url: `${o.tls ? 'https' : 'http'}://${host}:${port}`,
    port,
    requests,
    setFile,
    setFaults: (fn) => { faults = fn; },
    close: () => {
      if (!closed) {
        closed = new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          server.close(() => resolve());
        });
      }
      return closed;
    },
  };
}

function pem(v: string | Uint8Array): string | Buffer {
  return typeof v === 'string' ? v : Buffer.from(v.buffer, v.byteOffset, v.length);
}
