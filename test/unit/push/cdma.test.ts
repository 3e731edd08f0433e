// Unit (portable): CDMA IS-637 transport layer + bearer data (bit-aligned user data) + WDP header,
// round trips through the encoder, the duplicated-port quirk, and errors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCdmaSms, encodeCdmaSms, encodeCdmaWapPush, parseCdmaWdp, TELESERVICE_WAP } from '../../../src/push/cdma';
import { BitReader, BitWriter } from '../../../src/push/bits';
import { encodeWspPush, decodeWspPush } from '../../../src/push/wsp';
import { parsePkg0 } from '../../../src/push/pkg0';
import { DecodeError } from '../../../src/errors';
import { fromHex, toHex, concatBytes } from '../../../src/util/bytes';
import { factsPkg0 } from './vectors';

const isDecode = (code?: string) => (e: unknown): boolean => e instanceof DecodeError && (code === undefined || e.code === code);

describe('bit fields', () => {
  test('writer and reader agree for mixed widths', () => {
    const fields: [number, number][] = [[1, 1], [0, 1], [5, 3], [9, 4], [200, 8], [0x1abc, 13], [3, 2], [0xffff, 16], [0, 5], [0x12345, 20]];
    const w = new BitWriter();
    for (const [v, n] of fields) w.write(v, n);
    const b = w.bytes();
    assert.equal(b.length, Math.ceil(fields.reduce((s, [, n]) => s + n, 0) / 8));
    const r = new BitReader(b, 0, b.length, 't');
    for (const [v, n] of fields) assert.equal(r.read(n), v);
    assert.throws(() => r.read(8), isDecode('truncated'));
  });
  test('MSB-first: 5-bit encoding 0 + 8-bit count 3 + octets', () => {
    const w = new BitWriter().write(0, 5).write(3, 8).write(0xaa, 8).write(0xbb, 8).write(0xcc, 8);
    assert.equal(toHex(w.bytes()), '001d55de60');
  });
});

