/*
** sigma_jsonevent.c -- builds tells_sigma_event records from evtx_dump
** JSON (the Rust evtx crate's output shape, also SigmaHQ's regression
** data): {"Event": {"System": {...}, "EventData": {...} | "UserData": ...}}
** objects one after another, or inside a JSON array.
**
** A small JSON reader (depth-capped, bounds-checked) parses one object into
** a tree in the caller's arena; the tree is then flattened: System facts
** become the event's channel/provider/computer/EventID/time plus fields
** (EventID, Channel, Computer, Provider_Name, Level, Task, ...), EventData
** members become fields by name ("#text" values unwrapped, arrays give one
** field per element), UserData leaves become fields named by their key.
** Used by the Sigma regression test and by any JSON-fed matching.
*/
#include <stdlib.h>
#include <string.h>
#include "arena.h"
#include "sigma.h"
#include "tstamp.h"

#define J_MAX_DEPTH 64
#define J_MAX_FIELDS 4096

enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

typedef struct jn {
  int t;
  const char *s; size_t n;       /* string (decoded), number/bool text */
  size_t nk;                     /* array/object members */
  struct jn *k;                  /* members */
  const char **key; size_t *klen;/* object keys */
} jn;

typedef struct jp {
  const char *p; size_t len, off;
  tells_arena *a;
  int err;
} jp;

static void ws(jp *j) {
  while (j->off < j->len && (j->p[j->off] == ' ' || j->p[j->off] == '\n' ||
                             j->p[j->off] == '\r' || j->p[j->off] == '\t'))
    j->off++;
}

static int hex4(const char *p, uint32_t *out) {
  int i;
  uint32_t v = 0;
  for (i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
    else if ((c | 32) >= 'a' && (c | 32) <= 'f') v |= (uint32_t)((c | 32) - 'a' + 10);
    else return -1;
  }
  *out = v;
  return 0;
}

static size_t utf8(uint32_t cp, char *o) {
  if (cp < 0x80) { o[0] = (char)cp; return 1; }
  if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 63)); return 2; }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 63));
    o[2] = (char)(0x80 | (cp & 63)); return 3;
  }
  o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 63));
  o[2] = (char)(0x80 | ((cp >> 6) & 63)); o[3] = (char)(0x80 | (cp & 63));
  return 4;
}

static int jstr(jp *j, const char **out, size_t *on) {
  size_t start, n = 0;
  char *d;
  if (j->off >= j->len || j->p[j->off] != '"') return -1;
  start = ++j->off;
  /* output is never longer than the input */
  while (j->off < j->len && j->p[j->off] != '"') {
    if (j->p[j->off] == '\\') j->off++;
    j->off++;
  }
  if (j->off >= j->len) return -1;
  d = tells_arena_alloc(j->a, j->off - start + 1);
  if (!d) return -1;
  for (j->off = start; j->p[j->off] != '"';) {
    char c = j->p[j->off++];
    if (c != '\\') { d[n++] = c; continue; }
    c = j->p[j->off++];
    switch (c) {
    case 'n': d[n++] = '\n'; break;
    case 't': d[n++] = '\t'; break;
    case 'r': d[n++] = '\r'; break;
    case 'b': d[n++] = '\b'; break;
    case 'f': d[n++] = '\f'; break;
    case 'u': {
      uint32_t cp, lo;
      if (j->len - j->off < 4 || hex4(j->p + j->off, &cp)) return -1;
      j->off += 4;
      if (cp >= 0xD800 && cp < 0xDC00 && j->len - j->off >= 6 && j->p[j->off] == '\\' &&
          j->p[j->off + 1] == 'u' && !hex4(j->p + j->off + 2, &lo) && lo >= 0xDC00 &&
          lo < 0xE000) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        j->off += 6;
      }
      n += utf8(cp, d + n);   /* 6 input bytes give at most 4 */
      break;
    }
    default: d[n++] = c; break;
    }
  }
  j->off++;
  d[n] = 0;
  *out = d; *on = n;
  return 0;
}

static int jval(jp *j, jn *v, int depth);

