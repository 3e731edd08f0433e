/**
 * Session records: plain JSON-able objects describing everything a session did, for tests, the demo
 * transcript and OEM reports. Secrets never enter a record: Cred Data in the XML is replaced by
 * `***`, and Authorization-like HTTP headers are dropped.
 *
 * Every list is capped (`ServerLimits.maxRecordEntries`); entries past the cap are counted in
 * `dropped` instead of stored.
 */
import { redactXml } from '../agent/transcript';
import type { DmVersion, Encoding } from '../codec/model';

/** How a session ended ('active' while it runs). */
export type Outcome =
  | 'active'
  | 'completed'
  | 'aborted-by-client'
  | 'aborted-by-server'
  | 'auth-failed'
  | 'version-rejected'
  | 'timed-out'
  | 'evicted';

/** One message (or HTTP exchange without a message) seen or sent. */
export interface MessageRecord {
  dir: 'in' | 'out';
  /** Server clock (ms) when recorded. */
  at: number;
  /** SyncHdr MsgID, or null when the body was not a DM message. */
  msgId: string | null;
  encoding: Encoding | null;
  version: DmVersion | null;
  /** Body length in bytes (of the full body even when a fault truncated it on the wire). */
  length: number;
  /** `<Final/>` present. */
  final: boolean;
  /** Request: method and URL; response: status. Headers with lower-case names, secrets removed. */
  http: { method?: string; url?: string; status?: number; headers: Record<string, string> };
  /** The message as indented XML (WBXML transcoded), Cred Data redacted; null when it could not be decoded. */
  xml: string | null;
  /** Why the message could not be decoded / was refused. */
  error?: string;
  /** Fault applied to this exchange ('dropAfterRequest', 'httpStatus 503', 'delayMs 200'...). */
  fault?: string;
}

/** One authentication step. */
export interface AuthEvent {
  at: number;
  /** MsgID of the message the event belongs to. */
  msgId: string;
  /** 'client': the server verifying the client; 'server': the client's verdict on the server's credentials. */
  side: 'client' | 'server';
  /** Scheme involved ('basic', 'md5', 'hmac') or null for none. */
  scheme: string | null;
  /** What happened. */
  event: 'accepted' | 'missing' | 'rejected' | 'challenged' | 'nonce' | 'failed';
  /** The SyncHdr status code involved. */
  code: number;
  detail?: string;
}

/** A Status the client sent for one of our commands. */
export interface StatusRecord {
  /** Script package index (0 = the package answering package 1). */
  pkg: number;
  msgRef: string;
  cmdRef: string;
  /** Cmd element of the status (the command name). */
  cmd: string;
  /** Target URIs of the command. */
  targets: string[];
  code: number;
  /** Acceptable codes from the script (null = any). */
  expected: number[] | null;
  ok: boolean;
  /** JSON path of the command in the script (null for generated commands). */
  path: string | null;
  /** Data of the Status Items (UI alert answers). */
  items?: string[];
  /** Large-object chunk number (1-based) when the command carried one chunk of an object. */
  chunk?: number;
}

/** A value received in Results. */
export interface ResultValue {
  /** Text value; binary (non-UTF-8 OPAQUE) values as Base64 with `binary: true`. */
  value: string;
  binary: boolean;
  format?: string;
  type?: string;
  /** Bytes of the value. */
  size: number;
  /** Number of chunks it arrived in (1 = not a large object). */
  chunks: number;
  pkg: number;
}

/** An alert the client sent (1224 client event, 1226 generic alert). */
export interface AlertRecord {
  msgId: string;
  cmdId: string;
  code: number;
  correlator?: string;
  items: { source?: string; target?: string; type?: string; format?: string; mark?: string; data: string }[];
  /** Status the server answered. */
  status: number;
}

/** A script failure: the client did something the script did not expect, or the script could not be executed. */
export interface Failure {
  at: number;
  /** MsgID of the client message that revealed it, when there is one. */
  msgId: string | null;
  /** Script JSON path, when the failure is about one command. */
  path: string | null;
  message: string;
}

/** Everything about one session. */
export interface SessionRecord {
  /** 1-based creation order on this server. */
  index: number;
  sessionId: string;
  /** Client Source/LocURI. */
  deviceId: string;
  /** Script name, when it has one. */
  script?: string;
  serverId: string;
  /** Version and encoding the server used (null until the first answer). */
  version: DmVersion | null;
  encoding: Encoding | null;
  startedAt: number;
  endedAt: number | null;
  outcome: Outcome;
  /** 1200 / 1201 from package 1 (null until seen). */
  alert: number | null;
  /** Script packages started (the end message is not counted). */
  packagesSent: number;
  /** DevInfo URI → value from the client's Replace. */
  devInfo: Record<string, string>;
  messages: MessageRecord[];
  auth: AuthEvent[];
  statuses: StatusRecord[];
  /** Results by URI (the last value wins). */
  results: Record<string, ResultValue>;
  genericAlerts: AlertRecord[];
  clientEvents: AlertRecord[];
  failures: Failure[];
  /** Entries not stored because a list hit its cap. */
  dropped: number;
}

/** A request that belongs to no session (bad method, wrong Content-Type, undecodable body...). */
export interface ServerEvent {
  at: number;
  message: MessageRecord;
}

/** Appends `v` unless the list is full (then counts it in `rec.dropped`). */
export function pushBounded<T>(rec: SessionRecord, list: T[], v: T, cap: number): void {
  if (list.length < cap) list.push(v);
  else rec.dropped++;
}

/**
 * Replaces secrets with `***`: the Data of every Cred element, and the Data of items addressing
 * secret nodes (AAuthSecret, AAuthData, passwords, nonces) — the device transcripts' rules.
 */
export { redactXml };

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

/** Headers without secrets (names lower-cased). */
export function redactHeaders(h: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    const n = k.toLowerCase();
    out[n] = SECRET_HEADERS.has(n) ? '***' : v;
  }
  return out;
}

/** A fresh record. */
export function newSessionRecord(index: number, sessionId: string, deviceId: string, serverId: string, at: number, script?: string): SessionRecord {
  const r: SessionRecord = {
    index, sessionId, deviceId, serverId, version: null, encoding: null, startedAt: at, endedAt: null, outcome: 'active',
    alert: null, packagesSent: 0, devInfo: {}, messages: [], auth: [], statuses: [], results: {}, genericAlerts: [],
    clientEvents: [], failures: [], dropped: 0,
  };
  if (script !== undefined) r.script = script;
  return r;
}
