/*
** cmd_lib.c -- `tells lib add|list`: the reference library of known samples.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char HELP[] =
  "usage: tells lib add --library FILE --family NAME FILE|DIR...\n"
  "       tells lib list --library FILE [--jsonl]\n"
  "\n"
  "The reference library of known samples, for 'tells code --library' and\n"
  "'tells investigate --library'.\n"
  "\n"
  "  add    records each PE and ELF file under the paths with its family:\n"
  "         SHA-256, TLSH, imphash, Rich hash, RichPE hash and file name.\n"
  "         The library file is created if missing; each add rewrites it\n"
  "         atomically (a new file renamed over the old one). Other files,\n"
  "         and files already recorded with this family, are skipped.\n"
  "  list   prints the entries (a table, or JSON lines with --jsonl).\n"
  "\n"
  "options:\n"
  "  --library FILE   the library file (format: docs/library.md)\n"
  "  --family NAME    family of the samples added (1 to 128 characters)\n"
  "  --jsonl          list as JSON lines\n"
  "  -h, --help       this help\n"
  "\n"
  "exit codes: 0 ok, 1 some files could not be read or were skipped,\n"
  "            2 usage error or corrupt library file, 4 output error\n";

static void on_diag(void *ud, const char *path, const char *msg) {
  int *n = ud;
  (*n)++;
  cli_error(path, msg);
}

int cmd_lib(int argc, char **argv) {
  const char **paths = calloc((size_t)argc + 1, sizeof *paths);
  const char *library = NULL, *family = NULL, *sub = argc > 1 ? argv[1] : NULL;
  size_t n = 0;
  int i, jsonl = 0, ndiag = 0, rc = EXIT_OK;
  uint64_t count = 0;
  tells_err e;
  if (!paths) { cli_error("lib", "out of memory"); return EXIT_OUTPUT; }
  if (!sub || strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
    fputs(HELP, sub ? stdout : stderr);
    free(paths);
    return sub ? EXIT_OK : EXIT_USAGE;
  }
  for (i = 2; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) { fputs(HELP, stdout); goto out; }
    else if (strcmp(argv[i], "--jsonl") == 0) jsonl = 1;
    else if (strcmp(argv[i], "--library") == 0 && i + 1 < argc) library = argv[++i];
    else if (strcmp(argv[i], "--family") == 0 && i + 1 < argc) family = argv[++i];
    else if (strcmp(argv[i], "--") == 0) { for (i++; i < argc; i++) paths[n++] = argv[i]; }
    else if (argv[i][0] == '-' && argv[i][1]) {
      cli_error("lib", "unknown option or missing value (see tells lib --help)");
      rc = EXIT_USAGE; goto out;
    } else paths[n++] = argv[i];
  }
  if (!library) { cli_error("lib", "--library FILE is required"); rc = EXIT_USAGE; goto out; }
  if (strcmp(sub, "add") == 0) {
    if (!family || !n) { cli_error("lib add", "needs --family NAME and at least one FILE or DIR"); rc = EXIT_USAGE; goto out; }
    e = tells_lib_add(library, family, paths, n, on_diag, &ndiag, &count);
    if (e && !ndiag) cli_error(library, tells_strerror(e));
    if (e) rc = e == TELLS_ECORRUPT || e == TELLS_EARG ? EXIT_USAGE : EXIT_OUTPUT;
    else {
      printf("%llu samples added to %s as %s\n", (unsigned long long)count, library, family);
      if (ndiag) rc = EXIT_PARTIAL;
    }
  } else if (strcmp(sub, "list") == 0) {
    if (n) { cli_error("lib list", "takes no paths"); rc = EXIT_USAGE; goto out; }
    e = tells_lib_list(library, jsonl, stdout, on_diag, &ndiag, &count);
    if (e && !ndiag) cli_error(library, tells_strerror(e));
    if (e) rc = e == TELLS_ECORRUPT || e == TELLS_ENOENT ? EXIT_USAGE : EXIT_OUTPUT;
  } else {
    cli_error("lib", "unknown subcommand (add or list; see tells lib --help)");
    rc = EXIT_USAGE;
  }
out:
  free(paths);
  return rc;
}
