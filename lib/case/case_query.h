/*
** case_query.h -- read-only SQL over a case, for the report's own queries
** (aggregates for its charts, capped tables).  Statements that would write
** are refused.
*/
#ifndef TELLS_CASE_QUERY_H
#define TELLS_CASE_QUERY_H

#include "case_api.h"

/* Runs one read-only statement and calls fn for each row (columns named as
** in the views: an alias "x@t" turns integer nanoseconds into RFC 3339 UTC
** text).  TELLS_EARG for a statement that writes, TELLS_EDB on SQL errors. */
tells_err tells_case_query(tells_case *c, const char *sql, tells_row_fn fn, void *ud);

/* 1 when the case has a table of that name (older cases lack newer tables). */
int tells_case_has_table(tells_case *c, const char *name);

#endif
