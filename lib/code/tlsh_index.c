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
** Layout: the records sit in columns (struct tells_tlshidx), group after
** group, each group's range in tree order; the range [lo, hi) of a tree
** node holds its vantage point at lo, the points within the median distance
** mu at [lo+1, mid) and the others at [mid, hi), mid = lo + 1 + (hi - lo -
** 1) / 2.  Ranges of LEAF or fewer records are leaves, scanned.  mu[lo] is
** stored per vantage point, so the index costs 57 bytes per digest plus 12
** per group (and up to 3 records' padding in each half's last block).
**
** Most of a query's time is reading records that turn out to be far: the
** radius stays at the threshold until k relatives are found, and an
** unrelated query's distance to most members of a group is about twice
** the usual threshold, which the tree's triangle-inequality bounds cannot
** prove for whole subtrees.  Hence large leaves (scanning is cheaper than
** a vantage point that prunes nothing), a leaf's first halves prefetched
** ahead of the scan, the second half read only for records the first half
** leaves within the radius, and the bodies stored as the bit planes the
** distance is counted on, four records a block, counted with AVX2 four
** records at a time or with POPCNT one at a time where the CPU has them.
*/
#include <string.h>
#include "alloc.h"
#include "tlsh_index.h"

#define LEAF 768    /* 24 to 1536 measured; 768 best with the AVX2 kernel (384 before) */
#define AHEAD 16    /* leaf records prefetched ahead of the scan (8, 16, 32 measured) */

typedef struct rec {
  uint64_t body[4];     /* the 32 body bytes, loaded as words */
  uint8_t l, q1, q2, ck;
  uint32_t id;
} rec;

typedef struct group {
  uint32_t lo, hi;      /* its records: [lo..hi) */
  uint8_t l, q1, q2;
} group;

/* The records are kept as columns: a query reads only the first half of
** the body of most records it visits (member_k), so the halves live apart
** and a leaf costs 24 bytes a record to read (one half's planes), not 40.
** The first halves sit in blocks of four records, plane by plane, so the
** AVX2 kernel reads four records' planes with three loads. */
typedef struct blk4 {   /* four records' first halves: p[plane][record] */
  uint64_t p[3][4];
} blk4;

