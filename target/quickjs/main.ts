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
import { createQjsPlatform, errName, fatal, guard as guardCb, installNativeUtf8, policyUi, type QjsPlatformOptions } from './platform';
import { PlatformError, type Platform } from '../../src/platform';
import { Agent } from '../../src/agent/Agent';
import { ConfigError, parseDeviceConfig } from '../../src/agent/config';
import { renderMessage } from '../../src/agent/transcript';
import { checkBinding } from '../../src/native/binding';
import { NativeSmsSource } from '../../src/native/NativeSmsSource';
import { NativeFlash, type FlashKind } from '../../src/native/Flash';
import { Fumo } from '../../src/fumo/index';
import type { SessionResult } from '../../src/session/Session';
import { Sha256 } from '../../src/crypto/sha256';
import { toHex } from '../../src/util/bytes';
import { utf8Decode, utf8Encode } from '../../src/util/utf8';

/** Version printed by `omadm version`. */
export const OMADM_VERSION = '0.1.0';
/** Exit status asking the supervisor (init script, systemd unit, bootloader glue) to reboot. */
export const EXIT_REBOOT = 66;
/** Default device configuration file (the image's layout). */
export const DEFAULT_CONFIG_FILE = '/etc/omadm/omadm.json';
/** tls-get: largest response header accepted, bytes. */
export const DEFAULT_MAX_HEADER = 8192;

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
function loadAgent(opt: Map<string, string>, transcript: boolean, cmd: string): Agent | null {
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
    agentCfg.onTrace = (e) => out(`\n--- ${e.dir === 'out' ? 'client → server' : 'server → client'} (${e.body.length} bytes, ${e.contentType}) ${e.url}\n${renderMessage(e.body)}`);
  }
  if (cmd === 'listen') {
    agentCfg.onPush = (d) => out(`push ${d.outcome}${d.outcome === 'accepted' ? ` server ${d.serverId} session ${d.sessionId}` : ''}`);
  }
  const agent = new Agent(platform, agentCfg);
  const fumo = (raw as { fumo?: unknown }).fumo;
  if (fumo !== undefined) {
    const err = attachFumo(agent, fumo, rel);
    if (err) {
      std.err.puts(`omadm ${cmd}: ${file}: fumo${err}\n`);
      return null;
    }
  }
  return agent;
}

const FLASH_KINDS: readonly FlashKind[] = ['file', 'block', 'mtd', 'sim', 'sim-nand'];

/** Attaches FUMO per the "fumo" host setting; returns an error text (".field: problem") or null. */
function attachFumo(agent: Agent, v: unknown, rel: (p: string) => string): string | null {
  if (typeof v !== 'object' || v === null) return ': must be an object';
  const o = v as Record<string, unknown>;
  if (typeof o.flash !== 'string' || o.flash === '') return '.flash: must be a path';
  const kind = o.kind ?? 'file';
  if (!FLASH_KINDS.includes(kind as FlashKind)) return `.kind: must be one of ${FLASH_KINDS.join(', ')}`;
  const num = (k: string): number | undefined | string => {
    const x = o[k];
    if (x === undefined) return undefined;
    return typeof x === 'number' && Number.isInteger(x) && x > 0 ? x : `.${k}: must be a positive integer`;
  };
  const size = num('size');
  const eraseSize = num('eraseSize');
  const pageSize = num('pageSize');
  const slotSize = num('slotSize');
  for (const x of [size, eraseSize, pageSize, slotSize]) if (typeof x === 'string') return x;
  const flash = NativeFlash.open(checkBinding(native), rel(o.flash), {
    kind: kind as FlashKind,
    ...(size === undefined ? {} : { size: size as number }),
    ...(eraseSize === undefined ? {} : { eraseSize: eraseSize as number }),
    ...(pageSize === undefined ? {} : { pageSize: pageSize as number }),
  });
  const info = flash.info();
  const s = (slotSize as number | undefined) ?? Math.floor(info.size / 2 / info.eraseSize) * info.eraseSize;
  if (s <= 0 || 2 * s > info.size) return `.slotSize: two slots of ${s} bytes do not fit the ${info.size}-byte flash`;
  Fumo.attach(agent, {
    flash,
    slots: [{ offset: 0, size: s }, { offset: s, size: s }],
    reboot: () => {
      agent.platform.log('info', 'FUMO asks for a reboot', { exit: EXIT_REBOOT });
      dmHost.exit(EXIT_REBOOT);
    },
  });
  return null;
}

function sessionLine(r: SessionResult): string {
  return `session ${r.outcome}${r.reason ? ` (${r.reason}${r.detail ? `: ${r.detail}` : ''})` : ''}: ${r.sent} sent, ${r.received} received, DM ${r.version}`;
}

