/*
** sigma_ac.c -- Aho-Corasick automaton (full DFA over byte classes) for the
** Sigma literal prefilter.  Built once at tells_sigma_compile(); scanned
** once per event, over the event's values in one buffer.  Written from the
** textbook construction: a trie of the literals, failure links by
** breadth-first walk, transitions completed from the failure state, and
** output chains through "dictionary suffix links" (the nearest failure
** ancestor that ends a literal).
**
** Layout for the scan: states are numbered breadth-first (the shallow
** states, where a scan spends most of its time, share a few cache lines),
** states without output first and states with output last, so "has
** output" is one comparison with the first output number.  The table holds
** 16-bit state numbers when there are at most 65,536 states, else 32-bit.
*/
#include <stdint.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#include "alloc.h"
#include "sigma_ac.h"

struct sg_ac {
  uint32_t n_states, n_classes;
  uint32_t first_out;       /* states >= first_out have output */
  uint32_t max_len;         /* longest literal */
  uint8_t cls[256];         /* byte -> class of its ASCII lowercase */
  uint8_t lower[256];       /* byte -> ASCII lowercase */
  uint16_t *next16;         /* [state * n_classes + class] = state, or: */
  uint32_t *next32;         /* [row + class] = row (row = state * n_classes) */
  uint32_t row_shift, row_inv; /* state = (row >> row_shift) * row_inv (mod 2^32) */
  void *table;              /* the allocation holding next16/next32 */
  uint32_t *toff;           /* [state .. state+1): literal ids ending here */
  uint32_t *tids;
  uint32_t *dict;           /* nearest failure ancestor with ids, or 0 */
  uint32_t *ofirst;         /* [state - first_out]: the first literal id its
                               output chain reports (stamped: chain done) */
};

#define AC_NONE 0xFFFFFFFFu

/* Child of trie node s labelled c, or AC_NONE. */
static uint32_t child(const uint32_t *first, const uint32_t *sib, const uint8_t *label,
                      uint32_t s, uint8_t c) {
  uint32_t t;
  for (t = first[s]; t != AC_NONE; t = sib[t])
    if (label[t] == c) return t;
  return AC_NONE;
}

/* The transition table, on 2 MiB boundaries when it is that large so the
** kernel can back it with huge pages: a scan reads it at random, and with
** 4 KiB pages most deep-state reads would also miss the TLB. */
#define AC_HUGE ((size_t)2 << 20)
static void *table_alloc(sg_ac *ac, size_t bytes) {
  uint8_t *p;
  if (bytes < AC_HUGE) return ac->table = tells_malloc(bytes ? bytes : 1);
  ac->table = tells_malloc(bytes + AC_HUGE);
  if (!ac->table) return NULL;
  p = (uint8_t *)ac->table + (AC_HUGE - (uintptr_t)ac->table % AC_HUGE) % AC_HUGE;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  (void)madvise(p, bytes - bytes % AC_HUGE, MADV_HUGEPAGE);
#endif
  return p;
}

/* the bytes of a literal that go into the trie (sigma_ac.h) */
#define AC_LEN(l) ((l) < TELLS_SIGMA_AC_LIT_MAX ? (l) : TELLS_SIGMA_AC_LIT_MAX)

