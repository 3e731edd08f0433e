// Unit (portable): WSP Push decode/encode: minimal DM form, textual and general-form content
// types with parameters, numeric/long/textual app ids, unknown and application headers,
// code-page shifts, uintvar, errors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeWspPush, encodeWspPush, encodeUintvar, peekWspPushContentType, WSP_HDR_APP_ID } from '../../../src/push/wsp';
import { DecodeError } from '../../../src/errors';
import { fromHex, toHex } from '../../../src/util/bytes';

const isDecode = (code?: string) => (e: unknown): boolean => e instanceof DecodeError && (code === undefined || e.code === code);
const body = fromHex('deadbeef');

describe('WSP push', () => {
  test('minimal DM form 01 06 03 C4 AF 87', () => {
    const pdu = encodeWspPush({ body });
    assert.equal(toHex(pdu), '010603c4af87deadbeef');
    const w = decodeWspPush(pdu);
    assert.equal(w.tid, 1);
    assert.equal(w.pduType, 6);
    assert.equal(w.contentType, 'application/vnd.syncml.notification');
    assert.equal(w.contentTypeCode, 0x44);
    assert.deepEqual(w.contentTypeParams, []);
    assert.equal(w.appId, 7);
    assert.equal(w.headers.length, 1);
    assert.equal(w.headers[0]!.name, 'X-Wap-Application-Id');
    assert.equal(w.headers[0]!.code, WSP_HDR_APP_ID);
    assert.equal(w.bodyOffset, 6);
    assert.equal(toHex(w.body), 'deadbeef');
    assert.equal(w.body.buffer, pdu.buffer, 'body is a view');
  });
  test('textual content type and textual app id', () => {
    const pdu = encodeWspPush({ contentType: 'application/vnd.syncml.notification', appId: 'x-wap-application:syncml.dm', body });
    const w = decodeWspPush(pdu);
    assert.equal(w.contentType, 'application/vnd.syncml.notification');
    assert.equal(w.contentTypeCode, null);
    assert.equal(w.appId, 'x-wap-application:syncml.dm');
    assert.equal(toHex(w.body), 'deadbeef');
  });
  test('general form with typed and untyped parameters', () => {
    const pdu = encodeWspPush({ contentTypeParams: [{ code: 0x01, value: 106 }, { name: 'level', value: '1.2' }, { code: 0x05, value: 'n' }], body });
    const w = decodeWspPush(pdu);
    assert.equal(w.contentTypeCode, 0x44);
    assert.deepEqual(w.contentTypeParams, [
      { name: 'Charset', code: 1, value: 106 },
      { name: 'level', code: null, value: '1.2' },
      { name: 'Name', code: 5, value: 'n' },
    ]);
    const g = decodeWspPush(encodeWspPush({ contentTypeGeneral: true, contentType: 'text/plain', body }));
    assert.equal(g.contentType, 'text/plain');
    // Q parameter is a uintvar-style Q-value
    const q = decodeWspPush(fromHex('0106' + '07' + '04' + '83' + '80' + '8100' + 'af87'));
    assert.deepEqual(q.contentTypeParams, [{ name: 'Q', code: 0, value: 128 }]);
    assert.equal(q.appId, 7);
  });
  test('general form with a long value-length (31 + uintvar)', () => {
    const long = 'x'.repeat(60);
    const w = decodeWspPush(encodeWspPush({ contentTypeParams: [{ name: 'comment', value: long }], body }));
    assert.equal(w.contentTypeParams[0]!.value, long);
    assert.equal(toHex(w.body), 'deadbeef');
  });
  test('app id as long-integer, and large registered codes', () => {
    assert.equal(decodeWspPush(encodeWspPush({ appIdLong: true, body })).appId, 7);
    assert.equal(decodeWspPush(encodeWspPush({ appId: 0x9000, body })).appId, 0x9000);
    assert.equal(decodeWspPush(encodeWspPush({ appId: null, body })).appId, null);
  });
  test('extra well-known, application and unknown headers are decoded or skipped', () => {
    const pdu = encodeWspPush({
      body,
      headers: [
        { code: 0x34, value: 1 }, // Push-Flag
        { code: 0x31, value: 'http://srv/' }, // X-Wap-Initiator-URI
        { code: 0x0d, value: 70000 }, // Content-Length as long-integer
        { name: 'X-Vendor', value: 'abc' },
        { code: 0x2e, value: fromHex('0380c100') }, // Content-Disposition (structured, kept raw)
        { code: 0x7e, value: fromHex('02aabb') }, // unknown code with a length-prefixed value
      ],
    });
    const w = decodeWspPush(pdu);
    assert.deepEqual(w.headers.map((h) => [h.name, h.value instanceof Uint8Array ? toHex(h.value) : h.value]), [
      ['X-Wap-Application-Id', 7], ['Push-Flag', 1], ['X-Wap-Initiator-URI', 'http://srv/'], ['Content-Length', 70000],
      ['X-Vendor', 'abc'], ['Content-Disposition', '80c100'], ['header-0x7e', 'aabb'],
    ]);
    assert.equal(toHex(w.body), 'deadbeef');
  });
  test('code page shifts: headers after a shift are not taken as page-1 headers', () => {
    // 7F 10 = shift to page 16, then AF 87 is page16/0x2f, not the app id; 01 = short-cut back to page 1
    const pdu = fromHex('0106' + '08' + 'c4' + '7f10' + 'af87' + '01' + 'b4' + '81' + 'ff');
    const w = decodeWspPush(pdu);
    assert.equal(w.appId, null);
    assert.deepEqual(w.headers.map((h) => h.name), ['page16-0x2f', 'Push-Flag']);
  });
  test('textual application header named X-Wap-Application-Id counts as the app id', () => {
    const w = decodeWspPush(encodeWspPush({ appId: null, headers: [{ name: 'X-Wap-Application-Id', value: 'x-wap-application:syncml.dm' }], body }));
    assert.equal(w.appId, 'x-wap-application:syncml.dm');
  });
  test('quoted text (leading 127 for high characters, leading quote)', () => {
    const w = decodeWspPush(encodeWspPush({ contentType: '\u00e9t/x', body }));
    assert.equal(w.contentType, '\u00e9t/x');
    const q = decodeWspPush(fromHex('0106' + '0a' + 'c4' + 'b1' + '2268747470' + '00' + '8081' + 'ff'));
    assert.equal(q.headers[0]!.value, 'http');
  });
  test('connection-mode PDU (no TID) and ConfirmedPush', () => {
    const w = decodeWspPush(fromHex('0603c4af87ff'), { connectionless: false });
    assert.equal(w.tid, -1);
    assert.equal(w.appId, 7);
    assert.equal(decodeWspPush(encodeWspPush({ pduType: 7, body })).pduType, 7);
  });
  test('uintvar encode/decode boundaries', () => {
    assert.deepEqual(encodeUintvar(0), [0]);
    assert.deepEqual(encodeUintvar(127), [0x7f]);
    assert.deepEqual(encodeUintvar(128), [0x81, 0x00]);
    assert.deepEqual(encodeUintvar(0xffffffff), [0x8f, 0xff, 0xff, 0xff, 0x7f]);
    assert.throws(() => encodeUintvar(2 ** 32), RangeError);
    // 200-byte header block → 2-byte uintvar
    const many = Array.from({ length: 20 }, (_, i) => ({ name: `X-H${i}`, value: 'vvvvvv' }));
    const w = decodeWspPush(encodeWspPush({ headers: many, body }), { limits: { maxHeaders: 64 } });
    assert.equal(w.headers.length, 21);
    assert.equal(toHex(w.body), 'deadbeef');
  });
  test('errors: not push, truncations, bad uintvar, header limit, NUL header name', () => {
    assert.throws(() => decodeWspPush(fromHex('0140')), isDecode('not-push'));
    assert.throws(() => decodeWspPush(fromHex('0106ffffffffff7f')), isDecode('bad-uintvar'));
    assert.throws(() => decodeWspPush(fromHex('010690ffffff7f')), isDecode('bad-uintvar'));
    assert.throws(() => decodeWspPush(fromHex('010605c4af87')), isDecode('truncated'));
    assert.throws(() => decodeWspPush(fromHex('010602c400')), isDecode('bad-header'));
    assert.throws(() => decodeWspPush(fromHex('01060ac4' + 'b481'.repeat(4) + 'af87'), { limits: { maxHeaders: 3 } }), isDecode('too-many-headers'));
    assert.throws(() => decodeWspPush(fromHex('010603c4af1f')), isDecode('truncated'));
    const pdu = encodeWspPush({ contentTypeParams: [{ code: 1, value: 106 }], headers: [{ code: 0x31, value: 'http://x/' }], body });
    for (let n = 0; n < pdu.length - body.length; n++) {
      assert.throws(() => decodeWspPush(pdu.subarray(0, n)), isDecode(), `cut at ${n}`);
    }
  });
  test('peekWspPushContentType never throws', () => {
    assert.equal(peekWspPushContentType(encodeWspPush({ body })), 'application/vnd.syncml.notification');
    assert.equal(peekWspPushContentType(encodeWspPush({ contentType: 'a/b', body })), 'a/b');
    assert.equal(peekWspPushContentType(encodeWspPush({ contentTypeGeneral: true, body })), 'application/vnd.syncml.notification');
    assert.equal(peekWspPushContentType(fromHex('0140')), null);
    assert.equal(peekWspPushContentType(fromHex('01')), null);
  });
});
