/*
** caps.c -- the capability catalogue: rule files parsed with the bounded
** cursor, and matching of a PE's imports, strings and resources against
** them (contract in caps.h, rule format in docs/capabilities.md).
**
** String patterns of all rules are matched in one pass over each string:
** a 65536-bit table of the patterns' first two lowercased characters
** filters positions, and only positions whose pair starts a pattern are
** compared.  Imports go into a hash table keyed by the lowercased function
** name (also without its A/W suffix, and "#N" for ordinals).
*/
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "alloc.h"
#include "caps.h"
#include "ingest.h"
#include "pe_int.h"
#include "rd.h"
#include "strs.h"

enum { IT_IMPORT, IT_STRING, IT_RES_TYPE, IT_RES_PE, IT_RES_DRIVER, IT_RES_MZ };
enum { G_ALL, G_ANY, G_ATLEAST };

typedef struct item {
  uint8_t kind;
  const char *dll;         /* import: normalised dll, NULL for any */
  const char *fn;          /* import: lowercased name, or "#N" */
  uint32_t pat;            /* string: pattern index */
  uint32_t rtype;          /* resource type id, or 0 with rtype_name */
  const char *rtype_name;
  const char *text;        /* the item as written, for messages */
} item;

typedef struct group { uint8_t op; uint32_t min, first, n; } group;
typedef struct alt { const char *confidence; uint32_t first, n; } alt;
typedef struct pat { const char *text; uint32_t len, next; uint16_t bigram; } pat;

struct tells_caps {
  tells_arena arena;                     /* every string of the catalogue */
  tells_caps_rule *rules; size_t n_rules, cap_rules;
  alt *alts; size_t n_alts, cap_alts;
  group *groups; size_t n_groups, cap_groups;
  item *items; size_t n_items, cap_items;
  pat *pats; size_t n_pats, cap_pats;
  uint64_t bigram_bits[1024];            /* 65536 bits: pairs that start a pattern */
  uint32_t bucket[256];                  /* pair hash -> first pattern + 1 */
};

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int grow(void **v, size_t *cap, size_t n, size_t sz) {
  void *p;
  size_t nc;
  if (n < *cap) return 1;
  nc = *cap ? *cap * 2 : 16;
  p = tells_realloc(*v, nc * sz);
  if (!p) return 0;
  *v = p; *cap = nc;
  return 1;
}
#define GROW(c, arr) grow((void **)&(c)->arr, &(c)->cap_##arr, (c)->n_##arr, sizeof *(c)->arr)

tells_caps *tells_caps_new(void) {
  tells_caps *c = tells_calloc(1, sizeof *c);
  if (c) tells_arena_init(&c->arena, 64u << 20);
  return c;
}

void tells_caps_destroy(tells_caps *c) {
  if (!c) return;
  tells_arena_free(&c->arena);
  tells_free(c->rules); tells_free(c->alts); tells_free(c->groups);
  tells_free(c->items); tells_free(c->pats);
  tells_free(c);
}

size_t tells_caps_n_rules(const tells_caps *c) { return c ? c->n_rules : 0; }
const tells_caps_rule *tells_caps_rule_at(const tells_caps *c, size_t i) {
  return c && i < c->n_rules ? &c->rules[i] : NULL;
}

/* ---- parsing ----------------------------------------------------------- */

typedef struct parser {
  tells_caps *c;
  const char *name;
  uint32_t line;
  char *err; size_t errsz;
  tells_caps_rule *rule;   /* open rule, or NULL */
  int in_group;
} parser;

static tells_err fail(parser *P, tells_err e, const char *msg, const char *arg) {
  snprintf(P->err, P->errsz, "%s:%u: %s%s%s", P->name, P->line, msg, arg ? ": " : "", arg ? arg : "");
  return e;
}

static char *dupn(parser *P, const char *s, size_t n) {
  return tells_arena_strndup(&P->c->arena, s, n);
}

/* The next word of [*s, e): sets *w, *wn and moves *s past it and spaces. */
static void word(const char **s, const char *e, const char **w, size_t *wn) {
  const char *p = *s;
  while (p < e && (*p == ' ' || *p == '\t')) p++;
  *w = p;
  while (p < e && *p != ' ' && *p != '\t') p++;
  *wn = (size_t)(p - *w);
  while (p < e && (*p == ' ' || *p == '\t')) p++;
  *s = p;
}

static int is(const char *w, size_t n, const char *k) { return strlen(k) == n && memcmp(w, k, n) == 0; }

static int valid_id(const char *w, size_t n) {
  size_t i;
  if (n == 0 || n > 64) return 0;
  for (i = 0; i < n; i++)
    if (!((w[i] >= 'a' && w[i] <= 'z') || (w[i] >= '0' && w[i] <= '9') || w[i] == '-' || w[i] == '.' || w[i] == '_')) return 0;
  return 1;
}

static int valid_attack(const char *w, size_t n) {
  size_t i;
  if (n != 5 && n != 9) return 0;
  if (w[0] != 'T') return 0;
  for (i = 1; i < 5; i++) if (w[i] < '0' || w[i] > '9') return 0;
  if (n == 9) {
    if (w[5] != '.') return 0;
    for (i = 6; i < 9; i++) if (w[i] < '0' || w[i] > '9') return 0;
  }
  return 1;
}

static const char *level(const char *w, size_t n, int sev) {
  static const char *const lv[] = {"info", "low", "medium", "high", "critical", NULL};
  int i;
  for (i = sev ? 0 : 1; lv[i]; i++)
    if (is(w, n, lv[i]) && (sev || i <= 3)) return lv[i];
  return NULL;
}

