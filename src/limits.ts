/**
 * Fixed-memory configuration. Every buffer, pool and table in the core is sized from a `Limits`
 * object at construction; exceeding a bound is a DM status or a typed error, never growth.
 * Defaults suit a small embedded device; boards override them (target/<board>/limits.json).
 */
import { LimitError } from './errors';

export interface Limits {
  /** Largest message we accept and advertise as our MaxMsgSize (bytes of the encoded message). */
  maxMsgSize: number;
  /** Largest single object (large-object total) we accept and advertise as MaxObjSize. */
  maxObjSize: number;
  /** Commands (including nested ones) per received message; more → the message is refused. */
  maxCmdsPerMsg: number;
  /** Items per command. */
  maxItemsPerCmd: number;
  /** Element nesting depth in the decoders. */
  maxDepth: number;
  /** Bounded carry-over buffer of the streaming decoders: the longest token split across chunks. */
  maxTokenLen: number;
  /** WBXML string table size. */
  maxStringTable: number;
}

export const DEFAULT_MAX_MSG_SIZE = 16384;
export const DEFAULT_MAX_OBJ_SIZE = 1048576;
export const DEFAULT_MAX_CMDS = 256;
export const DEFAULT_MAX_ITEMS = 64;
export const DEFAULT_MAX_DEPTH = 24;
export const DEFAULT_MAX_TOKEN_LEN = 1024;
export const DEFAULT_MAX_STRING_TABLE = 4096;

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxMsgSize: DEFAULT_MAX_MSG_SIZE,
  maxObjSize: DEFAULT_MAX_OBJ_SIZE,
  maxCmdsPerMsg: DEFAULT_MAX_CMDS,
  maxItemsPerCmd: DEFAULT_MAX_ITEMS,
  maxDepth: DEFAULT_MAX_DEPTH,
  maxTokenLen: DEFAULT_MAX_TOKEN_LEN,
  maxStringTable: DEFAULT_MAX_STRING_TABLE,
});

/** Fills defaults and rejects inconsistent sets (RangeError naming the field). */
export function checkLimits(partial: Partial<Limits> = {}): Limits {
  const l: Limits = { ...DEFAULT_LIMITS, ...partial };
  for (const [k, v] of Object.entries(l)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new LimitError(k, `must be a positive integer, got ${String(v)}`);
  }
  if (l.maxMsgSize < 512) throw new LimitError('maxMsgSize', 'must be at least 512 bytes');
  if (l.maxDepth < 8) throw new LimitError('maxDepth', 'SyncML needs a nesting depth of at least 8');
  if (l.maxTokenLen < 64) throw new LimitError('maxTokenLen', 'must be at least 64');
  return l;
}
