// Unit (portable): SMS-DELIVER decode/encode (facts §6.4 PDU, SMSC prefix, alphanumeric
// originators, 7-bit text with UDH fill bits, UCS-2), UDH IEs, and the WAP push splitter.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeGsmDeliver, encodeGsmDeliver, encodeGsmWapPush, parseDcs } from '../../../src/push/gsm';
import { parseUdh, buildUdh, concatInfo, portInfo, concatIe, portsIe, IEI_CONCAT8, IEI_CONCAT16, IEI_PORTS8 } from '../../../src/push/udh';
import { unpackGsm7, gsm7Septets, packSeptets } from '../../../src/push/gsm7';
import { DecodeError } from '../../../src/errors';
import { toHex, fromHex, concatBytes } from '../../../src/util/bytes';
import { FACTS_SMS, factsPkg0 } from './vectors';
import { encodeWspPush } from '../../../src/push/wsp';

const isDecode = (code?: string) => (e: unknown): boolean => e instanceof DecodeError && (code === undefined || e.code === code);

describe('SMS-DELIVER facts §6.4', () => {
  test('decodes every field of the 74-byte PDU', () => {
    assert.equal(FACTS_SMS.length, 74);
    const d = decodeGsmDeliver(FACTS_SMS, { smsc: false });
    assert.equal(d.smsc, null);
    assert.equal(d.firstOctet, 0x44);
    assert.equal(d.udhi, true);
    assert.equal(d.moreMessages, false);
    assert.equal(d.replyPath, false);
    assert.deepEqual(d.originator, { type: 0x91, ton: 1, npi: 1, number: '+447700900123' });
    assert.equal(d.pid, 0);
    assert.equal(d.dcs, 4);
    assert.equal(d.alphabet, '8bit');
    assert.deepEqual(d.scts, { year: 2025, month: 11, day: 24, hour: 12, minute: 34, second: 0, tzQuarterHours: 0 });
    assert.equal(d.udl, 55);
    assert.equal(d.udh.length, 1);
    assert.deepEqual(portInfo(d.udh), { dst: 2948, src: 9200, bits: 16 });
    assert.equal(concatInfo(d.udh), null);
    assert.equal(toHex(d.ud.subarray(0, 6)), '010603c4af87');
    assert.equal(d.ud.length, 48);
    assert.equal(d.ud.buffer, FACTS_SMS.buffer, 'ud is a view');
    assert.equal(d.text, null);
  });
  test('encoder reproduces the PDU byte for byte', () => {
    const wsp = encodeWspPush({ body: factsPkg0() });
    assert.equal(toHex(encodeGsmDeliver({ originator: '+447700900123', udh: [portsIe(2948, 9200)], ud: wsp })), toHex(FACTS_SMS));
    const parts = encodeGsmWapPush(wsp, { originator: '+447700900123' });
    assert.equal(parts.length, 1);
    assert.equal(toHex(parts[0]!), toHex(FACTS_SMS));
  });
  test('with an SMSC prefix', () => {
    const pdu = concatBytes([fromHex('0791447700000000'), FACTS_SMS]);
    const d = decodeGsmDeliver(pdu, { smsc: true });
    assert.equal(d.smsc?.number, '+447700000000');
    assert.equal(d.originator.number, '+447700900123');
    assert.equal(toHex(encodeGsmDeliver({ smsc: '+447700000000', originator: '+447700900123', udh: [portsIe(2948, 9200)], ud: d.ud })), toHex(pdu));
    const empty = concatBytes([fromHex('00'), FACTS_SMS]);
    assert.equal(decodeGsmDeliver(empty, { smsc: true }).smsc, null);
    assert.equal(toHex(encodeGsmDeliver({ smsc: '', originator: '+447700900123', udh: [portsIe(2948, 9200)], ud: d.ud })), toHex(empty));
  });
});

