/*
** case_schema.c -- the case file's schema and its migrations.
**
** A case is one SQLite file.  PRAGMA application_id marks it as a tells case
** and PRAGMA user_version holds the schema version.  MIGRATIONS[i] takes a
** case from version i to i+1; opening a case applies the missing ones in one
** transaction, and refuses a case written by a newer tells.
**
** Times are INTEGER nanoseconds since 1970-01-01 UTC.  The tables follow the
** pipeline: evidence (chain of custody) -> artifacts, flows, events, findings,
** indicators and their sightings, anomalies; runs records each invocation.
*/
#include <string.h>
#include "case_int.h"

#define TELLS_APP_ID 0x74656c6c   /* "tell" */

static const char *const MIGRATIONS[] = {
  /* 0 -> 1: the first schema */
  "CREATE TABLE runs("
  " id INTEGER PRIMARY KEY, started_ns INTEGER NOT NULL, finished_ns INTEGER,"
  " version TEXT NOT NULL, argv TEXT, stats TEXT);"
  "CREATE TABLE evidence("
  " id INTEGER PRIMARY KEY, run_id INTEGER REFERENCES runs(id),"
  " path TEXT NOT NULL, size INTEGER, mtime_ns INTEGER,"
  " kind TEXT NOT NULL, pillar TEXT NOT NULL,"
  " status TEXT NOT NULL,"      /* ingesting|analysed|identified|not_analysed|duplicate|failed */
  " reason TEXT, sha256 TEXT, sha1 TEXT, md5 TEXT,"
  " first_ns INTEGER, last_ns INTEGER, anomalies INTEGER NOT NULL DEFAULT 0,"
  " duplicate_of INTEGER REFERENCES evidence(id), summary TEXT,"
  " ingested_ns INTEGER);"
  "CREATE INDEX evidence_path ON evidence(path);"
  "CREATE INDEX evidence_sha256 ON evidence(sha256);"
  "CREATE TABLE anomalies("
  " id INTEGER PRIMARY KEY, evidence_id INTEGER NOT NULL REFERENCES evidence(id),"
  " offset INTEGER, code TEXT NOT NULL, detail TEXT, source TEXT);"
  "CREATE INDEX anomalies_evidence ON anomalies(evidence_id);"
  "CREATE TABLE artifacts("
  " id INTEGER PRIMARY KEY, evidence_id INTEGER NOT NULL REFERENCES evidence(id),"
  " kind TEXT NOT NULL, details TEXT NOT NULL);"
  "CREATE INDEX artifacts_evidence ON artifacts(evidence_id);"
  "CREATE TABLE flows("
  " id INTEGER PRIMARY KEY, evidence_id INTEGER NOT NULL REFERENCES evidence(id),"
  " first_ns INTEGER, last_ns INTEGER, proto TEXT, app_proto TEXT,"
  " src_ip TEXT, src_port INTEGER, dest_ip TEXT, dest_port INTEGER,"
  " pkts_toserver INTEGER, pkts_toclient INTEGER,"
  " bytes_toserver INTEGER, bytes_toclient INTEGER, state TEXT, details TEXT);"
  "CREATE INDEX flows_evidence ON flows(evidence_id);"
  "CREATE TABLE events("
  " id INTEGER PRIMARY KEY, evidence_id INTEGER NOT NULL REFERENCES evidence(id),"
  " time_ns INTEGER, source TEXT NOT NULL, kind TEXT NOT NULL, summary TEXT,"
  " ref_offset INTEGER, ref_record INTEGER, details TEXT);"
  "CREATE INDEX events_time ON events(time_ns);"
  "CREATE INDEX events_evidence ON events(evidence_id);"
  "CREATE TABLE findings("
  " id INTEGER PRIMARY KEY, evidence_id INTEGER REFERENCES evidence(id),"
  " source TEXT NOT NULL, rule TEXT NOT NULL, title TEXT NOT NULL,"
  " severity TEXT NOT NULL, technique TEXT, tactic TEXT, author TEXT,"
  " first_ns INTEGER, last_ns INTEGER, summary TEXT,"
  " ref_offset INTEGER, ref_record INTEGER, ref_flow INTEGER REFERENCES flows(id),"
  " details TEXT);"
  "CREATE INDEX findings_evidence ON findings(evidence_id);"
  "CREATE INDEX findings_time ON findings(first_ns);"
  "CREATE TABLE indicators("
  " id INTEGER PRIMARY KEY, type TEXT NOT NULL, value TEXT NOT NULL,"
  " UNIQUE(type, value));"
  "CREATE TABLE sightings("
  " id INTEGER PRIMARY KEY, indicator_id INTEGER NOT NULL REFERENCES indicators(id),"
  " evidence_id INTEGER NOT NULL REFERENCES evidence(id),"
  " time_ns INTEGER, context TEXT, ref_offset INTEGER);"
  "CREATE INDEX sightings_indicator ON sightings(indicator_id);"
  "CREATE INDEX sightings_evidence ON sightings(evidence_id);",
  /* 1 -> 2: one sighting row per indicator, evidence file and context, with
  ** the first time (time_ns), the last time and how many times it was seen */
  "ALTER TABLE sightings ADD COLUMN last_ns INTEGER;"
  "ALTER TABLE sightings ADD COLUMN count INTEGER NOT NULL DEFAULT 1;",
  /* 2 -> 3: what the analysis stages derive from the rows above, rebuilt
  ** whole at the end of every run.  links: an indicator seen in more than
  ** one kind of evidence (kinds is a sorted comma list such as
  ** "code,logs,net"); link_findings ties a link to the findings it joins,
  ** and findings.chain names the chain (a link id) a finding belongs to,
  ** with base_severity its severity before correlation raised it.
  ** answers: one row per statement answering one of the case's questions
  ** (question is what|hosts|entry|movement|exfil|destruction|attribution,
  ** ordinal orders the rows of a question); details is a JSON object with
  ** the structured figures, evidence a JSON array of references
  ** ({"finding":id} {"flow":id} {"event":id} {"evidence":id}). */
  "CREATE TABLE links("
  " id INTEGER PRIMARY KEY, indicator_id INTEGER NOT NULL REFERENCES indicators(id),"
  " kinds TEXT NOT NULL, evidence_count INTEGER NOT NULL,"
  " first_ns INTEGER, last_ns INTEGER, severity TEXT NOT NULL, summary TEXT, details TEXT);"
  "CREATE INDEX links_indicator ON links(indicator_id);"
  "CREATE TABLE link_findings("
  " link_id INTEGER NOT NULL REFERENCES links(id),"
  " finding_id INTEGER NOT NULL REFERENCES findings(id),"
  " PRIMARY KEY(link_id, finding_id)) WITHOUT ROWID;"
  "ALTER TABLE findings ADD COLUMN chain INTEGER;"
  "ALTER TABLE findings ADD COLUMN base_severity TEXT;"
  "CREATE TABLE answers("
  " id INTEGER PRIMARY KEY, question TEXT NOT NULL, ordinal INTEGER NOT NULL,"
  " title TEXT NOT NULL, answer TEXT NOT NULL, confidence REAL,"
  " details TEXT, evidence TEXT);"
  "CREATE INDEX answers_question ON answers(question, ordinal);",
};

