/*
** sigma_combo.c -- the literal scanners of each set of buckets.
**
** An event is matched against the rules of at most four buckets (its
** channel and EventID, its channel with any EventID, any channel with its
** EventID, and any with any).  Its values used to be run through one
** automaton of every literal of every rule; most of what that found
** belonged to rules of other buckets, and the table (120,000 states, 40 MB
** for the SigmaHQ Windows rules) missed the caches.  Here each set of
** buckets met gets, at its first event, an automaton of only the literals
** its rules can read: the literals of their prefilter clauses and of their
** patterns' gates (rule_run and clauses_hit read no other).  The fields
** that only keyword items read are scanned for the keyword literals of the
** set's rules alone, by a scanner shared by the sets whose buckets with
** keyword rules are the same (most sets have only the rules for every
** channel).
**
** Sets met once the tables have reached a cap (SG_COMBO_BYTES) share the
** automaton and the keyword scanner of every literal instead, each built
** once, so memory stays bounded whatever the events.  Literal ids stay
** global: every scanner stamps the same bitset.
*/
#include <stdint.h>
#include <string.h>
#include "alloc.h"
#include "sigma_int.h"

#define SG_COMBO_SLOTS 1024            /* sets kept (power of 2), half full at most */
#define SG_COMBO_BYTES ((size_t)128 << 20)   /* default cap of their tables */

typedef struct sg_cslot {              /* a set of buckets */
  uint32_t key[4];                     /* bucket indices, SG_ANY unused */
  sg_combo c;                          /* c.ac built for this set (owned) */
  int used;
} sg_cslot;

typedef struct sg_kwslot {             /* a keyword scanner */
  uint32_t key[4];                     /* the set's buckets with keyword literals */
  sg_bg *bg;                           /* or, when it cannot hold them, */
  sg_ac *ac;                           /* an automaton */
  int used;
} sg_kwslot;

/* ---- per-bucket literal lists --------------------------------------------- */

static void next_gen(tells_sigma_ruleset *s) {
  if (++s->lmark_gen == 0) {
    memset(s->lmark, 0, (s->n_lits ? s->n_lits : 1) * sizeof *s->lmark);
    s->lmark_gen = 1;
  }
}

/* Marks literal x for the list being gathered; returns 1 the first time. */
static int mark(tells_sigma_ruleset *s, uint32_t x) {
  if (s->lmark[x] == s->lmark_gen) return 0;
  s->lmark[x] = s->lmark_gen;
  return 1;
}

int tells__sigma_lit_mark(tells_sigma_ruleset *s, uint32_t x) { return mark(s, x); }

/* One pass over the buckets: each bucket's list written at ids + off[i]
** (ids NULL: counted into off[], each list into tmp).  -1 when the
** offsets would pass 32 bits. */
static int lists_pass(tells_sigma_ruleset *s, sg_rule_lits_fn add, const void *ud, uint32_t *off,
                      uint32_t *ids, uint32_t *tmp) {
  size_t i, total = 0;
  for (i = 0; i < s->n_buckets; i++) {
    const sg_bucket *b = &s->buckets[i];
    uint32_t k, n = 0;
    next_gen(s);
    for (k = 0; k < b->n; k++) add(s, &s->rules[b->rules[k]], ids ? ids + off[i] : tmp, &n, ud);
    if (ids) continue;
    total += n;
    if (total > UINT32_MAX) return -1;
    off[i + 1] = (uint32_t)total;
  }
  return 0;
}

