/*
 * exports.h — THE list of what crosses the native boundary. Both bindings expand it:
 *   native/node/dm_napi.c     (N-API, Node)       → napi_property_descriptor per function
 *   native/quickjs/dm_qjs.c   (QuickJS C module)  → JS_CFUNC_DEF per function
 * and src/native/binding.ts declares the same list once for TypeScript (NATIVE_FUNCS, checked
 * against this file by test/native/exports.test.ts). Add a function here, in the core, and in
 * binding.ts; never in one binding only.
 *
 * Module shape seen by JavaScript (identical on both runtimes):
 *   { <every function below>, constants: { NAME: int, ... }, errno: { EIO: 5, ... } }
 * Node only, not in this list (QuickJS uses os.setReadHandler(handleFd(h), cb) instead):
 *   watch(h, cb) → int     uv_poll on the handle's fd; cb() runs from the event loop when readable
 *   unwatch(h)  → int      stops it (close(h) does it too). Both return 0 or -errno.
 *
 * ---------------------------------------------------------------- argument vocabulary
 * Every core function takes `dm_ctx_t *ctx` first (the binding owns one context per JS environment
 * or runtime: N-API env / QuickJS context) and then the arguments of its SIGNATURE family:
 *   U    uint32: a JS number that is an integer in [0, 2^32-1], else TypeError. Handles are U.
 *   S    string: UTF-8, at most DM_STR_MAX bytes (RangeError beyond), no NUL inside (TypeError).
 *   B    buffer: three JS arguments (Uint8Array|ArrayBuffer, offset, length), offset/length U and
 *        offset + length <= byteLength (RangeError "array buffer overflow", as QuickJS's
 *        js_os_read_write); C receives (uint8_t *p, uint32_t len) already offset. A Uint8Array's
 *        own byteOffset is honoured. The core never keeps the pointer after returning.
 * Results: int (>= 0 success, < 0 = -errno, returned as a JS number, never thrown), except family
 * D whose result is a double. Bindings throw only for misuse (wrong types, bounds), never for errno.
 *
 * ---------------------------------------------------------------- signature families
 *   family  C arguments after ctx                 JS arity  result
 *   D       ()                                     0         double
 *   B       (u8 *buf, u32 len)                     3         int
 *   S       (const char *)                         1         int
 *   SS      (const char *, const char *)           2         int
 *   SU      (const char *, u32)                    2         int
 *   SUU     (const char *, u32, u32)               3         int
 *   SUUUU   (const char *, u32, u32, u32, u32)     5         int
 *   UU      (u32, u32)                             2         int
 *   H       (u32 handle)                           1         int
 *   CLOSE   (u32 handle)                           1         int   same C type as H; the binding first
 *                                                                  releases its own per-handle state
 *                                                                  (Node: the uv_poll watch)
 *   HB      (u32 handle, u8 *buf, u32 len)         4         int
 *   HUB     (u32 handle, u32, u8 *buf, u32 len)    5         int
 *   HUUU    (u32 handle, u32, u32, u32)            4         int
 */
#ifndef DM_EXPORTS_H
#define DM_EXPORTS_H

#include <errno.h>
#include "core/dm_native.h"

/* C types of the families (the bindings cast nothing: a mismatching core prototype is a compile error). */
typedef double (*dm_sig_D)(dm_ctx_t *);
typedef int (*dm_sig_B)(dm_ctx_t *, uint8_t *, uint32_t);
typedef int (*dm_sig_S)(dm_ctx_t *, const char *);
typedef int (*dm_sig_SS)(dm_ctx_t *, const char *, const char *);
typedef int (*dm_sig_SU)(dm_ctx_t *, const char *, uint32_t);
typedef int (*dm_sig_SUU)(dm_ctx_t *, const char *, uint32_t, uint32_t);
typedef int (*dm_sig_SUUUU)(dm_ctx_t *, const char *, uint32_t, uint32_t, uint32_t, uint32_t);
typedef int (*dm_sig_UU)(dm_ctx_t *, uint32_t, uint32_t);
typedef int (*dm_sig_H)(dm_ctx_t *, uint32_t);
typedef int (*dm_sig_CLOSE)(dm_ctx_t *, uint32_t);
typedef int (*dm_sig_HB)(dm_ctx_t *, uint32_t, uint8_t *, uint32_t);
typedef int (*dm_sig_HUB)(dm_ctx_t *, uint32_t, uint32_t, uint8_t *, uint32_t);
typedef int (*dm_sig_HUUU)(dm_ctx_t *, uint32_t, uint32_t, uint32_t, uint32_t);

/* JS arity of each family (the `arity` column below must match; the bindings static-assert it). */
#define DM_ARITY_D 0
#define DM_ARITY_B 3
#define DM_ARITY_S 1
#define DM_ARITY_SS 2
#define DM_ARITY_SU 2
#define DM_ARITY_SUU 3
#define DM_ARITY_SUUUU 5
#define DM_ARITY_UU 2
#define DM_ARITY_H 1
#define DM_ARITY_CLOSE 1
#define DM_ARITY_HB 4
#define DM_ARITY_HUB 5
#define DM_ARITY_HUUU 4

