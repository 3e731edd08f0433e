// Interop (node-only): the Node listener over real loopback sockets — HTTP and HTTPS (openssl-made
// CA and certificate), both encodings, keep-alive, body limit, fault directives on the wire, state file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../../target/node/server';
import type { RunningServer } from '../../../target/node/server';
import { fixture } from '../../helpers/paths';
import { MiniClient, codeOf, commandsOf, hdrStatus, oracle } from '../../unit/server/client';
import type { TestPki } from './http';
import { ctOf, decode, makePki, post, runSession, sendHttp } from './http';

let pki: TestPki;
before(() => { pki = makePki(); });

describe('Node listener: full sessions', () => {
  const servers: RunningServer[] = [];
  after(async () => { await Promise.all(servers.map((s) => s.close())); });

  for (const tls of [false, true]) {
    for (const enc of ['wbxml', 'xml'] as const) {
      test(`${tls ? 'HTTPS' : 'HTTP'} ${enc}: the basic script runs to completion over one keep-alive connection`, async () => {
        const srv = await startServer({ script: fixture('server', 'basic.json'), port: 0, ...(tls ? { tls: { key: pki.key, cert: pki.cert } } : {}) });
        servers.push(srv);
        assert.match(srv.url, tls ? /^https:\/\/127\.0\.0\.1:\d+\/dm$/ : /^http:\/\/127\.0\.0\.1:\d+\/dm$/);
        const agent = tls ? new https.Agent({ keepAlive: true, maxSockets: 1, ca: pki.caCert }) : new http.Agent({ keepAlive: true, maxSockets: 1 });
        const c = new MiniClient(null, { enc });
        c.tree.set('./DevDetail/FwV', '1.0');
        const { msgs, results } = await runSession(srv.url, c, { agent, ...(tls ? { ca: pki.caCert } : {}) });
        agent.destroy();
        assert.equal(msgs.length, 3);
        assert.deepEqual(msgs.map((m) => commandsOf(m).length), [4, 2, 0]);
        assert.ok(results.every((r) => r.headers['content-type'] === (enc === 'wbxml' ? 'application/vnd.syncml.dm+wbxml' : 'application/vnd.syncml.dm+xml')));
        assert.ok(results.every((r) => r.headers['content-length'] === String(r.body.length)));
        // keep-alive: every request after the first reused the same connection
        assert.deepEqual(results.map((r) => r.reused), [false, true, true]);
        assert.equal(new Set(results.map((r) => r.localPort)).size, 1);
        const rec = await srv.waitForSession(1, 5000);
        assert.equal(rec.outcome, 'completed');
        assert.deepEqual(rec.failures, []);
        assert.equal(rec.encoding, enc);
        assert.equal(rec.messages[0]!.http.url, `${srv.url}`);
        assert.equal(rec.results['./DevDetail/FwV']!.value, '1.0');
      });
    }
  }

  test('HTTPS refuses a client that does not trust the CA', async () => {
    const srv = await startServer({ script: fixture('server', 'basic.json'), port: 0, tls: { key: pki.key, cert: pki.cert } });
    servers.push(srv);
    const c = new MiniClient(null);
    await assert.rejects(post(srv.url, c.build(c.pkg1Records()), { headers: { 'content-type': ctOf(c) } }), /self[- ]signed|unable to (get|verify)/i);
    assert.equal(srv.sessions().length, 0);
  });
});

