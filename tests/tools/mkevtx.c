/*
** mkevtx.c -- writes an EVTX file from JSON lines, for tests and the demo
** scenario (input format: docs/internals/evtx-writer.md).
**
**   mkevtx -o OUT.evtx [IN.jsonl]       (stdin when IN is absent or "-")
**
** One JSON object per line: channel, provider, event_id, time (ISO 8601
** UTC), computer, optional record_id, user_sid, provider_guid, activity_id,
** level, task, opcode, version, keywords, qualifiers, pid, tid, user_data,
** and data {name: value}.  A value is a string, number, boolean, null, an
** array of strings or of numbers, or {"type": T, "value": V} for any type
** of the format.  A bad line is one error naming the file and line; nothing
** is written then (exit 1).
*/
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arena.h"
#include "evtx_write.h"

#define MAXLINE   (4u << 20)
#define MAXDEPTH  16
#define MAXFIELDS 4096

/* ---- a small bounded JSON reader ------------------------------------------ */
enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };
typedef struct jn {
  int t;
  const char *s; size_t n;   /* J_STR: decoded UTF-8; J_NUM/J_BOOL: text */
  const char *key;           /* member of an object: its key */
  struct jn *kid, *next;     /* J_ARR/J_OBJ members, in order */
  size_t nk;
} jn;

typedef struct jp { const char *p; size_t len, off; tells_arena *a; const char *err; } jp;

