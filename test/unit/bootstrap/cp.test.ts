// Layer: unit (portable). OMA CP: a provisioning document assembled byte by byte from the ProvCont
// code pages (comments name every token), decoded into characteristics; the w7 → DMAcc mapping; the
// CP bootstrap through the Bootstrapper (USERPIN, USERPINMAC, NETWPIN, INIT → session). libwbxml's
// xml2wbxml builds the documents of test/interop/bootstrap/cp.test.ts instead.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCp, w7Accounts } from '../../../src/bootstrap/cp';
import { Bootstrapper } from '../../../src/bootstrap/Bootstrapper';
import { bootstrapKey, bootstrapMac, imsiKey, userPinMac } from '../../../src/bootstrap/sec';
import { DecodeError } from '../../../src/errors';
import { utf8Decode, utf8Encode } from '../../../src/util/utf8';
import { answeringUi, device, dump, IMSI, push } from './helpers';

const s = (t: string): number[] => [0x03, ...utf8Encode(t), 0x00];
/** parm with name token `n` (attribute page in force) and a value made of `v` (strings → STR_I, numbers → tokens). */
const parm = (n: number, ...v: (string | number)[]): number[] => [0x87, n, ...(v.length ? [0x06, ...v.flatMap((x) => (typeof x === 'string' ? s(x) : [x]))] : []), 0x01];

const DOC = Uint8Array.from([
  0x03, 0x0b, 0x6a, 0x00, // WBXML 1.3, PROV 1.0, UTF-8, empty string table
  0xc5, 0x46, 0x01, // <wap-provisioningdoc version="1.0">
  0xc6, 0x55, 0x01, //   <characteristic type="NAPDEF">            (attr page 0)
  ...parm(0x07, 'GPRS'), //     NAME
  ...parm(0x11, 'nap1'), //     NAPID
  ...parm(0x10, 0xab), //       BEARER = GSM-GPRS (value token 0xAB)
  0x01,
  0xc6, 0x00, 0x01, 0x55, 0x01, //   <characteristic type="APPLICATION">  (SWITCH_PAGE 1 inside the attributes)
  ...parm(0x36, 'w7'), //       APPID
  ...parm(0x38, 'com.cp.srv'), // PROVIDER-ID
  ...parm(0x07, 'CP server'), // NAME
  ...parm(0x22, 'nap1'), //     TO-NAPID
  0x87, 0x05, ...s('INIT'), 0x01, // <parm name="INIT"/>
  0xc6, 0x56, 0x01, //     <characteristic type="APPADDR">
  ...parm(0x34, 'https://cp.example.com/dm'), // ADDR
  ...parm(0x35, 'URI'), //       ADDRTYPE
  0xc6, 0x53, 0x01, //       <characteristic type="PORT">
  ...parm(0x23, '8443'), //        PORTNBR
  0x01, 0x01,
  0xc6, 0x57, 0x01, //     <characteristic type="APPAUTH">
  ...parm(0x30, 0x8d), //       AAUTHLEVEL = APPSRV
  ...parm(0x33, 0x91, 0x93), // AAUTHTYPE = "HTTP-" "DIGEST"
  ...parm(0x31, 'dev1'), //     AAUTHNAME
  ...parm(0x32, 'devpw'), //    AAUTHSECRET
  ...parm(0x2f, 'AAECAw=='), // AAUTHDATA
  0x01,
  0xc6, 0x57, 0x01, //     <characteristic type="APPAUTH">
  ...parm(0x30, 'CLIENT'), //   AAUTHLEVEL
  ...parm(0x33, 0x93), //       AAUTHTYPE = DIGEST
  ...parm(0x31, 'com.cp.srv'),
  ...parm(0x32, 'srvpw'),
  0x01,
  0x01, // </characteristic>
  0x01, // </wap-provisioningdoc>
]);

