/*
** case_export_eve.c -- `tells export --format eve`: the case's network
** records as EVE JSON lines (docs/eve.md, docs/export.md).
**
** Flow records are written as `tells net` wrote them (the case keeps each
** one in flows.details), per capture file in path order, in the order they
** were written.  Alert records are rebuilt from the network findings: the
** finding keeps the rule, texts, times and details, and its first evidence
** flow gives the addresses, protocol and geo members.
*/
#include <string.h>
#include "case_export_int.h"

static const char FLOW_SQL[] =
  "SELECT f.details FROM flows f JOIN evidence e ON e.id = f.evidence_id"
  " WHERE f.details IS NOT NULL ORDER BY e.path, f.evidence_id, f.id";

static const char ALERT_SQL[] =
  "SELECT f.first_ns, f.last_ns, f.rule, f.title, f.severity, f.technique, f.tactic,"
  " f.summary, f.details, json_extract(f.details, '$.flows[0].flow_id'),"
  " (SELECT fl.details FROM flows fl WHERE fl.evidence_id = f.evidence_id"
  "   AND json_extract(fl.details, '$.flow_id') = json_extract(f.details, '$.flows[0].flow_id')"
  "   ORDER BY fl.id LIMIT 1)"
  " FROM findings f LEFT JOIN evidence e ON e.id = f.evidence_id"
  " WHERE f.source = 'net' ORDER BY e.path, f.first_ns, f.id";

/* The same flow record, parsed again by SQLite for the members we need. */
static const char MEMBER_SQL[] =
  "SELECT json_extract(?1, '$.src_ip'), json_extract(?1, '$.dest_ip'),"
  " json_extract(?1, '$.dest_port'), json_extract(?1, '$.proto'),"
  " json_extract(?1, '$.src_geo'), json_extract(?1, '$.dest_geo')";

static void eve_time(int64_t ns, char out[48]) {
  tells__export_time(ns, 6, out);
  memcpy(out + strlen(out) - 1, "+0000", 6);
}

static int sid_of(const char *rule) {
  static const char *const R[] = {"net.exfil", "net.beacon", "net.lateral", "net.scan",
                                  "net.dns_tunnel"};
  int i;
  for (i = 0; i < 5; i++) if (strcmp(R[i], rule) == 0) return 9300001 + i;
  return 9300000;
}

/* "command-and-control" -> "Command and Control" (EVE alert.category). */
static void category(const char *tactic, char out[64]) {
  size_t n = 0;
  int start = 1;
  for (; tactic && *tactic && n < 63; tactic++) {
    char ch = *tactic == '-' ? ' ' : *tactic;
    if (start && strncmp(tactic, "and-", 4) != 0 && ch >= 'a' && ch <= 'z') ch = (char)(ch - 32);
    start = ch == ' ';
    out[n++] = ch;
  }
  out[n] = 0;
}

static void meta(tells_json *j, const char *key, const char *v) {
  if (!v) return;
  tells_json_key(j, key);
  tells_json_arr(j); tells_json_str(j, v); tells_json_arr_end(j);
}

static void raw_member(tells_json *j, const char *key, sqlite3_stmt *m, int i) {
  const char *v = tells__export_col(m, i);
  if (!v) return;
  tells_json_key(j, key);
  tells_json_raw(j, v, strlen(v));
}

