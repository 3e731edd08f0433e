/*
 * dm_tls — a non-blocking TCP or TLS 1.2 client byte stream over mbedtls 2.28 (Debian bookworm).
 *
 * Pure C, no JavaScript headers: the QuickJS shim (native/quickjs/dm_qjs.c) and the N-API shim
 * expose it through the X-macro list in tls_exports.h.
 *
 * Contract
 * - Single-threaded use (one thread calls a given handle), never blocks. Numeric hosts resolve in
 *   dm_tls_open; other names are resolved by getaddrinfo on a detached resolver thread while the
 *   stream waits in dm_tls_step for an eventfd (the fd changes when the socket replaces it: callers
 *   must ask dm_tls_fd() again after every dm_tls_step). Resolution, connect and handshake progress
 *   in dm_tls_step(), which says which fd readiness to wait for next. Closing a stream during a
 *   lookup returns at once; the thread frees what it holds when getaddrinfo returns.
 * - Results are int: >= 0 success, -errno for system failures (-ECONNREFUSED, -ETIMEDOUT,
 *   -ECONNRESET, -EAGAIN, ...), or one of the DM_TLS_E_* codes below for TLS/DNS/CA failures.
 *   dm_tls_errname() maps every code we produce to a stable string ("ECONNREFUSED", "ECERTEXPIRED").
 * - A TLS stream always verifies the server certificate (MBEDTLS_SSL_VERIFY_REQUIRED) against the
 *   CA file given to dm_tls_open and checks the server name (DNS SAN or CN; mbedtls 2.28 does not
 *   match iPAddress SANs, so connect to an IP with a DNS `servername`). There is no insecure mode.
 * - Handles are closable: dm_tls_close() is idempotent and releases the socket and TLS state;
 *   dm_tls_free() also releases the handle itself and accepts NULL.
 * - Memory: besides the handle (dm_tls_sizeof()), mbedtls allocates its record buffers
 *   (about 2 x 16.7 KB with Debian's MBEDTLS_SSL_MAX_CONTENT_LEN) and the parsed CA chain on the C
 *   heap, outside any JavaScript heap limit. Plain TCP streams allocate nothing else. A name lookup
 *   adds a ~300-byte block, an eventfd and a thread (256 KB stack reserved) until getaddrinfo returns.
 */
#ifndef DM_TLS_H
#define DM_TLS_H

#include <stddef.h>
#include <stdint.h>

/** dm_tls_open flag: wrap the TCP stream in TLS (otherwise a plain TCP stream, for http:// URLs). */
#define DM_TLS_F_TLS 1u

/** dm_tls_step progress values (>= 0). */
#define DM_TLS_OPEN 0       /* connected; for TLS the handshake is done and the certificate verified */
#define DM_TLS_WANT_READ 1  /* call again when the fd is readable */
#define DM_TLS_WANT_WRITE 2 /* call again when the fd is writable */

/*
 * TLS/DNS/configuration failures (negative, below every errno). Values are stable: bindings and
 * tests match on them (through dm_tls_errname), never on messages.
 */
#define DM_TLS_E_CERT_UNTRUSTED (-4001) /* "ECERTUNTRUSTED": chain does not lead to the configured CA */
#define DM_TLS_E_CERT_EXPIRED (-4002)   /* "ECERTEXPIRED": a certificate is outside its validity period */
#define DM_TLS_E_CERT_NAME (-4003)      /* "ECERTNAME": server name matches neither SAN nor CN */
#define DM_TLS_E_CERT_INVALID (-4004)   /* "ECERTINVALID": other verification failure (signature, usage, revoked) */
#define DM_TLS_E_HANDSHAKE (-4005)      /* "ETLSHANDSHAKE": protocol failure or fatal alert during the handshake */
#define DM_TLS_E_CA_FILE (-4006)        /* "ECAFILE": the CA file is missing or holds no parsable certificate */
#define DM_TLS_E_DNS (-4007)            /* "EDNS": the host name does not resolve */
#define DM_TLS_E_PROTOCOL (-4008)       /* "ETLSPROTOCOL": record-layer failure after the handshake (bad MAC, alert) */
#define DM_TLS_E_INTERNAL (-4009)       /* "ETLSINTERNAL": mbedtls setup failure (RNG seeding, config) */

/** Longest host or server name accepted (bytes, without the NUL); longer names are -ENAMETOOLONG. */
#define DM_TLS_MAX_HOST 253

