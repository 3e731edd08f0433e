/**
 * A pure-TypeScript stand-in for the flash part of the native binding, for portable tests (Node and
 * QuickJS, no addon): in-memory images with the same semantics as native/core/flash.c —
 *   'sim' (NOR): erased = 0xFF, programming may only clear bits (a 1 over a 0 → -EIO, nothing written),
 *   'sim-nand': a page is programmed once per erase; both page-aligned, at most one erase block per write,
 *   power cut after operation `nth` with `tearBytes` of it on the medium;
 *   'file': no rules, erase writes 0xFF, any alignment.
 * Differences, by necessity: 'block' and 'mtd' do not exist (-ENODEV); the DM_FLASH_SIM_FAULT
 * environment variable is not read; a cut in 'exit' mode throws `FakePowerCut` instead of ending the
 * process (it unwinds the caller like a power loss would; reopen the path to "reboot").
 * test/native/fake-parity.test.ts runs the same operation scripts against this fake and the addon.
 */
import type { FlashBinding, NativeBuffer, NativeConstants, NativeErrnoTable } from './binding';
import { NATIVE_ABI } from './binding';

/** Linux errno values (asm-generic: the same on x86-64, arm and arm64). */
export const FAKE_ERRNO: NativeErrnoTable = Object.freeze({
  EPERM: 1, ENOENT: 2, EINTR: 4, EIO: 5, ENXIO: 6, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EBUSY: 16,
  EEXIST: 17, EXDEV: 18, ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOTTY: 25,
  EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30, EPIPE: 32, ERANGE: 34, ENAMETOOLONG: 36, ENOSYS: 38, ENOTEMPTY: 39,
  ELOOP: 40, EPROTO: 71, EBADMSG: 74, EOVERFLOW: 75, EMSGSIZE: 90, ENOTSUP: 95, EADDRINUSE: 98, EADDRNOTAVAIL: 99,
  ENETUNREACH: 101, ECONNRESET: 104, ENOBUFS: 105, ETIMEDOUT: 110, ECONNREFUSED: 111, EALREADY: 114, EINPROGRESS: 115,
  ECANCELED: 125, EUCLEAN: 117,
});

/** The constants of native/core/dm_native.h (the parity test compares them with the addon's). */
export const FAKE_CONSTANTS: NativeConstants = Object.freeze({
  ABI: NATIVE_ABI, STR_MAX: 1023, MAX_SMS: 2, MAX_WDP: 2, MAX_FLASH: 4, MAX_FILE: 16,
  SMS_STORED: 1, SMS_ACK: 2, SMS_KEEP_SPEED: 4, SMS_PDU_MAX: 192, SMS_DEFAULT_TIMEOUT_MS: 5000,
  SMS_MAX_TIMEOUT_MS: 600000, SMS_MAX_TRIES: 3,
  SMS_STAT_PDUS: 0, SMS_STAT_BAD_PDU: 1, SMS_STAT_OVERLONG: 2, SMS_STAT_IGNORED: 3, SMS_STAT_ERRORS: 4,
  SMS_STAT_TIMEOUTS: 5, SMS_STAT_DROPPED: 6, SMS_STAT_ACKS: 7, SMS_STAT_STATE: 8, SMS_STAT_STORED_MODE: 9,
  SMS_STAT_ACK_MODE: 10, SMS_STAT_RETRIES: 11, SMS_STAT_COUNT: 12,
  WDP_PORT: 2948, WDP_LOOPBACK: 1, WDP_MAX_DATAGRAM: 1500,
  FLASH_FILE: 0, FLASH_BLOCK: 1, FLASH_MTD: 2, FLASH_SIM: 3, FLASH_SIM_NAND: 4,
  FLASH_INFO_SIZE: 0, FLASH_INFO_ERASE: 1, FLASH_INFO_PAGE: 2, FLASH_INFO_KIND: 3, FLASH_INFO_FLAGS: 4,
  FLASH_INFO_SIM_OPS: 5, FLASH_INFO_COUNT: 6, FLASH_INFO_F_VERIFY: 1, FLASH_INFO_F_ALIGNED: 2, FLASH_INFO_F_DEAD: 4,
  FLASH_MAX_ERASE: 16 * 1024 * 1024, SIM_FAULT_EIO: 1, SIM_FAULT_ERASE: 2, SIM_EXIT_CODE: 86,
  FILE_WRITE: 1, FILE_CREATE: 2, FILE_TRUNC: 4, FILE_EXCL: 8,
});

/** Thrown by the fake where the real simulator would `_exit(SIM_EXIT_CODE)`. */
export class FakePowerCut extends Error {
  override readonly name = 'FakePowerCut';
  /** The image that lost power. */
  readonly path: string;
  constructor(path: string) {
    super(`simulated power cut on ${path}`);
    this.path = path;
  }
}

