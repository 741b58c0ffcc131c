/*
** report_util.c -- escaping and formatting shared by the report's sections.
** Every string that comes from the case goes through tells__report_esc: evidence can
** hold any bytes, and the report must show them as text, never run them.
*/
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "json.h"
#include "report_int.h"

const char *const tells__report_lanes[REP_N_LANES] = {
  "reconnaissance", "resource-development", "initial-access", "execution", "persistence",
  "privilege-escalation", "defense-evasion", "stealth", "defense-impairment",
  "credential-access", "discovery",
  "lateral-movement", "collection", "command-and-control", "exfiltration", "impact"};

void tells__report_escn(FILE *o, const char *s, size_t max) {
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s), i = 0;
  int cut = 0;
  if (max && n > max) { n = max; cut = 1; }
  while (i < n) {
    unsigned char c = p[i];
    size_t k;
    switch (c) {
    case '&': fputs("&amp;", o); i++; continue;
    case '<': fputs("&lt;", o); i++; continue;
    case '>': fputs("&gt;", o); i++; continue;
    case '"': fputs("&quot;", o); i++; continue;
    case '\'': fputs("&#39;", o); i++; continue;
    default: break;
    }
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) { fprintf(o, "\\x%02x", c); i++; continue; }
    if (c < 0x80) { fputc(c, o); i++; continue; }
    k = tells_utf8_seq(p + i, n - i);
    if (!k) { fprintf(o, "\\x%02x", c); i++; continue; }
    fwrite(p + i, 1, k, o);
    i += k;
  }
  if (cut) fputs("\xe2\x80\xa6", o);
}

void tells__report_esc(FILE *o, const char *s) { tells__report_escn(o, s, 0); }

tells_err tells__report_query(rep *r, const char *sql, tells_row_fn fn, void *ud) {
  return tells_case_query(r->c, sql, fn, ud);
}

typedef struct one { int64_t v; int set; } one;
static int one_row(void *ud, const tells_row *row) {
  one *x = ud;
  if (row->n > 0 && row->text[0]) { x->v = strtoll(row->text[0], NULL, 10); x->set = 1; }
  return 1;
}

int64_t tells__report_query_i64(rep *r, const char *sql, int64_t def) {
  one x = {0, 0};
  if (tells_case_query(r->c, sql, one_row, &x) != TELLS_OK || !x.set) return def;
  return x.v;
}

int64_t tells__report_i64(const char *s) { return s ? strtoll(s, NULL, 10) : 0; }
double tells__report_f64(const char *s) { return s ? strtod(s, NULL) : 0.0; }

void tells__report_bytes(char out[32], double b) {
  static const char *const unit[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  int u = 0;
  while (b >= 1000.0 && u < 5) { b /= 1000.0; u++; }
  if (u == 0) snprintf(out, 32, "%.0f B", b);
  else snprintf(out, 32, "%.1f %s", b, unit[u]);
}

void tells__report_time(char out[40], int64_t ns) {
  struct tm tm;
  time_t sec = (time_t)(ns / 1000000000);
  if (ns < 0 && ns % 1000000000) sec--;
  if (!gmtime_r(&sec, &tm) || !strftime(out, 40, "%Y-%m-%d %H:%MZ", &tm))
    snprintf(out, 40, "%lld", (long long)ns);
}
