/*
** report_tables.c -- the filterable, sortable tables of the report:
** findings, timeline, flows, indicators with their sightings, evidence and
** anomalies.  Every row links to its evidence (file, record, offset, flow)
** and carries an anchor the answers and charts link to (finding-N, event-N,
** flow-N, evidence-N).  Big cases are capped (REP_MAX_*): the table says
** how many rows were left out and which command lists them all.
*/
#include <string.h>
#include "alloc.h"
#include "report_int.h"

typedef struct tb { rep *r; FILE *o; int64_t rows; } tb;

static void head(FILE *o, const char *id, const char *const *cols) {
  fprintf(o, "<input class=\"filter\" placeholder=\"filter\" aria-label=\"filter %s\">"
          "<table class=\"t\" id=\"%s\"><thead><tr>", id, id);
  for (; *cols; cols++) fprintf(o, "<th>%s</th>", *cols);
  fputs("</tr></thead><tbody>\n", o);
}

static void td(FILE *o, const char *s) {
  fputs("<td>", o);
  if (s) tells__report_escn(o, s, 4000);
  fputs("</td>", o);
}

static void td_sev(FILE *o, const char *s) {
  fputs("<td class=\"sev-", o);
  tells__report_escn(o, s ? s : "", 16);
  fputs("\">", o);
  if (s) tells__report_escn(o, s, 16);
  fputs("</td>", o);
}

/* The evidence file, linked to its row in the evidence table. */
static void td_ev(FILE *o, const char *id, const char *path) {
  fputs("<td>", o);
  if (id) fprintf(o, "<a href=\"#evidence-%lld\">", (long long)tells__report_i64(id));
  tells__report_escn(o, path ? path : "", 1000);
  if (id) fputs("</a>", o);
  fputs("</td>", o);
}

/* Where in the evidence: record, offset, flow. */
static void td_where(FILE *o, const char *record, const char *offset, const char *flow) {
  int n = 0;
  fputs("<td>", o);
  if (record) { fprintf(o, "record %lld", (long long)tells__report_i64(record)); n++; }
  if (offset) fprintf(o, "%soffset 0x%llx", n++ ? ", " : "", (unsigned long long)tells__report_i64(offset));
  if (flow) fprintf(o, "%s<a href=\"#flow-%lld\">flow %lld</a>", n++ ? ", " : "",
                    (long long)tells__report_i64(flow), (long long)tells__report_i64(flow));
  fputs("</td>", o);
}

static void more(FILE *o, int64_t total, int64_t shown, const char *how) {
  if (total > shown)
    fprintf(o, "<p class=\"more\">%lld more rows not shown (%lld in all): %s lists them all.</p>\n",
            (long long)(total - shown), (long long)total, how);
}

static void open_section(FILE *o, const char *id, const char *title) {
  fprintf(o, "<section id=\"sec-%s\"><h2>%s</h2>\n", id, title);
}

static void close_table(FILE *o, int64_t rows) {
  if (rows) fputs("</tbody></table>\n", o);
  else fputs("<p class=\"empty\">None.</p>\n", o);
}

/* Rows the answers cite, so their links always land. */
#define ANSWER_REFS(key) \
  "SELECT CAST(k.value AS INTEGER) FROM answers a, json_each(CASE WHEN NOT json_valid(a.evidence)" \
  " THEN '[]' WHEN json_type(a.evidence) = 'array' THEN a.evidence ELSE '[]' END) v, json_each(CASE WHEN" \
  " v.type = 'object' THEN v.value ELSE '{}' END) k WHERE k.key = '" key "' AND k.type = 'integer'"

/* ---- findings ---- */

static const char *const FINDING_COLS[] = {"#", "severity", "time", "tactic", "technique", "title",
                                           "summary", "evidence", "where", "rule", NULL};

