// Fuzz (node-only, fast-check): the SMS decoders. PDUs are built field by field by generators
// written here (not with the module's own encoders): GSM SMS-DELIVER (3GPP 23.040) with or without
// the SMSC prefix, BCD and alphanumeric originators, every DCS group, UDH with valid and invalid
// information elements, GSM 7-bit text with fill bits; CDMA IS-637 transport messages with
// bit-packed addresses and bearer-data subparameters in every encoding; CDMA WDP headers.
// Properties: valid PDUs decode to the generated fields; mutated PDUs raise only DecodeError.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeGsmDeliver } from '../../src/push/gsm';
import { gsm7Septets } from '../../src/push/gsm7';
import { concatInfo, portInfo } from '../../src/push/udh';
import { decodeCdmaSms, parseCdmaWdp } from '../../src/push/cdma';
import { params } from './lib/params';
import { hexOf, underContract } from './lib/contract';
import { applyEdits, byteEdit } from './lib/syncml';

// ------------------------------------------------------------------ GSM

interface Ie { iei: number; data: number[] }
interface GsmGen {
  smsc: null | number[];
  mms: boolean; lp: boolean; sri: boolean; rp: boolean;
  oa: { kind: 'intl' | 'plain'; digits: string } | { kind: 'alpha'; septets: number[] };
  pid: number;
  dcs: number;
  scts: number[];
  ies: Ie[] | null;
  body: number[];
}

const bcd = (d: string): number[] => {
  const out: number[] = [];
  for (let i = 0; i < d.length; i += 2) out.push(Number(d[i]) | ((i + 1 < d.length ? Number(d[i + 1]) : 0xf) << 4));
  return out;
};

/** Packs septets LSB first after `fill` zero bits (23.038 §6.1.2.1.1). */
function pack(septets: number[], fill: number): number[] {
  const out = new Array<number>(Math.ceil((fill + septets.length * 7) / 8)).fill(0);
  septets.forEach((s, i) => {
    const bit = fill + i * 7;
    const v = s << (bit & 7);
    out[bit >> 3] = out[bit >> 3]! | (v & 0xff);
    if (v > 0xff) out[(bit >> 3) + 1] = out[(bit >> 3) + 1]! | (v >> 8);
  });
  return out;
}

const septet = fc.integer({ min: 0, max: 127 }).filter((s) => s !== 0x1b);
const ie: fc.Arbitrary<Ie> = fc.oneof(
  fc.tuple(fc.nat(255), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 })).map(([r, t, s]) => ({ iei: 0x00, data: [r, t, s] })),
  fc.tuple(fc.nat(0xffff), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 9 })).map(([r, t, s]) => ({ iei: 0x08, data: [r >> 8, r & 0xff, t, s] })),
  fc.tuple(fc.constantFrom(2948, 9200, 80, 0), fc.nat(0xffff)).map(([d, s]) => ({ iei: 0x05, data: [d >> 8, d & 0xff, s >> 8, s & 0xff] })),
  fc.tuple(fc.nat(255), fc.nat(255)).map(([d, s]) => ({ iei: 0x04, data: [d, s] })),
  fc.tuple(fc.nat(255), fc.array(fc.nat(255), { maxLength: 6 })).map(([iei, data]) => ({ iei, data })),
);

const gsmGen: fc.Arbitrary<GsmGen> = fc.record({
  smsc: fc.option(fc.oneof(fc.constant<number[]>([0]), fc.stringMatching(/^[0-9]{1,20}$/).map((d) => { const b = bcd(d); return [1 + b.length, 0x91, ...b]; })), { nil: null }),
  mms: fc.boolean(), lp: fc.boolean(), sri: fc.boolean(), rp: fc.boolean(),
  oa: fc.oneof(
    fc.tuple(fc.constantFrom<'intl' | 'plain'>('intl', 'plain'), fc.stringMatching(/^[0-9]{0,20}$/)).map(([kind, digits]) => ({ kind, digits })),
    fc.array(septet, { minLength: 1, maxLength: 11 }).map((septets) => ({ kind: 'alpha' as const, septets })),
  ),
  pid: fc.nat(255),
  dcs: fc.constantFrom(0x00, 0x04, 0x08, 0x11, 0x15, 0xf0, 0xf4, 0xf5, 0xe0, 0xc0, 0x40, 0x44),
  scts: fc.array(fc.nat(255), { minLength: 7, maxLength: 7 }),
  ies: fc.option(fc.array(ie, { maxLength: 4 }), { nil: null }),
  body: fc.array(fc.nat(255), { maxLength: 140 }),
});

