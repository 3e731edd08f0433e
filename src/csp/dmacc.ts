/**
 * DMAcc: the DM server accounts, in the DM 1.2 form (`./DMAcc/<X>`, urn:oma:mo:oma-dm-dmacc:1.0,
 * facts §7.8) and in the flat DM 1.1.2 form (`./SyncML/DMAcc/<X>`, facts §7.9), plus the typed
 * view the session and the push router use (`accounts()`, `findByServerId()`), persistent nonce
 * rotation (`setNonce()`) and bootstrap (`install()`).
 *
 * Both trees are schema CSPs (src/csp/schema.ts): values are validated and stored in the tree
 * record, secrets (AAuthSecret, AAuthData, ServerPW, ClientPW, ServerNonce, ClientNonce) are
 * write-only (Get → 405), nonces are kept as raw bytes (`bin`; a `chr` value is taken as Base64
 * text and decoded, as servers send b64 nonces). A ServerID already used by another account → 418.
 * Deleting an account scrubs its ServerID from every ACL (facts §7.3).
 *
 * Retry/encoding policy (our choice, named after the Windows `Ext/Microsoft` nodes):
 * `<X>/Ext/omadm/{ProtoVer, BackCompatRetryDisabled, ConnRetryFreq, InitialBackOffTime,
 * MaxBackOffTime, DefaultEncoding}` in both forms (times in milliseconds).
 */
import { b64decode } from '../crypto/base64';
import { DecodeError } from '../errors';
import { isSuccess, Status } from '../status';
import { isAclId } from '../tree/acl';
import { utf8Decode, utf8Encode } from '../util/utf8';
import type { Tree } from '../tree/Tree';
import type { Csp, CspCall, NodeStore, ValueIn } from './Csp';
import type { MoNode } from './schema';
import { schemaCsp } from './schema';

/** MO identifier of a DM 1.2 account node. */
export const DMACC_MO = 'urn:oma:mo:oma-dm-dmacc:1.0';
/** MO identifier of a DM 1.1.2 account node (w7 characteristic). */
export const DMACC_112_MO = 'org.openmobilealliance/1.0/w7';
/** Roots of the two forms. */
export const DMACC_ROOT = './DMAcc';
export const DMACC_112_ROOT = './SyncML/DMAcc';

/** AAuthType values (facts §7.8). */
export const AAUTH_TYPES = ['HTTP-BASIC', 'HTTP-DIGEST', 'BASIC', 'DIGEST', 'HMAC', 'X509', 'SECURID', 'SAFEWORD', 'DIGIPASS', 'TRANSPORT'] as const;
/** AAuthLevel values. */
export const AAUTH_LEVELS = ['CLCRED', 'SRVCRED', 'OBEX', 'HTTP'] as const;
/** DM 1.1.2 AuthPref values and the AAuthType each maps to. */
export const AUTHPREF_112: Readonly<Record<string, string>> = Object.freeze({ 'syncml:auth-basic': 'BASIC', 'syncml:auth-md5': 'DIGEST', 'syncml:auth-MAC': 'HMAC' });

/** Encodings a session may use. */
export type DmEncodingMime = 'application/vnd.syncml.dm+xml' | 'application/vnd.syncml.dm+wbxml';

/** Defaults of the Ext/omadm policy nodes (Windows' values). */
export const DEFAULT_CONN_RETRY_FREQ = 3;
export const DEFAULT_INITIAL_BACKOFF_MS = 16000;
export const DEFAULT_MAX_BACKOFF_MS = 86400000;
/** Default encoding: WBXML (smaller on constrained links; Windows defaults to XML). */
export const DEFAULT_ENCODING: DmEncodingMime = 'application/vnd.syncml.dm+wbxml';

/** One side's credentials. */
export interface DmAuth {
  /** AAuthType (BASIC, DIGEST, HMAC, …) or '' when not configured. */
  type: string;
  /** AAuthName / UserName (client) or the server's name (server side). */
  name: string;
  /** AAuthSecret / ClientPW / ServerPW, exactly as stored (UTF-8 bytes of the text). */
  secret: Uint8Array;
  /** AAuthData / ClientNonce / ServerNonce, raw bytes (empty when none). */
  nonce: Uint8Array;
}

