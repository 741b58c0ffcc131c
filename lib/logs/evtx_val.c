/*
** evtx_val.c -- text and JSON forms of Binary XML values.
**
** A substitution value is kept as raw bytes plus its type until something
** renders it; this file turns it into text (XML, normalised events) or into
** a typed JSON value the way evtx_dump does: integers and sizes as numbers,
** booleans as true/false, GUIDs upper-case without braces, FILETIME and
** SYSTEMTIME as "YYYY-MM-DDTHH:MM:SS.ffffffZ", SIDs as "S-1-...", hex
** integers as "0x..." strings, arrays as JSON arrays.
*/
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "evtx_int.h"
#include "tstamp.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static uint64_t ld64(const uint8_t *p) {
  return (uint64_t)tells_ld32le(p) | (uint64_t)tells_ld32le(p + 4) << 32;
}

void tells__evtx_utf16(tells_buf *b, const uint8_t *p, size_t nchars) {
  size_t i = 0;
  char *o, *o0;
  /* at most 3 bytes per code unit (a surrogate pair: 4 for 2) */
  if (!nchars || !(o0 = o = tells_buf_reserve(b, 3 * nchars))) return;
  while (i < nchars) {
    uint32_t c;
#if defined(__SSE2__)
    while (nchars - i >= 8) {             /* eight ASCII code units at once */
      __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 2 * i));
      if (_mm_movemask_epi8(_mm_cmpeq_epi16(_mm_and_si128(v, _mm_set1_epi16((short)0xFF80)),
                                            _mm_setzero_si128())) != 0xFFFF)
        break;
      _mm_storel_epi64((__m128i *)(void *)o, _mm_packus_epi16(v, v));
      o += 8; i += 8;
    }
    if (i >= nchars) break;
#endif
    c = tells_ld16le(p + 2 * i);
    i++;
    if (c < 0x80) { *o++ = (char)c; continue; }
    if (c >= 0xd800 && c <= 0xdbff && i < nchars) {
      uint32_t d = tells_ld16le(p + 2 * i);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
      } else c = 0xfffd;
    } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x800) {
      *o++ = (char)(0xc0 | c >> 6); *o++ = (char)(0x80 | (c & 63));
    } else if (c < 0x10000) {
      *o++ = (char)(0xe0 | c >> 12); *o++ = (char)(0x80 | ((c >> 6) & 63));
      *o++ = (char)(0x80 | (c & 63));
    } else {
      *o++ = (char)(0xf0 | c >> 18); *o++ = (char)(0x80 | ((c >> 12) & 63));
      *o++ = (char)(0x80 | ((c >> 6) & 63)); *o++ = (char)(0x80 | (c & 63));
    }
  }
  tells_buf_commit(b, (size_t)(o - o0));
}

