/**
 * Misbehaving network peers for the fault table (node-only): what the loopback DM server cannot
 * produce on its own. Two kinds:
 *
 * - `rawPeer(behaviour)`: a TCP (or TLS) listener that answers every connection with one scripted
 *   misbehaviour (close at once, reset mid-response, stall, slowloris trickle, garbage, a TLS
 *   handshake that never completes, a valid but oversized response...).
 * - `FaultProxy`: a plain-HTTP proxy in front of the loopback server that forwards requests and
 *   responses byte for byte, and applies a misbehaviour to request number `at` (1-based, counted
 *   over all connections), so faults can hit a later package of a real session.
 *
 * Both count connections and requests so tests can assert the client's retry count.
 */
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';

/** One scripted misbehaviour. */
export type Behaviour =
  /** Accept, then close without reading or answering. */
  | 'close-on-accept'
  /** Read the request, then close (FIN) without answering. */
  | 'close-after-request'
  /** Read the request, send the status line and part of the headers, then reset (RST). */
  | 'reset-mid-response'
  /** Read the request and never answer (the connection stays open). */
  | 'stall'
  /** Answer one byte every 50 ms, forever (slowloris towards the client). */
  | 'slowloris'
  /** Answer bytes that are not HTTP, then close. */
  | 'garbage'
  /** A complete response whose Content-Length exceeds any DM message size. */
  | 'oversized'
  /** A 200 response without length whose body (half a message) ends with the connection. */
  | 'until-close-truncated'
  /** TCP accepted but the TLS handshake never answered (for https URLs). */
  | 'tls-stall'
  /** Answer the previous response with Connection: close, then stop listening (reconnect refused). Proxy only. */
  | 'close-and-refuse';

/** A request seen by a peer: its head and its body length. */
export interface SeenRequest {
  head: string;
  bodyLength: number;
}

/** Counters shared by the peers. */
export interface PeerStats {
  connections: number;
  requests: SeenRequest[];
}

const SLOW_MS = 50;

/**
 * Splits complete HTTP messages (head + Content-Length body) off the front of `buf`.
 * Returns the messages and the rest; a message without Content-Length has an empty body.
 */
export function frames(buf: Buffer): { msgs: { head: string; raw: Buffer; bodyLength: number }[]; rest: Buffer } {
  const msgs: { head: string; raw: Buffer; bodyLength: number }[] = [];
  for (;;) {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) break;
    const head = buf.subarray(0, end).toString('latin1');
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    const len = m ? Number(m[1]) : 0;
    if (buf.length < end + 4 + len) break;
    msgs.push({ head, raw: buf.subarray(0, end + 4 + len), bodyLength: len });
    buf = buf.subarray(end + 4 + len);
  }
  return { msgs, rest: buf };
}

