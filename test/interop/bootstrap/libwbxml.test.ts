// Interop (node-only): libwbxml (xml2wbxml / wbxml2xml) as the independent WBXML codec for TNDS
// objects, OMA CP provisioning documents and DM bootstrap messages with embedded TNDS (libwbxml turns
// a MgmtTree inside Data into an OPAQUE WBXML TNDS object and rewrites the Type to +wbxml), signed by
// python3 and applied through the Bootstrapper.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTnds, encodeTnds } from '../../../src/bootstrap/tnds';
import type { TndsDocument } from '../../../src/bootstrap/tnds';
import { decodeCp, w7Accounts } from '../../../src/bootstrap/cp';
import type { CpCharacteristic } from '../../../src/bootstrap/cp';
import { Bootstrapper } from '../../../src/bootstrap/Bootstrapper';
import { imsiKey } from '../../../src/bootstrap/sec';
import { utf8Decode, utf8Encode } from '../../../src/util/utf8';
import { answeringUi, device, push } from '../../unit/bootstrap/helpers';
import { LIBWBXML_SKIP, PYTHON_SKIP, pythonVectors, wbxml2xml, xml2wbxml } from './oracle';

const DDF_DOCTYPE = '<?xml version="1.0"?>\n<!DOCTYPE MgmtTree PUBLIC "-//OMA//DTD-DM-DDF 1.2//EN" "http://www.openmobilealliance.org/tech/DTD/DM_DDF-V1_2.dtd">\n';

const TNDS_XML = [
  `<MgmtTree xmlns="syncml:dmddf1.2"><VerDTD>1.2</VerDTD><Man>Acme</Man><Mod>W3</Mod>
    <Node><NodeName>acc1</NodeName><Path>./DMAcc</Path>
      <RTProperties><ACL>Get=srv&amp;Replace=srv</ACL><Format><node/></Format><Type><DDFName>urn:oma:mo:oma-dm-dmacc:1.0</DDFName></Type></RTProperties>
      <Node><NodeName>ServerID</NodeName><RTProperties><Format><chr/></Format><Type><MIME>text/plain</MIME></Type></RTProperties><Value>srv</Value></Node>
      <Node><NodeName>AppAddr</NodeName>
        <Node><NodeName>1</NodeName>
          <Node><NodeName>Addr</NodeName><Value>https://dm.example.com/dm?x=1&amp;y=2</Value></Node>
          <Node><NodeName>Port</NodeName><Node><NodeName>1</NodeName><Node><NodeName>PortNbr</NodeName><RTProperties><Format><chr/></Format></RTProperties><Value>8443</Value></Node></Node></Node>
        </Node>
      </Node>
      <Node><NodeName>Nonce</NodeName><RTProperties><Format><b64/></Format><Title>raw nonce</Title></RTProperties><Value>AAECAwQF</Value></Node>
    </Node>
  </MgmtTree>`,
  `<MgmtTree xmlns="syncml:dmddf1.2"><VerDTD>1.2</VerDTD>
    <Node><NodeName>E-Mail</NodeName><RTProperties><Format><node/></Format><Type><DDFName>com.operatorX.dm/1.0/EMail</DDFName></Type></RTProperties>
      <Node><NodeName>POP3</NodeName>
        <Node><NodeName>POPServer</NodeName><RTProperties><Format><chr/></Format><Type><MIME>text/plain</MIME></Type></RTProperties><Value>mail.Operatorx.com</Value></Node>
        <Node><NodeName>UserID</NodeName><Value>UserName é ✓</Value></Node>
      </Node>
    </Node>
    <Node><NodeName>Cont</NodeName><Path>./Vendor/x/</Path></Node>
  </MgmtTree>`,
];

