/*
** tlshgen.c -- synthetic TLSH libraries and the timings of benchmark (c).
**
**   tlshgen speed [MB]
**       TLSH hashing speed over MB (default 64) of mixed bytes in memory.
**   tlshgen bench N NQ K THRESHOLD FILE...
**       Hashes FILEs (real executables), derives a library of N digests from
**       them (two thirds mutations of the real digests, one third random
**       digests with the real digests' L and Q values), indexes it, and runs
**       NQ queries (mutations of real digests, real digests themselves and
**       random digests) through the index and through a linear scan in the
**       same run, one query at a time on this thread.  Prints the per-query
**       CPU times, their ratio and the recall (must be 1: the index is
**       exact; the program exits 1 if any answer differs).  With
**       TLSHGEN_KERNEL=0, 1 or 2 in the environment, the index's leaves are
**       scanned with at best that kernel (SWAR, POPCNT, AVX2).
**   tlshgen digests N FILE...
**       Prints N library digests, derived as above, one per line.
**
** Deterministic: the mutations come from a fixed-seed generator.  Nothing
** it writes is committed; bench/bench_tlsh_index.sh runs it.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tlsh.h"
#include "tlsh_index.h"

static uint64_t g_rng = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void) {
  g_rng ^= g_rng << 13; g_rng ^= g_rng >> 7; g_rng ^= g_rng << 17;
  return g_rng;
}
static unsigned rndn(unsigned n) { return (unsigned)(rnd() % n); }

static double cpu_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void set_code(tells_tlsh *d, unsigned i, unsigned v) {
  unsigned byte = d->nbody - 1 - i / 4, sh = 2 * (i % 4);
  d->body[byte] = (uint8_t)((d->body[byte] & ~(3u << sh)) | v << sh);
}

/* A near relative: swaps of bucket codes (keeping the quartile balance),
** some +-1 steps, sometimes a Q or L step and a new checksum. */
static void mutate(const tells_tlsh *src, tells_tlsh *o, unsigned strength) {
  unsigned i, n = 1 + rndn(strength);
  *o = *src;
  for (i = 0; i < n; i++) {
    unsigned a = rndn(128), b = rndn(128);
    int ca = tells_tlsh_bucket(o, a), cb = tells_tlsh_bucket(o, b);
    if (rndn(4) == 0) {
      int v = ca + (rndn(2) ? 1 : -1);
      if (v >= 0 && v <= 3) set_code(o, a, (unsigned)v);
    } else {
      set_code(o, a, (unsigned)cb); set_code(o, b, (unsigned)ca);
    }
  }
  if (rndn(3) == 0) o->checksum[0] = (uint8_t)rnd();
  if (rndn(6) == 0) o->q1ratio = (uint8_t)((o->q1ratio + 1) & 15);
  if (rndn(8) == 0) o->lvalue = (uint8_t)(o->lvalue + 1);
}

/* Unrelated digest: 32 buckets of each code, shuffled; header of a real one. */
static void random_digest(const tells_tlsh *like, tells_tlsh *o) {
  unsigned i, code[128];
  *o = *like;
  for (i = 0; i < 128; i++) code[i] = i / 32;
  for (i = 127; i > 0; i--) { unsigned j = rndn(i + 1), t = code[i]; code[i] = code[j]; code[j] = t; }
  for (i = 0; i < 128; i++) set_code(o, i, code[i]);
  o->checksum[0] = (uint8_t)rnd();
}

static tells_tlsh *read_real(int argc, char **argv, size_t *n_out) {
  tells_tlsh *v = calloc((size_t)argc + 1, sizeof *v);
  size_t n = 0;
  int i;
  for (i = 0; v && i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    uint8_t buf[65536];
    size_t k;
    tells_tlsh_ctx c;
    if (!f) continue;
    tells_tlsh_init(&c, 0);
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) tells_tlsh_update(&c, buf, k);
    fclose(f);
    if (tells_tlsh_final(&c, &v[n]) == TELLS_OK) n++;
  }
  *n_out = n;
  return v;
}

static void derive(const tells_tlsh *real, size_t nreal, tells_tlsh *out, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    const tells_tlsh *base = &real[rndn((unsigned)nreal)];
    if (i % 3 == 2) random_digest(base, &out[i]);
    else mutate(base, &out[i], 40);
  }
}

static int cmd_speed(size_t mb) {
  size_t n = mb << 20, i;
  uint8_t *p = malloc(n);
  tells_tlsh d;
  char s[TELLS_TLSH_STRMAX];
  double t;
  if (!p) return 1;
  for (i = 0; i < n; i++)            /* half random, half text-like */
    p[i] = i < n / 2 ? (uint8_t)rnd() : (uint8_t)("MZ\x90 kernel32.dll GetProcAddress\n"[i % 32]);
  t = cpu_now();
  tells_tlsh_hash(p, n, 0, &d);
  t = cpu_now() - t;
  tells_tlsh_format(&d, 0, s);
  printf("tlsh: %zu MiB in %.3f s cpu: %.1f MB/s (%s)\n", mb, t, (double)n / t / 1e6, s);
  free(p);
  return 0;
}

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

/* The kind of query i: a real digest, a relative (20 changes) or a random
** body, one, two and one in four. */
enum { Q_REAL, Q_RELATIVE, Q_RANDOM };
static int query_kind(size_t i) { return i % 4 == 0 ? Q_REAL : i % 4 == 3 ? Q_RANDOM : Q_RELATIVE; }

