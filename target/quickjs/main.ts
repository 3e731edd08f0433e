/**
 * omadm on QuickJS: the program entry compiled into the host's bytecode (target/quickjs/host.c).
 *
 *   omadm [host options] <command> [options]
 *     run [--config FILE] [--server-id ID] [--transcript]
 *                                       one client-initiated DM session with the device configuration
 *                                       (src/agent/config.ts, shared with the Node host; default
 *                                       /etc/omadm/omadm.json). Extra QuickJS settings in that file:
 *                                       "memoryLimit" (bytes), applied with dmHost.setMemoryLimit;
 *                                       "fumo": { flash, kind, size?, eraseSize?, pageSize?, slotSize? }
 *                                       attaches FUMO (./FUMO/fw) on that flash with A/B slots of
 *                                       slotSize bytes (default half the device); a FUMO reboot
 *                                       request exits with status 66 (EXIT_REBOOT) for the supervisor.
 *     listen [--config FILE] [--modem TTY] [--wdp-port N] [--wdp-loopback] [--sessions N] [--transcript]
 *                                       waits for WAP pushes (modem SMS and/or WDP over UDP), each
 *                                       accepted notification starts a server-initiated session;
 *                                       with --sessions N it exits after N of them (status 0 when all
 *                                       completed)
 *     selftest [--storage DIR]          checks runtime, native module, timers, storage and network
 *     tls-get URL [--ca FILE] [--servername NAME] [--out BLOB] [--storage DIR] [--timeout MS]
 *                                       HTTP/1.1 GET over the platform stream (TLS for https://,
 *                                       certificate verified against --ca); streams the body into
 *                                       storage blob BLOB (if given) and prints status, byte count,
 *                                       SHA-256 and the JS heap high-water mark
 *     version
 *   Host options (--memory-limit, --mem-report, ...) are described in host.c.
 */
import * as std from 'std';
import * as os from 'os';
import * as native from 'dm_native';
import { createQjsPlatform, fatal, guard as guardCb, installQjsTuning, policyUi, type QjsPlatformOptions } from './platform';
import { PlatformError, type Platform } from '../../src/platform';
import { AgentCore } from '../../src/agent/AgentCore';
import { ConfigError, parseDeviceConfig } from '../../src/agent/config';
import { checkBinding } from '../../src/native/binding';
import type { SessionResult } from '../../src/session/Session';
// Loaded on first use with a dynamic import() (./lazy; each a bytecode module of its own in the host,
// scripts/qjs-modules.mjs), so a client-initiated session carries none of their code in its heap: the
// push router and the SMS/WDP source (`listen` only; the SMS decoders only with --modem), the
// bootstrapper (`listen`, on the first bootstrap push), the transcript renderer (--transcript), FUMO (when configured), tls-get and selftest.
import { importBootstrapper, importDiag, importFumo, importPushRouter, importPushRouterWdp, importSmsSource, importTranscript } from './lazy';

/** Version printed by `omadm version`. */
export const OMADM_VERSION = '0.1.0';
/** Exit status asking the supervisor (init script, systemd unit, bootloader glue) to reboot. */
export const EXIT_REBOOT = 66;
/** Default device configuration file (the image's layout). */
export const DEFAULT_CONFIG_FILE = '/etc/omadm/omadm.json';

/** One line on stdout, flushed (stdout is a pipe under tests and supervisors: no line buffering). */
function out(s: string): void {
  std.out.puts(s + '\n');
  std.out.flush();
}

function usage(): never {
  std.err.puts('usage: omadm run [--config FILE] [--server-id ID] [--transcript] |\n' +
    '       listen [--config FILE] [--modem TTY] [--wdp-port N] [--wdp-loopback] [--sessions N] [--transcript] |\n' +
    '       selftest [--storage DIR] |\n' +
    '       tls-get URL [--ca FILE] [--servername NAME] [--out BLOB] [--storage DIR] [--timeout MS] | version\n');
  return dmHost.exit(2);
}

/** Splits `--name value` options from positional arguments; unknown options are a usage error. */
function parseArgs(args: readonly string[], known: readonly string[]): { pos: string[]; opt: Map<string, string> } {
  const pos: string[] = [];
  const opt = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--')) {
      const name = a.slice(2);
      const v = args[i + 1];
      if (!known.includes(name) || v === undefined) usage();
      opt.set(name, v);
      i++;
    } else pos.push(a);
  }
  return { pos, opt };
}

