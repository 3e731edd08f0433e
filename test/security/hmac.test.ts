// Security (node-only): the device checks the server's x-syncml-hmac on every message (DM HMAC,
// facts §5.1; the mac is computed here with node:crypto as the independent oracle) against a
// hostile server that keeps forging from some message on. A missing, forged, tampered, stale-nonce,
// replayed, wrong-user or wrong-algorithm mac is never executed; the session ends with
// 'hmac-mismatch' (at once, or after the bounded number of challenges the device may answer with);
// the nonce the device stores for the server is always one the server was actually sent.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDevice } from '../helpers/device';
import { HostileServer, clientChalNonce, endXml, oracleHmac, serverXml } from './hostile';
import type { Answer, Exchange } from './hostile';
import type { Message } from '../../src/codec/model';

const USER = 'com.mgmtsrv.manage';
const PW = 'srvpw';
const N0 = new Uint8Array([9, 8, 7, 6, 5, 4, 3, 2]);

const servers: HostileServer[] = [];
after(async () => { for (const s of servers) await s.close(); });

const add = (id: number, node: string): string => `<Add><CmdID>${id}</CmdID><Item><Target><LocURI>./Vendor/omadm/Sync/${node}</LocURI></Target><Meta><Format xmlns="syncml:metinf">node</Format></Meta></Item></Add>`;

/** The nonce the device expects the server to sign message `n` with: N0, then the Chal of its previous reply. */
function nonceFor(req: Message): Uint8Array {
  return clientChalNonce(req) ?? N0;
}

function signed(body: string, nonce: Uint8Array, over: { user?: string; algorithm?: string } = {}): Answer {
  const mac = oracleHmac(over.user ?? USER, PW, nonce, body);
  return { body, headers: { 'x-syncml-hmac': `algorithm=${over.algorithm ?? 'MD5'}, username="${over.user ?? USER}", mac=${mac}` } };
}

/** Three server messages: Add h1, Add h2, end; `tamper(n, honest)` may replace answer n. */
function responder(tamper: (n: number, honest: Answer, req: Message, history: readonly Exchange[]) => Answer = (_n, a) => a) {
  return (req: Message, n: number, history: readonly Exchange[]): Answer => {
    const body = n === 1 ? serverXml(req, 1, add(2, 'h1')) : n === 2 ? serverXml(req, 2, add(2, 'h2')) : endXml(req, n);
    return tamper(n, signed(body, nonceFor(req)), req, history);
  };
}

async function session(tamper?: Parameters<typeof responder>[0]): Promise<{ r: Awaited<ReturnType<ReturnType<typeof makeDevice>['agent']['runSession']>>; h1: boolean; h2: boolean; nonce: Uint8Array; srv: HostileServer }> {
  const srv = await HostileServer.start(responder(tamper));
  servers.push(srv);
  const dev = makeDevice({ url: srv.url, account: { connRetryFreq: 0, server: { type: 'HMAC', name: USER, secret: PW, nonce: N0 } } });
  const r = await dev.agent.runSession();
  const st = dev.agent.tree.store;
  return { r, h1: st.exists('./Vendor/omadm/Sync/h1'), h2: st.exists('./Vendor/omadm/Sync/h2'), nonce: dev.agent.account()!.server.nonce, srv };
}

describe('security: server HMAC on every message', () => {
  test('control: correctly signed messages (fresh nonce each time) complete the session', async () => {
    const s = await session();
    assert.equal(s.r.outcome, 'completed', JSON.stringify(s.r));
    assert.equal(s.r.serverAuthenticated, true);
    assert.deepEqual([s.h1, s.h2], [true, true]);
    const nonces = s.srv.exchanges.map((e) => clientChalNonce(e.request));
    assert.equal(nonces[0], null);
    assert.ok(nonces[1] && nonces[2] && Buffer.compare(Buffer.from(nonces[1]), Buffer.from(nonces[2])) !== 0, 'a new nonce for every message');
    assert.notDeepEqual([...s.nonce], [...N0], 'the stored server nonce rotated (which one: see nonces.test.ts, F10)');
  });

  // each forgery is repeated on every answer from its first message on
  const cases: [string, Parameters<typeof responder>[0], 'first' | 'second'][] = [
    ['no x-syncml-hmac header', (_n, a) => ({ body: a.body }), 'first'],
    ['a random mac', (_n, a) => ({ ...a, headers: { 'x-syncml-hmac': `algorithm=MD5, username="${USER}", mac=AAAAAAAAAAAAAAAAAAAAAA==` } }), 'first'],
    ['body changed after signing (Add h9 instead of h1, a blank before Final)', (_n, a) => ({ ...a, body: String(a.body).replace('/h1<', '/h9<').replace('/h2<', '/h9<').replace('<Final/>', ' <Final/>') }), 'first'],
    ['signed with the wrong password', (_n, a, req) => ({ ...a, headers: { 'x-syncml-hmac': `algorithm=MD5, username="${USER}", mac=${oracleHmac(USER, 'guess', nonceFor(req), String(a.body))}` } }), 'first'],
    ['another user name', (_n, a, req) => signed(String(a.body), nonceFor(req), { user: 'com.other' }), 'first'],
    ['algorithm other than MD5', (_n, a, req) => signed(String(a.body), nonceFor(req), { algorithm: 'SHA-256' }), 'first'],
    ['from the second message on, signed with the first (stale) nonce', (n, a) => (n >= 2 ? signed(String(a.body), N0) : a), 'second'],
    ['from the second message on, a byte-exact replay of the first answer (body and header)', (n, a, _req, h) => (n >= 2 ? h[0]!.response : a), 'second'],
    ['from the second message on, a malformed mac header', (n, a) => (n >= 2 ? { ...a, headers: { 'x-syncml-hmac': 'garbage' } } : a), 'second'],
  ];
  for (const [name, tamper, where] of cases) {
    test(`${name} → hmac-mismatch, nothing of that message executed`, async () => {
      const s = await session(tamper);
      assert.equal(s.r.outcome, 'failed', JSON.stringify(s.r));
      assert.equal(s.r.reason, 'hmac-mismatch');
      if (where === 'first') assert.deepEqual([s.h1, s.h2], [false, false], 'nothing of a forged message ran');
      else assert.deepEqual([s.h1, s.h2], [true, false], 'the verified first message ran, the forged later ones did not');
      // the stored nonce is the initial one or one the device sent to the server in a Chal
      const sent = [N0, ...s.srv.exchanges.map((e) => clientChalNonce(e.request)).filter((x): x is Uint8Array => x !== null)].map((x) => Buffer.from(x).toString('hex'));
      assert.ok(sent.includes(Buffer.from(s.nonce).toString('hex')), 'the device stored a server nonce it never sent');
    });
  }
});
