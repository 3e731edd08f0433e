/**
 * A flash device over the native binding (or the pure-TS fake): typed errors, argument checks before
 * the native call, bounded work per call (one erase block per erase, at most one erase block per
 * write) so an engine step stays short on single-threaded QuickJS.
 *
 * Error tiers: misuse (offset past the end, unaligned write on an aligned kind, more than one erase
 * block, a closed device) throws TypeError/RangeError naming the argument; device failures throw
 * PlatformError with the errno name as `code` (EIO for a NOR/NAND rule violation, a failed
 * read-back verify or a simulated power cut; ENOSPC; ENOENT...).
 */
import type { FlashBinding } from './binding';
import { NativeErrors } from './errors';

/** Backend kinds (native FLASH_*). */
export type FlashKind = 'file' | 'block' | 'mtd' | 'sim' | 'sim-nand';

export interface FlashOpenOptions {
  /**
   * 'file': plain file (pwrite + fdatasync; erase writes 0xFF); 'block': block device / eMMC partition;
   * 'mtd': Linux MTD char device; 'sim': file emulating NOR (erased 0xFF, programming only clears bits);
   * 'sim-nand': like sim, and a page is programmed once per erase.
   */
  kind: FlashKind;
  /** Erase-block size in bytes. Default: from the device (mtd), else 4096 (sim) / 65536 (file, block). */
  eraseSize?: number;
  /** Write-page size in bytes. Default: from the device (mtd), 256 (sim), logical sector (block), 1 (file). */
  pageSize?: number;
  /** Usable size in bytes. Default: the device or existing file. Required to create a sim image or a file. */
  size?: number;
}

/** Geometry and state of an open device. */
export interface FlashInfo {
  kind: FlashKind;
  /** Usable bytes (a multiple of eraseSize, < 4 GiB). */
  size: number;
  /** Erase-block size in bytes. */
  eraseSize: number;
  /** Write-page size in bytes (1 = any alignment). */
  pageSize: number;
  /** Writes are read back and compared. */
  verify: boolean;
  /** Writes must be page-aligned in offset and length. */
  aligned: boolean;
  /** A simulated power cut happened: every I/O fails with EIO until the device is reopened. */
  dead: boolean;
  /** Simulator: operations counted since open or the last `simFault()` (page programs, + erases if counted). */
  simOps: number;
}

/**
 * Simulated power cut (sim kinds only): operation number `nth` (1-based page program, or erase with
 * `countErases`) reaches the medium only for its first `tearBytes` bytes, then the power goes.
 * `mode: 'exit'` ends the process at once with exit status `constants.SIM_EXIT_CODE` (for fault tests
 * that run the writer in a child process); `'eio'` makes that call throw EIO and every later I/O too,
 * until the device is reopened. "Stop after N page programs" is `{ nth: N + 1, tearBytes: 0 }`.
 * The same can be armed from outside the process with the environment variable
 * DM_FLASH_SIM_FAULT="nth[,tearBytes[,flags]]" (flags: 1 = eio, 2 = count erases), read at open.
 */
export interface SimFault {
  nth: number;
  /** Bytes of the cut operation that still reach the medium (default 0). */
  tearBytes?: number;
  /** Default 'exit'. */
  mode?: 'exit' | 'eio';
  /** Count erases as operations too (default false). */
  countErases?: boolean;
}

const KINDS: readonly FlashKind[] = ['file', 'block', 'mtd', 'sim', 'sim-nand'];