/** The raw PDU of a generated SMS-DELIVER plus what the decoder must report; null when it cannot be built (too long). */
function buildGsm(g: GsmGen): { pdu: Uint8Array; udh: Ie[]; ud: number[]; septets: number[] | null } | null {
  const out: number[] = [];
  if (g.smsc) out.push(...g.smsc);
  out.push((g.rp ? 0x80 : 0) | (g.ies ? 0x40 : 0) | (g.sri ? 0x20 : 0) | (g.lp ? 0x08 : 0) | (g.mms ? 0 : 0x04));
  if (g.oa.kind === 'alpha') {
    const p = pack(g.oa.septets, 0);
    out.push(Math.ceil((g.oa.septets.length * 7) / 4), 0xd0, ...p);
  } else out.push(g.oa.digits.length, g.oa.kind === 'intl' ? 0x91 : 0x81, ...bcd(g.oa.digits));
  out.push(g.pid, g.dcs, ...g.scts);
  const hdr = g.ies ? g.ies.flatMap((e) => [e.iei, e.data.length, ...e.data]) : [];
  const udh = g.ies ? [hdr.length, ...hdr] : [];
  const gsm7 = (g.dcs >> 4 <= 7 && ((g.dcs >> 2) & 3) === 0 && (g.dcs & 0x20) === 0) || (g.dcs >> 4 === 0xf && (g.dcs & 4) === 0) || g.dcs >> 4 === 0xc;
  if (gsm7) {
    const septets = g.body.map((b) => b & 0x7f).filter((s) => s !== 0x1b);
    const hdrSept = Math.ceil((udh.length * 8) / 7);
    const udl = hdrSept + septets.length;
    if (udl > 160) return null;
    const bodyBytes = pack(septets, hdrSept * 7 - udh.length * 8);
    out.push(udl, ...udh, ...bodyBytes);
    return { pdu: Uint8Array.from(out), udh: g.ies ?? [], ud: bodyBytes, septets };
  }
  const udl = udh.length + g.body.length;
  if (udl > 140) return null;
  out.push(udl, ...udh, ...g.body);
  return { pdu: Uint8Array.from(out), udh: g.ies ?? [], ud: g.body, septets: null };
}

describe('fuzz: GSM SMS-DELIVER', () => {
  test('generated PDUs decode to their fields (addresses, DCS, UDH, user data, 7-bit text with fill bits)', () => {
    fc.assert(fc.property(gsmGen, (g) => {
      const b = buildGsm(g);
      fc.pre(b !== null);
      const r = underContract('gsm', () => decodeGsmDeliver(b!.pdu, { smsc: g.smsc !== null }), b!.pdu.length);
      assert.ok(r.ok, `valid PDU refused: ${r.ok ? '' : r.error.message} ${hexOf(b!.pdu)}`);
      const d = r.value;
      assert.equal(d.udhi, g.ies !== null);
      assert.equal(d.moreMessages, g.mms);
      assert.equal(d.statusReport, g.sri);
      assert.equal(d.replyPath, g.rp);
      assert.equal(d.pid, g.pid);
      assert.equal(d.dcs, g.dcs);
      if (g.smsc && g.smsc[0]! > 0) assert.equal(d.smsc?.number.replace('+', ''), g.smsc.slice(2).map((x) => `${x & 15}${x >> 4 === 15 ? '' : x >> 4}`).join(''));
      if (g.oa.kind !== 'alpha') assert.equal(d.originator.number, (g.oa.kind === 'intl' ? '+' : '') + g.oa.digits);
      else assert.deepEqual([...gsm7Septets(d.originator.number)].slice(0, g.oa.septets.length), g.oa.septets);
      assert.deepEqual(d.udh.map((e) => ({ iei: e.iei, data: [...e.data] })), b!.udh);
      assert.deepEqual([...d.ud], b!.ud);
      if (b!.septets) assert.deepEqual([...gsm7Septets(d.text!)], b!.septets);
      if (d.alphabet === 'ucs2') {
        let t = '';
        for (let i = 0; i + 1 < g.body.length; i += 2) t += String.fromCharCode((g.body[i]! << 8) | g.body[i + 1]!);
        assert.equal(d.text, t);
      }
      // the UDH helpers never throw on what the decoder returned
      concatInfo(d.udh);
      portInfo(d.udh);
    }), params('sms/gsm-valid', 800));
  });

  test('mutated PDUs (with and without the SMSC prefix): only DecodeError', () => {
    fc.assert(fc.property(gsmGen, fc.array(byteEdit, { minLength: 1, maxLength: 5 }), fc.boolean(), (g, edits, smsc) => {
      const b = buildGsm(g);
      fc.pre(b !== null);
      const bad = applyEdits(b!.pdu, edits);
      const r = underContract('gsm (mutated)', () => decodeGsmDeliver(bad, { smsc }), bad.length, bad);
      if (r.ok) {
        // whatever was accepted stays inside the PDU
        assert.ok(r.value.ud.length <= 140);
        concatInfo(r.value.udh);
        portInfo(r.value.udh);
      }
    }), params('sms/gsm-mutants', 1500));
  });

  test('any bytes: only DecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (b, smsc) => {
      underContract('gsm (random)', () => decodeGsmDeliver(b, { smsc }), b.length, b);
    }), params('sms/gsm-random', 1500));
  });
});

