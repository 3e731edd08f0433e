// Unit (portable): the HTTP session driver over the fake platform's network — keep-alive, redirects,
// timeouts, chunked responses, and the delivery retry / DM 1.1.2 fallback policy, with a manual clock.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DmClient } from '../../../src/session/Client';
import type { SessionConfig, IncomingMessage } from '../../../src/session/Session';
import type { ByteStream, StreamEvents, StreamTarget } from '../../../src/platform';
import { PlatformError } from '../../../src/platform';
import { MessageDecoder } from '../../../src/codec/decode';
import type { Message } from '../../../src/codec/model';
import { utf8Decode, utf8Encode } from '../../../src/util/utf8';
import { FakePlatform } from '../../helpers/fake-platform';
import { DEV_ID, FakeDpu, Hooks, account, hdrStatus, serverMsg } from './helpers';

interface Req { method: string; path: string; headers: Map<string, string>; body: Uint8Array; msg: Message | null; target: StreamTarget; conn: number }
type Reply = { status?: number; headers?: [string, string][]; body?: Uint8Array; chunked?: boolean } | 'drop' | 'hang';

/** A fake HTTP server on the fake network: `handler` answers each request. */
function server(p: FakePlatform, handler: (r: Req, n: number) => Reply | IncomingMessage, refuse: (n: number) => boolean = () => false): Req[] {
  const reqs: Req[] = [];
  let conns = 0;
  let attempts = 0;
  p.network.handler = (target: StreamTarget, ev: StreamEvents): ByteStream => {
    const connNo = ++conns;
    if (refuse(attempts++)) {
      p.setTimer(0, () => ev.onClose(new PlatformError('ECONNREFUSED', 'refused')));
      return { write() {}, close() {} };
    }
    let buf = new Uint8Array(0);
    let closed = false;
    p.setTimer(1, () => ev.onOpen());
    return {
      write(data: Uint8Array) {
        const nb = new Uint8Array(buf.length + data.length);
        nb.set(buf);
        nb.set(data, buf.length);
        buf = nb;
        const text = utf8Decode(buf);
        const he = text.indexOf('\r\n\r\n');
        if (he < 0) return;
        const lines = text.slice(0, he).split('\r\n');
        const [method, path] = lines[0]!.split(' ') as [string, string];
        const headers = new Map(lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]));
        const len = parseInt(headers.get('content-length') ?? '0', 10);
        if (buf.length < he + 4 + len) return;
        const body = buf.slice(he + 4, he + 4 + len);
        buf = buf.slice(he + 4 + len);
        let msg: Message | null = null;
        try { msg = new MessageDecoder({ maxMsgSize: 1 << 20 }).decode(body.slice()); } catch { msg = null; }
        const req: Req = { method, path, headers, body, msg, target, conn: connNo };
        reqs.push(req);
        let reply = handler(req, reqs.length);
        if (typeof reply === 'object' && 'contentType' in reply) reply = { status: 200, headers: [['Content-Type', reply.contentType]], body: reply.body };
        if (reply === 'hang') return;
        if (reply === 'drop') {
          p.setTimer(1, () => { if (!closed) { closed = true; ev.onClose(null); } });
          return;
        }
        const r = reply;
        const b = r.body ?? new Uint8Array(0);
        let head = `HTTP/1.1 ${r.status ?? 200} X\r\n`;
        for (const [k, v] of r.headers ?? []) head += `${k}: ${v}\r\n`;
        let out: Uint8Array;
        if (r.chunked) {
          head += 'Transfer-Encoding: chunked\r\n\r\n';
          const half = b.length >> 1;
          const parts = [utf8Encode(head), utf8Encode(`${half.toString(16)}\r\n`), b.subarray(0, half), utf8Encode(`\r\n${(b.length - half).toString(16)};ext=1\r\n`), b.subarray(half), utf8Encode('\r\n0\r\n\r\n')];
          out = new Uint8Array(parts.reduce((a, x) => a + x.length, 0));
          let o = 0;
          for (const x of parts) { out.set(x, o); o += x.length; }
        } else {
          head += `Content-Length: ${b.length}\r\n\r\n`;
          const h = utf8Encode(head);
          out = new Uint8Array(h.length + b.length);
          out.set(h);
          out.set(b, h.length);
        }
        // deliver in two pieces to exercise the resumable parser
        p.setTimer(1, () => { if (!closed) ev.onData(out.subarray(0, 7)); });
        p.setTimer(2, () => { if (!closed) ev.onData(out.subarray(7)); });
      },
      close() { closed = true; },
    };
  };
  return reqs;
}

