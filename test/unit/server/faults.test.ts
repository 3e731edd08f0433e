// Unit (portable): fault behaviours (per script and per package), retransmissions, HTTP envelope checks.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { b64encode } from '../../../src/crypto/base64';
import { DmServer } from '../../../src/server/DmServer';
import { parseHmacHeader } from '../../../src/server/auth';
import { parseScript } from '../../../src/server/script';
import { utf8Decode, utf8Encode } from '../../../src/util/utf8';
import { MiniClient, last, commandsOf, oracle } from './client';

const PKGS = [{ commands: [{ cmd: 'Get', target: './DevInfo/Mod' }] }, { commands: [{ cmd: 'Get', target: './DevInfo/DevId' }] }];

function make(extra: Record<string, unknown>): { s: DmServer; c: MiniClient } {
  const s = new DmServer(parseScript({ packages: PKGS, ...extra }), { now: () => 0, randomFill: (b) => b.fill(5) });
  return { s, c: new MiniClient(s) };
}

describe('faults', () => {
  test('dropAfterRequest on package 0: the request is not processed; the retried bytes are', () => {
    const { s, c } = make({ packages: [{ ...PKGS[0], faults: { dropAfterRequest: true } }, PKGS[1]] });
    const body = c.build(c.pkg1Records());
    const x1 = c.post(body);
    assert.equal(x1.resp.drop, true);
    const rec = s.sessions()[0]!;
    assert.equal(rec.messages.length, 1);
    assert.equal(rec.messages[0]!.fault, 'dropAfterRequest');
    assert.equal(rec.alert, null, 'not processed');
    const x2 = c.post(body);
    assert.equal(x2.resp.drop, false);
    assert.deepEqual(commandsOf(x2.msg!).map((k) => k.items[0]!.target), ['./DevInfo/Mod']);
    assert.equal(rec.alert, 1201);
    assert.deepEqual(rec.failures, []);
  });

  test('script-level httpStatus applies `times` times, then the server answers normally', () => {
    const { s, c } = make({ faults: { httpStatus: 503, times: 2 } });
    const body = c.build(c.pkg1Records());
    assert.equal(c.post(body).resp.status, 503);
    const r2 = c.post(body).resp;
    assert.equal(r2.status, 503);
    assert.equal(r2.headers['content-type'], 'text/plain; charset=utf-8');
    const r3 = c.post(body);
    assert.equal(r3.resp.status, 200);
    assert.ok(r3.msg);
    assert.deepEqual(s.sessions()[0]!.messages.map((m) => `${m.dir}:${m.fault ?? ''}:${m.http.status ?? ''}`), [
      'in:httpStatus 503:', 'out:httpStatus 503:503', 'in:httpStatus 503:', 'out:httpStatus 503:503', 'in::', 'out::200',
    ]);
  });

  test('redirect to another path, and a redirect loop', () => {
    const { c } = make({ packages: [{ ...PKGS[0], faults: { redirect: { location: '/dm2' } } }] });
    const body = c.build(c.pkg1Records());
    const r = c.post(body).resp;
    assert.equal(r.status, 307);
    assert.equal(r.headers['location'], 'http://127.0.0.1:8080/dm2');
    c.url = r.headers['location']!;
    assert.equal(c.post(body).resp.status, 200);

    const loop = make({ faults: { redirect: { loop: true, status: 302 } } });
    let url = 'http://127.0.0.1:8080/dm';
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) {
      loop.c.url = url;
      const rr = loop.c.post(body).resp;
      assert.equal(rr.status, 302);
      url = rr.headers['location']!;
      seen.push(url.replace('http://127.0.0.1:8080', ''));
    }
    assert.deepEqual(seen, ['/loop-a', '/loop-b', '/loop-a', '/loop-b', '/loop-a']);
  });

  test('post-processing faults: delay, wrong Content-Type, truncated body (the session advances)', () => {
    const { s, c } = make({ packages: [PKGS[0], { ...PKGS[1], faults: { delayMs: 250, wrongContentType: true, truncateBody: { bytes: 10, close: false } } }] });
    const m2 = c.pkg1().msg!;
    const x = c.post(c.build(c.answer(m2)));
    assert.equal(x.resp.status, 200);
    assert.equal(x.resp.delayMs, 250);
    assert.equal(x.resp.headers['content-type'], 'text/html; charset=utf-8');
    assert.deepEqual(x.resp.truncate, { bytes: 10, close: false });
    assert.ok(x.resp.body.length > 10, 'the full body is kept; the host truncates');
    const out = last(s.sessions()[0]!.messages)!;
    assert.equal(out.fault, 'delayMs 250, wrongContentType text/html; charset=utf-8, truncateBody 10/' + x.resp.body.length);
    assert.equal(s.sessions()[0]!.packagesSent, 2);
  });

  test('a retransmitted request (same MsgID and bytes) gets the same answer and is not processed twice', () => {
    const { s, c } = make({ packages: [PKGS[0], { ...PKGS[1], faults: { truncateBody: 5 } }] });
    const m2 = c.pkg1().msg!;
    const body = c.build(c.answer(m2));
    const a1 = c.post(body);
    assert.deepEqual(a1.resp.truncate, { bytes: 5, close: true });
    const a2 = c.post(body);
    assert.equal(a2.resp.truncate, null, 'the fault applied once');
    assert.deepEqual(a2.resp.body, a1.resp.body);
    const rec = s.sessions()[0]!;
    assert.equal(rec.packagesSent, 2);
    assert.equal(rec.statuses.length, 1);
    assert.equal(last(rec.messages)!.fault, 'retransmission: repeated the previous answer');
    assert.deepEqual(rec.failures, []);
  });

  test('corruptHmac spoils our mac', () => {
    const nonce = b64encode(utf8Encode('n'));
    const { c } = make({ auth: { server: { type: 'hmac', username: 'srv', password: 'spw', nonce } }, faults: { corruptHmac: true, times: 1 } });
    const x1 = c.pkg1();
    const good = oracle.mac('srv', 'spw', nonce, x1.resp.body);
    const got = parseHmacHeader(x1.resp.headers['x-syncml-hmac']!)!.mac;
    assert.notEqual(got, good);
    assert.equal(got.slice(1), good.slice(1));
    const x2 = c.send(c.answer(x1.msg!));
    assert.equal(parseHmacHeader(x2.resp.headers['x-syncml-hmac']!)!.mac, oracle.mac('srv', 'spw', nonce, x2.resp.body));
  });
});