describe('Node listener: HTTP envelope and faults on the wire', () => {
  let srv: RunningServer;
  after(async () => { await srv?.close(); });

  test('413 above the body limit (declared or streamed), 405 for GET, 415 for other types', async () => {
    srv = await startServer({ script: fixture('server', 'basic.json'), port: 0, bodyLimit: 1000 });
    const big = new Uint8Array(2000).fill(0x41);
    const r1 = await post(srv.url, big, { headers: { 'content-type': 'application/vnd.syncml.dm+xml' } });
    assert.equal(r1.status, 413);
    // chunked upload without Content-Length
    const u = new URL(srv.url);
    const r2 = await new Promise<number>((resolve, reject) => {
      const req = http.request({ method: 'POST', hostname: u.hostname, port: u.port, path: u.pathname, headers: { 'content-type': 'application/vnd.syncml.dm+xml', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(Buffer.from(big.subarray(0, 800)));
      req.end(Buffer.from(big.subarray(800)));
    });
    assert.equal(r2, 413);
    const r3 = await post(srv.url, new Uint8Array(0), { method: 'GET' });
    assert.equal(r3.status, 405);
    const c = new MiniClient(null);
    const r4 = await post(srv.url, c.build(c.pkg1Records()), { headers: { 'content-type': 'text/plain' } });
    assert.equal(r4.status, 415);
    assert.deepEqual(srv.dm.events().map((e) => e.message.error!.slice(0, 8)), ['HTTP 413', 'HTTP 413', 'HTTP 405', 'HTTP 415']);
  });

  test('faults.json: drop, HTTP 503, delayed and cut answer; the client retries and finishes', async () => {
    const s = await startServer({ script: fixture('server', 'faults.json'), port: 0 });
    try {
      const c = new MiniClient(null);
      const body = c.build(c.pkg1Records());
      const h = { headers: { 'content-type': ctOf(c) } };
      await assert.rejects(post(s.url, body, h), /socket hang up|ECONNRESET/);
      const r503 = await post(s.url, body, h);
      assert.equal(r503.status, 503);
      const ok = await post(s.url, body, h);
      assert.equal(ok.status, 200);
      const m2 = decode(ok.body);
      assert.deepEqual(commandsOf(m2).map((k) => k.items[0]!.target), ['./DevInfo/Mod']);
      // package 1 answer: delayed, then the connection is cut after 20 bytes of a longer body
      const ans = c.build(c.answer(m2));
      await assert.rejects(post(s.url, ans, h), /aborted|incomplete|socket hang up|ECONNRESET/);
      // the client retries the same message: the server repeats its answer
      const again = await post(s.url, ans, h);
      assert.equal(again.status, 200);
      const m4 = decode(again.body);
      assert.deepEqual(commandsOf(m4).map((k) => k.items[0]!.target), ['./DevInfo/DevId']);
      const end = decode((await post(s.url, c.build(c.answer(m4)), h)).body);
      assert.equal(commandsOf(end).length, 0);
      const rec = await s.waitForSession(1, 5000);
      assert.equal(rec.outcome, 'completed');
      assert.deepEqual(rec.failures, []);
      assert.deepEqual(rec.messages.filter((m) => m.fault !== undefined).map((m) => `${m.dir}:${m.fault!.split(',')[0]}`), [
        'in:dropAfterRequest', 'in:httpStatus 503', 'out:httpStatus 503', 'out:delayMs 200', 'out:retransmission: repeated the previous answer',
      ]);
    } finally {
      await s.close();
    }
  });

  test('truncateBody without close: a complete HTTP transfer of a cut message', async () => {
    const s = await startServer({ script: { packages: [{ commands: [{ cmd: 'Get', target: './a' }], faults: { truncateBody: { bytes: 12, close: false } } }] }, port: 0 });
    try {
      const c = new MiniClient(null, { enc: 'xml' });
      const r = await post(s.url, c.build(c.pkg1Records()), { headers: { 'content-type': ctOf(c) } });
      assert.equal(r.status, 200);
      assert.equal(r.body.length, 12);
      assert.equal(Buffer.from(r.body).toString(), '<?xml versio');
    } finally {
      await s.close();
    }
  });

  test('redirect: 307 to another path, then the session continues there', async () => {
    const s = await startServer({ script: { packages: [{ commands: [{ cmd: 'Get', target: './DevInfo/Mod' }], faults: { redirect: { location: '/dm/elsewhere' } } }] }, port: 0 });
    try {
      const c = new MiniClient(null);
      const body = c.build(c.pkg1Records());
      const r = await post(s.url, body, { headers: { 'content-type': ctOf(c) } });
      assert.equal(r.status, 307);
      assert.equal(r.headers.location, s.url.replace(/\/dm$/, '/dm/elsewhere'));
      const r2 = await post(r.headers.location!, body, { headers: { 'content-type': ctOf(c) } });
      assert.equal(r2.status, 200);
      assert.equal(s.sessions()[0]!.messages.at(-2)!.http.url, r.headers.location);
    } finally {
      await s.close();
    }
  });
});

describe('Node listener: state file', () => {
  test('md5 nonces survive a restart through the JSON state file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omadm-state-'));
    const stateFile = join(dir, 'state.json');
    const script = JSON.parse(readFileSync(fixture('server', 'md5-both-ways.json'), 'utf8')) as Record<string, unknown>;
    const s1 = await startServer({ script, port: 0, stateFile });
    const c = new MiniClient(null);
    const cred = (n: string): { cred: { meta: { type: string; format: string }; data: string }; sourceName: string } =>
      ({ cred: { meta: { type: 'syncml:auth-md5', format: 'b64' }, data: oracle.md5('dev1', 'devpw', n) }, sourceName: 'dev1' });
    // first contact with the script's nonce: 212 + next-session nonce
    const x = await sendHttp(s1.url, c, c.pkg1Records(), cred('AAECAwQFBgcICQoLDA0ODw=='));
    assert.equal(codeOf(hdrStatus(x.m!)), 212);
    // the server's own Cred uses the nonce the client issued (script default)
    assert.equal(x.m!.hdr.cred!.data, oracle.md5('com.mgmtsrv.manage', 'srvpw', 'EBESExQVFhcYGRobHB0eHw=='));
    const next = hdrStatus(x.m!).chal!.meta.nextNonce!;
    await s1.close();
    assert.ok(existsSync(stateFile));
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as { version: number; devices: Record<string, { clientNonce: string }> };
    assert.equal(saved.version, 1);
    assert.equal(saved.devices[c.deviceId]!.clientNonce, next);
    // a new server process loads the state: the stored nonce works at once, the script one is stale
    const s2 = await startServer({ script, port: 0, stateFile });
    try {
      const c2 = new MiniClient(null, { sessionId: '2' });
      const y = await sendHttp(s2.url, c2, c2.pkg1Records(), cred(next));
      assert.equal(codeOf(hdrStatus(y.m!)), 212);
      const c3 = new MiniClient(null, { sessionId: '3' });
      const z = await sendHttp(s2.url, c3, c3.pkg1Records(), cred('AAECAwQFBgcICQoLDA0ODw=='));
      assert.equal(codeOf(hdrStatus(z.m!)), 401);
    } finally {
      await s2.close();
    }
    writeFileSync(stateFile, '{"version": 9}');
    await assert.rejects(startServer({ script, port: 0, stateFile }), /state.version: unsupported 9/);
  });

  test('waitForSession rejects when the session does not end in time', async () => {
    const s = await startServer({ script: fixture('server', 'never-end.json'), port: 0 });
    try {
      const c = new MiniClient(null);
      await sendHttp(s.url, c, c.pkg1Records());
      await assert.rejects(s.waitForSession(1, 50), /waitForSession\(1\): no end after 50 ms \(session is active\)/);
    } finally {
      await s.close();
    }
  });
});