/** A server account as the session and the push router see it. */
export interface DmAccount {
  /** Account node name `<X>`. */
  id: string;
  /** Absolute path of the account node. */
  path: string;
  /** Which tree it lives in. */
  form: '1.2' | '1.1.2';
  serverId: string;
  /** Display name. */
  name: string;
  /** Server address (URI) of the first AppAddr (1.2) or Addr (1.1.2). */
  addr: string;
  /** `URI`, `IPv4`, `IPv6` (1.2) or the raw 1.1.2 AddrType; default `URI`. */
  addrType: string;
  /** First PortNbr, when given. */
  port?: number;
  prefConRef: string;
  /** Protocol version to start sessions with (Ext/omadm/ProtoVer; default by form). */
  protoVersion: '1.2' | '1.1.2';
  /** Preferred AAuthType ('' = negotiate). 1.1.2 AuthPref values are mapped (syncml:auth-md5 → DIGEST). */
  authPref: string;
  /** Credentials the client sends (CLCRED / UserName+ClientPW+ClientNonce). */
  client: DmAuth;
  /** Credentials the server sends, and the pkg#0 digest key (SRVCRED / ServerId+ServerPW+ServerNonce). */
  server: DmAuth;
  backCompatRetryDisabled: boolean;
  connRetryFreq: number;
  initialBackOffMs: number;
  maxBackOffMs: number;
  defaultEncoding: DmEncodingMime;
}

/** Credentials in a bootstrap profile. */
export interface DmAuthProfile {
  type?: string;
  name?: string;
  secret?: string | Uint8Array;
  nonce?: Uint8Array;
}

/** What a bootstrap (factory profile, OMA CP w7, DM bootstrap) provides for one account. */
export interface DmAccountProfile {
  serverId: string;
  addr: string;
  name?: string;
  port?: number;
  addrType?: 'URI' | 'IPv4' | 'IPv6';
  prefConRef?: string;
  /** Account node name; default: the ServerID with characters outside [A-Za-z0-9._-] replaced by `_`. */
  accountId?: string;
  /** Tree form to install into. Default '1.2'. */
  form?: '1.2' | '1.1.2';
  /** AAuthType (1.2) — mapped to the 1.1.2 AuthPref string when installing the flat form. */
  authPref?: string;
  client?: DmAuthProfile;
  server?: DmAuthProfile;
  protoVersion?: '1.2' | '1.1.2';
  backCompatRetryDisabled?: boolean;
  connRetryFreq?: number;
  initialBackOffMs?: number;
  maxBackOffMs?: number;
  defaultEncoding?: DmEncodingMime;
}

const isPort = (t: string): boolean => /^[0-9]{1,5}$/.test(t) && Number(t) <= 65535;
const nonEmpty = (t: string): boolean => t.length > 0;

/** The Ext/omadm policy nodes, relative to an account. */
const POLICY: MoNode[] = [
  { path: '*/Ext', interior: true, open: true },
  { path: '*/Ext/omadm', interior: true },
  { path: '*/Ext/omadm/ProtoVer', values: ['1.2', '1.1', '1.1.2'] },
  { path: '*/Ext/omadm/BackCompatRetryDisabled', format: 'bool' },
  { path: '*/Ext/omadm/ConnRetryFreq', format: 'int', check: (t) => Number(t) >= 0 && Number(t) <= 100 },
  { path: '*/Ext/omadm/InitialBackOffTime', format: 'int', check: (t) => Number(t) >= 0 },
  { path: '*/Ext/omadm/MaxBackOffTime', format: 'int', check: (t) => Number(t) >= 0 },
  { path: '*/Ext/omadm/DefaultEncoding', values: ['application/vnd.syncml.dm+xml', 'application/vnd.syncml.dm+wbxml'] },
];

