// Unit (portable): PushRouter decisions for every reason, GSM single/concatenated, CDMA, WDP,
// nonce reset, duplicates, rate limit, ui-modes, logging without secrets.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PushRouter } from '../../../src/push/PushRouter';
import type { PushDecision, PushAccount, PushRouterOptions } from '../../../src/push/PushRouter';
import { buildPkg0, UiMode, PKG0_RESET_NONCE } from '../../../src/push/pkg0';
import { encodeWspPush } from '../../../src/push/wsp';
import type { WspPushInit } from '../../../src/push/wsp';
import { encodeGsmWapPush, encodeGsmDeliver } from '../../../src/push/gsm';
import { encodeCdmaWapPush, encodeCdmaSms } from '../../../src/push/cdma';
import { portsIe } from '../../../src/push/udh';
import type { InboundSms, UiRequest, UiAnswer } from '../../../src/platform';
import { FakePlatform } from '../../helpers/fake-platform';
import { utf8Encode } from '../../../src/util/utf8';
import { b64encode } from '../../../src/crypto/base64';
import { FACTS_SMS, FACTS_SERVER, FACTS_SECRET, FACTS_NONCE } from './vectors';

const ACCOUNTS: PushAccount[] = [
  { serverId: FACTS_SERVER, serverSecret: FACTS_SECRET, serverNonce: FACTS_NONCE },
  { serverId: 'srv2', serverSecret: utf8Encode('pw2'), serverNonce: utf8Encode('nonce2') },
];

interface Rig {
  router: PushRouter;
  p: FakePlatform;
  out: PushDecision[];
  asks: UiRequest[];
  answer: UiAnswer['outcome'] | null;
}

function rig(opts: Partial<PushRouterOptions> & { answer?: UiAnswer['outcome'] | null; withUi?: boolean } = {}): Rig {
  const p = new FakePlatform();
  const r: Rig = { p, out: [], asks: [], answer: opts.answer ?? 'ok', router: null as unknown as PushRouter };
  const ui = {
    ask: (req: UiRequest, done: (a: UiAnswer) => void): void => {
      r.asks.push(req);
      if (r.answer) { const a = r.answer; p.setTimer(10, () => done({ outcome: a })); }
    },
  };
  r.router = new PushRouter({
    accounts: { find: (id) => ACCOUNTS.find((a) => a.serverId === id) ?? null },
    log: p.log, now: () => p.clock.now(), onDecision: (d) => r.out.push(d),
    ...(opts.withUi === false ? {} : { ui }),
    ...opts,
  });
  return r;
}

const pkg = (o: Partial<Parameters<typeof buildPkg0>[0]> = {}): Uint8Array =>
  buildPkg0({ sessionId: 0x0a3f, serverId: FACTS_SERVER, secret: FACTS_SECRET, nonce: FACTS_NONCE, ...o });
const gsm = (body: Uint8Array, w: Partial<WspPushInit> = {}, o: Partial<Parameters<typeof encodeGsmWapPush>[1]> = {}): InboundSms[] =>
  encodeGsmWapPush(encodeWspPush({ body, ...w }), { originator: '+447700900123', ...o }).map((bytes) => ({ kind: 'gsm' as const, bytes }));
const last = (r: Rig): PushDecision => r.out[r.out.length - 1]!;
const reason = (r: Rig): string => { const d = last(r); return d.outcome === 'rejected' ? d.reason : 'accepted'; };

