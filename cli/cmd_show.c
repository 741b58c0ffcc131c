/*
** cmd_show.c -- `tells show CASE VIEW [--jsonl]` and `tells report`.
*/
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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
  "  answers      what happened, hosts, entry, movement, exfiltration, destruction\n"
  "               and attribution, each with its evidence (docs/answers.md)\n"
  "\n"
  "exit codes: 0 ok, 2 usage error, 3 case file error, 4 output error\n";

static const char REPORT_HELP[] =
  "usage: tells report CASE -o REPORT.html\n"
  "\n"
  "Writes the case as one self-contained HTML file (no network fetches,\n"
  "printable): executive summary, the answers with their evidence, charts\n"
  "(timeline in ATT&CK lanes, exfiltration volume, external peers by country,\n"
  "lateral movement graph) and filterable, sortable tables of findings,\n"
  "timeline, flows, indicators, evidence and anomalies (docs/report.md).\n"
  "Big tables are capped; the report says how many rows it left out.\n"
  "\n"
  "exit codes: 0 ok, 2 usage error, 3 case file error, 4 output error\n";

int cmd_show(int argc, char **argv) {
  static const struct { const char *name; tells_view v; } views[] = {
    {"evidence", TELLS_VIEW_EVIDENCE}, {"findings", TELLS_VIEW_FINDINGS},
    {"timeline", TELLS_VIEW_TIMELINE}, {"indicators", TELLS_VIEW_INDICATORS},
    {"anomalies", TELLS_VIEW_ANOMALIES}, {"flows", TELLS_VIEW_FLOWS},
    {"answers", TELLS_VIEW_ANSWERS}};
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
    snprintf(msg, sizeof msg, "unknown view '%s' (evidence, findings, timeline, indicators, anomalies, flows, answers)", view);
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
  struct stat st;
  int i, direct;
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
  /* A case from an older tells is brought to the current schema (its new
  ** tables stay empty until the next investigate) rather than refused. */
  e = tells_case_open(casepath, 1, &c);
  if (e == TELLS_EOLDCASE && (f = fopen(casepath, "rb")) != NULL) {
    int nonempty = fgetc(f) != EOF;
    fclose(f);
    if (nonempty && tells_case_open(casepath, 0, &c) == TELLS_OK) {
      tells_case_close(c);
      e = tells_case_open(casepath, 1, &c);
      if (!e) fprintf(stderr, "tells: %s: case upgraded to schema %d\n", casepath, TELLS_SCHEMA_VERSION);
    }
  }
  if (e && !(c = cli_open_case(casepath, 1))) return EXIT_CASE;   /* names the problem */
  /* Write beside the target and rename, so a report is never half-written;
  ** but straight into an existing target that is not a regular file (a
  ** device such as /dev/null, a pipe), which a rename would replace. */
  direct = stat(out, &st) == 0 && !S_ISREG(st.st_mode);
  snprintf(tmp, sizeof tmp, "%s%s", out, direct ? "" : ".tmp");
  f = fopen(tmp, "wb");
  if (!f) { cli_error(out, "cannot create file"); tells_case_close(c); return EXIT_OUTPUT; }
  e = tells_report_html(c, f);
  if (fclose(f) != 0 && !e) e = TELLS_EIO;
  tells_case_close(c);
  if (e || (!direct && rename(tmp, out) != 0)) {
    if (!direct) remove(tmp);
    cli_error(out, e == TELLS_EDB ? "case store error" : "cannot write report");
    return e == TELLS_EDB ? EXIT_CASE : EXIT_OUTPUT;
  }
  printf("report %s\n", out);
  return EXIT_OK;
}