struct tells_tlshidx {
  blk4 *h1;             /* n records, by group, in tree order, four a block:
                           the bit planes (below) of body words 0-1, */
  blk4 *h2;             /*   of body words 2-3, */
  uint8_t *ck;          /*   checksum byte */
  uint32_t *id;         /*   and the caller's id (all owned) */
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

/* ---- the query's distances to records ----
**
** Bodies are stored as bit planes: a 2-bit code c is three bits c >= 1,
** c >= 2, c >= 3; |x - y| is the number of planes in which x and y differ
** (e1 + e2 + e3), and a 0/3 pair, the one that counts 6, is where the first
** and the third both differ (e1 & e3).  The planes of two body words share
** one 64-bit word (even and odd lanes), so half a body is three words, and
** its distance four XORs, an AND and four population counts.  Three
** builds of the kernels, chosen per query: with AVX2, four records of a
** block at a time in a leaf (counts from a nibble table by byte shuffles,
** summed by vpsadbw); with the POPCNT instruction, which x86-64 CPUs have
** had since 2008 but the baseline ABI does not promise; and with a SWAR
** count.  The build and the linear scan keep tells_tlsh_distance()'s own
** kernel (tlsh.h) on the raw words. */
#if defined(__x86_64__) || defined(__i386__)
#define IX_POPCNT 1
#define IX_TARGET __attribute__((target("popcnt")))
#include <immintrin.h>
#else
#define IX_POPCNT 0
#define IX_TARGET
#endif
#define IX_INLINE static inline __attribute__((always_inline))
enum { IX_SWAR, IX_POPCNT_K, IX_AVX2 };   /* the kernels, the best last */

/* The bit planes of the 64 buckets of words w0 and w1: codes >= 1, >= 2
** and >= 3, w0's buckets in the even bits, w1's in the odd. */
IX_INLINE void planes(uint64_t w0, uint64_t w1, uint64_t p[3]) {
  const uint64_t lo = 0x5555555555555555ull;
  uint64_t a0 = w0 & lo, a1 = w0 >> 1 & lo, b0 = w1 & lo, b1 = w1 >> 1 & lo;
  p[0] = (a0 | a1) | (b0 | b1) << 1;
  p[1] = a1 | b1 << 1;
  p[2] = (a0 & a1) | (b0 & b1) << 1;
}

/* The two words back from their planes: bit 1 of a code is plane 2, bit 0
** is set for codes 1 and 3, an odd number of planes. */
static void unplanes(const uint64_t *p, uint64_t *w0, uint64_t *w1) {
  const uint64_t lo = 0x5555555555555555ull;
  uint64_t x0 = p[0] ^ p[4] ^ p[8], x1 = p[4];
  *w0 = (x0 & lo) | (x1 & lo) << 1;
  *w1 = (x0 >> 1 & lo) | (x1 >> 1 & lo) << 1;
}

IX_INLINE unsigned pop(uint64_t x, int pc) {
  if (pc) return (unsigned)__builtin_popcountll(x);
  x -= x >> 1 & 0x5555555555555555ull;
  x = (x & 0x3333333333333333ull) + (x >> 2 & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

/* Body distance over 64 buckets, from the planes of both sides (x's
** planes 4 words apart, in its block). */
IX_INLINE unsigned half_diff(const uint64_t q[3], const uint64_t *x, int pc) {
  uint64_t e1 = q[0] ^ x[0], e2 = q[1] ^ x[4], e3 = q[2] ^ x[8];
  return pop(e1, pc) + pop(e2, pc) + pop(e3, pc) + 3 * pop(e1 & e3, pc);
}

/* The lower-bound metric M over 64 buckets (the 0/3 pair counts 3). */
IX_INLINE unsigned half_l1(const uint64_t q[3], const uint64_t *x, int pc) {
  return pop(q[0] ^ x[0], pc) + pop(q[1] ^ x[4], pc) + pop(q[2] ^ x[8], pc);
}

/* Stores record i's planes of body words w0 and w1 in its block. */
static void put_planes(blk4 *b, size_t i, uint64_t w0, uint64_t w1) {
  uint64_t p[3];
  planes(w0, w1, p);
  b[i >> 2].p[0][i & 3] = p[0]; b[i >> 2].p[1][i & 3] = p[1]; b[i >> 2].p[2][i & 3] = p[2];
}

/* Record i's planes of the first and of the second half, 4 words apart. */
#define H1(ix, i) (&(ix)->h1[(i) >> 2].p[0][(i) & 3])
#define H2(ix, i) (&(ix)->h2[(i) >> 2].p[0][(i) & 3])

/* M between two records of the build (their raw words). */
static unsigned metric(const rec *a, const rec *b) {
  return tells__tlsh_body_l1_64(a->body[0], b->body[0]) + tells__tlsh_body_l1_64(a->body[1], b->body[1]) +
         tells__tlsh_body_l1_64(a->body[2], b->body[2]) + tells__tlsh_body_l1_64(a->body[3], b->body[3]);
}

/* The best kernel queries may use (tells__tlshidx_kernel). */
static int g_kernel_max = IX_AVX2;

int tells__tlshidx_kernel(int max) {
  int k = IX_SWAR;
  if (max >= 0) g_kernel_max = max;
#if IX_POPCNT
  __builtin_cpu_init();
  if (__builtin_cpu_supports("popcnt")) k = IX_POPCNT_K;
  if (k == IX_POPCNT_K && __builtin_cpu_supports("avx2")) k = IX_AVX2;
#endif
  return k < g_kernel_max ? k : g_kernel_max;
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
  rec *r = NULL, *tmp = NULL;
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
  r = tells_malloc(n * sizeof *r);
  ix->mu = tells_calloc(n, sizeof *ix->mu);
  tmp = tells_malloc(n * sizeof *tmp);
  start = tells_calloc(65537, sizeof *start);
  b.dist = tells_malloc(n * sizeof *b.dist);
  if (!r || !ix->mu || !tmp || !start || !b.dist) goto nomem;
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
  for (i = 0; i < m; i++) r[start[hkey(&tmp[i])]++] = tmp[i];
  tells_free(tmp); tmp = NULL;
  ix->n = m;
  b.r = r; b.mu = ix->mu;
  b.rng = 0x9e3779b97f4a7c15ull;
  for (i = 0; i < m; ) {              /* groups; a tree in each */
    group *g = &ix->g[ix->ng++];
    unsigned k = hkey(&r[i]);
    g->lo = (uint32_t)i;
    while (i < m && hkey(&r[i]) == k) i++;
    g->hi = (uint32_t)i;
    g->l = r[g->lo].l; g->q1 = r[g->lo].q1; g->q2 = r[g->lo].q2;
    build_range(&b, g->lo, g->hi);
  }
  ix->h1 = tells_calloc(m ? (m + 3) / 4 : 1, sizeof *ix->h1);   /* records to columns */
  ix->h2 = tells_calloc(m ? (m + 3) / 4 : 1, sizeof *ix->h2);
  ix->ck = tells_malloc(m ? m : 1);
  ix->id = tells_malloc((m ? m : 1) * sizeof *ix->id);
  if (!ix->h1 || !ix->h2 || !ix->ck || !ix->id) goto nomem;
  for (i = 0; i < m; i++) {
    put_planes(ix->h1, i, r[i].body[0], r[i].body[1]);
    put_planes(ix->h2, i, r[i].body[2], r[i].body[3]);
    ix->ck[i] = r[i].ck;
    ix->id[i] = r[i].id;
  }
  tells_free(r); tells_free(start); tells_free(b.dist);
  *out = ix;
  return TELLS_OK;
nomem:
  tells_free(r); tells_free(tmp); tells_free(start); tells_free(b.dist);
  tells_tlshidx_free(ix);
  return TELLS_ENOMEM;
}

void tells_tlshidx_free(tells_tlshidx *ix) {
  if (!ix) return;
  tells_free(ix->h1);
  tells_free(ix->h2);
  tells_free(ix->ck);
  tells_free(ix->id);
  tells_free(ix->mu);
  tells_free(ix->g);
  tells_free(ix);
}

size_t tells_tlshidx_count(const tells_tlshidx *ix) { return ix ? ix->n : 0; }

/* ---- query: a bounded max-heap of hits kept in the caller's array ---- */

typedef struct query {
  rec q;
  uint64_t qp[2][3];      /* the planes of q's two halves */
  tells_tlshidx_hit *h;   /* heap, worst hit at h[0] */
  size_t k, n;
  unsigned max, r;        /* threshold; current radius */
  int with_len;
  int kern;               /* IX_SWAR, IX_POPCNT_K or IX_AVX2 (below) */
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

/* Linear scan with the full distance, as tells_tlsh_distance() computes it
** (the anchor, and nothing else): every record in turn, the header terms
** once per group, the body only when they leave room. */
static void scan_all(query *c, const tells_tlshidx *ix) {
  size_t gi, i;
  for (gi = 0; gi < ix->ng; gi++) {
    const group *g = &ix->g[gi];
    const unsigned h = tells__tlsh_header_diff(c->q.l, g->l, c->q.q1, g->q1, c->q.q2, g->q2, c->with_len);
    for (i = g->lo; i < g->hi; i++) {
      unsigned d = h;
      uint64_t w[4];
      if (d > c->r) continue;
      unplanes(H1(ix, i), &w[0], &w[1]);     /* and tells_tlsh_distance()'s kernel */
      unplanes(H2(ix, i), &w[2], &w[3]);
      d += (c->q.ck != ix->ck[i]) +
           tells__tlsh_body_diff64(c->q.body[0], w[0]) + tells__tlsh_body_diff64(c->q.body[1], w[1]) +
           tells__tlsh_body_diff64(c->q.body[2], w[2]) + tells__tlsh_body_diff64(c->q.body[3], w[3]);
      if (d <= c->r) offer(c, d, ix->id[i]);
    }
  }
}

/* Distance to record i, a member of a group whose header terms are h; or,
** once the first half of the body puts it over the radius (most members of
** a leaf are), that partial sum.  The checksum term is added after the cut:
** the cut is on a lower bound, so it stays exact. */
IX_INLINE unsigned member_k(const query *c, const tells_tlshidx *ix, size_t i, unsigned h, int pc) {
  unsigned d = h + half_diff(c->qp[0], H1(ix, i), pc);
  if (d > c->r) return d;
  return d + (c->q.ck != ix->ck[i]) + half_diff(c->qp[1], H2(ix, i), pc);
}

/* Prefetches record i's first half (its block's lines). */
#define PREFETCH_H1(ix, i) (__builtin_prefetch(H1(ix, i)), __builtin_prefetch(H1(ix, i) + 8))

IX_INLINE void leaf_k(query *c, const tells_tlshidx *ix, size_t lo, size_t hi, unsigned h, int pc) {
  /* the query in locals: nothing the loop stores can alias them, so the
  ** compiler keeps them, and their bit planes, in registers */
  const uint64_t q1[3] = {c->qp[0][0], c->qp[0][1], c->qp[0][2]};
  const uint64_t q2[3] = {c->qp[1][0], c->qp[1][1], c->qp[1][2]};
  const unsigned qck = c->q.ck;
  unsigned r = c->r;
  size_t i;
  if (c->st) { c->st->nodes++; c->st->distances += hi - lo; }
  /* the first halves, most often not in cache, are asked for 16 records
  ** ahead (the whole leaf at once was 10% slower: more requests than the
  ** core keeps in flight) */
  for (i = lo; i < hi && i < lo + AHEAD; i += 4) PREFETCH_H1(ix, i);
  for (i = lo; i < hi; i++) {
    unsigned d;
    if (((i + AHEAD) & 3) == 0 && i + AHEAD < hi) PREFETCH_H1(ix, i + AHEAD);   /* a block */
    /* the first half puts most far records over the radius already */
    d = h + half_diff(q1, H1(ix, i), pc);
    if (d > r) continue;
    d += (qck != ix->ck[i]) + half_diff(q2, H2(ix, i), pc);
    if (d <= r) { offer(c, d, ix->id[i]); r = c->r; }
  }
}

#if IX_POPCNT
IX_TARGET static void leaf_pc(query *c, const tells_tlshidx *ix, size_t lo, size_t hi, unsigned h) {
  leaf_k(c, ix, lo, hi, h, 1);
}
IX_TARGET static unsigned metric_pc(const query *c, const tells_tlshidx *ix, size_t i) {
  return half_l1(c->qp[0], H1(ix, i), 1) + half_l1(c->qp[1], H2(ix, i), 1);
}
IX_TARGET static unsigned member_pc(const query *c, const tells_tlshidx *ix, size_t i, unsigned h) {
  return member_k(c, ix, i, h, 1);
}
/* Record i offered if within the radius: the AVX2 leaf's records one by one. */
IX_TARGET static void offer_pc(query *c, const tells_tlshidx *ix, size_t i, unsigned h) {
  unsigned d = member_pc(c, ix, i, h);
  if (d <= c->r) offer(c, d, ix->id[i]);
}

/* Bits set in each byte of x (a nibble table and two byte shuffles). */
__attribute__((target("avx2"), always_inline))
static inline __m256i bytepop(__m256i x, __m256i tab, __m256i low4) {
  __m256i lo = _mm256_and_si256(x, low4), hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), low4);
  return _mm256_add_epi8(_mm256_shuffle_epi8(tab, lo), _mm256_shuffle_epi8(tab, hi));
}

/* Half-body distances of a block's four records, in four 64-bit lanes:
** the three planes are three loads, the byte counts summed by vpsadbw. */
__attribute__((target("avx2"), always_inline))
static inline __m256i half4(const blk4 *k, __m256i q0, __m256i q1, __m256i q2, __m256i tab, __m256i low4) {
  __m256i e1 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)k->p[0]), q0);
  __m256i e2 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)k->p[1]), q1);
  __m256i e3 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)k->p[2]), q2);
  __m256i n = bytepop(_mm256_and_si256(e1, e3), tab, low4);     /* the 0/3 pairs: 3 more */
  n = _mm256_add_epi8(_mm256_add_epi8(n, n), n);
  n = _mm256_add_epi8(n, _mm256_add_epi8(bytepop(e1, tab, low4),
                                         _mm256_add_epi8(bytepop(e2, tab, low4), bytepop(e3, tab, low4))));
  return _mm256_sad_epu8(n, _mm256_setzero_si256());          /* <= 48 a byte: no overflow */
}

