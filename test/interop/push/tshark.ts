/**
 * Runs tshark over raw PDUs (node-only helper for the push interop tests).
 *
 * Each PDU becomes one frame of a pcap with link type 147 (USER0), written by
 * `text2pcap -q -l 147 in.txt out.pcap` from a hex dump ("0000 44 0c 91 ..." per frame).
 * tshark maps USER0 to a dissector through the user_dlts UAT given on the command line:
 *   tshark -o 'uat:user_dlts:"User 0 (DLT=147)","gsm_sms","0","","0",""' -r out.pcap \
 *          -T fields -E separator=/t -E occurrence=a -E aggregator=, -e <field>...
 * (UAT columns: encapsulation, payload dissector, header size, header dissector, trailer size,
 * trailer dissector.) gsm_sms then hands port-2948 user data to WSP, and reassembles
 * concatenated messages by itself (preference gsm_sms.reassemble, on by default).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
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

/** Why tshark tests must be skipped, or false when tshark and text2pcap are installed. */
export const TSHARK_SKIP: string | false = has('tshark') && has('text2pcap') ? false : 'tshark/text2pcap not installed (Debian package tshark)';

/** One row per frame; each cell is the field's values joined with ','. */
export function tsharkFields(dissector: string, frames: readonly Uint8Array[], fields: readonly string[], prefs: readonly string[] = []): string[][] {
  const dir = mkdtempSync(join(tmpdir(), 'omadm-tshark-'));
  try {
    const dump = frames.map((f) => '0000 ' + Array.from(f, (b) => b.toString(16).padStart(2, '0')).join(' ') + '\n').join('');
    writeFileSync(join(dir, 'in.txt'), dump);
    execFileSync('text2pcap', ['-q', '-l', '147', join(dir, 'in.txt'), join(dir, 'out.pcap')], { stdio: 'ignore', timeout: 30000 });
    const args = ['-n', '-o', `uat:user_dlts:"User 0 (DLT=147)","${dissector}","0","","0",""`];
    for (const p of prefs) args.push('-o', p);
    args.push('-r', join(dir, 'out.pcap'), '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,');
    for (const f of fields) args.push('-e', f);
    const out = execFileSync('tshark', args, { encoding: 'utf8', timeout: 60000, stdio: ['ignore', 'pipe', 'ignore'] });
    const rows = out.split('\n');
    if (rows[rows.length - 1] === '') rows.pop();
    return rows.map((r) => r.split('\t'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The raw `value` attribute (full hex of the field's bytes, never shortened) of every occurrence
 * of `field` in each frame, from `tshark -T pdml`.
 */
export function tsharkPdmlValues(dissector: string, frames: readonly Uint8Array[], field: string): string[][] {
  const dir = mkdtempSync(join(tmpdir(), 'omadm-tshark-'));
  try {
    const dump = frames.map((f) => '0000 ' + Array.from(f, (b) => b.toString(16).padStart(2, '0')).join(' ') + '\n').join('');
    writeFileSync(join(dir, 'in.txt'), dump);
    execFileSync('text2pcap', ['-q', '-l', '147', join(dir, 'in.txt'), join(dir, 'out.pcap')], { stdio: 'ignore', timeout: 30000 });
    const xml = execFileSync('tshark', ['-n', '-o', `uat:user_dlts:"User 0 (DLT=147)","${dissector}","0","","0",""`, '-r', join(dir, 'out.pcap'), '-T', 'pdml'],
      { encoding: 'utf8', timeout: 60000, maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
    const esc = field.replace(/\./g, '\\.');
    return xml.split('<packet>').slice(1).map((pkt) => Array.from(pkt.matchAll(new RegExp(`<field name="${esc}"[^>]*?value="([0-9a-f]*)"`, 'g')), (m) => m[1]!));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
