/*
** case_export.c -- `tells export`: the case in formats other tools read
** (docs/export.md).  This file dispatches, and writes CSV (RFC 4180) and
** Timesketch JSON lines; EVE is in case_export_eve.c, STIX in
** case_export_stix.c.
**
** Determinism: every query orders by stable keys (times, then text, then
** row ids, which follow the walk order), and nothing reads the clock, so
** the same evidence gives the same bytes.
*/
#include <string.h>
#include <time.h>
#include "case_export_int.h"

sqlite3_stmt *tells__export_prep(tells_case *c, const char *sql) {
  sqlite3_stmt *s = NULL;
  if (sqlite3_prepare_v2(c->db, sql, -1, &s, NULL) != SQLITE_OK) {
    tells__case_dberr(c, "export");
    return NULL;
  }
  return s;
}

const char *tells__export_col(sqlite3_stmt *s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return NULL;
  return (const char *)sqlite3_column_text(s, i);
}

void tells__export_time(int64_t ns, int digits, char out[48]) {
  struct tm tm;
  time_t sec = (time_t)(ns / 1000000000);
  int64_t frac = ns % 1000000000;
  size_t n;
  int i;
  if (frac < 0) { frac += 1000000000; sec--; }
  if (!gmtime_r(&sec, &tm)) { snprintf(out, 48, "1970-01-01T00:00:00Z"); return; }
  n = strftime(out, 48, "%Y-%m-%dT%H:%M:%S", &tm);
  for (i = digits; i < 9; i++) frac /= 10;
  if (digits > 0) n += (size_t)snprintf(out + n, 48 - n, ".%0*lld", digits, (long long)frac);
  snprintf(out + n, 48 - n, "Z");
}

tells_err tells_export_case(tells_case *c, tells_export_format fmt, tells_export_what what,
                            FILE *out, uint64_t *n_records) {
  uint64_t n = 0;
  tells_err e;
  if (!c || !out) return TELLS_EARG;
  switch (fmt) {
  case TELLS_EXPORT_CSV: e = tells__export_csv(c, what, out, &n); break;
  case TELLS_EXPORT_TIMESKETCH: e = tells__export_timesketch(c, out, &n); break;
  case TELLS_EXPORT_EVE: e = tells__export_eve(c, out, &n); break;
  case TELLS_EXPORT_STIX: e = tells__export_stix(c, out, &n); break;
  default: return TELLS_EARG;
  }
  if (!e && (fflush(out) != 0 || ferror(out))) e = TELLS_EIO;
  if (n_records) *n_records = n;
  return e;
}

/* ---- CSV ------------------------------------------------------------------ */

typedef struct csv_ctx { FILE *out; int head; uint64_t n; } csv_ctx;

static int csv_skip(const char *name) {   /* JSON documents stay out of CSV */
  const char *at = strchr(name, '@');
  return at && strchr(at, 'j') != NULL;
}

/* One RFC 4180 field: quoted when it holds a comma, quote, CR or LF (quotes
** doubled).  A text cell that a spreadsheet would read as a formula
** (= + - @, or a leading tab or CR) gets a leading apostrophe (OWASP). */
static void csv_cell(FILE *o, const char *v, int is_num) {
  int guard = !is_num && v[0] && strchr("=+-@\t\r", v[0]);
  int quote = guard || strpbrk(v, ",\"\r\n") != NULL;
  if (quote) fputc('"', o);
  if (guard) fputc('\'', o);
  for (; *v; v++) {
    if (*v == '"') fputc('"', o);
    fputc(*v, o);
  }
  if (quote) fputc('"', o);
}