/** Persistent images by path: what survives closing and reopening (a "reboot"). */
export class FakeFlashMedia {
  /** path → image bytes */
  readonly images = new Map<string, Uint8Array>();
  /** The image at `path` (the live bytes, not a copy), if any. */
  image(path: string): Uint8Array | undefined {
    return this.images.get(path);
  }
}

const E = FAKE_ERRNO;
const C = FAKE_CONSTANTS;
const KIND_FLASH = 3; /* handle kind bits, as in native/core/ctx.c */

interface Dev {
  path: string;
  img: Uint8Array;
  kind: number;
  size: number;
  erase: number;
  page: number;
  ops: number;
  nth: number;
  tear: number;
  flags: number;
  dead: boolean;
}

function bytesOf(buf: NativeBuffer, off: number, len: number): Uint8Array {
  const u = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  if (!Number.isInteger(off) || !Number.isInteger(len) || off < 0 || len < 0 || off + len > u.length) {
    throw new RangeError('array buffer overflow (offset + length > size)');
  }
  return u.subarray(off, off + len);
}

function u32arg(v: number, fn: string, i: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new TypeError(`${fn}: argument ${i} must be an integer in [0, 2^32-1]`);
  }
  return v;
}

/** The flash functions of the binding, in memory. */
export class FakeFlashBinding implements FlashBinding {
  readonly constants: NativeConstants = C;
  readonly errno: NativeErrnoTable = E;
  readonly media: FakeFlashMedia;
  readonly #slots: (Dev | null)[] = new Array<Dev | null>(C.MAX_FLASH).fill(null);
  readonly #gen: number[] = new Array<number>(C.MAX_FLASH).fill(0);

  constructor(media: FakeFlashMedia = new FakeFlashMedia()) {
    this.media = media;
  }