static void write_alert(tells_json *j, sqlite3_stmt *s, sqlite3_stmt *m) {
  const char *rule = tells__export_col(s, 2), *sev = tells__export_col(s, 4);
  const char *flow = tells__export_col(s, 10), *details = tells__export_col(s, 8);
  int one_peer = rule && (strcmp(rule, "net.exfil") == 0 || strcmp(rule, "net.beacon") == 0);
  int has_m = 0;
  char t[48], cat[64];
  if (flow) {
    sqlite3_bind_text(m, 1, flow, -1, SQLITE_STATIC);
    has_m = sqlite3_step(m) == SQLITE_ROW;
  }
  eve_time(sqlite3_column_int64(s, 0), t);
  tells_json_obj(j);
  tells_json_kstr(j, "timestamp", t);
  if (sqlite3_column_type(s, 9) == SQLITE_INTEGER) tells_json_ki64(j, "flow_id", sqlite3_column_int64(s, 9));
  tells_json_kstr(j, "event_type", "alert");
  if (has_m && tells__export_col(m, 0)) tells_json_kstr(j, "src_ip", tells__export_col(m, 0));
  if (has_m && one_peer && tells__export_col(m, 1)) {
    tells_json_kstr(j, "dest_ip", tells__export_col(m, 1));
    if (sqlite3_column_type(m, 2) == SQLITE_INTEGER) tells_json_ki64(j, "dest_port", sqlite3_column_int64(m, 2));
  }
  if (has_m && tells__export_col(m, 3)) tells_json_kstr(j, "proto", tells__export_col(m, 3));
  tells_json_key(j, "alert");
  tells_json_obj(j);
  tells_json_kstr(j, "action", "allowed");
  tells_json_ku64(j, "gid", 1);
  tells_json_ku64(j, "signature_id", (uint64_t)sid_of(rule ? rule : ""));
  tells_json_ku64(j, "rev", 1);
  tells_json_kstr(j, "signature", tells__export_col(s, 3));
  category(tells__export_col(s, 6), cat);
  tells_json_kstr(j, "category", cat);
  tells_json_ku64(j, "severity", sev && strcmp(sev, "high") == 0 ? 1 : sev && strcmp(sev, "medium") == 0 ? 2 : 3);
  tells_json_key(j, "metadata");
  tells_json_obj(j);
  meta(j, "mitre_technique_id", tells__export_col(s, 5));
  meta(j, "mitre_tactic_name", tells__export_col(s, 6));
  meta(j, "tells_rule", rule);
  tells_json_obj_end(j);
  tells_json_obj_end(j);
  if (has_m) {
    raw_member(j, "src_geo", m, 4);
    if (one_peer) raw_member(j, "dest_geo", m, 5);
  }
  tells_json_key(j, "tells");
  tells_json_obj(j);
  tells_json_kstr(j, "rule", rule);
  tells_json_kstr(j, "summary", tells__export_col(s, 7));
  if (sqlite3_column_type(s, 1) == SQLITE_INTEGER) {
    eve_time(sqlite3_column_int64(s, 1), t);
    tells_json_kstr(j, "end", t);
  }
  if (details) { tells_json_key(j, "details"); tells_json_raw(j, details, strlen(details)); }
  tells_json_obj_end(j);
  tells_json_obj_end(j);
  tells_json_nl(j);
  sqlite3_reset(m);
  sqlite3_clear_bindings(m);
}

tells_err tells__export_eve(tells_case *c, FILE *out, uint64_t *n) {
  sqlite3_stmt *s, *m = NULL;
  tells_json j;
  tells_err e = TELLS_OK;
  int rc;
  tells_json_init_file(&j, out, 0);
  if (!(s = tells__export_prep(c, FLOW_SQL))) return TELLS_EDB;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    const char *d = tells__export_col(s, 0);
    tells_json_raw(&j, d, strlen(d));
    tells_json_nl(&j);
    (*n)++;
    if ((e = j.err)) break;
  }
  if (!e && rc != SQLITE_DONE) e = tells__case_dberr(c, "export");
  sqlite3_finalize(s);
  if (e) return e;
  if (!(s = tells__export_prep(c, ALERT_SQL))) return TELLS_EDB;
  if (!(m = tells__export_prep(c, MEMBER_SQL))) { sqlite3_finalize(s); return TELLS_EDB; }
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    write_alert(&j, s, m);
    (*n)++;
    if ((e = j.err)) break;
  }
  if (!e && rc != SQLITE_DONE) e = tells__case_dberr(c, "export");
  sqlite3_finalize(s);
  sqlite3_finalize(m);
  if (!e) e = tells_json_flush(&j);
  return e;
}
