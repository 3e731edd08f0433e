/**
 * Bounds of the loopback test server. Every table the server keeps (sessions, records, reassembly
 * buffers) is capped by one of these; exceeding a cap is an HTTP status (413, 503), a DM status
 * (413, 424) or a `dropped` counter in the session record, never unbounded growth.
 */

/** Largest client message the server decodes (bytes of the HTTP body). */
export const DEFAULT_SERVER_MAX_IN_MSG_SIZE = 1048576;
/** Largest message the server writes when the client did not send a MaxMsgSize (bytes). */
export const DEFAULT_SERVER_MAX_OUT_MSG_SIZE = 65536;
/** Smallest message buffer the server uses even when the client's MaxMsgSize is smaller (bytes). */
export const DEFAULT_SERVER_MIN_OUT_MSG_SIZE = 256;
/** Largest client large object the server reassembles (bytes of the transported form). */
export const DEFAULT_SERVER_MAX_OBJ_SIZE = 4194304;
/** Sessions kept at once (active ones plus finished records); the oldest finished is evicted first. */
export const DEFAULT_SERVER_MAX_SESSIONS = 256;
/** Entries per list in a session record (messages, statuses, auth events, failures...). */
export const DEFAULT_SERVER_MAX_RECORD_ENTRIES = 10000;
/** A session without traffic for this long is ended with outcome 'timed-out' by `tick()` (ms). */
export const DEFAULT_SERVER_SESSION_TIMEOUT_MS = 300000;
/** Server-level events kept (requests that belong to no session: bad method, undecodable body...). */
export const DEFAULT_SERVER_MAX_EVENTS = 1000;
/** Commands (nested ones included) per client message the decoder accepts (more → HTTP 400). */
export const DEFAULT_SERVER_MAX_CMDS = 4096;
/** Items per client command the decoder accepts (more → HTTP 400). */
export const DEFAULT_SERVER_MAX_ITEMS = 1024;

/** Limits of one DmServer. */
export interface ServerLimits {
  /** Largest accepted request body in bytes (larger → HTTP 413). Default 1 MiB. */
  maxInMsgSize: number;
  /** Message buffer in bytes when the client sent no MaxMsgSize; also the cap on any client MaxMsgSize. Default 64 KiB. */
  maxOutMsgSize: number;
  /** Floor of the message buffer in bytes when a client advertises a tiny MaxMsgSize (a failure is recorded). Default 256. */
  minOutMsgSize: number;
  /** Largest reassembled client large object in bytes (larger → status 413). Default 4 MiB. */
  maxObjSize: number;
  /** Sessions kept (active and finished). Default 256. */
  maxSessions: number;
  /** Entries per list in a session record. Default 10000. */
  maxRecordEntries: number;
  /** Idle time after which `tick()` ends a session (ms). Default 300 s. */
  sessionTimeoutMs: number;
  /** Server-level events kept. Default 1000. */
  maxEvents: number;
  /** Commands per client message, nested ones included. Default 4096. */
  maxCmdsPerMsg: number;
  /** Items per client command. Default 1024. */
  maxItemsPerCmd: number;
}

/** The defaults above as one frozen object. */
export const DEFAULT_SERVER_LIMITS: Readonly<ServerLimits> = Object.freeze({
  maxInMsgSize: DEFAULT_SERVER_MAX_IN_MSG_SIZE,
  maxOutMsgSize: DEFAULT_SERVER_MAX_OUT_MSG_SIZE,
  minOutMsgSize: DEFAULT_SERVER_MIN_OUT_MSG_SIZE,
  maxObjSize: DEFAULT_SERVER_MAX_OBJ_SIZE,
  maxSessions: DEFAULT_SERVER_MAX_SESSIONS,
  maxRecordEntries: DEFAULT_SERVER_MAX_RECORD_ENTRIES,
  sessionTimeoutMs: DEFAULT_SERVER_SESSION_TIMEOUT_MS,
  maxEvents: DEFAULT_SERVER_MAX_EVENTS,
  maxCmdsPerMsg: DEFAULT_SERVER_MAX_CMDS,
  maxItemsPerCmd: DEFAULT_SERVER_MAX_ITEMS,
});

/** Fills defaults and rejects non-positive or inconsistent values (RangeError naming the field). */
export function checkServerLimits(partial: Partial<ServerLimits> = {}): ServerLimits {
  const l: ServerLimits = { ...DEFAULT_SERVER_LIMITS, ...partial };
  for (const [k, v] of Object.entries(l)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new RangeError(`limits.${k} must be a positive integer, got ${String(v)}`);
  }
  if (l.minOutMsgSize < 256) throw new RangeError('limits.minOutMsgSize must be at least 256 bytes');
  if (l.maxOutMsgSize < l.minOutMsgSize) throw new RangeError('limits.maxOutMsgSize must be >= limits.minOutMsgSize');
  return l;
}
