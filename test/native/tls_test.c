/*
 * C unit test of native/core/tls (built with ASan + UBSan by `make tls-test-bin`).
 *
 *   tls_test unit
 *       In-process checks: argument validation, error names, life cycle (close twice, I/O after close),
 *       plain TCP against a listener in this process (echo, peer close -> EOF, back-pressure -> EAGAIN
 *       + DM_TLS_WANT_WRITE), connection refused, unresolvable host, unreadable/garbage CA files.
 *       Prints one "ok <name>" per check, "FAIL <name> ..." on failure; exit 0 only when all pass.
 *       Names resolve on the resolver thread: localhost connects through it, closing during the lookup
 *       frees everything once the thread ends (ASan), numeric hosts start no thread.
 *   tls_test stall NAME
 *       NAME's lookup must hang (see cmd_stall): the lookup bound, close during a lookup, the end in EDNS.
 *   tls_test get HOST PORT CAFILE SERVERNAME PATH [tcp]
 *       Drives one stream with poll(2) exactly as the JS hosts do, sends "GET PATH HTTP/1.0", reads to
 *       EOF and prints "open <cipher>", then "body <bytes> <sha256 of everything after the header>",
 *       or "error <NAME> <code>" (exit 3). test/native/tls.test.ts runs it against `openssl s_server`
 *       with certificates generated at test time (good CA, wrong CA, expired, wrong host name).
 */
#include "tls/dm_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

static int failures;

#define CHECK(name, cond, ...)                                                     \
    do {                                                                           \
        if (cond) printf("ok %s\n", name);                                         \
        else { printf("FAIL %s: ", name); printf(__VA_ARGS__); printf("\n"); failures++; } \
    } while (0)

/* Waits (up to ~5 s) for what the stream wants; returns the poll result. */
static int wait_for(dm_tls_t *t, int want) {
    struct pollfd p = { .fd = dm_tls_fd(t), .events = want == DM_TLS_WANT_WRITE ? POLLOUT : POLLIN };
    return poll(&p, 1, 5000);
}

/* Drives dm_tls_step to completion; returns DM_TLS_OPEN or the error. */
static int drive_open(dm_tls_t *t) {
    for (int i = 0; i < 1000; i++) {
        int r = dm_tls_step(t);
        if (r <= 0) return r;
        if (wait_for(t, r) == 0) return -ETIMEDOUT;
    }
    return -ETIMEDOUT;
}

/* Waits up to `ms` for every resolver thread to end; returns the time it took (ms) or -1. */
static long drain_lookups(long ms) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &b);
        long el = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
        if (dm_tls_lookups() == 0) return el;
        if (el > ms) return -1;
        usleep(2000);
    }
}

static double now_ms(void) {
    struct timespec n;
    clock_gettime(CLOCK_MONOTONIC, &n);
    return n.tv_sec * 1e3 + n.tv_nsec / 1e6;
}

/* A listening TCP socket on 127.0.0.1 with an ephemeral port. */
static int listen_local(int *port) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 4) != 0) return -1;
    getsockname(s, (struct sockaddr *)&a, &al);
    *port = ntohs(a.sin_port);
    return s;
}

