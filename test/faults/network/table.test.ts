// Fault injection (node-only): a systematic table of network faults × where they happen (the
// answer to package 1, or to a later package), each run as a real session of the device agent
// against the loopback DM server (HTTPS for the server's own faults), a forwarding proxy that
// misbehaves on one request, or a raw misbehaving peer. Every row states the expected outcome and
// reason, how many times the client delivered the faulted package (the retry policy: only package 1
// is retried, ConnRetryFreq times with exponential back-off; a later package never, because the
// server may already have executed commands), and the tree afterwards: unchanged for a failed
// package 1, the committed commands of package 2 only (node a, never b) for a failed later package.
// test/e2e/session.test.ts covers single cases (drop mid-package, TLS refusals without retries);
// this table covers every fault in both places, with retry counts and tree state.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../../../target/node/server';
import type { RunningServer } from '../../../target/node/server';
import { parseScript } from '../../../src/server/script';
import type { SessionRecord } from '../../../src/server/record';
import { makePki } from '../../helpers/pki';
import { makeDevice } from '../../helpers/device';
import type { TestDevice } from '../../helpers/device';
import { FaultProxy, RawPeer, deadPort } from './peer';
import type { Behaviour } from './peer';
import { treeSnapshot } from './snapshot';

const pki = makePki();
const RETRIES = 2;
const MAX_REDIRECTS = 3;
/** Client timeouts (ms): short, so stalls end quickly; loopback answers take a few ms. */
const CONNECT_MS = 700;
const RESPONSE_MS = 800;

/** Two packages: a committed Add of node a, then an Add of node b. */
function script(faults0?: Record<string, unknown>, faults1?: Record<string, unknown>): Record<string, unknown> {
  return {
    serverId: 'com.mgmtsrv.manage',
    packages: [
      { commands: [{ cmd: 'Add', target: './Vendor/omadm/Sync/a', format: 'node', expect: 200 }], ...(faults0 ? { faults: faults0 } : {}) },
      { commands: [{ cmd: 'Add', target: './Vendor/omadm/Sync/b', format: 'node', expect: 200 }], ...(faults1 ? { faults: faults1 } : {}) },
    ],
  };
}

interface Env {
  url: string;
  ca?: string;
  /** Deliveries of the faulted package seen by the peer/server. */
  deliveries(): number;
  close(): Promise<void>;
  server?: RunningServer;
}

interface Row {
  name: string;
  where: 'package 1' | 'later package';
  env: () => Promise<Env>;
  outcome: 'completed' | 'failed';
  reason?: string;
  /** Expected deliveries of the faulted package (requests at the peer/server, redirects included). */
  deliveries: number;
  /** Expected retries logged by the client. */
  retries: number;
  tree: 'unchanged' | 'a only' | 'a and b';
  /** Let the client fall back to DM 1.1.2 on retries (default: disabled, keep 1.2). */
  backCompat?: boolean;
  /** Extra checks on the server's records. */
  check?: (recs: SessionRecord[]) => void;
}

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers) await c();
});

/** Deliveries of our message with this MsgID in the server's records. */
function inMessages(srv: RunningServer, msgId: string): number {
  return srv.sessions().flatMap((r) => r.messages).filter((m) => m.dir === 'in' && m.msgId === msgId).length;
}

/** The loopback server (HTTPS) with a fault on package 1 (pkg 0) or on the later package (pkg 1). */
function serverFault(where: 'package 1' | 'later package', faults: Record<string, unknown>): () => Promise<Env> {
  return async () => {
    const s = where === 'package 1' ? script(faults) : script(undefined, faults);
    const srv = await startServer({ script: parseScript(s), port: 0, tls: { key: pki.key, cert: pki.cert } });
    return { url: srv.url, ca: pki.ca, server: srv, deliveries: () => inMessages(srv, where === 'package 1' ? '1' : '2'), close: () => srv.close() };
  };
}

/** A raw peer answering every connection with `b` (package 1 never gets through). */
function peerFault(b: Behaviour, opts: { tls?: 'valid' | 'expired' | 'wrong-name' | 'other-ca'; count?: 'connections' | 'requests' } = {}): () => Promise<Env> {
  return async () => {
    const cert = opts.tls === 'expired' ? pki.expiredCert : opts.tls === 'wrong-name' ? pki.wrongNameCert : pki.cert;
    const peer = await RawPeer.start(b, opts.tls ? { key: pki.key, cert } : undefined);
    return {
      url: peer.url(opts.tls ? 'https' : 'http'), ca: opts.tls === 'other-ca' ? pki.otherCa : pki.ca,
      deliveries: () => (opts.count === 'connections' ? peer.stats.connections : peer.stats.requests.length), close: () => peer.close(),
    };
  };
}

