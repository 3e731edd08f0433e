// Unit (portable): server-side authentication — formulas against facts §5.1 vectors, md5/basic
// challenge flows, HMAC both directions, server credentials and the client's challenge of them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { b64encode } from '../../../src/crypto/base64';
import type { Message } from '../../../src/codec/model';
import { basicCredential, formatHmacHeader, hmacMac, md5Credential, parseBasicCredential, parseHmacHeader, schemeOfType } from '../../../src/server/auth';
import { DmServer } from '../../../src/server/DmServer';
import { parseScript } from '../../../src/server/script';
import { utf8Encode } from '../../../src/util/utf8';
import { MiniClient, codeOf, commandsOf, hdrStatus, oracle, shape } from './client';

const a = utf8Encode;

describe('auth formulas (facts §5.1 vectors)', () => {
  test('basic', () => {
    assert.equal(basicCredential('Bruce2', 'OhBehave'), 'QnJ1Y2UyOk9oQmVoYXZl');
    assert.deepEqual(parseBasicCredential('QnJ1Y2UyOk9oQmVoYXZl'), { username: 'Bruce2', password: 'OhBehave' });
    assert.equal(parseBasicCredential('!!!'), null);
    assert.equal(parseBasicCredential(b64encode(a('nocolon'))), null);
  });
  test('md5 with the spec nonce and with a b64 NextNonce', () => {
    assert.equal(md5Credential('Bruce2', 'OhBehave', a('Nonce')), 'Zz6EivR3yeaaENcRN6lpAQ==');
    assert.equal(md5Credential('Bruce2', 'OhBehave', Uint8Array.from([0x2c, 0x6d, 0xe2, 0x65, 0x08, 0x61, 0x76, 0x62, 0x8d, 0x1e])), 'LAK2i25Fh0nxxGGaAzRRpg==');
  });
  test('auth-MAC over the 42-byte body', () => {
    const body = a('<SyncML xmlns="SYNCML:SYNCML1.2"></SyncML>');
    assert.equal(hmacMac('Bruce2', 'OhBehave', a('Nonce'), body), 'aSBvnDHzBa7JhdjeEEUR2g==');
  });
  test('x-syncml-hmac header: format and lenient parse', () => {
    const h = formatHmacHeader('Bruce2', 'aSBvnDHzBa7JhdjeEEUR2g==');
    assert.equal(h, 'algorithm=MD5, username="Bruce2", mac=aSBvnDHzBa7JhdjeEEUR2g==');
    assert.deepEqual(parseHmacHeader(h), { algorithm: 'MD5', username: 'Bruce2', mac: 'aSBvnDHzBa7JhdjeEEUR2g==' });
    assert.deepEqual(parseHmacHeader('mac="x==",username=u'), { algorithm: 'MD5', username: 'u', mac: 'x==' });
    assert.deepEqual(parseHmacHeader('username="a, \\"b\\"", mac=m'), { algorithm: 'MD5', username: 'a, "b"', mac: 'm' });
    assert.equal(parseHmacHeader('algorithm=MD5, mac=abc'), null);
    assert.equal(parseHmacHeader('username="x"'), null);
    assert.equal(parseHmacHeader(''), null);
  });
  test('scheme names', () => {
    assert.equal(schemeOfType(' syncml:auth-MD5 '), 'md5');
    assert.equal(schemeOfType('syncml:auth-mac'), 'hmac');
    assert.equal(schemeOfType('syncml:auth-basic'), 'basic');
    assert.equal(schemeOfType('syncml:auth-X509'), null);
  });
});

const PKG = [{ commands: [{ cmd: 'Get', target: './DevInfo/Mod' }] }];
const NONCE0 = b64encode(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]));

function server(auth: unknown): DmServer {
  let seed = 1;
  // deterministic distinct nonces: 16 bytes of a counter
  return new DmServer(parseScript({ packages: PKG, auth }), { now: () => 0, randomFill: (b) => { b.fill(seed++); } });
}