/** Platform for the diagnostic commands (selftest, tls-get): options from the command line only. */
function platformFor(opt: Map<string, string>, storageDefault: string): Platform {
  const o: QjsPlatformOptions = { storageDir: opt.get('storage') ?? storageDefault, caFile: opt.get('ca') ?? '' };
  if (opt.has('timeout')) o.connectTimeoutMs = Number(opt.get('timeout'));
  return createQjsPlatform(o);
}

// ------------------------------------------------------------------------------------------ run

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : path.slice(0, i);
}

/** The agent of a device configuration file (src/agent/config.ts + "memoryLimit"); null after a config error (printed). */
async function loadAgent(opt: Map<string, string>, transcript: boolean, cmd: string): Promise<AgentCore | null> {
  const file = opt.get('config') ?? DEFAULT_CONFIG_FILE;
  const text = std.loadFile(file);
  if (text === null) throw new PlatformError('ENOENT', `config file ${file}`);
  let raw: unknown;
  let cfg;
  try {
    raw = JSON.parse(text);
    cfg = parseDeviceConfig(raw);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof SyntaxError) {
      std.err.puts(`omadm ${cmd}: ${file}: ${e.message}\n`);
      return null;
    }
    throw e;
  }
  const memoryLimit = (raw as { memoryLimit?: unknown }).memoryLimit;
  if (memoryLimit !== undefined) {
    if (typeof memoryLimit !== 'number' || !Number.isInteger(memoryLimit) || memoryLimit < 0) {
      std.err.puts(`omadm ${cmd}: ${file}: memoryLimit: must be a non-negative integer (bytes)\n`);
      return null;
    }
    if (memoryLimit > 0) dmHost.setMemoryLimit(memoryLimit);
  }
  const rel = (p: string): string => (p.startsWith('/') ? p : `${dirOf(file)}/${p}`);
  const o: QjsPlatformOptions = { storageDir: rel(cfg.storage), caFile: cfg.tls.ca ? rel(cfg.tls.ca) : '', logLevel: cfg.log };
  if (cfg.ui !== 'none') o.ui = policyUi(cfg.ui);
  const platform = createQjsPlatform(o);
  const agentCfg = { ...cfg.agent };
  if (transcript) {
    const { renderMessage } = await importTranscript();
    agentCfg.onTrace = (e) => out(`\n--- ${e.dir === 'out' ? 'client → server' : 'server → client'} (${e.body.length} bytes, ${e.contentType}) ${e.url}\n${renderMessage(e.body)}`);
  }
  if (cmd === 'listen') {
    agentCfg.onPush = (d) => out(`push ${d.outcome}${d.outcome === 'accepted' ? ` server ${d.serverId} session ${d.sessionId}` : ''}`);
  }
  const agent = new AgentCore(platform, agentCfg);
  const fumo = (raw as { fumo?: unknown }).fumo;
  if (fumo !== undefined) {
    const { attachFumo } = await importFumo();
    const err = attachFumo(agent, fumo, rel, EXIT_REBOOT);
    if (err) {
      std.err.puts(`omadm ${cmd}: ${file}: fumo${err}\n`);
      return null;
    }
  }
  return agent;
}

function sessionLine(r: SessionResult): string {
  return `session ${r.outcome}${r.reason ? ` (${r.reason}${r.detail ? `: ${r.detail}` : ''})` : ''}: ${r.sent} sent, ${r.received} received, DM ${r.version}`;
}

/** `run`: one client-initiated session; exit status 0 only when it completed. */
async function runSession(opt: Map<string, string>, transcript: boolean): Promise<number> {
  const agent = await loadAgent(opt, transcript, 'run');
  if (!agent) return 2;
  const sid = opt.get('server-id');
  const r = await agent.runSession(sid === undefined ? {} : { serverId: sid });
  out(sessionLine(r));
  out(`heap-peak ${dmHost.memoryUsage().peak}`);
  return r.outcome === 'completed' ? 0 : 1;
}

/**
 * `listen`: WAP pushes from the modem and/or WDP (UDP) go to the agent's push router; accepted
 * notifications start sessions. Runs until killed, or until `--sessions N` sessions ended.
 */
