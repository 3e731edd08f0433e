/*
 * test_flash.c — native/core/flash.c: the simulated NOR/NAND rules, the power-cut hooks (EIO mode
 * in process, _exit mode in a forked child, the environment variable), the FILE backend, argument
 * checks and the handle table (stale handles, idempotent close, table exhaustion).
 * MTD and BLOCK need real devices: here only their refusal of a regular file is checked
 * (test/native/flash.test.ts runs BLOCK against a loop device when losetup works).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../native/core/dm_native.h"
#include "dm_test.h"

static char dir[256];
static dm_ctx_t ctx;

static const char *path(const char *name) {
  static char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  return p;
}

static uint32_t info(int h, int idx) {
  uint8_t b[4 * DM_FLASH_INFO_COUNT];
  CHECK_EQ(dm_flash_info(&ctx, (uint32_t)h, b, sizeof b), sizeof b);
  return (uint32_t)b[4 * idx] | (uint32_t)b[4 * idx + 1] << 8 | (uint32_t)b[4 * idx + 2] << 16 | (uint32_t)b[4 * idx + 3] << 24;
}

static int all(const uint8_t *p, size_t n, uint8_t v) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != v) return 0;
  return 1;
}

/* Reads [off, off+n) and checks every byte equals v. */
static int region_is(int h, uint32_t off, uint32_t n, uint8_t v) {
  uint8_t b[4096];
  if (n > sizeof b) return 0;
  if (dm_flash_read(&ctx, (uint32_t)h, off, b, n) != (int)n) return 0;
  return all(b, n, v);
}

static void test_sim_create_and_info(void) {
  uint8_t buf[1024];
  int h = dm_flash_open(&ctx, path("nor.img"), DM_FLASH_SIM, 1024, 128, 8192);
  CHECK(h > 0);
  CHECK_EQ(info(h, DM_FLASH_INFO_SIZE), 8192);
  CHECK_EQ(info(h, DM_FLASH_INFO_ERASE), 1024);
  CHECK_EQ(info(h, DM_FLASH_INFO_PAGE), 128);
  CHECK_EQ(info(h, DM_FLASH_INFO_KIND), DM_FLASH_SIM);
  CHECK_EQ(info(h, DM_FLASH_INFO_FLAGS), DM_FLASH_INFO_F_VERIFY | DM_FLASH_INFO_F_ALIGNED);
  CHECK_EQ(info(h, DM_FLASH_INFO_SIM_OPS), 0);
  for (uint32_t off = 0; off < 8192; off += sizeof buf) CHECK(region_is(h, off, sizeof buf, 0xff)); /* fresh = erased */
  struct stat st;
  CHECK_EQ(stat(path("nor.img"), &st), 0);
  CHECK_EQ(st.st_size, 8192);
  CHECK_EQ(dm_flash_read(&ctx, (uint32_t)h, 8000, buf, sizeof buf), 192); /* short read at the end */
  CHECK_EQ(dm_flash_read(&ctx, (uint32_t)h, 8192, buf, sizeof buf), 0);
  CHECK_EQ(dm_flash_read(&ctx, (uint32_t)h, 8193, buf, sizeof buf), -EINVAL);
  CHECK_EQ(dm_flash_info(&ctx, (uint32_t)h, buf, 7), 4); /* only whole values */
  CHECK_EQ(dm_flash_close(&ctx, (uint32_t)h), 0);
  h = dm_flash_open(&ctx, path("nor.img"), DM_FLASH_SIM, 1024, 128, 0); /* size from the image */
  CHECK(h > 0);
  CHECK_EQ(info(h, DM_FLASH_INFO_SIZE), 8192);
  dm_close(&ctx, (uint32_t)h);
  CHECK_EQ(dm_flash_open(&ctx, path("nor.img"), DM_FLASH_SIM, 1024, 128, 4096), -EINVAL); /* size mismatch */
  CHECK_EQ(dm_flash_open(&ctx, path("nor.img"), DM_FLASH_SIM, 1000, 128, 0), -EINVAL);    /* page ∤ erase */
  CHECK_EQ(dm_flash_open(&ctx, path("new.img"), DM_FLASH_SIM, 1024, 128, 0), -EINVAL);    /* new image needs a size */
  CHECK_EQ(dm_flash_open(&ctx, path("odd.img"), DM_FLASH_SIM, 1024, 128, 1500), -EINVAL); /* not whole blocks */
  CHECK_EQ(dm_flash_open(&ctx, path("x.img"), 9, 0, 0, 4096), -EINVAL);
  CHECK_EQ(dm_flash_open(&ctx, path("x.img"), DM_FLASH_SIM, DM_FLASH_MAX_ERASE * 2, 0, 0), -EINVAL);
  CHECK_EQ(dm_flash_open(&ctx, path("nodir/x.img"), DM_FLASH_SIM, 1024, 128, 4096), -ENOENT);
  /* defaults: 4096-byte blocks, 256-byte pages */
  h = dm_flash_open(&ctx, path("dflt.img"), DM_FLASH_SIM, 0, 0, 16384);
  CHECK(h > 0);
  CHECK_EQ(info(h, DM_FLASH_INFO_ERASE), DM_FLASH_SIM_DEFAULT_ERASE);
  CHECK_EQ(info(h, DM_FLASH_INFO_PAGE), DM_FLASH_SIM_DEFAULT_PAGE);
  dm_close(&ctx, (uint32_t)h);
}

