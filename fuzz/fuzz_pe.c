/*
** fuzz_pe.c -- libFuzzer target for the PE parser (lib/code/pe*.c).
**
** Parses the input with tells_pe_parse() into a capped arena and renders
** the result with tells_pe_json() into a bounded buffer, so the parser, the
** hashes and the JSON writer all see every input.  Built as a libFuzzer
** binary with -DTELLS_FUZZ=ON (clang) and, in every build, as
** replay_fuzz_pe, which replays fuzz/corpus/pe/ without libFuzzer.
*/
#include <stddef.h>
#include <stdint.h>
#include "../lib/base/anom.h"
#include "../lib/base/arena.h"
#include "../lib/base/buf.h"
#include "../lib/base/json.h"
#include "../lib/code/pe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tells_arena a;
  tells_anoms an;
  tells_pe *pe = NULL;
  tells_buf b;
  tells_json j;
  tells_arena_init(&a, 64u << 20);
  tells_anoms_init(&an);
  if (tells_pe_parse(data, size, &a, &an, &pe) == TELLS_OK && pe) {
    tells_buf_init(&b, 64u << 20);
    tells_json_init_buf(&j, &b, 0);
    tells_pe_json(pe, &j);
    tells_json_flush(&j);
    tells_buf_free(&b);
  }
  tells_anoms_free(&an);
  tells_arena_free(&a);
  return 0;
}
