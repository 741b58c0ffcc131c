/*
** tlsh_index.h -- nearest-neighbour search over many TLSH digests.
**
** The reference library of `tells lib` holds up to millions of digests; a
** query asks for the k nearest with a distance at most a threshold.  The
** index is a vantage-point tree over a metric that is a lower bound of the
** TLSH distance, so results are exact: equal to a linear scan, ties broken
** by the caller's id.  Design note: docs/internals/tlsh.md ("The index").
**
** Only standard digests (128 buckets, 1 checksum byte: the T1 form of
** `tells code`) are indexed; the others are skipped and counted.
*/
#ifndef TELLS_TLSH_INDEX_H
#define TELLS_TLSH_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include "tlsh.h"

typedef struct tells_tlshidx tells_tlshidx;

typedef struct tells_tlshidx_hit {
  uint32_t id;      /* the id given at build time */
  int dist;         /* TLSH distance to the query */
} tells_tlshidx_hit;

/* Work done by one query, for benchmarks and tests. */
typedef struct tells_tlshidx_stats {
  uint64_t distances;   /* full distances computed */
  uint64_t bounds;      /* lower bounds computed (vantage points) */
  uint64_t nodes;       /* tree nodes visited */
} tells_tlshidx_stats;

/* Builds an index of the n digests d[i] with ids[i] (ids NULL: id = i).
** with_len: the distance includes the length term (the default of the
** `tlsh` tool).  Digests of other variants, or without a digest, are left
** out (*skipped counts them; may be NULL).  n is capped at UINT32_MAX.
** Returns TELLS_OK, TELLS_ENOMEM, TELLS_ELIMIT (too many). */
tells_err tells_tlshidx_build(const tells_tlsh *d, const uint32_t *ids, size_t n,
                              int with_len, tells_tlshidx **out /* OUT */,
                              size_t *skipped /* OUT */);
void tells_tlshidx_free(tells_tlshidx *ix);
size_t tells_tlshidx_count(const tells_tlshidx *ix);

/* The at most k entries nearest to q with distance <= max_dist, written to
** out[0..k) sorted by (distance, id); returns how many.  A query of another
** variant, or k == 0, returns 0.  st may be NULL. */
size_t tells_tlshidx_query(const tells_tlshidx *ix, const tells_tlsh *q, size_t k,
                           int max_dist, tells_tlshidx_hit *out /* OUT */,
                           tells_tlshidx_stats *st /* OUT */);

/* The same answer by a linear scan over every indexed digest: the anchor
** of bench/bench_tlsh_index.sh and of the tests. */
size_t tells_tlshidx_linear(const tells_tlshidx *ix, const tells_tlsh *q, size_t k,
                            int max_dist, tells_tlshidx_hit *out /* OUT */);

/* Internal: the best leaf kernel queries may use: 0 SWAR counts, 1 the
** POPCNT instruction, 2 AVX2 four records at a time (x86 CPUs that have
** them, checked at run time).  max >= 0 sets the limit (2 by default), -1
** only asks; returns the kernel queries will use.  For tests and
** benchmarks; not thread-safe against concurrent queries. */
int tells__tlshidx_kernel(int max);

#endif /* TELLS_TLSH_INDEX_H */