static void ws(jp *j) {
  while (j->off < j->len && strchr(" \t\r\n", j->p[j->off]) && j->p[j->off]) j->off++;
}
static int put_u8(char *o, uint32_t c) {
  if (c < 0x80) { o[0] = (char)c; return 1; }
  if (c < 0x800) { o[0] = (char)(0xc0 | c >> 6); o[1] = (char)(0x80 | (c & 63)); return 2; }
  if (c < 0x10000) {
    o[0] = (char)(0xe0 | c >> 12); o[1] = (char)(0x80 | ((c >> 6) & 63)); o[2] = (char)(0x80 | (c & 63));
    return 3;
  }
  o[0] = (char)(0xf0 | c >> 18); o[1] = (char)(0x80 | ((c >> 12) & 63));
  o[2] = (char)(0x80 | ((c >> 6) & 63)); o[3] = (char)(0x80 | (c & 63));
  return 4;
}
static int hex4(jp *j, uint32_t *v) {
  int i;
  *v = 0;
  if (j->len - j->off < 4) return -1;
  for (i = 0; i < 4; i++) {
    char c = j->p[j->off++];
    *v <<= 4;
    if (c >= '0' && c <= '9') *v |= (uint32_t)(c - '0');
    else if ((c | 32) >= 'a' && (c | 32) <= 'f') *v |= (uint32_t)((c | 32) - 'a' + 10);
    else return -1;
  }
  return 0;
}
static int jstr(jp *j, const char **out, size_t *on) {
  char *o;
  size_t n = 0;
  if (j->off >= j->len || j->p[j->off] != '"') { j->err = "string expected"; return -1; }
  j->off++;
  /* decoded text is never longer than the source */
  if (!(o = tells_arena_alloc(j->a, j->len - j->off + 1))) { j->err = "out of memory"; return -1; }
  while (j->off < j->len && j->p[j->off] != '"') {
    unsigned char c = (unsigned char)j->p[j->off++];
    if (c < 0x20) { j->err = "control character in string"; return -1; }
    if (c != '\\') { o[n++] = (char)c; continue; }
    if (j->off >= j->len) break;
    c = (unsigned char)j->p[j->off++];
    switch (c) {
    case 'n': o[n++] = '\n'; break;
    case 't': o[n++] = '\t'; break;
    case 'r': o[n++] = '\r'; break;
    case 'b': o[n++] = '\b'; break;
    case 'f': o[n++] = '\f'; break;
    case '"': case '\\': case '/': o[n++] = (char)c; break;
    case 'u': {
      uint32_t u, d;
      if (hex4(j, &u)) { j->err = "bad \\u escape"; return -1; }
      if (u >= 0xd800 && u <= 0xdbff && j->len - j->off >= 6 && j->p[j->off] == '\\' &&
          j->p[j->off + 1] == 'u') {
        size_t save = j->off;
        j->off += 2;
        if (!hex4(j, &d) && d >= 0xdc00 && d <= 0xdfff) u = 0x10000 + ((u - 0xd800) << 10) + (d - 0xdc00);
        else j->off = save;
      }
      if (u >= 0xd800 && u <= 0xdfff) u = 0xfffd;
      n += (size_t)put_u8(o + n, u);
      break;
    }
    default: j->err = "bad escape"; return -1;
    }
  }
  if (j->off >= j->len) { j->err = "unterminated string"; return -1; }
  j->off++;
  o[n] = 0;
  *out = o; *on = n;
  return 0;
}
static int jval(jp *j, jn *v, int depth) {
  ws(j);
  memset(v, 0, sizeof *v);
  if (depth > MAXDEPTH) { j->err = "nesting too deep"; return -1; }
  if (j->off >= j->len) { j->err = "value expected"; return -1; }
  switch (j->p[j->off]) {
  case '"': v->t = J_STR; return jstr(j, &v->s, &v->n);
  case '{': case '[': {
    int obj = j->p[j->off] == '{';
    char close = obj ? '}' : ']';
    jn **tail = &v->kid;
    v->t = obj ? J_OBJ : J_ARR;
    j->off++;
    ws(j);
    if (j->off < j->len && j->p[j->off] == close) { j->off++; return 0; }
    for (;;) {
      jn *k = tells_arena_alloc(j->a, sizeof *k);
      const char *key = NULL;
      size_t kn;
      if (!k) { j->err = "out of memory"; return -1; }
      if (obj) {
        ws(j);
        if (jstr(j, &key, &kn)) return -1;
        ws(j);
        if (j->off >= j->len || j->p[j->off] != ':') { j->err = "':' expected"; return -1; }
        j->off++;
      }
      if (jval(j, k, depth + 1)) return -1;
      k->key = key;
      *tail = k; tail = &k->next; v->nk++;
      if (v->nk > MAXFIELDS) { j->err = "too many members"; return -1; }
      ws(j);
      if (j->off < j->len && j->p[j->off] == ',') { j->off++; continue; }
      if (j->off < j->len && j->p[j->off] == close) { j->off++; return 0; }
      j->err = obj ? "',' or '}' expected" : "',' or ']' expected";
      return -1;
    }
  }
  default: {
    size_t s = j->off;
    while (j->off < j->len && strchr("+-.0123456789eEtruefalsn", j->p[j->off]) && j->p[j->off]) j->off++;
    v->s = j->p + s; v->n = j->off - s;
    if (v->n == 4 && !memcmp(v->s, "null", 4)) v->t = J_NULL;
    else if ((v->n == 4 && !memcmp(v->s, "true", 4)) || (v->n == 5 && !memcmp(v->s, "false", 5))) v->t = J_BOOL;
    else if (v->n && strchr("-0123456789", v->s[0])) v->t = J_NUM;
    else { j->err = "unexpected character"; return -1; }
    return 0;
  }
  }
}
static const jn *jget(const jn *o, const char *key) {
  const jn *k;
  if (!o || o->t != J_OBJ) return NULL;
  for (k = o->kid; k; k = k->next) if (!strcmp(k->key, key)) return k;
  return NULL;
}

/* ---- conversions ------------------------------------------------------------ */
static const char *g_err;

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  int64_t era, yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* ISO 8601 UTC "YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|+00:00)" to ns since 1970;
** t[8] gets the SYSTEMTIME fields. */
static int parse_time(const char *s, int64_t *ns, unsigned t[8]) {
  int y, mo, d, h, mi, se, n = 0, k;
  int64_t frac = 0;
  if (sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 ||
      y < 1601 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) {
    g_err = "bad time (want YYYY-MM-DDTHH:MM:SS[.fffffffff]Z)";
    return -1;
  }
  s += n;
  if (*s == '.') {
    for (s++, k = 0; *s >= '0' && *s <= '9'; s++, k++) if (k < 9) frac = frac * 10 + (*s - '0');
    for (; k < 9; k++) frac *= 10;
  }
  if (strcmp(s, "Z") && strcmp(s, "z") && strcmp(s, "+00:00") && *s) {
    g_err = "time must be UTC (Z)";
    return -1;
  }
  *ns = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se) *
         INT64_C(1000000000)) + frac;
  if (t) {
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    t[0] = (unsigned)y; t[1] = (unsigned)mo; t[2] = (unsigned)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
    t[3] = (unsigned)d; t[4] = (unsigned)h; t[5] = (unsigned)mi; t[6] = (unsigned)se;
    t[7] = (unsigned)(frac / 1000000);
  }
  return 0;
}

