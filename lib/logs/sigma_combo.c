/*
** sigma_combo.c -- one literal automaton per set of buckets.
**
** An event is matched against the rules of at most four buckets (its
** channel and EventID, its channel with any EventID, any channel with its
** EventID, and any with any).  Its values used to be run through one
** automaton of every literal of every rule; most of what that found
** belonged to rules of other buckets, and the table (120,000 states, 40 MB
** for the SigmaHQ Windows rules) missed the caches.  Here each set of
** buckets met gets, at its first event, an automaton of only the literals
** its rules can read: the literals of their prefilter clauses and of their
** patterns' gates (rule_run and clauses_hit read no other).  A set that
** would take the combined tables past a cap (SG_COMBO_BYTES) uses one automaton of
** every literal instead, built once, so memory stays bounded whatever the
** events.  Literal ids stay global: every automaton stamps the same bitset.
*/
#include <string.h>
#include "alloc.h"
#include "sigma_int.h"

#define SG_COMBO_SLOTS 1024            /* sets of buckets kept (power of 2) */
#define SG_COMBO_BYTES ((size_t)128 << 20)   /* default cap of their tables */

typedef struct sg_combo {
  uint32_t key[4];                     /* bucket indices, SG_ANY unused */
  const sg_ac *ac;                     /* NULL: no literal */
  sg_ac *own;                          /* ac, when built for this set */
  int used;
} sg_combo;

/* Marks literal x for the set being gathered; returns 1 the first time. */
static int mark(tells_sigma_ruleset *s, uint32_t x) {
  if (s->lmark[x] == s->lmark_gen) return 0;
  s->lmark[x] = s->lmark_gen;
  return 1;
}

static void det_gates(tells_sigma_ruleset *s, const sg_det *d, uint32_t *out, uint32_t *n) {
  uint32_t i, a, k, q;
  for (i = 0; i < d->n_sels; i++)
    for (a = 0; a < d->sels[i].n_alts; a++)
      for (k = 0; k < d->sels[i].alts[a].n_items; k++) {
        const sg_item *it = &d->sels[i].alts[a].items[k];
        for (q = 0; q < it->n_pats; q++) {
          uint32_t id = it->pats[q].lit_id;
          if (id && mark(s, id - 1)) out[(*n)++] = id - 1;
        }
      }
}

/* The literals that evaluating rule r may read: its clauses', its gates'
** and its filters' gates'. */
static void rule_lits(tells_sigma_ruleset *s, const sg_rule *r, uint32_t *out, uint32_t *n) {
  uint32_t at = 0, q;
  while (at < r->n_lits) {
    uint32_t cn = r->lits[at++], z;
    for (z = 0; z < cn; z++) if (mark(s, r->lits[at + z])) out[(*n)++] = r->lits[at + z];
    at += cn;
  }
  det_gates(s, &r->det, out, n);
  for (q = 0; q < r->n_filters; q++) det_gates(s, r->filters[q], out, n);
}

static void next_gen(tells_sigma_ruleset *s) {
  if (++s->lmark_gen == 0) {
    memset(s->lmark, 0, (s->n_lits ? s->n_lits : 1) * sizeof *s->lmark);
    s->lmark_gen = 1;
  }
}

int tells__sigma_combo_init(tells_sigma_ruleset *s, const char **lits, size_t *lens) {
  size_t i, total = 0;
  uint32_t *tmp;
  uint8_t used[256];
  s->lit_p = lits; s->lit_len = lens;
  s->combo_cap = SG_COMBO_BYTES;
  s->lmark = tells_calloc(s->n_lits ? s->n_lits : 1, sizeof *s->lmark);
  s->blit_off = tells_calloc(s->n_buckets + 1, sizeof *s->blit_off);
  s->combos = tells_calloc(SG_COMBO_SLOTS, sizeof *s->combos);
  tmp = tells_malloc((s->n_lits ? s->n_lits : 1) * sizeof *tmp);
  if (!s->lmark || !s->blit_off || !s->combos || !tmp) { tells_free(tmp); return -1; }
  /* per bucket, its rules' literals; counted first, then written */
  for (i = 0; i < s->n_buckets; i++) {
    const sg_bucket *b = &s->buckets[i];
    uint32_t k, n = 0;
    next_gen(s);
    for (k = 0; k < b->n; k++) rule_lits(s, &s->rules[b->rules[k]], tmp, &n);
    s->blit_off[i + 1] = s->blit_off[i] + n;
    total += n;
  }
  s->blit = tells_malloc((total ? total : 1) * sizeof *s->blit);
  if (!s->blit) { tells_free(tmp); return -1; }
  for (i = 0; i < s->n_buckets; i++) {
    const sg_bucket *b = &s->buckets[i];
    uint32_t k, n = 0;
    next_gen(s);
    for (k = 0; k < b->n; k++) rule_lits(s, &s->rules[b->rules[k]], s->blit + s->blit_off[i], &n);
  }
  tells_free(tmp);
  /* the separator: a byte of no literal is in class 0 of every automaton
  ** built from a subset of them (see sigma_ac.c) */
  memset(used, 0, sizeof used);
  for (i = 0; i < s->n_lits; i++) {
    size_t j;
    for (j = 0; j < lens[i]; j++) {
      uint8_t c = (uint8_t)lits[i][j];
      if (c >= 'A' && c <= 'Z') c = (uint8_t)(c + 32);
      if (c >= 0x80 && c < 0xC0) memset(used + 0x80, 1, 0x40);
      used[c] = 1;
      if (c >= 'a' && c <= 'z') used[c - 32] = 1;
    }
  }
  s->ac_sep = -1;
  for (i = 0; i < 256 && s->ac_sep < 0; i++) if (!used[i]) s->ac_sep = (int)i;
  return 0;
}

