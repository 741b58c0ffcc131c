/*
** fuzz_elf.c -- libFuzzer target for the ELF parser (lib/code/elf*.c).
**
** Parses the input with tells_elf_parse() into a small arena and renders the
** result with tells_elf_json() into a bounded buffer, so both the parser and
** the writer see every input.  Built as a libFuzzer binary with
** -DTELLS_FUZZ=ON (clang) and, in every build, as replay_fuzz_elf, which
** replays fuzz/corpus/elf/ without libFuzzer.
*/
#include <stddef.h>
#include <stdint.h>
#include "../lib/base/anom.h"
#include "../lib/base/arena.h"
#include "../lib/base/buf.h"
#include "../lib/base/json.h"
#include "../lib/code/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tells_arena a;
  tells_anoms an;
  tells_elf *e = NULL;
  tells_buf b;
  tells_json j;
  tells_arena_init(&a, 64u << 20);
  tells_anoms_init(&an);
  if (tells_elf_parse(data, size, &a, &an, &e) == TELLS_OK && e) {
    tells_buf_init(&b, 64u << 20);
    tells_json_init_buf(&j, &b, 0);
    tells_elf_json(e, &j);
    tells_json_flush(&j);
    tells_buf_free(&b);
  }
  tells_anoms_free(&an);
  tells_arena_free(&a);
  return 0;
}