static int num_u64(const jn *v, uint64_t *out) {
  char tmp[64], *e;
  if (v->t == J_STR || v->t == J_NUM) {
    if (v->n == 0 || v->n >= sizeof tmp || v->s[0] == '-') return -1;
    memcpy(tmp, v->s, v->n); tmp[v->n] = 0;
    errno = 0;
    *out = strtoull(tmp, &e, 0);
    return *e || errno ? -1 : 0;
  }
  if (v->t == J_BOOL) { *out = v->s[0] == 't'; return 0; }
  return -1;
}
static int num_i64(const jn *v, int64_t *out) {
  char tmp[64], *e;
  if (v->t != J_STR && v->t != J_NUM) return -1;
  if (v->n == 0 || v->n >= sizeof tmp) return -1;
  memcpy(tmp, v->s, v->n); tmp[v->n] = 0;
  errno = 0;
  *out = strtoll(tmp, &e, 0);
  return *e || errno ? -1 : 0;
}
static int num_dbl(const jn *v, double *out) {
  char tmp[64], *e;
  if (v->t != J_STR && v->t != J_NUM) return -1;
  if (v->n == 0 || v->n >= sizeof tmp) return -1;
  memcpy(tmp, v->s, v->n); tmp[v->n] = 0;
  *out = strtod(tmp, &e);
  return *e ? -1 : 0;
}
static int is_int(const jn *v) {
  size_t i;
  if (v->t != J_NUM) return 0;
  for (i = 0; i < v->n; i++) if (strchr(".eE", v->s[i])) return 0;
  return 1;
}

static const struct { const char *name; uint8_t type; } TYPES[] = {
  {"null", 0x00}, {"string", 0x01}, {"ansi", 0x02}, {"int8", 0x03}, {"uint8", 0x04},
  {"int16", 0x05}, {"uint16", 0x06}, {"int32", 0x07}, {"uint32", 0x08}, {"int64", 0x09},
  {"uint64", 0x0a}, {"real32", 0x0b}, {"real64", 0x0c}, {"bool", 0x0d}, {"binary", 0x0e},
  {"guid", 0x0f}, {"size_t", 0x10}, {"filetime", 0x11}, {"systemtime", 0x12}, {"sid", 0x13},
  {"hex32", 0x14}, {"hex64", 0x15},
};

static int type_of(const char *s, uint8_t *t) {
  size_t i, n = strlen(s);
  int arr = n > 2 && !strcmp(s + n - 2, "[]");
  for (i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++)
    if (strlen(TYPES[i].name) == n - (arr ? 2 : 0) && !strncmp(TYPES[i].name, s, n - (arr ? 2 : 0))) {
      if (arr && (TYPES[i].type == 0x00 || TYPES[i].type == 0x0e)) return -1;
      *t = (uint8_t)(TYPES[i].type | (arr ? 0x80 : 0));
      return 0;
    }
  return -1;
}

typedef struct ob { uint8_t *p; size_t n, cap; } ob;
static int ob_need(ob *o, size_t k) {
  if (o->cap - o->n >= k) return 0;
  g_err = "value too large (65535 bytes at most)";
  return -1;
}
static int ob_le(ob *o, uint64_t v, int w) {
  int i;
  if (ob_need(o, (size_t)w)) return -1;
  for (i = 0; i < w; i++) o->p[o->n++] = (uint8_t)(v >> (8 * i));
  return 0;
}