describe('HTTP envelope', () => {
  test('method, Content-Type, size and undecodable bodies are refused outside any session', () => {
    const s = new DmServer(parseScript({ packages: PKGS }), { limits: { maxInMsgSize: 4096 } });
    const c = new MiniClient(s);
    const body = c.build(c.pkg1Records());
    const get = s.handle({ method: 'GET', url: c.url, headers: {}, body: new Uint8Array(0) });
    assert.deepEqual([get.status, get.headers['allow']], [405, 'POST']);
    assert.equal(c.post(body, { contentType: 'text/plain' }).resp.status, 415);
    assert.equal(c.post(new Uint8Array(5000)).resp.status, 413);
    assert.equal(c.post(new Uint8Array(0)).resp.status, 400);
    const bad = c.post(Uint8Array.from([0x02, 0xa4, 0x01, 0x6a, 0x00, 0x6d, 0x6c, 0xff]));
    assert.equal(bad.resp.status, 400);
    assert.match(utf8Decode(bad.resp.body), /undecodable DM message/);
    assert.equal(s.sessions().length, 0);
    assert.deepEqual(s.events().map((e) => e.message.error!.slice(0, 8)), ['HTTP 405', 'HTTP 415', 'HTTP 413', 'HTTP 400', 'HTTP 400']);
    // a Content-Type that contradicts the body is processed but noted
    const x = c.post(body, { contentType: 'application/vnd.syncml.dm+xml' });
    assert.equal(x.resp.status, 200);
    assert.ok(s.sessions()[0]!.failures.some((f) => f.message === 'Content-Type says xml but the body is wbxml'));
  });

  test('sessions are bounded: the oldest finished one is dropped first', () => {
    const s = new DmServer(parseScript({ packages: [] }), { limits: { maxSessions: 3 } });
    for (let i = 0; i < 5; i++) new MiniClient(s, { sessionId: String(i + 1) }).pkg1();
    assert.deepEqual(s.sessions().map((r) => r.sessionId), ['3', '4', '5']);
    const ended: string[] = [];
    const s3 = new DmServer(parseScript({ packages: PKGS }), { limits: { maxSessions: 2 }, onSessionEnd: (r) => ended.push(`${r.sessionId}:${r.outcome}`) });
    for (let i = 0; i < 3; i++) new MiniClient(s3, { sessionId: String(i + 1) }).pkg1();
    assert.deepEqual(ended, ['1:evicted']);
  });
});
