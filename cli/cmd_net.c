/*
** cmd_net.c -- `tells net CAPTURE... --jsonl`: EVE JSON lines from captures.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char HELP[] =
  "usage: tells net CAPTURE|DIR... --jsonl [--max-flows N]\n"
  "\n"
  "Reads pcap and pcapng files (folders walked in name order) as one continuous\n"
  "capture and writes one EVE JSON record per line (event_type flow, with\n"
  "Suricata's field names; see docs/eve.md).\n"
  "\n"
  "options:\n"
  "  --jsonl          JSON lines on stdout (the only output format)\n"
  "  --max-flows N    cap on flows held in memory (default 262144); when full,\n"
  "                   the least recently seen flow is written out early\n"
  "  -h, --help       this help\n"
  "\n"
  "exit codes: 0 ok, 1 some input could not be read, 2 usage error, 4 output error\n";

static void on_diag(void *ud, const char *path, const char *msg) {
  int *n = ud;
  (*n)++;
  cli_error(path, msg);
}

int cmd_net(int argc, char **argv) {
  const char **paths = calloc((size_t)argc, sizeof *paths);
  size_t n = 0;
  int i, jsonl = 0, ndiag = 0;
  tells_net_opts o;
  tells_err e;
  if (!paths) return EXIT_OUTPUT;
  memset(&o, 0, sizeof o);
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) { fputs(HELP, stdout); free(paths); return EXIT_OK; }
    else if (strcmp(argv[i], "--jsonl") == 0) jsonl = 1;
    else if (strcmp(argv[i], "--max-flows") == 0 && i + 1 < argc) {
      char *end;
      unsigned long v = strtoul(argv[++i], &end, 10);
      if (*end || v == 0 || v > 67108864ul) { cli_error("net", "--max-flows takes 1..67108864"); free(paths); return EXIT_USAGE; }
      o.max_flows = (uint32_t)v;
    } else if (argv[i][0] == '-' && argv[i][1]) {
      cli_error("net", "unknown option (see tells net --help)"); free(paths); return EXIT_USAGE;
    } else paths[n++] = argv[i];
  }
  if (!n || !jsonl) { fputs(HELP, stderr); free(paths); return EXIT_USAGE; }
  o.diag = on_diag; o.diag_ud = &ndiag;
  e = tells_net_eve(paths, n, &o, stdout, NULL);
  free(paths);
  if (e) { cli_error("net", tells_strerror(e)); return EXIT_OUTPUT; }
  return ndiag ? EXIT_PARTIAL : EXIT_OK;
}