describe('OMA CP decode', () => {
  test('characteristics, parms, value tokens, attribute code pages', () => {
    const d = decodeCp(DOC);
    assert.equal(d.version, '1.0');
    assert.deepEqual(d.characteristics.map((c) => c.type), ['NAPDEF', 'APPLICATION']);
    assert.deepEqual(d.characteristics[0]!.parms, [{ name: 'NAME', value: 'GPRS' }, { name: 'NAPID', value: 'nap1' }, { name: 'BEARER', value: 'GSM-GPRS' }]);
    const app = d.characteristics[1]!;
    assert.deepEqual(app.parms.map((p) => `${p.name}=${p.value}`), ['APPID=w7', 'PROVIDER-ID=com.cp.srv', 'NAME=CP server', 'TO-NAPID=nap1', 'INIT=']);
    assert.deepEqual(app.children.map((c) => c.type), ['APPADDR', 'APPAUTH', 'APPAUTH']);
    assert.deepEqual(app.children[0]!.children[0]!.parms, [{ name: 'PORTNBR', value: '8443' }]);
    assert.deepEqual(app.children[1]!.parms.map((p) => p.value), ['APPSRV', 'HTTP-DIGEST', 'dev1', 'devpw', 'AAECAw==']);
  });

  test('string-table references and literal attribute names', () => {
    const st = [...utf8Encode('w7'), 0, ...utf8Encode('name'), 0];
    const doc = Uint8Array.from([0x03, 0x0b, 0x6a, st.length, ...st, 0xc5, 0x01, 0xc6, 0x00, 0x01, 0x55, 0x01,
      0x87, 0x36, 0x06, 0x83, 0x00, 0x01, // APPID = STR_T 0 ("w7")
      0x87, 0x04, 0x03, ...s('X-VENDOR'), 0x06, ...s('on'), 0x01, // LITERAL "name" (offset 3) = "X-VENDOR", value="on"
      0x01, 0x01]);
    const app = decodeCp(doc).characteristics[0]!;
    assert.deepEqual(app.parms, [{ name: 'APPID', value: 'w7' }, { name: 'X-VENDOR', value: 'on' }]);
  });

  test('unknown attribute tokens decode to placeholders, not errors', () => {
    const doc = Uint8Array.from([0x03, 0x0b, 0x6a, 0x00, 0xc5, 0x01, 0xc6, 0x55, 0x01, 0x87, 0x7e, 0x06, 0xfe, 0x01, 0x01, 0x01]);
    assert.deepEqual(decodeCp(doc).characteristics[0]!.parms, [{ name: '', value: '?0xfe' }]);
    assert.equal(decodeCp(doc).characteristics[0]!.type, 'NAPDEF');
  });

  test('truncation at every length, a wrong root, bounds: DecodeErrors', () => {
    for (let n = 0; n < DOC.length; n++) assert.throws(() => decodeCp(DOC.subarray(0, n)), DecodeError, `length ${n}`);
    assert.throws(() => decodeCp(Uint8Array.from([0x03, 0x0b, 0x6a, 0x00, 0x46, 0x01])), (e: unknown) => e instanceof DecodeError && e.code === 'not-provisioning');
    assert.throws(() => decodeCp(DOC, { maxCpCharacteristics: 4 }), (e: unknown) => e instanceof DecodeError && e.code === 'too-many-characteristics');
    assert.throws(() => decodeCp(DOC, { maxCpParms: 10 }), (e: unknown) => e instanceof DecodeError && e.code === 'too-many-parms');
    assert.throws(() => decodeCp(DOC, { maxValueBytes: 8 }), (e: unknown) => e instanceof DecodeError && e.code === 'value-too-long');
  });
});