/** Runs the promise to completion, firing fake timers between microtask turns. */
async function drive<T>(p: FakePlatform, pr: Promise<T>): Promise<T> {
  let done = false;
  let val: T | undefined;
  let err: unknown = null;
  pr.then((v) => { done = true; val = v; }, (e) => { done = true; err = e; });
  for (let i = 0; i < 100000 && !done; i++) {
    for (let k = 0; k < 5 && !done; k++) await Promise.resolve();
    if (!done) {
      if (p.pendingTimers() === 0) await Promise.resolve();
      else p.runAll(1);
    }
  }
  if (err) throw err;
  assert.ok(done, 'did not finish');
  return val as T;
}

function cfg(over: Partial<SessionConfig> = {}): SessionConfig {
  return { account: account(), devId: DEV_ID, initiator: 'client', sessionId: '1', version: '1.2', encoding: 'wbxml', devInfo: [{ source: './DevInfo/DevId', data: DEV_ID }], ...over };
}

/** A simple server: Get in package 2, statuses in package 4. */
function simple(req: Req, n: number): IncomingMessage {
  const id = Number(req.msg!.hdr.msgId);
  const version = req.msg!.version; // answer in the client's version, as a real server does
  if (n === 1) return serverMsg({ msgId: 1, version, statuses: [hdrStatus(id, 200)], cmds: [{ kind: 'Get', items: [{ target: './DevInfo/Mod' }] }] });
  return serverMsg({ msgId: n, version, statuses: [hdrStatus(id, 200)] });
}

