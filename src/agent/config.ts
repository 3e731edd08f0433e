/**
 * The device configuration file (JSON), shared by the Node and QuickJS hosts: validated here into
 * an AgentConfig plus host settings. Every error names the offending field.
 *
 * {
 *   "storage": "state",                       // folder for the tree, alerts, FUMO and boot records
 *   "devInfo":   { "devId": "IMEI:…", "man": "…", "mod": "…", "dmV": "…", "lang": "en-US" },
 *   "devDetail": { "devTyp": "…", "oem": "…", "fwV": "…", "swV": "…", "hwV": "…" },
 *   "accounts": [ {                            // factory bootstrap: installed on first start only
 *       "serverId": "com.example.dm", "addr": "https://dm.example.com/dm", "port": 443,
 *       "authPref": "DIGEST",
 *       "client": { "type": "DIGEST", "name": "dev1", "secret": "…" },
 *       "server": { "type": "DIGEST", "name": "com.example.dm", "secret": "…", "nonce": "base64" },
 *       "protoVersion": "1.2", "defaultEncoding": "application/vnd.syncml.dm+wbxml",
 *       "connRetryFreq": 3, "initialBackOffMs": 16000, "maxBackOffMs": 86400000, "backCompatRetryDisabled": false } ],
 *   "tls": { "ca": "ca.pem" },                 // CA bundle the server certificate must chain to
 *   "limits": { "session": { … }, "tree": { … }, "client": { … }, "push": { … } },
 *   "log": "info",                             // error | warn | info | debug
 *   "ui": "accept"                             // UI alerts: accept | reject | none (no UI: 406)
 * }
 */
import type { LogLevel } from '../platform';
import type { AgentConfig } from './Agent';
import { parseAccount, parseOtaPolicy } from '../bootstrap/profile';
import { ConfigError } from '../errors';
import { obj, optStr, str } from '../util/fields';
import type { Obj } from '../util/fields';

export { ConfigError };

export interface DeviceConfig {
  agent: AgentConfig;
  /** Storage folder (relative paths are the host's business). */
  storage: string;
  tls: { ca?: string; cert?: string; key?: string };
  log: LogLevel;
  ui: 'accept' | 'reject' | 'none';
}


function numbers(v: unknown, field: string): Record<string, number> {
  if (v === undefined) return {};
  const o = obj(v, field);
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(o)) {
    if (typeof x !== 'number' || !Number.isInteger(x) || x <= 0) throw new ConfigError(`${field}.${k}`, 'must be a positive integer');
    out[k] = x;
  }
  return out;
}

/** Validates a parsed configuration object. */
export function parseDeviceConfig(raw: unknown): DeviceConfig {
  const o = obj(raw, 'config');
  const di = obj(o.devInfo, 'devInfo');
  const dd = obj(o.devDetail ?? {}, 'devDetail');
  const agent: AgentConfig = {
    devInfo: {
      devId: str(di, 'devId', 'devInfo'), man: str(di, 'man', 'devInfo'), mod: str(di, 'mod', 'devInfo'),
      dmV: str(di, 'dmV', 'devInfo', 'omadm 0.1'), lang: str(di, 'lang', 'devInfo', 'en-US'),
    },
    devDetail: {
      devTyp: str(dd, 'devTyp', 'devDetail', 'device'), oem: str(dd, 'oem', 'devDetail', str(di, 'man', 'devInfo')),
      fwV: str(dd, 'fwV', 'devDetail', '1.0'), swV: str(dd, 'swV', 'devDetail', '1.0'), hwV: str(dd, 'hwV', 'devDetail', '1.0'),
    },
  };
  if (o.accounts !== undefined) {
    if (!Array.isArray(o.accounts)) throw new ConfigError('accounts', 'must be an array');
    agent.bootstrap = { accounts: o.accounts.map((a, i) => parseAccount(a, `accounts[${i}]`)) };
  }
  // over-the-air bootstrap policy (see docs/bootstrap.md)
  if (o.bootstrap !== undefined) agent.bootstrap = { accounts: agent.bootstrap?.accounts ?? [], ota: parseOtaPolicy(o.bootstrap, 'bootstrap') };
  const lim = o.limits === undefined ? {} : obj(o.limits, 'limits');
  const session = numbers(lim.session, 'limits.session');
  if (Object.keys(session).length) agent.session = session;
  const tree = numbers(lim.tree, 'limits.tree');
  if (Object.keys(tree).length) agent.tree = tree;
  const client = numbers(lim.client, 'limits.client');
  if (Object.keys(client).length) agent.client = client;
  const push = numbers(lim.push, 'limits.push');
  if (Object.keys(push).length) agent.push = push;
  const tlsO = o.tls === undefined ? {} : obj(o.tls, 'tls');
  const tls: DeviceConfig['tls'] = {};
  for (const k of ['ca', 'cert', 'key'] as const) {
    const v = optStr(tlsO, k, 'tls');
    if (v !== undefined) tls[k] = v;
  }
  const log = str(o, 'log', 'config', 'info');
  if (!['error', 'warn', 'info', 'debug'].includes(log)) throw new ConfigError('log', 'must be error, warn, info or debug');
  const ui = str(o, 'ui', 'config', 'none');
  if (ui !== 'accept' && ui !== 'reject' && ui !== 'none') throw new ConfigError('ui', 'must be accept, reject or none');
  return { agent, storage: str(o, 'storage', 'config', 'state'), tls, log: log as LogLevel, ui };
}
