/**
 * `omadm run --config FILE [--server-id ID] [--trace OUT.json] [--transcript]`: one client-initiated
 * session on Node with the device configuration (see src/agent/config.ts). Exit status 0 only when
 * the session completed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Agent } from '../../src/agent/Agent';
import { ConfigError, parseDeviceConfig } from '../../src/agent/config';
import type { DeviceConfig } from '../../src/agent/config';
import { renderMessage } from '../../src/agent/transcript';
import type { TraceEntry } from '../../src/session/Client';
import { b64encode } from '../../src/crypto/base64';
import { utf8Encode } from '../../src/util/utf8';
import { nodePlatform, stderrLog } from './platform';
import { policyUi } from './ui';

export interface LoadedConfig {
  cfg: DeviceConfig;
  /** Storage folder, absolute. */
  dir: string;
  ca?: string;
}

/** Reads and validates a configuration file (paths relative to the file). */
export function loadConfig(file: string): LoadedConfig {
  const base = dirname(resolve(file));
  const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const cfg = parseDeviceConfig(raw);
  const rel = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  const out: LoadedConfig = { cfg, dir: rel(cfg.storage) };
  if (cfg.tls.ca) out.ca = readFileSync(rel(cfg.tls.ca), 'utf8');
  return out;
}

/** A platform + agent for a loaded configuration. */
export function makeAgent(l: LoadedConfig, extra: { onTrace?: (e: TraceEntry) => void } = {}): Agent {
  const ui = l.cfg.ui === 'none' ? undefined : policyUi(l.cfg.ui, (m) => process.stderr.write(m + '\n'));
  const platform = nodePlatform({ dir: l.dir, network: l.ca ? { ca: l.ca } : {}, log: stderrLog(l.cfg.log), ...(ui ? { ui } : {}) });
  const agentCfg = { ...l.cfg.agent };
  if (extra.onTrace) agentCfg.onTrace = extra.onTrace;
  return new Agent(platform, agentCfg);
}

export async function runMain(argv: string[]): Promise<number> {
  let config: string | null = null;
  let serverId: string | undefined;
  let traceOut: string | null = null;
  let transcript = false;
  let rawTrace = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config') config = argv[++i] ?? null;
    else if (a === '--server-id') serverId = argv[++i];
    else if (a === '--trace') traceOut = argv[++i] ?? null;
    else if (a === '--transcript') transcript = true;
    else if (a === '--trace-raw') rawTrace = true;
    else {
      process.stderr.write(`omadm run: unknown argument ${a}\n`);
      return 2;
    }
  }
  if (!config) {
    process.stderr.write('usage: omadm run --config FILE [--server-id ID] [--trace OUT.json [--trace-raw]] [--transcript]\n');
    return 2;
  }
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig(config);
  } catch (e) {
    process.stderr.write(`omadm run: ${e instanceof ConfigError || e instanceof SyntaxError ? e.message : String(e)}\n`);
    return 2;
  }
  const trace: TraceEntry[] = [];
  const agent = makeAgent(loaded, {
    onTrace: (e) => {
      trace.push(e);
      if (transcript) process.stdout.write(`\n--- ${e.dir === 'out' ? 'client → server' : 'server → client'} (${e.body.length} bytes, ${e.contentType}) ${e.url}\n${renderMessage(e.body)}\n`);
    },
  });
  const opts: Parameters<Agent['runSession']>[0] = {};
  if (serverId !== undefined) opts.serverId = serverId;
  const r = await agent.runSession(opts);
  // trace files hold the messages as redacted XML unless --trace-raw asks for the exact bytes
  // (which then include credentials: keep such files private)
  if (traceOut) {
    writeFileSync(traceOut, JSON.stringify(trace.map((e) => ({
      ...e, body: b64encode(rawTrace ? e.body : utf8Encode(renderMessage(e.body))), ...(rawTrace ? {} : { contentType: 'application/vnd.syncml.dm+xml', redacted: true }),
    })), null, 1), { mode: 0o600 });
  }
  process.stdout.write(`session ${r.outcome}${r.reason ? ` (${r.reason}${r.detail ? `: ${r.detail}` : ''})` : ''}: ${r.sent} sent, ${r.received} received, DM ${r.version}\n`);
  return r.outcome === 'completed' ? 0 : 1;
}
