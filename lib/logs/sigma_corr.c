/*
** sigma_corr.c -- Sigma correlation rules (specification v2, "Sigma
** Correlation Rules"): event_count, value_count, temporal,
** temporal_ordered, value_sum, value_avg and value_percentile, grouped by
** fields (with per-rule aliases) over a sliding time window.
**
** Each correlation keeps, per group key, the window of base-rule matches
** that fell within `timespan` of the newest one.  A match of a referenced
** rule updates its group; when the condition holds, the correlation fires
** (reported like a rule match, with the group and the aggregate) and the
** group's window is cleared, so one burst gives one detection.  Events are
** expected in time order; an older event is compared with the window as it
** is.  Correlations may reference correlations (chained, depth-capped).
** Base rules referenced by a correlation without `generate: true` feed it
** but are not reported themselves.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "sigma_int.h"

#define CORR_MAX_GROUPS  100000   /* per correlation */
#define CORR_MAX_WINDOW  65536    /* entries per group */
#define CORR_MAX_DEPTH   8        /* correlation chains */
#define CORR_KEY_MAX     1024

const char *tells__sigma_cur_field(tells_sigma_ruleset *s, const char *name, size_t *n);

typedef struct went {
  int64_t t;
  double v;
  uint32_t pos;                  /* position of the rule in `rules` */
  char *val;                     /* value_count: owned */
} went;

typedef struct grp {
  char *key;                     /* owned */
  went *e; size_t n, cap;
  int64_t *last;                 /* temporal: last time per rule, INT64_MIN */
} grp;

struct sg_corr_state {
  grp *g; size_t n, cap;
  uint32_t *h; size_t hcap;
};

static void went_free(went *w) { tells_free(w->val); w->val = NULL; }

static void grp_clear(grp *g, uint32_t nrefs) {
  size_t i;
  for (i = 0; i < g->n; i++) went_free(&g->e[i]);
  g->n = 0;
  if (g->last) for (i = 0; i < nrefs; i++) g->last[i] = INT64_MIN;
}

void tells__sigma_corr_reset(sg_corr *c) {
  size_t i;
  if (!c || !c->st) return;
  for (i = 0; i < c->st->n; i++) grp_clear(&c->st->g[i], c->n_refs);
}

void tells__sigma_corr_free(sg_corr *c) {
  size_t i;
  if (!c) return;
  if (c->st) {
    for (i = 0; i < c->st->n; i++) {
      grp_clear(&c->st->g[i], c->n_refs);
      tells_free(c->st->g[i].e);
      tells_free(c->st->g[i].last);
      tells_free(c->st->g[i].key);
    }
    tells_free(c->st->g);
    tells_free(c->st->h);
    tells_free(c->st);
  }
  tells_free(c);
}

void tells_sigma_reset_state(tells_sigma_ruleset *s) {
  size_t i;
  for (i = 0; i < s->n_rules; i++)
    if (s->rules[i].corr) tells__sigma_corr_reset(s->rules[i].corr);
}

static int ref_matches(const sg_rule *r, const char *ref) {
  return (r->info.id[0] && !strcmp(r->info.id, ref)) ||
         (r->info.name[0] && !strcmp(r->info.name, ref));
}

