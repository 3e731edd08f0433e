// Unit (portable): script validation — normalised form and typed errors naming the JSON path.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ScriptError, parseScript } from '../../../src/server/script';
import { utf8Encode } from '../../../src/util/utf8';

function err(json: unknown, opts = {}): ScriptError {
  try {
    parseScript(json, opts);
  } catch (e) {
    assert.ok(e instanceof ScriptError, `not a ScriptError: ${String(e)}`);
    return e;
  }
  assert.fail('parseScript accepted an invalid script');
}

describe('parseScript', () => {
  test('normalises the brief example', () => {
    const s = parseScript({
      serverId: 'com.mgmtsrv.manage', version: '1.2', encoding: 'wbxml',
      auth: { client: { type: 'md5', username: 'dev1', password: 'pw', nonce: 'AAECAw==' }, server: { type: 'md5', username: 'com.mgmtsrv.manage', password: 'srvpw' }, hmac: false },
      packages: [{ commands: [
        { cmd: 'Get', target: './DevInfo/Mod', expect: 200 },
        { cmd: 'Replace', target: './Vendor/omadm/Sync/a/Addr', data: 'https://x', format: 'chr' },
        { cmd: 'Exec', target: './FUMO/fw/DownloadAndUpdate', correlator: 'c1', expect: [200, 202] },
        { cmd: 'Atomic', commands: [{ cmd: 'Add', target: './a', format: 'node' }] },
        { cmd: 'Sequence', commands: [{ cmd: 'Delete', target: './b' }] },
        { cmd: 'Alert', code: 1101, items: ['MAXDT=30', 'Proceed?'] },
        { cmd: 'Replace', target: './bin', dataBase64: 'AAEC', noResp: true },
        { cmd: 'Copy', target: './c', source: './d' },
        { cmd: 'Add', items: [{ target: './e', data: 'E', type: 'text/plain' }, { target: './f', meta: { format: 'int' }, data: '3' }] },
      ] }],
    });
    assert.equal(s.serverId, 'com.mgmtsrv.manage');
    assert.equal(s.auth.client.type, 'md5');
    assert.equal(s.auth.client.accept, 212);
    assert.equal(s.auth.client.maxFailures, 2);
    assert.equal(s.auth.server.username, 'com.mgmtsrv.manage');
    const c = s.packages[0]!.commands;
    assert.deepEqual(c[0], { cmd: 'Get', path: 'packages[0].commands[0]', items: [{ target: './DevInfo/Mod' }], noResp: false, expect: [200], ignoreMaxObjSize: false });
    assert.deepEqual(c[1]!.items, [{ target: './Vendor/omadm/Sync/a/Addr', meta: { format: 'chr' }, data: 'https://x' }]);
    assert.deepEqual([c[2]!.correlator, c[2]!.expect], ['c1', [200, 202]]);
    assert.equal(c[3]!.commands![0]!.path, 'packages[0].commands[3].commands[0]');
    assert.deepEqual(c[5]!.items, [{ data: 'MAXDT=30' }, { data: 'Proceed?' }]);
    assert.deepEqual(c[6]!.items[0]!.data, Uint8Array.from([0, 1, 2]));
    assert.equal(c[6]!.noResp, true);
    assert.deepEqual(c[7]!.items, [{ target: './c', source: './d' }]);
    assert.deepEqual(c[8]!.items, [{ target: './e', meta: { type: 'text/plain' }, data: 'E' }, { target: './f', meta: { format: 'int' }, data: '3' }]);
    assert.equal(s.version, '1.2');
    assert.equal(s.faults, null);
  });

  test('defaults, hmac shortcut, neverEnd, dataFile through the host reader', () => {
    const s = parseScript({ auth: { hmac: true, client: { username: 'u', password: 'p' }, server: { password: 's' } }, neverEnd: true,
      packages: [{ commands: [{ cmd: 'Replace', target: './x', dataFile: 'fw.bin' }] }] }, { readFile: (p) => utf8Encode(`file:${p}`) });
    assert.deepEqual([s.version, s.encoding, s.rejectStatus, s.serverId], ['auto', 'auto', 513, 'omadm-test-server']);
    assert.deepEqual([s.auth.client.type, s.auth.server.type, s.auth.server.username], ['hmac', 'hmac', 'omadm-test-server']);
    assert.equal(s.neverEnd, './DevInfo/DevId');
    assert.deepEqual(s.packages[0]!.commands[0]!.items[0]!.data, utf8Encode('file:fw.bin'));
    assert.deepEqual(s.genericAlertStatus, { '*': 200 });
  });

  test('fault objects', () => {
    const s = parseScript({ faults: { httpStatus: 503 }, packages: [{ commands: [{ cmd: 'Get', target: './a' }], faults: { truncateBody: 7, wrongContentType: 'text/xml', delayMs: 5 } }] });
    assert.equal(s.faults!.times, Infinity);
    assert.deepEqual(s.packages[0]!.faults, { dropAfterRequest: false, delayMs: 5, httpStatus: null, wrongContentType: 'text/xml', redirect: null, truncateBody: { bytes: 7, close: true }, corruptHmac: false, times: 1 });
  });

  const CASES: [string, unknown, string, string][] = [
    ['not an object', [], 'type', ''],
    ['unknown top-level field', { packages: [], pakages: [] }, 'unknown-field', 'pakages'],
    ['packages missing', {}, 'missing', 'packages'],
    ['bad version', { version: '2.0', packages: [] }, 'range', 'version'],
    ['unknown command', { packages: [{ commands: [{ cmd: 'Put', target: './a' }] }] }, 'range', 'packages[0].commands[0].cmd'],
    ['Get without target', { packages: [{ commands: [{ cmd: 'Get' }] }] }, 'missing', 'packages[0].commands[0].target'],
    ['Get with data', { packages: [{ commands: [{ cmd: 'Get', target: './a', data: 'x' }] }] }, 'unknown-field', 'packages[0].commands[0].data'],
    ['expect out of range', { packages: [{ commands: [{ cmd: 'Get', target: './a', expect: 42 }] }] }, 'range', 'packages[0].commands[0].expect'],
    ['expect list item wrong type', { packages: [{ commands: [{ cmd: 'Get', target: './a', expect: [200, '404'] }] }] }, 'type', 'packages[0].commands[0].expect[1]'],
    ['two data sources', { packages: [{ commands: [{ cmd: 'Replace', target: './a', data: 'x', dataBase64: 'AA==' }] }] }, 'conflict', 'packages[0].commands[0].dataBase64'],
    ['bad base64', { packages: [{ commands: [{ cmd: 'Replace', target: './a', dataBase64: '@@' }] }] }, 'data', 'packages[0].commands[0].dataBase64'],
    ['dataFile without reader', { packages: [{ commands: [{ cmd: 'Replace', target: './a', dataFile: 'x' }] }] }, 'data', 'packages[0].commands[0].dataFile'],
    ['Alert without code', { packages: [{ commands: [{ cmd: 'Alert' }] }] }, 'missing', 'packages[0].commands[0].code'],
    ['empty Atomic', { packages: [{ commands: [{ cmd: 'Atomic', commands: [] }] }] }, 'type', 'packages[0].commands[0].commands'],
    ['nested error path', { packages: [{ commands: [{ cmd: 'Sequence', commands: [{ cmd: 'Copy', target: './a' }] }] }] }, 'missing', 'packages[0].commands[0].commands[0].source'],
    ['Copy field on Get', { packages: [{ commands: [{ cmd: 'Get', target: './a', correlator: 'x' }] }] }, 'unknown-field', 'packages[0].commands[0].correlator'],
    ['items and target', { packages: [{ commands: [{ cmd: 'Add', target: './a', items: [{ target: './b' }] }] }] }, 'conflict', 'packages[0].commands[0].target'],
    ['empty package', { packages: [{ commands: [] }] }, 'range', 'packages[0].commands'],
    ['md5 without password', { auth: { client: { type: 'md5', username: 'u' } }, packages: [] }, 'missing', 'auth.client.password'],
    ['hmac conflict', { auth: { hmac: true, client: { type: 'md5', username: 'u', password: 'p' } }, packages: [] }, 'conflict', 'auth.client.type'],
    ['bad nonce', { auth: { client: { type: 'md5', username: 'u', password: 'p', nonce: '***' } }, packages: [] }, 'data', 'auth.client.nonce'],
    ['accept 201', { auth: { client: { type: 'basic', username: 'u', password: 'p', accept: 201 } }, packages: [] }, 'range', 'auth.client.accept'],
    ['reject own version', { version: '1.2', rejectVersion: '1.2', packages: [] }, 'conflict', 'rejectVersion'],
    ['reject status', { rejectStatus: 500, packages: [] }, 'range', 'rejectStatus'],
    ['redirect without location', { faults: { redirect: {} }, packages: [] }, 'missing', 'faults.redirect.location'],
    ['two answering faults', { faults: { httpStatus: 500, dropAfterRequest: true }, packages: [] }, 'conflict', 'faults'],
    ['corruptHmac without hmac', { faults: { corruptHmac: true }, packages: [] }, 'conflict', 'auth.server.type'],
    ['times zero', { packages: [{ commands: [{ cmd: 'Get', target: './a' }], faults: { delayMs: 1, times: 0 } }] }, 'range', 'packages[0].faults.times'],
    ['expectValue on multi-item Get', { packages: [{ commands: [{ cmd: 'Get', items: [{ target: './a' }, { target: './b' }], expectValue: 'x' }] }] }, 'conflict', 'packages[0].commands[0].expectValue'],
    ['genericAlertStatus type', { genericAlertStatus: 'ok', packages: [] }, 'type', 'genericAlertStatus'],
  ];
  for (const [name, json, code, path] of CASES) {
    test(`error: ${name}`, () => {
      const e = err(json);
      assert.equal(e.code, code, e.message);
      assert.equal(e.path, path, e.message);
      assert.ok(e.message.startsWith(path === '' ? 'script: ' : `${path}: `), e.message);
    });
  }
});