/* The automaton of every literal, for the sets past the cap. */
static const sg_ac *all_lits(tells_sigma_ruleset *s) {
  if (!s->ac) {
    s->ac = tells__sigma_ac_build(s->lit_p, s->lit_len, s->n_lits, NULL);
    if (!s->ac) return NULL;
    s->stats.ac_states += tells__sigma_ac_states(s->ac);
    s->stats.ac_bytes += tells__sigma_ac_bytes(s->ac);
  }
  return s->ac;
}

static uint32_t key_hash(const uint32_t key[4]) {
  uint32_t h = 2166136261u, k;
  for (k = 0; k < 4; k++) h = (h ^ key[k]) * 16777619u;
  return h ^ (h >> 15);
}

tells_err tells__sigma_combo_get(tells_sigma_ruleset *s, const uint32_t key[4],
                                 const sg_ac **out) {
  uint32_t j = key_hash(key) & (SG_COMBO_SLOTS - 1), k, q, n = 0;
  const char **p;
  size_t *len;
  uint32_t *ids;
  sg_combo *c;
  for (;; j = (j + 1) & (SG_COMBO_SLOTS - 1)) {
    c = &s->combos[j];
    if (!c->used) break;
    if (!memcmp(c->key, key, sizeof c->key)) { *out = c->ac; return TELLS_OK; }
  }
  if (s->n_combos + 1 > SG_COMBO_SLOTS / 2 || s->combo_bytes >= s->combo_cap) {
    *out = all_lits(s);                 /* not kept: the table stays sparse */
    return *out ? TELLS_OK : TELLS_ENOMEM;
  }
  p = tells_malloc((s->n_lits ? s->n_lits : 1) * sizeof *p);
  len = tells_malloc((s->n_lits ? s->n_lits : 1) * sizeof *len);
  ids = tells_malloc((s->n_lits ? s->n_lits : 1) * sizeof *ids);
  if (!p || !len || !ids) goto nomem;
  next_gen(s);
  for (k = 0; k < 4; k++) {
    if (key[k] == SG_ANY) continue;
    for (q = s->blit_off[key[k]]; q < s->blit_off[key[k] + 1]; q++) {
      uint32_t x = s->blit[q];
      if (!mark(s, x)) continue;
      p[n] = s->lit_p[x]; len[n] = s->lit_len[x]; ids[n++] = x;
    }
  }
  memcpy(c->key, key, sizeof c->key);
  c->ac = NULL;
  if (n) {
    size_t bytes;
    c->own = tells__sigma_ac_build(p, len, n, ids);
    if (!c->own) goto nomem;
    bytes = tells__sigma_ac_bytes(c->own);
    if (s->combo_bytes + bytes > s->combo_cap) {
      tells__sigma_ac_free(c->own);     /* past the cap: this set and the */
      c->own = NULL;                    /* next ones share every literal */
      s->combo_bytes = s->combo_cap;
      c->ac = all_lits(s);
      if (!c->ac) goto nomem;
    } else {
      c->ac = c->own;
      s->combo_bytes += bytes;
      s->stats.ac_states += tells__sigma_ac_states(c->own);
      s->stats.ac_bytes += bytes;
    }
  }
  c->used = 1;
  s->n_combos++;
  tells_free(p); tells_free(len); tells_free(ids);
  *out = c->ac;
  return TELLS_OK;
nomem:
  tells_free(p); tells_free(len); tells_free(ids);
  return TELLS_ENOMEM;
}

void tells__sigma_set_combo_cap(tells_sigma_ruleset *s, size_t bytes) { s->combo_cap = bytes; }

void tells__sigma_combo_free(tells_sigma_ruleset *s) {
  size_t j;
  if (s->combos)
    for (j = 0; j < SG_COMBO_SLOTS; j++) tells__sigma_ac_free(s->combos[j].own);
  tells_free(s->combos); tells_free(s->blit_off); tells_free(s->blit);
  tells_free(s->lmark); tells_free((void *)s->lit_p); tells_free(s->lit_len);
  s->combos = NULL; s->blit_off = s->blit = s->lmark = NULL;
  s->lit_p = NULL; s->lit_len = NULL;
}
