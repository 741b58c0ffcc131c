/*
** replay.c -- runs a fuzz target over saved inputs without libFuzzer.
**
** Linked with one fuzz/fuzz_<fmt>.c, it feeds every file named on the
** command line (folders are walked one level deep) to
** LLVMFuzzerTestOneInput, so `make check` replays the seeds and every kept
** crasher under ASan and UBSan (SQLite's fuzzcheck, Suricata's onefile).
*/
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf;
  long n;
  if (!f) { fprintf(stderr, "replay: %s: cannot open\n", path); return -1; }
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  if (n < 0) { fclose(f); return -1; }
  buf = malloc((size_t)n + 1);   /* exact-size copy so ASan sees overreads */
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
    fprintf(stderr, "replay: %s: cannot read\n", path);
    free(buf); fclose(f);
    return -1;
  }
  fclose(f);
  LLVMFuzzerTestOneInput(buf, (size_t)n);
  free(buf);
  return 0;
}

int main(int argc, char **argv) {
  int i, n = 0, bad = 0;
  for (i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) { fprintf(stderr, "replay: %s: missing\n", argv[i]); bad++; continue; }
    if (S_ISDIR(st.st_mode)) {
      struct dirent **ents;
      int k, m = scandir(argv[i], &ents, NULL, alphasort);
      for (k = 0; k < m; k++) {
        char p[4096];
        if (ents[k]->d_name[0] != '.') {
          snprintf(p, sizeof p, "%s/%s", argv[i], ents[k]->d_name);
          if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) { if (run_file(p)) bad++; else n++; }
        }
        free(ents[k]);
      }
      free(ents);
    } else {
      if (run_file(argv[i])) bad++; else n++;
    }
  }
  printf("replayed %d inputs, %d unreadable\n", n, bad);
  return bad ? 1 : 0;
}
