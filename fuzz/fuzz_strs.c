/*
** fuzz_strs.c -- libFuzzer target for the strings and indicator pass
** (lib/code/strs.c).
**
** Scans the input as a whole file with a string callback, then renders
** the kept indicators as JSON into a bounded buffer.  Built as a libFuzzer
** binary with -DTELLS_FUZZ=ON (clang) and, in every build, as
** replay_fuzz_strs, which replays fuzz/corpus/strs/ without libFuzzer.
*/
#include <stddef.h>
#include <stdint.h>
#include "../lib/base/arena.h"
#include "../lib/base/buf.h"
#include "../lib/base/json.h"
#include "../lib/code/strs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_string(void *ud, const char *s, size_t n, uint64_t off, int wide) {
  uint64_t *sum = ud;
  (void)wide;
  if (n) *sum += (uint8_t)s[0] + (uint8_t)s[n - 1] + off;   /* touch both ends */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tells_arena a;
  tells_strs s;
  tells_strs_opts o;
  tells_buf b;
  tells_json j;
  uint64_t sum = 0;
  tells_arena_init(&a, 64u << 20);
  o.min_len = size ? (size_t)(data[0] % 8) : 0;   /* 0 (default) .. 7 */
  o.on_string = on_string; o.on_indicator = NULL; o.ud = &sum;
  tells_strs_scan(data, size, &o, &a, &s);
  tells_buf_init(&b, 16u << 20);
  tells_json_init_buf(&j, &b, 0);
  tells_strs_json(&s, &j);
  tells_json_flush(&j);
  tells_buf_free(&b);
  tells_arena_free(&a);
  return 0;
}