/** `run`: one client-initiated session; exit status 0 only when it completed. */
async function runSession(opt: Map<string, string>, transcript: boolean): Promise<number> {
  const agent = loadAgent(opt, transcript, 'run');
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
  const agent = loadAgent(opt, transcript, 'listen');
  if (!agent) return 2;
  const tty = opt.get('modem');
  const wdp = opt.get('wdp-port');
  if (tty === undefined && wdp === undefined) usage();
  const want = opt.has('sessions') ? Number(opt.get('sessions')) : Infinity;
  if (!(want > 0)) usage();
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
        void agent.pushSessions[seen]!.then((r) => {
          out(sessionLine(r));
          done++;
          if (r.outcome !== 'completed') failed++;
          if (done >= want) {
            source.close();
            out(`heap-peak ${dmHost.memoryUsage().peak}`);
            resolve(failed === 0 ? 0 : 1);
          }
        });
      }
    });
  });
}

// ------------------------------------------------------------------------------------------ tls-get

interface Url { tls: boolean; host: string; port: number; path: string }

function parseUrl(s: string): Url {
  const m = /^(https?):\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?(\/[^\s]*)?$/.exec(s);
  if (!m) throw new TypeError(`not an http(s) URL: ${s}`);
  const tls = m[1] === 'https';
  const host = m[2]!.replace(/^\[|\]$/g, '');
  return { tls, host, port: m[3] ? Number(m[3]) : tls ? 443 : 80, path: m[4] ?? '/' };
}

/**
 * Minimal HTTP/1.1 client for `tls-get` (Connection: close; Content-Length or read-to-EOF body;
 * chunked is refused). The DM session uses src/session's framing instead.
 */
function tlsGet(p: Platform, url: Url, servername: string | undefined, outBlob: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const head = new Uint8Array(DEFAULT_MAX_HEADER);
    let headLen = 0;
    let inBody = false;
    let status = 0;
    let expect = -1;
    let got = 0;
    const sha = new Sha256();
    const blob = outBlob === undefined ? null : p.storage.open(outBlob, true);
    if (blob) blob.truncate(0);
    const body = (chunk: Uint8Array): void => {
      sha.update(chunk);
      if (blob) blob.write(got, chunk);
      got += chunk.length;
      if (expect >= 0 && got >= expect) stream.close();
    };
    const target = { host: url.host, port: url.port, tls: url.tls, ...(servername === undefined ? {} : { servername }) };
    const stream = p.network.connect(target, {
      onOpen(): void {
        p.log('debug', 'connected', { host: url.host, port: url.port, tls: url.tls });
        stream.write(utf8Encode(`GET ${url.path} HTTP/1.1\r\nHost: ${servername ?? url.host}\r\nConnection: close\r\n` +
          'User-Agent: omadm-qjs\r\n\r\n'));
      },
      onData(chunk: Uint8Array): void {
        if (inBody) { body(chunk); return; }
        if (headLen + chunk.length > head.length) {
          // the header must end inside the bounded buffer
          const room = head.length - headLen;
          head.set(chunk.subarray(0, room), headLen);
          headLen += room;
        } else {
          head.set(chunk, headLen);
          headLen += chunk.length;
        }
        let end = -1;
        for (let i = 3; i < headLen; i++) {
          if (head[i] === 10 && head[i - 1] === 13 && head[i - 2] === 10 && head[i - 3] === 13) { end = i + 1; break; }
        }
        if (end < 0) {
          if (headLen === head.length) { stream.close(); reject(new RangeError(`response header longer than ${head.length} bytes`)); }
          return;
        }
        const text = utf8Decode(head, 0, end);
        const sm = /^HTTP\/1\.[01] (\d{3})/.exec(text);
        if (!sm) { stream.close(); reject(new TypeError('malformed HTTP status line')); return; }
        status = Number(sm[1]);
        if (/\r\ntransfer-encoding:\s*chunked/i.test(text)) { stream.close(); reject(new TypeError('chunked responses are not supported by tls-get')); return; }
        const cl = /\r\ncontent-length:\s*(\d+)/i.exec(text);
        if (cl) expect = Number(cl[1]);
        inBody = true;
        // body bytes that came with the header: those of this chunk after the header end
        const fromChunk = end - (headLen - chunk.length);
        if (fromChunk < chunk.length) body(chunk.subarray(Math.max(0, fromChunk)));
        else if (expect === 0) stream.close();
      },
      onClose(err: PlatformError | null): void {
        if (blob) { blob.sync(); blob.close(); }
        if (err) { reject(err); return; }
        if (!inBody) { reject(new PlatformError('ECONNRESET', 'connection closed before the response header')); return; }
        if (expect >= 0 && got !== expect) { reject(new PlatformError('ECONNRESET', `body truncated: ${got} of ${expect} bytes`)); return; }
        const mem = dmHost.memoryUsage();
        out(`status ${status}`);
        out(`bytes ${got}`);
        out(`sha256 ${toHex(sha.digest())}`);
        out(`heap-peak ${mem.peak}`);
        resolve(status);
      },
    });
  });
}

