// Unit (portable): PushRouterCore, the router without SMS bearers (the QuickJS host's `listen` on
// WDP only), decides WDP pushes exactly like PushRouter and rejects SMS as not for it; the packed WSP
// name tables (src/push/wspPdu.ts) against the spec's codes and the arrays ./wsp exports.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PushRouter } from '../../../src/push/PushRouter';
import { PushRouterCore } from '../../../src/push/PushRouterCore';
import type { PushDecision, PushRouterOptions } from '../../../src/push/PushRouterCore';
import { buildPkg0 } from '../../../src/push/pkg0';
import { encodeGsmWapPush } from '../../../src/push/gsm';
import { encodeCdmaWapPush } from '../../../src/push/cdma';
import { decodeWspPush, encodeWspPush, WSP_APP_IDS, WSP_CONTENT_TYPES, WSP_HEADER_NAMES } from '../../../src/push/wsp';
import { wspAppIdName, wspContentTypeCode, wspContentTypeName } from '../../../src/push/wspPdu';
import type { InboundSms } from '../../../src/platform';
import { FakePlatform } from '../../helpers/fake-platform';
import { FACTS_SERVER, FACTS_SECRET, FACTS_NONCE } from './vectors';

function route(Cls: typeof PushRouterCore, sms: InboundSms[]): PushDecision[] {
  const p = new FakePlatform();
  const out: PushDecision[] = [];
  const opts: PushRouterOptions = {
    accounts: { find: (id) => (id === FACTS_SERVER ? { serverId: id, serverSecret: FACTS_SECRET, serverNonce: FACTS_NONCE } : null) },
    log: p.log, now: () => p.clock.now(), onDecision: (d) => out.push(d),
  };
  const r = new Cls(opts);
  for (const s of sms) r.handle(s);
  return out;
}

const notification = (sessionId: number, secret = FACTS_SECRET): Uint8Array =>
  encodeWspPush({ body: buildPkg0({ sessionId, serverId: FACTS_SERVER, secret, nonce: FACTS_NONCE }) });

describe('PushRouterCore (WDP only)', () => {
  test('WDP datagrams: the same decisions as PushRouter (accepted, bad digest, duplicate, wrong type)', () => {
    const wdp: InboundSms[] = [
      { kind: 'wdp', bytes: notification(0x1234) },
      { kind: 'wdp', bytes: notification(0x1235, new Uint8Array([1, 2, 3])) },
      { kind: 'wdp', bytes: notification(0x1234) },
      { kind: 'wdp', bytes: encodeWspPush({ contentType: 0x03, body: new Uint8Array(4) }) },
    ];
    const core = route(PushRouterCore, wdp);
    assert.deepEqual(core.map((d) => (d.outcome === 'accepted' ? d.sessionId : d.reason)), ['1234', 'bad-digest', 'duplicate', 'wrong-content-type']);
    assert.deepEqual(core, route(PushRouter, wdp));
  });

  test('no reassembler: nothing pending, no deadline, zero reassembly counters', () => {
    const p = new FakePlatform();
    const r = new PushRouterCore({ accounts: { find: () => null }, log: p.log, now: () => p.clock.now(), onDecision: () => {} });
    r.handle({ kind: 'wdp', bytes: notification(1) });
    r.tick();
    assert.equal(r.nextDeadline(), null);
    const u = r.usage();
    assert.deepEqual(u.reassembly, { pending: 0, highPending: 0, bytes: 0, highBytes: 0, completed: 0, duplicates: 0, evictedTimeout: 0, evictedCapacity: 0, refused: 0 });
    assert.equal(u.rejected['unknown-server'], 1);
  });

  test('GSM and CDMA SMS are rejected as not for this router (PushRouter accepts them)', () => {
    const wsp = notification(0x77);
    const sms: InboundSms[] = [
      ...encodeGsmWapPush(wsp, { originator: '+447700900123' }).map((bytes) => ({ kind: 'gsm' as const, bytes })),
      ...encodeCdmaWapPush(wsp, { originator: '5551234', messageId: 9 }).map((bytes) => ({ kind: 'cdma' as const, bytes })),
    ];
    const core = route(PushRouterCore, sms.slice(0, 1));
    assert.deepEqual(core.map((d) => (d.outcome === 'rejected' ? `${d.reason}: ${d.detail}` : d.outcome)), ['wrong-port: gsm SMS: this router takes WDP datagrams only']);
    const cdma = route(PushRouterCore, sms.slice(-1));
    assert.equal(cdma[0]!.outcome === 'rejected' && cdma[0]!.reason, 'wrong-port');
    assert.equal(route(PushRouter, sms.slice(0, 1))[0]!.outcome, 'accepted');
  });
});

describe('packed WSP name tables', () => {
  test('well-known codes name what WAP-230 / WINA assign', () => {
    assert.equal(wspContentTypeName(0x00), '*/*');
    assert.equal(wspContentTypeName(0x36), 'application/vnd.wap.connectivity-wbxml');
    assert.equal(wspContentTypeName(0x42), 'application/vnd.syncml.dm+wbxml');
    assert.equal(wspContentTypeName(0x44), 'application/vnd.syncml.notification');
    assert.equal(wspContentTypeName(0x5a), 'application/octet-stream');
    assert.equal(wspContentTypeName(0x4e), 'application/x-wsp-0x4e', 'past the dense table');
    assert.equal(wspAppIdName(0x07), 'x-wap-application:syncml.dm');
    assert.equal(wspAppIdName(0x0b), undefined);
    assert.equal(wspAppIdName(-1), undefined);
    assert.equal(WSP_HEADER_NAMES[0x2f], 'X-Wap-Application-Id');
  });

  test('names and codes round-trip; lookups are exact (case and separators)', () => {
    assert.equal(WSP_CONTENT_TYPES.length, 0x4e);
    assert.equal(WSP_APP_IDS.length, 11);
    assert.equal(WSP_HEADER_NAMES.length, 72);
    WSP_CONTENT_TYPES.forEach((name, code) => {
      assert.equal(wspContentTypeName(code), name);
      assert.equal(wspContentTypeCode(name), code, name);
    });
    WSP_APP_IDS.forEach((name, code) => assert.equal(wspAppIdName(code), name));
    assert.equal(wspContentTypeCode('text/x-vCard'), 7);
    assert.equal(wspContentTypeCode('text/x-vcard'), -1);
    assert.equal(wspContentTypeCode('text/html|text/plain'), -1);
    assert.equal(wspContentTypeCode(''), -1);
    assert.equal(wspContentTypeCode('application/vnd.wv.csp+wbxml'), 0x4d, 'the last entry');
  });

  test('the decoder names typed parameters and well-known headers from the tables', () => {
    const w = decodeWspPush(encodeWspPush({
      contentType: 0x42, contentTypeParams: [{ code: 0x11, value: 0 }, { code: 0x12, value: 'ABCD' }, { code: 0x04, value: 1 }],
      headers: [{ code: 0x2f, value: 7 }, { code: 0x05, value: 3 }], appId: null, body: new Uint8Array(1),
    }));
    assert.equal(w.contentType, 'application/vnd.syncml.dm+wbxml');
    assert.deepEqual(w.contentTypeParams.map((p) => p.name), ['SEC', 'MAC', 'param-0x4']);
    assert.deepEqual(w.headers.map((h) => h.name), ['X-Wap-Application-Id', 'Age']);
  });
});
