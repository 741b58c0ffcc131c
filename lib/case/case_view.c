/*
** case_view.c -- the read side of a case: the views behind `tells show` and
** the report, as rows of text, and their JSON-lines and table renderings.
**
** A view is one SQL query.  Column aliases carry a rendering hint after '@':
** "@t" nanosecond times become RFC 3339 UTC text, "@j" holds a JSON document
** inserted as is, "@h" columns are left out of the text table.
*/
#include <string.h>
#include <time.h>
#include "case_int.h"
#include "json.h"

static const char *const VIEW_SQL[] = {
  [TELLS_VIEW_EVIDENCE] =
    ("SELECT id, path, kind, pillar, status, reason, size, mtime_ns AS \"mtime@t\","
    " sha256, sha1 AS \"sha1@h\", md5 AS \"md5@h\", first_ns AS \"first_time@t\","
    " last_ns AS \"last_time@t\", anomalies, duplicate_of AS \"duplicate_of@h\","
    " summary AS \"summary@j\", ingested_ns AS \"ingested@th\""
    " FROM evidence WHERE status <> 'ingesting' ORDER BY path, id"),
  [TELLS_VIEW_FINDINGS] =
    ("SELECT f.id, f.severity, f.source, f.rule AS \"rule@h\", f.title, f.technique,"
    " f.tactic AS \"tactic@h\", f.author AS \"author@h\", f.first_ns AS \"first_time@t\","
    " f.last_ns AS \"last_time@th\", f.summary, e.path AS evidence, f.evidence_id AS \"evidence_id@h\","
    " f.ref_offset AS \"offset@h\", f.ref_record AS \"record@h\", f.ref_flow AS \"flow@h\","
    " f.details AS \"details@j\""
    " FROM findings f LEFT JOIN evidence e ON e.id = f.evidence_id"
    " ORDER BY CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2"
    " WHEN 'low' THEN 3 ELSE 4 END, f.first_ns, f.id"),
  [TELLS_VIEW_TIMELINE] =
    ("SELECT t AS \"time@t\", type, lane, source, what, summary, evidence,"
    " evidence_id AS \"evidence_id@h\", ref_offset AS \"offset@h\", ref_record AS \"record@h\""
    " FROM ("
    "  SELECT f.first_ns AS t, 'finding' AS type, coalesce(f.tactic, '') AS lane, f.source,"
    "   f.title AS what, f.summary, e.path AS evidence, f.evidence_id, f.ref_offset, f.ref_record,"
    "   f.id AS k FROM findings f LEFT JOIN evidence e ON e.id = f.evidence_id"
    "   WHERE f.first_ns IS NOT NULL"
    "  UNION ALL"
    "  SELECT v.time_ns, 'event', '', v.source, v.kind, v.summary, e.path, v.evidence_id,"
    "   v.ref_offset, v.ref_record, v.id FROM events v JOIN evidence e ON e.id = v.evidence_id"
    "   WHERE v.time_ns IS NOT NULL"
    "  UNION ALL"
    "  SELECT e.first_ns, 'file', '', e.pillar, 'content.first',"
    "   'first ' || CASE e.pillar WHEN 'net' THEN 'packet' WHEN 'logs' THEN 'record' ELSE 'entry' END"
    "   || ' of the ' || e.kind || ' evidence', e.path, e.id, NULL, NULL, e.id"
    "   FROM evidence e WHERE e.first_ns IS NOT NULL AND e.status = 'analysed'"
    "  UNION ALL"
    "  SELECT e.last_ns, 'file', '', e.pillar, 'content.last',"
    "   'last ' || CASE e.pillar WHEN 'net' THEN 'packet' WHEN 'logs' THEN 'record' ELSE 'entry' END"
    "   || ' of the ' || e.kind || ' evidence', e.path, e.id, NULL, NULL, e.id"
    "   FROM evidence e WHERE e.last_ns IS NOT NULL AND e.status = 'analysed'"
    "  UNION ALL"
    "  SELECT e.mtime_ns, 'file', '', 'intake', 'file.modified',"
    "   e.kind || ' evidence last modified', e.path, e.id, NULL, NULL, e.id"
    "   FROM evidence e WHERE e.mtime_ns IS NOT NULL AND e.status <> 'ingesting'"
    " ) ORDER BY t, type, what, evidence, k"),
  [TELLS_VIEW_INDICATORS] =
    ("SELECT i.type, i.value, sum(s.count) AS sightings,"
    " count(DISTINCT s.evidence_id) AS evidence_files,"
    " (SELECT group_concat(p, ',') FROM (SELECT DISTINCT e2.pillar AS p FROM sightings s2"
    "   JOIN evidence e2 ON e2.id = s2.evidence_id WHERE s2.indicator_id = i.id ORDER BY p)) AS pillars,"
    " min(s.time_ns) AS \"first_seen@t\", max(coalesce(s.last_ns, s.time_ns)) AS \"last_seen@t\","
    " min(e.path) AS \"example_evidence@h\""
    " FROM indicators i JOIN sightings s ON s.indicator_id = i.id"
    " JOIN evidence e ON e.id = s.evidence_id"
    " GROUP BY i.id ORDER BY i.type, i.value"),
  [TELLS_VIEW_FLOWS] =
    ("SELECT f.first_ns AS \"start@t\", f.last_ns AS \"end@t\", f.proto, f.app_proto,"
    " f.src_ip, f.src_port, f.dest_ip, f.dest_port, f.pkts_toserver, f.pkts_toclient,"
    " f.bytes_toserver, f.bytes_toclient, f.state, e.path AS evidence, f.id AS \"flow_id@h\","
    " f.details AS \"eve@j\""
    " FROM flows f JOIN evidence e ON e.id = f.evidence_id"
    " ORDER BY f.bytes_toserver + f.bytes_toclient DESC, f.first_ns, f.id"),
  [TELLS_VIEW_ANOMALIES] =
    ("SELECT e.path AS evidence, a.offset, a.code, a.detail, a.source AS \"source@h\""
    " FROM anomalies a JOIN evidence e ON e.id = a.evidence_id ORDER BY e.path, a.offset, a.id"),
};