/** The loopback server (plain HTTP) behind a proxy that misbehaves on request `at` (2 = the later package). */
function proxyFault(b: Behaviour, at = 2): () => Promise<Env> {
  return async () => {
    const srv = await startServer({ script: parseScript(script()), port: 0 });
    const proxy = await FaultProxy.start(srv.port, b, at, 99);
    return {
      url: proxy.url(), server: srv,
      deliveries: () => proxy.stats.requests.filter((_, i) => i + 1 >= at).length,
      close: async () => { await proxy.close(); await srv.close(); },
    };
  };
}

const ROWS: Row[] = [
  // ---------------------------------------------------------------- package 1: the server's faults
  { name: 'HTTP 503, persistent', where: 'package 1', env: serverFault('package 1', { httpStatus: 503, times: 99 }), outcome: 'failed', reason: 'transport-http-status', deliveries: 1 + RETRIES, retries: RETRIES, tree: 'unchanged' },
  { name: 'HTTP 500, once', where: 'package 1', env: serverFault('package 1', { httpStatus: 500 }), outcome: 'completed', deliveries: 2, retries: 1, tree: 'a and b' },
  {
    name: 'HTTP 503, persistent, retries fall back to DM 1.1.2', where: 'package 1', env: serverFault('package 1', { httpStatus: 503, times: 99 }), backCompat: true,
    outcome: 'failed', reason: 'transport-http-status', deliveries: 1 + RETRIES, retries: RETRIES, tree: 'unchanged',
    check: (recs) => assert.deepEqual(recs.flatMap((r) => r.messages).filter((m) => m.dir === 'in').map((m) => m.version), ['1.2', '1.1.2', '1.1.2']),
  },
  { name: 'connection dropped after the request, persistent', where: 'package 1', env: serverFault('package 1', { dropAfterRequest: true, times: 99 }), outcome: 'failed', reason: 'transport-reset', deliveries: 1 + RETRIES, retries: RETRIES, tree: 'unchanged' },
  { name: 'redirect loop', where: 'package 1', env: serverFault('package 1', { redirect: { loop: true } }), outcome: 'failed', reason: 'transport-redirect-loop', deliveries: (1 + RETRIES) * (1 + MAX_REDIRECTS), retries: RETRIES, tree: 'unchanged' },
  { name: 'one 307 redirect', where: 'package 1', env: serverFault('package 1', { redirect: { status: 307, location: '/dm2' } }), outcome: 'completed', deliveries: 2, retries: 0, tree: 'a and b' },
  { name: 'wrong Content-Type', where: 'package 1', env: serverFault('package 1', { wrongContentType: true, times: 99 }), outcome: 'failed', reason: 'bad-content-type', deliveries: 1, retries: 0, tree: 'unchanged' },
  // (a persistent cut body is the raw peer's 'reset in the middle of the response' below: the server
  // answers a repeated package 1 from its retransmission cache, without the package's fault)
  {
    name: 'body cut and connection closed, once (the retry gets the server\'s retransmission)', where: 'package 1', env: serverFault('package 1', { truncateBody: { bytes: 40, close: true } }),
    outcome: 'completed', deliveries: 2, retries: 1, tree: 'a and b',
    check: (recs) => assert.ok(recs.flatMap((r) => r.messages).some((m) => /retransmission/.test(m.fault ?? '')), 'the server answered the retry from its cache'),
  },
  { name: 'truncated message in a complete HTTP response', where: 'package 1', env: serverFault('package 1', { truncateBody: { bytes: 40, close: false } }), outcome: 'failed', reason: 'malformed-message', deliveries: 1, retries: 0, tree: 'unchanged' },
  { name: 'answer delayed past the response timeout, once', where: 'package 1', env: serverFault('package 1', { delayMs: RESPONSE_MS + 700 }), outcome: 'completed', deliveries: 2, retries: 1, tree: 'a and b' },
  // ---------------------------------------------------------------- package 1: raw peers
  { name: 'connection refused', where: 'package 1', env: async () => ({ url: `http://127.0.0.1:${await deadPort()}/dm`, deliveries: () => 0, close: async () => {} }), outcome: 'failed', reason: 'transport-connect', deliveries: 0, retries: RETRIES, tree: 'unchanged' },
  { name: 'closed on accept', where: 'package 1', env: peerFault('close-on-accept', { count: 'connections' }), outcome: 'failed', reason: 'transport-reset', deliveries: 1 + RETRIES, retries: RETRIES, tree: 'unchanged' },
  { name: 'reset in the middle of the response', where: 'package 1', env: peerFault('reset-mid-response'), outcome: 'failed', reason: 'transport-reset', deliveries: 1 + RETRIES, retries: RETRIES, tree: 'unchanged' },
  { name: 'stalled peer (never answers)', where: 'package 1', env: peerFault('stall'), outcome: 'failed', reason: 'transport-timeout', deliveries: 1 + RETRIES, retries: RETRIES, tree: 'unchanged' },
  { name: 'slowloris (one byte every 50 ms)', where: 'package 1', env: peerFault('slowloris'), outcome: 'failed', reason: 'transport-timeout', deliveries: 1 + RETRIES, retries: RETRIES, tree: 'unchanged' },
  { name: 'not HTTP at all', where: 'package 1', env: peerFault('garbage'), outcome: 'failed', reason: 'transport-http-framing', deliveries: 1 + RETRIES, retries: RETRIES, tree: 'unchanged' },
  { name: 'Content-Length of 64 MiB', where: 'package 1', env: peerFault('oversized'), outcome: 'failed', reason: 'transport-http-framing', deliveries: 1 + RETRIES, retries: RETRIES, tree: 'unchanged' },
  { name: 'body delimited by close, cut short', where: 'package 1', env: peerFault('until-close-truncated'), outcome: 'failed', reason: 'malformed-message', deliveries: 1, retries: 0, tree: 'unchanged' },
  { name: 'TLS handshake never answered', where: 'package 1', env: peerFault('tls-stall', { tls: 'valid', count: 'connections' }), outcome: 'failed', reason: 'transport-timeout', deliveries: 1 + RETRIES, retries: RETRIES, tree: 'unchanged' },
  { name: 'expired server certificate', where: 'package 1', env: peerFault('stall', { tls: 'expired', count: 'connections' }), outcome: 'failed', reason: 'transport-tls', deliveries: 1 + RETRIES, retries: RETRIES, tree: 'unchanged' },
  { name: 'certificate for another host name', where: 'package 1', env: peerFault('stall', { tls: 'wrong-name', count: 'connections' }), outcome: 'failed', reason: 'transport-tls', deliveries: 1 + RETRIES, retries: RETRIES, tree: 'unchanged' },
  { name: 'certificate from an unknown CA', where: 'package 1', env: peerFault('stall', { tls: 'other-ca', count: 'connections' }), outcome: 'failed', reason: 'transport-tls', deliveries: 1 + RETRIES, retries: RETRIES, tree: 'unchanged' },
  // ---------------------------------------------------------------- later package: the server's faults
  { name: 'HTTP 503', where: 'later package', env: serverFault('later package', { httpStatus: 503, times: 99 }), outcome: 'failed', reason: 'transport-http-status', deliveries: 1, retries: 0, tree: 'a only' },
  { name: 'connection dropped after the request', where: 'later package', env: serverFault('later package', { dropAfterRequest: true, times: 99 }), outcome: 'failed', reason: 'transport-reset', deliveries: 1, retries: 0, tree: 'a only' },
  { name: 'redirect loop', where: 'later package', env: serverFault('later package', { redirect: { loop: true } }), outcome: 'failed', reason: 'transport-redirect-loop', deliveries: 1 + MAX_REDIRECTS, retries: 0, tree: 'a only' },
  { name: 'one 307 redirect', where: 'later package', env: serverFault('later package', { redirect: { status: 307, location: '/dm2' } }), outcome: 'completed', deliveries: 2, retries: 0, tree: 'a and b' },
  { name: 'wrong Content-Type', where: 'later package', env: serverFault('later package', { wrongContentType: 'text/html', times: 99 }), outcome: 'failed', reason: 'bad-content-type', deliveries: 1, retries: 0, tree: 'a only' },
  { name: 'body cut and connection closed', where: 'later package', env: serverFault('later package', { truncateBody: { bytes: 60, close: true }, times: 99 }), outcome: 'failed', reason: 'transport-reset', deliveries: 1, retries: 0, tree: 'a only' },
  { name: 'truncated message in a complete HTTP response', where: 'later package', env: serverFault('later package', { truncateBody: { bytes: 60, close: false }, times: 99 }), outcome: 'failed', reason: 'malformed-message', deliveries: 1, retries: 0, tree: 'a only' },
  { name: 'answer delayed past the response timeout', where: 'later package', env: serverFault('later package', { delayMs: RESPONSE_MS + 700, times: 99 }), outcome: 'failed', reason: 'transport-timeout', deliveries: 1, retries: 0, tree: 'a only' },
  // ---------------------------------------------------------------- later package: the proxy misbehaves on request 2
  { name: 'reset in the middle of the response', where: 'later package', env: proxyFault('reset-mid-response'), outcome: 'failed', reason: 'transport-reset', deliveries: 1, retries: 0, tree: 'a only' },
  { name: 'closed after the request', where: 'later package', env: proxyFault('close-after-request'), outcome: 'failed', reason: 'transport-reset', deliveries: 1, retries: 0, tree: 'a only' },
  { name: 'stalled peer', where: 'later package', env: proxyFault('stall'), outcome: 'failed', reason: 'transport-timeout', deliveries: 1, retries: 0, tree: 'a only' },
  { name: 'slowloris', where: 'later package', env: proxyFault('slowloris'), outcome: 'failed', reason: 'transport-timeout', deliveries: 1, retries: 0, tree: 'a only' },
  { name: 'not HTTP at all', where: 'later package', env: proxyFault('garbage'), outcome: 'failed', reason: 'transport-http-framing', deliveries: 1, retries: 0, tree: 'a only' },
  { name: 'Content-Length of 64 MiB', where: 'later package', env: proxyFault('oversized'), outcome: 'failed', reason: 'transport-http-framing', deliveries: 1, retries: 0, tree: 'a only' },
  { name: 'body delimited by close, cut short', where: 'later package', env: proxyFault('until-close-truncated'), outcome: 'failed', reason: 'malformed-message', deliveries: 1, retries: 0, tree: 'a only' },
  { name: 'connection closed, reconnect refused', where: 'later package', env: proxyFault('close-and-refuse'), outcome: 'failed', reason: 'transport-connect', deliveries: 0, retries: 0, tree: 'a only' },
];