static void unit_args(void) {
    dm_tls_t *t = (dm_tls_t *)1;
    CHECK("open-null-out", dm_tls_open(NULL, "localhost", 80, NULL, NULL, 0) == -EINVAL, "want -EINVAL");
    CHECK("open-null-host", dm_tls_open(&t, NULL, 80, NULL, NULL, 0) == -EINVAL && t == NULL, "want -EINVAL, *out NULL");
    CHECK("open-empty-host", dm_tls_open(&t, "", 80, NULL, NULL, 0) == -EINVAL, "want -EINVAL");
    CHECK("open-port-0", dm_tls_open(&t, "localhost", 0, NULL, NULL, 0) == -EINVAL, "want -EINVAL");
    CHECK("open-port-65536", dm_tls_open(&t, "localhost", 65536, NULL, NULL, 0) == -EINVAL, "want -EINVAL");
    CHECK("open-bad-flags", dm_tls_open(&t, "localhost", 80, NULL, NULL, 0x80) == -EINVAL, "want -EINVAL");
    CHECK("open-tls-without-ca", dm_tls_open(&t, "localhost", 443, NULL, NULL, DM_TLS_F_TLS) == -EINVAL,
          "TLS without a CA file must be refused");
    CHECK("open-tls-empty-ca", dm_tls_open(&t, "localhost", 443, NULL, "", DM_TLS_F_TLS) == -EINVAL, "want -EINVAL");
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    CHECK("open-long-host", dm_tls_open(&t, longname, 80, NULL, NULL, 0) == -ENAMETOOLONG, "want -ENAMETOOLONG");
    CHECK("open-long-servername", dm_tls_open(&t, "localhost", 80, longname, "/x", DM_TLS_F_TLS) == -ENAMETOOLONG,
          "want -ENAMETOOLONG");
    int r = dm_tls_open(&t, "localhost", 443, NULL, "/nonexistent/ca.pem", DM_TLS_F_TLS);
    CHECK("open-missing-ca", r == DM_TLS_E_CA_FILE && t == NULL, "got %d", r);
    char garbage[] = "/tmp/dm_tls_garbage_XXXXXX";
    int gfd = mkstemp(garbage);
    if (gfd >= 0) { (void)!write(gfd, "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n", 66); close(gfd); }
    r = dm_tls_open(&t, "localhost", 443, NULL, garbage, DM_TLS_F_TLS);
    CHECK("open-garbage-ca", r == DM_TLS_E_CA_FILE, "got %d", r);
    unlink(garbage);
    r = dm_tls_open(&t, "no-such-host.invalid", 80, NULL, NULL, 0);
    CHECK("open-name-resolving", r == 0 && t != NULL && dm_tls_fd(t) >= 0, "a name opens, resolving on a thread: %d",
          r);
    if (r == 0) r = drive_open(t);
    CHECK("open-unresolvable", r == DM_TLS_E_DNS, "got %d (%s)", r, dm_tls_errname(r) ? dm_tls_errname(r) : "?");
    CHECK("unresolvable-sticky", t && dm_tls_step(t) == DM_TLS_E_DNS && dm_tls_fd(t) == -EBADF, "the failure stays");
    dm_tls_free(t);
    t = NULL;
    CHECK("step-null", dm_tls_step(NULL) == -EINVAL, "want -EINVAL");
    CHECK("fd-null", dm_tls_fd(NULL) == -EBADF, "want -EBADF");
    CHECK("free-null", (dm_tls_free(NULL), 1), "dm_tls_free(NULL)");
    CHECK("close-null", dm_tls_close(NULL) == 0, "want 0");
    CHECK("sizeof", dm_tls_sizeof() > 0 && dm_tls_sizeof() < 8192, "handle size %zu", dm_tls_sizeof());
}

static void unit_errnames(void) {
    static const struct { int code; const char *name; } table[] = {
        { DM_TLS_E_CERT_UNTRUSTED, "ECERTUNTRUSTED" }, { DM_TLS_E_CERT_EXPIRED, "ECERTEXPIRED" },
        { DM_TLS_E_CERT_NAME, "ECERTNAME" }, { DM_TLS_E_CERT_INVALID, "ECERTINVALID" },
        { DM_TLS_E_HANDSHAKE, "ETLSHANDSHAKE" }, { DM_TLS_E_CA_FILE, "ECAFILE" }, { DM_TLS_E_DNS, "EDNS" },
        { DM_TLS_E_PROTOCOL, "ETLSPROTOCOL" }, { DM_TLS_E_INTERNAL, "ETLSINTERNAL" },
        { -ECONNREFUSED, "ECONNREFUSED" }, { -ECONNRESET, "ECONNRESET" }, { -ETIMEDOUT, "ETIMEDOUT" },
        { -EAGAIN, "EAGAIN" }, { -EPIPE, "EPIPE" }, { -EBADF, "EBADF" },
    };
    int ok = 1;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const char *n = dm_tls_errname(table[i].code);
        if (!n || strcmp(n, table[i].name) != 0) { ok = 0; printf("# %d -> %s\n", table[i].code, n ? n : "NULL"); }
    }
    CHECK("errname-table", ok, "names differ");
    CHECK("errname-unknown", dm_tls_errname(12345) == NULL && dm_tls_errname(0) == NULL, "unknown codes give NULL");
}

