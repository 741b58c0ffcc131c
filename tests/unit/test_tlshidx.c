/*
** test_tlshidx.c -- the TLSH index (lib/code/tlsh_index.c) returns exactly
** what a linear scan with tells_tlsh_distance() returns: random sets,
** clustered sets, duplicates, the empty index, k and threshold.
*/
#include <stdint.h>
#include "t.h"
#include "tlsh.h"
#include "tlsh_index.h"

static uint64_t g_rng = 88172645463325252ull;
static unsigned rndn(unsigned n) {
  g_rng ^= g_rng << 13; g_rng ^= g_rng >> 7; g_rng ^= g_rng << 17;
  return (unsigned)(g_rng % n);
}

static void random_digest(tells_tlsh *d) {
  unsigned i;
  memset(d, 0, sizeof *d);
  d->nbody = 32; d->nchecksum = 1;
  for (i = 0; i < 32; i++) d->body[i] = (uint8_t)rndn(256);
  d->checksum[0] = (uint8_t)rndn(4);          /* few values: ties happen */
  d->lvalue = (uint8_t)(100 + rndn(6));
  d->q1ratio = (uint8_t)rndn(16); d->q2ratio = (uint8_t)rndn(3);
}

/* A relative of s: a few bucket codes changed, sometimes the header. */
static void mutate(const tells_tlsh *s, tells_tlsh *d, unsigned n) {
  unsigned i;
  *d = *s;
  for (i = 0; i < n; i++) {
    unsigned b = rndn(32), sh = 2 * rndn(4);
    d->body[b] = (uint8_t)((d->body[b] & ~(3u << sh)) | rndn(4) << sh);
  }
  if (rndn(4) == 0) d->lvalue = (uint8_t)(d->lvalue + 1);
  if (rndn(4) == 0) d->q1ratio = (uint8_t)((d->q1ratio + 15) & 15);
  if (rndn(3) == 0) d->checksum[0] = (uint8_t)rndn(4);
}

/* Reference: brute force with the public distance, sorted by (dist, id). */
static size_t brute(const tells_tlsh *v, size_t n, const tells_tlsh *q, size_t k,
                    int thr, int with_len, tells_tlshidx_hit *out) {
  size_t i, m = 0, j;
  for (i = 0; i < n; i++) {
    int d = tells_tlsh_distance(q, &v[i], with_len);
    if (d < 0 || d > thr) continue;
    for (j = m; j > 0 && (out[j - 1].dist > d); j--)
      if (j < k) out[j] = out[j - 1];
    if (j < k) { out[j].id = (uint32_t)i; out[j].dist = d; if (m < k) m++; }
  }
  return m;
}

/* Compares index, linear scan and brute force for nq queries. */
static int same_answers(const tells_tlsh *v, size_t n, int with_len, size_t nq,
                        size_t k, int thr) {
  tells_tlshidx *ix = NULL;
  tells_tlshidx_hit a[64], b[64], c[64];
  size_t i, j, sk, bad = 0;
  if (tells_tlshidx_build(v, NULL, n, with_len, &ix, &sk) != TELLS_OK) return 0;
  for (i = 0; i < nq; i++) {
    tells_tlsh q;
    size_t na, nb, nc;
    if (n && i % 2 == 0) mutate(&v[rndn((unsigned)n)], &q, rndn(12));
    else random_digest(&q);
    na = tells_tlshidx_query(ix, &q, k, thr, a, NULL);
    nb = tells_tlshidx_linear(ix, &q, k, thr, b);
    nc = brute(v, n, &q, k, thr, with_len, c);
    if (na != nb || na != nc) { bad++; continue; }
    for (j = 0; j < na; j++)
      if (a[j].id != b[j].id || a[j].dist != b[j].dist || a[j].id != c[j].id ||
          a[j].dist != c[j].dist) { bad++; break; }
  }
  tells_tlshidx_free(ix);
  if (bad) fprintf(stderr, "  %zu of %zu queries differ (n=%zu k=%zu thr=%d)\n", bad, nq, n, k, thr);
  return bad == 0;
}

static tells_tlsh *clustered(size_t n, size_t nbase) {
  tells_tlsh *v = calloc(n, sizeof *v);
  size_t i;
  if (!v) return NULL;
  for (i = 0; i < n; i++) {
    if (i < nbase) random_digest(&v[i]);
    else mutate(&v[rndn((unsigned)nbase)], &v[i], 1 + rndn(30));
  }
  return v;
}