// ------------------------------------------------------------------------------------------ selftest

async function selftest(p: Platform): Promise<number> {
  let failed = 0;
  let passed = 0;
  const check = (name: string, ok: boolean, detail = ''): void => {
    if (ok) { passed++; out(`ok ${name}`); } else { failed++; out(`FAIL ${name} ${detail}`); }
  };
  const sleep = (ms: number): Promise<void> => new Promise((r) => p.setTimer(ms, r));

  check('bigint', typeof BigInt === 'function' && (2n ** 64n).toString() === '18446744073709551616');
  const s = 'DevId=IMEI:ß€𝄞';
  check('utf8-roundtrip', utf8Decode(utf8Encode(s)) === s && utf8Encode(s).length === 20);
  check('sha256-fips180', toHex(new Sha256().update(utf8Encode('abc')).digest()) ===
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  check('native-errno', native.errno.ECONNREFUSED !== undefined && native.errno.ECERTEXPIRED === 4002 &&
    errName(-(native.errno.EIO ?? 5)) === 'EIO');
  const t0 = p.clock.now();
  await sleep(15);
  const t1 = p.clock.now();
  check('clock-monotonic', Number.isFinite(t0) && t1 - t0 >= 14, `t0=${t0} t1=${t1}`);
  check('wall-clock', p.clock.wallMs() > Date.UTC(2020, 0, 1));
  const r1 = new Uint8Array(32);
  const r2 = new Uint8Array(32);
  p.randomFill(r1);
  p.randomFill(r2);
  check('random', r1.some((b) => b !== 0) && toHex(r1) !== toHex(r2));
  // timers fire by due time, a cleared one never
  const order: string[] = [];
  const cancelled = p.setTimer(5, () => order.push('cancelled'));
  p.setTimer(30, () => order.push('b'));
  p.setTimer(10, () => order.push('a'));
  p.clearTimer(cancelled);
  await sleep(60);
  check('timers', order.join(',') === 'a,b', order.join(','));
  // storage round trip
  try {
    const st = p.storage;
    const name = `selftest-${toHex(r1.subarray(0, 4))}`;
    const b = st.open(name, true);
    b.write(0, utf8Encode('hello world'));
    b.write(6, utf8Encode('WORLD!'));
    b.sync();
    const back = new Uint8Array(32);
    const n = b.read(0, back);
    b.truncate(5);
    const size5 = b.size();
    b.close();
    st.rename(name, `${name}.renamed`);
    const moved = st.exists(`${name}.renamed`) && !st.exists(name);
    st.remove(`${name}.renamed`);
    check('storage', utf8Decode(back, 0, n) === 'hello WORLD!' && size5 === 5 && moved && !st.exists(`${name}.renamed`),
      `read=${utf8Decode(back, 0, n)} size=${size5} moved=${moved}`);
    let threw = false;
    try { b.size(); } catch (e) { threw = e instanceof TypeError; }
    check('storage-closed-blob', threw);
  } catch (e) {
    check('storage', false, String(e));
  }
  // network: nothing listens on port 1 of loopback
  const err = await new Promise<PlatformError | null>((resolve) => {
    let opened = false;
    const st = p.network.connect({ host: '127.0.0.1', port: 1, tls: false }, {
      onOpen: () => { opened = true; st.close(); },
      onData: () => {},
      onClose: (e) => resolve(opened ? null : e),
    });
  });
  check('net-refused', err !== null && err.code === 'ECONNREFUSED', String(err));
  const mem = dmHost.memoryUsage();
  check('memory-usage', mem.peak >= mem.used && mem.used > 0, JSON.stringify(mem));
  out(`selftest: ${passed} passed, ${failed} failed (heap peak ${mem.peak} B, quickjs ${dmHost.quickjs})`);
  return failed === 0 ? 0 : 1;
}

// ------------------------------------------------------------------------------------------ main

async function main(argv: readonly string[]): Promise<number> {
  installNativeUtf8();
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
    return selftest(platformFor(opt, '/tmp/omadm-selftest'));
  }
  if (cmd === 'tls-get') {
    const { pos, opt } = parseArgs(args.slice(1), ['ca', 'servername', 'out', 'storage', 'timeout']);
    if (pos.length !== 1) usage();
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
