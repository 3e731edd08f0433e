// Unit (portable): DmServer package flow — pkg1 → scripted pkg2 → statuses/results checked → end.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DmServer } from '../../../src/server/DmServer';
import { parseScript } from '../../../src/server/script';
import { MiniClient, codeOf, commandsOf, hdrStatus, shape, DEVICE, SERVER_URL } from './client';

const SCRIPT = {
  serverId: 'com.mgmtsrv.manage',
  packages: [
    { commands: [
      { cmd: 'Get', target: './DevInfo/Mod', expect: 200, expectValue: 'Model-X' },
      { cmd: 'Replace', target: './Vendor/omadm/Sync/a/Addr', data: 'https://x.example/sync', format: 'chr' },
      { cmd: 'Exec', target: './FUMO/fw/DownloadAndUpdate', correlator: 'c1', expect: [200, 202] },
      { cmd: 'Atomic', commands: [
        { cmd: 'Add', target: './Vendor/omadm/Sync/b', format: 'node' },
        { cmd: 'Replace', target: './Vendor/omadm/Sync/b/Name', data: 'B' },
      ] },
      { cmd: 'Sequence', commands: [{ cmd: 'Delete', target: './Vendor/omadm/Sync/old' }, { cmd: 'Get', target: './DevInfo/DevId' }] },
      { cmd: 'Alert', code: 1101, items: ['MAXDT=30', 'Proceed?'], expect: 200 },
    ] },
    { commands: [{ cmd: 'Get', target: './DevDetail/FwV', expect: [200, 404] }] },
  ],
};

function setup(enc: 'wbxml' | 'xml', script: unknown = SCRIPT): { server: DmServer; c: MiniClient } {
  let t = 1000;
  const server = new DmServer(parseScript(script), { now: () => t++, randomFill: (b) => b.fill(7) });
  return { server, c: new MiniClient(server, { enc }) };
}

