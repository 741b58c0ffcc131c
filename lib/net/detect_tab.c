/*
** detect_tab.c -- the bounded hash table behind the detectors (detect.h):
** fixed-size keys and values, open addressing with linear probing, grown by
** doubling up to a cap on entries; never shrinks, never deletes.  Slots hold
** only the key and a pointer to the value; values live in blocks allocated
** as entries arrive (stable addresses), so a table of big values starts
** small: one is made per capture.
*/
#include <string.h>
#include "alloc.h"
#include "detect.h"

#define R8(x) (((x) + 7u) & ~(size_t)7u)
#define DTAB_BLOCK 32u             /* values per block */

void tells__dtab_init(tells__dtab *t, size_t ksize, size_t vsize, uint32_t max) {
  memset(t, 0, sizeof *t);
  t->ksize = ksize; t->vsize = R8(vsize);
  t->ssize = 8 + R8(ksize) + sizeof(uint8_t *);
  t->max = max ? max : 1;
}

void tells__dtab_free(tells__dtab *t) {
  uint32_t i;
  for (i = 0; i < t->nblk; i++) tells_free(t->blk[i]);
  tells_free(t->blk);
  tells_free(t->slots);
  t->slots = NULL; t->blk = NULL;
  t->cap = t->n = t->nblk = t->cblk = 0;
}

static uint64_t hash(const uint8_t *k, size_t n) {
  uint64_t h = 1469598103934665603ull;
  size_t i;
  for (i = 0; i < n; i++) h = (h ^ k[i]) * 1099511628211ull;
  return h ^ (h >> 29);
}

static uint8_t *slot(const tells__dtab *t, uint32_t i) { return t->slots + (size_t)i * t->ssize; }

static void *slot_val(const tells__dtab *t, const uint8_t *s) {
  uint8_t *v;
  memcpy(&v, s + 8 + R8(t->ksize), sizeof v);
  return v;
}

static int grow(tells__dtab *t) {
  uint32_t nc = t->cap ? t->cap * 2 : 1024, i;
  uint8_t *old = t->slots, *ns;
  uint32_t oc = t->cap;
  if (!(ns = tells_calloc(nc, t->ssize))) return 0;
  t->slots = ns; t->cap = nc;
  for (i = 0; i < oc; i++) {
    uint8_t *s = old + (size_t)i * t->ssize;
    uint32_t j;
    if (!s[0]) continue;
    j = (uint32_t)hash(s + 8, t->ksize) & (nc - 1);
    while (slot(t, j)[0]) j = (j + 1) & (nc - 1);
    memcpy(slot(t, j), s, t->ssize);
  }
  tells_free(old);
  return 1;
}

/* The zeroed value of entry number t->n, or NULL without memory. */
static uint8_t *new_val(tells__dtab *t) {
  uint32_t b = t->n / DTAB_BLOCK;
  if (b >= t->nblk) {
    if (t->nblk == t->cblk) {
      uint32_t nc = t->cblk ? t->cblk * 2 : 8;
      uint8_t **nb = tells_realloc(t->blk, (size_t)nc * sizeof *nb);
      if (!nb) return NULL;
      t->blk = nb; t->cblk = nc;
    }
    if (!(t->blk[t->nblk] = tells_calloc(DTAB_BLOCK, t->vsize))) return NULL;
    t->nblk++;
  }
  return t->blk[b] + (size_t)(t->n % DTAB_BLOCK) * t->vsize;
}

void *tells__dtab_get(tells__dtab *t, const void *key, int create, int *created) {
  uint32_t j;
  uint8_t *s, *v;
  if (created) *created = 0;
  if (t->cap) {
    j = (uint32_t)hash(key, t->ksize) & (t->cap - 1);
    for (;; j = (j + 1) & (t->cap - 1)) {
      s = slot(t, j);
      if (!s[0]) break;
      if (memcmp(s + 8, key, t->ksize) == 0) return slot_val(t, s);
    }
  }
  if (!create || t->n >= t->max) return NULL;
  if ((uint64_t)(t->n + 1) * 2 > t->cap && !grow(t)) return NULL;   /* load <= 1/2 */
  if (!(v = new_val(t))) return NULL;
  j = (uint32_t)hash(key, t->ksize) & (t->cap - 1);
  while (slot(t, j)[0]) j = (j + 1) & (t->cap - 1);
  s = slot(t, j);
  s[0] = 1;
  memcpy(s + 8, key, t->ksize);
  memcpy(s + 8 + R8(t->ksize), &v, sizeof v);
  t->n++;
  if (created) *created = 1;
  return v;
}

const void *tells__dtab_key(const tells__dtab *t, uint32_t i) {
  uint8_t *s = slot(t, i);
  return s[0] ? s + 8 : NULL;
}

void *tells__dtab_val(const tells__dtab *t, uint32_t i) {
  uint8_t *s = slot(t, i);
  return s[0] ? slot_val(t, s) : NULL;
}
