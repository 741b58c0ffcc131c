/*
** reasm.h -- per-flow, per-direction TCP stream reassembly for the
** application parsers (app.c).
**
** Each direction tracks the next expected sequence number: from the SYN
** (ISN + 1) or, for a flow picked up mid-stream, from its first segment.
** In-order bytes are handed to the parser straight from the packet (no
** copy).  A segment ahead of the expected number is copied and held, at
** most TELLS_REASM_MAX_HELD segments and TELLS_REASM_HELD_BYTES bytes per
** direction and `cap` bytes over all flows (the pool); bytes already
** delivered or already held win over later copies (retransmissions and
** overlaps are dropped, "first wins").  When a hole cannot be waited for
** any longer -- the hold limits are reached, or the flow ends -- the
** missing byte count is reported to the parser with the next bytes so it
** can resync or stop.
**
** Only the first TELLS_REASM_BUDGET bytes of each direction that the
** parser reads are delivered (bytes it skips, such as HTTP bodies, do not
** count: the callback returns how many bytes to charge); after that the
** direction is done and costs one compare per packet.
*/
#ifndef TELLS_NET_REASM_H
#define TELLS_NET_REASM_H

#include <stddef.h>
#include <stdint.h>

#define TELLS_REASM_BUDGET (64u * 1024)       /* parsed bytes per direction */
#define TELLS_REASM_MAX_HELD 16               /* out-of-order segments held */
#define TELLS_REASM_HELD_BYTES (32u * 1024)   /* bytes held per direction */
#define TELLS_REASM_POOL_DEFAULT (64u << 20)  /* bytes held over all flows */

typedef struct tells_reasm_seg tells_reasm_seg;

/* Memory accounting shared by every flow of a run. */
typedef struct tells_reasm_pool {
  size_t used, cap;            /* bytes held now; limit (0 = default) */
  uint64_t held, dropped_dup, dropped_full, gaps, gap_bytes;
} tells_reasm_pool;

enum { TELLS_REASM_NONE = 0, TELLS_REASM_TRACK, TELLS_REASM_DONE };

typedef struct tells_reasm_dir {
  uint32_t next;               /* next expected sequence number */
  uint32_t charged;            /* bytes charged to the budget */
  uint32_t held_bytes;
  uint8_t state;               /* TELLS_REASM_* */
  uint8_t n_held;
  tells_reasm_seg *held;       /* sorted by sequence; owned */
} tells_reasm_dir;

typedef struct tells_reasm {
  tells_reasm_dir d[2];        /* 0 = to server, 1 = to client */
} tells_reasm;

/* Receives in-order bytes of direction `dir`; `gap` bytes are missing just
** before them (0 normally).  Returns how many of the n bytes count toward
** the budget (the parser read them), or TELLS_REASM_STOP when it wants no
** more bytes of this direction. */
#define TELLS_REASM_STOP UINT32_MAX
typedef uint32_t (*tells_reasm_fn)(void *ud, int dir, const uint8_t *p, uint32_t n,
                                   uint32_t gap);

/* One TCP segment of direction `dir`: sequence number, TCP flags and
** payload.  Delivers whatever becomes in order. */
void tells_reasm_segment(tells_reasm_pool *pool, tells_reasm *r, int dir, uint32_t seq,
                         uint8_t tcp_flags, const uint8_t *p, uint32_t n,
                         tells_reasm_fn fn, void *ud);
/* End of the flow: delivers the held segments across their holes. */
void tells_reasm_flush(tells_reasm_pool *pool, tells_reasm *r, tells_reasm_fn fn, void *ud);
/* Stops a direction and frees what it holds. */
void tells_reasm_stop(tells_reasm_pool *pool, tells_reasm *r, int dir);
/* Frees everything (r itself belongs to the caller). */
void tells_reasm_free(tells_reasm_pool *pool, tells_reasm *r);

#endif
