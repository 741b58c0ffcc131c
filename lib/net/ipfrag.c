/*
** ipfrag.c -- bounded IPv4/IPv6 fragment reassembly (see ipfrag.h).
**
** The table is a flat array searched linearly: fragments are a small share
** of traffic, and the array is capped, so the cost per fragment is bounded.
** Each slot keeps its received ranges sorted and disjoint; a fragment's
** bytes are copied only into the gaps between them.
*/
#include <string.h>
#include "alloc.h"
#include "ipfrag.h"

typedef struct frag_range { uint32_t a, b; } frag_range;   /* [a, b) */

typedef struct frag_dgram {
  int used;
  uint8_t l3, proto;
  uint8_t src[16], dst[16];
  uint32_t id;
  int64_t first_ns;
  uint32_t total;            /* length once the last fragment is seen, else 0 */
  uint8_t *buf;              /* owned */
  uint32_t cap;
  uint32_t n_ranges;
  frag_range r[TELLS_IPFRAG_MAX_RANGES];
} frag_dgram;

struct tells_ipfrag {
  frag_dgram *v;             /* owned, n_slots slots, grown up to max_datagrams */
  uint32_t n_slots, max_datagrams;
  size_t max_bytes, bytes;
  int64_t timeout_ns;
  int done_slot;             /* slot returned last time, freed on the next call */
  tells_ipfrag_stats st;
};

tells_err tells_ipfrag_create(uint32_t max_datagrams, size_t max_bytes, int64_t timeout_ns,
                              tells_ipfrag **out) {
  tells_ipfrag *f = tells_calloc(1, sizeof *f);
  *out = NULL;
  if (!f) return TELLS_ENOMEM;
  f->max_datagrams = max_datagrams ? max_datagrams : 4096;
  f->max_bytes = max_bytes ? max_bytes : (32u << 20);
  f->timeout_ns = timeout_ns ? timeout_ns : INT64_C(30000000000);
  f->done_slot = -1;
  *out = f;
  return TELLS_OK;
}

static void drop(tells_ipfrag *f, frag_dgram *g) {
  f->bytes -= g->cap;
  tells_free(g->buf);
  memset(g, 0, sizeof *g);
}

void tells_ipfrag_destroy(tells_ipfrag *f) {
  uint32_t i;
  if (!f) return;
  for (i = 0; i < f->n_slots; i++)
    if (f->v[i].used) drop(f, &f->v[i]);
  tells_free(f->v);
  tells_free(f);
}

const tells_ipfrag_stats *tells_ipfrag_stats_get(const tells_ipfrag *f) { return &f->st; }

static int same_key(const frag_dgram *g, const tells_dec *d) {
  return g->used && g->l3 == d->l3 && g->proto == d->frag_proto && g->id == d->ip_id &&
         memcmp(g->src, d->src, 16) == 0 && memcmp(g->dst, d->dst, 16) == 0;
}

/* Finds the datagram of d, expiring old ones on the way, or makes a slot. */
static frag_dgram *lookup(tells_ipfrag *f, const tells_dec *d, int64_t ts) {
  uint32_t i;
  frag_dgram *free_slot = NULL, *oldest = NULL, *hit = NULL;
  for (i = 0; i < f->n_slots; i++) {
    frag_dgram *g = &f->v[i];
    if (g->used && ts - g->first_ns > f->timeout_ns) { drop(f, g); f->st.timed_out++; }
    if (!g->used) { if (!free_slot) free_slot = g; continue; }
    if (same_key(g, d)) hit = g;
    if (!oldest || g->first_ns < oldest->first_ns) oldest = g;
  }
  if (hit) return hit;
  if (!free_slot && f->n_slots < f->max_datagrams) {   /* grow the slot array */
    uint32_t ns = f->n_slots ? f->n_slots * 2 : 8;
    frag_dgram *nv;
    if (ns > f->max_datagrams) ns = f->max_datagrams;
    nv = tells_realloc(f->v, (size_t)ns * sizeof *nv);
    if (nv) {
      memset(nv + f->n_slots, 0, (size_t)(ns - f->n_slots) * sizeof *nv);
      f->v = nv;
      free_slot = &nv[f->n_slots];
      f->n_slots = ns;
    }
  }
  if (!free_slot) {
    if (!oldest) return NULL;
    drop(f, oldest);
    f->st.evicted++;
    free_slot = oldest;
  }
  free_slot->used = 1;
  free_slot->l3 = d->l3;
  free_slot->proto = d->frag_proto;
  free_slot->id = d->ip_id;
  memcpy(free_slot->src, d->src, 16);
  memcpy(free_slot->dst, d->dst, 16);
  free_slot->first_ns = ts;
  return free_slot;
}

