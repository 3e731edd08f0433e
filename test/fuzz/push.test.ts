// Fuzz (node-only, fast-check): the push path above SMS: WSP push PDUs (content type in its three
// forms with typed and untyped parameters, well-known and application headers, code-page shifts),
// package #0 (parse and digest against node:crypto as the independent MD5 oracle), the fixed-memory
// Reassembler (random interleavings, duplicates, floods, timeouts) and the PushRouter end to end
// (valid, forged, replayed and garbage pushes in random order). Properties: valid inputs decode to
// their fields; malformed ones raise only DecodeError; the router never throws, accepts only pushes
// signed with the account's secret, never accepts a replay inside the duplicate window, and its
// memory stays inside its limits.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { decodeWspPush, peekWspPushContentType, WSP_CONTENT_TYPES } from '../../src/push/wsp';
import { buildPkg0, parsePkg0, verifyPkg0, PKG0_RESET_NONCE } from '../../src/push/pkg0';
import { Reassembler } from '../../src/push/Reassembler';
import { PushRouter } from '../../src/push/PushRouter';
import type { PushDecision } from '../../src/push/PushRouter';
import { encodeGsmWapPush } from '../../src/push/gsm';
import { encodeCdmaWapPush } from '../../src/push/cdma';
import type { InboundSms } from '../../src/platform';
import { params } from './lib/params';
import { hexOf, underContract } from './lib/contract';
import { applyEdits, byteEdit } from './lib/syncml';

// ------------------------------------------------------------------ WSP (own encoder)

const uintvar = (v: number): number[] => {
  const out = [v & 0x7f];
  v = Math.floor(v / 128);
  while (v > 0) { out.unshift(0x80 | (v & 0x7f)); v = Math.floor(v / 128); }
  return out;
};
const text = (s: string): number[] => [...Buffer.from(s, 'latin1'), 0];
const tokenText = fc.stringMatching(/^[a-z][a-z0-9.+/-]{0,15}$/);
const longInt = (v: number): number[] => {
  const b: number[] = [];
  do { b.unshift(v % 256); v = Math.floor(v / 256); } while (v > 0);
  return [b.length, ...b];
};
const integer = (v: number): number[] => (v < 128 ? [0x80 | v] : longInt(v));

interface WspGen {
  tid: number; type: number;
  ct: { form: 'short'; code: number } | { form: 'text'; s: string } | { form: 'general'; code: number | string; params: number[][] };
  appId: { kind: 'short'; v: number } | { kind: 'long'; v: number } | { kind: 'text'; s: string } | null;
  headers: number[][];
  body: number[];
}

const param = fc.oneof(
  fc.tuple(fc.constantFrom(0x01, 0x03, 0x05, 0x09), tokenText).map(([c, s]) => [0x80 | c, ...text(s)]),
  fc.tuple(fc.constantFrom(0x02, 0x16), fc.nat(1 << 20)).map(([c, v]) => [0x80 | c, ...integer(v)]),
  fc.integer({ min: 1, max: 16383 }).map((q) => [0x80, ...uintvar(q)]), // Q-value
  fc.tuple(tokenText, tokenText).map(([n, v]) => [...text(n), ...text(v)]),
  fc.tuple(tokenText, fc.nat(100000)).map(([n, v]) => [...text(n), ...integer(v)]),
);
const header = fc.oneof(
  fc.tuple(fc.constantFrom(0x05, 0x0d, 0x12, 0x14, 0x1d), fc.nat(0xffffffff)).map(([c, v]) => [0x80 | c, ...integer(v)]),
  fc.tuple(fc.constantFrom(0x09, 0x16, 0x27, 0x29, 0x30), tokenText).map(([c, s]) => [0x80 | c, ...text(s)]),
  fc.tuple(fc.integer({ min: 0x00, max: 0x7f }).filter((c) => c !== 0x2f), fc.array(fc.nat(255), { maxLength: 40 })).map(([c, d]) => [0x80 | c, ...(d.length <= 30 ? [d.length] : [31, ...uintvar(d.length)]), ...d]),
  fc.tuple(tokenText.map((s) => s.replace(/^x-wap-application-id$/, 'x')), tokenText).map(([n, v]) => [...text(n), ...text(v)]),
  fc.integer({ min: 2, max: 31 }).map((p) => [p]), // short-cut shift
  fc.tuple(fc.nat(255), fc.constantFrom(0x85, 0x89), fc.nat(127)).map(([p, h, v]) => [127, p, h, 0x80 | v]), // shift + a header on that page
);