static int csv_row(void *ud, const tells_row *r) {
  csv_ctx *x = ud;
  int i, first;
  if (!x->head) {
    for (i = 0, first = 1; i < r->n; i++) {
      const char *at = strchr(r->name[i], '@');
      if (csv_skip(r->name[i])) continue;
      if (!first) fputc(',', x->out);
      fprintf(x->out, "%.*s", at ? (int)(at - r->name[i]) : (int)strlen(r->name[i]), r->name[i]);
      first = 0;
    }
    fputs("\r\n", x->out);
    x->head = 1;
  }
  for (i = 0, first = 1; i < r->n; i++) {
    if (csv_skip(r->name[i])) continue;
    if (!first) fputc(',', x->out);
    first = 0;
    if (r->text[i]) csv_cell(x->out, r->text[i], r->is_num[i]);
  }
  fputs("\r\n", x->out);
  x->n++;
  return ferror(x->out) != 0;
}

tells_err tells__export_csv(tells_case *c, tells_export_what what, FILE *out, uint64_t *n) {
  csv_ctx x;
  tells_err e;
  memset(&x, 0, sizeof x);
  x.out = out;
  e = tells_case_rows(c, what == TELLS_EXPORT_TIMELINE ? TELLS_VIEW_TIMELINE : TELLS_VIEW_FINDINGS,
                      csv_row, &x);
  *n = x.n;
  if (!e && ferror(out)) e = TELLS_EIO;
  return e;
}

/* ---- Timesketch ------------------------------------------------------------
** One JSON line per finding with a time, event, and evidence time (first and
** last record, file modified), the same rows as the timeline view, with the
** three fields Timesketch requires (message, datetime, timestamp_desc), the
** timestamp in microseconds and the evidence reference as attributes. */

static const char TS_SQL[] =
  "WITH hosts AS (SELECT eid, group_concat(v, ',') AS h FROM ("
  "  SELECT DISTINCT s.evidence_id AS eid, i.value AS v FROM sightings s"
  "  JOIN indicators i ON i.id = s.indicator_id WHERE i.type = 'host' ORDER BY 1, 2)"
  " GROUP BY eid)"
  " SELECT u.t, u.type, u.src, u.what, u.title, u.summary, u.technique, u.tactic, u.severity,"
  "  u.path, u.sha256, u.ref_offset, u.ref_record, u.ref_flow, h.h, u.k FROM ("
  "  SELECT f.first_ns AS t, 'finding' AS type, f.source AS src, f.rule AS what, f.title,"
  "   f.summary, f.technique, f.tactic, f.severity, e.path, e.sha256, f.ref_offset,"
  "   f.ref_record, f.ref_flow, f.evidence_id AS eid, f.id AS k"
  "   FROM findings f LEFT JOIN evidence e ON e.id = f.evidence_id WHERE f.first_ns IS NOT NULL"
  "  UNION ALL"
  "  SELECT v.time_ns, 'event', v.source, v.kind, v.kind, v.summary, NULL, NULL, NULL, e.path,"
  "   e.sha256, v.ref_offset, v.ref_record, NULL, v.evidence_id, v.id"
  "   FROM events v JOIN evidence e ON e.id = v.evidence_id WHERE v.time_ns IS NOT NULL"
  "  UNION ALL"
  "  SELECT e.first_ns, 'file', e.pillar, 'content.first', 'first record of the ' || e.kind"
  "   || ' evidence', NULL, NULL, NULL, NULL, e.path, e.sha256, NULL, NULL, NULL, e.id, e.id"
  "   FROM evidence e WHERE e.first_ns IS NOT NULL AND e.status = 'analysed'"
  "  UNION ALL"
  "  SELECT e.last_ns, 'file', e.pillar, 'content.last', 'last record of the ' || e.kind"
  "   || ' evidence', NULL, NULL, NULL, NULL, e.path, e.sha256, NULL, NULL, NULL, e.id, e.id"
  "   FROM evidence e WHERE e.last_ns IS NOT NULL AND e.status = 'analysed'"
  "  UNION ALL"
  "  SELECT e.mtime_ns, 'file', 'intake', 'file.modified',"
  "   CASE e.kind WHEN 'none' THEN 'file last modified' ELSE e.kind || ' evidence last modified' END,"
  "   NULL, NULL, NULL, NULL, e.path, e.sha256, NULL, NULL, NULL, e.id, e.id"
  "   FROM evidence e WHERE e.mtime_ns IS NOT NULL AND e.status <> 'ingesting'"
  " ) u LEFT JOIN hosts h ON h.eid = u.eid"
  " ORDER BY u.t, u.type, u.what, u.path, u.k";