static int finding_row(void *ud, const tells_row *w) {
  tb *t = ud;
  int64_t id;
  FILE *o = t->o;
  const char *const *v = w->text;
  if (!t->rows++) head(o, "findings", FINDING_COLS);
  id = tells__report_i64(v[0]);
  fprintf(o, "<tr id=\"finding-%lld\"><td>%lld</td>", (long long)id, (long long)id);
  td_sev(o, v[1]); td(o, v[2]); td(o, v[3]); td(o, v[4]); td(o, v[5]); td(o, v[6]);
  td_ev(o, v[8], v[7]);
  {
    char fl[24];
    int64_t ref = v[11] ? tells__report_i64(v[11]) : tells__report_refs_first(t->r, tells__report_i64(v[0]));
    snprintf(fl, sizeof fl, "%lld", (long long)ref);
    td_where(o, v[9], v[10], ref ? fl : NULL);
  }
  fputs("<td>", o);
  tells__report_escn(o, v[12] ? v[12] : "", 40); fputs(": ", o); tells__report_escn(o, v[13] ? v[13] : "", 300);
  if (v[14]) { fputs(" (", o); tells__report_escn(o, v[14], 300); fputs(")", o); }
  fputs("</td></tr>\n", o);
  return ferror(o) != 0;
}

#define SEV_ORDER "CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2" \
  " WHEN 'low' THEN 3 ELSE 4 END"

static tells_err findings(rep *r) {
  tb t = {r, r->o, 0};
  char sql[3000];
  int64_t total = tells__report_query_i64(r, "SELECT count(*) FROM findings", 0);
  tells_err e;
  open_section(r->o, "findings", "Findings");
  snprintf(sql, sizeof sql,
    "SELECT f.id, f.severity, f.first_ns AS \"t@t\", f.tactic, f.technique, f.title, f.summary, e.path,"
    " f.evidence_id, f.ref_record, f.ref_offset, f.ref_flow, f.source, f.rule, f.author"
    " FROM findings f LEFT JOIN evidence e ON e.id = f.evidence_id WHERE f.id IN (SELECT id FROM findings"
    "  ORDER BY " SEV_ORDER ", first_ns, id LIMIT %d)%s%s%s"
    " ORDER BY " SEV_ORDER ", f.first_ns, f.id", REP_MAX_FINDINGS,
    r->has_answers ? " OR f.id IN (SELECT * FROM (" : "", r->has_answers ? ANSWER_REFS("finding") : "",
    r->has_answers ? " LIMIT 20000))" : "");
  if ((e = tells__report_query(r, sql, finding_row, &t))) return e;
  close_table(r->o, t.rows);
  more(r->o, total, t.rows, "<code>tells show CASE findings</code> or <code>tells export CASE --format csv</code>");
  fputs("</section>\n", r->o);
  return TELLS_OK;
}

/* ---- timeline ---- */

static const char *const TIMELINE_COLS[] = {"time", "type", "lane", "source", "what", "summary",
                                            "evidence", "where", NULL};

static int timeline_row(void *ud, const tells_row *w) {
  tb *t = ud;
  FILE *o = t->o;
  const char *const *v = w->text;
  int finding = v[1] && strcmp(v[1], "finding") == 0;
  if (!t->rows++) head(o, "timeline", TIMELINE_COLS);
  if (finding) fputs("<tr>", o);
  else fprintf(o, "<tr id=\"event-%lld\">", (long long)tells__report_i64(v[10]));
  td(o, v[0]); td(o, v[1]); td(o, v[2]); td(o, v[3]);
  if (finding) {
    fprintf(o, "<td><a href=\"#finding-%lld\">", (long long)tells__report_i64(v[10]));
    tells__report_escn(o, v[4] ? v[4] : "", 1000);
    fputs("</a></td>", o);
  } else {
    td(o, v[4]);
  }
  td(o, v[5]);
  td_ev(o, v[7], v[6]);
  td_where(o, v[8], v[9], NULL);
  fputs("</tr>\n", o);
  return ferror(o) != 0;
}