static void test_tlshidx_random_sets(void) {
  size_t n;
  for (n = 1; n <= 3000; n = n * 3 + 7) {
    tells_tlsh *v = clustered(n, n / 10 + 1);
    CHECK(v != NULL);
    if (!v) return;
    CHECK(same_answers(v, n, 1, 60, 5, 120));
    CHECK(same_answers(v, n, 0, 60, 5, 120));
    free(v);
  }
}

static void test_tlshidx_k_and_threshold(void) {
  tells_tlsh *v = clustered(4000, 40);
  static const size_t ks[] = {1, 2, 7, 64};
  static const int thr[] = {0, 10, 30, 70, 300, 100000};
  size_t i, j;
  CHECK(v != NULL);
  if (!v) return;
  for (i = 0; i < sizeof ks / sizeof ks[0]; i++)
    for (j = 0; j < sizeof thr / sizeof thr[0]; j++)
      CHECK(same_answers(v, 4000, 1, 30, ks[i], thr[j]));
  free(v);
}

/* One header for every digest: a single group, deep enough for the
** vantage-point tree (leaves are at most 768 records), queried with every
** leaf kernel the CPU has (AVX2, POPCNT, SWAR). */
static void test_tlshidx_one_group_both_kernels(void) {
  tells_tlsh *v = clustered(6000, 60);
  static const int thr[] = {10, 30, 70, 100, 300};
  int had = tells__tlshidx_kernel(-1), kern, top;
  size_t i, j;
  CHECK(v != NULL);
  if (!v) return;
  for (i = 0; i < 6000; i++) { v[i].lvalue = 101; v[i].q1ratio = 4; v[i].q2ratio = 1; }
  top = tells__tlshidx_kernel(2);
  for (kern = top; kern >= 0; kern--) {
    CHECK(tells__tlshidx_kernel(kern) == kern);
    for (j = 0; j < sizeof thr / sizeof thr[0]; j++) {
      CHECK(same_answers(v, 6000, 1, 40, 5, thr[j]));
      CHECK(same_answers(v, 6000, 0, 20, 1, thr[j]));
    }
  }
  tells__tlshidx_kernel(had);   /* had <= what the CPU has: the same kernel again */
  free(v);
}

static void test_tlshidx_duplicates(void) {
  tells_tlsh *v = calloc(1000, sizeof *v);
  tells_tlshidx *ix = NULL;
  tells_tlshidx_hit h[10];
  size_t i, n;
  CHECK(v != NULL);
  if (!v) return;
  random_digest(&v[0]);
  for (i = 1; i < 1000; i++) {
    if (i % 3) v[i] = v[0];                   /* 667 copies of one digest */
    else random_digest(&v[i]);
  }
  CHECK(same_answers(v, 1000, 1, 40, 10, 200));
  CHECK_EQ_INT(tells_tlshidx_build(v, NULL, 1000, 1, &ix, NULL), TELLS_OK);
  n = tells_tlshidx_query(ix, &v[0], 10, 0, h, NULL);
  CHECK_EQ_INT(n, 10);
  for (i = 0; i < n; i++) CHECK_EQ_INT(h[i].dist, 0);
  CHECK_EQ_INT(h[0].id, 0);                   /* ties broken by id */
  CHECK_EQ_INT(h[9].id, 13);
  tells_tlshidx_free(ix);
  free(v);
}

static void test_tlshidx_empty_and_variants(void) {
  tells_tlshidx *ix = NULL;
  tells_tlshidx_hit h[4];
  tells_tlsh q, v[3];
  size_t sk = 99;
  random_digest(&q);
  CHECK_EQ_INT(tells_tlshidx_build(NULL, NULL, 0, 1, &ix, &sk), TELLS_OK);
  CHECK_EQ_INT(sk, 0);
  CHECK_EQ_INT(tells_tlshidx_count(ix), 0);
  CHECK_EQ_INT(tells_tlshidx_query(ix, &q, 4, 1000, h, NULL), 0);
  CHECK_EQ_INT(tells_tlshidx_linear(ix, &q, 4, 1000, h), 0);
  tells_tlshidx_free(ix);
  /* other variants and "no digest" are skipped, not indexed */
  v[0] = q; v[1] = q; v[1].nbody = 64; memset(&v[2], 0, sizeof v[2]);
  CHECK_EQ_INT(tells_tlshidx_build(v, NULL, 3, 1, &ix, &sk), TELLS_OK);
  CHECK_EQ_INT(sk, 2);
  CHECK_EQ_INT(tells_tlshidx_count(ix), 1);
  CHECK_EQ_INT(tells_tlshidx_query(ix, &q, 4, 0, h, NULL), 1);
  CHECK_EQ_INT(tells_tlshidx_query(ix, &q, 0, 1000, h, NULL), 0);
  CHECK_EQ_INT(tells_tlshidx_query(ix, &v[1], 4, 1000, h, NULL), 0);
  CHECK_EQ_INT(tells_tlshidx_query(ix, &q, 4, -1, h, NULL), 0);
  tells_tlshidx_free(ix);
}

