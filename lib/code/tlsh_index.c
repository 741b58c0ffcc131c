/*
** tlsh_index.c -- exact k-nearest-neighbour search of TLSH digests: groups
** by header, a vantage-point tree per group.
**
** The TLSH distance is not a metric: a 0/3 bucket pair counts 6 where going
** through 1 or 2 costs 3, and the L and Q terms jump by 12 past a difference
** of one, so a tree pruned with it could miss answers.  Instead:
**  - Digests are grouped by header (L, Q1, Q2).  For a query, a group's
**    header terms H are exact and the same for all its members, so groups
**    with H above the search radius are skipped whole, and the others are
**    searched nearest header first.
**  - Within a group, a vantage-point tree over the bodies uses
**        M(x, y) = sum over the 128 buckets of |cx - cy|
**    an L1 distance, hence a metric, and M <= the body distance (a 0/3
**    pair counts 3 <= 6), so body distance >= M, and a subtree whose lower
**    bound by the triangle inequality on M exceeds radius - H holds no
**    answer.  The search is exact: it returns what a linear scan returns.
**    The radius is the threshold until k hits are held, then the k-th best
**    distance (ties broken by id).
**
** Layout: the records sit in one array, group after group, each group's
** range in tree order; the range [lo, hi) of a tree node holds its vantage
** point at lo, the points within the median distance mu at [lo+1, mid) and
** the others at [mid, hi), mid = lo + 1 + (hi - lo - 1) / 2.  Ranges of
** LEAF or fewer records are leaves, scanned.  mu[lo] is stored per vantage
** point, so the index costs 44 bytes per digest plus 12 per group.
*/
#include <string.h>
#include "alloc.h"
#include "tlsh_index.h"

#define LEAF 24

typedef struct rec {
  uint64_t body[4];     /* the 32 body bytes, loaded as words */
  uint8_t l, q1, q2, ck;
  uint32_t id;
} rec;

typedef struct group {
  uint32_t lo, hi;      /* its records: r[lo..hi) */
  uint8_t l, q1, q2;
} group;

struct tells_tlshidx {
  rec *r;               /* n records, by group, in tree order (owned) */
  uint32_t *mu;         /* median distance per vantage point (owned) */
  group *g;             /* ng groups (owned) */
  size_t n, ng;
  int with_len;
};

static unsigned hkey(const rec *r) { return (unsigned)r->l << 8 | (unsigned)(r->q1 & 15) << 4 | (r->q2 & 15u); }

static void to_rec(const tells_tlsh *d, uint32_t id, rec *o) {
  memcpy(o->body, d->body, 32);
  o->l = d->lvalue; o->q1 = d->q1ratio; o->q2 = d->q2ratio; o->ck = d->checksum[0];
  o->id = id;
}

/* The lower-bound metric M of the bodies. */
static unsigned metric(const rec *a, const rec *b) {
  return tells__tlsh_body_l1_64(a->body[0], b->body[0]) +
         tells__tlsh_body_l1_64(a->body[1], b->body[1]) +
         tells__tlsh_body_l1_64(a->body[2], b->body[2]) +
         tells__tlsh_body_l1_64(a->body[3], b->body[3]);
}

/* The TLSH distance, as tells_tlsh_distance() computes it; stops early
** (returning a value > lim) once the header alone is over lim. */
static unsigned distance(const rec *a, const rec *b, int with_len, unsigned lim) {
  unsigned d = tells__tlsh_header_diff(a->l, b->l, a->q1, b->q1, a->q2, b->q2, with_len);
  if (d > lim) return d;
  d += a->ck != b->ck;
  return d + tells__tlsh_body_diff64(a->body[0], b->body[0]) +
         tells__tlsh_body_diff64(a->body[1], b->body[1]) +
         tells__tlsh_body_diff64(a->body[2], b->body[2]) +
         tells__tlsh_body_diff64(a->body[3], b->body[3]);
}

/* ---- build ---- */

typedef struct build {
  rec *r;
  uint32_t *mu, *dist;  /* dist: scratch, distance of r[i] to the current vp */
  uint64_t rng;
} build;

static uint64_t rnd(build *b) {       /* xorshift64: vantage points only */
  b->rng ^= b->rng << 13; b->rng ^= b->rng >> 7; b->rng ^= b->rng << 17;
  return b->rng;
}

