/*
** anom.h -- anomaly records: a malformed structure is evidence, not a crash.
**
** A parser that meets something wrong (a truncated table, a count over its
** cap, a checksum that does not match) records an anomaly with the absolute
** offset in the file and carries on where that is safe (Suricata's decoder
** events, Zeek's weirds).  A list keeps at most TELLS_MAX_ANOMALIES_PER_FILE
** records and counts the rest, so hostile input cannot exhaust memory.
*/
#ifndef TELLS_ANOM_H
#define TELLS_ANOM_H

#include <stdint.h>
#include "rd.h"

typedef struct tells_anom {
  uint64_t off;          /* absolute offset in the evidence file */
  const char *code;      /* short stable identifier, static text */
  char *detail;          /* human text; owned by the list */
  const char *src_file;  /* where in tells it was detected (may be NULL) */
  int src_line;
} tells_anom;

typedef struct tells_anoms {
  tells_anom *v;         /* owned array */
  size_t n, cap;
  uint64_t dropped;      /* anomalies past the cap, counted only */
} tells_anoms;

void tells_anoms_init(tells_anoms *l);
void tells_anoms_free(tells_anoms *l);
uint64_t tells_anoms_total(const tells_anoms *l);

/* Records an anomaly.  Never fails: out of memory counts it as dropped. */
void tells_anom_add(tells_anoms *l, uint64_t off, const char *code,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Records the sticky error of a cursor (its offset and source place), with
** `what` naming the structure that was being read. */
void tells_anom_rd(tells_anoms *l, const tells_rd *r, const char *code,
                   const char *what);

#endif