/* Normalised dll name: lowercased, without a ".dll" suffix. */
static char *norm_dll(tells_arena *a, const char *s, size_t n) {
  char *d = tells_arena_strndup(a, s, n);
  size_t i;
  if (!d) return NULL;
  for (i = 0; i < n; i++) d[i] = (char)lower((unsigned char)d[i]);
  if (n > 4 && strcmp(d + n - 4, ".dll") == 0) d[n - 4] = 0;
  return d;
}

static tells_err add_pattern(parser *P, const char *s, size_t n, uint32_t *idx) {
  tells_caps *c = P->c;
  char *t;
  size_t i;
  uint16_t bg;
  uint32_t h;
  for (i = 0; i < c->n_pats; i++)
    if (c->pats[i].len == n && strncasecmp(c->pats[i].text, s, n) == 0) { *idx = (uint32_t)i; return TELLS_OK; }
  if (!GROW(c, pats) || !(t = dupn(P, s, n))) return fail(P, TELLS_ENOMEM, "out of memory", NULL);
  for (i = 0; i < n; i++) t[i] = (char)lower((unsigned char)t[i]);
  bg = (uint16_t)((unsigned char)t[0] << 8 | (unsigned char)t[1]);
  h = (uint32_t)((bg * 40503u) >> 8) & 255;
  c->pats[c->n_pats].text = t;
  c->pats[c->n_pats].len = (uint32_t)n;
  c->pats[c->n_pats].bigram = bg;
  c->pats[c->n_pats].next = c->bucket[h];
  c->bucket[h] = (uint32_t)c->n_pats + 1;
  c->bigram_bits[bg >> 6] |= 1ull << (bg & 63);
  *idx = (uint32_t)c->n_pats++;
  return TELLS_OK;
}

/* The text of a string item: raw to the end of the line, or "quoted" with
** \" and \\ escapes. */
static tells_err string_arg(parser *P, const char *s, const char *e, char *out, size_t *n) {
  size_t k = 0;
  while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) e--;
  if (s < e && *s == '"') {
    s++;
    while (s < e && *s != '"') {
      if (*s == '\\' && s + 1 < e) s++;
      if (k >= TELLS_CAPS_MAX_VALUE - 1) return fail(P, TELLS_ECORRUPT, "string too long", NULL);
      out[k++] = *s++;
    }
    if (s >= e || s + 1 != e) return fail(P, TELLS_ECORRUPT, "unterminated or trailing text after quoted string", NULL);
  } else {
    while (s < e) {
      if (k >= TELLS_CAPS_MAX_VALUE - 1) return fail(P, TELLS_ECORRUPT, "string too long", NULL);
      out[k++] = *s++;
    }
  }
  out[k] = 0;
  *n = k;
  if (k < 3) return fail(P, TELLS_ECORRUPT, "string pattern shorter than 3 characters", NULL);
  for (k = 0; k < *n; k++)
    if ((unsigned char)out[k] < 0x20 || (unsigned char)out[k] > 0x7e)
      if (out[k] != '\t') return fail(P, TELLS_ECORRUPT, "string pattern must be printable ASCII", NULL);
  return TELLS_OK;
}

static const char *const rtypes[] = {
  NULL, "CURSOR", "BITMAP", "ICON", "MENU", "DIALOG", "STRING", "FONTDIR", "FONT",
  "ACCELERATOR", "RCDATA", "MESSAGETABLE", "GROUP_CURSOR", NULL, "GROUP_ICON", NULL,
  "VERSION", "DLGINCLUDE", NULL, "PLUGPLAY", "VXD", "ANICURSOR", "ANIICON", "HTML",
  "MANIFEST"};
#define N_RTYPES (sizeof rtypes / sizeof rtypes[0])

static tells_err parse_item(parser *P, const char *kw, size_t kn, const char *s, const char *e) {
  tells_caps *c = P->c;
  item it;
  const char *w;
  size_t wn;
  tells_err r;
  memset(&it, 0, sizeof it);
  if (!P->in_group) return fail(P, TELLS_ECORRUPT, "item outside a group (start one with all, any or at-least N)", NULL);
  if (c->n_items >= TELLS_CAPS_MAX_RULES * 16u) return fail(P, TELLS_ELIMIT, "too many items", NULL);
  if (is(kw, kn, "import")) {
    const char *bang;
    word(&s, e, &w, &wn);
    bang = wn ? memchr(w, '!', wn) : NULL;
    if (!bang || bang == w || bang + 1 == w + wn || s != e)
      return fail(P, TELLS_ECORRUPT, "expected import DLL!FUNCTION, *!FUNCTION or DLL!#ORDINAL", NULL);
    it.kind = IT_IMPORT;
    if (!(bang - w == 1 && w[0] == '*') && !(it.dll = norm_dll(&c->arena, w, (size_t)(bang - w))))
      return fail(P, TELLS_ENOMEM, "out of memory", NULL);
    if (bang[1] == '#') {
      size_t i, dn = (size_t)(w + wn - bang - 2);
      if (dn == 0 || dn > 5) return fail(P, TELLS_ECORRUPT, "bad ordinal", NULL);
      for (i = 0; i < dn; i++) if (bang[2 + i] < '0' || bang[2 + i] > '9') return fail(P, TELLS_ECORRUPT, "bad ordinal", NULL);
      if (!it.dll) return fail(P, TELLS_ECORRUPT, "an ordinal needs a dll name", NULL);
    }
    {
      char *f = dupn(P, bang + 1, (size_t)(w + wn - bang - 1));
      size_t i;
      if (!f) return fail(P, TELLS_ENOMEM, "out of memory", NULL);
      for (i = 0; f[i]; i++) f[i] = (char)lower((unsigned char)f[i]);
      it.fn = f;
    }
  } else if (is(kw, kn, "string")) {
    char buf[TELLS_CAPS_MAX_VALUE];
    size_t n;
    if ((r = string_arg(P, s, e, buf, &n))) return r;
    it.kind = IT_STRING;
    if ((r = add_pattern(P, buf, n, &it.pat))) return r;
  } else if (is(kw, kn, "resource")) {
    word(&s, e, &w, &wn);
    if (is(w, wn, "pe")) it.kind = IT_RES_PE;
    else if (is(w, wn, "driver")) it.kind = IT_RES_DRIVER;
    else if (is(w, wn, "mz")) it.kind = IT_RES_MZ;
    else if (is(w, wn, "type")) {
      word(&s, e, &w, &wn);
      if (!wn) return fail(P, TELLS_ECORRUPT, "resource type needs a name or number", NULL);
      it.kind = IT_RES_TYPE;
      if (w[0] >= '0' && w[0] <= '9') {
        size_t i;
        for (i = 0; i < wn && i < 6; i++) {
          if (w[i] < '0' || w[i] > '9') return fail(P, TELLS_ECORRUPT, "bad resource type number", NULL);
          it.rtype = it.rtype * 10 + (uint32_t)(w[i] - '0');
        }
        if (wn > 5 || it.rtype > 65535) return fail(P, TELLS_ECORRUPT, "bad resource type number", NULL);
      } else if (!(it.rtype_name = dupn(P, w, wn))) {
        return fail(P, TELLS_ENOMEM, "out of memory", NULL);
      }
    } else {
      return fail(P, TELLS_ECORRUPT, "expected resource pe, driver, mz or type NAME", NULL);
    }
    if (s != e) return fail(P, TELLS_ECORRUPT, "trailing text after resource item", NULL);
  } else {
    char k[32];
    snprintf(k, sizeof k, "%.*s", (int)(kn < 24 ? kn : 24), kw);
    return fail(P, TELLS_ECORRUPT, "unknown keyword", k);
  }
  if (c->groups[c->n_groups - 1].n >= TELLS_CAPS_MAX_ITEMS) return fail(P, TELLS_ELIMIT, "too many items in a group", NULL);
  if (!GROW(c, items)) return fail(P, TELLS_ENOMEM, "out of memory", NULL);
  c->items[c->n_items++] = it;
  c->groups[c->n_groups - 1].n++;
  return TELLS_OK;
}

