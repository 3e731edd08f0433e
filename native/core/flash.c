/*
 * flash.c — one flash API over four backends:
 *   FILE   plain file: pwrite + fdatasync; "erase" writes 0xFF so every backend reads erased = 0xFF
 *   BLOCK  block device / eMMC partition: the same, size from BLKGETSIZE64, page = logical sector
 *   MTD    Linux MTD char device: MEMGETINFO, MEMERASE (bad blocks refused on NAND), page-aligned
 *          writes, read-back verify
 *   SIM    a plain file that behaves like NOR flash (SIM_NAND: like NAND pages), for tests and the
 *          demo: erased = 0xFF, programming can only clear bits (a 1 over a 0 is -EIO and writes
 *          nothing), page-aligned writes, read-back verify, and power-cut hooks:
 *            operation number `nth` (page program; erase too with DM_SIM_FAULT_ERASE) reaches the
 *            medium only for its first `tear` bytes, then the power goes: _exit(DM_SIM_EXIT_CODE),
 *            or with DM_SIM_FAULT_EIO the call returns -EIO and the handle refuses all I/O until
 *            it is closed and reopened. Armed by dm_flash_sim_fault() or, at open, by the
 *            environment variable DM_FLASH_SIM_FAULT="nth[,tear[,flags]]".
 * Bounded work per call: one erase block per erase, at most one erase block per write.
 * Sizes and offsets are uint32 (devices/partitions up to 4 GiB - one erase block).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* cfmakeraw, pread/pwrite, getrandom, fdatasync */
#endif
#define _FILE_OFFSET_BITS 64 /* 64-bit off_t on armhf too */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>
#include <mtd/mtd-user.h>

#include "dm_native.h"

_Static_assert(sizeof(off_t) == 8, "64-bit off_t required");

#define PRV_CHUNK 4096u /* stack buffer for fills, rule checks and verification */