const wspGen: fc.Arbitrary<WspGen> = fc.record({
  tid: fc.nat(255), type: fc.constantFrom(0x06, 0x07),
  ct: fc.oneof(
    fc.nat(0x7f).map((code) => ({ form: 'short' as const, code })),
    fc.oneof(tokenText, fc.constant('application/vnd.syncml.notification')).map((s) => ({ form: 'text' as const, s })),
    fc.tuple(fc.oneof(fc.nat(0x7f), fc.nat(0x3fff).map((n) => n + 0x80), tokenText), fc.array(param, { maxLength: 4 })).map(([code, ps]) => ({ form: 'general' as const, code, params: ps })),
  ),
  appId: fc.option(fc.oneof(
    fc.nat(0x7f).map((v) => ({ kind: 'short' as const, v })),
    fc.nat(0xffffff).map((v) => ({ kind: 'long' as const, v })),
    fc.oneof(tokenText, fc.constant('x-wap-application:syncml.dm')).map((s) => ({ kind: 'text' as const, s })),
  ), { nil: null }),
  headers: fc.array(header, { maxLength: 6 }),
  body: fc.array(fc.nat(255), { maxLength: 60 }),
});

function buildWsp(g: WspGen): Uint8Array {
  const hdr: number[] = [];
  if (g.ct.form === 'short') hdr.push(0x80 | g.ct.code);
  else if (g.ct.form === 'text') hdr.push(...text(g.ct.s));
  else {
    const inner = [...(typeof g.ct.code === 'string' ? text(g.ct.code) : integer(g.ct.code)), ...g.ct.params.flat()];
    hdr.push(...(inner.length <= 30 ? [inner.length] : [31, ...uintvar(inner.length)]), ...inner);
  }
  if (g.appId) hdr.push(0xaf, ...(g.appId.kind === 'short' ? [0x80 | g.appId.v] : g.appId.kind === 'long' ? longInt(g.appId.v) : text(g.appId.s)));
  for (const h of g.headers) hdr.push(...h);
  return Uint8Array.from([g.tid, g.type, ...uintvar(hdr.length), ...hdr, ...g.body]);
}

describe('fuzz: WSP push', () => {
  test('generated PDUs decode to their content type, application id and body', () => {
    fc.assert(fc.property(wspGen, (g) => {
      const pdu = buildWsp(g);
      const r = underContract('wsp', () => decodeWspPush(pdu, { limits: { maxHeaders: 64 } }), pdu.length);
      assert.ok(r.ok, `valid PDU refused: ${r.ok ? '' : r.error.message} ${hexOf(pdu)}`);
      const w = r.value;
      assert.equal(w.tid, g.tid);
      assert.equal(w.pduType, g.type);
      assert.deepEqual([...w.body], g.body);
      const code = g.ct.form === 'short' ? g.ct.code : g.ct.form === 'general' && typeof g.ct.code === 'number' ? g.ct.code : null;
      assert.equal(w.contentTypeCode, code);
      if (code !== null && code < WSP_CONTENT_TYPES.length) assert.equal(w.contentType, WSP_CONTENT_TYPES[code]);
      if (g.ct.form === 'text') assert.equal(w.contentType, g.ct.s);
      if (g.ct.form === 'general') assert.equal(w.contentTypeParams.length, g.ct.params.length);
      // headers after a code-page shift are not page 1: the app id is only recognised before any shift
      if (g.appId) assert.equal(w.appId, g.appId.kind === 'text' ? g.appId.s : g.appId.v);
      assert.equal(peekWspPushContentType(pdu), w.contentType);
    }), params('push/wsp-valid', 800));
  });

  test('mutated PDUs: decode raises only DecodeError; peek never throws', () => {
    fc.assert(fc.property(wspGen, fc.array(byteEdit, { minLength: 1, maxLength: 5 }), (g, edits) => {
      const bad = applyEdits(buildWsp(g), edits);
      const r = underContract('wsp (mutated)', () => decodeWspPush(bad), bad.length, bad);
      if (r.ok) assert.ok(r.value.headers.length <= 32 && r.value.bodyOffset <= bad.length);
      const p = peekWspPushContentType(bad);
      assert.ok(p === null || typeof p === 'string');
    }), params('push/wsp-mutants', 1500));
  });
});