function chalNonce(m: Message): string {
  const n = hdrStatus(m).chal?.meta.nextNonce;
  assert.ok(n, 'no NextNonce in Chal');
  return n;
}

describe('client authentication', () => {
  test('md5: 407 + Chal → correct Cred → 212 with the next-session nonce → commands', () => {
    const s = server({ client: { type: 'md5', username: 'dev1', password: 'pw' } });
    const c = new MiniClient(s);
    const x1 = c.pkg1();
    const m1 = x1.msg!;
    const hs = hdrStatus(m1);
    assert.equal(codeOf(hs), 407);
    assert.deepEqual([hs.chal!.meta.type, hs.chal!.meta.format], ['syncml:auth-md5', 'b64']);
    // only statuses (one per command, same code), Final
    assert.deepEqual(shape(m1), ['Status:1', 'Status:2', 'Status:3']);
    assert.deepEqual(m1.body.map(codeOf), [407, 407, 407]);
    assert.equal(m1.final, true);
    const n1 = chalNonce(m1);
    // client re-sends package 1 with the Cred for that nonce (same session, next MsgID)
    const x2 = c.pkg1({ cred: { meta: { type: 'syncml:auth-md5', format: 'b64' }, data: oracle.md5('dev1', 'pw', n1) }, sourceName: 'dev1' });
    const m2 = x2.msg!;
    assert.equal(codeOf(hdrStatus(m2)), 212);
    const n2 = chalNonce(m2);
    assert.notEqual(n2, n1);
    assert.equal(hdrStatus(m2).msgRef, '2');
    assert.deepEqual(commandsOf(m2).map((k) => k.name), ['Get']);
    // authenticated for the session: no Cred needed any more
    const m3 = c.send(c.answer(m2)).msg!;
    assert.equal(codeOf(hdrStatus(m3)), 200);
    const rec = s.sessions()[0]!;
    assert.equal(rec.outcome, 'completed');
    assert.deepEqual(rec.auth.map((e) => `${e.side}:${e.event}:${e.code}`), ['client:missing:407', 'client:accepted:212']);
    assert.deepEqual(rec.failures, []);
    // the next-session nonce is stored per device
    assert.equal(s.state().devices[c.deviceId]!.clientNonce, n2);
    // Cred Data is redacted in the transcript
    assert.ok(!rec.messages[2]!.xml!.includes(oracle.md5('dev1', 'pw', n1)));
    assert.match(rec.messages[2]!.xml!, /<Cred>[\s\S]*<Data>\*\*\*<\/Data>/);
    // next session: the client uses the stored nonce pre-emptively → 212 at once
    const c2 = new MiniClient(s, { sessionId: '2' });
    const y = c2.pkg1({ cred: { meta: { type: 'syncml:auth-md5', format: 'b64' }, data: oracle.md5('dev1', 'pw', n2) }, sourceName: 'dev1' });
    assert.equal(codeOf(hdrStatus(y.msg!)), 212);
  });

  test('md5: wrong password → 401 twice → the session ends auth-failed (and stays refused)', () => {
    const s = server({ client: { type: 'md5', username: 'dev1', password: 'pw' } });
    const c = new MiniClient(s);
    const n1 = chalNonce(c.pkg1().msg!);
    const cred = (n: string): { cred: { meta: { type: string; format: string }; data: string }; sourceName: string } =>
      ({ cred: { meta: { type: 'syncml:auth-md5', format: 'b64' }, data: oracle.md5('dev1', 'wrong', n) }, sourceName: 'dev1' });
    const m2 = c.pkg1(cred(n1)).msg!;
    assert.equal(codeOf(hdrStatus(m2)), 401);
    assert.equal(commandsOf(m2).length, 0);
    const n2 = chalNonce(m2);
    assert.notEqual(n2, n1);
    assert.equal(s.sessions()[0]!.outcome, 'active');
    const m3 = c.pkg1(cred(n2)).msg!;
    assert.equal(codeOf(hdrStatus(m3)), 401);
    assert.ok(hdrStatus(m3).chal, '401 must carry a Chal');
    assert.equal(m3.final, true);
    const rec = s.sessions()[0]!;
    assert.equal(rec.outcome, 'auth-failed');
    assert.deepEqual(rec.auth.map((e) => `${e.event}:${e.code}`), ['missing:407', 'rejected:401', 'rejected:401', 'failed:401']);
    // even the right password does not reopen this session
    const m4 = c.pkg1({ cred: { meta: { type: 'syncml:auth-md5', format: 'b64' }, data: oracle.md5('dev1', 'pw', chalNonce(m3)) }, sourceName: 'dev1' }).msg!;
    assert.equal(codeOf(hdrStatus(m4)), 401);
    assert.equal(s.sessions().length, 1);
  });

  test('md5: a stale nonce gets 401 + a fresh nonce, then succeeds; wrong LocName is refused', () => {
    const s = server({ client: { type: 'md5', username: 'dev1', password: 'pw', nonce: NONCE0 } });
    const c = new MiniClient(s);
    const stale = b64encode(a('old nonce'));
    const m1 = c.pkg1({ cred: { meta: { type: 'syncml:auth-md5', format: 'b64' }, data: oracle.md5('dev1', 'pw', stale) }, sourceName: 'dev1' }).msg!;
    assert.equal(codeOf(hdrStatus(m1)), 401);
    const m2 = c.pkg1({ cred: { meta: { type: 'syncml:auth-md5', format: 'b64' }, data: oracle.md5('dev1', 'pw', chalNonce(m1)) }, sourceName: 'dev1' }).msg!;
    assert.equal(codeOf(hdrStatus(m2)), 212);
    // the script nonce is what a fresh device must use
    const c2 = new MiniClient(s, { deviceId: 'IMEI:2' });
    const y = c2.pkg1({ cred: { meta: { type: 'syncml:auth-md5', format: 'b64' }, data: oracle.md5('dev1', 'pw', NONCE0) }, sourceName: 'dev1' }).msg!;
    assert.equal(codeOf(hdrStatus(y)), 212);
    const c3 = new MiniClient(s, { deviceId: 'IMEI:3' });
    const z = c3.pkg1({ cred: { meta: { type: 'syncml:auth-md5', format: 'b64' }, data: oracle.md5('dev1', 'pw', NONCE0) }, sourceName: 'intruder' }).msg!;
    assert.equal(codeOf(hdrStatus(z)), 401);
  });

  test('md5 with accept 200: every message needs a Cred made with the nonce of the previous reply', () => {
    const s = server({ client: { type: 'md5', username: 'dev1', password: 'pw', nonce: NONCE0, accept: 200 } });
    const c = new MiniClient(s);
    const cred = (n: string): { cred: { meta: { type: string; format: string }; data: string }; sourceName: string } =>
      ({ cred: { meta: { type: 'syncml:auth-md5', format: 'b64' }, data: oracle.md5('dev1', 'pw', n) }, sourceName: 'dev1' });
    const m1 = c.pkg1(cred(NONCE0)).msg!;
    assert.equal(codeOf(hdrStatus(m1)), 200);
    const m2 = c.send(c.answer(m1), cred(chalNonce(m1))).msg!;
    assert.equal(codeOf(hdrStatus(m2)), 200);
    assert.equal(s.sessions()[0]!.outcome, 'completed');
  });

  test('basic: 407 + Chal → Cred → 212; a wrong password is 401; a wrong scheme is 401', () => {
    const s = server({ client: { type: 'basic', username: 'Bruce2', password: 'OhBehave' } });
    const c = new MiniClient(s);
    const m1 = c.pkg1().msg!;
    assert.equal(codeOf(hdrStatus(m1)), 407);
    assert.deepEqual(hdrStatus(m1).chal!.meta, { type: 'syncml:auth-basic', format: 'b64' });
    const m2 = c.pkg1({ cred: { meta: { type: 'syncml:auth-basic', format: 'b64' }, data: 'QnJ1Y2UyOk9oQmVoYXZl' } }).msg!;
    assert.equal(codeOf(hdrStatus(m2)), 212);
    assert.equal(hdrStatus(m2).chal, undefined);
    const c2 = new MiniClient(s, { sessionId: '77' });
    assert.equal(codeOf(hdrStatus(c2.pkg1({ cred: { meta: { type: 'syncml:auth-basic' }, data: oracle.basic('Bruce2', 'nope') } }).msg!)), 401);
    const c3 = new MiniClient(s, { sessionId: '78' });
    assert.equal(codeOf(hdrStatus(c3.pkg1({ cred: { meta: { type: 'syncml:auth-md5' }, data: 'abc' } }).msg!)), 401);
  });
});

