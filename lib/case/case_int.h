/*
** case_int.h -- the case store's internals, shared by the files of lib/case/.
**
** lib/case/ is the only code that includes sqlite3.h; the rest of tells sees
** a case through tells.h and through case_api.h.
*/
#ifndef TELLS_CASE_INT_H
#define TELLS_CASE_INT_H

#include <sqlite3.h>
#include "case_api.h"

enum {
  ST_FIND_BY_PATH, ST_FIND_BY_SHA, ST_INS_EVIDENCE, ST_UPD_EVIDENCE,
  ST_INS_ANOM, ST_INS_ARTIFACT, ST_UPS_INDICATOR, ST_INS_SIGHTING,
  ST_INS_FINDING, ST_INS_EVENT, ST_INS_FLOW, ST_DEL_FAILED,
  ST_SAVEPOINT, ST_RELEASE, ST_ROLLBACK_TO, ST_INS_FULL, ST_COUNT
};

struct tells_case {
  sqlite3 *db;                 /* owned */
  char *path;                  /* owned */
  int readonly;
  int64_t run_id;              /* current run, 0 outside investigate */
  int64_t cur_evidence;        /* evidence row being ingested, 0 if none */
  sqlite3_stmt *st[ST_COUNT];  /* prepared on first use; owned */
  int in_batch;                /* a group-commit transaction is open */
  int has_failed;              /* the case may hold 'failed' evidence rows */
  int batch_files;             /* evidence files released into it */
  int64_t batch_started_ns;    /* monotonic time it was opened */
  struct tells__case_q *q;     /* the writer thread while a run ingests
                                  (case_async.c), or NULL */
  char errmsg[512];
};

/* Records SQLite's message for `rc` and returns TELLS_EDB. */
tells_err tells__case_dberr(tells_case *c, const char *what);
sqlite3_stmt *tells__case_stmt(tells_case *c, int which, const char *sql);
tells_err tells__case_exec(tells_case *c, const char *sql);
/* Binds v, or NULL when v equals `none` (TELLS_NO_TIME, TELLS_NO_REF...). */
void tells__case_bind_i64(sqlite3_stmt *s, int i, int64_t v, int64_t none);
/* Binds a copy of the string, or NULL. */
void tells__case_bind_str(sqlite3_stmt *s, int i, const char *v);
/* Steps a write statement once and resets it; TELLS_EDB with `what`. */
tells_err tells__case_step(tells_case *c, sqlite3_stmt *s, const char *what);
/* Steps a read statement to its end, giving each row to fn as text (an
** alias "x@t" turns integer nanoseconds into RFC 3339 UTC), and finalizes
** it; TELLS_EDB with `what` on errors. */
tells_err tells__case_step_rows(tells_case *c, sqlite3_stmt *s, tells_row_fn fn, void *ud,
                                const char *what);

/* case_async.c: the writer thread.  start (for a case without evidence),
** drain (waits for the queued writes, returns the first failure), stop
** (drains, then ends the thread); find_sha: 1 when it answered
** tells_case_find_sha from the digests queued in this run (*err set), 0
** when the case must be asked. */
tells_err tells__case_async_start(tells_case *c);
tells_err tells__case_async_drain(tells_case *c);
tells_err tells__case_async_stop(tells_case *c);
int tells__case_async_find_sha(tells_case *c, const char *sha256, tells_case_seen *out,
                               tells_err *err);
/* ... the queued forms of the write calls (case.c, case_sink.c use them
** while c->q is set), and the direct forms the thread runs. */
tells_err tells__case_q_begin(tells_case *c, const tells_case_file *f);
tells_err tells__case_q_commit(tells_case *c, const tells_case_done *d);
tells_err tells__case_q_rollback(tells_case *c);
tells_err tells__case_q_record(tells_case *c, const tells_case_file *f, const tells_case_done *d);
tells_err tells__case_q_failed(tells_case *c, const tells_case_file *f, const char *reason);
tells_err tells__case_q_artifact(tells_case *c, const char *kind, const char *json);
tells_err tells__case_q_indicator(tells_case *c, const char *type, const char *value,
                                  int64_t time_ns, int64_t last_ns, uint64_t count,
                                  const char *context, int64_t off);
tells_err tells__case_q_finding(tells_case *c, const tells_finding *f);
tells_err tells__case_q_event(tells_case *c, const tells_event *e);
tells_err tells__case_q_flow(tells_case *c, const tells_flow_row *f);
tells_err tells__case_file_begin_now(tells_case *c, const tells_case_file *f);
tells_err tells__case_file_commit_now(tells_case *c, const tells_case_done *d);
void tells__case_file_rollback_now(tells_case *c);
tells_err tells__case_file_record_now(tells_case *c, const tells_case_file *f,
                                      const tells_case_done *d);
tells_err tells__case_file_failed_now(tells_case *c, const tells_case_file *f, const char *reason);
tells_err tells__case_artifact_now(tells_case *c, const char *kind, const char *json);
tells_err tells__case_indicator_now(tells_case *c, const char *type, const char *value,
                                    int64_t time_ns, int64_t last_ns, uint64_t count,
                                    const char *context, int64_t off);
tells_err tells__case_finding_now(tells_case *c, const tells_finding *f);
tells_err tells__case_event_now(tells_case *c, const tells_event *e);
tells_err tells__case_flow_now(tells_case *c, const tells_flow_row *f);

#endif
