/*
** correlate.c -- the correlate stage: stage findings first (so links can
** tie them), then candidate keys, ties, and the links and chains written.
** Design: docs/internals/correlate.md.
*/
#include <string.h>
#include "alloc.h"
#include "correlate_int.h"

tells_err tells__corr_prep(tells_case *c, const char *sql, sqlite3_stmt **s) {
  *s = NULL;
  if (sqlite3_prepare_v2(c->db, sql, -1, s, NULL) != SQLITE_OK) return tells__case_dberr(c, "correlate");
  return TELLS_OK;
}

const char *tells__corr_text(sqlite3_stmt *s, int i) {
  const char *t = (const char *)sqlite3_column_text(s, i);
  return t ? t : "";
}

const char *tells__corr_base(const char *path) {
  const char *a = strrchr(path, '/'), *b = strrchr(path, '\\');
  if (b > a) a = b;
  return a ? a + 1 : path;
}

uint32_t tells__corr_khash(const char *p, size_t n) {
  uint32_t h = 2166136261u;
  size_t i;
  for (i = 0; i < n; i++) { h ^= (uint8_t)p[i]; h *= 16777619u; }
  return h;
}

tells_err tells__corr_kset_build(corr_kset *t, const corr_set *set, const char *cls) {
  uint32_t cap = 64;
  int i;
  while (cap < (uint32_t)set->n_keys * 2 + 2) cap *= 2;
  t->cap = cap;
  t->s = tells_calloc(cap, sizeof *t->s);
  t->idx = tells_calloc(cap, sizeof *t->idx);
  if (!t->s || !t->idx) return TELLS_ENOMEM;
  for (i = 0; i < set->n_keys; i++) {
    const char *k = set->keys[i].key;
    uint32_t h;
    if (cls && strcmp(set->keys[i].cls, cls) != 0) continue;
    for (h = tells__corr_khash(k, strlen(k)) & (cap - 1); t->s[h]; h = (h + 1) & (cap - 1)) {}
    t->s[h] = k; t->idx[h] = i;
  }
  return TELLS_OK;
}

int tells__corr_kset_find(const corr_kset *t, const char *s) {
  uint32_t h;
  for (h = tells__corr_khash(s, strlen(s)) & (t->cap - 1); t->s[h]; h = (h + 1) & (t->cap - 1))
    if (strcmp(t->s[h], s) == 0) return t->idx[h];
  return -1;
}

void tells__corr_kset_free(corr_kset *t) {
  tells_free(t->s);
  tells_free(t->idx);
  memset(t, 0, sizeof *t);
}

static const char *const SEV[] = {"info", "low", "medium", "high", "critical"};

int tells__corr_sev_rank(const char *sev) {
  int i;
  for (i = 0; i < 5; i++) if (strcmp(sev, SEV[i]) == 0) return i;
  return 0;
}

const char *tells__corr_sev_name(int rank) {
  return SEV[rank < 0 ? 0 : rank > 4 ? 4 : rank];
}

tells_err tells_correlate(tells_case *c) {
  corr_set set;
  tells_err e;
  int i;
  memset(&set, 0, sizeof set);
  if (!(e = tells__corr_stages(c)) && !(e = tells__corr_keys(c, &set)) &&
      !(e = tells__corr_ties(c, &set)))
    e = tells__corr_write(c, &set);
  for (i = 0; i < set.n_keys; i++) tells_free(set.keys[i].key);
  tells_free(set.keys);
  tells_free(set.ties);
  if (!e) e = tells__case_exec(c, "DROP TABLE IF EXISTS temp.corr_ind; DROP TABLE IF EXISTS temp.corr_ip;"
                                    " DROP TABLE IF EXISTS temp.corr_exec;");
  return e;
}