/* Checks the open group (at-least N must have N items). */
static tells_err close_group(parser *P) {
  group *g;
  if (!P->in_group) return TELLS_OK;
  g = &P->c->groups[P->c->n_groups - 1];
  P->in_group = 0;
  if (g->n == 0) return fail(P, TELLS_ECORRUPT, "empty group", NULL);
  if (g->op == G_ATLEAST && g->min > g->n) return fail(P, TELLS_ECORRUPT, "at-least N larger than the group", NULL);
  return TELLS_OK;
}

static tells_err new_alt(parser *P, const char *conf) {
  tells_caps *c = P->c;
  if (!GROW(c, alts)) return fail(P, TELLS_ENOMEM, "out of memory", NULL);
  c->alts[c->n_alts].confidence = conf;
  c->alts[c->n_alts].first = (uint32_t)c->n_groups;
  c->alts[c->n_alts].n = 0;
  c->n_alts++;
  P->rule->n_alts++;
  return TELLS_OK;
}

static tells_err line_in_rule(parser *P, const char *s, const char *e) {
  tells_caps *c = P->c;
  tells_caps_rule *R = P->rule;
  const char *kw, *w;
  size_t kn, wn;
  tells_err r;
  word(&s, e, &kw, &kn);
  if (is(kw, kn, "name")) {
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) e--;
    if (s == e) return fail(P, TELLS_ECORRUPT, "empty name", NULL);
    if (!(R->name = dupn(P, s, (size_t)(e - s)))) return fail(P, TELLS_ENOMEM, "out of memory", NULL);
    return TELLS_OK;
  }
  if (is(kw, kn, "attack") || is(kw, kn, "tactic") || is(kw, kn, "severity") || is(kw, kn, "confidence")) {
    word(&s, e, &w, &wn);
    if (s != e || !wn) return fail(P, TELLS_ECORRUPT, "expected one word after", kw[0] == 'a' ? "attack" : kw[0] == 't' ? "tactic" : kw[0] == 's' ? "severity" : "confidence");
    if (kw[0] == 'a') {
      if (!valid_attack(w, wn)) return fail(P, TELLS_ECORRUPT, "ATT&CK id must look like T1234 or T1234.001", NULL);
      if (!(R->attack = dupn(P, w, wn))) return fail(P, TELLS_ENOMEM, "out of memory", NULL);
    } else if (kw[0] == 't') {
      if (!valid_id(w, wn)) return fail(P, TELLS_ECORRUPT, "tactic must be an ATT&CK tactic short name", NULL);
      if (!(R->tactic = dupn(P, w, wn))) return fail(P, TELLS_ENOMEM, "out of memory", NULL);
    } else if (kw[0] == 's') {
      if (!(R->severity = level(w, wn, 1))) return fail(P, TELLS_ECORRUPT, "severity must be info, low, medium, high or critical", NULL);
    } else {
      const char *cf = level(w, wn, 0);
      if (!cf) return fail(P, TELLS_ECORRUPT, "confidence must be low, medium or high", NULL);
      if (c->alts[R->first_alt + R->n_alts - 1].n) return fail(P, TELLS_ECORRUPT, "confidence must come before the groups (or after 'or')", NULL);
      c->alts[R->first_alt + R->n_alts - 1].confidence = cf;
    }
    return TELLS_OK;
  }
  if (is(kw, kn, "all") || is(kw, kn, "any") || is(kw, kn, "at-least")) {
    group g;
    if ((r = close_group(P))) return r;
    memset(&g, 0, sizeof g);
    g.op = kw[1] == 'l' ? G_ALL : kw[1] == 'n' ? G_ANY : G_ATLEAST;
    g.first = (uint32_t)c->n_items;
    if (g.op == G_ATLEAST) {
      size_t i;
      word(&s, e, &w, &wn);
      if (!wn || wn > 3) return fail(P, TELLS_ECORRUPT, "at-least needs a number", NULL);
      for (i = 0; i < wn; i++) {
        if (w[i] < '0' || w[i] > '9') return fail(P, TELLS_ECORRUPT, "at-least needs a number", NULL);
        g.min = g.min * 10 + (uint32_t)(w[i] - '0');
      }
      if (g.min == 0) return fail(P, TELLS_ECORRUPT, "at-least needs a number above 0", NULL);
    }
    if (s != e) return fail(P, TELLS_ECORRUPT, "trailing text after group keyword", NULL);
    if (!GROW(c, groups)) return fail(P, TELLS_ENOMEM, "out of memory", NULL);
    c->groups[c->n_groups++] = g;
    c->alts[c->n_alts - 1].n++;
    P->in_group = 1;
    return TELLS_OK;
  }
  if (is(kw, kn, "or")) {
    const char *cf = "medium";
    if ((r = close_group(P))) return r;
    if (c->alts[c->n_alts - 1].n == 0) return fail(P, TELLS_ECORRUPT, "'or' after an alternative without groups", NULL);
    word(&s, e, &w, &wn);
    if (wn) {
      if (!is(w, wn, "confidence")) return fail(P, TELLS_ECORRUPT, "expected 'or' or 'or confidence LEVEL'", NULL);
      word(&s, e, &w, &wn);
      if (!(cf = level(w, wn, 0)) || s != e) return fail(P, TELLS_ECORRUPT, "confidence must be low, medium or high", NULL);
    }
    if (R->n_alts >= 64) return fail(P, TELLS_ELIMIT, "too many alternatives", NULL);
    return new_alt(P, cf);
  }
  if (is(kw, kn, "end")) {
    size_t i;
    if (s != e) return fail(P, TELLS_ECORRUPT, "trailing text after end", NULL);
    if ((r = close_group(P))) return r;
    if (!R->name) return fail(P, TELLS_ECORRUPT, "rule without a name", R->id);
    if (!R->attack) return fail(P, TELLS_ECORRUPT, "rule without an attack technique", R->id);
    for (i = 0; i < R->n_alts; i++)
      if (!c->alts[R->first_alt + i].n) return fail(P, TELLS_ECORRUPT, "rule (or alternative) without groups", R->id);
    if (!R->severity) R->severity = "medium";
    P->rule = NULL;
    return TELLS_OK;
  }
  if (is(kw, kn, "rule")) return fail(P, TELLS_ECORRUPT, "rule inside a rule (missing end)", R->id);
  return parse_item(P, kw, kn, s, e);
}