static void swap(build *b, size_t i, size_t j) {
  rec t = b->r[i]; uint32_t d = b->dist[i];
  b->r[i] = b->r[j]; b->dist[i] = b->dist[j];
  b->r[j] = t; b->dist[j] = d;
}

/* Quickselect: puts the k-th smallest dist of [lo, hi) at k, smaller or
** equal before it, greater or equal after. */
static void select_kth(build *b, size_t lo, size_t hi, size_t k) {
  while (hi - lo > 1) {
    size_t i, p = lo + (size_t)(rnd(b) % (hi - lo));
    uint32_t pv = b->dist[p];
    size_t lt, gt;
    /* three-way partition: < pv | == pv | > pv (many ties in practice) */
    swap(b, p, lo);
    lt = lo; gt = hi; i = lo + 1;
    while (i < gt) {
      if (b->dist[i] < pv) { swap(b, i, lt); lt++; i++; }
      else if (b->dist[i] > pv) { gt--; swap(b, i, gt); }
      else i++;
    }
    if (k < lt) hi = lt;
    else if (k >= gt) lo = gt;
    else return;
  }
}

static void build_range(build *b, size_t lo, size_t hi) {
  while (hi - lo > LEAF) {
    size_t i, mid = lo + 1 + (hi - lo - 1) / 2;
    swap(b, lo, lo + (size_t)(rnd(b) % (hi - lo)));
    for (i = lo + 1; i < hi; i++) b->dist[i] = metric(&b->r[lo], &b->r[i]);
    select_kth(b, lo + 1, hi, mid);
    b->mu[lo] = b->dist[mid];
    build_range(b, lo + 1, mid);      /* depth <= log2(n): halves each time */
    lo = mid;                         /* outside: loop instead of recursing */
  }
}

tells_err tells_tlshidx_build(const tells_tlsh *d, const uint32_t *ids, size_t n,
                              int with_len, tells_tlshidx **out, size_t *skipped) {
  tells_tlshidx *ix;
  build b;
  rec *tmp = NULL;
  uint32_t *start = NULL;
  size_t i, m = 0, ng = 0;
  *out = NULL;
  if (skipped) *skipped = 0;
  if (n > UINT32_MAX) return TELLS_ELIMIT;
  ix = tells_calloc(1, sizeof *ix);
  if (!ix) return TELLS_ENOMEM;
  ix->with_len = with_len != 0;
  if (!n) { *out = ix; return TELLS_OK; }
  memset(&b, 0, sizeof b);
  ix->r = tells_malloc(n * sizeof *ix->r);
  ix->mu = tells_calloc(n, sizeof *ix->mu);
  tmp = tells_malloc(n * sizeof *tmp);
  start = tells_calloc(65537, sizeof *start);
  b.dist = tells_malloc(n * sizeof *b.dist);
  if (!ix->r || !ix->mu || !tmp || !start || !b.dist) goto nomem;
  for (i = 0; i < n; i++) {
    if (d[i].nbody != 32 || d[i].nchecksum != 1) { if (skipped) (*skipped)++; continue; }
    to_rec(&d[i], ids ? ids[i] : (uint32_t)i, &tmp[m]);
    start[hkey(&tmp[m]) + 1]++;
    m++;
  }
  for (i = 0; i < 65536; i++) {       /* counting sort by header */
    ng += start[i + 1] != 0;
    start[i + 1] += start[i];
  }
  ix->g = tells_calloc(ng ? ng : 1, sizeof *ix->g);
  if (!ix->g) goto nomem;
  for (i = 0; i < m; i++) ix->r[start[hkey(&tmp[i])]++] = tmp[i];
  ix->n = m;
  b.r = ix->r; b.mu = ix->mu;
  b.rng = 0x9e3779b97f4a7c15ull;
  for (i = 0; i < m; ) {              /* groups; a tree in each */
    group *g = &ix->g[ix->ng++];
    unsigned k = hkey(&ix->r[i]);
    g->lo = (uint32_t)i;
    while (i < m && hkey(&ix->r[i]) == k) i++;
    g->hi = (uint32_t)i;
    g->l = ix->r[g->lo].l; g->q1 = ix->r[g->lo].q1; g->q2 = ix->r[g->lo].q2;
    build_range(&b, g->lo, g->hi);
  }
  tells_free(tmp); tells_free(start); tells_free(b.dist);
  *out = ix;
  return TELLS_OK;
nomem:
  tells_free(tmp); tells_free(start); tells_free(b.dist);
  tells_tlshidx_free(ix);
  return TELLS_ENOMEM;
}