static void test_sim_nor_rules(void) {
  uint8_t page[256], back[128];
  int h = dm_flash_open(&ctx, path("rules.img"), DM_FLASH_SIM, 1024, 128, 4096);
  CHECK(h > 0);
  memset(page, 0x0f, 128);
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 128, page, 128), 128);
  memset(page, 0x03, 128); /* only clears bits: allowed over 0x0f */
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 128, page, 128), 128);
  memset(page, 0x07, 128); /* would set a bit that is 0: refused, nothing written */
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 128, page, 128), -EIO);
  CHECK(region_is(h, 128, 128, 0x03));
  /* two pages, only the second breaks the rule: the whole write is refused, page 0 untouched */
  memset(page, 0x00, 128);
  memset(page + 128, 0xff, 128);
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 0, page, 256), -EIO);
  CHECK(region_is(h, 0, 128, 0xff));
  CHECK(region_is(h, 128, 128, 0x03));
  /* one mixed byte pattern, checked bit by bit */
  memset(page, 0xff, 128);
  page[0] = 0xa5;
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 512, page, 128), 128);
  page[0] = 0x81; /* 1000 0001 ⊂ 1010 0101: allowed */
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 512, page, 128), 128);
  page[0] = 0x83; /* bit 1 is 0 already: refused */
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 512, page, 128), -EIO);
  CHECK_EQ(dm_flash_read(&ctx, (uint32_t)h, 512, back, 1), 1);
  CHECK_EQ(back[0], 0x81);
  /* erase resets the whole block (and only it) */
  memset(page, 0x00, 128);
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 1024, page, 128), 128); /* block 1 */
  CHECK_EQ(dm_flash_erase(&ctx, (uint32_t)h, 0), 0);
  CHECK(region_is(h, 0, 1024, 0xff));
  CHECK(region_is(h, 1024, 128, 0x00));
  memset(page, 0x07, 128);
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 128, page, 128), 128); /* allowed again after the erase */
  CHECK_EQ(dm_flash_erase(&ctx, (uint32_t)h, 4), -EINVAL);
  CHECK_EQ(info(h, DM_FLASH_INFO_SIM_OPS), 6); /* page programs that happened: 0f, 03, a5, 81, 00, 07 */
  dm_close(&ctx, (uint32_t)h);
}

