/*
** sigma_match.c -- compiles a loaded ruleset into its matcher and matches
** events.
**
** Compile: resolves filters and correlations, maps each rule's logsource
** (and the EventIDs its detection requires) to channel/EventID buckets, and
** derives for each rule a set of "required literals" -- a set such that
** the rule can only match an event in which one of them occurs -- which
** all go into one Aho-Corasick automaton.
**
** Match: one event meets only the rules of its (channel, EventID) buckets;
** the automaton runs once over the event's field values (lowercased into
** one buffer, the copies that case-insensitive comparisons use); the
** literals it finds lead through an inverted index to the rules whose
** clauses they can satisfy; those, and the rules without literal
** prefilter, are evaluated on their compiled condition trees.  A reference
** mode (tests) evaluates every rule the logsource targets instead.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "sigma_int.h"

tells_err tells__sigma_aliases_compile(tells_sigma_ruleset *s);
int tells__sigma_parse_ip(const char *v, size_t n, uint8_t *addr, int *family);

/* ---- per-event field entries ------------------------------------------- */

typedef struct evf {
  const char *v;
  size_t n;
  size_t loff;                 /* offset of the lowercased copy, or SIZE_MAX */
  uint32_t fid;
} evf;



/* Exact-spelling cache of name -> id lookups (field names, channels): the
** interned lookup folds case and spaces byte by byte; events repeat a few
** spellings.  Never evicts; a full table falls back to the lookup. */
#define NC_NAME 80
typedef struct ncache { uint64_t h; uint32_t id, len; char name[NC_NAME]; } ncache;
#define NC_FIELDS 1024
#define NC_CHANS  128
#define NC_POS    64     /* the last event's names by position (ev_add) ... */
#define NC_POS_SETS 16   /* ... one set per (channel, EventID) slot */

typedef struct mstate {
  evf *f; size_t n, cap;
  ncache *fc, *cc, *pc;
  int all_lowered;
  int alias_ev;                /* the event's channel/EventID renames fields */
  char eidbuf[16];
  char *kw; size_t kw_cap;     /* the values only keyword items read, as they are */
} mstate;

static mstate *ms_of(tells_sigma_ruleset *s) { return (mstate *)s->scanned; }

static uint64_t nc_hash(const char *p, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15u * (n + 1), w;
  size_t i = 0;
  if (n >= 8) {             /* 8-byte words, the last one overlapping */
    for (; i + 8 < n; i += 8) { memcpy(&w, p + i, 8); h = (h ^ w) * 0xFF51AFD7ED558CCDu; h ^= h >> 29; }
    memcpy(&w, p + n - 8, 8);
    h = (h ^ w) * 0xFF51AFD7ED558CCDu;
  } else {
    for (; i < n; i++) h = (h ^ (unsigned char)p[i]) * 0x100000001B3u;
  }
  return h ^ (h >> 31);
}

/* a[0..n) == b[0..n), inline: names are short, and a call to memcmp per
** field of every event cost more than the compare */
static inline int same_bytes(const char *a, const char *b, size_t n) {
  size_t j = 0;
  for (; j + 8 <= n; j += 8) {
    uint64_t x, y;
    memcpy(&x, a + j, 8); memcpy(&y, b + j, 8);
    if (x != y) return 0;
  }
  for (; j < n; j++) if (a[j] != b[j]) return 0;
  return 1;
}

/* Cached id of name p[0..n) in table c of `slots` entries; `chan` selects
** the channel lookup instead of the field lookup. */
static uint32_t nc_id(tells_sigma_ruleset *s, ncache *c, size_t slots, const char *p, size_t n,
                      int chan) {
  uint64_t h;
  size_t j, probe;
  if (n == 0 || n > NC_NAME)
    return chan ? tells__sigma_chan_id(s, p, n, 0) : tells__sigma_field_id(s, p, n, 0);
  h = nc_hash(p, n);
  j = (size_t)h & (slots - 1);
  for (probe = 0; probe < 8; probe++, j = (j + 1) & (slots - 1)) {
    ncache *e = &c[j];
    if (e->len == 0) {
      e->id = chan ? tells__sigma_chan_id(s, p, n, 0) : tells__sigma_field_id(s, p, n, 0);
      e->h = h; e->len = (uint32_t)n;
      memcpy(e->name, p, n);
      return e->id;
    }
    if (e->h == h && e->len == n && same_bytes(e->name, p, n)) return e->id;
  }
  return chan ? tells__sigma_chan_id(s, p, n, 0) : tells__sigma_field_id(s, p, n, 0);
}

/* ASCII lowercase copy, eight bytes at a time: a byte gets 0x20 when it is
** in 'A'..'Z' (high bit clear, >= 0x41 and < 0x5B). */
static void lower_copy(char *d, const char *v, size_t n) {
  size_t j = 0;
  for (; j + 8 <= n; j += 8) {
    uint64_t x, a, z, m;
    memcpy(&x, v + j, 8);
    a = (x & 0x7F7F7F7F7F7F7F7Fu) + 0x3F3F3F3F3F3F3F3Fu;
    z = (x & 0x7F7F7F7F7F7F7F7Fu) + 0x2525252525252525u;
    m = a & ~z & ~x & 0x8080808080808080u;
    x |= m >> 2;
    memcpy(d + j, &x, 8);
  }
  for (; j < n; j++) {
    unsigned char c = (unsigned char)v[j];
    d[j] = (char)((unsigned)(c - 'A') < 26u ? c + 32 : c);
  }
}

/* ---- literal and EventID analysis ------------------------------------ */

typedef struct lset {
  int top;                     /* 1: nothing can be required */
  uint32_t n, cap;
  const char **p; size_t *len;
} lset;

#define LSET_MAX SG_MAX_VALUES
#define LSET_DEDUPE 64             /* larger sets keep duplicates (ids are
                                      deduplicated when compiled) */

static void ls_free(lset *l) { tells_free(l->p); tells_free(l->len); l->p = NULL; l->len = NULL; l->n = l->cap = 0; }

/* Adds a literal.  Out of memory degrades the set to "top" (no
** prefilter), which is always correct, so analysis never fails. */
static int ls_add(lset *l, const char *p, size_t n) {
  uint32_t i;
  if (l->top) return 0;
  for (i = 0; i < l->n && l->n < LSET_DEDUPE; i++)
    if (l->len[i] == n && memcmp(l->p[i], p, n) == 0) return 0;
  if (l->n >= LSET_MAX) { ls_free(l); l->top = 1; return 0; }
  if (l->n == l->cap) {
    uint32_t nc = l->cap ? l->cap * 2 : 8;
    const char **np = tells_realloc(l->p, nc * sizeof *np);
    size_t *nl;
    if (!np) { ls_free(l); l->top = 1; return 0; }
    l->p = np;
    nl = tells_realloc(l->len, nc * sizeof *nl);
    if (!nl) { ls_free(l); l->top = 1; return 0; }
    l->len = nl; l->cap = nc;
  }
  l->p[l->n] = p; l->len[l->n] = n; l->n++;
  return 0;
}

static int ls_union(lset *into, lset *from) {
  uint32_t i;
  if (from->top) into->top = 1;
  if (into->top) { ls_free(from); return 0; }
  for (i = 0; i < from->n && !into->top; i++)
    if (ls_add(into, from->p[i], from->len[i])) { ls_free(from); return -1; }
  ls_free(from);
  return 0;
}

/* Higher is better for an AND: long literals, few of them. */
static int ls_score(const lset *l, int eid_mode) {
  uint32_t i, b = 0;
  size_t mn = SIZE_MAX;
  if (l->top) return -1000000;
  if (eid_mode) return 100000 - (int)l->n;
  for (i = 0; i < l->n; i++) if (l->len[i] < mn) mn = l->len[i];
  if (l->n == 0) return 1000000;   /* unsatisfiable: never matches */
  while ((1u << b) < l->n) b++;
  return (int)(mn > SG_LIT_MAX ? SG_LIT_MAX : mn) * 8 - (int)b;
}

/* Takes the better of cur and cand (AND semantics); frees the other. */
static void ls_best(lset *cur, lset *cand, int eid_mode) {
  if (ls_score(cand, eid_mode) > ls_score(cur, eid_mode)) {
    ls_free(cur);
    *cur = *cand;
  } else {
    ls_free(cand);
  }
}

typedef struct an { tells_sigma_ruleset *s; int eid; } an;

static int is_digits(const char *p, size_t n) {
  size_t i;
  if (n == 0 || n > 9) return 0;
  for (i = 0; i < n; i++) if (p[i] < '0' || p[i] > '9') return 0;
  return 1;
}