describe('PushRouter accepts', () => {
  test('facts §6.4 SMS → accepted with session 1234, background, version 12', () => {
    const r = rig();
    r.router.handle({ kind: 'gsm', bytes: FACTS_SMS });
    assert.deepEqual(r.out, [{ outcome: 'accepted', serverId: FACTS_SERVER, sessionId: '1234', uiMode: UiMode.Background, initiator: 1, version: 12, vendor: new Uint8Array(0), nonceReset: false }]);
    assert.equal(r.asks.length, 0);
  });
  test('with SMSC prefix, textual content type / app id, general form, long app id', () => {
    const r = rig();
    const [withSmsc] = encodeGsmWapPush(encodeWspPush({ body: pkg({ sessionId: 1 }) }), { originator: '+1', smsc: '+4477' });
    r.router.handle({ kind: 'gsm', bytes: withSmsc!, smsc: true });
    for (const [i, w] of ([
      { contentType: 'Application/Vnd.SyncML.Notification', appId: 'x-wap-application:syncml.dm' },
      { contentTypeGeneral: true, contentTypeParams: [{ code: 1, value: 106 }] },
      { appIdLong: true },
    ] as Partial<WspPushInit>[]).entries()) {
      for (const sms of gsm(pkg({ sessionId: 2 + i, serverId: 'srv2', secret: 'pw2', nonce: utf8Encode('nonce2') }), w)) r.router.handle(sms);
    }
    assert.deepEqual(r.out.map((d) => d.outcome === 'accepted' && d.sessionId), ['1', '2', '3', '4']);
  });
  test('concatenated 8- and 16-bit references, out of order, ports only in the first part', () => {
    const r = rig({ limits: { rateLimitCount: 10, maxTracked: 10 } });
    const body = pkg({ sessionId: 0x10, vendor: new Uint8Array(250).fill(9) });
    const a = gsm(body, {}, { ref: 5 });
    assert.equal(a.length, 3);
    for (const s of [a[2]!, a[0]!, a[1]!]) r.router.handle(s);
    const b = gsm(pkg({ sessionId: 0x11, vendor: new Uint8Array(250) }), {}, { ref: 0x1234, refBits: 16, portsInEveryPart: false });
    for (const s of [b[1]!, b[2]!, b[0]!]) r.router.handle(s);
    assert.deepEqual(r.out.map((d) => d.outcome === 'accepted' && d.sessionId), ['10', '11']);
    const d = r.out[0]!;
    assert.equal(d.outcome === 'accepted' && d.vendor.length, 250);
    assert.equal(r.router.usage().reassembly.highPending, 1);
  });
  test('CDMA single and segmented (with the duplicated-port quirk), and a WDP datagram', () => {
    const r = rig();
    for (const bytes of encodeCdmaWapPush(encodeWspPush({ body: pkg({ sessionId: 0x21 }) }), { originator: '5551234567', messageId: 3 })) r.router.handle({ kind: 'cdma', bytes });
    const seg = encodeCdmaWapPush(encodeWspPush({ body: pkg({ sessionId: 0x22, vendor: new Uint8Array(300) }) }), { originator: '5551234567', messageId: 4, maxUserData: 100, duplicatePorts: true });
    assert.ok(seg.length >= 3);
    for (const bytes of seg.reverse()) r.router.handle({ kind: 'cdma', bytes });
    r.router.handle({ kind: 'wdp', bytes: encodeWspPush({ body: pkg({ sessionId: 0x23 }) }) });
    assert.deepEqual(r.out.map((d) => d.outcome === 'accepted' && d.sessionId), ['21', '22', '23']);
  });
  test('version 11 and other 1.x versions are accepted; 2.0 is not by default', () => {
    const r = rig();
    r.router.handle({ kind: 'wdp', bytes: encodeWspPush({ body: pkg({ version: 11, sessionId: 1 }) }) });
    r.router.handle({ kind: 'wdp', bytes: encodeWspPush({ body: pkg({ version: 10, sessionId: 2, serverId: 'srv2', secret: 'pw2', nonce: utf8Encode('nonce2') }) }) });
    r.router.handle({ kind: 'wdp', bytes: encodeWspPush({ body: pkg({ version: 20, sessionId: 3 }) }) });
    assert.deepEqual(r.out.map((d) => (d.outcome === 'accepted' ? d.version : d.reason)), [11, 10, 'malformed']);
    const any = rig({ acceptVersion: () => true });
    any.router.handle({ kind: 'wdp', bytes: encodeWspPush({ body: pkg({ version: 20, sessionId: 3 }) }) });
    assert.equal(reason(any), 'accepted');
  });
  test('nonce reset: a digest over 4 zero bytes is accepted with nonceReset, unless disabled', () => {
    const body = pkg({ nonce: PKG0_RESET_NONCE });
    const r = rig();
    r.router.handle({ kind: 'wdp', bytes: encodeWspPush({ body }) });
    const d = last(r);
    assert.equal(d.outcome === 'accepted' && d.nonceReset, true);
    const off = rig({ allowNonceReset: false });
    off.router.handle({ kind: 'wdp', bytes: encodeWspPush({ body }) });
    assert.equal(reason(off), 'bad-digest');
  });
});

