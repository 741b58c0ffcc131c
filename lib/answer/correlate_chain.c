/*
** correlate_chain.c -- ties findings to the candidate keys, then writes the
** links, their findings and the chains.
**
** A finding is tied to a key when it is a finding of a binary that holds
** the value (code evidence, where one file is one suspect), or when its
** summary or details name the value as a whole token (the source address
** of a beacon, the hash of an executed binary, the source of a brute
** force).  A value seen in two kinds of evidence becomes a link when a
** binary holds it or a finding is tied to it: addresses that only logs and
** flows share are the network's own traffic, not a clue.  Links that share
** a finding merge (union-find, the smallest link id names the chain); the
** findings of a chain whose own evidence spans two kinds or more rise one
** severity level, base_severity keeping the old one.
*/
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "correlate_int.h"

static tells_err tie(corr_set *set, int k, int64_t finding) {
  if (set->n_ties >= CORR_MAX_TIES) return TELLS_OK;
  if (set->n_ties == set->cap_ties) {
    size_t cap = set->cap_ties ? set->cap_ties * 2 : 256;
    corr_tie *v = tells_realloc(set->ties, cap * sizeof *v);
    if (!v) return TELLS_ENOMEM;
    set->ties = v; set->cap_ties = cap;
  }
  set->ties[set->n_ties].k = k;
  set->ties[set->n_ties++].finding = finding;
  return TELLS_OK;
}

static int tok_char(unsigned char ch) {
  return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
         ch == '.' || ch == '-' || ch == '_';
}

/* Every whole token of text that is a key ties the finding to it. */
static tells_err scan_text(corr_set *set, const corr_kset *t, const char *text, int64_t finding) {
  const unsigned char *p = (const unsigned char *)text;
  char low[256];
  tells_err e;
  while (p && *p) {
    const unsigned char *a, *b;
    size_t n, i;
    uint32_t h;
    while (*p && !tok_char(*p)) p++;
    a = p;
    while (*p && tok_char(*p)) p++;
    b = p;
    while (a < b && (*a == '.' || *a == '-')) a++;
    while (b > a && (b[-1] == '.' || b[-1] == '-')) b--;
    n = (size_t)(b - a);
    if (n < 3 || n >= sizeof low) continue;
    for (i = 0; i < n; i++) low[i] = (char)(a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i]);
    low[n] = 0;
    for (h = tells__corr_khash(low, n) & (t->cap - 1); t->s[h]; h = (h + 1) & (t->cap - 1))
      if (strcmp(t->s[h], low) == 0 && (e = tie(set, t->idx[h], finding))) return e;
  }
  return TELLS_OK;
}

static const char CODE_TIE_SQL[] =
  "SELECT DISTINCT f.id FROM corr_ind c JOIN sightings s ON s.indicator_id=c.ind"
  " JOIN evidence e ON e.id=s.evidence_id AND e.pillar='code'"
  " JOIN findings f ON f.evidence_id=e.id WHERE c.cls=? AND c.key=? ORDER BY f.id";

tells_err tells__corr_ties(tells_case *c, corr_set *set) {
  sqlite3_stmt *s = NULL;
  corr_kset t;
  tells_err e;
  int i, rc;
  memset(&t, 0, sizeof t);
  if (!set->n_keys) return TELLS_OK;
  if ((e = tells__corr_prep(c, CODE_TIE_SQL, &s))) return e;
  for (i = 0; i < set->n_keys && !e; i++) {
    if (!(set->keys[i].pillars & CORR_CODE)) continue;
    sqlite3_bind_text(s, 1, set->keys[i].cls, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, set->keys[i].key, -1, SQLITE_STATIC);
    while (!e && (rc = sqlite3_step(s)) == SQLITE_ROW) e = tie(set, i, sqlite3_column_int64(s, 0));
    if (!e && rc != SQLITE_DONE) e = tells__case_dberr(c, "correlate ties");
    sqlite3_reset(s);
  }
  sqlite3_finalize(s);
  if (e) return e;
  if ((e = tells__corr_kset_build(&t, set, NULL))) { tells__corr_kset_free(&t); return e; }
  if ((e = tells__corr_prep(c, "SELECT id, summary, details FROM findings ORDER BY id", &s))) {
    tells__corr_kset_free(&t);
    return e;
  }
  while (!e && (rc = sqlite3_step(s)) == SQLITE_ROW) {
    int64_t id = sqlite3_column_int64(s, 0);
    if (!(e = scan_text(set, &t, (const char *)sqlite3_column_text(s, 1), id)))
      e = scan_text(set, &t, (const char *)sqlite3_column_text(s, 2), id);
  }
  if (!e && rc != SQLITE_DONE) e = tells__case_dberr(c, "correlate findings");
  sqlite3_finalize(s);
  tells__corr_kset_free(&t);
  return e;
}

/* ---- chains ---- */

