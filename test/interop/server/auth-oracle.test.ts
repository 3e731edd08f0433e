// Interop (node-only): the server's credentials and HMAC headers checked against python3 hashlib,
// over a real HTTP session (facts §5.1 formulas computed by an independent implementation).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startServer } from '../../../target/node/server';
import { parseHmacHeader } from '../../../src/server/auth';
import { fixture } from '../../helpers/paths';
import { MiniClient, codeOf, hdrStatus } from '../../unit/server/client';
import { sendHttp } from './http';

/** python3: md5 credential and auth-MAC for each case (nonce and body as base64). */
const PY = String.raw`
import sys, json, hashlib, base64
def b64md5(b): return base64.b64encode(hashlib.md5(b).digest())
out = []
for c in json.load(sys.stdin):
    inner = b64md5((c['user'] + ':' + c['pw']).encode())
    nonce = base64.b64decode(c['nonce'])
    r = {'md5': b64md5(inner + b':' + nonce).decode(), 'basic': base64.b64encode((c['user'] + ':' + c['pw']).encode()).decode()}
    if 'body' in c:
        r['mac'] = b64md5(inner + b':' + nonce + b':' + b64md5(base64.b64decode(c['body']))).decode()
    out.append(r)
print(json.dumps(out))
`;

interface Case { user: string; pw: string; nonce: string; body?: string }
function python(cases: Case[]): { md5: string; basic: string; mac?: string }[] {
  return JSON.parse(execFileSync('python3', ['-c', PY], { input: JSON.stringify(cases), timeout: 30000 }).toString()) as { md5: string; basic: string; mac?: string }[];
}

describe('auth against python3 hashlib', () => {
  test('facts §5.1 vectors', () => {
    const [v] = python([{ user: 'Bruce2', pw: 'OhBehave', nonce: Buffer.from('Nonce').toString('base64'), body: Buffer.from('<SyncML xmlns="SYNCML:SYNCML1.2"></SyncML>').toString('base64') }]);
    assert.deepEqual(v, { md5: 'Zz6EivR3yeaaENcRN6lpAQ==', basic: 'QnJ1Y2UyOk9oQmVoYXZl', mac: 'aSBvnDHzBa7JhdjeEEUR2g==' });
  });

  test('HMAC session: the client mac (python) is accepted, every server mac matches python, nonces rotate', async () => {
    const script = JSON.parse(readFileSync(fixture('server', 'hmac.json'), 'utf8')) as Record<string, unknown>;
    const srv = await startServer({ script, port: 0 });
    try {
      const c = new MiniClient(null);
      const serverNonce = 'EBESExQVFhcYGRobHB0eHw==';
      // pkg1 signed by python with the script's client nonce
      const body1 = c.build(c.pkg1Records());
      const [p1] = python([{ user: 'dev1', pw: 'devpw', nonce: 'AAECAwQFBgcICQoLDA0ODw==', body: Buffer.from(body1).toString('base64') }]);
      c.msgId--; // resend the same message number with the header
      const x1 = await sendHttp(srv.url, c, c.pkg1Records(), {}, { headers: { 'x-syncml-hmac': `algorithm=MD5, username="dev1", mac=${p1!.mac!}` } });
      assert.equal(codeOf(hdrStatus(x1.m!)), 200);
      const bodies = [x1.r];
      const next = hdrStatus(x1.m!).chal!.meta.nextNonce!;
      const x2 = await sendHttp(srv.url, c, c.answer(x1.m!), { hmac: { username: 'dev1', password: 'devpw', nonce: next } });
      assert.equal(codeOf(hdrStatus(x2.m!)), 200);
      assert.notEqual(hdrStatus(x2.m!).chal!.meta.nextNonce, next);
      bodies.push(x2.r);
      const want = python(bodies.map((r) => ({ user: 'com.mgmtsrv.manage', pw: 'srvpw', nonce: serverNonce, body: Buffer.from(r.body).toString('base64') })));
      assert.deepEqual(bodies.map((r) => parseHmacHeader(String(r.headers['x-syncml-hmac']))!.mac), want.map((w) => w.mac));
      const rec = await srv.waitForSession(1, 5000);
      assert.equal(rec.outcome, 'completed');
      assert.deepEqual(rec.failures, []);
    } finally {
      await srv.close();
    }
  });

  test('md5 server Cred equals python over the nonce the client issued', async () => {
    const srv = await startServer({ script: fixture('server', 'md5-both-ways.json'), port: 0 });
    try {
      const c = new MiniClient(null);
      const x = await sendHttp(srv.url, c, c.pkg1Records());
      assert.equal(codeOf(hdrStatus(x.m!)), 407);
      const n = hdrStatus(x.m!).chal!.meta.nextNonce!;
      const [srvCred, devCred] = python([
        { user: 'com.mgmtsrv.manage', pw: 'srvpw', nonce: 'EBESExQVFhcYGRobHB0eHw==' },
        { user: 'dev1', pw: 'devpw', nonce: n },
      ]);
      assert.equal(x.m!.hdr.cred!.data, srvCred!.md5);
      const y = await sendHttp(srv.url, c, c.pkg1Records(), { cred: { meta: { type: 'syncml:auth-md5', format: 'b64' }, data: devCred!.md5 }, sourceName: 'dev1' });
      assert.equal(codeOf(hdrStatus(y.m!)), 212);
    } finally {
      await srv.close();
    }
  });
});