describe('PushRouter rejects', () => {
  test('malformed: truncated, not SMS-DELIVER, bad WSP, short pkg0, bad kind', () => {
    const r = rig();
    r.router.handle({ kind: 'gsm', bytes: FACTS_SMS.subarray(0, 30) });
    r.router.handle({ kind: 'wdp', bytes: Uint8Array.of(1, 0x40) });
    r.router.handle({ kind: 'wdp', bytes: encodeWspPush({ body: new Uint8Array(20) }) });
    r.router.handle({ kind: 'sms' as 'gsm', bytes: FACTS_SMS });
    r.router.handle({ kind: 'gsm' } as InboundSms);
    r.router.handle({ kind: 'wdp', bytes: encodeWspPush({ pduType: 7, body: pkg() }) });
    assert.deepEqual(r.out.map((d) => d.outcome === 'rejected' && d.reason), Array(6).fill('malformed'));
  });
  test('wrong-port: other port, ordinary text SMS, non-WAP CDMA teleservice, CDMA to another port', () => {
    const r = rig();
    for (const s of gsm(pkg(), {}, { dstPort: 2949 })) r.router.handle(s);
    r.router.handle({ kind: 'gsm', bytes: encodeGsmDeliver({ originator: '+1', dcs: 0, text: 'hello' }) });
    r.router.handle({ kind: 'gsm', bytes: encodeGsmDeliver({ originator: '+1', dcs: 4, ud: new Uint8Array(3) }) });
    r.router.handle({ kind: 'cdma', bytes: encodeCdmaSms({ teleservice: 4098, originator: '1', messageId: 1, userData: new Uint8Array(3) }) });
    for (const bytes of encodeCdmaWapPush(encodeWspPush({ body: pkg() }), { originator: '1', messageId: 2, dstPort: 2949 })) r.router.handle({ kind: 'cdma', bytes });
    assert.deepEqual(r.out.map((d) => d.outcome === 'rejected' && d.reason), Array(5).fill('wrong-port'));
  });
  test('7-bit data to port 2948 is malformed', () => {
    const r = rig();
    r.router.handle({ kind: 'gsm', bytes: encodeGsmDeliver({ originator: '+1', dcs: 0, text: 'x', udh: [portsIe(2948, 9200)] }) });
    assert.equal(reason(r), 'malformed');
  });
  test('wrong-content-type and wrong-app-id (binary, textual, missing)', () => {
    const r = rig();
    for (const w of [{ contentType: 0x2e }, { contentType: 'application/vnd.wap.sic' }] as Partial<WspPushInit>[]) for (const s of gsm(pkg(), w)) r.router.handle(s);
    for (const w of [{ appId: 4 }, { appId: 'x-wap-application:mms.ua' }, { appId: null }] as Partial<WspPushInit>[]) for (const s of gsm(pkg(), w)) r.router.handle(s);
    assert.deepEqual(r.out.map((d) => d.outcome === 'rejected' && d.reason), ['wrong-content-type', 'wrong-content-type', 'wrong-app-id', 'wrong-app-id', 'wrong-app-id']);
  });
  test('unknown-server and bad-digest; logs carry no secrets', () => {
    const r = rig();
    r.router.handle({ kind: 'wdp', bytes: encodeWspPush({ body: pkg({ serverId: 'nobody' }) }) });
    r.router.handle({ kind: 'wdp', bytes: encodeWspPush({ body: pkg({ secret: 'wrong' }) }) });
    r.router.handle({ kind: 'wdp', bytes: encodeWspPush({ body: pkg({ nonce: utf8Encode('old') }) }) });
    assert.deepEqual(r.out.map((d) => d.outcome === 'rejected' && d.reason), ['unknown-server', 'bad-digest', 'bad-digest']);
    const logged = JSON.stringify(r.p.logs);
    for (const secret of ['srvSecret', b64encode(FACTS_SECRET), b64encode(FACTS_NONCE), '0102030405060708']) assert.ok(!logged.includes(secret), secret);
    assert.equal(r.p.logs.filter((l) => l.msg === 'push: notification rejected').length, 3);
    assert.ok(r.p.logs.every((l) => l.level !== 'error'));
  });
  test('duplicate session id (and duplicate segment), then accepted again after the window', () => {
    const r = rig({ limits: { duplicateWindowMs: 1000 } });
    const parts = gsm(pkg({ vendor: new Uint8Array(200) }), {}, { ref: 77 });
    r.router.handle(parts[0]!);
    r.router.handle(parts[0]!);
    assert.equal(reason(r), 'duplicate');
    r.router.handle(parts[1]!);
    assert.equal(reason(r), 'accepted');
    r.router.handle({ kind: 'wdp', bytes: encodeWspPush({ body: pkg({ vendor: new Uint8Array(200) }) }) });
    assert.equal(reason(r), 'duplicate');
    r.p.advance(1000);
    r.router.handle({ kind: 'wdp', bytes: encodeWspPush({ body: pkg({ vendor: new Uint8Array(200) }) }) });
    assert.equal(reason(r), 'accepted');
  });
  test('rate-limited after rateLimitCount accepted notifications per server per window', () => {
    const r = rig({ limits: { rateLimitCount: 2, rateWindowMs: 5000, maxTracked: 4 } });
    const send = (sid: number, srv = FACTS_SERVER): void => {
      const o = srv === FACTS_SERVER ? {} : { serverId: 'srv2', secret: 'pw2', nonce: utf8Encode('nonce2') };
      r.router.handle({ kind: 'wdp', bytes: encodeWspPush({ body: pkg({ sessionId: sid, ...o }) }) });
    };
    send(1); send(2); send(3);
    assert.deepEqual(r.out.map((d) => d.outcome === 'rejected' ? d.reason : 'ok'), ['ok', 'ok', 'rate-limited']);
    send(4, 'srv2');
    assert.equal(reason(r), 'accepted', 'other servers are not limited');
    r.p.advance(5000);
    send(5);
    assert.equal(reason(r), 'accepted');
    assert.throws(() => rig({ limits: { rateLimitCount: 5, maxTracked: 4 } }), RangeError);
  });
  test('incomplete: a missing part is reported after the timeout via tick()/nextDeadline()', () => {
    const r = rig({ limits: { timeoutMs: 60000 } });
    const parts = gsm(pkg({ vendor: new Uint8Array(200) }), {}, { ref: 3 });
    r.router.handle(parts[0]!);
    assert.equal(r.out.length, 0);
    assert.equal(r.router.nextDeadline(), 60000);
    r.p.advance(59999);
    r.router.tick();
    assert.equal(r.out.length, 0);
    r.p.advance(1);
    r.router.tick();
    assert.equal(reason(r), 'incomplete');
    assert.match((last(r) as { detail: string }).detail, /1 of 2/);
    assert.equal(r.router.nextDeadline(), null);
  });
  test('incomplete: oversize concatenated message refused by the reassembly limit', () => {
    const r = rig({ limits: { maxMessageBytes: 200 } });
    for (const s of gsm(pkg({ vendor: new Uint8Array(400) }), {}, { ref: 4 })) r.router.handle(s);
    assert.ok(r.out.some((d) => d.outcome === 'rejected' && d.reason === 'incomplete'));
    assert.ok(!r.out.some((d) => d.outcome === 'accepted'));
  });
});