/* Integer formatting without printf (hot: every record has several). */
static size_t u64dec(char *o, uint64_t v) {
  static const char d2[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  char t[24], *e = t + sizeof t, *b = e;
  size_t n;
  while (v >= 100) {                     /* two digits per division */
    unsigned r = (unsigned)(v % 100);
    v /= 100;
    b -= 2; b[0] = d2[2 * r]; b[1] = d2[2 * r + 1];
  }
  if (v >= 10) { b -= 2; b[0] = d2[2 * v]; b[1] = d2[2 * v + 1]; }
  else *--b = (char)('0' + v);
  n = (size_t)(e - b);
  memcpy(o, b, n);
  o[n] = 0;
  return n;
}
static size_t i64dec(char *o, int64_t v) {
  if (v < 0) { o[0] = '-'; return 1 + u64dec(o + 1, (uint64_t)0 - (uint64_t)v); }
  return u64dec(o, (uint64_t)v);
}
/* "0x" + lower-case hex without leading zeros */
static size_t hex0x(char *o, uint64_t v) {
  static const char hx[] = "0123456789abcdef";
  char t[16];
  size_t n = 0, i;
  do { t[n++] = hx[v & 15]; v >>= 4; } while (v);
  o[0] = '0'; o[1] = 'x';
  for (i = 0; i < n; i++) o[2 + i] = t[n - 1 - i];
  o[2 + n] = 0;
  return 2 + n;
}
static char *hexu(char *o, uint64_t v, int digits) {
  static const char hx[] = "0123456789ABCDEF";
  int i;
  for (i = digits - 1; i >= 0; i--) { o[i] = hx[v & 15]; v >>= 4; }
  return o + digits;
}
static char *dec2(char *o, unsigned v) { o[0] = (char)('0' + v / 10 % 10); o[1] = (char)('0' + v % 10); return o + 2; }

size_t tells__evtx_filetime(char *out, uint64_t ft) {
  /* 11644473600 s between 1601-01-01 and 1970-01-01 */
  int64_t secs = (int64_t)(ft / 10000000u) - INT64_C(11644473600);
  uint32_t ticks = (uint32_t)(ft % 10000000u);
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t rem = secs - days * 86400, y;
  unsigned m, d;
  tells_tstamp_civil(days, &y, &m, &d);
  /* microseconds, truncated (evtx_dump prints 6 digits) */
  if (y < 0 || y > 9999)
    return (size_t)snprintf(out, 48, "%04lld-%02u-%02uT%02u:%02u:%02u.%06uZ",
                            (long long)y, m, d, (unsigned)(rem / 3600),
                            (unsigned)(rem / 60 % 60), (unsigned)(rem % 60), ticks / 10u);
  {
    char *o = out;
    unsigned us = ticks / 10u;
    o = dec2(o, (unsigned)(y / 100)); o = dec2(o, (unsigned)(y % 100)); *o++ = '-';
    o = dec2(o, m); *o++ = '-'; o = dec2(o, d); *o++ = 'T';
    o = dec2(o, (unsigned)(rem / 3600)); *o++ = ':';
    o = dec2(o, (unsigned)(rem / 60 % 60)); *o++ = ':';
    o = dec2(o, (unsigned)(rem % 60)); *o++ = '.';
    o = dec2(o, us / 10000); o = dec2(o, us / 100 % 100); o = dec2(o, us % 100);
    *o++ = 'Z'; *o = 0;
    return (size_t)(o - out);
  }
}

static size_t fmt_systime(char *out, const uint8_t *p) {
  return (size_t)snprintf(out, 48, "%04u-%02u-%02uT%02u:%02u:%02u.%06uZ",
                          tells_ld16le(p), tells_ld16le(p + 2), tells_ld16le(p + 6),
                          tells_ld16le(p + 8), tells_ld16le(p + 10),
                          tells_ld16le(p + 12), (unsigned)tells_ld16le(p + 14) * 1000u);
}

static size_t fmt_guid(char *out, const uint8_t *p) {
  char *o = out;
  int i;
  o = hexu(o, tells_ld32le(p), 8); *o++ = '-';
  o = hexu(o, tells_ld16le(p + 4), 4); *o++ = '-';
  o = hexu(o, tells_ld16le(p + 6), 4); *o++ = '-';
  o = hexu(o, p[8], 2); o = hexu(o, p[9], 2); *o++ = '-';
  for (i = 10; i < 16; i++) o = hexu(o, p[i], 2);
  *o = 0;
  return (size_t)(o - out);
}

/* SID: revision, sub-authority count, 48-bit big-endian authority,
** count x u32le sub-authorities.  Returns bytes used, 0 if malformed. */
static size_t fmt_sid(tells_buf *b, const uint8_t *p, uint32_t n) {
  uint64_t auth = 0;
  unsigned i, cnt;
  char t[32];
  size_t k;
  if (n < 8) return 0;
  cnt = p[1];
  if ((uint64_t)8 + 4u * cnt > n) return 0;
  for (i = 0; i < 6; i++) auth = auth << 8 | p[2 + i];
  t[0] = 'S'; t[1] = '-';
  k = 2 + u64dec(t + 2, p[0]);
  t[k++] = '-';
  k += u64dec(t + k, auth);
  tells_buf_add(b, t, k);
  for (i = 0; i < cnt; i++) {
    t[0] = '-';
    tells_buf_add(b, t, 1 + u64dec(t + 1, tells_ld32le(p + 8 + 4 * i)));
  }
  return 8 + 4u * cnt;
}

static void fmt_real(char *out, double v, int is32) {
  int prec;
  if (!isfinite(v)) { strcpy(out, isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf"); return; }
  for (prec = 1; prec <= 17; prec++) {
    snprintf(out, 40, "%.*g", prec, v);
    if (is32 ? (float)strtod(out, NULL) == (float)v : strtod(out, NULL) == v) break;
  }
}

static unsigned elem_size(unsigned t) {
  switch (t) {
  case EV_I8: case EV_U8: return 1;
  case EV_I16: case EV_U16: return 2;
  case EV_I32: case EV_U32: case EV_R32: case EV_BOOL: case EV_HEX32: return 4;
  case EV_I64: case EV_U64: case EV_R64: case EV_FILETIME: case EV_HEX64: return 8;
  case EV_GUID: case EV_SYSTIME: return 16;
  default: return 0;
  }
}

static uint64_t uval(const uint8_t *p, uint32_t n) {
  switch (n) {
  case 1: return p[0];
  case 2: return tells_ld16le(p);
  case 4: return tells_ld32le(p);
  case 8: return ld64(p);
  default: return 0;
  }
}

/* Scalar of fixed-width type t at p (n bytes available).  Text into out. */
static size_t scalar_text(char *out, unsigned t, const uint8_t *p, uint32_t n) {
  switch (t) {
  case EV_I8: return i64dec(out, (int8_t)p[0]);
  case EV_U8: return u64dec(out, p[0]);
  case EV_I16: return i64dec(out, (int16_t)tells_ld16le(p));
  case EV_U16: return u64dec(out, tells_ld16le(p));
  case EV_I32: return i64dec(out, (int32_t)tells_ld32le(p));
  case EV_U32: return u64dec(out, tells_ld32le(p));
  case EV_I64: return i64dec(out, (int64_t)ld64(p));
  case EV_U64: return u64dec(out, ld64(p));
  case EV_SIZET: return hex0x(out, uval(p, n));
  case EV_R32: {
    float f; uint32_t u = tells_ld32le(p);
    memcpy(&f, &u, 4); fmt_real(out, f, 1); return strlen(out);
  }
  case EV_R64: {
    double d; uint64_t u = ld64(p);
    memcpy(&d, &u, 8); fmt_real(out, d, 0); return strlen(out);
  }
  case EV_BOOL: {
    int v = uval(p, n) != 0;
    strcpy(out, v ? "true" : "false"); return strlen(out);
  }
  case EV_GUID: return fmt_guid(out, p);
  case EV_FILETIME: return tells__evtx_filetime(out, ld64(p));
  case EV_SYSTIME: return fmt_systime(out, p);
  case EV_HEX32: return hex0x(out, tells_ld32le(p));
  case EV_HEX64: return hex0x(out, ld64(p));
  default: out[0] = 0; return 0;
  }
}

static int is_number(unsigned t) {
  return t >= EV_I8 && t <= EV_R64;
}

/* Strips trailing UTF-16 NULs; returns characters. */
static size_t u16_len(const uint8_t *p, uint32_t n) {
  size_t k = n / 2;
  while (k && p[2 * k - 2] == 0 && p[2 * k - 1] == 0) k--;
  return k;
}

static void ansi(tells_buf *b, const uint8_t *p, uint32_t n) {
  uint32_t i;
  while (n && p[n - 1] == 0) n--;
  for (i = 0; i < n; i++) {
    if (p[i] < 0x80) tells_buf_addc(b, (char)p[i]);
    else { tells_buf_addc(b, (char)(0xc0 | p[i] >> 6)); tells_buf_addc(b, (char)(0x80 | (p[i] & 63))); }
  }
}

static const char *entity_text(const char *name) {
  if (!strcmp(name, "amp")) return "&";
  if (!strcmp(name, "lt")) return "<";
  if (!strcmp(name, "gt")) return ">";
  if (!strcmp(name, "quot")) return "\"";
  if (!strcmp(name, "apos")) return "'";
  return NULL;
}

static void charref(tells_buf *b, uint32_t c) {
  uint8_t u[2];
  u[0] = (uint8_t)c; u[1] = (uint8_t)(c >> 8);
  tells__evtx_utf16(b, u, 1);
}

void tells__evtx_val_text(tells_buf *b, uint16_t type, const uint8_t *p, uint32_t n) {
  char tmp[64];
  unsigned t = type, es;
  uint32_t i;
  switch (t) {
  case EV_UTF8: tells_buf_add(b, p, n); return;
  case EV_ENTITY: {
    const char *e = entity_text((const char *)p);
    if (e) tells_buf_adds(b, e);
    else tells_buf_addf(b, "&%s;", (const char *)p);
    return;
  }
  case EV_CHARREF: charref(b, n); return;
  case EV_NULL: case EV_HANDLE: case EV_EVTXML: case EV_BINXML: return;
  case EV_STR: tells__evtx_utf16(b, p, u16_len(p, n)); return;
  case EV_ANSI: ansi(b, p, n); return;
  case EV_BIN: {                  /* upper-case hex, without printf */
    static const char hx[] = "0123456789ABCDEF";
    uint32_t t0 = 0;
    for (i = 0; i < n; i++) {
      tmp[t0++] = hx[p[i] >> 4]; tmp[t0++] = hx[p[i] & 15];
      if (t0 == sizeof tmp) { tells_buf_add(b, tmp, t0); t0 = 0; }
    }
    if (t0) tells_buf_add(b, tmp, t0);
    return;
  }
  case EV_SID: fmt_sid(b, p, n); return;
  case EV_SIZET:
    if (n != 4 && n != 8) return;
    break;
  case EV_STR | EV_ARRAY: {
    size_t k = n / 2, s = 0, j;
    int first = 1;
    for (j = 0; j <= k; j++) {
      if (j == k || (p[2 * j] == 0 && p[2 * j + 1] == 0)) {
        if (j == k && j == s) break;
        if (!first) tells_buf_addc(b, ',');
        first = 0;
        tells__evtx_utf16(b, p + 2 * s, j - s);
        s = j + 1;
      }
    }
    return;
  }
  case EV_ANSI | EV_ARRAY: {     /* NUL-terminated 8-bit strings, joined as UTF-16 arrays are */
    uint32_t s0 = 0, q;
    int first = 1;
    for (q = 0; q <= n; q++) {
      if (q == n || p[q] == 0) {
        if (q == n && q == s0) break;
        if (!first) tells_buf_addc(b, ',');
        first = 0;
        ansi(b, p + s0, q - s0);
        s0 = q + 1;
      }
    }
    return;
  }
  case EV_SID | EV_ARRAY: {
    uint32_t off = 0; size_t used;
    while (off < n && (used = fmt_sid(b, p + off, n - off)) != 0) {
      off += (uint32_t)used;
      if (off < n) tells_buf_addc(b, ',');
    }
    return;
  }
  default:
    break;
  }
  if (t & EV_ARRAY) {
    es = t == (EV_SIZET | EV_ARRAY) ? 8 : elem_size(t & 0x7f);
    if (!es) return;
    for (i = 0; i + es <= n; i += es) {
      if (i) tells_buf_addc(b, ',');
      tells_buf_add(b, tmp, scalar_text(tmp, t & 0x7f, p + i, es));
    }
    return;
  }
  es = elem_size(t);
  if (t != EV_SIZET && (!es || n < es)) return;
  tells_buf_add(b, tmp, scalar_text(tmp, t, p, n));
}

static void json_scalar(tells_json *j, unsigned t, const uint8_t *p, uint32_t n) {
  char tmp[64];
  size_t k = scalar_text(tmp, t, p, n);
  if (t == EV_BOOL) tells_json_bool(j, uval(p, n) != 0);
  else if (is_number(t) && isalpha((unsigned char)tmp[k ? k - 1 : 0]) == 0 && k)
    tells_json_raw(j, tmp, k);
  else if (is_number(t)) tells_json_null(j);
  else tells_json_strn(j, tmp, k);
}

void tells__evtx_val_json(tells_json *j, tells_buf *sb, uint16_t type,
                          const uint8_t *p, uint32_t n) {
  unsigned t = type, es;
  uint32_t i;
  switch (t) {
  case EV_NULL: case EV_HANDLE: case EV_EVTXML: case EV_BINXML:
    tells_json_null(j); return;
  case EV_STR | EV_ARRAY: {
    size_t k = n / 2, s = 0, q;
    tells_json_arr(j);
    for (q = 0; q <= k; q++) {
      if (q == k || (p[2 * q] == 0 && p[2 * q + 1] == 0)) {
        if (q == k && q == s) break;
        tells_buf_reset(sb);
        tells__evtx_utf16(sb, p + 2 * s, q - s);
        tells__evtx_trim(sb);
        tells_json_strn(j, sb->p ? sb->p : "", sb->n);
        s = q + 1;
      }
    }
    tells_json_arr_end(j);
    return;
  }
  case EV_ANSI | EV_ARRAY: {
    uint32_t s0 = 0, q;
    tells_json_arr(j);
    for (q = 0; q <= n; q++) {
      if (q == n || p[q] == 0) {
        if (q == n && q == s0) break;
        tells_buf_reset(sb);
        ansi(sb, p + s0, q - s0);
        tells_json_strn(j, sb->p ? sb->p : "", sb->n);
        s0 = q + 1;
      }
    }
    tells_json_arr_end(j);
    return;
  }
  case EV_SID | EV_ARRAY: {
    uint32_t off = 0; size_t used;
    tells_json_arr(j);
    for (;;) {
      tells_buf_reset(sb);
      if (off >= n || (used = fmt_sid(sb, p + off, n - off)) == 0) break;
      off += (uint32_t)used;
      tells_json_strn(j, sb->p, sb->n);
    }
    tells_json_arr_end(j);
    return;
  }
  case EV_SIZET:
    if (n == 4 || n == 8) { json_scalar(j, t, p, n); return; }
    tells_json_null(j);
    return;
  default: break;
  }
  if ((t & EV_ARRAY) && t < EV_UTF8) {
    es = t == (EV_SIZET | EV_ARRAY) ? 8 : elem_size(t & 0x7f);
    tells_json_arr(j);
    if (es)
      for (i = 0; i + es <= n; i += es) json_scalar(j, t & 0x7f, p + i, es);
    tells_json_arr_end(j);
    return;
  }
  es = elem_size(t);
  if (es) {
    if (n < es) { tells_json_null(j); return; }
    json_scalar(j, t, p, n);
    return;
  }
  tells_buf_reset(sb);
  tells__evtx_val_text(sb, type, p, n);
  tells__evtx_trim(sb);
  tells_json_strn(j, sb->p ? sb->p : "", sb->n);
}

void tells__evtx_trim(tells_buf *b) {
  while (b->n && (b->p[b->n - 1] == ' ' || b->p[b->n - 1] == '\t' ||
                  b->p[b->n - 1] == '\n' || b->p[b->n - 1] == '\r'))
    b->p[--b->n] = 0;
}
