/*
** fuzz_tlsh.c -- libFuzzer target for TLSH (lib/code/tlsh*.c).
**
** Hashes the input in one go and in uneven chunks (the digests must agree),
** in all four variants; parses the input as a digest string, formats it back
** (the text must parse to the same digest) and computes distances, which
** must be symmetric and 0 to itself.  Built as a libFuzzer binary with
** -DTELLS_FUZZ=ON (clang) and, in every build, as replay_fuzz_tlsh, which
** replays fuzz/corpus/tlsh/ without libFuzzer.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../lib/code/tlsh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned opts[] = {
  0, TELLS_TLSH_CHECKSUM3, TELLS_TLSH_BUCKETS256,
  TELLS_TLSH_BUCKETS256 | TELLS_TLSH_CHECKSUM3 | TELLS_TLSH_CONSERVATIVE
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tells_tlsh one[4], chunked, parsed, again;
  tells_tlsh_ctx c;
  char text[TELLS_TLSH_STRMAX];
  size_t i, off, step;

  for (i = 0; i < 4; i++) {
    tells_err e1 = tells_tlsh_hash(data, size, opts[i], &one[i]), e2;
    tells_tlsh_init(&c, opts[i]);
    for (off = 0, step = 1; off < size; off += step, step = step * 3 + 1)
      tells_tlsh_update(&c, data + off, size - off < step ? size - off : step);
    e2 = tells_tlsh_final(&c, &chunked);
    if (e1 != e2 || memcmp(&one[i], &chunked, sizeof chunked) != 0) abort();
    if (e1 == TELLS_OK && tells_tlsh_distance(&one[i], &one[i], 1) != 0) abort();
  }

  if (tells_tlsh_parse((const char *)data, size, &parsed) == TELLS_OK) {
    size_t n = tells_tlsh_format(&parsed, 0, text);
    if (tells_tlsh_parse(text, n, &again) != TELLS_OK ||
        memcmp(&parsed, &again, sizeof again) != 0)
      abort();
    for (i = 0; i < 4; i++) {
      int d1 = tells_tlsh_distance(&parsed, &one[i], 1);
      int d2 = tells_tlsh_distance(&one[i], &parsed, 1);
      if (d1 != d2) abort();
    }
    if (tells_tlsh_distance(&parsed, &parsed, 0) != 0) abort();
  } else if (parsed.nbody != 0) {
    abort();
  }
  return 0;
}
