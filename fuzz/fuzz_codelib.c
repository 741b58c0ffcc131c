/*
** fuzz_codelib.c -- libFuzzer target for the reference-library loader
** (lib/code/codelib.c, format in docs/library.md).
**
** The loader reads a file by path, so the input is written to a private
** temporary file and loaded; a library that loads is then queried with the
** TLSH digest of the input itself and with its first entry's hashes, so the
** index build and the search see hostile libraries too.  The exact-hash
** matches must be the first TELLS_CODELIB_MAX_EXACT entries with an equal
** hash, in library order, as a scan of the entries finds them.  Seeds live in
** fuzz/corpus/codelib/; replayed without libFuzzer by replay_fuzz_codelib.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../lib/code/codelib.h"
#include "../lib/code/tlsh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *exact_of(const tells_codelib_entry *e, int k) {
  return k == TELLS_CODELIB_IMPHASH ? e->imphash : k == TELLS_CODELIB_RICH ? e->rich : e->richpe;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[64], err[512];
  tells_codelib *lib = NULL;
  FILE *f;
  snprintf(path, sizeof path, "/tmp/fuzz_codelib.%ld", (long)getpid());
  f = fopen(path, "wb");
  if (!f) return 0;
  if (size && fwrite(data, 1, size, f) != size) { fclose(f); unlink(path); return 0; }
  fclose(f);
  if (tells_codelib_load(path, 0, &lib, err, sizeof err) == TELLS_OK && lib) {
    tells_codelib_result r;
    tells_tlsh t;
    const tells_codelib_entry *e0 = tells_codelib_count(lib) ? tells_codelib_get(lib, 0) : NULL;
    int have = tells_tlsh_hash(data, size, 0, &t) == TELLS_OK;
    memset(&r, 0, sizeof r);
    tells_codelib_query(lib, have ? &t : NULL, e0 ? e0->imphash : NULL,
                        e0 ? e0->rich : NULL, e0 ? e0->richpe : NULL, &r);
    if (e0) {
      int k;
      for (k = 0; k < TELLS_CODELIB_NKIND; k++) {
        const char *want = exact_of(e0, k);
        size_t i, m = 0;
        for (i = 0; want[0] && i < tells_codelib_count(lib) && m < TELLS_CODELIB_MAX_EXACT; i++) {
          if (strcmp(exact_of(tells_codelib_get(lib, i), k), want) != 0) continue;
          if (r.exact[k][m] != i) abort();
          m++;
        }
        if (m != r.n_exact[k]) abort();
      }
    }
    tells_codelib_free(lib);
  }
  unlink(path);
  return 0;
}