static void test_tlshidx_real_digests(void) {
  /* digests of real hashing: a text, the text with a few bytes changed,
  ** and unrelated bytes; ids given by the caller */
  static char buf[3][4096];
  tells_tlsh v[3];
  uint32_t ids[3] = {70, 71, 72};
  tells_tlshidx *ix = NULL;
  tells_tlshidx_hit h[3];
  size_t i;
  for (i = 0; i < sizeof buf[0]; i++) {
    buf[0][i] = "the quick brown fox jumps over the lazy dog, 0123456789\n"[i % 56] ^ (char)(i / 56 % 7);
    buf[2][i] = (char)rndn(256);
  }
  memcpy(buf[1], buf[0], sizeof buf[0]);
  for (i = 0; i < 40; i++) buf[1][rndn(sizeof buf[1])] = (char)rndn(256);
  for (i = 0; i < 3; i++) CHECK_EQ_INT(tells_tlsh_hash(buf[i], sizeof buf[i], 0, &v[i]), TELLS_OK);
  CHECK_EQ_INT(tells_tlshidx_build(v, ids, 3, 1, &ix, NULL), TELLS_OK);
  CHECK_EQ_INT(tells_tlshidx_query(ix, &v[0], 3, 100000, h, NULL), 3);
  CHECK_EQ_INT(h[0].id, 70);
  CHECK_EQ_INT(h[0].dist, 0);
  CHECK_EQ_INT(h[1].id, 71);
  CHECK_EQ_INT(h[1].dist, tells_tlsh_distance(&v[0], &v[1], 1));
  CHECK_EQ_INT(h[2].dist, tells_tlsh_distance(&v[0], &v[2], 1));
  CHECK(h[1].dist < h[2].dist);
  tells_tlshidx_free(ix);
}

/* Not the index, but its input: the AVX-512 VBMI path of the hash gives the
** digests of the scalar loop, for any length and chunking (the reference
** vectors in test_tlsh.c run on whichever path the CPU takes). */
static void test_tlsh_simd_matches_scalar(void) {
  static uint8_t buf[70000];
  size_t lens[] = {50, 127, 128, 131, 200, 1000, 4099, 65536, 70000}, i, k;
  int had = tells__tlsh_simd(-1);
  if (!had) T_SKIP("this CPU has no AVX-512 VBMI; the scalar loop is the only one");
  for (i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(i % 3 ? rndn(256) : i / 7);
  for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
    for (k = 0; k < 3; k++) {
      tells_tlsh a, b;
      tells_tlsh_ctx c;
      size_t off, step = k == 0 ? lens[i] : k == 1 ? 1 + rndn(300) : 64;
      unsigned opts = k == 2 ? TELLS_TLSH_BUCKETS256 : 0;
      tells__tlsh_simd(1);
      tells_tlsh_init(&c, opts);
      for (off = 0; off < lens[i]; off += step)
        tells_tlsh_update(&c, buf + off, off + step <= lens[i] ? step : lens[i] - off);
      tells_tlsh_final(&c, &a);
      tells__tlsh_simd(0);
      tells_tlsh_hash(buf, lens[i], opts, &b);
      CHECK(memcmp(&a, &b, sizeof a) == 0);
    }
  }
  tells__tlsh_simd(had);
}

int main(void) {
  T_RUN(test_tlshidx_random_sets);
  T_RUN(test_tlshidx_k_and_threshold);
  T_RUN(test_tlshidx_one_group_both_kernels);
  T_RUN(test_tlshidx_duplicates);
  T_RUN(test_tlshidx_empty_and_variants);
  T_RUN(test_tlshidx_real_digests);
  T_RUN(test_tlsh_simd_matches_scalar);
  T_END();
}
