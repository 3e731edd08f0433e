// Unit (portable): the session engine against a scripted server (hand-built messages) and a fake DPU.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '../../../src/session/Session';
import type { SessionConfig, SessionStep, OutgoingMessage } from '../../../src/session/Session';
import { md5Credential, hmacHeader, hmacMac, checkHmac } from '../../../src/session/auth';
import { b64encode } from '../../../src/crypto/base64';
import { MessageDecoder } from '../../../src/codec/decode';
import { utf8Decode, utf8Encode } from '../../../src/util/utf8';
import { DEV_ID, FakeDpu, Hooks, account, decodeSent, hdrStatus, serverMsg } from './helpers';

function cfg(over: Partial<SessionConfig> = {}): SessionConfig {
  return {
    account: account(), devId: DEV_ID, initiator: 'client', sessionId: '1', version: '1.2', encoding: 'wbxml',
    devInfo: [{ source: './DevInfo/DevId', data: DEV_ID }, { source: './DevInfo/Man', data: 'Acme' }],
    ...over,
  };
}

function sent(step: SessionStep): OutgoingMessage {
  assert.equal(step.kind, 'send', `expected a message, got ${JSON.stringify(step.kind === 'done' ? step.result : step)}`);
  return (step as { message: OutgoingMessage }).message;
}

describe('Session: basic flow', () => {
  test('package 1: Alert 1201, DevInfo Replace, Meta MaxMsgSize/MaxObjSize, Final', () => {
    const s = new Session(cfg(), new Hooks());
    const m = decodeSent(sent(s.start(0)));
    assert.equal(m.hdr.msgId, '1');
    assert.equal(m.hdr.target, 'https://dm.example.com/dm');
    assert.equal(m.hdr.source, DEV_ID);
    assert.deepEqual(m.hdr.meta, { maxMsgSize: 16384, maxObjSize: 1048576 });
    assert.equal(m.hdr.cred, undefined);
    assert.deepEqual(m.body.map((c) => c.name), ['Alert', 'Replace']);
    assert.equal(m.body[0]!.data!.text(), '1201');
    assert.equal(m.body[1]!.items[1]!.source, './DevInfo/Man');
    assert.equal(m.final, true);
  });

  test('server-initiated: Alert 1200 with the notification SessionID', () => {
    const s = new Session(cfg({ initiator: 'server', sessionId: 'A3F' }), new Hooks());
    const m = decodeSent(sent(s.start(0)));
    assert.equal(m.hdr.sessionId, 'A3F');
    assert.equal(m.body[0]!.data!.text(), '1200');
  });

  test('pkg2 with a Get → pkg3 with statuses and Results → pkg4 statuses only → completed', () => {
    const hooks = new Hooks(new FakeDpu({ './DevInfo/Mod': 'W3000' }));
    const s = new Session(cfg(), hooks);
    s.start(0);
    const pkg3 = decodeSent(sent(s.receive(1, serverMsg({
      msgId: 1, statuses: [hdrStatus(1, 200), { msgRef: '1', cmdRef: '1', cmd: 'Alert', code: 200 }],
      cmds: [{ kind: 'Get', items: [{ target: './DevInfo/Mod' }] }],
    }))));
    assert.equal(pkg3.hdr.msgId, '2');
    assert.deepEqual(pkg3.body.map((c) => `${c.name}:${c.cmdRef}:${c.data?.text() ?? ''}`), ['Status:0:200', 'Status:3:200', 'Results:3:']);
    assert.equal(pkg3.body[0]!.msgRef, '1');
    assert.equal(pkg3.body[2]!.items[0]!.data!.text(), 'W3000');
    assert.equal(pkg3.final, true);
    assert.equal(hooks.commits, 1);
    const end = s.receive(2, serverMsg({ msgId: 2, statuses: [hdrStatus(2, 200)] }));
    assert.equal(end.kind, 'done');
    assert.equal((end as { result: { outcome: string } }).result.outcome, 'completed');
  });

  test('a server with nothing to do ends the session at package 2', () => {
    const s = new Session(cfg(), new Hooks());
    s.start(0);
    const r = s.receive(1, serverMsg({ msgId: 1, statuses: [hdrStatus(1, 200)] }));
    assert.equal(r.kind, 'done');
  });

  test('RespURI is honoured, server MaxMsgSize bounds our messages', () => {
    const big = 'x'.repeat(300);
    const values: Record<string, string> = {};
    for (let i = 0; i < 20; i++) values[`./V/${i}`] = big;
    const s = new Session(cfg(), new Hooks(new FakeDpu(values)));
    s.start(0);
    const gets = Object.keys(values).map((t) => ({ kind: 'Get' as const, items: [{ target: t }] }));
    const step = s.receive(1, serverMsg({ msgId: 1, hdr: { respUri: 'https://dm.example.com/dm?s=9', meta: { maxMsgSize: 2000 } }, statuses: [hdrStatus(1, 200)], cmds: gets }));
    const m1 = sent(step);
    assert.equal(m1.url, 'https://dm.example.com/dm?s=9');
    assert.ok(m1.body.length <= 2000, `${m1.body.length}`);
    assert.equal(m1.final, false, 'our package continues');
    // the server asks for the rest with Alert 1222 (no Final); we continue until everything is sent
    let msgs = [decodeSent(m1)];
    let id = 2;
    for (let guard = 0; guard < 40; guard++) {
      const last = msgs[msgs.length - 1]!;
      if (last.final) break;
      const next = sent(s.receive(id, serverMsg({ msgId: id, final: false, statuses: [hdrStatus(Number(last.hdr.msgId), 200)], cmds: [{ kind: 'Alert', code: 1222 }] })));
      assert.ok(next.body.length <= 2000);
      msgs.push(decodeSent(next));
      id++;
    }
    const results = msgs.flatMap((m) => m.body.filter((c) => c.name === 'Results'));
    assert.equal(results.length, 20);
    assert.ok(msgs.length > 2);
    assert.equal(msgs[msgs.length - 1]!.final, true);
  });
});