/**
 * Resolver threads alive at once, process-wide (lookups of closed streams count until getaddrinfo
 * returns). dm_tls_open of a name beyond that is -EAGAIN. Equal to DM_MAX_TLS (dm_tls_ctx.h).
 */
#define DM_TLS_MAX_LOOKUPS 4

typedef struct dm_tls dm_tls_t;

/** Size of the handle in bytes (the C heap part mbedtls allocates comes on top, see above). */
size_t dm_tls_sizeof(void);

/**
 * Starts a stream to `host`:`port` (1..65535). A numeric host (IPv4/IPv6 literal) is connected at
 * once (non-blocking socket); a name is handed to a resolver thread and connected by dm_tls_step once
 * resolved. With DM_TLS_F_TLS, also loads `ca_file` (PEM or DER, one or more CAs) and prepares a
 * TLS 1.2 client that checks `servername` (NULL or "" = `host`). On success stores a new handle in
 * `*out` and returns 0: drive it with dm_tls_step(). On failure `*out` is NULL and the result is
 * negative: -EINVAL (bad argument), -ENAMETOOLONG, DM_TLS_E_CA_FILE, -ENOMEM, -errno of socket() or
 * eventfd(), -EAGAIN (DM_TLS_MAX_LOOKUPS lookups running, or no thread could be created).
 * A name that does not resolve (DM_TLS_E_DNS) and an immediate connect refusal are reported by
 * dm_tls_step(), never here.
 */
int dm_tls_open(dm_tls_t **out, const char *host, int port, const char *servername, const char *ca_file,
                unsigned flags);

/**
 * Advances resolution, connect and handshake. Returns DM_TLS_OPEN once usable, DM_TLS_WANT_READ/WRITE
 * while in progress (wait for that readiness of dm_tls_fd(), asked again after this call, then call
 * again), or a negative code (DM_TLS_E_DNS when the name does not resolve); a failed stream keeps
 * returning the same code. When one address of the host refuses, the next one is tried.
 */
int dm_tls_step(dm_tls_t *t);

/**
 * The fd to watch: the resolver's eventfd while the name is being resolved, then the socket (a new
 * one for each address tried); -EBADF after close or when there is none.
 */
int dm_tls_fd(const dm_tls_t *t);

/** Resolver threads alive now, process-wide (diagnostics and tests). */
int dm_tls_lookups(void);

/** After -EAGAIN from read/write: DM_TLS_WANT_READ or DM_TLS_WANT_WRITE (TLS may need either for both). */
int dm_tls_want(const dm_tls_t *t);

/**
 * Reads up to `len` bytes into `buf`. Returns the count (> 0), 0 at end of stream (peer closed:
 * TCP FIN or TLS close_notify), -EAGAIN when nothing is available yet (see dm_tls_want), or a negative
 * code. Call repeatedly until -EAGAIN: TLS may hold decrypted bytes that no fd event announces.
 * -EINVAL before the stream is open.
 */
int dm_tls_read(dm_tls_t *t, uint8_t *buf, size_t len);

/**
 * Writes up to `len` bytes from `buf`; returns the count accepted (> 0, possibly short), -EAGAIN
 * (see dm_tls_want), or a negative code (-EPIPE, -ECONNRESET, DM_TLS_E_PROTOCOL). After -EAGAIN the
 * next call must pass the same bytes again (mbedtls retransmits from its own buffer).
 */
int dm_tls_write(dm_tls_t *t, const uint8_t *buf, size_t len);

/**
 * Sends TLS close_notify (best effort, never waits), closes the socket and releases the TLS state.
 * Idempotent; returns 0. Later calls other than dm_tls_close/dm_tls_free return -EBADF.
 */
int dm_tls_close(dm_tls_t *t);

/** dm_tls_close() and releases the handle. Accepts NULL. */
void dm_tls_free(dm_tls_t *t);

/** Negotiated cipher suite name ("TLS-ECDHE-ECDSA-WITH-CHACHA20-POLY1305-SHA256"), "" for plain TCP or before open. */
const char *dm_tls_cipher(const dm_tls_t *t);

/**
 * Stable name of a result code: DM_TLS_E_* names above, errno names for the errno values this module
 * returns ("ECONNREFUSED", "EAGAIN", ...), NULL for anything else (callers fall back to the number).
 */
const char *dm_tls_errname(int code);

#endif /* DM_TLS_H */