static const char *ts_desc(const char *type, const char *what) {
  if (strcmp(type, "finding") == 0) return "Finding first seen";
  if (strcmp(type, "event") == 0) {
    if (strcmp(what, "pe.compiled") == 0) return "Compile time";
    return "Event time";
  }
  if (strcmp(what, "content.first") == 0) return "First record in evidence";
  if (strcmp(what, "content.last") == 0) return "Last record in evidence";
  return "File modification time";
}

tells_err tells__export_timesketch(tells_case *c, FILE *out, uint64_t *n) {
  sqlite3_stmt *s = tells__export_prep(c, TS_SQL);
  tells_json j;
  tells_buf msg;
  int rc;
  tells_err e = TELLS_OK;
  if (!s) return TELLS_EDB;
  tells_json_init_file(&j, out, 0);
  tells_buf_init(&msg, 1 << 20);
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    int64_t t = sqlite3_column_int64(s, 0);
    int64_t us = t / 1000 - (t % 1000 < 0);
    const char *type = tells__export_col(s, 1), *what = tells__export_col(s, 3);
    const char *title = tells__export_col(s, 4), *summary = tells__export_col(s, 5);
    const char *sev = tells__export_col(s, 8);
    char dt[48];
    static const char *const REFS[] = {"offset", "record", "flow"};
    int i;
    tells_buf_reset(&msg);
    if (sev) tells_buf_addf(&msg, "[%s] ", sev);
    if (title) tells_buf_adds(&msg, title);
    if (summary && (!title || strcmp(summary, title) != 0)) {
      if (title) tells_buf_adds(&msg, ": ");
      tells_buf_adds(&msg, summary);
    }
    tells__export_time(t, 6, dt);
    memcpy(dt + strlen(dt) - 1, "+00:00", 7);
    tells_json_obj(&j);
    tells_json_kstr(&j, "message", tells_buf_str(&msg));
    tells_json_kstr(&j, "datetime", dt);
    tells_json_ki64(&j, "timestamp", us);
    tells_json_kstr(&j, "timestamp_desc", ts_desc(type, what));
    tells_json_kstr(&j, "data_type", strcmp(type, "finding") == 0 ? "tells:finding"
                                     : strcmp(type, "event") == 0 ? "tells:event" : "tells:file");
    tells_json_kstr(&j, "source", tells__export_col(s, 2));
    tells_json_kstr(&j, "kind", what);
    if (tells__export_col(s, 6)) tells_json_kstr(&j, "technique", tells__export_col(s, 6));
    if (tells__export_col(s, 7)) tells_json_kstr(&j, "tactic", tells__export_col(s, 7));
    if (sev) tells_json_kstr(&j, "severity", sev);
    if (tells__export_col(s, 14)) tells_json_kstr(&j, "host", tells__export_col(s, 14));
    tells_json_kstr(&j, "evidence", tells__export_col(s, 9));
    if (tells__export_col(s, 10)) tells_json_kstr(&j, "evidence_sha256", tells__export_col(s, 10));
    for (i = 0; i < 3; i++)
      if (sqlite3_column_type(s, 11 + i) == SQLITE_INTEGER)
        tells_json_ki64(&j, REFS[i], sqlite3_column_int64(s, 11 + i));
    tells_json_obj_end(&j);
    tells_json_nl(&j);
    (*n)++;
    if ((e = j.err) != TELLS_OK || msg.err == TELLS_ENOMEM) { if (!e) e = TELLS_ENOMEM; break; }
  }
  if (!e && rc != SQLITE_DONE) e = tells__case_dberr(c, "export");
  sqlite3_finalize(s);
  tells_buf_free(&msg);
  if (!e) e = tells_json_flush(&j);
  return e;
}