/*
 * X(jsName, arity, coreFunction, family)     — JS signature in the comment
 */
#define DM_NATIVE_FUNCS(X)                                                                            \
  /* misc */                                                                                          \
  X(clockMonotonicMs, 0, dm_clock_monotonic_ms, D)   /* () → ms (double, CLOCK_MONOTONIC)         */ \
  X(random, 3, dm_random, B)                         /* (buf, off, len) → len                      */ \
  X(close, 1, dm_close, CLOSE)                       /* (h) → 0; any handle kind; idempotent       */ \
  X(handleFd, 1, dm_handle_fd, H)                    /* (h) → fd of an SMS/WDP handle              */ \
  /* SMS modem on a tty (issue 5) */                                                                  \
  X(smsOpen, 3, dm_sms_open, SUU)                    /* (path, flags, timeoutMs) → h               */ \
  X(smsPoll, 4, dm_sms_poll, HB)                     /* (h, buf, off, len) → PDU length | 0        */ \
  X(smsWait, 1, dm_sms_wait, H)                      /* (h) → ms until a poll is due | -1          */ \
  X(smsStats, 4, dm_sms_stats, HB)                   /* (h, buf, off, len) → bytes (u32 LE each)   */ \
  /* WDP datagrams on UDP (push over IP, port 2948) */                                                \
  X(wdpOpen, 2, dm_wdp_open, UU)                     /* (port, flags) → h                          */ \
  X(wdpRecv, 4, dm_wdp_recv, HB)                     /* (h, buf, off, len) → datagram length | 0   */ \
  X(wdpPort, 1, dm_wdp_port, H)                      /* (h) → bound port                           */ \
  /* flash (issue 6) */                                                                               \
  X(flashOpen, 5, dm_flash_open, SUUUU)              /* (path, kind, erase, page, size) → h        */ \
  X(flashInfo, 4, dm_flash_info, HB)                 /* (h, buf, off, len) → bytes (u32 LE each)   */ \
  X(flashErase, 2, dm_flash_erase, UU)               /* (h, block) → 0                             */ \
  X(flashRead, 5, dm_flash_read, HUB)                /* (h, offset, buf, off, len) → count         */ \
  X(flashWrite, 5, dm_flash_write, HUB)              /* (h, offset, buf, off, len) → len           */ \
  X(flashSync, 1, dm_flash_sync, H)                  /* (h) → 0                                    */ \
  X(flashSimFault, 4, dm_flash_sim_fault, HUUU)      /* (h, nth, tearBytes, flags) → 0             */ \
  /* durable file I/O (QuickJS Storage) */                                                            \
  X(fileOpen, 2, dm_file_open, SU)                   /* (path, flags) → h                          */ \
  X(filePread, 5, dm_file_pread, HUB)                /* (h, pos, buf, off, len) → count            */ \
  X(filePwrite, 5, dm_file_pwrite, HUB)              /* (h, pos, buf, off, len) → len              */ \
  X(fileSync, 1, dm_file_sync, H)                    /* (h) → 0 (fdatasync)                        */ \
  X(fileTruncate, 2, dm_file_truncate, UU)           /* (h, length) → 0                            */ \
  X(fileSize, 1, dm_file_size, H)                    /* (h) → size                                 */ \
  X(fileRename, 2, dm_file_rename, SS)               /* (from, to) → 0, directory synced           */ \
  X(fileRemove, 1, dm_file_remove, S)                /* (path) → 0, directory synced               */