static tells_err timeline(rep *r) {
  tb t = {r, r->o, 0};
  char sql[3000];
  int64_t nf = tells__report_query_i64(r, "SELECT count(*) FROM findings WHERE first_ns IS NOT NULL", 0);
  int64_t ne = tells__report_query_i64(r, "SELECT count(*) FROM events WHERE time_ns IS NOT NULL", 0);
  tells_err e;
  open_section(r->o, "timeline", "Timeline (UTC)");
  snprintf(sql, sizeof sql,
    "SELECT t AS \"t@t\", type, lane, source, what, summary, path, evidence_id, rec, off, id FROM ("
    " SELECT f.first_ns AS t, 'finding' AS type, coalesce(f.tactic, '') AS lane, f.source, f.title AS what,"
    "  f.summary, e.path, f.evidence_id, f.ref_record AS rec, f.ref_offset AS off, f.id"
    "  FROM findings f LEFT JOIN evidence e ON e.id = f.evidence_id WHERE f.first_ns IS NOT NULL"
    " UNION ALL SELECT * FROM ("
    "  SELECT v.time_ns, 'event', '', v.source, v.kind, v.summary, e.path, v.evidence_id, v.ref_record,"
    "   v.ref_offset, v.id FROM events v JOIN evidence e ON e.id = v.evidence_id"
    "   WHERE v.id IN (SELECT id FROM events WHERE time_ns IS NOT NULL ORDER BY time_ns, id LIMIT %d)%s%s)"
    ") ORDER BY t, type, id LIMIT %d",
    REP_MAX_TIMELINE, r->has_answers ? " OR v.id IN (" ANSWER_REFS("event") ")" : "", "",
    REP_MAX_TIMELINE + REP_MAX_FINDINGS);
  if ((e = tells__report_query(r, sql, timeline_row, &t))) return e;
  close_table(r->o, t.rows);
  more(r->o, nf + ne, t.rows, "<code>tells show CASE timeline</code> or <code>tells export CASE --format"
       " timesketch</code>");
  fputs("</section>\n", r->o);
  return TELLS_OK;
}

/* ---- flows ---- */

static const char *const FLOW_COLS[] = {"flow", "start", "end", "proto", "app", "source", "sport",
                                        "destination", "dport", "country", "pkts out", "pkts in",
                                        "bytes out", "bytes in", "state", "evidence", NULL};

static int flow_row(void *ud, const tells_row *w) {
  tb *t = ud;
  int64_t id;
  FILE *o = t->o;
  const char *const *v = w->text;
  int i;
  if (!t->rows++) head(o, "flows", FLOW_COLS);
  id = tells__report_i64(v[0]);
  fprintf(o, "<tr id=\"flow-%lld\"><td>%lld</td>", (long long)id, (long long)id);
  for (i = 1; i <= 14; i++) td(o, v[i]);
  td_ev(o, v[16], v[15]);
  fputs("</tr>\n", o);
  return ferror(o) != 0;
}

static tells_err flows(rep *r) {
  tb t = {r, r->o, 0};
  char *sql, *list = tells__report_refs_list(r);
  size_t cap = 3000 + (list ? strlen(list) : 0);
  int64_t total = tells__report_query_i64(r, "SELECT count(*) FROM flows", 0);
  tells_err e;
  open_section(r->o, "flows", "Network flows, largest first");
  if (!(sql = tells_malloc(cap))) { tells_free(list); return TELLS_ENOMEM; }
  snprintf(sql, cap,
    "SELECT f.id, f.first_ns AS \"s@t\", f.last_ns AS \"e@t\", f.proto, f.app_proto, f.src_ip, f.src_port,"
    " f.dest_ip, f.dest_port, CASE WHEN json_valid(f.details) THEN coalesce(json_extract(f.details,"
    " '$.dest_geo.country'), json_extract(f.details, '$.src_geo.country')) END, f.pkts_toserver,"
    " f.pkts_toclient, f.bytes_toserver, f.bytes_toclient, f.state, e.path, f.evidence_id"
    " FROM flows f JOIN evidence e ON e.id = f.evidence_id WHERE f.id IN ("
    "  SELECT id FROM (SELECT id FROM flows ORDER BY bytes_toserver + bytes_toclient DESC, first_ns, id LIMIT %d))"
    "%s%s%s%s%s"
    " ORDER BY f.bytes_toserver + f.bytes_toclient DESC, f.first_ns, f.id",
    REP_MAX_FLOWS, list ? " OR f.id IN " : "", list ? list : "",
    r->has_answers ? " OR f.id IN (SELECT * FROM (" : "", r->has_answers ? ANSWER_REFS("flow") : "",
    r->has_answers ? " LIMIT 20000))" : "");
  e = tells__report_query(r, sql, flow_row, &t);
  tells_free(sql);
  tells_free(list);
  if (e) return e;
  close_table(r->o, t.rows);
  if (total > t.rows)
    fprintf(r->o, "<p class=\"more\">Shown: the %d largest flows and every flow a finding or answer refers to;"
            " %lld more not shown (%lld in all): <code>tells show CASE flows</code> or <code>tells export"
            " CASE --format eve</code> lists them all.</p>\n", REP_MAX_FLOWS, (long long)(total - t.rows),
            (long long)total);
  fputs("</section>\n", r->o);
  return TELLS_OK;
}

