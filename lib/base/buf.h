/*
** buf.h -- growable byte buffer with a size limit (curl's dynbuf "toobig").
**
** Appends past `limit` fail and set `err`, which sticks; the bytes already
** in the buffer stay valid.  The buffer is always NUL-terminated.
*/
#ifndef TELLS_BUF_H
#define TELLS_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include "tells.h"

typedef struct tells_buf {
  char *p;          /* owned; NULL until the first append */
  size_t n, cap;    /* bytes used, bytes allocated */
  size_t limit;     /* most bytes this buffer may hold */
  tells_err err;    /* sticky: ENOMEM or ELIMIT */
} tells_buf;

void tells_buf_init(tells_buf *b, size_t limit);
void tells_buf_free(tells_buf *b);
void tells_buf_reset(tells_buf *b);           /* empties, keeps memory */
tells_err tells_buf_add(tells_buf *b, const void *p, size_t n); /* may move p */
tells_err tells_buf_addc_slow(tells_buf *b, char c);
/* One byte: inline while there is room. */
static inline tells_err tells_buf_addc(tells_buf *b, char c) {
  if (!b->err && b->n + 2 <= b->cap && b->n + 1 < b->limit) {
    b->p[b->n++] = c;
    b->p[b->n] = 0;
    return TELLS_OK;
  }
  return tells_buf_addc_slow(b, c);
}
/* Room for n more bytes: where to write them, or NULL (err set).  Then
** tells_buf_commit(b, k) appends the k <= n bytes written there. */
char *tells_buf_reserve(tells_buf *b, size_t n);
static inline void tells_buf_commit(tells_buf *b, size_t k) {
  b->n += k;
  b->p[b->n] = 0;
}
tells_err tells_buf_adds(tells_buf *b, const char *s);
tells_err tells_buf_addf(tells_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *tells_buf_str(const tells_buf *b); /* "" when empty */

#endif
