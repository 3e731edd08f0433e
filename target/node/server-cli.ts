/**
 * `omadm server`: runs the loopback DM test server from a JSON script (docs/server.md).
 *
 *   omadm server --script FILE [--port N] [--host H] [--tls-key F --tls-cert F] [--record FILE]
 *                [--state FILE] [--once] [--quiet]
 *
 * Prints the URL, then every message as readable XML (Cred Data redacted) and a summary line per
 * session. On SIGINT/SIGTERM (or, with --once, when the first session ends) it stops, writes the
 * session records as JSON to --record, and returns the exit code: 0, or 1 when --once saw a session
 * with failures or an outcome other than 'completed'. Usage errors return 2.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ScriptError } from '../../src/server/script';
import type { MessageRecord, SessionRecord } from '../../src/server/record';
import { loadScriptFile, startServer } from './server';
import type { RunningServer, StartServerOptions } from './server';

/** Where the CLI writes and what stops it (tests pass their own). */
export interface ServerCliIo {
  /** Normal output (URL, transcript, summaries). Default: process.stdout. */
  out?: (text: string) => void;
  /** Errors. Default: process.stderr. */
  err?: (text: string) => void;
  /** Stops the server like SIGINT does. */
  signal?: AbortSignal;
  /** Called once the server listens (tests read the URL from it). */
  onListening?: (srv: RunningServer) => void;
}

/** Default port of `omadm server` (0 = any free port). */
export const DEFAULT_CLI_PORT = 8080;

const USAGE = `usage: omadm server --script FILE [--port N] [--host H] [--tls-key F --tls-cert F]
                    [--record FILE] [--state FILE] [--once] [--quiet]
  --script FILE   JSON test script (format: docs/server.md)
  --port N        TCP port (default ${DEFAULT_CLI_PORT}; 0 picks a free one)
  --host H        address to bind (default 127.0.0.1)
  --tls-key F     PEM private key: serve HTTPS (with --tls-cert)
  --tls-cert F    PEM certificate (chain)
  --record FILE   write every session record as JSON on exit
  --state FILE    keep the nonce state in this JSON file across runs
  --once          exit when the first session ends (exit code 1 unless it completed without failures)
  --quiet         print only the URL and the session summaries`;

