// Unit (portable): MaxMsgSize splitting both ways, large objects both ways, DM 1.1.2, session end
// rules, aborts and neverEnd.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command, Message, OutCommand, OutRecord } from '../../../src/codec/model';
import { b64decode, b64encode } from '../../../src/crypto/base64';
import { DmServer } from '../../../src/server/DmServer';
import { parseScript } from '../../../src/server/script';
import { concatBytes } from '../../../src/util/bytes';
import { utf8Decode, utf8Length } from '../../../src/util/utf8';
import { MiniClient, last, codeOf, commandsOf, hdrStatus, shape } from './client';

function make(script: Record<string, unknown>, enc: 'wbxml' | 'xml' = 'wbxml', maxMsgSize?: number, maxObjSize?: number): { s: DmServer; c: MiniClient } {
  const s = new DmServer(parseScript(script), { now: () => 0, randomFill: (b) => b.fill(3) });
  const o: { enc: 'wbxml' | 'xml'; maxMsgSize?: number; maxObjSize?: number } = { enc };
  if (maxMsgSize !== undefined) o.maxMsgSize = maxMsgSize;
  if (maxObjSize !== undefined) o.maxObjSize = maxObjSize;
  return { s, c: new MiniClient(s, o) };
}

/** Drives one server package to its Final: answers each non-final message with statuses + Alert 1222. */
function drain(c: MiniClient, first: Message, cap: number, code?: (k: Command) => number | undefined): { msgs: Message[]; sizes: number[] } {
  const msgs: Message[] = [first];
  const sizes: number[] = [];
  let m = first;
  let body = last(last(c.server!.sessions())!.messages)!.length;
  sizes.push(body);
  while (!m.final) {
    assert.ok(body <= cap, `message of ${body} bytes > MaxMsgSize ${cap}`);
    const x = c.send([...c.answer(m, code), { kind: 'Alert', code: 1222 }], { final: false });
    assert.equal(x.resp.status, 200);
    m = x.msg!;
    body = x.resp.body.length;
    sizes.push(body);
    msgs.push(m);
    assert.ok(msgs.length < 500, 'runaway');
  }
  assert.ok(body <= cap, `message of ${body} bytes > MaxMsgSize ${cap}`);
  return { msgs, sizes };
}

