/*
** sigma_ac.c -- Aho-Corasick automaton (full DFA over byte classes) for the
** Sigma literal prefilter.  Built once at tells_sigma_compile(); scanned
** once per event field.  Written from the textbook construction: a trie of
** the literals, failure links by breadth-first walk, missing transitions
** filled from the failure state, and output chains through "dictionary
** suffix links" (the nearest failure ancestor that ends a literal).
*/
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "sigma_ac.h"

struct sg_ac {
  uint32_t n_states, n_classes;
  uint8_t cls[256];         /* byte -> class of its ASCII lowercase */
  uint8_t lower[256];       /* byte -> ASCII lowercase */
  uint32_t *next;           /* [state * n_classes + class] */
  uint32_t *term;           /* literal id + 1 ending at the state, or 0 */
  uint32_t *dict;           /* nearest failure ancestor with term, or 0 */
  uint8_t *out;             /* term or dict set */
};

static int cmp_idx_lits(const void *a, const void *b, void *ud);

typedef struct { const char *const *lits; const size_t *lens; } sort_ctx;
static sort_ctx *g_sort;    /* qsort has no user data in C11 */

static int cmp_idx(const void *a, const void *b) {
  return cmp_idx_lits(a, b, g_sort);
}

static int cmp_idx_lits(const void *a, const void *b, void *ud) {
  const sort_ctx *c = ud;
  size_t i = *(const size_t *)a, j = *(const size_t *)b;
  size_t n = c->lens[i] < c->lens[j] ? c->lens[i] : c->lens[j];
  int r = memcmp(c->lits[i], c->lits[j], n);
  if (r) return r;
  return c->lens[i] < c->lens[j] ? -1 : c->lens[i] > c->lens[j];
}