static void test_sim_alignment_and_bounds(void) {
  uint8_t buf[2048];
  memset(buf, 0, sizeof buf);
  int h = dm_flash_open(&ctx, path("align.img"), DM_FLASH_SIM, 1024, 128, 4096);
  CHECK(h > 0);
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 64, buf, 128), -EINVAL);   /* offset not page-aligned */
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 0, buf, 100), -EINVAL);    /* length not page-aligned */
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 0, buf, 2048), -EINVAL);   /* more than one erase block */
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 3968, buf, 256), -EINVAL); /* past the end */
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 0xffffff80u, buf, 256), -EINVAL); /* offset + len wraps 32 bits */
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 0, buf, 0), 0);
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 512, buf, 1024), 1024); /* one block's worth across two blocks */
  CHECK(region_is(h, 512, 1024, 0x00));
  CHECK(region_is(h, 0, 512, 0xff));
  dm_close(&ctx, (uint32_t)h);
}

static void test_sim_nand(void) {
  uint8_t page[128];
  int h = dm_flash_open(&ctx, path("nand.img"), DM_FLASH_SIM_NAND, 1024, 128, 4096);
  CHECK(h > 0);
  CHECK_EQ(info(h, DM_FLASH_INFO_KIND), DM_FLASH_SIM_NAND);
  memset(page, 0x0f, sizeof page);
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 0, page, 128), 128);
  memset(page, 0x03, sizeof page); /* clearing bits is fine on NOR, but a NAND page is programmed once */
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 0, page, 128), -EIO);
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 128, page, 128), 128);
  CHECK_EQ(dm_flash_erase(&ctx, (uint32_t)h, 0), 0);
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 0, page, 128), 128);
  CHECK(region_is(h, 0, 256, 0x03) == 0);
  CHECK(region_is(h, 0, 128, 0x03));
  dm_close(&ctx, (uint32_t)h);
}

static void test_sim_cut_eio(void) {
  uint8_t data[512], b[16];
  memset(data, 0x00, sizeof data);
  int h = dm_flash_open(&ctx, path("cut.img"), DM_FLASH_SIM, 1024, 128, 4096);
  CHECK(h > 0);
  CHECK_EQ(dm_flash_sim_fault(&ctx, (uint32_t)h, 3, 10, DM_SIM_FAULT_EIO), 0);
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 0, data, 512), -EIO);
  CHECK_EQ(info(h, DM_FLASH_INFO_SIM_OPS), 3);
  CHECK(info(h, DM_FLASH_INFO_FLAGS) & DM_FLASH_INFO_F_DEAD);
  /* no power: everything but info/close is refused */
  CHECK_EQ(dm_flash_read(&ctx, (uint32_t)h, 0, b, 16), -EIO);
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 1024, data, 128), -EIO);
  CHECK_EQ(dm_flash_erase(&ctx, (uint32_t)h, 1), -EIO);
  CHECK_EQ(dm_flash_sync(&ctx, (uint32_t)h), -EIO);
  CHECK_EQ(dm_close(&ctx, (uint32_t)h), 0);
  /* after the "reboot": pages 0-1 programmed, page 2 torn after 10 bytes, page 3 untouched */
  h = dm_flash_open(&ctx, path("cut.img"), DM_FLASH_SIM, 1024, 128, 4096);
  CHECK(h > 0);
  CHECK(region_is(h, 0, 256, 0x00));
  CHECK(region_is(h, 256, 10, 0x00));
  CHECK(region_is(h, 266, 118, 0xff));
  CHECK(region_is(h, 384, 640, 0xff));
  CHECK_EQ(info(h, DM_FLASH_INFO_FLAGS) & DM_FLASH_INFO_F_DEAD, 0);
  /* disarmed by default after reopen; the counter counts again from 0 */
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 1024, data, 256), 256);
  CHECK_EQ(info(h, DM_FLASH_INFO_SIM_OPS), 2);
  /* a tear longer than the page programs the whole page, then cuts */
  CHECK_EQ(dm_flash_sim_fault(&ctx, (uint32_t)h, 1, 100000, DM_SIM_FAULT_EIO), 0);
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 2048, data, 256), -EIO);
  dm_close(&ctx, (uint32_t)h);
  h = dm_flash_open(&ctx, path("cut.img"), DM_FLASH_SIM, 1024, 128, 4096);
  CHECK(region_is(h, 2048, 128, 0x00));
  CHECK(region_is(h, 2176, 128, 0xff));
  /* argument checks */
  CHECK_EQ(dm_flash_sim_fault(&ctx, (uint32_t)h, 1, 0, 0x80), -EINVAL);
  CHECK_EQ(dm_flash_sim_fault(&ctx, (uint32_t)h, 0, 0, 0), 0);
  dm_close(&ctx, (uint32_t)h);
}

