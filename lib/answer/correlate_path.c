/*
** correlate_path.c -- process starts without a hash (Security 4688) matched
** to flagged binaries by path, for correlate_stage.c.
**
** The image of "Process C:\x\y.exe started by ..." is lower-cased, given
** forward slashes and stripped of its drive letter; with at least one
** folder, it matches a copy of a flagged binary whose evidence path ends
** with it (collections keep the folders of the host).  One scan of the
** process starts, in C: copies are sorted by base name and looked up by
** binary search, so a million starts cost a fraction of a second.  The
** first start per (log file, binary) and the count go to temp.corr_exec.
*/
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "correlate_int.h"

#define MAX_COPIES 4096
#define MAX_MATCHES 100000
#define MAX_IMAGE 1024

static const char COPIES_SQL[] =
  "SELECT cp.orig, cp.path FROM (SELECT coalesce(duplicate_of, id) AS orig, path FROM evidence"
  "  WHERE pillar='code' OR duplicate_of IS NOT NULL) cp"
  " JOIN evidence ce ON ce.id=cp.orig AND ce.pillar='code' AND ce.status='analysed' AND " CORR_FLAGGED
  " ORDER BY cp.orig, cp.path";

static const char STARTS_SQL[] =
  "SELECT evidence_id, time_ns, ref_offset, id, summary FROM events"
  " WHERE kind='process.created' AND summary LIKE 'Process % started by %'"
  " AND time_ns IS NOT NULL AND ref_offset IS NOT NULL";

typedef struct copy { int64_t orig; char *p; size_t n; const char *base; } copy;
typedef struct match { int64_t le, ce, t, id, off, cnt; } match;

static int copy_cmp(const void *a, const void *b) {
  const copy *x = a, *y = b;
  int c = strcmp(x->base, y->base);
  return c ? c : x->orig < y->orig ? -1 : x->orig > y->orig;
}
static int match_cmp(const void *a, const void *b) {
  const match *x = a, *y = b;
  if (x->le != y->le) return x->le < y->le ? -1 : 1;
  return x->ce < y->ce ? -1 : x->ce > y->ce;
}

/* Lower-case, forward slashes, no drive letter: "c:\a\b.exe" -> "/a/b.exe". */
static size_t norm(const char *s, size_t n, char *out, size_t cap) {
  size_t i, k = 0;
  if (n >= 2 && s[1] == ':') { s += 2; n -= 2; }
  if (n + 2 > cap) return 0;
  if (!n || (s[0] != '\\' && s[0] != '/')) out[k++] = '/';
  for (i = 0; i < n; i++) {
    char ch = s[i] == '\\' ? '/' : s[i];
    out[k++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
  }
  out[k] = 0;
  return k;
}

static tells_err load_copies(tells_case *c, copy **out, int *n_out) {
  sqlite3_stmt *s;
  copy *v;
  int n = 0, rc;
  tells_err e;
  *out = NULL; *n_out = 0;
  if ((e = tells__corr_prep(c, COPIES_SQL, &s))) return e;
  if (!(v = tells_calloc(MAX_COPIES, sizeof *v))) { sqlite3_finalize(s); return TELLS_ENOMEM; }
  while (n < MAX_COPIES && (rc = sqlite3_step(s)) == SQLITE_ROW) {
    const char *p = tells__corr_text(s, 1);
    char buf[MAX_IMAGE];
    size_t k = norm(p, strlen(p), buf, sizeof buf);
    if (!k) continue;
    if (!(v[n].p = tells_strdup(buf))) { e = TELLS_ENOMEM; break; }
    v[n].orig = sqlite3_column_int64(s, 0);
    v[n].n = k;
    v[n].base = strrchr(v[n].p, '/') + 1;
    n++;
  }
  sqlite3_finalize(s);
  if (n) qsort(v, (size_t)n, sizeof *v, copy_cmp);
  *out = v; *n_out = n;
  return e;
}

static void free_copies(copy *v, int n) {
  int i;
  for (i = 0; v && i < n; i++) tells_free(v[i].p);
  tells_free(v);
}

/* The first copy with this base name, or n. */
static int first_copy(const copy *v, int n, const char *base) {
  int lo = 0, hi = n;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (strcmp(v[mid].base, base) < 0) lo = mid + 1; else hi = mid;
  }
  return lo;
}