/* ---- indicators with their sightings ---- */

static const char *const IND_COLS[] = {"type", "value", "sightings", "files", "pillars", "first seen",
                                       "last seen", "seen in", NULL};

/* "evid RS offset RS context RS path" records separated by US. */
static void sightings(FILE *o, const char *s) {
  fputs("<td>", o);
  while (s && *s) {
    const char *end = strchr(s, '\x1f'), *f[4];
    size_t len = end ? (size_t)(end - s) : strlen(s);
    char buf[2048];
    int k = 0;
    char *p;
    if (len >= sizeof buf) len = sizeof buf - 1;
    memcpy(buf, s, len); buf[len] = 0;
    for (p = buf, f[k++] = p; *p && k < 4; p++)
      if (*p == '\x1e') { *p = 0; f[k++] = p + 1; }
    if (k == 4) {
      fprintf(o, "<a href=\"#evidence-%lld\">", (long long)tells__report_i64(f[0]));
      tells__report_escn(o, f[3], 400);
      fputs("</a>", o);
      if (*f[2]) { fputs(" (", o); tells__report_escn(o, f[2], 200); fputs(")", o); }
      if (*f[1]) fprintf(o, " offset 0x%llx", (unsigned long long)tells__report_i64(f[1]));
      fputs("<br>", o);
    }
    s = end ? end + 1 : NULL;
  }
  fputs("</td>", o);
}

static int ind_row(void *ud, const tells_row *w) {
  tb *t = ud;
  FILE *o = t->o;
  const char *const *v = w->text;
  int i;
  if (!t->rows++) head(o, "indicators", IND_COLS);
  fputs("<tr>", o);
  for (i = 0; i < 7; i++) td(o, v[i]);
  sightings(o, v[7]);
  fputs("</tr>\n", o);
  return ferror(o) != 0;
}

static tells_err indicators(rep *r) {
  tb t = {r, r->o, 0};
  char sql[2000];
  int64_t total = tells__report_query_i64(r, "SELECT count(*) FROM indicators", 0);
  tells_err e;
  open_section(r->o, "indicators", "Indicators and their sightings");
  snprintf(sql, sizeof sql,
    "SELECT i.type, i.value, sum(s.count), count(DISTINCT s.evidence_id),"
    " (SELECT group_concat(p, ',') FROM (SELECT DISTINCT e2.pillar AS p FROM sightings s2"
    "   JOIN evidence e2 ON e2.id = s2.evidence_id WHERE s2.indicator_id = i.id ORDER BY p)) AS pillars,"
    " min(s.time_ns) AS \"f@t\", max(coalesce(s.last_ns, s.time_ns)) AS \"l@t\","
    " (SELECT group_concat(x, char(31)) FROM (SELECT s3.evidence_id || char(30) || coalesce(s3.ref_offset, '')"
    "   || char(30) || coalesce(s3.context, '') || char(30) || e3.path AS x FROM sightings s3"
    "   JOIN evidence e3 ON e3.id = s3.evidence_id WHERE s3.indicator_id = i.id"
    "   ORDER BY s3.evidence_id, s3.id LIMIT 5))"
    " FROM indicators i JOIN sightings s ON s.indicator_id = i.id"
    " GROUP BY i.id ORDER BY length(pillars) DESC, i.type, i.value LIMIT %d", REP_MAX_INDICATORS);
  if ((e = tells__report_query(r, sql, ind_row, &t))) return e;
  close_table(r->o, t.rows);
  more(r->o, total, t.rows, "<code>tells show CASE indicators</code> or <code>tells export CASE --format stix</code>");
  fputs("<p class=\"note\">Indicators seen in more than one pillar come first; up to five sightings each.</p>"
        "</section>\n", r->o);
  return TELLS_OK;
}

