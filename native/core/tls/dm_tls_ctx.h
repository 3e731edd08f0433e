/*
 * dm_tls_ctx — TLS/TCP streams as int32 handles, in the vocabulary of native/exports.h: every
 * function takes the caller-owned table first, handles are U (uint32), buffers are (ptr, len),
 * results are >= 0 or negative codes (-errno, DM_TLS_E_*). The bindings own one dm_tls_ctx_t per
 * JS runtime next to their dm_ctx_t and call dm_tls_ctx_close_all() when it goes away.
 *
 * Handle layout as in native/core/ctx.c: DM_KIND_TLS << 24 | generation << 8 | slot, so stale
 * handles of a reused slot are -EBADF and tlsClose on them is a no-op (0).
 */
#ifndef DM_TLS_CTX_H
#define DM_TLS_CTX_H

#include <stdint.h>
#include "tls/dm_tls.h"

/** Concurrent streams per runtime (a DM session needs one; push-over-IP and a download may add two). */
#define DM_MAX_TLS 4
_Static_assert(DM_TLS_MAX_LOOKUPS >= DM_MAX_TLS, "every stream of a runtime may be resolving at once");
/** Handle kind of TLS streams (bits 24..27); the kinds 1..4 belong to native/core/dm_native.h. */
#define DM_KIND_TLS 5

/** The handle table. Zero-initialise, then dm_tls_ctx_init(). */
typedef struct dm_tls_ctx {
    struct { uint16_t gen; uint8_t used; } slot[DM_MAX_TLS];
    dm_tls_t *stream[DM_MAX_TLS]; /* owned; NULL when the slot is free */
} dm_tls_ctx_t;

void dm_tls_ctx_init(dm_tls_ctx_t *c);
/** Closes and frees every open stream (binding finalizers / cleanup hooks). */
void dm_tls_ctx_close_all(dm_tls_ctx_t *c);

/**
 * Opens a stream (see dm_tls_open): `servername` "" = host; `ca_file` "" allowed only without
 * DM_TLS_F_TLS. Returns a handle (> 0) or a negative code; -EMFILE when DM_MAX_TLS are open.
 */
int dm_tls_h_open(dm_tls_ctx_t *c, const char *host, uint32_t port, const char *servername, const char *ca_file,
                  uint32_t flags);
/** dm_tls_step: DM_TLS_OPEN (0), DM_TLS_WANT_READ (1), DM_TLS_WANT_WRITE (2) or a negative code. */
int dm_tls_h_step(dm_tls_ctx_t *c, uint32_t h);
/** The fd to watch with os.setReadHandler / setWriteHandler (or uv_poll); ask again after every step. */
int dm_tls_h_fd(dm_tls_ctx_t *c, uint32_t h);
/** What an -EAGAIN of read/write waits for: DM_TLS_WANT_READ or DM_TLS_WANT_WRITE. */
int dm_tls_h_want(dm_tls_ctx_t *c, uint32_t h);
/** dm_tls_read: count, 0 at end of stream, -EAGAIN, or a negative code. */
int dm_tls_h_read(dm_tls_ctx_t *c, uint32_t h, uint8_t *buf, uint32_t len);
/** dm_tls_write: count accepted, -EAGAIN (retry with the same bytes), or a negative code. */
int dm_tls_h_write(dm_tls_ctx_t *c, uint32_t h, uint8_t *buf, uint32_t len);
/** Copies the negotiated cipher-suite name (no NUL) into buf; returns its length (0 for TCP). */
int dm_tls_h_cipher(dm_tls_ctx_t *c, uint32_t h, uint8_t *buf, uint32_t len);
/** Closes the stream and frees its slot. Idempotent: 0 for a closed or stale handle, -EBADF for garbage. */
int dm_tls_h_close(dm_tls_ctx_t *c, uint32_t h);

#endif /* DM_TLS_CTX_H */