/* One scalar of type t (no array bit) from v into o. */
static int enc_scalar(ob *o, uint8_t t, const jn *v, int in_array) {
  uint64_t u;
  int64_t i;
  double d;
  switch (t) {
  case 0x01: case 0x02: {
    size_t k;
    if (v->t != J_STR) { g_err = "string expected"; return -1; }
    if (t == 0x01) {
      if (ob_need(o, 4 * v->n + 2)) return -1;
      k = tells_evtxw_utf16(o->p + o->n, o->cap - o->n, v->s, v->n);
      o->n += k;
      if (in_array) return ob_le(o, 0, 2);
      return 0;
    }
    /* ANSI: code points up to U+00FF as one byte each (Latin-1) */
    for (k = 0; k < v->n;) {
      unsigned char c = (unsigned char)v->s[k];
      uint32_t cp = c;
      if (c >= 0xc2 && c <= 0xc3 && k + 1 < v->n) { cp = (uint32_t)(c & 0x1f) << 6 | (v->s[k + 1] & 0x3f); k += 2; }
      else if (c < 0x80) k++;
      else { g_err = "ansi string holds a character above U+00FF"; return -1; }
      if (ob_le(o, cp, 1)) return -1;
    }
    if (in_array) return ob_le(o, 0, 1);
    return 0;
  }
  case 0x03: case 0x05: case 0x07: case 0x09: {
    int w = t == 0x03 ? 1 : t == 0x05 ? 2 : t == 0x07 ? 4 : 8;
    if (num_i64(v, &i) || (w < 8 && (i < -(INT64_C(1) << (8 * w - 1)) || i >= (INT64_C(1) << (8 * w - 1))))) {
      g_err = "integer out of range for its type";
      return -1;
    }
    return ob_le(o, (uint64_t)i, w);
  }
  case 0x04: case 0x06: case 0x08: case 0x0a: case 0x14: case 0x15: case 0x10: case 0x11: {
    int w = t == 0x04 ? 1 : t == 0x06 ? 2 : (t == 0x08 || t == 0x14) ? 4 : 8;
    if (t == 0x11 && v->t == J_STR && v->n && v->s[0] != '0') {
      int64_t ns;
      if (parse_time(v->s, &ns, NULL)) return -1;
      return ob_le(o, tells_evtxw_filetime(ns), 8);
    }
    if (num_u64(v, &u) || (w < 8 && u >> (8 * w))) { g_err = "unsigned integer out of range for its type"; return -1; }
    return ob_le(o, u, w);
  }
  case 0x0b: case 0x0c: {
    if (num_dbl(v, &d)) { g_err = "number expected"; return -1; }
    if (t == 0x0b) { float f = (float)d; uint32_t b; memcpy(&b, &f, 4); return ob_le(o, b, 4); }
    memcpy(&u, &d, 8);
    return ob_le(o, u, 8);
  }
  case 0x0d:
    if (v->t != J_BOOL && num_u64(v, &u)) { g_err = "boolean expected"; return -1; }
    return ob_le(o, v->t == J_BOOL ? v->s[0] == 't' : u != 0, 4);
  case 0x0e: {
    size_t k;
    if (v->t != J_STR || v->n % 2) { g_err = "binary: hex string expected"; return -1; }
    for (k = 0; k < v->n; k += 2) {
      unsigned x;
      if (sscanf(v->s + k, "%2x", &x) != 1) { g_err = "binary: hex string expected"; return -1; }
      if (ob_le(o, x, 1)) return -1;
    }
    return 0;
  }
  case 0x0f:
    if (v->t != J_STR || ob_need(o, 16) || !tells_evtxw_guid(o->p + o->n, v->s)) {
      g_err = g_err ? g_err : "bad GUID";
      return -1;
    }
    o->n += 16;
    return 0;
  case 0x12: {
    int64_t ns;
    unsigned st[8], k;
    if (v->t != J_STR || parse_time(v->s, &ns, st)) return -1;
    for (k = 0; k < 8; k++) if (ob_le(o, st[k], 2)) return -1;
    return 0;
  }
  case 0x13: {
    size_t k;
    if (v->t != J_STR || ob_need(o, 68) || !(k = tells_evtxw_sid(o->p + o->n, v->s))) {
      g_err = g_err ? g_err : "bad SID";
      return -1;
    }
    o->n += k;
    return 0;
  }
  default: g_err = "unsupported type"; return -1;
  }
}

