/*
 * file.c — the durable file API the QuickJS Storage needs (QuickJS's std/os have no fsync and no
 * positioned I/O): pread/pwrite at offsets, fdatasync, truncate, size, and rename/remove followed by
 * an fsync of the directory so the name change itself survives a power cut.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* cfmakeraw, pread/pwrite, getrandom, fdatasync */
#endif
#define _FILE_OFFSET_BITS 64 /* 64-bit off_t on armhf too */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dm_native.h"

_Static_assert(sizeof(off_t) == 8, "64-bit off_t required");

static int prv_fd(dm_ctx_t *ctx, uint32_t h) {
  int i = dm_ctx_slot(ctx, DM_KIND_FILE, h);
  return i < 0 ? i : ctx->file[i].fd;
}

int dm_file_open(dm_ctx_t *ctx, const char *path, uint32_t flags) {
  uint32_t h;
  if ((flags & ~DM_FILE_F_ALL) != 0) return -EINVAL;
  if ((flags & (DM_FILE_TRUNC | DM_FILE_CREATE | DM_FILE_EXCL)) && !(flags & DM_FILE_WRITE)) return -EINVAL;
  int o = O_CLOEXEC | ((flags & DM_FILE_WRITE) ? O_RDWR : O_RDONLY);
  if (flags & DM_FILE_CREATE) o |= O_CREAT;
  if (flags & DM_FILE_TRUNC) o |= O_TRUNC;
  if (flags & DM_FILE_EXCL) o |= O_EXCL | O_CREAT;
  int i = dm_ctx_alloc(ctx, DM_KIND_FILE, &h);
  if (i < 0) return i;
  int fd = open(path, o, 0644);
  int r = fd < 0 ? -errno : 0;
  struct stat st;
  if (r == 0 && fstat(fd, &st) < 0) r = -errno;
  if (r == 0 && S_ISDIR(st.st_mode)) r = -EISDIR;
  if (r < 0) {
    if (fd >= 0) close(fd);
    dm_ctx_release(ctx, DM_KIND_FILE, i);
    return r;
  }
  ctx->file[i].fd = fd;
  return (int)h;
}

int dm_file_pread(dm_ctx_t *ctx, uint32_t h, uint32_t pos, uint8_t *buf, uint32_t len) {
  int fd = prv_fd(ctx, h);
  if (fd < 0) return fd;
  if (len > INT32_MAX) return -EINVAL;
  uint32_t done = 0;
  while (done < len) {
    ssize_t r = pread(fd, buf + done, len - done, (off_t)pos + done);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (r == 0) break;
    done += (uint32_t)r;
  }
  return (int)done;
}

int dm_file_pwrite(dm_ctx_t *ctx, uint32_t h, uint32_t pos, uint8_t *buf, uint32_t len) {
  int fd = prv_fd(ctx, h);
  if (fd < 0) return fd;
  if (len > INT32_MAX) return -EINVAL;
  uint32_t done = 0;
  while (done < len) {
    ssize_t r = pwrite(fd, buf + done, len - done, (off_t)pos + done);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (r == 0) return -EIO;
    done += (uint32_t)r;
  }
  return (int)len;
}

int dm_file_sync(dm_ctx_t *ctx, uint32_t h) {
  int fd = prv_fd(ctx, h);
  if (fd < 0) return fd;
  return fdatasync(fd) < 0 ? -errno : 0;
}

int dm_file_truncate(dm_ctx_t *ctx, uint32_t h, uint32_t len) {
  int fd = prv_fd(ctx, h);
  if (fd < 0) return fd;
  return ftruncate(fd, (off_t)len) < 0 ? -errno : 0;
}

int dm_file_size(dm_ctx_t *ctx, uint32_t h) {
  int fd = prv_fd(ctx, h);
  if (fd < 0) return fd;
  struct stat st;
  if (fstat(fd, &st) < 0) return -errno;
  return st.st_size > INT32_MAX ? -EFBIG : (int)st.st_size;
}

/* fsync of the directory holding `path` (a filesystem that cannot fsync directories: EINVAL, ignored). */
static int prv_sync_dir(const char *path) {
  char dir[DM_STR_MAX + 1];
  size_t n = strlen(path);
  if (n > DM_STR_MAX) return -ENAMETOOLONG;
  const char *slash = strrchr(path, '/');
  if (slash == NULL) {
    strcpy(dir, ".");
  } else if (slash == path) {
    strcpy(dir, "/");
  } else {
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
  }
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -errno;
  int r = fsync(fd) < 0 && errno != EINVAL ? -errno : 0;
  close(fd);
  return r;
}

/* 1 when both paths name the same directory (textually: enough to avoid a second fsync). */
static int prv_same_dir(const char *a, const char *b) {
  const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
  if (sa == NULL || sb == NULL) return sa == sb;
  return sa - a == sb - b && memcmp(a, b, (size_t)(sa - a)) == 0;
}

int dm_file_rename(dm_ctx_t *ctx, const char *from, const char *to) {
  (void)ctx;
  if (strlen(from) > DM_STR_MAX || strlen(to) > DM_STR_MAX) return -ENAMETOOLONG;
  if (rename(from, to) < 0) return -errno;
  int r = prv_sync_dir(to);
  if (r == 0 && !prv_same_dir(from, to)) r = prv_sync_dir(from);
  return r;
}

int dm_file_remove(dm_ctx_t *ctx, const char *path) {
  (void)ctx;
  if (strlen(path) > DM_STR_MAX) return -ENAMETOOLONG;
  if (unlink(path) < 0) return -errno;
  return prv_sync_dir(path);
}

int dm_file_close(dm_ctx_t *ctx, uint32_t h) {
  if (((h >> 24) & 0x7f) != DM_KIND_FILE) return -EBADF;
  int i = dm_ctx_slot(ctx, DM_KIND_FILE, h);
  if (i < 0) return 0;
  close(ctx->file[i].fd);
  ctx->file[i].fd = -1;
  dm_ctx_release(ctx, DM_KIND_FILE, i);
  return 0;
}
