/**
 * Bounds of the management tree (the Configuration Manager). Every structure the tree keeps is
 * bounded by one of these; exceeding a bound is a DM status (420 device full, 413 too large,
 * 414 URI too long), never growth. The lead aggregates these into the product's `Limits`.
 */
import { LimitError } from '../errors';
import { DEFAULT_MAX_RECORD_PAYLOAD } from '../store/RecordStore';

export interface TreeLimits {
  /** Nodes in the tree, including built-in ones. More → 420. */
  maxNodes: number;
  /** Bytes of one leaf value kept in the tree (larger objects need a CSP with `beginWrite`). More → 413. */
  maxValueSize: number;
  /** URI segments below the root (published as ./DevDetail/URI/MaxDepth). More → 414. */
  maxUriDepth: number;
  /** Characters of a normalised URI such as `./A/B` (published as MaxTotLen). More → 414. */
  maxUriLength: number;
  /** Characters of one URI segment / node name (published as MaxSegLen). More → 414. */
  maxSegmentLength: number;
  /** Characters of one ACL value. More → 413. */
  maxAclLength: number;
  /** Characters of a Title property (the spec caps it at 255 bytes). More → 413. */
  maxTitleLength: number;
  /** Bytes of the persisted tree record; the tree refuses changes (420) that could exceed it. */
  maxRecordPayload: number;
  /** Result items of one Get (`?list=` walks). More → 413. */
  maxResultItems: number;
  /** Undo entries kept for one Atomic (a few per command). More → 420 for the command. */
  maxJournal: number;
}

export const DEFAULT_MAX_NODES = 16384;
export const DEFAULT_MAX_VALUE_SIZE = 16384;
export const DEFAULT_MAX_URI_DEPTH = 16;
export const DEFAULT_MAX_URI_LENGTH = 255;
export const DEFAULT_MAX_SEGMENT_LENGTH = 64;
export const DEFAULT_MAX_ACL_LENGTH = 1024;
export const DEFAULT_MAX_TITLE_LENGTH = 255;
export const DEFAULT_MAX_RESULT_ITEMS = 4096;
export const DEFAULT_MAX_JOURNAL = 4096;
export { DEFAULT_MAX_RECORD_PAYLOAD };

export const DEFAULT_TREE_LIMITS: Readonly<TreeLimits> = Object.freeze({
  maxNodes: DEFAULT_MAX_NODES,
  maxValueSize: DEFAULT_MAX_VALUE_SIZE,
  maxUriDepth: DEFAULT_MAX_URI_DEPTH,
  maxUriLength: DEFAULT_MAX_URI_LENGTH,
  maxSegmentLength: DEFAULT_MAX_SEGMENT_LENGTH,
  maxAclLength: DEFAULT_MAX_ACL_LENGTH,
  maxTitleLength: DEFAULT_MAX_TITLE_LENGTH,
  maxRecordPayload: DEFAULT_MAX_RECORD_PAYLOAD,
  maxResultItems: DEFAULT_MAX_RESULT_ITEMS,
  maxJournal: DEFAULT_MAX_JOURNAL,
});

/** Fills defaults and rejects inconsistent sets (LimitError naming the field). */
export function checkTreeLimits(partial: Partial<TreeLimits> = {}): TreeLimits {
  const l: TreeLimits = { ...DEFAULT_TREE_LIMITS, ...partial };
  for (const [k, v] of Object.entries(l)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new LimitError(k, `must be a positive integer, got ${String(v)}`);
  }
  if (l.maxNodes < 16) throw new LimitError('maxNodes', 'the built-in objects need at least 16 nodes');
  if (l.maxUriDepth < 4) throw new LimitError('maxUriDepth', 'standard objects need a depth of at least 4');
  if (l.maxSegmentLength < 8) throw new LimitError('maxSegmentLength', 'must be at least 8');
  if (l.maxUriLength < l.maxSegmentLength) throw new LimitError('maxUriLength', 'must be at least maxSegmentLength');
  if (l.maxRecordPayload < 4096) throw new LimitError('maxRecordPayload', 'must be at least 4096 bytes');
  if (l.maxValueSize > l.maxRecordPayload) throw new LimitError('maxValueSize', 'cannot exceed maxRecordPayload');
  return l;
}