describe('Session: large objects out', () => {
  test('a Results larger than MaxMsgSize goes out in MoreData chunks with Meta Size on the first', () => {
    const data = new Uint8Array(5000).map((_, i) => (i * 7) & 0xff);
    const s = new Session(cfg(), new Hooks(new FakeDpu({ './Big': data })));
    s.start(0);
    let step = s.receive(1, serverMsg({ msgId: 1, hdr: { meta: { maxMsgSize: 1024 } }, statuses: [hdrStatus(1, 200)], cmds: [{ kind: 'Get', items: [{ target: './Big' }] }] }));
    const chunks: Uint8Array[] = [];
    let first = true;
    let id = 2;
    for (let guard = 0; guard < 20; guard++) {
      const out = sent(step);
      assert.ok(out.body.length <= 1024);
      const m = decodeSent(out);
      const r = m.body.find((c) => c.name === 'Results');
      if (r) {
        const it = r.items[0]!;
        chunks.push(it.data!.bytes.slice());
        if (first) assert.equal(it.meta?.size, 5000);
        else assert.equal(it.meta?.size, undefined);
        first = false;
        if (!it.moreData) break;
      }
      step = s.receive(id, serverMsg({ msgId: id, final: false, statuses: [hdrStatus(Number(m.hdr.msgId), 200), { msgRef: m.hdr.msgId, cmdRef: r?.cmdId ?? '2', cmd: 'Results', code: 213 }], cmds: [{ kind: 'Alert', code: 1222 }] }));
      id++;
    }
    const all = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
    let o = 0;
    for (const c of chunks) { all.set(c, o); o += c.length; }
    assert.deepEqual(all, data);
    assert.ok(chunks.length >= 5);
  });

  test('XML: binary values go as Base64 with Format b64', () => {
    const data = Uint8Array.from([0, 1, 2, 255]);
    const s = new Session(cfg({ encoding: 'xml' }), new Hooks(new FakeDpu({ './Bin': data })));
    s.start(0);
    const req = serverMsg({ msgId: 1, statuses: [hdrStatus(1, 200)], cmds: [{ kind: 'Get', items: [{ target: './Bin' }] }] });
    // answer in XML, as an XML server would
    const xml = new MessageDecoder().decode(req.body);
    void xml;
    const out = sent(s.receive(1, req));
    const m = decodeSent(out);
    const it = m.body.find((c) => c.name === 'Results')!.items[0]!;
    assert.equal(it.meta?.format, 'b64');
    assert.equal(it.data!.text(), b64encode(data));
    assert.match(utf8Decode(out.body), /^<\?xml/);
  });
});

