/*
** json.h -- streaming JSON writer that escapes arbitrary bytes correctly.
**
** Strings from evidence are arbitrary bytes.  Valid UTF-8 is written as is
** (control characters, quote and backslash escaped); every byte that is not
** part of a valid UTF-8 sequence is written as the escape \udcXX, the lone
** low surrogate that PEP 383 ("surrogateescape") assigns to byte XX.  Such an
** escape can never come from real text, so the original bytes can always be
** recovered, and nothing is dropped or passed through raw.
**
** With TELLS_JSON_HTML the writer also escapes < > & ' and U+2028/U+2029, so
** its output can sit inside an HTML <script> element.
**
** Commas and nesting are tracked by the writer; callers only say what comes
** next.  Output goes through a sink function in blocks of up to 8 KiB.
*/
#ifndef TELLS_JSON_H
#define TELLS_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "buf.h"
#include "tells_limits.h"

#define TELLS_JSON_HTML 1

typedef int (*tells_json_sink)(void *ud, const char *p, size_t n); /* 0 = ok */

typedef struct tells_json {
  tells_json_sink sink; void *ud;
  int flags;
  int depth;                               /* open containers */
  unsigned char need_comma[TELLS_MAX_JSON_DEPTH + 1];
  int after_key;                           /* a key was written, value next */
  tells_err err;                           /* sticky */
  size_t n;                                /* bytes pending in out[] */
  char out[8192];
} tells_json;

void tells_json_init(tells_json *j, tells_json_sink sink, void *ud, int flags);
void tells_json_init_file(tells_json *j, FILE *f, int flags);
void tells_json_init_buf(tells_json *j, tells_buf *b, int flags);
/* Writes out what is pending; returns the sticky error. */
tells_err tells_json_flush(tells_json *j);

void tells_json_obj(tells_json *j);      /* { */
void tells_json_obj_end(tells_json *j);  /* } */
void tells_json_arr(tells_json *j);      /* [ */
void tells_json_arr_end(tells_json *j);  /* ] */
void tells_json_keyn(tells_json *j, const char *key, size_t n);
void tells_json_str(tells_json *j, const char *s);          /* NULL -> null */
void tells_json_strn(tells_json *j, const void *s, size_t n);
void tells_json_i64(tells_json *j, int64_t v);
void tells_json_u64(tells_json *j, uint64_t v);
void tells_json_dbl(tells_json *j, double v);               /* non-finite -> null */
void tells_json_bool(tells_json *j, int v);
void tells_json_null(tells_json *j);
/* Opens an object whose first members are given as text that is already
** valid JSON: `"k":v,"k2":v2` (no braces, no trailing comma; may be
** empty).  Members written after it get their comma as usual. */
void tells_json_obj_members(tells_json *j, const char *members, size_t n);
/* Inserts text that is already valid JSON (a stored JSON document). */
void tells_json_raw(tells_json *j, const char *s, size_t n);
/* Ends a JSON-lines record with "\n" (only at depth 0). */
void tells_json_nl(tells_json *j);

/* The AVX-512 path of string escaping: on = 0 turns it off (SSE2 or
** 8-byte steps then), anything else turns it on when the CPU has it; returns
** whether it is on.  Tests use it to check every path the CPU can run. */
int tells__json_simd(int on);

/* A key, and key + value shorthands (kstr writes null for a NULL string).
** Inline so that the length of a literal key is known when compiling. */
static inline void tells_json_key(tells_json *j, const char *key) {
  tells_json_keyn(j, key, strlen(key));
}
static inline void tells_json_kstr(tells_json *j, const char *k, const char *v) {
  tells_json_keyn(j, k, strlen(k)); tells_json_str(j, v);
}
static inline void tells_json_kbool(tells_json *j, const char *k, int v) {
  tells_json_keyn(j, k, strlen(k)); tells_json_bool(j, v);
}
static inline void tells_json_ki64(tells_json *j, const char *k, int64_t v) {
  tells_json_keyn(j, k, strlen(k)); tells_json_i64(j, v);
}
static inline void tells_json_ku64(tells_json *j, const char *k, uint64_t v) {
  tells_json_keyn(j, k, strlen(k)); tells_json_u64(j, v);
}

/* The decimal digits of v written backwards to end (at most 20 before it);
** returns the first. */
char *tells_json_udigits(uint64_t v, char *end);

/* Appends the escaped body of a JSON string (no quotes) to b. */
void tells_json_escape(tells_buf *b, const void *s, size_t n, int flags);

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if s[0..] does not
** start one.  Overlong forms, surrogates and code points past U+10FFFF are
** invalid. */
size_t tells_utf8_seq(const unsigned char *s, size_t n);

#endif