static int prv_pread_all(int fd, uint8_t *buf, size_t len, uint64_t off) {
  size_t done = 0;
  while (done < len) {
    ssize_t r = pread(fd, buf + done, len - done, (off_t)(off + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (r == 0) break;
    done += (size_t)r;
  }
  return (int)done;
}

static int prv_pwrite_all(int fd, const uint8_t *buf, size_t len, uint64_t off) {
  size_t done = 0;
  while (done < len) {
    ssize_t r = pwrite(fd, buf + done, len - done, (off_t)(off + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (r == 0) return -EIO;
    done += (size_t)r;
  }
  return 0;
}

/* Writes `len` bytes of 0xFF at off. */
static int prv_fill_ff(int fd, uint64_t off, uint32_t len) {
  uint8_t ff[PRV_CHUNK];
  memset(ff, 0xff, sizeof ff);
  for (uint32_t done = 0; done < len;) {
    uint32_t n = len - done < PRV_CHUNK ? len - done : PRV_CHUNK;
    int r = prv_pwrite_all(fd, ff, n, off + done);
    if (r < 0) return r;
    done += n;
  }
  return 0;
}

/* Reads back [off, off+len) and compares with buf: 0 or -EIO. */
static int prv_verify(int fd, const uint8_t *buf, uint32_t len, uint64_t off) {
  uint8_t tmp[PRV_CHUNK];
  for (uint32_t done = 0; done < len;) {
    uint32_t n = len - done < PRV_CHUNK ? len - done : PRV_CHUNK;
    int r = prv_pread_all(fd, tmp, n, off + done);
    if (r < 0) return r;
    if ((uint32_t)r != n || memcmp(tmp, buf + done, n) != 0) return -EIO;
    done += n;
  }
  return 0;
}

static int prv_is_sim(const dm_flash_t *f) {
  return f->kind == DM_FLASH_SIM || f->kind == DM_FLASH_SIM_NAND;
}

/* The simulated power cut: never returns in exit mode. */
static int prv_cut(dm_flash_t *f) {
  f->fault_nth = 0;
  if (!(f->fault_flags & DM_SIM_FAULT_EIO)) _exit(DM_SIM_EXIT_CODE);
  f->dead = 1;
  return -EIO;
}

/* Counts one simulated operation; 1 when it is the one to be cut. */
static int prv_sim_op(dm_flash_t *f) {
  f->sim_ops++;
  return f->fault_nth != 0 && f->sim_ops == f->fault_nth;
}

static int prv_parse_env(dm_flash_t *f) {
  const char *e = getenv(DM_SIM_FAULT_ENV);
  unsigned long v[3] = {0, 0, 0};
  if (e == NULL || *e == '\0') return 0;
  for (int k = 0; k < 3; k++) {
    char *end;
    errno = 0;
    v[k] = strtoul(e, &end, 0);
    if (end == e || errno != 0 || v[k] > UINT32_MAX) return -EINVAL;
    e = end;
    if (*e == '\0') break;
    if (*e != ',' || k == 2) return -EINVAL;
    e++;
  }
  if ((v[2] & ~(unsigned long)(DM_SIM_FAULT_EIO | DM_SIM_FAULT_ERASE)) != 0) return -EINVAL;
  f->fault_nth = (uint32_t)v[0];
  f->fault_tear = (uint32_t)v[1];
  f->fault_flags = (uint32_t)v[2];
  return 0;
}

/* Largest multiple of `unit` that is <= min(n, 4 GiB - 1). */
static uint32_t prv_clamp(uint64_t n, uint32_t unit) {
  if (n > UINT32_MAX) n = UINT32_MAX;
  return (uint32_t)(n - n % unit);
}

static int prv_open_backend(dm_flash_t *f, const char *path, uint32_t erase, uint32_t page, uint32_t size) {
  struct stat st;
  int creat = (f->kind == DM_FLASH_SIM || f->kind == DM_FLASH_SIM_NAND || (f->kind == DM_FLASH_FILE && size > 0));
  f->fd = open(path, O_RDWR | O_CLOEXEC | (creat ? O_CREAT : 0), 0644);
  if (f->fd < 0) return -errno;
  if (fstat(f->fd, &st) < 0) return -errno;
  switch (f->kind) {
  case DM_FLASH_FILE:
    if (!S_ISREG(st.st_mode)) return -EINVAL;
    f->erase = erase ? erase : DM_FLASH_DEFAULT_ERASE;
    f->page = page ? page : 1;
    if (size == 0) {
      size = prv_clamp((uint64_t)st.st_size, f->erase);
    } else if ((uint64_t)st.st_size < size && ftruncate(f->fd, (off_t)size) < 0) {
      return -errno;
    }
    f->size = size;
    return 0;
  case DM_FLASH_BLOCK: {
    uint64_t dev = 0;
    int sector = 512;
    if (!S_ISBLK(st.st_mode)) return -ENODEV;
    if (ioctl(f->fd, BLKGETSIZE64, &dev) < 0) return -errno;
    if (ioctl(f->fd, BLKSSZGET, &sector) < 0 || sector <= 0) sector = 512;
    f->erase = erase ? erase : DM_FLASH_DEFAULT_ERASE;
    f->page = page ? page : (uint32_t)sector;
    if (size > dev) return -ENOSPC;
    f->size = size ? size : prv_clamp(dev, f->erase);
    return 0;
  }
  case DM_FLASH_MTD: {
    struct mtd_info_user mi;
    if (!S_ISCHR(st.st_mode)) return -ENODEV;
    if (ioctl(f->fd, MEMGETINFO, &mi) < 0) return -errno;
    if (!(mi.flags & MTD_WRITEABLE)) return -EROFS;
    if ((erase && erase != mi.erasesize) || (page && page != (mi.writesize ? mi.writesize : 1))) return -EINVAL;
    if (size > mi.size) return -ENOSPC;
    f->erase = mi.erasesize;
    f->page = mi.writesize ? mi.writesize : 1;
    f->size = size ? size : prv_clamp(mi.size, f->erase);
    f->info_flags = DM_FLASH_INFO_F_VERIFY | DM_FLASH_INFO_F_ALIGNED;
    f->mtd_type = mi.type;
    return 0;
  }
  default: { /* SIM, SIM_NAND */
    if (!S_ISREG(st.st_mode)) return -EINVAL;
    f->erase = erase ? erase : DM_FLASH_SIM_DEFAULT_ERASE;
    f->page = page ? page : DM_FLASH_SIM_DEFAULT_PAGE;
    f->info_flags = DM_FLASH_INFO_F_VERIFY | DM_FLASH_INFO_F_ALIGNED;
    if (f->erase == 0 || f->page == 0 || f->erase % f->page != 0) return -EINVAL;
    if (st.st_size == 0) {
      /* A fresh chip is erased: fill the image with 0xFF (done once, at creation). */
      if (size == 0 || size % f->erase != 0) return -EINVAL;
      for (uint32_t off = 0; off < size; off += f->erase) {
        int r = prv_fill_ff(f->fd, off, f->erase);
        if (r < 0) return r;
      }
      if (fdatasync(f->fd) < 0) return -errno;
    } else if (size == 0) {
      if ((uint64_t)st.st_size > UINT32_MAX) return -EFBIG;
      size = (uint32_t)st.st_size;
    } else if ((uint64_t)st.st_size != size) {
      return -EINVAL; /* geometry does not match the existing image */
    }
    f->size = size;
    return prv_parse_env(f);
  }
  }
}

int dm_flash_open(dm_ctx_t *ctx, const char *path, uint32_t kind, uint32_t erase, uint32_t page, uint32_t size) {
  uint32_t h;
  if (kind > DM_FLASH_SIM_NAND || erase > DM_FLASH_MAX_ERASE || page > DM_FLASH_MAX_ERASE) return -EINVAL;
  int i = dm_ctx_alloc(ctx, DM_KIND_FLASH, &h);
  if (i < 0) return i;
  dm_flash_t *f = &ctx->flash[i];
  memset(f, 0, sizeof *f);
  f->kind = kind;
  int r = prv_open_backend(f, path, erase, page, size);
  if (r == 0 && (f->erase == 0 || f->page == 0 || f->erase % f->page != 0 || f->erase > DM_FLASH_MAX_ERASE ||
                 f->size == 0 || f->size % f->erase != 0))
    r = -EINVAL;
  if (r < 0) {
    if (f->fd >= 0) close(f->fd);
    f->fd = -1;
    dm_ctx_release(ctx, DM_KIND_FLASH, i);
    return r;
  }
  return (int)h;
}

/* Resolves a live handle: the slot index, -EBADF, or -EIO after a simulated power cut. */
static int prv_live(dm_ctx_t *ctx, uint32_t h) {
  int i = dm_ctx_slot(ctx, DM_KIND_FLASH, h);
  if (i < 0) return i;
  return ctx->flash[i].dead ? -EIO : i;
}

int dm_flash_info(dm_ctx_t *ctx, uint32_t h, uint8_t *buf, uint32_t cap) {
  int i = dm_ctx_slot(ctx, DM_KIND_FLASH, h);
  if (i < 0) return i;
  dm_flash_t *f = &ctx->flash[i];
  uint32_t v[DM_FLASH_INFO_COUNT] = {f->size, f->erase, f->page, f->kind,
                                     f->info_flags | (f->dead ? DM_FLASH_INFO_F_DEAD : 0u),
                                     prv_is_sim(f) ? f->sim_ops : 0u};
  uint32_t n = cap / 4 < DM_FLASH_INFO_COUNT ? cap / 4 : DM_FLASH_INFO_COUNT;
  for (uint32_t k = 0; k < n; k++) dm_put_le32(buf + 4 * k, v[k]);
  return (int)(n * 4);
}

int dm_flash_erase(dm_ctx_t *ctx, uint32_t h, uint32_t block) {
  int i = prv_live(ctx, h);
  if (i < 0) return i;
  dm_flash_t *f = &ctx->flash[i];
  if (block >= f->size / f->erase) return -EINVAL;
  uint64_t off = (uint64_t)block * f->erase;
  if (f->kind == DM_FLASH_MTD) {
    if (f->mtd_type == MTD_NANDFLASH || f->mtd_type == MTD_MLCNANDFLASH) {
      loff_t lo = (loff_t)off;
      int bad = ioctl(f->fd, MEMGETBADBLOCK, &lo);
      if (bad > 0) return -EIO; /* factory or worn-out bad block: the caller must skip it */
    }
    struct erase_info_user e = {(uint32_t)off, f->erase};
    return ioctl(f->fd, MEMERASE, &e) < 0 ? -errno : 0;
  }
  if (prv_is_sim(f) && (f->fault_flags & DM_SIM_FAULT_ERASE) && prv_sim_op(f)) {
    uint32_t tear = f->fault_tear < f->erase ? f->fault_tear : f->erase;
    int r = prv_fill_ff(f->fd, off, tear);
    if (r < 0) return r;
    return prv_cut(f);
  }
  return prv_fill_ff(f->fd, off, f->erase);
}

/* SIM rule check over the whole range before anything is written: NOR can only clear bits; NAND pages
 * must be fully erased. */
static int prv_sim_check(dm_flash_t *f, uint32_t offset, const uint8_t *buf, uint32_t len) {
  uint8_t old[PRV_CHUNK];
  for (uint32_t done = 0; done < len;) {
    uint32_t n = len - done < PRV_CHUNK ? len - done : PRV_CHUNK;
    int r = prv_pread_all(f->fd, old, n, (uint64_t)offset + done);
    if (r < 0) return r;
    if ((uint32_t)r != n) return -EIO;
    for (uint32_t k = 0; k < n; k++) {
      if (f->kind == DM_FLASH_SIM_NAND ? old[k] != 0xff : (old[k] & buf[done + k]) != buf[done + k]) return -EIO;
    }
    done += n;
  }
  return 0;
}

int dm_flash_write(dm_ctx_t *ctx, uint32_t h, uint32_t offset, uint8_t *buf, uint32_t len) {
  int i = prv_live(ctx, h);
  if (i < 0) return i;
  dm_flash_t *f = &ctx->flash[i];
  if (len == 0) return 0;
  if (len > f->erase || (uint64_t)offset + len > f->size) return -EINVAL;
  if ((f->info_flags & DM_FLASH_INFO_F_ALIGNED) && (offset % f->page != 0 || len % f->page != 0)) return -EINVAL;
  int r;
  if (prv_is_sim(f)) {
    if ((r = prv_sim_check(f, offset, buf, len)) < 0) return r;
    for (uint32_t done = 0; done < len; done += f->page) {
      if (prv_sim_op(f)) {
        uint32_t tear = f->fault_tear < f->page ? f->fault_tear : f->page;
        if ((r = prv_pwrite_all(f->fd, buf + done, tear, (uint64_t)offset + done)) < 0) return r;
        return prv_cut(f);
      }
      if ((r = prv_pwrite_all(f->fd, buf + done, f->page, (uint64_t)offset + done)) < 0) return r;
    }
  } else if ((r = prv_pwrite_all(f->fd, buf, len, offset)) < 0) {
    return r;
  }
  if ((f->info_flags & DM_FLASH_INFO_F_VERIFY) && (r = prv_verify(f->fd, buf, len, offset)) < 0) return r;
  return (int)len;
}

int dm_flash_read(dm_ctx_t *ctx, uint32_t h, uint32_t offset, uint8_t *buf, uint32_t len) {
  int i = prv_live(ctx, h);
  if (i < 0) return i;
  dm_flash_t *f = &ctx->flash[i];
  if (offset > f->size) return -EINVAL;
  if (len > f->size - offset) len = f->size - offset;
  if (len > INT32_MAX) return -EINVAL;
  return prv_pread_all(f->fd, buf, len, offset);
}

int dm_flash_sync(dm_ctx_t *ctx, uint32_t h) {
  int i = prv_live(ctx, h);
  if (i < 0) return i;
  dm_flash_t *f = &ctx->flash[i];
  if (f->kind == DM_FLASH_MTD) return 0; /* mtdchar writes are synchronous */
  return fdatasync(f->fd) < 0 ? -errno : 0;
}

int dm_flash_sim_fault(dm_ctx_t *ctx, uint32_t h, uint32_t nth, uint32_t tear, uint32_t flags) {
  int i = dm_ctx_slot(ctx, DM_KIND_FLASH, h);
  if (i < 0) return i;
  dm_flash_t *f = &ctx->flash[i];
  if (!prv_is_sim(f)) return -ENOTSUP;
  if ((flags & ~(DM_SIM_FAULT_EIO | DM_SIM_FAULT_ERASE)) != 0) return -EINVAL;
  f->fault_nth = nth;
  f->fault_tear = tear;
  f->fault_flags = flags;
  f->sim_ops = 0;
  return 0;
}

int dm_flash_close(dm_ctx_t *ctx, uint32_t h) {
  if (((h >> 24) & 0x7f) != DM_KIND_FLASH) return -EBADF;
  int i = dm_ctx_slot(ctx, DM_KIND_FLASH, h);
  if (i < 0) return 0;
  close(ctx->flash[i].fd);
  ctx->flash[i].fd = -1;
  dm_ctx_release(ctx, DM_KIND_FLASH, i);
  return 0;
}