describe('Session: server packages in several messages', () => {
  test('a server message without Final is answered with statuses and Alert 1222, no Final', () => {
    const s = new Session(cfg(), new Hooks());
    s.start(0);
    const m = decodeSent(sent(s.receive(1, serverMsg({ msgId: 1, final: false, statuses: [hdrStatus(1, 200)], cmds: [{ kind: 'Replace', items: [{ target: './A', data: '1' }] }] }))));
    assert.deepEqual(m.body.map((c) => c.name), ['Status', 'Status', 'Alert']);
    assert.equal(m.body[2]!.data!.text(), '1222');
    assert.equal(m.final, false);
    const m2 = decodeSent(sent(s.receive(2, serverMsg({ msgId: 2, final: true, cmds: [{ kind: 'Replace', items: [{ target: './B', data: '2' }] }] }))));
    assert.equal(m2.final, true);
    assert.deepEqual(m2.body.map((c) => c.name), ['Status', 'Status']);
  });
});

describe('Session: client authentication', () => {
  test('md5: 401 with Chal → package 1 again with the formula on the new nonce → 212 → nonce for next session kept', () => {
    const hooks = new Hooks();
    const s = new Session(cfg({ account: account({ authPref: 'DIGEST' }) }), hooks);
    const p1 = decodeSent(sent(s.start(0)));
    assert.equal(p1.hdr.cred?.meta.type, 'syncml:auth-md5');
    assert.equal(p1.hdr.sourceName, 'Bruce2');
    const nonce = utf8Encode('Nonce');
    const retry = decodeSent(sent(s.receive(1, serverMsg({ msgId: 1, statuses: [hdrStatus(1, 401, { meta: { type: 'syncml:auth-md5', format: 'b64', nextNonce: b64encode(nonce) } })] }))));
    // facts sheet §5.1 vector: Bruce2 / OhBehave / "Nonce"
    assert.equal(retry.hdr.cred?.data, 'Zz6EivR3yeaaENcRN6lpAQ==');
    assert.equal(retry.hdr.msgId, '2');
    assert.deepEqual(retry.body.map((c) => c.name), ['Status', 'Alert', 'Replace']);
    const next = b64encode(Uint8Array.from([9, 8, 7]));
    const r = s.receive(2, serverMsg({ msgId: 2, statuses: [hdrStatus(2, 212, { meta: { type: 'syncml:auth-md5', format: 'b64', nextNonce: next } })] }));
    assert.equal(r.kind, 'done');
    assert.deepEqual(hooks.nonces, [{ side: 'client', nonce: Uint8Array.from([9, 8, 7]) }]);
  });

  test('md5 credentials are the spec formula for the stored nonce', () => {
    const nonce = Uint8Array.from([0x2c, 0x6d, 0xe2, 0x65, 0x08, 0x61, 0x76, 0x62, 0x8d, 0x1e]);
    const a = account({ authPref: 'DIGEST' });
    a.client.nonce = nonce;
    const s = new Session(cfg({ account: a }), new Hooks());
    assert.equal(decodeSent(sent(s.start(0))).hdr.cred?.data, 'LAK2i25Fh0nxxGGaAzRRpg==');
    assert.equal(md5Credential('Bruce2', utf8Encode('OhBehave'), nonce), 'LAK2i25Fh0nxxGGaAzRRpg==');
  });

  test('basic: credentials on every message until 212', () => {
    const s = new Session(cfg({ account: account({ authPref: 'BASIC' }) }), new Hooks());
    assert.equal(decodeSent(sent(s.start(0))).hdr.cred?.data, 'QnJ1Y2UyOk9oQmVoYXZl');
    const m = decodeSent(sent(s.receive(1, serverMsg({ msgId: 1, statuses: [hdrStatus(1, 200)], cmds: [{ kind: 'Get', items: [{ target: './X' }] }] }))));
    assert.equal(m.hdr.cred?.data, 'QnJ1Y2UyOk9oQmVoYXZl', '200 (not 212): keep sending Cred');
  });

  test('repeated 401 → failed auth after the retry limit', () => {
    const s = new Session(cfg({ account: account({ authPref: 'DIGEST' }), limits: { maxAuthRetries: 2 } }), new Hooks());
    s.start(0);
    const chal = { meta: { type: 'syncml:auth-md5', format: 'b64', nextNonce: b64encode(utf8Encode('n')) } };
    sent(s.receive(1, serverMsg({ msgId: 1, statuses: [hdrStatus(1, 401, chal)] })));
    sent(s.receive(2, serverMsg({ msgId: 2, statuses: [hdrStatus(2, 401, chal)] })));
    const r = s.receive(3, serverMsg({ msgId: 3, statuses: [hdrStatus(3, 401, chal)] }));
    assert.equal(r.kind, 'done');
    assert.equal((r as { result: { reason: string } }).result.reason, 'auth-failed');
  });

  test('a challenge for another scheme than configured fails cleanly', () => {
    const s = new Session(cfg({ account: account({ authPref: 'BASIC' }) }), new Hooks());
    s.start(0);
    const r = s.receive(1, serverMsg({ msgId: 1, statuses: [hdrStatus(1, 407, { meta: { type: 'syncml:auth-md5', format: 'b64', nextNonce: 'AAAA' } })] }));
    assert.equal((r as { result: { reason: string } }).result.reason, 'auth-scheme');
  });

  test('HMAC: x-syncml-hmac on our messages (spec formula), verified on the server\'s', () => {
    const a = account({ authPref: 'HMAC' });
    a.client.nonce = utf8Encode('Nonce');
    a.server = { type: 'HMAC', name: 'srv', secret: utf8Encode('srvpw'), nonce: utf8Encode('sn') };
    const hooks = new Hooks();
    const s = new Session(cfg({ account: a }), hooks);
    const out = sent(s.start(0));
    const hv = out.headers.find(([k]) => k === 'x-syncml-hmac')![1];
    assert.ok(checkHmac(hv, 'Bruce2', utf8Encode('OhBehave'), utf8Encode('Nonce'), out.body));
    assert.equal(decodeSent(out).hdr.cred, undefined, 'HMAC never travels in Cred');
    // server message signed with the server's creds and the nonce we issued (stored 'sn')
    const resp = serverMsg({ msgId: 1, statuses: [hdrStatus(1, 200, { meta: { type: 'syncml:auth-MAC', format: 'b64', nextNonce: b64encode(utf8Encode('n2')) } })], cmds: [{ kind: 'Get', items: [{ target: './X' }] }] });
    resp.hmac = hmacHeader('srv', hmacMac('srv', utf8Encode('srvpw'), utf8Encode('sn'), resp.body));
    const reply = sent(s.receive(1, resp));
    const rv = reply.headers.find(([k]) => k === 'x-syncml-hmac')![1];
    assert.ok(checkHmac(rv, 'Bruce2', utf8Encode('OhBehave'), utf8Encode('n2'), reply.body), 'next message uses the new nonce');
    // our status for the server's header carries a fresh nonce for the server
    const st = decodeSent(reply).body[0]!;
    assert.equal(st.chal?.meta.type, 'syncml:auth-MAC');
    const issued = hooks.nonces.filter((n) => n.side === 'server');
    assert.equal(issued.length, 1);
    // a forged server message is refused: 401 with a fresh nonce, its commands not executed;
    // a server that keeps failing is dropped after the retry limit
    const dpu = hooks.dpu as FakeDpu;
    const runsBefore = dpu.runs.length;
    let r: SessionStep | null = null;
    for (let i = 2; i <= 4; i++) {
      const bad = serverMsg({ msgId: i, statuses: [hdrStatus(i - 1, 200)], cmds: [{ kind: 'Delete', items: [{ target: './A' }] }] });
      bad.hmac = hmacHeader('srv', hmacMac('srv', utf8Encode('wrong'), issued[0]!.nonce, bad.body));
      r = s.receive(i, bad);
      if (r.kind !== 'send') break;
      const m = decodeSent(r.message);
      assert.equal(m.body[0]!.data!.text(), '401');
      assert.equal(m.body[0]!.chal?.meta.type, 'syncml:auth-MAC');
      assert.equal(m.body[1]!.data!.text(), '401', 'the Delete is answered 401, not executed');
    }
    assert.equal(dpu.runs.length, runsBefore);
    assert.equal((r as { result: { reason: string } }).result.reason, 'hmac-mismatch');
  });
});