static tells_err line_outside(parser *P, const char *s, const char *e) {
  tells_caps *c = P->c;
  tells_caps_rule *R;
  const char *kw, *w;
  size_t kn, wn, i;
  word(&s, e, &kw, &kn);
  if (!is(kw, kn, "rule")) return fail(P, TELLS_ECORRUPT, "expected 'rule ID'", NULL);
  word(&s, e, &w, &wn);
  if (!valid_id(w, wn) || s != e) return fail(P, TELLS_ECORRUPT, "rule id must be 1-64 of a-z 0-9 - . _", NULL);
  for (i = 0; i < c->n_rules; i++)
    if (is(w, wn, c->rules[i].id)) return fail(P, TELLS_ECORRUPT, "duplicate rule id", c->rules[i].id);
  if (c->n_rules >= TELLS_CAPS_MAX_RULES) return fail(P, TELLS_ELIMIT, "too many rules", NULL);
  if (!GROW(c, rules)) return fail(P, TELLS_ENOMEM, "out of memory", NULL);
  R = &c->rules[c->n_rules];
  memset(R, 0, sizeof *R);
  if (!(R->id = dupn(P, w, wn)) || !(R->file = dupn(P, P->name, strlen(P->name))))
    return fail(P, TELLS_ENOMEM, "out of memory", NULL);
  R->line = P->line;
  R->first_alt = (uint32_t)c->n_alts;
  c->n_rules++;
  P->rule = R;
  return new_alt(P, "medium");
}

tells_err tells_caps_parse(tells_caps *c, const char *name, const uint8_t *text,
                           size_t len, char *err, size_t errsz) {
  parser P;
  tells_rd r = tells_rd_make(text, len, 0);
  size_t n_rules0 = c->n_rules, n_alts0 = c->n_alts, n_groups0 = c->n_groups, n_items0 = c->n_items;
  tells_err e = TELLS_OK;
  memset(&P, 0, sizeof P);
  P.c = c; P.name = name; P.err = err; P.errsz = errsz;
  if (errsz) err[0] = 0;
  if (len > TELLS_CAPS_MAX_FILE) { P.line = 0; e = fail(&P, TELLS_ELIMIT, "rule file larger than 1 MiB", NULL); goto out; }
  while (tells_rd_left(&r)) {
    const char *s, *nl, *end;
    size_t left = tells_rd_left(&r), n;
    P.line++;
    nl = memchr(r.p + r.off, '\n', left);
    n = nl ? (size_t)(nl - (const char *)(r.p + r.off)) : left;
    s = (const char *)tells_rd_bytes(&r, n);
    if (nl) tells_rd_skip(&r, 1);
    if (!s) break;
    if (n > TELLS_CAPS_MAX_LINE) { e = fail(&P, TELLS_ELIMIT, "line longer than 1024 bytes", NULL); goto out; }
    if (memchr(s, 0, n)) { e = fail(&P, TELLS_ECORRUPT, "NUL byte in rule file", NULL); goto out; }
    end = s + n;
    if (end > s && end[-1] == '\r') end--;
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    if (s == end || *s == '#') continue;
    e = P.rule ? line_in_rule(&P, s, end) : line_outside(&P, s, end);
    if (e) goto out;
  }
  if (P.rule) { e = fail(&P, TELLS_ECORRUPT, "missing 'end' of rule", P.rule->id); goto out; }
out:
  if (e) {   /* drop the rules of this file; patterns may stay (unused) */
    c->n_rules = n_rules0; c->n_alts = n_alts0; c->n_groups = n_groups0; c->n_items = n_items0;
  }
  return e;
}