#define N_MIGRATIONS (int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0])
_Static_assert(sizeof MIGRATIONS / sizeof MIGRATIONS[0] == TELLS_SCHEMA_VERSION,
               "TELLS_SCHEMA_VERSION must equal the number of migrations");

static tells_err pragma_int(tells_case *c, const char *sql, int *out) {
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2(c->db, sql, -1, &s, NULL);
  if (rc != SQLITE_OK) return tells__case_dberr(c, sql);
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) *out = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW) return tells__case_dberr(c, sql);
  return TELLS_OK;
}

/* Applies missing migrations; checks the file is a tells case. */
tells_err tells__case_migrate(tells_case *c) {
  int app = 0, ver = 0, ntab = 0, i;
  tells_err e;
  char sql[64];
  if ((e = pragma_int(c, "PRAGMA application_id", &app))) {
    /* SQLITE_NOTADB surfaces here for files that are not databases */
    if (sqlite3_errcode(c->db) == SQLITE_NOTADB) return TELLS_ENOTCASE;
    return e;
  }
  if ((e = pragma_int(c, "PRAGMA user_version", &ver))) return e;
  if ((e = pragma_int(c, "SELECT count(*) FROM sqlite_schema", &ntab))) return e;
  if (app != TELLS_APP_ID && (app != 0 || ntab != 0)) return TELLS_ENOTCASE;
  if (ver > N_MIGRATIONS) return TELLS_ESCHEMA;
  if (ver == N_MIGRATIONS) return TELLS_OK;
  if (c->readonly) return TELLS_EOLDCASE;
  if ((e = tells__case_exec(c, "BEGIN IMMEDIATE"))) return e;
  for (i = ver; i < N_MIGRATIONS; i++)
    if ((e = tells__case_exec(c, MIGRATIONS[i]))) goto fail;
  snprintf(sql, sizeof sql, "PRAGMA application_id=%d", TELLS_APP_ID);
  if ((e = tells__case_exec(c, sql))) goto fail;
  snprintf(sql, sizeof sql, "PRAGMA user_version=%d", N_MIGRATIONS);
  if ((e = tells__case_exec(c, sql))) goto fail;
  return tells__case_exec(c, "COMMIT");
fail:
  sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
  return e;
}