static int jmembers(jp *j, jn *v, int obj, int depth) {
  size_t cap = 8;
  char close = obj ? '}' : ']';
  v->t = obj ? J_OBJ : J_ARR;
  v->nk = 0;
  v->k = tells_arena_alloc(j->a, cap * sizeof *v->k);
  v->key = obj ? tells_arena_alloc(j->a, cap * sizeof *v->key) : NULL;
  v->klen = obj ? tells_arena_alloc(j->a, cap * sizeof *v->klen) : NULL;
  if (!v->k || (obj && (!v->key || !v->klen))) return -1;
  j->off++;
  ws(j);
  if (j->off < j->len && j->p[j->off] == close) { j->off++; return 0; }
  for (;;) {
    if (v->nk == cap) {
      jn *nk = tells_arena_alloc(j->a, 2 * cap * sizeof *nk);
      if (!nk) return -1;
      memcpy(nk, v->k, cap * sizeof *nk);
      v->k = nk;
      if (obj) {
        const char **nkey = tells_arena_alloc(j->a, 2 * cap * sizeof *nkey);
        size_t *nl = tells_arena_alloc(j->a, 2 * cap * sizeof *nl);
        if (!nkey || !nl) return -1;
        memcpy(nkey, v->key, cap * sizeof *nkey);
        memcpy(nl, v->klen, cap * sizeof *nl);
        v->key = nkey; v->klen = nl;
      }
      cap *= 2;
    }
    ws(j);
    if (obj) {
      if (jstr(j, &v->key[v->nk], &v->klen[v->nk])) return -1;
      ws(j);
      if (j->off >= j->len || j->p[j->off] != ':') return -1;
      j->off++;
      ws(j);
    }
    if (jval(j, &v->k[v->nk], depth + 1)) return -1;
    v->nk++;
    ws(j);
    if (j->off >= j->len) return -1;
    if (j->p[j->off] == ',') { j->off++; continue; }
    if (j->p[j->off] == close) { j->off++; return 0; }
    return -1;
  }
}

static int jval(jp *j, jn *v, int depth) {
  memset(v, 0, sizeof *v);
  if (depth > J_MAX_DEPTH) return -1;
  ws(j);
  if (j->off >= j->len) return -1;
  switch (j->p[j->off]) {
  case '{': return jmembers(j, v, 1, depth);
  case '[': return jmembers(j, v, 0, depth);
  case '"': v->t = J_STR; return jstr(j, &v->s, &v->n);
  default: {
    size_t st = j->off;
    while (j->off < j->len && !strchr(",}] \t\r\n", j->p[j->off])) j->off++;
    v->n = j->off - st;
    if (v->n == 0) return -1;
    v->s = tells_arena_strndup(j->a, j->p + st, v->n);
    if (!v->s) return -1;
    if (v->n == 4 && !memcmp(v->s, "null", 4)) { v->t = J_NULL; v->s = ""; v->n = 0; }
    else if ((v->n == 4 && !memcmp(v->s, "true", 4)) || (v->n == 5 && !memcmp(v->s, "false", 5))) v->t = J_BOOL;
    else v->t = J_NUM;
    return 0;
  }
  }
}

static const jn *jget(const jn *o, const char *key) {
  size_t i, kl = strlen(key);
  if (!o || o->t != J_OBJ) return NULL;
  for (i = 0; i < o->nk; i++)
    if (o->klen[i] == kl && !memcmp(o->key[i], key, kl)) return &o->k[i];
  return NULL;
}

/* Scalar text of v (unwrapping {"#text": x}); NULL for containers. */
static const jn *scalar(const jn *v) {
  if (!v) return NULL;
  if (v->t == J_OBJ) {
    const jn *t = jget(v, "#text");
    if (t && t->t != J_OBJ && t->t != J_ARR) return t;
    return NULL;
  }
  if (v->t == J_ARR) return NULL;
  return v;
}

typedef struct fl { tells_sigma_field *f; size_t n, cap; tells_arena *a; } fl;

static int add_field(fl *F, const char *name, size_t nn, const char *v, size_t vn) {
  if (F->n >= J_MAX_FIELDS) return 0;
  if (F->n == F->cap) {
    size_t nc = F->cap ? F->cap * 2 : 32;
    tells_sigma_field *nf = tells_arena_alloc(F->a, nc * sizeof *nf);
    if (!nf) return -1;
    if (F->n) memcpy(nf, F->f, F->n * sizeof *nf);
    F->f = nf; F->cap = nc;
  }
  F->f[F->n].name = name; F->f[F->n].name_len = nn;
  F->f[F->n].val = v; F->f[F->n].val_len = vn;
  F->n++;
  return 0;
}

