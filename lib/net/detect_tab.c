/*
** detect_tab.c -- the bounded hash table behind the detectors (detect.h):
** fixed-size keys and values, open addressing with linear probing, grown by
** doubling up to a cap on entries; never shrinks, never deletes.
*/
#include <string.h>
#include "alloc.h"
#include "detect.h"

#define R8(x) (((x) + 7u) & ~(size_t)7u)

void tells__dtab_init(tells__dtab *t, size_t ksize, size_t vsize, uint32_t max) {
  memset(t, 0, sizeof *t);
  t->ksize = ksize; t->vsize = vsize;
  t->ssize = 8 + R8(ksize) + R8(vsize);
  t->max = max ? max : 1;
}

void tells__dtab_free(tells__dtab *t) {
  tells_free(t->slots);
  t->slots = NULL; t->cap = t->n = 0;
}

static uint64_t hash(const uint8_t *k, size_t n) {
  uint64_t h = 1469598103934665603ull;
  size_t i;
  for (i = 0; i < n; i++) h = (h ^ k[i]) * 1099511628211ull;
  return h ^ (h >> 29);
}

static uint8_t *slot(const tells__dtab *t, uint32_t i) { return t->slots + (size_t)i * t->ssize; }

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

void *tells__dtab_get(tells__dtab *t, const void *key, int create, int *created) {
  uint32_t j;
  uint8_t *s;
  if (created) *created = 0;
  if (t->cap) {
    j = (uint32_t)hash(key, t->ksize) & (t->cap - 1);
    for (;; j = (j + 1) & (t->cap - 1)) {
      s = slot(t, j);
      if (!s[0]) break;
      if (memcmp(s + 8, key, t->ksize) == 0) return s + 8 + R8(t->ksize);
    }
  }
  if (!create || t->n >= t->max) return NULL;
  if ((uint64_t)(t->n + 1) * 2 > t->cap && !grow(t)) return NULL;   /* load <= 1/2 */
  j = (uint32_t)hash(key, t->ksize) & (t->cap - 1);
  while (slot(t, j)[0]) j = (j + 1) & (t->cap - 1);
  s = slot(t, j);
  s[0] = 1;
  memcpy(s + 8, key, t->ksize);
  t->n++;
  if (created) *created = 1;
  return s + 8 + R8(t->ksize);
}

const void *tells__dtab_key(const tells__dtab *t, uint32_t i) {
  uint8_t *s = slot(t, i);
  return s[0] ? s + 8 : NULL;
}

void *tells__dtab_val(const tells__dtab *t, uint32_t i) {
  uint8_t *s = slot(t, i);
  return s[0] ? s + 8 + R8(t->ksize) : NULL;
}
