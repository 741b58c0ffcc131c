/*
** detect_tab.c -- the bounded state behind the detectors (detect.h): the
** memory account, the hash tables and the pool of evidence flows.
**
** A table is open addressing with linear probing over 8-byte slots (part
** of the hash and an entry number), grown by doubling at load 1/2 up to a
** cap on entries.  Entries (header, key, value) live in blocks allocated as
** they arrive, so addresses are stable and an empty table costs nothing.
** When the table is full, a new key takes the place of the entry least
** worth keeping among DTAB_SAMPLES sampled at random (a fixed seed: the
** same input gives the same output): the lowest weight, the least recently
** used among equals; its slot is deleted by backward shift.
*/
#include <string.h>
#include "alloc.h"
#include "detect.h"

#define R8(x) (((x) + 7u) & ~(size_t)7u)
#define DTAB_SAMPLES 8
#define DTAB_BLOCK_BYTES 16384u
#define DEV_CHUNK 4u               /* refs per evidence chunk */
#define DEV_BLOCK 64u              /* chunks per block */

/* ---- memory account ---------------------------------------------------- */

static void dmem_add(tells__dmem *m, size_t n) {
  if (!m) return;
  m->cur += n;
  if (m->cur > m->peak) m->peak = m->cur;
}

void *tells__dmem_calloc(tells__dmem *m, size_t count, size_t size) {
  void *p = tells_calloc(count, size);
  if (p) dmem_add(m, count * size);
  return p;
}

void *tells__dmem_realloc(tells__dmem *m, void *p, size_t old, size_t size) {
  void *q = tells_realloc(p, size);
  if (q && m) { m->cur -= old; dmem_add(m, size); }
  return q;
}

void tells__dmem_free(tells__dmem *m, void *p, size_t size) {
  if (!p) return;
  tells_free(p);
  if (m) m->cur -= size;
}

/* ---- tables ------------------------------------------------------------- */

static uint32_t per_block(size_t esize) {
  size_t n = DTAB_BLOCK_BYTES / esize;
  return n < 32 ? 32u : (uint32_t)n;
}

static size_t entry_size(size_t ksize, size_t vsize, size_t *voff) {
  size_t v = vsize <= 4 ? 4 : 8 + R8(ksize);
  if (voff) *voff = v;
  return 8 + R8(ksize) + (vsize <= 4 ? 0 : R8(vsize));
}

void tells__dtab_init(tells__dtab *t, size_t ksize, size_t vsize, uint32_t max, tells__dmem *mem) {
  memset(t, 0, sizeof *t);
  t->ksize = ksize; t->vsize = vsize;
  t->esize = entry_size(ksize, vsize, &t->voff);
  t->per_blk = per_block(t->esize);
  t->max = max ? max : 1;
  t->rng = 0x9e3779b97f4a7c15ull;
  t->mem = mem;
}

void tells__dtab_policy(tells__dtab *t, tells__dtab_weight_fn weight, tells__dtab_evict_fn on_evict,
                        void *ud) {
  t->weight = weight; t->on_evict = on_evict; t->ud = ud;
}

void tells__dtab_free(tells__dtab *t) {
  uint32_t i;
  for (i = 0; i < t->nblk; i++) tells__dmem_free(t->mem, t->blk[i], (size_t)t->per_blk * t->esize);
  tells__dmem_free(t->mem, t->blk, (size_t)t->cblk * sizeof *t->blk);
  tells__dmem_free(t->mem, t->slots, (size_t)t->cap * sizeof *t->slots);
  t->slots = NULL; t->blk = NULL;
  t->cap = t->n = t->nblk = t->cblk = 0;
}

size_t tells__dtab_bound(size_t ksize, size_t vsize, uint32_t max) {
  size_t es = entry_size(ksize, vsize, NULL), pb = per_block(es), cap = 1024, nblk, cblk = 8;
  if (!max) max = 1;
  while (cap < (size_t)max * 2) cap *= 2;
  nblk = (max + pb - 1) / pb;
  while (cblk < nblk) cblk *= 2;
  /* slots, plus the old half while growing; entries; block pointers */
  return cap * 8 + cap / 2 * 8 + nblk * pb * es + cblk * sizeof(uint8_t *);
}

static uint64_t hash(const uint8_t *k, size_t n) {
  uint64_t h = 1469598103934665603ull;
  size_t i;
  for (i = 0; i < n; i++) h = (h ^ k[i]) * 1099511628211ull;
  return h ^ (h >> 29);
}

static uint8_t *entry(const tells__dtab *t, uint32_t e) {
  return t->blk[e / t->per_blk] + (size_t)(e % t->per_blk) * t->esize;
}

