/**
 * The factory bootstrap profile ([DMBOOT] 3.1.1.2.1 "customized bootstrap"): the JSON file a device
 * image carries with the DM accounts (server id, address, credentials, auth preference), the
 * DevInfo/DevDetail values, and the policy for over-the-air bootstrap. `parseBootstrapProfile`
 * validates it (every error names its JSON path); `installFactoryProfile` loads the accounts into
 * the tree on the first start only, with their secrets stored write-only like any other secret.
 * The format is documented in docs/bootstrap.md.
 *
 * "First start" is decided by the tree record: the accounts are installed, in one Atomic, only into
 * a tree that has never been persisted (`loadState` 'fresh') or whose record was unreadable
 * ('corrupt': the device must stay manageable). Once that Atomic is committed the profile is never
 * applied again, so an account a server deleted stays deleted across restarts.
 */
import { ConfigError } from '../errors';
import { obj, only, optBool, optInt, optStr, str } from '../util/fields';
import type { Obj } from '../util/fields';
import { b64decode } from '../crypto/base64';
import type { DevDetailConfig } from '../csp/devdetail';
import type { DevInfoConfig } from '../csp/devinfo';
import type { DmAcc, DmAccountProfile, DmAuthProfile } from '../csp/dmacc';
import { AAUTH_TYPES } from '../csp/dmacc';
import { DecodeError } from '../errors';
import type { LogSink } from '../platform';
import { isAclId } from '../tree/acl';
import type { Tree } from '../tree/Tree';
import { fromHex } from '../util/bytes';
import { utf8Encode } from '../util/utf8';
import type { SecMethod, UserPinNetworkKeyForm } from './sec';
import { imsiKey } from './sec';

/** Over-the-air bootstrap policy (the `bootstrap` object of the profile). */
export interface OtaPolicy {
  /** Bootstrap profiles accepted: 'dm' (DM message + SEC/MAC), 'cp' (OMA CP w7). Default both. */
  accept: ('dm' | 'cp')[];
  /** SEC methods accepted. Default all four. */
  sec: SecMethod[];
  /** Network secret as HMAC key bytes (from `networkId`), when the profile fixes it. */
  networkKey?: Uint8Array;
  /** Composition of the USERPIN_NETWORKID key. Default 'network-pin'. */
  userPinNetworkKeyForm: UserPinNetworkKeyForm;
  /** Nodes outside every CSP in a DM bootstrap (e.g. ./SyncML/Con): 'store' (default), 'ignore', 'reject'. */
  unowned: 'store' | 'ignore' | 'reject';
  /** Start a client-initiated session with the bootstrapped server. Default true. */
  startSession: boolean;
}

/** What the Agent needs from a profile. */
export interface BootstrapProfile {
  devInfo: DevInfoConfig;
  devDetail: DevDetailConfig;
  /** Accounts installed on the first start. */
  accounts: DmAccountProfile[];
  ota: OtaPolicy;
}

/** The default over-the-air policy. */
export const DEFAULT_OTA_POLICY: Readonly<OtaPolicy> = Object.freeze({
  accept: ['dm', 'cp'] as ('dm' | 'cp')[],
  sec: ['NETWORKID', 'USERPIN', 'USERPIN_NETWORKID', 'USERPINMAC'] as SecMethod[],
  userPinNetworkKeyForm: 'network-pin' as UserPinNetworkKeyForm,
  unowned: 'store' as const,
  startSession: true,
});


function oneOf<T extends string>(o: Obj, k: string, field: string, values: readonly T[]): T | undefined {
  const v = optStr(o, k, field);
  if (v === undefined) return undefined;
  if (!(values as readonly string[]).includes(v)) throw new ConfigError(`${field}.${k}`, `must be one of ${values.join(', ')}`);
  return v as T;
}
function strMap(v: unknown, field: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  const o = obj(v, field);
  for (const [k, x] of Object.entries(o)) {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(k)) throw new ConfigError(`${field}.${k}`, 'not a valid node name');
    if (typeof x !== 'string') throw new ConfigError(`${field}.${k}`, 'must be a string');
  }
  return o as Record<string, string>;
}