  #dev(h: number): Dev | null {
    const slot = h & 0xff;
    if (((h >>> 24) & 0x7f) !== KIND_FLASH || h < 0 || slot >= C.MAX_FLASH) return null;
    const d = this.#slots[slot];
    return d && this.#gen[slot] === ((h >>> 8) & 0xffff) ? d : null;
  }

  flashOpen(path: string, kind: number, erase: number, page: number, size: number): number {
    if (typeof path !== 'string') throw new TypeError('flashOpen: argument 1 must be a string');
    [kind, erase, page, size].forEach((v, i) => u32arg(v, 'flashOpen', i + 2));
    if (kind > C.FLASH_SIM_NAND || erase > C.FLASH_MAX_ERASE || page > C.FLASH_MAX_ERASE) return -E.EINVAL!;
    if (kind === C.FLASH_BLOCK || kind === C.FLASH_MTD) return -E.ENODEV!;
    const slot = this.#slots.indexOf(null);
    if (slot < 0) return -E.EMFILE!;
    const sim = kind === C.FLASH_SIM || kind === C.FLASH_SIM_NAND;
    erase = erase || (sim ? 4096 : 65536);
    page = page || (sim ? 256 : 1);
    let img = this.media.images.get(path);
    if (sim) {
      if (erase % page !== 0) return -E.EINVAL!;
      if (!img || img.length === 0) {
        if (size === 0 || size % erase !== 0) return -E.EINVAL!;
        img = new Uint8Array(size).fill(0xff);
        this.media.images.set(path, img);
      } else if (size === 0) {
        size = img.length;
      } else if (img.length !== size) {
        return -E.EINVAL!;
      }
    } else {
      if (!img) {
        if (size === 0) return -E.ENOENT!;
        img = new Uint8Array(size);
        this.media.images.set(path, img);
      } else if (img.length < size) {
        const bigger = new Uint8Array(size);
        bigger.set(img);
        img = bigger;
        this.media.images.set(path, img);
      }
      if (size === 0) size = img.length - (img.length % erase);
    }
    if (erase % page !== 0 || size === 0 || size % erase !== 0) return -E.EINVAL!;
    this.#slots[slot] = { path, img, kind, size, erase, page, ops: 0, nth: 0, tear: 0, flags: 0, dead: false };
    this.#gen[slot] = (this.#gen[slot]! + 1) & 0xffff || 1;
    return (KIND_FLASH << 24) | (this.#gen[slot]! << 8) | slot;
  }

  flashInfo(h: number, buf: NativeBuffer, off: number, len: number): number {
    const out = bytesOf(buf, off, len);
    const d = this.#dev(h);
    if (!d) return -E.EBADF!;
    const sim = d.kind === C.FLASH_SIM || d.kind === C.FLASH_SIM_NAND;
    const flags = (sim ? C.FLASH_INFO_F_VERIFY | C.FLASH_INFO_F_ALIGNED : 0) | (d.dead ? C.FLASH_INFO_F_DEAD : 0);
    const v = [d.size, d.erase, d.page, d.kind, flags, sim ? d.ops : 0];
    const n = Math.min(Math.floor(out.length / 4), C.FLASH_INFO_COUNT);
    for (let k = 0; k < n; k++) {
      const x = v[k]!;
      out[4 * k] = x & 0xff;
      out[4 * k + 1] = (x >>> 8) & 0xff;
      out[4 * k + 2] = (x >>> 16) & 0xff;
      out[4 * k + 3] = (x >>> 24) & 0xff;
    }
    return n * 4;
  }

  #live(h: number): Dev | number {
    const d = this.#dev(h);
    if (!d) return -E.EBADF!;
    return d.dead ? -E.EIO! : d;
  }

  #isSim(d: Dev): boolean {
    return d.kind === C.FLASH_SIM || d.kind === C.FLASH_SIM_NAND;
  }

  /** Counts one simulated operation; true when it is the one to cut. */
  #op(d: Dev): boolean {
    d.ops++;
    return d.nth !== 0 && d.ops === d.nth;
  }

  #cut(d: Dev): number {
    d.nth = 0;
    d.dead = true;
    if ((d.flags & C.SIM_FAULT_EIO) === 0) throw new FakePowerCut(d.path);
    return -E.EIO!;
  }

  flashErase(h: number, block: number): number {
    u32arg(block, 'flashErase', 2);
    const d = this.#live(h);
    if (typeof d === 'number') return d;
    if (block >= d.size / d.erase) return -E.EINVAL!;
    const off = block * d.erase;
    if (this.#isSim(d) && (d.flags & C.SIM_FAULT_ERASE) !== 0 && this.#op(d)) {
      d.img.fill(0xff, off, off + Math.min(d.tear, d.erase));
      return this.#cut(d);
    }
    d.img.fill(0xff, off, off + d.erase);
    return 0;
  }

  flashWrite(h: number, offset: number, buf: NativeBuffer, off: number, len: number): number {
    u32arg(offset, 'flashWrite', 2);
    const src = bytesOf(buf, off, len);
    const d = this.#live(h);
    if (typeof d === 'number') return d;
    if (len === 0) return 0;
    if (len > d.erase || offset + len > d.size) return -E.EINVAL!;
    if (!this.#isSim(d)) {
      d.img.set(src, offset);
      return len;
    }
    if (offset % d.page !== 0 || len % d.page !== 0) return -E.EINVAL!;
    const nand = d.kind === C.FLASH_SIM_NAND;
    for (let i = 0; i < len; i++) {
      const old = d.img[offset + i]!;
      if (nand ? old !== 0xff : (old & src[i]!) !== src[i]) return -E.EIO!;
    }
    for (let p = 0; p < len; p += d.page) {
      if (this.#op(d)) {
        d.img.set(src.subarray(p, p + Math.min(d.tear, d.page)), offset + p);
        return this.#cut(d);
      }
      d.img.set(src.subarray(p, p + d.page), offset + p);
    }
    return len;
  }

  flashRead(h: number, offset: number, buf: NativeBuffer, off: number, len: number): number {
    u32arg(offset, 'flashRead', 2);
    const dst = bytesOf(buf, off, len);
    const d = this.#live(h);
    if (typeof d === 'number') return d;
    if (offset > d.size) return -E.EINVAL!;
    const n = Math.min(len, d.size - offset);
    dst.set(d.img.subarray(offset, offset + n));
    return n;
  }

  flashSync(h: number): number {
    const d = this.#live(h);
    return typeof d === 'number' ? d : 0;
  }

  flashSimFault(h: number, nth: number, tearBytes: number, flags: number): number {
    [nth, tearBytes, flags].forEach((v, i) => u32arg(v, 'flashSimFault', i + 2));
    const d = this.#dev(h);
    if (!d) return -E.EBADF!;
    if (!this.#isSim(d)) return -E.ENOTSUP!;
    if ((flags & ~(C.SIM_FAULT_EIO | C.SIM_FAULT_ERASE)) !== 0) return -E.EINVAL!;
    d.nth = nth;
    d.tear = tearBytes;
    d.flags = flags;
    d.ops = 0;
    return 0;
  }

  close(h: number): number {
    u32arg(h, 'close', 1);
    if (((h >>> 24) & 0x7f) !== KIND_FLASH || (h & 0xff) >= C.MAX_FLASH || ((h >>> 8) & 0xffff) === 0) return -E.EBADF!;
    const d = this.#dev(h);
    if (d) this.#slots[h & 0xff] = null;
    return 0;
  }
}
