/**
 * `omadm` command line (Node). Subcommands:
 *   decode FILE                 WBXML or XML (auto-detected) → readable XML on stdout (like wbxml2xml)
 *   encode [--xml|--wbxml] FILE [-o OUT]   XML ⇄ WBXML (default: the other encoding)
 *   run --config FILE           one client-initiated session against the configured server
 *   server --script FILE --port N           the loopback DM test server
 *   push --config FILE PDU_HEX_FILE…        feed SMS PDUs through the push router
 *   listen --config FILE --modem TTY         the device daemon: pushes from the modem/WDP → sessions
 *   trace FILE                  render a captured session (JSON trace) as readable XML
 *   demo                        the seed scenario end to end on loopback
 * Errors go to stderr with a non-zero exit code.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { transcode } from '../../src/codec/transcode';
import { detectEncoding } from '../../src/codec/decode';
import { DecodeError } from '../../src/errors';
import { isDeviceChild, runDeviceChild } from './fumo-device';

type Cmd = (argv: string[]) => Promise<number>;

const USAGE = `usage: omadm <command> [options]
  decode FILE                          print a WBXML or XML SyncML message as XML
  decode --sms|--sms-smsc|--cdma|--wsp|--pkg0 [--secret S] [--nonce-b64 N] FILE
                                       print an SMS / WAP push / package #0 layer by layer
  encode [--xml|--wbxml] FILE [-o OUT] convert between XML and WBXML
  run --config FILE                    run one client-initiated DM session
  server --script FILE --port N        run the loopback DM test server
  push --config FILE PDU_FILE...       feed SMS PDUs (hex, one per line) to the push router
  listen --config FILE --modem TTY     run as the device daemon (modem and/or --wdp-port N)
  bootstrap --config FILE --doc DOC --sec SEC (--mac HEX|--sign) [--pin P] [--imsi D]
                                       apply an OMA DM / OMA CP bootstrap document
  trace FILE                           render a recorded session trace
  demo                                 run the seed scenario on loopback`;

function fail(msg: string, code = 2): number {
  process.stderr.write(`omadm: ${msg}\n`);
  return code;
}

const decode: Cmd = async (argv) => {
  if (argv.some((a) => /^--(sms|sms-smsc|cdma|wsp|pkg0)$/.test(a))) return (await import('./decode-push')).decodePushMain(argv);
  const file = argv[0];
  if (!file || argv.length !== 1) return fail('usage: omadm decode FILE');
  const bytes = new Uint8Array(readFileSync(file));
  const enc = detectEncoding(bytes);
  if (!enc) return fail(`${file}: neither WBXML nor XML`, 1);
  process.stdout.write(transcode(bytes, { to: 'xml', indent: true }));
  process.stdout.write('\n');
  return 0;
};

const encode: Cmd = async (argv) => {
  let to: 'xml' | 'wbxml' | null = null;
  let out: string | null = null;
  let file: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--xml') to = 'xml';
    else if (a === '--wbxml') to = 'wbxml';
    else if (a === '-o') out = argv[++i] ?? null;
    else if (a.startsWith('-')) return fail(`encode: unknown option ${a}`);
    else if (file === null) file = a;
    else return fail('encode: one input file');
  }
  if (file === null) return fail('usage: omadm encode [--xml|--wbxml] FILE [-o OUT]');
  const bytes = new Uint8Array(readFileSync(file));
  const enc = detectEncoding(bytes);
  if (!enc) return fail(`${file}: neither WBXML nor XML`, 1);
  const target = to ?? (enc === 'xml' ? 'wbxml' : 'xml');
  const result = transcode(bytes, { to: target, indent: target === 'xml' });
  if (out) writeFileSync(out, result);
  else process.stdout.write(result);
  return 0;
};

const COMMANDS: Record<string, Cmd> = {
  decode,
  encode,
  run: async (argv) => (await import('./run')).runMain(argv),
  trace: async (argv) => (await import('./trace')).traceMain(argv),
  server: async (argv) => (await import('./server-cli')).serverMain(argv),
  push: async (argv) => (await import('./push-cli')).pushMain(argv),
  demo: async (argv) => (await import('./demo')).demoMain(argv),
  listen: async (argv) => (await import('./listen')).listenMain(argv),
  bootstrap: async (argv) => (await import('./bootstrap-cli')).bootstrapMain(argv),
};

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '-h' || cmd === '--help') {
    process.stdout.write(USAGE + '\n');
    return cmd ? 0 : 2;
  }
  const f = COMMANDS[cmd];
  if (!f) return fail(`unknown command ${cmd}\n${USAGE}`);
  try {
    return await f(rest);
  } catch (e) {
    if (e instanceof DecodeError) return fail(`malformed input: ${e.message}`, 1);
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') return fail(err.message, 1);
    return fail(err.stack ?? String(e), 1);
  }
}

if (isDeviceChild()) {
  // a power-on of the simulated device (the demo's FUMO device runs this same bundle as its child)
  runDeviceChild();
} else {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
