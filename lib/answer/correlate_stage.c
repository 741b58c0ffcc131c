/*
** correlate_stage.c -- the stage findings only a view across evidence
** kinds gives, written with source "correlate" (analyse.c deletes them
** before every run):
**
**   correlate.execution       a process start in an event log (Sysmon 1
**                             with Hashes) whose image hash is a binary the
**                             code pillar flagged (a finding of medium or
**                             more), or a Security 4688 whose image path
**                             ends the path of a copy of it: T1569.002 when
**                             services.exe started it, T1204.002 otherwise;
**                             one per log file and binary, at the first
**                             start, with its record.
**   correlate.initial_access  a flagged binary in an HTTP download: its
**                             SHA-256 as the hash of a response body
**                             (sighting context "http.body"), or a request
**                             URL ending in the binary's file name.  When
**                             the server had mailed into the network in the
**                             14 days before: spearphishing link (T1566.002,
**                             initial-access); otherwise ingress tool
**                             transfer (T1105, command-and-control).
*/
#include <string.h>
#include "alloc.h"
#include "buf.h"
#include "correlate_int.h"
#include "json.h"

#define FLAGGED CORR_FLAGGED
#define TOP_TITLE \
  "(SELECT f.title FROM findings f WHERE f.evidence_id=ce.id AND f.source<>'correlate'" \
  " ORDER BY CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2" \
  " ELSE 3 END, f.id LIMIT 1)"

/* The flagged binaries' hashes come first (hv), each looked up by (type,
** value) in the indicators' unique index: an OR of three hash columns in the
** join made SQLite scan every hash sighting against every binary.  Among
** starts of one binary at one time, a SHA-256 sighting wins over MD5, SHA-1. */
static const char EXEC_SQL[] =
  "WITH fl AS MATERIALIZED (SELECT ce.id, ce.sha256, ce.md5, ce.sha1 FROM evidence ce"
  "  WHERE ce.pillar='code' AND ce.status='analysed' AND " FLAGGED "),"
  " hv(ce, t, v, o) AS MATERIALIZED (SELECT id, 'sha256', sha256, 0 FROM fl"
  "  UNION ALL SELECT id, 'md5', md5, 1 FROM fl UNION ALL SELECT id, 'sha1', sha1, 2 FROM fl)"
  " SELECT ce.id, ce.path, ce.sha256, s.evidence_id, s.time_ns, s.ref_offset, s.count,"
  " s.last_ns, " TOP_TITLE " FROM hv"
  " JOIN indicators i ON i.type=hv.t AND i.value=hv.v"
  " JOIN sightings s ON s.indicator_id=i.id AND s.context='process.created'"
  " JOIN evidence le ON le.id=s.evidence_id AND le.pillar='logs'"
  " JOIN evidence ce ON ce.id=hv.ce"
  " ORDER BY s.evidence_id, ce.id, s.time_ns, hv.o";

/* Security 4688 has no hash: its image path matched in C (correlate_path.c). */
static const char EXEC_PATH_SQL[] =
  "SELECT ce.id, ce.path, ce.sha256, x.le, x.t, x.off, x.cnt, NULL, " TOP_TITLE
  " FROM corr_exec x JOIN evidence ce ON ce.id=x.ce ORDER BY x.le, x.ce";

static const char EVENT_SQL[] =
  "SELECT id, ref_record, summary FROM events WHERE time_ns=? AND evidence_id=?"
  " AND ref_offset=? AND kind='process.created' ORDER BY id LIMIT 1";

static const char HOST_SQL[] =
  "SELECT i.value FROM sightings s JOIN indicators i ON i.id=s.indicator_id"
  " WHERE s.evidence_id=? AND s.context='event log computer'"
  " ORDER BY s.count DESC, i.value LIMIT 1";

/* Downloads: hash of a response body, or a URL ending in the file name of
** any copy of the binary (the same content under other names). */
static const char DL_SQL[] =
  "SELECT ce.id, ce.path, ce.sha256, s.evidence_id, s.time_ns, 'sha256', NULL, " TOP_TITLE
  " FROM evidence ce JOIN indicators i ON i.type='sha256' AND i.value=ce.sha256"
  " JOIN sightings s ON s.indicator_id=i.id AND s.context='http.body'"
  " JOIN evidence ne ON ne.id=s.evidence_id AND ne.pillar='net'"
  " WHERE ce.pillar='code' AND ce.status='analysed' AND " FLAGGED
  " UNION ALL "
  "SELECT ce.id, ce.path, ce.sha256, s.evidence_id, s.time_ns, 'file name', u.value, " TOP_TITLE
  " FROM evidence ce"
  " JOIN (SELECT DISTINCT orig, '/' || lower(replace(q, rtrim(q, replace(q, '/', '')), '')) AS name"
  "       FROM (SELECT coalesce(duplicate_of, id) AS orig, replace(path, '\\', '/') AS q FROM evidence"
  "             WHERE pillar='code' OR duplicate_of IS NOT NULL)) cp ON cp.orig=ce.id"
  " JOIN indicators u ON u.type='url' AND length(cp.name) > 1"
  "  AND substr(lower(u.value), -length(cp.name)) = cp.name"
  "  AND (u.value LIKE 'http://%' OR u.value LIKE 'https://%' OR u.value LIKE 'ftp://%')"
  " JOIN sightings s ON s.indicator_id=u.id"
  " JOIN evidence ne ON ne.id=s.evidence_id AND ne.pillar='net'"
  " WHERE ce.pillar='code' AND ce.status='analysed' AND " FLAGGED
  " ORDER BY 4, 6 DESC, 5, 1";   /* a hash match before a name match */