describe('TNDS vs libwbxml', { skip: LIBWBXML_SKIP }, () => {
  test('xml2wbxml output decodes to exactly the nodes of the XML', () => {
    for (const x of TNDS_XML) {
      const fromXml = decodeTnds(utf8Encode(x), { base: './OperatorX' });
      const w = xml2wbxml(DDF_DOCTYPE + x);
      assert.equal(w[0], 0x03);
      const fromWbxml = decodeTnds(w, { base: './OperatorX' });
      assert.deepEqual(fromWbxml, fromXml);
      assert.ok(fromXml.nodes.length >= 4);
    }
    assert.deepEqual([...decodeTnds(xml2wbxml(DDF_DOCTYPE + TNDS_XML[0]!)).nodes.find((n) => n.name === 'Nonce')!.value!], [0, 1, 2, 3, 4, 5]);
  });

  test('our WBXML encoder, read back by wbxml2xml, describes the same tree', () => {
    const d: TndsDocument = {
      man: 'Acme',
      nodes: [{ name: 'sync', path: './Vendor/omadm/Sync', type: 'com.omadm/1.0/SyncSettings', acl: 'Get=*', children: [
        { name: 'Addr', value: 'https://sync.example.com/ds?a=1&b=<2>', type: 'text/plain' },
        { name: 'Schedule', children: [{ name: 'IntervalMin', value: '15', format: 'int', title: 'minutes' }] },
        { name: 'Empty', format: 'node' },
      ] }],
    };
    const ours = encodeTnds(d, 'wbxml');
    const xml = wbxml2xml(ours);
    assert.match(xml, /<MgmtTree/);
    assert.deepEqual(decodeTnds(utf8Encode(xml)), decodeTnds(ours));
    assert.deepEqual(decodeTnds(utf8Encode(xml)), decodeTnds(encodeTnds(d, 'xml')));
  });
});

const CP_DOCTYPE = '<?xml version="1.0"?>\n<!DOCTYPE wap-provisioningdoc PUBLIC "-//WAPFORUM//DTD PROV 1.0//EN" "http://www.wapforum.org/DTD/prov.dtd">\n';
const CP_XML = `<wap-provisioningdoc version="1.1">
  <characteristic type="NAPDEF">
    <parm name="NAME" value="GPRS"/><parm name="NAPID" value="nap1"/><parm name="BEARER" value="GSM-GPRS"/>
    <parm name="NAP-ADDRESS" value="internet"/><parm name="NAP-ADDRTYPE" value="APN"/>
    <characteristic type="NAPAUTHINFO"><parm name="AUTHTYPE" value="PAP"/><parm name="AUTHNAME" value="web"/></characteristic>
  </characteristic>
  <characteristic type="APPLICATION">
    <parm name="APPID" value="w7"/><parm name="PROVIDER-ID" value="com.cp.srv"/><parm name="NAME" value="CP server"/>
    <parm name="TO-NAPID" value="nap1"/><parm name="INIT"/>
    <characteristic type="APPADDR">
      <parm name="ADDR" value="https://cp.example.com/dm"/><parm name="ADDRTYPE" value="IPV6"/>
      <characteristic type="PORT"><parm name="PORTNBR" value="8443"/></characteristic>
    </characteristic>
    <characteristic type="APPAUTH">
      <parm name="AAUTHLEVEL" value="APPSRV"/><parm name="AAUTHTYPE" value="HTTP-DIGEST"/>
      <parm name="AAUTHNAME" value="dev1"/><parm name="AAUTHSECRET" value="devpw"/><parm name="AAUTHDATA" value="AAECAw=="/>
    </characteristic>
    <characteristic type="APPAUTH">
      <parm name="AAUTHLEVEL" value="CLIENT"/><parm name="AAUTHTYPE" value="DIGEST"/><parm name="AAUTHSECRET" value="srvpw"/>
    </characteristic>
  </characteristic>
</wap-provisioningdoc>`;

/** A minimal reading of the XML provisioning document, for comparison (the test's own parser). */
function xmlCharacteristics(xml: string): CpCharacteristic[] {
  const root: CpCharacteristic = { type: '', parms: [], children: [] };
  const stack = [root];
  for (const m of xml.matchAll(/<(\/?)(characteristic|parm)([^>]*?)(\/?)>/g)) {
    const [, close, tag, attrs, selfClose] = m;
    const attr = (n: string): string => new RegExp(`${n}="([^"]*)"`).exec(attrs!)?.[1] ?? '';
    if (close) { stack.pop(); continue; }
    if (tag === 'parm') { stack[stack.length - 1]!.parms.push({ name: attr('name'), value: attr('value') }); continue; }
    const c: CpCharacteristic = { type: attr('type'), parms: [], children: [] };
    stack[stack.length - 1]!.children.push(c);
    if (!selfClose) stack.push(c);
  }
  return root.children;
}