void tells_time_fmt(int64_t ns, char out[40]) {
  struct tm tm;
  time_t sec = (time_t)(ns / 1000000000);
  int64_t frac = ns % 1000000000;
  size_t n;
  if (frac < 0) { frac += 1000000000; sec--; }
  if (!gmtime_r(&sec, &tm)) { snprintf(out, 40, "%lld", (long long)ns); return; }
  n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
  if (frac) {
    int digits = 9;
    while (frac % 10 == 0) { frac /= 10; digits--; }
    n += (size_t)snprintf(out + n, 40 - n, ".%0*lld", digits, (long long)frac);
  }
  snprintf(out + n, 40 - n, "Z");
}

#define MAX_COLS 32

tells_err tells_case_rows(tells_case *c, tells_view view, tells_row_fn fn, void *ud) {
  sqlite3_stmt *s;
  const char *names[MAX_COLS], *texts[MAX_COLS];
  int is_num[MAX_COLS];
  char tbuf[MAX_COLS][40];
  tells_row row;
  int rc, i, n;
  if ((unsigned)view >= sizeof VIEW_SQL / sizeof VIEW_SQL[0]) return TELLS_EARG;
  if (sqlite3_prepare_v2(c->db, VIEW_SQL[view], -1, &s, NULL) != SQLITE_OK)
    return tells__case_dberr(c, "view");
  n = sqlite3_column_count(s);
  if (n > MAX_COLS) n = MAX_COLS;
  for (i = 0; i < n; i++) names[i] = sqlite3_column_name(s, i);
  row.n = n; row.name = names; row.text = texts; row.is_num = is_num;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    for (i = 0; i < n; i++) {
      int type = sqlite3_column_type(s, i);
      const char *at = strchr(names[i], '@');
      is_num[i] = type == SQLITE_INTEGER || type == SQLITE_FLOAT;
      if (type == SQLITE_NULL) { texts[i] = NULL; continue; }
      if (at && at[1] == 't' && type == SQLITE_INTEGER) {
        tells_time_fmt(sqlite3_column_int64(s, i), tbuf[i]);
        texts[i] = tbuf[i];
        is_num[i] = 0;
        continue;
      }
      texts[i] = (const char *)sqlite3_column_text(s, i);
    }
    if (fn(ud, &row)) break;
  }
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return tells__case_dberr(c, "view");
  return TELLS_OK;
}