/* Grows g's buffer to hold `need` bytes within the table's byte budget,
** evicting the oldest other datagrams when needed. */
static int reserve(tells_ipfrag *f, frag_dgram *g, uint32_t need) {
  uint32_t ncap;
  uint8_t *nb;
  if (need <= g->cap) return 1;
  ncap = (need + 2047u) & ~2047u;
  if (ncap > 65536u) ncap = 65536u;
  while (f->bytes + (ncap - g->cap) > f->max_bytes) {
    uint32_t i;
    frag_dgram *oldest = NULL;
    for (i = 0; i < f->n_slots; i++)
      if (f->v[i].used && &f->v[i] != g && (!oldest || f->v[i].first_ns < oldest->first_ns))
        oldest = &f->v[i];
    if (!oldest) return 0;
    drop(f, oldest);
    f->st.evicted++;
  }
  nb = tells_realloc(g->buf, ncap);
  if (!nb) return 0;
  memset(nb + g->cap, 0, ncap - g->cap);
  f->bytes += ncap - g->cap;
  g->buf = nb;
  g->cap = ncap;
  return 1;
}

/* Copies [a, b) of `src` (which starts at a) into the gaps of g. */
static int insert(frag_dgram *g, uint32_t a, uint32_t b, const uint8_t *src, int *overlap) {
  uint32_t i, pos = a;
  frag_range nr[TELLS_IPFRAG_MAX_RANGES + 1];
  uint32_t n = 0;
  for (i = 0; i < g->n_ranges && pos < b; i++) {
    frag_range r = g->r[i];
    if (r.b <= pos) continue;
    if (r.a >= b) break;
    if (r.a > pos) memcpy(g->buf + pos, src + (pos - a), r.a - pos);
    {                                   /* overlap: compare, keep the first */
      uint32_t oa = r.a > pos ? r.a : pos, ob = r.b < b ? r.b : b;
      if (memcmp(g->buf + oa, src + (oa - a), ob - oa) != 0) *overlap = 1;
    }
    pos = r.b;
  }
  if (pos < b) memcpy(g->buf + pos, src + (pos - a), b - pos);
  /* merge [a, b) into the sorted range list */
  for (i = 0; i < g->n_ranges && g->r[i].b < a; i++) nr[n++] = g->r[i];
  {
    frag_range m = {a, b};
    for (; i < g->n_ranges && g->r[i].a <= m.b; i++) {
      if (g->r[i].a < m.a) m.a = g->r[i].a;
      if (g->r[i].b > m.b) m.b = g->r[i].b;
    }
    nr[n++] = m;
  }
  if (n > TELLS_IPFRAG_MAX_RANGES) return 0;
  for (; i < g->n_ranges; i++) {
    if (n >= TELLS_IPFRAG_MAX_RANGES) return 0;
    nr[n++] = g->r[i];
  }
  memcpy(g->r, nr, n * sizeof nr[0]);
  g->n_ranges = n;
  return 1;
}

int tells_ipfrag_add(tells_ipfrag *f, const tells_dec *d, int64_t ts_ns, uint64_t off,
                     tells_anoms *an, const uint8_t **data, uint32_t *len, uint8_t *proto) {
  frag_dgram *g;
  uint32_t a, b;
  int overlap = 0;
  if (f->done_slot >= 0) { drop(f, &f->v[f->done_slot]); f->done_slot = -1; }
  if (!(d->flags & TELLS_DEC_FRAG) || !d->frag_data) return 0;
  f->st.fragments++;
  a = d->frag_off;
  b = a + d->frag_len;
  if (b > 65535u) {
    f->st.dropped++;
    if (an) tells_anom_add(an, off, "ipfrag.too_long", "fragment ends at byte %u", b);
    return 0;
  }
  g = lookup(f, d, ts_ns);
  if (!g) { f->st.dropped++; return 0; }
  if (!(d->flags & TELLS_DEC_FRAG_MORE)) {
    if (g->total && g->total != b) {
      if (an) tells_anom_add(an, off, "ipfrag.length_conflict",
                             "last fragment ends at %u, an earlier one at %u", b, g->total);
    }
    g->total = b;
  } else if ((d->frag_len & 7u) != 0 && d->l3 == TELLS_L3_IPV4) {
    if (an) tells_anom_add(an, off, "ipfrag.odd_length",
                           "non-final fragment of %u bytes", d->frag_len);
  }
  if (b > a) {
    if (!reserve(f, g, b)) {
      drop(f, g);
      f->st.dropped++;
      return 0;
    }
    if (!insert(g, a, b, d->frag_data, &overlap)) {
      if (an) tells_anom_add(an, off, "ipfrag.too_many_pieces",
                             "datagram id %u in more than %u pieces", d->ip_id,
                             TELLS_IPFRAG_MAX_RANGES);
      drop(f, g);
      f->st.dropped++;
      return 0;
    }
  }
  if (overlap) {
    f->st.overlaps++;
    if (an) tells_anom_add(an, off, "ipfrag.overlap",
                           "fragment [%u, %u) of id %u overwrites different bytes", a, b,
                           d->ip_id);
  }
  if (g->total && g->n_ranges == 1 && g->r[0].a == 0 && g->r[0].b >= g->total) {
    *data = g->buf;
    *len = g->total;
    *proto = g->proto;
    f->done_slot = (int)(g - f->v);
    f->st.reassembled++;
    return 1;
  }
  return 0;
}