static void test_sim_erase_counting_and_torn_erase(void) {
  uint8_t data[1024];
  memset(data, 0x11, sizeof data);
  int h = dm_flash_open(&ctx, path("erase.img"), DM_FLASH_SIM, 1024, 128, 4096);
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 0, data, 1024), 1024);
  CHECK_EQ(info(h, DM_FLASH_INFO_SIM_OPS), 8);
  CHECK_EQ(dm_flash_erase(&ctx, (uint32_t)h, 3), 0);
  CHECK_EQ(info(h, DM_FLASH_INFO_SIM_OPS), 8); /* erases are not counted by default */
  CHECK_EQ(dm_flash_sim_fault(&ctx, (uint32_t)h, 2, 100, DM_SIM_FAULT_EIO | DM_SIM_FAULT_ERASE), 0);
  CHECK_EQ(dm_flash_erase(&ctx, (uint32_t)h, 3), 0); /* op 1 */
  CHECK_EQ(dm_flash_erase(&ctx, (uint32_t)h, 0), -EIO); /* op 2: torn after 100 bytes */
  dm_close(&ctx, (uint32_t)h);
  h = dm_flash_open(&ctx, path("erase.img"), DM_FLASH_SIM, 1024, 128, 4096);
  CHECK(region_is(h, 0, 100, 0xff));
  CHECK(region_is(h, 100, 924, 0x11));
  dm_close(&ctx, (uint32_t)h);
}

static void test_sim_cut_exit_in_child(void) {
  uint8_t data[512];
  memset(data, 0x42, sizeof data);
  int h = dm_flash_open(&ctx, path("child.img"), DM_FLASH_SIM, 1024, 128, 4096);
  CHECK(h > 0);
  dm_close(&ctx, (uint32_t)h);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    static dm_ctx_t c2;
    dm_ctx_init(&c2);
    int ch = dm_flash_open(&c2, path("child.img"), DM_FLASH_SIM, 1024, 128, 4096);
    dm_flash_sim_fault(&c2, (uint32_t)ch, 2, 0, 0); /* "stop after 1 page program" */
    dm_flash_write(&c2, (uint32_t)ch, 0, data, 512);
    _exit(0); /* not reached */
  }
  int st = 0;
  CHECK_EQ(waitpid(pid, &st, 0), pid);
  CHECK(WIFEXITED(st));
  CHECK_EQ(WEXITSTATUS(st), DM_SIM_EXIT_CODE);
  h = dm_flash_open(&ctx, path("child.img"), DM_FLASH_SIM, 1024, 128, 4096);
  CHECK(region_is(h, 0, 128, 0x42));
  CHECK(region_is(h, 128, 896, 0xff));
  dm_close(&ctx, (uint32_t)h);
}