describe('DmClient', () => {
  test('a whole session over one kept-alive connection; request framing', async () => {
    const p = new FakePlatform();
    const reqs = server(p, simple);
    const c = new DmClient({ platform: p });
    const r = await drive(p, c.runSession(cfg(), new Hooks(new FakeDpu({ './DevInfo/Mod': 'M' }))));
    assert.equal(r.outcome, 'completed');
    assert.equal(reqs.length, 2);
    assert.equal(reqs[0]!.method, 'POST');
    assert.equal(reqs[0]!.path, '/dm');
    assert.equal(reqs[0]!.headers.get('host'), 'dm.example.com');
    assert.equal(reqs[0]!.headers.get('content-type'), 'application/vnd.syncml.dm+wbxml');
    assert.equal(reqs[0]!.target.tls, true);
    assert.equal(reqs[0]!.target.port, 443);
    assert.equal(reqs[1]!.conn, 1, 'keep-alive: same connection');
    assert.equal(reqs[1]!.msg!.body[2]!.name, 'Results');
  });

  test('chunked transfer coding and split reads', async () => {
    const p = new FakePlatform();
    server(p, (req, n) => {
      const m = simple(req, n);
      return { status: 200, headers: [['Content-Type', m.contentType]], body: m.body, chunked: true };
    });
    const r = await drive(p, new DmClient({ platform: p }).runSession(cfg(), new Hooks()));
    assert.equal(r.outcome, 'completed');
  });

  test('package 1 delivery retries with exponential back-off, retries in DM 1.1.2', async () => {
    const p = new FakePlatform();
    const reqs = server(p, simple, (n) => n < 2);
    const t0 = p.clock.now();
    const r = await drive(p, new DmClient({ platform: p }).runSession(cfg(), new Hooks(), { connRetryFreq: 3, initialBackOffMs: 16000 }));
    assert.equal(r.outcome, 'completed');
    assert.ok(p.clock.now() - t0 >= 16000 + 32000, `waited ${p.clock.now() - t0} ms`);
    assert.equal(reqs[0]!.msg!.version, '1.1.2', 'the retry went out as DM 1.1.2');
    assert.equal(r.version, '1.1.2');
  });

  test('BackCompatRetryDisabled keeps DM 1.2 on retries; retries are bounded', async () => {
    const p = new FakePlatform();
    const reqs = server(p, simple, (n) => n < 1);
    const r = await drive(p, new DmClient({ platform: p }).runSession(cfg(), new Hooks(), { connRetryFreq: 1, initialBackOffMs: 10, backCompatRetryDisabled: true }));
    assert.equal(r.outcome, 'completed');
    assert.equal(reqs[0]!.msg!.version, '1.2');
    const q = new FakePlatform();
    server(q, simple, () => true);
    const f = await drive(q, new DmClient({ platform: q }).runSession(cfg(), new Hooks(), { connRetryFreq: 2, initialBackOffMs: 10 }));
    assert.equal(f.outcome, 'failed');
    assert.equal(f.reason, 'transport-connect');
  });

  test('redirects are followed; a redirect loop fails cleanly', async () => {
    const p = new FakePlatform();
    const reqs = server(p, (req, n) => (req.path === '/dm' ? { status: 307, headers: [['Location', '/dm2']] } : simple(req, n - 1)));
    const r = await drive(p, new DmClient({ platform: p }).runSession(cfg(), new Hooks()));
    assert.equal(r.outcome, 'completed');
    assert.ok(reqs.some((x) => x.path === '/dm2'));
    const q = new FakePlatform();
    server(q, () => ({ status: 302, headers: [['Location', '/loop']] }));
    const f = await drive(q, new DmClient({ platform: q }).runSession(cfg(), new Hooks(), { connRetryFreq: 0 }));
    assert.equal(f.reason, 'transport-redirect-loop');
  });

  test('HTTP 500 or a dropped connection mid-session fails the session (no retry of executed packages)', async () => {
    for (const bad of [{ status: 500 } as Reply, 'drop' as Reply]) {
      const p = new FakePlatform();
      const hooks = new Hooks();
      server(p, (req, n) => (n === 1 ? simple(req, n) : bad));
      const r = await drive(p, new DmClient({ platform: p }).runSession(cfg(), hooks));
      assert.equal(r.outcome, 'failed');
      assert.match(r.reason!, /^transport-(http-status|reset)$/);
      assert.equal(hooks.commits, 1, 'only the executed package was committed');
    }
  });

  test('a server that never answers times out', async () => {
    const p = new FakePlatform();
    server(p, () => 'hang');
    const r = await drive(p, new DmClient({ platform: p, limits: { responseTimeoutMs: 5000 } }).runSession(cfg(), new Hooks(), { connRetryFreq: 0 }));
    assert.equal(r.reason, 'transport-timeout');
    assert.ok(p.clock.now() >= 5000);
  });

  test('505 on the SyncHdr restarts the session as DM 1.1.2', async () => {
    const p = new FakePlatform();
    const reqs = server(p, (req, n) => {
      const v = req.msg!.version;
      if (v === '1.2') return serverMsg({ msgId: 1, statuses: [hdrStatus(1, 505)] });
      return serverMsg({ msgId: n, version: '1.1.2', statuses: [hdrStatus(Number(req.msg!.hdr.msgId), 200)] });
    });
    const r = await drive(p, new DmClient({ platform: p }).runSession(cfg(), new Hooks()));
    assert.equal(r.outcome, 'completed');
    assert.equal(r.version, '1.1.2');
    assert.deepEqual(reqs.map((x) => x.msg!.version), ['1.2', '1.1.2']);
  });

  test('wrong content type from the server fails the session', async () => {
    const p = new FakePlatform();
    server(p, () => ({ status: 200, headers: [['Content-Type', 'text/html']], body: utf8Encode('<html>oops</html>') }));
    const r = await drive(p, new DmClient({ platform: p }).runSession(cfg(), new Hooks()));
    assert.equal(r.reason, 'bad-content-type');
  });
});
