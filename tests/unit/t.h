/*
** t.h -- the tiny unit-test harness of tells.
**
** A test file defines functions `static void test_xxx(void)` and lists them
** in main() with T_RUN.  Each case prints "ok - name", "not ok - name" or
** "skip - name: reason"; tests/run.sh sums the lines over all test programs.
*/
#ifndef TELLS_T_H
#define TELLS_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_case_failed, t_case_skipped, t_failed, t_passed, t_skipped;
static char t_skip_reason[256];

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      t_case_failed = 1;                                                     \
    }                                                                        \
  } while (0)

#define CHECK_EQ_INT(a, b)                                                   \
  do {                                                                       \
    long long t_a = (long long)(a), t_b = (long long)(b);                    \
    if (t_a != t_b) {                                                        \
      fprintf(stderr, "  %s:%d: %s == %s failed: %lld != %lld\n", __FILE__,  \
              __LINE__, #a, #b, t_a, t_b);                                   \
      t_case_failed = 1;                                                     \
    }                                                                        \
  } while (0)

#define CHECK_EQ_STR(a, b)                                                   \
  do {                                                                       \
    const char *t_a = (a), *t_b = (b);                                       \
    if (!t_a || !t_b || strcmp(t_a, t_b) != 0) {                             \
      fprintf(stderr, "  %s:%d: %s == %s failed: \"%s\" != \"%s\"\n",        \
              __FILE__, __LINE__, #a, #b, t_a ? t_a : "(null)",              \
              t_b ? t_b : "(null)");                                         \
      t_case_failed = 1;                                                     \
    }                                                                        \
  } while (0)

/* Marks the current case skipped (e.g. a corpus is absent) and returns. */
#define T_SKIP(...)                                                          \
  do {                                                                       \
    snprintf(t_skip_reason, sizeof t_skip_reason, __VA_ARGS__);              \
    t_case_skipped = 1;                                                      \
    return;                                                                  \
  } while (0)

#define T_RUN(fn)                                                            \
  do {                                                                       \
    t_case_failed = 0; t_case_skipped = 0;                                   \
    fn();                                                                    \
    if (t_case_failed) { printf("not ok - %s\n", #fn); t_failed++; }         \
    else if (t_case_skipped) { printf("skip - %s: %s\n", #fn, t_skip_reason); t_skipped++; } \
    else { printf("ok - %s\n", #fn); t_passed++; }                           \
    fflush(stdout);                                                          \
  } while (0)

#define T_END() return t_failed ? 1 : 0

/* Path of the shared corpora: $TELLS_CORPORA or ../shared/corpora from the
** source tree. */
static inline const char *t_corpora(void) {
  const char *e = getenv("TELLS_CORPORA");
  return e && *e ? e : TELLS_SOURCE_DIR "/../shared/corpora";
}

#endif