describe('OMA CP vs libwbxml', { skip: LIBWBXML_SKIP }, () => {
  test('xml2wbxml output (attribute page switches, value tokens, string table) decodes to the XML', () => {
    const w = xml2wbxml(CP_DOCTYPE + CP_XML);
    const doc = decodeCp(w);
    assert.equal(doc.version, '1.1');
    assert.deepEqual(doc.characteristics, xmlCharacteristics(CP_XML));
    const m = w7Accounts(doc);
    assert.deepEqual(m.errors, []);
    assert.equal(m.accounts[0]!.profile.addrType, 'IPv6');
    assert.equal(m.accounts[0]!.profile.client!.type, 'HTTP-DIGEST');
  });
  test('the same document without a string table (-n) decodes the same', () => {
    assert.deepEqual(decodeCp(xml2wbxml(CP_DOCTYPE + CP_XML, ['-n'])), decodeCp(xml2wbxml(CP_DOCTYPE + CP_XML)));
  });

  test('a CP bootstrap signed by python3 (USERPIN) installs the w7 account and starts a session (INIT)', { skip: PYTHON_SKIP }, async () => {
    const w = xml2wbxml(CP_DOCTYPE + CP_XML);
    const v = pythonVectors([{ doc: w, imsi: '262011234567890', pin: '1357' }])[0]!;
    const d = device();
    const sessions: string[] = [];
    const b = new Bootstrapper({ tree: d.tree, dmacc: d.dmacc, log: d.platform.log, ui: answeringUi('1357'), networkSecret: () => null, startSession: (id) => sessions.push(id) });
    const r = await b.handle(push(w, { sec: 'USERPIN', mac: v.USERPIN, ct: 0x36 }));
    assert.equal(r.outcome, 'applied', JSON.stringify(r));
    assert.deepEqual(sessions, ['com.cp.srv']);
    const a = d.dmacc.findByServerId('com.cp.srv')!;
    assert.equal(a.addr, 'https://cp.example.com/dm');
    assert.equal(a.port, 8443);
    assert.equal(a.addrType, 'IPv6');
    assert.equal(utf8Decode(a.server.secret), 'srvpw');
    const bad = await new Bootstrapper({ tree: d.tree, dmacc: d.dmacc, log: d.platform.log, ui: answeringUi('1358'), networkSecret: () => imsiKey('1') }).handle(push(w, { sec: 'USERPIN', mac: v.USERPIN, ct: 0x36 }));
    assert.equal(bad.outcome === 'rejected' && bad.reason, 'bad-mac');
  });
});

describe('DM bootstrap with embedded TNDS encoded by libwbxml', { skip: LIBWBXML_SKIP || PYTHON_SKIP }, () => {
  test('MgmtTree in Data becomes OPAQUE +wbxml; the account it describes is applied (NETWORKID)', async () => {
    const xml = `<?xml version="1.0"?>
<!DOCTYPE SyncML PUBLIC "-//SYNCML//DTD SyncML 1.2//EN" "http://www.openmobilealliance.org/tech/DTD/OMA-TS-SyncML_RepPro_DTD-V1_2.dtd">
<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>0</SessionID><MsgID>0</MsgID>
<Target><LocURI>IMEI:1</LocURI></Target><Source><LocURI>srv</LocURI></Source></SyncHdr><SyncBody>
<Add><CmdID>1</CmdID><Item><Target><LocURI>./DMAcc</LocURI></Target>
<Meta><Format xmlns="syncml:metinf">xml</Format><Type xmlns="syncml:metinf">application/vnd.syncml.dmtnds+xml</Type></Meta>
<Data>${TNDS_XML[0]!.replace('<Path>./DMAcc</Path>', '').replace(/<Node><NodeName>Nonce<\/NodeName>.*?<\/Node>/, '')}</Data></Item></Add>
<Replace><CmdID>2</CmdID><Item><Target><LocURI>./SyncML/Con/c1/NAP/Addr</LocURI></Target><Data>internet</Data></Item></Replace>
<Final/></SyncBody></SyncML>`;
    const w = xml2wbxml(xml);
    assert.match(Buffer.from(w).toString('latin1'), /dmtnds\+wbxml/, 'libwbxml converted the embedded object');
    const v = pythonVectors([{ doc: w, imsi: '262011234567890', pin: '0' }])[0]!;
    const d = device();
    const b = new Bootstrapper({ tree: d.tree, dmacc: d.dmacc, log: d.platform.log, networkSecret: () => imsiKey('262011234567890') });
    const r = await b.handle(push(w, { sec: 'NETWORKID', mac: v.NETWORKID }));
    assert.equal(r.outcome, 'applied', JSON.stringify(r));
    const a = d.dmacc.findByServerId('srv')!;
    assert.equal(a.path, './DMAcc/acc1');
    assert.equal(a.addr, 'https://dm.example.com/dm?x=1&y=2');
    assert.equal(a.port, 8443);
    assert.equal(d.tree.store.info('./DMAcc/acc1')!.acl, 'Get=srv&Replace=srv');
    assert.equal(d.tree.store.readText('./SyncML/Con/c1/NAP/Addr'), 'internet');
  });
});