describe('Session: server authentication', () => {
  const withServerMd5 = (): ReturnType<typeof account> => {
    const a = account();
    a.server = { type: 'DIGEST', name: 'com.mgmtsrv.manage', secret: utf8Encode('srvSecret'), nonce: Uint8Array.from([1, 2, 3, 4]) };
    return a;
  };

  test('valid server md5 Cred → 212 with a new nonce (persisted) and commands executed', () => {
    const hooks = new Hooks();
    const s = new Session(cfg({ account: withServerMd5() }), hooks);
    s.start(0);
    const cred = { meta: { type: 'syncml:auth-md5', format: 'b64' }, data: md5Credential('com.mgmtsrv.manage', utf8Encode('srvSecret'), Uint8Array.from([1, 2, 3, 4])) };
    const m = decodeSent(sent(s.receive(1, serverMsg({ msgId: 1, hdr: { cred }, statuses: [hdrStatus(1, 200)], cmds: [{ kind: 'Replace', items: [{ target: './A', data: 'v' }] }] }))));
    assert.equal(m.body[0]!.data!.text(), '212');
    assert.ok(m.body[0]!.chal?.meta.nextNonce);
    assert.equal(m.body[1]!.data!.text(), '200');
    assert.equal(hooks.nonces.filter((n) => n.side === 'server').length, 1);
  });

  test('wrong or missing server Cred → 401/407 with Chal, and no command is executed', () => {
    for (const cred of [{ meta: { type: 'syncml:auth-md5', format: 'b64' }, data: 'AAAAAAAAAAAAAAAAAAAAAA==' }, undefined]) {
      const dpu = new FakeDpu();
      const s = new Session(cfg({ account: withServerMd5() }), new Hooks(dpu));
      s.start(0);
      const hdr = cred ? { cred } : {};
      const m = decodeSent(sent(s.receive(1, serverMsg({ msgId: 1, hdr, statuses: [hdrStatus(1, 200)], cmds: [{ kind: 'Delete', items: [{ target: './A' }] }] }))));
      const code = cred ? '401' : '407';
      assert.equal(m.body[0]!.data!.text(), code);
      assert.ok(m.body[0]!.chal);
      assert.equal(m.body[1]!.data!.text(), code, 'the Delete is answered, not executed');
      assert.equal(dpu.runs.length, 0);
    }
  });
});

