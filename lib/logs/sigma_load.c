/*
** sigma_load.c -- reads Sigma rule files with libyaml into sg_rule objects:
** metadata (title, id, name, status, level, tags, author), logsource,
** detection maps, lists and keywords, conditions, correlation and filter
** documents, and multi-document files (rule collections, `action: global`,
** `reset`, `repeat`).  Every rejected document is reported with its file,
** line and reason; malformed YAML is reported, never fatal.
**
** Also owns the ruleset object and its interned field and channel names.
*/
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>
#include "alloc.h"
#include "sigma_int.h"

/* ---- ruleset and interning ------------------------------------------- */

/* Field names compare case-insensitively and ignoring spaces, so the
** Defender log's "Threat Name" is the rules' ThreatName. */
static uint32_t hash_ci(const char *p, size_t n) {
  uint32_t h = 2166136261u;
  size_t i;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c == ' ') continue;
    if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
    h = (h ^ c) * 16777619u;
  }
  return h;
}

static int eq_ci(const char *a, size_t an, const char *b, size_t bn) {
  size_t i = 0, j = 0;
  for (;;) {
    unsigned char x, y;
    while (i < an && a[i] == ' ') i++;
    while (j < bn && b[j] == ' ') j++;
    if (i == an || j == bn) return i == an && j == bn;
    x = (unsigned char)a[i++]; y = (unsigned char)b[j++];
    if (x >= 'A' && x <= 'Z') x = (unsigned char)(x + 32);
    if (y >= 'A' && y <= 'Z') y = (unsigned char)(y + 32);
    if (x != y) return 0;
  }
}

char *tells__sigma_strdup(tells_sigma_ruleset *s, const char *p, size_t n) {
  return tells_arena_strndup(&s->a, p ? p : "", p ? n : 0);
}

static int fhash_grow(tells_sigma_ruleset *s) {
  size_t nc = s->fhash_cap ? s->fhash_cap * 2 : 1024, i;
  uint32_t *nh = tells_calloc(nc, sizeof *nh);
  if (!nh) return -1;
  for (i = 0; i < s->n_fields; i++) {
    size_t j = hash_ci(s->fnames[i], strlen(s->fnames[i])) & (nc - 1);
    while (nh[j]) j = (j + 1) & (nc - 1);
    nh[j] = (uint32_t)i + 1;
  }
  tells_free(s->fhash);
  s->fhash = nh; s->fhash_cap = nc;
  return 0;
}

uint32_t tells__sigma_field_id(tells_sigma_ruleset *s, const char *name,
                               size_t n, int add) {
  size_t j;
  if (s->fhash_cap) {
    j = hash_ci(name, n) & (s->fhash_cap - 1);
    while (s->fhash[j]) {
      const char *f = s->fnames[s->fhash[j] - 1];
      if (eq_ci(f, strlen(f), name, n)) return s->fhash[j] - 1;
      j = (j + 1) & (s->fhash_cap - 1);
    }
  }
  if (!add || s->compiled) return SG_ANY;
  if ((s->n_fields + 1) * 2 > s->fhash_cap && fhash_grow(s)) return SG_ANY;
  if (s->n_fields == s->cap_fields) {
    size_t nc = s->cap_fields ? s->cap_fields * 2 : 256;
    char **nf = tells_realloc(s->fnames, nc * sizeof *nf);
    if (!nf) return SG_ANY;
    s->fnames = nf; s->cap_fields = nc;
  }
  s->fnames[s->n_fields] = tells__sigma_strdup(s, name, n);
  if (!s->fnames[s->n_fields]) return SG_ANY;
  j = hash_ci(name, n) & (s->fhash_cap - 1);
  while (s->fhash[j]) j = (j + 1) & (s->fhash_cap - 1);
  s->fhash[j] = (uint32_t)s->n_fields + 1;
  return (uint32_t)s->n_fields++;
}

uint32_t tells__sigma_chan_id(tells_sigma_ruleset *s, const char *name,
                              size_t n, int add) {
  size_t i;
  for (i = 0; i < s->n_chans; i++)
    if (strlen(s->chans[i]) == n && eq_ci(s->chans[i], n, name, n)) return (uint32_t)i;
  if (!add) return SG_ANY;
  if (s->n_chans == s->cap_chans) {
    size_t nc = s->cap_chans ? s->cap_chans * 2 : 64;
    char **np = tells_realloc(s->chans, nc * sizeof *np);
    if (!np) return SG_ANY;
    s->chans = np; s->cap_chans = nc;
  }
  s->chans[s->n_chans] = tells__sigma_strdup(s, name, n);
  if (!s->chans[s->n_chans]) return SG_ANY;
  for (i = 0; i < n; i++)
    if (s->chans[s->n_chans][i] >= 'A' && s->chans[s->n_chans][i] <= 'Z')
      s->chans[s->n_chans][i] = (char)(s->chans[s->n_chans][i] + 32);
  return (uint32_t)s->n_chans++;
}

tells_err tells_sigma_ruleset_create(tells_sigma_ruleset **out) {
  tells_sigma_ruleset *s = tells_calloc(1, sizeof *s);
  *out = NULL;
  if (!s) return TELLS_ENOMEM;
  tells_arena_init(&s->a, 0);
  if (tells__sigma_aliases_init(s) != TELLS_OK) {
    tells_sigma_ruleset_destroy(s);
    return TELLS_ENOMEM;
  }
  *out = s;
  return TELLS_OK;
}