/* X(NAME, value) — integer constants exported as `constants.NAME`. */
#define DM_NATIVE_CONSTS(X)                                                                           \
  X(ABI, DM_NATIVE_ABI)                                                                               \
  X(STR_MAX, DM_STR_MAX)                                                                              \
  X(MAX_SMS, DM_MAX_SMS)                                                                              \
  X(MAX_WDP, DM_MAX_WDP)                                                                              \
  X(MAX_FLASH, DM_MAX_FLASH)                                                                          \
  X(MAX_FILE, DM_MAX_FILE)                                                                            \
  X(SMS_STORED, DM_SMS_F_STORED)                                                                      \
  X(SMS_ACK, DM_SMS_F_ACK)                                                                            \
  X(SMS_KEEP_SPEED, DM_SMS_F_KEEP_SPEED)                                                              \
  X(SMS_PDU_MAX, DM_SMS_PDU_MAX)                                                                      \
  X(SMS_DEFAULT_TIMEOUT_MS, DM_AT_DEFAULT_TIMEOUT_MS)                                                  \
  X(SMS_MAX_TIMEOUT_MS, DM_AT_MAX_TIMEOUT_MS)                                                         \
  X(SMS_MAX_TRIES, DM_AT_MAX_TRIES)                                                                   \
  X(SMS_STAT_PDUS, DM_SMS_STAT_PDUS)                                                                  \
  X(SMS_STAT_BAD_PDU, DM_SMS_STAT_BAD_PDU)                                                            \
  X(SMS_STAT_OVERLONG, DM_SMS_STAT_OVERLONG)                                                          \
  X(SMS_STAT_IGNORED, DM_SMS_STAT_IGNORED)                                                            \
  X(SMS_STAT_ERRORS, DM_SMS_STAT_ERRORS)                                                              \
  X(SMS_STAT_TIMEOUTS, DM_SMS_STAT_TIMEOUTS)                                                          \
  X(SMS_STAT_DROPPED, DM_SMS_STAT_DROPPED)                                                            \
  X(SMS_STAT_ACKS, DM_SMS_STAT_ACKS)                                                                  \
  X(SMS_STAT_STATE, DM_SMS_STAT_STATE)                                                                \
  X(SMS_STAT_STORED_MODE, DM_SMS_STAT_STORED_MODE)                                                    \
  X(SMS_STAT_ACK_MODE, DM_SMS_STAT_ACK_MODE)                                                          \
  X(SMS_STAT_RETRIES, DM_SMS_STAT_RETRIES)                                                            \
  X(SMS_STAT_COUNT, DM_SMS_STAT_COUNT)                                                                \
  X(WDP_PORT, DM_WDP_PORT)                                                                            \
  X(WDP_LOOPBACK, DM_WDP_F_LOOPBACK)                                                                  \
  X(WDP_MAX_DATAGRAM, DM_WDP_MAX_DATAGRAM)                                                            \
  X(FLASH_FILE, DM_FLASH_FILE)                                                                        \
  X(FLASH_BLOCK, DM_FLASH_BLOCK)                                                                      \
  X(FLASH_MTD, DM_FLASH_MTD)                                                                          \
  X(FLASH_SIM, DM_FLASH_SIM)                                                                          \
  X(FLASH_SIM_NAND, DM_FLASH_SIM_NAND)                                                                \
  X(FLASH_INFO_SIZE, DM_FLASH_INFO_SIZE)                                                              \
  X(FLASH_INFO_ERASE, DM_FLASH_INFO_ERASE)                                                            \
  X(FLASH_INFO_PAGE, DM_FLASH_INFO_PAGE)                                                              \
  X(FLASH_INFO_KIND, DM_FLASH_INFO_KIND)                                                              \
  X(FLASH_INFO_FLAGS, DM_FLASH_INFO_FLAGS)                                                            \
  X(FLASH_INFO_SIM_OPS, DM_FLASH_INFO_SIM_OPS)                                                        \
  X(FLASH_INFO_COUNT, DM_FLASH_INFO_COUNT)                                                            \
  X(FLASH_INFO_F_VERIFY, DM_FLASH_INFO_F_VERIFY)                                                      \
  X(FLASH_INFO_F_ALIGNED, DM_FLASH_INFO_F_ALIGNED)                                                    \
  X(FLASH_INFO_F_DEAD, DM_FLASH_INFO_F_DEAD)                                                          \
  X(FLASH_MAX_ERASE, DM_FLASH_MAX_ERASE)                                                              \
  X(SIM_FAULT_EIO, DM_SIM_FAULT_EIO)                                                                  \
  X(SIM_FAULT_ERASE, DM_SIM_FAULT_ERASE)                                                              \
  X(SIM_EXIT_CODE, DM_SIM_EXIT_CODE)                                                                  \
  X(FILE_WRITE, DM_FILE_WRITE)                                                                        \
  X(FILE_CREATE, DM_FILE_CREATE)                                                                      \
  X(FILE_TRUNC, DM_FILE_TRUNC)                                                                        \
  X(FILE_EXCL, DM_FILE_EXCL)

/*
 * X(NAME) — errno names exported as `errno.NAME = <value on this platform>`. The TS side inverts it
 * to map a -errno result to PlatformError.code; unknown values become 'E<number>'.
 */
#define DM_NATIVE_ERRNOS(X)                                                                           \
  X(EPERM) X(ENOENT) X(EINTR) X(EIO) X(ENXIO) X(EBADF) X(EAGAIN) X(ENOMEM) X(EACCES) X(EBUSY)         \
  X(EEXIST) X(EXDEV) X(ENODEV) X(ENOTDIR) X(EISDIR) X(EINVAL) X(ENFILE) X(EMFILE) X(ENOTTY)           \
  X(EFBIG) X(ENOSPC) X(ESPIPE) X(EROFS) X(EPIPE) X(ERANGE) X(ENAMETOOLONG) X(ENOSYS) X(ENOTEMPTY)     \
  X(ELOOP) X(EPROTO) X(EBADMSG) X(EOVERFLOW) X(EMSGSIZE) X(ENOTSUP) X(EADDRINUSE) X(EADDRNOTAVAIL)    \
  X(ENETUNREACH) X(ECONNRESET) X(ENOBUFS) X(ETIMEDOUT) X(ECONNREFUSED) X(EALREADY) X(EINPROGRESS)     \
  X(ECANCELED) X(EUCLEAN)

#endif /* DM_EXPORTS_H */
