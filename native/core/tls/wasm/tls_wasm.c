/*
 * tls_wasm.c — the mbedtls TLS 1.2 client compiled to wasm32-wasi, for Node: the same TLS engine and
 * certificate checks as the device (native/core/tls/dm_tls.c), with the socket left to JavaScript.
 *
 * I/O model (no sockets in WASI): ciphertext from the peer is pushed in with tw_feed() (bounded
 * buffer, TW_MAX_INPUT); ciphertext to the peer leaves synchronously through the imported function
 * env.tw_send(id, ptr, len), which must accept all bytes. So writes never block and reads return
 * TW_EAGAIN when the fed input is used up. Results: >= 0 success, TW_EAGAIN, or the DM_TLS_E_*
 * codes of dm_tls.h (certificate failures distinguished exactly as on the device), -TW_ENOMEM,
 * -TW_ENOBUFS, -TW_EINVAL, -TW_ECONNRESET. Linux errno numbers are used, not WASI's.
 *
 * Exports: tw_alloc/tw_free (buffers in linear memory), tw_new, tw_feed, tw_eof, tw_handshake,
 * tw_read, tw_write, tw_cipher, tw_close, tw_last_error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "tls/dm_tls.h"

#define TW_EXPORT(name) __attribute__((export_name(#name)))

/** Would block: feed more input (Linux EAGAIN, as dm_tls). */
#define TW_EAGAIN (-11)
#define TW_ENOMEM 12
#define TW_EINVAL 22
#define TW_ENOBUFS 105
#define TW_ECONNRESET 104
/** Bound on buffered, not yet consumed input (bytes). */
#define TW_MAX_INPUT (256 * 1024)

/** Sends ciphertext to the peer (JavaScript writes it to the socket); returns len. */
__attribute__((import_module("env"), import_name("tw_send"))) int tw_js_send(int id, const uint8_t *p, int len);

typedef struct tw {
    int id;                 /* JavaScript's stream id, passed back to tw_send */
    int eof;                /* the peer closed the TCP stream */
    uint8_t *in;            /* fed input [in_off, in_len) */
    size_t in_off, in_len, in_cap;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca;
    mbedtls_ctr_drbg_context drbg;
} tw_t;

static int prv_last_error;

TW_EXPORT(tw_alloc) void *tw_alloc(size_t n) { return malloc(n ? n : 1); }
TW_EXPORT(tw_free) void tw_free(void *p) { free(p); }
/** The error of the last tw_new that returned NULL. */
TW_EXPORT(tw_last_error) int tw_last_error(void) { return prv_last_error; }

static int prv_entropy(void *unused, unsigned char *out, size_t len) {
    (void)unused;
    while (len > 0) {
        size_t n = len > 256 ? 256 : len; /* getentropy's limit */
        if (getentropy(out, n) != 0) return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
        out += n;
        len -= n;
    }
    return 0;
}

static int prv_send(void *ctx, const unsigned char *buf, size_t len) {
    tw_t *t = ctx;
    return tw_js_send(t->id, buf, (int)len);
}

static int prv_recv(void *ctx, unsigned char *buf, size_t len) {
    tw_t *t = ctx;
    size_t avail = t->in_len - t->in_off;
    if (avail == 0) return t->eof ? 0 : MBEDTLS_ERR_SSL_WANT_READ;
    if (len > avail) len = avail;
    memcpy(buf, t->in + t->in_off, len);
    t->in_off += len;
    return (int)len;
}

static void prv_free(tw_t *t) {
    mbedtls_ssl_free(&t->ssl);
    mbedtls_ssl_config_free(&t->conf);
    mbedtls_x509_crt_free(&t->ca);
    mbedtls_ctr_drbg_free(&t->drbg);
    free(t->in);
    free(t);
}

/**
 * A TLS client context for stream `id`: CA bundle `ca[0, ca_len)` (PEM with its terminating NUL
 * counted in ca_len, or DER), server name `host` (NUL-terminated). NULL on failure (tw_last_error:
 * DM_TLS_E_CA_FILE, DM_TLS_E_INTERNAL, -TW_ENOMEM, -TW_EINVAL).
 */