static void unit_refused(void) {
    int port;
    int s = listen_local(&port);
    close(s); /* nothing listens there any more */
    dm_tls_t *t = NULL;
    int r = dm_tls_open(&t, "127.0.0.1", port, NULL, NULL, 0);
    if (r == 0) r = drive_open(t);
    CHECK("connect-refused", r == -ECONNREFUSED, "got %d", r);
    if (t) {
        CHECK("failed-sticky", dm_tls_step(t) == -ECONNREFUSED, "a failed stream keeps its code");
        uint8_t b[4];
        CHECK("read-on-failed", dm_tls_read(t, b, sizeof b) == -ECONNREFUSED, "read reports the failure");
    }
    dm_tls_free(t);
}

static void unit_tcp(void) {
    int port;
    int ls = listen_local(&port);
    dm_tls_t *t = NULL;
    int r = dm_tls_open(&t, "127.0.0.1", port, NULL, NULL, 0);
    CHECK("tcp-open", r == 0 && t != NULL, "got %d", r);
    if (r != 0) { close(ls); return; }
    uint8_t b[64];
    CHECK("tcp-read-before-open", dm_tls_read(t, b, sizeof b) == -EINVAL || dm_tls_step(t) == DM_TLS_OPEN,
          "I/O before the stream is open is -EINVAL");
    r = drive_open(t);
    CHECK("tcp-connected", r == DM_TLS_OPEN, "got %d", r);
    int peer = accept(ls, NULL, NULL);
    CHECK("tcp-cipher-empty", strcmp(dm_tls_cipher(t), "") == 0, "plain TCP has no cipher");
    CHECK("tcp-read-empty", dm_tls_read(t, b, sizeof b) == -EAGAIN && dm_tls_want(t) == DM_TLS_WANT_READ,
          "nothing sent yet: -EAGAIN, want read");
    CHECK("tcp-write", dm_tls_write(t, (const uint8_t *)"ping", 4) == 4, "write 4 bytes");
    char pb[8] = { 0 };
    CHECK("tcp-peer-got", read(peer, pb, sizeof pb) == 4 && memcmp(pb, "ping", 4) == 0, "peer reads ping");
    (void)!write(peer, "pong!", 5);
    wait_for(t, DM_TLS_WANT_READ);
    r = dm_tls_read(t, b, sizeof b);
    CHECK("tcp-read", r == 5 && memcmp(b, "pong!", 5) == 0, "got %d", r);
    CHECK("tcp-zero-len", dm_tls_read(t, b, 0) == -EINVAL && dm_tls_write(t, b, 0) == -EINVAL, "zero length is -EINVAL");
    /* back-pressure: nobody reads on the peer side, so the socket buffers fill up */
    static uint8_t big[65536];
    long total = 0;
    for (int i = 0; i < 4096; i++) {
        r = dm_tls_write(t, big, sizeof big);
        if (r < 0) break;
        total += r;
    }
    CHECK("tcp-backpressure", r == -EAGAIN && dm_tls_want(t) == DM_TLS_WANT_WRITE && total > 0,
          "r=%d total=%ld", r, total);
    close(peer);
    /* the peer is gone: reads drain what is left (nothing), then EOF or reset */
    wait_for(t, DM_TLS_WANT_READ);
    r = dm_tls_read(t, b, sizeof b);
    CHECK("tcp-peer-closed", r == 0 || r == -ECONNRESET, "got %d", r);
    CHECK("tcp-close", dm_tls_close(t) == 0 && dm_tls_close(t) == 0, "close is idempotent");
    CHECK("tcp-after-close", dm_tls_read(t, b, 1) == -EBADF && dm_tls_write(t, b, 1) == -EBADF &&
                                 dm_tls_step(t) == -EBADF && dm_tls_fd(t) == -EBADF,
          "I/O after close is -EBADF");
    dm_tls_free(t);
    close(ls);
}

