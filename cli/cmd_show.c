/*
** cmd_show.c -- `tells show CASE VIEW [--jsonl]` and `tells report`.
*/
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const char SHOW_HELP[] =
  "usage: tells show CASE VIEW [--jsonl]\n"
  "\n"
  "Prints one view of a case, as a tab-separated table or, with --jsonl, one\n"
  "JSON object per line.\n"
  "\n"
  "views:\n"
  "  evidence     every file with kind, status, reason, size, mtime and hashes\n"
  "  findings     detections: severity, ATT&CK technique, time, evidence reference\n"
  "  timeline     findings, events and file times on one UTC axis\n"
  "  indicators   IPs, domains, hashes, accounts... with their sightings\n"
  "  anomalies    malformed structures found in evidence, with offsets\n"
  "  flows        network flows, largest first, with their EVE record\n"
  "\n"
  "exit codes: 0 ok, 2 usage error, 3 case file error, 4 output error\n";

static const char REPORT_HELP[] =
  "usage: tells report CASE -o REPORT.html\n"
  "\n"
  "Writes the case as one self-contained HTML file (no network fetches).\n"
  "\n"
  "exit codes: 0 ok, 2 usage error, 3 case file error, 4 output error\n";

int cmd_show(int argc, char **argv) {
  static const struct { const char *name; tells_view v; } views[] = {
    {"evidence", TELLS_VIEW_EVIDENCE}, {"findings", TELLS_VIEW_FINDINGS},
    {"timeline", TELLS_VIEW_TIMELINE}, {"indicators", TELLS_VIEW_INDICATORS},
    {"anomalies", TELLS_VIEW_ANOMALIES}, {"flows", TELLS_VIEW_FLOWS}};
  const char *casepath = NULL, *view = NULL;
  int i, jsonl = 0, found = -1;
  tells_case *c;
  tells_err e;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) { fputs(SHOW_HELP, stdout); return EXIT_OK; }
    else if (strcmp(argv[i], "--jsonl") == 0) jsonl = 1;
    else if (argv[i][0] == '-' && argv[i][1]) {
      cli_error("show", "unknown option (see tells show --help)"); return EXIT_USAGE;
    } else if (!casepath) casepath = argv[i];
    else if (!view) view = argv[i];
    else { cli_error("show", "too many arguments (see tells show --help)"); return EXIT_USAGE; }
  }
  if (!casepath || !view) { fputs(SHOW_HELP, stderr); return EXIT_USAGE; }
  for (i = 0; i < (int)(sizeof views / sizeof views[0]); i++)
    if (strcmp(view, views[i].name) == 0) found = i;
  if (found < 0) {
    char msg[300];
    snprintf(msg, sizeof msg, "unknown view '%s' (evidence, findings, timeline, indicators, anomalies, flows)", view);
    cli_error("show", msg);
    return EXIT_USAGE;
  }
  if (!(c = cli_open_case(casepath, 1))) return EXIT_CASE;
  e = tells_case_show(c, views[found].v, jsonl, stdout);
  if (e) {
    cli_error(casepath, e == TELLS_EDB ? tells_case_errmsg(c) : tells_strerror(e));
    tells_case_close(c);
    return e == TELLS_EIO ? EXIT_OUTPUT : EXIT_CASE;
  }
  tells_case_close(c);
  return EXIT_OK;
}

int cmd_report(int argc, char **argv) {
  const char *casepath = NULL, *out = NULL;
  char tmp[4200];
  int i;
  FILE *f;
  tells_case *c;
  tells_err e;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) { fputs(REPORT_HELP, stdout); return EXIT_OK; }
    else if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) {
      if (++i >= argc) { cli_error("report", "-o needs a file name"); return EXIT_USAGE; }
      out = argv[i];
    } else if (argv[i][0] == '-' && argv[i][1]) {
      cli_error("report", "unknown option (see tells report --help)"); return EXIT_USAGE;
    } else if (!casepath) casepath = argv[i];
    else { cli_error("report", "too many arguments (see tells report --help)"); return EXIT_USAGE; }
  }
  if (!casepath || !out) { fputs(REPORT_HELP, stderr); return EXIT_USAGE; }
  if (!(c = cli_open_case(casepath, 1))) return EXIT_CASE;
  /* Write beside the target and rename, so a report is never half-written. */
  snprintf(tmp, sizeof tmp, "%s.tmp", out);
  f = fopen(tmp, "wb");
  if (!f) { cli_error(out, "cannot create file"); tells_case_close(c); return EXIT_OUTPUT; }
  e = tells_report_html(c, f);
  if (fclose(f) != 0 && !e) e = TELLS_EIO;
  tells_case_close(c);
  if (e || rename(tmp, out) != 0) {
    remove(tmp);
    cli_error(out, e == TELLS_EDB ? "case store error" : "cannot write report");
    return e == TELLS_EDB ? EXIT_CASE : EXIT_OUTPUT;
  }
  printf("report %s\n", out);
  return EXIT_OK;
}
