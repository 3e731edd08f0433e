/**
 * The native binding (`dm_native`) as TypeScript sees it: the same list as native/exports.h, declared
 * once. Both hosts load a module of this shape: Node the N-API addon (target/node/native.ts), QuickJS
 * the C module `dm_native`. test/native/exports.test.ts checks this file against exports.h.
 *
 * Conventions (see exports.h for the full vocabulary):
 * - Every function returns a number: >= 0 on success, a negative errno (`-errno.EIO`) on failure.
 *   Use `NativeErrors.check()` (./errors) to turn that into a `PlatformError`.
 * - Misuse throws synchronously: TypeError for a wrong type (no coercion: numbers must be integers in
 *   [0, 2^32-1], strings must be strings), RangeError when `off + len` exceeds the buffer or a
 *   string is longer than `constants.STR_MAX` bytes.
 * - A buffer argument is three arguments: `(buf: Uint8Array | ArrayBuffer, off, len)`; the native
 *   side never keeps it after the call returns.
 * - Handles are positive integers; `close(h)` closes any kind and is idempotent.
 */

/** Version of the native ABI this TypeScript expects (`constants.ABI`). */
export const NATIVE_ABI = 1;

/** Environment variable the simulated flash reads at open: "nth[,tearBytes[,flags]]" (see NativeFlash). */
export const SIM_FAULT_ENV = 'DM_FLASH_SIM_FAULT';

/** A bytes argument: a Uint8Array (its own byteOffset is honoured) or a whole ArrayBuffer. */
export type NativeBuffer = Uint8Array | ArrayBuffer;

/** Integer constants exported by the native module (`constants.NAME`), values as in native/core/dm_native.h. */
export interface NativeConstants {
  /** ABI version (NATIVE_ABI). */
  readonly ABI: number;
  /** Longest string argument in UTF-8 bytes. */
  readonly STR_MAX: number;
  /** Open handles per environment, by kind. */
  readonly MAX_SMS: number;
  readonly MAX_WDP: number;
  readonly MAX_FLASH: number;
  readonly MAX_FILE: number;
  /** smsOpen flags: route via storage (+CMTI), acknowledge with AT+CNMA, keep the tty speed. */
  readonly SMS_STORED: number;
  readonly SMS_ACK: number;
  readonly SMS_KEEP_SPEED: number;
  /** Buffer size smsPoll needs for any PDU (bytes). */
  readonly SMS_PDU_MAX: number;
  /** AT final-result timeout when smsOpen gets 0, and the largest accepted (ms). */
  readonly SMS_DEFAULT_TIMEOUT_MS: number;
  readonly SMS_MAX_TIMEOUT_MS: number;
  /** Attempts per AT command. */
  readonly SMS_MAX_TRIES: number;
  /** Indices of the uint32 LE counters written by smsStats. */
  readonly SMS_STAT_PDUS: number;
  readonly SMS_STAT_BAD_PDU: number;
  readonly SMS_STAT_OVERLONG: number;
  readonly SMS_STAT_IGNORED: number;
  readonly SMS_STAT_ERRORS: number;
  readonly SMS_STAT_TIMEOUTS: number;
  readonly SMS_STAT_DROPPED: number;
  readonly SMS_STAT_ACKS: number;
  readonly SMS_STAT_STATE: number;
  readonly SMS_STAT_STORED_MODE: number;
  readonly SMS_STAT_ACK_MODE: number;
  readonly SMS_STAT_RETRIES: number;
  readonly SMS_STAT_COUNT: number;
  /** WAP push port, wdpOpen loopback flag, buffer size for wdpRecv (bytes). */
  readonly WDP_PORT: number;
  readonly WDP_LOOPBACK: number;
  readonly WDP_MAX_DATAGRAM: number;
  /** flashOpen kinds. */
  readonly FLASH_FILE: number;
  readonly FLASH_BLOCK: number;
  readonly FLASH_MTD: number;
  readonly FLASH_SIM: number;
  readonly FLASH_SIM_NAND: number;
  /** Indices of the uint32 LE values written by flashInfo, and their count. */
  readonly FLASH_INFO_SIZE: number;
  readonly FLASH_INFO_ERASE: number;
  readonly FLASH_INFO_PAGE: number;
  readonly FLASH_INFO_KIND: number;
  readonly FLASH_INFO_FLAGS: number;
  readonly FLASH_INFO_SIM_OPS: number;
  readonly FLASH_INFO_COUNT: number;
  /** Bits of the FLASH_INFO_FLAGS value. */
  readonly FLASH_INFO_F_VERIFY: number;
  readonly FLASH_INFO_F_ALIGNED: number;
  readonly FLASH_INFO_F_DEAD: number;
  /** Largest erase block / page (bytes). */
  readonly FLASH_MAX_ERASE: number;
  /** flashSimFault flags, and the exit status of a process whose simulated flash lost power. */
  readonly SIM_FAULT_EIO: number;
  readonly SIM_FAULT_ERASE: number;
  readonly SIM_EXIT_CODE: number;
  /** fileOpen flags. */
  readonly FILE_WRITE: number;
  readonly FILE_CREATE: number;
  readonly FILE_TRUNC: number;
  readonly FILE_EXCL: number;
}