// ------------------------------------------------------------------ package #0

const md5 = (...parts: (Uint8Array | string)[]): Buffer => {
  const h = createHash('md5');
  for (const p of parts) h.update(typeof p === 'string' ? Buffer.from(p, 'utf8') : p);
  return h.digest();
};
/** The digest formula (facts §6.2) with node:crypto: the independent oracle. */
function oracleDigest(serverId: Uint8Array, secret: string, nonce: Uint8Array, trigger: Uint8Array): Buffer {
  const cred = md5(serverId, ':', secret).toString('base64');
  return md5(cred, ':', nonce, ':', md5(trigger).toString('base64'));
}

const serverIdArb = fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/);
const pkg0Arb = fc.record({
  version: fc.integer({ min: 0, max: 1023 }), uiMode: fc.nat(3), initiator: fc.nat(1), futureUse: fc.nat(0x7ffffff),
  sessionId: fc.nat(0xffff), serverId: serverIdArb, secret: fc.string({ maxLength: 20 }), nonce: fc.uint8Array({ maxLength: 16 }),
  vendor: fc.uint8Array({ maxLength: 30 }),
});

describe('fuzz: package #0', () => {
  test('built notifications parse to their fields and verify against the node:crypto digest', () => {
    fc.assert(fc.property(pkg0Arb, (g) => {
      const b = buildPkg0({ ...g, nonce: g.nonce, vendor: g.vendor });
      const p = parsePkg0(b);
      assert.deepEqual([p.version, p.uiMode, p.initiator, p.futureUse, p.sessionId, p.serverId], [g.version, g.uiMode, g.initiator, g.futureUse, g.sessionId, g.serverId]);
      assert.deepEqual([...p.vendor], [...g.vendor]);
      assert.equal(p.sessionIdHex, g.sessionId.toString(16).toUpperCase());
      assert.deepEqual(Buffer.from(p.digest), oracleDigest(p.serverIdBytes, g.secret, g.nonce, p.trigger));
      assert.equal(verifyPkg0(p, g.secret, g.nonce), 'ok');
    }), params('push/pkg0-valid', 500));
  });

  test('any changed bit of the trigger or digest, a wrong secret or a wrong nonce fails verification', () => {
    fc.assert(fc.property(pkg0Arb, fc.nat(), fc.nat(7), fc.string({ minLength: 1, maxLength: 8 }), (g, at, bit, other) => {
      const b = buildPkg0(g);
      const bad = b.slice();
      bad[at % bad.length] = bad[at % bad.length]! ^ (1 << bit);
      const r = underContract('pkg0 (flipped)', () => parsePkg0(bad), bad.length);
      if (r.ok) {
        const v = verifyPkg0(r.value, g.secret, g.nonce);
        // a flip in the length octet can still parse; the digest covers every byte after it
        assert.notEqual(v, 'ok');
        // the reset nonce only helps when the sender used it
        assert.equal(v, 'bad');
      }
      fc.pre(other !== g.secret);
      assert.equal(verifyPkg0(parsePkg0(b), other, g.nonce), 'bad');
    }), params('push/pkg0-flips', 800));
  });

  test('the reset nonce (4 zero bytes) is accepted only when allowed and only as "ok-reset-nonce"', () => {
    fc.assert(fc.property(pkg0Arb, (g) => {
      fc.pre(!(g.nonce.length === 4 && g.nonce.every((x) => x === 0)));
      const p = parsePkg0(buildPkg0({ ...g, nonce: PKG0_RESET_NONCE }));
      assert.equal(verifyPkg0(p, g.secret, g.nonce), 'ok-reset-nonce');
      assert.equal(verifyPkg0(p, g.secret, g.nonce, { allowNonceReset: false }), 'bad');
    }), params('push/pkg0-reset', 300));
  });

  test('any bytes: parse raises only DecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      underContract('pkg0 (random)', () => parsePkg0(b), b.length, b);
    }), params('push/pkg0-random', 1000));
  });
});