async function listen(opt: Map<string, string>, transcript: boolean): Promise<number> {
  const agent = await loadAgent(opt, transcript, 'listen');
  if (!agent) return 2;
  const tty = opt.get('modem');
  const wdp = opt.get('wdp-port');
  if (tty === undefined && wdp === undefined) usage();
  const want = opt.has('sessions') ? Number(opt.get('sessions')) : Infinity;
  if (!(want > 0)) usage();
  // WDP alone needs only the router core (no SMS decoders); the bootstrapper's code enters the heap
  // only when a bootstrap document arrives
  const PushRouter = tty === undefined ? (await importPushRouterWdp()).PushRouterCore : (await importPushRouter()).PushRouter;
  agent.enablePush({ PushRouter, loadBootstrapper: async () => (await importBootstrapper()).Bootstrapper });
  const { NativeSmsSource } = await importSmsSource();
  const p = agent.platform;
  const source = new NativeSmsSource(checkBinding(native), {
    setTimer: (ms, cb) => p.setTimer(ms, cb),
    clearTimer: (t) => p.clearTimer(t),
    watch: (_h, fd, onReadable) => os.setReadHandler(fd, guardCb(onReadable)),
    unwatch: (_h, fd) => os.setReadHandler(fd, null),
    log: p.log,
  }, {
    ...(tty === undefined ? {} : { tty }),
    ...(wdp === undefined ? {} : { wdpPort: Number(wdp), wdpLoopback: opt.get('wdp-loopback') === 'yes' }),
    onError: (err, channel) => p.log('error', `push source ${channel} failed`, { code: err.code }),
  });
  const port = source.wdpPort();
  if (port !== null) out(`listening wdp ${port}`);
  if (tty !== undefined) out(`listening modem ${tty}`);
  return new Promise((resolve) => {
    let done = 0;
    let failed = 0;
    let seen = 0;
    source.onSms((sms) => {
      agent.handleSms(sms);
      // sessions started by this push (if any) were appended to pushSessions
      for (; seen < agent.pushSessions.length; seen++) {
        // a session never rejects for protocol or transport failures, but an exception (the heap
        // limit: InternalError "out of memory") must still count as an ended session, or
        // `--sessions N` would wait for pushes forever with the WDP/modem fds still watched
        const ended = (failedNow: boolean): void => {
          done++;
          if (failedNow) failed++;
          if (done >= want) {
            source.close();
            out(`heap-peak ${dmHost.memoryUsage().peak}`);
            resolve(failed === 0 ? 0 : 1);
          }
        };
        void agent.pushSessions[seen]!.then((r) => {
          out(sessionLine(r));
          ended(r.outcome !== 'completed');
        }, (e: unknown) => {
          // QuickJS throws null when an allocation fails at the heap limit
          out(`session error: ${e instanceof Error ? `${e.name}: ${e.message}` : e === null ? 'null (out of memory)' : String(e)}`);
          ended(true);
        });
      }
    });
  });
}

// ------------------------------------------------------------------------------------------ main

async function main(argv: readonly string[]): Promise<number> {
  installQjsTuning();
  const args = argv.slice(1);
  const cmd = args[0];
  if (cmd === 'version') {
    out(`omadm ${OMADM_VERSION} (QuickJS ${dmHost.quickjs})`);
    return 0;
  }
  if (cmd === 'run') {
    const rest = args.slice(1);
    const transcript = rest.includes('--transcript');
    const { pos, opt } = parseArgs(rest.filter((a) => a !== '--transcript'), ['config', 'server-id']);
    if (pos.length !== 0) usage();
    return runSession(opt, transcript);
  }
  if (cmd === 'listen') {
    const rest = args.slice(1);
    const transcript = rest.includes('--transcript');
    const loopback = rest.includes('--wdp-loopback');
    const { pos, opt } = parseArgs(rest.filter((a) => a !== '--transcript' && a !== '--wdp-loopback'), ['config', 'modem', 'wdp-port', 'sessions']);
    if (pos.length !== 0) usage();
    if (loopback) opt.set('wdp-loopback', 'yes');
    return listen(opt, transcript);
  }
  if (cmd === 'selftest') {
    const { opt } = parseArgs(args.slice(1), ['storage']);
    const { selftest } = await importDiag();
    return selftest(platformFor(opt, '/tmp/omadm-selftest'));
  }
  if (cmd === 'tls-get') {
    const { pos, opt } = parseArgs(args.slice(1), ['ca', 'servername', 'out', 'storage', 'timeout']);
    if (pos.length !== 1) usage();
    const { parseUrl, tlsGet } = await importDiag();
    const status = await tlsGet(platformFor(opt, '/tmp'), parseUrl(pos[0]!), opt.get('servername'), opt.get('out'));
    return status === 200 ? 0 : 1;
  }
  return usage();
}

main(scriptArgs).then(
  (code) => dmHost.setExitCode(code),
  (e: unknown) => {
    if (e instanceof PlatformError) {
      std.err.puts(`omadm: error ${e.code}: ${e.message}\n`);
      dmHost.setExitCode(3);
    } else fatal(e);
  },
);