/* ---- loading ----------------------------------------------------------- */

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

tells_err tells_caps_load_dir(const char *dir, tells_caps **out, char *err, size_t errsz) {
  DIR *d;
  struct dirent *de;
  char *names[TELLS_CAPS_MAX_FILES];
  size_t nn = 0, i;
  tells_caps *c;
  tells_err e = TELLS_OK;
  *out = NULL;
  if (errsz) err[0] = 0;
  if (!(d = opendir(dir))) { snprintf(err, errsz, "%s: cannot open rules folder", dir); return TELLS_EIO; }
  while ((de = readdir(d))) {
    size_t l = strlen(de->d_name);
    if (l < 7 || strcmp(de->d_name + l - 6, ".rules") != 0 || de->d_name[0] == '.') continue;
    if (nn >= TELLS_CAPS_MAX_FILES) { snprintf(err, errsz, "%s: more than %u rule files", dir, TELLS_CAPS_MAX_FILES); e = TELLS_ELIMIT; break; }
    if (!(names[nn] = tells_strdup(de->d_name))) { e = TELLS_ENOMEM; snprintf(err, errsz, "%s: out of memory", dir); break; }
    nn++;
  }
  closedir(d);
  if (!e) qsort(names, nn, sizeof names[0], by_name);
  c = e ? NULL : tells_caps_new();
  if (!e && !c) { e = TELLS_ENOMEM; snprintf(err, errsz, "%s: out of memory", dir); }
  for (i = 0; !e && i < nn; i++) {
    char path[PATH_MAX];
    FILE *f;
    uint8_t *buf;
    size_t n;
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    if (!(f = fopen(path, "rb"))) { snprintf(err, errsz, "%s: cannot open", path); e = TELLS_EIO; break; }
    buf = tells_malloc(TELLS_CAPS_MAX_FILE + 1);
    n = buf ? fread(buf, 1, TELLS_CAPS_MAX_FILE + 1, f) : 0;
    if (!buf || ferror(f)) { snprintf(err, errsz, "%s: cannot read", path); e = buf ? TELLS_EIO : TELLS_ENOMEM; }
    fclose(f);
    if (!e) e = tells_caps_parse(c, path, buf, n, err, errsz);
    tells_free(buf);
  }
  for (i = 0; i < nn; i++) tells_free(names[i]);
  if (!e && c && c->n_rules == 0) { snprintf(err, errsz, "%s: no rules (*.rules files)", dir); e = TELLS_EEMPTY; }
  if (e) { tells_caps_destroy(c); return e; }
  *out = c;
  return TELLS_OK;
}

static pthread_once_t def_once = PTHREAD_ONCE_INIT;
static tells_caps *def_caps;
static tells_err def_err;
static char def_msg[512];

static int is_dir(const char *p) {
  DIR *d = opendir(p);
  if (d) closedir(d);
  return d != NULL;
}

static void load_default(void) {
  const char *env = getenv("TELLS_CAPS_RULES");
  char exe[PATH_MAX], dir[PATH_MAX + 64];
  ssize_t n;
  if (env && *env) { def_err = tells_caps_load_dir(env, &def_caps, def_msg, sizeof def_msg); return; }
#ifdef TELLS_RULES_DIR
  if (is_dir(TELLS_RULES_DIR "/capabilities")) {
    def_err = tells_caps_load_dir(TELLS_RULES_DIR "/capabilities", &def_caps, def_msg, sizeof def_msg);
    return;
  }
#endif
  n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    char *slash;
    exe[n] = 0;
    if ((slash = strrchr(exe, '/'))) *slash = 0;
    snprintf(dir, sizeof dir, "%s/../share/tells/rules/capabilities", exe);
    if (is_dir(dir)) { def_err = tells_caps_load_dir(dir, &def_caps, def_msg, sizeof def_msg); return; }
  }
  snprintf(def_msg, sizeof def_msg, "no capability rules found: set TELLS_CAPS_RULES to the rules/capabilities folder");
  def_err = TELLS_EIO;
}

tells_err tells_caps_default(const tells_caps **out, char *err, size_t errsz) {
  pthread_once(&def_once, load_default);
  *out = def_caps;
  if (errsz) snprintf(err, errsz, "%s", def_msg);
  return def_err;
}

/* ---- matching ---------------------------------------------------------- */

typedef struct found { int64_t off; const char *value; } found;   /* value NULL: not seen */

typedef struct imp { uint32_t h; const char *key, *dll, *shown; } imp;

struct tells_caps_match {
  const tells_caps *c;
  tells_arena *a;
  found *pf;               /* per pattern */
  size_t left;             /* patterns not yet seen */
  tells_err err;
};

tells_err tells_caps_match_new(const tells_caps *c, tells_arena *a, tells_caps_match **out) {
  tells_caps_match *m = tells_arena_alloc(a, sizeof *m);
  *out = NULL;
  if (!m) return TELLS_ELIMIT;
  memset(m, 0, sizeof *m);
  m->c = c; m->a = a; m->left = c->n_pats;
  if (c->n_pats) {
    if (!(m->pf = tells_arena_alloc(a, c->n_pats * sizeof *m->pf))) return TELLS_ELIMIT;
    memset(m->pf, 0, c->n_pats * sizeof *m->pf);
  }
  *out = m;
  return TELLS_OK;
}