tells_err tells__sigma_corr_resolve(tells_sigma_ruleset *s,
                                    tells_sigma_report_fn rep, void *ud) {
  size_t i, j;
  uint32_t k;
  for (i = 0; i < s->n_rules; i++) {
    sg_rule *cr = &s->rules[i];
    sg_corr *c = cr->corr;
    int ok = 1;
    if (cr->info.kind != TELLS_SIGMA_CORRELATION || !c) continue;
    c->ref_rules = tells_arena_alloc(&s->a, c->n_refs * sizeof *c->ref_rules);
    c->st = tells_calloc(1, sizeof *c->st);
    if (!c->ref_rules || !c->st) return TELLS_ENOMEM;
    for (k = 0; k < c->n_refs; k++) {
      c->ref_rules[k] = SG_ANY;
      for (j = 0; j < s->n_rules; j++)
        if (j != i && s->rules[j].info.kind != TELLS_SIGMA_FILTER &&
            ref_matches(&s->rules[j], c->refs[k])) {
          c->ref_rules[k] = (uint32_t)j;
          break;
        }
      if (c->ref_rules[k] == SG_ANY) {
        char msg[200];
        snprintf(msg, sizeof msg, "correlation refers to unknown rule '%.100s'; disabled",
                 c->refs[k]);
        if (rep) rep(ud, cr->info.path, cr->info.line, 1, msg);
        ok = 0;
      }
    }
    if (!ok) continue;
    for (k = 0; k < c->n_refs; k++) {
      sg_rule *r = &s->rules[c->ref_rules[k]];
      uint32_t *nc = tells_arena_alloc(&s->a, (r->n_corrs + 1) * sizeof *nc), q;
      int dup = 0;
      for (q = 0; q < r->n_corrs; q++) if (r->corrs[q] == i) dup = 1;
      if (dup) continue;
      if (!nc) return TELLS_ENOMEM;
      if (r->n_corrs) memcpy(nc, r->corrs, r->n_corrs * sizeof *nc);
      nc[r->n_corrs++] = (uint32_t)i;
      r->corrs = nc;
      if (!c->generate) r->suppressed = 1;
    }
    /* fields used for grouping and values become known field ids */
    for (k = 0; k < c->n_group; k++)
      (void)tells__sigma_field_id(s, c->group[k], strlen(c->group[k]), 1);
    if (c->field) (void)tells__sigma_field_id(s, c->field, strlen(c->field), 1);
    for (k = 0; k < c->n_alias; k++) {
      uint32_t q;
      for (q = 0; q < c->n_refs; q++)
        if (c->alias_field[k][q])
          (void)tells__sigma_field_id(s, c->alias_field[k][q], strlen(c->alias_field[k][q]), 1);
    }
  }
  return TELLS_OK;
}

/* Field name for `name` as seen by referenced rule #pos (aliases). */
static const char *field_for(const sg_corr *c, const char *name, uint32_t pos) {
  uint32_t a;
  for (a = 0; a < c->n_alias; a++)
    if (!strcmp(c->alias_name[a], name) && c->alias_field[a][pos])
      return c->alias_field[a][pos];
  return name;
}

static uint32_t hkey(const char *k) {
  uint32_t h = 2166136261u;
  while (*k) h = (h ^ (unsigned char)*k++) * 16777619u;
  return h;
}

static grp *group_get(sg_corr_state *st, const char *key, uint32_t nrefs) {
  size_t j;
  grp *g;
  if (st->hcap) {
    j = hkey(key) & (st->hcap - 1);
    while (st->h[j]) {
      if (!strcmp(st->g[st->h[j] - 1].key, key)) return &st->g[st->h[j] - 1];
      j = (j + 1) & (st->hcap - 1);
    }
  }
  if (st->n >= CORR_MAX_GROUPS) return NULL;
  if ((st->n + 1) * 2 > st->hcap) {
    size_t nc = st->hcap ? st->hcap * 2 : 64, i;
    uint32_t *nh = tells_calloc(nc, sizeof *nh);
    if (!nh) return NULL;
    for (i = 0; i < st->n; i++) {
      size_t q = hkey(st->g[i].key) & (nc - 1);
      while (nh[q]) q = (q + 1) & (nc - 1);
      nh[q] = (uint32_t)i + 1;
    }
    tells_free(st->h);
    st->h = nh; st->hcap = nc;
  }
  if (st->n == st->cap) {
    size_t nc = st->cap ? st->cap * 2 : 16;
    grp *ng = tells_realloc(st->g, nc * sizeof *ng);
    if (!ng) return NULL;
    st->g = ng; st->cap = nc;
  }
  g = &st->g[st->n];
  memset(g, 0, sizeof *g);
  g->key = tells_strdup(key);
  g->last = tells_malloc((nrefs ? nrefs : 1) * sizeof *g->last);
  if (!g->key || !g->last) { tells_free(g->key); tells_free(g->last); return NULL; }
  for (j = 0; j < nrefs; j++) g->last[j] = INT64_MIN;
  j = hkey(key) & (st->hcap - 1);
  while (st->h[j]) j = (j + 1) & (st->hcap - 1);
  st->h[j] = (uint32_t)st->n + 1;
  st->n++;
  return g;
}

