/**
 * A FUMO campaign on the loopback DM test server: two scripts, one per phase, routed per session.
 *
 *   deploy  sessions until the device has answered the campaign's Exec (e.g. Replace PkgURL +
 *           Exec DownloadAndUpdate): a device that lost power before its Status left gets the
 *           Exec again in its next session;
 *   after   every later session, and any session whose package 1 already carries a Generic Alert
 *           1226 (default script: no commands — answer package 1, acknowledge the alerts, end).
 *
 * Each phase is a DmServer (src/server) with its own script; both share one nonce state, so
 * authentication carries over. A session sticks to the server chosen at its first message. A
 * message that starts a session (Alert 1200/1201) under the (device, SessionID) of a session that
 * has ended is a new session and chooses its phase again: a device may repeat a SessionID in a
 * later session (ours picks a random 16-bit one), and sending it the deploy script again would
 * start the campaign a second time.
 *
 *   const srv = await startFumoServer({ deploy: { serverId: 'srv', packages: [{ commands: [...] }] } });
 *   … device account → srv.url …
 *   srv.alerts()      // every 1226 received, in order (with the answer the server gave)
 *   await srv.close();
 */
import { randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { MessageDecoder } from '../../src/codec/decode';
import { DecodeError } from '../../src/errors';
import { DmServer } from '../../src/server/DmServer';
import type { HttpRequest, HttpResponse } from '../../src/server/http';
import type { AlertRecord, SessionRecord } from '../../src/server/record';
import { parseScript } from '../../src/server/script';
import type { Script } from '../../src/server/script';
import { emptyState } from '../../src/server/state';

/** A script: validated, as parsed JSON, or a JSON file path. */
export type ScriptSource = Script | Record<string, unknown> | string;

export interface FumoServerOptions {
  /** Script of the deployment sessions (must contain the campaign's Exec). */
  deploy: ScriptSource;
  /** Script of the later sessions. Default: `{ serverId: <deploy's>, packages: [] }`. */
  after?: ScriptSource;
  /** Target of the Exec whose Status marks the deployment as delivered. Default: any Exec. */
  execTarget?: string;
  tls?: { key: string | Uint8Array; cert: string | Uint8Array };
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** URL path. Default '/dm'. */
  path?: string;
  /** Called once per session end, with its phase. */
  onSessionEnd?: (rec: SessionRecord, phase: 'deploy' | 'after') => void;
}

/** A session and the phase that served it. */
export interface CampaignSession {
  phase: 'deploy' | 'after';
  rec: SessionRecord;
}

export interface FumoServer {
  readonly url: string;
  readonly port: number;
  readonly deployServer: DmServer;
  readonly afterServer: DmServer;
  /** True once the device answered the campaign's Exec (any status). */
  delivered(): boolean;
  /** Statuses the device gave the campaign's Exec, in order. */
  execStatuses(): number[];
  /** Every session of both phases, in start order. */
  sessions(): CampaignSession[];
  /** Every Generic Alert 1226 received (both phases), in arrival order. */
  alerts(): AlertRecord[];
  /** Resolves once `n` alerts in total have been received (rejects after `timeoutMs`). */
  waitForAlerts(n: number, timeoutMs?: number): Promise<AlertRecord[]>;
  close(): Promise<void>;
}

function toScript(s: ScriptSource): Script {
  const readFile = (p: string): Uint8Array => new Uint8Array(readFileSync(p));
  if (typeof s === 'string') return parseScript(JSON.parse(readFileSync(s, 'utf8')) as unknown, { readFile });
  // a validated Script has normalised packages (with `path`); anything else goes through the validator
  const pk = (s as { packages?: unknown }).packages;
  const validated = typeof (s as { auth?: unknown }).auth === 'object' && Array.isArray(pk) && pk.every((p) => typeof (p as { path?: unknown }).path === 'string');
  if (validated) return s as Script;
  return parseScript(s, { readFile });
}

/** Starts the campaign server; resolves once it listens. */
export async function startFumoServer(o: FumoServerOptions): Promise<FumoServer> {
  const deploy = toScript(o.deploy);
  const after = toScript(o.after ?? { serverId: deploy.serverId, packages: [] });
  const state = emptyState();
  /** One session as routed: its record is bound after its first message was handled. */
  interface Routed { key: string; phase: 'deploy' | 'after'; dm: DmServer; rec: SessionRecord | null }
  const order: Routed[] = [];
  /** The latest session per (device, SessionID). */
  const route = new Map<string, Routed>();
  const alertWaiters: { n: number; resolve: (a: AlertRecord[]) => void }[] = [];
  const common = { state, randomFill: (b: Uint8Array) => { randomFillSync(b); } };
  const isExec = (cmd: string, targets: string[]): boolean => cmd === 'Exec' && (o.execTarget === undefined || targets.includes(o.execTarget));
  const execStatuses = (): number[] => deployServer.sessions().flatMap((s) => s.statuses.filter((st) => isExec(st.cmd, st.targets)).map((st) => st.code));
  const alerts = (): AlertRecord[] => {
    const all: { at: number; i: number; a: AlertRecord }[] = [];
    let i = 0;
    for (const s of order) {
      for (const a of s.rec?.genericAlerts ?? []) all.push({ at: s.rec!.startedAt, i: i++, a });
    }
    return all.map((x) => x.a);
  };
  const onEnd = (phase: 'deploy' | 'after') => (rec: SessionRecord): void => {
    o.onSessionEnd?.(rec, phase);
    const got = alerts();
    for (let k = alertWaiters.length - 1; k >= 0; k--) if (got.length >= alertWaiters[k]!.n) { alertWaiters[k]!.resolve(got); alertWaiters.splice(k, 1); }
  };
  const deployServer = new DmServer(deploy, { ...common, onSessionEnd: onEnd('deploy') });
  const afterServer = new DmServer(after, { ...common, onSessionEnd: onEnd('after') });
  const decoder = new MessageDecoder({ maxMsgSize: 1 << 20 });

  const pick = (body: Uint8Array): Routed | null => {
    let key = '';
    let hasAlert = false;
    let starts = false;
    try {
      const m = decoder.decode(body.slice());
      key = `${m.hdr.source}|${m.hdr.sessionId}`;
      hasAlert = m.body.some((c) => c.name === 'Alert' && c.data?.text().trim() === '1226');
      starts = m.body.some((c) => c.name === 'Alert' && /^\s*120[01]\s*$/.test(c.data?.text() ?? ''));
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      return null;
    }
    const known = route.get(key);
    // the same (device, SessionID) again: the same session, unless it ended and this one starts anew
    if (known && !(starts && known.rec !== null && known.rec.endedAt !== null)) return known;
    const phase = hasAlert || execStatuses().length > 0 ? 'after' : 'deploy';
    const r: Routed = { key, phase, dm: phase === 'after' ? afterServer : deployServer, rec: null };
    route.set(key, r);
    order.push(r);
    return r;
  };

  const sockets = new Set<Socket>();
  const scheme = o.tls ? 'https' : 'http';
  const host = o.host ?? '127.0.0.1';
  let port = 0;
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const buf = Buffer.concat(chunks);
      const body = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
      const hreq: HttpRequest = { method: req.method ?? 'GET', url: `${scheme}://${req.headers.host ?? `${host}:${port}`}${req.url ?? '/'}`, headers, body };
      const routed = pick(body);
      const target = routed?.dm ?? deployServer;
      let r: HttpResponse;
      try {
        r = target.handle(hreq);
        // the session this message opened or continued is the newest record under its key
        if (routed && routed.rec === null) routed.rec = target.sessions().filter((x) => `${x.deviceId}|${x.sessionId}` === routed.key).pop() ?? null;
      } catch (e) {
        // an engine bug: answer 500 and say why (a test server must not hide it)
        process.stderr.write(`fumo-server: ${(e as Error).stack ?? String(e)}\n`);
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(e));
        return;
      }
      const send = (): void => {
        if (r.drop) { res.socket?.destroy(); return; }
        const b = Buffer.from(r.body.buffer, r.body.byteOffset, r.body.length);
        res.writeHead(r.status, { ...r.headers, 'content-length': b.length });
        res.end(b);
      };
      if (r.delayMs > 0) setTimeout(send, r.delayMs);
      else send();
    });
    req.on('error', () => {});
  };
  const server: Server = o.tls ? createHttpsServer({ key: asPem(o.tls.key), cert: asPem(o.tls.cert) }, onRequest) : createHttpServer(onRequest);
  server.keepAliveTimeout = 2000;
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(o.port ?? 0, host, () => { server.off('error', fail); ok(); });
  });
  port = (server.address() as AddressInfo).port;
  const tick = setInterval(() => { deployServer.tick(); afterServer.tick(); }, 1000);
  tick.unref();
  let closing: Promise<void> | null = null;
  return {
    url: `${scheme}://${host}:${port}${o.path ?? '/dm'}`,
    port,
    deployServer,
    afterServer,
    delivered: () => execStatuses().length > 0,
    execStatuses,
    sessions: () => order.filter((s) => s.rec !== null).map((s) => ({ phase: s.phase, rec: s.rec! })),
    alerts,
    waitForAlerts(n: number, timeoutMs = 30000): Promise<AlertRecord[]> {
      const got = alerts();
      if (got.length >= n) return Promise.resolve(got);
      return new Promise((resolve, reject) => {
        const w = { n, resolve: (a: AlertRecord[]) => { clearTimeout(t); resolve(a); } };
        const t = setTimeout(() => { const i = alertWaiters.indexOf(w); if (i >= 0) alertWaiters.splice(i, 1); reject(new Error(`fewer than ${n} generic alerts after ${timeoutMs} ms`)); }, timeoutMs);
        alertWaiters.push(w);
      });
    },
    close(): Promise<void> {
      if (!closing) {
        clearInterval(tick);
        closing = new Promise<void>((ok) => { for (const s of sockets) s.destroy(); server.close(() => ok()); });
      }
      return closing;
    },
  };
}

function asPem(v: string | Uint8Array): string | Buffer {
  return typeof v === 'string' ? v : Buffer.from(v.buffer, v.byteOffset, v.length);
}