void tells_caps_feed(void *ud, const char *s, size_t n, uint64_t off, int wide) {
  tells_caps_match *m = ud;
  const tells_caps *c = m->c;
  size_t i;
  (void)wide;
  if (!m->left || n < 2) return;
  for (i = 0; i + 1 < n; i++) {
    uint16_t bg = (uint16_t)(lower((unsigned char)s[i]) << 8 | lower((unsigned char)s[i + 1]));
    uint32_t k;
    if (!(c->bigram_bits[bg >> 6] >> (bg & 63) & 1)) continue;
    for (k = c->bucket[(uint32_t)((bg * 40503u) >> 8) & 255]; k; k = c->pats[k - 1].next) {
      const pat *p = &c->pats[k - 1];
      size_t j;
      if (p->bigram != bg || m->pf[k - 1].value || p->len > n - i) continue;
      for (j = 2; j < p->len && lower((unsigned char)s[i + j]) == (unsigned char)p->text[j]; j++) {}
      if (j < p->len) continue;
      m->pf[k - 1].value = tells_arena_strndup(m->a, s, n < TELLS_CAPS_MAX_VALUE ? n : TELLS_CAPS_MAX_VALUE);
      if (!m->pf[k - 1].value) { m->err = TELLS_ELIMIT; m->left = 0; return; }
      m->pf[k - 1].off = (int64_t)off;
      if (--m->left == 0) return;
    }
  }
}

static uint32_t hstr(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) { h ^= (uint8_t)*s; h *= 16777619u; }
  return h | 1;
}

typedef struct impset { imp *v; size_t mask; } impset;

static int imp_add(impset *t, const char *key, const char *dll, const char *shown) {
  uint32_t h = hstr(key);
  size_t k;
  for (k = h & t->mask; t->v[k].h; k = (k + 1) & t->mask)
    if (t->v[k].h == h && strcmp(t->v[k].key, key) == 0 && strcmp(t->v[k].dll, dll) == 0) return 1;
  t->v[k].h = h; t->v[k].key = key; t->v[k].dll = dll; t->v[k].shown = shown;
  return 1;
}

static const imp *imp_find(const impset *t, const char *dll, const char *key) {
  uint32_t h = hstr(key);
  size_t k;
  if (!t->v) return NULL;
  for (k = h & t->mask; t->v[k].h; k = (k + 1) & t->mask)
    if (t->v[k].h == h && strcmp(t->v[k].key, key) == 0 && (!dll || strcmp(t->v[k].dll, dll) == 0))
      return &t->v[k];
  return NULL;
}

static tells_err build_imports(tells_arena *a, const tells_pe *pe, impset *t) {
  size_t total = 0, cap = 16, i, j, pass;
  memset(t, 0, sizeof *t);
  for (i = 0; i < pe->n_imports; i++) total += pe->imports[i].n_fns;
  for (i = 0; i < pe->n_delay_imports; i++) total += pe->delay_imports[i].n_fns;
  if (!total) return TELLS_OK;
  while (cap < total * 4) cap *= 2;
  if (!(t->v = tells_arena_alloc(a, cap * sizeof *t->v))) return TELLS_ELIMIT;
  memset(t->v, 0, cap * sizeof *t->v);
  t->mask = cap - 1;
  for (pass = 0; pass < 2; pass++) {
    const tells_pe_import *im = pass ? pe->delay_imports : pe->imports;
    size_t ni = pass ? pe->n_delay_imports : pe->n_imports;
    for (i = 0; i < ni; i++) {
      const char *dll = norm_dll(a, im[i].dll, strlen(im[i].dll));
      if (!dll) return TELLS_ELIMIT;
      for (j = 0; j < im[i].n_fns; j++) {
        const tells_pe_import_fn *f = &im[i].fns[j];
        char key[300], shown[600];
        const char *name = f->name;
        char *k, *sh;
        size_t l;
        if (!name) {
          char full[64];
          size_t q;
          snprintf(full, sizeof full, "%s", im[i].dll);
          for (q = 0; full[q]; q++) full[q] = (char)lower((unsigned char)full[q]);
          name = tells__pe_ordname(full, f->ordinal);
        }
        if (name) snprintf(shown, sizeof shown, "%s!%s", im[i].dll, name);
        else snprintf(shown, sizeof shown, "%s!#%u", im[i].dll, f->ordinal);
        if (!(sh = tells_arena_strndup(a, shown, strlen(shown)))) return TELLS_ELIMIT;
        if (!f->name) {
          snprintf(key, sizeof key, "#%u", f->ordinal);
          if (!(k = tells_arena_strndup(a, key, strlen(key)))) return TELLS_ELIMIT;
          imp_add(t, k, dll, sh);
        }
        if (!name) continue;
        snprintf(key, sizeof key, "%s", name);
        for (l = 0; key[l]; l++) key[l] = (char)lower((unsigned char)key[l]);
        if (!(k = tells_arena_strndup(a, key, l))) return TELLS_ELIMIT;
        imp_add(t, k, dll, sh);
        /* FooA / FooW also answer to Foo */
        if (l > 2 && (name[l - 1] == 'A' || name[l - 1] == 'W') &&
            ((name[l - 2] >= 'a' && name[l - 2] <= 'z') || (name[l - 2] >= '0' && name[l - 2] <= '9'))) {
          if (!(k = tells_arena_strndup(a, key, l - 1))) return TELLS_ELIMIT;
          imp_add(t, k, dll, sh);
        }
      }
    }
  }
  return TELLS_OK;
}

