/**
 * Node-only helpers for the server interop tests: POST over real sockets with node's http/https
 * clients, a throw-away CA + server certificate made with the openssl CLI, and a driver that runs
 * a whole scripted session answering every command.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageDecoder } from '../../../src/codec/decode';
import type { Message } from '../../../src/codec/model';
import type { MiniClient, SendOptions } from '../../unit/server/client';
import { oracle } from '../../unit/server/client';

export interface PostResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Uint8Array;
  /** The request went over a connection used before (keep-alive). */
  reused: boolean;
  /** Local port of the connection (same port = same TCP connection). */
  localPort: number;
}

export interface PostOptions {
  agent?: http.Agent;
  ca?: string;
  headers?: Record<string, string>;
  method?: string;
}

/** POSTs `body`; rejects on transport errors (reset, premature close). */
export function post(url: string, body: Uint8Array, o: PostOptions = {}): Promise<PostResult> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request({
      method: o.method ?? 'POST', hostname: u.hostname, port: u.port, path: u.pathname + u.search,
      headers: { 'content-length': String(body.length), ...(o.headers ?? {}) },
      ...(o.agent ? { agent: o.agent } : {}),
      ...(o.ca ? { ca: o.ca } : {}),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('aborted', () => reject(new Error('response aborted')));
      res.on('error', reject);
      res.on('end', () => {
        if (!res.complete) return reject(new Error('response incomplete'));
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: new Uint8Array(Buffer.concat(chunks)), reused: req.reusedSocket, localPort: req.socket?.localPort ?? 0 });
      });
    });
    req.on('error', reject);
    req.end(Buffer.from(body));
  });
}

export function ctOf(c: MiniClient): string {
  return c.enc === 'wbxml' ? 'application/vnd.syncml.dm+wbxml' : 'application/vnd.syncml.dm+xml';
}

export function decode(b: Uint8Array): Message {
  return new MessageDecoder({ maxMsgSize: 1 << 20, maxObjSize: 1 << 22 }).decode(b);
}

/** Sends one client message over HTTP. */
export async function sendHttp(url: string, c: MiniClient, records: Parameters<MiniClient['build']>[0], so: SendOptions = {}, po: PostOptions = {}): Promise<{ r: PostResult; m: Message | null; sent: Uint8Array }> {
  const body = c.build(records, so);
  const headers: Record<string, string> = { 'content-type': ctOf(c), ...(po.headers ?? {}) };
  if (so.hmac) headers['x-syncml-hmac'] = `algorithm=MD5, username="${so.hmac.username}", mac=${oracle.mac(so.hmac.username, so.hmac.password, so.hmac.nonce, body)}`;
  const r = await post(url, body, { ...po, headers });
  const m = r.status === 200 && /vnd\.syncml\.dm/.test(String(r.headers['content-type'])) ? decode(r.body) : null;
  if (m) c.lastServer = m;
  return { r, m, sent: body };
}

/**
 * Runs a whole session: package 1, then answers every server message (statuses, Results, Alert
 * 1222 for non-final messages) until a server package has no command. Returns the server messages.
 */
export async function runSession(url: string, c: MiniClient, po: PostOptions = {}, first: SendOptions = {}): Promise<{ msgs: Message[]; results: PostResult[] }> {
  const msgs: Message[] = [];
  const results: PostResult[] = [];
  let x = await sendHttp(url, c, c.pkg1Records(), first, po);
  for (let i = 0; i < 100; i++) {
    results.push(x.r);
    if (!x.m) throw new Error(`HTTP ${x.r.status}: ${Buffer.from(x.r.body).toString()}`);
    const m = x.m;
    msgs.push(m);
    const cmds = m.body.filter((k) => k.name !== 'Status' && k.name !== 'Results');
    if (m.final && cmds.length === 0) return { msgs, results };
    const ans = c.answer(m);
    if (!m.final) ans.push({ kind: 'Alert', code: 1222 });
    x = await sendHttp(url, c, ans, { final: m.final }, po);
  }
  throw new Error('session did not end after 100 messages');
}

export interface TestPki {
  dir: string;
  caCert: string;
  key: string;
  cert: string;
}

/** A CA and a server certificate for 127.0.0.1/localhost, made with openssl into a temp dir. */
export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'omadm-pki-'));
  const p = (f: string): string => join(dir, f);
  const ossl = (...args: string[]): void => { execFileSync('openssl', args, { stdio: 'pipe', timeout: 30000 }); };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ossl('req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '2', '-subj', '/CN=omadm test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  ossl('req', ...ec, '-keyout', p('srv.key'), '-out', p('srv.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(p('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  ossl('x509', '-req', '-in', p('srv.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('srv.pem'), '-days', '2', '-extfile', p('ext.cnf'));
  return { dir, caCert: readFileSync(p('ca.pem'), 'utf8'), key: readFileSync(p('srv.key'), 'utf8'), cert: readFileSync(p('srv.pem'), 'utf8') };
}