// ------------------------------------------------------------------ Reassembler

describe('fuzz: Reassembler', () => {
  test('random interleavings, duplicates, floods and timeouts: completed data is exact, memory bounded', () => {
    const limits = { maxPending: 3, maxSegments: 6, maxMessageBytes: 200, timeoutMs: 1000 };
    const msgArb = fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd', 'e'), parts: fc.array(fc.uint8Array({ minLength: 0, maxLength: 60 }), { minLength: 1, maxLength: 8 }) }), { minLength: 1, maxLength: 6 });
    fc.assert(fc.property(msgArb, fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat(1500)), { maxLength: 60 }), (msgs, order) => {
      // unique keys per run: later messages with a used key get a suffix
      const seen = new Set<string>();
      const ms = msgs.map((m, i) => { const key = seen.has(m.key) ? `${m.key}${i}` : m.key; seen.add(key); return { ...m, key }; });
      const evicted = new Set<string>();
      const r = new Reassembler(limits, (k) => evicted.add(k));
      /** Completion time per key: the same key completes again only after the duplicate window. */
      const completed = new Map<string, number>();
      let now = 0;
      for (const [mi, si, dt] of order) {
        const m = ms[mi % ms.length]!;
        const seq = si % (m.parts.length + 1); // one out-of-range sequence number per message
        now += dt;
        const res = r.add(m.key, seq, m.parts.length, m.parts[seq] ?? new Uint8Array(3), now, seq === 0 ? 2948 : -1);
        const u = r.usage();
        assert.ok(u.pending <= limits.maxPending && u.bytes <= limits.maxPending * limits.maxMessageBytes && u.bytes >= 0, JSON.stringify(u));
        if (seq >= m.parts.length) assert.deepEqual(res, { status: 'refused', reason: 'bad-sequence' });
        if (res.status === 'complete') {
          const whole = Buffer.concat(m.parts.map((p) => Buffer.from(p)));
          assert.ok(Buffer.from(res.data).equals(whole), `message ${m.key} reassembled wrongly`);
          const prev = completed.get(m.key);
          assert.ok(prev === undefined || now - prev >= limits.timeoutMs, 'a message completed twice inside the duplicate window');
          completed.set(m.key, now);
        }
        if (m.parts.length > limits.maxSegments) assert.equal(res.status === 'complete', false);
      }
      // a message whose every segment arrived within one timeout, without eviction, completed
      r.expire(now + limits.timeoutMs);
      assert.equal(r.usage().pending, 0);
      assert.equal(r.nextDeadline(), null);
    }), params('push/reassembler', 400));
  });
});

// ------------------------------------------------------------------ PushRouter end to end

const SERVER = 'com.mgmtsrv.manage';
const SECRET = 'srvSecret';
const NONCE = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);

