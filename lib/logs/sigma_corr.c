/*
** sigma_corr.c -- Sigma correlation rules (specification v2, "Sigma
** Correlation Rules"): event_count, value_count, temporal,
** temporal_ordered, value_sum, value_avg and value_percentile, grouped by
** fields (with per-rule aliases) over a time window.
**
** Each correlation keeps, per group key, the base-rule matches it has seen,
** sorted by event time.  Events need not arrive in time order (one `tells
** logs` run reads many files, each in its own order): a match is inserted
** at its time, and the condition is checked on every window of `timespan`
** that contains it and is not inside another such window (in time order
** that is the one window ending at the new event).  When the condition
** holds, the correlation fires (reported like a rule match, with the group
** and the aggregate) and the entries of that window are removed, so one
** burst gives one detection.  Entries stay until memory runs short: past
** CORR_MAX_ENTRIES per correlation, the entries older than the newest time
** minus `timespan` are swept first, then the oldest of the group goes.
** Correlations may reference correlations (chained, depth-capped).  Base
** rules referenced by a correlation without `generate: true` feed it but
** are not reported themselves.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "sigma_int.h"

#define CORR_MAX_GROUPS  100000   /* per correlation */
#define CORR_MAX_WINDOW  65536    /* entries per group */
#define CORR_MAX_ENTRIES (1u << 18) /* entries per correlation, all groups */
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
  went *e; size_t n, cap;        /* sorted by t; equal times in arrival order */
} grp;

struct sg_corr_state {
  grp *g; size_t n, cap;
  uint32_t *h; size_t hcap;
  size_t total;                  /* entries over all groups */
  int64_t max_t, swept_t;        /* newest time seen; newest at the last sweep */
};

static void went_free(went *w) { tells_free(w->val); w->val = NULL; }

static void grp_clear(sg_corr_state *st, grp *g) {
  size_t i;
  for (i = 0; i < g->n; i++) went_free(&g->e[i]);
  st->total -= g->n;
  g->n = 0;
}

/* Removes entries [a, b) of a group. */
static void grp_cut(sg_corr_state *st, grp *g, size_t a, size_t b) {
  size_t i;
  for (i = a; i < b; i++) went_free(&g->e[i]);
  memmove(g->e + a, g->e + b, (g->n - b) * sizeof *g->e);
  g->n -= b - a;
  st->total -= b - a;
}

void tells__sigma_corr_reset(sg_corr *c) {
  size_t i;
  if (!c || !c->st) return;
  for (i = 0; i < c->st->n; i++) grp_clear(c->st, &c->st->g[i]);
  c->st->max_t = c->st->swept_t = INT64_MIN;
}