void tells_sigma_ruleset_destroy(tells_sigma_ruleset *s) {
  size_t i;
  if (!s) return;
  for (i = 0; i < s->n_res; i++) pcre2_code_free(s->res[i]);
  for (i = 0; i < s->n_rules; i++)
    if (s->rules[i].corr) tells__sigma_corr_free(s->rules[i].corr);
  for (i = 0; i < s->n_buckets; i++) { tells_free(s->buckets[i].rules); tells_free(s->buckets[i].always); tells_free(s->buckets[i].scan); }
  tells_free(s->rstamp);
  if (s->md) pcre2_match_data_free(s->md);
  tells__sigma_match_free(s);
  tells__sigma_combo_free(s);
  tells_free(s->res); tells_free(s->rules); tells_free(s->fnames);
  tells_free(s->fhash); tells_free(s->chans); tells_free(s->buckets);
  tells_free(s->bhash); tells_free(s->lit_hits); tells_free(s->fscan); tells_free(s->fv);
  tells_free(s->lbuf); tells_free(s->selmemo);
  tells_free(s->alias_from); tells_free(s->alias_to);
  tells_free(s->ph_name); tells_free(s->ph_vals); tells_free(s->ph_n);
  tells_arena_free(&s->a);
  tells_free(s);
}

sg_rule *tells__sigma_new_rule(tells_sigma_ruleset *s) {
  sg_rule *r;
  if (s->n_rules == s->cap_rules) {
    size_t nc = s->cap_rules ? s->cap_rules * 2 : 256;
    sg_rule *nr = tells_realloc(s->rules, nc * sizeof *nr);
    if (!nr) return NULL;
    s->rules = nr; s->cap_rules = nc;
  }
  r = &s->rules[s->n_rules];
  memset(r, 0, sizeof *r);
  return r;
}

tells_err tells_sigma_set_placeholder(tells_sigma_ruleset *s, const char *name,
                                      const char *const *values, size_t n) {
  const char **nn, ***nv, **vals;
  size_t *nl, i;
  if (!s || !name || (n && !values) || s->compiled) return TELLS_EARG;
  nn = tells_realloc(s->ph_name, (s->n_ph + 1) * sizeof *nn);
  if (!nn) return TELLS_ENOMEM;
  s->ph_name = nn;
  nv = tells_realloc(s->ph_vals, (s->n_ph + 1) * sizeof *nv);
  if (!nv) return TELLS_ENOMEM;
  s->ph_vals = nv;
  nl = tells_realloc(s->ph_n, (s->n_ph + 1) * sizeof *nl);
  if (!nl) return TELLS_ENOMEM;
  s->ph_n = nl;
  vals = tells_arena_alloc(&s->a, (n ? n : 1) * sizeof *vals);
  if (!vals) return TELLS_ENOMEM;
  for (i = 0; i < n; i++) {
    vals[i] = tells__sigma_strdup(s, values[i], strlen(values[i]));
    if (!vals[i]) return TELLS_ENOMEM;
  }
  s->ph_name[s->n_ph] = tells__sigma_strdup(s, name, strlen(name));
  if (!s->ph_name[s->n_ph]) return TELLS_ENOMEM;
  s->ph_vals[s->n_ph] = vals;
  s->ph_n[s->n_ph] = n;
  s->n_ph++;
  return TELLS_OK;
}

size_t tells_sigma_rule_count(const tells_sigma_ruleset *s) { return s->n_rules; }

const tells_sigma_rule_info *tells_sigma_rule_at(const tells_sigma_ruleset *s,
                                                 size_t i) {
  return i < s->n_rules ? &s->rules[i].info : NULL;
}

/* ---- YAML helpers ------------------------------------------------------ */

typedef struct ld {
  tells_sigma_ruleset *s;
  yaml_document_t *doc, *glob;  /* glob: the `action: global` document */
  const char *path;
  int line;
  char err[512];
  int err_line;
  tells_sigma_report_fn report; void *ud;
  tells_sigma_load_stats *st;
  uint32_t nvals;
} ld;

static yaml_node_t *node(yaml_document_t *d, int id) {
  return id ? yaml_document_get_node(d, id) : NULL;
}

static int is_scalar(const yaml_node_t *n) { return n && n->type == YAML_SCALAR_NODE; }