type Ev = { kind: 'push'; bearer: 'gsm' | 'cdma' | 'wdp'; session: number; forged: boolean; vendor: number; order: number[] } | { kind: 'garbage'; bytes: Uint8Array; bearer: 'gsm' | 'cdma' | 'wdp' } | { kind: 'wait'; ms: number };

const evArb: fc.Arbitrary<Ev> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('push' as const), bearer: fc.constantFrom<'gsm' | 'cdma' | 'wdp'>('gsm', 'cdma', 'wdp'), session: fc.integer({ min: 1, max: 6 }), forged: fc.boolean(), vendor: fc.nat(200), order: fc.array(fc.nat(), { maxLength: 6 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ maxLength: 160 }), bearer: fc.constantFrom<'gsm' | 'cdma' | 'wdp'>('gsm', 'cdma', 'wdp') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.constantFrom(10, 1000, 70_000, 700_000) }) },
);

describe('fuzz: PushRouter', () => {
  test('random sequences of valid, forged, replayed, segmented and garbage pushes', () => {
    fc.assert(fc.property(fc.array(evArb, { minLength: 1, maxLength: 25 }), (evs) => {
      let now = 0;
      const decisions: PushDecision[] = [];
      const router = new PushRouter({
        accounts: { find: (id) => (id === SERVER ? { serverId: id, serverSecret: new Uint8Array(Buffer.from(SECRET)), serverNonce: NONCE } : null) },
        log: () => {}, now: () => now, onDecision: (d) => decisions.push(d),
        limits: { maxPending: 2, maxMessageBytes: 600 },
      });
      /** Accepted (session id → time) as the oracle of duplicates. */
      const acceptedAt = new Map<number, number>();
      for (const ev of evs) {
        if (ev.kind === 'wait') { now += ev.ms; router.tick(); continue; }
        const before = decisions.length;
        if (ev.kind === 'garbage') {
          assert.doesNotThrow(() => router.handle({ kind: ev.bearer, bytes: ev.bytes }));
          for (const d of decisions.slice(before)) assert.notEqual(d.outcome, 'accepted', `garbage accepted: ${hexOf(ev.bytes)}`);
          continue;
        }
        const pkg = buildPkg0({ sessionId: ev.session, serverId: SERVER, secret: ev.forged ? 'wrong' : SECRET, nonce: NONCE, vendor: new Uint8Array(ev.vendor).fill(0x5a) });
        const wsp = Uint8Array.from([1, 6, 3, 0xc4, 0xaf, 0x87, ...pkg]);
        const sms: InboundSms[] = ev.bearer === 'wdp' ? [{ kind: 'wdp', bytes: wsp }]
          : ev.bearer === 'gsm' ? encodeGsmWapPush(wsp, { originator: '+447700900123', ref: ev.session }).map((bytes) => ({ kind: 'gsm' as const, bytes }))
            : encodeCdmaWapPush(wsp, { originator: '5551234', messageId: ev.session, maxUserData: 90 }).map((bytes) => ({ kind: 'cdma' as const, bytes }));
        // deliver the segments in a generated order (each at least once, some twice)
        const idx = [...ev.order.map((o) => o % sms.length), ...sms.map((_, i) => i)];
        for (const i of idx) assert.doesNotThrow(() => router.handle(sms[i]!));
        for (const d of decisions.slice(before)) {
          if (d.outcome !== 'accepted') continue;
          assert.equal(ev.forged, false, 'a forged notification was accepted');
          const prev = acceptedAt.get(ev.session);
          assert.ok(prev === undefined || now - prev >= router.limits.duplicateWindowMs, 'a replay inside the duplicate window was accepted');
          acceptedAt.set(ev.session, now);
        }
        const u = router.usage();
        assert.ok(u.reassembly.pending <= 2 && u.tracked <= router.limits.maxTracked);
      }
      const u = router.usage();
      const rejected = Object.values(u.rejected).reduce((a, b) => a + b, 0);
      assert.equal(u.accepted + rejected, decisions.length, 'every decision is counted once');
    }), params('push/router', 300));
  });
});