sg_ac *tells__sigma_ac_build(const char *const *lits, const size_t *lens,
                             size_t n, const uint32_t *ids) {
  sg_ac *ac = tells_calloc(1, sizeof *ac);
  size_t k, total = 1, qh = 0, qt = 0;
  uint32_t *first = NULL, *sib = NULL, *fail = NULL, *queue = NULL, *id = NULL;
  uint32_t *thead = NULL, *tnext = NULL, *dict = NULL, nodes = 1, nc, st, nout = 0;
  uint8_t *label = NULL, *out = NULL;
  int i, nonascii = 0;
  if (!ac) return NULL;
  for (i = 0; i < 256; i++)
    ac->lower[i] = (uint8_t)((i >= 'A' && i <= 'Z') ? i + 32 : i);
  /* byte classes: one per distinct ASCII byte and UTF-8 lead byte in the
  ** literals, one shared by the UTF-8 continuation bytes, 0 for the rest */
  ac->n_classes = 1;
  for (k = 0; k < n; k++) {
    size_t j, len = AC_LEN(lens[k]);
    total += len;
    if (len > ac->max_len) ac->max_len = (uint32_t)len;
    for (j = 0; j < len; j++) {
      uint8_t b = ac->lower[(uint8_t)lits[k][j]];
      if (b >= 0x80 && b < 0xC0) nonascii = 1;
      else if (!ac->cls[b]) ac->cls[b] = (uint8_t)ac->n_classes++;
      if (ac->n_classes > 200) goto fail;
    }
  }
  if (nonascii) {
    for (i = 0x80; i < 0xC0; i++) ac->cls[i] = (uint8_t)ac->n_classes;
    ac->n_classes++;
  }
  for (i = 'A'; i <= 'Z'; i++) ac->cls[i] = ac->cls[i + 32];
  nc = ac->n_classes;
  if (total >= 0x7FFFFFFFu / nc) goto fail;
  first = tells_malloc(total * sizeof *first);
  sib = tells_malloc(total * sizeof *sib);
  label = tells_calloc(total, 1);
  fail = tells_calloc(total, sizeof *fail);
  queue = tells_malloc(total * sizeof *queue);
  thead = tells_malloc(total * sizeof *thead);
  tnext = tells_malloc((n ? n : 1) * sizeof *tnext);
  dict = tells_calloc(total, sizeof *dict);
  out = tells_calloc(total, 1);
  id = tells_malloc(total * sizeof *id);
  if (!first || !sib || !label || !fail || !queue || !thead || !tnext || !dict || !out || !id)
    goto fail;
  memset(first, 0xFF, total * sizeof *first);
  memset(thead, 0xFF, total * sizeof *thead);
  /* the trie over class sequences */
  for (k = n; k-- > 0;) {                 /* backwards: lists end up ascending */
    uint32_t s = 0;
    size_t j, len = AC_LEN(lens[k]);
    for (j = 0; j < len; j++) {
      uint8_t c = ac->cls[(uint8_t)lits[k][j]];
      uint32_t t = child(first, sib, label, s, c);
      if (t == AC_NONE) {
        t = nodes++;
        label[t] = c; sib[t] = first[s]; first[s] = t;
      }
      s = t;
    }
    tnext[k] = thead[s];
    thead[s] = (uint32_t)k;
  }
  /* breadth-first: failure links, dictionary links, output flags */
  queue[qt++] = 0;
  while (qh < qt) {
    uint32_t s = queue[qh++], t;
    if (s) {
      uint32_t f = fail[s];
      dict[s] = thead[f] != AC_NONE ? f : dict[f];
      out[s] = (uint8_t)(thead[s] != AC_NONE || dict[s]);
      nout += out[s];
    }
    for (t = first[s]; t != AC_NONE; t = sib[t]) {
      uint32_t f = fail[s], x = AC_NONE;
      if (s) {
        for (;;) {
          x = child(first, sib, label, f, label[t]);
          if (x != AC_NONE || f == 0) break;
          f = fail[f];
        }
      }
      fail[t] = x == AC_NONE ? 0 : x;
      queue[qt++] = t;
    }
  }
  /* numbering: no-output states breadth-first, then output states */
  ac->n_states = nodes;
  ac->first_out = nodes - nout;
  {
    uint32_t a = 0, b = ac->first_out;
    for (st = 0; st < nodes; st++) id[queue[st]] = out[queue[st]] ? b++ : a++;
  }
  {
    void *t = table_alloc(ac, (size_t)nodes * nc * (nodes <= 65536 ? 2 : 4));
    if (t && nodes <= 65536) ac->next16 = t;
    else if (t) ac->next32 = t;
  }
  {
    /* rows are multiples of nc = odd * 2^shift: a row divided by nc is
    ** the row shifted right, times the inverse of the odd part mod 2^32 */
    uint32_t odd = nc, inv = 1;
    ac->row_shift = 0;
    while (!(odd & 1)) { odd >>= 1; ac->row_shift++; }
    for (i = 0; i < 5; i++) inv *= 2 - odd * inv;      /* Newton: 5 steps give 32 bits */
    ac->row_inv = inv;
  }
  ac->toff = tells_calloc((size_t)nodes + 1, sizeof *ac->toff);
  ac->tids = tells_malloc((n ? n : 1) * sizeof *ac->tids);
  ac->dict = tells_calloc(nodes, sizeof *ac->dict);
  if ((!ac->next16 && !ac->next32) || !ac->toff || !ac->tids || !ac->dict) goto fail;
  /* rows in breadth-first order: a state's failure row is complete first */
  for (st = 0; st < nodes; st++) {
    uint32_t s = queue[st], row = id[s] * nc, frow = id[fail[s]] * nc, t, c;
    if (ac->next16) {
      if (s) memcpy(ac->next16 + row, ac->next16 + frow, nc * sizeof *ac->next16);
      else memset(ac->next16, 0, nc * sizeof *ac->next16);
      for (t = first[s]; t != AC_NONE; t = sib[t]) ac->next16[row + label[t]] = (uint16_t)id[t];
    } else {
      if (s) memcpy(ac->next32 + row, ac->next32 + frow, nc * sizeof *ac->next32);
      else for (c = 0; c < nc; c++) ac->next32[c] = 0;
      for (t = first[s]; t != AC_NONE; t = sib[t]) ac->next32[row + label[t]] = id[t] * nc;
    }
    ac->dict[id[s]] = dict[s] ? id[dict[s]] : 0;
  }
  /* literal ids per state, by final number */
  for (st = 0; st < nodes; st++) {
    uint32_t x, cnt = 0;
    for (x = thead[st]; x != AC_NONE; x = tnext[x]) cnt++;
    ac->toff[id[st] + 1] = cnt;
  }
  for (st = 0; st < nodes; st++) ac->toff[st + 1] += ac->toff[st];
  for (st = 0; st < nodes; st++) {
    uint32_t x, o = ac->toff[id[st]];
    for (x = thead[st]; x != AC_NONE; x = tnext[x]) ac->tids[o++] = ids ? ids[x] : x;
  }
  ac->ofirst = tells_malloc(((size_t)nodes - ac->first_out + 1) * sizeof *ac->ofirst);
  if (!ac->ofirst) goto fail;
  for (st = ac->first_out; st < nodes; st++) {
    uint32_t o = ac->toff[st + 1] > ac->toff[st] ? st : ac->dict[st];
    ac->ofirst[st - ac->first_out] = ac->tids[ac->toff[o]];
  }
  tells_free(first); tells_free(sib); tells_free(label); tells_free(fail);
  tells_free(queue); tells_free(thead); tells_free(tnext); tells_free(dict);
  tells_free(out); tells_free(id);
  return ac;
fail:
  tells_free(first); tells_free(sib); tells_free(label); tells_free(fail);
  tells_free(queue); tells_free(thead); tells_free(tnext); tells_free(dict);
  tells_free(out); tells_free(id);
  tells__sigma_ac_free(ac);
  return NULL;
}