describe('addresses and text', () => {
  test('alphanumeric originator (GSM 7-bit, TON 5) round-trips for 1..11 characters', () => {
    for (const name of ['A', 'DM', 'Operator', 'DMServer', 'Vodafone-UK', 'abc@x_y']) {
      const d = decodeGsmDeliver(encodeGsmDeliver({ originator: name, ud: new Uint8Array(1) }), { smsc: false });
      assert.equal(d.originator.ton, 5);
      assert.equal(d.originator.number, name);
    }
  });
  test('septet packing agrees with a bit-string reference for every fill and length', () => {
    // reference: write each septet LSB-first into a bit list, then read octets LSB-first
    const ref = (sept: number[], fill: number): string => {
      const bits: number[] = new Array(fill).fill(0);
      for (const v of sept) for (let k = 0; k < 7; k++) bits.push((v >> k) & 1);
      while (bits.length % 8) bits.push(0);
      let hex = '';
      for (let i = 0; i < bits.length; i += 8) {
        let o = 0;
        for (let k = 0; k < 8; k++) o |= bits[i + k]! << k;
        hex += o.toString(16).padStart(2, '0');
      }
      return hex;
    };
    for (let n = 0; n <= 20; n++) {
      const sept = Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0x7f);
      for (let fill = 0; fill < 7; fill++) {
        const packed = packSeptets(Uint8Array.from(sept), fill);
        assert.equal(toHex(packed), ref(sept, fill), `n=${n} fill=${fill}`);
      }
    }
  });
  test('national number and BCD specials', () => {
    const d = decodeGsmDeliver(encodeGsmDeliver({ originator: '0123*#9', ud: new Uint8Array(0) }), { smsc: false });
    assert.equal(d.originator.number, '0123*#9');
    assert.equal(d.originator.ton, 0);
  });
  test('7-bit text without and with a UDH (fill bits) decodes', () => {
    const text = 'Hello {DM} €5 @ ÄÖÜ [x]~';
    const plain = decodeGsmDeliver(encodeGsmDeliver({ originator: '+1555', dcs: 0x00, text }), { smsc: false });
    assert.equal(plain.alphabet, 'gsm7');
    assert.equal(plain.text, text);
    for (const ies of [[concatIe(5, 2, 1, 8)], [concatIe(5, 2, 1, 16)], [portsIe(1, 2), concatIe(1, 3, 2, 8)], [{ iei: 0x70, data: new Uint8Array(0) }]]) {
      const d = decodeGsmDeliver(encodeGsmDeliver({ originator: '+1555', dcs: 0x00, text, udh: ies }), { smsc: false });
      assert.equal(d.text, text, `udh of ${ies.length} IEs`);
    }
  });
  test('7-bit packing: "hellohello" is the classic e8329bfd4697d9ec37', () => {
    assert.equal(toHex(packSeptets(gsm7Septets('hellohello'))), 'e8329bfd4697d9ec37');
    assert.equal(unpackGsm7(fromHex('e8329bfd4697d9ec37'), 0, 10), 'hellohello');
  });
  test('gsm7 rejects characters outside the alphabet', () => {
    assert.throws(() => gsm7Septets('ąb'), RangeError);
  });
  test('UCS-2 text', () => {
    const ud = fromHex('041f04400438043204350442'); // "Привет"
    const d = decodeGsmDeliver(encodeGsmDeliver({ originator: '+7', dcs: 0x08, ud }), { smsc: false });
    assert.equal(d.alphabet, 'ucs2');
    assert.equal(d.text, 'Привет');
  });
  test('DCS groups', () => {
    assert.deepEqual(parseDcs(0x04), { alphabet: '8bit', compressed: false, messageClass: null });
    assert.deepEqual(parseDcs(0xf5), { alphabet: '8bit', compressed: false, messageClass: 1 });
    assert.deepEqual(parseDcs(0xf0), { alphabet: 'gsm7', compressed: false, messageClass: 0 });
    assert.deepEqual(parseDcs(0x16), { alphabet: '8bit', compressed: false, messageClass: 2 });
    assert.deepEqual(parseDcs(0x24), { alphabet: '8bit', compressed: true, messageClass: null });
    assert.equal(parseDcs(0xe0).alphabet, 'ucs2');
    assert.equal(parseDcs(0xc8).alphabet, 'gsm7');
  });
  test('negative time zone and flags', () => {
    const scts = { year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 58, tzQuarterHours: -22 };
    const d = decodeGsmDeliver(encodeGsmDeliver({ originator: '1', scts, moreMessages: true, ud: new Uint8Array(0) }), { smsc: false });
    assert.deepEqual(d.scts, scts);
    assert.equal(d.moreMessages, true);
  });
});