// ------------------------------------------------------------------ CDMA

/** MSB-first bit accumulator (independent of src/push/bits.ts). */
class Bits {
  bits: number[] = [];
  put(v: number, n: number): this {
    for (let i = n - 1; i >= 0; i--) this.bits.push((v >>> i) & 1);
    return this;
  }
  bytes(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.bits.length; i += 8) {
      let b = 0;
      for (let k = 0; k < 8; k++) b = (b << 1) | (this.bits[i + k] ?? 0);
      out.push(b);
    }
    return out;
  }
}

interface CdmaGen {
  msgType: number;
  teleservice: number | null;
  addr: { mode: 0; digits: number[] } | { mode: 1; numberMode: number; type: number; plan: number; chars: number[] } | null;
  replySeq: number | null;
  msgId: { type: number; id: number; hdr: boolean } | null;
  ud: { enc: number; fields: number[] } | null;
  unknown: { id: number; data: number[] }[];
}

const cdmaGen: fc.Arbitrary<CdmaGen> = fc.record({
  msgType: fc.constantFrom(0, 0, 1, 2),
  teleservice: fc.option(fc.constantFrom(4100, 4098, 4096, 65535), { nil: null }),
  addr: fc.option(fc.oneof(
    fc.array(fc.integer({ min: 1, max: 12 }), { maxLength: 20 }).map((digits) => ({ mode: 0 as const, digits })),
    fc.record({ numberMode: fc.nat(1), type: fc.nat(7), plan: fc.nat(15), chars: fc.array(fc.integer({ min: 32, max: 126 }), { maxLength: 20 }) }).map((r) => ({ mode: 1 as const, ...r })),
  ), { nil: null }),
  replySeq: fc.option(fc.nat(63), { nil: null }),
  msgId: fc.option(fc.record({ type: fc.nat(15), id: fc.nat(0xffff), hdr: fc.boolean() }), { nil: null }),
  ud: fc.option(fc.record({ enc: fc.constantFrom(0, 0, 2, 3, 4, 8, 9, 1, 17), fields: fc.array(fc.nat(0xffff), { maxLength: 60 }) }), { nil: null }),
  unknown: fc.array(fc.record({ id: fc.constantFrom(0x01, 0x03, 0x04, 0x05, 0x07, 0x40), data: fc.array(fc.nat(255), { maxLength: 8 }) }), { maxLength: 2 }),
});

const fieldWidth = (enc: number): number => (enc === 4 ? 16 : enc === 0 || enc === 8 ? 8 : 7);

function buildCdma(g: CdmaGen): Uint8Array | null {
  const out: number[] = [g.msgType];
  if (g.teleservice !== null) out.push(0x00, 2, g.teleservice >> 8, g.teleservice & 0xff);
  if (g.addr) {
    const w = new Bits();
    if (g.addr.mode === 0) {
      w.put(0, 1).put(0, 1).put(g.addr.digits.length, 8);
      for (const d of g.addr.digits) w.put(d, 4);
    } else {
      w.put(1, 1).put(g.addr.numberMode, 1).put(g.addr.type, 3);
      if (g.addr.numberMode === 0) w.put(g.addr.plan, 4);
      w.put(g.addr.chars.length, 8);
      for (const c of g.addr.chars) w.put(c, 8);
    }
    const b = w.bytes();
    out.push(0x02, b.length, ...b);
  }
  for (const u of g.unknown) out.push(u.id, u.data.length, ...u.data);
  if (g.replySeq !== null) out.push(0x06, 1, g.replySeq << 2);
  const bearer: number[] = [];
  if (g.msgId) {
    const m = new Bits().put(g.msgId.type, 4).put(g.msgId.id, 16).put(g.msgId.hdr ? 1 : 0, 1).put(0, 3).bytes();
    bearer.push(0x00, m.length, ...m);
  }
  if (g.ud) {
    const w = new Bits().put(g.ud.enc, 5);
    if (g.ud.enc === 1) w.put(0x83, 8);
    const width = fieldWidth(g.ud.enc);
    w.put(g.ud.fields.length, 8);
    for (const f of g.ud.fields) w.put(f & ((1 << width) - 1), width);
    const b = w.bytes();
    if (b.length > 255) return null;
    bearer.push(0x01, b.length, ...b);
  }
  if (bearer.length > 255) return null;
  if (g.msgId || g.ud) out.push(0x08, bearer.length, ...bearer);
  return Uint8Array.from(out);
}

