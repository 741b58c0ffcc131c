/*
** sigma_bg.c -- a literal scanner for small literal sets (the keyword
** literals of the Sigma prefilter): each literal is anchored on one of its
** two-byte windows, chosen as the least frequent by a fixed estimate of
** byte frequencies in Windows log text; the scan tests every two-byte
** window of the input against an 8 KiB bitmap of the anchors (independent
** loads from L1, no chain of dependent state reads as in an automaton) and
** compares the literals of a set anchor in place, folding ASCII case:
** each anchor is entered in its case variants, so the text need not be
** lowercased first.  Reports exact occurrences in the ASCII-lowercased
** text.  On x86-64 CPUs with SSSE3, 16 positions are tested at a time
** first: a position goes on to the bigram test only when its byte and the
** next (case folded) can start an anchor, by nibble tables (PSHUFB).
*/
#include <string.h>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define BG_SIMD 1
#include <immintrin.h>
#endif
#include "alloc.h"
#include "sigma_bg.h"

typedef struct bg_ent { uint32_t lit, off; } bg_ent;

struct sg_bg {
  uint64_t bits[65536 / 64];     /* anchor bigrams: p[i] | p[i+1] << 8 */
  uint32_t *boff;                /* [bigram .. bigram+1): entries */
  bg_ent *ents;
  uint32_t *loff, *llen, *ids;   /* literal i: text at bytes + loff[i] */
  char *bytes;
  size_t n;
  /* prefilter: byte c | 0x20 (ASCII case folded) can be the first byte of
  ** an anchor iff lo1[c & 15] has bit c >> 4; lo2 for the second byte */
  uint8_t lo1[16], lo2[16];
  int pf;                        /* the anchors are ASCII: prefilter usable */
};

/* Rough frequency class of a lowercased byte in log text (0 rare .. 9
** very common). */
static unsigned byte_freq(uint8_t c) {
  static const char common[] = "etaoinsr";
  static const char medium[] = "hldcumfpgwyb";
  if (c == ' ' || c == '\\' || c == '.') return 8;
  if (c >= '0' && c <= '9') return 7;
  if (c >= 'a' && c <= 'z') {
    if (strchr(common, c)) return 9;
    if (strchr(medium, c)) return 6;
    return 3;                       /* v k x j q z */
  }
  if (c == '-' || c == '_' || c == '/' || c == ':' || c == '"' || c == ',' || c == '=') return 5;
  return 1;
}

static uint8_t up(uint8_t c) { return (unsigned)(c - 'a') < 26u ? (uint8_t)(c - 32) : c; }

/* The case variants of a lowercased bigram (1, 2 or 4). */
static unsigned variants(const uint8_t *l, uint32_t *v) {
  uint8_t a[2] = { l[0], up(l[0]) }, b[2] = { l[1], up(l[1]) };
  unsigned n = 0, x, y;
  for (x = 0; x < (a[1] != a[0] ? 2u : 1u); x++)
    for (y = 0; y < (b[1] != b[0] ? 2u : 1u); y++) v[n++] = a[x] | (uint32_t)b[y] << 8;
  return n;
}

static void ascii_lower(char *d, const char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) d[i] = (char)((unsigned)(s[i] - 'A') < 26u ? s[i] + 32 : s[i]);
}

