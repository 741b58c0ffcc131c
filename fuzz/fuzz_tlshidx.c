/*
** fuzz_tlshidx.c -- libFuzzer target for the TLSH index (lib/code/tlsh_index.c):
** a differential check that the index is exact.
**
** The input describes a library.  Byte 0 gives k (1 to 16), byte 1 the
** threshold (0 to 510), byte 2 the length term (bit 0), whether headers
** are kept as they are (bit 1; otherwise folded to two, so that groups are
** deep enough for the vantage-point tree) and how many relatives each
** digest gets (bits 2-7).  Then 36 bytes per digest: L, Q1, Q2, checksum
** and the 32 body bytes, at most 64 of them.  Each is followed in the
** library by its relatives: copies with 1 to 60 bucket codes changed, by a
** generator seeded from the input, up to 4,096 digests in all (two groups
** of about 2,000 with folded headers: trees of depth 2).
**
** The first 8 digests of the input, a relative and the complement (codes
** 3 - c, far from everything) are queried through the index, with every
** leaf kernel the CPU has (AVX2, POPCNT, SWAR), and the answers must equal
** a brute-force scan with tells_tlsh_distance(), sorted by (distance, id).
** Replayed over fuzz/corpus/tlshidx/ by replay_fuzz_tlshidx in every build.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../lib/code/tlsh.h"
#include "../lib/code/tlsh_index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXBASE 64
#define MAXLIB 4096
#define MAXK 16
#define QUERIED 8   /* input digests queried (with a relative and a complement each) */

static uint64_t rng;
static unsigned rndn(unsigned n) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return (unsigned)(rng % n);
}

static void relative(const tells_tlsh *s, tells_tlsh *d) {
  unsigned i, n = 1 + rndn(60);
  *d = *s;
  for (i = 0; i < n; i++) {
    unsigned b = rndn(32), sh = 2 * rndn(4);
    d->body[b] = (uint8_t)((d->body[b] & ~(3u << sh)) | rndn(4) << sh);
  }
  if (rndn(3) == 0) d->checksum[0] = (uint8_t)rndn(4);
}

/* The k nearest within thr, by (distance, id), the slow way. */
static size_t brute(const tells_tlsh *v, size_t n, const tells_tlsh *q, size_t k, int thr,
                    int with_len, tells_tlshidx_hit *out) {
  size_t i, j, m = 0;
  for (i = 0; i < n; i++) {
    int d = tells_tlsh_distance(q, &v[i], with_len);
    if (d < 0 || d > thr) continue;
    for (j = m; j > 0 && out[j - 1].dist > d; j--)
      if (j < k) out[j] = out[j - 1];
    if (j < k) { out[j].id = (uint32_t)i; out[j].dist = d; if (m < k) m++; }
  }
  return m;
}

static void check(const tells_tlshidx *ix, const tells_tlsh *v, size_t n, const tells_tlsh *q,
                  size_t k, int thr, int with_len) {
  tells_tlshidx_hit a[MAXK], b[MAXK];
  size_t na = tells_tlshidx_query(ix, q, k, thr, a, NULL), nb = brute(v, n, q, k, thr, with_len, b);
  if (na != nb) abort();
  if (na && memcmp(a, b, na * sizeof *a) != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static tells_tlsh v[MAXLIB];
  tells_tlshidx *ix = NULL;
  size_t nbase, per, n = 0, i, k;
  int thr, with_len, kern, top;
  if (size < 3 + 36) return 0;
  k = 1 + data[0] % MAXK;
  thr = data[1] * 2;
  with_len = data[2] & 1;
  per = data[2] >> 2;
  nbase = (size - 3) / 36;
  if (nbase > MAXBASE) nbase = MAXBASE;
  rng = 0x9e3779b97f4a7c15ull ^ size;
  for (i = 0; i < 3 + nbase * 36 && i < 64; i++) rng = rng * 31 + data[i] + 1;
  if (!rng) rng = 1;
  for (i = 0; i < nbase && n < MAXLIB; i++) {
    const uint8_t *p = data + 3 + 36 * i;
    tells_tlsh *d = &v[n++];
    size_t j;
    memset(d, 0, sizeof *d);
    d->nbody = 32; d->nchecksum = 1;
    d->lvalue = p[0]; d->q1ratio = p[1] & 15; d->q2ratio = p[2] & 15; d->checksum[0] = p[3];
    if (!(data[2] & 2)) {             /* few headers: deep groups */
      d->lvalue = (uint8_t)(100 + (p[0] & 1)); d->q1ratio = 1; d->q2ratio = 1;
    }
    memcpy(d->body, p + 4, 32);
    for (j = 0; j < per && n < MAXLIB; j++) relative(d, &v[n++]);
  }
  if (tells_tlshidx_build(v, NULL, n, with_len, &ix, NULL) != TELLS_OK) return 0;
  if (tells_tlshidx_count(ix) != n) abort();
  top = tells__tlshidx_kernel(2);
  for (kern = top; kern >= 0; kern--) {
    tells__tlshidx_kernel(kern);
    for (i = 0; i < nbase && i < QUERIED; i++) {
      tells_tlsh q, far;
      size_t j, at = i * (1 + per);     /* digest i of the input */
      if (at >= n) break;
      check(ix, v, n, &v[at], k, thr, with_len);
      relative(&v[at], &q);
      check(ix, v, n, &q, k, thr, with_len);
      far = v[at];
      for (j = 0; j < 32; j++) far.body[j] = (uint8_t)~far.body[j];
      check(ix, v, n, &far, k, thr, with_len);
    }
  }
  tells__tlshidx_kernel(2);
  tells_tlshidx_free(ix);
  return 0;
}