/* A data value: plain JSON or {"type": T, "value": V}. */
static int enc_value(tells_arena *a, const jn *v, tells_evtxw_val *out) {
  static uint8_t scratch[65535];
  ob o;
  uint8_t t;
  const jn *val = v;
  o.p = scratch; o.cap = sizeof scratch; o.n = 0;
  if (v->t == J_OBJ) {
    const jn *ty = jget(v, "type");
    val = jget(v, "value");
    if (!ty || ty->t != J_STR || type_of(ty->s, &t)) { g_err = "typed value: unknown \"type\""; return -1; }
    if (!val && t != 0) { g_err = "typed value: \"value\" missing"; return -1; }
  } else if (v->t == J_NULL) t = 0;
  else if (v->t == J_STR) t = 0x01;
  else if (v->t == J_BOOL) t = 0x0d;
  else if (v->t == J_NUM) {
    int64_t i;
    uint64_t u;
    if (!is_int(v)) t = 0x0c;
    else if (v->s[0] == '-') t = num_i64(v, &i) ? 0x0c : 0x09;
    else t = num_u64(v, &u) ? 0x0c : u <= 0xffffffffu ? 0x08 : 0x0a;
  } else if (v->t == J_ARR) {
    const jn *k;
    int neg = 0, str = v->kid && v->kid->t == J_STR;
    for (k = v->kid; k; k = k->next) neg |= k->t == J_NUM && k->s[0] == '-';
    t = str ? 0x81 : neg ? 0x89 : 0x8a;
  } else { g_err = "unsupported value"; return -1; }
  /* an empty array of a fixed-width type is written as NULL: libevtx
  ** rejects the empty form */
  if ((t & 0x80) && t != 0x81 && t != 0x82 && val && val->t == J_ARR && !val->nk) t = 0;
  out->type = t;
  out->p = NULL; out->n = 0;
  if (t == 0) return 0;
  if (t & 0x80) {
    const jn *k;
    if (val->t != J_ARR) { g_err = "array type needs a JSON array"; return -1; }
    for (k = val->kid; k; k = k->next)
      if (enc_scalar(&o, t & 0x7f, k, 1)) return -1;
  } else if (enc_scalar(&o, t, val, 0)) return -1;
  if (o.n && !(out->p = tells_arena_strndup(a, (const char *)o.p, o.n))) { g_err = "out of memory"; return -1; }
  out->n = (uint32_t)o.n;
  return 0;
}

static const char *str_of(const jn *o, const char *k) {
  const jn *v = jget(o, k);
  return v && v->t == J_STR ? v->s : NULL;
}
static int u64_of(const jn *o, const char *k, uint64_t max, uint64_t *out) {
  const jn *v = jget(o, k);
  *out = 0;
  if (!v || v->t == J_NULL) return 0;
  if (num_u64(v, out) || *out > max) { g_err = k; return -1; }
  return 0;
}

/* One input line to one record. */
static int line_record(tells_evtxw *w, tells_arena *a, jn *root) {
  tells_evtxw_sys s;
  tells_evtxw_field *f = NULL;
  const jn *data, *k, *t;
  uint64_t v;
  size_t n = 0;
  tells_err e;
  static char msg[160];
  memset(&s, 0, sizeof s);
  if (root->t != J_OBJ) { g_err = "a line must be a JSON object"; return -1; }
  s.channel = str_of(root, "channel");
  s.provider = str_of(root, "provider");
  s.computer = str_of(root, "computer");
  s.user_sid = str_of(root, "user_sid");
  s.provider_guid = str_of(root, "provider_guid");
  s.activity_id = str_of(root, "activity_id");
  s.user_data = str_of(root, "user_data");
  if (!s.channel || !s.provider) { g_err = "\"channel\" and \"provider\" are required"; return -1; }
  if (!jget(root, "event_id")) { g_err = "\"event_id\" is required"; return -1; }
  if (u64_of(root, "event_id", 0xffffffffu, &v)) goto range;
  s.event_id = (uint32_t)v;
  if (!(t = jget(root, "time")) || t->t != J_STR) { g_err = "\"time\" (ISO 8601 UTC) is required"; return -1; }
  if (parse_time(t->s, &s.time_ns, NULL)) return -1;
  if (u64_of(root, "record_id", UINT64_MAX, &s.record_id)) goto range;
  if (u64_of(root, "keywords", UINT64_MAX, &s.keywords)) goto range;
  if (u64_of(root, "level", 255, &v)) goto range;
  s.level = (uint8_t)v;
  if (u64_of(root, "opcode", 255, &v)) goto range;
  s.opcode = (uint8_t)v;
  if (u64_of(root, "version", 255, &v)) goto range;
  s.version = (uint8_t)v;
  if (u64_of(root, "task", 65535, &v)) goto range;
  s.task = (uint16_t)v;
  if (u64_of(root, "pid", 0xffffffffu, &v)) goto range;
  s.pid = (uint32_t)v;
  if (u64_of(root, "tid", 0xffffffffu, &v)) goto range;
  s.tid = (uint32_t)v;
  if (jget(root, "qualifiers")) {
    if (u64_of(root, "qualifiers", 65535, &v)) goto range;
    s.qualifiers = (uint16_t)v; s.has_qualifiers = 1;
  }
  data = jget(root, "data");
  if (data && data->t != J_OBJ && data->t != J_NULL) { g_err = "\"data\" must be an object"; return -1; }
  if (data && data->nk) {
    if (!(f = tells_arena_alloc(a, data->nk * sizeof *f))) { g_err = "out of memory"; return -1; }
    for (k = data->kid; k; k = k->next, n++) {
      f[n].name = k->key;
      if (enc_value(a, k, &f[n].v)) {
        snprintf(msg, sizeof msg, "data \"%.60s\": %s", k->key, g_err);
        g_err = msg;
        return -1;
      }
    }
  }
  if ((e = tells_evtxw_add_vals(w, &s, f, n)) != TELLS_OK) {
    snprintf(msg, sizeof msg, "record not written: %s%s", tells_strerror(e),
             e == TELLS_EARG ? " (bad user_sid, provider_guid or activity_id)" : "");
    g_err = msg;
    return -1;
  }
  return 0;
range:
  snprintf(msg, sizeof msg, "\"%s\": not a number in range", g_err);
  g_err = msg;
  return -1;
}