/** Bytes given as text, `{ "hex": … }`, `{ "b64": … }` (secrets) or Base64 text (nonces). */
function bytesOf(v: unknown, field: string, textIsB64: boolean): Uint8Array {
  try {
    if (typeof v === 'string') return textIsB64 ? b64decode(v) : utf8Encode(v);
    const o = obj(v, field);
    if (typeof o.hex === 'string' && Object.keys(o).length === 1) return fromHex(o.hex);
    if (typeof o.b64 === 'string' && Object.keys(o).length === 1) return b64decode(o.b64);
    if (typeof o.text === 'string' && Object.keys(o).length === 1) return utf8Encode(o.text);
  } catch (e) {
    if (e instanceof DecodeError || e instanceof RangeError) throw new ConfigError(field, `not valid ${textIsB64 ? 'Base64' : 'hex/Base64'}: ${e.message}`);
    throw e;
  }
  throw new ConfigError(field, 'must be a string or { "hex" | "b64" | "text": string }');
}

const AUTH_TYPES: readonly string[] = AAUTH_TYPES;

function auth(v: unknown, field: string): DmAuthProfile {
  const o = obj(v, field);
  only(o, field, ['type', 'name', 'secret', 'nonce']);
  const p: DmAuthProfile = {};
  const type = optStr(o, 'type', field);
  if (type !== undefined) {
    if (!AUTH_TYPES.includes(type.toUpperCase())) throw new ConfigError(`${field}.type`, `must be one of ${AUTH_TYPES.join(', ')}`);
    p.type = type.toUpperCase();
  }
  const name = optStr(o, 'name', field);
  if (name !== undefined) p.name = name;
  if (o.secret !== undefined) p.secret = typeof o.secret === 'string' ? o.secret : bytesOf(o.secret, `${field}.secret`, false);
  if (o.nonce !== undefined) p.nonce = bytesOf(o.nonce, `${field}.nonce`, true);
  return p;
}

const ACCOUNT_KEYS = ['serverId', 'addr', 'name', 'port', 'addrType', 'prefConRef', 'accountId', 'form', 'authPref', 'client', 'server',
  'protoVersion', 'defaultEncoding', 'connRetryFreq', 'initialBackOffMs', 'maxBackOffMs', 'backCompatRetryDisabled'];

