/*
** case_api.h -- the case store as the rest of the library uses it.
**
** Ingest side: begin an evidence file, stream its results (the functions of
** the sink in ingest.h), then commit it or roll it back, one transaction per
** file.  Read side: iterate the rows of a view, used by `tells show` and the
** report.
*/
#ifndef TELLS_CASE_API_H
#define TELLS_CASE_API_H

#include <stdint.h>
#include "anom.h"
#include "ingest.h"
#include "tells.h"

/* What the store knows of a path or content already ingested. */
typedef struct tells_case_seen {
  int64_t id;                /* 0 when none */
  int64_t size, mtime_ns;
  char sha256[65];
  char status[24];
} tells_case_seen;

/* The path the case was opened with. */
const char *tells_case_path(const tells_case *c);

tells_err tells_case_run_begin(tells_case *c, const char *argv_text,
                               int *interrupted_run /* OUT */);
tells_err tells_case_run_end(tells_case *c, const tells_investigate_stats *st);

/* True when the case holds no evidence row at all. */
int tells_case_is_empty(tells_case *c);

/* Completed evidence row for `path`, if any. */
tells_err tells_case_find_path(tells_case *c, const char *path,
                               tells_case_seen *out /* OUT */);
/* Completed, analysed evidence row with this SHA-256, if any. */
tells_err tells_case_find_sha(tells_case *c, const char *sha256,
                              tells_case_seen *out /* OUT */);

typedef struct tells_case_file {
  const char *path;
  int64_t size, mtime_ns;
  tells_kind kind;
} tells_case_file;

/* Opens the transaction of one evidence file and inserts its row. */
tells_err tells_case_file_begin(tells_case *c, const tells_case_file *f);
/* The sink that writes into the open evidence row. */
void tells_case_sink(tells_case *c, tells_sink *s /* OUT */);

typedef struct tells_case_done {
  const char *status;        /* "analysed", "not_analysed", "duplicate" */
  const char *reason;        /* NULL when analysed */
  const char *sha256, *sha1, *md5;  /* sha1/md5 may be NULL */
  int64_t first_ns, last_ns;
  const char *summary_json;  /* JSON object or NULL */
  int64_t duplicate_of;      /* evidence id, or 0 */
  const tells_anoms *anoms;
} tells_case_done;

/* Completes the evidence row and commits. */
tells_err tells_case_file_commit(tells_case *c, const tells_case_done *d);
/* Records a file that has no rows but its own (not analysed, duplicate) in
** one statement, without a savepoint: the single INSERT is atomic. */
tells_err tells_case_file_record(tells_case *c, const tells_case_file *f,
                                 const tells_case_done *d);
/* Commits the evidence files ingested so far (they are group-committed;
** see case.c).  Call before reading the case back or waiting on anything. */
tells_err tells_case_flush(tells_case *c);
/* Abandons the open evidence file (nothing of it remains). */
void tells_case_file_rollback(tells_case *c);

/* Records a file that could not be read at all, in its own transaction. */
tells_err tells_case_file_failed(tells_case *c, const tells_case_file *f,
                                 const char *reason);

/* ---- reading ---- */
typedef struct tells_row {
  int n;                     /* columns */
  const char *const *name;   /* column names */
  const char *const *text;   /* values as text, NULL for SQL NULL */
  const int *is_num;         /* column holds an integer or real */
} tells_row;
typedef int (*tells_row_fn)(void *ud, const tells_row *row); /* non-0 stops */

tells_err tells_case_rows(tells_case *c, tells_view view, tells_row_fn fn, void *ud);

/* The ATT&CK tactic lane of a notable event, an SQL expression over the
** column holding its kind; '' for events too common to single out (process
** starts, single file deletions, ordinary logons), which charts count apart.
** Shared by the timeline view and the report's chart. */
#define TELLS_EVENT_LANE_SQL(kind) \
  "CASE WHEN " kind " = 'summary.script_block' THEN 'execution'" \
  " WHEN " kind " IN ('service.installed','task.created','task.updated','account.created'," \
  "'group.member_added') THEN 'persistence'" \
  " WHEN " kind " IN ('logon.failure','summary.logon_burst') THEN 'credential-access'" \
  " WHEN substr(" kind ", 1, 4) = 'rdp.' THEN 'lateral-movement'" \
  " WHEN " kind " = 'log.cleared' THEN 'defense-evasion'" \
  " WHEN " kind " = 'summary.mass_deletion' THEN 'impact'" \
  " ELSE '' END"

/* Formats ns since the epoch as RFC 3339 UTC ("2014-11-24T08:30:00.5Z"). */
void tells_time_fmt(int64_t ns, char out[40]);

#endif
