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
import { b64decode } from '../crypto/base64';
import type { DmAccountProfile, DmAuthProfile } from '../csp/dmacc';
import type { LogLevel } from '../platform';
import type { AgentConfig } from './Agent';
import { parseOtaPolicy } from '../bootstrap/profile';

export interface DeviceConfig {
  agent: AgentConfig;
  /** Storage folder (relative paths are the host's business). */
  storage: string;
  tls: { ca?: string; cert?: string; key?: string };
  log: LogLevel;
  ui: 'accept' | 'reject' | 'none';
}

/** Invalid configuration: `field` is a JSON path like `accounts[0].client.type`. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
}

type Obj = Record<string, unknown>;

function obj(v: unknown, field: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(field, 'must be an object');
  return v as Obj;
}
function str(o: Obj, k: string, field: string, def?: string): string {
  const v = o[k];
  if (v === undefined && def !== undefined) return def;
  if (typeof v !== 'string') throw new ConfigError(`${field}.${k}`, 'must be a string');
  return v;
}
function optStr(o: Obj, k: string, field: string): string | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new ConfigError(`${field}.${k}`, 'must be a string');
  return v;
}
function optNum(o: Obj, k: string, field: string): number | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || !Number.isInteger(v)) throw new ConfigError(`${field}.${k}`, 'must be a non-negative integer');
  return v;
}
function optBool(o: Obj, k: string, field: string): boolean | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new ConfigError(`${field}.${k}`, 'must be true or false');
  return v;
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

const AUTH_TYPES = ['', 'BASIC', 'DIGEST', 'HMAC', 'HTTP-BASIC', 'HTTP-DIGEST', 'X509', 'TRANSPORT'];

function auth(v: unknown, field: string): DmAuthProfile {
  const o = obj(v, field);
  const p: DmAuthProfile = {};
  const type = optStr(o, 'type', field);
  if (type !== undefined) {
    if (!AUTH_TYPES.includes(type.toUpperCase())) throw new ConfigError(`${field}.type`, `unknown AAuthType ${type}`);
    p.type = type.toUpperCase();
  }
  const name = optStr(o, 'name', field);
  if (name !== undefined) p.name = name;
  const secret = optStr(o, 'secret', field);
  if (secret !== undefined) p.secret = secret;
  const nonce = optStr(o, 'nonce', field);
  if (nonce !== undefined) {
    try {
      p.nonce = b64decode(nonce);
    } catch {
      throw new ConfigError(`${field}.nonce`, 'must be Base64');
    }
  }
  return p;
}

function account(v: unknown, field: string): DmAccountProfile {
  const o = obj(v, field);
  const serverId = str(o, 'serverId', field);
  const addr = str(o, 'addr', field);
  if (!/^https?:\/\//.test(addr)) throw new ConfigError(`${field}.addr`, 'must be an http:// or https:// URL');
  const p: DmAccountProfile = { serverId, addr };
  const name = optStr(o, 'name', field);
  if (name !== undefined) p.name = name;
  const port = optNum(o, 'port', field);
  if (port !== undefined) {
    if (port < 1 || port > 65535) throw new ConfigError(`${field}.port`, 'must be 1..65535');
    p.port = port;
  }
  const authPref = optStr(o, 'authPref', field);
  if (authPref !== undefined) p.authPref = authPref.toUpperCase();
  if (o.client !== undefined) p.client = auth(o.client, `${field}.client`);
  if (o.server !== undefined) p.server = auth(o.server, `${field}.server`);
  const pv = optStr(o, 'protoVersion', field);
  if (pv !== undefined) {
    if (pv !== '1.2' && pv !== '1.1.2') throw new ConfigError(`${field}.protoVersion`, 'must be "1.2" or "1.1.2"');
    p.protoVersion = pv;
  }
  const form = optStr(o, 'form', field);
  if (form !== undefined) {
    if (form !== '1.2' && form !== '1.1.2') throw new ConfigError(`${field}.form`, 'must be "1.2" or "1.1.2"');
    p.form = form;
  }
  const enc = optStr(o, 'defaultEncoding', field);
  if (enc !== undefined) {
    if (enc !== 'application/vnd.syncml.dm+xml' && enc !== 'application/vnd.syncml.dm+wbxml') throw new ConfigError(`${field}.defaultEncoding`, 'must be application/vnd.syncml.dm+xml or +wbxml');
    p.defaultEncoding = enc;
  }
  const n1 = optNum(o, 'connRetryFreq', field);
  if (n1 !== undefined) p.connRetryFreq = n1;
  const n2 = optNum(o, 'initialBackOffMs', field);
  if (n2 !== undefined) p.initialBackOffMs = n2;
  const n3 = optNum(o, 'maxBackOffMs', field);
  if (n3 !== undefined) p.maxBackOffMs = n3;
  const b = optBool(o, 'backCompatRetryDisabled', field);
  if (b !== undefined) p.backCompatRetryDisabled = b;
  return p;
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
    agent.bootstrap = { accounts: o.accounts.map((a, i) => account(a, `accounts[${i}]`)) };
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