/** Applies a misbehaviour on a socket whose request has been read (or not, for the early ones). */
function misbehave(s: Socket, b: Behaviour, timers: Set<NodeJS.Timeout>): void {
  switch (b) {
    case 'close-on-accept':
    case 'close-after-request':
    case 'close-and-refuse':
      s.end();
      return;
    case 'reset-mid-response':
      s.write('HTTP/1.1 200 OK\r\nContent-Type: application/vnd.syncml.dm+wbxml\r\nContent-Len', () => s.resetAndDestroy());
      return;
    case 'stall':
    case 'tls-stall':
      return;
    case 'slowloris': {
      const text = 'HTTP/1.1 200 OK\r\nX-Slow: ' + 'a'.repeat(100000);
      let i = 0;
      const t = setInterval(() => {
        if (s.destroyed) { clearInterval(t); timers.delete(t); return; }
        s.write(text[i++ % text.length]!);
      }, SLOW_MS);
      timers.add(t);
      return;
    }
    case 'garbage':
      s.end(Buffer.from('\x00\x01\x02SSH-2.0-OpenSSH_9.2\r\n\xff\xfe'));
      return;
    case 'oversized':
      s.end(`HTTP/1.1 200 OK\r\nContent-Type: application/vnd.syncml.dm+wbxml\r\nContent-Length: ${64 * 1024 * 1024}\r\n\r\n` + '\x02'.repeat(1024));
      return;
    case 'until-close-truncated':
      s.end(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: application/vnd.syncml.dm+xml\r\n\r\n'), Buffer.from('<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerD')]));
      return;
  }
}

/** A listener applying one behaviour to every connection. */
export class RawPeer {
  readonly stats: PeerStats = { connections: 0, requests: [] };
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  port = 0;

  private constructor(readonly behaviour: Behaviour, tls?: { key: string; cert: string }) {
    const onSocket = (s: Socket): void => {
      if (!tls || behaviour === 'tls-stall') this.stats.connections++;
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
      s.on('error', () => {});
      if (behaviour === 'close-on-accept' || behaviour === 'tls-stall') {
        misbehave(s, behaviour, this.#timers);
        return;
      }
      let buf: Buffer = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        const { msgs, rest } = frames(buf);
        buf = rest;
        for (const m of msgs) {
          this.stats.requests.push({ head: m.head, bodyLength: m.bodyLength });
          misbehave(s, behaviour, this.#timers);
        }
      });
    };
    // tls-stall needs a plain TCP listener (the client's TLS handshake is never answered)
    this.#server = tls && behaviour !== 'tls-stall'
      ? createTlsServer({ key: tls.key, cert: tls.cert }, onSocket)
      : createServer(onSocket);
    this.#server.on('tlsClientError', () => {});
    // a TLS listener calls onSocket only after a handshake: count every TCP connection here
    if (tls && behaviour !== 'tls-stall') {
      this.#server.on('connection', (s: Socket) => {
        this.stats.connections++;
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
      });
    }
  }

  /** Starts listening on 127.0.0.1 (ephemeral port). */
  static async start(behaviour: Behaviour, tls?: { key: string; cert: string }): Promise<RawPeer> {
    const p = new RawPeer(behaviour, tls);
    await new Promise<void>((ok) => p.#server.listen(0, '127.0.0.1', ok));
    p.port = (p.#server.address() as AddressInfo).port;
    return p;
  }

  url(scheme: 'http' | 'https' = 'http'): string {
    return `${scheme}://127.0.0.1:${this.port}/dm`;
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((ok) => this.#server.close(() => ok()));
  }
}

/** A port nothing listens on (bound once, then closed). */
export async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

/**
 * A forwarding proxy (plain HTTP) in front of `upstreamPort` that misbehaves on request number
 * `at` (1-based over all connections; `times` requests from there on).
 */
export class FaultProxy {
  readonly stats: PeerStats = { connections: 0, requests: [] };
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  port = 0;
  #closed = false;

  private constructor(readonly upstreamPort: number, readonly behaviour: Behaviour, readonly at: number, readonly times: number) {
    this.#server = createServer((client) => this.#onClient(client));
  }

  static async start(upstreamPort: number, behaviour: Behaviour, at: number, times = 1): Promise<FaultProxy> {
    const p = new FaultProxy(upstreamPort, behaviour, at, times);
    await new Promise<void>((ok) => p.#server.listen(0, '127.0.0.1', ok));
    p.port = (p.#server.address() as AddressInfo).port;
    return p;
  }

  url(): string {
    return `http://127.0.0.1:${this.port}/dm`;
  }

  #onClient(client: Socket): void {
    this.stats.connections++;
    this.#sockets.add(client);
    client.on('close', () => this.#sockets.delete(client));
    client.on('error', () => {});
    const up = connect(this.upstreamPort, '127.0.0.1');
    let buf: Buffer = Buffer.alloc(0);
    /** The fault took over this connection: the upstream side no longer matters. */
    let faulted = false;
    this.#sockets.add(up);
    up.on('close', () => { this.#sockets.delete(up); if (!faulted) client.destroy(); });
    up.on('error', () => { if (!faulted) client.destroy(); });
    client.on('close', () => up.destroy());
    /** The next response from upstream gets `Connection: close` and ends the connection. */
    let closeAfterResponse = false;
    let upBuf: Buffer = Buffer.alloc(0);
    up.on('data', (d: Buffer) => {
      if (faulted) return;
      if (!closeAfterResponse) {
        client.write(d);
        return;
      }
      upBuf = Buffer.concat([upBuf, d]);
      const { msgs } = frames(upBuf);
      if (msgs.length === 0) return;
      const m = msgs[0]!;
      const head = m.head.replace(/\r\nconnection:[^\r]*/i, '') + '\r\nConnection: close\r\n\r\n';
      client.end(Buffer.concat([Buffer.from(head, 'latin1'), m.raw.subarray(m.head.length + 4)]));
      up.destroy();
      if (!this.#closed) {
        this.#closed = true;
        this.#server.close();
      }
    });
    client.on('data', (d: Buffer) => {
      if (faulted) return;
      buf = Buffer.concat([buf, d]);
      const { msgs, rest } = frames(buf);
      buf = rest;
      for (const m of msgs) {
        this.stats.requests.push({ head: m.head, bodyLength: m.bodyLength });
        const n = this.stats.requests.length;
        if (this.behaviour === 'close-and-refuse' && n === this.at - 1) {
          closeAfterResponse = true;
          up.write(m.raw);
          continue;
        }
        if (n >= this.at && n < this.at + this.times) {
          faulted = true;
          up.destroy();
          misbehave(client, this.behaviour, this.#timers);
          return;
        }
        up.write(m.raw);
      }
    });
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    for (const s of this.#sockets) s.destroy();
    if (!this.#closed) {
      this.#closed = true;
      await new Promise<void>((ok) => this.#server.close(() => ok()));
    }
  }
}