static void test_sim_fault_env(void) {
  uint8_t data[256];
  memset(data, 0x00, sizeof data);
  setenv(DM_SIM_FAULT_ENV, "2,5,1", 1);
  int h = dm_flash_open(&ctx, path("env.img"), DM_FLASH_SIM, 1024, 128, 4096);
  CHECK(h > 0);
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 0, data, 256), -EIO);
  dm_close(&ctx, (uint32_t)h);
  setenv(DM_SIM_FAULT_ENV, "", 1); /* empty = disarmed */
  h = dm_flash_open(&ctx, path("env.img"), DM_FLASH_SIM, 1024, 128, 4096);
  CHECK(region_is(h, 0, 128, 0x00));
  CHECK(region_is(h, 128, 5, 0x00));
  CHECK(region_is(h, 133, 123, 0xff));
  dm_close(&ctx, (uint32_t)h);
  static const char *bad[] = {"x", "1,2,3,4", "1,2,8", "1,", "-", "1;2", "99999999999"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    setenv(DM_SIM_FAULT_ENV, bad[i], 1);
    int r = dm_flash_open(&ctx, path("env.img"), DM_FLASH_SIM, 1024, 128, 4096);
    if (r != -EINVAL) fprintf(stderr, "  env \"%s\" → %d\n", bad[i], r);
    CHECK_EQ(r, -EINVAL);
  }
  setenv(DM_SIM_FAULT_ENV, "0x3", 1); /* numbers may be hex; tear and flags default to 0 */
  h = dm_flash_open(&ctx, path("env.img"), DM_FLASH_SIM, 1024, 128, 4096);
  CHECK(h > 0);
  dm_close(&ctx, (uint32_t)h);
  unsetenv(DM_SIM_FAULT_ENV);
  /* the env var only concerns the simulator */
  setenv(DM_SIM_FAULT_ENV, "garbage", 1);
  h = dm_flash_open(&ctx, path("plain.bin"), DM_FLASH_FILE, 1024, 0, 4096);
  CHECK(h > 0);
  dm_close(&ctx, (uint32_t)h);
  unsetenv(DM_SIM_FAULT_ENV);
}

static void test_file_backend(void) {
  uint8_t buf[64];
  int h = dm_flash_open(&ctx, path("file.bin"), DM_FLASH_FILE, 4096, 0, 8192);
  CHECK(h > 0);
  CHECK_EQ(info(h, DM_FLASH_INFO_KIND), DM_FLASH_FILE);
  CHECK_EQ(info(h, DM_FLASH_INFO_PAGE), 1);
  CHECK_EQ(info(h, DM_FLASH_INFO_FLAGS), 0);
  CHECK(region_is(h, 0, 64, 0x00)); /* a new file reads zeros until erased */
  memcpy(buf, "abc", 3);
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 4097, buf, 3), 3); /* unaligned is fine on files */
  buf[0] = 0xff;
  CHECK_EQ(dm_flash_write(&ctx, (uint32_t)h, 4096, buf, 1), 1); /* and bits can be set: no NOR rule */
  CHECK_EQ(dm_flash_read(&ctx, (uint32_t)h, 4096, buf, 4), 4);
  CHECK_MEM(buf, "\xff" "abc", 4);
  CHECK_EQ(dm_flash_erase(&ctx, (uint32_t)h, 1), 0);
  CHECK(region_is(h, 4096, 4096, 0xff));
  CHECK_EQ(dm_flash_sync(&ctx, (uint32_t)h), 0);
  CHECK_EQ(dm_flash_sim_fault(&ctx, (uint32_t)h, 1, 0, 0), -ENOTSUP);
  dm_close(&ctx, (uint32_t)h);
  h = dm_flash_open(&ctx, path("file.bin"), DM_FLASH_FILE, 4096, 0, 0); /* size from the file */
  CHECK_EQ(info(h, DM_FLASH_INFO_SIZE), 8192);
  dm_close(&ctx, (uint32_t)h);
  h = dm_flash_open(&ctx, path("file.bin"), DM_FLASH_FILE, 0, 0, 0); /* 64 KiB default block > file */
  CHECK_EQ(h, -EINVAL);
  CHECK_EQ(dm_flash_open(&ctx, path("missing.bin"), DM_FLASH_FILE, 4096, 0, 0), -ENOENT);
  CHECK_EQ(dm_flash_open(&ctx, dir, DM_FLASH_FILE, 4096, 0, 0), -EISDIR);
}