/** DM 1.2 account MO (relative to ./DMAcc). */
export const DMACC_12_NODES: readonly MoNode[] = [
  { path: '*', interior: true },
  { path: '*/AppID', values: ['w7'] },
  { path: '*/ServerID', check: (t) => isAclId(t) },
  { path: '*/Name' },
  { path: '*/PrefConRef' },
  { path: '*/ToConRef', interior: true },
  { path: '*/ToConRef/*', interior: true },
  { path: '*/ToConRef/*/ConRef' },
  { path: '*/AppAddr', interior: true },
  { path: '*/AppAddr/*', interior: true },
  { path: '*/AppAddr/*/Addr', check: nonEmpty },
  { path: '*/AppAddr/*/AddrType', values: ['URI', 'IPv4', 'IPv6'] },
  { path: '*/AppAddr/*/Port', interior: true },
  { path: '*/AppAddr/*/Port/*', interior: true },
  { path: '*/AppAddr/*/Port/*/PortNbr', check: isPort },
  { path: '*/AAuthPref', values: AAUTH_TYPES },
  { path: '*/AppAuth', interior: true },
  { path: '*/AppAuth/*', interior: true },
  { path: '*/AppAuth/*/AAuthLevel', values: AAUTH_LEVELS },
  { path: '*/AppAuth/*/AAuthType', values: AAUTH_TYPES },
  { path: '*/AppAuth/*/AAuthName' },
  { path: '*/AppAuth/*/AAuthSecret', secret: true },
  { path: '*/AppAuth/*/AAuthData', format: 'bin', secret: true },
  ...POLICY,
];

/** DM 1.1.2 flat account MO (relative to ./SyncML/DMAcc). */
export const DMACC_112_NODES: readonly MoNode[] = [
  { path: '*', interior: true },
  { path: '*/Addr', check: nonEmpty },
  { path: '*/AddrType' },
  { path: '*/PortNbr', check: isPort },
  { path: '*/ConRef' },
  { path: '*/ServerId', check: (t) => isAclId(t) },
  { path: '*/ServerPW', secret: true },
  { path: '*/ServerNonce', format: 'bin', secret: true },
  { path: '*/UserName' },
  { path: '*/ClientPW', secret: true },
  { path: '*/ClientNonce', format: 'bin', secret: true },
  { path: '*/AuthPref', values: Object.keys(AUTHPREF_112) },
  { path: '*/Name' },
  ...POLICY,
];

const NONCE_NAMES = new Set(['AAuthData', 'ServerNonce', 'ClientNonce']);

/** A `chr` nonce is Base64 text (what servers send); decode it when it is valid Base64. */
function normaliseNonce(call: CspCall, v: ValueIn, declaredFormat: string): void {
  if (!NONCE_NAMES.has(call.rel[call.rel.length - 1] ?? '') || declaredFormat !== 'chr') return;
  try {
    v.bytes = b64decode(v.text());
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
  }
}

/**
 * The DMAcc management objects and their typed view. Register both CSPs with `attach(tree)`.
 */
export class DmAcc {
  /** CSP of the DM 1.2 tree (./DMAcc). */
  readonly csp12: Csp;
  /** CSP of the DM 1.1.2 tree (./SyncML/DMAcc). */
  readonly csp112: Csp;
  readonly #tree: Tree;

  constructor(tree: Tree) {
    this.#tree = tree;
    this.csp12 = this.#make(DMACC_ROOT, DMACC_12_NODES, 'ServerID', DMACC_MO);
    this.csp112 = this.#make(DMACC_112_ROOT, DMACC_112_NODES, 'ServerId', DMACC_112_MO);
  }

  /** Creates the DmAcc view and registers both CSPs with the tree. */
  static attach(tree: Tree): DmAcc {
    const d = new DmAcc(tree);
    tree.addCsp(d.csp12);
    tree.addCsp(d.csp112);
    return d;
  }

