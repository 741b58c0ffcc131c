/*
** json.c -- the streaming JSON writer and the UTF-8 validator.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
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

/* A byte written as is, outside any escape or UTF-8 sequence. */
static int plain_byte(unsigned c, int flags) {
  if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') return 0;
  return !(flags & TELLS_JSON_HTML) || (c != '<' && c != '>' && c != '&' && c != '\'');
}

/* The byte at s[0] (n >= 1 left) is not plain.  Either it starts a valid
** UTF-8 sequence written as is (returns 0, *used = its length), or it is
** escaped: the escape goes to e (at most 6 bytes), its length is returned
** and *used says how many input bytes it stands for. */
static size_t esc_at(const unsigned char *s, size_t n, int flags, char *e, size_t *used) {
  static const char hex[] = "0123456789abcdef";
  unsigned c = s[0];
  *used = 1;
  if (c >= 0x80) {
    size_t k = tells_utf8_seq(s, n);
    if (k == 3 && (flags & TELLS_JSON_HTML) && c == 0xe2 && s[1] == 0x80 &&
        (s[2] == 0xa8 || s[2] == 0xa9)) {   /* U+2028 / U+2029 in HTML mode */
      memcpy(e, s[2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
      *used = 3;
      return 6;
    }
    if (k) { *used = k; return 0; }
    /* a byte outside valid UTF-8: surrogateescape */
    e[0] = '\\'; e[1] = 'u'; e[2] = 'd'; e[3] = 'c';
    e[4] = hex[c >> 4]; e[5] = hex[c & 15];
    return 6;
  }
  e[0] = '\\';
  switch (c) {
  case '"': e[1] = '"'; return 2;
  case '\\': e[1] = '\\'; return 2;
  case '\n': e[1] = 'n'; return 2;
  case '\r': e[1] = 'r'; return 2;
  case '\t': e[1] = 't'; return 2;
  case '\b': e[1] = 'b'; return 2;
  case '\f': e[1] = 'f'; return 2;
  default:
    e[1] = 'u'; e[2] = '0'; e[3] = '0';
    e[4] = hex[c >> 4]; e[5] = hex[c & 15];
    return 6;
  }
}

/* Escapes into an arbitrary appender: emit(ud, p, n). */
typedef void (*emit_fn)(void *ud, const char *p, size_t n);

static void escape_to(emit_fn emit, void *ud, const unsigned char *s, size_t n,
                      int flags) {
  size_t i = 0, run = 0;
  while (i < n) {
    char e[8];
    size_t used, elen;
    if (plain_byte(s[i], flags)) { i++; run++; continue; }
    elen = esc_at(s + i, n - i, flags, e, &used);
    if (!elen) { i += used; run += used; continue; }
    if (run) emit(ud, (const char *)s + i - run, run);
    run = 0;
    emit(ud, e, elen);
    i += used;
  }
  if (run) emit(ud, (const char *)s + n - run, run);
}

static void emit_json(void *ud, const char *p, size_t n) { put((tells_json *)ud, p, n); }
static void emit_buf(void *ud, const char *p, size_t n) { tells_buf_add((tells_buf *)ud, p, n); }

void tells_json_escape(tells_buf *b, const void *s, size_t n, int flags) {
  escape_to(emit_buf, b, s, n, flags);
}

/* True when one of the eight bytes of x is < 0x20, >= 0x80, '"' or '\\'. */
static int swar_hit64(uint64_t x) {
  const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
  /* a borrow or a high bit only comes from such a byte (or spreads from one) */
  return (((x - ones * 0x20) | ((x ^ (ones * '"')) - ones) | ((x ^ (ones * '\\')) - ones) | x) &
          high) != 0;
}
static int swar_hit(const unsigned char *p) {
  uint64_t x;
  memcpy(&x, p, 8);
  return swar_hit64(x);
}

/* A string of n < 16 bytes: when every byte is plain (outside HTML mode),
** copies it to o and returns 1; else returns 0 (o may hold some of it).
** Two overlapping loads cover it, so nothing past s + n is read. */
static int plain_small(char *o, const unsigned char *s, size_t n) {
  if (n >= 8) {
    uint64_t a, b;
    memcpy(&a, s, 8); memcpy(&b, s + n - 8, 8);
    if (swar_hit64(a) || swar_hit64(b)) return 0;
    memcpy(o, &a, 8); memcpy(o + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    memcpy(&a, s, 4); memcpy(&b, s + n - 4, 4);
    if (swar_hit64((uint64_t)a << 32 | b)) return 0;
    memcpy(o, &a, 4); memcpy(o + n - 4, &b, 4);
  } else {
    size_t i;
    for (i = 0; i < n; i++) {
      if (!plain_byte(s[i], 0)) return 0;
      o[i] = (char)s[i];
    }
  }
  return 1;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define JSON_AVX512 1
#include <immintrin.h>
static int g_avx512 = -1;      /* AVX-512BW there: -1 not asked yet (atomic) */

/* plain_copy for up to 64 bytes in one masked load and store: bytes past n
** are neither read (masked loads do not fault) nor written. */
__attribute__((target("avx512f,avx512bw")))
static size_t plain_copy64(char *o, const unsigned char *s, size_t n) {
  __mmask64 m = n >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << n) - 1), bad;
  __m512i v = _mm512_maskz_loadu_epi8(m, s);
  bad = (_mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('"')) |
         _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\\')) |
         _mm512_cmplt_epi8_mask(v, _mm512_set1_epi8(0x20))) & m;   /* signed: >= 0x80 too */
  _mm512_mask_storeu_epi8(o, m, v);
  return bad ? (size_t)__builtin_ctzll(bad) : n;
}
#endif

int tells__json_simd(int on) {
#ifdef JSON_AVX512
  int have;
  __builtin_cpu_init();
  have = __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512f");
  __atomic_store_n(&g_avx512, on == 0 ? 0 : have, __ATOMIC_RELAXED);
  return on == 0 ? 0 : have;
#else
  (void)on;
  return 0;
#endif
}

#if defined(__SSE2__)
/* Stores the 16 bytes at s to o and returns the mask of those that are not
** plain (bit k for byte k). */
static unsigned plain16(char *o, const unsigned char *s) {
  const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
  __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
  _mm_storeu_si128((__m128i *)(void *)o, v);
  return (unsigned)_mm_movemask_epi8(
      _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)),
                   _mm_cmplt_epi8(v, sp)));   /* signed: >= 0x80 is below 0x20 */
}
#endif