describe('HMAC (x-syncml-hmac) both directions', () => {
  const AUTH = {
    hmac: true,
    client: { username: 'dev1', password: 'cpw', nonce: NONCE0 },
    server: { username: 'srv', password: 'spw', nonce: b64encode(a('server-nonce')) },
  };

  test('missing header → 407 + Chal auth-MAC; valid mac → 200 + fresh nonce every reply; stale → 401', () => {
    const s = server(AUTH);
    const c = new MiniClient(s);
    const x1 = c.pkg1();
    const m1 = x1.msg!;
    assert.equal(codeOf(hdrStatus(m1)), 407);
    assert.equal(hdrStatus(m1).chal!.meta.type, 'syncml:auth-MAC');
    const n1 = chalNonce(m1);
    const x2 = c.pkg1({ hmac: { username: 'dev1', password: 'cpw', nonce: n1 } });
    const m2 = x2.msg!;
    assert.equal(codeOf(hdrStatus(m2)), 200, 'HMAC uses 200, not 212');
    const n2 = chalNonce(m2);
    assert.notEqual(n2, n1);
    // the server signs its answer with its credentials and the nonce the client issued
    const hv = x2.resp.headers['x-syncml-hmac']!;
    assert.deepEqual(parseHmacHeader(hv), { algorithm: 'MD5', username: 'srv', mac: oracle.mac('srv', 'spw', b64encode(a('server-nonce')), x2.resp.body) });
    // no Cred in the header when HMAC is used
    assert.equal(m2.hdr.cred, undefined);
    // the previous nonce is stale now
    const bad = c.send(c.answer(m2), { hmac: { username: 'dev1', password: 'cpw', nonce: n1 } }).msg!;
    assert.equal(codeOf(hdrStatus(bad)), 401);
    assert.equal(commandsOf(bad).length, 0);
    const n3 = chalNonce(bad);
    // the client issues a new nonce to the server in its SyncHdr Status Chal: the server's next mac uses it
    // (the resent answer carries the Status for the latest server SyncHdr, the one that refused us)
    const ans = c.answer(m2);
    Object.assign(ans[0]!, { msgRef: bad.hdr.msgId, chal: { meta: { type: 'syncml:auth-MAC', format: 'b64', nextNonce: b64encode(a('fresh-srv')) } } });
    const x4 = c.send(ans, { hmac: { username: 'dev1', password: 'cpw', nonce: n3 } });
    assert.equal(codeOf(hdrStatus(x4.msg!)), 200);
    assert.equal(parseHmacHeader(x4.resp.headers['x-syncml-hmac']!)!.mac, oracle.mac('srv', 'spw', b64encode(a('fresh-srv')), x4.resp.body));
    const rec = s.sessions()[0]!;
    assert.equal(rec.outcome, 'completed');
    assert.deepEqual(rec.failures, []);
    assert.ok(rec.auth.some((e) => e.side === 'server' && e.event === 'nonce'));
  });

  test('a tampered body fails the mac', () => {
    const s = server(AUTH);
    const c = new MiniClient(s);
    const body = c.build(c.pkg1Records());
    const mac = oracle.mac('dev1', 'cpw', NONCE0, body);
    const tampered = body.slice();
    const at = tampered.findIndex((v, i) => v === 0x41 && tampered[i + 1] === 0x63 && tampered[i + 2] === 0x6d); // "Acm"e
    assert.ok(at > 0);
    tampered[at] = 0x42;
    const x = c.post(tampered, { headers: { 'x-syncml-hmac': `algorithm=MD5, username="dev1", mac=${mac}` } });
    assert.equal(codeOf(hdrStatus(x.msg!)), 401);
  });
});

