/*
 * dm_tls.c — non-blocking TCP/TLS client stream (contract in dm_tls.h).
 *
 * The socket I/O callbacks given to mbedtls are our own (send with MSG_NOSIGNAL, recv on a
 * non-blocking fd), so a peer reset never raises SIGPIPE and the errno of a failed system call is
 * kept (`sys_err`) and reported as -errno instead of a generic mbedtls network error.
 *
 * Name resolution: numeric hosts resolve in dm_tls_open (AI_NUMERICHOST). Any other name goes to a
 * detached resolver thread that calls getaddrinfo and signals an eventfd when done; the stream is
 * RESOLVING meanwhile and dm_tls_fd is that eventfd. getaddrinfo cannot be cancelled, so the thread
 * and the stream share a reference-counted block (`struct prv_lookup`): dm_tls_close drops the
 * stream's reference without waiting, and whichever side lets go last frees the result, closes the
 * eventfd and frees the block. At most DM_TLS_MAX_LOOKUPS threads exist at a time (process-wide:
 * abandoned lookups count until getaddrinfo returns).
 */
#include "tls/dm_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

/** Life cycle of a stream. */
enum prv_state {
    PRV_RESOLVING = 1,  /* the resolver thread of `lookup` runs getaddrinfo; watch lookup->efd */
    PRV_CONNECTING,     /* TCP connect in progress on `fd` */
    PRV_HANDSHAKE,      /* TLS handshake in progress */
    PRV_OPEN,           /* usable: read/write */
    PRV_FAILED,         /* terminal: `err` holds the code every call returns */
    PRV_CLOSED          /* dm_tls_close done: everything released */
};

/*
 * A name lookup shared by the stream and its resolver thread (two references at start). The thread
 * writes gai/sys_errno/res, then sets `done` (release) and signals `efd`; the stream reads them only
 * after seeing `done` (acquire). The last reference frees res, closes efd and frees the block.
 */
struct prv_lookup {
    int refs;                    /* atomic */
    int done;                    /* atomic: getaddrinfo returned */
    int efd;                     /* eventfd, readable once done */
    int gai;                     /* getaddrinfo result */
    int sys_errno;               /* errno after EAI_SYSTEM */
    struct addrinfo *res;        /* owned until the stream takes it */
    char port[8];
    char host[DM_TLS_MAX_HOST + 1];
};

struct dm_tls {
    enum prv_state state;
    struct prv_lookup *lookup;   /* PRV_RESOLVING: the stream's reference, else NULL */
    int fd;                      /* socket, -1 when none */
    int err;                     /* code of PRV_FAILED */
    int want;                    /* DM_TLS_WANT_* after the last -EAGAIN */
    int sys_err;                 /* errno of the last failed send/recv inside mbedtls callbacks */
    int use_tls;                 /* DM_TLS_F_TLS was given */
    int tls_ready;               /* the mbedtls contexts below are initialised */
    struct addrinfo *addrs;      /* resolved addresses (owned) */
    struct addrinfo *cur;        /* the one being connected */
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca;
    mbedtls_ctr_drbg_context drbg;
};

size_t dm_tls_sizeof(void) { return sizeof(struct dm_tls); }

/* ------------------------------------------------------------------ socket callbacks for mbedtls */

