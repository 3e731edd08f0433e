/**
 * Push test vectors shared by the unit tests (portable: imports src only) and the tshark interop
 * test. Hex literals are copied from the facts sheet §6.4 (recomputed there with Python and
 * decoded by tshark 4.0.17); the rest are built with our encoders and checked against tshark.
 */
import { fromHex } from '../../../src/util/bytes';
import { utf8Encode } from '../../../src/util/utf8';
import { buildPkg0, UiMode } from '../../../src/push/pkg0';
import { encodeWspPush } from '../../../src/push/wsp';
import type { WspPushInit } from '../../../src/push/wsp';
import { encodeGsmWapPush, encodeGsmDeliver } from '../../../src/push/gsm';
import { portsIe } from '../../../src/push/udh';

/** Facts §6.4 inputs. */
export const FACTS_SERVER = 'com.mgmtsrv.manage';
export const FACTS_SECRET = utf8Encode('srvSecret');
export const FACTS_NONCE = fromHex('0102030405060708');
/** Facts §6.4 trigger (v12, ui 1, initiator 1, session 0x1234). */
export const FACTS_TRIGGER = fromHex('0318000000 1234 12 636F6D2E6D676D74737276 2E6D616E616765');
export const FACTS_DIGEST = fromHex('89AC8C2925578DED4F1E161C20A6A882');
/** Same inputs with version 11. */
export const FACTS_TRIGGER_V11 = fromHex('02D8000000 1234 12 636F6D2E6D676D74737276 2E6D616E616765');
export const FACTS_DIGEST_V11 = fromHex('848E4F45EB1E726CA13A2DA8FE0459FE');
/** The 74-byte SMS-DELIVER of facts §6.4. */
export const FACTS_SMS = fromHex(
  '44 0C91447700091032 00 04 52114221430000 37 0605040B8423F0 010603C4AF87' +
  '89AC8C2925578DED4F1E161C20A6A882 031800000012341263 6F6D2E6D676D747372762E6D616E616765',
);
/** Funambol vector: server funambol / srvpwd, nonce ASCII "12345678", session 0x1234, v12 (ui 0, initiator 0). */
export const FUNAMBOL_PKG0 = fromHex('4D0090A7DD3A88DBE12E71E3A4CC2BD0 0300000000123408 66756E616D626F6C');
export const FUNAMBOL_SECRET = utf8Encode('srvpwd');
export const FUNAMBOL_NONCE = utf8Encode('12345678');

/** What a decoder (ours or tshark) must find in a GSM push vector. */
export interface GsmPushVector {
  name: string;
  /** SMS-DELIVER TPDUs, in delivery order. */
  pdus: Uint8Array[];
  dst: number;
  src: number;
  contentType: string;
  /** X-Wap-Application-Id as tshark prints it (text form). */
  appIdText: string;
  /** The pkg0 (WSP body). */
  body: Uint8Array;
}

/** A signed pkg0 for the facts server with the given session id and optional vendor bytes. */
export function factsPkg0(sessionId = 0x1234, vendorLen = 0, uiMode: UiMode = UiMode.Background): Uint8Array {
  const vendor = new Uint8Array(vendorLen);
  for (let i = 0; i < vendorLen; i++) vendor[i] = (i * 7 + 3) & 0xff;
  return buildPkg0({ sessionId, serverId: FACTS_SERVER, secret: FACTS_SECRET, nonce: FACTS_NONCE, vendor, uiMode });
}

function wap(name: string, wsp: WspPushInit, opts: Parameters<typeof encodeGsmWapPush>[1], expect: Omit<GsmPushVector, 'name' | 'pdus' | 'body'>, order?: number[]): GsmPushVector {
  let pdus = encodeGsmWapPush(encodeWspPush(wsp), opts);
  if (order) pdus = order.map((i) => pdus[i]!);
  return { name, pdus, body: wsp.body, ...expect };
}

const DM = { dst: 2948, src: 9200, contentType: 'application/vnd.syncml.notification', appIdText: 'x-wap-application:syncml.dm' };

/** GSM vectors: single and concatenated, binary and textual forms, wrong app id / content type. */
export function gsmPushVectors(): GsmPushVector[] {
  const p0 = factsPkg0();
  const big = factsPkg0(0x0a3f, 300);
  const orig = '+447700900123';
  return [
    { name: 'facts §6.4 single SMS', pdus: [FACTS_SMS], body: FACTS_SMS.subarray(32), ...DM },
    {
      name: 'spec example ports 2948/0xC002',
      pdus: [encodeGsmDeliver({ originator: orig, udh: [portsIe(2948, 0xc002)], ud: encodeWspPush({ body: p0 }) })],
      body: p0, ...DM, src: 0xc002,
    },
    wap('textual content type and app id', { contentType: 'application/vnd.syncml.notification', appId: 'x-wap-application:syncml.dm', body: p0 }, { originator: orig }, DM),
    wap('general-form content type with charset parameter', { contentTypeGeneral: true, contentTypeParams: [{ code: 0x01, value: 106 }], body: p0 }, { originator: orig }, DM),
    wap('long-integer app id + Push-Flag + X-Wap-Initiator-URI', {
      appIdLong: true, body: p0,
      headers: [{ code: 0x34, value: 1 }, { code: 0x31, value: 'http://dm.example.com/' }],
    }, { originator: 'DMServer' }, DM),
    wap('app id mms.ua (wrong)', { appId: 4, body: p0 }, { originator: orig }, { ...DM, appIdText: 'x-wap-application:mms.ua' }),
    wap('content type sic (wrong)', { contentType: 0x2e, body: p0 }, { originator: orig }, { ...DM, contentType: 'application/vnd.wap.sic' }),
    wap('concatenated 8-bit ref, 3 parts', { body: big }, { originator: orig, ref: 0x7b }, DM),
    wap('concatenated 16-bit ref, out of order', { body: big }, { originator: orig, ref: 0xbeef, refBits: 16 }, DM, [2, 0, 1]),
    wap('concatenated, ports only in the first part', { body: big }, { originator: orig, ref: 9, portsInEveryPart: false }, DM),
    wap('concatenated single part (forced)', { body: p0 }, { originator: orig, ref: 1, forceConcat: true }, DM),
  ];
}
