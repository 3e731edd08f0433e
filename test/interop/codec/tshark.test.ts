// Interop (node-only): Wireshark's WBXML dissector (tshark) reads our WBXML as we do.
// Our WBXML is carried in a WSP connectionless push (UDP 9200 → 2948, Content-Type
// application/vnd.syncml.dm+wbxml) written with text2pcap; tshark's token rendering column is
// compared with our tokenizer's event log, token by token.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transcode } from '../../../src/codec/transcode';
import { WbxmlTokenizer } from '../../../src/codec/wbxml/Tokenizer';
import { ROOT } from '../../helpers/paths';
import { EventLog } from '../../unit/codec/helpers';

const have = (cmd: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`]);
    return true;
  } catch {
    return false;
  }
};
const skip = have('tshark') && have('text2pcap') ? false : 'tshark not installed (make test installs it)';
const dir = mkdtempSync(join(tmpdir(), 'omadm-tshark-'));
const FIX = join(ROOT, 'test', 'fixtures', 'codec');

/** tshark's rendering of a WBXML body carried in a WSP push. */
function tsharkRender(wbxml: Uint8Array, name: string): string[] {
  const wsp = Uint8Array.from([0x01, 0x06, 0x01, 0xc2, ...wbxml]);
  const hex = join(dir, `${name}.hex`);
  const pcap = join(dir, `${name}.pcap`);
  // text2pcap hex dump format: offset then bytes, 16 per line
  let dump = '';
  for (let i = 0; i < wsp.length; i += 16) {
    dump += i.toString(16).padStart(6, '0') + ' ' + Array.from(wsp.subarray(i, i + 16), (b) => b.toString(16).padStart(2, '0')).join(' ') + '\n';
  }
  writeFileSync(hex, dump);
  execFileSync('text2pcap', ['-q', '-u', '9200,2948', hex, pcap]);
  const out = execFileSync('tshark', ['-r', pcap, '-V'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
  const i = out.indexOf('Data representation');
  assert.ok(i >= 0, 'tshark did not decode the WBXML');
  const rows: string[] = [];
  for (const line of out.slice(i).split('\n').slice(2)) {
    if (!line.includes('|')) break;
    const r = line.slice(line.lastIndexOf('|') + 1).trim();
    if (r) rows.push(r);
  }
  return rows;
}

/** Our events in tshark's rendering vocabulary. */
function ourRender(wbxml: Uint8Array): string[] {
  const log = new EventLog();
  new WbxmlTokenizer(log, { maxOpaque: 1 << 24 }).decode(wbxml);
  const rows: string[] = [];
  const ev = log.done();
  for (let k = 0; k < ev.length; k++) {
    const e = ev[k]!;
    const [kind, rest] = [e.slice(0, e.indexOf(' ')), e.slice(e.indexOf(' ') + 1)];
    if (kind === 'open') {
      if (rest.endsWith('/')) {
        rows.push(`<${rest.slice(0, -1)} />`);
        k++; // its close
      } else rows.push(`<${rest}>`);
    } else if (kind === 'close') rows.push(`</${rest}>`);
    else if (kind === 'str') rows.push(`'${JSON.parse(rest) as string}'`);
    else if (kind === 'opaque') rows.push(`(${new TextEncoder().encode(JSON.parse(rest) as string).length} bytes of opaque data)`);
  }
  return rows;
}

describe('interop with tshark (Wireshark WBXML dissector)', { skip }, () => {
  for (const f of readdirSync(FIX).filter((x) => x.endsWith('.xml') && !x.startsWith('lenient-'))) {
    test(`${f}: tshark renders our WBXML token stream exactly as we decode it`, () => {
      const wb = transcode(readFileSync(join(FIX, f)), { to: 'wbxml' });
      const theirs = tsharkRender(wb, f);
      const ours = ourRender(wb);
      assert.equal(theirs.length, ours.length, 'same number of tokens');
      for (let k = 0; k < ours.length; k++) {
        const t = theirs[k]!;
        const o = ours[k]!;
        // tshark shortens long strings in its rendering: accept a long prefix
        if (t.startsWith("'") && t.length >= 100 && t.length < o.length) assert.ok(o.startsWith(t.slice(0, -1)), `token ${k}`);
        else assert.equal(t, o, `token ${k}`);
      }
    });
  }
});