sg_ac *tells__sigma_ac_build(const char *const *lits, const size_t *lens,
                             size_t n) {
  sg_ac *ac = tells_calloc(1, sizeof *ac);
  size_t *order = NULL, k, total = 1;
  uint32_t *queue = NULL, *fail = NULL;
  sort_ctx sc = {lits, lens};
  int i;
  if (!ac) return NULL;
  for (i = 0; i < 256; i++)
    ac->lower[i] = (uint8_t)((i >= 'A' && i <= 'Z') ? i + 32 : i);
  /* byte classes: one per distinct byte in the literals, 0 for the rest */
  ac->n_classes = 1;
  for (k = 0; k < n; k++) {
    size_t j;
    for (j = 0; j < lens[k]; j++) {
      uint8_t b = (uint8_t)lits[k][j];
      if (!ac->cls[b]) ac->cls[b] = (uint8_t)ac->n_classes++;
      if (ac->n_classes > 255) goto fail;
    }
  }
  for (i = 'A'; i <= 'Z'; i++) ac->cls[i] = ac->cls[i + 32];
  /* exact trie size from the sorted literals */
  order = tells_malloc((n ? n : 1) * sizeof *order);
  if (!order) goto fail;
  for (k = 0; k < n; k++) order[k] = k;
  g_sort = &sc;
  qsort(order, n, sizeof *order, cmp_idx);
  g_sort = NULL;
  for (k = 0; k < n; k++) {
    size_t lcp = 0;
    if (k) {
      size_t a = order[k - 1], b = order[k];
      while (lcp < lens[a] && lcp < lens[b] && lits[a][lcp] == lits[b][lcp]) lcp++;
    }
    total += lens[order[k]] - lcp;
  }
  if (total * ac->n_classes >= 0x80000000u) goto fail;  /* row offsets fit 31 bits */
  ac->n_states = 1;
  ac->next = tells_calloc(total * ac->n_classes, sizeof *ac->next);
  ac->term = tells_calloc(total, sizeof *ac->term);
  ac->dict = tells_calloc(total, sizeof *ac->dict);
  ac->out = tells_calloc(total, 1);
  fail = tells_calloc(total, sizeof *fail);
  queue = tells_malloc(total * sizeof *queue);
  if (!ac->next || !ac->term || !ac->dict || !ac->out || !fail || !queue) goto fail;
  for (k = 0; k < n; k++) {
    uint32_t s = 0;
    size_t j;
    for (j = 0; j < lens[k]; j++) {
      uint32_t c = ac->cls[(uint8_t)lits[k][j]];
      uint32_t *t = &ac->next[(size_t)s * ac->n_classes + c];
      if (!*t) *t = ac->n_states++;
      s = *t;
    }
    if (!ac->term[s]) ac->term[s] = (uint32_t)k + 1;
  }
  /* breadth-first: failure links, then complete the transitions */
  {
    size_t qh = 0, qt = 0;
    uint32_t c, nc = ac->n_classes, st;
    uint32_t *perm, *nx2, *term2;
    queue[qt++] = 0;
    fail[0] = 0;
    while (qh < qt) {
      uint32_t s = queue[qh++], f = fail[s];
      if (s) {
        ac->dict[s] = ac->term[f] ? f : ac->dict[f];
        ac->out[s] = (uint8_t)(ac->term[s] || ac->dict[s]);
      }
      for (c = 0; c < nc; c++) {
        uint32_t *t = &ac->next[(size_t)s * nc + c];
        if (*t) {
          fail[*t] = s ? ac->next[(size_t)f * nc + c] : 0;
          queue[qt++] = *t;
        } else if (s) {
          *t = ac->next[(size_t)f * nc + c];
        }
      }
    }
    /* Renumber states in breadth-first order so the shallow states, where
    ** a scan spends most of its time, share a few cache lines; store
    ** transitions as row offsets with the output flag in the top bit. */
    perm = fail;                               /* reuse: old -> new */
    for (st = 0; st < ac->n_states; st++) perm[queue[st]] = st;
    nx2 = tells_malloc((size_t)ac->n_states * nc * sizeof *nx2);
    term2 = tells_calloc(ac->n_states, sizeof *term2);
    if (!nx2 || !term2) { tells_free(nx2); tells_free(term2); goto fail; }
    for (st = 0; st < ac->n_states; st++) {
      uint32_t o = queue[st];
      for (c = 0; c < nc; c++) {
        uint32_t t = ac->next[(size_t)o * nc + c];
        nx2[(size_t)st * nc + c] = (perm[t] * nc) | (ac->out[t] ? 0x80000000u : 0);
      }
      term2[st] = ac->term[o];
    }
    for (st = 0; st < ac->n_states; st++) queue[st] = ac->dict[st] ? perm[ac->dict[st]] : 0;
    for (st = 0; st < ac->n_states; st++) ac->dict[perm[st]] = queue[st];
    tells_free(ac->next); tells_free(ac->term);
    ac->next = nx2; ac->term = term2;
  }
  tells_free(order); tells_free(fail); tells_free(queue);
  return ac;
fail:
  tells_free(order); tells_free(fail); tells_free(queue);
  tells__sigma_ac_free(ac);
  return NULL;
}

void tells__sigma_ac_free(sg_ac *ac) {
  if (!ac) return;
  tells_free(ac->next); tells_free(ac->term); tells_free(ac->dict);
  tells_free(ac->out);
  tells_free(ac);
}

size_t tells__sigma_ac_states(const sg_ac *ac) { return ac ? ac->n_states : 0; }

void tells__sigma_ac_scan(const sg_ac *ac, const uint8_t *p, size_t n,
                          uint64_t *hits, char *lower) {
  uint32_t row = 0, nc = ac->n_classes;
  const uint32_t *next = ac->next;
  const uint8_t *cls = ac->cls;
  size_t i;
  for (i = 0; i < n; i++) {
    uint8_t b = p[i];
    uint32_t t;
    if (lower) lower[i] = (char)ac->lower[b];
    t = next[row + cls[b]];
    row = t & 0x7FFFFFFFu;
    if (t & 0x80000000u) {
      uint32_t s = row / nc;
      uint32_t o = ac->term[s] ? s : ac->dict[s];
      while (o) {
        uint32_t id = ac->term[o] - 1;
        uint64_t bit = (uint64_t)1 << (id & 63);
        if (hits[id >> 6] & bit) break;   /* this chain was walked already */
        hits[id >> 6] |= bit;
        o = ac->dict[o];
      }
    }
  }
}