static int tie_by_key(const void *a, const void *b) {
  const corr_tie *x = a, *y = b;
  if (x->k != y->k) return x->k < y->k ? -1 : 1;
  return x->finding < y->finding ? -1 : x->finding > y->finding;
}
static int tie_by_finding(const void *a, const void *b) {
  const corr_tie *x = a, *y = b;
  if (x->finding != y->finding) return x->finding < y->finding ? -1 : 1;
  return x->k < y->k ? -1 : x->k > y->k;
}

static int uf_find(int *parent, int i) {
  while (parent[i] != i) { parent[i] = parent[parent[i]]; i = parent[i]; }
  return i;
}
static void uf_union(int *parent, int a, int b) {
  a = uf_find(parent, a); b = uf_find(parent, b);
  if (a == b) return;
  if (a < b) parent[b] = a; else parent[a] = b;   /* the smallest index is the root */
}

typedef struct fnd { int64_t id; int sev, raised, root; unsigned pillar; } fnd;

static tells_err load_findings(tells_case *c, corr_set *set, fnd **out, size_t *n_out) {
  sqlite3_stmt *s;
  fnd *v;
  size_t i, n = 0;
  tells_err e;
  if (set->n_ties) qsort(set->ties, set->n_ties, sizeof *set->ties, tie_by_finding);
  v = tells_calloc(set->n_ties ? set->n_ties : 1, sizeof *v);
  if (!v) return TELLS_ENOMEM;
  if ((e = tells__corr_prep(c, "SELECT f.severity, coalesce(e.pillar, '') FROM findings f"
                               " LEFT JOIN evidence e ON e.id=f.evidence_id WHERE f.id=?", &s))) {
    tells_free(v);
    return e;
  }
  for (i = 0; i < set->n_ties; i++) {
    if (n && v[n - 1].id == set->ties[i].finding) continue;
    v[n].id = set->ties[i].finding;
    sqlite3_bind_int64(s, 1, v[n].id);
    if (sqlite3_step(s) == SQLITE_ROW) {
      const char *p = tells__corr_text(s, 1);
      v[n].sev = tells__corr_sev_rank(tells__corr_text(s, 0));
      v[n].pillar = strcmp(p, "code") == 0 ? CORR_CODE : strcmp(p, "logs") == 0 ? CORR_LOGS
                  : strcmp(p, "net") == 0 ? CORR_NET : 0;
    }
    sqlite3_reset(s);
    n++;
  }
  sqlite3_finalize(s);
  *out = v; *n_out = n;
  return TELLS_OK;
}

static fnd *find_fnd(fnd *v, size_t n, int64_t id) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v[mid].id == id) return &v[mid];
    if (v[mid].id < id) lo = mid + 1; else hi = mid;
  }
  return NULL;
}