void tells_tlshidx_free(tells_tlshidx *ix) {
  if (!ix) return;
  tells_free(ix->r);
  tells_free(ix->mu);
  tells_free(ix->g);
  tells_free(ix);
}

size_t tells_tlshidx_count(const tells_tlshidx *ix) { return ix ? ix->n : 0; }

/* ---- query: a bounded max-heap of hits kept in the caller's array ---- */

typedef struct query {
  rec q;
  tells_tlshidx_hit *h;   /* heap, worst hit at h[0] */
  size_t k, n;
  unsigned max, r;        /* threshold; current radius */
  int with_len;
  tells_tlshidx_stats *st;
} query;

static int worse(const tells_tlshidx_hit *a, const tells_tlshidx_hit *b) {
  return a->dist != b->dist ? a->dist > b->dist : a->id > b->id;
}

static void sift_down(query *c, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, w = i;
    tells_tlshidx_hit t;
    if (l < c->n && worse(&c->h[l], &c->h[w])) w = l;
    if (l + 1 < c->n && worse(&c->h[l + 1], &c->h[w])) w = l + 1;
    if (w == i) return;
    t = c->h[i]; c->h[i] = c->h[w]; c->h[w] = t;
    i = w;
  }
}

static void offer(query *c, unsigned dist, uint32_t id) {
  tells_tlshidx_hit x;
  if (dist > c->max) return;
  x.id = id; x.dist = (int)dist;
  if (c->n < c->k) {
    size_t i = c->n++;
    c->h[i] = x;
    while (i && worse(&c->h[i], &c->h[(i - 1) / 2])) {
      tells_tlshidx_hit t = c->h[i];
      c->h[i] = c->h[(i - 1) / 2]; c->h[(i - 1) / 2] = t;
      i = (i - 1) / 2;
    }
  } else if (worse(&c->h[0], &x)) {
    c->h[0] = x;
    sift_down(c, 0);
  } else {
    return;
  }
  if (c->n == c->k && (unsigned)c->h[0].dist < c->r) c->r = (unsigned)c->h[0].dist;
}

/* Sorts the heap in place into ascending (distance, id) order. */
static size_t finish(query *c) {
  size_t n = c->n;
  while (c->n > 1) {
    tells_tlshidx_hit t = c->h[0];
    c->h[0] = c->h[c->n - 1]; c->h[c->n - 1] = t;
    c->n--;
    sift_down(c, 0);
  }
  return n;
}

/* Linear scan with the full distance (the anchor, and nothing else). */
static void scan_all(query *c, const rec *r, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    unsigned d = distance(&c->q, &r[i], c->with_len, c->r);
    if (d <= c->r) offer(c, d, r[i].id);
  }
}

/* Distance to a member of a group whose header terms are h. */
static unsigned member_dist(const query *c, const rec *x, unsigned h) {
  return h + (c->q.ck != x->ck) + tells__tlsh_body_diff64(c->q.body[0], x->body[0]) +
         tells__tlsh_body_diff64(c->q.body[1], x->body[1]) +
         tells__tlsh_body_diff64(c->q.body[2], x->body[2]) +
         tells__tlsh_body_diff64(c->q.body[3], x->body[3]);
}

static void scan_leaf(query *c, const rec *r, size_t n, unsigned h) {
  size_t i;
  if (c->st) { c->st->nodes++; c->st->distances += n; }
  for (i = 0; i < n; i++) {
    unsigned d = member_dist(c, &r[i], h);
    if (d <= c->r) offer(c, d, r[i].id);
  }
}

