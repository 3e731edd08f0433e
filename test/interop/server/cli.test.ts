// Interop (node-only): `omadm server` (serverMain) — listens, logs redacted XML, stops with --once
// or on abort, writes the records file; usage errors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverMain } from '../../../target/node/server-cli';
import type { RunningServer } from '../../../target/node/server';
import { fixture } from '../../helpers/paths';
import { MiniClient, oracle } from '../../unit/server/client';
import { runSession } from './http';

function io(): { out: string[]; err: string[]; started: Promise<RunningServer>; o: Parameters<typeof serverMain>[1] & object } {
  const out: string[] = [];
  const err: string[] = [];
  let resolve: (s: RunningServer) => void = () => {};
  const started = new Promise<RunningServer>((ok) => { resolve = ok; });
  return { out, err, started, o: { out: (t) => out.push(t), err: (t) => err.push(t), onListening: (s) => resolve(s) } };
}

describe('omadm server (serverMain)', () => {
  test('--once: prints the URL and the redacted transcript, exits 0 after a clean session, writes --record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omadm-cli-'));
    const record = join(dir, 'rec.json');
    const x = io();
    const done = serverMain(['--script', fixture('server', 'md5-both-ways.json'), '--port', '0', '--once', '--record', record], x.o);
    const srv = await x.started;
    const c = new MiniClient(null);
    await runSession(srv.url, c, {}, { cred: { meta: { type: 'syncml:auth-md5', format: 'b64' }, data: oracle.md5('dev1', 'devpw', 'AAECAwQFBgcICQoLDA0ODw==') }, sourceName: 'dev1' });
    assert.equal(await done, 0);
    const text = x.out.join('');
    assert.match(text, new RegExp(`^omadm test server "md5 both ways" listening on ${srv.url.replace(/\./g, '\\.')} \\(1 package\\(s\\), server id com\\.mgmtsrv\\.manage\\)\\n`));
    assert.match(text, />>> client session 1 \(IMEI:493005100592800, SessionID 1A2B\): MsgID 1, wbxml, DM 1\.2, \d+ bytes, Final \[POST http/);
    assert.match(text, /<<< server session 1 .*MsgID 1.*\[HTTP 200\]\n<\?xml/);
    assert.match(text, /=== session 1 \(IMEI:493005100592800, SessionID 1A2B\): completed, 1 package\(s\)/);
    // secrets never printed
    assert.ok(!text.includes(oracle.md5('dev1', 'devpw', 'AAECAwQFBgcICQoLDA0ODw==')));
    assert.match(text, /<Cred>[\s\S]*?<Data>\*\*\*<\/Data>/);
    const doc = JSON.parse(readFileSync(record, 'utf8')) as { sessions: { outcome: string; messages: unknown[] }[]; serverId: string };
    assert.equal(doc.serverId, 'com.mgmtsrv.manage');
    assert.equal(doc.sessions.length, 1);
    assert.equal(doc.sessions[0]!.outcome, 'completed');
    assert.equal(doc.sessions[0]!.messages.length, 4);
  });

  test('--once exits 1 when the session has failures; --quiet prints summaries only', async () => {
    const x = io();
    const done = serverMain(['--script', fixture('server', 'basic.json'), '--port', '0', '--once', '--quiet'], x.o);
    const srv = await x.started;
    const c = new MiniClient(null);
    c.tree.delete('./DevInfo/Mod'); // Get ./DevInfo/Mod (expect 200) will be answered 404
    await runSession(srv.url, c);
    assert.equal(await done, 1);
    const text = x.out.join('');
    assert.ok(!text.includes('<SyncML'), 'quiet');
    assert.match(text, /=== session 1 .*: completed, 2 package\(s\).*[1-9]\d* failure\(s\)\n  FAIL packages\[0\]\.commands\[0\]: Get \.\/DevInfo\/Mod: status 404, expected 200 \(client MsgID 2\)\n/);
  });

  test('abort signal stops a server that never saw a session', async () => {
    const x = io();
    const ac = new AbortController();
    const done = serverMain(['--script', fixture('server', 'basic.json'), '--port', '0'], { ...x.o, signal: ac.signal });
    await x.started;
    ac.abort();
    assert.equal(await done, 0);
  });

  test('usage errors return 2 with a message', async () => {
    const cases: [string[], RegExp][] = [
      [[], /--script is required/],
      [['--script', 'x.json', '--port', 'abc'], /--port must be 0\.\.65535/],
      [['--script', fixture('server', 'basic.json'), '--tls-key', 'k.pem'], /--tls-key and --tls-cert go together/],
      [['--bogus'], /Unknown option '--bogus'/],
      [['--script', join(tmpdir(), 'no-such-script.json')], /ENOENT/],
    ];
    for (const [argv, re] of cases) {
      const x = io();
      assert.equal(await serverMain(argv, x.o), 2, argv.join(' '));
      assert.match(x.err.join(''), re);
    }
    const dir = mkdtempSync(join(tmpdir(), 'omadm-cli-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ packages: [{ commands: [{ cmd: 'Get' }] }] }));
    const x = io();
    assert.equal(await serverMain(['server', '--script', bad], x.o), 2);
    assert.match(x.err.join(''), /invalid script: packages\[0\]\.commands\[0\]\.target: Get needs a target URI/);
  });
});
