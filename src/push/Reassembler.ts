/**
 * Fixed-memory reassembly of concatenated GSM SMS and segmented CDMA WDP datagrams.
 *
 * Memory is allocated once, when the first segment arrives (a device that only ever gets single
 * SMS or WDP datagrams never holds it): `maxPending` slabs of `maxMessageBytes` (one per message
 * being assembled; its segments are appended in arrival order) plus one output buffer of
 * `maxMessageBytes` into which a completed message is laid out in sequence order.
 *
 * Policy (documented choices):
 * - A new message when all slots are busy evicts the OLDEST pending message (first segment
 *   earliest), reported through `onEvict(key, 'capacity')`: a flood cannot block new pushes
 *   until the timeout, and a legitimate push is re-sent by the server anyway.
 * - A message is evicted `timeoutMs` after its first segment arrived (`onEvict(key, 'timeout')`),
 *   checked on every `add()` and by `expire(now)`, which the host calls at `nextDeadline()`.
 * - Duplicate segments (same key and sequence number) are ignored, also for `timeoutMs` after
 *   the message completed (a small ring of recently completed keys, `maxPending` long).
 * - Out-of-order segments are fine. A segment whose `total` differs from the message's is refused.
 * - A message with more than `maxSegments` parts or more than `maxMessageBytes` bytes is refused
 *   (and any partial state for it dropped).
 */

// The limits, defaults and counter types live in ./reassemblyLimits (the WDP-only router core needs
// them without this class); re-exported here as before.
export * from './reassemblyLimits';
import { DEFAULT_REASSEMBLY_LIMITS } from './reassemblyLimits';
import type { EvictReason, ReassemblyLimits, ReassemblyUsage } from './reassemblyLimits';

/** Result of `add()`. `data` of a complete message is valid only until the next `add()`. */
export type AddResult =
  | { status: 'complete'; data: Uint8Array; tag: number }
  | { status: 'pending'; received: number; total: number }
  | { status: 'duplicate' }
  | { status: 'refused'; reason: 'too-many-segments' | 'too-large' | 'total-mismatch' | 'bad-sequence' };

/** One slot. */
interface Slot {
  /** Message key, or null when the slot is free. */
  key: string | null;
  total: number;
  received: number;
  firstAt: number;
  /** Caller's tag (e.g. the destination port from the segment that carried it), -1 = none yet. */
  tag: number;
  /** Bytes used in `slab`. */
  used: number;
  /** Segment offsets in the slab by sequence index; -1 = not received. */
  off: Int32Array;
  len: Int32Array;
  slab: Uint8Array;
}

export class Reassembler {
  readonly limits: Readonly<ReassemblyLimits>;
  /** The slots: empty until the first segment arrives, then `maxPending` of them (never more). */
  readonly #slots: Slot[] = [];
  #out: Uint8Array | null = null;
  /** Ring of recently completed keys and their completion times. */
  readonly #doneKeys: (string | null)[];
  readonly #doneAt: Float64Array;
  #doneNext = 0;
  readonly #onEvict: ((key: string, reason: EvictReason, received: number, total: number) => void) | undefined;
  readonly #u: ReassemblyUsage = { pending: 0, highPending: 0, bytes: 0, highBytes: 0, completed: 0, duplicates: 0, evictedTimeout: 0, evictedCapacity: 0, refused: 0 };

  /**
   * @param limits partial bounds (defaults above); RangeError naming the field when not a positive integer.
   * @param onEvict called synchronously for every evicted partial message.
   */
  constructor(limits: Partial<ReassemblyLimits> = {}, onEvict?: (key: string, reason: EvictReason, received: number, total: number) => void) {
    const l = { ...DEFAULT_REASSEMBLY_LIMITS, ...limits };
    for (const [k, v] of Object.entries(l)) {
      if (!Number.isInteger(v) || v <= 0) throw new RangeError(`Reassembler: limits.${k} must be a positive integer`);
    }
    if (l.maxSegments > 255) throw new RangeError('Reassembler: limits.maxSegments must be at most 255');
    this.limits = Object.freeze(l);
    this.#onEvict = onEvict;
    this.#doneKeys = new Array<string | null>(l.maxPending).fill(null);
    this.#doneAt = new Float64Array(l.maxPending);
  }

