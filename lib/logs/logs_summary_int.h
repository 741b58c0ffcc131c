/*
** logs_summary_int.h -- the aggregator's internal objects, shared by
** logs_summary.c (intake of records) and logs_summary_out.c (completion and
** JSON rendering).  Not for other modules: use logs_summary.h.
*/
#ifndef TELLS_LOGS_SUMMARY_INT_H
#define TELLS_LOGS_SUMMARY_INT_H

#include "arena.h"
#include "logs_summary.h"

#define LSUM_NF        8          /* value slots per group */
#define LSUM_NC        8          /* counters per group */
#define LSUM_FIELD_MAX 1024       /* bytes kept of one value */
#define LSUM_DISTINCT  6          /* distinct partners listed per burst tracker */
#define LSUM_SAMPLES   5          /* deleted file names listed per image */

/* Internal group types past the public ones: failure trackers. */
#define LSUM_T_FAIL_ACCT (TELLS_LSUM_NTYPES + 0)
#define LSUM_T_FAIL_SRC  (TELLS_LSUM_NTYPES + 1)
#define LSUM_T_ALL       (TELLS_LSUM_NTYPES + 2)

/* One part of a script block; text owned (tells_malloc). */
typedef struct tells__lsum_part { uint32_t num, len; char *text; } tells__lsum_part;

typedef struct tells__lsum_script {
  uint32_t total;              /* MessageTotal of the first part */
  tells__lsum_part *p;         /* owned, in arrival order */
  uint32_t n, cap;
  uint8_t *seen;               /* bitmap of part numbers, owned */
  size_t bytes;                /* text kept */
  int truncated;               /* some text not kept (caps) */
  uint32_t dups;               /* repeated part numbers */
} tells__lsum_script;

typedef struct tells__lsum_times { int64_t *t; uint32_t n, cap; } tells__lsum_times;

/* One group.  The meaning of f[] and c[] depends on the type; see the
** F_ and C_ names in logs_summary.c.  Strings live in the aggregator's
** arena. */
typedef struct tells__lsum_grp {
  int type;
  uint32_t eid;                /* EventID of the first record */
  const char *f[LSUM_NF];
  uint64_t c[LSUM_NC];
  uint64_t count;
  int64_t first, last;         /* INT64_MIN when unknown */
  const char *evidence;        /* of the first record */
  int64_t off, record;
  const char *key;             /* lowercased identity */
  tells__lsum_times times;     /* failure or deletion times, owned */
  tells__lsum_script *sb;      /* script blocks, owned */
} tells__lsum_grp;

struct tells_lsum {
  tells_lsum_caps caps;
  tells_lsum_stats st;
  tells_arena a;               /* strings */
  tells__lsum_grp *g; size_t n, cap;
  uint64_t per_type[LSUM_T_ALL]; /* groups held per type, trackers included */
  uint32_t *h; size_t hcap;    /* open addressing, index + 1 */
  uint64_t times_used;         /* timestamps held over all groups */
  size_t script_used;          /* script text held over all blocks */
  const char *evidence;        /* current file, in the arena */
  tells_lsum_indicator_fn ind; void *ind_ud;
};

#endif
