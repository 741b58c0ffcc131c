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
    " f.chain, f.base_severity AS \"base_severity@h\", f.details AS \"details@j\""
    " FROM findings f LEFT JOIN evidence e ON e.id = f.evidence_id"
    " ORDER BY CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2"
    " WHEN 'low' THEN 3 ELSE 4 END, f.first_ns, f.id"),
  [TELLS_VIEW_TIMELINE] =
    /* lane: the ATT&CK tactic of a finding (initial-access, execution,
    ** ..., impact; other tactics are lanes of their own) or of a notable
    ** event (TELLS_EVENT_LANE_SQL); evidence times have none.  Each row carries its evidence reference:
    ** file, record, offset, flow (the case's flow id when the finding names
    ** one; a network detection names its first flow by the EVE flow_id of
    ** its capture, eve_flow_id); findings their chain. */
    ("SELECT t AS \"time@t\", type, lane, source, what, summary, evidence,"
    " evidence_id AS \"evidence_id@h\", ref_offset AS \"offset@h\", ref_record AS \"record@h\","
    " ref_flow AS \"flow@h\", eve_flow AS \"eve_flow_id@h\", chain AS \"chain@h\""
    " FROM ("
    "  SELECT f.first_ns AS t, 'finding' AS type,"
    "   lower(replace(coalesce(f.tactic, ''), '_', '-')) AS lane, f.source,"
    "   f.title AS what, f.summary, e.path AS evidence, f.evidence_id, f.ref_offset, f.ref_record,"
    "   f.ref_flow, CASE WHEN f.details LIKE '{\"%' AND json_valid(f.details)"
    "    THEN json_extract(f.details, '$.flows[0].flow_id') END AS eve_flow, f.chain,"
    "   f.id AS k FROM findings f LEFT JOIN evidence e ON e.id = f.evidence_id"
    "   WHERE f.first_ns IS NOT NULL"
    "  UNION ALL"
    "  SELECT v.time_ns, 'event', " TELLS_EVENT_LANE_SQL("v.kind") ", v.source, v.kind, v.summary, e.path, v.evidence_id,"
    "   v.ref_offset, v.ref_record, NULL, NULL, NULL, v.id FROM events v JOIN evidence e ON e.id = v.evidence_id"
    "   WHERE v.time_ns IS NOT NULL"
    "  UNION ALL"
    "  SELECT e.first_ns, 'file', '', e.pillar, 'content.first',"
    "   'first ' || CASE e.pillar WHEN 'net' THEN 'packet' WHEN 'logs' THEN 'record' ELSE 'entry' END"
    "   || ' of the ' || e.kind || ' evidence', e.path, e.id, NULL, NULL, NULL, NULL, NULL, e.id"
    "   FROM evidence e WHERE e.first_ns IS NOT NULL AND e.status = 'analysed'"
    "  UNION ALL"
    "  SELECT e.last_ns, 'file', '', e.pillar, 'content.last',"
    "   'last ' || CASE e.pillar WHEN 'net' THEN 'packet' WHEN 'logs' THEN 'record' ELSE 'entry' END"
    "   || ' of the ' || e.kind || ' evidence', e.path, e.id, NULL, NULL, NULL, NULL, NULL, e.id"
    "   FROM evidence e WHERE e.last_ns IS NOT NULL AND e.status = 'analysed'"
    "  UNION ALL"
    "  SELECT e.mtime_ns, 'file', '', 'intake', 'file.modified',"
    "   CASE e.kind WHEN 'none' THEN 'file last modified' ELSE e.kind || ' evidence last modified' END,"
    "   e.path, e.id, NULL, NULL, NULL, NULL, NULL, e.id"
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
  [TELLS_VIEW_ANSWERS] =
    ("SELECT question, ordinal, title, answer, confidence, details AS \"details@j\","
    " evidence AS \"evidence@j\" FROM answers"
    " ORDER BY CASE question WHEN 'what' THEN 0 WHEN 'hosts' THEN 1 WHEN 'entry' THEN 2"
    " WHEN 'movement' THEN 3 WHEN 'exfil' THEN 4 WHEN 'destruction' THEN 5"
    " WHEN 'attribution' THEN 6 ELSE 7 END, question, ordinal, id"),
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

tells_err tells_case_rows(tells_case *c, tells_view view, tells_row_fn fn, void *ud) {
  sqlite3_stmt *s;
  if ((unsigned)view >= sizeof VIEW_SQL / sizeof VIEW_SQL[0]) return TELLS_EARG;
  if (sqlite3_prepare_v2(c->db, VIEW_SQL[view], -1, &s, NULL) != SQLITE_OK)
    return tells__case_dberr(c, "view");
  return tells__case_step_rows(c, s, fn, ud, "view");
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