async function runRow(row: Row): Promise<void> {
  const env = await row.env();
  closers.push(() => env.close());
  const dev: TestDevice = makeDevice({
    url: env.url, ...(env.ca ? { ca: env.ca } : {}),
    account: { connRetryFreq: RETRIES, initialBackOffMs: 20, maxBackOffMs: 100, backCompatRetryDisabled: !row.backCompat },
    agent: { client: { connectTimeoutMs: CONNECT_MS, responseTimeoutMs: RESPONSE_MS, maxRedirects: MAX_REDIRECTS } },
  });
  const before = treeSnapshot(dev.agent);
  const r = await dev.agent.runSession();
  const detail = `${JSON.stringify(r)}\nlogs: ${JSON.stringify(dev.logs.filter((l) => l.level !== 'debug').slice(-6))}`;
  assert.equal(r.outcome, row.outcome, detail);
  if (row.reason !== undefined) assert.equal(r.reason, row.reason, detail);
  const retries = dev.logs.filter((l) => l.msg === 'package 1 delivery failed; retrying').length;
  assert.equal(retries, row.retries, `retries: ${detail}`);
  // give a delayed answer or a trickling peer a moment: nothing more may reach the peer
  await new Promise((res) => setTimeout(res, 30));
  assert.equal(env.deliveries(), row.deliveries, `deliveries of the faulted package: ${detail}`);
  const st = dev.agent.tree.store;
  const a = st.exists('./Vendor/omadm/Sync/a');
  const b = st.exists('./Vendor/omadm/Sync/b');
  if (row.tree === 'unchanged') assert.deepEqual(treeSnapshot(dev.agent), before, 'the tree changed');
  if (row.tree === 'a only') assert.deepEqual([a, b], [true, false], 'only the committed package 2 (node a) may be applied');
  if (row.tree === 'a and b') assert.deepEqual([a, b], [true, true]);
  // whatever happened, the stored tree reloads to the same state (nothing half-written)
  const again = makeDevice({ url: env.url, dir: dev.dir });
  assert.deepEqual(treeSnapshot(again.agent), treeSnapshot(dev.agent), 'the persisted tree differs from the one in memory');
  if (row.check && env.server) row.check(env.server.sessions());
}

describe('network faults × where they happen: outcome, retries, tree state', { concurrency: 4 }, () => {
  for (const row of ROWS) test(`${row.where}: ${row.name} → ${row.outcome}${row.reason ? ` (${row.reason})` : ''}, ${row.deliveries} deliveries, ${row.retries} retries, tree ${row.tree}`, () => runRow(row));
});
