/*
 * test_file.c — native/core/file.c (positioned I/O, sync, truncate, size, durable rename/remove),
 * dm_random and dm_clock_monotonic_ms.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../native/core/dm_native.h"
#include "dm_test.h"

static char dir[256];
static dm_ctx_t ctx;

static const char *path(const char *name) {
  static char p[4][512];
  static int k;
  k = (k + 1) % 4;
  snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
  return p[k];
}

static void test_open_flags(void) {
  CHECK_EQ(dm_file_open(&ctx, path("a"), 0), -ENOENT);
  CHECK_EQ(dm_file_open(&ctx, path("a"), DM_FILE_WRITE), -ENOENT);
  CHECK_EQ(dm_file_open(&ctx, path("a"), DM_FILE_CREATE), -EINVAL); /* create needs write */
  CHECK_EQ(dm_file_open(&ctx, path("a"), DM_FILE_TRUNC), -EINVAL);
  CHECK_EQ(dm_file_open(&ctx, path("a"), 0x10), -EINVAL);
  int h = dm_file_open(&ctx, path("a"), DM_FILE_WRITE | DM_FILE_CREATE);
  CHECK(h > 0);
  struct stat st;
  CHECK_EQ(stat(path("a"), &st), 0);
  CHECK_EQ(st.st_mode & 0777, 0644 & ~(unsigned)umask(022));
  CHECK_EQ(dm_file_close(&ctx, (uint32_t)h), 0);
  CHECK_EQ(dm_file_open(&ctx, path("a"), DM_FILE_WRITE | DM_FILE_CREATE | DM_FILE_EXCL), -EEXIST);
  CHECK_EQ(dm_file_open(&ctx, dir, 0), -EISDIR);
  CHECK_EQ(dm_file_open(&ctx, path("nodir/x"), DM_FILE_WRITE | DM_FILE_CREATE), -ENOENT);
}

static void test_rw(void) {
  uint8_t b[16];
  int h = dm_file_open(&ctx, path("rw"), DM_FILE_WRITE | DM_FILE_CREATE | DM_FILE_TRUNC);
  CHECK(h > 0);
  CHECK_EQ(dm_file_size(&ctx, (uint32_t)h), 0);
  CHECK_EQ(dm_file_pwrite(&ctx, (uint32_t)h, 100, (uint8_t *)"xyz", 3), 3);
  CHECK_EQ(dm_file_size(&ctx, (uint32_t)h), 103);
  CHECK_EQ(dm_file_pread(&ctx, (uint32_t)h, 99, b, 16), 4); /* short at EOF */
  CHECK_MEM(b, "\0xyz", 4);
  CHECK_EQ(dm_file_pread(&ctx, (uint32_t)h, 103, b, 16), 0);
  CHECK_EQ(dm_file_pread(&ctx, (uint32_t)h, 5000, b, 16), 0);
  CHECK_EQ(dm_file_pwrite(&ctx, (uint32_t)h, 101, (uint8_t *)"Q", 1), 1);
  CHECK_EQ(dm_file_pread(&ctx, (uint32_t)h, 100, b, 3), 3);
  CHECK_MEM(b, "xQz", 3);
  CHECK_EQ(dm_file_sync(&ctx, (uint32_t)h), 0);
  CHECK_EQ(dm_file_truncate(&ctx, (uint32_t)h, 101), 0);
  CHECK_EQ(dm_file_size(&ctx, (uint32_t)h), 101);
  CHECK_EQ(dm_file_truncate(&ctx, (uint32_t)h, 200), 0);
  CHECK_EQ(dm_file_pread(&ctx, (uint32_t)h, 100, b, 3), 3);
  CHECK_MEM(b, "x\0\0", 3);
  CHECK_EQ(dm_file_close(&ctx, (uint32_t)h), 0);
  /* read-only handle cannot write */
  h = dm_file_open(&ctx, path("rw"), 0);
  CHECK(h > 0);
  CHECK_EQ(dm_file_pwrite(&ctx, (uint32_t)h, 0, (uint8_t *)"z", 1), -EBADF);
  CHECK_EQ(dm_file_truncate(&ctx, (uint32_t)h, 0), -EINVAL);
  CHECK_EQ(dm_file_pread(&ctx, (uint32_t)h, 100, b, 1), 1);
  dm_close(&ctx, (uint32_t)h);
  CHECK_EQ(dm_file_pread(&ctx, (uint32_t)h, 0, b, 1), -EBADF);
  CHECK_EQ(dm_file_size(&ctx, (uint32_t)h), -EBADF);
  CHECK_EQ(dm_file_sync(&ctx, (uint32_t)h), -EBADF);
}

