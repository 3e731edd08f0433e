/**
 * Bounds, defaults and counters of the SMS reassembly (./Reassembler), in a module of their own: the
 * push router core (WDP datagrams only) carries the reassembly limits in its configuration without
 * loading the reassembler.
 */

/** Pending messages assembled at once. */
export const DEFAULT_MAX_PENDING = 8;
/** Segments per message (GSM allows 255; a DM notification needs 1–3). */
export const DEFAULT_MAX_SEGMENTS = 16;
/** Bytes per reassembled message. */
export const DEFAULT_MAX_MESSAGE_BYTES = 2048;
/** Milliseconds a partial message is kept after its first segment. */
export const DEFAULT_REASSEMBLY_TIMEOUT_MS = 300_000;

/** Reassembly bounds. Memory ≈ (maxPending + 1) × maxMessageBytes + small tables. */
export interface ReassemblyLimits {
  /** Messages assembled concurrently (default 8). */
  maxPending: number;
  /** Segments per message (default 16, at most 255). */
  maxSegments: number;
  /** Bytes per message (default 2048). */
  maxMessageBytes: number;
  /** Eviction timeout in ms after the first segment (default 300 000). */
  timeoutMs: number;
}

/** Defaults as one object. */
export const DEFAULT_REASSEMBLY_LIMITS: Readonly<ReassemblyLimits> = Object.freeze({
  maxPending: DEFAULT_MAX_PENDING,
  maxSegments: DEFAULT_MAX_SEGMENTS,
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  timeoutMs: DEFAULT_REASSEMBLY_TIMEOUT_MS,
});

/** Why a pending message was dropped. */
export type EvictReason = 'timeout' | 'capacity';

/** High-water marks and counters. */
export interface ReassemblyUsage {
  pending: number;
  highPending: number;
  /** Bytes buffered now / at most, across slots. */
  bytes: number;
  highBytes: number;
  completed: number;
  duplicates: number;
  evictedTimeout: number;
  evictedCapacity: number;
  refused: number;
}
