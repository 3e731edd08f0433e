/**
 * Ambient types of the QuickJS 2021-03-27 host (target/quickjs/host.c): the `os` and `std` modules of
 * quickjs-libc (only what the host code uses), the `dm_native` C module (native/exports.h +
 * native/core/tls/tls_exports.h) and the host globals. Type-checked by target/quickjs/tsconfig.json
 * (lib es2020, no Node types), so Node-only APIs stay compile errors here.
 */

declare module 'os' {
  /** Calls `fn` once after `ms` milliseconds from the event loop; returns a handle for clearTimeout. */
  export function setTimeout(fn: () => void, ms: number): unknown;
  export function clearTimeout(handle: unknown): void;
  /** Calls `fn` whenever `fd` is readable; `null` removes the handler. */
  export function setReadHandler(fd: number, fn: (() => void) | null): void;
  /** Calls `fn` whenever `fd` is writable; `null` removes the handler. */
  export function setWriteHandler(fd: number, fn: (() => void) | null): void;
  /** open(2); returns the fd or -errno. */
  export function open(path: string, flags: number, mode?: number): number;
  export function close(fd: number): number;
  /** read(2) into `buf[offset, offset + length)`; returns the count or -errno. */
  export function read(fd: number, buf: ArrayBuffer, offset: number, length: number): number;
  export function write(fd: number, buf: ArrayBuffer, offset: number, length: number): number;
  /** lseek(2); returns the new offset or -errno. */
  export function seek(fd: number, offset: number, whence: number): number;
  /** [stat, errno]; stat.size in bytes, stat.mode with S_IF* bits. */
  export function stat(path: string): [{ size: number; mode: number; mtime: number }, number];
  export function remove(path: string): number;
  export function rename(from: string, to: string): number;
  export function mkdir(path: string, mode?: number): number;
  export function readdir(path: string): [string[], number];
  export function getcwd(): [string, number];
  export function sleep(ms: number): void;
  export const O_RDONLY: number;
  export const O_WRONLY: number;
  export const O_RDWR: number;
  export const O_CREAT: number;
  export const O_EXCL: number;
  export const O_TRUNC: number;
  export const O_APPEND: number;
  export const SEEK_SET: number;
  export const SEEK_END: number;
  export const S_IFMT: number;
  export const S_IFREG: number;
  export const S_IFDIR: number;
  export const platform: string;
}

declare module 'std' {
  export interface FILE {
    puts(s: string): void;
    printf(fmt: string, ...args: unknown[]): void;
    flush(): void;
    close(): number;
    write(buf: ArrayBuffer, offset: number, length: number): number;
    read(buf: ArrayBuffer, offset: number, length: number): number;
    getline(): string | null;
    readAsString(maxSize?: number): string;
    eof(): boolean;
  }
  export const out: FILE;
  export const err: FILE;
  const stdin: FILE;
  export { stdin as in };
  /** Opens a file (fopen modes); null on error (errorObj.errno set). */
  export function open(path: string, mode: string, errorObj?: { errno?: number }): FILE | null;
  export function loadFile(path: string): string | null;
  export function exit(code: number): never;
  export function getenv(name: string): string | undefined;
  export function strerror(errno: number): string;
  export function gc(): void;
  export function parseExtJSON(s: string): unknown;
}

