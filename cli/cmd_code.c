/*
** cmd_code.c -- `tells code FILE|DIR... [--yara RULES]... --jsonl`.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char HELP[] =
  "usage: tells code FILE|DIR... [--yara RULES]... [--library FILE] [--threads N] --jsonl\n"
  "\n"
  "Triage of executables (PE and ELF, identified by content; other files are\n"
  "skipped): one JSON object per file with its hashes, the parsed structure\n"
  "(schema: docs/pe-json.md, docs/elf-json.md), indicators (imphash, Rich hash,\n"
  "PDB path, build-id), findings (YARA hits with the rule's metadata) and\n"
  "anomalies with their offsets.\n"
  "\n"
  "options:\n"
  "  --yara RULES   YARA rules file or folder (repeatable), compiled once;\n"
  "                 rules files that fail are named with file and line\n"
  "  --library FILE reference library (tells lib add): adds \"library\" to each\n"
  "                 PE/ELF object: the nearest samples by TLSH distance (up to\n"
  "                 100) and those sharing its imphash, Rich or RichPE hash,\n"
  "                 with their family; docs/library.md\n"
  "  --threads N    files analysed at once (default: one per CPU this process\n"
  "                 may use, at most 16); the output is the same for any N\n"
  "  --jsonl        JSON lines on stdout (the only output format)\n"
  "  -h, --help     this help\n"
  "\n"
  "exit codes: 0 ok, 1 some input or rule file could not be read, 2 usage error,\n"
  "            4 output error\n";

static void on_diag(void *ud, const char *path, const char *msg) {
  int *n = ud;
  (*n)++;
  cli_error(path, msg);
}

int cmd_code(int argc, char **argv) {
  const char **paths = calloc((size_t)argc, sizeof *paths);
  const char **yara = calloc((size_t)argc, sizeof *yara);
  size_t n = 0, ny = 0;
  int i, jsonl = 0, ndiag = 0, rc = EXIT_OK;
  tells_scan_opts o;
  tells_err e;
  if (!paths || !yara) { free(paths); free(yara); return EXIT_OUTPUT; }
  memset(&o, 0, sizeof o);
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) { fputs(HELP, stdout); goto out; }
    else if (strcmp(argv[i], "--jsonl") == 0) jsonl = 1;
    else if (strcmp(argv[i], "--yara") == 0 && i + 1 < argc) yara[ny++] = argv[++i];
    else if (strcmp(argv[i], "--library") == 0 && i + 1 < argc) o.library_path = argv[++i];
    else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      char *end;
      long t = strtol(argv[++i], &end, 10);
      if (*end || t < 1 || t > 16) {
        cli_error("code", "--threads takes a number from 1 to 16"); rc = EXIT_USAGE; goto out;
      }
      o.threads = (unsigned)t;
    }
    else if (argv[i][0] == '-' && argv[i][1]) {
      cli_error("code", "unknown option (see tells code --help)"); rc = EXIT_USAGE; goto out;
    } else paths[n++] = argv[i];
  }
  if (!n || !jsonl) { fputs(HELP, stderr); rc = EXIT_USAGE; goto out; }
  o.kinds = 1u << TELLS_KIND_PE | 1u << TELLS_KIND_ELF;
  o.yara_paths = yara; o.n_yara_paths = ny;
  o.diag = on_diag; o.diag_ud = &ndiag;
  e = tells_scan_paths(paths, n, &o, stdout, NULL);
  if (e && o.library_path && ndiag && (e == TELLS_ECORRUPT || e == TELLS_ENOENT || e == TELLS_EACCES))
    rc = EXIT_USAGE;                     /* the library's error line was printed */
  else if (e) { cli_error("code", tells_strerror(e)); rc = EXIT_OUTPUT; }
  else if (ndiag) rc = EXIT_PARTIAL;
out:
  free(paths); free(yara);
  return rc;
}