sg_bg *tells__sigma_bg_build(const char *const *lits, const size_t *lens, size_t n,
                             const uint32_t *ids) {
  sg_bg *g;
  size_t i, total = 0;
  uint32_t *anchor = NULL, *fill = NULL;
  if (n == 0 || n > SG_BG_MAX_LITS) return NULL;
  for (i = 0; i < n; i++) {
    if (lens[i] < 2 || lens[i] > 0xFFFF) return NULL;
    total += lens[i];
  }
  g = tells_calloc(1, sizeof *g);
  if (!g) return NULL;
  g->n = n;
  g->pf = 1;
  g->boff = tells_calloc(65537, sizeof *g->boff);
  g->ents = tells_malloc(4 * n * sizeof *g->ents);
  g->loff = tells_malloc(n * sizeof *g->loff);
  g->llen = tells_malloc(n * sizeof *g->llen);
  g->ids = tells_malloc(n * sizeof *g->ids);
  g->bytes = tells_malloc(total);
  anchor = tells_malloc(n * sizeof *anchor);
  fill = tells_malloc(65536 * sizeof *fill);
  if (!g->boff || !g->ents || !g->loff || !g->llen || !g->ids || !g->bytes || !anchor || !fill)
    goto fail;
  for (i = 0, total = 0; i < n; i++) {
    const uint8_t *l;
    size_t j, bestj = 0;
    unsigned best = ~0u;
    g->loff[i] = (uint32_t)total;
    g->llen[i] = (uint32_t)lens[i];
    g->ids[i] = ids ? ids[i] : (uint32_t)i;
    ascii_lower(g->bytes + total, lits[i], lens[i]);
    l = (const uint8_t *)g->bytes + total;
    for (j = 0; j + 1 < lens[i]; j++) {
      unsigned f = byte_freq(l[j]) * byte_freq(l[j + 1]) + (l[j] == l[j + 1] ? 0 : 1);
      if (f < best) { best = f; bestj = j; }
    }
    anchor[i] = (uint32_t)bestj;
    {
      uint8_t a = (uint8_t)(l[bestj] | 0x20), b = (uint8_t)(l[bestj + 1] | 0x20);
      if (a >= 0x80 || b >= 0x80) g->pf = 0;
      g->lo1[a & 15] = (uint8_t)(g->lo1[a & 15] | 1u << (a >> 4 & 7));
      g->lo2[b & 15] = (uint8_t)(g->lo2[b & 15] | 1u << (b >> 4 & 7));
    }
    {
      uint32_t v[4];
      unsigned k, nv = variants(l + bestj, v);
      for (k = 0; k < nv; k++) g->boff[v[k] + 1]++;
    }
    total += lens[i];
  }
  for (i = 0; i < 65536; i++) {
    if (g->boff[i + 1]) g->bits[i >> 6] |= (uint64_t)1 << (i & 63);
    g->boff[i + 1] += g->boff[i];
    fill[i] = g->boff[i];
  }
  for (i = 0; i < n; i++) {
    const uint8_t *l = (const uint8_t *)g->bytes + g->loff[i];
    uint32_t v[4];
    unsigned k, nv = variants(l + anchor[i], v);
    for (k = 0; k < nv; k++) {
      g->ents[fill[v[k]]].lit = (uint32_t)i;
      g->ents[fill[v[k]]++].off = anchor[i];
    }
  }
  tells_free(anchor);
  tells_free(fill);
  return g;
fail:
  tells_free(anchor);
  tells_free(fill);
  tells__sigma_bg_free(g);
  return NULL;
}

void tells__sigma_bg_free(sg_bg *g) {
  if (!g) return;
  tells_free(g->boff); tells_free(g->ents); tells_free(g->loff); tells_free(g->llen);
  tells_free(g->ids); tells_free(g->bytes);
  tells_free(g);
}

size_t tells__sigma_bg_bytes(const sg_bg *g) {
  size_t total;
  if (!g) return 0;
  total = g->n ? g->loff[g->n - 1] + g->llen[g->n - 1] : 0;
  return sizeof *g + 65537 * sizeof *g->boff + 4 * g->n * sizeof *g->ents +
         3 * g->n * sizeof *g->loff + total;
}

/* p[0..n) ASCII-lowercased equals the lowercased literal l. */
static int eq_fold(const uint8_t *p, const uint8_t *l, uint32_t n) {
  uint32_t j;
  for (j = 0; j < n; j++) {
    uint8_t c = p[j];
    if ((unsigned)(c - 'A') < 26u) c = (uint8_t)(c + 32);
    if (c != l[j]) return 0;
  }
  return 1;
}