static int prv_bio_send(void *ctx, const unsigned char *buf, size_t len) {
    struct dm_tls *t = ctx;
    ssize_t n = send(t->fd, buf, len, MSG_NOSIGNAL);
    if (n >= 0) return (int)n;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return MBEDTLS_ERR_SSL_WANT_WRITE;
    if (errno == EINTR) return MBEDTLS_ERR_SSL_WANT_WRITE;
    t->sys_err = errno;
    return (errno == EPIPE || errno == ECONNRESET) ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int prv_bio_recv(void *ctx, unsigned char *buf, size_t len) {
    struct dm_tls *t = ctx;
    ssize_t n = recv(t->fd, buf, len, 0);
    if (n >= 0) return (int)n; /* 0: EOF, mbedtls turns it into MBEDTLS_ERR_SSL_CONN_EOF */
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_READ;
    t->sys_err = errno;
    return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
}

/* ------------------------------------------------------------------ helpers */

static int prv_fail(struct dm_tls *t, int code) {
    t->state = PRV_FAILED;
    t->err = code;
    return code;
}

/** Maps an mbedtls error from a socket-level failure or a protocol failure to our codes. */
static int prv_map_io(struct dm_tls *t, int ret, int during_handshake) {
    switch (ret) {
    case MBEDTLS_ERR_NET_CONN_RESET:
    case MBEDTLS_ERR_SSL_CONN_EOF:
        return -ECONNRESET;
    case MBEDTLS_ERR_NET_SEND_FAILED:
    case MBEDTLS_ERR_NET_RECV_FAILED:
        return t->sys_err > 0 ? -t->sys_err : -EIO;
    case MBEDTLS_ERR_SSL_ALLOC_FAILED:
        return -ENOMEM;
    default:
        return during_handshake ? DM_TLS_E_HANDSHAKE : DM_TLS_E_PROTOCOL;
    }
}

/** Classifies a failed certificate verification (most fundamental problem first). */
static int prv_map_verify(uint32_t flags) {
    if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) return DM_TLS_E_CERT_UNTRUSTED;
    if (flags & (MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE)) return DM_TLS_E_CERT_EXPIRED;
    if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) return DM_TLS_E_CERT_NAME;
    return DM_TLS_E_CERT_INVALID;
}

/** Starts a non-blocking connect to t->cur; returns 0 (in progress or done) or -errno. */
static int prv_connect_cur(struct dm_tls *t) {
    if (t->fd >= 0) { close(t->fd); t->fd = -1; }
    const struct addrinfo *a = t->cur;
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) return -errno;
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* request/response protocol */
    t->fd = fd;
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS) return 0;
    return -errno;
}

/** Tries the next resolved address after `err`; returns 0 when a new attempt started, else `err`. */
static int prv_next_addr(struct dm_tls *t, int err) {
    while (t->cur && t->cur->ai_next) {
        t->cur = t->cur->ai_next;
        int r = prv_connect_cur(t);
        if (r == 0) return 0;
        err = r;
    }
    return err;
}

/* ------------------------------------------------------------------ name resolution */

/** Resolver threads alive (atomic), bounded by DM_TLS_MAX_LOOKUPS. */
static int prv_lookups;

/** getaddrinfo's stack needs are a few KB (glibc resolver buffers live on the heap); 256 KB is ample. */
#define PRV_RESOLVER_STACK (256 * 1024)

int dm_tls_lookups(void) { return __atomic_load_n(&prv_lookups, __ATOMIC_ACQUIRE); }

/** The result of a failed getaddrinfo as one of our codes. */
static int prv_gai_code(int g, int sys_errno) {
    if (g == EAI_MEMORY) return -ENOMEM;
    if (g == EAI_SYSTEM) return sys_errno > 0 ? -sys_errno : DM_TLS_E_DNS;
    return DM_TLS_E_DNS;
}

static void prv_hints(struct addrinfo *hints, int flags) {
    memset(hints, 0, sizeof *hints);
    hints->ai_family = AF_UNSPEC;
    hints->ai_socktype = SOCK_STREAM;
    hints->ai_flags = AI_NUMERICSERV | flags; /* no AI_ADDRCONFIG: it hides localhost on loopback-only devices */
}