describe('server multi-message packages (client MaxMsgSize)', () => {
  for (const [enc, cap] of [['wbxml', 600], ['xml', 1200]] as const) {
    test(`${enc}: 40 commands split under MaxMsgSize ${cap}, no Final until the last, continued on Alert 1222`, () => {
      const commands = Array.from({ length: 40 }, (_, i) => ({ cmd: 'Replace', target: `./Vendor/x/n${i}`, data: `value-${i}-${'v'.repeat(40)}`, expect: 200 }));
      const { s, c } = make({ packages: [{ commands }] }, enc, cap);
      const { msgs, sizes } = drain(c, c.pkg1().msg!, cap);
      assert.ok(msgs.length >= 4, `only ${msgs.length} messages`);
      assert.ok(sizes.every((n) => n <= cap));
      assert.deepEqual(msgs.map((m) => m.final), msgs.map((_, i) => i === msgs.length - 1));
      const got = msgs.flatMap((m) => commandsOf(m).map((k) => k.items[0]!.target));
      assert.deepEqual(got, commands.map((k) => k.target));
      // CmdIDs restart per message and are unique inside each
      for (const m of msgs) assert.deepEqual(m.body.map((k) => k.cmdId), m.body.map((_, i) => String(i + 1)));
      // the Alert 1222 of each continuation request was answered
      for (const m of msgs.slice(1)) assert.ok(m.body.some((k) => k.name === 'Status' && k.cmd === 'Alert' && codeOf(k) === 200));
      c.send(c.answer(last(msgs)!));
      const rec = s.sessions()[0]!;
      assert.equal(rec.outcome, 'completed');
      assert.deepEqual(rec.failures, []);
      assert.equal(rec.statuses.filter((st) => st.cmd === 'Replace' && st.ok).length, 40);
    });
  }

  test('client multi-message packages: each non-final message gets SyncHdr Status + Alert 1222, no Final, no commands', () => {
    const { s, c } = make({ packages: [{ commands: [{ cmd: 'Get', target: './DevInfo/Mod' }] }, { commands: [{ cmd: 'Get', target: './DevInfo/DevId' }] }], advertise: { maxMsgSize: 2048, maxObjSize: 65536 } });
    // package 1 in two messages
    const r1 = c.send([{ kind: 'Alert', code: 1201 }], { final: false }).msg!;
    assert.deepEqual(shape(r1), ['Status:1', 'Status:2', 'Alert:3']);
    assert.equal(commandsOf(r1)[0]!.data!.text(), '1222');
    assert.equal(r1.final, false);
    assert.deepEqual(r1.hdr.meta, { maxMsgSize: 2048, maxObjSize: 65536 });
    const rest = c.pkg1Records().slice(1);
    const m2 = c.send([{ kind: 'Status', msgRef: r1.hdr.msgId, cmdRef: '0', cmd: 'SyncHdr', code: 200 }, { kind: 'Status', msgRef: r1.hdr.msgId, cmdRef: '3', cmd: 'Alert', code: 200 }, ...rest]).msg!;
    assert.deepEqual(commandsOf(m2).map((k) => k.name), ['Get']);
    // package 3 in three messages
    const ans = c.answer(m2);
    const a1 = c.send(ans.slice(0, 1), { final: false }).msg!;
    assert.deepEqual(commandsOf(a1).map((k) => k.data!.text()), ['1222']);
    assert.equal(a1.final, false);
    const a2 = c.send([{ kind: 'Status', msgRef: a1.hdr.msgId, cmdRef: '0', cmd: 'SyncHdr', code: 200 }, { kind: 'Status', msgRef: a1.hdr.msgId, cmdRef: '2', cmd: 'Alert', code: 200 }, ...ans.slice(1, 2)], { final: false }).msg!;
    assert.equal(a2.final, false);
    const a3 = c.send([{ kind: 'Status', msgRef: a2.hdr.msgId, cmdRef: '0', cmd: 'SyncHdr', code: 200 }, { kind: 'Status', msgRef: a2.hdr.msgId, cmdRef: '2', cmd: 'Alert', code: 200 }, ...ans.slice(2)]).msg!;
    assert.deepEqual(commandsOf(a3).map((k) => k.items[0]!.target), ['./DevInfo/DevId']);
    c.send(c.answer(a3));
    const rec = s.sessions()[0]!;
    assert.equal(rec.outcome, 'completed');
    assert.deepEqual(rec.failures, []);
    assert.equal(rec.results['./DevInfo/Mod']!.value, 'Model-X');
  });

  test('a missing Status for our Alert 1222 is a failure', () => {
    const { s, c } = make({ packages: [{ commands: [{ cmd: 'Get', target: './DevInfo/Mod' }] }] });
    c.send([{ kind: 'Alert', code: 1201 }], { final: false });
    c.send(c.pkg1Records().slice(1));
    assert.ok(s.sessions()[0]!.failures.some((f) => f.message.startsWith('no Status for Alert 1222')));
  });
});

