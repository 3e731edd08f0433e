// Interop (node-only): python3's hmac/hashlib compute the bootstrap keys and MACs independently —
// NETWORKID (IMSI semi-octets packed python's way), USERPIN, USERPIN_NETWORKID (both compositions),
// USERPINMAC — for random documents, IMSIs and PINs; ours must agree. Then DM bootstrap messages
// written as XML and encoded by libwbxml's xml2wbxml, signed by python, travel in WSP pushes built by
// our encoder (tshark confirms the SEC and MAC parameters) into the Bootstrapper: each SEC method
// applies; a wrong MAC, a wrong PIN, another SIM, a truncated document and a replay are refused.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { bootstrapKey, bootstrapMac, imsiKey, userPinMac, verifyMac, verifyUserPinMac } from '../../../src/bootstrap/sec';
import type { SecMethod } from '../../../src/bootstrap/sec';
import { Bootstrapper } from '../../../src/bootstrap/Bootstrapper';
import type { BootstrapDecision } from '../../../src/bootstrap/Bootstrapper';
import { documentDigest } from '../../../src/bootstrap/replay';
import { decodeWspPush, encodeWspPush } from '../../../src/push/wsp';
import { toHex } from '../../../src/util/bytes';
import { utf8Decode } from '../../../src/util/utf8';
import { answeringUi, device, dump } from '../../unit/bootstrap/helpers';
import { LIBWBXML_SKIP, PYTHON_SKIP, pythonVectors, TSHARK_SKIP, tsharkWsp, xml2wbxml } from './oracle';

const digits = (n: number): string => Array.from({ length: n }, () => String(randomInt(10))).join('');

describe('bootstrap keys and MACs vs python3 hmac', { skip: PYTHON_SKIP }, () => {
  test('300 random documents, IMSIs (1..15 digits) and PINs (1..16 digits): every method agrees', () => {
    const cases = Array.from({ length: 300 }, (_, i) => ({
      doc: new Uint8Array(randomBytes(i === 0 ? 0 : randomInt(1, 3000))),
      imsi: digits(1 + (i % 15)),
      pin: digits(1 + (i % 16)),
    }));
    const py = pythonVectors(cases);
    cases.forEach((c, i) => {
      const v = py[i]!;
      const net = imsiKey(c.imsi);
      assert.equal(toHex(net), v.imsiKey, `imsi ${c.imsi}`);
      assert.equal(bootstrapMac(bootstrapKey('NETWORKID', net, null), c.doc), v.NETWORKID);
      assert.equal(bootstrapMac(bootstrapKey('USERPIN', null, c.pin), c.doc), v.USERPIN);
      assert.equal(bootstrapMac(bootstrapKey('USERPIN_NETWORKID', net, c.pin), c.doc), v.USERPIN_NETWORKID);
      assert.equal(bootstrapMac(bootstrapKey('USERPIN_NETWORKID', net, c.pin, 'pin-colon-network'), c.doc), v.USERPIN_NETWORKID_colon);
      assert.equal(verifyMac(v.USERPIN.toLowerCase(), bootstrapKey('USERPIN', null, c.pin), c.doc), true);
      assert.equal(userPinMac(c.pin, c.doc), v.USERPINMAC);
      assert.equal(verifyUserPinMac(v.USERPINMAC, c.doc), true);
      assert.equal(toHex(documentDigest(c.doc)), v.sha1);
    });
  });
});

const SRV = 'com.bootstrap.python';
const IMSI = '310150123456789';
const PIN = '8642';
const bootXml = (addr: string): string => `<?xml version="1.0"?>
<!DOCTYPE SyncML PUBLIC "-//SYNCML//DTD SyncML 1.2//EN" "http://www.openmobilealliance.org/tech/DTD/OMA-TS-SyncML_RepPro_DTD-V1_2.dtd">
<SyncML xmlns="SYNCML:SYNCML1.2">
  <SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>0</SessionID><MsgID>0</MsgID>
    <Target><LocURI>IMEI:493005100592800</LocURI></Target><Source><LocURI>${SRV}</LocURI></Source></SyncHdr>
  <SyncBody>
    <Add><CmdID>1</CmdID>
      <Item><Target><LocURI>./DMAcc/py</LocURI></Target><Meta><Format xmlns="syncml:metinf">node</Format></Meta></Item>
      <Item><Target><LocURI>./DMAcc/py/AppID</LocURI></Target><Data>w7</Data></Item>
      <Item><Target><LocURI>./DMAcc/py/ServerID</LocURI></Target><Data>${SRV}</Data></Item>
      <Item><Target><LocURI>./DMAcc/py/AppAddr/1/Addr</LocURI></Target><Data>${addr}</Data></Item>
      <Item><Target><LocURI>./DMAcc/py/AppAuth/1/AAuthLevel</LocURI></Target><Data>CLCRED</Data></Item>
      <Item><Target><LocURI>./DMAcc/py/AppAuth/1/AAuthType</LocURI></Target><Data>DIGEST</Data></Item>
      <Item><Target><LocURI>./DMAcc/py/AppAuth/1/AAuthName</LocURI></Target><Data>dev1</Data></Item>
      <Item><Target><LocURI>./DMAcc/py/AppAuth/1/AAuthSecret</LocURI></Target><Data>devpw</Data></Item>
    </Add>
    <Final/>
  </SyncBody>
</SyncML>`;

