/*
** case_export_int.h -- shared by the exporters of lib/case/case_export*.c
** (`tells export`, docs/export.md): one function per format and the small
** helpers they share.
*/
#ifndef TELLS_CASE_EXPORT_INT_H
#define TELLS_CASE_EXPORT_INT_H

#include "case_int.h"
#include "json.h"

/* Each writes its format to `out`; *n counts records (lines or objects). */
tells_err tells__export_csv(tells_case *c, tells_export_what what, FILE *out, uint64_t *n);
tells_err tells__export_timesketch(tells_case *c, FILE *out, uint64_t *n);
tells_err tells__export_eve(tells_case *c, FILE *out, uint64_t *n);
tells_err tells__export_stix(tells_case *c, FILE *out, uint64_t *n);

/* Prepares `sql`; NULL after recording the error in the case. */
sqlite3_stmt *tells__export_prep(tells_case *c, const char *sql);
/* Text of a column, or NULL for SQL NULL. */
const char *tells__export_col(sqlite3_stmt *s, int i);

/* RFC 3339 UTC with exactly `digits` fraction digits (3: STIX, 6: ISO). */
void tells__export_time(int64_t ns, int digits, char out[48]);

#endif