void tells__sigma_ac_free(sg_ac *ac) {
  if (!ac) return;
  tells_free(ac->table);
  tells_free(ac->toff); tells_free(ac->tids); tells_free(ac->dict);
  tells_free(ac->ofirst);
  tells_free(ac);
}

size_t tells__sigma_ac_states(const sg_ac *ac) { return ac ? ac->n_states : 0; }

size_t tells__sigma_ac_bytes(const sg_ac *ac) {
  if (!ac) return 0;
  return (size_t)ac->n_states * ac->n_classes * (ac->next16 ? 2 : 4);
}

/* Stamps the literals ending at output state s and along its dictionary
** chain; stops at a state already stamped (its chain was walked then). */
static void report(const sg_ac *ac, uint32_t s, uint64_t *hits, uint32_t *list,
                   uint32_t *n_list) {
  uint32_t o, f = ac->ofirst[s - ac->first_out];
  if ((hits[f >> 6] >> (f & 63)) & 1) return;   /* met before in this event */
  o = ac->toff[s + 1] > ac->toff[s] ? s : ac->dict[s];
  while (o) {
    uint32_t a = ac->toff[o], e = ac->toff[o + 1], x = ac->tids[a];
    if ((hits[x >> 6] >> (x & 63)) & 1) break;
    for (; a < e; a++) {
      x = ac->tids[a];
      hits[x >> 6] |= (uint64_t)1 << (x & 63);
      list[(*n_list)++] = x;
    }
    o = ac->dict[o];
  }
}