static int an_item(an *A, const sg_item *it, lset *out) {
  uint32_t i;
  memset(out, 0, sizeof *out);
  if (A->eid) {
    if (it->field != A->s->f_eventid || it->all || it->n_pats == 0) { out->top = 1; return 0; }
    for (i = 0; i < it->n_pats; i++) {
      const sg_pat *p = &it->pats[i];
      if (p->kind != SG_P_EQ || p->neg || !is_digits(p->s, p->n)) { ls_free(out); out->top = 1; return 0; }
      if (ls_add(out, p->s, p->n)) return -1;
    }
    return 0;
  }
  if (it->n_pats == 0) { out->top = 1; return 0; }
  if (it->all) {
    const sg_pat *best = NULL;
    for (i = 0; i < it->n_pats; i++)
      if (it->pats[i].lit && (!best || it->pats[i].lit_n > best->lit_n)) best = &it->pats[i];
    if (!best) { out->top = 1; return 0; }
    return ls_add(out, best->lit, best->lit_n);
  }
  for (i = 0; i < it->n_pats; i++) {
    if (!it->pats[i].lit) { ls_free(out); out->top = 1; return 0; }
    if (ls_add(out, it->pats[i].lit, it->pats[i].lit_n)) return -1;
  }
  return 0;
}

static int an_sel(an *A, const sg_sel *sel, lset *out) {
  uint32_t a, i;
  memset(out, 0, sizeof *out);
  for (a = 0; a < sel->n_alts; a++) {
    lset best;
    memset(&best, 0, sizeof best);
    best.top = 1;
    for (i = 0; i < sel->alts[a].n_items; i++) {
      lset x;
      if (an_item(A, &sel->alts[a].items[i], &x)) { ls_free(&best); return -1; }
      ls_best(&best, &x, A->eid);
    }
    if (ls_union(out, &best)) return -1;
    if (out->top) { ls_free(out); out->top = 1; return 0; }
  }
  return 0;
}

static int an_node(an *A, const sg_det *d, const sg_node *x, lset *out, int depth) {
  uint32_t i;
  memset(out, 0, sizeof *out);
  if (depth > 64) { out->top = 1; return 0; }
  switch (x->op) {
  case SG_N_SEL:
    return an_sel(A, &d->sels[x->sel], out);
  case SG_N_NOT: case SG_N_TRUE:
    out->top = 1;
    return 0;
  case SG_N_AND: case SG_N_ATLEAST:
    if (x->op == SG_N_AND || x->k >= x->n) {
      out->top = 1;
      for (i = 0; i < x->n; i++) {
        lset k;
        if (an_node(A, d, x->kids[i], &k, depth + 1)) return -1;
        ls_best(out, &k, A->eid);
      }
      return 0;
    }
    /* k of n, k < n: at least one child holds, as for OR */
    for (i = 0; i < x->n; i++) {
      lset k;
      if (an_node(A, d, x->kids[i], &k, depth + 1)) return -1;
      if (ls_union(out, &k)) return -1;
      if (out->top) { ls_free(out); out->top = 1; return 0; }
    }
    return 0;
  case SG_N_OR:
    for (i = 0; i < x->n; i++) {
      lset k;
      if (an_node(A, d, x->kids[i], &k, depth + 1)) return -1;
      if (ls_union(out, &k)) return -1;
      if (out->top) { ls_free(out); out->top = 1; return 0; }
    }
    return 0;
  }
  out->top = 1;
  return 0;
}

/* Conjunction of clauses (each an any-of literal set): every clause must
** have a hit for the rule to be evaluated.  AND nodes and the items of a
** one-map selection contribute one clause per operand; anything else
** contributes its single best clause. */
#define CNF_MAX 8
typedef struct cnf { uint32_t n; lset cl[CNF_MAX]; } cnf;

static int cnf_add(cnf *c, lset *l) {
  if (l->top || c->n >= CNF_MAX) { ls_free(l); return 0; }
  c->cl[c->n++] = *l;
  return 0;
}

static void cnf_free(cnf *c) {
  uint32_t q;
  for (q = 0; q < c->n; q++) ls_free(&c->cl[q]);
  c->n = 0;
}

static uint32_t cnf_best(const cnf *c) {
  uint32_t q, b = 0;
  for (q = 1; q < c->n; q++) if (ls_score(&c->cl[q], 0) > ls_score(&c->cl[b], 0)) b = q;
  return b;
}

/* The disjunction of n operands given as CNFs k[0..n) (each with at least
** one clause), into c: (A1 and A2) or (B1 and B2) implies (Ai or Bj) for
** every choice of one clause per operand.  The clauses made: the
** operands' best clauses together, then each other clause of one operand
** with the best of the others, up to CNF_MAX. */
static void cnf_or(cnf *k, uint32_t n, cnf *c) {
  uint32_t *best = tells_malloc((n ? n : 1) * sizeof *best), i, j, m;
  if (!best) return;                       /* no clause: always correct */
  for (i = 0; i < n; i++) best[i] = cnf_best(&k[i]);
  for (i = 0; i <= n && c->n < CNF_MAX; i++) {      /* i == n: all best */
    for (j = 0; j < (i < n ? k[i].n : 1) && c->n < CNF_MAX; j++) {
      lset u;
      if (i < n && j == best[i]) continue;
      memset(&u, 0, sizeof u);
      for (m = 0; m < n && !u.top; m++) {
        const lset *f = &k[m].cl[m == i ? j : best[m]];
        uint32_t q;
        for (q = 0; q < f->n && !u.top; q++) ls_add(&u, f->p[q], f->len[q]);
      }
      cnf_add(c, &u);
    }
  }
  tells_free(best);
}

static int cnf_collect(an *A, const sg_det *d, const sg_node *x, cnf *c, int depth);

/* A selection's map: one clause per item. */
static int cnf_alt(an *A, const sg_alt *a, cnf *c) {
  uint32_t i;
  lset l;
  for (i = 0; i < a->n_items; i++) {
    if (an_item(A, &a->items[i], &l)) return -1;
    cnf_add(c, &l);
  }
  return 0;
}

/* OR-like nodes (or, k of n with k < n, a list of maps): each operand's
** CNF, then their disjunction; an operand without clauses gives none. */
static int cnf_any(an *A, const sg_det *d, const sg_node *x, cnf *c, int depth) {
  const sg_sel *sel = x->op == SG_N_SEL ? &d->sels[x->sel] : NULL;
  uint32_t n = sel ? sel->n_alts : x->n, i;
  cnf *k = tells_calloc(n ? n : 1, sizeof *k);
  int rc = 0;
  if (!k) return 0;
  for (i = 0; i < n; i++) {
    rc = sel ? cnf_alt(A, &sel->alts[i], &k[i]) : cnf_collect(A, d, x->kids[i], &k[i], depth + 1);
    if (rc || k[i].n == 0) break;
  }
  if (rc == 0 && i == n && n) cnf_or(k, n, c);
  for (i = 0; i < n; i++) cnf_free(&k[i]);
  tells_free(k);
  return rc;
}

static int cnf_collect(an *A, const sg_det *d, const sg_node *x, cnf *c, int depth) {
  lset l;
  uint32_t i;
  if (depth > 64) return 0;
  if (x->op == SG_N_AND || (x->op == SG_N_ATLEAST && x->k >= x->n)) {
    for (i = 0; i < x->n; i++)
      if (cnf_collect(A, d, x->kids[i], c, depth + 1)) return -1;
    return 0;
  }
  if (x->op == SG_N_ATLEAST && x->k == 0) return 0;      /* always true */
  if (x->op == SG_N_SEL && d->sels[x->sel].n_alts == 1) return cnf_alt(A, &d->sels[x->sel].alts[0], c);
  if (x->op == SG_N_OR || (x->op == SG_N_ATLEAST && x->k > 0) ||
      (x->op == SG_N_SEL && d->sels[x->sel].n_alts > 1))
    return cnf_any(A, d, x, c, depth);
  if (an_node(A, d, x, &l, depth)) return -1;
  return cnf_add(c, &l);
}

/* ---- buckets ------------------------------------------------------------ */

static uint32_t bkey(uint32_t c, uint32_t e) { return (c * 2654435761u) ^ (e * 40503u + 0x9e37u); }

static sg_bucket *bucket_find(const tells_sigma_ruleset *s, uint32_t c, uint32_t e) {
  size_t j;
  if (!s->bhash_cap) return NULL;
  j = bkey(c, e) & (s->bhash_cap - 1);
  while (s->bhash[j]) {
    sg_bucket *b = &s->buckets[s->bhash[j] - 1];
    if (b->chan == c && b->eid == e) return b;
    j = (j + 1) & (s->bhash_cap - 1);
  }
  return NULL;
}

static int bhash_rebuild(tells_sigma_ruleset *s, size_t cap) {
  uint32_t *nh = tells_calloc(cap, sizeof *nh);
  size_t i;
  if (!nh) return -1;
  for (i = 0; i < s->n_buckets; i++) {
    size_t j = bkey(s->buckets[i].chan, s->buckets[i].eid) & (cap - 1);
    while (nh[j]) j = (j + 1) & (cap - 1);
    nh[j] = (uint32_t)i + 1;
  }
  tells_free(s->bhash);
  s->bhash = nh; s->bhash_cap = cap;
  return 0;
}