describe('UDH', () => {
  test('parse/build round trip and IE extraction', () => {
    const ies = [portsIe(2948, 9200), concatIe(0x1234, 3, 2, 16), { iei: 0x24, data: fromHex('01') }];
    const h = buildUdh(ies);
    assert.equal(toHex(h), '0f' + '05040b8423f0' + '080412340302' + '240101');
    const p = parseUdh(h, 0);
    assert.equal(p.length, h.length);
    assert.deepEqual(p.ies.map((x) => [x.iei, toHex(x.data)]), ies.map((x) => [x.iei, toHex(x.data)]));
    assert.deepEqual(concatInfo(p.ies), { ref: 0x1234, total: 3, seq: 2, refBits: 16 });
    assert.deepEqual(portInfo([{ iei: IEI_PORTS8, data: fromHex('0506') }]), { dst: 5, src: 6, bits: 8 });
  });
  test('invalid concatenation IEs are ignored (23.040): seq 0, seq > total, total 0, bad length; last valid wins', () => {
    assert.equal(concatInfo([{ iei: IEI_CONCAT8, data: fromHex('010300') }]), null);
    assert.equal(concatInfo([{ iei: IEI_CONCAT8, data: fromHex('010304') }]), null);
    assert.equal(concatInfo([{ iei: IEI_CONCAT8, data: fromHex('010000') }]), null);
    assert.equal(concatInfo([{ iei: IEI_CONCAT16, data: fromHex('010302') }]), null);
    assert.deepEqual(concatInfo([concatIe(1, 2, 1, 8), { iei: IEI_CONCAT8, data: fromHex('010300') }]), { ref: 1, total: 2, seq: 1, refBits: 8 });
    assert.deepEqual(concatInfo([concatIe(1, 2, 1, 8), concatIe(2, 2, 2, 8)]), { ref: 2, total: 2, seq: 2, refBits: 8 });
  });
  test('UDHL or IE length past the end → DecodeError truncated', () => {
    assert.throws(() => parseUdh(fromHex('06050400'), 0), isDecode('truncated'));
    assert.throws(() => parseUdh(fromHex('0305050000'), 0), isDecode('truncated'));
    assert.throws(() => parseUdh(fromHex('0105'), 0), isDecode('truncated'));
    assert.throws(() => parseUdh(new Uint8Array(0), 0), isDecode('truncated'));
  });
  test('buildUdh bounds', () => {
    assert.throws(() => buildUdh([{ iei: 1, data: new Uint8Array(256) }]), RangeError);
    assert.throws(() => buildUdh([{ iei: 1, data: new Uint8Array(200) }, { iei: 2, data: new Uint8Array(60) }]), RangeError);
  });
});

describe('decode errors', () => {
  test('not SMS-DELIVER', () => {
    const m = FACTS_SMS.slice();
    m[0] = 0x41; // SMS-SUBMIT
    assert.throws(() => decodeGsmDeliver(m, { smsc: false }), isDecode('not-deliver'));
  });
  test('length fields out of range', () => {
    assert.throws(() => decodeGsmDeliver(fromHex('0c' + '00'.repeat(20)), { smsc: true }), isDecode('bad-length'));
    const m = FACTS_SMS.slice();
    m[1] = 21;
    assert.throws(() => decodeGsmDeliver(m, { smsc: false }), isDecode('bad-length'));
    const u = FACTS_SMS.slice();
    u[18] = 141;
    assert.throws(() => decodeGsmDeliver(u, { smsc: false }), isDecode('bad-length'));
  });
  test('every truncation is a DecodeError', () => {
    const pdus = [FACTS_SMS, concatBytes([fromHex('0791447700000000'), FACTS_SMS]), encodeGsmDeliver({ originator: 'Operator', dcs: 0, text: 'hi there', udh: [concatIe(1, 2, 1, 8)] })];
    pdus.forEach((pdu, k) => {
      for (let n = 0; n < pdu.length; n++) {
        assert.throws(() => decodeGsmDeliver(pdu.subarray(0, n), { smsc: k === 1 }), isDecode(), `pdu ${k} cut at ${n}`);
      }
      assert.doesNotThrow(() => decodeGsmDeliver(pdu, { smsc: k === 1 }));
    });
  });
});

describe('WAP push splitter', () => {
  test('splits into 8-bit parts with ports and concatenation, reassembling to the payload', () => {
    const wsp = encodeWspPush({ body: factsPkg0(0x42, 400) });
    for (const refBits of [8, 16] as const) {
      for (const every of [true, false]) {
        const parts = encodeGsmWapPush(wsp, { originator: '+1', refBits, ref: 300, portsInEveryPart: every });
        assert.equal(parts.length, Math.ceil(wsp.length / (refBits === 8 ? 128 : 127)));
        const chunks: Uint8Array[] = [];
        parts.forEach((p, i) => {
          const d = decodeGsmDeliver(p, { smsc: false });
          assert.ok(p.length <= 140 + 30);
          const c = concatInfo(d.udh)!;
          assert.deepEqual(c, { ref: refBits === 8 ? 300 & 0xff : 300, total: parts.length, seq: i + 1, refBits });
          assert.equal(portInfo(d.udh) !== null, every || i === 0);
          chunks.push(d.ud);
        });
        assert.equal(toHex(concatBytes(chunks)), toHex(wsp));
      }
    }
  });
});