static void test_rename_remove(void) {
  uint8_t b[8];
  int h = dm_file_open(&ctx, path("new"), DM_FILE_WRITE | DM_FILE_CREATE);
  dm_file_pwrite(&ctx, (uint32_t)h, 0, (uint8_t *)"NEW", 3);
  dm_file_sync(&ctx, (uint32_t)h);
  dm_close(&ctx, (uint32_t)h);
  h = dm_file_open(&ctx, path("cur"), DM_FILE_WRITE | DM_FILE_CREATE);
  dm_file_pwrite(&ctx, (uint32_t)h, 0, (uint8_t *)"OLD", 3);
  dm_close(&ctx, (uint32_t)h);
  CHECK_EQ(dm_file_rename(&ctx, path("new"), path("cur")), 0); /* replaces */
  CHECK_EQ(access(path("new"), F_OK), -1);
  h = dm_file_open(&ctx, path("cur"), 0);
  CHECK_EQ(dm_file_pread(&ctx, (uint32_t)h, 0, b, 8), 3);
  CHECK_MEM(b, "NEW", 3);
  dm_close(&ctx, (uint32_t)h);
  CHECK_EQ(dm_file_rename(&ctx, path("new"), path("cur")), -ENOENT);
  CHECK_EQ(mkdir(path("sub"), 0755), 0);
  CHECK_EQ(dm_file_rename(&ctx, path("cur"), path("sub/moved")), 0); /* across directories */
  CHECK_EQ(access(path("sub/moved"), F_OK), 0);
  CHECK_EQ(dm_file_remove(&ctx, path("sub/moved")), 0);
  CHECK_EQ(access(path("sub/moved"), F_OK), -1);
  CHECK_EQ(dm_file_remove(&ctx, path("sub/moved")), -ENOENT);
  char longp[DM_STR_MAX + 10];
  memset(longp, 'a', sizeof longp);
  longp[sizeof longp - 1] = '\0';
  CHECK_EQ(dm_file_remove(&ctx, longp), -ENAMETOOLONG);
  CHECK_EQ(dm_file_rename(&ctx, longp, path("x")), -ENAMETOOLONG);
  /* relative names (directory ".") work too */
  char cwd[512];
  CHECK(getcwd(cwd, sizeof cwd) != NULL);
  CHECK_EQ(chdir(dir), 0);
  h = dm_file_open(&ctx, "rel", DM_FILE_WRITE | DM_FILE_CREATE);
  dm_close(&ctx, (uint32_t)h);
  CHECK_EQ(dm_file_rename(&ctx, "rel", "rel2"), 0);
  CHECK_EQ(dm_file_remove(&ctx, "rel2"), 0);
  CHECK_EQ(chdir(cwd), 0);
}

static void test_table_exhaustion(void) {
  int h[DM_MAX_FILE];
  for (int i = 0; i < DM_MAX_FILE; i++) {
    h[i] = dm_file_open(&ctx, path("rw"), 0);
    CHECK(h[i] > 0);
  }
  CHECK_EQ(dm_file_open(&ctx, path("rw"), 0), -EMFILE);
  for (int i = 0; i < DM_MAX_FILE; i++) CHECK_EQ(dm_close(&ctx, (uint32_t)h[i]), 0);
  int again = dm_file_open(&ctx, path("rw"), 0);
  CHECK(again > 0);
  dm_close(&ctx, (uint32_t)again);
}

static void test_random(void) {
  uint8_t a[64], b[64];
  memset(a, 0, sizeof a);
  memset(b, 0, sizeof b);
  CHECK_EQ(dm_random(&ctx, a, sizeof a), 64);
  CHECK_EQ(dm_random(&ctx, b, sizeof b), 64);
  CHECK(memcmp(a, b, sizeof a) != 0);
  int zeros = 0;
  for (size_t i = 0; i < sizeof a; i++) zeros += a[i] == 0;
  CHECK(zeros < 16); /* 64 random bytes with >= 16 zeros: probability ~1e-20 */
  CHECK_EQ(dm_random(&ctx, a, 0), 0);
}

static void test_clock(void) {
  double t0 = dm_clock_monotonic_ms(&ctx);
  struct timespec ts = {0, 20 * 1000000L};
  nanosleep(&ts, NULL);
  double t1 = dm_clock_monotonic_ms(&ctx);
  CHECK(t0 > 0);
  CHECK(t1 - t0 >= 19.0);
  int64_t n = dm_now_ms();
  CHECK(n >= (int64_t)t1);
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/dm_file_test.XXXXXX");
  if (!mkdtemp(dir)) return 99;
  dm_ctx_init(&ctx);
  RUN(test_open_flags);
  RUN(test_rw);
  RUN(test_rename_remove);
  RUN(test_table_exhaustion);
  RUN(test_random);
  RUN(test_clock);
  dm_ctx_close_all(&ctx);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "cleanup of %s failed\n", dir);
  DONE();
}