static int bucket_add(tells_sigma_ruleset *s, uint32_t c, uint32_t e, uint32_t rule) {
  sg_bucket *b = bucket_find(s, c, e);
  if (!b) {
    if ((s->n_buckets + 1) * 2 > s->bhash_cap &&
        bhash_rebuild(s, s->bhash_cap ? s->bhash_cap * 2 : 256))
      return -1;
    if (s->n_buckets == s->cap_buckets) {
      size_t nc = s->cap_buckets ? s->cap_buckets * 2 : 64;
      sg_bucket *nb = tells_realloc(s->buckets, nc * sizeof *nb);
      if (!nb) return -1;
      s->buckets = nb; s->cap_buckets = nc;
    }
    b = &s->buckets[s->n_buckets++];
    memset(b, 0, sizeof *b);
    b->chan = c; b->eid = e;
    if (bhash_rebuild(s, s->bhash_cap)) return -1;
  }
  if (b->n && b->rules[b->n - 1] == rule) return 0;
  if (b->n == b->cap) {
    uint32_t nc = b->cap ? b->cap * 2 : 8;
    uint32_t *nr = tells_realloc(b->rules, nc * sizeof *nr);
    if (!nr) return -1;
    b->rules = nr; b->cap = nc;
  }
  b->rules[b->n++] = rule;
  if (s->rules[rule].needs_all_fields) b->all_fields = 1;
  return 0;
}

static int has_keywords(const sg_det *d) {
  uint32_t i, a, k;
  for (i = 0; i < d->n_sels; i++)
    for (a = 0; a < d->sels[i].n_alts; a++)
      for (k = 0; k < d->sels[i].alts[a].n_items; k++)
        if (d->sels[i].alts[a].items[k].field == SG_FIELD_KEYWORD) return 1;
  return 0;
}

/* ---- literal table -------------------------------------------------- */

