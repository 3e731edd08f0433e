/**
 * `omadm bootstrap --config FILE --doc DOC (--content-type CT | --sec SEC [--mac HEX | --sign])
 *  [--pin PIN] [--imsi DIGITS]`: applies an over-the-air bootstrap document (OMA DM bootstrap WBXML,
 * or an OMA CP document) to the device as if it had arrived in a WAP push, then runs the
 * client-initiated session with the new server. `--sign` computes the MAC for the given SEC (tests
 * and provisioning tools); `--content-type` takes the push's full header value instead. Prints the
 * decision as JSON; exit 0 when applied (and the session completed), 1 when rejected.
 */
import { readFileSync } from 'node:fs';
import { bootstrapPushFromHeader } from '../../src/bootstrap/Bootstrapper';
import { bootstrapKey, bootstrapMac, imsiKey, parseSec } from '../../src/bootstrap/sec';
import { loadConfig, makeAgent } from './run';

export async function bootstrapMain(argv: string[]): Promise<number> {
  const o: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--sign') o.sign = true;
    else if (['--config', '--doc', '--content-type', '--sec', '--mac', '--pin', '--imsi'].includes(a)) {
      const v = argv[++i];
      if (v === undefined) return usage(`${a} needs a value`);
      o[a.slice(2)] = v;
    } else return usage(`unknown argument ${a}`);
  }
  if (typeof o.config !== 'string' || typeof o.doc !== 'string') return usage('--config and --doc are required');
  const doc = new Uint8Array(readFileSync(o.doc));
  // the CP content type when the document is an OMA CP one (WBXML public id 0x0B), else DM bootstrap
  const cp = doc.length > 1 && doc[1] === 0x0b;
  let ct: string;
  if (typeof o['content-type'] === 'string') ct = o['content-type'];
  else {
    if (typeof o.sec !== 'string') return usage('give --content-type, or --sec with --mac or --sign');
    const sec = parseSec(o.sec);
    if (!sec) return usage(`unknown SEC ${o.sec}`);
    let mac = typeof o.mac === 'string' ? o.mac : null;
    if (o.sign === true) {
      const net = typeof o.imsi === 'string' ? imsiKey(o.imsi) : null;
      const pin = typeof o.pin === 'string' ? o.pin : null;
      mac = bootstrapMac(bootstrapKey(sec, net, pin), doc);
    }
    if (mac === null) return usage('--mac or --sign is needed with --sec');
    ct = `${cp ? 'application/vnd.wap.connectivity-wbxml' : 'application/vnd.syncml.dm+wbxml'}; SEC=${sec}; MAC=${mac}`;
  }
  const loaded = loadConfig(o.config);
  if (typeof o.imsi === 'string') {
    const k = imsiKey(o.imsi);
    loaded.cfg.agent.networkSecret = () => k;
  }
  if (typeof o.pin === 'string') {
    const pin = o.pin;
    loaded.cfg.agent.userPin = () => pin;
  }
  const agent = makeAgent(loaded);
  const d = await agent.bootstrapper.handle(bootstrapPushFromHeader(ct, doc));
  process.stdout.write(JSON.stringify(d) + '\n');
  if (d.outcome !== 'applied') return 1;
  const results = await Promise.all(agent.pushSessions);
  for (const r of results) process.stdout.write(JSON.stringify({ session: r.outcome, reason: r.reason, sent: r.sent, received: r.received }) + '\n');
  return results.every((r) => r.outcome === 'completed') ? 0 : 1;
}

function usage(msg: string): number {
  process.stderr.write(`omadm bootstrap: ${msg}\nusage: omadm bootstrap --config FILE --doc DOC (--content-type CT | --sec SEC [--mac HEX | --sign]) [--pin PIN] [--imsi DIGITS]\n`);
  return 2;
}