static void unit_resolve(void) {
    int port;
    int ls = listen_local(&port);
    dm_tls_t *t = NULL;
    int r = dm_tls_open(&t, "127.0.0.1", port, NULL, NULL, 0);
    CHECK("numeric-no-thread", r == 0 && dm_tls_lookups() == 0, "a numeric host resolves in open: r=%d lookups=%d", r,
          dm_tls_lookups());
    dm_tls_free(t);
    t = NULL;
    r = dm_tls_open(&t, "localhost", port, NULL, NULL, 0);
    int efd = t ? dm_tls_fd(t) : -1;
    CHECK("name-on-thread", r == 0 && efd >= 0, "r=%d fd=%d", r, efd);
    if (r == 0) r = drive_open(t);
    CHECK("name-connects", r == DM_TLS_OPEN, "localhost through the resolver thread: got %d", r);
    int peer = accept(ls, NULL, NULL);
    CHECK("name-socket-fd", t && dm_tls_fd(t) >= 0 && dm_tls_write(t, (const uint8_t *)"x", 1) == 1,
          "after resolving, dm_tls_fd is the connected socket");
    if (peer >= 0) close(peer);
    dm_tls_free(t);
    /* close while the thread may still run: returns at once, the thread frees its share (ASan checks) */
    int closed = 0;
    for (int i = 0; i < 50; i++) {
        t = NULL;
        if (dm_tls_open(&t, "localhost", port, NULL, NULL, 0) == 0) { dm_tls_free(t); closed++; }
        else if (drain_lookups(5000) < 0) break;
    }
    CHECK("close-while-resolving", closed > 0 && drain_lookups(5000) >= 0, "closed %d, lookups left %d", closed,
          dm_tls_lookups());
    close(ls);
}

/*
 * tls_test stall NAME — NAME's lookup must hang (test/qemu/tls-dns.test.ts points resolv.conf at a
 * DNS server that never answers). DM_TLS_MAX_LOOKUPS opens return at once and stay resolving; one
 * more is -EAGAIN while a numeric host still opens; closing them returns at once; the threads end
 * with the resolver timeout (then ASan's leak check at exit covers their blocks); a new lookup of
 * NAME then runs to DM_TLS_E_DNS.
 */
static int cmd_stall(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: tls_test stall NAME\n"); return 2; }
    dm_tls_t *s[DM_TLS_MAX_LOOKUPS] = { 0 };
    double t0 = now_ms(), worst_open = 0;
    int ok = 1;
    for (int i = 0; i < DM_TLS_MAX_LOOKUPS; i++) {
        double a = now_ms();
        int r = dm_tls_open(&s[i], argv[2], 80, NULL, NULL, 0);
        if (now_ms() - a > worst_open) worst_open = now_ms() - a;
        if (r != 0 || dm_tls_step(s[i]) != DM_TLS_WANT_READ) ok = 0;
    }
    CHECK("stall-open", ok && worst_open < 50, "opens return at once (worst %.1f ms)", worst_open);
    struct pollfd p[DM_TLS_MAX_LOOKUPS];
    for (int i = 0; i < DM_TLS_MAX_LOOKUPS; i++)
        p[i] = (struct pollfd){ .fd = s[i] ? dm_tls_fd(s[i]) : -1, .events = POLLIN };
    CHECK("stall-pending", poll(p, DM_TLS_MAX_LOOKUPS, 300) == 0 && dm_tls_lookups() == DM_TLS_MAX_LOOKUPS,
          "the lookups hang (lookups=%d)", dm_tls_lookups());
    dm_tls_t *x = NULL;
    int r = dm_tls_open(&x, argv[2], 80, NULL, NULL, 0);
    CHECK("stall-bound", r == -EAGAIN && x == NULL, "lookup %d beyond the bound: got %d", DM_TLS_MAX_LOOKUPS + 1, r);
    r = dm_tls_open(&x, "127.0.0.1", 80, NULL, NULL, 0);
    CHECK("stall-numeric", r == 0, "a numeric host needs no thread: got %d", r);
    dm_tls_free(x);
    double worst_close = 0;
    for (int i = 0; i < DM_TLS_MAX_LOOKUPS; i++) {
        double a = now_ms();
        dm_tls_free(s[i]);
        if (now_ms() - a > worst_close) worst_close = now_ms() - a;
    }
    CHECK("stall-close", worst_close < 5, "close while resolving returns at once (worst %.2f ms)", worst_close);
    long drained = drain_lookups(60000);
    CHECK("stall-drained", drained >= 0, "abandoned lookups end with the resolver timeout");
    printf("# stall: open worst %.2f ms, close worst %.3f ms, abandoned lookups ended %.0f ms after open\n", worst_open,
           worst_close, now_ms() - t0);
    dm_tls_t *y = NULL;
    double a = now_ms();
    r = dm_tls_open(&y, argv[2], 80, NULL, NULL, 0);
    if (r == 0) {
        for (;;) { /* the thread's eventfd announces the end */
            r = dm_tls_step(y);
            if (r != DM_TLS_WANT_READ) break;
            struct pollfd q = { .fd = dm_tls_fd(y), .events = POLLIN };
            if (poll(&q, 1, 60000) != 1) { r = -ETIMEDOUT; break; }
        }
    }
    CHECK("stall-edns", r == DM_TLS_E_DNS, "got %d after %.0f ms", r, now_ms() - a);
    dm_tls_free(y);
    printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
    return failures ? 1 : 0;
}