static uint64_t make_slot(uint64_t h, uint32_t e) { return (h & 0xffffffff00000000ull) | (e + 1u); }

static int grow(tells__dtab *t) {
  uint32_t nc = t->cap ? t->cap * 2 : 1024, i, oc = t->cap;
  uint64_t *old = t->slots, *ns;
  if (!(ns = tells__dmem_calloc(t->mem, nc, sizeof *ns))) return 0;
  t->slots = ns; t->cap = nc;
  for (i = 0; i < oc; i++) {   /* old slot order: the same layout as ever */
    uint32_t j;
    if (!old[i]) continue;
    j = (uint32_t)hash(entry(t, (uint32_t)old[i] - 1) + 8, t->ksize) & (nc - 1);
    while (ns[j]) j = (j + 1) & (nc - 1);
    ns[j] = old[i];
  }
  tells__dmem_free(t->mem, old, (size_t)oc * sizeof *old);
  return 1;
}

/* The zeroed storage of entry number t->n, or NULL without memory. */
static uint8_t *new_entry(tells__dtab *t) {
  uint32_t b = t->n / t->per_blk;
  if (b >= t->nblk) {
    if (t->nblk == t->cblk) {
      uint32_t nc = t->cblk ? t->cblk * 2 : 8;
      uint8_t **nb = tells__dmem_realloc(t->mem, t->blk, (size_t)t->cblk * sizeof *nb,
                                         (size_t)nc * sizeof *nb);
      if (!nb) return NULL;
      t->blk = nb; t->cblk = nc;
    }
    if (!(t->blk[t->nblk] = tells__dmem_calloc(t->mem, t->per_blk, t->esize))) return NULL;
    t->nblk++;
  }
  return entry(t, t->n);
}

static uint64_t rnd(tells__dtab *t) {   /* xorshift64 */
  uint64_t x = t->rng;
  x ^= x << 13; x ^= x >> 7; x ^= x << 17;
  return t->rng = x;
}

static uint32_t touched(const uint8_t *e) { uint32_t v; memcpy(&v, e, 4); return v; }

/* The entry to give up: lowest weight, then least recently used. */
static uint32_t victim(tells__dtab *t) {
  uint32_t best = 0, best_age = 0, i;
  double best_w = 0;
  for (i = 0; i < DTAB_SAMPLES; i++) {
    uint32_t e = (uint32_t)(rnd(t) % t->n), age;
    const uint8_t *p = entry(t, e);
    double w = t->weight ? t->weight(t->ud, p + 8, p + t->voff) : 0;
    age = t->clock - touched(p);
    if (i == 0 || w < best_w || (w == best_w && age > best_age)) {
      best = e; best_w = w; best_age = age;
    }
  }
  return best;
}

/* Removes the slot of entry e, shifting the rest of its cluster back. */
static void unlink_entry(tells__dtab *t, uint32_t e) {
  uint32_t mask = t->cap - 1, i, j;
  i = (uint32_t)hash(entry(t, e) + 8, t->ksize) & mask;
  while ((uint32_t)t->slots[i] != e + 1) i = (i + 1) & mask;
  for (j = i;;) {
    uint32_t home;
    j = (j + 1) & mask;
    if (!t->slots[j]) break;
    home = (uint32_t)hash(entry(t, (uint32_t)t->slots[j] - 1) + 8, t->ksize) & mask;
    if (((j - home) & mask) >= ((j - i) & mask)) { t->slots[i] = t->slots[j]; i = j; }
  }
  t->slots[i] = 0;
}

void *tells__dtab_get(tells__dtab *t, const void *key, int create, int *created) {
  uint64_t h = hash(key, t->ksize), s;
  uint32_t j, e, now = ++t->clock;
  uint8_t *p;
  if (created) *created = 0;
  if (t->cap) {
    for (j = (uint32_t)h & (t->cap - 1); (s = t->slots[j]) != 0; j = (j + 1) & (t->cap - 1)) {
      if ((s ^ h) >> 32) continue;
      p = entry(t, (uint32_t)s - 1);
      if (memcmp(p + 8, key, t->ksize) == 0) { memcpy(p, &now, 4); return p + t->voff; }
    }
  }
  if (!create) return NULL;
  if (t->n >= t->max) {             /* full: evict */
    e = victim(t);
    p = entry(t, e);
    unlink_entry(t, e);
    if (t->on_evict) t->on_evict(t->ud, p + 8, p + t->voff);
    memset(p, 0, t->esize);
    t->evicted++;
  } else {
    if ((uint64_t)(t->n + 1) * 2 > t->cap && !grow(t)) return NULL;   /* load <= 1/2 */
    if (!(p = new_entry(t))) return NULL;
    e = t->n++;
  }
  j = (uint32_t)h & (t->cap - 1);
  while (t->slots[j]) j = (j + 1) & (t->cap - 1);
  t->slots[j] = make_slot(h, e);
  memcpy(p, &now, 4);
  memcpy(p + 8, key, t->ksize);
  if (created) *created = 1;
  return p + t->voff;
}