static const char FLOW_SQL[] =
  "SELECT id, src_ip, dest_ip, dest_port, first_ns FROM flows"
  " WHERE evidence_id=? AND first_ns<=? AND last_ns>=? AND coalesce(app_proto,'') IN ('http','')"
  " ORDER BY app_proto='http' DESC, first_ns DESC, id LIMIT 1";

static const char MAIL_SQL[] =
  "SELECT id, dest_ip, first_ns FROM flows WHERE src_ip=? AND dest_port IN (25,465,587)"
  " AND first_ns<=? AND first_ns>=? ORDER BY first_ns DESC, id LIMIT 1";

static const char COUNTRY_SQL[] =
  "SELECT substr(s.context, 9) FROM indicators i JOIN sightings s ON s.indicator_id=i.id"
  " WHERE i.type='ip' AND i.value=? AND s.context LIKE 'country __' LIMIT 1";

static const char INS_SQL[] =
  "INSERT INTO findings(evidence_id, source, rule, title, severity, technique, tactic,"
  " first_ns, last_ns, summary, ref_offset, ref_record, ref_flow, details)"
  " VALUES(?,'correlate',?,?,'high',?,?,?,?,?,?,?,?,?)";

typedef struct stage_ctx {
  tells_case *c;
  sqlite3_stmt *ev, *host, *flow, *mail, *cc, *ins;
  tells_buf sum;
  tells_buf det;
} stage_ctx;

static void bind_opt(sqlite3_stmt *s, int i, int64_t v, int has) {
  if (has) sqlite3_bind_int64(s, i, v); else sqlite3_bind_null(s, i);
}

/* The first value of a one-row lookup into out ("" when none). */
static void lookup(sqlite3_stmt *s, char *out, size_t n) {
  out[0] = 0;
  if (sqlite3_step(s) == SQLITE_ROW) snprintf(out, n, "%s", tells__corr_text(s, 0));
  sqlite3_reset(s);
}

static tells_err insert(stage_ctx *x, int64_t ev, const char *rule, const char *title,
                        const char *tech, const char *tactic, int64_t t0, int64_t t1,
                        int64_t off, int has_off, int64_t rec, int has_rec,
                        int64_t flow, int has_flow) {
  sqlite3_stmt *s = x->ins;
  if (x->sum.err || x->det.err) return x->sum.err ? x->sum.err : x->det.err;
  sqlite3_reset(s);
  sqlite3_bind_int64(s, 1, ev);
  sqlite3_bind_text(s, 2, rule, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, title, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 4, tech, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 5, tactic, -1, SQLITE_STATIC);
  sqlite3_bind_int64(s, 6, t0);
  bind_opt(s, 7, t1, t1 != INT64_MIN);
  sqlite3_bind_text(s, 8, tells_buf_str(&x->sum), -1, SQLITE_TRANSIENT);
  bind_opt(s, 9, off, has_off);
  bind_opt(s, 10, rec, has_rec);
  bind_opt(s, 11, flow, has_flow);
  sqlite3_bind_text(s, 12, tells_buf_str(&x->det), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(s) != SQLITE_DONE) { sqlite3_reset(s); return tells__case_dberr(x->c, "correlate finding"); }
  sqlite3_reset(s);
  return TELLS_OK;
}

/* The parent image named at the end of a Sysmon 1 summary ("(parent X)"). */
static int started_by_services(const char *summary) {
  const char *p = strstr(summary, "(parent ");
  size_t n;
  if (!p) return 0;
  p += 8;
  n = strlen(p);
  if (n && p[n - 1] == ')') n--;
  return n >= 12 && strncmp(p + n - 12, "services.exe", 12) == 0;
}