describe('PushRouter ui-mode', () => {
  test('ui-mode 3 asks the user: ok → accepted, no/cancel/timeout → user-declined', () => {
    for (const [answer, want] of [['ok', 'accepted'], ['no', 'user-declined'], ['cancel', 'user-declined'], ['timeout', 'user-declined']] as const) {
      const r = rig({ answer });
      r.router.handle({ kind: 'wdp', bytes: encodeWspPush({ body: pkg({ uiMode: UiMode.UserInteraction }) }) });
      assert.equal(r.out.length, 0, 'decision waits for the user');
      assert.equal(r.asks.length, 1);
      assert.equal(r.asks[0]!.kind, 'notification');
      assert.match(r.asks[0]!.text, /com\.mgmtsrv\.manage/);
      r.p.runAll();
      assert.equal(reason(r), want);
    }
  });
  test('ui-mode 2 informs (display) without waiting; 0/1 never touch the UI', () => {
    const r = rig({ answer: null });
    r.router.handle({ kind: 'wdp', bytes: encodeWspPush({ body: pkg({ uiMode: UiMode.Informative, sessionId: 1 }) }) });
    assert.equal(reason(r), 'accepted');
    assert.equal(r.asks[0]?.kind, 'display');
    r.router.handle({ kind: 'wdp', bytes: encodeWspPush({ body: pkg({ uiMode: UiMode.NotSpecified, sessionId: 2 }) }) });
    r.router.handle({ kind: 'wdp', bytes: encodeWspPush({ body: pkg({ uiMode: UiMode.Background, sessionId: 3 }) }) });
    assert.equal(r.asks.length, 1);
    assert.equal(r.out.filter((d) => d.outcome === 'accepted').length, 3);
  });
  test('ui-mode 3 without a UI: accepted by default, declined when configured', () => {
    const a = rig({ withUi: false });
    a.router.handle({ kind: 'wdp', bytes: encodeWspPush({ body: pkg({ uiMode: UiMode.UserInteraction }) }) });
    assert.equal(reason(a), 'accepted');
    const d = rig({ withUi: false, noUi: 'decline' });
    d.router.handle({ kind: 'wdp', bytes: encodeWspPush({ body: pkg({ uiMode: UiMode.UserInteraction }) }) });
    assert.equal(reason(d), 'user-declined');
  });
});

describe('PushRouter robustness', () => {
  test('a throwing onDecision or accounts.find never escapes handle()', () => {
    const p = new FakePlatform();
    const router = new PushRouter({ accounts: { find: () => { throw new Error('db down'); } }, log: p.log, now: () => 0, onDecision: () => { throw new Error('host bug'); } });
    assert.doesNotThrow(() => router.handle({ kind: 'gsm', bytes: FACTS_SMS }));
    assert.ok(p.logs.some((l) => l.level === 'error' && /internal error/.test(l.msg)));
    assert.ok(p.logs.some((l) => l.level === 'error' && /onDecision threw/.test(l.msg)));
  });
  test('constructor argument checks', () => {
    assert.throws(() => new PushRouter({} as PushRouterOptions), TypeError);
    assert.throws(() => rig({ limits: { maxPending: 0 } }), /maxPending/);
  });
  test('usage counts decisions', () => {
    const r = rig();
    r.router.handle({ kind: 'gsm', bytes: FACTS_SMS });
    r.router.handle({ kind: 'gsm', bytes: FACTS_SMS });
    const u = r.router.usage();
    assert.equal(u.accepted, 1);
    assert.equal(u.rejected.duplicate, 1);
    assert.equal(u.tracked, 1);
  });
});
