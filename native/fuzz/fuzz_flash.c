/*
 * fuzz_flash.c — libFuzzer harness for the simulated flash (native/core/flash.c, SIM and SIM_NAND
 * kinds) and the handle table (native/core/ctx.c), built with ASan and UBSan.
 *
 * The input is a program of flash operations on a small image in /dev/shm (or $TMPDIR): erase a
 * block, program a range with a pattern, read a range, sync, arm a power cut in EIO mode (the
 * _exit mode would end the fuzzer), close and reopen, open extra handles, close stale or garbage
 * handles. An in-memory model of the medium predicts every result:
 *   NOR  programming can only clear bits; a write that would set one fails with -EIO and changes
 *        nothing (the rule is checked before anything is written);
 *   NAND a page can be programmed only when every byte of the range is erased (0xFF);
 *   both erased = 0xFF; page-aligned writes of at most one erase block; reads are exact; after a
 *        power cut the cut page holds only its first `tear` bytes, the handle refuses all I/O with
 *        -EIO, and a reopen shows exactly the model.
 * Any difference between the device and the model, or a sanitizer report, is a crash.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/dm_native.h"

#define FAIL(...)                                \
  do {                                           \
    fprintf(stderr, "fuzz_flash: " __VA_ARGS__); \
    fputc('\n', stderr);                         \
    abort();                                     \
  } while (0)

enum { PAGE = 64, ERASE = 256, BLOCKS = 4, SIZE = ERASE * BLOCKS };

static uint8_t model[SIZE];
static char path[256];

static void model_reset(void) { memset(model, 0xff, sizeof model); }

static int open_sim(dm_ctx_t *ctx, uint32_t kind) {
  int h = dm_flash_open(ctx, path, kind, ERASE, PAGE, SIZE);
  if (h < 0) FAIL("open: %d", h);
  return h;
}

static void compare(dm_ctx_t *ctx, uint32_t h, uint32_t off, uint32_t len) {
  static uint8_t buf[SIZE];
  int r = dm_flash_read(ctx, h, off, buf, len);
  uint32_t want = off > SIZE ? 0 : (len > SIZE - off ? SIZE - off : len);
  if (off > SIZE) {
    if (r != -EINVAL) FAIL("read past the end: %d", r);
    return;
  }
  if (r != (int)want) FAIL("read %u@%u returned %d, want %u", len, off, r, want);
  if (memcmp(buf, model + off, want) != 0) FAIL("read %u@%u differs from the model", len, off);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (path[0] == '\0') {
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    snprintf(path, sizeof path, "%s/omadm-fuzz-flash-%d.img", dir, (int)getpid());
  }
  unlink(path);
  model_reset();
  dm_ctx_t ctx;
  dm_ctx_init(&ctx);
  uint32_t kind = (size > 0 && (data[0] & 1)) ? DM_FLASH_SIM_NAND : DM_FLASH_SIM;
  int h = open_sim(&ctx, kind);
  int dead = 0;          /* the handle saw a simulated power cut */
  uint32_t armed = 0;    /* op number of the armed cut (0 none), counted from the arm */
  uint32_t tear = 0, ops = 0;
  int extra[8];
  int nextra = 0;
  size_t i = size > 0 ? 1 : 0;
  while (i + 2 < size) {
    uint8_t op = data[i], a = data[i + 1], b = data[i + 2];
    i += 3;
    switch (op % 9) {
    case 0: { /* erase one block (erases are not counted: no DM_SIM_FAULT_ERASE) */
      uint32_t blk = a % (BLOCKS + 1);
      int r = dm_flash_erase(&ctx, (uint32_t)h, blk);
      if (dead) { if (r != -EIO) FAIL("erase after the cut: %d", r); break; }
      if (blk >= BLOCKS) { if (r != -EINVAL) FAIL("erase of block %u: %d", blk, r); break; }
      if (r != 0) FAIL("erase: %d", r);
      memset(model + blk * ERASE, 0xff, ERASE);
      break;
    }
    case 1: { /* program a range with a pattern derived from the input */
      uint32_t off = (uint32_t)a * 16 % (SIZE + PAGE), len = (uint32_t)(b % 8) * PAGE / ((op & 0x80) ? 2 : 1);
      uint8_t buf[ERASE * 2];
      if (len > sizeof buf) len = sizeof buf;
      uint8_t mask = (uint8_t)(op >> 4) * 17;
      for (uint32_t k = 0; k < len; k++) buf[k] = (op & 0x40) ? (uint8_t)(model[(off + k) % SIZE] & ~(1u << (k % 8))) : (uint8_t)(mask ^ (uint8_t)(k * 31));
      int r = dm_flash_write(&ctx, (uint32_t)h, off, buf, len);
      if (dead) { if (r != -EIO) FAIL("write after the cut: %d", r); break; }
      if (len == 0) { if (r != 0) FAIL("empty write: %d", r); break; }
      if (len > ERASE || off + len > SIZE || off % PAGE || len % PAGE) { if (r != -EINVAL) FAIL("bad write %u@%u: %d", len, off, r); break; }
      int allowed = 1;
      for (uint32_t k = 0; k < len; k++) {
        uint8_t old = model[off + k];
        if (kind == DM_FLASH_SIM_NAND ? old != 0xff : (old & buf[k]) != buf[k]) { allowed = 0; break; }
      }
      if (!allowed) { if (r != -EIO) FAIL("forbidden write %u@%u accepted: %d", len, off, r); break; }
      /* page by page: the armed cut may hit one of them */
      for (uint32_t p = 0; p < len; p += PAGE) {
        ops++;
        if (armed && ops == armed) {
          uint32_t t = tear < PAGE ? tear : PAGE;
          memcpy(model + off + p, buf + p, t);
          if (r != -EIO) FAIL("cut write returned %d", r);
          dead = 1;
          armed = 0;
          break;
        }
        memcpy(model + off + p, buf + p, PAGE);
      }
      if (!dead && r != (int)len) FAIL("write %u@%u returned %d", len, off, r);
      break;
    }
    case 2: /* read and compare */
      if (dead) {
        uint8_t t;
        if (dm_flash_read(&ctx, (uint32_t)h, 0, &t, 1) != -EIO) FAIL("read after the cut");
        break;
      }
      compare(&ctx, (uint32_t)h, (uint32_t)a * 9, (uint32_t)b * 7 + 1);
      break;
    case 3: { /* arm a power cut in EIO mode */
      uint32_t nth = (uint32_t)(a % 6);
      int r = dm_flash_sim_fault(&ctx, (uint32_t)h, nth, b, DM_SIM_FAULT_EIO);
      if (r != 0) FAIL("arm: %d", r);
      armed = nth;
      tear = b;
      ops = 0;
      break;
    }
    case 4: /* close and reopen: the medium is the model, the cut is forgotten */
      if (dm_flash_close(&ctx, (uint32_t)h) != 0) FAIL("close");
      if (dm_flash_close(&ctx, (uint32_t)h) != 0) FAIL("second close of the same handle must be a no-op");
      if (dm_flash_read(&ctx, (uint32_t)h, 0, (uint8_t[1]){0}, 1) != -EBADF) FAIL("stale handle readable");
      h = open_sim(&ctx, kind);
      dead = 0;
      armed = 0;
      compare(&ctx, (uint32_t)h, 0, SIZE);
      break;
    case 5: { /* sync and info */
      int r = dm_flash_sync(&ctx, (uint32_t)h);
      if (dead ? r != -EIO : r != 0) FAIL("sync: %d", r);
      uint8_t info[4 * DM_FLASH_INFO_COUNT];
      if (dm_flash_info(&ctx, (uint32_t)h, info, sizeof info) != (int)sizeof info) FAIL("info");
      if (info[0] != (SIZE & 0xff) || ((info[4 * DM_FLASH_INFO_FLAGS] & DM_FLASH_INFO_F_DEAD) != 0) != dead) FAIL("info contents");
      break;
    }
    case 6: /* more handles on the same image, until the table is full */
      if (nextra < 8) {
        int x = dm_flash_open(&ctx, path, kind, ERASE, PAGE, SIZE);
        if (x == -EMFILE) break;
        if (x < 0) FAIL("extra open: %d", x);
        extra[nextra++] = x;
      }
      break;
    case 7: /* close an extra handle, twice */
      if (nextra > 0) {
        int x = extra[--nextra];
        if (dm_close(&ctx, (uint32_t)x) != 0 || dm_close(&ctx, (uint32_t)x) != 0) FAIL("close extra");
      }
      break;
    default: { /* garbage handles: never a crash, never another handle's I/O */
      uint32_t g = (uint32_t)a << 24 | (uint32_t)b << 8 | (op & 0x0f);
      if (g == (uint32_t)h) break;
      int in_use = 0;
      for (int k = 0; k < nextra; k++) in_use |= g == (uint32_t)extra[k];
      if (in_use) break;
      uint8_t t;
      int r = dm_flash_read(&ctx, g, 0, &t, 1);
      if (r != -EBADF) FAIL("garbage handle 0x%x read: %d", g, r);
      r = dm_close(&ctx, g);
      if (r != 0 && r != -EBADF) FAIL("garbage close: %d", r);
      break;
    }
    }
  }
  if (!dead) compare(&ctx, (uint32_t)h, 0, SIZE);
  dm_ctx_close_all(&ctx);
  unlink(path);
  return 0;
}
