/*
** json.c -- the streaming JSON writer and the UTF-8 validator.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"

static int file_sink(void *ud, const char *p, size_t n) {
  return fwrite(p, 1, n, (FILE *)ud) == n ? 0 : -1;
}
static int buf_sink(void *ud, const char *p, size_t n) {
  return tells_buf_add((tells_buf *)ud, p, n) ? -1 : 0;
}

void tells_json_init(tells_json *j, tells_json_sink sink, void *ud, int flags) {
  memset(j, 0, offsetof(tells_json, out));
  j->sink = sink; j->ud = ud; j->flags = flags;
}
void tells_json_init_file(tells_json *j, FILE *f, int flags) {
  tells_json_init(j, file_sink, f, flags);
}
void tells_json_init_buf(tells_json *j, tells_buf *b, int flags) {
  tells_json_init(j, buf_sink, b, flags);
}

tells_err tells_json_flush(tells_json *j) {
  if (j->n && !j->err && j->sink(j->ud, j->out, j->n)) j->err = TELLS_EIO;
  j->n = 0;
  return j->err;
}

static void put(tells_json *j, const char *p, size_t n) {
  while (n) {
    size_t k = sizeof j->out - j->n;
    if (k == 0) { tells_json_flush(j); continue; }
    if (k > n) k = n;
    memcpy(j->out + j->n, p, k);
    j->n += k; p += k; n -= k;
  }
}
static void putc1(tells_json *j, char c) {
  if (j->n == sizeof j->out) tells_json_flush(j);
  j->out[j->n++] = c;
}

/* Separator before a value or key at the current level. */
static void pre_value(tells_json *j) {
  if (j->after_key) { j->after_key = 0; return; }
  if (j->depth > 0) {
    if (j->need_comma[j->depth]) putc1(j, ',');
    j->need_comma[j->depth] = 1;
  }
}

static void open_c(tells_json *j, char c) {
  pre_value(j);
  if (j->depth >= TELLS_MAX_JSON_DEPTH) { j->err = TELLS_ELIMIT; return; }
  putc1(j, c);
  j->depth++;
  j->need_comma[j->depth] = 0;
}
static void close_c(tells_json *j, char c) {
  if (j->depth <= 0) { j->err = TELLS_EARG; return; }
  j->depth--;
  putc1(j, c);
}

void tells_json_obj(tells_json *j) { open_c(j, '{'); }
void tells_json_obj_end(tells_json *j) { close_c(j, '}'); }
void tells_json_arr(tells_json *j) { open_c(j, '['); }
void tells_json_arr_end(tells_json *j) { close_c(j, ']'); }

size_t tells_utf8_seq(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) {
    return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
  }
  if (c >= 0xe0 && c <= 0xef) {
    if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80) return 0;
    if (c == 0xe0 && s[1] < 0xa0) return 0;   /* overlong */
    if (c == 0xed && s[1] >= 0xa0) return 0;  /* UTF-16 surrogate */
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
        (s[3] & 0xc0) != 0x80) return 0;
    if (c == 0xf0 && s[1] < 0x90) return 0;   /* overlong */
    if (c == 0xf4 && s[1] >= 0x90) return 0;  /* past U+10FFFF */
    return 4;
  }
  return 0;
}

/* Escapes into an arbitrary appender: emit(ud, p, n). */
typedef void (*emit_fn)(void *ud, const char *p, size_t n);