int main(int argc, char **argv) {
  const char *outp = NULL, *inp = "-";
  FILE *in, *out;
  char *line = NULL;
  size_t cap = 0;
  ssize_t got;
  unsigned long lineno = 0;
  tells_evtxw *w;
  tells_arena a;
  tells_err e;
  int i, bad = 0;
  for (i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-o") && i + 1 < argc) outp = argv[++i];
    else if (argv[i][0] != '-' || !strcmp(argv[i], "-")) inp = argv[i];
    else { outp = NULL; break; }
  }
  if (!outp) {
    fprintf(stderr, "usage: mkevtx -o OUT.evtx [IN.jsonl|-]\n");
    return 2;
  }
  in = strcmp(inp, "-") ? fopen(inp, "r") : stdin;
  if (!in) { fprintf(stderr, "mkevtx: %s: %s\n", inp, strerror(errno)); return 1; }
  if (!(out = fopen(outp, "wb"))) { fprintf(stderr, "mkevtx: %s: %s\n", outp, strerror(errno)); return 1; }
  if (tells_evtxw_open_file(&w, out) != TELLS_OK) { fprintf(stderr, "mkevtx: out of memory\n"); return 1; }
  tells_arena_init(&a, 64u << 20);
  while ((got = getline(&line, &cap, in)) >= 0) {
    jp j;
    jn root;
    lineno++;
    if ((size_t)got > MAXLINE) { fprintf(stderr, "mkevtx: %s:%lu: line longer than %u bytes\n", inp, lineno, MAXLINE); bad = 1; break; }
    j.p = line; j.len = (size_t)got; j.off = 0; j.a = &a; j.err = NULL;
    ws(&j);
    if (j.off == j.len) continue;           /* blank line */
    g_err = NULL;
    if (jval(&j, &root, 0) || (ws(&j), j.off != j.len && (j.err = "trailing characters"))) {
      fprintf(stderr, "mkevtx: %s:%lu: column %zu: %s\n", inp, lineno, j.off + 1, j.err);
      bad = 1; break;
    }
    if (line_record(w, &a, &root)) {
      fprintf(stderr, "mkevtx: %s:%lu: %s\n", inp, lineno, g_err ? g_err : "bad record");
      bad = 1; break;
    }
    tells_arena_free(&a);
  }
  free(line);
  tells_arena_free(&a);
  if (in != stdin) fclose(in);
  e = tells_evtxw_close(w);
  if (fclose(out) != 0 && !e) e = TELLS_EIO;
  if (bad || e) {
    if (e) fprintf(stderr, "mkevtx: %s: %s\n", outp, tells_strerror(e));
    remove(outp);
    return 1;
  }
  return 0;
}
