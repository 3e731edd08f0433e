// Unit (portable): every decoder on every truncation of every vector, and seeded random
// mutations: only DecodeError may escape a decoder, nothing may escape the router, and the
// router still accepts a valid push afterwards.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeGsmDeliver } from '../../../src/push/gsm';
import { decodeCdmaSms, parseCdmaWdp, encodeCdmaWapPush } from '../../../src/push/cdma';
import { decodeWspPush, encodeWspPush } from '../../../src/push/wsp';
import { parsePkg0 } from '../../../src/push/pkg0';
import { PushRouter } from '../../../src/push/PushRouter';
import type { PushDecision } from '../../../src/push/PushRouter';
import type { InboundSms } from '../../../src/platform';
import { DecodeError } from '../../../src/errors';
import { FakePlatform } from '../../helpers/fake-platform';
import { gsmPushVectors, factsPkg0, FACTS_SERVER, FACTS_SECRET, FACTS_NONCE } from './vectors';

/** All SMS inputs: every GSM vector part plus CDMA single/segmented/duplicated-port pushes. */
function corpus(): InboundSms[] {
  const out: InboundSms[] = [];
  for (const v of gsmPushVectors()) for (const bytes of v.pdus) out.push({ kind: 'gsm', bytes });
  const wsp = encodeWspPush({ body: factsPkg0(0x55, 150) });
  for (const bytes of encodeCdmaWapPush(wsp, { originator: '5551234567', messageId: 1, maxUserData: 90 })) out.push({ kind: 'cdma', bytes });
  for (const bytes of encodeCdmaWapPush(encodeWspPush({ body: factsPkg0(0x56) }), { originator: '1', messageId: 2, duplicatePorts: true })) out.push({ kind: 'cdma', bytes });
  out.push({ kind: 'wdp', bytes: wsp });
  return out;
}

/** Runs every decoder that applies; returns normally or throws what the decoder threw. */
function decodeAll(sms: InboundSms): void {
  if (sms.kind === 'gsm') {
    const d = decodeGsmDeliver(sms.bytes, { smsc: false });
    try { parsePkg0(decodeWspPush(d.ud).body); } catch (e) { if (!(e instanceof DecodeError)) throw e; }
  } else if (sms.kind === 'cdma') {
    const m = decodeCdmaSms(sms.bytes);
    if (m.userData && m.userData.encoding === 0) {
      const w = parseCdmaWdp(m.userData.bytes);
      try { parsePkg0(decodeWspPush(w.payload).body); } catch (e) { if (!(e instanceof DecodeError)) throw e; }
    }
  } else parsePkg0(decodeWspPush(sms.bytes).body);
}

function newRouter(out: PushDecision[]): { router: PushRouter; p: FakePlatform } {
  const p = new FakePlatform();
  const router = new PushRouter({
    accounts: { find: (id) => (id === FACTS_SERVER ? { serverId: id, serverSecret: FACTS_SECRET, serverNonce: FACTS_NONCE } : null) },
    log: p.log, now: () => p.clock.now(), onDecision: (d) => out.push(d), limits: { rateLimitCount: 1000, maxTracked: 1000 },
  });
  return { router, p };
}

function expectOnlyDecodeError(fn: () => void, what: string): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof DecodeError)) assert.fail(`${what}: ${String(e)}`);
  }
}

describe('truncation', () => {
  test('every vector cut at every byte: decoders throw only DecodeError; the router only rejects', () => {
    const out: PushDecision[] = [];
    const { router } = newRouter(out);
    let cuts = 0;
    for (const sms of corpus()) {
      for (let n = 0; n < sms.bytes.length; n++) {
        const cut = { ...sms, bytes: sms.bytes.subarray(0, n) };
        expectOnlyDecodeError(() => decodeAll(cut), `${sms.kind} cut at ${n}`);
        assert.doesNotThrow(() => router.handle(cut));
        cuts++;
      }
    }
    assert.ok(cuts > 1500);
    assert.ok(!out.some((d) => d.outcome === 'accepted'), 'no truncated push is ever accepted');
    assert.ok(out.filter((d) => d.outcome === 'rejected' && d.reason === 'malformed').length > 1000);
  });
});

describe('random mutations (seeded)', () => {
  test('5000 mutants: decoders throw only DecodeError, the router never throws and stays usable', () => {
    let seed = 0x5eed1234;
    const rnd = (n: number): number => {
      seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0;
      return seed % n;
    };
    const base = corpus();
    const out: PushDecision[] = [];
    const { router, p } = newRouter(out);
    for (let i = 0; i < 5000; i++) {
      const src = base[rnd(base.length)]!;
      const b = src.bytes.slice();
      const edits = 1 + rnd(4);
      let bytes = b;
      for (let k = 0; k < edits; k++) {
        const op = rnd(4);
        if (op === 0 || bytes.length === 0) { if (bytes.length > 0) bytes[rnd(bytes.length)] = rnd(256); }
        else if (op === 1) { const at = rnd(bytes.length); bytes[at] = bytes[at]! ^ (1 << rnd(8)); }
        else if (op === 2) bytes = bytes.subarray(0, rnd(bytes.length));
        else { const ins = new Uint8Array(bytes.length + 1); const at = rnd(bytes.length + 1); ins.set(bytes.subarray(0, at)); ins[at] = rnd(256); ins.set(bytes.subarray(at), at + 1); bytes = ins; }
      }
      const m: InboundSms = { ...src, bytes };
      expectOnlyDecodeError(() => decodeAll(m), `mutant ${i}`);
      assert.doesNotThrow(() => router.handle(m), `router, mutant ${i}`);
      if (i % 500 === 0) { p.advance(400_000); router.tick(); }
    }
    assert.ok(p.logs.every((l) => l.level !== 'error'), 'no internal errors while fuzzing');
    out.length = 0;
    router.handle({ kind: 'wdp', bytes: encodeWspPush({ body: factsPkg0(0x7777) }) });
    assert.equal(out[0]?.outcome, 'accepted');
    const u = router.usage().reassembly;
    assert.ok(u.highPending <= router.limits.maxPending);
  });
});