static void escape_to(emit_fn emit, void *ud, const unsigned char *s, size_t n,
                      int flags) {
  static const char hex[] = "0123456789abcdef";
  size_t i = 0, run = 0;
  while (i < n) {
    unsigned char c = s[i];
    size_t k;
    char e[8];
    const char *esc = NULL;
    size_t elen = 0;
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\' &&
        !((flags & TELLS_JSON_HTML) && (c == '<' || c == '>' || c == '&' || c == '\''))) {
      i++; run++;
      continue;
    }
    if (c >= 0x80) {
      k = tells_utf8_seq(s + i, n - i);
      if (k && !((flags & TELLS_JSON_HTML) && k == 3 && c == 0xe2 &&
                 s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9))) {
        i += k; run += k;
        continue;
      }
    }
    if (run) emit(ud, (const char *)s + i - run, run);
    run = 0;
    if (c >= 0x80) {
      k = tells_utf8_seq(s + i, n - i);
      if (k == 3) {   /* U+2028 / U+2029 in HTML mode */
        emit(ud, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
        i += 3;
        continue;
      }
      /* a byte outside valid UTF-8: surrogateescape */
      e[0] = '\\'; e[1] = 'u'; e[2] = 'd'; e[3] = 'c';
      e[4] = hex[c >> 4]; e[5] = hex[c & 15];
      emit(ud, e, 6);
      i++;
      continue;
    }
    switch (c) {
    case '"': esc = "\\\""; break;
    case '\\': esc = "\\\\"; break;
    case '\n': esc = "\\n"; break;
    case '\r': esc = "\\r"; break;
    case '\t': esc = "\\t"; break;
    case '\b': esc = "\\b"; break;
    case '\f': esc = "\\f"; break;
    default:
      e[0] = '\\'; e[1] = 'u'; e[2] = '0'; e[3] = '0';
      e[4] = hex[c >> 4]; e[5] = hex[c & 15];
      esc = e; elen = 6;
    }
    emit(ud, esc, elen ? elen : strlen(esc));
    i++;
  }
  if (run) emit(ud, (const char *)s + n - run, run);
}

static void emit_json(void *ud, const char *p, size_t n) { put((tells_json *)ud, p, n); }
static void emit_buf(void *ud, const char *p, size_t n) { tells_buf_add((tells_buf *)ud, p, n); }

void tells_json_escape(tells_buf *b, const void *s, size_t n, int flags) {
  escape_to(emit_buf, b, s, n, flags);
}

static void qstr(tells_json *j, const void *s, size_t n) {
  putc1(j, '"');
  escape_to(emit_json, j, s, n, j->flags);
  putc1(j, '"');
}

void tells_json_key(tells_json *j, const char *key) {
  pre_value(j);
  qstr(j, key, strlen(key));
  putc1(j, ':');
  j->after_key = 1;
}

void tells_json_strn(tells_json *j, const void *s, size_t n) {
  pre_value(j);
  qstr(j, s, n);
}
void tells_json_str(tells_json *j, const char *s) {
  if (!s) { tells_json_null(j); return; }
  tells_json_strn(j, s, strlen(s));
}

/* Decimal digits of v ending at end; returns the first.  Numbers are the
** most common JSON values in tells' output, so no printf here. */
static char *udigits(uint64_t v, char *end) {
  do { *--end = (char)('0' + v % 10); v /= 10; } while (v);
  return end;
}

void tells_json_i64(tells_json *j, int64_t v) {
  char t[24], *p;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  pre_value(j);
  p = udigits(u, t + sizeof t);
  if (v < 0) *--p = '-';
  put(j, p, (size_t)(t + sizeof t - p));
}
void tells_json_u64(tells_json *j, uint64_t v) {
  char t[24], *p;
  pre_value(j);
  p = udigits(v, t + sizeof t);
  put(j, p, (size_t)(t + sizeof t - p));
}
void tells_json_dbl(tells_json *j, double v) {
  char t[40];
  if (!isfinite(v)) { tells_json_null(j); return; }
  pre_value(j);
  {   /* the shortest of 15, 16 or 17 digits that reads back as v */
    int prec, n = 0;
    for (prec = 15; prec <= 17; prec++) {
      n = snprintf(t, sizeof t, "%.*g", prec, v);
      if (strtod(t, NULL) == v) break;
    }
    put(j, t, (size_t)n);
  }
}
void tells_json_bool(tells_json *j, int v) {
  pre_value(j);
  if (v) put(j, "true", 4); else put(j, "false", 5);
}
void tells_json_null(tells_json *j) { pre_value(j); put(j, "null", 4); }
void tells_json_raw(tells_json *j, const char *s, size_t n) { pre_value(j); put(j, s, n); }

void tells_json_nl(tells_json *j) {
  if (j->depth == 0) putc1(j, '\n');
}

void tells_json_kstr(tells_json *j, const char *k, const char *v) {
  tells_json_key(j, k); tells_json_str(j, v);
}
void tells_json_ki64(tells_json *j, const char *k, int64_t v) {
  tells_json_key(j, k); tells_json_i64(j, v);
}
void tells_json_ku64(tells_json *j, const char *k, uint64_t v) {
  tells_json_key(j, k); tells_json_u64(j, v);
}
void tells_json_kbool(tells_json *j, const char *k, int v) {
  tells_json_key(j, k); tells_json_bool(j, v);
}
