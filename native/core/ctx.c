/*
 * ctx.c — the handle table (dm_ctx_t), dm_close / dm_handle_fd, clock and random.
 *
 * Handle layout (always a positive int32): kind << 24 | gen << 8 | slot. The generation is bumped
 * every time a slot is handed out, so a stale handle of a reused slot is told apart (-EBADF for I/O,
 * a no-op for close).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* cfmakeraw, pread/pwrite, getrandom, fdatasync */
#endif
#define _FILE_OFFSET_BITS 64 /* 64-bit off_t on armhf too */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>

#include "dm_native.h"

#define PRV_KIND(h) (((h) >> 24) & 0x7fu)
#define PRV_GEN(h) (((h) >> 8) & 0xffffu)
#define PRV_SLOT(h) ((h) & 0xffu)

static dm_slot_t *prv_slots(dm_ctx_t *ctx, int kind, int *n) {
  switch (kind) {
  case DM_KIND_SMS: *n = DM_MAX_SMS; return ctx->sms_slot;
  case DM_KIND_WDP: *n = DM_MAX_WDP; return ctx->wdp_slot;
  case DM_KIND_FLASH: *n = DM_MAX_FLASH; return ctx->flash_slot;
  case DM_KIND_FILE: *n = DM_MAX_FILE; return ctx->file_slot;
  default: *n = 0; return NULL;
  }
}

void dm_ctx_init(dm_ctx_t *ctx) {
  memset(ctx, 0, sizeof *ctx);
  for (int i = 0; i < DM_MAX_SMS; i++) ctx->sms[i].fd = -1;
  for (int i = 0; i < DM_MAX_WDP; i++) ctx->wdp[i].fd = -1;
  for (int i = 0; i < DM_MAX_FLASH; i++) ctx->flash[i].fd = -1;
  for (int i = 0; i < DM_MAX_FILE; i++) ctx->file[i].fd = -1;
}

int dm_ctx_alloc(dm_ctx_t *ctx, int kind, uint32_t *handle) {
  int n;
  dm_slot_t *s = prv_slots(ctx, kind, &n);
  for (int i = 0; i < n; i++) {
    if (s[i].used) continue;
    s[i].used = 1;
    s[i].gen = (uint16_t)(s[i].gen + 1);
    if (s[i].gen == 0) s[i].gen = 1;
    *handle = ((uint32_t)kind << 24) | ((uint32_t)s[i].gen << 8) | (uint32_t)i;
    return i;
  }
  return -EMFILE;
}

int dm_ctx_slot(const dm_ctx_t *ctx, int kind, uint32_t h) {
  int n;
  const dm_slot_t *s = prv_slots((dm_ctx_t *)ctx, kind, &n);
  if (PRV_KIND(h) != (uint32_t)kind || (h >> 31) != 0) return -EBADF;
  uint32_t slot = PRV_SLOT(h);
  if (slot >= (uint32_t)n || !s[slot].used || s[slot].gen != PRV_GEN(h)) return -EBADF;
  return (int)slot;
}

void dm_ctx_release(dm_ctx_t *ctx, int kind, int slot) {
  int n;
  dm_slot_t *s = prv_slots(ctx, kind, &n);
  if (slot >= 0 && slot < n) s[slot].used = 0;
}

int dm_close(dm_ctx_t *ctx, uint32_t h) {
  int n;
  uint32_t kind = PRV_KIND(h);
  if ((h >> 31) != 0 || prv_slots(ctx, (int)kind, &n) == NULL || PRV_SLOT(h) >= (uint32_t)n || PRV_GEN(h) == 0)
    return -EBADF;
  switch (kind) {
  case DM_KIND_SMS: return dm_sms_close(ctx, h);
  case DM_KIND_WDP: return dm_wdp_close(ctx, h);
  case DM_KIND_FLASH: return dm_flash_close(ctx, h);
  default: return dm_file_close(ctx, h);
  }
}

void dm_ctx_close_all(dm_ctx_t *ctx) {
  static const int kinds[] = {DM_KIND_SMS, DM_KIND_WDP, DM_KIND_FLASH, DM_KIND_FILE};
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    int n;
    dm_slot_t *s = prv_slots(ctx, kinds[k], &n);
    for (int i = 0; i < n; i++)
      if (s[i].used) dm_close(ctx, ((uint32_t)kinds[k] << 24) | ((uint32_t)s[i].gen << 8) | (uint32_t)i);
  }
}

int dm_handle_fd(dm_ctx_t *ctx, uint32_t h) {
  int i;
  if ((i = dm_ctx_slot(ctx, DM_KIND_SMS, h)) >= 0) return ctx->sms[i].fd;
  if ((i = dm_ctx_slot(ctx, DM_KIND_WDP, h)) >= 0) return ctx->wdp[i].fd;
  return -EBADF;
}

int64_t dm_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double dm_clock_monotonic_ms(dm_ctx_t *ctx) {
  (void)ctx;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

int dm_random(dm_ctx_t *ctx, uint8_t *buf, uint32_t len) {
  (void)ctx;
  uint32_t done = 0;
  if (len > INT32_MAX) return -EINVAL;
  while (done < len) {
    /* getrandom returns at most 32 MiB - 1 per call and may be interrupted by a signal: loop. */
    ssize_t r = getrandom(buf + done, len - done, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    done += (uint32_t)r;
  }
  return (int)len;
}

void dm_put_le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}