const void *tells__dtab_key(const tells__dtab *t, uint32_t i) {
  uint64_t s = t->slots[i];
  return s ? entry(t, (uint32_t)s - 1) + 8 : NULL;
}

void *tells__dtab_val(const tells__dtab *t, uint32_t i) {
  uint64_t s = t->slots[i];
  return s ? entry(t, (uint32_t)s - 1) + t->voff : NULL;
}

/* ---- evidence pool ------------------------------------------------------ */

typedef struct devref { tells_detect_ref r; uint8_t dst[16]; } devref;
typedef struct devchunk { devref v[DEV_CHUNK]; uint32_t next; } devchunk;

void tells__dev_init(tells__dev *p, uint32_t max_refs, tells__dmem *mem) {
  memset(p, 0, sizeof *p);
  p->max = (max_refs + DEV_CHUNK - 1) / DEV_CHUNK;
  p->mem = mem;
}

void tells__dev_free(tells__dev *p) {
  uint32_t i;
  for (i = 0; i < p->nblk; i++) tells__dmem_free(p->mem, p->blk[i], DEV_BLOCK * sizeof(devchunk));
  tells__dmem_free(p->mem, p->blk, (size_t)p->cblk * sizeof *p->blk);
  memset(p, 0, sizeof *p);
}

size_t tells__dev_bound(uint32_t max_refs) {
  size_t chunks = (max_refs + DEV_CHUNK - 1) / DEV_CHUNK, nblk = (chunks + DEV_BLOCK - 1) / DEV_BLOCK;
  size_t cblk = 8;
  while (cblk < nblk) cblk *= 2;
  return nblk * DEV_BLOCK * sizeof(devchunk) + cblk * sizeof(uint8_t *);
}

static devchunk *chunk(const tells__dev *p, uint32_t c) {   /* c: chunk number + 1 */
  return (devchunk *)(void *)p->blk[(c - 1) / DEV_BLOCK] + (c - 1) % DEV_BLOCK;
}

/* A zeroed chunk (number + 1), or 0 when the pool is full. */
static uint32_t chunk_new(tells__dev *p) {
  uint32_t c;
  if (p->free) {
    c = p->free;
    p->free = chunk(p, c)->next;
  } else {
    if (p->n >= p->max) return 0;
    if (p->n / DEV_BLOCK >= p->nblk) {
      if (p->nblk == p->cblk) {
        uint32_t nc = p->cblk ? p->cblk * 2 : 8;
        uint8_t **nb = tells__dmem_realloc(p->mem, p->blk, (size_t)p->cblk * sizeof *nb,
                                           (size_t)nc * sizeof *nb);
        if (!nb) return 0;
        p->blk = nb; p->cblk = nc;
      }
      if (!(p->blk[p->nblk] = tells__dmem_calloc(p->mem, DEV_BLOCK, sizeof(devchunk)))) return 0;
      p->nblk++;
    }
    c = ++p->n;
  }
  memset(chunk(p, c), 0, sizeof(devchunk));
  return c;
}

void tells__dev_add(tells__dev *p, tells__devlist *l, const tells_detect_ref *r, const uint8_t *dst) {
  devref *v;
  if (l->n >= TELLS_DETECT_EVIDENCE || l->capped) return;
  if (l->n % DEV_CHUNK == 0) {
    uint32_t c = chunk_new(p);
    if (!c) { l->capped = 1; p->dropped++; return; }
    if (l->tail) chunk(p, l->tail)->next = c; else l->head = c;
    l->tail = c;
  }
  v = &chunk(p, l->tail)->v[l->n % DEV_CHUNK];
  v->r = *r;
  if (dst) memcpy(v->dst, dst, 16);
  l->n++;
}

void tells__dev_release(tells__dev *p, tells__devlist *l) {
  if (l->head) {
    chunk(p, l->tail)->next = p->free;
    p->free = l->head;
  }
  memset(l, 0, sizeof *l);
}

uint32_t tells__dev_get(const tells__dev *p, const tells__devlist *l, tells_detect_ref *out,
                        uint8_t (*dst)[16]) {
  uint32_t i, c = l->head;
  for (i = 0; i < l->n && c; i++) {
    const devref *v = &chunk(p, c)->v[i % DEV_CHUNK];
    out[i] = v->r;
    if (dst) memcpy(dst[i], v->dst, 16);
    if (i % DEV_CHUNK == DEV_CHUNK - 1) c = chunk(p, c)->next;
  }
  return i;
}