describe('CDMA transport layer', () => {
  test('hand-built message with user data at a 13-bit offset decodes', () => {
    // 00 = point-to-point; 00 02 10 04 = teleservice 4100; 02 len addr; 08 len bearer
    const addr = new BitWriter().write(0, 1).write(0, 1).write(3, 8).write(5, 4).write(10, 4).write(11, 4).bytes(); // "50*"
    const ud = new BitWriter().write(0, 5).write(3, 8).write(0xaa, 8).write(0xbb, 8).write(0xcc, 8).bytes();
    const midBits = new BitWriter().write(1, 4).write(0x0042, 16).write(0, 4).bytes();
    const bearer = concatBytes([fromHex('00'), Uint8Array.of(midBits.length), midBits, fromHex('01'), Uint8Array.of(ud.length), ud, fromHex('0306' + '251124123400')]);
    const msg = concatBytes([fromHex('00' + '00021004' + '02'), Uint8Array.of(addr.length), addr, fromHex('0601' + '14'), fromHex('08'), Uint8Array.of(bearer.length), bearer, fromHex('0a0100')]);
    const m = decodeCdmaSms(msg);
    assert.equal(m.messageType, 0);
    assert.equal(m.teleservice, TELESERVICE_WAP);
    assert.deepEqual(m.originator, { digitMode: 0, numberMode: 0, numberType: 0, numberPlan: 0, address: '50*' });
    assert.equal(m.replySeq, 5);
    assert.deepEqual(m.messageId, { type: 1, id: 0x42, headerInd: false });
    assert.equal(m.userData?.encoding, 0);
    assert.equal(toHex(m.userData!.bytes), 'aabbcc');
  });
  test('encoder round trip (DTMF and 8-bit originators, reply seq)', () => {
    for (const originator of ['5551234567', '*#0', 'dm@example.com']) {
      const userData = Uint8Array.from({ length: 100 }, (_, i) => (i * 13) & 0xff);
      const m = decodeCdmaSms(encodeCdmaSms({ originator, messageId: 0xbeef, userData, replySeq: 33 }));
      assert.equal(m.teleservice, 4100);
      assert.equal(m.originator?.address, originator);
      assert.equal(m.originator?.digitMode, /^[0-9*#]+$/.test(originator) ? 0 : 1);
      assert.equal(m.messageId?.id, 0xbeef);
      assert.equal(m.replySeq, 33);
      assert.equal(toHex(m.userData!.bytes), toHex(userData));
    }
    assert.throws(() => encodeCdmaSms({ originator: '1', messageId: 1, userData: new Uint8Array(247) }), RangeError);
    assert.throws(() => encodeCdmaSms({ originator: '1', messageId: 0x10000, userData: new Uint8Array(1) }), RangeError);
  });
  test('text encodings: 7-bit ASCII, UCS-2, Latin-1', () => {
    const mk = (enc: number, w: number, s: string): Uint8Array => {
      const bw = new BitWriter().write(enc, 5).write(s.length, 8);
      for (let i = 0; i < s.length; i++) bw.write(s.charCodeAt(i), w);
      const ud = bw.bytes();
      const bearer = concatBytes([fromHex('01'), Uint8Array.of(ud.length), ud]);
      return concatBytes([fromHex('0000021002' + '08'), Uint8Array.of(bearer.length), bearer]);
    };
    assert.equal(decodeCdmaSms(mk(2, 7, 'Hello')).userData?.text, 'Hello');
    assert.equal(decodeCdmaSms(mk(4, 16, 'Привет')).userData?.text, 'Привет');
    assert.equal(decodeCdmaSms(mk(8, 8, 'caf\u00e9')).userData?.text, 'caf\u00e9');
    assert.equal(decodeCdmaSms(mk(2, 7, 'Hi')).teleservice, 4098);
  });
  test('every truncation is a DecodeError; unknown parameters are skipped', () => {
    const msg = encodeCdmaSms({ originator: '5551234567', messageId: 7, userData: fromHex('0001000102030405') });
    for (let n = 0; n < msg.length; n++) {
      try {
        decodeCdmaSms(msg.subarray(0, n));
      } catch (e) {
        assert.ok(isDecode()(e), `cut at ${n}: ${String(e)}`);
      }
    }
    assert.throws(() => decodeCdmaSms(msg.subarray(0, msg.length - 1)), isDecode('truncated'));
    const withUnknown = concatBytes([msg, fromHex('1703aabbcc')]);
    assert.equal(decodeCdmaSms(withUnknown).messageId?.id, 7);
    assert.throws(() => decodeCdmaSms(new Uint8Array(0)), isDecode('truncated'));
    assert.throws(() => decodeCdmaSms(fromHex('00000110')), isDecode('bad-length'));
  });
});

describe('WDP over the WAP teleservice', () => {
  const wsp = encodeWspPush({ body: factsPkg0(0x77, 200) });
  test('single segment: header 00 01 00, ports 9200 → 2948', () => {
    const [msg] = encodeCdmaWapPush(encodeWspPush({ body: factsPkg0() }), { originator: '5551234567', messageId: 77 });
    const ud = decodeCdmaSms(msg!).userData!.bytes;
    assert.equal(toHex(ud.subarray(0, 7)), '00010023f00b84');
    const w = parseCdmaWdp(ud);
    assert.deepEqual([w.total, w.segment, w.srcPort, w.dstPort, w.skippedDuplicatePorts], [1, 0, 9200, 2948, false]);
    assert.equal(parsePkg0(decodeWspPush(w.payload).body).sessionIdHex, '1234');
  });
  test('segmented push reassembles by concatenating segment payloads', () => {
    const msgs = encodeCdmaWapPush(wsp, { originator: '5551234567', messageId: 9, maxUserData: 60 });
    assert.ok(msgs.length > 3);
    const parts = msgs.map((m) => parseCdmaWdp(decodeCdmaSms(m).userData!.bytes));
    parts.forEach((p, i) => {
      assert.equal(p.segment, i);
      assert.equal(p.total, msgs.length);
      assert.equal(p.dstPort, i === 0 ? 2948 : -1);
    });
    assert.equal(toHex(concatBytes(parts.map((p) => p.payload))), toHex(wsp));
  });
  test('duplicated ports: detected and skipped in detect mode, kept with never', () => {
    const [msg] = encodeCdmaWapPush(encodeWspPush({ body: factsPkg0() }), { originator: '1', messageId: 1, duplicatePorts: true });
    const ud = decodeCdmaSms(msg!).userData!.bytes;
    const d = parseCdmaWdp(ud);
    assert.equal(d.skippedDuplicatePorts, true);
    assert.equal(decodeWspPush(d.payload).appId, 7);
    const n = parseCdmaWdp(ud, { duplicatePorts: 'never' });
    assert.equal(n.skippedDuplicatePorts, false);
    assert.equal(toHex(n.payload.subarray(0, 4)), '23f00b84');
    // a normal push is never mangled by detect mode
    const [plain] = encodeCdmaWapPush(encodeWspPush({ body: factsPkg0() }), { originator: '1', messageId: 1 });
    assert.equal(parseCdmaWdp(decodeCdmaSms(plain!).userData!.bytes).skippedDuplicatePorts, false);
  });
  test('WDP header errors', () => {
    assert.throws(() => parseCdmaWdp(fromHex('0001')), isDecode('truncated'));
    assert.throws(() => parseCdmaWdp(fromHex('010100')), isDecode('not-wdp'));
    assert.throws(() => parseCdmaWdp(fromHex('000202')), isDecode('bad-segment'));
    assert.throws(() => parseCdmaWdp(fromHex('000000')), isDecode('bad-segment'));
    assert.throws(() => parseCdmaWdp(fromHex('00010023f0')), isDecode('truncated'));
    assert.equal(parseCdmaWdp(fromHex('000201aabb')).payload.length, 2);
  });
});