static int flatten(fl *F, const char *name, size_t nn, const jn *v, int depth) {
  size_t i;
  const jn *s = scalar(v);
  if (depth > J_MAX_DEPTH) return 0;
  if (s) return add_field(F, name, nn, s->s, s->n);
  if (v->t == J_ARR) {
    for (i = 0; i < v->nk; i++)
      if (flatten(F, name, nn, &v->k[i], depth + 1)) return -1;
    return 0;
  }
  if (v->t == J_OBJ) {
    const jn *t = jget(v, "#text");
    if (t && t->t == J_ARR) return flatten(F, name, nn, t, depth + 1);
    for (i = 0; i < v->nk; i++) {
      if (v->klen[i] == 11 && !memcmp(v->key[i], "#attributes", 11)) {
        const jn *at = &v->k[i];
        size_t q;
        /* <Data Name="x">v</Data> style attributes: keep as fields */
        for (q = 0; at->t == J_OBJ && q < at->nk; q++)
          if (flatten(F, at->key[q], at->klen[q], &at->k[q], depth + 1)) return -1;
        continue;
      }
      if (flatten(F, v->key[i], v->klen[i], &v->k[i], depth + 1)) return -1;
    }
  }
  return 0;
}

int tells_sigma_json_next(const char *buf, size_t len, size_t *off,
                          struct tells_arena *a, tells_sigma_event *ev) {
  jp j;
  jn root;
  const jn *e, *sys, *v;
  fl F;
  memset(ev, 0, sizeof *ev);
  j.p = buf; j.len = len; j.off = *off; j.a = a; j.err = 0;
  /* skip whitespace, array brackets and commas between objects */
  while (j.off < len && strchr(" \t\r\n,[]", buf[j.off]) && buf[j.off]) j.off++;
  if (j.off >= len) { *off = len; return 0; }
  if (buf[j.off] != '{') { *off = len; return TELLS_ECORRUPT; }
  if (jval(&j, &root, 0)) {
    /* resynchronise after the bad object: next line starting with '{' */
    size_t q = j.off > *off ? j.off : *off + 1;
    while (q < len && !(buf[q] == '{' && (q == 0 || buf[q - 1] == '\n'))) q++;
    *off = q;
    return TELLS_ECORRUPT;
  }
  *off = j.off;
  e = jget(&root, "Event");
  if (!e) e = &root;
  memset(&F, 0, sizeof F);
  F.a = a;
  sys = jget(e, "System");
  if (sys && sys->t != J_OBJ) sys = NULL;
  ev->time_ns = INT64_MIN;
  if (sys) {
    const jn *pv = jget(jget(jget(sys, "Provider"), "#attributes"), "Name");
    const jn *tc = jget(jget(jget(sys, "TimeCreated"), "#attributes"), "SystemTime");
    size_t i;
    v = scalar(jget(sys, "EventID"));
    if (v) ev->event_id = (uint32_t)strtoul(v->s, NULL, 10);
    v = scalar(jget(sys, "Channel"));
    if (v) ev->channel = v->s;
    v = scalar(jget(sys, "Computer"));
    if (v) ev->computer = v->s;
    if (pv && pv->t == J_STR) {
      ev->provider = pv->s;
      if (add_field(&F, "Provider_Name", 13, pv->s, pv->n)) return TELLS_ENOMEM;
    }
    if (tc && tc->t == J_STR) ev->time_ns = tells_tstamp_parse(tc->s, tc->n, NULL);
    for (i = 0; i < sys->nk; i++) {
      const jn *sv = scalar(&sys->k[i]);
      if (sv && add_field(&F, sys->key[i], sys->klen[i], sv->s, sv->n)) return TELLS_ENOMEM;
    }
    v = jget(jget(jget(sys, "Security"), "#attributes"), "UserID");
    if (v && v->t == J_STR && add_field(&F, "UserID", 6, v->s, v->n)) return TELLS_ENOMEM;
  }
  v = jget(e, "EventData");
  if (v && v->t == J_OBJ) {
    size_t i;
    for (i = 0; i < v->nk; i++) {
      if (v->klen[i] == 11 && !memcmp(v->key[i], "#attributes", 11)) continue;
      if (flatten(&F, v->key[i], v->klen[i], &v->k[i], 0)) return TELLS_ENOMEM;
    }
  }
  v = jget(e, "UserData");
  if (v && v->t == J_OBJ && flatten(&F, "UserData", 8, v, 0)) return TELLS_ENOMEM;
  ev->fields = F.f;
  ev->n_fields = F.n;
  return 1;
}
