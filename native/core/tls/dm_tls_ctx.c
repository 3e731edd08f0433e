/* dm_tls_ctx.c — the TLS handle table (contract in dm_tls_ctx.h). */
#include "tls/dm_tls_ctx.h"

#include <errno.h>
#include <string.h>

#define PRV_KIND(h) (((h) >> 24) & 0x7fu)
#define PRV_GEN(h) (((h) >> 8) & 0xffffu)
#define PRV_SLOT(h) ((h) & 0xffu)

void dm_tls_ctx_init(dm_tls_ctx_t *c) { memset(c, 0, sizeof *c); }

void dm_tls_ctx_close_all(dm_tls_ctx_t *c) {
    for (int i = 0; i < DM_MAX_TLS; i++) {
        dm_tls_free(c->stream[i]);
        c->stream[i] = NULL;
        c->slot[i].used = 0;
    }
}

/** The stream of a live handle, or NULL. */
static dm_tls_t *prv_get(dm_tls_ctx_t *c, uint32_t h) {
    uint32_t s = PRV_SLOT(h);
    if ((h >> 31) != 0 || PRV_KIND(h) != DM_KIND_TLS || s >= DM_MAX_TLS) return NULL;
    if (!c->slot[s].used || c->slot[s].gen != PRV_GEN(h)) return NULL;
    return c->stream[s];
}

int dm_tls_h_open(dm_tls_ctx_t *c, const char *host, uint32_t port, const char *servername, const char *ca_file,
                  uint32_t flags) {
    if (!c || port > 65535) return -EINVAL;
    int slot = -1;
    for (int i = 0; i < DM_MAX_TLS; i++) if (!c->slot[i].used) { slot = i; break; }
    if (slot < 0) return -EMFILE;
    dm_tls_t *t = NULL;
    int r = dm_tls_open(&t, host, (int)port, servername, (ca_file && ca_file[0]) ? ca_file : NULL, flags);
    if (r < 0) return r;
    c->slot[slot].used = 1;
    c->slot[slot].gen = (uint16_t)(c->slot[slot].gen + 1);
    if (c->slot[slot].gen == 0) c->slot[slot].gen = 1;
    c->stream[slot] = t;
    return (int)(((uint32_t)DM_KIND_TLS << 24) | ((uint32_t)c->slot[slot].gen << 8) | (uint32_t)slot);
}

int dm_tls_h_step(dm_tls_ctx_t *c, uint32_t h) {
    dm_tls_t *t = prv_get(c, h);
    return t ? dm_tls_step(t) : -EBADF;
}

int dm_tls_h_fd(dm_tls_ctx_t *c, uint32_t h) {
    dm_tls_t *t = prv_get(c, h);
    return t ? dm_tls_fd(t) : -EBADF;
}

int dm_tls_h_want(dm_tls_ctx_t *c, uint32_t h) {
    dm_tls_t *t = prv_get(c, h);
    return t ? dm_tls_want(t) : -EBADF;
}

int dm_tls_h_read(dm_tls_ctx_t *c, uint32_t h, uint8_t *buf, uint32_t len) {
    dm_tls_t *t = prv_get(c, h);
    return t ? dm_tls_read(t, buf, len) : -EBADF;
}

int dm_tls_h_write(dm_tls_ctx_t *c, uint32_t h, uint8_t *buf, uint32_t len) {
    dm_tls_t *t = prv_get(c, h);
    return t ? dm_tls_write(t, buf, len) : -EBADF;
}

int dm_tls_h_cipher(dm_tls_ctx_t *c, uint32_t h, uint8_t *buf, uint32_t len) {
    dm_tls_t *t = prv_get(c, h);
    if (!t) return -EBADF;
    const char *s = dm_tls_cipher(t);
    size_t n = strlen(s);
    if (n > len) return -ENOBUFS;
    memcpy(buf, s, n);
    return (int)n;
}

int dm_tls_h_close(dm_tls_ctx_t *c, uint32_t h) {
    uint32_t s = PRV_SLOT(h);
    if (!c || (h >> 31) != 0 || PRV_KIND(h) != DM_KIND_TLS || s >= DM_MAX_TLS || PRV_GEN(h) == 0) return -EBADF;
    if (!c->slot[s].used || c->slot[s].gen != PRV_GEN(h)) return 0; /* already closed / stale */
    dm_tls_free(c->stream[s]);
    c->stream[s] = NULL;
    c->slot[s].used = 0;
    return 0;
}
