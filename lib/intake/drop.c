/*
** drop.c -- releases the pages of a mapped evidence file behind its
** readers (see drop.h).
*/
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "drop.h"

void tells_drop_init(tells_drop *d, const uint8_t *p, size_t len, unsigned readers) {
  int i;
  memset(d, 0, sizeof *d);
  d->p = p; d->len = len;
  for (i = 0; i < TELLS_DROP_READERS; i++) d->pos[i] = readers & (1u << i) ? 0 : len;
}

void tells_drop_at(tells_drop *d, int r, size_t off) {
  size_t pg = (size_t)sysconf(_SC_PAGESIZE), low = d->len, to;
  int i;
  if (!d->p || r < 0 || r >= TELLS_DROP_READERS) return;
  if (off > d->len) off = d->len;
  __atomic_store_n(&d->pos[r], off, __ATOMIC_RELAXED);
  for (i = 0; i < TELLS_DROP_READERS; i++) {
    size_t o = i == r ? off : __atomic_load_n(&d->pos[i], __ATOMIC_RELAXED);
    if (o < low) low = o;
  }
  /* wait for the slowest reader, but not more than LAG */
  if (off >= TELLS_DROP_LAG && low < off - TELLS_DROP_LAG) low = off - TELLS_DROP_LAG;
  if (low < d->len) {                   /* someone still reads: keep SLACK */
    if (low < TELLS_DROP_SLACK) return;
    low -= TELLS_DROP_SLACK;
  }
  to = low - low % pg;
  if (to <= d->mark[r] || (to - d->mark[r] < TELLS_DROP_STEP && to < d->len - d->len % pg))
    return;
  (void)madvise((void *)(uintptr_t)(d->p + d->mark[r]), to - d->mark[r], MADV_DONTNEED);
  __atomic_fetch_add(&d->released, (uint64_t)(to - d->mark[r]), __ATOMIC_RELAXED);
  d->mark[r] = to;
}

/* A last sweep from the start: a reader may have gone back (YARA reads a
** whole file again after its scanner). */
void tells_drop_done(tells_drop *d, int r) {
  if (r < 0 || r >= TELLS_DROP_READERS) return;
  d->mark[r] = 0;
  tells_drop_at(d, r, d->len);
}