describe('server credentials towards the client', () => {
  test('md5 Cred with the client-issued nonce; client 401 + Chal → the package is resent with the new digest; 212 stops the Cred', () => {
    const s = server({ server: { type: 'md5', username: 'com.mgmtsrv.manage', password: 'srvpw', nonce: NONCE0 } });
    const c = new MiniClient(s);
    const m1 = c.pkg1().msg!;
    assert.deepEqual(m1.hdr.cred, { meta: { format: 'b64', type: 'syncml:auth-md5' }, data: oracle.md5('com.mgmtsrv.manage', 'srvpw', NONCE0) });
    assert.equal(m1.hdr.sourceName, 'com.mgmtsrv.manage');
    const get1 = commandsOf(m1)[0]!;
    // the client refuses the server's credentials and issues a new nonce
    const fresh = b64encode(a('client-issued'));
    const refuse = [
      { kind: 'Status' as const, msgRef: m1.hdr.msgId, cmdRef: '0', cmd: 'SyncHdr', code: 401, chal: { meta: { type: 'syncml:auth-md5', format: 'b64', nextNonce: fresh } } },
      { kind: 'Status' as const, msgRef: m1.hdr.msgId, cmdRef: get1.cmdId!, cmd: 'Get', code: 401 },
    ];
    const m2 = c.send(refuse).msg!;
    assert.equal(m2.hdr.cred!.data, oracle.md5('com.mgmtsrv.manage', 'srvpw', fresh));
    assert.deepEqual(commandsOf(m2).map((k) => `${k.name}:${k.items[0]!.target}`), ['Get:./DevInfo/Mod']);
    const m3 = c.send(c.answer(m2, undefined, 212)).msg!;
    assert.equal(m3.hdr.cred, undefined, 'no Cred after the client accepted with 212');
    const rec = s.sessions()[0]!;
    assert.equal(rec.outcome, 'completed');
    assert.deepEqual(rec.failures, []);
    // the refused message's 401 statuses are not counted as command statuses
    assert.deepEqual(rec.statuses.map((st) => st.code), [200]);
    assert.equal(s.state().devices[c.deviceId]!.serverNonce, fresh);
    assert.deepEqual(rec.auth.map((e) => `${e.side}:${e.event}:${e.code}`), ['server:nonce:401', 'server:rejected:401', 'server:accepted:212']);
  });

  test('basic server Cred; the client asking for md5 switches the scheme; too many refusals end the session', () => {
    const s = server({ server: { type: 'basic', username: 'srv', password: 'spw', maxRetries: 1 } });
    const c = new MiniClient(s);
    const m1 = c.pkg1().msg!;
    assert.deepEqual(m1.hdr.cred, { meta: { format: 'b64', type: 'syncml:auth-basic' }, data: oracle.basic('srv', 'spw') });
    const n = b64encode(a('n1'));
    const m2 = c.send([{ kind: 'Status', msgRef: m1.hdr.msgId, cmdRef: '0', cmd: 'SyncHdr', code: 407, chal: { meta: { type: 'syncml:auth-md5', format: 'b64', nextNonce: n } } }]).msg!;
    assert.equal(m2.hdr.cred!.meta.type, 'syncml:auth-md5');
    assert.equal(m2.hdr.cred!.data, oracle.md5('srv', 'spw', n));
    c.send([{ kind: 'Status', msgRef: m2.hdr.msgId, cmdRef: '0', cmd: 'SyncHdr', code: 401, chal: { meta: { type: 'syncml:auth-md5', format: 'b64', nextNonce: n } } }]);
    const rec = s.sessions()[0]!;
    assert.equal(rec.outcome, 'auth-failed');
    assert.ok(rec.failures.some((f) => f.message === 'client refused the server credentials 2 times'));
  });
});