describe('large objects', () => {
  const TEXT = Array.from({ length: 5000 }, (_, i) => 'abcdefghijklmnopqrstuvwxyzé€'[i % 28]).join('');
  const BIN = Uint8Array.from({ length: 3000 }, (_, i) => (i * 37 + 11) & 0xff);

  for (const [enc, cap] of [['wbxml', 1024], ['xml', 1500]] as const) {
    test(`${enc}: outgoing text and binary objects are chunked under MaxMsgSize ${cap} with MoreData and Meta Size on the first chunk`, () => {
      const { s, c } = make({ packages: [{ commands: [
        { cmd: 'Get', target: './DevInfo/Mod' },
        { cmd: 'Replace', target: './Big/Text', data: TEXT, format: 'chr', type: 'text/plain', expect: 200 },
        { cmd: 'Add', target: './Big/Bin', dataBase64: b64encode(BIN), type: 'application/octet-stream', expect: 200 },
      ] }] }, enc, cap, 100000);
      const { msgs, sizes } = drain(c, c.pkg1().msg!, cap);
      assert.ok(sizes.every((n) => n <= cap), sizes.join(','));
      const all = msgs.flatMap(commandsOf);
      const text = all.filter((k) => k.items[0]!.target === './Big/Text');
      const bin = all.filter((k) => k.items[0]!.target === './Big/Bin');
      assert.ok(text.length >= 5 && bin.length >= 3, `${text.length} text chunks, ${bin.length} binary chunks`);
      for (const chunks of [text, bin]) {
        chunks.forEach((k, i) => {
          const it = k.items[0]!;
          assert.equal(it.moreData, i < chunks.length - 1, `MoreData on chunk ${i + 1}`);
          assert.equal(it.meta!.size !== undefined, i === 0, `Meta Size only on the first chunk (chunk ${i + 1})`);
        });
        // a chunk always ends its message (nothing after it but the close)
        for (const m of msgs) {
          const cmds = commandsOf(m);
          const idx = cmds.findIndex((k) => k.items[0]?.moreData);
          if (idx >= 0) assert.equal(idx, cmds.length - 1);
        }
      }
      const textBytes = concatBytes(text.map((k) => k.items[0]!.data!.bytes));
      assert.equal(utf8Decode(textBytes), TEXT);
      assert.equal(text[0]!.items[0]!.meta!.size, textBytes.length);
      assert.deepEqual([text[1]!.items[0]!.meta!.format, text[1]!.items[0]!.meta!.type], ['chr', 'text/plain'], 'Meta repeated on later chunks');
      const binData = concatBytes(bin.map((k) => k.items[0]!.data!.bytes));
      if (enc === 'wbxml') {
        assert.deepEqual(binData, BIN);
        assert.equal(bin[0]!.items[0]!.data!.kind, 'opaque');
        assert.equal(bin[0]!.items[0]!.meta!.format, 'bin');
        assert.equal(bin[0]!.items[0]!.meta!.size, BIN.length);
      } else {
        // XML cannot carry binary: Base64 text, Format b64, Size of the transported form
        assert.deepEqual(b64decode(utf8Decode(binData)), BIN);
        assert.equal(bin[0]!.items[0]!.meta!.format, 'b64');
        assert.equal(bin[0]!.items[0]!.meta!.size, b64encode(BIN).length);
      }
      c.send(c.answer(last(msgs)!));
      const rec = s.sessions()[0]!;
      assert.equal(rec.outcome, 'completed');
      assert.deepEqual(rec.failures, []);
      const chunkStatuses = rec.statuses.filter((st) => st.chunk !== undefined);
      assert.equal(chunkStatuses.length, text.length + bin.length);
      assert.ok(chunkStatuses.every((st) => st.ok));
      assert.deepEqual(chunkStatuses.filter((st) => st.code === 200).map((st) => st.targets[0]), ['./Big/Text', './Big/Bin']);
    });
  }

  for (const enc of ['xml', 'wbxml'] as const) {
    test(`${enc}, MaxMsgSize 1024: statuses wait when they leave no room for a chunk; Final always travels with a command`, () => {
      // regression (found against the real client): every continuation message brings one more
      // status to send; without deferral an XML chunk never fitted (livelock), and trailing statuses
      // produced a command-less Final, which a client reads as the end of the session
      const blob = Array.from({ length: 120 }, (_, i) => `line ${i} of the payload: the quick brown fox`).join('\n');
      // (the advertised limits make every server header ~130 bytes longer: tighter still)
      const { s, c } = make({ advertise: { maxMsgSize: 65536, maxObjSize: 65536 }, packages: [
        { commands: [
          { cmd: 'Add', target: './Vendor/e2e', format: 'node' },
          { cmd: 'Add', target: './Vendor/e2e/Blob', data: blob, format: 'chr', expect: 200 },
        ] },
        { commands: [{ cmd: 'Get', target: './Vendor/e2e/Blob', expect: 200, expectValue: blob }] },
      ] }, enc, 1024);
      const { msgs, sizes } = drain(c, c.pkg1().msg!, 1024);
      assert.ok(sizes.every((n) => n <= 1024));
      assert.ok(msgs.length < 200, `${msgs.length} messages`);
      const fin = last(msgs)!;
      assert.ok(commandsOf(fin).length > 0, 'the Final message of a package carries a command');
      const parts = msgs.flatMap(commandsOf).filter((k) => k.items[0]?.target === './Vendor/e2e/Blob').map((k) => k.items[0]!.data!.text());
      assert.equal(parts.join(''), blob);
      // every status for the client's package 1 and 1222 alerts arrived at some point
      const acked = msgs.flatMap((m) => m.body.filter((k) => k.name === 'Status' && k.cmdRef !== '0').map((k) => `${k.msgRef}:${k.cmdRef}`));
      assert.ok(acked.includes('1:1') && acked.includes('1:2'), 'statuses for the Alert and the DevInfo Replace');
      c.tree.set('./Vendor/e2e/Blob', blob);
      const m4 = c.send(c.answer(fin)).msg!;
      assert.deepEqual(commandsOf(m4).map((k) => k.name), ['Get']);
      c.send(c.answer(m4));
      const rec = s.sessions()[0]!;
      assert.equal(rec.outcome, 'completed');
      assert.deepEqual(rec.failures, []);
    });
  }

  test('an object larger than the client MaxObjSize is skipped with a failure, unless ignoreMaxObjSize', () => {
    const { s, c } = make({ packages: [{ commands: [
      { cmd: 'Replace', target: './Big/A', data: 'x'.repeat(3000) },
      { cmd: 'Replace', target: './Big/B', data: 'y'.repeat(3000), ignoreMaxObjSize: true, expect: 413 },
    ] }] }, 'wbxml', 1024, 2000);
    const m = c.pkg1().msg!;
    const cmds = commandsOf(m);
    assert.deepEqual(cmds.map((k) => [k.items[0]!.target, k.items[0]!.moreData]), [['./Big/B', true]]);
    assert.ok(s.sessions()[0]!.failures.some((f) => f.path === 'packages[0].commands[0]' && /exceed the client's MaxObjSize 2000/.test(f.message)));
    // the client refuses the object on its first chunk with 413: chunking stops, the expectation is met
    // (no Final: the server's package is not complete yet)
    const next = c.send(c.answer(m, (k) => (k.items[0]?.target === './Big/B' ? 413 : undefined)), { final: false }).msg!;
    assert.deepEqual(shape(next), ['Status:1']);
    assert.equal(next.final, true);
    c.send(c.answer(next));
    assert.equal(s.sessions()[0]!.outcome, 'completed');
    const rec = s.sessions()[0]!;
    assert.equal(rec.statuses.find((st) => st.targets[0] === './Big/B')!.ok, true);
    assert.equal(rec.failures.length, 1);
  });

  test('declaredSize puts a wrong Meta Size on the first chunk (to test the client 424)', () => {
    const { c } = make({ packages: [{ commands: [{ cmd: 'Replace', target: './Big/A', data: 'x'.repeat(3000), declaredSize: 2999, expect: 424 }] }] }, 'wbxml', 1024);
    const m = c.pkg1().msg!;
    assert.equal(commandsOf(m)[0]!.items[0]!.meta!.size, 2999);
  });

  for (const enc of ['wbxml', 'xml'] as const) {
    test(`${enc}: incoming large Results are answered 213 per chunk, reassembled and checked against Meta Size`, () => {
      const { s, c } = make({ packages: [{ commands: [{ cmd: 'Get', target: './Big/Log', expect: 200, expectValue: TEXT }, { cmd: 'Get', target: './Big/Bad' }] }] }, enc);
      const m2 = c.pkg1().msg!;
      const [g1, g2] = commandsOf(m2);
      const parts = [TEXT.slice(0, 2000), TEXT.slice(2000, 4000), TEXT.slice(4000)];
      const total = utf8Length(TEXT);
      let prev = m2;
      const st = (msg: Message): OutRecord => ({ kind: 'Status', msgRef: msg.hdr.msgId, cmdRef: '0', cmd: 'SyncHdr', code: 200 });
      for (let i = 0; i < parts.length; i++) {
        const recs: (OutRecord | OutCommand)[] = [st(prev)];
        if (i === 0) recs.push({ kind: 'Status', msgRef: m2.hdr.msgId, cmdRef: g1!.cmdId!, cmd: 'Get', code: 200 }, { kind: 'Status', msgRef: m2.hdr.msgId, cmdRef: g2!.cmdId!, cmd: 'Get', code: 200 });
        else recs.push({ kind: 'Status', msgRef: prev.hdr.msgId, cmdRef: commandsOf(prev)[0]!.cmdId!, cmd: 'Alert', code: 200 });
        const item = { source: './Big/Log', data: parts[i]!, meta: i === 0 ? { size: total, format: 'chr' } : { format: 'chr' }, moreData: i < parts.length - 1 };
        recs.push({ kind: 'Results', msgRef: m2.hdr.msgId, cmdRef: g1!.cmdId!, items: [item] });
        if (i === parts.length - 1) {
          // the second object's size does not match its Meta Size
          recs.push({ kind: 'Results', msgRef: m2.hdr.msgId, cmdRef: g2!.cmdId!, items: [{ source: './Big/Bad', data: 'short', meta: { size: 99 }, moreData: true }] });
        }
        const x = c.send(recs, { final: false });
        prev = x.msg!;
        if (i < parts.length - 1) {
          const s213 = prev.body.find((k) => k.name === 'Status' && k.cmd === 'Results')!;
          assert.equal(codeOf(s213), 213);
          assert.equal(s213.cmdRef, String(recs.length), 'CmdRef = the CmdID of our Results');
          assert.equal(commandsOf(prev)[0]!.data!.text(), '1222');
          assert.equal(prev.final, false);
        } else {
          // Results 200 gets no Status ([DMREP] 4.1.5.1); the broken one gets 213 for its first chunk
          assert.deepEqual(prev.body.filter((k) => k.name === 'Status' && k.cmd === 'Results').map((k) => [k.cmdRef, codeOf(k)]), [[String(recs.length), 213]]);
        }
      }
      // last chunk of ./Big/Bad: 5 + 3 bytes, Meta Size said 99 → 424
      const end = c.send([st(prev), { kind: 'Status', msgRef: prev.hdr.msgId, cmdRef: commandsOf(prev)[0]!.cmdId!, cmd: 'Alert', code: 200 },
        { kind: 'Results', msgRef: m2.hdr.msgId, cmdRef: g2!.cmdId!, items: [{ source: './Big/Bad', data: 'abc' }] }]).msg!;
      assert.deepEqual(end.body.filter((k) => k.name === 'Status' && k.cmd === 'Results').map((k) => codeOf(k)), [424]);
      const rec = s.sessions()[0]!;
      assert.equal(rec.results['./Big/Log']!.value, TEXT);
      assert.equal(rec.results['./Big/Log']!.chunks, 3);
      assert.equal(rec.results['./Big/Log']!.size, total);
      assert.equal(rec.results['./Big/Bad'], undefined);
      assert.deepEqual(rec.failures.map((f) => f.message), ['large object ./Big/Bad: 8 bytes received, Meta Size said 99', 'no Results for Get ./Big/Bad (MsgID 1, CmdID 5)']);
    });
  }

  test('a client object interrupted by another command gets Alert 1225', () => {
    const { s, c } = make({ packages: [{ commands: [{ cmd: 'Get', target: './Big/Log' }] }] });
    const m2 = c.pkg1().msg!;
    const g = commandsOf(m2)[0]!;
    const r1 = c.send([{ kind: 'Status', msgRef: '1', cmdRef: '0', cmd: 'SyncHdr', code: 200 }, { kind: 'Status', msgRef: '1', cmdRef: g.cmdId!, cmd: 'Get', code: 200 },
      { kind: 'Results', msgRef: '1', cmdRef: g.cmdId!, items: [{ source: './Big/Log', data: 'part1', meta: { size: 10 }, moreData: true }] }], { final: false }).msg!;
    const r2 = c.send([{ kind: 'Status', msgRef: r1.hdr.msgId, cmdRef: '0', cmd: 'SyncHdr', code: 200 }, { kind: 'Alert', code: 1226, items: [{ meta: { type: 't', format: 'chr' }, data: 'x' }] }]).msg!;
    const a = commandsOf(r2).find((k) => k.name === 'Alert')!;
    assert.equal(a.data!.text(), '1225');
    assert.equal(a.items[0]!.source, './Big/Log');
    assert.ok(s.sessions()[0]!.failures.some((f) => f.message.startsWith('client large object broken: Alert arrived before the last chunk of ./Big/Log')));
  });
});

describe('DM 1.1.2 and version rejection', () => {
  test('a 1.1.2 server writes VerDTD 1.1, the 1.1 namespace and no Correlator', () => {
    const { s, c } = make({ version: '1.1.2', packages: [{ commands: [{ cmd: 'Exec', target: './FwUpdate/x/Update', correlator: 'k1' }] }] }, 'xml');
    c.version = '1.1.2';
    const x = c.pkg1();
    const m = x.msg!;
    assert.equal(m.version, '1.1.2');
    assert.deepEqual([m.hdr.verDtd, m.hdr.verProto], ['1.1', 'DM/1.1']);
    assert.match(utf8Decode(x.resp.body), /<SyncML xmlns="SYNCML:SYNCML1\.1">/);
    assert.equal(commandsOf(m)[0]!.correlator, undefined);
    assert.equal(s.sessions()[0]!.version, '1.1.2');
  });

  test('version auto mirrors the client', () => {
    const { c } = make({ packages: [{ commands: [{ cmd: 'Get', target: './DevInfo/Mod' }] }] }, 'wbxml');
    c.version = '1.1.2';
    const x = c.pkg1();
    assert.equal(x.msg!.version, '1.1.2');
    assert.deepEqual([...x.resp.body.subarray(0, 3)], [0x02, 0x9f, 0x53]);
  });

  for (const status of [513, 505]) {
    test(`rejectVersion 1.2: a 1.2 client gets SyncHdr ${status}, then its 1.1.2 retry runs as a new session`, () => {
      const { s, c } = make({ version: '1.1.2', rejectVersion: '1.2', rejectStatus: status, packages: [{ commands: [{ cmd: 'Get', target: './DevInfo/Mod' }] }] });
      const m = c.pkg1().msg!;
      assert.deepEqual(shape(m), ['Status:1']);
      assert.equal(codeOf(hdrStatus(m)), status);
      assert.equal(m.final, true);
      assert.equal(m.version, '1.1.2');
      assert.equal(s.sessions()[0]!.outcome, 'version-rejected');
      c.version = '1.1.2';
      const m2 = c.pkg1().msg!;
      assert.equal(m2.version, '1.1.2');
      assert.deepEqual(commandsOf(m2).map((k) => k.name), ['Get']);
      c.send(c.answer(m2));
      assert.deepEqual(s.sessions().map((r) => `${r.index}:${r.outcome}`), ['1:version-rejected', '2:completed']);
    });
  }
});

describe('session end and aborts', () => {
  test('client Alert 1223 aborts the session', () => {
    const { s, c } = make({ packages: [{ commands: [{ cmd: 'Get', target: './DevInfo/Mod' }] }, { commands: [{ cmd: 'Get', target: './X' }] }] });
    const m2 = c.pkg1().msg!;
    const r = c.send([...c.answer(m2), { kind: 'Alert', code: 1223 }]).msg!;
    assert.equal(r.final, true);
    assert.equal(commandsOf(r).length, 0);
    assert.equal(s.sessions()[0]!.outcome, 'aborted-by-client');
    assert.equal(s.sessions()[0]!.packagesSent, 1);
  });

  test('an abort package sends its commands then Alert 1223 with Final; a client answer is a failure', () => {
    const { s, c } = make({ packages: [{ commands: [{ cmd: 'Get', target: './DevInfo/Mod' }], abort: true }] });
    const m = c.pkg1().msg!;
    assert.deepEqual(commandsOf(m).map((k) => `${k.name}:${k.data?.text() ?? ''}`), ['Get:', 'Alert:1223']);
    assert.equal(m.final, true);
    assert.equal(s.sessions()[0]!.outcome, 'aborted-by-server');
    c.send(c.answer(m));
    assert.ok(s.sessions()[0]!.failures.some((f) => f.message === 'message after the session ended (aborted-by-server)'));
  });

  test('neverEnd keeps sending the same Get; the session stays active until the client gives up', () => {
    const { s, c } = make({ packages: [], neverEnd: './DevInfo/Mod' });
    let m = c.pkg1().msg!;
    for (let i = 0; i < 6; i++) {
      assert.deepEqual(commandsOf(m).map((k) => `${k.name}:${k.items[0]!.target}`), ['Get:./DevInfo/Mod']);
      assert.equal(m.final, true);
      m = c.send(c.answer(m)).msg!;
    }
    const rec = s.sessions()[0]!;
    assert.equal(rec.outcome, 'active');
    assert.equal(rec.packagesSent, 7);
    assert.deepEqual(rec.failures, []);
    c.send([...c.answer(m), { kind: 'Alert', code: 1223 }]);
    assert.equal(rec.outcome, 'aborted-by-client');
  });

  test('tick() ends idle sessions as timed-out', () => {
    let now = 0;
    const s = new DmServer(parseScript({ packages: [{ commands: [{ cmd: 'Get', target: './a' }] }] }), { now: () => now, limits: { sessionTimeoutMs: 1000 } });
    const c = new MiniClient(s);
    c.pkg1();
    now = 900;
    s.tick();
    assert.equal(s.sessions()[0]!.outcome, 'active');
    now = 1001;
    s.tick();
    assert.equal(s.sessions()[0]!.outcome, 'timed-out');
    assert.equal(s.sessions()[0]!.endedAt, 1001);
  });
});