  /** Every account of both forms (1.2 first), read from the tree now. Accounts without a ServerID are skipped. */
  accounts(): DmAccount[] {
    const st = this.#tree.store;
    const out: DmAccount[] = [];
    for (const id of st.children(DMACC_ROOT) ?? []) { const a = this.#read12(st, id); if (a) out.push(a); }
    for (const id of st.children(DMACC_112_ROOT) ?? []) { const a = this.#read112(st, id); if (a) out.push(a); }
    return out;
  }

  /** The account whose ServerID is `serverId` (case-sensitive), or null. */
  findByServerId(serverId: string): DmAccount | null {
    return this.accounts().find((a) => a.serverId === serverId) ?? null;
  }

  /**
   * Stores the next nonce for one side of an account and persists the tree: 'client' = the nonce
   * the server issued for our credentials (CLCRED AAuthData / ClientNonce), 'server' = the nonce
   * we issued to the server (SRVCRED AAuthData / ServerNonce; also the pkg#0 digest nonce).
   * Returns false when no account has that ServerID. Throws PlatformError if persisting fails.
   */
  setNonce(serverId: string, side: 'client' | 'server', nonce: Uint8Array): boolean {
    const a = this.findByServerId(serverId);
    if (!a) return false;
    const st = this.#tree.store;
    let path: string;
    if (a.form === '1.1.2') {
      path = `${a.path}/${side === 'client' ? 'ClientNonce' : 'ServerNonce'}`;
    } else {
      const entry = this.#authEntry(st, a.path, side === 'client' ? 'CLCRED' : 'SRVCRED');
      const base = entry ?? `${a.path}/AppAuth/${side === 'client' ? 'CLCRED' : 'SRVCRED'}`;
      if (!entry) {
        st.ensure(base, { interior: true });
        st.ensure(`${base}/AAuthLevel`, { value: side === 'client' ? 'CLCRED' : 'SRVCRED' });
      }
      path = `${base}/AAuthData`;
    }
    const s1 = st.ensure(path, { format: 'bin', secret: true });
    const s2 = st.write(path, nonce, 'bin');
    if (!isSuccess(s1) || !isSuccess(s2)) return false;
    this.#tree.commit();
    return true;
  }

  /**
   * Installs an account from a bootstrap profile (replacing an account with the same ServerID),
   * grants the server Add/Delete/Get/Replace on the new account node (facts §7.3 bootstrap rule),
   * and persists the tree. Returns 200, or the status that refused it (400 for a bad profile).
   */
  install(p: DmAccountProfile): number {
    if (!p || typeof p.serverId !== 'string' || !isAclId(p.serverId) || typeof p.addr !== 'string' || p.addr === '') return Status.BadRequest;
    if (p.port !== undefined && !(Number.isInteger(p.port) && p.port >= 0 && p.port <= 65535)) return Status.BadRequest;
    const form = p.form ?? '1.2';
    const st = this.#tree.store;
    const id = p.accountId ?? p.serverId.replace(/[^A-Za-z0-9._-]/g, '_');
    const old = this.findByServerId(p.serverId);
    if (old) st.remove(old.path);
    const root = `${form === '1.2' ? DMACC_ROOT : DMACC_112_ROOT}/${id}`;
    if (st.exists(root)) st.remove(root);
    const steps: (() => number)[] = [];
    const leaf = (rel: string, value: string | Uint8Array, opts: { format?: 'bin' | 'bool' | 'int'; secret?: boolean } = {}): void => {
      steps.push(() => st.ensure(`${root}/${rel}`, { value, ...(opts.format ? { format: opts.format } : {}), ...(opts.secret ? { secret: true } : {}) }));
    };
    steps.push(() => st.ensure(root, { interior: true, type: form === '1.2' ? DMACC_MO : DMACC_112_MO, acl: `Add=${p.serverId}&Delete=${p.serverId}&Get=${p.serverId}&Replace=${p.serverId}` }));
    const secret = (s: string | Uint8Array | undefined): Uint8Array => (s === undefined ? new Uint8Array(0) : typeof s === 'string' ? utf8Encode(s) : s);
    if (form === '1.2') {
      leaf('AppID', 'w7');
      leaf('ServerID', p.serverId);
      if (p.name !== undefined) leaf('Name', p.name);
      if (p.prefConRef !== undefined) leaf('PrefConRef', p.prefConRef);
      leaf('AppAddr/1/Addr', p.addr);
      leaf('AppAddr/1/AddrType', p.addrType ?? 'URI');
      if (p.port !== undefined) leaf('AppAddr/1/Port/1/PortNbr', String(p.port));
      if (p.authPref !== undefined) leaf('AAuthPref', p.authPref);
      for (const [side, level] of [['client', 'CLCRED'], ['server', 'SRVCRED']] as const) {
        const a = p[side];
        if (!a) continue;
        leaf(`AppAuth/${level}/AAuthLevel`, level);
        if (a.type !== undefined) leaf(`AppAuth/${level}/AAuthType`, a.type);
        if (a.name !== undefined) leaf(`AppAuth/${level}/AAuthName`, a.name);
        if (a.secret !== undefined) leaf(`AppAuth/${level}/AAuthSecret`, secret(a.secret), { secret: true });
        if (a.nonce !== undefined) leaf(`AppAuth/${level}/AAuthData`, a.nonce, { format: 'bin', secret: true });
      }
    } else {
      leaf('ServerId', p.serverId);
      leaf('Addr', p.addr);
      if (p.addrType !== undefined) leaf('AddrType', p.addrType);
      if (p.port !== undefined) leaf('PortNbr', String(p.port));
      if (p.prefConRef !== undefined) leaf('ConRef', p.prefConRef);
      if (p.name !== undefined) leaf('Name', p.name);
      const pref = Object.entries(AUTHPREF_112).find(([, t]) => t === p.authPref)?.[0];
      if (pref) leaf('AuthPref', pref);
      if (p.client?.name !== undefined) leaf('UserName', p.client.name);
      if (p.client?.secret !== undefined) leaf('ClientPW', secret(p.client.secret), { secret: true });
      if (p.client?.nonce !== undefined) leaf('ClientNonce', p.client.nonce, { format: 'bin', secret: true });
      if (p.server?.secret !== undefined) leaf('ServerPW', secret(p.server.secret), { secret: true });
      if (p.server?.nonce !== undefined) leaf('ServerNonce', p.server.nonce, { format: 'bin', secret: true });
    }
    if (p.protoVersion !== undefined) leaf('Ext/omadm/ProtoVer', p.protoVersion === '1.1.2' ? '1.1' : '1.2');
    if (p.backCompatRetryDisabled !== undefined) leaf('Ext/omadm/BackCompatRetryDisabled', String(p.backCompatRetryDisabled), { format: 'bool' });
    if (p.connRetryFreq !== undefined) leaf('Ext/omadm/ConnRetryFreq', String(p.connRetryFreq), { format: 'int' });
    if (p.initialBackOffMs !== undefined) leaf('Ext/omadm/InitialBackOffTime', String(p.initialBackOffMs), { format: 'int' });
    if (p.maxBackOffMs !== undefined) leaf('Ext/omadm/MaxBackOffTime', String(p.maxBackOffMs), { format: 'int' });
    if (p.defaultEncoding !== undefined) leaf('Ext/omadm/DefaultEncoding', p.defaultEncoding);
    for (const s of steps) {
      const r = s();
      if (!isSuccess(r)) { st.remove(root); return r; }
    }
    this.#tree.commit();
    return Status.Ok;
  }

  // ------------------------------------------------------------------------------------------

  #make(root: string, nodes: readonly MoNode[], serverIdLeaf: string, mo: string): Csp {
    const onValue = (call: CspCall, v: ValueIn, declared: string): number => {
      normaliseNonce(call, v, declared);
      if (call.rel.length === 2 && call.rel[1] === serverIdLeaf) {
        const clash = this.accounts().find((a) => a.serverId === v.text() && a.path !== `${root}/${call.rel[0]}`);
        if (clash) return Status.AlreadyExists;
      }
      return Status.Ok;
    };
    // The schema normalises v.format before the hook runs: remember what the server declared.
    const declaredOf = new WeakMap<ValueIn, string>();
    const csp = schemaCsp(root, nodes, {
      add: (call, v) => {
        if (call.rel.length === 1 && v.type === '') v.type = mo;
        return v.format === 'node' ? Status.Ok : onValue(call, v, declaredOf.get(v) ?? v.format);
      },
      replace: (call, v) => onValue(call, v, declaredOf.get(v) ?? v.format),
      delete: (call) => {
        if (call.rel.length === 1) {
          const sid = call.store.readText(`${root}/${call.rel[0]}/${serverIdLeaf}`);
          if (sid) call.store.scrubServerId(sid);
        }
        return Status.Ok;
      },
    });
    const add = csp.add!.bind(csp);
    const replace = csp.replace!.bind(csp);
    csp.add = (call, v) => { declaredOf.set(v, v.format); return add(call, v); };
    csp.replace = (call, v) => { declaredOf.set(v, v.format); return replace(call, v); };
    return csp;
  }

  #authEntry(st: NodeStore, acc: string, level: string): string | null {
    for (const e of st.children(`${acc}/AppAuth`) ?? []) {
      if (st.readText(`${acc}/AppAuth/${e}/AAuthLevel`) === level) return `${acc}/AppAuth/${e}`;
    }
    return null;
  }

