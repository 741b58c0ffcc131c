/*
** case_sink.c -- the sink that writes a scanner's results into the evidence
** row being ingested (artifacts, indicators and sightings, findings, events).
** Everything happens inside the file's transaction (see case.c).  While
** the writer thread runs (case_async.c) a sink call queues its row, and the
** thread runs the *_now function.
*/
#include <string.h>
#include "case_int.h"


tells_err tells__case_artifact_now(tells_case *c, const char *kind, const char *json) {
  sqlite3_stmt *s = tells__case_stmt(c, ST_INS_ARTIFACT,
      "INSERT INTO artifacts(evidence_id, kind, details) VALUES(?,?,?)");
  if (!s) return TELLS_EDB;
  sqlite3_bind_int64(s, 1, c->cur_evidence);
  tells__case_bind_str(s, 2, kind);
  tells__case_bind_str(s, 3, json);
  return tells__case_step(c, s, "insert artifact");
}

tells_err tells__case_indicator_now(tells_case *c, const char *type, const char *value,
                                    int64_t time_ns, int64_t last_ns, uint64_t count,
                                    const char *context, int64_t off) {
  sqlite3_stmt *s = tells__case_stmt(c, ST_UPS_INDICATOR,
      "INSERT INTO indicators(type, value) VALUES(?,?)"
      " ON CONFLICT(type, value) DO UPDATE SET type=excluded.type RETURNING id");
  int64_t id;
  int rc;
  if (!s) return TELLS_EDB;
  tells__case_bind_str(s, 1, type);
  tells__case_bind_str(s, 2, value);
  rc = sqlite3_step(s);
  if (rc != SQLITE_ROW) { sqlite3_reset(s); return tells__case_dberr(c, "insert indicator"); }
  id = sqlite3_column_int64(s, 0);
  sqlite3_reset(s);
  s = tells__case_stmt(c, ST_INS_SIGHTING,
      "INSERT INTO sightings(indicator_id, evidence_id, time_ns, context, ref_offset,"
      " last_ns, count) VALUES(?,?,?,?,?,?,?)");
  if (!s) return TELLS_EDB;
  sqlite3_bind_int64(s, 1, id);
  sqlite3_bind_int64(s, 2, c->cur_evidence);
  tells__case_bind_i64(s, 3, time_ns, TELLS_NO_TIME);
  tells__case_bind_str(s, 4, context);
  tells__case_bind_i64(s, 5, off, TELLS_NO_REF);
  tells__case_bind_i64(s, 6, last_ns, TELLS_NO_TIME);
  sqlite3_bind_int64(s, 7, (sqlite3_int64)count);
  return tells__case_step(c, s, "insert sighting");
}

