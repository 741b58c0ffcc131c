/*
** scan_int.h -- what scan.c and scan_pool.c share: the sink that gathers a
** file's results as JSON text, and the members of a file's object.
*/
#ifndef TELLS_SCAN_INT_H
#define TELLS_SCAN_INT_H

#include <stdint.h>
#include "buf.h"
#include "ingest.h"
#include "json.h"

#define PART_LIMIT (16u << 20)   /* bytes per part of one file's object */

typedef struct jsink {
  tells_buf artifact, indicators, findings, events;
  const char *artifact_kind;
  uint64_t n_ind, n_find, n_ev;
  int has_build;              /* a "pe.compiled" event was sent: */
  int64_t build_ns;           /* its time, for the set of build times */
} jsink;

/* Sets up s and points sink at it; tells__jsink_free() releases s. */
void tells__jsink_init(jsink *s, tells_sink *sink);
void tells__jsink_free(jsink *s);
/* Writes summary, artifact, indicators, findings, events and anomalies of a
** scanned file into the open object j. */
void tells__scan_results(tells_json *j, const tells_ingest *ig, const jsink *s);

#endif