  /**
   * Adds segment `seq` (0-based) of `total` for message `key` (the caller builds keys, e.g.
   * originator + reference + total). `tag` ≥ 0 is remembered for the message (last one wins).
   */
  add(key: string, seq: number, total: number, data: Uint8Array, now: number, tag = -1): AddResult {
    this.expire(now);
    const l = this.limits;
    if (!Number.isInteger(total) || total < 1 || !Number.isInteger(seq) || seq < 0 || seq >= total) {
      this.#u.refused++;
      return { status: 'refused', reason: 'bad-sequence' };
    }
    if (this.#recentlyDone(key, now)) {
      this.#u.duplicates++;
      return { status: 'duplicate' };
    }
    let s = this.#find(key);
    if (total > l.maxSegments) {
      if (s) this.#free(s);
      this.#u.refused++;
      return { status: 'refused', reason: 'too-many-segments' };
    }
    if (s && s.total !== total) {
      this.#u.refused++;
      return { status: 'refused', reason: 'total-mismatch' };
    }
    if (s && s.off[seq]! >= 0) {
      this.#u.duplicates++;
      return { status: 'duplicate' };
    }
    const used = s ? s.used : 0;
    if (used + data.length > l.maxMessageBytes) {
      if (s) this.#free(s);
      this.#u.refused++;
      return { status: 'refused', reason: 'too-large' };
    }
    if (!s) s = this.#allocate(key, total, now);
    s.off[seq] = s.used;
    s.len[seq] = data.length;
    s.slab.set(data, s.used);
    s.used += data.length;
    s.received++;
    if (tag >= 0) s.tag = tag;
    this.#u.bytes += data.length;
    if (this.#u.bytes > this.#u.highBytes) this.#u.highBytes = this.#u.bytes;
    if (s.received < total) return { status: 'pending', received: s.received, total };
    let o = 0;
    const out = this.#out!;
    for (let i = 0; i < total; i++) {
      const off = s.off[i]!;
      const n = s.len[i]!;
      out.set(s.slab.subarray(off, off + n), o);
      o += n;
    }
    const t = s.tag;
    this.#doneKeys[this.#doneNext] = key;
    this.#doneAt[this.#doneNext] = now;
    this.#doneNext = (this.#doneNext + 1) % this.#doneKeys.length;
    this.#free(s);
    this.#u.completed++;
    return { status: 'complete', data: out.subarray(0, o), tag: t };
  }

  /** Evicts messages whose timeout passed at `now`; returns how many. */
  expire(now: number): number {
    let n = 0;
    for (const s of this.#slots) {
      if (s.key !== null && now - s.firstAt >= this.limits.timeoutMs) {
        this.#evict(s, 'timeout');
        n++;
      }
    }
    return n;
  }

  /** Time (same clock as `now`) of the next timeout eviction, or null when nothing is pending. */
  nextDeadline(): number | null {
    let d: number | null = null;
    for (const s of this.#slots) if (s.key !== null && (d === null || s.firstAt < d)) d = s.firstAt;
    return d === null ? null : d + this.limits.timeoutMs;
  }

  /** Counters and high-water marks (a copy). */
  usage(): ReassemblyUsage {
    return { ...this.#u };
  }

  /** Drops all pending state (no eviction callbacks). */
  clear(): void {
    for (const s of this.#slots) if (s.key !== null) this.#free(s);
    this.#doneKeys.fill(null);
  }

  #recentlyDone(key: string, now: number): boolean {
    for (let i = 0; i < this.#doneKeys.length; i++) {
      if (this.#doneKeys[i] === key && now - this.#doneAt[i]! < this.limits.timeoutMs) return true;
    }
    return false;
  }

  #find(key: string): Slot | null {
    for (const s of this.#slots) if (s.key === key) return s;
    return null;
  }

  #allocate(key: string, total: number, now: number): Slot {
    if (this.#slots.length === 0) {
      // the first segment: all the memory at once (the bound stays (maxPending + 1) × maxMessageBytes)
      const l = this.limits;
      for (let i = 0; i < l.maxPending; i++) {
        this.#slots.push({ key: null, total: 0, received: 0, firstAt: 0, tag: -1, used: 0, off: new Int32Array(l.maxSegments), len: new Int32Array(l.maxSegments), slab: new Uint8Array(l.maxMessageBytes) });
      }
      this.#out = new Uint8Array(l.maxMessageBytes);
    }
    let s: Slot | null = null;
    for (const x of this.#slots) if (x.key === null) { s = x; break; }
    if (!s) {
      let oldest = this.#slots[0]!;
      for (const x of this.#slots) if (x.firstAt < oldest.firstAt) oldest = x;
      this.#evict(oldest, 'capacity');
      s = oldest;
    }
    s.key = key; s.total = total; s.received = 0; s.firstAt = now; s.tag = -1; s.used = 0;
    s.off.fill(-1);
    this.#u.pending++;
    if (this.#u.pending > this.#u.highPending) this.#u.highPending = this.#u.pending;
    return s;
  }

  #evict(s: Slot, reason: EvictReason): void {
    const key = s.key!, received = s.received, total = s.total;
    this.#free(s);
    if (reason === 'timeout') this.#u.evictedTimeout++; else this.#u.evictedCapacity++;
    this.#onEvict?.(key, reason, received, total);
  }

  #free(s: Slot): void {
    this.#u.bytes -= s.used;
    this.#u.pending--;
    s.key = null;
    s.used = 0;
    s.received = 0;
  }
}