describe('DM bootstrap pushes signed by python3 (libwbxml-encoded messages, WSP)', { skip: PYTHON_SKIP || LIBWBXML_SKIP }, () => {
  const doc = xml2wbxml(bootXml('https://dm.example.com/dm'));
  const v = pythonVectors([{ doc, imsi: IMSI, pin: PIN }])[0]!;
  /** A WSP push (binary SEC form as a short-integer, textual form as a text value) through our decoder. */
  const pdu = (body: Uint8Array, sec: number | string, mac?: string): Uint8Array => encodeWspPush({
    contentType: 0x42, appId: 7, body,
    contentTypeParams: [{ code: 0x11, value: sec }, ...(mac !== undefined ? [{ code: 0x12, value: mac }] : [])],
  });
  const rig = (pin = PIN, imsi = IMSI) => {
    const d = device();
    const sessions: string[] = [];
    const b = new Bootstrapper({ tree: d.tree, dmacc: d.dmacc, log: d.platform.log, storage: d.storage, ui: answeringUi(pin), networkSecret: () => imsiKey(imsi), startSession: (id) => sessions.push(id) });
    return { ...d, b, sessions };
  };
  const SECS: [SecMethod, number, string][] = [['NETWORKID', 0, v.NETWORKID], ['USERPIN', 1, v.USERPIN], ['USERPIN_NETWORKID', 2, v.USERPIN_NETWORKID]];

  test('tshark reads our SEC and MAC content-type parameters', { skip: TSHARK_SKIP }, () => {
    const rows = tsharkWsp(SECS.map(([, code, mac]) => pdu(doc, code, mac)), ['wsp.parameter.sec', 'wsp.parameter.mac', 'wsp.header.content_type']);
    assert.deepEqual(rows.map((r) => [Number(r[0]), r[1]]), SECS.map(([, code, mac]) => [code, mac]));
    assert.ok(rows.every((r) => /syncml\.dm\+wbxml/.test(r[2]!)), JSON.stringify(rows));
  });

  for (const [sec, code, mac] of SECS) {
    for (const form of ['code', 'text'] as const) {
      test(`${sec} (SEC as ${form}) applies; the account authenticates as configured`, async () => {
        const r = rig();
        const d = await r.b.handle(decodeWspPush(pdu(doc, form === 'code' ? code : sec, mac)));
        assert.equal(d.outcome, 'applied', JSON.stringify(d));
        assert.deepEqual(r.sessions, [SRV]);
        const a = r.dmacc.findByServerId(SRV)!;
        assert.equal(a.client.name, 'dev1');
        assert.equal(utf8Decode(a.client.secret), 'devpw');
        assert.equal(r.tree.get(SRV, './DMAcc/py/AppAuth/1/AAuthSecret').status, 405);
      });
    }
  }

  test('USERPINMAC with the PIN python computed', async () => {
    const d = await rig(v.USERPINMAC).b.handle(decodeWspPush(pdu(doc, 3)));
    assert.equal(d.outcome, 'applied', JSON.stringify(d));
  });

  const refused = async (r: ReturnType<typeof rig>, p: Uint8Array, reason: string): Promise<BootstrapDecision> => {
    const before = dump(r.tree);
    const d = await r.b.handle(decodeWspPush(p));
    assert.equal(d.outcome === 'rejected' && d.reason, reason, JSON.stringify(d));
    assert.equal(dump(r.tree), before);
    assert.deepEqual(r.sessions, []);
    return d;
  };
  test('wrong MAC: the MAC python made for another document, and one changed digit', async () => {
    const other = xml2wbxml(bootXml('https://evil.example.com/dm'));
    const vo = pythonVectors([{ doc: other, imsi: IMSI, pin: PIN }])[0]!;
    for (const [sec, code] of SECS) {
      await refused(rig(), pdu(doc, code, (vo as unknown as Record<string, string>)[sec]!), 'bad-mac');
    }
    const m = v.NETWORKID;
    await refused(rig(), pdu(doc, 0, m.slice(0, 20) + (m[20] === 'F' ? 'E' : 'F') + m.slice(21)), 'bad-mac');
  });
  test('wrong PIN (USERPIN, USERPIN_NETWORKID, USERPINMAC) and another SIM (NETWORKID)', async () => {
    await refused(rig('8643'), pdu(doc, 1, v.USERPIN), 'bad-mac');
    await refused(rig('8643'), pdu(doc, 2, v.USERPIN_NETWORKID), 'bad-mac');
    await refused(rig(PIN), pdu(doc, 3), 'bad-mac');
    await refused(rig(PIN, '310150123456780'), pdu(doc, 0, v.NETWORKID), 'bad-mac');
  });
  test('truncated: the WBXML cut short (python MAC over the cut bytes) never applies', async () => {
    for (const n of [1, 4, 16, doc.length >> 1, doc.length - 2]) {
      const cut = doc.subarray(0, n);
      const vc = pythonVectors([{ doc: cut, imsi: IMSI, pin: PIN }])[0]!;
      await refused(rig(), pdu(cut, 0, vc.NETWORKID), 'malformed');
    }
    await refused(rig(), pdu(doc.subarray(0, doc.length - 1), 0, v.NETWORKID), 'bad-mac');
  });
  test('replay: the same signed push a second time', async () => {
    const r = rig();
    const p = pdu(doc, 0, v.NETWORKID);
    assert.equal((await r.b.handle(decodeWspPush(p))).outcome, 'applied');
    r.sessions.length = 0;
    const d = await refused(r, p, 'replay');
    assert.match(d.outcome === 'rejected' ? d.detail : '', new RegExp(v.sha1));
  });
});
