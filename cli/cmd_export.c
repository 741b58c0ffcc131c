/*
** cmd_export.c -- `tells export CASE --format FMT [-o FILE] [--what W]`:
** the case for Timesketch, STIX 2.1, EVE or CSV (docs/export.md).
*/
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"

static const char HELP[] =
  "usage: tells export CASE --format timesketch|stix|eve|csv [-o FILE]\n"
  "                    [--what findings|timeline]\n"
  "\n"
  "Writes the case in a format other tools import (docs/export.md). The output\n"
  "depends only on the case: the same evidence gives the same bytes.\n"
  "\n"
  "formats:\n"
  "  timesketch   JSON lines: message, datetime, timestamp (microseconds),\n"
  "               timestamp_desc, and the evidence reference, one line per\n"
  "               finding, event and evidence time\n"
  "  stix         one STIX 2.1 bundle: indicators with STIX patterns, malware\n"
  "               for binaries flagged malicious, observed-data, relationships\n"
  "  eve          flows and network alerts as EVE JSON lines (as tells net)\n"
  "  csv          RFC 4180 CSV of the findings (default) or the timeline\n"
  "\n"
  "options:\n"
  "  --format FMT    output format (required)\n"
  "  -o, --output F  write to F (atomically, via F.tmp) instead of stdout\n"
  "  --what W        csv: findings or timeline\n"
  "  -h, --help      this help\n"
  "\n"
  "exit codes: 0 ok, 2 usage error, 3 case file error, 4 output error\n";

int cmd_export(int argc, char **argv) {
  static const struct { const char *name; tells_export_format f; } fmts[] = {
    {"timesketch", TELLS_EXPORT_TIMESKETCH}, {"stix", TELLS_EXPORT_STIX},
    {"eve", TELLS_EXPORT_EVE}, {"csv", TELLS_EXPORT_CSV}};
  const char *casepath = NULL, *fmt = NULL, *out = NULL, *what = NULL;
  tells_export_what w = TELLS_EXPORT_FINDINGS;
  int i, found = -1, direct = 0;
  char tmp[4200];
  FILE *f = stdout;
  tells_case *c;
  tells_err e;
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) { fputs(HELP, stdout); return EXIT_OK; }
    if (strcmp(a, "--format") == 0 || strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ||
        strcmp(a, "--what") == 0) {
      if (++i >= argc) {
        char msg[80];
        snprintf(msg, sizeof msg, "%s needs a value (see tells export --help)", a);
        cli_error("export", msg);
        return EXIT_USAGE;
      }
      if (a[2] == 'f') fmt = argv[i];
      else if (a[2] == 'w') what = argv[i];
      else out = argv[i];
    } else if (a[0] == '-' && a[1]) {
      cli_error("export", "unknown option (see tells export --help)"); return EXIT_USAGE;
    } else if (!casepath) casepath = a;
    else { cli_error("export", "too many arguments (see tells export --help)"); return EXIT_USAGE; }
  }
  if (!casepath || !fmt) { fputs(HELP, stderr); return EXIT_USAGE; }
  for (i = 0; i < (int)(sizeof fmts / sizeof fmts[0]); i++)
    if (strcmp(fmt, fmts[i].name) == 0) found = i;
  if (found < 0) {
    cli_error("export", "unknown format (timesketch, stix, eve, csv)");
    return EXIT_USAGE;
  }
  if (what) {
    if (strcmp(what, "timeline") == 0) w = TELLS_EXPORT_TIMELINE;
    else if (strcmp(what, "findings") != 0) {
      cli_error("export", "--what takes findings or timeline"); return EXIT_USAGE;
    }
    if (fmts[found].f != TELLS_EXPORT_CSV) {
      cli_error("export", "--what applies to --format csv only"); return EXIT_USAGE;
    }
  }
  if (!(c = cli_open_case(casepath, 1))) return EXIT_CASE;
  if (out && strcmp(out, "-") != 0) {
    /* Beside the target, then renamed, so an export is never half-written;
    ** but straight into an existing target that is not a regular file (a
    ** device such as /dev/null, a pipe), which a rename would replace. */
    struct stat sb;
    direct = stat(out, &sb) == 0 && !S_ISREG(sb.st_mode);
    snprintf(tmp, sizeof tmp, "%s%s", out, direct ? "" : ".tmp");
    if (!(f = fopen(tmp, "wb"))) {
      cli_error(out, "cannot create file");
      tells_case_close(c);
      return EXIT_OUTPUT;
    }
  } else {
    out = NULL;
  }
  e = tells_export_case(c, fmts[found].f, w, f, NULL);
  if (out) {
    if (fclose(f) != 0 && !e) e = TELLS_EIO;
    if (e || (!direct && rename(tmp, out) != 0)) {
      if (!direct) remove(tmp);
      if (!e) e = TELLS_EIO;
    }
  }
  if (e) {
    cli_error(e == TELLS_EIO ? (out ? out : "stdout") : casepath,
              e == TELLS_EDB ? tells_case_errmsg(c) : tells_strerror(e));
    tells_case_close(c);
    return e == TELLS_EIO ? EXIT_OUTPUT : EXIT_CASE;
  }
  tells_case_close(c);
  return EXIT_OK;
}