/* The leaf four records at a time.  The first halves put most blocks over
** the radius; the others get their second halves, and the few records
** the two halves leave within the radius are finished one by one.  Records
** of blocks the leaf only partly covers are done one by one too. */
__attribute__((target("avx2,popcnt")))
static void leaf_avx2(query *c, const tells_tlshidx *ix, size_t lo, size_t hi, unsigned h) {
  const __m256i tab = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                       0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i low4 = _mm256_set1_epi8(15);
  const __m256i q10 = _mm256_set1_epi64x((long long)c->qp[0][0]);
  const __m256i q11 = _mm256_set1_epi64x((long long)c->qp[0][1]);
  const __m256i q12 = _mm256_set1_epi64x((long long)c->qp[0][2]);
  const __m256i q20 = _mm256_set1_epi64x((long long)c->qp[1][0]);
  const __m256i q21 = _mm256_set1_epi64x((long long)c->qp[1][1]);
  const __m256i q22 = _mm256_set1_epi64x((long long)c->qp[1][2]);
  __m256i rv = _mm256_set1_epi64x((long long)c->r - h);
  size_t i = lo, b, bend;
  if (c->st) { c->st->nodes++; c->st->distances += hi - lo; }
  for (; i < hi && (i & 3); i++) offer_pc(c, ix, i, h);   /* up to the first whole block */
  bend = i + (hi - i) / 4 * 4;
  for (b = i; b < bend && b < i + AHEAD; b += 4) PREFETCH_H1(ix, b);
  for (; i < bend; i += 4) {
    __m256i d;
    unsigned far;
    if (i + AHEAD < bend) PREFETCH_H1(ix, i + AHEAD);
    d = half4(&ix->h1[i >> 2], q10, q11, q12, tab, low4);
    if (_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(d, rv))) == 15) continue;
    d = _mm256_add_epi64(d, half4(&ix->h2[i >> 2], q20, q21, q22, tab, low4));
    far = (unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(d, rv)));
    if (far != 15) {                        /* before the checksum term */
      unsigned j;
      for (j = 0; j < 4; j++)
        if (!(far >> j & 1)) offer_pc(c, ix, i + j, h);
      rv = _mm256_set1_epi64x((long long)c->r - h);
    }
  }
  for (; i < hi; i++) offer_pc(c, ix, i, h);   /* the last, partial block */
}
#endif

