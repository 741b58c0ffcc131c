/*
** cmd_investigate.c -- `tells investigate PATH... [-o CASE]`.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char HELP[] =
  "usage: tells investigate PATH... [-o CASE] [--yara RULES]... [--sigma RULES]...\n"
  "                         [--library FILE] [--threads N]\n"
  "\n"
  "Walks files and folders, identifies each file by content (PE, ELF, pcap,\n"
  "pcapng, EVTX), records its path, size, mtime and SHA-256 (plus SHA-1 and MD5\n"
  "for executables) and analyses it into the case, one transaction per file.\n"
  "Evidence is opened read-only and never modified. Files already in the case\n"
  "(same path and SHA-256) are skipped, so a killed run resumes where it stopped.\n"
  "\n"
  "options:\n"
  "  -o, --output CASE   case file to create or extend (default: ./case.tells)\n"
  "  --yara RULES        YARA rules file or folder (repeatable); compiled once,\n"
  "                      run on executables and unidentified files; hits become\n"
  "                      findings with the rule's author and description\n"
  "  --sigma RULES       Sigma rules file or folder (repeatable), loaded once and\n"
  "                      run on every EVTX record; rules that fail to load are\n"
  "                      named with file and line\n"
  "  --library FILE      reference library (tells lib add): each PE/ELF artifact\n"
  "                      gets the nearest known samples by TLSH distance and\n"
  "                      the imphash/Rich/RichPE matches; a TLSH distance <= 70\n"
  "                      raises \"similar to known family X\" (<= 30: \"very\n"
  "                      similar\", high severity)\n"
  "  --threads N         CPUs to use, 1 to 16 (default: every CPU this process\n"
  "                      may use, at most 16); with YARA rules, N - 1 workers\n"
  "                      scan the files ahead; the case is the same for any N\n"
  "  -q, --quiet         no summary on stdout\n"
  "  -h, --help          this help\n"
  "\n"
  "exit codes: 0 ok, 1 some evidence could not be read, 2 usage error,\n"
  "            3 case file error\n";

static void on_diag(void *ud, const char *path, const char *msg) {
  int *n = ud;
  (*n)++;
  cli_error(path, msg);
}

int cmd_investigate(int argc, char **argv) {
  const char *out = "case.tells";
  const char **paths, **yara, **sigma;
  size_t n = 0, len = 0, ny = 0, ns = 0;
  int i, quiet = 0, ndiag = 0, k;
  tells_case *c;
  tells_investigate_opts o;
  tells_investigate_stats st;
  tells_err e;
  char *argv_text;
  const char *o_library = NULL;
  unsigned threads = 0;

  paths = calloc((size_t)argc, sizeof *paths);
  yara = calloc((size_t)argc, sizeof *yara);
  sigma = calloc((size_t)argc, sizeof *sigma);
  if (!paths || !yara || !sigma) { cli_error(NULL, "out of memory"); free(paths); free(yara); free(sigma); return EXIT_CASE; }
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(HELP, stdout); free(paths); free(yara); free(sigma); return EXIT_OK;
    } else if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) {
      if (++i >= argc) { cli_error("investigate", "-o needs a case file"); free(paths); free(yara); free(sigma); return EXIT_USAGE; }
      out = argv[i];
    } else if (strcmp(argv[i], "--sigma") == 0) {
      if (++i >= argc) { cli_error("investigate", "--sigma needs a rules file or folder"); free(paths); free(yara); free(sigma); return EXIT_USAGE; }
      sigma[ns++] = argv[i];
    } else if (strcmp(argv[i], "--yara") == 0) {
      if (++i >= argc) { cli_error("investigate", "--yara needs a rules file or folder"); free(paths); free(yara); free(sigma); return EXIT_USAGE; }
      yara[ny++] = argv[i];
    } else if (strcmp(argv[i], "--library") == 0) {
      if (++i >= argc) { cli_error("investigate", "--library needs a library file"); free(paths); free(yara); free(sigma); return EXIT_USAGE; }
      o_library = argv[i];
    } else if (strcmp(argv[i], "--threads") == 0) {
      char *end;
      long t = ++i < argc ? strtol(argv[i], &end, 10) : 0;
      if (i >= argc || *end || t < 1 || t > 16) {
        cli_error("investigate", "--threads takes a number from 1 to 16");
        free(paths); free(yara); free(sigma);
        return EXIT_USAGE;
      }
      threads = (unsigned)t;
    } else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) {
      quiet = 1;
    } else if (strcmp(argv[i], "--") == 0) {
      for (i++; i < argc; i++) paths[n++] = argv[i];
    } else if (argv[i][0] == '-' && argv[i][1]) {
      char msg[256];
      snprintf(msg, sizeof msg, "unknown option '%s' (see tells investigate --help)", argv[i]);
      cli_error("investigate", msg);
      free(paths); free(yara); free(sigma);
      return EXIT_USAGE;
    } else {
      paths[n++] = argv[i];
    }
  }
  if (n == 0) { fputs(HELP, stderr); free(paths); free(yara); free(sigma); return EXIT_USAGE; }

  for (i = 0; i < argc; i++) len += strlen(argv[i]) + 1;
  argv_text = malloc(len + 8);
  if (argv_text) {
    strcpy(argv_text, "tells");
    for (i = 0; i < argc; i++) { strcat(argv_text, " "); strcat(argv_text, argv[i]); }
  }
  c = cli_open_case(out, 0);
  if (!c) { free(paths); free(yara); free(sigma); free(argv_text); return EXIT_CASE; }
  memset(&o, 0, sizeof o);
  o.progress = cli_progress;
  o.diag = on_diag; o.diag_ud = &ndiag;
  o.argv_text = argv_text;
  o.yara_paths = yara; o.n_yara_paths = ny;
  o.sigma_paths = sigma; o.n_sigma_paths = ns;
  o.library_path = o_library;
  o.threads = threads;
  e = tells_investigate(c, paths, n, &o, &st);
  cli_progress_done();
  if (e && o_library && ndiag && (e == TELLS_ECORRUPT || e == TELLS_ENOENT || e == TELLS_EACCES)) {
    tells_case_close(c);                 /* the library's error line was printed */
    free(paths); free(yara); free(sigma); free(argv_text);
    return EXIT_USAGE;
  }
  if (e) {
    char msg[700];
    snprintf(msg, sizeof msg, "%s%s%s", tells_strerror(e), e == TELLS_EDB ? ": " : "",
             e == TELLS_EDB ? tells_case_errmsg(c) : "");
    cli_error(out, msg);
    tells_case_close(c);
    free(paths); free(yara); free(sigma); free(argv_text);
    return EXIT_CASE;
  }
  if (!quiet) {
    printf("case %s\n", out);
    if (st.resumed_run) printf("  resumed after interrupted run #%d\n", st.resumed_run);
    printf("  %llu files seen: %llu ingested, %llu already in the case, %llu duplicates,"
           " %llu not analysed, %llu could not be read\n",
           (unsigned long long)st.files_seen, (unsigned long long)st.files_ingested,
           (unsigned long long)st.files_skipped, (unsigned long long)st.files_duplicate,
           (unsigned long long)st.files_not_analysed, (unsigned long long)st.files_failed);
    printf("  by kind:");
    for (k = 1; k < TELLS_KIND_COUNT; k++)
      printf(" %s %llu", tells_kind_name((tells_kind)k), (unsigned long long)st.per_kind[k]);
    printf("\n  %llu anomalies recorded\n", (unsigned long long)st.anomalies);
    if (ny)
      printf("  YARA: %llu rules (%llu rule files left out), %llu hits\n",
             (unsigned long long)st.yara_rules, (unsigned long long)st.yara_rule_files_failed,
             (unsigned long long)st.yara_hits);
    if (ns)
      printf("  Sigma: %llu rules (%llu rejected), %llu detections\n",
             (unsigned long long)st.sigma_rules, (unsigned long long)st.sigma_rules_rejected,
             (unsigned long long)st.sigma_hits);
  }
  tells_case_close(c);
  free(paths); free(yara); free(sigma); free(argv_text);
  /* warnings (YARA, Sigma) are printed but do not make the run partial */
  return st.files_failed || st.yara_rule_files_failed || st.sigma_rules_rejected
         ? EXIT_PARTIAL : EXIT_OK;
}