/* What a resource's data is: 0 other, 1 MZ, 2 PE, 3 PE with the native
** subsystem (a driver).  Reads go through a cursor over the data. */
static int rsrc_kind(const tells_pe_rsrc *r, const uint8_t *buf, size_t len, uint16_t *subsys) {
  tells_rd all = tells_rd_make(buf, len, 0), d, h;
  uint32_t lfanew;
  if (!r->off || r->size < 64) return 0;
  d = tells_rd_sub(&all, (size_t)r->off, r->size);
  if (!tells_rd_ok(&d)) return 0;
  if (tells_rd_u16le(&d) != 0x5a4d) return 0;
  tells_rd_seek(&d, 0x3c);
  lfanew = tells_rd_u32le(&d);
  h = tells_rd_sub(&d, lfanew, 24 + 70);
  if (!tells_rd_ok(&d) || !tells_rd_ok(&h) || tells_rd_u32le(&h) != 0x4550) return 1;
  tells_rd_seek(&h, 24 + 68);
  *subsys = tells_rd_u16le(&h);
  return tells_rd_ok(&h) && *subsys == 1 ? 3 : 2;
}

static const char *rtype_of(const tells_pe_rsrc *r, char *tmp, size_t n) {
  if (r->type_name) return r->type_name;
  if (r->type_id < N_RTYPES && rtypes[r->type_id]) return rtypes[r->type_id];
  snprintf(tmp, n, "%u", r->type_id);
  return tmp;
}

/* Is item `it` present?  Fills *ev when it is. */
static int present(tells_caps_match *m, const impset *imps, const item *it, const tells_pe *pe,
                   const uint8_t *buf, size_t len, tells_caps_ev *ev) {
  size_t i;
  ev->off = -1;
  if (it->kind == IT_IMPORT) {
    const imp *x = imp_find(imps, it->dll, it->fn);
    if (!x) return 0;
    ev->type = "import"; ev->value = x->shown;
    return 1;
  }
  if (it->kind == IT_STRING) {
    const found *f = &m->pf[it->pat];
    if (!f->value) return 0;
    ev->type = "string"; ev->value = f->value; ev->off = f->off;
    return 1;
  }
  for (i = 0; i < pe->n_rsrc; i++) {
    const tells_pe_rsrc *r = &pe->rsrc[i];
    char tmp[16], v[160], nm[40];
    const char *tn = rtype_of(r, tmp, sizeof tmp), *what = NULL;
    uint16_t ss = 0;
    if (it->kind == IT_RES_TYPE) {
      if (it->rtype_name ? strcasecmp(tn, it->rtype_name) != 0 : (r->type_name || r->type_id != it->rtype)) continue;
      what = "";
    } else {
      int k = rsrc_kind(r, buf, len, &ss);
      if (it->kind == IT_RES_MZ && k >= 1) what = k == 1 ? ": MZ executable header" : k == 2 ? ": PE executable" : ": PE driver (native subsystem)";
      else if (it->kind == IT_RES_PE && k >= 2) what = k == 2 ? ": PE executable" : ": PE driver (native subsystem)";
      else if (it->kind == IT_RES_DRIVER && k == 3) what = ": PE driver (native subsystem)";
      if (!what) continue;
    }
    if (r->name) snprintf(nm, sizeof nm, "%.32s", r->name); else snprintf(nm, sizeof nm, "%u", r->name_id);
    snprintf(v, sizeof v, "%.32s/%s lang 0x%04x, %u bytes%s", tn, nm, r->lang, r->size, what);
    ev->type = "resource";
    ev->value = tells_arena_strndup(m->a, v, strlen(v));
    ev->off = r->off ? (int64_t)r->off : -1;
    return ev->value != NULL;
  }
  return 0;
}

static void add_ev(tells_caps_ev *evs, size_t *n, const tells_caps_ev *e) {
  size_t i;
  for (i = 0; i < *n; i++)
    if (strcmp(evs[i].type, e->type) == 0 && strcmp(evs[i].value, e->value) == 0) return;
  if (*n < TELLS_CAPS_MAX_EV) evs[(*n)++] = *e;
}

tells_err tells_caps_finish(tells_caps_match *m, const tells_pe *pe, const uint8_t *buf,
                            size_t len, tells_caps_hit **hits, size_t *n_hits) {
  const tells_caps *c = m->c;
  impset imps;
  tells_caps_hit *out;
  size_t r, nh = 0;
  tells_err e;
  *hits = NULL; *n_hits = 0;
  if ((e = build_imports(m->a, pe, &imps))) return e;
  if (!c->n_rules) return m->err;
  if (!(out = tells_arena_alloc(m->a, c->n_rules * sizeof *out))) return TELLS_ELIMIT;
  for (r = 0; r < c->n_rules; r++) {
    const tells_caps_rule *R = &c->rules[r];
    tells_caps_ev evs[TELLS_CAPS_MAX_EV], gev[TELLS_CAPS_MAX_ITEMS];
    size_t nev = 0, a;
    const char *conf = NULL;
    for (a = 0; a < R->n_alts; a++) {
      const alt *A = &c->alts[R->first_alt + a];
      size_t g, ngev = 0, ok = 1;
      for (g = 0; g < A->n && ok; g++) {
        const group *G = &c->groups[A->first + g];
        size_t i, cnt = 0;
        for (i = 0; i < G->n; i++) {
          tells_caps_ev ev;
          if (present(m, &imps, &c->items[G->first + i], pe, buf, len, &ev)) {
            cnt++;
            if (ngev < TELLS_CAPS_MAX_ITEMS) gev[ngev++] = ev;
          } else if (G->op == G_ALL) {
            break;
          }
        }
        ok = G->op == G_ALL ? cnt == G->n : G->op == G_ANY ? cnt >= 1 : cnt >= G->min;
      }
      if (!ok) continue;
      if (!conf) conf = A->confidence;
      for (g = 0; g < ngev; g++) add_ev(evs, &nev, &gev[g]);
    }
    if (!conf) continue;
    out[nh].rule = R;
    out[nh].confidence = conf;
    out[nh].n_ev = nev;
    if (!(out[nh].ev = tells_arena_alloc(m->a, (nev ? nev : 1) * sizeof *out[nh].ev))) return TELLS_ELIMIT;
    memcpy(out[nh].ev, evs, nev * sizeof *evs);
    nh++;
  }
  *hits = out; *n_hits = nh;
  return m->err;
}

