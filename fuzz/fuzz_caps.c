/*
** fuzz_caps.c -- libFuzzer target for the capability rules (lib/code/caps.c).
**
** The input is parsed as a rule file; when it loads, its rules are matched
** against a fixed PE described in memory (imports by name and ordinal, a
** resource holding an embedded driver), with every line of the input also
** fed as a string, and the hits are rendered as JSON.  Built as a
** libFuzzer binary with -DTELLS_FUZZ=ON (clang) and, in every build, as
** replay_fuzz_caps, which replays fuzz/corpus/caps/ without libFuzzer.
*/
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "../lib/base/arena.h"
#include "../lib/base/buf.h"
#include "../lib/base/json.h"
#include "../lib/code/caps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t file[2048];
static tells_pe pe;
static tells_pe_import imp[2];
static tells_pe_import_fn fk[3], fw[2];
static tells_pe_rsrc rs[2];

static void fixed_pe(void) {
  fk[0].name = "CreateFileW"; fk[1].name = "DeviceIoControl"; fk[2].name = "OpenSCManagerA";
  fw[0].ordinal = 4; fw[1].ordinal = 19;
  imp[0].dll = "KERNEL32.dll"; imp[0].fns = fk; imp[0].n_fns = 3;
  imp[1].dll = "ws2_32.dll"; imp[1].fns = fw; imp[1].n_fns = 2;
  pe.imports = imp; pe.n_imports = 2;
  file[512] = 'M'; file[513] = 'Z'; file[512 + 0x3c] = 0x40;
  memcpy(file + 512 + 0x40, "PE\0\0", 4);
  file[512 + 0x40 + 24 + 68] = 1;
  rs[0].type_id = 10; rs[0].name_id = 1; rs[0].off = 512; rs[0].size = 1024;
  rs[1].type_name = "BIN"; rs[1].name = "X"; rs[1].off = 1500; rs[1].size = 1000; /* past the end */
  pe.rsrc = rs; pe.n_rsrc = 2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tells_caps *c = tells_caps_new();
  char err[256];
  if (!pe.n_imports) fixed_pe();
  if (!c) return 0;
  if (tells_caps_parse(c, "fuzz.rules", data, size, err, sizeof err) == TELLS_OK) {
    tells_arena a;
    tells_caps_match *m;
    tells_caps_hit *h;
    size_t n, i = 0;
    tells_arena_init(&a, 64u << 20);
    if (tells_caps_match_new(c, &a, &m) == TELLS_OK) {
      while (i < size) {
        const uint8_t *nl = memchr(data + i, '\n', size - i);
        size_t k = nl ? (size_t)(nl - (data + i)) : size - i;
        tells_caps_feed(m, (const char *)data + i, k < 4096 ? k : 4096, i, 0);
        i += k + 1;
      }
      if (tells_caps_finish(m, &pe, file, sizeof file, &h, &n) == TELLS_OK) {
        tells_buf b;
        tells_json j;
        tells_buf_init(&b, 16u << 20);
        tells_json_init_buf(&j, &b, 0);
        tells_caps_json(h, n, &j);
        tells_json_flush(&j);
        tells_buf_free(&b);
      }
    }
    tells_arena_free(&a);
  }
  tells_caps_destroy(c);
  return 0;
}
