/*
** anom.c -- the bounded anomaly list.
*/
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "alloc.h"
#include "anom.h"
#include "tells_limits.h"

void tells_anoms_init(tells_anoms *l) { memset(l, 0, sizeof *l); }

void tells_anoms_free(tells_anoms *l) {
  size_t i;
  for (i = 0; i < l->n; i++) tells_free(l->v[i].detail);
  tells_free(l->v);
  memset(l, 0, sizeof *l);
}

uint64_t tells_anoms_total(const tells_anoms *l) { return l->n + l->dropped; }

static tells_anom *slot(tells_anoms *l) {
  if (l->n >= TELLS_MAX_ANOMALIES_PER_FILE) return NULL;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    tells_anom *v = tells_realloc(l->v, cap * sizeof *v);
    if (!v) return NULL;
    l->v = v; l->cap = cap;
  }
  return &l->v[l->n];
}

static void add_v(tells_anoms *l, uint64_t off, const char *code,
                  const char *file, int line, const char *fmt, va_list ap) {
  char tmp[512];
  tells_anom *a = slot(l);
  if (!a) { l->dropped++; return; }
  vsnprintf(tmp, sizeof tmp, fmt, ap);
  a->detail = tells_strdup(tmp);
  if (!a->detail) { l->dropped++; return; }
  a->off = off; a->code = code; a->src_file = file; a->src_line = line;
  l->n++;
}

static void add(tells_anoms *l, uint64_t off, const char *code,
                const char *file, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  add_v(l, off, code, file, line, fmt, ap);
  va_end(ap);
}

void tells_anom_add(tells_anoms *l, uint64_t off, const char *code,
                    const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  add_v(l, off, code, NULL, 0, fmt, ap);
  va_end(ap);
}

void tells_anom_rd(tells_anoms *l, const tells_rd *r, const char *code,
                   const char *what) {
  add(l, r->err ? r->err_off : tells_rd_pos(r), code, r->err_file, r->err_line,
      "%s: %s", what, tells_strerror(r->err ? r->err : TELLS_ECORRUPT));
}