typedef struct ltab {
  const char **p; size_t *len; size_t n, cap;
  uint32_t *h; size_t hcap;
} ltab;

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static uint32_t hbytes(const char *p, size_t n) {
  uint32_t h = 2166136261u;
  size_t i;
  for (i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 16777619u;
  return h;
}

static int64_t lt_id(ltab *t, const char *p, size_t n) {
  size_t j;
  if ((t->n + 1) * 2 > t->hcap) {
    size_t nc = t->hcap ? t->hcap * 2 : 1024, i;
    uint32_t *nh = tells_calloc(nc, sizeof *nh);
    if (!nh) return -1;
    for (i = 0; i < t->n; i++) {
      size_t k = hbytes(t->p[i], t->len[i]) & (nc - 1);
      while (nh[k]) k = (k + 1) & (nc - 1);
      nh[k] = (uint32_t)i + 1;
    }
    tells_free(t->h);
    t->h = nh; t->hcap = nc;
  }
  j = hbytes(p, n) & (t->hcap - 1);
  while (t->h[j]) {
    size_t i = t->h[j] - 1;
    if (t->len[i] == n && memcmp(t->p[i], p, n) == 0) return (int64_t)i;
    j = (j + 1) & (t->hcap - 1);
  }
  if (t->n == t->cap) {
    size_t nc = t->cap ? t->cap * 2 : 1024;
    const char **np = tells_realloc(t->p, nc * sizeof *np);
    size_t *nl;
    if (!np) return -1;
    t->p = np;
    nl = tells_realloc(t->len, nc * sizeof *nl);
    if (!nl) return -1;
    t->len = nl; t->cap = nc;
  }
  t->p[t->n] = p; t->len[t->n] = n;
  t->h[j] = (uint32_t)t->n + 1;
  return (int64_t)t->n++;
}

/* Id of literal p[0..n) if it is in the table, else -1. */
static int64_t lt_find(const ltab *t, const char *p, size_t n) {
  size_t j;
  if (!t->hcap) return -1;
  j = hbytes(p, n) & (t->hcap - 1);
  while (t->h[j]) {
    size_t i = t->h[j] - 1;
    if (t->len[i] == n && memcmp(t->p[i], p, n) == 0) return (int64_t)i;
    j = (j + 1) & (t->hcap - 1);
  }
  return -1;
}

/* The keyword literals of detection d (lt: the literal table). */
static void det_kw_add(tells_sigma_ruleset *s, const ltab *lt, const sg_det *d, uint32_t *out,
                       uint32_t *n) {
  uint32_t i, a, k, q;
  for (i = 0; i < d->n_sels; i++)
    for (a = 0; a < d->sels[i].n_alts; a++)
      for (k = 0; k < d->sels[i].alts[a].n_items; k++) {
        const sg_item *it = &d->sels[i].alts[a].items[k];
        if (it->field != SG_FIELD_KEYWORD) continue;
        for (q = 0; q < it->n_pats; q++) {
          int64_t id = it->pats[q].lit ? lt_find(lt, it->pats[q].lit, it->pats[q].lit_n) : -1;
          if (id >= 0 && tells__sigma_lit_mark(s, (uint32_t)id)) out[(*n)++] = (uint32_t)id;
        }
      }
}

/* Rule r's keyword literals, for the per-bucket lists s->bkw_off/bkw: each
** set of buckets scans the fields that only keyword items read for its own
** (sigma_combo.c). */
static void rule_kw_lits(tells_sigma_ruleset *s, const sg_rule *r, uint32_t *out, uint32_t *n,
                         const void *ud) {
  uint32_t q;
  if (!r->needs_all_fields) return;
  det_kw_add(s, ud, &r->det, out, n);
  for (q = 0; q < r->n_filters; q++) det_kw_add(s, ud, r->filters[q], out, n);
}

/* For an item of many values, the index that item_match uses instead of
** walking them: the gated values by literal, and the others. */
static int gate_index(tells_sigma_ruleset *s, sg_item *it) {
  uint32_t q, ng = 0;
  for (q = 0; q < it->n_pats; q++) ng += it->pats[q].lit_id != 0;
  it->gx = tells_arena_alloc(&s->a, (ng ? ng : 1) * sizeof *it->gx);
  it->ug = tells_arena_alloc(&s->a, (it->n_pats - ng + 1) * sizeof *it->ug);
  if (!it->gx || !it->ug) return -1;
  it->n_gx = it->n_ug = 0;
  for (q = 0; q < it->n_pats; q++) {
    if (it->pats[q].lit_id) it->gx[it->n_gx++] = (uint64_t)(it->pats[q].lit_id - 1) << 32 | q;
    else it->ug[it->n_ug++] = q;
  }
  qsort(it->gx, it->n_gx, sizeof *it->gx, cmp_u64);
  return 0;
}

/* Gives every pattern with a literal its automaton id. */
static int det_lit_ids(tells_sigma_ruleset *s, ltab *lt, sg_det *d) {
  uint32_t i, a, k, q;
  for (i = 0; i < d->n_sels; i++)
    for (a = 0; a < d->sels[i].n_alts; a++)
      for (k = 0; k < d->sels[i].alts[a].n_items; k++) {
        sg_item *it = &d->sels[i].alts[a].items[k];
        if (it->n_pats < SG_GATE_MIN_PATS) continue;   /* memmem is cheap enough */
        for (q = 0; q < it->n_pats; q++) {
          sg_pat *p = &it->pats[q];
          int64_t id;
          if (!p->lit || p->neg) continue;
          id = lt_id(lt, p->lit, p->lit_n);
          if (id < 0) return -1;
          p->lit_id = (uint32_t)id + 1;
        }
        if (it->n_pats >= SG_GATE_INDEX && !it->all && it->field != SG_FIELD_KEYWORD &&
            gate_index(s, it))
          return -1;
      }
  return 0;
}

/* Reorders the rule's clauses for the check at match time (clauses_hit):
** the smaller clauses first, so that an unmet one is usually found after
** a few bit tests, and the indexed clause last, where the check stops (a
** rule is only met through a literal of its indexed clause). */
static int order_clauses(tells_sigma_ruleset *s, sg_rule *r) {
  uint32_t n = r->n_clauses, *off, *out, k, j, o = 0, at = 0;
  if (n < 2) return 0;
  off = tells_malloc(n * sizeof *off);
  out = tells_arena_alloc(&s->a, r->n_lits * sizeof *out);
  if (!off || !out) { tells_free(off); return -1; }
  for (k = 0; k < n; k++) { off[k] = at; at += 1 + r->lits[at]; }
  for (k = 1; k < n; k++) {             /* insertion sort by size, stable */
    uint32_t v = off[k];
    for (j = k; j && r->lits[off[j - 1]] > r->lits[v]; j--) off[j] = off[j - 1];
    off[j] = v;
  }
  for (k = 0; k < n; k++) {
    if (off[k] == r->trig) continue;
    memcpy(out + o, r->lits + off[k], (1 + r->lits[off[k]]) * sizeof *out);
    o += 1 + r->lits[off[k]];
  }
  memcpy(out + o, r->lits + r->trig, (1 + r->lits[r->trig]) * sizeof *out);
  r->trig = o;
  r->lits = out;
  tells_free(off);
  return 0;
}

/* Sets in[id] = v for every literal id of the rule's clauses. */
static void clause_lits(const sg_rule *r, uint8_t *in, uint8_t v) {
  const uint32_t *l = r->lits, *e;
  if (!l) return;                        /* no clauses */
  e = l + r->n_lits;
  while (l < e) {
    uint32_t cn = *l++, z;
    for (z = 0; z < cn; z++) in[l[z]] = v;
    l += cn;
  }
}

/* Marks the fields the automaton must read for a detection: those of the
** patterns whose literal gates them (lit_id) or is in one of the rule's
** clauses (in[id] set; NULL for none).  A literal that serves neither
** (a pattern under `not`, an item of a clause that lost to a better one)
** needs no scan: the evaluation decides those patterns on the value. */
static void det_fields(const ltab *lt, const sg_det *d, const uint8_t *in, uint8_t *mark,
                       size_t nf) {
  uint32_t i, a, k, q;
  for (i = 0; i < d->n_sels; i++)
    for (a = 0; a < d->sels[i].n_alts; a++)
      for (k = 0; k < d->sels[i].alts[a].n_items; k++) {
        const sg_item *it = &d->sels[i].alts[a].items[k];
        if (it->field >= nf || mark[it->field]) continue;
        for (q = 0; q < it->n_pats; q++) {
          const sg_pat *p = &it->pats[q];
          int64_t id;
          if (!p->lit) continue;
          if (p->lit_id || (in && (id = lt_find(lt, p->lit, p->lit_n)) >= 0 && in[id])) {
            mark[it->field] = 1;
            break;
          }
        }
      }
}

/* ---- filters -------------------------------------------------------- */

static int rule_ref_matches(const sg_rule *r, const char *ref) {
  return (r->info.id[0] && !strcmp(r->info.id, ref)) ||
         (r->info.name[0] && !strcmp(r->info.name, ref));
}

static tells_err resolve_filters(tells_sigma_ruleset *s, tells_sigma_report_fn rep, void *ud) {
  size_t i, j;
  uint32_t k;
  for (i = 0; i < s->n_rules; i++) {
    sg_rule *f = &s->rules[i];
    if (f->info.kind != TELLS_SIGMA_FILTER) continue;
    for (k = 0; k < f->filter->n_refs; k++) {
      int found = 0;
      for (j = 0; j < s->n_rules; j++) {
        sg_rule *r = &s->rules[j];
        sg_det **nf;
        if (r->info.kind != TELLS_SIGMA_RULE || !rule_ref_matches(r, f->filter->refs[k])) continue;
        found = 1;
        nf = tells_arena_alloc(&s->a, (r->n_filters + 1) * sizeof *nf);
        if (!nf) return TELLS_ENOMEM;
        if (r->n_filters) memcpy(nf, r->filters, r->n_filters * sizeof *nf);
        nf[r->n_filters++] = &f->filter->det;
        r->filters = nf;
      }
      if (!found && rep) {
        char msg[200];
        snprintf(msg, sizeof msg, "filter refers to unknown rule '%.100s'", f->filter->refs[k]);
        rep(ud, f->info.path, f->info.line, 0, msg);
      }
    }
  }
  return TELLS_OK;
}

/* ---- candidate index ------------------------------------------------------ */

/* Per rule its buckets; per bucket the rules without literal prefilter;
** per literal the (bucket, rule) pairs of the rules whose indexed clause
** (the best one) holds it: an event's buckets are checked on the pair, so
** the rules of other buckets cost no read of their rule. */
static int build_index(tells_sigma_ruleset *s) {
  size_t i, nl = s->n_lits;
  uint32_t k, *cnt = tells_calloc(s->n_rules ? s->n_rules : 1, sizeof *cnt);
  if (!cnt) return -1;
  for (i = 0; i < s->n_buckets; i++)
    for (k = 0; k < s->buckets[i].n; k++) cnt[s->buckets[i].rules[k]]++;
  for (i = 0; i < s->n_rules; i++) {
    if (!cnt[i]) continue;
    s->rules[i].bks = tells_arena_alloc(&s->a, cnt[i] * sizeof *s->rules[i].bks);
    if (!s->rules[i].bks) { tells_free(cnt); return -1; }
  }
  tells_free(cnt);
  for (i = 0; i < s->n_buckets; i++) {
    sg_bucket *b = &s->buckets[i];
    b->always = tells_malloc((b->n ? b->n : 1) * sizeof *b->always);
    if (!b->always) return -1;
    for (k = 0; k < b->n; k++) {
      sg_rule *r = &s->rules[b->rules[k]];
      r->bks[r->n_bks++] = (uint32_t)i;
      if (r->lit_any) b->always[b->n_always++] = b->rules[k];
    }
  }
  s->trig_off = tells_calloc(nl + 2, sizeof *s->trig_off);
  s->bgen = tells_calloc(s->n_buckets ? s->n_buckets : 1, sizeof *s->bgen);
  s->bpos = tells_calloc(s->n_buckets ? s->n_buckets : 1, 1);
  s->cand = tells_malloc((s->n_rules ? s->n_rules : 1) * sizeof *s->cand);
  s->cidx = tells_malloc((s->n_rules ? s->n_rules : 1) * sizeof *s->cidx);
  if (!s->trig_off || !s->bgen || !s->bpos || !s->cand || !s->cidx) return -1;
  for (i = 0; i < s->n_rules; i++) {
    const sg_rule *r = &s->rules[i];
    if (!r->n_bks || r->lit_any) continue;
    for (k = 0; k < r->lits[r->trig]; k++) s->trig_off[r->lits[r->trig + 1 + k] + 2] += r->n_bks;
  }
  for (i = 0; i < nl; i++) s->trig_off[i + 2] += s->trig_off[i + 1];
  s->trig = tells_malloc((s->trig_off[nl + 1] ? s->trig_off[nl + 1] : 1) * sizeof *s->trig);
  if (!s->trig) return -1;
  /* the clauses checked before the indexed one (clauses_hit), all rules'
  ** in one array: the check reads no rule */
  {
    size_t tot = 0;
    s->rcl = tells_malloc((s->n_rules ? s->n_rules : 1) * sizeof *s->rcl);
    if (!s->rcl) return -1;
    for (i = 0; i < s->n_rules; i++) tot += s->rules[i].lits ? s->rules[i].trig : 0;
    s->cl = tells_malloc((tot ? tot : 1) * sizeof *s->cl);
    if (!s->cl) return -1;
    for (i = 0, tot = 0; i < s->n_rules; i++) {
      const sg_rule *r = &s->rules[i];
      uint32_t t = r->lits ? r->trig : 0;
      if (t) memcpy(s->cl + tot, r->lits, t * sizeof *s->cl);
      s->rcl[i] = (uint64_t)tot << 32 | t;
      tot += t;
    }
  }
  for (i = 0; i < s->n_rules; i++) {     /* ascending rule order per literal */
    const sg_rule *r = &s->rules[i];
    uint32_t q;
    if (!r->n_bks || r->lit_any) continue;
    for (k = 0; k < r->lits[r->trig]; k++)
      for (q = 0; q < r->n_bks; q++)
        s->trig[s->trig_off[r->lits[r->trig + 1 + k] + 1]++] = (uint64_t)r->bks[q] << 32 | i;
  }
  return 0;
}

/* ---- compile ----------------------------------------------------------- */

tells_err tells_sigma_compile(tells_sigma_ruleset *s, tells_sigma_report_fn rep, void *ud) {
  ltab lt;
  size_t i, max_sels = 1;
  tells_err e;
  an A;
  if (!s || s->compiled) return TELLS_EARG;
  memset(&lt, 0, sizeof lt);
  s->f_eventid = tells__sigma_field_id(s, "EventID", 7, 1);
  s->f_channel = tells__sigma_field_id(s, "Channel", 7, 1);
  s->f_provider = tells__sigma_field_id(s, "Provider_Name", 13, 1);
  s->f_computer = tells__sigma_field_id(s, "Computer", 8, 1);
  if (s->f_eventid == SG_ANY || s->f_channel == SG_ANY || s->f_provider == SG_ANY ||
      s->f_computer == SG_ANY)
    return TELLS_ENOMEM;
  if ((e = resolve_filters(s, rep, ud)) != TELLS_OK) return e;
  if ((e = tells__sigma_corr_resolve(s, rep, ud)) != TELLS_OK) return e;
  /* channels of the aliases must exist before the alias table is built */
  (void)tells__sigma_chan_id(s, "Security", 8, 1);
  if ((e = tells__sigma_aliases_compile(s)) != TELLS_OK) return e;
  A.s = s;
  for (i = 0; i < s->n_rules; i++) {
    sg_rule *r = &s->rules[i];
    sg_target tg[16];
    size_t nt, t;
    int known;
    lset eids;
    uint32_t k;
    if (r->det.n_sels > max_sels) max_sels = r->det.n_sels;
    for (k = 0; k < r->n_filters; k++)
      if (r->filters[k]->n_sels > max_sels) max_sels = r->filters[k]->n_sels;
    if (r->info.kind != TELLS_SIGMA_RULE) continue;
    r->needs_all_fields = has_keywords(&r->det);
    for (k = 0; k < r->n_filters; k++)
      if (has_keywords(r->filters[k])) r->needs_all_fields = 1;
    /* EventIDs the detection requires */
    A.eid = 1;
    if (an_node(&A, &r->det, r->det.cond, &eids, 0)) goto nomem;
    /* literals: a conjunction of any-of clauses */
    A.eid = 0;
    {
      cnf c;
      uint32_t total = 0, o = 0, q;
      memset(&c, 0, sizeof c);
      if (cnf_collect(&A, &r->det, r->det.cond, &c, 0)) {
        for (q = 0; q < c.n; q++) ls_free(&c.cl[q]);
        ls_free(&eids);
        goto nomem;
      }
      for (q = 0; q < c.n; q++) total += 1 + c.cl[q].n;
      if (c.n == 0) r->lit_any = 1;
      else {
        int best = -2000000;
        r->lits = tells_arena_alloc(&s->a, total * sizeof *r->lits);
        if (!r->lits) total = 0, r->lit_any = 1;
        for (q = 0; q < c.n && r->lits; q++) {
          uint32_t at = o, z, u = 0;
          int sc = ls_score(&c.cl[q], 0);
          o++;
          for (k = 0; k < c.cl[q].n; k++) {
            int64_t id = lt_id(&lt, c.cl[q].p[k], c.cl[q].len[k]);
            if (id < 0) { r->lits = NULL; break; }
            r->lits[o++] = (uint32_t)id;
          }
          if (!r->lits) break;
          /* ids sorted and unique: the inverted index lists a rule once */
          qsort(r->lits + at + 1, o - at - 1, sizeof *r->lits, cmp_u32);
          for (z = 0; z < o - at - 1; z++)
            if (!u || r->lits[at + 1 + z] != r->lits[at + u]) r->lits[at + 1 + u++] = r->lits[at + 1 + z];
          r->lits[at] = u;
          o = at + 1 + u;
          if (sc > best) { best = sc; r->trig = at; }
        }
        if (!r->lits) {
          for (q = 0; q < c.n; q++) ls_free(&c.cl[q]);
          ls_free(&eids);
          goto nomem;
        }
        r->n_lits = o;
        r->n_clauses = c.n;
        if (order_clauses(s, r)) {
          for (q = 0; q < c.n; q++) ls_free(&c.cl[q]);
          ls_free(&eids);
          goto nomem;
        }
      }
      for (q = 0; q < c.n; q++) ls_free(&c.cl[q]);
    }
    nt = tells__sigma_logsource(s, r->info.product, r->info.category, r->info.service,
                                tg, 16, &known);
    if (!known && rep) {
      char msg[200];
      snprintf(msg, sizeof msg, "logsource %.40s/%.40s/%.40s has no channel mapping; "
               "the rule is tried on every event", r->info.product, r->info.category,
               r->info.service);
      rep(ud, r->info.path, r->info.line, 0, msg);
    }
    if (!known) nt = 0;
    if (nt) {
      r->tg = tells_arena_alloc(&s->a, nt * sizeof *r->tg);
      if (!r->tg) { ls_free(&eids); goto nomem; }
      memcpy(r->tg, tg, nt * sizeof *tg);
      r->n_tg = (uint32_t)nt;
    }
    if (nt == 0) {
      tg[0].chan = SG_ANY; tg[0].n_eids = 0; tg[0].eids = NULL;
      nt = 1;
    }
    for (t = 0; t < nt; t++) {
      int added = 0;
      if (tg[t].n_eids == 0 && eids.top) {
        if (bucket_add(s, tg[t].chan, SG_ANY, (uint32_t)i)) { ls_free(&eids); goto nomem; }
        continue;
      }
      if (tg[t].n_eids == 0) {
        for (k = 0; k < eids.n; k++)
          if (bucket_add(s, tg[t].chan, (uint32_t)strtoul(eids.p[k], NULL, 10), (uint32_t)i)) {
            ls_free(&eids); goto nomem;
          }
        continue;
      }
      for (k = 0; k < tg[t].n_eids; k++) {
        uint32_t ev = tg[t].eids[k], q;
        int ok = eids.top;
        char num[16];
        snprintf(num, sizeof num, "%u", ev);
        for (q = 0; q < eids.n && !ok; q++)
          if (!strcmp(eids.p[q], num) || (eids.len[q] == strlen(num) && !memcmp(eids.p[q], num, eids.len[q])))
            ok = 1;
        if (!ok) continue;
        added = 1;
        if (bucket_add(s, tg[t].chan, ev, (uint32_t)i)) { ls_free(&eids); goto nomem; }
      }
      (void)added;
    }
    ls_free(&eids);
  }
  /* every pattern literal goes into the automaton too */
  for (i = 0; i < s->n_rules; i++) {
    sg_rule *r = &s->rules[i];
    if (r->info.kind == TELLS_SIGMA_RULE && det_lit_ids(s, &lt, &r->det)) goto nomem;
    if (r->info.kind == TELLS_SIGMA_FILTER && det_lit_ids(s, &lt, &r->filter->det)) goto nomem;
  }
  /* the keyword scanner; the literal automata are built per set of
  ** buckets as events meet them (sigma_combo.c) */
  s->n_lits = lt.n;
  if (tells__sigma_bucket_lists(s, rule_kw_lits, &lt, &s->bkw_off, &s->bkw)) goto nomem;
  if (build_index(s)) goto nomem;
  s->rstamp = tells_calloc(s->n_rules ? s->n_rules : 1, sizeof *s->rstamp);
  if (!s->rstamp) goto nomem;
  s->lit_hits = tells_calloc((lt.n + 63) / 64 + 1, sizeof *s->lit_hits);
  s->hit_list = tells_malloc((lt.n ? lt.n : 1) * sizeof *s->hit_list);
  if (!s->hit_list) goto nomem;
  s->fscan = tells_calloc(s->n_fields ? s->n_fields : 1, sizeof *s->fscan);
  if (!s->fscan) goto nomem;
  /* the fields each bucket's rules need scanned */
  {
    uint8_t *in = tells_calloc(lt.n ? lt.n : 1, 1);
    if (!in) goto nomem;
    for (i = 0; i < s->n_buckets; i++) {
      sg_bucket *b = &s->buckets[i];
      uint32_t k, f, cnt = 0, q;
      uint8_t *mark = tells_calloc(s->n_fields ? s->n_fields : 1, 1);
      if (!mark) { tells_free(in); goto nomem; }
      for (k = 0; k < b->n; k++) {
        const sg_rule *r = &s->rules[b->rules[k]];
        clause_lits(r, in, 1);
        det_fields(&lt, &r->det, in, mark, s->n_fields);
        clause_lits(r, in, 0);
        for (q = 0; q < r->n_filters; q++) det_fields(&lt, r->filters[q], NULL, mark, s->n_fields);
      }
      for (f = 0; f < s->n_fields; f++) cnt += mark[f];
      b->scan = tells_malloc((cnt ? cnt : 1) * sizeof *b->scan);
      if (!b->scan) { tells_free(mark); tells_free(in); goto nomem; }
      for (f = 0; f < s->n_fields; f++) if (mark[f]) b->scan[b->n_scan++] = f;
      tells_free(mark);
    }
    tells_free(in);
  }
  s->fv = tells_calloc(s->n_fields ? s->n_fields : 1, sizeof *s->fv);
  s->selmemo = tells_calloc(max_sels, 1);
  s->selmemo_cap = max_sels;
  s->md = pcre2_match_data_create(1, NULL);
  s->scanned = tells_calloc(1, sizeof(mstate));
  if (!s->lit_hits || !s->fv || !s->selmemo || !s->md || !s->scanned) goto nomem;
  ms_of(s)->fc = tells_calloc(NC_FIELDS, sizeof(ncache));
  ms_of(s)->pc = tells_calloc(NC_POS * NC_POS_SETS, sizeof(ncache));
  ms_of(s)->cc = tells_calloc(NC_CHANS, sizeof(ncache));
  if (!ms_of(s)->fc || !ms_of(s)->cc || !ms_of(s)->pc) goto nomem;
  s->stats.literals = lt.n;
  tells_free(lt.h);
  lt.h = NULL;
  if (tells__sigma_combo_init(s, lt.p, lt.len)) return TELLS_ENOMEM;  /* it owns them now */
  s->compiled = 1;

  return TELLS_OK;
nomem:
  tells_free(lt.p); tells_free(lt.len); tells_free(lt.h);
  return TELLS_ENOMEM;
}

/* ---- evaluation ---------------------------------------------------------- */

static const char *lower_of(tells_sigma_ruleset *s, evf *f) {
  if (f->loff == SIZE_MAX) {
    if (s->lbuf_n + f->n + 1 > s->lbuf_cap) {
      size_t nc = s->lbuf_cap ? s->lbuf_cap : 4096;
      char *nb;
      while (nc < s->lbuf_n + f->n + 1) nc *= 2;
      nb = tells_realloc(s->lbuf, nc);
      if (!nb) return NULL;
      s->lbuf = nb; s->lbuf_cap = nc;
    }
    lower_copy(s->lbuf + s->lbuf_n, f->v, f->n);
    f->loff = s->lbuf_n;
    s->lbuf_n += f->n;
  }
  return s->lbuf + f->loff;
}

static evf *field_get(tells_sigma_ruleset *s, uint32_t fid) {
  mstate *m = ms_of(s);
  if (fid >= s->n_fields || s->fv[fid].stamp != s->gen) return NULL;
  return &m->f[s->fv[fid].n];
}

static int glob_match(const char *g, size_t gn, const char *v, size_t vn) {
  size_t gi = 0, vi = 0, sg = SIZE_MAX, sv = 0;
  while (vi < vn) {
    if (gi < gn) {
      unsigned char c = (unsigned char)g[gi];
      if (c == 1) { sg = ++gi; sv = vi; continue; }
      if (c == 2) { gi++; vi++; continue; }
      if (c == 3 && gi + 1 < gn) {
        if (g[gi + 1] == v[vi]) { gi += 2; vi++; continue; }
      } else if ((char)c == v[vi]) { gi++; vi++; continue; }
    }
    if (sg != SIZE_MAX) { gi = sg; vi = ++sv; continue; }
    return 0;
  }
  while (gi < gn && g[gi] == 1) gi++;
  return gi == gn;
}

static int is_ascii(const char *v, size_t n) {
  size_t i = 0;
  uint64_t acc = 0, w;
  for (; i + 8 <= n; i += 8) { memcpy(&w, v + i, 8); acc |= w; }
  for (; i < n; i++) acc |= (unsigned char)v[i];
  return !(acc & 0x8080808080808080u);
}

/* The glob of a gapped-literal regex (sigma_value.c) on the value, or on
** one of its lines when `.` stops at line ends (p->op). */
static int re_glob(const sg_pat *p, const char *v, size_t n) {
  const char *e = v + n, *nl;
  if (!(p->op & SG_RE_LINES)) return glob_match(p->s, p->n, v, n);
  for (;;) {
    nl = memchr(v, '\n', (size_t)(e - v));
    if (glob_match(p->s, p->n, v, (size_t)((nl ? nl : e) - v))) return 1;
    if (!nl) return 0;
    v = nl + 1;
  }
}

static int num_of(const char *v, size_t n, double *out) {
  char buf[64], *end;
  size_t i = 0;
  if (n == 0 || n >= sizeof buf) return -1;
  memcpy(buf, v, n); buf[n] = 0;
  while (buf[i] == ' ') i++;
  if (buf[i] == '0' && (buf[i + 1] | 32) == 'x') *out = (double)strtoull(buf + i + 2, &end, 16);
  else *out = strtod(buf + i, &end);
  if (end == buf + i) return -1;
  while (*end == ' ') end++;
  return *end ? -1 : 0;
}

static int text_cmp(int kind, const char *p, size_t pn, const char *v, size_t vn) {
  switch (kind) {
  case SG_P_EQ: return pn == vn && memcmp(p, v, pn) == 0;
  case SG_P_PREFIX: return vn >= pn && memcmp(p, v, pn) == 0;
  case SG_P_SUFFIX: return vn >= pn && memcmp(p, v + vn - pn, pn) == 0;
  case SG_P_CONTAINS: return pn == 0 || (vn >= pn && memmem(v, vn, p, pn) != NULL);
  case SG_P_GLOB: return glob_match(p, pn, v, vn);
  }
  return 0;
}

static int pat_match(tells_sigma_ruleset *s, const sg_pat *p, evf *f) {
  int r = 0;
  switch (p->kind) {
  case SG_P_EXISTS: return (f != NULL) == (p->num != 0);
  case SG_P_NULL: r = !f || f->n == 0; return p->neg ? !r : r;
  case SG_P_ANY: r = f != NULL; break;
  default:
    if (!f) return p->neg;
    switch (p->kind) {
    case SG_P_EQ: case SG_P_PREFIX: case SG_P_SUFFIX: case SG_P_CONTAINS: case SG_P_GLOB: {
      const char *v;
      if (p->lit_id && !SG_HIT(s, p->lit_id - 1)) { r = 0; break; }
      v = p->cased ? f->v : lower_of(s, f);
      if (!v) return 0;
      r = text_cmp(p->kind, p->s, p->n, v, f->n);
      break;
    }
    case SG_P_RE:     /* a gapped-literal regex first needs its glob */
      if (p->req && !s->ref_mode && !memchr(f->v, p->req, f->n)) { r = 0; break; }
      if (p->s && !re_glob(p, f->v, f->n)) { r = 0; break; }
      if (p->s && (p->op & SG_RE_EXACT) && is_ascii(f->v, f->n)) { r = 1; break; }
      r = pcre2_match(p->re, (PCRE2_SPTR)f->v, f->n, 0, 0, s->md, NULL) >= 0;
      break;
    case SG_P_CIDR: {
      uint8_t a[16];
      int fam, bits = p->prefix, i;
      if (tells__sigma_parse_ip(f->v, f->n, a, &fam) || fam != p->family) { r = 0; break; }
      r = 1;
      for (i = 0; i < bits / 8; i++) if (a[i] != p->addr[i]) { r = 0; break; }
      if (r && bits % 8) {
        uint8_t mask = (uint8_t)(0xFF << (8 - bits % 8));
        r = (a[bits / 8] & mask) == (p->addr[bits / 8] & mask);
      }
      break;
    }
    case SG_P_NUM: {
      double d;
      if (num_of(f->v, f->n, &d)) { r = 0; break; }
      r = p->op == SG_OP_GT ? d > p->num : p->op == SG_OP_GTE ? d >= p->num
          : p->op == SG_OP_LT ? d < p->num : d <= p->num;
      break;
    }
    case SG_P_FIELDREF: {
      evf *o = field_get(s, p->ref);
      const char *a, *b;
      static const int kinds[] = {SG_P_EQ, SG_P_PREFIX, SG_P_SUFFIX, SG_P_CONTAINS};
      if (!o) { r = 0; break; }
      a = p->cased ? o->v : lower_of(s, o);
      b = p->cased ? f->v : lower_of(s, f);
      if (!a || !b) { r = 0; break; }
      if (!p->cased) a = s->lbuf + o->loff;   /* b's copy may have moved lbuf */
      r = text_cmp(kinds[p->refkind], a, o->n, b, f->n);
      break;
    }
    }
  }
  return p->neg ? !r : r;
}

/* An item of many values (gate_index): a gated value can match only when
** the event holds its literal (pat_match's gate), so those values are
** found from the event's literals rather than by walking them all.  The
** values are ORed, so the order they are tried in does not matter. */
static int item_by_hits(tells_sigma_ruleset *s, const sg_item *it, evf *f) {
  uint32_t i, h;
  for (i = 0; i < it->n_ug; i++) if (pat_match(s, &it->pats[it->ug[i]], f)) return 1;
  if (!f) return 0;                      /* a gated value is not negated */
  for (h = 0; h < s->n_hit; h++) {
    uint64_t key = (uint64_t)s->hit_list[h] << 32;
    uint32_t lo = 0, hi = it->n_gx;
    while (lo < hi) {                    /* the first entry of this literal */
      uint32_t mid = lo + (hi - lo) / 2;
      if (it->gx[mid] < key) lo = mid + 1; else hi = mid;
    }
    for (; lo < it->n_gx && it->gx[lo] >> 32 == key >> 32; lo++)
      if (pat_match(s, &it->pats[(uint32_t)it->gx[lo]], f)) return 1;
  }
  return 0;
}

static int item_match(tells_sigma_ruleset *s, const sg_item *it) {
  uint32_t i;
  if (it->field == SG_FIELD_KEYWORD) {
    mstate *m = ms_of(s);
    for (i = 0; i < it->n_pats; i++) {
      size_t k;
      int hit = 0;
      for (k = 0; k < m->n && !hit; k++) hit = pat_match(s, &it->pats[i], &m->f[k]);
      if (it->all && !hit) return 0;
      if (!it->all && hit) return 1;
    }
    return it->all && it->n_pats > 0;
  } else {
    evf *f = field_get(s, it->field);
    if (it->gx && !s->ref_mode) return item_by_hits(s, it, f);
    for (i = 0; i < it->n_pats; i++) {
      int hit = pat_match(s, &it->pats[i], f);
      if (it->all && !hit) return 0;
      if (!it->all && hit) return 1;
    }
    return it->all && it->n_pats > 0;
  }
}

static int sel_match(tells_sigma_ruleset *s, const sg_sel *sel) {
  uint32_t a, i;
  for (a = 0; a < sel->n_alts; a++) {
    int ok = 1;
    for (i = 0; i < sel->alts[a].n_items && ok; i++)
      ok = item_match(s, &sel->alts[a].items[i]);
    if (ok) return 1;
  }
  return 0;
}

static int node_eval(tells_sigma_ruleset *s, const sg_det *d, const sg_node *x) {
  uint32_t i, hits = 0;
  switch (x->op) {
  case SG_N_SEL:
    if (!s->selmemo[x->sel]) s->selmemo[x->sel] = (uint8_t)(1 + sel_match(s, &d->sels[x->sel]));
    return s->selmemo[x->sel] - 1;
  case SG_N_NOT: return !node_eval(s, d, x->kids[0]);
  case SG_N_AND:
    for (i = 0; i < x->n; i++) if (!node_eval(s, d, x->kids[i])) return 0;
    return 1;
  case SG_N_OR:
    for (i = 0; i < x->n; i++) if (node_eval(s, d, x->kids[i])) return 1;
    return 0;
  case SG_N_ATLEAST:
    for (i = 0; i < x->n; i++) {
      if (node_eval(s, d, x->kids[i]) && ++hits >= x->k) return 1;
      if (x->n - i - 1 + hits < x->k) return 0;
    }
    return 0;
  case SG_N_TRUE: return 1;
  }
  return 0;
}

int tells__sigma_eval_det(tells_sigma_ruleset *s, const sg_det *d) {
  memset(s->selmemo, 0, d->n_sels);
  return node_eval(s, d, d->cond);
}

/* ---- matching -------------------------------------------------------------- */

/* Adds a field by id (SG_ANY: a name no rule uses). */
static int ev_add_fid(tells_sigma_ruleset *s, uint32_t fid, const char *v, size_t vn,
                      uint32_t chan, uint32_t eid) {
  mstate *m = ms_of(s);
  evf *f;
  if (fid != SG_ANY && m->alias_ev) {
    uint32_t to = tells__sigma_alias(s, chan, eid, fid);
    if (to != SG_ANY) fid = to;
  }
  if (m->n == m->cap) {
    size_t nc = m->cap ? m->cap * 2 : 64;
    evf *nf = tells_realloc(m->f, nc * sizeof *nf);
    if (!nf) return -1;
    m->f = nf; m->cap = nc;
  }
  f = &m->f[m->n];
  f->v = v ? v : ""; f->n = v ? vn : 0; f->loff = SIZE_MAX; f->fid = fid;
  if (fid != SG_ANY) {
    s->fv[fid].stamp = s->gen;
    s->fv[fid].n = m->n;
  }
  m->n++;
  return 0;
}

/* Field i of the event: the events of one (channel, EventID) carry the
** same names in the same order, so the name is compared with the one at
** the same position in the last event of its slot before it is hashed and
** looked up (pc: the names of the slot's last event). */
static int ev_add(tells_sigma_ruleset *s, ncache *pc, size_t i, const char *name, size_t nn,
                  const char *v, size_t vn, uint32_t chan, uint32_t eid) {
  uint32_t fid;
  if (!name) fid = SG_ANY;
  else if (i < NC_POS && nn && pc[i].len == nn && same_bytes(pc[i].name, name, nn))
    fid = pc[i].id;
  else {
    fid = nc_id(s, ms_of(s)->fc, NC_FIELDS, name, nn, 0);
    if (i < NC_POS && nn && nn <= NC_NAME) {
      pc[i].len = (uint32_t)nn; pc[i].id = fid;
      memcpy(pc[i].name, name, nn);
    }
  }
  return ev_add_fid(s, fid, v, vn, chan, eid);
}

static int has_field(tells_sigma_ruleset *s, uint32_t fid) {
  return fid < s->n_fields && s->fv[fid].stamp == s->gen;
}

/* Every clause of the rule has one of its literals in the event; the
** indexed clause, last (order_clauses), holds the literal that led here. */
static int clauses_hit(const tells_sigma_ruleset *s, uint32_t ri) {
  const uint32_t *l = s->cl + (s->rcl[ri] >> 32), *e = l + (uint32_t)s->rcl[ri];
  while (l < e) {
    uint32_t cn = *l++, z;
    int any = 0;
    for (z = 0; z < cn && !any; z++) any = (int)SG_HIT(s, l[z]);
    if (!any) return 0;
    l += cn;
  }
  return 1;
}

/* Evaluates rule ri (condition, then its filters) and reports a match.
** Returns 1 when the callback asked to stop. */
static int rule_run(tells_sigma_ruleset *s, uint32_t ri, const tells_sigma_event *ev,
                    tells_sigma_match_fn fn, void *ud) {
  sg_rule *r = &s->rules[ri];
  uint32_t q;
  int stop = 0;
  s->stats.evaluated++;
  if (!tells__sigma_eval_det(s, &r->det)) return 0;
  for (q = 0; q < r->n_filters; q++) if (!tells__sigma_eval_det(s, r->filters[q])) return 0;
  if (!r->suppressed) {
    tells_sigma_hit mt;
    memset(&mt, 0, sizeof mt);
    mt.rule = &r->info;
    mt.ev = ev;
    s->stats.matches++;
    if (fn && fn(ud, &mt)) stop = 1;
  }
  if (r->n_corrs && tells__sigma_corr_feed(s, ri, fn, ud)) stop = 1;
  return stop;
}

static int targets_event(const sg_rule *r, uint32_t chan, uint32_t eid) {
  uint32_t t, k;
  if (!r->n_tg) return 1;
  for (t = 0; t < r->n_tg; t++) {
    if (r->tg[t].chan != SG_ANY && r->tg[t].chan != chan) continue;
    if (!r->tg[t].n_eids) return 1;
    for (k = 0; k < r->tg[t].n_eids; k++) if (r->tg[t].eids[k] == eid) return 1;
  }
  return 0;
}

void tells__sigma_set_reference(tells_sigma_ruleset *s, int on) { s->ref_mode = on; }

/* The reference evaluation: no prefilter at all. */
static void match_reference(tells_sigma_ruleset *s, const tells_sigma_event *ev, uint32_t chan,
                            tells_sigma_match_fn fn, void *ud) {
  size_t i, nw = (s->n_lits + 63) / 64 + 1;
  memset(s->lit_hits, 0xFF, nw * sizeof *s->lit_hits);   /* every gate open */
  for (i = 0; i < s->n_rules; i++) {
    const sg_rule *r = &s->rules[i];
    if (r->info.kind != TELLS_SIGMA_RULE || !targets_event(r, chan, ev->event_id)) continue;
    if (rule_run(s, (uint32_t)i, ev, fn, ud)) break;
  }
  memset(s->lit_hits, 0, nw * sizeof *s->lit_hits);
}

tells_err tells_sigma_match(tells_sigma_ruleset *s, const tells_sigma_event *ev,
                            tells_sigma_match_fn fn, void *ud) {
  mstate *m;
  ncache *pc;
  const sg_bucket *bk[4];
  int nb = 0, b, all_fields = 0;
  uint32_t chan = SG_ANY, h, nc = 0;
  size_t i;
  const sg_combo *cb;
  if (!s || !ev || !s->compiled) return TELLS_EARG;
  m = ms_of(s);
  s->stats.events++;
  if (ev->channel && ev->channel[0])
    chan = nc_id(s, m->cc, NC_CHANS, ev->channel, strlen(ev->channel), 1);
  if (chan != SG_ANY) {
    const sg_bucket *x = bucket_find(s, chan, ev->event_id);
    if (x) bk[nb++] = x;
    x = bucket_find(s, chan, SG_ANY);
    if (x) bk[nb++] = x;
  }
  {
    const sg_bucket *x = bucket_find(s, SG_ANY, ev->event_id);
    if (x) bk[nb++] = x;
    x = bucket_find(s, SG_ANY, SG_ANY);
    if (x) bk[nb++] = x;
  }
  if (nb == 0 && !s->ref_mode) return TELLS_OK;
  if (++s->gen == 0) {            /* stamps wrapped: clear them */
    memset(s->fscan, 0, (s->n_fields ? s->n_fields : 1) * sizeof *s->fscan);
    for (i = 0; i < s->n_fields; i++) s->fv[i].stamp = 0;
    memset(s->rstamp, 0, (s->n_rules ? s->n_rules : 1) * sizeof *s->rstamp);
    memset(s->bgen, 0, (s->n_buckets ? s->n_buckets : 1) * sizeof *s->bgen);
    s->gen = 1;
  }
  s->cur_ev = ev;
  m->n = 0;
  s->lbuf_n = 0;
  m->alias_ev = 0;
  for (i = 0; i < s->n_alias && !m->alias_ev; i++)
    m->alias_ev = s->alias_from[i * 3] == chan && s->alias_from[i * 3 + 1] == ev->event_id;
  pc = m->pc + (size_t)((chan * 2654435761u ^ ev->event_id) % NC_POS_SETS) * NC_POS;
  for (i = 0; i < ev->n_fields; i++)
    if (ev_add(s, pc, i, ev->fields[i].name, ev->fields[i].name_len, ev->fields[i].val,
               ev->fields[i].val_len, chan, ev->event_id))
      return TELLS_ENOMEM;
  if (!has_field(s, s->f_eventid)) {
    char *e = m->eidbuf + sizeof m->eidbuf, *d = e;
    uint32_t v = ev->event_id;
    do { *--d = (char)('0' + v % 10); v /= 10; } while (v);
    if (ev_add_fid(s, s->f_eventid, d, (size_t)(e - d), chan, ev->event_id)) return TELLS_ENOMEM;
  }
  /* the System fields by their interned ids: no name lookups per event */
  if (ev->channel && !has_field(s, s->f_channel) &&
      ev_add_fid(s, s->f_channel, ev->channel, strlen(ev->channel), chan, ev->event_id))
    return TELLS_ENOMEM;
  if (ev->provider && !has_field(s, s->f_provider) &&
      ev_add_fid(s, s->f_provider, ev->provider, strlen(ev->provider), chan, ev->event_id))
    return TELLS_ENOMEM;
  if (ev->computer && !has_field(s, s->f_computer) &&
      ev_add_fid(s, s->f_computer, ev->computer, strlen(ev->computer), chan, ev->event_id))
    return TELLS_ENOMEM;
  if (s->ref_mode) {
    match_reference(s, ev, chan, fn, ud);
    s->cur_ev = NULL;
    return TELLS_OK;
  }
  for (b = 0; b < nb; b++) {
    size_t q, bi = (size_t)(bk[b] - s->buckets);
    if (bk[b]->all_fields) all_fields = 1;
    for (q = 0; q < bk[b]->n_scan; q++) s->fscan[bk[b]->scan[q]] = s->gen;
    s->bgen[bi] = s->gen;
    s->bpos[bi] = (uint8_t)b;
    s->stats.candidates += bk[b]->n;
  }
  /* one pass of the automaton over the field values the candidate rules
  ** read (lowercasing them on the way); forget the last event's literals */
  for (h = 0; h < s->n_hit; h++) {
    uint32_t x = s->hit_list[h];
    s->lit_hits[x >> 6] &= ~((uint64_t)1 << (x & 63));
  }
  s->n_hit = 0;
  {
    uint32_t key[4] = {SG_ANY, SG_ANY, SG_ANY, SG_ANY};
    for (b = 0; b < nb; b++) key[b] = (uint32_t)(bk[b] - s->buckets);
    if (!(cb = tells__sigma_combo_get(s, key))) return TELLS_ENOMEM;
  }
  if (cb->ac) {
    size_t total = 0, kw_at;
    int sep = s->ac_sep;
    for (i = 0; i < m->n; i++)
      if (all_fields || (m->f[i].fid != SG_ANY && s->fscan[m->f[i].fid] == s->gen))
        total += m->f[i].n + 1;
    if (total + 1 > s->lbuf_cap) {
      size_t ncap = s->lbuf_cap ? s->lbuf_cap : 4096;
      char *nbuf;
      while (ncap < total + 1) ncap *= 2;
      nbuf = tells_realloc(s->lbuf, ncap);
      if (!nbuf) return TELLS_ENOMEM;
      s->lbuf = nbuf; s->lbuf_cap = ncap;
    }
    /* the values, lowercased, one after another with a byte that resets
    ** the automaton between them (without one, a literal spanning two
    ** values only adds a candidate: the evaluation decides).  First the
    ** fields that the buckets' field patterns read, for every literal;
    ** then, when a bucket has keyword rules (which search every field),
    ** the other fields for the keyword literals only. */
    for (i = 0; i < m->n; i++) {
      evf *f = &m->f[i];
      if (f->fid == SG_ANY || s->fscan[f->fid] != s->gen) continue;
      lower_copy(s->lbuf + s->lbuf_n, f->v, f->n);
      f->loff = s->lbuf_n;
      s->lbuf_n += f->n;
      if (sep >= 0) s->lbuf[s->lbuf_n++] = (char)sep;
      s->stats.bytes_scanned += f->n;
    }
    kw_at = s->lbuf_n;
    if (all_fields && cb->kbg) {
      /* the keyword scanner folds case itself: the values are copied as
      ** they are, one scan over them all (its 16-byte steps need runs
      ** longer than most values), and lowercased later only if a rule
      ** reads them; separated as in lbuf (without a separator byte a
      ** literal across two values only adds a candidate) */
      size_t kn = 0;
      if (total > m->kw_cap) {
        size_t ncap = m->kw_cap ? m->kw_cap : 4096;
        char *nk;
        while (ncap < total) ncap *= 2;
        if (!(nk = tells_realloc(m->kw, ncap))) return TELLS_ENOMEM;
        m->kw = nk; m->kw_cap = ncap;
      }
      for (i = 0; i < m->n; i++) {
        const evf *f = &m->f[i];
        if (f->fid != SG_ANY && s->fscan[f->fid] == s->gen) continue;
        memcpy(m->kw + kn, f->v, f->n);
        kn += f->n;
        if (sep >= 0) m->kw[kn++] = (char)sep;
        s->stats.bytes_scanned_kw += f->n;
      }
      tells__sigma_bg_scan(cb->kbg, (const uint8_t *)m->kw, kn, s->lit_hits, s->hit_list,
                           &s->n_hit);
    } else if (all_fields)
      for (i = 0; i < m->n; i++) {
        evf *f = &m->f[i];
        if (f->fid != SG_ANY && s->fscan[f->fid] == s->gen) continue;
        lower_copy(s->lbuf + s->lbuf_n, f->v, f->n);
        f->loff = s->lbuf_n;
        s->lbuf_n += f->n;
        if (sep >= 0) s->lbuf[s->lbuf_n++] = (char)sep;
      }
    if (!cb->kac && !cb->kbg) {            /* no keyword literals: one scan */
      s->stats.bytes_scanned += s->lbuf_n - kw_at;
      kw_at = s->lbuf_n;
    }
    tells__sigma_ac_scan(cb->ac, (const uint8_t *)s->lbuf, kw_at, s->lit_hits, s->hit_list,
                         &s->n_hit);
    if ((cb->kac || cb->kbg) && s->lbuf_n > kw_at) {
      if (cb->kbg)
        tells__sigma_bg_scan(cb->kbg, (const uint8_t *)s->lbuf + kw_at, s->lbuf_n - kw_at,
                             s->lit_hits, s->hit_list, &s->n_hit);
      else
        tells__sigma_ac_scan(cb->kac, (const uint8_t *)s->lbuf + kw_at, s->lbuf_n - kw_at,
                             s->lit_hits, s->hit_list, &s->n_hit);
      s->stats.bytes_scanned_kw += s->lbuf_n - kw_at;
    }
  }
  /* candidates: the rules indexed under the literals seen whose clauses all
  ** hold, and the rules without prefilter; each keyed by its first bucket */
  for (h = 0; h < s->n_hit; h++) {
    uint32_t x = s->hit_list[h];
    const uint64_t *rp = s->trig + s->trig_off[x], *re = s->trig + s->trig_off[x + 1];
    for (; rp < re; rp++) {
      uint32_t bi = (uint32_t)(*rp >> 32), ri = (uint32_t)*rp;
      uint64_t pos;
      if (s->bgen[bi] != s->gen) continue;
      pos = s->bpos[bi];
      if (s->rstamp[ri] == s->gen) {          /* met before: keep its first bucket */
        if (s->cidx[ri] != SG_ANY && pos < s->cand[s->cidx[ri]] >> 32)
          s->cand[s->cidx[ri]] = pos << 32 | ri;
        continue;
      }
      s->rstamp[ri] = s->gen;
      s->cidx[ri] = SG_ANY;
      if (!clauses_hit(s, ri)) continue;
      s->cidx[ri] = nc;
      s->cand[nc++] = pos << 32 | ri;
    }
  }
  for (b = 0; b < nb; b++) {
    uint32_t k;
    s->stats.unfiltered += bk[b]->n_always;
    for (k = 0; k < bk[b]->n_always; k++) {
      uint32_t ri = bk[b]->always[k];
      if (s->rstamp[ri] == s->gen) continue;  /* in an earlier bucket */
      s->rstamp[ri] = s->gen;
      s->cand[nc++] = (uint64_t)b << 32 | ri;
    }
  }
  /* evaluation in bucket order, then rule order */
  if (nc > 32) qsort(s->cand, nc, sizeof *s->cand, cmp_u64);
  else for (h = 1; h < nc; h++) {
    uint64_t v = s->cand[h];
    uint32_t j = h;
    while (j && s->cand[j - 1] > v) { s->cand[j] = s->cand[j - 1]; j--; }
    s->cand[j] = v;
  }
  for (h = 0; h < nc; h++)
    if (rule_run(s, (uint32_t)s->cand[h], ev, fn, ud)) break;
  s->cur_ev = NULL;
  return TELLS_OK;
}

void tells_sigma_get_stats(const tells_sigma_ruleset *s, tells_sigma_stats *st) {
  *st = s->stats;
}

/* Field value lookup for sigma_corr.c: by name, in the current event. */
const char *tells__sigma_cur_field(tells_sigma_ruleset *s, const char *name, size_t *n);
const char *tells__sigma_cur_field(tells_sigma_ruleset *s, const char *name, size_t *n) {
  mstate *m = ms_of(s);
  uint32_t fid = tells__sigma_field_id(s, name, strlen(name), 0);
  evf *f = NULL;
  size_t i;
  if (fid != SG_ANY) f = field_get(s, fid);
  if (!f) {
    /* not a field any rule uses: search the event by name */
    const tells_sigma_event *ev = s->cur_ev;
    size_t nl = strlen(name);
    (void)m;
    for (i = 0; ev && i < ev->n_fields; i++)
      if (ev->fields[i].name_len == nl && !memcmp(ev->fields[i].name, name, nl)) {
        *n = ev->fields[i].val_len;
        return ev->fields[i].val;
      }
    return NULL;
  }
  *n = f->n;
  return f->v;
}

void tells__sigma_match_free(tells_sigma_ruleset *s) {
  mstate *m = ms_of(s);
  tells_free(s->hit_list); tells_free(s->trig_off); tells_free(s->trig);
  tells_free(s->bgen); tells_free(s->bpos); tells_free(s->cand); tells_free(s->cidx);
  tells_free(s->rcl); tells_free(s->cl);
  s->rcl = NULL; s->cl = NULL;
  s->hit_list = s->trig_off = s->bgen = s->cidx = NULL;
  s->trig = NULL; s->bpos = NULL; s->cand = NULL;
  if (!m) return;
  tells_free(m->f); tells_free(m->fc); tells_free(m->cc); tells_free(m->pc); tells_free(m->kw);
  tells_free(m);
  s->scanned = NULL;
}
