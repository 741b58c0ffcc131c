/*
** case_query.c -- read-only SQL over a case for the report (see
** case_query.h), and the row stepping the views of case_view.c share.
*/
#include <string.h>
#include "case_int.h"
#include "case_query.h"

#define MAX_COLS 32

/* Steps s to its end, giving each row to fn as text, and finalizes it. */
tells_err tells__case_step_rows(tells_case *c, sqlite3_stmt *s, tells_row_fn fn, void *ud,
                                const char *what) {
  const char *names[MAX_COLS], *texts[MAX_COLS];
  int is_num[MAX_COLS];
  char tbuf[MAX_COLS][40];
  tells_row row;
  int rc, i, n;
  n = sqlite3_column_count(s);
  if (n > MAX_COLS) n = MAX_COLS;
  for (i = 0; i < n; i++) names[i] = sqlite3_column_name(s, i);
  row.n = n; row.name = names; row.text = texts; row.is_num = is_num;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    for (i = 0; i < n; i++) {
      int type = sqlite3_column_type(s, i);
      const char *at = strchr(names[i], '@');
      is_num[i] = type == SQLITE_INTEGER || type == SQLITE_FLOAT;
      if (type == SQLITE_NULL) { texts[i] = NULL; continue; }
      if (at && at[1] == 't' && type == SQLITE_INTEGER) {
        tells_time_fmt(sqlite3_column_int64(s, i), tbuf[i]);
        texts[i] = tbuf[i];
        is_num[i] = 0;
        continue;
      }
      texts[i] = (const char *)sqlite3_column_text(s, i);
    }
    if (fn(ud, &row)) break;
  }
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return tells__case_dberr(c, what);
  return TELLS_OK;
}

tells_err tells_case_query(tells_case *c, const char *sql, tells_row_fn fn, void *ud) {
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(c->db, sql, -1, &s, NULL) != SQLITE_OK)
    return tells__case_dberr(c, "report query");
  if (!sqlite3_stmt_readonly(s)) { sqlite3_finalize(s); return TELLS_EARG; }
  return tells__case_step_rows(c, s, fn, ud, "report query");
}

int tells_case_has_table(tells_case *c, const char *name) {
  sqlite3_stmt *s;
  int found = 0;
  if (sqlite3_prepare_v2(c->db, "SELECT 1 FROM sqlite_schema WHERE type='table' AND name=?",
                         -1, &s, NULL) != SQLITE_OK)
    return 0;
  sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
  found = sqlite3_step(s) == SQLITE_ROW;
  sqlite3_finalize(s);
  return found;
}
