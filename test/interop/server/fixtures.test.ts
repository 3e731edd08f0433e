// Interop (node-only): every example script and the complete example of docs/server.md are valid,
// and each example script runs against the scripted client to the outcome it documents.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DmServer } from '../../../src/server/DmServer';
import { parseScript } from '../../../src/server/script';
import { loadScriptFile } from '../../../target/node/server';
import { ROOT, fixture } from '../../helpers/paths';
import { MiniClient, codeOf, commandsOf, hdrStatus, oracle } from '../../unit/server/client';

describe('example scripts', () => {
  const files = readdirSync(fixture('server')).filter((f) => f.endsWith('.json'));
  test('there are examples', () => assert.ok(files.length >= 8, files.join(',')));
  for (const f of files) {
    test(`${f} is a valid script`, () => {
      const s = loadScriptFile(fixture('server', f));
      assert.equal(typeof s.serverId, 'string');
    });
  }

  test('large-object.json: the dataFile payload arrives in chunks under a 1 KiB MaxMsgSize', () => {
    const dm = new DmServer(loadScriptFile(fixture('server', 'large-object.json')));
    const c = new MiniClient(dm, { enc: 'xml', maxMsgSize: 1024 });
    const payload = readFileSync(fixture('server', 'payload.txt'), 'utf8');
    let m = c.pkg1().msg!;
    const parts: string[] = [];
    while (!m.final) {
      assert.ok(dm.sessions()[0]!.messages.at(-1)!.length <= 1024);
      for (const k of commandsOf(m)) if (k.name === 'Replace') parts.push(k.items[0]!.data!.text());
      m = c.send([...c.answer(m), { kind: 'Alert', code: 1222 }], { final: false }).msg!;
    }
    for (const k of commandsOf(m)) if (k.name === 'Replace') parts.push(k.items[0]!.data!.text());
    assert.equal(parts.join(''), payload);
    c.tree.set('./Vendor/omadm/Blob', payload);
    const end = c.send(c.answer(m)).msg!;
    assert.equal(commandsOf(end).length, 0);
    const rec = dm.sessions()[0]!;
    assert.equal(rec.outcome, 'completed');
    assert.deepEqual(rec.failures, []);
  });

  test('dm112-reject.json: a 1.2 client gets 513, its 1.1.2 retry completes', () => {
    const dm = new DmServer(loadScriptFile(fixture('server', 'dm112-reject.json')));
    const c = new MiniClient(dm);
    assert.equal(codeOf(hdrStatus(c.pkg1().msg!)), 513);
    c.version = '1.1.2';
    c.tree.set('./DevInfo/DmV', '1.1.2');
    const m = c.pkg1().msg!;
    c.send(c.answer(m));
    assert.deepEqual(dm.sessions().map((r) => r.outcome), ['version-rejected', 'completed']);
  });

  test('the complete example of docs/server.md is valid and runs', () => {
    const md = readFileSync(join(ROOT, 'docs', 'server.md'), 'utf8');
    const at = md.indexOf('## Complete example');
    const block = /```json\n([\s\S]*?)\n```/.exec(md.slice(at));
    assert.ok(block, 'no JSON block after "## Complete example"');
    const script = parseScript(JSON.parse(block[1]!));
    assert.equal(script.packages.length, 2);
    const dm = new DmServer(script, { randomFill: (b) => b.fill(1) });
    const c = new MiniClient(dm);
    const cred = { cred: { meta: { type: 'syncml:auth-md5', format: 'b64' }, data: oracle.md5('dev1', 'devpw', 'AAECAwQFBgcICQoLDA0ODw==') }, sourceName: 'dev1' };
    let m = c.pkg1(cred).msg!;
    assert.equal(codeOf(hdrStatus(m)), 212);
    assert.equal(m.hdr.respUri, 'http://127.0.0.1:8080/dm/1A2B');
    c.tree.set('./DevInfo/Mod', 'Model-X');
    for (let i = 0; i < 3 && commandsOf(m).length > 0; i++) m = c.send(c.answer(m)).msg!;
    const rec = dm.sessions()[0]!;
    assert.equal(rec.outcome, 'completed');
    assert.deepEqual(rec.failures.map((f) => f.message), []);
  });
});