int tells__sigma_bucket_lists(tells_sigma_ruleset *s, sg_rule_lits_fn add, const void *ud,
                              uint32_t **off_out, uint32_t **ids_out) {
  uint32_t *off, *ids = NULL, *tmp;
  int rc = -1;
  if (!s->lmark && !(s->lmark = tells_calloc(s->n_lits ? s->n_lits : 1, sizeof *s->lmark)))
    return -1;
  off = tells_calloc(s->n_buckets + 1, sizeof *off);
  tmp = tells_malloc((s->n_lits ? s->n_lits : 1) * sizeof *tmp);
  if (off && tmp && lists_pass(s, add, ud, off, NULL, tmp) == 0 &&
      (ids = tells_malloc((off[s->n_buckets] ? off[s->n_buckets] : 1) * sizeof *ids)) != NULL)
    rc = lists_pass(s, add, ud, off, ids, NULL);
  tells_free(tmp);
  if (rc) { tells_free(off); tells_free(ids); return -1; }
  *off_out = off; *ids_out = ids;
  return 0;
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
static void rule_lits(tells_sigma_ruleset *s, const sg_rule *r, uint32_t *out, uint32_t *n,
                      const void *ud) {
  uint32_t at = 0, q;
  (void)ud;
  while (at < r->n_lits) {
    uint32_t cn = r->lits[at++], z;
    for (z = 0; z < cn; z++) if (mark(s, r->lits[at + z])) out[(*n)++] = r->lits[at + z];
    at += cn;
  }
  det_gates(s, &r->det, out, n);
  for (q = 0; q < r->n_filters; q++) det_gates(s, r->filters[q], out, n);
}

int tells__sigma_combo_init(tells_sigma_ruleset *s, const char **lits, size_t *lens) {
  size_t i;
  uint8_t used[256];
  s->lit_p = lits; s->lit_len = lens;
  s->combo_cap = SG_COMBO_BYTES;
  s->combos = tells_calloc(SG_COMBO_SLOTS, sizeof *s->combos);
  s->kwsets = tells_calloc(SG_COMBO_SLOTS, sizeof *s->kwsets);
  if (!s->combos || !s->kwsets ||
      tells__sigma_bucket_lists(s, rule_lits, NULL, &s->blit_off, &s->blit))
    return -1;
  /* the separator: a byte of no literal is in class 0 of every automaton
  ** built from a subset of them (sigma_ac.c) */
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

/* ---- building ------------------------------------------------------------- */

typedef struct lits { const char **p; size_t *len; uint32_t *ids; size_t n; } lits;

static int lits_alloc(tells_sigma_ruleset *s, lits *l) {
  size_t n = s->n_lits ? s->n_lits : 1;
  l->p = tells_malloc(n * sizeof *l->p);
  l->len = tells_malloc(n * sizeof *l->len);
  l->ids = tells_malloc(n * sizeof *l->ids);
  l->n = 0;
  return l->p && l->len && l->ids ? 0 : -1;
}

static void lits_free(lits *l) {
  tells_free(l->p); tells_free(l->len); tells_free(l->ids);
}

/* Appends the literals of the lists of buckets b[0..nb) (off/ids: the
** per-bucket lists), each once. */
static void gather(tells_sigma_ruleset *s, const uint32_t *off, const uint32_t *ids,
                   const uint32_t *b, size_t nb, lits *l) {
  size_t k;
  uint32_t q;
  next_gen(s);
  for (k = 0; k < nb; k++) {
    if (b[k] == SG_ANY) continue;
    for (q = off[b[k]]; q < off[b[k] + 1]; q++) {
      uint32_t x = ids[q];
      if (!mark(s, x)) continue;
      l->p[l->n] = s->lit_p[x]; l->len[l->n] = s->lit_len[x]; l->ids[l->n++] = x;
    }
  }
}

/* The keyword scanner of l (empty: none); -1 when out of memory. */
static int kw_build(const lits *l, sg_bg **bg, sg_ac **ac) {
  *bg = NULL; *ac = NULL;
  if (!l->n) return 0;
  *bg = tells__sigma_bg_build(l->p, l->len, l->n, l->ids);
  if (!*bg) *ac = tells__sigma_ac_build(l->p, l->len, l->n, l->ids);
  return *bg || *ac ? 0 : -1;
}

static size_t kw_bytes(const sg_bg *bg, const sg_ac *ac) {
  return bg ? tells__sigma_bg_bytes(bg) : ac ? tells__sigma_ac_bytes(ac) : 0;
}

static void count(tells_sigma_ruleset *s, const sg_ac *ac) {
  s->stats.ac_states += tells__sigma_ac_states(ac);
  s->stats.ac_bytes += tells__sigma_ac_bytes(ac);
}

/* The scanners of every literal, for the sets past the cap. */
static const sg_combo *all_lits(tells_sigma_ruleset *s) {
  if (!s->all_built) {
    lits l = {NULL, NULL, NULL, 0};
    uint32_t *every = tells_malloc((s->n_buckets ? s->n_buckets : 1) * sizeof *every);
    sg_ac *ac = NULL, *kac = NULL;
    sg_bg *kbg = NULL;
    size_t i;
    int rc = -1;
    if (every && lits_alloc(s, &l) == 0 &&
        (!s->n_lits || (ac = tells__sigma_ac_build(s->lit_p, s->lit_len, s->n_lits, NULL)))) {
      for (i = 0; i < s->n_buckets; i++) every[i] = (uint32_t)i;
      gather(s, s->bkw_off, s->bkw, every, s->n_buckets, &l);
      rc = kw_build(&l, &kbg, &kac);
    }
    lits_free(&l);
    tells_free(every);
    if (rc) { tells__sigma_ac_free(ac); return NULL; }
    if (ac) count(s, ac);
    s->all.ac = ac; s->all.kbg = kbg; s->all.kac = kac;
    s->all_built = 1;
  }
  return &s->all;
}

static uint32_t key_hash(const uint32_t key[4]) {
  uint32_t h = 2166136261u, k;
  for (k = 0; k < 4; k++) h = (h ^ key[k]) * 16777619u;
  return h ^ (h >> 15);
}

/* The keyword scanner of the set's buckets that have keyword literals. */
static int kw_get(tells_sigma_ruleset *s, const uint32_t key[4], sg_combo *c, lits *l) {
  uint32_t kk[4] = {SG_ANY, SG_ANY, SG_ANY, SG_ANY}, k, n = 0, j;
  sg_kwslot *w;
  for (k = 0; k < 4; k++)
    if (key[k] != SG_ANY && s->bkw_off[key[k] + 1] > s->bkw_off[key[k]]) kk[n++] = key[k];
  if (!n) return 0;
  for (j = key_hash(kk) & (SG_COMBO_SLOTS - 1);; j = (j + 1) & (SG_COMBO_SLOTS - 1)) {
    w = &s->kwsets[j];
    if (!w->used) break;
    if (!memcmp(w->key, kk, sizeof kk)) { c->kbg = w->bg; c->kac = w->ac; return 0; }
  }
  l->n = 0;
  gather(s, s->bkw_off, s->bkw, kk, 4, l);
  if (kw_build(l, &w->bg, &w->ac)) return -1;
  memcpy(w->key, kk, sizeof kk);
  w->used = 1;                  /* at most one per set of buckets: never full */
  s->combo_bytes += kw_bytes(w->bg, w->ac);
  if (w->ac) count(s, w->ac);
  c->kbg = w->bg; c->kac = w->ac;
  return 0;
}

const sg_combo *tells__sigma_combo_get(tells_sigma_ruleset *s, const uint32_t key[4]) {
  uint32_t j = key_hash(key) & (SG_COMBO_SLOTS - 1);
  sg_cslot *c;
  lits l;
  for (;; j = (j + 1) & (SG_COMBO_SLOTS - 1)) {
    c = &s->combos[j];
    if (!c->used) break;
    if (!memcmp(c->key, key, sizeof c->key)) return &c->c;
  }
  if (s->n_combos + 1 > SG_COMBO_SLOTS / 2 || s->combo_bytes >= s->combo_cap)
    return all_lits(s);                 /* not kept: the table stays sparse */
  if (lits_alloc(s, &l)) { lits_free(&l); return NULL; }
  memset(&c->c, 0, sizeof c->c);
  gather(s, s->blit_off, s->blit, key, 4, &l);
  if (l.n) {
    if (!(c->c.ac = tells__sigma_ac_build(l.p, l.len, l.n, l.ids))) { lits_free(&l); return NULL; }
    s->combo_bytes += tells__sigma_ac_bytes(c->c.ac);
    count(s, c->c.ac);
  }
  if (kw_get(s, key, &c->c, &l)) { lits_free(&l); return NULL; }
  lits_free(&l);
  memcpy(c->key, key, sizeof c->key);
  c->used = 1;
  s->n_combos++;
  return &c->c;
}

void tells__sigma_set_combo_cap(tells_sigma_ruleset *s, size_t bytes) { s->combo_cap = bytes; }

void tells__sigma_combo_free(tells_sigma_ruleset *s) {
  size_t j;
  /* the sets' scanners are theirs (const only to their users) */
  if (s->combos)
    for (j = 0; j < SG_COMBO_SLOTS; j++)
      tells__sigma_ac_free((sg_ac *)(uintptr_t)s->combos[j].c.ac);
  if (s->kwsets)
    for (j = 0; j < SG_COMBO_SLOTS; j++) {
      tells__sigma_bg_free(s->kwsets[j].bg);
      tells__sigma_ac_free(s->kwsets[j].ac);
    }
  tells__sigma_ac_free((sg_ac *)(uintptr_t)s->all.ac);
  tells__sigma_bg_free((sg_bg *)(uintptr_t)s->all.kbg);
  tells__sigma_ac_free((sg_ac *)(uintptr_t)s->all.kac);
  memset(&s->all, 0, sizeof s->all);
  s->all_built = 0;
  tells_free(s->combos); tells_free(s->kwsets);
  tells_free(s->blit_off); tells_free(s->blit); tells_free(s->bkw_off); tells_free(s->bkw);
  tells_free(s->lmark); tells_free((void *)s->lit_p); tells_free(s->lit_len);
  s->combos = NULL; s->kwsets = NULL;
  s->blit_off = s->blit = s->bkw_off = s->bkw = s->lmark = NULL;
  s->lit_p = NULL; s->lit_len = NULL;
}