static void prv_lookup_unref(struct prv_lookup *l) {
    if (__atomic_sub_fetch(&l->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    if (l->res) freeaddrinfo(l->res);
    close(l->efd);
    free(l);
}

static void *prv_resolver(void *arg) {
    struct prv_lookup *l = arg;
    struct addrinfo hints;
    prv_hints(&hints, 0);
    struct addrinfo *res = NULL;
    int g = getaddrinfo(l->host, l->port, &hints, &res);
    l->sys_errno = g == EAI_SYSTEM ? errno : 0;
    l->gai = g;
    l->res = g == 0 ? res : NULL; /* res is untouched (NULL) on failure */
    __atomic_sub_fetch(&prv_lookups, 1, __ATOMIC_ACQ_REL); /* a new lookup may start as soon as we signal */
    __atomic_store_n(&l->done, 1, __ATOMIC_RELEASE);
    uint64_t one = 1;
    while (write(l->efd, &one, sizeof one) < 0 && errno == EINTR) {}
    prv_lookup_unref(l);
    return NULL;
}

/**
 * Starts resolving t's host on a detached thread (all signals blocked there, so they keep reaching
 * the event loop's thread). Returns 0 (t is PRV_RESOLVING) or -EAGAIN (DM_TLS_MAX_LOOKUPS running,
 * or no thread), -ENOMEM, -EMFILE/-ENFILE (eventfd).
 */
static int prv_lookup_start(struct dm_tls *t, const char *host, int port) {
    int n = __atomic_load_n(&prv_lookups, __ATOMIC_ACQUIRE);
    do {
        if (n >= DM_TLS_MAX_LOOKUPS) return -EAGAIN;
    } while (!__atomic_compare_exchange_n(&prv_lookups, &n, n + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
    int r = -ENOMEM;
    struct prv_lookup *l = calloc(1, sizeof *l);
    if (!l) goto undo;
    l->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (l->efd < 0) { r = -errno; free(l); goto undo; }
    l->refs = 2; /* stream + thread */
    (void)snprintf(l->port, sizeof l->port, "%d", port);
    (void)snprintf(l->host, sizeof l->host, "%s", host);

    pthread_attr_t attr;
    sigset_t all, old;
    pthread_t tid;
    if (pthread_attr_init(&attr) != 0) { close(l->efd); free(l); goto undo; }
    (void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    (void)pthread_attr_setstacksize(&attr, PRV_RESOLVER_STACK);
    sigfillset(&all);
    (void)pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&tid, &attr, prv_resolver, l);
    (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (e != 0) { r = e == ENOMEM ? -ENOMEM : -EAGAIN; close(l->efd); free(l); goto undo; }
    t->lookup = l;
    t->state = PRV_RESOLVING;
    return 0;
undo:
    __atomic_sub_fetch(&prv_lookups, 1, __ATOMIC_ACQ_REL);
    return r;
}

/**
 * Starts connecting to the first address of t->addrs that does not fail at once. Returns 0 (t is
 * CONNECTING, or FAILED with the last address's error) or a resource error (-EMFILE, -ENFILE,
 * -ENOMEM) that fails the stream as a whole.
 */
static int prv_connect_first(struct dm_tls *t) {
    t->cur = t->addrs;
    t->state = PRV_CONNECTING;
    int r = prv_connect_cur(t);
    if (r == -EMFILE || r == -ENFILE || r == -ENOMEM) return r;
    if (r != 0) {
        /* an immediate refusal is a connect outcome: keep it for dm_tls_step (maybe another address works) */
        r = prv_next_addr(t, r);
        if (r != 0) prv_fail(t, r);
    }
    return 0;
}

/*
 * Entropy for the DRBG straight from the kernel (getrandom, blocking only until the pool is
 * initialised at boot). mbedtls' own entropy accumulator would add 38 KB to every handle.
 */
static int prv_entropy(void *unused, unsigned char *out, size_t len) {
    (void)unused;
    while (len > 0) {
        ssize_t n = getrandom(out, len, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
        }
        out += n;
        len -= (size_t)n;
    }
    return 0;
}

static int prv_tls_setup(struct dm_tls *t, const char *name, const char *ca_file) {
    mbedtls_ssl_init(&t->ssl);
    mbedtls_ssl_config_init(&t->conf);
    mbedtls_x509_crt_init(&t->ca);
    mbedtls_ctr_drbg_init(&t->drbg);
    t->tls_ready = 1;

    int r = mbedtls_x509_crt_parse_file(&t->ca, ca_file);
    /* r > 0: some certificates of a bundle did not parse; fine as long as at least one did. */
    if (r < 0 || t->ca.version == 0) return DM_TLS_E_CA_FILE;

    static const unsigned char pers[] = "omadm-dm_tls";
    if (mbedtls_ctr_drbg_seed(&t->drbg, prv_entropy, NULL, pers, sizeof pers - 1) != 0)
        return DM_TLS_E_INTERNAL;
    if (mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                    MBEDTLS_SSL_PRESET_DEFAULT) != 0)
        return DM_TLS_E_INTERNAL;
    mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
    mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
    mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3); /* TLS 1.2 */
    r = mbedtls_ssl_setup(&t->ssl, &t->conf);
    if (r == MBEDTLS_ERR_SSL_ALLOC_FAILED) return -ENOMEM;
    if (r != 0) return DM_TLS_E_INTERNAL;
    if (mbedtls_ssl_set_hostname(&t->ssl, name) != 0) return DM_TLS_E_INTERNAL;
    mbedtls_ssl_set_bio(&t->ssl, t, prv_bio_send, prv_bio_recv, NULL);
    return 0;
}

/* ------------------------------------------------------------------ API */

int dm_tls_open(dm_tls_t **out, const char *host, int port, const char *servername, const char *ca_file,
                unsigned flags) {
    if (!out) return -EINVAL;
    *out = NULL;
    if (!host || !host[0] || port < 1 || port > 65535 || (flags & ~DM_TLS_F_TLS) != 0) return -EINVAL;
    if (strlen(host) > DM_TLS_MAX_HOST || (servername && strlen(servername) > DM_TLS_MAX_HOST)) return -ENAMETOOLONG;
    int use_tls = (flags & DM_TLS_F_TLS) != 0;
    if (use_tls && (!ca_file || !ca_file[0])) return -EINVAL; /* verification is not optional */

    struct dm_tls *t = calloc(1, sizeof *t);
    if (!t) return -ENOMEM;
    t->fd = -1;
    t->use_tls = use_tls;

    int r = 0;
    if (use_tls) r = prv_tls_setup(t, servername && servername[0] ? servername : host, ca_file);
    if (r == 0) {
        /* numeric hosts now; names on the resolver thread (dm_tls_step collects the result) */
        char portstr[8];
        struct addrinfo hints;
        prv_hints(&hints, AI_NUMERICHOST);
        (void)snprintf(portstr, sizeof portstr, "%d", port);
        int g = getaddrinfo(host, portstr, &hints, &t->addrs);
        if (g == 0 && t->addrs) r = prv_connect_first(t);
        else if (g == EAI_NONAME) r = prv_lookup_start(t, host, port);
        else r = g == 0 ? DM_TLS_E_DNS : prv_gai_code(g, errno);
    }
    if (r != 0) {
        dm_tls_free(t);
        return r;
    }
    *out = t;
    return 0;
}

int dm_tls_step(dm_tls_t *t) {
    if (!t) return -EINVAL;
    for (;;) {
        switch (t->state) {
        case PRV_RESOLVING: {
            struct prv_lookup *l = t->lookup;
            if (!__atomic_load_n(&l->done, __ATOMIC_ACQUIRE)) return DM_TLS_WANT_READ; /* wait for l->efd */
            t->addrs = l->res;
            l->res = NULL;
            int code = l->gai == 0 && t->addrs ? 0 : prv_gai_code(l->gai, l->sys_errno);
            t->lookup = NULL;
            prv_lookup_unref(l);
            if (code != 0) return prv_fail(t, code);
            int r = prv_connect_first(t);
            if (r != 0) return prv_fail(t, r);
            continue; /* CONNECTING, or FAILED when every address failed at once */
        }
        case PRV_CONNECTING: {
            struct pollfd p = { .fd = t->fd, .events = POLLOUT };
            int n = poll(&p, 1, 0);
            if (n < 0) return errno == EINTR ? DM_TLS_WANT_WRITE : prv_fail(t, -errno);
            if (n == 0) return DM_TLS_WANT_WRITE;
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0) soerr = errno;
            if (soerr != 0) {
                int r = prv_next_addr(t, -soerr);
                if (r != 0) return prv_fail(t, r);
                continue; /* next address in progress */
            }
            t->state = t->use_tls ? PRV_HANDSHAKE : PRV_OPEN;
            continue;
        }
        case PRV_HANDSHAKE: {
            int r = mbedtls_ssl_handshake(&t->ssl);
            if (r == 0) { t->state = PRV_OPEN; continue; }
            if (r == MBEDTLS_ERR_SSL_WANT_READ) return DM_TLS_WANT_READ;
            if (r == MBEDTLS_ERR_SSL_WANT_WRITE) return DM_TLS_WANT_WRITE;
            if (r == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED)
                return prv_fail(t, prv_map_verify(mbedtls_ssl_get_verify_result(&t->ssl)));
            return prv_fail(t, prv_map_io(t, r, 1));
        }
        case PRV_OPEN:
            return DM_TLS_OPEN;
        case PRV_FAILED:
            return t->err;
        case PRV_CLOSED:
        default:
            return -EBADF;
        }
    }
}

int dm_tls_fd(const dm_tls_t *t) {
    if (t && t->state == PRV_RESOLVING) return t->lookup->efd;
    if (!t || t->fd < 0) return -EBADF;
    return t->fd;
}

int dm_tls_want(const dm_tls_t *t) {
    if (!t) return -EINVAL;
    return t->want ? t->want : DM_TLS_WANT_READ;
}

/** Common entry checks of read/write: 0 when open, else the code to return. */
static int prv_io_check(const struct dm_tls *t, const void *buf) {
    if (!t || !buf) return -EINVAL;
    if (t->state == PRV_OPEN) return 0;
    if (t->state == PRV_FAILED) return t->err;
    if (t->state == PRV_CLOSED) return -EBADF;
    return -EINVAL; /* still connecting: drive dm_tls_step first */
}

int dm_tls_read(dm_tls_t *t, uint8_t *buf, size_t len) {
    int c = prv_io_check(t, buf);
    if (c != 0) return c;
    if (len == 0) return -EINVAL;
    if (len > INT32_MAX) len = INT32_MAX;
    if (!t->use_tls) {
        ssize_t n = recv(t->fd, buf, len, 0);
        if (n >= 0) return (int)n;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { t->want = DM_TLS_WANT_READ; return -EAGAIN; }
        return prv_fail(t, -errno);
    }
    int r = mbedtls_ssl_read(&t->ssl, buf, len);
    if (r > 0) return r;
    if (r == 0 || r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) return 0;
    if (r == MBEDTLS_ERR_SSL_WANT_READ) { t->want = DM_TLS_WANT_READ; return -EAGAIN; }
    if (r == MBEDTLS_ERR_SSL_WANT_WRITE) { t->want = DM_TLS_WANT_WRITE; return -EAGAIN; }
    return prv_fail(t, prv_map_io(t, r, 0));
}

int dm_tls_write(dm_tls_t *t, const uint8_t *buf, size_t len) {
    int c = prv_io_check(t, buf);
    if (c != 0) return c;
    if (len == 0) return -EINVAL;
    if (len > INT32_MAX) len = INT32_MAX;
    if (!t->use_tls) {
        ssize_t n = send(t->fd, buf, len, MSG_NOSIGNAL);
        if (n >= 0) return (int)n;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { t->want = DM_TLS_WANT_WRITE; return -EAGAIN; }
        return prv_fail(t, -errno);
    }
    int r = mbedtls_ssl_write(&t->ssl, buf, len);
    if (r > 0) return r;
    if (r == MBEDTLS_ERR_SSL_WANT_WRITE) { t->want = DM_TLS_WANT_WRITE; return -EAGAIN; }
    if (r == MBEDTLS_ERR_SSL_WANT_READ) { t->want = DM_TLS_WANT_READ; return -EAGAIN; }
    return prv_fail(t, prv_map_io(t, r, 0));
}

int dm_tls_close(dm_tls_t *t) {
    if (!t || t->state == PRV_CLOSED) return 0;
    if (t->use_tls && t->state == PRV_OPEN) (void)mbedtls_ssl_close_notify(&t->ssl); /* best effort */
    if (t->lookup) { prv_lookup_unref(t->lookup); t->lookup = NULL; } /* never waits for getaddrinfo */
    if (t->fd >= 0) { close(t->fd); t->fd = -1; }
    if (t->tls_ready) {
        mbedtls_ssl_free(&t->ssl);
        mbedtls_ssl_config_free(&t->conf);
        mbedtls_x509_crt_free(&t->ca);
        mbedtls_ctr_drbg_free(&t->drbg);
        t->tls_ready = 0;
    }
    if (t->addrs) { freeaddrinfo(t->addrs); t->addrs = NULL; t->cur = NULL; }
    t->state = PRV_CLOSED;
    return 0;
}

void dm_tls_free(dm_tls_t *t) {
    if (!t) return;
    dm_tls_close(t);
    free(t);
}

const char *dm_tls_cipher(const dm_tls_t *t) {
    if (!t || !t->use_tls || t->state != PRV_OPEN) return "";
    const char *s = mbedtls_ssl_get_ciphersuite(&t->ssl);
    return s ? s : "";
}

const char *dm_tls_errname(int code) {
    switch (code) {
    case DM_TLS_E_CERT_UNTRUSTED: return "ECERTUNTRUSTED";
    case DM_TLS_E_CERT_EXPIRED: return "ECERTEXPIRED";
    case DM_TLS_E_CERT_NAME: return "ECERTNAME";
    case DM_TLS_E_CERT_INVALID: return "ECERTINVALID";
    case DM_TLS_E_HANDSHAKE: return "ETLSHANDSHAKE";
    case DM_TLS_E_CA_FILE: return "ECAFILE";
    case DM_TLS_E_DNS: return "EDNS";
    case DM_TLS_E_PROTOCOL: return "ETLSPROTOCOL";
    case DM_TLS_E_INTERNAL: return "ETLSINTERNAL";
    case -EAGAIN: return "EAGAIN";
    case -EBADF: return "EBADF";
    case -EINVAL: return "EINVAL";
    case -ENOMEM: return "ENOMEM";
    case -EIO: return "EIO";
    case -EPIPE: return "EPIPE";
    case -EMFILE: return "EMFILE";
    case -ENFILE: return "ENFILE";
    case -EACCES: return "EACCES";
    case -EPERM: return "EPERM";
    case -ENAMETOOLONG: return "ENAMETOOLONG";
    case -ECONNREFUSED: return "ECONNREFUSED";
    case -ECONNRESET: return "ECONNRESET";
    case -ECONNABORTED: return "ECONNABORTED";
    case -ETIMEDOUT: return "ETIMEDOUT";
    case -EHOSTUNREACH: return "EHOSTUNREACH";
    case -ENETUNREACH: return "ENETUNREACH";
    case -ENETDOWN: return "ENETDOWN";
    case -EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case -EAFNOSUPPORT: return "EAFNOSUPPORT";
    case -ENOTCONN: return "ENOTCONN";
    default: return NULL;
    }
}