  #policy(st: NodeStore, acc: string, form: '1.2' | '1.1.2'): Pick<DmAccount, 'protoVersion' | 'backCompatRetryDisabled' | 'connRetryFreq' | 'initialBackOffMs' | 'maxBackOffMs' | 'defaultEncoding'> {
    const t = (n: string): string | null => st.readText(`${acc}/Ext/omadm/${n}`);
    const num = (n: string, d: number): number => { const v = t(n); return v !== null && /^[0-9]+$/.test(v) ? Number(v) : d; };
    const pv = t('ProtoVer');
    return {
      protoVersion: pv === null ? form : pv === '1.2' ? '1.2' : '1.1.2',
      backCompatRetryDisabled: t('BackCompatRetryDisabled') === 'true',
      connRetryFreq: num('ConnRetryFreq', DEFAULT_CONN_RETRY_FREQ),
      initialBackOffMs: num('InitialBackOffTime', DEFAULT_INITIAL_BACKOFF_MS),
      maxBackOffMs: num('MaxBackOffTime', DEFAULT_MAX_BACKOFF_MS),
      defaultEncoding: (t('DefaultEncoding') as DmEncodingMime | null) ?? DEFAULT_ENCODING,
    };
  }

  #read12(st: NodeStore, id: string): DmAccount | null {
    const acc = `${DMACC_ROOT}/${id}`;
    const serverId = st.readText(`${acc}/ServerID`);
    if (!serverId) return null;
    const addrEntry = st.children(`${acc}/AppAddr`)?.[0];
    const ab = addrEntry === undefined ? null : `${acc}/AppAddr/${addrEntry}`;
    const portEntry = ab ? st.children(`${ab}/Port`)?.[0] : undefined;
    const portText = ab && portEntry !== undefined ? st.readText(`${ab}/Port/${portEntry}/PortNbr`) : null;
    const auth = (level: string): DmAuth => {
      const e = this.#authEntry(st, acc, level);
      return {
        type: e ? st.readText(`${e}/AAuthType`) ?? '' : '',
        name: e ? st.readText(`${e}/AAuthName`) ?? '' : '',
        secret: (e ? st.read(`${e}/AAuthSecret`) : null)?.slice() ?? new Uint8Array(0),
        nonce: (e ? st.read(`${e}/AAuthData`) : null)?.slice() ?? new Uint8Array(0),
      };
    };
    const a: DmAccount = {
      id, path: acc, form: '1.2', serverId,
      name: st.readText(`${acc}/Name`) ?? '',
      addr: ab ? st.readText(`${ab}/Addr`) ?? '' : '',
      addrType: ab ? st.readText(`${ab}/AddrType`) ?? 'URI' : 'URI',
      prefConRef: st.readText(`${acc}/PrefConRef`) ?? '',
      authPref: st.readText(`${acc}/AAuthPref`) ?? '',
      client: auth('CLCRED'),
      server: auth('SRVCRED'),
      ...this.#policy(st, acc, '1.2'),
    };
    if (portText) a.port = Number(portText);
    return a;
  }

  #read112(st: NodeStore, id: string): DmAccount | null {
    const acc = `${DMACC_112_ROOT}/${id}`;
    const serverId = st.readText(`${acc}/ServerId`);
    if (!serverId) return null;
    const bytes = (n: string): Uint8Array => st.read(`${acc}/${n}`)?.slice() ?? new Uint8Array(0);
    const pref = st.readText(`${acc}/AuthPref`) ?? '';
    const portText = st.readText(`${acc}/PortNbr`);
    const a: DmAccount = {
      id, path: acc, form: '1.1.2', serverId,
      name: st.readText(`${acc}/Name`) ?? '',
      addr: st.readText(`${acc}/Addr`) ?? '',
      addrType: st.readText(`${acc}/AddrType`) ?? 'URI',
      prefConRef: st.readText(`${acc}/ConRef`) ?? '',
      authPref: AUTHPREF_112[pref] ?? '',
      client: { type: AUTHPREF_112[pref] ?? '', name: st.readText(`${acc}/UserName`) ?? '', secret: bytes('ClientPW'), nonce: bytes('ClientNonce') },
      server: { type: AUTHPREF_112[pref] ?? '', name: serverId, secret: bytes('ServerPW'), nonce: bytes('ServerNonce') },
      ...this.#policy(st, acc, '1.1.2'),
    };
    if (portText) a.port = Number(portText);
    return a;
  }
}

/** UTF-8 text of a secret (for hosts that need a string password). */
export function secretText(b: Uint8Array): string {
  return utf8Decode(b);
}