declare module 'dm_native' {
  /** Integer constants of native/exports.h and tls_exports.h (DM_NATIVE_CONSTS, DM_TLS_CONSTS). */
  export const constants: Readonly<Record<string, number>>;
  /** errno names → positive values on this platform, plus the TLS codes (ECERTEXPIRED: 4002, ...). */
  export const errno: Readonly<Record<string, number>>;
  // DM_NATIVE_FUNCS (families in native/exports.h); results >= 0 or -errno
  export function clockMonotonicMs(): number;
  export function random(buf: Uint8Array | ArrayBuffer, off: number, len: number): number;
  export function close(h: number): number;
  export function handleFd(h: number): number;
  export function smsOpen(path: string, flags: number, timeoutMs: number): number;
  export function smsPoll(h: number, buf: Uint8Array | ArrayBuffer, off: number, len: number): number;
  export function smsWait(h: number): number;
  export function smsStats(h: number, buf: Uint8Array | ArrayBuffer, off: number, len: number): number;
  export function wdpOpen(port: number, flags: number): number;
  export function wdpRecv(h: number, buf: Uint8Array | ArrayBuffer, off: number, len: number): number;
  export function wdpPort(h: number): number;
  export function flashOpen(path: string, kind: number, erase: number, page: number, size: number): number;
  export function flashInfo(h: number, buf: Uint8Array | ArrayBuffer, off: number, len: number): number;
  export function flashErase(h: number, block: number): number;
  export function flashRead(h: number, offset: number, buf: Uint8Array | ArrayBuffer, off: number, len: number): number;
  export function flashWrite(h: number, offset: number, buf: Uint8Array | ArrayBuffer, off: number, len: number): number;
  export function flashSync(h: number): number;
  export function flashSimFault(h: number, nth: number, tear: number, flags: number): number;
  export function fileOpen(path: string, flags: number): number;
  export function filePread(h: number, pos: number, buf: Uint8Array | ArrayBuffer, off: number, len: number): number;
  export function filePwrite(h: number, pos: number, buf: Uint8Array | ArrayBuffer, off: number, len: number): number;
  export function fileSync(h: number): number;
  export function fileTruncate(h: number, length: number): number;
  export function fileSize(h: number): number;
  export function fileRename(from: string, to: string): number;
  export function fileRemove(path: string): number;
  // DM_TLS_FUNCS (native/core/tls/tls_exports.h)
  export function tlsOpen(host: string, port: number, servername: string, caFile: string, flags: number): number;
  export function tlsStep(h: number): number;
  export function tlsFd(h: number): number;
  export function tlsWant(h: number): number;
  export function tlsRead(h: number, buf: Uint8Array | ArrayBuffer, off: number, len: number): number;
  export function tlsWrite(h: number, buf: Uint8Array | ArrayBuffer, off: number, len: number): number;
  export function tlsCipher(h: number, buf: Uint8Array | ArrayBuffer, off: number, len: number): number;
  export function tlsClose(h: number): number;
}

/** Heap figures of the QuickJS runtime in bytes (QuickJS's own accounting, 8 B overhead per allocation). */
interface DmHostMemoryUsage {
  used: number;
  /** High-water mark since start. */
  peak: number;
  /** Current limit, 0 = none. */
  limit: number;
  allocations: number;
}

/** Host services installed by target/quickjs/host.c (QuickJS only; the Node host has none). */
declare const dmHost: {
  memoryUsage(): DmHostMemoryUsage;
  /** Sets the hard heap limit (bytes, 0 = none): allocations beyond it fail with InternalError "out of memory". */
  setMemoryLimit(bytes: number): void;
  gc(): void;
  /** Exit status used when the event loop ends normally (0..255). */
  setExitCode(code: number): void;
  /** Prints the memory report (if --mem-report) and exits immediately. */
  exit(code: number): never;
  /** UTF-8 of u8[start, end) as a string; undefined when those bytes are not strict UTF-8. */
  utf8Decode(u8: Uint8Array, start: number, end: number): string | undefined;
  /** Writes the UTF-8 of s (lone surrogates as U+FFFD) at pos: the end position, -1 if it does not fit, -2 out of memory. */
  utf8EncodeInto(s: string, u8: Uint8Array, pos: number): number;
  /** QuickJS version string. */
  readonly quickjs: string;
};

/** Command-line arguments: [program, application arguments...]. */
declare const scriptArgs: readonly string[];
/** Writes its arguments, space-separated, and a newline to stdout. */
declare function print(...args: unknown[]): void;