static void test_block_and_mtd_refuse_regular_files(void) {
  int fd = open(path("reg.bin"), O_CREAT | O_WRONLY, 0644);
  CHECK(fd >= 0);
  close(fd);
  CHECK_EQ(dm_flash_open(&ctx, path("reg.bin"), DM_FLASH_BLOCK, 0, 0, 0), -ENODEV);
  CHECK_EQ(dm_flash_open(&ctx, path("reg.bin"), DM_FLASH_MTD, 0, 0, 0), -ENODEV);
  /* a char device that is no MTD: the ioctl fails (ENOTTY; qemu-user answers unknown ioctls with ENOSYS) */
  int r = dm_flash_open(&ctx, "/dev/null", DM_FLASH_MTD, 0, 0, 0);
  CHECK(r == -ENOTTY || r == -ENOSYS);
}

static void test_handles(void) {
  uint8_t b[4];
  int h[DM_MAX_FLASH + 1];
  for (int i = 0; i < DM_MAX_FLASH; i++) {
    char name[32];
    snprintf(name, sizeof name, "h%d.img", i);
    h[i] = dm_flash_open(&ctx, path(name), DM_FLASH_SIM, 1024, 128, 1024);
    CHECK(h[i] > 0);
  }
  CHECK_EQ(dm_flash_open(&ctx, path("h9.img"), DM_FLASH_SIM, 1024, 128, 1024), -EMFILE);
  CHECK_EQ(dm_close(&ctx, (uint32_t)h[1]), 0);
  CHECK_EQ(dm_close(&ctx, (uint32_t)h[1]), 0); /* idempotent */
  CHECK_EQ(dm_flash_read(&ctx, (uint32_t)h[1], 0, b, 4), -EBADF);
  int again = dm_flash_open(&ctx, path("h1.img"), DM_FLASH_SIM, 1024, 128, 1024);
  CHECK(again > 0);
  CHECK(again != h[1]); /* same slot, new generation */
  CHECK_EQ(dm_flash_read(&ctx, (uint32_t)h[1], 0, b, 4), -EBADF);
  CHECK_EQ(dm_close(&ctx, (uint32_t)h[1]), 0); /* the stale handle does not close the new one */
  CHECK_EQ(dm_flash_read(&ctx, (uint32_t)again, 0, b, 4), 4);
  CHECK_EQ(dm_close(&ctx, 0), -EBADF);
  CHECK_EQ(dm_close(&ctx, 0x7fffffffu), -EBADF);
  CHECK_EQ(dm_close(&ctx, 0x80000000u | (uint32_t)again), -EBADF);
  CHECK_EQ(dm_handle_fd(&ctx, (uint32_t)again), -EBADF); /* only SMS/WDP expose their fd */
  CHECK_EQ(dm_file_pread(&ctx, (uint32_t)again, 0, b, 4), -EBADF); /* wrong kind */
  CHECK_EQ(dm_sms_close(&ctx, (uint32_t)again), -EBADF);
  dm_ctx_close_all(&ctx);
  CHECK_EQ(dm_flash_read(&ctx, (uint32_t)again, 0, b, 4), -EBADF);
  for (int i = 0; i < DM_MAX_FLASH; i++) CHECK_EQ(dm_close(&ctx, (uint32_t)h[i]), 0);
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/dm_flash_test.XXXXXX");
  if (!mkdtemp(dir)) return 99;
  unsetenv(DM_SIM_FAULT_ENV);
  dm_ctx_init(&ctx);
  RUN(test_sim_create_and_info);
  RUN(test_sim_nor_rules);
  RUN(test_sim_alignment_and_bounds);
  RUN(test_sim_nand);
  RUN(test_sim_cut_eio);
  RUN(test_sim_erase_counting_and_torn_erase);
  RUN(test_sim_cut_exit_in_child);
  RUN(test_sim_fault_env);
  RUN(test_file_backend);
  RUN(test_block_and_mtd_refuse_regular_files);
  RUN(test_handles);
  dm_ctx_close_all(&ctx);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "cleanup of %s failed\n", dir);
  DONE();
}