static tells_err executions(stage_ctx *x, int by_path) {
  sqlite3_stmt *s;
  tells_err e;
  int64_t last_le = -1, last_ce = -1;
  int rc;
  if ((e = tells__corr_prep(x->c, by_path ? EXEC_PATH_SQL : EXEC_SQL, &s))) return e;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    int64_t ce = sqlite3_column_int64(s, 0), le = sqlite3_column_int64(s, 3);
    int64_t t = sqlite3_column_int64(s, 4), off = sqlite3_column_int64(s, 5);
    int64_t cnt = sqlite3_column_int64(s, 6);
    int64_t t1 = sqlite3_column_type(s, 7) == SQLITE_NULL ? INT64_MIN : sqlite3_column_int64(s, 7);
    const char *path = tells__corr_text(s, 1), *sha = tells__corr_text(s, 2);
    const char *why = tells__corr_text(s, 8);
    char host[256], evsum[512];
    int64_t evid = 0, rec = 0;
    int has_ev = 0, svc;
    tells_json j;
    if (le == last_le && ce == last_ce) continue;   /* another hash of the same start */
    last_le = le; last_ce = ce;
    if (sqlite3_column_type(s, 4) == SQLITE_NULL || sqlite3_column_type(s, 5) == SQLITE_NULL) continue;
    sqlite3_bind_int64(x->host, 1, le);
    lookup(x->host, host, sizeof host);
    sqlite3_bind_int64(x->ev, 1, t);
    sqlite3_bind_int64(x->ev, 2, le);
    sqlite3_bind_int64(x->ev, 3, off);
    evsum[0] = 0;
    if (sqlite3_step(x->ev) == SQLITE_ROW) {
      evid = sqlite3_column_int64(x->ev, 0);
      rec = sqlite3_column_int64(x->ev, 1);
      has_ev = sqlite3_column_type(x->ev, 1) != SQLITE_NULL;
      snprintf(evsum, sizeof evsum, "%s", tells__corr_text(x->ev, 2));
    }
    sqlite3_reset(x->ev);
    svc = started_by_services(evsum);
    tells_buf_reset(&x->sum);
    tells_buf_addf(&x->sum, "%s ran on %s%s (%lld start%s): its %s matches the binary the code pillar"
                   " flagged (%s)", tells__corr_base(path), host[0] ? host : "a host",
                   svc ? " as a service" : "", (long long)cnt, cnt == 1 ? "" : "s",
                   by_path ? "image path" : "hash", why[0] ? why : "flagged");
    tells_buf_reset(&x->det);
    tells_json_init_buf(&j, &x->det, 0);
    tells_json_obj(&j);
    tells_json_kstr(&j, "sha256", sha);
    tells_json_kstr(&j, "binary", path);
    tells_json_ki64(&j, "binary_evidence", ce);
    tells_json_kstr(&j, "match", by_path ? "image path" : "hash");
    tells_json_kstr(&j, "host", host[0] ? host : NULL);
    tells_json_ki64(&j, "starts", cnt);
    tells_json_kstr(&j, "process", evsum[0] ? evsum : NULL);
    if (has_ev) tells_json_ki64(&j, "event", evid);
    tells_json_kstr(&j, "flagged_as", why[0] ? why : NULL);
    tells_json_obj_end(&j);
    tells_json_flush(&j);
    if ((e = insert(x, le, "correlate.execution", "Flagged binary executed",
                    svc ? "T1569.002" : "T1204.002", "execution", t, t1,
                    off, 1, rec, has_ev, 0, 0))) break;
  }
  if (!e && rc != SQLITE_DONE) e = tells__case_dberr(x->c, "correlate executions");
  sqlite3_finalize(s);
  return e;
}

#define MAIL_WINDOW_NS (14LL * 86400 * 1000000000)