describe('Session: ending and limits', () => {
  test('Alert 1223 from the server aborts the session', () => {
    const s = new Session(cfg(), new Hooks());
    s.start(0);
    const r = s.receive(1, serverMsg({ msgId: 1, statuses: [hdrStatus(1, 200)], cmds: [{ kind: 'Alert', code: 1223 }] }));
    assert.equal(r.kind, 'done');
    assert.equal((r as { result: { outcome: string } }).result.outcome, 'aborted');
  });

  test('a server repeating the same commands forever is cut off with Alert 1223', () => {
    const s = new Session(cfg({ limits: { maxRepeats: 3 } }), new Hooks());
    s.start(0);
    let last: SessionStep | null = null;
    for (let i = 1; i <= 10; i++) {
      last = s.receive(i, serverMsg({ msgId: i, statuses: [hdrStatus(i, 200)], cmds: [{ kind: 'Get', items: [{ target: './DevInfo/Mod' }] }] }));
      if (s.result) break;
    }
    assert.ok(s.result);
    assert.equal(s.result!.reason, 'loop-detected');
    const abortMsg = decodeSent(sent(last!));
    assert.equal(abortMsg.body.at(-1)!.data!.text(), '1223');
    assert.equal((last as { message: OutgoingMessage }).message.expectReply, false);
  });

  test('message count and session time caps', () => {
    const s = new Session(cfg({ limits: { maxMessages: 3, maxRepeats: 100 } }), new Hooks());
    s.start(0);
    for (let i = 1; i <= 5 && !s.result; i++) s.receive(i, serverMsg({ msgId: i, statuses: [hdrStatus(i, 200)], cmds: [{ kind: 'Get', items: [{ target: `./X${i}` }] }] }));
    assert.equal(s.result?.reason, 'too-many-messages');
    const t = new Session(cfg({ limits: { maxSessionMs: 1000 } }), new Hooks());
    t.start(0);
    t.receive(5000, serverMsg({ msgId: 1, statuses: [hdrStatus(1, 200)], cmds: [{ kind: 'Get', items: [{ target: './X' }] }] }));
    assert.equal(t.result?.reason, 'session-timeout');
  });

  test('malformed, wrongly typed or foreign-session responses fail cleanly', () => {
    let s = new Session(cfg(), new Hooks());
    s.start(0);
    assert.equal((s.receive(1, { contentType: 'application/vnd.syncml.dm+wbxml', body: Uint8Array.from([3, 0xa4, 1, 0x6a, 0, 0x6d]) }) as { result: { reason: string } }).result.reason, 'malformed-message');
    s = new Session(cfg(), new Hooks());
    s.start(0);
    assert.equal((s.receive(1, { contentType: 'text/html', body: utf8Encode('<html/>') }) as { result: { reason: string } }).result.reason, 'bad-content-type');
    s = new Session(cfg(), new Hooks());
    s.start(0);
    assert.equal((s.receive(1, serverMsg({ msgId: 1, sessionId: '99', statuses: [hdrStatus(1, 200)] })) as { result: { reason: string } }).result.reason, 'session-id-mismatch');
    s = new Session(cfg({ sessionId: '0A3F' }), new Hooks());
    s.start(0);
    assert.equal(s.receive(1, serverMsg({ msgId: 1, sessionId: 'a3f', statuses: [hdrStatus(1, 200)] })).kind, 'done', 'quirk: loose SessionID comparison');
  });

  test('505 on our header → version-rejected (the caller may retry as DM 1.1.2)', () => {
    const s = new Session(cfg(), new Hooks());
    s.start(0);
    const r = s.receive(1, serverMsg({ msgId: 1, statuses: [hdrStatus(1, 505)] }));
    assert.equal((r as { result: { reason: string } }).result.reason, 'version-rejected');
    const t = new Session(cfg(), new Hooks());
    t.start(0);
    const m = decodeSent(sent(t.restartAs('1.1.2', 1)));
    assert.equal(m.version, '1.1.2');
    assert.equal(m.hdr.msgId, '1');
  });
});