/* ---- rendering for `tells show` ---- */

typedef struct show_ctx {
  FILE *out;
  tells_json j;
  int jsonl, header_done;
  uint64_t rows;
} show_ctx;

static size_t base_len(const char *name) {
  const char *at = strchr(name, '@');
  return at ? (size_t)(at - name) : strlen(name);
}
static int has_flag(const char *name, char flag) {
  const char *at = strchr(name, '@');
  return at && strchr(at + 1, flag) != NULL;
}

static int show_row(void *ud, const tells_row *r) {
  show_ctx *x = ud;
  int i;
  x->rows++;
  if (x->jsonl) {
    tells_json_obj(&x->j);
    for (i = 0; i < r->n; i++) {
      char key[64];
      size_t k = base_len(r->name[i]);
      if (k >= sizeof key) k = sizeof key - 1;
      memcpy(key, r->name[i], k); key[k] = 0;
      tells_json_key(&x->j, key);
      if (!r->text[i]) tells_json_null(&x->j);
      else if (has_flag(r->name[i], 'j')) tells_json_raw(&x->j, r->text[i], strlen(r->text[i]));
      else if (r->is_num[i]) tells_json_raw(&x->j, r->text[i], strlen(r->text[i]));
      else tells_json_str(&x->j, r->text[i]);
    }
    tells_json_obj_end(&x->j);
    tells_json_nl(&x->j);
    return tells_json_flush(&x->j) != TELLS_OK;
  }
  if (!x->header_done) {
    int first = 1;
    for (i = 0; i < r->n; i++) {
      if (has_flag(r->name[i], 'h') || has_flag(r->name[i], 'j')) continue;
      fprintf(x->out, "%s%.*s", first ? "" : "\t", (int)base_len(r->name[i]), r->name[i]);
      first = 0;
    }
    fputc('\n', x->out);
    x->header_done = 1;
  }
  {
    int first = 1;
    for (i = 0; i < r->n; i++) {
      const char *v = r->text[i];
      if (has_flag(r->name[i], 'h') || has_flag(r->name[i], 'j')) continue;
      if (!first) fputc('\t', x->out);
      first = 0;
      if (!v) { fputc('-', x->out); continue; }
      /* Text mode: evidence strings may hold control bytes; show them escaped. */
      for (; *v; v++) {
        unsigned char ch = (unsigned char)*v;
        if (ch < 0x20 || ch == 0x7f) fprintf(x->out, "\\x%02x", ch);
        else fputc(ch, x->out);
      }
    }
    fputc('\n', x->out);
  }
  return ferror(x->out) != 0;
}

tells_err tells_case_show(tells_case *c, tells_view view, int jsonl, FILE *out) {
  show_ctx x;
  tells_err e;
  memset(&x, 0, sizeof x);
  x.out = out; x.jsonl = jsonl;
  tells_json_init_file(&x.j, out, 0);
  e = tells_case_rows(c, view, show_row, &x);
  if (!e) e = tells_json_flush(&x.j);
  if (!e && fflush(out) != 0) e = TELLS_EIO;
  return e;
}
