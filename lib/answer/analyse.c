/*
** analyse.c -- runs the analysis stages over a case in one transaction.
**
** Derived rows are never patched: each run drops what the last analysis
** wrote (links, link_findings, answers, the chain and raised severity of
** findings) and derives it again from the evidence rows, so the result
** depends only on the evidence in the case, never on the order of runs.
*/
#include "analyse.h"
#include "answers.h"
#include "case_int.h"
#include "correlate.h"

static const char CLEAR[] =
  "DELETE FROM link_findings;"
  "DELETE FROM links;"
  "DELETE FROM answers;"
  "DELETE FROM findings WHERE source='correlate';"
  "UPDATE findings SET severity=base_severity WHERE base_severity IS NOT NULL;"
  "UPDATE findings SET chain=NULL, base_severity=NULL"
  " WHERE chain IS NOT NULL OR base_severity IS NOT NULL;";

tells_err tells_analyse(tells_case *c) {
  tells_err e;
  if ((e = tells_case_flush(c))) return e;
  if ((e = tells__case_exec(c, "BEGIN IMMEDIATE"))) return e;
  if ((e = tells__case_exec(c, CLEAR))) goto fail;
  /* the stages, in pipeline order */
  if ((e = tells_correlate(c))) goto fail;
  if ((e = tells_answers_build(c))) goto fail;
  return tells__case_exec(c, "COMMIT");
fail:
  sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
  return e;
}