static tells_err downloads(stage_ctx *x) {
  sqlite3_stmt *s;
  tells_err e;
  int64_t seen_flow[64], last_ne = -1, last_ce = -1;
  int n_seen = 0, rc;
  if ((e = tells__corr_prep(x->c, DL_SQL, &s))) return e;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    int64_t ce = sqlite3_column_int64(s, 0), ne = sqlite3_column_int64(s, 3);
    int64_t t = sqlite3_column_int64(s, 4), flow = 0, mail = 0, mail_t = 0;
    const char *path = tells__corr_text(s, 1), *sha = tells__corr_text(s, 2);
    const char *match = tells__corr_text(s, 5), *url = tells__corr_text(s, 6);
    const char *why = tells__corr_text(s, 7);
    char client[48] = "", server[48] = "", country[8] = "", mail_to[48] = "";
    int has_flow = 0, phish, i, dup = 0;
    tells_json j;
    if (sqlite3_column_type(s, 4) == SQLITE_NULL) continue;
    sqlite3_bind_int64(x->flow, 1, ne);
    sqlite3_bind_int64(x->flow, 2, t);
    sqlite3_bind_int64(x->flow, 3, t);
    if (sqlite3_step(x->flow) == SQLITE_ROW) {
      flow = sqlite3_column_int64(x->flow, 0);
      has_flow = 1;
      snprintf(client, sizeof client, "%s", tells__corr_text(x->flow, 1));
      snprintf(server, sizeof server, "%s", tells__corr_text(x->flow, 2));
    }
    sqlite3_reset(x->flow);
    for (i = 0; i < n_seen; i++) dup |= has_flow && seen_flow[i] == flow;
    dup |= !has_flow && ne == last_ne && ce == last_ce;
    last_ne = ne; last_ce = ce;
    if (dup) continue;                       /* hash and name name one download */
    if (has_flow && n_seen < 64) seen_flow[n_seen++] = flow;
    if (server[0]) {
      sqlite3_bind_text(x->mail, 1, server, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(x->mail, 2, t);
      sqlite3_bind_int64(x->mail, 3, t - MAIL_WINDOW_NS);
      if (sqlite3_step(x->mail) == SQLITE_ROW) {
        mail = sqlite3_column_int64(x->mail, 0);
        snprintf(mail_to, sizeof mail_to, "%s", tells__corr_text(x->mail, 1));
        mail_t = sqlite3_column_int64(x->mail, 2);
      }
      sqlite3_reset(x->mail);
      sqlite3_bind_text(x->cc, 1, server, -1, SQLITE_TRANSIENT);
      lookup(x->cc, country, sizeof country);
    }
    phish = mail != 0;
    tells_buf_reset(&x->sum);
    tells_buf_addf(&x->sum, "%s downloaded %s from %s%s%s%s over HTTP (%s match with the binary the code"
                   " pillar flagged: %s)", client[0] ? client : "a host", tells__corr_base(path),
                   server[0] ? server : "a server", country[0] ? " (" : "", country, country[0] ? ")" : "",
                   match, why[0] ? why : "flagged");
    if (phish)
      tells_buf_addf(&x->sum, "; the server had sent mail to %s %lld min before", mail_to,
                     (long long)((t - mail_t) / 60000000000LL));
    tells_buf_reset(&x->det);
    tells_json_init_buf(&j, &x->det, 0);
    tells_json_obj(&j);
    tells_json_kstr(&j, "sha256", sha);
    tells_json_kstr(&j, "binary", path);
    tells_json_ki64(&j, "binary_evidence", ce);
    tells_json_kstr(&j, "match", match);
    tells_json_kstr(&j, "url", url[0] ? url : NULL);
    tells_json_kstr(&j, "client", client[0] ? client : NULL);
    tells_json_kstr(&j, "server", server[0] ? server : NULL);
    tells_json_kstr(&j, "server_country", country[0] ? country : NULL);
    if (has_flow) tells_json_ki64(&j, "flow", flow);
    if (phish) {
      tells_json_ki64(&j, "mail_flow", mail);
      tells_json_kstr(&j, "mail_to", mail_to);
    }
    tells_json_kstr(&j, "flagged_as", why[0] ? why : NULL);
    tells_json_obj_end(&j);
    tells_json_flush(&j);
    if ((e = insert(x, ne, "correlate.initial_access",
                    phish ? "Flagged binary downloaded from a server that sent mail (spearphishing link)"
                          : "Flagged binary downloaded",
                    phish ? "T1566.002" : "T1105", phish ? "initial-access" : "command-and-control",
                    t, INT64_MIN, 0, 0, 0, 0, flow, has_flow))) break;
  }
  if (!e && rc != SQLITE_DONE) e = tells__case_dberr(x->c, "correlate downloads");
  sqlite3_finalize(s);
  return e;
}

tells_err tells__corr_stages(tells_case *c) {
  stage_ctx x;
  tells_err e;
  memset(&x, 0, sizeof x);
  x.c = c;
  tells_buf_init(&x.sum, 4096);
  tells_buf_init(&x.det, 1u << 16);
  if (!(e = tells__corr_prep(c, EVENT_SQL, &x.ev)) && !(e = tells__corr_prep(c, HOST_SQL, &x.host)) &&
      !(e = tells__corr_prep(c, FLOW_SQL, &x.flow)) && !(e = tells__corr_prep(c, MAIL_SQL, &x.mail)) &&
      !(e = tells__corr_prep(c, COUNTRY_SQL, &x.cc)) && !(e = tells__corr_prep(c, INS_SQL, &x.ins)) &&
      !(e = executions(&x, 0)) && !(e = tells__corr_exec_paths(c)) && !(e = executions(&x, 1)))
    e = downloads(&x);
  sqlite3_finalize(x.ev); sqlite3_finalize(x.host); sqlite3_finalize(x.flow);
  sqlite3_finalize(x.mail); sqlite3_finalize(x.cc); sqlite3_finalize(x.ins);
  tells_buf_free(&x.sum);
  tells_buf_free(&x.det);
  return e;
}