/** Names of NativeConstants, in exports.h order. */
export const NATIVE_CONST_NAMES: readonly (keyof NativeConstants)[] = [
  'ABI', 'STR_MAX', 'MAX_SMS', 'MAX_WDP', 'MAX_FLASH', 'MAX_FILE',
  'SMS_STORED', 'SMS_ACK', 'SMS_KEEP_SPEED', 'SMS_PDU_MAX', 'SMS_DEFAULT_TIMEOUT_MS', 'SMS_MAX_TIMEOUT_MS', 'SMS_MAX_TRIES',
  'SMS_STAT_PDUS', 'SMS_STAT_BAD_PDU', 'SMS_STAT_OVERLONG', 'SMS_STAT_IGNORED', 'SMS_STAT_ERRORS', 'SMS_STAT_TIMEOUTS',
  'SMS_STAT_DROPPED', 'SMS_STAT_ACKS', 'SMS_STAT_STATE', 'SMS_STAT_STORED_MODE', 'SMS_STAT_ACK_MODE', 'SMS_STAT_RETRIES',
  'SMS_STAT_COUNT', 'WDP_PORT', 'WDP_LOOPBACK', 'WDP_MAX_DATAGRAM',
  'FLASH_FILE', 'FLASH_BLOCK', 'FLASH_MTD', 'FLASH_SIM', 'FLASH_SIM_NAND',
  'FLASH_INFO_SIZE', 'FLASH_INFO_ERASE', 'FLASH_INFO_PAGE', 'FLASH_INFO_KIND', 'FLASH_INFO_FLAGS', 'FLASH_INFO_SIM_OPS',
  'FLASH_INFO_COUNT', 'FLASH_INFO_F_VERIFY', 'FLASH_INFO_F_ALIGNED', 'FLASH_INFO_F_DEAD', 'FLASH_MAX_ERASE',
  'SIM_FAULT_EIO', 'SIM_FAULT_ERASE', 'SIM_EXIT_CODE',
  'FILE_WRITE', 'FILE_CREATE', 'FILE_TRUNC', 'FILE_EXCL',
];