static void scan_leaf(query *c, const tells_tlshidx *ix, size_t lo, size_t hi, unsigned h) {
#if IX_POPCNT
  if (c->kern == IX_AVX2) { leaf_avx2(c, ix, lo, hi, h); return; }
  if (c->kern == IX_POPCNT_K) { leaf_pc(c, ix, lo, hi, h); return; }
#endif
  leaf_k(c, ix, lo, hi, h, 0);
}

static unsigned metric_q(const query *c, const tells_tlshidx *ix, size_t i) {
#if IX_POPCNT
  if (c->kern != IX_SWAR) return metric_pc(c, ix, i);
#endif
  return half_l1(c->qp[0], H1(ix, i), 0) + half_l1(c->qp[1], H2(ix, i), 0);
}

static unsigned member_dist(const query *c, const tells_tlshidx *ix, size_t i, unsigned h) {
#if IX_POPCNT
  if (c->kern != IX_SWAR) return member_pc(c, ix, i, h);
#endif
  return member_k(c, ix, i, h, 0);
}

/* Searches the tree on [lo, hi) of a group with header terms h. */
static void search(query *c, const tells_tlshidx *ix, size_t lo, size_t hi, unsigned h) {
  while (hi - lo > LEAF) {
    size_t mid = lo + 1 + (hi - lo - 1) / 2;
    unsigned m, mu = ix->mu[lo];
    if (h > c->r) return;
    m = metric_q(c, ix, lo);
    if (c->st) { c->st->bounds++; c->st->nodes++; }
    if (m <= c->r - h) {              /* the vantage point itself */
      unsigned d = member_dist(c, ix, lo, h);
      if (c->st) c->st->distances++;
      if (d <= c->r) offer(c, d, ix->id[lo]);
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
  if (h <= c->r) scan_leaf(c, ix, lo, hi, h);
}

static int query_init(query *c, const tells_tlshidx *ix, const tells_tlsh *q, size_t k,
                      int max_dist, tells_tlshidx_hit *out, tells_tlshidx_stats *st) {
  if (st) memset(st, 0, sizeof *st);
  if (!ix || !q || !k || max_dist < 0 || q->nbody != 32 || q->nchecksum != 1) return 0;
  memset(c, 0, sizeof *c);
  to_rec(q, 0, &c->q);
  planes(c->q.body[0], c->q.body[1], c->qp[0]);
  planes(c->q.body[2], c->q.body[3], c->qp[1]);
  c->h = out; c->k = k;
  c->max = c->r = (unsigned)max_dist;
  c->with_len = ix->with_len;
  c->st = st;
  c->kern = tells__tlshidx_kernel(-1);
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
  scan_all(&c, ix);
  return finish(&c);
}