describe('Session: generic alerts and UI', () => {
  test('pending 1226 alerts go in package 1 (1.2 only) and their acknowledgement is reported', () => {
    const alert = { id: 'fumo-1', code: 1226, correlator: 'c9', items: [{ source: './FUMO/x', meta: { type: 'org.openmobilealliance.dm.firmwareupdate.update', format: 'int' }, data: '200' }] };
    const hooks = new Hooks();
    const s = new Session(cfg({ alerts: [alert] }), hooks);
    const p1 = decodeSent(sent(s.start(0)));
    const ga = p1.body[2]!;
    assert.equal(ga.data!.text(), '1226');
    assert.equal(ga.correlator, 'c9');
    s.receive(1, serverMsg({ msgId: 1, statuses: [hdrStatus(1, 200), { msgRef: '1', cmdRef: ga.cmdId!, cmd: 'Alert', code: 200 }] }));
    assert.deepEqual(hooks.alertStatus, [{ id: 'fumo-1', code: 200 }]);
    const old = new Session(cfg({ alerts: [alert], version: '1.1.2' }), new Hooks());
    assert.deepEqual(decodeSent(sent(old.start(0))).body.map((c) => c.data?.text() ?? c.name), ['1201', 'Replace']);
  });

  test('a UI alert pauses the session until the user answers', () => {
    const s = new Session(cfg(), new Hooks());
    s.start(0);
    const step = s.receive(1, serverMsg({ msgId: 1, statuses: [hdrStatus(1, 200)], cmds: [{ kind: 'Alert', code: 1101, items: [{ data: 'MAXDT=30' }, { data: 'Proceed?' }] }] }));
    assert.equal(step.kind, 'ui');
    assert.equal((step as { request: { text: string } }).request.text, 'Proceed?');
    assert.throws(() => s.receive(2, serverMsg({ msgId: 2 })), TypeError);
    const m = decodeSent(sent(s.answer(2, { outcome: 'no' })));
    assert.equal(m.body[1]!.data!.text(), '304');
  });
});

describe('Session: alerts raised during the session', () => {
  test('an alert queued after package 1 goes out in the same session, once', () => {
    const hooks = new Hooks();
    const queue: { id: string; code: number; items: { source: string; meta: { type: string; format: string }; data: string }[] }[] = [];
    hooks.pendingAlerts = () => queue;
    const s = new Session(cfg(), hooks);
    s.start(0);
    // while the server's package 2 is processed, an operation completes and queues its result
    queue.push({ id: 'op1', code: 1226, items: [{ source: './FUMO/x', meta: { type: 'org.openmobilealliance.dm.firmwareupdate.update', format: 'int' }, data: '200' }] });
    const m = decodeSent(sent(s.receive(1, serverMsg({ msgId: 1, statuses: [hdrStatus(1, 200)] }))));
    assert.deepEqual(m.body.map((c) => `${c.name}:${c.data?.text()}`), ['Status:200', 'Alert:1226']);
    // the server acknowledges; the alert is not sent again and the session ends
    const ga = m.body[1]!;
    const end = s.receive(2, serverMsg({ msgId: 2, statuses: [hdrStatus(2, 200), { msgRef: '2', cmdRef: ga.cmdId!, cmd: 'Alert', code: 200 }] }));
    assert.equal(end.kind, 'done');
    assert.deepEqual(hooks.alertStatus, [{ id: 'op1', code: 200 }]);
  });
});