static int scalar_is_null(const yaml_node_t *n) {
  const char *v = (const char *)n->data.scalar.value;
  size_t len = n->data.scalar.length;
  if (n->tag && strcmp((const char *)n->tag, YAML_NULL_TAG) == 0 &&
      n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
    return len == 0 || (len == 4 && (!strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL"))) ||
           (len == 1 && v[0] == '~');
  if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return 0;
  return len == 0 || (len == 1 && v[0] == '~') ||
         (len == 4 && (!strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL")));
}

/* Value of `key` in mapping node m of document d, or NULL. */
static yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *m, const char *key) {
  yaml_node_pair_t *p;
  if (!m || m->type != YAML_MAPPING_NODE) return NULL;
  for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
    yaml_node_t *k = node(d, p->key);
    if (is_scalar(k) && strcmp((const char *)k->data.scalar.value, key) == 0)
      return node(d, p->value);
  }
  return NULL;
}

/* Key lookup in the document, falling back to the global document. */
typedef struct ref { yaml_document_t *d; yaml_node_t *n; } ref;

static ref get2(ld *L, yaml_node_t *root, const char *key) {
  ref r = {L->doc, map_get(L->doc, root, key)};
  if (!r.n && L->glob) {
    r.d = L->glob;
    r.n = map_get(L->glob, yaml_document_get_root_node(L->glob), key);
  }
  return r;
}

static int fail(ld *L, const yaml_node_t *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(ld *L, const yaml_node_t *at, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(L->err, sizeof L->err, fmt, ap);
  va_end(ap);
  L->err_line = at ? (int)at->start_mark.line + 1 : L->line;
  return -1;
}

static const char *scalar_dup(ld *L, ref r) {
  if (!r.n) return "";
  if (is_scalar(r.n))
    return tells__sigma_strdup(L->s, (const char *)r.n->data.scalar.value,
                               r.n->data.scalar.length);
  if (r.n->type == YAML_SEQUENCE_NODE) {  /* author lists: join */
    yaml_node_item_t *it;
    size_t total = 1;
    char *o;
    for (it = r.n->data.sequence.items.start; it < r.n->data.sequence.items.top; it++) {
      yaml_node_t *e = node(r.d, *it);
      if (is_scalar(e)) total += e->data.scalar.length + 2;
    }
    o = tells_arena_alloc(&L->s->a, total);
    if (!o) return NULL;
    o[0] = 0;
    for (it = r.n->data.sequence.items.start; it < r.n->data.sequence.items.top; it++) {
      yaml_node_t *e = node(r.d, *it);
      if (!is_scalar(e)) continue;
      if (o[0]) strcat(o, ", ");
      strncat(o, (const char *)e->data.scalar.value, e->data.scalar.length);
    }
    return o;
  }
  return "";
}

/* ---- detection ------------------------------------------------------- */

typedef struct vec { void *p; uint32_t n, cap; size_t sz; } vec;

static void *vec_push(vec *v) {
  if (v->n == v->cap) {
    uint32_t nc = v->cap ? v->cap * 2 : 4;
    void *np = tells_realloc(v->p, nc * v->sz);
    if (!np) return NULL;
    v->p = np; v->cap = nc;
  }
  memset((char *)v->p + v->n * v->sz, 0, v->sz);
  return (char *)v->p + (v->n++) * v->sz;
}

static void *vec_to_arena(ld *L, vec *v) {
  void *o = tells_arena_alloc(&L->s->a, (v->n ? v->n : 1) * v->sz);
  if (o && v->n) memcpy(o, v->p, v->n * v->sz);
  tells_free(v->p);
  v->p = NULL;
  return o;
}

static int add_values(ld *L, yaml_document_t *d, yaml_node_t *vn,
                      const sg_mods *m, sg_pat **pats, uint32_t *np,
                      uint32_t *cap, int depth) {
  char err[400];
  int rc;
  if (depth > SG_MAX_DEPTH) return fail(L, vn, "values nested too deeply");
  if (!vn) return fail(L, NULL, "missing value");
  if (vn->type == YAML_SEQUENCE_NODE) {
    yaml_node_item_t *it;
    for (it = vn->data.sequence.items.start; it < vn->data.sequence.items.top; it++)
      if (add_values(L, d, node(d, *it), m, pats, np, cap, depth + 1)) return -1;
    return 0;
  }
  if (vn->type != YAML_SCALAR_NODE)
    return fail(L, vn, "a field value must be a scalar or a list of scalars");
  if (++L->nvals > SG_MAX_VALUES) return fail(L, vn, "too many values in rule");
  rc = tells__sigma_value(L->s, m, (const char *)vn->data.scalar.value,
                          vn->data.scalar.length, scalar_is_null(vn), pats, np,
                          cap, err, sizeof err);
  if (rc < 0) return fail(L, vn, "%s", err);
  if (rc > 0 && L->report) L->report(L->ud, L->path, (int)vn->start_mark.line + 1, 0, err);
  return 0;
}

static int parse_item(ld *L, yaml_document_t *d, const char *key, size_t klen,
                      yaml_node_t *vn, sg_item *it, const yaml_node_t *at) {
  const char *bar = memchr(key, '|', klen);
  size_t fl = bar ? (size_t)(bar - key) : klen;
  sg_mods m;
  char err[300];
  sg_pat *pats = NULL;
  uint32_t np = 0, cap = 0;
  memset(&m, 0, sizeof m);
  if (bar && tells__sigma_parse_mods(bar + 1, klen - fl - 1, &m, err, sizeof err))
    return fail(L, at, "field '%.*s': %s", (int)(klen > 100 ? 100 : klen), key, err);
  if (fl == 0) {
    it->field = SG_FIELD_KEYWORD;
    if (m.fieldref || m.exists)
      return fail(L, at, "keyword with fieldref/exists modifier");
    if (!m.startswith && !m.endswith && !m.re && !m.cidr && !m.gt && !m.gte &&
        !m.lt && !m.lte)
      m.contains = 1;
  } else {
    it->field = tells__sigma_field_id(L->s, key, fl, 1);
    if (it->field == SG_ANY) return fail(L, at, "out of memory");
  }
  it->all = m.all;
  if (add_values(L, d, vn, &m, &pats, &np, &cap, 0)) { tells_free(pats); return -1; }
  it->pats = tells_arena_alloc(&L->s->a, (np ? np : 1) * sizeof *pats);
  if (!it->pats) { tells_free(pats); return fail(L, at, "out of memory"); }
  if (np) memcpy(it->pats, pats, np * sizeof *pats);
  it->n_pats = np;
  tells_free(pats);
  return 0;
}

static int parse_map_alt(ld *L, yaml_document_t *d, yaml_node_t *mn, sg_alt *alt) {
  vec items = {NULL, 0, 0, sizeof(sg_item)};
  yaml_node_pair_t *p;
  for (p = mn->data.mapping.pairs.start; p < mn->data.mapping.pairs.top; p++) {
    yaml_node_t *k = node(d, p->key);
    sg_item *it;
    if (!is_scalar(k)) { tells_free(items.p); return fail(L, k, "field name is not a scalar"); }
    it = vec_push(&items);
    if (!it) { tells_free(items.p); return fail(L, k, "out of memory"); }
    if (parse_item(L, d, (const char *)k->data.scalar.value, k->data.scalar.length,
                   node(d, p->value), it, k)) {
      tells_free(items.p);
      return -1;
    }
  }
  alt->n_items = items.n;
  alt->items = vec_to_arena(L, &items);
  return alt->items ? 0 : fail(L, mn, "out of memory");
}

static int parse_selection(ld *L, yaml_document_t *d, const char *name,
                           yaml_node_t *vn, sg_sel *sel) {
  vec alts = {NULL, 0, 0, sizeof(sg_alt)};
  sel->name = name;
  if (!vn) return fail(L, NULL, "selection '%s' has no value", name);
  if (vn->type == YAML_MAPPING_NODE) {
    sg_alt *a = vec_push(&alts);
    if (!a || parse_map_alt(L, d, vn, a)) { tells_free(alts.p); return a ? -1 : fail(L, vn, "out of memory"); }
  } else if (vn->type == YAML_SEQUENCE_NODE || vn->type == YAML_SCALAR_NODE) {
    /* list of maps (OR), or keyword list; scalars collected into one item */
    yaml_node_item_t *it, one[1];
    yaml_node_item_t *start, *top;
    sg_alt *kw = NULL;
    sg_item *kwi = NULL;
    sg_pat *pats = NULL;
    uint32_t np = 0, cap = 0;
    sg_mods m;
    if (vn->type == YAML_SCALAR_NODE) {
      if (scalar_is_null(vn)) return fail(L, vn, "selection '%s' is empty", name);
      one[0] = (yaml_node_item_t)(vn - d->nodes.start + 1);
      start = one; top = one + 1;
    } else {
      start = vn->data.sequence.items.start; top = vn->data.sequence.items.top;
    }
    memset(&m, 0, sizeof m);
    m.contains = 1;
    for (it = start; it < top; it++) {
      yaml_node_t *e = node(d, *it);
      if (e && e->type == YAML_MAPPING_NODE) {
        sg_alt *a = vec_push(&alts);
        if (!a) { tells_free(pats); tells_free(alts.p); return fail(L, e, "out of memory"); }
        if (parse_map_alt(L, d, e, a)) { tells_free(pats); tells_free(alts.p); return -1; }
      } else if (e && e->type == YAML_SCALAR_NODE) {
        if (!kw) kw = (sg_alt *)1;  /* created below, after the loop */
        if (add_values(L, d, e, &m, &pats, &np, &cap, 0)) {
          tells_free(pats); tells_free(alts.p);
          return -1;
        }
      } else {
        tells_free(pats); tells_free(alts.p);
        return fail(L, e, "selection '%s': nested lists are not supported", name);
      }
    }
    if (kw) {
      kw = vec_push(&alts);
      kwi = kw ? tells_arena_alloc(&L->s->a, sizeof *kwi) : NULL;
      if (!kwi) { tells_free(pats); tells_free(alts.p); return fail(L, vn, "out of memory"); }
      kwi->field = SG_FIELD_KEYWORD; kwi->all = 0; kwi->n_pats = np;
      kwi->pats = tells_arena_alloc(&L->s->a, (np ? np : 1) * sizeof *pats);
      if (!kwi->pats) { tells_free(pats); tells_free(alts.p); return fail(L, vn, "out of memory"); }
      if (np) memcpy(kwi->pats, pats, np * sizeof *pats);
      kw->n_items = 1; kw->items = kwi;
    }
    tells_free(pats);
  } else {
    return fail(L, vn, "selection '%s' has an unsupported shape", name);
  }
  if (alts.n == 0) { tells_free(alts.p); return fail(L, vn, "selection '%s' is empty", name); }
  sel->n_alts = alts.n;
  sel->alts = vec_to_arena(L, &alts);
  return sel->alts ? 0 : fail(L, vn, "out of memory");
}

/* Parses a detection block from up to two maps (document and global). */
static int parse_detection(ld *L, ref r1, ref r2, sg_det *det, int is_filter) {
  vec sels = {NULL, 0, 0, sizeof(sg_sel)};
  ref conds[2] = {{NULL, NULL}, {NULL, NULL}};
  ref rs[2];
  int k, have_cond = 0;
  rs[0] = r1; rs[1] = r2;
  for (k = 0; k < 2; k++) {
    yaml_node_pair_t *p;
    if (!rs[k].n) continue;
    if (rs[k].n->type != YAML_MAPPING_NODE) {
      tells_free(sels.p);
      return fail(L, rs[k].n, "detection is not a map");
    }
    for (p = rs[k].n->data.mapping.pairs.start; p < rs[k].n->data.mapping.pairs.top; p++) {
      yaml_node_t *kn = node(rs[k].d, p->key);
      const char *key;
      char *name;
      uint32_t i;
      int dup = 0;
      sg_sel *sel;
      if (!is_scalar(kn)) { tells_free(sels.p); return fail(L, kn, "detection key is not a scalar"); }
      key = (const char *)kn->data.scalar.value;
      if (!strcmp(key, "condition")) {
        if (!conds[k].n) { conds[k].d = rs[k].d; conds[k].n = node(rs[k].d, p->value); }
        continue;
      }
      if (!strcmp(key, "timeframe")) continue;   /* Sigma v1 aggregations */
      if (is_filter && !strcmp(key, "rules")) continue;
      for (i = 0; i < sels.n; i++)
        if (!strcmp(((sg_sel *)sels.p)[i].name, key)) dup = 1;
      if (dup) continue;                         /* document overrides global */
      if (sels.n >= SG_MAX_SELS) { tells_free(sels.p); return fail(L, kn, "too many selections"); }
      sel = vec_push(&sels);
      name = tells__sigma_strdup(L->s, key, kn->data.scalar.length);
      if (!sel || !name) { tells_free(sels.p); return fail(L, kn, "out of memory"); }
      if (parse_selection(L, rs[k].d, name, node(rs[k].d, p->value), sel)) {
        tells_free(sels.p);
        return -1;
      }
    }
  }
  det->n_sels = sels.n;
  det->sels = vec_to_arena(L, &sels);
  if (!det->sels) return fail(L, NULL, "out of memory");
  for (k = 0; k < 2; k++) {
    ref c = conds[k];
    char err[300];
    if (!c.n || have_cond) continue;
    have_cond = 1;
    if (is_scalar(c.n)) {
      det->cond = tells__sigma_cond_parse(L->s, det, (const char *)c.n->data.scalar.value,
                                          err, sizeof err);
      if (!det->cond) return fail(L, c.n, "condition: %s", err);
    } else if (c.n->type == YAML_SEQUENCE_NODE) {
      /* a list of conditions: any of them */
      yaml_node_item_t *it;
      uint32_t nk = (uint32_t)(c.n->data.sequence.items.top - c.n->data.sequence.items.start), i = 0;
      sg_node *orn = tells_arena_alloc(&L->s->a, sizeof *orn);
      if (!orn || nk == 0) return fail(L, c.n, "bad condition list");
      memset(orn, 0, sizeof *orn);
      orn->op = SG_N_OR; orn->n = nk;
      orn->kids = tells_arena_alloc(&L->s->a, nk * sizeof *orn->kids);
      if (!orn->kids) return fail(L, c.n, "out of memory");
      for (it = c.n->data.sequence.items.start; it < c.n->data.sequence.items.top; it++) {
        yaml_node_t *e = node(c.d, *it);
        if (!is_scalar(e)) return fail(L, e, "condition list item is not a string");
        orn->kids[i] = tells__sigma_cond_parse(L->s, det, (const char *)e->data.scalar.value,
                                               err, sizeof err);
        if (!orn->kids[i]) return fail(L, e, "condition: %s", err);
        i++;
      }
      det->cond = orn;
    } else {
      return fail(L, c.n, "condition is not a string");
    }
  }
  if (!have_cond) return fail(L, r1.n, "detection has no condition");
  return 0;
}

/* ---- documents ------------------------------------------------------- */

static int parse_tags(ld *L, sg_rule *r, ref t) {
  vec tags = {NULL, 0, 0, sizeof(char *)}, att = {NULL, 0, 0, sizeof(char *)};
  yaml_node_item_t *it;
  if (!t.n) { r->info.tags = NULL; r->info.attack = NULL; return 0; }
  if (t.n->type != YAML_SEQUENCE_NODE) return fail(L, t.n, "tags is not a list");
  for (it = t.n->data.sequence.items.start; it < t.n->data.sequence.items.top; it++) {
    yaml_node_t *e = node(t.d, *it);
    const char *v;
    size_t n;
    char **slot;
    if (!is_scalar(e)) continue;
    v = (const char *)e->data.scalar.value; n = e->data.scalar.length;
    slot = vec_push(&tags);
    if (!slot || !(*slot = tells__sigma_strdup(L->s, v, n))) goto nomem;
    if (n > 8 && strncmp(v, "attack.t", 8) == 0 && v[8] >= '0' && v[8] <= '9') {
      char *a;
      size_t i;
      slot = vec_push(&att);
      if (!slot || !(a = tells__sigma_strdup(L->s, v + 7, n - 7))) goto nomem;
      for (i = 0; a[i]; i++) if (a[i] >= 'a' && a[i] <= 'z') a[i] = (char)(a[i] - 32);
      *slot = a;
    }
  }
  r->info.n_tags = tags.n; r->info.n_attack = att.n;
  r->info.tags = vec_to_arena(L, &tags);
  r->info.attack = vec_to_arena(L, &att);
  if (!r->info.tags || !r->info.attack) return fail(L, t.n, "out of memory");
  return 0;
nomem:
  tells_free(tags.p); tells_free(att.p);
  return fail(L, t.n, "out of memory");
}

static int str_list(ld *L, yaml_document_t *d, yaml_node_t *n, const char ***out,
                    uint32_t *nout, const char *what) {
  vec v = {NULL, 0, 0, sizeof(char *)};
  if (!n) { *out = NULL; *nout = 0; return 0; }
  if (is_scalar(n)) {
    const char **o = tells_arena_alloc(&L->s->a, sizeof *o);
    if (!o) return fail(L, n, "out of memory");
    o[0] = tells__sigma_strdup(L->s, (const char *)n->data.scalar.value, n->data.scalar.length);
    if (!o[0]) return fail(L, n, "out of memory");
    *out = o; *nout = 1;
    return 0;
  }
  if (n->type == YAML_SEQUENCE_NODE) {
    yaml_node_item_t *it;
    for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
      yaml_node_t *e = node(d, *it);
      const char **slot;
      if (!is_scalar(e)) { tells_free(v.p); return fail(L, e, "%s: not a string", what); }
      slot = vec_push(&v);
      if (!slot) { tells_free(v.p); return fail(L, e, "out of memory"); }
      *slot = tells__sigma_strdup(L->s, (const char *)e->data.scalar.value, e->data.scalar.length);
      if (!*slot) { tells_free(v.p); return fail(L, e, "out of memory"); }
    }
    *nout = v.n;
    *out = vec_to_arena(L, &v);
    return *out ? 0 : fail(L, n, "out of memory");
  }
  return fail(L, n, "%s: not a string or list", what);
}

static int parse_span(const char *v, int64_t *ns) {
  char *end;
  double d = strtod(v, &end);
  int64_t unit;
  if (end == v || d < 0) return -1;
  switch (*end) {
  case 's': unit = 1000000000LL; break;
  case 'm': unit = 60LL * 1000000000LL; break;
  case 'h': unit = 3600LL * 1000000000LL; break;
  case 'd': unit = 86400LL * 1000000000LL; break;
  case 'w': unit = 7 * 86400LL * 1000000000LL; break;
  case 'M': unit = 30 * 86400LL * 1000000000LL; break;
  case 'y': unit = 365 * 86400LL * 1000000000LL; break;
  default: return -1;
  }
  if (end[1]) return -1;
  if (d > 1e9) return -1;
  *ns = (int64_t)(d * (double)unit);
  return 0;
}

static int parse_correlation(ld *L, sg_rule *r, ref c) {
  static const char *const types[] = {"event_count", "value_count", "temporal",
                                      "temporal_ordered", "value_sum",
                                      "value_avg", "value_percentile"};
  sg_corr *co;
  yaml_node_t *t, *n;
  size_t i;
  if (c.n->type != YAML_MAPPING_NODE) return fail(L, c.n, "correlation is not a map");
  co = tells_calloc(1, sizeof *co);
  if (!co) return fail(L, c.n, "out of memory");
  r->corr = co;
  co->type = -1;
  co->percentile = 50;
  t = map_get(c.d, c.n, "type");
  if (!is_scalar(t)) return fail(L, c.n, "correlation has no type");
  for (i = 0; i < sizeof types / sizeof types[0]; i++)
    if (!strcmp((const char *)t->data.scalar.value, types[i])) co->type = (int)i;
  if (co->type < 0)
    return fail(L, t, "unknown correlation type '%s'", (const char *)t->data.scalar.value);
  if (str_list(L, c.d, map_get(c.d, c.n, "rules"), &co->refs, &co->n_refs, "rules")) return -1;
  if (co->n_refs == 0) return fail(L, c.n, "correlation references no rules");
  if (str_list(L, c.d, map_get(c.d, c.n, "group-by"), &co->group, &co->n_group, "group-by")) return -1;
  n = map_get(c.d, c.n, "timespan");
  if (!n) n = map_get(c.d, c.n, "timeframe");
  if (!is_scalar(n) || parse_span((const char *)n->data.scalar.value, &co->span_ns))
    return fail(L, n ? n : c.n, "correlation needs a timespan like 5m, 1h, 30s");
  n = map_get(c.d, c.n, "generate");
  co->generate = is_scalar(n) && (!strcmp((const char *)n->data.scalar.value, "true") ||
                                  !strcmp((const char *)n->data.scalar.value, "yes"));
  n = map_get(c.d, c.n, "condition");
  if (n && n->type == YAML_MAPPING_NODE) {
    yaml_node_pair_t *p;
    for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
      yaml_node_t *k = node(c.d, p->key), *v = node(c.d, p->value);
      static const char *const ops[] = {"gt", "gte", "lt", "lte", "eq", "neq"};
      const char *ks;
      char *end;
      int op = -1;
      if (!is_scalar(k) || !is_scalar(v)) return fail(L, k, "bad correlation condition");
      ks = (const char *)k->data.scalar.value;
      if (!strcmp(ks, "field")) {
        co->field = tells__sigma_strdup(L->s, (const char *)v->data.scalar.value, v->data.scalar.length);
        if (!co->field) return fail(L, v, "out of memory");
        continue;
      }
      if (!strcmp(ks, "percentile")) {
        co->percentile = strtod((const char *)v->data.scalar.value, &end);
        if (*end || co->percentile < 0 || co->percentile > 100)
          return fail(L, v, "bad percentile");
        continue;
      }
      for (i = 0; i < 6; i++) if (!strcmp(ks, ops[i])) op = (int)i;
      if (op < 0) return fail(L, k, "unknown correlation condition operator '%s'", ks);
      if (co->n_cmp >= 6) return fail(L, k, "too many condition operators");
      co->cmp[co->n_cmp].op = (uint8_t)op;
      co->cmp[co->n_cmp].v = strtod((const char *)v->data.scalar.value, &end);
      if (*end) return fail(L, v, "correlation condition value is not a number");
      co->n_cmp++;
    }
  } else if (n) {
    return fail(L, n, "correlation condition is not a map");
  }
  if (co->n_cmp == 0 && co->type != SG_C_TEMPORAL && co->type != SG_C_TEMPORAL_ORDERED)
    return fail(L, c.n, "correlation needs a condition (gte: N, ...)");
  if (co->type != SG_C_EVENT_COUNT && co->type != SG_C_TEMPORAL &&
      co->type != SG_C_TEMPORAL_ORDERED && !co->field)
    return fail(L, c.n, "correlation of this type needs condition.field");
  n = map_get(c.d, c.n, "aliases");
  if (n && n->type == YAML_MAPPING_NODE) {
    yaml_node_pair_t *p;
    uint32_t na = (uint32_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start), a = 0;
    co->alias_name = tells_arena_alloc(&L->s->a, (na ? na : 1) * sizeof *co->alias_name);
    co->alias_field = tells_arena_alloc(&L->s->a, (na ? na : 1) * sizeof *co->alias_field);
    if (!co->alias_name || !co->alias_field) return fail(L, n, "out of memory");
    for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++, a++) {
      yaml_node_t *k = node(c.d, p->key), *v = node(c.d, p->value);
      yaml_node_pair_t *q;
      if (!is_scalar(k) || !v || v->type != YAML_MAPPING_NODE)
        return fail(L, k, "alias must map rule names to fields");
      co->alias_name[a] = tells__sigma_strdup(L->s, (const char *)k->data.scalar.value, k->data.scalar.length);
      co->alias_field[a] = tells_arena_alloc(&L->s->a, co->n_refs * sizeof **co->alias_field);
      if (!co->alias_field[a] || !co->alias_name[a]) return fail(L, n, "out of memory");
      memset(co->alias_field[a], 0, co->n_refs * sizeof **co->alias_field);
      for (q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++) {
        yaml_node_t *rk = node(c.d, q->key), *rv = node(c.d, q->value);
        uint32_t j;
        if (!is_scalar(rk) || !is_scalar(rv)) return fail(L, rk, "bad alias entry");
        for (j = 0; j < co->n_refs; j++)
          if (!strcmp(co->refs[j], (const char *)rk->data.scalar.value))
            co->alias_field[a][j] = tells__sigma_strdup(L->s, (const char *)rv->data.scalar.value,
                                                        rv->data.scalar.length);
      }
    }
    co->n_alias = na;
  }
  return 0;
}

static void report(ld *L, int line, int fatal, const char *msg) {
  if (L->report) L->report(L->ud, L->path, line, fatal, msg);
}

/* One document -> one rule, or -1 with L->err set. */
static int load_doc(ld *L, yaml_node_t *root) {
  tells_sigma_ruleset *s = L->s;
  sg_rule *r;
  ref det, corr, filt, ls;
  size_t i;
  if (!root || root->type != YAML_MAPPING_NODE) return fail(L, root, "document is not a map");
  r = tells__sigma_new_rule(s);
  if (!r) return fail(L, root, "out of memory");
  L->nvals = 0;
  r->info.path = tells__sigma_strdup(s, L->path, strlen(L->path));
  r->info.line = L->line;
  r->info.title = scalar_dup(L, get2(L, root, "title"));
  r->info.id = scalar_dup(L, get2(L, root, "id"));
  r->info.name = scalar_dup(L, get2(L, root, "name"));
  r->info.status = scalar_dup(L, get2(L, root, "status"));
  r->info.level = scalar_dup(L, get2(L, root, "level"));
  r->info.author = scalar_dup(L, get2(L, root, "author"));
  if (!r->info.path || !r->info.title || !r->info.id || !r->info.name ||
      !r->info.status || !r->info.level || !r->info.author)
    return fail(L, root, "out of memory");
  if (!r->info.title[0]) return fail(L, root, "rule has no title");
  if (parse_tags(L, r, get2(L, root, "tags"))) return -1;
  ls = get2(L, root, "logsource");
  {
    yaml_node_t *g = L->glob ? map_get(L->glob, yaml_document_get_root_node(L->glob), "logsource") : NULL;
    const char *keys[3] = {"product", "category", "service"};
    const char **dst[3];
    int k;
    dst[0] = &r->info.product; dst[1] = &r->info.category; dst[2] = &r->info.service;
    for (k = 0; k < 3; k++) {
      ref v = {L->doc, map_get(L->doc, map_get(L->doc, root, "logsource"), keys[k])};
      if (!v.n && g) { v.d = L->glob; v.n = map_get(L->glob, g, keys[k]); }
      *dst[k] = scalar_dup(L, v);
      if (!*dst[k]) return fail(L, root, "out of memory");
    }
    (void)ls;
  }
  corr = get2(L, root, "correlation");
  filt = get2(L, root, "filter");
  if (corr.n) {
    r->info.kind = TELLS_SIGMA_CORRELATION;
    if (parse_correlation(L, r, corr)) {
      tells__sigma_corr_free(r->corr);
      r->corr = NULL;
      return -1;
    }
  } else if (filt.n) {
    sg_filter *f = tells_arena_alloc(&s->a, sizeof *f);
    r->info.kind = TELLS_SIGMA_FILTER;
    if (!f) return fail(L, root, "out of memory");
    memset(f, 0, sizeof *f);
    if (filt.n->type != YAML_MAPPING_NODE) return fail(L, filt.n, "filter is not a map");
    if (str_list(L, filt.d, map_get(filt.d, filt.n, "rules"), &f->refs, &f->n_refs, "filter rules"))
      return -1;
    if (f->n_refs == 0) return fail(L, filt.n, "filter references no rules");
    if (parse_detection(L, filt, (ref){NULL, NULL}, &f->det, 1)) return -1;
    r->filter = f;
  } else {
    ref det2 = {NULL, NULL};
    det.d = L->doc; det.n = map_get(L->doc, root, "detection");
    if (L->glob) {
      det2.d = L->glob;
      det2.n = map_get(L->glob, yaml_document_get_root_node(L->glob), "detection");
    }
    if (!det.n) { det = det2; det2.n = NULL; }
    if (!det.n) return fail(L, root, "rule has no detection");
    r->info.kind = TELLS_SIGMA_RULE;
    if (parse_detection(L, det, det2, &r->det, 0)) return -1;
  }
  for (i = 0; i < s->n_rules; i++) {
    if (r->info.id[0] && !strcmp(s->rules[i].info.id, r->info.id)) {
      char msg[200];
      snprintf(msg, sizeof msg, "duplicate rule id %.64s (also in %.100s)", r->info.id,
               s->rules[i].info.path);
      report(L, L->line, 0, msg);
      break;
    }
  }
  s->n_rules++;
  return 0;
}

static tells_err load_buffer(ld *L, const char *buf, size_t len) {
  yaml_parser_t p;
  yaml_document_t docs[2];
  int have_glob = 0, cur = 0, ndoc = 0, yaml_failed = 0;
  if (!yaml_parser_initialize(&p)) return TELLS_ENOMEM;
  yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
  for (;;) {
    yaml_document_t *d = &docs[cur];
    yaml_node_t *root;
    ref act;
    if (!yaml_parser_load(&p, d)) {
      char msg[400];
      snprintf(msg, sizeof msg, "YAML error: %s%s%s", p.problem ? p.problem : "unknown",
               p.context ? " " : "", p.context ? p.context : "");
      report(L, (int)p.problem_mark.line + 1, 1, msg);
      if (L->st) L->st->failed++;
      yaml_failed = 1;
      break;
    }
    root = yaml_document_get_root_node(d);
    if (!root) { yaml_document_delete(d); break; }  /* end of stream */
    ndoc++;
    if (L->st) L->st->docs++;
    L->line = (int)root->start_mark.line + 1;
    L->doc = d;
    L->glob = have_glob ? &docs[1 - cur] : NULL;
    act.n = map_get(d, root, "action");
    if (is_scalar(act.n) && !strcmp((const char *)act.n->data.scalar.value, "global")) {
      if (have_glob) yaml_document_delete(&docs[1 - cur]);
      have_glob = 1;
      cur = 1 - cur;      /* keep this document as the global one */
      continue;
    }
    if (is_scalar(act.n) && !strcmp((const char *)act.n->data.scalar.value, "reset")) {
      if (have_glob) { yaml_document_delete(&docs[1 - cur]); have_glob = 0; }
      yaml_document_delete(d);
      continue;
    }
    if (is_scalar(act.n) && strcmp((const char *)act.n->data.scalar.value, "repeat")) {
      char msg[200];
      snprintf(msg, sizeof msg, "unknown action '%.60s'", (const char *)act.n->data.scalar.value);
      report(L, L->line, 1, msg);
      if (L->st) L->st->failed++;
      yaml_document_delete(d);
      continue;
    }
    L->err[0] = 0;
    if (load_doc(L, root) == 0) {
      if (L->st) {
        sg_rule *r = &L->s->rules[L->s->n_rules - 1];
        L->st->loaded++;
        if (r->info.kind == TELLS_SIGMA_CORRELATION) L->st->correlations++;
        if (r->info.kind == TELLS_SIGMA_FILTER) L->st->filters++;
      }
    } else {
      report(L, L->err_line, 1, L->err[0] ? L->err : "rule rejected");
      if (L->st) L->st->failed++;
    }
    yaml_document_delete(d);
  }
  if (have_glob) yaml_document_delete(&docs[1 - cur]);
  yaml_parser_delete(&p);
  if (ndoc == 0 && !yaml_failed && L->st) {   /* a YAML error was already reported */
    report(L, 0, 1, "no YAML document");
    L->st->failed++;
  }
  return TELLS_OK;
}

tells_err tells_sigma_load_mem(tells_sigma_ruleset *s, const char *name,
                               const char *yaml, size_t len,
                               tells_sigma_report_fn rep, void *ud,
                               tells_sigma_load_stats *st) {
  ld L;
  tells_sigma_load_stats dummy;
  if (!s || (!yaml && len) || s->compiled) return TELLS_EARG;
  memset(&L, 0, sizeof L);
  memset(&dummy, 0, sizeof dummy);
  L.s = s; L.path = name ? name : "(memory)"; L.report = rep; L.ud = ud;
  L.st = st ? st : &dummy;
  return load_buffer(&L, yaml ? yaml : "", len);
}

static int ends_with(const char *s, const char *suf) {
  size_t n = strlen(s), m = strlen(suf);
  return n >= m && strcmp(s + n - m, suf) == 0;
}

static tells_err load_file(tells_sigma_ruleset *s, const char *path,
                           tells_sigma_report_fn rep, void *ud,
                           tells_sigma_load_stats *st) {
  FILE *f = fopen(path, "rb");
  char *buf;
  long n;
  tells_err e;
  if (st) st->files++;
  if (!f) {
    if (rep) rep(ud, path, 0, 1, strerror(errno));
    if (st) st->failed++;
    return TELLS_OK;
  }
  if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
    fclose(f);
    if (rep) rep(ud, path, 0, 1, "cannot read");
    if (st) st->failed++;
    return TELLS_OK;
  }
  if ((unsigned long)n > SG_MAX_FILE) {
    fclose(f);
    if (rep) rep(ud, path, 0, 1, "rule file larger than 4 MiB");
    if (st) st->failed++;
    return TELLS_OK;
  }
  buf = tells_malloc((size_t)n + 1);
  if (!buf) { fclose(f); return TELLS_ENOMEM; }
  if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
    fclose(f); tells_free(buf);
    if (rep) rep(ud, path, 0, 1, "short read");
    if (st) st->failed++;
    return TELLS_OK;
  }
  fclose(f);
  buf[n] = 0;
  e = tells_sigma_load_mem(s, path, buf, (size_t)n, rep, ud, st);
  tells_free(buf);
  return e;
}

