/*
 * sms.c — the modem tty: termios raw, non-blocking fd, feeding the AT machine (at.c).
 *
 * The fd is non-blocking and the tty is set to VMIN=1/VTIME=0, so read(2) returns -1/EAGAIN when
 * nothing is waiting and 0 only on hang-up (with VMIN=0 a tty read returns 0 for "no data", which
 * could not be told apart from a hang-up). A pty whose master side closed reads -EIO.
 * Non-tty fds (pipes, sockets: useful in tests) are used as they are.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* cfmakeraw, pread/pwrite, getrandom, fdatasync */
#endif
#define _FILE_OFFSET_BITS 64 /* 64-bit off_t on armhf too */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "dm_native.h"

/* Writes as much of the pending command as the fd takes now (a few bytes: never blocks). */
static int prv_flush(dm_sms_t *s) {
  const uint8_t *p;
  size_t n;
  while ((n = dm_at_output(&s->at, &p)) > 0) {
    ssize_t w = write(s->fd, p, n);
    if (w > 0) {
      dm_at_output_done(&s->at, (size_t)w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    return w < 0 ? -errno : -EIO;
  }
  return 0;
}

static int prv_setup_tty(dm_sms_t *s, uint32_t flags) {
  struct termios t;
  if (!isatty(s->fd)) return 0;
  if (tcgetattr(s->fd, &t) < 0) return -errno;
  s->saved = t;
  s->restore = 1;
  cfmakeraw(&t);
  t.c_cflag |= CLOCAL | CREAD; /* no modem-control hang-ups on DCD, enable the receiver */
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  if (!(flags & DM_SMS_F_KEEP_SPEED)) {
    cfsetispeed(&t, B115200);
    cfsetospeed(&t, B115200);
  }
  if (tcsetattr(s->fd, TCSANOW, &t) < 0) return -errno;
  tcflush(s->fd, TCIFLUSH); /* stale output of an earlier session (old echoes, results) */
  return 0;
}

int dm_sms_open(dm_ctx_t *ctx, const char *path, uint32_t flags, uint32_t timeout_ms) {
  uint32_t h;
  if ((flags & ~DM_SMS_F_ALL) != 0 || timeout_ms > DM_AT_MAX_TIMEOUT_MS) return -EINVAL;
  if (timeout_ms == 0) timeout_ms = DM_AT_DEFAULT_TIMEOUT_MS;
  int i = dm_ctx_alloc(ctx, DM_KIND_SMS, &h);
  if (i < 0) return i;
  dm_sms_t *s = &ctx->sms[i];
  s->restore = 0;
  s->rx_off = s->rx_len = 0;
  s->fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  int r = s->fd < 0 ? -errno : prv_setup_tty(s, flags);
  if (r < 0) {
    if (s->fd >= 0) close(s->fd);
    s->fd = -1;
    dm_ctx_release(ctx, DM_KIND_SMS, i);
    return r;
  }
  dm_at_init(&s->at, flags, timeout_ms, dm_now_ms());
  prv_flush(s); /* a write error shows up again at the first poll */
  return (int)h;
}

int dm_sms_poll(dm_ctx_t *ctx, uint32_t h, uint8_t *buf, uint32_t cap) {
  int i = dm_ctx_slot(ctx, DM_KIND_SMS, h);
  if (i < 0) return i;
  dm_sms_t *s = &ctx->sms[i];
  dm_at_t *at = &s->at;
  int64_t now = dm_now_ms();
  int err = 0, reads = 0;
  int r = dm_at_take_pdu(at, buf, cap);
  if (r != 0) {
    prv_flush(s);
    return r;
  }
  while (!at->pdu_ready) {
    if (s->rx_off < s->rx_len) {
      s->rx_off = (uint16_t)(s->rx_off + dm_at_input(at, s->rx + s->rx_off, s->rx_len - s->rx_off, now));
      if ((err = prv_flush(s)) < 0) break; /* a command started: write it before reading further */
      continue;
    }
    if (reads >= DM_SMS_READS_PER_POLL) break;
    ssize_t n = read(s->fd, s->rx, sizeof s->rx);
    reads++;
    if (n > 0) {
      s->rx_off = 0;
      s->rx_len = (uint16_t)n;
    } else if (n == 0) {
      err = -EPIPE; /* hang-up (tty) or end of file (pipe) */
      break;
    } else if (errno == EINTR) {
      continue;
    } else {
      if (errno != EAGAIN && errno != EWOULDBLOCK) err = -errno;
      break;
    }
  }
  dm_at_tick(at, now);
  int w = prv_flush(s);
  r = dm_at_take_pdu(at, buf, cap);
  if (r != 0) return r;
  if (err < 0) return err;
  if (w < 0) return w;
  return dm_at_error(at);
}

int dm_sms_wait(dm_ctx_t *ctx, uint32_t h) {
  int i = dm_ctx_slot(ctx, DM_KIND_SMS, h);
  if (i < 0) return i;
  dm_sms_t *s = &ctx->sms[i];
  const uint8_t *p;
  if (s->at.pdu_ready || s->rx_off < s->rx_len || dm_at_error(&s->at) < 0) return 0;
  int64_t d = dm_at_deadline(&s->at);
  int64_t left = -1; /* -1: no deadline armed */
  if (d >= 0) left = d > dm_now_ms() ? d - dm_now_ms() : 0;
  if (dm_at_output(&s->at, &p) > 0 && (left < 0 || left > 20)) left = 20; /* tty output was full: retry soon */
  return left > INT32_MAX ? INT32_MAX : (int)left;
}

int dm_sms_stats(dm_ctx_t *ctx, uint32_t h, uint8_t *buf, uint32_t cap) {
  int i = dm_ctx_slot(ctx, DM_KIND_SMS, h);
  if (i < 0) return i;
  dm_at_t *at = &ctx->sms[i].at;
  uint32_t v[DM_SMS_STAT_COUNT];
  memcpy(v, at->stats, sizeof v);
  v[DM_SMS_STAT_STATE] = at->phase;
  v[DM_SMS_STAT_STORED_MODE] = at->stored;
  v[DM_SMS_STAT_ACK_MODE] = at->ack;
  uint32_t n = cap / 4 < DM_SMS_STAT_COUNT ? cap / 4 : DM_SMS_STAT_COUNT;
  for (uint32_t k = 0; k < n; k++) dm_put_le32(buf + 4 * k, v[k]);
  return (int)(n * 4);
}

int dm_sms_close(dm_ctx_t *ctx, uint32_t h) {
  if (((h >> 24) & 0x7f) != DM_KIND_SMS) return -EBADF;
  int i = dm_ctx_slot(ctx, DM_KIND_SMS, h);
  if (i < 0) return 0; /* already closed: idempotent */
  dm_sms_t *s = &ctx->sms[i];
  if (s->restore) tcsetattr(s->fd, TCSANOW, &s->saved);
  close(s->fd);
  s->fd = -1;
  dm_ctx_release(ctx, DM_KIND_SMS, i);
  return 0;
}
