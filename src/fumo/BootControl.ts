/**
 * A/B boot control (`boot.rec`), u-boot bootcount style, kept in the power-fail-safe record store
 * (two slots, sequence number, CRC-32): a power cut during any write leaves the previous or the new
 * boot record, so the bootloader always finds a consistent one.
 *
 *   OS side (FUMO):     markPending(slot) → request reboot → (new firmware runs) → confirmBoot()
 *   bootloader side:    decideBoot(isValid) at every power-on, before the OS starts
 *
 * `markPending` sets the pending slot and a try counter; each boot of the pending slot decrements
 * it (`decideBoot`); the OS commits the slot with `confirmBoot` once it runs healthy. When the
 * counter is exhausted without a confirmation, or the pending image is invalid, the bootloader
 * rolls back: the pending flag is cleared, the generation is remembered in `failedGen` (FUMO then
 * reports 410), and the committed slot boots again. The boot flag flips last: the image is written
 * and verified before `markPending`.
 *
 * Payload: deterministic CBOR map (frozen: on flash). History: v1 = initial.
 *
 * | key | type | field |
 * |-----|------|-------|
 * | v   | uint | record version (1) |
 * | a   | uint | active (committed) slot: 0 = A, 1 = B |
 * | p   | int  | pending slot to try, -1 none |
 * | t   | uint | boot attempts left for the pending slot |
 * | b   | int  | slot the bootloader started last, -1 unknown |
 * | g   | uint | generation: +1 per markPending |
 * | fg  | uint | generation of the last rolled-back pending slot, 0 none |
 */
import { DecodeError } from '../errors';
import type { Storage } from '../platform';
import { RecordStore } from '../store/RecordStore';
import type { CborMap } from '../store/cbor';
import { cborDecode, cborEncode } from '../store/cbor';

/** Record format version. */
export const BOOT_RECORD_VERSION = 1;
/** Default record name in storage. */
export const BOOT_RECORD_NAME = 'boot.rec';
/** Default boot attempts of a new slot before rolling back (u-boot `bootlimit`). */
export const DEFAULT_BOOT_TRIES = 3;

/** The boot-control state. */
export interface BootState {
  /** Committed slot (0 = A, 1 = B). */
  active: number;
  /** Slot to try at the next boots, -1 none. */
  pending: number;
  /** Attempts left for the pending slot. */
  tries: number;
  /** Slot the bootloader started last, -1 unknown. */
  booted: number;
  /** Generation of the last `markPending` (0 never). */
  gen: number;
  /** Generation of the last rollback (0 never). */
  failedGen: number;
}

/** The bootloader's choice. */
export interface BootDecision {
  /** Slot to start. */
  slot: number;
  /** 'active' the committed slot; 'trial' the pending slot (one attempt used); 'rollback' the
   *  committed slot after the pending one failed; 'fallback' the other slot because the committed
   *  one is invalid (it becomes the committed slot). */
  reason: 'active' | 'trial' | 'rollback' | 'fallback';
  /** Attempts left for the pending slot after this boot. */
  triesLeft: number;
}

export interface BootControlOptions {
  /** Record name. Default `boot.rec`. */
  name?: string;
  /** Boot attempts of a pending slot. Default DEFAULT_BOOT_TRIES. */
  maxTries?: number;
}

function initial(): BootState {
  return { active: 0, pending: -1, tries: 0, booted: -1, gen: 0, failedGen: 0 };
}

function decode(p: Uint8Array): BootState {
  const m = cborDecode(p, { maxDepth: 2 }) as CborMap;
  const num = (k: string, min: number, max: number): number => {
    const v = m && typeof m === 'object' ? m[k] : undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new DecodeError('boot-record', `boot record: bad field "${k}"`, 0, -1, k);
    return v;
  };
  if (num('v', 0, 0xffff) !== BOOT_RECORD_VERSION) throw new DecodeError('boot-record-version', 'boot record: unsupported version', 0, -1, 'v');
  return { active: num('a', 0, 1), pending: num('p', -1, 1), tries: num('t', 0, 255), booted: num('b', -1, 1), gen: num('g', 0, 2 ** 32), failedGen: num('fg', 0, 2 ** 32) };
}