/* The literals anchored on the bigram at p[i], compared in place. */
static void bg_verify(const sg_bg *g, const uint8_t *p, size_t n, size_t i, uint32_t b,
                      uint64_t *hits, uint32_t *list, uint32_t *n_list) {
  uint32_t e;
  for (e = g->boff[b]; e < g->boff[b + 1]; e++) {
    const bg_ent *x = &g->ents[e];
    uint32_t len = g->llen[x->lit], id;
    size_t at;
    if (i < x->off) continue;
    at = i - x->off;
    if (len > n - at || !eq_fold(p + at, (const uint8_t *)g->bytes + g->loff[x->lit], len))
      continue;
    id = g->ids[x->lit];
    if ((hits[id >> 6] >> (id & 63)) & 1) continue;
    hits[id >> 6] |= (uint64_t)1 << (id & 63);
    list[(*n_list)++] = id;
  }
}

#define BG_TEST(k)                                                        \
  do {                                                                    \
    uint32_t b_ = p[i + (k)] | (uint32_t)p[i + (k) + 1] << 8;             \
    if ((g->bits[b_ >> 6] >> (b_ & 63)) & 1)                              \
      bg_verify(g, p, n, i + (k), b_, hits, list, n_list);                \
  } while (0)

#ifdef BG_SIMD
static volatile int bg_ssse3 = -1;      /* -1 unknown, 0 no, 1 SSSE3 */

/* 16 positions at a time: those whose byte and next byte (| 0x20) can
** start an anchor, by two nibble-table lookups each (PSHUFB), go on to the
** bigram test.  Every occurrence of an anchor, in any ASCII case, does.
** Returns where the scalar loop carries on. */
__attribute__((target("ssse3")))
static size_t scan_ssse3(const sg_bg *g, const uint8_t *p, size_t n, uint64_t *hits,
                         uint32_t *list, uint32_t *n_list) {
  const __m128i lo1 = _mm_loadu_si128((const __m128i *)(const void *)g->lo1);
  const __m128i lo2 = _mm_loadu_si128((const __m128i *)(const void *)g->lo2);
  const __m128i hib = _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m128i k0f = _mm_set1_epi8(0x0f), k20 = _mm_set1_epi8(0x20), z = _mm_setzero_si128();
  size_t i = 0;
  for (; i + 17 <= n; i += 16) {
    __m128i x = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(p + i)), k20);
    __m128i y = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(p + i + 1)), k20);
    __m128i a = _mm_and_si128(_mm_shuffle_epi8(lo1, _mm_and_si128(x, k0f)),
                              _mm_shuffle_epi8(hib, _mm_and_si128(_mm_srli_epi16(x, 4), k0f)));
    __m128i b = _mm_and_si128(_mm_shuffle_epi8(lo2, _mm_and_si128(y, k0f)),
                              _mm_shuffle_epi8(hib, _mm_and_si128(_mm_srli_epi16(y, 4), k0f)));
    unsigned mask = ~(unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(a, z),
                                                              _mm_cmpeq_epi8(b, z))) & 0xFFFFu;
    while (mask) {
      size_t at = i + (size_t)__builtin_ctz(mask);
      uint32_t bg = p[at] | (uint32_t)p[at + 1] << 8;
      mask &= mask - 1;
      if ((g->bits[bg >> 6] >> (bg & 63)) & 1) bg_verify(g, p, n, at, bg, hits, list, n_list);
    }
  }
  return i;
}
#endif

void tells__sigma_bg_scan(const sg_bg *g, const uint8_t *p, size_t n, uint64_t *hits,
                          uint32_t *list, uint32_t *n_list) {
  size_t i = 0;
  if (n < 2) return;
#ifdef BG_SIMD
  if (g->pf) {
    if (bg_ssse3 < 0) {
      __builtin_cpu_init();
      bg_ssse3 = __builtin_cpu_supports("ssse3");
    }
    if (bg_ssse3) i = scan_ssse3(g, p, n, hits, list, n_list);
  }
#endif
  for (; i + 9 <= n; i += 8) {
    uint64_t any = 0;
    int k;
    for (k = 0; k < 8; k++) {
      uint32_t b = p[i + k] | (uint32_t)p[i + k + 1] << 8;
      any |= g->bits[b >> 6] >> (b & 63);
    }
    if (!(any & 1)) continue;
    BG_TEST(0); BG_TEST(1); BG_TEST(2); BG_TEST(3);
    BG_TEST(4); BG_TEST(5); BG_TEST(6); BG_TEST(7);
  }
  for (; i + 1 < n; i++) BG_TEST(0);
}