static tells_err write_links(tells_case *c, corr_set *set, int *parent, fnd *fv, size_t nf) {
  sqlite3_stmt *ins = NULL, *lf = NULL;
  tells_err e;
  size_t t = 0;
  int64_t next_id = 1;
  int i;
  if ((e = tells__corr_prep(c, "SELECT coalesce(max(id), 0) + 1 FROM links", &ins))) return e;
  if (sqlite3_step(ins) == SQLITE_ROW) next_id = sqlite3_column_int64(ins, 0);
  sqlite3_finalize(ins);
  ins = NULL;
  if ((e = tells__corr_prep(c, "INSERT INTO links(indicator_id, kinds, evidence_count, first_ns, last_ns,"
                               " severity, summary, details) VALUES(?,?,?,?,?,?,?,?)", &ins)) ||
      (e = tells__corr_prep(c, "INSERT OR IGNORE INTO link_findings(link_id, finding_id) VALUES(?,?)", &lf)))
    goto done;
  if (set->n_ties) qsort(set->ties, set->n_ties, sizeof *set->ties, tie_by_key);
  for (i = 0; i < set->n_keys && !e; i++) {
    corr_key *k = &set->keys[i];
    size_t t0, t1;
    int sev = -1, nfind = 0;
    char kinds[16] = "", *summary = NULL, *details = NULL;
    int64_t nev = 0, chain;
    while (t < set->n_ties && set->ties[t].k < i) t++;
    t0 = t;
    while (t < set->n_ties && set->ties[t].k == i) {
      fnd *f = find_fnd(fv, nf, set->ties[t].finding);
      if (f && (f->sev + f->raised) > sev) sev = f->sev + f->raised;
      nfind++;
      t++;
    }
    t1 = t;
    if (!k->keep) continue;
    /* the root (smallest index) is written first; a root's own id is the
    ** next rowid: links is empty or ours alone inside the transaction */
    chain = uf_find(parent, i) == i ? next_id : set->keys[uf_find(parent, i)].link_id;
    snprintf(kinds, sizeof kinds, "%s%s%s%s%s", k->pillars & CORR_CODE ? "code" : "",
             (k->pillars & CORR_CODE) && (k->pillars & (CORR_LOGS | CORR_NET)) ? "," : "",
             k->pillars & CORR_LOGS ? "logs" : "",
             (k->pillars & CORR_LOGS) && (k->pillars & CORR_NET) ? "," : "",
             k->pillars & CORR_NET ? "net" : "");
    if ((e = tells__corr_describe(c, k, chain, tells__corr_sev_name(sev < 0 ? 0 : sev), nfind,
                                  &summary, &details, &nev)))
      break;
    sqlite3_reset(ins);
    sqlite3_bind_int64(ins, 1, k->ind);
    sqlite3_bind_text(ins, 2, kinds, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(ins, 3, nev);
    if (k->first_ns != INT64_MIN) sqlite3_bind_int64(ins, 4, k->first_ns); else sqlite3_bind_null(ins, 4);
    if (k->last_ns != INT64_MIN) sqlite3_bind_int64(ins, 5, k->last_ns); else sqlite3_bind_null(ins, 5);
    sqlite3_bind_text(ins, 6, tells__corr_sev_name(sev < 0 ? 0 : sev), -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 7, summary, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 8, details, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(ins) != SQLITE_DONE) e = tells__case_dberr(c, "insert link");
    tells_free(summary);
    tells_free(details);
    if (e) break;
    k->link_id = sqlite3_last_insert_rowid(c->db);
    next_id = k->link_id + 1;
    for (t = t0; t < t1 && !e; t++) {
      sqlite3_reset(lf);
      sqlite3_bind_int64(lf, 1, k->link_id);
      sqlite3_bind_int64(lf, 2, set->ties[t].finding);
      if (sqlite3_step(lf) != SQLITE_DONE) e = tells__case_dberr(c, "insert link finding");
    }
    t = t1;
  }
done:
  sqlite3_finalize(ins);
  sqlite3_finalize(lf);
  return e;
}

tells_err tells__corr_write(tells_case *c, corr_set *set) {
  int *parent = NULL, i;
  unsigned *mask = NULL;
  fnd *fv = NULL;
  size_t nf = 0, t;
  sqlite3_stmt *up = NULL;
  tells_err e = TELLS_OK;
  if (!set->n_keys) return TELLS_OK;
  parent = tells_malloc((size_t)set->n_keys * sizeof *parent);
  mask = tells_calloc((size_t)set->n_keys, sizeof *mask);
  if (!parent || !mask) { e = TELLS_ENOMEM; goto done; }
  for (i = 0; i < set->n_keys; i++) parent[i] = i;
  if ((e = load_findings(c, set, &fv, &nf))) goto done;
  /* a key with a tie or a binary behind it is a link; ties merge links */
  for (t = 0; t < set->n_ties; t++) set->keys[set->ties[t].k].keep = 1;
  for (i = 0; i < set->n_keys; i++) set->keys[i].keep |= (set->keys[i].pillars & CORR_CODE) != 0;
  for (t = 1; t < set->n_ties; t++)       /* ties are sorted by finding */
    if (set->ties[t].finding == set->ties[t - 1].finding)
      uf_union(parent, set->ties[t].k, set->ties[t - 1].k);
  for (t = 0; t < set->n_ties; t++) {
    fnd *f = find_fnd(fv, nf, set->ties[t].finding);
    if (f) { f->root = uf_find(parent, set->ties[t].k); mask[f->root] |= f->pillar; }
  }
  for (t = 0; t < nf; t++) {
    int kinds = (mask[fv[t].root] & 1) + (mask[fv[t].root] >> 1 & 1) + (mask[fv[t].root] >> 2 & 1);
    fv[t].raised = kinds >= 2 && fv[t].sev < 4;
  }
  if ((e = write_links(c, set, parent, fv, nf))) goto done;
  if ((e = tells__corr_prep(c, "UPDATE findings SET chain=?,"
                               " base_severity=CASE WHEN ?3 THEN severity END,"
                               " severity=CASE WHEN ?3 THEN ?4 ELSE severity END WHERE id=?2", &up)))
    goto done;
  for (t = 0; t < nf && !e; t++) {
    sqlite3_reset(up);
    sqlite3_bind_int64(up, 1, set->keys[fv[t].root].link_id);
    sqlite3_bind_int64(up, 2, fv[t].id);
    sqlite3_bind_int(up, 3, fv[t].raised);
    sqlite3_bind_text(up, 4, tells__corr_sev_name(fv[t].sev + fv[t].raised), -1, SQLITE_STATIC);
    if (sqlite3_step(up) != SQLITE_DONE) e = tells__case_dberr(c, "chain finding");
  }
done:
  sqlite3_finalize(up);
  tells_free(parent);
  tells_free(mask);
  tells_free(fv);
  return e;
}