void tells_caps_json(const tells_caps_hit *h, size_t n, tells_json *j) {
  size_t i, k;
  tells_json_arr(j);
  for (i = 0; i < n; i++) {
    tells_json_obj(j);
    tells_json_kstr(j, "id", h[i].rule->id);
    tells_json_kstr(j, "name", h[i].rule->name);
    tells_json_kstr(j, "attack", h[i].rule->attack);
    tells_json_kstr(j, "tactic", h[i].rule->tactic);
    tells_json_kstr(j, "severity", h[i].rule->severity);
    tells_json_kstr(j, "confidence", h[i].confidence);
    tells_json_key(j, "evidence");
    tells_json_arr(j);
    for (k = 0; k < h[i].n_ev; k++) {
      tells_json_obj(j);
      tells_json_kstr(j, "type", h[i].ev[k].type);
      tells_json_kstr(j, "value", h[i].ev[k].value);
      if (h[i].ev[k].off >= 0) tells_json_ki64(j, "offset", h[i].ev[k].off);
      tells_json_obj_end(j);
    }
    tells_json_arr_end(j);
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);
}

/* ---- the code pillar's scan -------------------------------------------- */

typedef struct scan_ud { tells_ingest *ig; tells_caps_match *m; } scan_ud;

static void on_string(void *ud, const char *s, size_t n, uint64_t off, int wide) {
  scan_ud *u = ud;
  if (u->m) tells_caps_feed(u->m, s, n, off, wide);
}

static void on_indicator(void *ud, const tells_strs_ind *ind) {
  scan_ud *u = ud;
  tells_ingest_indicator(u->ig, tells_strs_type_name(ind->type), ind->value, TELLS_NO_TIME,
                         ind->wide ? "UTF-16 string in the file" : "ASCII string in the file",
                         (int64_t)ind->off);
}

static void send_finding(tells_ingest *ig, const tells_caps_hit *h) {
  tells_buf b, d;
  tells_json j;
  tells_finding f;
  char rid[96], title[160];
  size_t k;
  int64_t ref = TELLS_NO_REF;
  tells_buf_init(&b, 8192);
  tells_buf_init(&d, 65536);
  tells_buf_addf(&b, "%s (%s, confidence %s):", h->rule->name, h->rule->attack, h->confidence);
  for (k = 0; k < h->n_ev; k++) {
    const tells_caps_ev *e = &h->ev[k];
    tells_buf_addf(&b, "%s %s %.120s", k ? ";" : "", e->type, e->value);
    if (e->off >= 0) {
      tells_buf_addf(&b, " at offset %lld", (long long)e->off);
      if (ref == TELLS_NO_REF) ref = e->off;
    }
  }
  tells_json_init_buf(&j, &d, 0);
  tells_caps_json(h, 1, &j);
  tells_json_flush(&j);
  snprintf(rid, sizeof rid, "capability:%s", h->rule->id);
  snprintf(title, sizeof title, "capability: %s", h->rule->name);
  memset(&f, 0, sizeof f);
  f.source = "code"; f.rule = rid; f.title = title;
  f.severity = h->rule->severity; f.technique = h->rule->attack; f.tactic = h->rule->tactic;
  f.summary = tells_buf_str(&b);
  f.first_ns = f.last_ns = TELLS_NO_TIME;
  f.ref_offset = ref; f.ref_record = TELLS_NO_REF;
  f.details_json = d.err || j.err ? NULL : tells_buf_str(&d);
  tells_ingest_finding(ig, &f);
  tells_buf_free(&b);
  tells_buf_free(&d);
}

tells_err tells_caps_scan(tells_ingest *ig, const tells_pe *pe, const tells_strs **strs_out,
                          const tells_caps_hit **hits_out, size_t *n_out) {
  const tells_caps *c = NULL;
  tells_strs *st = tells_arena_alloc(&ig->arena, sizeof *st);
  tells_strs_opts o;
  scan_ud u;
  tells_caps_hit *hits = NULL;
  size_t nh = 0, i;
  char err[512];
  tells_err e;
  *strs_out = NULL; *hits_out = NULL; *n_out = 0;
  if (!st) return TELLS_ELIMIT;
  memset(&u, 0, sizeof u);
  u.ig = ig;
  if (pe) {
    if (tells_caps_default(&c, err, sizeof err) != TELLS_OK)
      tells_anom_add(&ig->anoms, 0, "caps.rules", "capability rules not loaded: %s", err);
    else if ((e = tells_caps_match_new(c, &ig->arena, &u.m)) != TELLS_OK)
      return e;
  }
  memset(&o, 0, sizeof o);
  o.on_string = on_string; o.on_indicator = on_indicator; o.ud = &u;
  e = tells_strs_scan(ig->buf, ig->len, &o, &ig->arena, st);
  if (e) tells_anom_add(&ig->anoms, 0, "strings.limit", "strings pass: %s; indicators kept so far are stored", tells_strerror(e));
  *strs_out = st;
  if (!u.m) return TELLS_OK;
  if ((e = tells_caps_finish(u.m, pe, ig->buf, ig->len, &hits, &nh)) != TELLS_OK)
    tells_anom_add(&ig->anoms, 0, "caps.limit", "capability matching: %s", tells_strerror(e));
  for (i = 0; i < nh; i++) send_finding(ig, &hits[i]);
  *hits_out = hits; *n_out = nh;
  return TELLS_OK;
}
