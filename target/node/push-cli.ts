/**
 * `omadm push --config FILE [--start] PDU_FILE…`: feeds raw SMS PDUs (hex, one per line) through
 * reassembly, WSP, package #0 and the push router with the configured accounts, and prints each
 * decision as a JSON line. Line prefixes choose the bearer: `gsm:` (SMS-DELIVER TPDU, the default),
 * `gsm-smsc:` (with the SMSC address first, as AT+CMT delivers it), `cdma:` (IS-637 transport
 * message), `wdp:` (a WDP datagram for port 2948). `#` starts a comment. With `--start` each accepted
 * notification also runs its server-initiated session; the exit status is then 0 only if all completed.
 */
import { readFileSync } from 'node:fs';
import type { InboundSms } from '../../src/platform';
import type { PushDecision } from '../../src/push/PushRouter';
import { fromHex } from '../../src/util/bytes';
import { loadConfig, makeAgent } from './run';

export function parsePduLine(line: string): InboundSms | null {
  const t = line.replace(/#.*$/, '').trim();
  if (!t) return null;
  const m = /^(gsm|gsm-smsc|cdma|wdp):\s*(.*)$/i.exec(t);
  const kind = (m ? m[1]!.toLowerCase() : 'gsm') as 'gsm' | 'gsm-smsc' | 'cdma' | 'wdp';
  const bytes = fromHex(m ? m[2]! : t);
  if (kind === 'gsm-smsc') return { kind: 'gsm', bytes, smsc: true };
  return { kind, bytes };
}

export async function pushMain(argv: string[]): Promise<number> {
  let config: string | null = null;
  let start = false;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config') config = argv[++i] ?? null;
    else if (a === '--start') start = true;
    else if (a.startsWith('-')) {
      process.stderr.write(`omadm push: unknown option ${a}\n`);
      return 2;
    } else files.push(a);
  }
  if (!config || files.length === 0) {
    process.stderr.write('usage: omadm push --config FILE [--start] PDU_FILE...\n');
    return 2;
  }
  const loaded = loadConfig(config);
  const decisions: PushDecision[] = [];
  loaded.cfg.agent.autoSession = start;
  loaded.cfg.agent.onPush = (d) => {
    decisions.push(d);
    const out = d.outcome === 'accepted'
      ? { outcome: d.outcome, serverId: d.serverId, sessionId: d.sessionId, uiMode: d.uiMode, initiator: d.initiator, version: d.version, nonceReset: d.nonceReset, vendorBytes: d.vendor.length }
      : d;
    process.stdout.write(JSON.stringify(out) + '\n');
  };
  const agent = makeAgent(loaded);
  let n = 0;
  for (const f of files) {
    for (const [i, line] of readFileSync(f, 'utf8').split('\n').entries()) {
      let sms: InboundSms | null;
      try {
        sms = parsePduLine(line);
      } catch (e) {
        process.stderr.write(`omadm push: ${f}:${i + 1}: ${(e as Error).message}\n`);
        return 2;
      }
      if (!sms) continue;
      n++;
      agent.handleSms(sms);
    }
  }
  // decisions that need the user arrive later
  await new Promise((r) => setImmediate(r));
  if (n === 0) {
    process.stderr.write('omadm push: no PDUs\n');
    return 2;
  }
  if (!start) return decisions.some((d) => d.outcome === 'accepted') ? 0 : 1;
  const results = await Promise.all(agent.pushSessions);
  for (const r of results) process.stdout.write(JSON.stringify({ session: r.outcome, reason: r.reason, sent: r.sent, received: r.received }) + '\n');
  return results.length > 0 && results.every((r) => r.outcome === 'completed') ? 0 : 1;
}
