/*
** buf.c -- the bounded growable buffer.
*/
#include <stdio.h>
#include <string.h>
#include "alloc.h"
#include "buf.h"

void tells_buf_init(tells_buf *b, size_t limit) {
  memset(b, 0, sizeof *b);
  b->limit = limit ? limit : ((size_t)1 << 30);
}

void tells_buf_free(tells_buf *b) {
  tells_free(b->p);
  b->p = NULL; b->n = b->cap = 0; b->err = TELLS_OK;
}

void tells_buf_reset(tells_buf *b) {
  b->n = 0; b->err = TELLS_OK;
  if (b->p) b->p[0] = 0;
}

static tells_err grow(tells_buf *b, size_t extra) {
  size_t want, cap;
  char *np;
  if (b->err) return b->err;
  if (extra >= b->limit - b->n || b->n >= b->limit) return b->err = TELLS_ELIMIT;
  want = b->n + extra + 1;
  if (want <= b->cap) return TELLS_OK;
  cap = b->cap ? b->cap : 256;
  while (cap < want) cap = cap > b->limit / 2 ? b->limit + 1 : cap * 2;
  np = tells_realloc(b->p, cap);
  if (!np) return b->err = TELLS_ENOMEM;
  b->p = np; b->cap = cap;
  return TELLS_OK;
}

tells_err tells_buf_add(tells_buf *b, const void *p, size_t n) {
  tells_err e = grow(b, n);
  if (e) return e;
  if (n) memcpy(b->p + b->n, p, n);
  b->n += n;
  b->p[b->n] = 0;
  return TELLS_OK;
}

tells_err tells_buf_addc_slow(tells_buf *b, char c) { return tells_buf_add(b, &c, 1); }

char *tells_buf_reserve(tells_buf *b, size_t n) {
  return grow(b, n) ? NULL : b->p + b->n;
}
tells_err tells_buf_adds(tells_buf *b, const char *s) { return tells_buf_add(b, s, strlen(s)); }

tells_err tells_buf_addf(tells_buf *b, const char *fmt, ...) {
  va_list ap;
  char tmp[256];
  int k;
  va_start(ap, fmt);
  k = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (k < 0) return b->err = TELLS_EARG;
  if ((size_t)k < sizeof tmp) return tells_buf_add(b, tmp, (size_t)k);
  if (grow(b, (size_t)k)) return b->err;
  va_start(ap, fmt);
  vsnprintf(b->p + b->n, (size_t)k + 1, fmt, ap);
  va_end(ap);
  b->n += (size_t)k;
  return TELLS_OK;
}

const char *tells_buf_str(const tells_buf *b) { return b->p ? b->p : ""; }
