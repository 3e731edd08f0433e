/*
 * dm_test.h — minimal C test harness for native/core (built with ASan + UBSan by native/native.mk,
 * run by test/native/native-c.test.ts). A failing CHECK prints file:line and the values, the test
 * goes on; main() returns the number of failed checks (0 = pass).
 */
#ifndef DM_TEST_H
#define DM_TEST_H

#include <stdio.h>
#include <string.h>

static int dm_test_failures;
static int dm_test_checks;

#define CHECK(cond)                                                                \
  do {                                                                             \
    dm_test_checks++;                                                              \
    if (!(cond)) {                                                                 \
      fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);     \
      dm_test_failures++;                                                          \
    }                                                                              \
  } while (0)

#define CHECK_EQ(a, b)                                                                          \
  do {                                                                                          \
    long long va_ = (long long)(a), vb_ = (long long)(b);                                       \
    dm_test_checks++;                                                                           \
    if (va_ != vb_) {                                                                           \
      fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, #b, va_, vb_); \
      dm_test_failures++;                                                                       \
    }                                                                                           \
  } while (0)

#define CHECK_STR(a, b)                                                                        \
  do {                                                                                         \
    const char *sa_ = (a), *sb_ = (b);                                                         \
    dm_test_checks++;                                                                          \
    if (strcmp(sa_, sb_) != 0) {                                                               \
      fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, #a, #b, sa_, sb_); \
      dm_test_failures++;                                                                      \
    }                                                                                          \
  } while (0)

#define CHECK_MEM(a, b, n)                                                                   \
  do {                                                                                       \
    dm_test_checks++;                                                                        \
    if (memcmp((a), (b), (n)) != 0) {                                                        \
      fprintf(stderr, "%s:%d: memcmp(%s, %s, %s) failed\n", __FILE__, __LINE__, #a, #b, #n); \
      dm_test_failures++;                                                                    \
    }                                                                                        \
  } while (0)

#define RUN(fn)                                                                     \
  do {                                                                              \
    int before_ = dm_test_failures;                                                 \
    fn();                                                                           \
    printf("%s %s\n", dm_test_failures == before_ ? "ok  " : "FAIL", #fn);          \
  } while (0)

#define DONE()                                                                                       \
  do {                                                                                               \
    printf("%d checks, %d failed\n", dm_test_checks, dm_test_failures);                              \
    return dm_test_failures > 125 ? 125 : dm_test_failures;                                          \
  } while (0)

#endif