describe('w7 → DMAcc', () => {
  test('the mapping of [DMSTDOBJ] appendix: APPSRV → client creds, CLIENT → server creds', () => {
    const m = w7Accounts(decodeCp(DOC));
    assert.deepEqual(m.errors, []);
    assert.equal(m.accounts.length, 1);
    const { profile: p, init } = m.accounts[0]!;
    assert.equal(init, true);
    assert.equal(p.serverId, 'com.cp.srv');
    assert.equal(p.addr, 'https://cp.example.com/dm');
    assert.equal(p.addrType, 'URI');
    assert.equal(p.port, 8443);
    assert.equal(p.name, 'CP server');
    assert.equal(p.prefConRef, 'nap1');
    assert.equal(p.authPref, 'HTTP-DIGEST');
    assert.deepEqual({ ...p.client, nonce: [...p.client!.nonce!] }, { type: 'HTTP-DIGEST', name: 'dev1', secret: 'devpw', nonce: [0, 1, 2, 3] });
    assert.deepEqual(p.server, { type: 'DIGEST', name: 'com.cp.srv', secret: 'srvpw' });
  });
  test('a w7 without PROVIDER-ID or address is an error; non-w7 applications are ignored', () => {
    const ch = (parms: [string, string][]) => ({ type: 'APPLICATION', parms: parms.map(([name, value]) => ({ name, value })), children: [] });
    const m = w7Accounts({ version: '1.0', characteristics: [ch([['APPID', 'w7'], ['ADDR', 'https://x/']]), ch([['APPID', 'w7'], ['PROVIDER-ID', 'p']]), ch([['APPID', 'w4'], ['PROVIDER-ID', 'mms']])] });
    assert.equal(m.accounts.length, 0);
    assert.equal(m.errors.length, 2);
  });
});

describe('OMA CP bootstrap through the Bootstrapper', () => {
  const rig = (pin: string) => {
    const d = device();
    const sessions: string[] = [];
    const b = new Bootstrapper({ tree: d.tree, dmacc: d.dmacc, log: d.platform.log, ui: answeringUi(pin), networkSecret: () => imsiKey(IMSI), startSession: (id) => sessions.push(id) });
    return { ...d, b, sessions };
  };
  test('USERPIN: the w7 account is installed with write-only secrets; INIT starts a session', async () => {
    const r = rig('1234');
    const d = await r.b.handle(push(DOC, { sec: 1, mac: bootstrapMac(bootstrapKey('USERPIN', null, '1234'), DOC), ct: 0x36 }));
    assert.equal(d.outcome, 'applied', JSON.stringify(d));
    assert.deepEqual(r.sessions, ['com.cp.srv']);
    const a = r.dmacc.findByServerId('com.cp.srv')!;
    assert.equal(a.addr, 'https://cp.example.com/dm');
    assert.equal(a.port, 8443);
    assert.equal(utf8Decode(a.client.secret), 'devpw');
    assert.deepEqual([...a.client.nonce], [0, 1, 2, 3]);
    assert.equal(r.tree.get('com.cp.srv', `${a.path}/AppAuth/CLCRED/AAuthSecret`).status, 405);
    assert.equal(r.tree.get('com.cp.srv', `${a.path}/AppAuth/SRVCRED/AAuthName`).status, 200);
  });
  test('USERPINMAC and NETWPIN; a wrong PIN leaves the tree untouched', async () => {
    const pin = userPinMac('5555', DOC);
    assert.equal((await rig(pin).b.handle(push(DOC, { sec: 3, ct: 0x36 }))).outcome, 'applied');
    assert.equal((await rig('x').b.handle(push(DOC, { sec: 'NETWPIN', mac: bootstrapMac(imsiKey(IMSI), DOC), ct: 0x36 }))).outcome, 'applied');
    const r = rig('9999');
    const before = dump(r.tree);
    const d = await r.b.handle(push(DOC, { sec: 'USERPIN', mac: bootstrapMac(bootstrapKey('USERPIN', null, '1234'), DOC), ct: 0x36 }));
    assert.equal(d.outcome === 'rejected' && d.reason, 'bad-mac');
    assert.equal(dump(r.tree), before);
  });
  test('a document without a w7 application is "no-account"', async () => {
    const nap = Uint8Array.from([0x03, 0x0b, 0x6a, 0x00, 0xc5, 0x01, 0xc6, 0x55, 0x01, ...parm(0x07, 'GPRS'), 0x01, 0x01]);
    const d = await rig('1').b.handle(push(nap, { sec: 'NETWPIN', mac: bootstrapMac(imsiKey(IMSI), nap), ct: 0x36 }));
    assert.equal(d.outcome === 'rejected' && d.reason, 'no-account');
  });
});