/** Validates one account of a profile (also used for other account sources). */
export function parseAccount(v: unknown, field: string): DmAccountProfile {
  const o = obj(v, field);
  only(o, field, ACCOUNT_KEYS);
  const serverId = str(o, 'serverId', field);
  if (!isAclId(serverId)) throw new ConfigError(`${field}.serverId`, 'must be non-empty, without blanks or = & * +');
  const addr = str(o, 'addr', field);
  if (!/^https?:\/\/[^\s/?#]+/.test(addr)) throw new ConfigError(`${field}.addr`, 'must be an http:// or https:// URL');
  const p: DmAccountProfile = { serverId, addr };
  const name = optStr(o, 'name', field);
  if (name !== undefined) p.name = name;
  const port = optInt(o, 'port', field, 1, 65535);
  if (port !== undefined) p.port = port;
  const addrType = oneOf(o, 'addrType', field, ['URI', 'IPv4', 'IPv6'] as const);
  if (addrType !== undefined) p.addrType = addrType;
  const pcr = optStr(o, 'prefConRef', field);
  if (pcr !== undefined) p.prefConRef = pcr;
  const id = optStr(o, 'accountId', field);
  if (id !== undefined) {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new ConfigError(`${field}.accountId`, 'must be 1..64 characters of [A-Za-z0-9._-]');
    p.accountId = id;
  }
  const form = oneOf(o, 'form', field, ['1.2', '1.1.2'] as const);
  if (form !== undefined) p.form = form;
  const pref = optStr(o, 'authPref', field);
  if (pref !== undefined) {
    if (!AUTH_TYPES.includes(pref.toUpperCase())) throw new ConfigError(`${field}.authPref`, `must be one of ${AUTH_TYPES.join(', ')}`);
    p.authPref = pref.toUpperCase();
  }
  if (o.client !== undefined) p.client = auth(o.client, `${field}.client`);
  if (o.server !== undefined) p.server = auth(o.server, `${field}.server`);
  const pv = oneOf(o, 'protoVersion', field, ['1.2', '1.1.2'] as const);
  if (pv !== undefined) p.protoVersion = pv;
  const enc = oneOf(o, 'defaultEncoding', field, ['application/vnd.syncml.dm+xml', 'application/vnd.syncml.dm+wbxml'] as const);
  if (enc !== undefined) p.defaultEncoding = enc;
  const crf = optInt(o, 'connRetryFreq', field, 0, 100);
  if (crf !== undefined) p.connRetryFreq = crf;
  const ib = optInt(o, 'initialBackOffMs', field, 0, 2 ** 31 - 1);
  if (ib !== undefined) p.initialBackOffMs = ib;
  const mb = optInt(o, 'maxBackOffMs', field, 0, 2 ** 31 - 1);
  if (mb !== undefined) p.maxBackOffMs = mb;
  const bc = optBool(o, 'backCompatRetryDisabled', field);
  if (bc !== undefined) p.backCompatRetryDisabled = bc;
  return p;
}

/** Validates an over-the-air policy object (the profile's `bootstrap`; absent → defaults). ConfigError names `field…`. */
export function parseOtaPolicy(v: unknown, field = 'bootstrap'): OtaPolicy {
  const p: OtaPolicy = { ...DEFAULT_OTA_POLICY, accept: [...DEFAULT_OTA_POLICY.accept], sec: [...DEFAULT_OTA_POLICY.sec] };
  if (v === undefined) return p;
  const o = obj(v, field);
  only(o, field, ['accept', 'sec', 'networkId', 'userPinNetworkKeyForm', 'unowned', 'startSession']);
  const list = <T extends string>(k: string, values: readonly T[]): T[] | undefined => {
    const x = o[k];
    if (x === undefined) return undefined;
    if (!Array.isArray(x) || x.some((e) => typeof e !== 'string' || !(values as readonly string[]).includes(e))) throw new ConfigError(`${field}.${k}`, `must be an array of ${values.join(', ')}`);
    return x as T[];
  };
  const accept = list('accept', ['dm', 'cp'] as const);
  if (accept) p.accept = accept;
  const sec = list('sec', ['NETWORKID', 'USERPIN', 'USERPIN_NETWORKID', 'USERPINMAC'] as const);
  if (sec) p.sec = sec;
  if (o.networkId !== undefined) {
    const n = obj(o.networkId, `${field}.networkId`);
    if (typeof n.imsi === 'string' && Object.keys(n).length === 1) {
      try {
        p.networkKey = imsiKey(n.imsi);
      } catch (e) {
        if (e instanceof RangeError) throw new ConfigError(`${field}.networkId.imsi`, 'must be 1..15 decimal digits');
        throw e;
      }
    } else p.networkKey = bytesOf(n, `${field}.networkId`, false);
  }
  const form = oneOf(o, 'userPinNetworkKeyForm', field, ['network-pin', 'pin-colon-network'] as const);
  if (form !== undefined) p.userPinNetworkKeyForm = form;
  const un = oneOf(o, 'unowned', field, ['store', 'ignore', 'reject'] as const);
  if (un !== undefined) p.unowned = un;
  const ss = optBool(o, 'startSession', field);
  if (ss !== undefined) p.startSession = ss;
  return p;
}

/** Validates a parsed profile object. ConfigError names the offending JSON path. */
export function parseBootstrapProfile(raw: unknown): BootstrapProfile {
  const o = obj(raw, 'profile');
  only(o, 'profile', ['devInfo', 'devDetail', 'accounts', 'bootstrap', 'comment']);
  const di = obj(o.devInfo, 'devInfo');
  only(di, 'devInfo', ['devId', 'man', 'mod', 'dmV', 'lang', 'ext']);
  const devId = str(di, 'devId', 'devInfo');
  if (!/^[A-Za-z]+:\S+$/.test(devId)) throw new ConfigError('devInfo.devId', 'must be a URN-style id such as IMEI:493005100592800');
  const devInfo: DevInfoConfig = {
    devId, man: str(di, 'man', 'devInfo'), mod: str(di, 'mod', 'devInfo'),
    dmV: str(di, 'dmV', 'devInfo', 'omadm 0.1'), lang: str(di, 'lang', 'devInfo', 'en-US'),
  };
  const die = strMap(di.ext, 'devInfo.ext');
  if (die) devInfo.ext = die;
  const dd = obj(o.devDetail ?? {}, 'devDetail');
  only(dd, 'devDetail', ['devTyp', 'oem', 'fwV', 'swV', 'hwV', 'lrgObj', 'ext']);
  const devDetail: DevDetailConfig = {
    devTyp: str(dd, 'devTyp', 'devDetail', 'device'), oem: str(dd, 'oem', 'devDetail', devInfo.man),
    fwV: str(dd, 'fwV', 'devDetail', '1.0'), swV: str(dd, 'swV', 'devDetail', '1.0'), hwV: str(dd, 'hwV', 'devDetail', '1.0'),
  };
  const lrg = optBool(dd, 'lrgObj', 'devDetail');
  if (lrg !== undefined) devDetail.lrgObj = lrg;
  const dde = strMap(dd.ext, 'devDetail.ext');
  if (dde) devDetail.ext = dde;
  const accounts: DmAccountProfile[] = [];
  if (o.accounts !== undefined) {
    if (!Array.isArray(o.accounts)) throw new ConfigError('accounts', 'must be an array');
    o.accounts.forEach((a, i) => {
      const p = parseAccount(a, `accounts[${i}]`);
      if (accounts.some((x) => x.serverId === p.serverId)) throw new ConfigError(`accounts[${i}].serverId`, `duplicate ServerID ${p.serverId}`);
      accounts.push(p);
    });
  }
  return { devInfo, devDetail, accounts, ota: parseOtaPolicy(o.bootstrap, 'bootstrap') };
}

/** What `installFactoryProfile` did. */
export interface FactoryInstallResult {
  /** False when the tree was already initialised (not the first start): nothing was touched. */
  ran: boolean;
  /** ServerIDs installed. */
  installed: string[];
  /** The account whose install failed (everything was rolled back then). */
  failed?: { serverId: string; status: number };
}

/**
 * Installs the profile's accounts on the first start only (see the module comment), all in one
 * Atomic persisted once. Each account gets the server's rights on its own node and write-only
 * secrets (`DmAcc.install`). An account whose ServerID is already present is left alone.
 */
export function installFactoryProfile(tree: Tree, dmacc: DmAcc, accounts: readonly DmAccountProfile[], log?: LogSink): FactoryInstallResult {
  if (tree.loadState === 'loaded') return { ran: false, installed: [] };
  if (tree.loadState === 'corrupt') log?.('warn', 'factory bootstrap: the tree record was unreadable; installing the factory accounts again');
  const installed: string[] = [];
  tree.beginAtomic();
  for (const p of accounts) {
    if (dmacc.findByServerId(p.serverId)) continue;
    const st = dmacc.install(p);
    if (st !== 200) {
      tree.rollbackAtomic();
      log?.('error', 'factory bootstrap: account not installed; nothing installed', { serverId: p.serverId, status: st });
      return { ran: true, installed: [], failed: { serverId: p.serverId, status: st } };
    }
    installed.push(p.serverId);
  }
  const r = tree.commitAtomic();
  if (!r.ok) {
    log?.('error', 'factory bootstrap: the tree could not be persisted', { code: r.error?.code });
    return { ran: true, installed: [], failed: { serverId: '', status: 510 } };
  }
  for (const id of installed) log?.('info', 'factory bootstrap: account installed', { serverId: id });
  return { ran: true, installed };
}