/* Copies the plain bytes at the start of s[0..n) to o (room for n bytes)
** and returns how many: no quote, backslash, control byte or byte >= 0x80
** (plain outside HTML mode).  64 at a time with masked AVX-512 stores where
** the CPU has them (short strings, most of them, in one step), else sixteen
** at a time where SSE2 is there (a block is stored whole, then only its
** plain part counted), then a short tail in one step when it is all plain,
** eight at a time otherwise; no call to memcpy for short runs. */
static size_t plain_copy(char *o, const unsigned char *s, size_t n) {
  size_t i = 0;
#ifdef JSON_AVX512
  int a = __atomic_load_n(&g_avx512, __ATOMIC_RELAXED);
  if (a < 0) a = tells__json_simd(-1);
  if (a) {
    while (i < n) {
      size_t c = n - i < 64 ? n - i : 64, k = plain_copy64(o + i, s + i, c);
      i += k;
      if (k < c) break;
    }
    return i;
  }
#endif
#if defined(__SSE2__)
  while (n - i >= 16) {
    unsigned m = plain16(o + i, s + i);
    if (m) return i + (size_t)__builtin_ctz(m);
    i += 16;
  }
#endif
  if (n - i < 16 && plain_small(o + i, s + i, n - i)) return n;   /* most keys and values */
  while (n - i >= 8 && !swar_hit(s + i)) {
    memcpy(o + i, s + i, 8);
    i += 8;
  }
  while (i < n && plain_byte(s[i], 0)) { o[i] = (char)s[i]; i++; }
  return i;
}

/* A quoted string.  When the worst case (6 bytes out per byte in) fits in
** what is left of out[], it is written straight into it, runs of plain
** bytes in bulk; otherwise through put(), which flushes as it goes. */
static void qstr(tells_json *j, const void *sv, size_t n) {
  const unsigned char *s = sv;
  size_t room = sizeof j->out - j->n, i = 0;
  char *o;
  if (room < 2 || n > (room - 2) / 6) {
    putc1(j, '"');
    escape_to(emit_json, j, s, n, j->flags);
    putc1(j, '"');
    return;
  }
  o = j->out + j->n;
  *o++ = '"';
  while (i < n) {
    size_t k, used;
    if (!(j->flags & TELLS_JSON_HTML)) {
      k = plain_copy(o, s + i, n - i);
      o += k; i += k;
      if (i == n) break;
    } else if (plain_byte(s[i], j->flags)) {
      *o++ = (char)s[i++];
      continue;
    }
    k = esc_at(s + i, n - i, j->flags, o, &used);
    if (!k) { memcpy(o, s + i, used); k = used; }
    o += k; i += used;
  }
  *o++ = '"';
  j->n = (size_t)(o - j->out);
}

/* The common case in one step: a string under 16 bytes, all plain, with
** room to spare, outside HTML mode.  Writes it quoted, then `tail` (':'
** after a key, or nothing), and returns 1; returns 0, having written
** nothing that counts, otherwise.  Small enough to inline, so the usual
** key or value needs no call to qstr. */
static inline int qstr_short(tells_json *j, const void *sv, size_t n, char tail) {
  char *o;
  if (n >= 16 || sizeof j->out - j->n < 20 || (j->flags & TELLS_JSON_HTML)) return 0;
  o = j->out + j->n;
  if (!plain_small(o + 1, sv, n)) return 0;
  o[0] = '"'; o[n + 1] = '"'; o[n + 2] = tail;
  j->n += n + 2 + (tail != 0);
  return 1;
}

void tells_json_keyn(tells_json *j, const char *key, size_t n) {
  pre_value(j);
  j->after_key = 1;
  if (qstr_short(j, key, n, ':')) return;
  qstr(j, key, n);
  putc1(j, ':');
}

void tells_json_strn(tells_json *j, const void *s, size_t n) {
  pre_value(j);
  if (qstr_short(j, s, n, 0)) return;
  qstr(j, s, n);
}
void tells_json_str(tells_json *j, const char *s) {
  if (!s) { tells_json_null(j); return; }
  tells_json_strn(j, s, strlen(s));
}

/* Numbers are the most common JSON values in tells' output, so no printf
** here (see json.h). */
char *tells_json_udigits(uint64_t v, char *end) {
  do { *--end = (char)('0' + v % 10); v /= 10; } while (v);
  return end;
}

void tells_json_i64(tells_json *j, int64_t v) {
  char t[24], *p;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  pre_value(j);
  p = tells_json_udigits(u, t + sizeof t);
  if (v < 0) *--p = '-';
  put(j, p, (size_t)(t + sizeof t - p));
}
void tells_json_obj_members(tells_json *j, const char *members, size_t n) {
  int depth = j->depth;
  open_c(j, '{');
  if (j->depth != depth + 1 || !n) return;
  put(j, members, n);
  j->need_comma[j->depth] = 1;
}

void tells_json_u64(tells_json *j, uint64_t v) {
  char t[24], *p;
  pre_value(j);
  p = tells_json_udigits(v, t + sizeof t);
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