/* ---- evidence ---- */

static const char *const EV_COLS[] = {"#", "path", "kind", "pillar", "status", "reason", "size",
                                      "modified", "sha256", "first", "last", "anomalies", "duplicate of", NULL};

static int ev_row(void *ud, const tells_row *w) {
  tb *t = ud;
  int64_t id;
  FILE *o = t->o;
  const char *const *v = w->text;
  int i;
  if (!t->rows++) head(o, "evidence", EV_COLS);
  id = tells__report_i64(v[0]);
  fprintf(o, "<tr id=\"evidence-%lld\"><td>%lld</td>", (long long)id, (long long)id);
  for (i = 1; i <= 11; i++) td(o, v[i]);
  fputs("<td>", o);
  id = tells__report_i64(v[12]);
  if (v[12]) fprintf(o, "<a href=\"#evidence-%lld\">%lld</a>", (long long)id, (long long)id);
  fputs("</td></tr>\n", o);
  return ferror(o) != 0;
}

static tells_err evidence(rep *r) {
  tb t = {r, r->o, 0};
  char sql[800];
  int64_t total = tells__report_query_i64(r, "SELECT count(*) FROM evidence WHERE status <> 'ingesting'", 0);
  tells_err e;
  open_section(r->o, "evidence", "Evidence and chain of custody");
  snprintf(sql, sizeof sql,
    "SELECT id, path, kind, pillar, status, reason, size, mtime_ns AS \"m@t\", sha256, first_ns AS \"f@t\","
    " last_ns AS \"l@t\", anomalies, duplicate_of FROM evidence WHERE status <> 'ingesting'"
    " ORDER BY path, id LIMIT %d", REP_MAX_EVIDENCE);
  if ((e = tells__report_query(r, sql, ev_row, &t))) return e;
  close_table(r->o, t.rows);
  more(r->o, total, t.rows, "<code>tells show CASE evidence</code>");
  fputs("</section>\n", r->o);
  return TELLS_OK;
}

/* ---- anomalies ---- */

static const char *const AN_COLS[] = {"evidence", "offset", "code", "detail", "source", NULL};

static int an_row(void *ud, const tells_row *w) {
  tb *t = ud;
  FILE *o = t->o;
  const char *const *v = w->text;
  if (!t->rows++) head(o, "anomalies", AN_COLS);
  fputs("<tr>", o);
  td_ev(o, v[0], v[1]);
  fputs("<td>", o);
  if (v[2]) fprintf(o, "0x%llx", (unsigned long long)tells__report_i64(v[2]));
  fputs("</td>", o);
  td(o, v[3]); td(o, v[4]); td(o, v[5]);
  fputs("</tr>\n", o);
  return ferror(o) != 0;
}

static tells_err anomalies(rep *r) {
  tb t = {r, r->o, 0};
  char sql[600];
  int64_t total = tells__report_query_i64(r, "SELECT count(*) FROM anomalies", 0);
  tells_err e;
  open_section(r->o, "anomalies", "Anomalies in evidence");
  snprintf(sql, sizeof sql,
    "SELECT a.evidence_id, e.path, a.offset, a.code, a.detail, a.source FROM anomalies a"
    " JOIN evidence e ON e.id = a.evidence_id ORDER BY e.path, a.offset, a.id LIMIT %d", REP_MAX_ANOMALIES);
  if ((e = tells__report_query(r, sql, an_row, &t))) return e;
  close_table(r->o, t.rows);
  more(r->o, total, t.rows, "<code>tells show CASE anomalies</code>");
  fputs("</section>\n", r->o);
  return TELLS_OK;
}

tells_err tells__report_tables(rep *r) {
  tells_err e;
  if ((e = findings(r)) || (e = timeline(r)) || (e = flows(r)) || (e = indicators(r)) ||
      (e = evidence(r)) || (e = anomalies(r)))
    return e;
  return TELLS_OK;
}
