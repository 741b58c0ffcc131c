/*
** reasm.c -- TCP stream reassembly with bounded memory (see reasm.h).
*/
#include <string.h>
#include "alloc.h"
#include "reasm.h"

struct tells_reasm_seg {
  tells_reasm_seg *next;
  uint32_t seq, len;
  uint8_t data[];
};

static size_t pool_cap(const tells_reasm_pool *pool) {
  return pool->cap ? pool->cap : TELLS_REASM_POOL_DEFAULT;
}

static void free_held(tells_reasm_pool *pool, tells_reasm_dir *d) {
  tells_reasm_seg *s = d->held, *nx;
  for (; s; s = nx) {
    nx = s->next;
    pool->used -= s->len;
    tells_free(s);
  }
  d->held = NULL;
  d->n_held = 0;
  d->held_bytes = 0;
}

void tells_reasm_stop(tells_reasm_pool *pool, tells_reasm *r, int dir) {
  free_held(pool, &r->d[dir]);
  r->d[dir].state = TELLS_REASM_DONE;
}

void tells_reasm_free(tells_reasm_pool *pool, tells_reasm *r) {
  free_held(pool, &r->d[0]);
  free_held(pool, &r->d[1]);
}

/* Hands n in-order bytes to the parser and charges the budget. */
static void deliver(tells_reasm_pool *pool, tells_reasm *r, int dir, const uint8_t *p,
                    uint32_t n, uint32_t gap, tells_reasm_fn fn, void *ud) {
  tells_reasm_dir *d = &r->d[dir];
  uint32_t c;
  if (d->state == TELLS_REASM_DONE || (!n && !gap)) return;
  if (gap) { pool->gaps++; pool->gap_bytes += gap; }
  c = fn(ud, dir, p, n, gap);
  if (c == TELLS_REASM_STOP) { tells_reasm_stop(pool, r, dir); return; }
  if (c > n) c = n;
  d->charged = c >= TELLS_REASM_BUDGET - d->charged ? TELLS_REASM_BUDGET : d->charged + c;
  if (d->charged >= TELLS_REASM_BUDGET) tells_reasm_stop(pool, r, dir);
}

/* Delivers the held segments that the expected sequence number reached. */
static void drain(tells_reasm_pool *pool, tells_reasm *r, int dir, tells_reasm_fn fn, void *ud) {
  tells_reasm_dir *d = &r->d[dir];
  while (d->state == TELLS_REASM_TRACK && d->held && (int32_t)(d->held->seq - d->next) <= 0) {
    tells_reasm_seg *s = d->held;
    uint32_t k = d->next - s->seq;
    d->held = s->next;
    d->n_held--;
    d->held_bytes -= s->len;
    pool->used -= s->len;
    if (k < s->len) {
      d->next = s->seq + s->len;
      deliver(pool, r, dir, s->data + k, s->len - k, 0, fn, ud);
    }
    tells_free(s);
  }
}

/* Gives up on the hole before the first held segment: reports it as a gap
** and delivers from there on. */
static void skip_hole(tells_reasm_pool *pool, tells_reasm *r, int dir, tells_reasm_fn fn,
                      void *ud) {
  tells_reasm_dir *d = &r->d[dir];
  tells_reasm_seg *s = d->held;
  uint32_t gap = s->seq - d->next;
  d->held = s->next;
  d->n_held--;
  d->held_bytes -= s->len;
  pool->used -= s->len;
  d->next = s->seq + s->len;
  deliver(pool, r, dir, s->data, s->len, gap, fn, ud);
  tells_free(s);
  drain(pool, r, dir, fn, ud);
}

static int insert_piece(tells_reasm_pool *pool, tells_reasm_dir *d, tells_reasm_seg **at,
                        uint32_t seq, const uint8_t *p, uint32_t n) {
  tells_reasm_seg *s;
  if (d->n_held >= TELLS_REASM_MAX_HELD || n > TELLS_REASM_HELD_BYTES - d->held_bytes ||
      n > pool_cap(pool) - pool->used)
    return 0;
  s = tells_malloc(sizeof *s + n);
  if (!s) return 0;
  s->seq = seq; s->len = n;
  memcpy(s->data, p, n);
  s->next = *at;
  *at = s;
  d->n_held++;
  d->held_bytes += n;
  pool->used += n;
  pool->held++;
  return 1;
}

/* Holds [seq, seq+n) minus what is already held (first wins).  Returns 0
** when a limit stopped it (the pieces before that are held). */
static int hold(tells_reasm_pool *pool, tells_reasm_dir *d, uint32_t seq, const uint8_t *p,
                uint32_t n) {
  tells_reasm_seg **at = &d->held;
  while (n) {
    tells_reasm_seg *s = *at;
    uint32_t end;
    if (!s || (int32_t)(seq + n - s->seq) <= 0) return insert_piece(pool, d, at, seq, p, n);
    end = s->seq + s->len;
    if ((int32_t)(s->seq - seq) > 0) {          /* a piece before s */
      uint32_t k = s->seq - seq;
      if (!insert_piece(pool, d, at, seq, p, k)) return 0;
      at = &(*at)->next;
      seq += k; p += k; n -= k;
    }
    if ((int32_t)(end - seq) > 0) {             /* the part s already covers */
      uint32_t k = end - seq;
      if (k >= n) { pool->dropped_dup++; return 1; }
      seq += k; p += k; n -= k;
    }
    at = &s->next;
  }
  return 1;
}

void tells_reasm_segment(tells_reasm_pool *pool, tells_reasm *r, int dir, uint32_t seq,
                         uint8_t tcp_flags, const uint8_t *p, uint32_t n,
                         tells_reasm_fn fn, void *ud) {
  tells_reasm_dir *d = &r->d[dir & 1];
  dir &= 1;
  if (d->state == TELLS_REASM_DONE) return;
  if (tcp_flags & 0x02) {                       /* SYN: the ISN */
    if (d->state == TELLS_REASM_NONE) { d->next = seq + 1; d->state = TELLS_REASM_TRACK; }
    seq++;                                      /* data on a SYN follows the ISN */
  }
  if (!n || !p) return;
  if (d->state == TELLS_REASM_NONE) { d->next = seq; d->state = TELLS_REASM_TRACK; }
  for (;;) {
    int32_t off = (int32_t)(seq - d->next);
    if (off <= 0) {
      uint32_t k = (uint32_t)0 - (uint32_t)off;
      if (k >= n) { pool->dropped_dup++; return; }   /* retransmission */
      p += k; n -= k;
      d->next += n;
      deliver(pool, r, dir, p, n, 0, fn, ud);
      drain(pool, r, dir, fn, ud);
      return;
    }
    if (hold(pool, d, seq, p, n)) return;
    pool->dropped_full++;
    if (!d->held) {                             /* nothing to wait for: skip to here */
      uint32_t gap = (uint32_t)off;
      d->next = seq + n;
      deliver(pool, r, dir, p, n, gap, fn, ud);
      return;
    }
    skip_hole(pool, r, dir, fn, ud);
    if (d->state != TELLS_REASM_TRACK) return;
  }
}

void tells_reasm_flush(tells_reasm_pool *pool, tells_reasm *r, tells_reasm_fn fn, void *ud) {
  int dir;
  for (dir = 0; dir < 2; dir++)
    while (r->d[dir].state == TELLS_REASM_TRACK && r->d[dir].held) skip_hole(pool, r, dir, fn, ud);
}