static int cmd_get(int argc, char **argv) {
    if (argc < 7) { fprintf(stderr, "usage: tls_test get HOST PORT CAFILE SERVERNAME PATH [tcp]\n"); return 2; }
    int tcp = argc > 7 && strcmp(argv[7], "tcp") == 0;
    dm_tls_t *t = NULL;
    int r = dm_tls_open(&t, argv[2], atoi(argv[3]), argv[5], argv[4], tcp ? 0 : DM_TLS_F_TLS);
    if (r == 0) r = drive_open(t);
    if (r != 0) goto fail;
    printf("open %s\n", dm_tls_cipher(t));
    char req[512];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", argv[6], argv[5]);
    for (int off = 0; off < n;) {
        r = dm_tls_write(t, (const uint8_t *)req + off, (size_t)(n - off));
        if (r == -EAGAIN) { wait_for(t, dm_tls_want(t)); continue; }
        if (r < 0) goto fail;
        off += r;
    }
    mbedtls_sha256_context sha;
    mbedtls_sha256_init(&sha);
    mbedtls_sha256_starts_ret(&sha, 0);
    /* find the end of the header ("\r\n\r\n") across chunk boundaries; hash the rest */
    static uint8_t buf[4096];
    long body = 0;
    int state = 0; /* matched bytes of \r\n\r\n, 4 = in body */
    for (;;) {
        r = dm_tls_read(t, buf, sizeof buf);
        if (r == -EAGAIN) { if (wait_for(t, dm_tls_want(t)) == 0) { r = -ETIMEDOUT; goto fail; } continue; }
        if (r < 0) goto fail;
        if (r == 0) break;
        int i = 0;
        while (state < 4 && i < r) {
            static const char end[] = "\r\n\r\n";
            state = buf[i] == (uint8_t)end[state] ? state + 1 : (buf[i] == '\r' ? 1 : 0);
            i++;
        }
        if (state == 4 && i < r) { mbedtls_sha256_update_ret(&sha, buf + i, (size_t)(r - i)); body += r - i; }
    }
    uint8_t d[32];
    mbedtls_sha256_finish_ret(&sha, d);
    mbedtls_sha256_free(&sha);
    printf("body %ld ", body);
    for (int i = 0; i < 32; i++) printf("%02x", d[i]);
    printf("\n");
    dm_tls_free(t);
    return 0;
fail:
    printf("error %s %d\n", dm_tls_errname(r) ? dm_tls_errname(r) : "?", r);
    dm_tls_free(t);
    return 3;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 2 && strcmp(argv[1], "unit") == 0) {
        unit_args();
        unit_errnames();
        unit_refused();
        unit_tcp();
        unit_resolve();
        printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
        return failures ? 1 : 0;
    }
    if (argc >= 2 && strcmp(argv[1], "get") == 0) return cmd_get(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "stall") == 0) return cmd_stall(argc, argv);
    fprintf(stderr, "usage: tls_test unit | get HOST PORT CAFILE SERVERNAME PATH [tcp] | stall NAME\n");
    return 2;
}