describe('fuzz: CDMA IS-637 and WDP', () => {
  test('generated transport messages decode to their fields (bit-packed address, message id, user data)', () => {
    fc.assert(fc.property(cdmaGen, (g) => {
      const pdu = buildCdma(g);
      fc.pre(pdu !== null);
      const r = underContract('cdma', () => decodeCdmaSms(pdu!), pdu!.length);
      assert.ok(r.ok, `valid message refused: ${r.ok ? '' : r.error.message} ${hexOf(pdu!)}`);
      const m = r.value;
      assert.equal(m.messageType, g.msgType);
      assert.equal(m.teleservice, g.teleservice);
      assert.equal(m.replySeq, g.replySeq);
      if (g.addr?.mode === 0) assert.equal(m.originator?.address, g.addr.digits.map((d) => ' 1234567890*#'[d]).join(''));
      if (g.addr?.mode === 1) {
        assert.equal(m.originator?.address, String.fromCharCode(...g.addr.chars));
        assert.equal(m.originator?.numberType, g.addr.type);
      }
      if (g.msgId) assert.deepEqual(m.messageId, { type: g.msgId.type, id: g.msgId.id, headerInd: g.msgId.hdr });
      else assert.equal(m.messageId, null);
      if (g.ud) {
        const w = fieldWidth(g.ud.enc);
        const vals = g.ud.fields.map((f) => f & ((1 << w) - 1));
        assert.equal(m.userData?.numFields, g.ud.fields.length);
        if (g.ud.enc === 0) assert.deepEqual([...m.userData!.bytes], vals);
        if ([2, 3, 4, 8].includes(g.ud.enc)) assert.equal(m.userData!.text, String.fromCharCode(...vals));
      }
    }), params('sms/cdma-valid', 800));
  });

  test('mutated and random transport messages: only DecodeError', () => {
    fc.assert(fc.property(cdmaGen, fc.array(byteEdit, { minLength: 1, maxLength: 5 }), (g, edits) => {
      const pdu = buildCdma(g);
      fc.pre(pdu !== null);
      const bad = applyEdits(pdu!, edits);
      underContract('cdma (mutated)', () => decodeCdmaSms(bad), bad.length, bad);
    }), params('sms/cdma-mutants', 1500));
    fc.assert(fc.property(fc.uint8Array({ maxLength: 255 }), (b) => {
      underContract('cdma (random)', () => decodeCdmaSms(b), b.length, b);
    }), params('sms/cdma-random', 1000));
  });

  test('WDP headers: valid ones parse to their fields; anything else only DecodeError', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 255 }), fc.nat(254), fc.nat(0xffff), fc.nat(0xffff), fc.uint8Array({ maxLength: 40 }), fc.constantFrom<'never' | 'detect'>('never', 'detect'), (total, seg0, src, dst, data, dup) => {
      const seg = seg0 % total;
      const ud = Uint8Array.from([0, total, seg, ...(seg === 0 ? [src >> 8, src & 0xff, dst >> 8, dst & 0xff] : []), ...data]);
      const r = underContract('cdma-wdp', () => parseCdmaWdp(ud, { duplicatePorts: dup }), ud.length);
      assert.ok(r.ok);
      assert.equal(r.value.total, total);
      assert.equal(r.value.segment, seg);
      if (seg === 0) assert.deepEqual([r.value.srcPort, r.value.dstPort], [src, dst]);
      if (!r.value.skippedDuplicatePorts) assert.deepEqual([...r.value.payload], [...data]);
    }), params('sms/wdp-valid', 500));
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      underContract('cdma-wdp (random)', () => parseCdmaWdp(b), b.length, b);
    }), params('sms/wdp-random', 1000));
  });
});