TW_EXPORT(tw_new) tw_t *tw_new(int id, const uint8_t *ca, size_t ca_len, const char *host) {
    prv_last_error = 0;
    if (!ca || !ca_len || !host || !host[0]) { prv_last_error = -TW_EINVAL; return NULL; }
    tw_t *t = calloc(1, sizeof *t);
    if (!t) { prv_last_error = -TW_ENOMEM; return NULL; }
    t->id = id;
    mbedtls_ssl_init(&t->ssl);
    mbedtls_ssl_config_init(&t->conf);
    mbedtls_x509_crt_init(&t->ca);
    mbedtls_ctr_drbg_init(&t->drbg);
    static const unsigned char pers[] = "omadm-tls-wasm";
    int r = mbedtls_x509_crt_parse(&t->ca, ca, ca_len);
    if (r < 0 || t->ca.version == 0) prv_last_error = DM_TLS_E_CA_FILE;
    else if (mbedtls_ctr_drbg_seed(&t->drbg, prv_entropy, NULL, pers, sizeof pers - 1) != 0 ||
             mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                         MBEDTLS_SSL_PRESET_DEFAULT) != 0)
        prv_last_error = DM_TLS_E_INTERNAL;
    if (prv_last_error == 0) {
        mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
        mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
        mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
        mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
        if (mbedtls_ssl_setup(&t->ssl, &t->conf) != 0 || mbedtls_ssl_set_hostname(&t->ssl, host) != 0)
            prv_last_error = DM_TLS_E_INTERNAL;
    }
    if (prv_last_error != 0) { prv_free(t); return NULL; }
    mbedtls_ssl_set_bio(&t->ssl, t, prv_send, prv_recv, NULL);
    return t;
}

/** Appends peer ciphertext; 0, or -TW_ENOBUFS when more than TW_MAX_INPUT would be pending. */
TW_EXPORT(tw_feed) int tw_feed(tw_t *t, const uint8_t *p, size_t n) {
    if (t->in_off > 0) { /* compact */
        memmove(t->in, t->in + t->in_off, t->in_len - t->in_off);
        t->in_len -= t->in_off;
        t->in_off = 0;
    }
    if (t->in_len + n > TW_MAX_INPUT) return -TW_ENOBUFS;
    if (t->in_len + n > t->in_cap) {
        size_t cap = t->in_cap ? t->in_cap : 16384;
        while (cap < t->in_len + n) cap *= 2;
        uint8_t *q = realloc(t->in, cap);
        if (!q) return -TW_ENOMEM;
        t->in = q;
        t->in_cap = cap;
    }
    memcpy(t->in + t->in_len, p, n);
    t->in_len += n;
    return 0;
}

/** The peer closed its side of the TCP stream. */
TW_EXPORT(tw_eof) void tw_eof(tw_t *t) { t->eof = 1; }

static int prv_map(tw_t *t, int r, int handshake) {
    if (r == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
        uint32_t f = mbedtls_ssl_get_verify_result(&t->ssl);
        if (f & MBEDTLS_X509_BADCERT_NOT_TRUSTED) return DM_TLS_E_CERT_UNTRUSTED;
        if (f & (MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE)) return DM_TLS_E_CERT_EXPIRED;
        if (f & MBEDTLS_X509_BADCERT_CN_MISMATCH) return DM_TLS_E_CERT_NAME;
        return DM_TLS_E_CERT_INVALID;
    }
    if (r == MBEDTLS_ERR_SSL_CONN_EOF) return -TW_ECONNRESET;
    if (r == MBEDTLS_ERR_SSL_ALLOC_FAILED) return -TW_ENOMEM;
    return handshake ? DM_TLS_E_HANDSHAKE : DM_TLS_E_PROTOCOL;
}

/** Advances the handshake: 0 done, 1 needs input (feed, call again), < 0 failure. */
TW_EXPORT(tw_handshake) int tw_handshake(tw_t *t) {
    int r = mbedtls_ssl_handshake(&t->ssl);
    if (r == 0) return 0;
    if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) return t->eof ? -TW_ECONNRESET : 1;
    return prv_map(t, r, 1);
}

/** Plaintext into p: count, 0 at end of stream (close_notify or TCP EOF), TW_EAGAIN, or < 0. */
TW_EXPORT(tw_read) int tw_read(tw_t *t, uint8_t *p, size_t n) {
    int r = mbedtls_ssl_read(&t->ssl, p, n);
    if (r >= 0 || r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) return r > 0 ? r : 0;
    if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) return t->eof ? 0 : TW_EAGAIN;
    return prv_map(t, r, 0);
}

/** Encrypts and sends p[0, n): count accepted (possibly short: one record), or < 0. */
TW_EXPORT(tw_write) int tw_write(tw_t *t, const uint8_t *p, size_t n) {
    int r = mbedtls_ssl_write(&t->ssl, p, n);
    if (r >= 0) return r;
    if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) return TW_EAGAIN;
    return prv_map(t, r, 0);
}

/** Negotiated cipher-suite name (NUL-terminated, static), "" before the handshake. */
TW_EXPORT(tw_cipher) const char *tw_cipher(tw_t *t) {
    const char *s = mbedtls_ssl_get_ciphersuite(&t->ssl);
    return s ? s : "";
}

/** Sends close_notify (best effort) and frees the context. Accepts NULL. */
TW_EXPORT(tw_close) void tw_close(tw_t *t) {
    if (!t) return;
    if (t->ssl.state == MBEDTLS_SSL_HANDSHAKE_OVER) (void)mbedtls_ssl_close_notify(&t->ssl);
    prv_free(t);
}
