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

#endif
