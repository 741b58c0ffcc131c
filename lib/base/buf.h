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
tells_err tells_buf_addc(tells_buf *b, char c);
tells_err tells_buf_adds(tells_buf *b, const char *s);
tells_err tells_buf_addf(tells_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *tells_buf_str(const tells_buf *b); /* "" when empty */

#endif
