/**
 * Power-fail-safe record store: one named record kept in two slots, each a Storage blob
 * (`<name>.a`, `<name>.b`). A commit writes the complete new record into the older (or invalid)
 * slot and syncs it; only then does it count. Load reads both slots and returns the payload of
 * the newest valid one. A power cut at any point (before, during or after any write, including a
 * torn write of any length) therefore leaves either the new record or the previous one readable,
 * never a mix and never nothing (once one commit has completed).
 *
 * Why two blobs rather than two fixed offsets in one blob: the layout then does not depend on the
 * configured payload bound (a firmware update that changes `maxPayload` can still read old
 * records), no sparse pre-allocation is needed, and each slot is only as large as its record.
 *
 * Slot layout (big-endian), format version 1 — persisted, never change in place:
 *
 * | offset | size | field |
 * |-------:|-----:|-------|
 * | 0  | 4 | magic `DMRS` (0x44 0x4D 0x52 0x53) |
 * | 4  | 2 | slot format version (1) |
 * | 6  | 2 | reserved, 0 |
 * | 8  | 4 | sequence number (uint32, +1 per commit, compared modulo 2^32) |
 * | 12 | 4 | payload length in bytes |
 * | 16 | 4 | CRC-32 (IEEE) over bytes 0..15 and the payload |
 * | 20 | n | payload |
 *
 * Write order inside a slot: payload first, then the header, then `sync()`. The CRC covers the
 * header fields too, so a header that is only partly new never validates.
 */
import { crc32 } from '../crypto/crc32';
import { LimitError } from '../errors';
import type { Blob, Storage } from '../platform';
import { PlatformError } from '../platform';

/** Slot header size in bytes. */
export const RECORD_HEADER_SIZE = 20;
/** Slot format version written by this code. */
export const RECORD_FORMAT_VERSION = 1;
/** Magic at the start of every slot ("DMRS"). */
export const RECORD_MAGIC = 0x444d5253;
/** Default bound on a record payload in bytes (1 MiB). */
export const DEFAULT_MAX_RECORD_PAYLOAD = 1048576;

/** Options of a record store. */
export interface RecordStoreOptions {
  /** Largest payload accepted by `commit` and believed by `load`, bytes. Default `DEFAULT_MAX_RECORD_PAYLOAD`. */
  maxPayload?: number;
}

/** Where a slot stands after `load()`. */
export interface SlotState {
  /** True when the slot's header is well-formed (and, for the slot loaded, its CRC verified).
   *  The payload of an older slot is not read, so its CRC is not checked. */
  valid: boolean;
  /** Its sequence number (meaningful when valid). */
  seq: number;
  /** Payload length (meaningful when valid). */
  length: number;
}

/** What `load()` found (for diagnostics and tests). */
export interface RecordLoadInfo {
  slots: [SlotState, SlotState];
  /** Index (0 = `.a`, 1 = `.b`) of the slot loaded, or -1 when none was valid. */
  loaded: number;
}

const SUFFIX = ['.a', '.b'] as const;

