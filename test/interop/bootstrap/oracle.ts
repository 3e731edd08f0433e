/**
 * Independent oracles for the bootstrap interop tests (node-only): python3 (hmac, hashlib) for the
 * SEC/MAC keys and MACs, libwbxml's xml2wbxml / wbxml2xml for WBXML documents, tshark for WSP.
 * Each helper returns null when its tool is missing; the tests then skip with a reason.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const PYTHON_SKIP: string | false = has('python3') ? false : 'python3 not installed';
export const LIBWBXML_SKIP: string | false = has('xml2wbxml') && has('wbxml2xml') ? false : 'xml2wbxml/wbxml2xml not installed (Debian package libwbxml2-utils)';
export const TSHARK_SKIP: string | false = has('tshark') && has('text2pcap') ? false : 'tshark/text2pcap not installed';

/**
 * Python's own reading of the keys: the IMSI packed as EF_IMSI semi-octets (prefix 9/1, pad F,
 * swap the digits of each pair — the way Funambol's server builds it, a different algorithm from
 * ours), USERPIN_NETWORKID = imsiKey + PIN (and PIN ':' imsiKey), USERPINMAC digits = byte % 10.
 */
const PY = `
import sys, json, hmac, hashlib
def imsi_key(imsi):
    s = ('9' if len(imsi) % 2 else '1') + imsi + ('' if len(imsi) % 2 else 'F')
    return bytes(int(s[i + 1] + s[i], 16) for i in range(0, len(s), 2))
def mac(k, d): return hmac.new(k, d, hashlib.sha1).hexdigest().upper()
out = []
for c in json.load(sys.stdin):
    doc = bytes.fromhex(c['doc']); pin = c['pin'].encode(); net = imsi_key(c['imsi'])
    m = hmac.new(pin, doc, hashlib.sha1).digest()
    out.append({
        'imsiKey': net.hex(),
        'NETWORKID': mac(net, doc),
        'USERPIN': mac(pin, doc),
        'USERPIN_NETWORKID': mac(net + pin, doc),
        'USERPIN_NETWORKID_colon': mac(pin + b':' + net, doc),
        'USERPINMAC': c['pin'] + ''.join(str(b % 10) for b in m[:len(pin)]),
        'sha1': hashlib.sha1(doc).hexdigest(),
    })
print(json.dumps(out))
`;

export interface PyCase {
  doc: Uint8Array;
  imsi: string;
  pin: string;
}

export interface PyVector {
  imsiKey: string;
  NETWORKID: string;
  USERPIN: string;
  USERPIN_NETWORKID: string;
  USERPIN_NETWORKID_colon: string;
  USERPINMAC: string;
  sha1: string;
}

/** The MACs python3 computes for each case. */
export function pythonVectors(cases: readonly PyCase[]): PyVector[] {
  const input = JSON.stringify(cases.map((c) => ({ doc: Buffer.from(c.doc).toString('hex'), imsi: c.imsi, pin: c.pin })));
  return JSON.parse(execFileSync('python3', ['-c', PY], { input, encoding: 'utf8', timeout: 60000 })) as PyVector[];
}

/** xml2wbxml of an XML document (WBXML 1.3 by default). */
export function xml2wbxml(xml: string, args: readonly string[] = []): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'omadm-bs-'));
  try {
    writeFileSync(join(dir, 'in.xml'), xml);
    execFileSync('xml2wbxml', [...args, '-o', join(dir, 'out.wbxml'), join(dir, 'in.xml')], { stdio: 'ignore', timeout: 30000 });
    return new Uint8Array(readFileSync(join(dir, 'out.wbxml')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** wbxml2xml of a WBXML document. */
export function wbxml2xml(wbxml: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'omadm-bs-'));
  try {
    writeFileSync(join(dir, 'in.wbxml'), wbxml);
    execFileSync('wbxml2xml', ['-o', join(dir, 'out.xml'), join(dir, 'in.wbxml')], { stdio: 'ignore', timeout: 30000 });
    return readFileSync(join(dir, 'out.xml'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** tshark's connectionless-WSP reading of PDUs: one row of field values per PDU. */
export function tsharkWsp(pdus: readonly Uint8Array[], fields: readonly string[]): string[][] {
  const dir = mkdtempSync(join(tmpdir(), 'omadm-bs-'));
  try {
    writeFileSync(join(dir, 'in.txt'), pdus.map((f) => '0000 ' + Array.from(f, (b) => b.toString(16).padStart(2, '0')).join(' ') + '\n').join(''));
    execFileSync('text2pcap', ['-q', '-l', '147', join(dir, 'in.txt'), join(dir, 'out.pcap')], { stdio: 'ignore', timeout: 30000 });
    const args = ['-n', '-o', 'uat:user_dlts:"User 0 (DLT=147)","wsp-cl","0","","0",""', '-r', join(dir, 'out.pcap'), '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,'];
    for (const f of fields) args.push('-e', f);
    const out = execFileSync('tshark', args, { encoding: 'utf8', timeout: 60000, stdio: ['ignore', 'pipe', 'ignore'] });
    const rows = out.split('\n');
    if (rows[rows.length - 1] === '') rows.pop();
    return rows.map((r) => r.split('\t'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