static tells_err add_match(match **m, size_t *n, size_t *cap, const match *x) {
  size_t i;
  for (i = 0; i < *n; i++) {
    match *y = &(*m)[i];
    if (y->le != x->le || y->ce != x->ce) continue;
    y->cnt++;
    if (x->t < y->t || (x->t == y->t && x->id < y->id)) { y->t = x->t; y->id = x->id; y->off = x->off; }
    return TELLS_OK;
  }
  if (*n >= MAX_MATCHES) return TELLS_OK;
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 16;
    match *v = tells_realloc(*m, nc * sizeof *v);
    if (!v) return TELLS_ENOMEM;
    *m = v; *cap = nc;
  }
  (*m)[(*n)++] = *x;
  return TELLS_OK;
}

tells_err tells__corr_exec_paths(tells_case *c) {
  sqlite3_stmt *s = NULL;
  copy *cp = NULL;
  match *m = NULL;
  size_t nm = 0, capm = 0, i;
  int ncp = 0, rc;
  tells_err e;
  if ((e = tells__case_exec(c, "DROP TABLE IF EXISTS temp.corr_exec;"
                               "CREATE TEMP TABLE corr_exec(ce INTEGER, le INTEGER, t INTEGER,"
                               " off INTEGER, cnt INTEGER);")))
    return e;
  if ((e = load_copies(c, &cp, &ncp)) || !ncp) goto done;   /* nothing flagged: no scan */
  if ((e = tells__corr_prep(c, STARTS_SQL, &s))) goto done;
  while (!e && (rc = sqlite3_step(s)) == SQLITE_ROW) {
    const char *sum = tells__corr_text(s, 4), *end = strstr(sum, " started by ");
    char img[MAX_IMAGE];
    const char *base;
    size_t k;
    int j;
    if (!end || end < sum + 8) continue;
    k = norm(sum + 8, (size_t)(end - (sum + 8)), img, sizeof img);
    if (k < 4 || !strchr(img + 1, '/')) continue;       /* at least one folder */
    base = strrchr(img, '/') + 1;
    for (j = first_copy(cp, ncp, base); j < ncp && strcmp(cp[j].base, base) == 0; j++) {
      match x;
      if (cp[j].n < k || memcmp(cp[j].p + cp[j].n - k, img, k) != 0) continue;
      x.le = sqlite3_column_int64(s, 0); x.ce = cp[j].orig;
      x.t = sqlite3_column_int64(s, 1); x.off = sqlite3_column_int64(s, 2);
      x.id = sqlite3_column_int64(s, 3); x.cnt = 1;
      if ((e = add_match(&m, &nm, &capm, &x))) break;
      while (j + 1 < ncp && cp[j + 1].orig == cp[j].orig && strcmp(cp[j + 1].base, base) == 0) j++;
    }
  }
  if (!e && rc != SQLITE_DONE) e = tells__case_dberr(c, "correlate process paths");
  sqlite3_finalize(s);
  s = NULL;
  if (e || !nm) goto done;
  qsort(m, nm, sizeof *m, match_cmp);
  if ((e = tells__corr_prep(c, "INSERT INTO corr_exec VALUES(?,?,?,?,?)", &s))) goto done;
  for (i = 0; i < nm && !e; i++) {
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, m[i].ce);
    sqlite3_bind_int64(s, 2, m[i].le);
    sqlite3_bind_int64(s, 3, m[i].t);
    sqlite3_bind_int64(s, 4, m[i].off);
    sqlite3_bind_int64(s, 5, m[i].cnt);
    if (sqlite3_step(s) != SQLITE_DONE) e = tells__case_dberr(c, "correlate process paths");
  }
done:
  sqlite3_finalize(s);
  free_copies(cp, ncp);
  tells_free(m);
  return e;
}