/** a is newer than b in serial-number arithmetic (RFC 1982 style, 32 bits). */
function newer(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

export class RecordStore {
  /** Base name of the record (the slots are `<name>.a` and `<name>.b`). */
  readonly name: string;
  /** Payload bound in bytes. */
  readonly maxPayload: number;
  readonly #storage: Storage;
  /** Sequence number of the newest valid record (0 before the first commit). */
  #seq = 0;
  /** Slot that holds the newest valid record, or -1 when none. */
  #current = -1;
  /** True once `load()` ran (commit() loads first when it has not). */
  #loaded = false;
  #info: RecordLoadInfo = { slots: [{ valid: false, seq: 0, length: 0 }, { valid: false, seq: 0, length: 0 }], loaded: -1 };

  constructor(storage: Storage, name: string, opts: RecordStoreOptions = {}) {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new TypeError(`name: must match [A-Za-z0-9._-]+, got "${name}"`);
    const max = opts.maxPayload ?? DEFAULT_MAX_RECORD_PAYLOAD;
    if (!Number.isInteger(max) || max <= 0 || max > 0x7fffffff) throw new RangeError(`maxPayload: must be a positive integer below 2^31, got ${max}`);
    this.#storage = storage;
    this.name = name;
    this.maxPayload = max;
  }

  /** Sequence number of the newest committed record (0 when none). */
  get seq(): number {
    return this.#seq;
  }

  /** Diagnostics of the last `load()`. */
  get info(): RecordLoadInfo {
    return this.#info;
  }

  /**
   * Reads both slots and returns a copy of the newest valid payload, or null when neither slot
   * is valid (fresh device, or nothing ever committed). Throws PlatformError only for I/O
   * failures other than a missing blob.
   */
  load(): Uint8Array | null {
    const states: [SlotState, SlotState] = [this.#readHeader(0), this.#readHeader(1)];
    // Validate in order of preference (newest first), reading each payload at most once.
    const order = [0, 1].filter((i) => states[i]!.valid).sort((a, b) => (newer(states[a]!.seq, states[b]!.seq) ? -1 : 1));
    let payload: Uint8Array | null = null;
    let loaded = -1;
    for (const i of order) {
      const p = this.#readPayload(i, states[i]!);
      if (p) { payload = p; loaded = i; break; }
      states[i]!.valid = false;
    }
    this.#info = { slots: states, loaded };
    this.#current = loaded;
    this.#seq = loaded >= 0 ? states[loaded]!.seq : 0;
    this.#loaded = true;
    return payload;
  }

  /**
   * Makes `payload` the new record: written to the slot not holding the newest valid record,
   * synced, then counted. On a thrown PlatformError (EIO, ENOSPC…) the previous record stays the
   * current one and the next commit targets the same slot again.
   * Throws LimitError('maxPayload') when the payload exceeds the bound (nothing is written).
   */
  commit(payload: Uint8Array): void {
    if (payload.length > this.maxPayload) throw new LimitError('maxPayload', `record "${this.name}" payload of ${payload.length} bytes exceeds ${this.maxPayload}`);
    if (!this.#loaded) this.load();
    const slot = this.#current === 0 ? 1 : 0;
    const seq = (this.#seq + 1) >>> 0;
    const hdr = new Uint8Array(RECORD_HEADER_SIZE);
    const dv = new DataView(hdr.buffer);
    dv.setUint32(0, RECORD_MAGIC);
    dv.setUint16(4, RECORD_FORMAT_VERSION);
    dv.setUint16(6, 0);
    dv.setUint32(8, seq);
    dv.setUint32(12, payload.length);
    dv.setUint32(16, crc32(payload, crc32(hdr.subarray(0, 16))));
    const blob = this.#storage.open(this.name + SUFFIX[slot], true);
    try {
      blob.write(RECORD_HEADER_SIZE, payload);
      blob.write(0, hdr);
      blob.sync();
    } finally {
      blob.close();
    }
    this.#current = slot;
    this.#seq = seq;
    const st = this.#info.slots[slot];
    st.valid = true; st.seq = seq; st.length = payload.length;
    this.#info.loaded = slot;
  }

  /** Removes both slots (factory reset). */
  erase(): void {
    for (const s of SUFFIX) this.#storage.remove(this.name + s);
    this.#current = -1;
    this.#seq = 0;
    this.#info = { slots: [{ valid: false, seq: 0, length: 0 }, { valid: false, seq: 0, length: 0 }], loaded: -1 };
  }

  #open(slot: number): Blob | null {
    const n = this.name + SUFFIX[slot];
    if (!this.#storage.exists(n)) return null;
    try {
      return this.#storage.open(n, false);
    } catch (e) {
      if (e instanceof PlatformError && e.code === 'ENOENT') return null;
      throw e;
    }
  }

  #readHeader(slot: number): SlotState {
    const bad: SlotState = { valid: false, seq: 0, length: 0 };
    const blob = this.#open(slot);
    if (!blob) return bad;
    try {
      const hdr = new Uint8Array(RECORD_HEADER_SIZE);
      if (blob.read(0, hdr) !== RECORD_HEADER_SIZE) return bad;
      const dv = new DataView(hdr.buffer);
      if (dv.getUint32(0) !== RECORD_MAGIC || dv.getUint16(4) !== RECORD_FORMAT_VERSION) return bad;
      const length = dv.getUint32(12);
      // A length beyond the bound (or beyond the blob) can only be garbage: never allocate for it.
      if (length > this.maxPayload || RECORD_HEADER_SIZE + length > blob.size()) return bad;
      return { valid: true, seq: dv.getUint32(8), length };
    } finally {
      blob.close();
    }
  }

  /** Reads and CRC-checks a slot's payload; null when it does not verify. */
  #readPayload(slot: number, st: SlotState): Uint8Array | null {
    const blob = this.#open(slot);
    if (!blob) return null;
    try {
      const hdr = new Uint8Array(RECORD_HEADER_SIZE);
      const payload = new Uint8Array(st.length);
      if (blob.read(0, hdr) !== RECORD_HEADER_SIZE || blob.read(RECORD_HEADER_SIZE, payload) !== st.length) return null;
      const want = new DataView(hdr.buffer).getUint32(16);
      return crc32(payload, crc32(hdr.subarray(0, 16))) === want ? payload : null;
    } finally {
      blob.close();
    }
  }
}