/** errno names exported by the native module (`errno.NAME` = the platform's positive value). */
export const NATIVE_ERRNO_NAMES: readonly string[] = [
  'EPERM', 'ENOENT', 'EINTR', 'EIO', 'ENXIO', 'EBADF', 'EAGAIN', 'ENOMEM', 'EACCES', 'EBUSY',
  'EEXIST', 'EXDEV', 'ENODEV', 'ENOTDIR', 'EISDIR', 'EINVAL', 'ENFILE', 'EMFILE', 'ENOTTY',
  'EFBIG', 'ENOSPC', 'ESPIPE', 'EROFS', 'EPIPE', 'ERANGE', 'ENAMETOOLONG', 'ENOSYS', 'ENOTEMPTY',
  'ELOOP', 'EPROTO', 'EBADMSG', 'EOVERFLOW', 'EMSGSIZE', 'ENOTSUP', 'EADDRINUSE', 'EADDRNOTAVAIL',
  'ENETUNREACH', 'ECONNRESET', 'ENOBUFS', 'ETIMEDOUT', 'ECONNREFUSED', 'EALREADY', 'EINPROGRESS',
  'ECANCELED', 'EUCLEAN',
];

/** `errno` object of the module: name → positive value (other modules may add names, e.g. TLS codes). */
export type NativeErrnoTable = Readonly<Record<string, number>>;

/** The functions of native/exports.h (DM_NATIVE_FUNCS), in its order. */
export interface NativeFunctions {
  /** CLOCK_MONOTONIC in milliseconds (fractional). */
  clockMonotonicMs(): number;
  /** Fills `len` random bytes (getrandom); returns len. */
  random(buf: NativeBuffer, off: number, len: number): number;
  /** Closes any handle; 0 also for an already closed one (idempotent); -EBADF for a value that is no handle. */
  close(h: number): number;
  /** The OS fd behind an SMS or WDP handle (QuickJS: os.setReadHandler). */
  handleFd(h: number): number;
  /** Opens the modem tty and starts the AT init; flags SMS_*; timeoutMs 0 = default. Returns a handle. */
  smsOpen(path: string, flags: number, timeoutMs: number): number;
  /** One complete PDU (SMSC address first) into buf: its length, 0 none yet; call until 0. */
  smsPoll(h: number, buf: NativeBuffer, off: number, len: number): number;
  /** Milliseconds until smsPoll is due without input (AT timeouts): 0 now, -1 only when readable. */
  smsWait(h: number): number;
  /** Counters (uint32 LE, SMS_STAT_*) into buf; returns bytes written. */
  smsStats(h: number, buf: NativeBuffer, off: number, len: number): number;
  /** UDP socket for WDP datagrams on `port` (0 = any free port); flags WDP_LOOPBACK. Returns a handle. */
  wdpOpen(port: number, flags: number): number;
  /** One datagram into buf: its length, 0 none, -EMSGSIZE when larger than len (dropped). */
  wdpRecv(h: number, buf: NativeBuffer, off: number, len: number): number;
  /** The bound local port. */
  wdpPort(h: number): number;
  /** Opens a flash backend (FLASH_* kind); 0 for erase/page/size = from the device or default. Returns a handle. */
  flashOpen(path: string, kind: number, erase: number, page: number, size: number): number;
  /** Geometry and state (uint32 LE, FLASH_INFO_*) into buf; returns bytes written. */
  flashInfo(h: number, buf: NativeBuffer, off: number, len: number): number;
  /** Erases exactly one erase block. */
  flashErase(h: number, block: number): number;
  /** Reads len bytes at offset; returns the count (short only at the end). */
  flashRead(h: number, offset: number, buf: NativeBuffer, off: number, len: number): number;
  /** Writes len (<= one erase block) bytes at offset; page-aligned + verified on MTD/SIM. Returns len. */
  flashWrite(h: number, offset: number, buf: NativeBuffer, off: number, len: number): number;
  /** Makes completed writes durable (fdatasync). */
  flashSync(h: number): number;
  /** Arms (nth > 0) / disarms the simulated power cut; flags SIM_FAULT_*. */
  flashSimFault(h: number, nth: number, tearBytes: number, flags: number): number;
  /** Opens a file; flags FILE_*. Returns a handle. */
  fileOpen(path: string, flags: number): number;
  /** Reads up to len bytes at pos; returns the count (0 at end of file). */
  filePread(h: number, pos: number, buf: NativeBuffer, off: number, len: number): number;
  /** Writes all len bytes at pos; returns len. */
  filePwrite(h: number, pos: number, buf: NativeBuffer, off: number, len: number): number;
  /** fdatasync. */
  fileSync(h: number): number;
  fileTruncate(h: number, len: number): number;
  /** Size in bytes (-EFBIG beyond 2 GiB - 1). */
  fileSize(h: number): number;
  /** rename + fsync of the directory. */
  fileRename(from: string, to: string): number;
  /** unlink + fsync of the directory. */
  fileRemove(path: string): number;
}

