/*
 * wdp.c — WDP datagrams over UDP (WAP push over an IP bearer, port 2948): a non-blocking IPv4
 * socket; each dm_wdp_recv returns one datagram into the caller's buffer.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* cfmakeraw, pread/pwrite, getrandom, fdatasync */
#endif
#define _FILE_OFFSET_BITS 64 /* 64-bit off_t on armhf too */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dm_native.h"

int dm_wdp_open(dm_ctx_t *ctx, uint32_t port, uint32_t flags) {
  uint32_t h;
  if (port > 65535 || (flags & ~DM_WDP_F_LOOPBACK) != 0) return -EINVAL;
  int i = dm_ctx_alloc(ctx, DM_KIND_WDP, &h);
  if (i < 0) return i;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int r = 0;
  if (fd < 0) {
    r = -errno;
  } else {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl((flags & DM_WDP_F_LOOPBACK) ? INADDR_LOOPBACK : INADDR_ANY);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) r = -errno;
  }
  if (r < 0) {
    if (fd >= 0) close(fd);
    dm_ctx_release(ctx, DM_KIND_WDP, i);
    return r;
  }
  ctx->wdp[i].fd = fd;
  return (int)h;
}

int dm_wdp_recv(dm_ctx_t *ctx, uint32_t h, uint8_t *buf, uint32_t cap) {
  int i = dm_ctx_slot(ctx, DM_KIND_WDP, h);
  if (i < 0) return i;
  for (int k = 0; k < DM_WDP_RECVS_PER_CALL; k++) {
    /* MSG_TRUNC: the real datagram length is returned even when it did not fit. */
    ssize_t n = recv(ctx->wdp[i].fd, buf, cap, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
    }
    if (n == 0) continue; /* an empty datagram carries no push: skip it */
    if ((size_t)n > cap) return -EMSGSIZE;
    return (int)n;
  }
  return 0;
}

int dm_wdp_port(dm_ctx_t *ctx, uint32_t h) {
  int i = dm_ctx_slot(ctx, DM_KIND_WDP, h);
  if (i < 0) return i;
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  if (getsockname(ctx->wdp[i].fd, (struct sockaddr *)&a, &len) < 0) return -errno;
  return ntohs(a.sin_port);
}

int dm_wdp_close(dm_ctx_t *ctx, uint32_t h) {
  if (((h >> 24) & 0x7f) != DM_KIND_WDP) return -EBADF;
  int i = dm_ctx_slot(ctx, DM_KIND_WDP, h);
  if (i < 0) return 0;
  close(ctx->wdp[i].fd);
  ctx->wdp[i].fd = -1;
  dm_ctx_release(ctx, DM_KIND_WDP, i);
  return 0;
}