describe('DmServer package flow', () => {
  for (const enc of ['wbxml', 'xml'] as const) {
    test(`${enc}: pkg1 → pkg2 with every scripted command kind → pkg3 → pkg4 → end`, () => {
      const { server, c } = setup(enc);
      const x1 = c.pkg1();
      assert.equal(x1.resp.status, 200);
      assert.equal(x1.resp.headers['content-type'], enc === 'wbxml' ? 'application/vnd.syncml.dm+wbxml' : 'application/vnd.syncml.dm+xml');
      const m2 = x1.msg!;
      assert.equal(m2.encoding, enc);
      assert.equal(m2.version, '1.2');
      assert.deepEqual([m2.hdr.sessionId, m2.hdr.msgId, m2.hdr.target, m2.hdr.source], ['1A2B', '1', DEVICE, SERVER_URL]);
      assert.equal(m2.final, true);
      // statuses for SyncHdr, Alert, Replace, then the commands with consecutive CmdIDs (Atomic/Sequence children numbered inside)
      assert.deepEqual(shape(m2), ['Status:1', 'Status:2', 'Status:3', 'Get:4', 'Replace:5', 'Exec:6', 'Atomic:7', 'Sequence:10', 'Alert:13']);
      const hs = hdrStatus(m2);
      assert.deepEqual([hs.msgRef, hs.cmd, codeOf(hs), hs.targetRefs, hs.sourceRefs], ['1', 'SyncHdr', 200, [SERVER_URL], [DEVICE]]);
      assert.deepEqual(m2.body.slice(1, 3).map((s) => [s.cmdRef, s.cmd, codeOf(s)]), [['1', 'Alert', 200], ['2', 'Replace', 200]]);
      const cmds = commandsOf(m2);
      assert.equal(cmds[1]!.items[0]!.data!.text(), 'https://x.example/sync');
      assert.equal(cmds[1]!.items[0]!.meta!.format, 'chr');
      assert.equal(cmds[2]!.correlator, 'c1');
      assert.deepEqual(cmds[3]!.children!.map((k) => `${k.name}:${k.cmdId}`), ['Add:8', 'Replace:9']);
      assert.equal(cmds[3]!.children![0]!.items[0]!.meta!.format, 'node');
      assert.deepEqual(cmds[4]!.children!.map((k) => `${k.name}:${k.cmdId}`), ['Delete:11', 'Get:12']);
      assert.deepEqual(cmds[5]!.items.map((i) => i.data!.text()), ['MAXDT=30', 'Proceed?']);
      assert.equal(cmds[5]!.data!.text(), '1101');

      // pkg3: statuses + results (Exec answered 202)
      const x3 = c.send(c.answer(m2, (k) => (k.name === 'Exec' ? 202 : undefined)));
      const m4 = x3.msg!;
      assert.equal(m4.hdr.msgId, '2');
      assert.deepEqual(shape(m4), ['Status:1', 'Get:2']);
      assert.equal(m4.final, true);
      const x5 = c.send(c.answer(m4));
      const end = x5.msg!;
      // the end: SyncHdr status, Final, no command
      assert.deepEqual(shape(end), ['Status:1']);
      assert.equal(end.final, true);

      const [rec] = server.sessions();
      assert.ok(rec);
      assert.equal(rec.outcome, 'completed');
      assert.deepEqual(rec.failures, []);
      assert.equal(rec.alert, 1201);
      assert.equal(rec.packagesSent, 2);
      assert.equal(rec.devInfo['./DevInfo/Man'], 'Acme');
      assert.equal(rec.results['./DevInfo/Mod']!.value, 'Model-X');
      assert.equal(rec.results['./DevInfo/DevId']!.value, DEVICE);
      assert.equal(rec.statuses.length, 11);
      const exec = rec.statuses.find((s) => s.cmd === 'Exec')!;
      assert.deepEqual([exec.code, exec.expected, exec.ok, exec.path], [202, [200, 202], true, 'packages[0].commands[2]']);
      const fwv = rec.statuses.find((s) => s.targets[0] === './DevDetail/FwV')!;
      assert.deepEqual([fwv.code, fwv.pkg, fwv.ok], [404, 1, true]);
      assert.equal(rec.messages.length, 6);
      assert.deepEqual(rec.messages.map((mm) => `${mm.dir}${mm.msgId}`), ['in1', 'out1', 'in2', 'out2', 'in3', 'out3']);
      assert.match(rec.messages[1]!.xml!, /<Exec>\s*<CmdID>6<\/CmdID>/);
      assert.equal(rec.messages[1]!.encoding, enc);
      assert.equal(rec.messages[0]!.http.method, 'POST');
      assert.equal(rec.messages[1]!.http.status, 200);
      // JSON-able
      assert.deepEqual(JSON.parse(JSON.stringify(rec)), rec);
    });
  }

  test('encoding: answers in the client encoding unless the script forces one', () => {
    const forced = setup('xml', { ...SCRIPT, encoding: 'wbxml' });
    const x = forced.c.pkg1();
    assert.equal(x.msg!.encoding, 'wbxml');
    assert.equal(x.resp.headers['content-type'], 'application/vnd.syncml.dm+wbxml');
  });

  test('status mismatches, missing statuses, missing Results and wrong values are recorded as failures', () => {
    const { server, c } = setup('wbxml');
    const m2 = c.pkg1().msg!;
    // Get Mod → 404 (expected 200), Alert 1101 → 304 (expected 200), no status for the Exec
    const ans = c.answer(m2, (k) => (k.name === 'Get' && k.items[0]!.target === './DevInfo/Mod' ? 404 : k.name === 'Alert' ? 304 : undefined))
      .filter((r) => !(r.kind === 'Status' && (r as { cmd: string }).cmd === 'Exec'));
    c.tree.set('./DevInfo/DevId', 'other');
    const m4 = c.send(ans).msg!;
    assert.deepEqual(shape(m4), ['Status:1', 'Get:2']);
    const rec = server.sessions()[0]!;
    const msgs = rec.failures.map((f) => `${f.path ?? '-'}: ${f.message}`);
    assert.ok(msgs.some((f) => f.startsWith('packages[0].commands[0]: Get ./DevInfo/Mod: status 404, expected 200')), msgs.join('\n'));
    assert.ok(msgs.some((f) => f.startsWith('packages[0].commands[5]: Alert 1101: status 304, expected 200')), msgs.join('\n'));
    assert.ok(msgs.some((f) => f.startsWith('packages[0].commands[2]: no Status for Exec ./FUMO/fw/DownloadAndUpdate')), msgs.join('\n'));
    assert.equal(rec.statuses.find((s) => s.path === 'packages[0].commands[0]')!.ok, false);
    // a Get answered 200 without Results
    const m4Get = commandsOf(m4)[0]!;
    c.send([{ kind: 'Status', msgRef: m4.hdr.msgId, cmdRef: '0', cmd: 'SyncHdr', code: 200 }, { kind: 'Status', msgRef: m4.hdr.msgId, cmdRef: m4Get.cmdId!, cmd: 'Get', code: 200 }]);
    assert.ok(rec.failures.some((f) => f.path === 'packages[1].commands[0]' && f.message.startsWith('no Results for Get ./DevDetail/FwV')));
    assert.equal(rec.outcome, 'completed');
  });

  test('expectValue mismatch is a failure naming the value', () => {
    const { server, c } = setup('xml');
    c.tree.set('./DevInfo/Mod', 'Other-Model');
    const m2 = c.pkg1().msg!;
    c.send(c.answer(m2));
    assert.ok(server.sessions()[0]!.failures.some((f) => f.message === 'Get ./DevInfo/Mod: value "Other-Model", expected "Model-X"'));
  });

  test('statuses for commands never sent and client-forbidden commands are failures', () => {
    const { server, c } = setup('wbxml');
    const m2 = c.pkg1().msg!;
    const x = c.send([...c.answer(m2), { kind: 'Status', msgRef: '9', cmdRef: '4', cmd: 'Get', code: 200 }, { kind: 'Get', items: [{ target: './x' }] }]);
    const st = x.msg!.body.find((k) => k.name === 'Status' && k.cmd === 'Get')!;
    assert.equal(codeOf(st), 405);
    const f = server.sessions()[0]!.failures.map((y) => y.message);
    assert.ok(f.includes('Status 200 for a command we did not send (MsgRef 9, CmdRef 4)'));
    assert.ok(f.includes('client sent Get, which a DM client may not send'));
  });

  test('package 1 checks: alert, DevInfo, expected session facts', () => {
    const { server, c } = setup('wbxml', { ...SCRIPT, expectSession: { alert: 1200, sessionId: 'FFFF', deviceId: DEVICE, devInfo: { './DevInfo/Man': 'Other' } } });
    const m2 = c.pkg1().msg!;
    c.send(c.answer(m2));
    const f = server.sessions()[0]!.failures.map((y) => `${y.path}: ${y.message}`);
    assert.deepEqual(f, [
      'expectSession.alert: package 1 Alert 1201, expected 1200',
      'expectSession.sessionId: SessionID 1A2B, expected FFFF',
      'expectSession.devInfo: DevInfo ./DevInfo/Man = "Acme", expected "Other"',
    ]);
    // MsgID not following is a failure too
    c.msgId = 10;
    c.send(c.answer(m2));
    assert.ok(server.sessions()[0]!.failures.some((y) => y.message === 'MsgID 11 does not follow 2'));
  });

  test('generic alerts 1226 and client events 1224 are recorded and answered per script', () => {
    const { server, c } = setup('xml', { ...SCRIPT, genericAlertStatus: { 'org.openmobilealliance.dm.firmwareupdate.update': 202, '*': 200 }, clientEventStatus: 200 });
    const x = c.pkg1({}, 1201, [
      { kind: 'Alert', code: 1226, correlator: 'c1', items: [{ source: './FUMO/fw', meta: { type: 'org.openmobilealliance.dm.firmwareupdate.update', format: 'int', mark: 'critical' }, data: '410' }] },
      { kind: 'Alert', code: 1226, items: [{ meta: { type: 'com.example.other', format: 'chr' }, data: 'x' }] },
      { kind: 'Alert', code: 1224, items: [{ meta: { type: 'com.microsoft/MDM/LoginStatus', format: 'chr' }, data: 'user' }] },
    ]);
    const st = x.msg!.body.filter((k) => k.name === 'Status' && k.cmd === 'Alert').map(codeOf);
    assert.deepEqual(st, [200, 202, 200, 200]);
    const rec = server.sessions()[0]!;
    assert.equal(rec.genericAlerts.length, 2);
    assert.deepEqual(rec.genericAlerts[0], {
      msgId: '1', cmdId: '3', code: 1226, correlator: 'c1', status: 202,
      items: [{ source: './FUMO/fw', type: 'org.openmobilealliance.dm.firmwareupdate.update', format: 'int', mark: 'critical', data: '410' }],
    });
    assert.deepEqual(rec.clientEvents.map((e) => e.items[0]!.data), ['user']);
  });

  test('a package with an empty script answers package 1 and ends', () => {
    const { server, c } = setup('wbxml', { packages: [] });
    const m = c.pkg1().msg!;
    assert.deepEqual(shape(m), ['Status:1', 'Status:2', 'Status:3']);
    assert.equal(m.final, true);
    assert.equal(server.sessions()[0]!.outcome, 'completed');
    // a message after the end is a failure (the client must not answer a command-less package)
    const late = c.send(c.answer(m)).msg!;
    assert.equal(late.final, true);
    assert.ok(server.sessions()[0]!.failures.some((f) => f.message === 'message after the session ended (completed)'));
  });

  test('protocol checks: SyncHdr Status missing, advertised MaxMsgSize and MaxObjSize exceeded', () => {
    const { server, c } = setup('wbxml', { ...SCRIPT, advertise: { maxMsgSize: 400, maxObjSize: 100 } });
    const m2 = c.pkg1().msg!;
    assert.deepEqual(m2.hdr.meta, { maxMsgSize: 400, maxObjSize: 100 });
    // answer without the SyncHdr status, too big for 400 bytes, with a chunk claiming 500 bytes
    const ans = c.answer(m2).slice(1);
    ans.push({ kind: 'Results', msgRef: '1', cmdRef: '4', items: [{ source: './Big', data: 'x'.repeat(100), meta: { size: 500 }, moreData: true }] });
    const r = c.send(ans, { final: false }).msg!;
    assert.deepEqual(r.body.filter((k) => k.name === 'Status' && k.cmd === 'Results').map(codeOf), [413]);
    const f = server.sessions()[0]!.failures.map((x) => x.message);
    assert.ok(f.includes("no Status for the server's SyncHdr (MsgID 1)"), f.join('\n'));
    assert.ok(f.some((x) => /^client message of \d+ bytes exceeds the advertised MaxMsgSize 400$/.test(x)), f.join('\n'));
    assert.ok(f.includes('client object ./Big of 500 bytes exceeds the advertised MaxObjSize 100'), f.join('\n'));
  });
});