void tells__sigma_corr_free(sg_corr *c) {
  size_t i;
  if (!c) return;
  if (c->st) {
    for (i = 0; i < c->st->n; i++) {
      grp_clear(c->st, &c->st->g[i]);
      tells_free(c->st->g[i].e);
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
    c->st->max_t = c->st->swept_t = INT64_MIN;
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

static grp *group_get(sg_corr_state *st, const char *key) {
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
  if (!g->key) return NULL;
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

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Evaluates the entries e[0..n) of one window; returns 1 when the
** correlation fires and sets *count / *value. */
static int evaluate(const sg_corr *c, const went *e, size_t n, uint64_t *count, double *value) {
  size_t i;
  switch (c->type) {
  case SG_C_EVENT_COUNT:
    *count = n; *value = (double)n;
    return cmp_ok(c, (double)n);
  case SG_C_VALUE_COUNT: {
    const char **v = tells_malloc(n * sizeof *v);
    size_t distinct = 0;
    if (!v) return 0;
    for (i = 0; i < n; i++) v[i] = e[i].val;
    qsort(v, n, sizeof *v, cmp_str);
    for (i = 0; i < n; i++) distinct += i == 0 || strcmp(v[i], v[i - 1]) != 0;
    tells_free(v);
    *count = distinct; *value = (double)distinct;
    return cmp_ok(c, (double)distinct);
  }
  case SG_C_TEMPORAL: {
    uint8_t *seen = tells_calloc(c->n_refs ? c->n_refs : 1, 1);
    uint32_t k = 0;
    if (!seen) return 0;
    for (i = 0; i < n; i++)
      if (e[i].pos < c->n_refs && !seen[e[i].pos]) { seen[e[i].pos] = 1; k++; }
    tells_free(seen);
    *count = k; *value = k;
    return c->n_cmp ? cmp_ok(c, k) : k == c->n_refs;
  }
  case SG_C_TEMPORAL_ORDERED: {
    uint32_t need = 0;
    for (i = 0; i < n && need < c->n_refs; i++)
      if (e[i].pos == need) need++;
    *count = need; *value = need;
    return need == c->n_refs;
  }
  case SG_C_VALUE_SUM: case SG_C_VALUE_AVG: {
    double sum = 0;
    for (i = 0; i < n; i++) sum += e[i].v;
    *count = n;
    *value = c->type == SG_C_VALUE_SUM ? sum : (n ? sum / (double)n : 0);
    return n && cmp_ok(c, *value);
  }
  case SG_C_VALUE_PERCENTILE: {
    double *v;
    size_t idx;
    if (!n) return 0;
    v = tells_malloc(n * sizeof *v);
    if (!v) return 0;
    for (i = 0; i < n; i++) v[i] = e[i].v;
    qsort(v, n, sizeof *v, cmp_dbl);
    /* nearest-rank percentile */
    idx = (size_t)((c->percentile / 100.0) * (double)n + 0.999999);
    if (idx > 0) idx--;
    if (idx >= n) idx = n - 1;
    *value = v[idx];
    *count = n;
    tells_free(v);
    return cmp_ok(c, *value);
  }
  }
  return 0;
}

/* b - a for a <= b, without signed overflow. */
static uint64_t tdiff(int64_t a, int64_t b) { return (uint64_t)b - (uint64_t)a; }

/* Drops, in every group, the entries older than the newest time minus the
** timespan: those can only meet events that arrive far out of order. */
static void sweep(const sg_corr *c, sg_corr_state *st) {
  size_t q, i;
  for (q = 0; q < st->n; q++) {
    grp *g = &st->g[q];
    for (i = 0; i < g->n && tdiff(g->e[i].t, st->max_t) > (uint64_t)(c->span_ns > 0 ? c->span_ns : 0); i++) {}
    if (i) grp_cut(st, g, 0, i);
  }
  st->swept_t = st->max_t;
}

/* Makes room for one more entry in g; 0 when there is none. */
static int room(const sg_corr *c, sg_corr_state *st, grp *g) {
  if (st->total >= CORR_MAX_ENTRIES && st->swept_t != st->max_t) sweep(c, st);
  if (st->total >= CORR_MAX_ENTRIES || g->n >= CORR_MAX_WINDOW) {
    if (!g->n) return 0;
    grp_cut(st, g, 0, 1);
  }
  if (g->n == g->cap) {
    size_t nc = g->cap ? g->cap * 2 : 8;
    went *ne = tells_realloc(g->e, nc * sizeof *ne);
    if (!ne) return 0;
    g->e = ne; g->cap = nc;
  }
  return 1;
}

/* Inserts w at its time (after equal times); returns its index. */
static size_t insert(sg_corr_state *st, grp *g, const went *w) {
  size_t lo = 0, hi = g->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (g->e[mid].t <= w->t) lo = mid + 1; else hi = mid;
  }
  memmove(g->e + lo + 1, g->e + lo, (g->n - lo) * sizeof *g->e);
  g->e[lo] = *w;
  g->n++;
  st->total++;
  if (st->max_t == INT64_MIN || w->t > st->max_t) st->max_t = w->t;
  return lo;
}

/* Checks the windows [e[i].t, e[i].t + span] that hold entry p and are not
** inside an earlier one.  Returns 1 with the window in [*a, *b) when the
** condition holds on it. */
static int check(const sg_corr *c, const grp *g, size_t p, size_t *a, size_t *b,
                 uint64_t *count, double *value) {
  uint64_t span = c->span_ns > 0 ? (uint64_t)c->span_ns : 0;
  size_t i = 0, hi = p, j = p + 1, prev_j = 0;
  while (i < hi) {                            /* first entry within span before p */
    size_t mid = i + (hi - i) / 2;
    if (tdiff(g->e[mid].t, g->e[p].t) > span) i = mid + 1; else hi = mid;
  }
  for (; i <= p; i++) {
    while (j < g->n && tdiff(g->e[i].t, g->e[j].t) <= span) j++;
    if (j == prev_j) continue;                /* inside the previous window */
    prev_j = j;
    if (evaluate(c, g->e + i, j - i, count, value)) { *a = i; *b = j; return 1; }
    if (j == g->n) break;                     /* later windows lie inside this one */
  }
  return 0;
}

static int feed_one(tells_sigma_ruleset *s, uint32_t ci, uint32_t pos,
                    tells_sigma_match_fn fn, void *ud) {
  sg_rule *cr = &s->rules[ci];
  sg_corr *c = cr->corr;
  const tells_sigma_event *ev = s->cur_ev;
  char key[CORR_KEY_MAX];
  size_t kn = 0, vn = 0, p, wa, wb;
  uint32_t k;
  grp *g;
  went w;
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
  g = group_get(c->st, key);
  if (!g) return 0;
  memset(&w, 0, sizeof w);
  w.t = ev ? ev->time_ns : 0;
  w.pos = pos;
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
  if (!room(c, c->st, g)) { went_free(&w); return 0; }
  p = insert(c->st, g, &w);
  if (check(c, g, p, &wa, &wb, &count, &value)) {
    tells_sigma_hit m;
    int stop = 0;
    memset(&m, 0, sizeof m);
    m.rule = &cr->info;
    m.ev = ev;
    m.group = key;
    m.count = count;
    m.value = value;
    grp_cut(c->st, g, wa, wb);
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