export class BootControl {
  readonly #rs: RecordStore;
  readonly #maxTries: number;
  #s: BootState;
  /** How the record was found: 'fresh' (none), 'loaded', or 'corrupt' (treated as fresh). */
  readonly loadState: 'fresh' | 'loaded' | 'corrupt';

  constructor(storage: Storage, opts: BootControlOptions = {}) {
    const t = opts.maxTries ?? DEFAULT_BOOT_TRIES;
    if (!Number.isInteger(t) || t < 1 || t > 255) throw new RangeError(`opts.maxTries: 1..255, got ${String(t)}`);
    this.#maxTries = t;
    this.#rs = new RecordStore(storage, opts.name ?? BOOT_RECORD_NAME, { maxPayload: 256 });
    const p = this.#rs.load();
    let how: 'fresh' | 'loaded' | 'corrupt' = 'fresh';
    let s = initial();
    if (p) {
      try {
        s = decode(p);
        how = 'loaded';
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        how = 'corrupt';
      }
    }
    this.#s = s;
    this.loadState = how;
  }

  /** A copy of the current state. */
  get state(): BootState {
    return { ...this.#s };
  }

  /** The inactive slot (the one an update writes). */
  get inactive(): number {
    return 1 - this.#s.active;
  }

  /** True when the pending flip of generation `gen` was rolled back by the bootloader. */
  rolledBack(gen: number): boolean {
    return gen !== 0 && this.#s.failedGen === gen;
  }

  // -------------------------------------------------------------------------------- OS side

  /** Marks `slot` (the inactive one) to be tried at the next boots; returns the new generation. */
  markPending(slot: number): number {
    if (slot !== 0 && slot !== 1) throw new RangeError(`slot: 0 or 1, got ${String(slot)}`);
    if (slot === this.#s.active) throw new RangeError(`slot: ${slot} is the active slot`);
    const gen = this.#s.gen + 1;
    this.#commit({ ...this.#s, pending: slot, tries: this.#maxTries, gen });
    return gen;
  }

  /** The running system is healthy: commits the pending slot if it is the one that booted.
   *  True when the slot was committed now. */
  confirmBoot(): boolean {
    const s = this.#s;
    if (s.pending < 0 || s.booted !== s.pending) return false;
    this.#commit({ ...s, active: s.pending, pending: -1, tries: 0 });
    return true;
  }

  /** Drops a pending flip that has not been committed (fail safe). True when there was one. */
  cancelPending(): boolean {
    if (this.#s.pending < 0) return false;
    this.#commit({ ...this.#s, pending: -1, tries: 0 });
    return true;
  }

  // ------------------------------------------------------------------------ bootloader side

  /**
   * Chooses the slot to boot (call once per power-on, before the OS): a pending slot with attempts
   * left and a valid image is tried (one attempt used); otherwise a pending slot is rolled back;
   * the committed slot boots when valid, else the other one when valid. Null when neither slot
   * holds a valid image (a bricked device; the tests assert this never happens).
   */
  decideBoot(isValid: (slot: number) => boolean): BootDecision | null {
    const s = { ...this.#s };
    let rolled = false;
    if (s.pending >= 0) {
      if (s.tries > 0 && isValid(s.pending)) {
        s.tries--;
        s.booted = s.pending;
        this.#commit(s);
        return { slot: s.pending, reason: 'trial', triesLeft: s.tries };
      }
      s.failedGen = s.gen;
      s.pending = -1;
      s.tries = 0;
      rolled = true;
    }
    for (const slot of [s.active, 1 - s.active]) {
      if (!isValid(slot)) continue;
      const fallback = slot !== s.active;
      s.active = slot;
      s.booted = slot;
      if (rolled || fallback || s.booted !== this.#s.booted || s.active !== this.#s.active) this.#commit(s);
      return { slot, reason: rolled ? 'rollback' : fallback ? 'fallback' : 'active', triesLeft: 0 };
    }
    if (rolled) this.#commit(s);
    return null;
  }

  #commit(s: BootState): void {
    this.#rs.commit(cborEncode({ v: BOOT_RECORD_VERSION, a: s.active, p: s.pending, t: s.tries, b: s.booted, g: s.gen, fg: s.failedGen }));
    this.#s = s;
  }
}
