/**
 * `omadm listen --config FILE [--modem TTY] [--stored] [--wdp-port N] [--wdp-loopback] [--sessions N]
 * [--transcript]`: the device daemon on Node. Receives WAP pushes from the modem (AT, +CMT/+CMTI on
 * the tty) and/or WDP datagrams (UDP, push over IP), and runs a server-initiated session for every
 * authenticated notification. Pending alerts are delivered first with a client-initiated session.
 * Stops on SIGINT/SIGTERM, or after N sessions.
 */
import type { SessionResult } from '../../src/session/Session';
import { renderMessage } from '../../src/agent/transcript';
import { loadConfig, makeAgent } from './run';
import { openSmsSource } from './sms';

export async function listenMain(argv: string[]): Promise<number> {
  let config: string | null = null;
  let tty: string | undefined;
  let stored = false;
  let wdpPort: number | undefined;
  let wdpLoopback = false;
  let max = Infinity;
  let transcript = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config') config = argv[++i] ?? null;
    else if (a === '--modem') tty = argv[++i];
    else if (a === '--stored') stored = true;
    else if (a === '--wdp-port') wdpPort = Number(argv[++i]);
    else if (a === '--wdp-loopback') wdpLoopback = true;
    else if (a === '--sessions') max = Number(argv[++i]);
    else if (a === '--transcript') transcript = true;
    else {
      process.stderr.write(`omadm listen: unknown argument ${a}\n`);
      return 2;
    }
  }
  if (!config || (tty === undefined && wdpPort === undefined) || Number.isNaN(max) || (wdpPort !== undefined && !(wdpPort >= 0 && wdpPort <= 65535))) {
    process.stderr.write('usage: omadm listen --config FILE [--modem TTY] [--stored] [--wdp-port N] [--wdp-loopback] [--sessions N] [--transcript]\n');
    return 2;
  }
  const loaded = loadConfig(config);
  const agent = makeAgent(loaded, transcript ? { onTrace: (e) => process.stdout.write(`\n--- ${e.dir === 'out' ? 'client → server' : 'server → client'} ${e.url}\n${renderMessage(e.body)}\n`) } : {});
  const log = agent.platform.log;
  const src = openSmsSource({
    ...(tty !== undefined ? { tty } : {}), stored, ...(wdpPort !== undefined ? { wdpPort } : {}), wdpLoopback, log,
    onError: (err, channel) => log('error', `${channel} channel failed`, { code: err.code, error: err.message }),
  });
  if (wdpPort !== undefined) process.stdout.write(`listening for WDP pushes on UDP port ${src.wdpPort()}\n`);
  if (tty !== undefined) process.stdout.write(`listening for SMS on ${tty}\n`);
  let done = 0;
  let stop: () => void = () => {};
  const finished = new Promise<void>((r) => (stop = r));
  const count = (r: SessionResult): void => {
    process.stdout.write(`session ${r.outcome}${r.reason ? ` (${r.reason})` : ''}: ${r.sent} sent, ${r.received} received\n`);
    if (++done >= max) stop();
  };
  if (agent.alerts.size > 0) void agent.runSession().then(count);
  let seen = 0;
  src.onSms((sms) => {
    agent.handleSms(sms);
    while (seen < agent.pushSessions.length) void agent.pushSessions[seen++]!.then(count);
  });
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await finished;
  src.close();
  agent.client.close();
  return 0;
}