/* Searches the tree on [lo, hi) of a group with header terms h. */
static void search(query *c, const tells_tlshidx *ix, size_t lo, size_t hi, unsigned h) {
  while (hi - lo > LEAF) {
    size_t mid = lo + 1 + (hi - lo - 1) / 2;
    unsigned m, mu = ix->mu[lo];
    if (h > c->r) return;
    m = metric(&c->q, &ix->r[lo]);
    if (c->st) { c->st->bounds++; c->st->nodes++; }
    if (m <= c->r - h) {              /* the vantage point itself */
      unsigned d = member_dist(c, &ix->r[lo], h);
      if (c->st) c->st->distances++;
      if (d <= c->r) offer(c, d, ix->r[lo].id);
    }
    /* inside: M(vp, x) <= mu, so M(q, x) >= m - mu; outside: >= mu - m.
    ** The side of the query first, so the radius shrinks before the other
    ** side is tested. */
    if (m <= mu) {
      search(c, ix, lo + 1, mid, h);
      if (h > c->r || mu - m > c->r - h) return;
      lo = mid;
    } else {
      search(c, ix, mid, hi, h);
      if (h > c->r || m - mu > c->r - h) return;
      hi = mid; lo = lo + 1;
    }
  }
  if (h <= c->r) scan_leaf(c, ix->r + lo, hi - lo, h);
}

static int query_init(query *c, const tells_tlshidx *ix, const tells_tlsh *q, size_t k,
                      int max_dist, tells_tlshidx_hit *out, tells_tlshidx_stats *st) {
  if (st) memset(st, 0, sizeof *st);
  if (!ix || !q || !k || max_dist < 0 || q->nbody != 32 || q->nchecksum != 1) return 0;
  memset(c, 0, sizeof *c);
  to_rec(q, 0, &c->q);
  c->h = out; c->k = k;
  c->max = c->r = (unsigned)max_dist;
  c->with_len = ix->with_len;
  c->st = st;
  return 1;
}

#define HMAX 1023   /* header terms above this share the last sort bucket */

size_t tells_tlshidx_query(const tells_tlshidx *ix, const tells_tlsh *q, size_t k,
                           int max_dist, tells_tlshidx_hit *out, tells_tlshidx_stats *st) {
  query c;
  uint32_t *order, *cnt;
  size_t i, n = 0;
  if (!query_init(&c, ix, q, k, max_dist, out, st)) return 0;
  if (!ix->ng) return 0;
  /* The groups within reach, nearest header first (counting sort by H). */
  order = tells_malloc((ix->ng + HMAX + 2) * sizeof *order);
  if (!order) {                       /* still exact, only slower */
    for (i = 0; i < ix->ng; i++) {
      const group *g = &ix->g[i];
      search(&c, ix, g->lo, g->hi, tells__tlsh_header_diff(c.q.l, g->l, c.q.q1, g->q1,
                                                            c.q.q2, g->q2, c.with_len));
    }
    return finish(&c);
  }
  cnt = order + ix->ng;
  memset(cnt, 0, (HMAX + 2) * sizeof *cnt);
  for (i = 0; i < ix->ng; i++) {
    const group *g = &ix->g[i];
    unsigned h = tells__tlsh_header_diff(c.q.l, g->l, c.q.q1, g->q1, c.q.q2, g->q2, c.with_len);
    if (h <= c.max) cnt[(h < HMAX ? h : HMAX) + 1]++;
  }
  for (i = 0; i <= HMAX; i++) cnt[i + 1] += cnt[i];
  for (i = 0; i < ix->ng; i++) {
    const group *g = &ix->g[i];
    unsigned h = tells__tlsh_header_diff(c.q.l, g->l, c.q.q1, g->q1, c.q.q2, g->q2, c.with_len);
    if (h <= c.max) { order[cnt[h < HMAX ? h : HMAX]++] = (uint32_t)i; n++; }
  }
  for (i = 0; i < n; i++) {
    const group *g = &ix->g[order[i]];
    unsigned h = tells__tlsh_header_diff(c.q.l, g->l, c.q.q1, g->q1, c.q.q2, g->q2, c.with_len);
    if (h > c.r) {                    /* sorted: no later group can do */
      if (h < HMAX) break;
      continue;
    }
    search(&c, ix, g->lo, g->hi, h);
  }
  tells_free(order);
  return finish(&c);
}

size_t tells_tlshidx_linear(const tells_tlshidx *ix, const tells_tlsh *q, size_t k,
                            int max_dist, tells_tlshidx_hit *out) {
  query c;
  if (!query_init(&c, ix, q, k, max_dist, out, NULL)) return 0;
  scan_all(&c, ix->r, ix->n);
  return finish(&c);
}