static int cmp_ok(const sg_corr *c, double v) {
  uint32_t i;
  for (i = 0; i < c->n_cmp; i++) {
    double w = c->cmp[i].v;
    int ok;
    switch (c->cmp[i].op) {
    case SG_OP_GT: ok = v > w; break;
    case SG_OP_GTE: ok = v >= w; break;
    case SG_OP_LT: ok = v < w; break;
    case SG_OP_LTE: ok = v <= w; break;
    case 4: ok = v == w; break;
    default: ok = v != w; break;
    }
    if (!ok) return 0;
  }
  return 1;
}

static int cmp_dbl(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int parse_dbl(const char *v, size_t n, double *out) {
  char buf[64], *end;
  if (n == 0 || n >= sizeof buf) return -1;
  memcpy(buf, v, n); buf[n] = 0;
  *out = strtod(buf, &end);
  return end == buf || *end ? -1 : 0;
}

/* Evaluates the group after an append; returns 1 when the correlation
** fires and sets *count / *value. */
static int evaluate(const sg_corr *c, grp *g, uint64_t *count, double *value) {
  size_t i, j;
  switch (c->type) {
  case SG_C_EVENT_COUNT:
    *count = g->n; *value = (double)g->n;
    return cmp_ok(c, (double)g->n);
  case SG_C_VALUE_COUNT: {
    size_t distinct = 0;
    for (i = 0; i < g->n; i++) {
      int seen = 0;
      for (j = 0; j < i && !seen; j++) seen = !strcmp(g->e[i].val, g->e[j].val);
      if (!seen) distinct++;
    }
    *count = distinct; *value = (double)distinct;
    return cmp_ok(c, (double)distinct);
  }
  case SG_C_TEMPORAL: {
    uint32_t seen = 0, k;
    for (k = 0; k < c->n_refs; k++) if (g->last[k] != INT64_MIN) seen++;
    *count = seen; *value = seen;
    return c->n_cmp ? cmp_ok(c, seen) : seen == c->n_refs;
  }
  case SG_C_TEMPORAL_ORDERED: {
    uint32_t need = 0;
    for (i = 0; i < g->n && need < c->n_refs; i++)
      if (g->e[i].pos == need) need++;
    *count = need; *value = need;
    return need == c->n_refs;
  }
  case SG_C_VALUE_SUM: case SG_C_VALUE_AVG: {
    double sum = 0;
    for (i = 0; i < g->n; i++) sum += g->e[i].v;
    *count = g->n;
    *value = c->type == SG_C_VALUE_SUM ? sum : (g->n ? sum / (double)g->n : 0);
    return g->n && cmp_ok(c, *value);
  }
  case SG_C_VALUE_PERCENTILE: {
    double *v;
    size_t idx;
    if (!g->n) return 0;
    v = tells_malloc(g->n * sizeof *v);
    if (!v) return 0;
    for (i = 0; i < g->n; i++) v[i] = g->e[i].v;
    qsort(v, g->n, sizeof *v, cmp_dbl);
    /* nearest-rank percentile */
    idx = (size_t)((c->percentile / 100.0) * (double)g->n + 0.999999);
    if (idx > 0) idx--;
    if (idx >= g->n) idx = g->n - 1;
    *value = v[idx];
    *count = g->n;
    tells_free(v);
    return cmp_ok(c, *value);
  }
  }
  return 0;
}

static int feed_one(tells_sigma_ruleset *s, uint32_t ci, uint32_t pos,
                    tells_sigma_match_fn fn, void *ud) {
  sg_rule *cr = &s->rules[ci];
  sg_corr *c = cr->corr;
  const tells_sigma_event *ev = s->cur_ev;
  char key[CORR_KEY_MAX];
  size_t kn = 0, vn = 0, i;
  uint32_t k;
  grp *g;
  went w;
  int64_t t = ev ? ev->time_ns : 0;
  uint64_t count = 0;
  double value = 0;
  key[0] = 0;
  for (k = 0; k < c->n_group; k++) {
    const char *fname = field_for(c, c->group[k], pos);
    const char *v = tells__sigma_cur_field(s, fname, &vn);
    int w2 = snprintf(key + kn, sizeof key - kn, "%s%s=%.*s", k ? "," : "", c->group[k],
                      v ? (int)(vn > 256 ? 256 : vn) : 0, v ? v : "");
    if (w2 < 0 || (size_t)w2 >= sizeof key - kn) { kn = sizeof key - 1; break; }
    kn += (size_t)w2;
  }
  g = group_get(c->st, key, c->n_refs);
  if (!g) return 0;
  /* slide the window */
  for (i = 0; i < g->n && g->e[i].t < t - c->span_ns; i++) went_free(&g->e[i]);
  if (i) { memmove(g->e, g->e + i, (g->n - i) * sizeof *g->e); g->n -= i; }
  if (g->last)
    for (k = 0; k < c->n_refs; k++)
      if (g->last[k] != INT64_MIN && g->last[k] < t - c->span_ns) g->last[k] = INT64_MIN;
  memset(&w, 0, sizeof w);
  w.t = t; w.pos = pos;
  if (c->type == SG_C_VALUE_COUNT || c->type == SG_C_VALUE_SUM ||
      c->type == SG_C_VALUE_AVG || c->type == SG_C_VALUE_PERCENTILE) {
    const char *v = tells__sigma_cur_field(s, field_for(c, c->field, pos), &vn);
    if (!v) return 0;                      /* no value: not counted */
    if (c->type == SG_C_VALUE_COUNT) {
      w.val = tells_malloc(vn + 1);
      if (!w.val) return 0;
      memcpy(w.val, v, vn); w.val[vn] = 0;
    } else if (parse_dbl(v, vn, &w.v)) {
      return 0;
    }
  }
  if (c->type == SG_C_TEMPORAL) g->last[pos] = t;
  if (g->n == CORR_MAX_WINDOW) {
    went_free(&g->e[0]);
    memmove(g->e, g->e + 1, (g->n - 1) * sizeof *g->e);
    g->n--;
  }
  if (g->n == g->cap) {
    size_t nc = g->cap ? g->cap * 2 : 8;
    went *ne = tells_realloc(g->e, nc * sizeof *ne);
    if (!ne) { went_free(&w); return 0; }
    g->e = ne; g->cap = nc;
  }
  g->e[g->n++] = w;
  if (evaluate(c, g, &count, &value)) {
    tells_sigma_hit m;
    int stop = 0;
    memset(&m, 0, sizeof m);
    m.rule = &cr->info;
    m.ev = ev;
    m.group = key;
    m.count = count;
    m.value = value;
    grp_clear(g, c->n_refs);
    if (!cr->suppressed) {
      s->stats.matches++;
      if (fn && fn(ud, &m)) stop = 1;
    }
    if (cr->n_corrs && tells__sigma_corr_feed(s, ci, fn, ud)) stop = 1;
    return stop;
  }
  return 0;
}

int tells__sigma_corr_feed(tells_sigma_ruleset *s, uint32_t rule,
                           tells_sigma_match_fn fn, void *ud) {
  sg_rule *r = &s->rules[rule];
  uint32_t q, k;
  int stop = 0;
  if (s->corr_depth >= CORR_MAX_DEPTH) return 0;
  s->corr_depth++;
  for (q = 0; q < r->n_corrs && !stop; q++) {
    uint32_t ci = r->corrs[q];
    sg_corr *c = s->rules[ci].corr;
    for (k = 0; k < c->n_refs && !stop; k++)
      if (c->ref_rules[k] == rule) stop = feed_one(s, ci, k, fn, ud);
  }
  s->corr_depth--;
  return stop;
}