/* The scan keeps, per lane, the state number (16-bit tables) or the row
** offset (32-bit tables: no multiply in the chain of dependent loads). */
#define AC_NEXT16(st, c) next16[(st) * nc + (c)]
#define AC_OUT16(st) ((st) >= fo)
#define AC_ID16(st) (st)
#define AC_NEXT32(st, c) next32[(st) + (c)]
#define AC_OUT32(st) ((st) >= fo)
#define AC_ID32(st) (((st) >> ac->row_shift) * ac->row_inv)

/* One lane alone, from state s over p[i..e). */
#define AC_RUN(W)                                                        \
  for (; i < e; i++) {                                                   \
    s = AC_NEXT##W(s, cls[p[i]]);                                        \
    if (AC_OUT##W(s)) report(ac, AC_ID##W(s), hits, list, n_list);       \
  }

/* Output states met in step, reported in batches: a branch per lane and
** byte on a state seen at 4-5% of the bytes was mispredicted too often. */
#define AC_OB 64

/* L lanes in step over their common length, then each lane to its end.
** Lane k >= 1 reports the literals ending in [at + back, end): it starts
** back = max_len - 1 bytes before, where no such literal can have begun,
** so that its state is exact from there.  The lanes are of one length,
** overlap included (within L bytes), so nearly every byte is scanned in
** step with the others: cut at n / L, the overlap of each lane but the
** first would be scanned alone after the common part. */
#define AC_LANES(W, L)                                                   \
  do {                                                                   \
    uint32_t st[L], ob[AC_OB];                                           \
    size_t no = 0, at[L], end[L], len = (n + ((L) - 1) * back + (L) - 1) / (L), k, common; \
    for (k = 0; k < (L); k++) {                                          \
      st[k] = 0;                                                         \
      at[k] = k * (len - back);                                          \
      end[k] = k + 1 < (L) ? at[k] + len : n;                            \
    }                                                                    \
    common = end[0] - at[0];                                             \
    for (k = 1; k < (L); k++) if (end[k] - at[k] < common) common = end[k] - at[k]; \
    for (i = 0; i < common; i++) {                                       \
      for (k = 0; k < (L); k++) st[k] = AC_NEXT##W(st[k], cls[p[at[k] + i]]); \
      for (k = 0; k < (L); k++) { ob[no] = st[k]; no += AC_OUT##W(st[k]); } \
      if (no > AC_OB - (L)) {                                            \
        for (k = 0; k < no; k++) report(ac, AC_ID##W(ob[k]), hits, list, n_list); \
        no = 0;                                                          \
      }                                                                  \
    }                                                                    \
    for (k = 0; k < no; k++) report(ac, AC_ID##W(ob[k]), hits, list, n_list); \
    for (k = 0; k < (L); k++) {                                          \
      s = st[k]; i = at[k] + common; e = end[k];                         \
      AC_RUN(W)                                                          \
    }                                                                    \
  } while (0)

/* Lanes for an input of n bytes: as many (1, 2, 4 or 8) as leave each
** at least 16 bytes and more than the overlap of max_len - 1. */
static unsigned lanes_for(size_t n, size_t back) {
  unsigned l = 8;
  while (l > 1 && (n < (size_t)16 * l || back >= n / l)) l /= 2;
  return l;
}

void tells__sigma_ac_scan(const sg_ac *ac, const uint8_t *p, size_t n,
                          uint64_t *hits, uint32_t *list, uint32_t *n_list) {
  uint32_t nc = ac->n_classes, s = 0;
  size_t i = 0, e = n, back = ac->max_len ? ac->max_len - 1 : 0;
  const uint8_t *cls = ac->cls;
  unsigned lanes = lanes_for(n, back);
  if (ac->next16) {
    const uint16_t *next16 = ac->next16;
    uint32_t fo = ac->first_out;
    switch (lanes) {
    case 8: AC_LANES(16, 8); break;
    case 4: AC_LANES(16, 4); break;
    case 2: AC_LANES(16, 2); break;
    default: AC_RUN(16)
    }
  } else {
    const uint32_t *next32 = ac->next32;
    uint32_t fo = ac->first_out * nc;
    switch (lanes) {
    case 8: AC_LANES(32, 8); break;
    case 4: AC_LANES(32, 4); break;
    case 2: AC_LANES(32, 2); break;
    default: AC_RUN(32)
    }
  }
}
