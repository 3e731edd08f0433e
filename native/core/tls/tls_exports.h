/*
 * tls_exports.h — the TLS/TCP stream functions crossing the native boundary, in the X-macro style and
 * argument vocabulary of native/exports.h (read that file first: U, S, B and the result rules).
 * Both bindings expand DM_TLS_FUNCS next to DM_NATIVE_FUNCS, passing their dm_tls_ctx_t (one per JS
 * runtime, beside the dm_ctx_t) as the first C argument; the functions land in the same module object.
 *
 * Additional signature family (the others are those of exports.h, with dm_tls_ctx_t * first):
 *   family  C arguments after ctx                                   JS arity  result
 *   SUSSU   (const char *, u32, const char *, const char *, u32)    5         int
 *
 * Error codes: DM_TLS_ERRORS(X) lists the TLS-specific results by name; bindings add them to the
 * module's `errno` object as positive values (like errno values), so the TypeScript side turns
 * -4002 into PlatformError code 'ECERTEXPIRED' with the same inversion it uses for EIO.
 */
#ifndef DM_TLS_EXPORTS_H
#define DM_TLS_EXPORTS_H

#include <errno.h>
#include <stdint.h>
#include "tls/dm_tls_ctx.h"

typedef int (*dm_tls_sig_SUSSU)(dm_tls_ctx_t *, const char *, uint32_t, const char *, const char *, uint32_t);
typedef int (*dm_tls_sig_H)(dm_tls_ctx_t *, uint32_t);
typedef int (*dm_tls_sig_CLOSE)(dm_tls_ctx_t *, uint32_t);
typedef int (*dm_tls_sig_HB)(dm_tls_ctx_t *, uint32_t, uint8_t *, uint32_t);
#define DM_ARITY_SUSSU 5

/* X(jsName, arity, coreFunction, family) */
#define DM_TLS_FUNCS(X)                                                                                 \
  X(tlsOpen, 5, dm_tls_h_open, SUSSU)    /* (host, port, servername, caFile, flags) → h               */ \
  X(tlsStep, 1, dm_tls_h_step, H)        /* (h) → 0 open | 1 want read | 2 want write | -code         */ \
  X(tlsFd, 1, dm_tls_h_fd, H)            /* (h) → fd to watch; ask after every step (resolver → socket) */ \
  X(tlsWant, 1, dm_tls_h_want, H)        /* (h) → 1 read | 2 write, after -EAGAIN                      */ \
  X(tlsRead, 4, dm_tls_h_read, HB)       /* (h, buf, off, len) → count | 0 EOF | -EAGAIN | -code       */ \
  X(tlsWrite, 4, dm_tls_h_write, HB)     /* (h, buf, off, len) → count | -EAGAIN (same bytes again)   */ \
  X(tlsCipher, 4, dm_tls_h_cipher, HB)   /* (h, buf, off, len) → length of the cipher-suite name      */ \
  X(tlsClose, 1, dm_tls_h_close, CLOSE)  /* (h) → 0; idempotent                                        */

/* X(NAME, value) — integer constants exported as `constants.NAME`. */
#define DM_TLS_CONSTS(X)                                                                                \
  X(TLS_F_TLS, DM_TLS_F_TLS)                                                                            \
  X(TLS_OPEN, DM_TLS_OPEN)                                                                              \
  X(TLS_WANT_READ, DM_TLS_WANT_READ)                                                                    \
  X(TLS_WANT_WRITE, DM_TLS_WANT_WRITE)                                                                  \
  X(MAX_TLS, DM_MAX_TLS)                                                                                \
  X(TLS_MAX_HOST, DM_TLS_MAX_HOST)

/*
 * X(NAME, positive value) — exported in `errno` beside the system errno names of exports.h: the
 * TLS codes, and the socket errno values dm_tls returns that exports.h does not list.
 */
#define DM_TLS_ERRORS(X)                                                                                \
  X(ECERTUNTRUSTED, -DM_TLS_E_CERT_UNTRUSTED)                                                           \
  X(ECERTEXPIRED, -DM_TLS_E_CERT_EXPIRED)                                                               \
  X(ECERTNAME, -DM_TLS_E_CERT_NAME)                                                                     \
  X(ECERTINVALID, -DM_TLS_E_CERT_INVALID)                                                               \
  X(ETLSHANDSHAKE, -DM_TLS_E_HANDSHAKE)                                                                 \
  X(ECAFILE, -DM_TLS_E_CA_FILE)                                                                         \
  X(EDNS, -DM_TLS_E_DNS)                                                                                \
  X(ETLSPROTOCOL, -DM_TLS_E_PROTOCOL)                                                                   \
  X(ETLSINTERNAL, -DM_TLS_E_INTERNAL)                                                                   \
  X(ECONNABORTED, ECONNABORTED)                                                                         \
  X(EHOSTUNREACH, EHOSTUNREACH)                                                                         \
  X(ENETDOWN, ENETDOWN)                                                                                 \
  X(EAFNOSUPPORT, EAFNOSUPPORT)                                                                         \
  X(ENOTCONN, ENOTCONN)

#endif /* DM_TLS_EXPORTS_H */
