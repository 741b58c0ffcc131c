/*
** report_int.h -- what the files of lib/report/ share: the writer state, the
** escaping every string from the case goes through, formatting helpers and
** the sections.  The report reads the case only through case_api.h and
** case_query.h (read-only SQL).
*/
#ifndef TELLS_REPORT_INT_H
#define TELLS_REPORT_INT_H

#include <stdint.h>
#include <stdio.h>
#include "case_api.h"
#include "case_query.h"

/* Row caps of the tables (a browser lays out ~3000 table rows a second on a
** small VM); what is left out is counted and named. */
#define REP_MAX_FINDINGS    5000
#define REP_MAX_TIMELINE    2000
#define REP_MAX_FLOWS       1000
#define REP_MAX_INDICATORS  1000
#define REP_MAX_EVIDENCE    5000
#define REP_MAX_ANOMALIES   2000

/* A flow a finding refers to (details "flows" list, or ref_flow). */
typedef struct rep_ref {
  int64_t finding, flow;
  char tactic[32], src[48], dst[48], cc[8];
} rep_ref;
#define REP_MAX_REFS 20000

typedef struct rep {
  tells_case *c;
  FILE *o;
  int has_answers;         /* schema 3 tables present */
  int64_t t0, t1;          /* the activity axis of the charts (ns), t0 < t1 */
  int has_axis;
  rep_ref *refs;           /* sorted by finding, flow; owned */
  size_t nrefs;
} rep;

/* HTML-escapes s (text and attribute values alike); control and invalid
** UTF-8 bytes show as \xNN.  At most `max` bytes of s are written (0: all),
** then an ellipsis. */
void tells__report_esc(FILE *o, const char *s);
void tells__report_escn(FILE *o, const char *s, size_t max);
/* Read-only query over the case. */
tells_err tells__report_query(rep *r, const char *sql, tells_row_fn fn, void *ud);
/* One integer from a one-row query (def when NULL or no row). */
int64_t tells__report_query_i64(rep *r, const char *sql, int64_t def);
int64_t tells__report_i64(const char *s);             /* NULL -> 0 */
double tells__report_f64(const char *s);
void tells__report_bytes(char out[32], double b);     /* "155.6 MB" */
void tells__report_time(char out[40], int64_t ns);    /* "2014-11-23 21:02Z" */
/* SQL condition: the column holds an RFC 1918 private IPv4 address. */
#define REP_SQL_PRIVATE(col) \
  "(" col " LIKE '10.%' OR " col " LIKE '192.168.%' OR (" col " LIKE '172.%' AND" \
  " CAST(substr(" col ", 5, instr(substr(" col ", 5), '.') - 1) AS INTEGER) BETWEEN 16 AND 31))"

/* Loads r->refs (report_refs.c); the first flow a finding refers to, or 0. */
tells_err tells__report_refs_load(rep *r);
int64_t tells__report_refs_first(const rep *r, int64_t finding);
/* "(id,id,...)" of the referenced flows, or NULL when none; tells_free it. */
char *tells__report_refs_list(const rep *r);

/* The sections, in report order. */
tells_err tells__report_summary(rep *r);
tells_err tells__report_answers(rep *r);
tells_err tells__report_chart_timeline(rep *r);
tells_err tells__report_chart_exfil(rep *r);
tells_err tells__report_chart_countries(rep *r);
tells_err tells__report_graph(rep *r);
tells_err tells__report_tables(rep *r);

/* The ATT&CK tactic lanes in kill-chain order (other tactics follow). */
extern const char *const tells__report_lanes[];
#define REP_N_LANES 16   /* the ATT&CK tactics in kill-chain order (v19 adds 2) */

#endif