static int cmd_bench(size_t n, size_t nq, size_t k, int thr, int argc, char **argv) {
  size_t nreal, i, skipped, mism = 0, found = 0, with_hits = 0;
  tells_tlsh *real = read_real(argc, argv, &nreal), *lib, *qs;
  tells_tlshidx *ix = NULL;
  tells_tlshidx_hit *a = calloc(k, sizeof *a), *b = calloc(k, sizeof *b);
  double *tq = calloc(nq ? nq : 1, sizeof *tq), kind_sum[3] = {0, 0, 0}, kind_max[3] = {0, 0, 0};
  size_t kind_n[3] = {0, 0, 0};
  uint64_t kind_dist[3] = {0, 0, 0};
  static const char *const kind_name[3] = {"real digest", "relative (20 changes)", "random body"};
  tells_tlshidx_stats st;
  uint64_t dist_total = 0;
  double t0, t_build, t_idx = 0, t_lin = 0;
  if (!real || !nreal || !a || !b || !tq) { fprintf(stderr, "tlshgen: no digest from the files\n"); return 2; }
  if (getenv("TLSHGEN_KERNEL")) tells__tlshidx_kernel(atoi(getenv("TLSHGEN_KERNEL")));
  lib = malloc(n * sizeof *lib);
  qs = malloc(nq * sizeof *qs);
  if (!lib || !qs) return 2;
  derive(real, nreal, lib, n);
  for (i = 0; i < nq; i++) {
    const tells_tlsh *base = &real[rndn((unsigned)nreal)];
    switch (query_kind(i)) {
    case Q_REAL: qs[i] = *base; break;
    case Q_RANDOM: random_digest(base, &qs[i]); break;
    default: mutate(base, &qs[i], 20); break;
    }
  }
  t0 = cpu_now();
  if (tells_tlshidx_build(lib, NULL, n, 1, &ix, &skipped)) { fprintf(stderr, "tlshgen: index build failed\n"); return 2; }
  t_build = cpu_now() - t0;
  for (i = 0; i < nq; i++) {
    size_t na, nb, j;
    int kind = query_kind(i);
    t0 = cpu_now();
    na = tells_tlshidx_query(ix, &qs[i], k, thr, a, &st);
    tq[i] = cpu_now() - t0;
    t_idx += tq[i];
    kind_sum[kind] += tq[i];
    if (tq[i] > kind_max[kind]) kind_max[kind] = tq[i];
    kind_n[kind]++;
    kind_dist[kind] += st.distances;
    t0 = cpu_now();
    nb = tells_tlshidx_linear(ix, &qs[i], k, thr, b);
    t_lin += cpu_now() - t0;
    dist_total += st.distances;
    found += nb;
    with_hits += nb > 0;
    if (na != nb) { mism++; continue; }
    for (j = 0; j < na; j++)
      if (a[j].id != b[j].id || a[j].dist != b[j].dist) { mism++; break; }
  }
  printf("library: %zu digests (%zu real digests from %d files), k=%zu, threshold=%d\n",
         n, nreal, argc, k, thr);
  printf("index build: %.3f s cpu; leaf kernel %d (0 SWAR, 1 POPCNT, 2 AVX2)\n", t_build,
         tells__tlshidx_kernel(-1));
  printf("queries: %zu (%zu with hits, %zu hits in all)\n", nq, with_hits, found);
  printf("index:  %.4f ms cpu per query, %.0f distances per query\n",
         t_idx * 1e3 / (double)nq, (double)dist_total / (double)nq);
  for (i = 0; i < 3; i++)
    if (kind_n[i])
      printf("  %-22s %4zu queries: mean %.4f ms, max %.4f ms, %.0f distances\n", kind_name[i],
             kind_n[i], kind_sum[i] * 1e3 / (double)kind_n[i], kind_max[i] * 1e3,
             (double)kind_dist[i] / (double)kind_n[i]);
  if (nq) {
    qsort(tq, nq, sizeof *tq, cmp_double);
    printf("  all: median %.4f ms, 99th percentile %.4f ms, max %.4f ms\n", tq[(nq - 1) / 2] * 1e3,
           tq[(nq * 99 + 99) / 100 - 1] * 1e3, tq[nq - 1] * 1e3);
  }
  printf("linear: %.4f ms cpu per query\n", t_lin * 1e3 / (double)nq);
  printf("ratio (linear / index): %.1fx\n", t_lin / (t_idx > 0 ? t_idx : 1e-9));
  printf("recall vs linear scan: %.4f (%zu queries differ)\n",
         (double)(nq - mism) / (double)nq, mism);
  tells_tlshidx_free(ix);
  free(real); free(lib); free(qs); free(a); free(b); free(tq);
  return mism ? 1 : 0;
}

static int cmd_digests(size_t n, int argc, char **argv) {
  size_t nreal, i;
  tells_tlsh *real = read_real(argc, argv, &nreal), d;
  char s[TELLS_TLSH_STRMAX];
  if (!real || !nreal) { fprintf(stderr, "tlshgen: no digest from the files\n"); return 2; }
  for (i = 0; i < n; i++) {
    derive(real, nreal, &d, 1);
    tells_tlsh_format(&d, 0, s);
    puts(s);
  }
  free(real);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "speed") == 0)
    return cmd_speed(argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 64);
  if (argc >= 7 && strcmp(argv[1], "bench") == 0)
    return cmd_bench((size_t)strtoul(argv[2], NULL, 10), (size_t)strtoul(argv[3], NULL, 10),
                     (size_t)strtoul(argv[4], NULL, 10), atoi(argv[5]), argc - 6, argv + 6);
  if (argc >= 4 && strcmp(argv[1], "digests") == 0)
    return cmd_digests((size_t)strtoul(argv[2], NULL, 10), argc - 3, argv + 3);
  fputs("usage: tlshgen speed [MB] | bench N NQ K THRESHOLD FILE... | digests N FILE...\n", stderr);
  return 2;
}