function u32(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${name} must be an integer in [0, 2^32-1], got ${String(v)}`);
  return v;
}

/** One open flash device (any backend). Not re-entrant; every call is bounded (see the file comment). */
export class NativeFlash {
  readonly #b: FlashBinding;
  readonly #err: NativeErrors;
  readonly #path: string;
  /** native handle; 0 once closed */
  #h: number;
  /** geometry read at open (it never changes while open) */
  readonly #size: number;
  readonly #erase: number;
  readonly #page: number;
  readonly #aligned: boolean;
  /** scratch for flashInfo */
  readonly #info = new Uint8Array(4 * 8);

  private constructor(b: FlashBinding, path: string, h: number) {
    this.#b = b;
    this.#err = new NativeErrors(b.errno);
    this.#path = path;
    this.#h = h;
    const i = this.info();
    this.#size = i.size;
    this.#erase = i.eraseSize;
    this.#page = i.pageSize;
    this.#aligned = i.aligned;
  }

  /** Opens `path` as a flash device of the given kind. Throws PlatformError (ENOENT, EINVAL, ENODEV...). */
  static open(b: FlashBinding, path: string, opts: FlashOpenOptions): NativeFlash {
    const c = b.constants;
    const kinds = [c.FLASH_FILE, c.FLASH_BLOCK, c.FLASH_MTD, c.FLASH_SIM, c.FLASH_SIM_NAND];
    const k = KINDS.indexOf(opts.kind);
    if (k < 0) throw new TypeError(`opts.kind must be one of ${KINDS.join(', ')}`);
    const h = b.flashOpen(path, kinds[k]!, u32(opts.eraseSize ?? 0, 'opts.eraseSize'), u32(opts.pageSize ?? 0, 'opts.pageSize'),
      u32(opts.size ?? 0, 'opts.size'));
    new NativeErrors(b.errno).check(h, `flash open ${path}`);
    return new NativeFlash(b, path, h);
  }

  /** Usable size in bytes. */
  get size(): number { return this.#size; }
  /** Erase-block size in bytes. */
  get eraseSize(): number { return this.#erase; }
  /** Write-page size in bytes. */
  get pageSize(): number { return this.#page; }
  /** Number of erase blocks. */
  get blocks(): number { return this.#size / this.#erase; }

  #handle(what: string): number {
    if (this.#h === 0) throw new TypeError(`flash ${this.#path} is closed (${what})`);
    return this.#h;
  }

  /** Current geometry and state. */
  info(): FlashInfo {
    const c = this.#b.constants;
    const n = this.#b.flashInfo(this.#handle('info'), this.#info, 0, this.#info.length);
    this.#err.check(n, `flash info ${this.#path}`);
    const v = new DataView(this.#info.buffer, this.#info.byteOffset, n);
    const get = (i: number): number => v.getUint32(4 * i, true);
    const kindNo = get(c.FLASH_INFO_KIND);
    const kinds = [c.FLASH_FILE, c.FLASH_BLOCK, c.FLASH_MTD, c.FLASH_SIM, c.FLASH_SIM_NAND];
    const flags = get(c.FLASH_INFO_FLAGS);
    return {
      kind: KINDS[kinds.indexOf(kindNo)] ?? 'file',
      size: get(c.FLASH_INFO_SIZE),
      eraseSize: get(c.FLASH_INFO_ERASE),
      pageSize: get(c.FLASH_INFO_PAGE),
      verify: (flags & c.FLASH_INFO_F_VERIFY) !== 0,
      aligned: (flags & c.FLASH_INFO_F_ALIGNED) !== 0,
      dead: (flags & c.FLASH_INFO_F_DEAD) !== 0,
      simOps: get(c.FLASH_INFO_SIM_OPS),
    };
  }

  /** Erases erase block `block` (0-based): afterwards it reads 0xFF. */
  erase(block: number): void {
    const h = this.#handle('erase');
    if (!Number.isInteger(block) || block < 0 || block >= this.blocks) {
      throw new RangeError(`block must be an integer in [0, ${this.blocks - 1}], got ${String(block)}`);
    }
    this.#err.check(this.#b.flashErase(h, block), `flash erase block ${block} of ${this.#path}`);
  }

  /** Writes all of `data` at `offset` (at most one erase block; page-aligned on aligned kinds). */
  write(offset: number, data: Uint8Array): void {
    const h = this.#handle('write');
    this.#range(offset, data.length, 'data.length');
    if (data.length > this.#erase) throw new RangeError(`data.length ${data.length} exceeds one erase block (${this.#erase})`);
    if (this.#aligned && (offset % this.#page !== 0 || data.length % this.#page !== 0)) {
      throw new RangeError(`offset ${offset} and data.length ${data.length} must be multiples of the page size ${this.#page}`);
    }
    this.#err.check(this.#b.flashWrite(h, offset, data, 0, data.length), `flash write at ${offset} of ${this.#path}`);
  }

  /** Reads into `dst` from `offset`; returns the count (short only at the end of the device). */
  read(offset: number, dst: Uint8Array): number {
    const h = this.#handle('read');
    if (!Number.isInteger(offset) || offset < 0 || offset > this.#size) {
      throw new RangeError(`offset must be an integer in [0, ${this.#size}], got ${String(offset)}`);
    }
    return this.#err.check(this.#b.flashRead(h, offset, dst, 0, dst.length), `flash read at ${offset} of ${this.#path}`);
  }

  /** Makes completed writes durable. */
  sync(): void {
    this.#err.check(this.#b.flashSync(this.#handle('sync')), `flash sync ${this.#path}`);
  }

  /** Arms a simulated power cut, or disarms with null (sim kinds; ENOTSUP otherwise). Resets simOps. */
  simFault(f: SimFault | null): void {
    const c = this.#b.constants;
    const h = this.#handle('simFault');
    if (f === null) {
      this.#err.check(this.#b.flashSimFault(h, 0, 0, 0), 'flash simFault');
      return;
    }
    if (!Number.isInteger(f.nth) || f.nth < 1) throw new RangeError(`fault.nth must be a positive integer, got ${String(f.nth)}`);
    const flags = (f.mode === 'eio' ? c.SIM_FAULT_EIO : 0) | (f.countErases === true ? c.SIM_FAULT_ERASE : 0);
    this.#err.check(this.#b.flashSimFault(h, u32(f.nth, 'fault.nth'), u32(f.tearBytes ?? 0, 'fault.tearBytes'), flags), 'flash simFault');
  }

  /** Releases the device. Idempotent; later calls throw TypeError. */
  close(): void {
    if (this.#h === 0) return;
    const h = this.#h;
    this.#h = 0;
    this.#b.close(h);
  }

  #range(offset: number, len: number, lenName: string): void {
    if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`offset must be a non-negative integer, got ${String(offset)}`);
    if (offset + len > this.#size) throw new RangeError(`offset ${offset} + ${lenName} ${len} exceeds the device size ${this.#size}`);
  }
}