/** The whole module: functions, constants, errno table; `watch`/`unwatch` exist on Node only. */
export interface NativeBinding extends NativeFunctions {
  readonly constants: NativeConstants;
  readonly errno: NativeErrnoTable;
  /** Node only: calls `cb` from the event loop whenever the SMS/WDP handle's fd is readable (uv_poll). */
  watch?(h: number, cb: () => void): number;
  /** Node only: stops that (close(h) does it too). */
  unwatch?(h: number): number;
}

/** Function names and JS arities of native/exports.h, in its order. */
export const NATIVE_FUNCS: readonly (readonly [keyof NativeFunctions, number])[] = [
  ['clockMonotonicMs', 0], ['random', 3], ['close', 1], ['handleFd', 1],
  ['smsOpen', 3], ['smsPoll', 4], ['smsWait', 1], ['smsStats', 4],
  ['wdpOpen', 2], ['wdpRecv', 4], ['wdpPort', 1],
  ['flashOpen', 5], ['flashInfo', 4], ['flashErase', 2], ['flashRead', 5], ['flashWrite', 5], ['flashSync', 1],
  ['flashSimFault', 4],
  ['fileOpen', 2], ['filePread', 5], ['filePwrite', 5], ['fileSync', 1], ['fileTruncate', 2], ['fileSize', 1],
  ['fileRename', 2], ['fileRemove', 1],
];

/** The part of the binding the flash wrapper (and the pure-TS fake) needs. */
export type FlashBinding = Pick<NativeBinding,
  'flashOpen' | 'flashInfo' | 'flashErase' | 'flashRead' | 'flashWrite' | 'flashSync' | 'flashSimFault' | 'close' |
  'constants' | 'errno'>;

/** The part of the binding the SMS / WDP source needs. */
export type SmsBinding = Pick<NativeBinding,
  'smsOpen' | 'smsPoll' | 'smsWait' | 'smsStats' | 'wdpOpen' | 'wdpRecv' | 'wdpPort' | 'handleFd' | 'close' |
  'constants' | 'errno'>;

/**
 * Checks that `mod` has every function, constant and the ABI this code expects; returns it typed.
 * Throws a TypeError naming what is missing (a stale or foreign addon).
 */
export function checkBinding(mod: unknown): NativeBinding {
  if (typeof mod !== 'object' || mod === null) throw new TypeError('native binding: not an object');
  const m = mod as Record<string, unknown>;
  for (const [name] of NATIVE_FUNCS) {
    if (typeof m[name] !== 'function') throw new TypeError(`native binding: function ${name} missing`);
  }
  const c = m['constants'] as Record<string, unknown> | undefined;
  if (typeof c !== 'object' || c === null) throw new TypeError('native binding: constants missing');
  for (const name of NATIVE_CONST_NAMES) {
    if (typeof c[name] !== 'number') throw new TypeError(`native binding: constant ${name} missing`);
  }
  if (c['ABI'] !== NATIVE_ABI) throw new TypeError(`native binding: ABI ${String(c['ABI'])}, expected ${NATIVE_ABI}`);
  const e = m['errno'] as Record<string, unknown> | undefined;
  if (typeof e !== 'object' || e === null || typeof e['EIO'] !== 'number') throw new TypeError('native binding: errno table missing');
  return mod as NativeBinding;
}
