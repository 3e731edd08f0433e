/**
 * Bounds of the bootstrap area (DM bootstrap over WAP push, TNDS, OMA CP). Every structure the
 * bootstrap code builds from untrusted input is bounded by one of these; exceeding a bound is a
 * rejection with a reason (`too-large`, `malformed`) or a DM status (413/420) for TNDS in a
 * session, never growth. The lead aggregates these into the product's limits.
 */
import { LimitError } from '../errors';

export interface BootstrapLimits {
  /** Bytes of a bootstrap document (the WSP body: WBXML DM message or CP document). More → rejected 'too-large'. */
  maxDocumentBytes: number;
  /** Tree operations one bootstrap may perform (items + TNDS nodes + implicit ACL fixes). More → 'too-large'. */
  maxOps: number;
  /** Nodes in one TNDS object. More → DecodeError 'too-many-nodes' (413 in a session). */
  maxTndsNodes: number;
  /** Nesting depth of `Node` elements in one TNDS object. More → DecodeError 'depth'. */
  maxTndsDepth: number;
  /** Bytes of one node value (TNDS `Value`, CP parm value). More → DecodeError 'value-too-long'. */
  maxValueBytes: number;
  /** Characters of a name-like field (NodeName, Path, ACL, Type, Title, CP parm names). More → DecodeError. */
  maxFieldLength: number;
  /** Characteristics in one OMA CP document (nested ones included). More → DecodeError. */
  maxCpCharacteristics: number;
  /** Parms in one OMA CP document. More → DecodeError. */
  maxCpParms: number;
  /** Digests of applied bootstraps remembered for replay protection (a ring; persisted). */
  maxReplayEntries: number;
  /** Characters of a user PIN accepted from the UI. */
  maxPinLength: number;
}

export const DEFAULT_MAX_BOOTSTRAP_DOCUMENT = 16384;
export const DEFAULT_MAX_BOOTSTRAP_OPS = 512;
export const DEFAULT_MAX_TNDS_NODES = 256;
export const DEFAULT_MAX_TNDS_DEPTH = 16;
export const DEFAULT_MAX_BOOTSTRAP_VALUE = 4096;
export const DEFAULT_MAX_BOOTSTRAP_FIELD = 1024;
export const DEFAULT_MAX_CP_CHARACTERISTICS = 64;
export const DEFAULT_MAX_CP_PARMS = 512;
export const DEFAULT_MAX_REPLAY_ENTRIES = 16;
export const DEFAULT_MAX_PIN_LENGTH = 16;

export const DEFAULT_BOOTSTRAP_LIMITS: Readonly<BootstrapLimits> = Object.freeze({
  maxDocumentBytes: DEFAULT_MAX_BOOTSTRAP_DOCUMENT,
  maxOps: DEFAULT_MAX_BOOTSTRAP_OPS,
  maxTndsNodes: DEFAULT_MAX_TNDS_NODES,
  maxTndsDepth: DEFAULT_MAX_TNDS_DEPTH,
  maxValueBytes: DEFAULT_MAX_BOOTSTRAP_VALUE,
  maxFieldLength: DEFAULT_MAX_BOOTSTRAP_FIELD,
  maxCpCharacteristics: DEFAULT_MAX_CP_CHARACTERISTICS,
  maxCpParms: DEFAULT_MAX_CP_PARMS,
  maxReplayEntries: DEFAULT_MAX_REPLAY_ENTRIES,
  maxPinLength: DEFAULT_MAX_PIN_LENGTH,
});

/** Fills defaults and rejects inconsistent sets (LimitError naming the field). */
export function checkBootstrapLimits(partial: Partial<BootstrapLimits> = {}): BootstrapLimits {
  const l: BootstrapLimits = { ...DEFAULT_BOOTSTRAP_LIMITS, ...partial };
  for (const [k, v] of Object.entries(l)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new LimitError(k, `must be a positive integer, got ${String(v)}`);
  }
  if (l.maxDocumentBytes < 256) throw new LimitError('maxDocumentBytes', 'must be at least 256 bytes');
  if (l.maxFieldLength < 64) throw new LimitError('maxFieldLength', 'must be at least 64');
  if (l.maxPinLength < 4) throw new LimitError('maxPinLength', 'must be at least 4');
  if (l.maxTndsDepth > 64) throw new LimitError('maxTndsDepth', 'must be at most 64');
  return l;
}