/** Runs the server CLI with the arguments after `server`; resolves with the exit code. */
export async function serverMain(argv: string[], io: ServerCliIo = {}): Promise<number> {
  const out = io.out ?? ((t: string) => { process.stdout.write(t); });
  const err = io.err ?? ((t: string) => { process.stderr.write(t); });
  const args = argv[0] === 'server' ? argv.slice(1) : argv;
  let v: Record<string, string | boolean | undefined>;
  try {
    v = parseArgs({
      args,
      options: {
        script: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' },
        'tls-key': { type: 'string' }, 'tls-cert': { type: 'string' }, record: { type: 'string' },
        state: { type: 'string' }, once: { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    err(`omadm server: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (v['help']) {
    out(USAGE + '\n');
    return 0;
  }
  const scriptFile = v['script'] as string | undefined;
  if (scriptFile === undefined) {
    err(`omadm server: --script is required\n${USAGE}\n`);
    return 2;
  }
  const port = v['port'] === undefined ? DEFAULT_CLI_PORT : Number(v['port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    err(`omadm server: --port must be 0..65535, got ${String(v['port'])}\n`);
    return 2;
  }
  const keyFile = v['tls-key'] as string | undefined;
  const certFile = v['tls-cert'] as string | undefined;
  if ((keyFile === undefined) !== (certFile === undefined)) {
    err('omadm server: --tls-key and --tls-cert go together\n');
    return 2;
  }
  const quiet = v['quiet'] === true;
  const once = v['once'] === true;
  const recordFile = v['record'] as string | undefined;

  let script;
  try {
    script = loadScriptFile(scriptFile);
  } catch (e) {
    const prefix = e instanceof ScriptError ? `${scriptFile}: invalid script: ` : '';
    err(`omadm server: ${prefix}${(e as Error).message}\n`);
    return 2;
  }

  let firstEnded: SessionRecord | null = null;
  let stop: () => void = () => {};
  const stopped = new Promise<void>((ok) => { stop = ok; });
  const opts: StartServerOptions = {
    script,
    port,
    onMessage: (m, s) => {
      if (!quiet) out(formatMessage(m, s));
    },
    onSessionEnd: (rec) => {
      out(formatSummary(rec));
      if (once && firstEnded === null) {
        firstEnded = rec;
        stop();
      }
    },
  };
  if (v['host'] !== undefined) opts.host = v['host'] as string;
  if (v['state'] !== undefined) opts.stateFile = v['state'] as string;
  if (keyFile !== undefined && certFile !== undefined) {
    try {
      opts.tls = { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
    } catch (e) {
      err(`omadm server: ${(e as Error).message}\n`);
      return 2;
    }
  }

  let srv: RunningServer;
  try {
    srv = await startServer(opts);
  } catch (e) {
    err(`omadm server: cannot listen: ${(e as Error).message}\n`);
    return 1;
  }
  const name = script.name !== undefined ? ` "${script.name}"` : '';
  out(`omadm test server${name} listening on ${srv.url} (${script.packages.length} package(s), server id ${script.serverId})\n`);
  io.onListening?.(srv);

  const onSignal = (): void => stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  if (io.signal) {
    if (io.signal.aborted) stop();
    else io.signal.addEventListener('abort', onSignal, { once: true });
  }
  await stopped;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  io.signal?.removeEventListener('abort', onSignal);
  await srv.close();

  const sessions = srv.sessions();
  if (recordFile !== undefined) {
    const doc = { script: script.name ?? null, serverId: script.serverId, url: srv.url, sessions, events: srv.dm.events() };
    writeFileSync(recordFile, JSON.stringify(doc, null, 2) + '\n');
    out(`records of ${sessions.length} session(s) written to ${recordFile}\n`);
  }
  if (once) {
    const r = firstEnded as SessionRecord | null;
    return r !== null && r.outcome === 'completed' && r.failures.length === 0 ? 0 : 1;
  }
  return 0;
}

/** One message as printed by the CLI: a header line and the redacted XML. */
export function formatMessage(m: MessageRecord, s: SessionRecord | null): string {
  const who = s ? `session ${s.index} (${s.deviceId}, SessionID ${s.sessionId})` : 'no session';
  const dir = m.dir === 'in' ? '>>> client' : '<<< server';
  const what = m.msgId !== null ? `MsgID ${m.msgId}, ${m.encoding}, DM ${m.version}, ${m.length} bytes${m.final ? ', Final' : ''}` : `${m.length} bytes`;
  const http = m.dir === 'in' ? `${m.http.method ?? ''} ${m.http.url ?? ''}` : `HTTP ${m.http.status ?? ''}`;
  let t = `${dir} ${who}: ${what} [${http.trim()}]${m.fault !== undefined ? ` fault: ${m.fault}` : ''}${m.error !== undefined ? ` error: ${m.error}` : ''}\n`;
  if (m.xml !== null) t += m.xml.trimEnd() + '\n';
  return t;
}

/** The summary printed when a session ends. */
export function formatSummary(r: SessionRecord): string {
  let t = `=== session ${r.index} (${r.deviceId}, SessionID ${r.sessionId}): ${r.outcome}, ${r.packagesSent} package(s), ` +
    `${r.statuses.length} status(es), ${Object.keys(r.results).length} result(s), ${r.genericAlerts.length} generic alert(s), ${r.failures.length} failure(s)\n`;
  for (const f of r.failures) t += `  FAIL ${f.path !== null ? `${f.path}: ` : ''}${f.message}${f.msgId !== null ? ` (client MsgID ${f.msgId})` : ''}\n`;
  return t;
}