static tells_err load_dir(tells_sigma_ruleset *s, const char *path, int depth,
                          tells_sigma_report_fn rep, void *ud,
                          tells_sigma_load_stats *st) {
  struct dirent **ents;
  int k, m;
  tells_err e = TELLS_OK;
  if (depth > 64) return TELLS_OK;
  m = scandir(path, &ents, NULL, alphasort);
  if (m < 0) {
    if (rep) rep(ud, path, 0, 1, strerror(errno));
    return TELLS_OK;
  }
  for (k = 0; k < m; k++) {
    char p[4096];
    struct stat sb;
    const char *nm = ents[k]->d_name;
    if (nm[0] == '.' || e != TELLS_OK) { free(ents[k]); continue; }
    if ((size_t)snprintf(p, sizeof p, "%s/%s", path, nm) >= sizeof p) { free(ents[k]); continue; }
    if (lstat(p, &sb) == 0) {
      if (S_ISDIR(sb.st_mode)) e = load_dir(s, p, depth + 1, rep, ud, st);
      else if (S_ISREG(sb.st_mode) && (ends_with(nm, ".yml") || ends_with(nm, ".yaml")))
        e = load_file(s, p, rep, ud, st);
    }
    free(ents[k]);
  }
  free(ents);
  return e;
}

tells_err tells_sigma_load_path(tells_sigma_ruleset *s, const char *path,
                                tells_sigma_report_fn rep, void *ud,
                                tells_sigma_load_stats *st) {
  struct stat sb;
  if (!s || !path || s->compiled) return TELLS_EARG;
  if (stat(path, &sb) != 0) return errno == ENOENT ? TELLS_ENOENT : TELLS_EIO;
  if (S_ISDIR(sb.st_mode)) return load_dir(s, path, 0, rep, ud, st);
  return load_file(s, path, rep, ud, st);
}