tells_err tells__case_finding_now(tells_case *c, const tells_finding *f) {
  sqlite3_stmt *s = tells__case_stmt(c, ST_INS_FINDING,
      "INSERT INTO findings(evidence_id, source, rule, title, severity, technique, tactic,"
      " author, first_ns, last_ns, summary, ref_offset, ref_record, details)"
      " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  if (!s) return TELLS_EDB;
  sqlite3_bind_int64(s, 1, c->cur_evidence);
  tells__case_bind_str(s, 2, f->source);
  tells__case_bind_str(s, 3, f->rule);
  tells__case_bind_str(s, 4, f->title);
  tells__case_bind_str(s, 5, f->severity ? f->severity : "info");
  tells__case_bind_str(s, 6, f->technique);
  tells__case_bind_str(s, 7, f->tactic);
  tells__case_bind_str(s, 8, f->author);
  tells__case_bind_i64(s, 9, f->first_ns, TELLS_NO_TIME);
  tells__case_bind_i64(s, 10, f->last_ns, TELLS_NO_TIME);
  tells__case_bind_str(s, 11, f->summary);
  tells__case_bind_i64(s, 12, f->ref_offset, TELLS_NO_REF);
  tells__case_bind_i64(s, 13, f->ref_record, TELLS_NO_REF);
  tells__case_bind_str(s, 14, f->details_json);
  return tells__case_step(c, s, "insert finding");
}

tells_err tells__case_event_now(tells_case *c, const tells_event *e) {
  sqlite3_stmt *s = tells__case_stmt(c, ST_INS_EVENT,
      "INSERT INTO events(evidence_id, time_ns, source, kind, summary, ref_offset,"
      " ref_record, details) VALUES(?,?,?,?,?,?,?,?)");
  if (!s) return TELLS_EDB;
  sqlite3_bind_int64(s, 1, c->cur_evidence);
  tells__case_bind_i64(s, 2, e->time_ns, TELLS_NO_TIME);
  tells__case_bind_str(s, 3, e->source);
  tells__case_bind_str(s, 4, e->kind);
  tells__case_bind_str(s, 5, e->summary);
  tells__case_bind_i64(s, 6, e->ref_offset, TELLS_NO_REF);
  tells__case_bind_i64(s, 7, e->ref_record, TELLS_NO_REF);
  tells__case_bind_str(s, 8, e->details_json);
  return tells__case_step(c, s, "insert event");
}

tells_err tells__case_flow_now(tells_case *c, const tells_flow_row *f) {
  sqlite3_stmt *s = tells__case_stmt(c, ST_INS_FLOW,
      "INSERT INTO flows(evidence_id, first_ns, last_ns, proto, app_proto, src_ip, src_port,"
      " dest_ip, dest_port, pkts_toserver, pkts_toclient, bytes_toserver, bytes_toclient,"
      " state, details) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  if (!s) return TELLS_EDB;
  sqlite3_bind_int64(s, 1, c->cur_evidence);
  sqlite3_bind_int64(s, 2, f->first_ns);
  sqlite3_bind_int64(s, 3, f->last_ns);
  tells__case_bind_str(s, 4, f->proto);
  tells__case_bind_str(s, 5, f->app_proto);
  tells__case_bind_str(s, 6, f->src_ip);
  tells__case_bind_i64(s, 7, f->src_port, -1);
  tells__case_bind_str(s, 8, f->dest_ip);
  tells__case_bind_i64(s, 9, f->dest_port, -1);
  sqlite3_bind_int64(s, 10, (sqlite3_int64)f->pkts_toserver);
  sqlite3_bind_int64(s, 11, (sqlite3_int64)f->pkts_toclient);
  sqlite3_bind_int64(s, 12, (sqlite3_int64)f->bytes_toserver);
  sqlite3_bind_int64(s, 13, (sqlite3_int64)f->bytes_toclient);
  tells__case_bind_str(s, 14, f->state);
  tells__case_bind_str(s, 15, f->eve_json);
  return tells__case_step(c, s, "insert flow");
}

static tells_err sink_artifact(void *ud, const char *kind, const char *json) {
  tells_case *c = ud;
  return c->q ? tells__case_q_artifact(c, kind, json) : tells__case_artifact_now(c, kind, json);
}

static tells_err sink_indicator(void *ud, const char *type, const char *value,
                                int64_t time_ns, int64_t last_ns, uint64_t count,
                                const char *context, int64_t off) {
  tells_case *c = ud;
  return c->q ? tells__case_q_indicator(c, type, value, time_ns, last_ns, count, context, off)
              : tells__case_indicator_now(c, type, value, time_ns, last_ns, count, context, off);
}

static tells_err sink_finding(void *ud, const tells_finding *f) {
  tells_case *c = ud;
  return c->q ? tells__case_q_finding(c, f) : tells__case_finding_now(c, f);
}

static tells_err sink_event(void *ud, const tells_event *e) {
  tells_case *c = ud;
  return c->q ? tells__case_q_event(c, e) : tells__case_event_now(c, e);
}

static tells_err sink_flow(void *ud, const tells_flow_row *f) {
  tells_case *c = ud;
  return c->q ? tells__case_q_flow(c, f) : tells__case_flow_now(c, f);
}

void tells_case_sink(tells_case *c, tells_sink *s) {
  memset(s, 0, sizeof *s);
  s->ud = c;
  s->artifact = sink_artifact;
  s->indicator = sink_indicator;
  s->finding = sink_finding;
  s->event = sink_event;
  s->flow = sink_flow;
}
