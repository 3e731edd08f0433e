/**
 * Firmware slots on flash: the device interface FUMO needs (NativeFlash over the N-API/QuickJS
 * binding or the pure-TS fake satisfy it), the A/B slot layout, and a block-buffered writer that
 * streams a package into a slot one erase block at a time (erase, program, sync) with fixed memory:
 * one erase-block buffer, allocated once.
 */
import { PlatformError } from '../platform';

/** What FUMO uses of a flash device (src/native/Flash.ts `NativeFlash` has this shape). */
export interface FlashDevice {
  /** Usable bytes. */
  readonly size: number;
  /** Erase-block size in bytes. */
  readonly eraseSize: number;
  /** Program-page size in bytes (writes are page-aligned in offset and length). */
  readonly pageSize: number;
  /** Erases block `block` (0-based) to 0xFF. */
  erase(block: number): void;
  /** Programs `data` (at most one erase block, page-aligned) at `offset`. */
  write(offset: number, data: Uint8Array): void;
  /** Reads into `dst` from `offset`; returns the count. */
  read(offset: number, dst: Uint8Array): number;
  /** Makes completed writes durable. */
  sync(): void;
}

/** One firmware slot: a byte range of the flash device, erase-block aligned. */
export interface SlotLayout {
  /** Byte offset on the device (multiple of the erase size). */
  offset: number;
  /** Bytes (multiple of the erase size). */
  size: number;
}

/** Checks an A/B layout against a device; RangeError naming the field. */
export function checkSlots(flash: FlashDevice, slots: readonly SlotLayout[]): void {
  if (slots.length !== 2) throw new RangeError(`slots: exactly two (A and B) expected, got ${slots.length}`);
  const e = flash.eraseSize;
  if (!Number.isInteger(e) || e <= 0 || e % flash.pageSize !== 0) throw new RangeError(`flash.eraseSize: ${e} is not a multiple of the page size ${flash.pageSize}`);
  slots.forEach((s, i) => {
    if (!Number.isInteger(s.offset) || s.offset < 0 || s.offset % e !== 0) throw new RangeError(`slots[${i}].offset: ${s.offset} must be a multiple of the erase size ${e}`);
    if (!Number.isInteger(s.size) || s.size <= 0 || s.size % e !== 0) throw new RangeError(`slots[${i}].size: ${s.size} must be a positive multiple of the erase size ${e}`);
    if (s.offset + s.size > flash.size) throw new RangeError(`slots[${i}]: ends at ${s.offset + s.size}, beyond the device size ${flash.size}`);
  });
  const [a, b] = slots as [SlotLayout, SlotLayout];
  if (a.offset < b.offset + b.size && b.offset < a.offset + a.size) throw new RangeError('slots: A and B overlap');
}

/**
 * Streams bytes into a slot. Bytes are buffered up to one erase block; a full block is erased,
 * programmed and synced in one bounded step, then `onDurable(offset)` reports the new durable
 * length (a multiple of the erase size, or the final length after `finish`). Flash failures are
 * thrown as PlatformError (the caller maps them to a FUMO result).
 */
export class SlotWriter {
  readonly #flash: FlashDevice;
  readonly #slot: SlotLayout;
  /** One erase block of staging memory. */
  readonly #buf: Uint8Array;
  /** Bytes staged in `#buf`. */
  #fill = 0;
  /** Bytes durable in the slot (block-aligned until `finish`). */
  #durable = 0;
  /** Called after each durable block with the new durable length. */
  onDurable: ((durable: number) => void) | null = null;

  /** `buffer` (optional, reused across writers): at least one erase block of staging memory. */
  constructor(flash: FlashDevice, slot: SlotLayout, buffer?: Uint8Array) {
    this.#flash = flash;
    this.#slot = slot;
    if (buffer !== undefined && buffer.length < flash.eraseSize) throw new RangeError(`buffer: at least ${flash.eraseSize} bytes`);
    this.#buf = buffer ? buffer.subarray(0, flash.eraseSize) : new Uint8Array(flash.eraseSize);
  }

  /** Slot capacity in bytes. */
  get capacity(): number {
    return this.#slot.size;
  }

  /** Bytes accepted so far (durable + staged). */
  get position(): number {
    return this.#durable + this.#fill;
  }

  /** Bytes durable on flash. */
  get durable(): number {
    return this.#durable;
  }

  /** Starts (or restarts) writing at `at`, which must be a multiple of the erase size. */
  begin(at: number): void {
    if (!Number.isInteger(at) || at < 0 || at % this.#buf.length !== 0 || at > this.#slot.size) {
      throw new RangeError(`at: ${at} must be an erase-block multiple within the slot`);
    }
    this.#durable = at;
    this.#fill = 0;
  }

  /** Accepts bytes; false (nothing more accepted) when they would overflow the slot. */
  write(chunk: Uint8Array): boolean {
    if (this.position + chunk.length > this.#slot.size) return false;
    let p = 0;
    while (p < chunk.length) {
      const take = Math.min(this.#buf.length - this.#fill, chunk.length - p);
      this.#buf.set(chunk.subarray(p, p + take), this.#fill);
      this.#fill += take;
      p += take;
      if (this.#fill === this.#buf.length) this.#flush();
    }
    return true;
  }

  /** Writes the staged tail (padded with 0xFF to a page multiple); the durable length is then exact. */
  finish(): void {
    if (this.#fill > 0) this.#flush();
  }

  #flush(): void {
    const n = this.#fill;
    const page = this.#flash.pageSize;
    const padded = Math.ceil(n / page) * page;
    this.#buf.fill(0xff, n, padded);
    const off = this.#slot.offset + this.#durable;
    this.#flash.erase(off / this.#buf.length);
    this.#flash.write(off, this.#buf.subarray(0, padded));
    this.#flash.sync();
    this.#durable += n;
    this.#fill = 0;
    this.onDurable?.(this.#durable);
  }
}

/** Reads `dst.length` bytes of a slot at `at` (within the slot); throws PlatformError on a short read. */
export function readSlot(flash: FlashDevice, slot: SlotLayout, at: number, dst: Uint8Array): void {
  if (at < 0 || at + dst.length > slot.size) throw new RangeError(`readSlot: ${at}+${dst.length} outside the slot`);
  const n = flash.read(slot.offset + at, dst);
  if (n !== dst.length) throw new PlatformError('EIO', `short flash read at ${slot.offset + at}: ${n} of ${dst.length}`);
}
