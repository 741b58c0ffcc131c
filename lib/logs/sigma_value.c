/*
** sigma_value.c -- turns one Sigma value plus its field modifiers into
** compiled patterns (sg_pat): wildcard and escape parsing, the string
** transformations (expand, windash, utf16, utf16le, utf16be, wide, base64, base64offset), the
** match-position modifiers (contains, startswith, endswith), and the typed
** modifiers (re with i/m/s, cidr, gt/gte/lt/lte, fieldref, exists, cased,
** neq).  Also picks each pattern's prefilter literal.
**
** Semantics follow the Sigma specification v2 (sigma-specification,
** "Modifiers" appendix): values are case-insensitive unless |cased or |re;
** '*' and '?' are wildcards, '\' escapes '*', '?' and '\', and a backslash
** before any other character is a literal backslash.
*/
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "sigma_int.h"

#define TK_STAR 256
#define TK_Q    257
#define MAX_TOK 8192     /* tokens per value after transformations */
#define MAX_VARIANTS 128 /* windash / expand variants per value */

typedef struct toks { int16_t *t; size_t n; } toks;

static const struct { const char *name; size_t off; } k_mods[] = {
#define M(x) {#x, offsetof(sg_mods, x)}
  M(contains), M(startswith), M(endswith), M(all), M(re), M(windash),
  M(base64), M(base64offset), M(utf16le), M(utf16be), M(utf16), M(cidr),
  M(expand), M(fieldref), M(gt), M(gte), M(lt), M(lte), M(exists),
  M(cased), M(neq),
#undef M
  {"wide", offsetof(sg_mods, utf16le)},
};

int tells__sigma_parse_mods(const char *p, size_t n, sg_mods *m, char *err,
                            size_t errsz) {
  size_t i = 0;
  memset(m, 0, sizeof *m);
  while (i < n) {
    size_t j = i, k;
    int found = 0;
    while (j < n && p[j] != '|') j++;
    if (j == i) { snprintf(err, errsz, "empty modifier"); return -1; }
    for (k = 0; k < sizeof k_mods / sizeof k_mods[0]; k++) {
      if (strlen(k_mods[k].name) == j - i &&
          strncmp(k_mods[k].name, p + i, j - i) == 0) {
        ((uint8_t *)m)[k_mods[k].off] = 1;
        found = 1;
        break;
      }
    }
    if (!found && m->re && j - i == 1 &&
        (p[i] == 'i' || p[i] == 'm' || p[i] == 's')) {
      if (p[i] == 'i') m->re_i = 1;
      else if (p[i] == 'm') m->re_m = 1;
      else m->re_s = 1;
      found = 1;
    }
    if (!found) {
      snprintf(err, errsz, "unsupported modifier '%.*s'", (int)(j - i), p + i);
      return -1;
    }
    i = j + 1;
  }
  if (m->startswith + m->endswith + m->contains > 1 && !m->fieldref) {
    snprintf(err, errsz, "conflicting modifiers contains/startswith/endswith");
    return -1;
  }
  if (m->re + m->cidr + (m->gt | m->gte | m->lt | m->lte) + m->exists > 1) {
    snprintf(err, errsz, "conflicting type modifiers");
    return -1;
  }
  if ((m->base64 && m->base64offset)) {
    snprintf(err, errsz, "base64 and base64offset together");
    return -1;
  }
  return 0;
}

/* ---- tokens ---------------------------------------------------------- */

static int tok_push(toks *t, int v, size_t cap) {
  if (t->n >= cap) return -1;
  t->t[t->n++] = (int16_t)v;
  return 0;
}

/* Sigma string -> tokens (wildcards and escapes). */
static int tokenize(const char *v, size_t n, toks *t, size_t cap, int expanded) {
  size_t i;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)v[i];
    int r;
    if (expanded && c == 1) {
      r = tok_push(t, TK_STAR, cap);   /* unknown placeholder */
    } else if (c == '\\' && i + 1 < n && (v[i + 1] == '*' || v[i + 1] == '?' ||
                                   v[i + 1] == '\\')) {
      r = tok_push(t, (unsigned char)v[++i], cap);
    } else if (c == '*') {
      r = tok_push(t, TK_STAR, cap);
    } else if (c == '?') {
      r = tok_push(t, TK_Q, cap);
    } else {
      r = tok_push(t, c, cap);
    }
    if (r) return -1;
  }
  return 0;
}

static int is_word(int t) {
  return t < 256 && (t == '_' || (t >= '0' && t <= '9') ||
                     ((t | 32) >= 'a' && (t | 32) <= 'z'));
}

/* UTF-8 literal runs -> UTF-16 code units in bytes; wildcards kept. */
static int to_utf16(const toks *in, toks *out, size_t cap, int be, int bom) {
  size_t i = 0;
  out->n = 0;
  if (bom && (tok_push(out, be ? 0xFE : 0xFF, cap) ||
              tok_push(out, be ? 0xFF : 0xFE, cap)))
    return -1;
  while (i < in->n) {
    int c = in->t[i];
    uint32_t cp;
    unsigned units[2], nu = 1, u;
    if (c >= 256) { if (tok_push(out, c, cap)) return -1; i++; continue; }
    if (c < 0x80) { cp = (uint32_t)c; i++; }
    else {
      int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      int k;
      cp = len == 4 ? (uint32_t)(c & 7) : len == 3 ? (uint32_t)(c & 15)
           : len == 2 ? (uint32_t)(c & 31) : 0xFFFD;
      for (k = 1; k < len; k++) {
        if (i + (size_t)k >= in->n || in->t[i + k] >= 256 ||
            (in->t[i + k] & 0xC0) != 0x80) { cp = 0xFFFD; len = k; break; }
        cp = (cp << 6) | (uint32_t)(in->t[i + k] & 0x3F);
      }
      i += (size_t)len;
    }
    if (cp >= 0x10000 && cp <= 0x10FFFF) {
      cp -= 0x10000;
      units[0] = 0xD800 + (cp >> 10); units[1] = 0xDC00 + (cp & 0x3FF); nu = 2;
    } else {
      units[0] = cp > 0x10FFFF ? 0xFFFD : cp;
    }
    for (u = 0; u < nu; u++) {
      int lo = (int)(units[u] & 0xFF), hi = (int)(units[u] >> 8);
      if (tok_push(out, be ? hi : lo, cap) || tok_push(out, be ? lo : hi, cap))
        return -1;
    }
  }
  return 0;
}

static const char k_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* base64 of bytes b[0..n) into out (must hold 4*(n+2)/3+4). */
static size_t b64(const uint8_t *b, size_t n, char *out) {
  size_t i, o = 0;
  for (i = 0; i + 2 < n; i += 3) {
    uint32_t v = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8 | b[i + 2];
    out[o++] = k_b64[v >> 18]; out[o++] = k_b64[(v >> 12) & 63];
    out[o++] = k_b64[(v >> 6) & 63]; out[o++] = k_b64[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = (uint32_t)b[i] << 16;
    out[o++] = k_b64[v >> 18]; out[o++] = k_b64[(v >> 12) & 63];
    out[o++] = '='; out[o++] = '=';
  } else if (n - i == 2) {
    uint32_t v = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8;
    out[o++] = k_b64[v >> 18]; out[o++] = k_b64[(v >> 12) & 63];
    out[o++] = k_b64[(v >> 6) & 63]; out[o++] = '=';
  }
  return o;
}

/* ---- pattern construction ---------------------------------------------- */

static int pat_push(sg_pat **pats, uint32_t *n, uint32_t *cap, sg_pat **out) {
  if (*n >= SG_MAX_VALUES) return -1;
  if (*n == *cap) {
    uint32_t nc = *cap ? *cap * 2 : 4;
    sg_pat *np = tells_realloc(*pats, nc * sizeof *np);
    if (!np) return -1;
    *pats = np; *cap = nc;
  }
  *out = &(*pats)[(*n)++];
  memset(*out, 0, sizeof **out);
  return 0;
}

static char lc(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

/* Punctuation rare enough in log text that two of it are a selective
** literal ('^^', '&&', '${'). */
static int rare_pair(int a, int b) {
  static const char rare[] = "`^{}~|;$&@!#<>[]";
  return a > 0 && a < 128 && b > 0 && b < 128 && strchr(rare, a) && strchr(rare, b);
}

/* Picks the longest literal run of the tokens as the prefilter literal. */
static void pick_literal(tells_sigma_ruleset *s, sg_pat *p, const toks *t) {
  size_t i = 0, best = 0, bestn = 0;
  while (i < t->n) {
    size_t j = i;
    while (j < t->n && t->t[j] < 256) j++;
    if (j - i > bestn) { best = i; bestn = j - i; }
    i = j + 1;
  }
  /* two bytes are selective enough when one is not ASCII (homoglyphs) */
  if (bestn >= SG_LIT_MIN || (bestn == 2 && (t->t[best] >= 128 || t->t[best + 1] >= 128 ||
                                              rare_pair(t->t[best], t->t[best + 1])))) {
    char *l;
    size_t k, from = best;
    if (bestn > SG_LIT_MAX) { from = best + bestn - SG_LIT_MAX; bestn = SG_LIT_MAX; }
    l = tells_arena_alloc(&s->a, bestn + 1);
    if (!l) return;
    for (k = 0; k < bestn; k++) l[k] = lc((char)t->t[from + k]);
    l[bestn] = 0;
    p->lit = l; p->lit_n = bestn;
  }
}

static int emit_string(tells_sigma_ruleset *s, const sg_mods *m, toks *t,
                       sg_pat **pats, uint32_t *np, uint32_t *cap,
                       char *err, size_t errsz) {
  sg_pat *p;
  size_t i, lo = 0, hi = t->n, k;
  int lead, trail, wild = 0;
  char *str;
  /* match position */
  if (m->contains || m->endswith) {
    if (!(t->n && t->t[0] == TK_STAR)) {
      if (t->n + 1 > MAX_TOK) goto toolong;
      memmove(t->t + 1, t->t, t->n * sizeof *t->t);
      t->t[0] = TK_STAR; t->n++;
    }
  }
  if (m->contains || m->startswith) {
    if (!(t->n && t->t[t->n - 1] == TK_STAR)) {
      if (tok_push(t, TK_STAR, MAX_TOK)) goto toolong;
    }
  }
  if (pat_push(pats, np, cap, &p)) {
    snprintf(err, errsz, "too many values");
    return -1;
  }
  p->cased = m->cased;
  p->neg = m->neq;
  hi = t->n;
  lead = hi > 0 && t->t[0] == TK_STAR;
  while (lo < hi && t->t[lo] == TK_STAR) lo++;
  trail = hi > lo && t->t[hi - 1] == TK_STAR;
  while (hi > lo && t->t[hi - 1] == TK_STAR) hi--;
  if (lead && lo == hi) trail = 1;
  for (i = lo; i < hi; i++) if (t->t[i] >= 256) wild = 1;
  if (!wild) {
    p->kind = lead && trail ? SG_P_CONTAINS : lead ? SG_P_SUFFIX
              : trail ? SG_P_PREFIX : SG_P_EQ;
    str = tells_arena_alloc(&s->a, hi - lo + 1);
    if (!str) goto nomem;
    for (k = 0, i = lo; i < hi; i++)
      str[k++] = m->cased ? (char)t->t[i] : lc((char)t->t[i]);
    str[k] = 0;
    p->s = str; p->n = k;
  } else {
    p->kind = SG_P_GLOB;
    str = tells_arena_alloc(&s->a, 2 * t->n + 1);
    if (!str) goto nomem;
    for (k = 0, i = 0; i < t->n; i++) {
      int c = t->t[i];
      if (c == TK_STAR) str[k++] = 1;
      else if (c == TK_Q) str[k++] = 2;
      else {
        if (c >= 1 && c <= 3) str[k++] = 3;
        str[k++] = m->cased ? (char)c : lc((char)c);
      }
    }
    str[k] = 0;
    p->s = str; p->n = k;
  }
  if (!m->neq) pick_literal(s, p, t);
  return 0;
toolong:
  snprintf(err, errsz, "value too long");
  return -1;
nomem:
  snprintf(err, errsz, "out of memory");
  return -1;
}

/* Encodings (utf16*, base64*) then emit. */
static int emit_encoded(tells_sigma_ruleset *s, const sg_mods *m, toks *t,
                        toks *tmp, sg_pat **pats, uint32_t *np, uint32_t *cap,
                        char *err, size_t errsz) {
  size_t i;
  if (m->utf16le || m->utf16be || m->utf16) {
    if (to_utf16(t, tmp, MAX_TOK, m->utf16be, m->utf16)) goto toolong;
    memcpy(t->t, tmp->t, tmp->n * sizeof *t->t);
    t->n = tmp->n;
  }
  if (m->base64 || m->base64offset) {
    uint8_t *raw = tells_malloc(t->n + 3);
    char *enc = tells_malloc(4 * (t->n + 3) / 3 + 8);
    int variants = m->base64offset ? 3 : 1, v, rc = 0;
    if (!raw || !enc) { tells_free(raw); tells_free(enc); goto nomem; }
    for (i = 0; i < t->n; i++) {
      if (t->t[i] >= 256) {
        tells_free(raw); tells_free(enc);
        snprintf(err, errsz, "wildcards cannot be base64-encoded");
        return -1;
      }
    }
    for (v = 0; v < variants && !rc; v++) {
      size_t n = 0, e, from = 0, to;
      sg_mods m2 = *m;
      for (i = 0; i < (size_t)v; i++) raw[n++] = ' ';
      for (i = 0; i < t->n; i++) raw[n++] = (uint8_t)t->t[i];
      e = b64(raw, n, enc);
      to = e;
      if (m->base64offset) {
        /* Drop the characters that depend on the unknown neighbouring
        ** bytes: those of the padding prefix, and of a partial last group. */
        static const size_t k_start[3] = {0, 2, 3};
        size_t rem = n % 3;
        from = k_start[v];
        if (rem == 1) to = e - 3;        /* "X==" of 1 trailing byte */
        else if (rem == 2) to = e - 2;   /* "X=" of 2 trailing bytes */
        if (to < from) to = from;
      }
      tmp->n = 0;
      for (i = from; i < to; i++) tmp->t[tmp->n++] = (int16_t)(unsigned char)enc[i];
      m2.utf16le = m2.utf16be = m2.utf16 = 0;
      rc = emit_string(s, &m2, tmp, pats, np, cap, err, errsz);
    }
    tells_free(raw); tells_free(enc);
    return rc;
  }
  return emit_string(s, m, t, pats, np, cap, err, errsz);
toolong:
  snprintf(err, errsz, "value too long");
  return -1;
nomem:
  snprintf(err, errsz, "out of memory");
  return -1;
}

static const char *const k_dashes[] = {"-", "/", "\xe2\x80\x93", "\xe2\x80\x94",
                                       "\xe2\x80\x95"};

/* windash: every '-' or '/' that starts a word-initial flag becomes each of
** the five dashes; all permutations when few positions, else the same dash
** at every position. */
static int emit_windash(tells_sigma_ruleset *s, const sg_mods *m, toks *t,
                        toks *w, toks *tmp, sg_pat **pats, uint32_t *np,
                        uint32_t *cap, char *err, size_t errsz) {
  size_t pos[8], npos = 0, i, combos = 1, c;
  int perm;
  for (i = 0; i < t->n; i++) {
    int ch = t->t[i];
    if ((ch == '-' || ch == '/') && (i == 0 || !is_word(t->t[i - 1])) &&
        i + 1 < t->n && is_word(t->t[i + 1])) {
      if (npos < 8) pos[npos] = i;
      npos++;
    }
  }
  if (npos == 0) {
    return emit_encoded(s, m, t, tmp, pats, np, cap, err, errsz);
  }
  perm = npos <= 3;
  if (perm) for (i = 0; i < npos; i++) combos *= 5;
  else combos = 5;
  for (c = 0; c < combos; c++) {
    size_t sel = c, p = 0;
    w->n = 0;
    for (i = 0; i < t->n; i++) {
      if (p < npos && p < 8 && pos[p] == i) {
        const char *d = k_dashes[perm ? sel % 5 : c];
        if (perm) sel /= 5;
        while (*d) if (tok_push(w, (unsigned char)*d++, MAX_TOK)) goto toolong;
        p++;
      } else if (!perm && (t->t[i] == '-' || t->t[i] == '/') &&
                 (i == 0 || !is_word(t->t[i - 1])) && i + 1 < t->n &&
                 is_word(t->t[i + 1])) {
        const char *d = k_dashes[c];
        while (*d) if (tok_push(w, (unsigned char)*d++, MAX_TOK)) goto toolong;
      } else {
        if (tok_push(w, t->t[i], MAX_TOK)) goto toolong;
      }
    }
    if (emit_encoded(s, m, w, tmp, pats, np, cap, err, errsz)) return -1;
  }
  return 0;
toolong:
  snprintf(err, errsz, "value too long");
  return -1;
}

static int parse_num(const char *v, size_t n, double *out) {
  char buf[64], *end;
  size_t i = 0;
  if (n == 0 || n >= sizeof buf) return -1;
  memcpy(buf, v, n); buf[n] = 0;
  while (buf[i] == ' ') i++;
  if ((buf[i] == '0' && (buf[i + 1] | 32) == 'x'))
    *out = (double)strtoull(buf + i + 2, &end, 16);
  else
    *out = strtod(buf + i, &end);
  if (end == buf + i) return -1;
  while (*end == ' ') end++;
  return *end ? -1 : 0;
}

int tells__sigma_parse_ip(const char *v, size_t n, uint8_t *addr,
                          int *family);
int tells__sigma_parse_ip(const char *v, size_t n, uint8_t *addr,
                          int *family) {
  char buf[64];
  if (n == 0 || n >= sizeof buf) return -1;
  memcpy(buf, v, n); buf[n] = 0;
  memset(addr, 0, 16);
  if (memchr(buf, ':', n)) {
    if (inet_pton(AF_INET6, buf, addr) != 1) return -1;
    *family = 6;
  } else {
    if (inet_pton(AF_INET, buf, addr) != 1) return -1;
    *family = 4;
  }
  return 0;
}


/* A regex that is a sequence of literal characters and `.*` gaps, like
** `\+.*\+.*\+`, can only match a value holding those characters in that
** order: that is the glob `*+*+*+*`, checked in linear time before the
** regex (whose backtracking over such gaps can cost a power of the value
** length), on each line of the value unless the regex has `s` (`.` does
** not match a line feed).  On a value that is all ASCII (valid UTF-8, so
** `.` matches every byte but the line end) the glob's answer is the
** regex's, and the regex is not run.  Sets p->s/p->n to the glob; leaves
** them unset for any other regex.  Case-sensitive regexes only.  Returns
** -1 when out of memory. */
static int re_gapped(tells_sigma_ruleset *s, const char *v, size_t n, sg_pat *p) {
  char *g;
  size_t i = 0, k = 0, lits = 0;
  if (n == 0 || n > 4096) return 0;
  g = tells_arena_alloc(&s->a, 2 * n + 3);
  if (!g) return -1;
  g[k++] = 1;
  while (i < n) {
    unsigned char c = (unsigned char)v[i];
    if (c == '.' && i + 1 < n && v[i + 1] == '*') {
      i += 2;
      if (i < n && v[i] == '?') i++;          /* lazy: the same gap */
      if (g[k - 1] != 1) g[k++] = 1;
      continue;
    }
    if (c == '\\') {
      unsigned char e;
      if (i + 1 >= n) return 0;
      e = (unsigned char)v[i + 1];
      if (e >= 0x80 || (e >= '0' && e <= '9') || (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') ||
          e <= ' ')
        return 0;                              /* \d, \w, \x.., ...: not a literal */
      c = e;
      i += 2;
    } else {
      if (strchr("^$.|?*+()[]{}", c)) return 0;
      i++;
    }
    if (i < n && strchr("*+?{", v[i])) return 0;  /* a quantified character */
    if (c <= 3) g[k++] = 3;                    /* glob escape for bytes 1..3 */
    g[k++] = (char)c;
    lits++;
  }
  if (g[k - 1] != 1) g[k++] = 1;
  g[k] = 0;
  if (lits) { p->s = g; p->n = k; }
  return 0;
}

/* Index just after the character class whose body starts at v[k] (after
** its '['), or past n when it is not closed. */
static size_t re_class_end(const char *v, size_t n, size_t k) {
  if (k < n && v[k] == '^') k++;
  if (k < n && v[k] == ']') k++;
  while (k < n && v[k] != ']') {
    if (v[k] == '\\') k++;
    else if (v[k] == '[' && k + 1 < n && (v[k + 1] == ':' || v[k + 1] == '.' || v[k + 1] == '=')) {
      char t = v[k + 1];                 /* [:alpha:], [.x.], [=x=] */
      for (k += 2; k + 1 < n && !(v[k] == t && v[k + 1] == ']'); k++) {}
      k++;
    }
    k++;
  }
  return k + 1;
}

/* The longest run of literal characters that every match of the regex
** v[0..n) must contain (the pattern's prefilter literal), or none; without
** one, the rarest punctuation byte every match must contain (p->req), so
** that a value without it is not given to PCRE2.  Only
** the top level is read: groups, classes, `.`, anchors, escapes such as
** \d or \x41, back references and non-ASCII bytes end a run, a character
** quantified by ?, * or {..} leaves it (+ keeps it and ends the run); a
** top-level `|`, `\Q`, a lone `\E`, a comment `(?#..)` or the `x` option
** give no literal.  Caseless, `k` and `s` end a run too: PCRE2 in UTF mode
** folds them with U+212A (Kelvin sign) and U+017F (long s). */
static void re_literal(tells_sigma_ruleset *s, const char *v, size_t n, int caseless, sg_pat *p) {
  /* punctuation that command lines and paths seldom hold, rarest first:
  ** the required byte that gates a regex without a literal */
  static const char rare[] = "`^~{}|$;&@!#<>[]\"'%";
  char run[SG_LIT_MAX], best[SG_LIT_MAX];
  const char *req = NULL;
  size_t i = 0, rn = 0, bn = 0, total = 0, btotal = 0;
  if (n > 4096) return;
  /* inline options anywhere: (?i) turns caseless on, (?x) is not read;
  ** nor are comments (?#..), which may stand between an atom and its
  ** quantifier */
  for (i = 0; i + 2 < n; i++) {
    if (v[i] == '\\') { i++; continue; }
    if (v[i] == '(' && v[i + 1] == '?' && v[i + 2] == '#') return;
    if (v[i] == '(' && v[i + 1] == '?') {
      size_t k = i + 2;
      while (k < n && ((v[k] >= 'a' && v[k] <= 'z') || (v[k] >= 'A' && v[k] <= 'Z') || v[k] == '-' || v[k] == '^')) {
        if (v[k] == 'x' || v[k] == 'X') return;
        if (v[k] == 'i') caseless = 1;
        k++;
      }
    }
  }
  /* a top-level alternation: no single literal is required */
  {
    int d = 0;
    for (i = 0; i < n; i++) {
      if (v[i] == '\\') { i++; continue; }
      if (v[i] == '[') { i = re_class_end(v, n, i + 1) - 1; continue; }
      if (v[i] == '(') d++;
      if (v[i] == ')') d--;
      if (v[i] == '|' && d <= 0) return;
    }
  }
  i = 0;
  while (i <= n) {
    unsigned char c = i < n ? (unsigned char)v[i] : 0;
    int lit = -1;                      /* the literal byte of this atom */
    size_t next = i + 1, skip;
    if (i == n) goto brk;
    if (c == '\\') {
      unsigned char e;
      if (i + 1 >= n) return;
      e = (unsigned char)v[i + 1];
      if (e == 'Q' || e == 'E') return;  /* \Q..\E; a lone \E is ignored by PCRE2 */
      next = i + 2;
      if (!(e >= 0x80 || (e >= '0' && e <= '9') || (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || e <= ' '))
        lit = e;
      else if (e >= '0' && e <= '9')   /* back reference or octal: all its digits */
        while (next < n && v[next] >= '0' && v[next] <= '9') next++;
      else if (strchr("xcoNpPgk", e)) { /* arguments (\x41, \p{L}, \k<n>, ...): skipped */
        skip = i + 2;
        goto brk_skip_brace;
      }
    } else if (c == '|') {
      return;                          /* top-level alternation */
    } else if (c == '[') {
      next = re_class_end(v, n, i + 1);
    } else if (c == '(') {
      int d = 0;
      size_t k = i;
      while (k < n) {
        if (v[k] == '\\') { k += 2; continue; }
        if (v[k] == '[') { k = re_class_end(v, n, k + 1); continue; }
        if (v[k] == '(') d++;
        if (v[k] == ')' && --d == 0) break;
        k++;
      }
      next = k + 1;
    } else if (c == '{') {
      skip = i + 1;
      goto brk_skip_brace;
    } else if (c >= 0x80 || strchr("^$.?*+)", c)) {
      /* a non-ASCII byte, any char, anchors, a stray quantifier */
    } else {
      lit = c;
    }
    if (lit >= 0 && caseless && (lit == 'k' || lit == 'K' || lit == 's' || lit == 'S')) lit = -1;
    /* a quantifier after the atom: the atom may be absent or repeated */
    if (next < n && strchr("?*+{", v[next])) {
      if (lit >= 0 && v[next] == '+') {  /* at least once: it ends the run */
        const char *r = strchr(rare, lit);
        if (r && (!req || r < req)) req = r;
        if (rn == sizeof run) { memmove(run, run + 1, rn - 1); rn--; }
        run[rn++] = (char)lc((char)lit);
        total++;
      }
      lit = -1;
    }
    if (lit >= 0) {
      const char *r = strchr(rare, lit);
      if (r && (!req || r < req)) req = r;
      if (rn == sizeof run) { memmove(run, run + 1, rn - 1); rn--; }
      run[rn++] = (char)lc((char)lit);
      total++;
      i = next;
      continue;
    }
    goto brk;
  brk_skip_brace:
    next = skip;
    while (next < n && v[next] != '}' && !strchr("\\()[]|", v[next])) next++;
    if (next < n && v[next] == '}') next++;
  brk:
    if (total > btotal) { btotal = total; bn = rn; memcpy(best, run, rn); }
    rn = 0; total = 0;
    if (i == n) break;
    /* the quantifier that followed a group, class or escape */
    i = next;
    while (i < n && (v[i] == '?' || v[i] == '*' || v[i] == '+')) i++;
    if (i < n && v[i] == '{') { while (i < n && v[i] != '}') i++; if (i < n) i++; }
    while (i < n && (v[i] == '?' || v[i] == '+')) i++;
  }
  if (btotal >= SG_LIT_MIN || (btotal == 2 && rare_pair(best[0], best[1]))) {
    char *l = tells_arena_alloc(&s->a, bn + 1);
    if (!l) return;
    memcpy(l, best, bn);
    l[bn] = 0;
    p->lit = l; p->lit_n = bn;
  } else if (req) {
    p->req = (uint8_t)*req;          /* punctuation: no case to fold */
  }
}

/* Expands %placeholders% into one or more raw strings. */
static int expand(tells_sigma_ruleset *s, const char *v, size_t n,
                  char ***outs, size_t **lens, size_t *nout, int *unknown) {
  /* worklist of partial strings */
  char **cur = tells_calloc(1, sizeof *cur);
  size_t *cl = tells_calloc(1, sizeof *cl), nc = 1, i = 0;
  if (!cur || !cl) goto nomem;
  cur[0] = tells_malloc(1);
  if (!cur[0]) goto nomem;
  cl[0] = 0;
  while (i < n) {
    const char *piece = v + i;
    size_t pn = 1, k;
    const char *const *vals = NULL;
    size_t nvals = 0;
    int is_ph = 0;
    if (v[i] == '%') {
      const char *e = memchr(v + i + 1, '%', n - i - 1);
      if (e && e > v + i + 1) {
        size_t nl = (size_t)(e - (v + i + 1)), p;
        is_ph = 1;
        for (p = 0; p < s->n_ph; p++)
          if (strlen(s->ph_name[p]) == nl && strncmp(s->ph_name[p], v + i + 1, nl) == 0) {
            vals = s->ph_vals[p]; nvals = s->ph_n[p];
          }
        pn = nl + 2;
        if (!vals) { static const char *const star[] = {"\x01"}; vals = star; nvals = 1; *unknown = 1; }
      }
    }
    if (!is_ph) { vals = NULL; nvals = 1; }
    if (nvals == 0) { nc = 0; break; }
    if (nc * nvals > MAX_VARIANTS) goto nomem;
    {
      char **nxt = tells_calloc(nc * nvals, sizeof *nxt);
      size_t *nl2 = tells_calloc(nc * nvals, sizeof *nl2), o = 0, j;
      if (!nxt || !nl2) { tells_free(nxt); tells_free(nl2); goto nomem; }
      for (k = 0; k < nc; k++) {
        for (j = 0; j < nvals; j++) {
          const char *add = vals ? vals[j] : piece;
          size_t an = vals ? strlen(vals[j]) : pn;
          nxt[o] = tells_malloc(cl[k] + an + 1);
          if (!nxt[o]) { size_t q; for (q = 0; q < o; q++) tells_free(nxt[q]);
                         tells_free(nxt); tells_free(nl2); goto nomem; }
          memcpy(nxt[o], cur[k], cl[k]);
          memcpy(nxt[o] + cl[k], add, an);
          nl2[o] = cl[k] + an;
          o++;
        }
        tells_free(cur[k]);
      }
      tells_free(cur); tells_free(cl);
      cur = nxt; cl = nl2; nc = o;
    }
    i += pn;
  }
  *outs = cur; *lens = cl; *nout = nc;
  return 0;
nomem:
  if (cur) { size_t q; for (q = 0; q < nc; q++) tells_free(cur[q]); }
  tells_free(cur); tells_free(cl);
  return -1;
}

int tells__sigma_value(tells_sigma_ruleset *s, const sg_mods *m,
                       const char *v, size_t n, int is_null,
                       sg_pat **pats, uint32_t *np, uint32_t *cap,
                       char *err, size_t errsz) {
  sg_pat *p;
  if (m->exists) {
    int yes;
    if (is_null) goto bad_bool;
    yes = (n == 4 && strncmp(v, "true", 4) == 0) || (n == 3 && strncmp(v, "yes", 3) == 0);
    if (!yes && !(n == 5 && strncmp(v, "false", 5) == 0) && !(n == 2 && strncmp(v, "no", 2) == 0))
      goto bad_bool;
    if (pat_push(pats, np, cap, &p)) goto many;
    p->kind = SG_P_EXISTS; p->num = yes;
    return 0;
  }
  if (is_null) {
    if (pat_push(pats, np, cap, &p)) goto many;
    p->kind = SG_P_NULL; p->neg = m->neq;
    return 0;
  }
  if (m->re) {
    int ec;
    PCRE2_SIZE eo;
    uint32_t opt = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
    pcre2_code *re;
    if (m->re_i) opt |= PCRE2_CASELESS;
    if (m->re_m) opt |= PCRE2_MULTILINE;
    if (m->re_s) opt |= PCRE2_DOTALL;
    re = pcre2_compile((PCRE2_SPTR)v, n, opt, &ec, &eo, NULL);
    if (!re) {
      char msg[160];
      pcre2_get_error_message(ec, (PCRE2_UCHAR *)msg, sizeof msg);
      snprintf(err, errsz, "bad regular expression at offset %zu: %s", (size_t)eo, msg);
      return -1;
    }
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);  /* interpreter if no JIT */
    if (s->n_res == s->cap_res) {
      size_t nc = s->cap_res ? s->cap_res * 2 : 16;
      pcre2_code **nr = tells_realloc(s->res, nc * sizeof *nr);
      if (!nr) { pcre2_code_free(re); goto nomem; }
      s->res = nr; s->cap_res = nc;
    }
    s->res[s->n_res++] = re;
    if (pat_push(pats, np, cap, &p)) goto many;
    p->kind = SG_P_RE; p->re = re; p->neg = m->neq;
    if (!m->re_i && re_gapped(s, v, n, p)) goto nomem;
    if (!m->neq) re_literal(s, v, n, m->re_i, p);
    if (p->s) {
      /* without `s`, `.` stops at line ends; where the line end is a line
      ** feed alone, the glob of an ASCII value is the regex's answer */
      uint32_t nl = 0;
      (void)pcre2_config(PCRE2_CONFIG_NEWLINE, &nl);
      p->op = (uint8_t)((m->re_s ? 0 : SG_RE_LINES) |
                        (m->re_s || nl == PCRE2_NEWLINE_LF ? SG_RE_EXACT : 0));
    }
    return 0;
  }
  if (m->cidr) {
    const char *slash = memchr(v, '/', n);
    int fam;
    size_t an = slash ? (size_t)(slash - v) : n;
    long bits;
    if (pat_push(pats, np, cap, &p)) goto many;
    p->kind = SG_P_CIDR; p->neg = m->neq;
    if (tells__sigma_parse_ip(v, an, p->addr, &fam)) {
      snprintf(err, errsz, "bad cidr network '%.*s'", (int)(n > 80 ? 80 : n), v);
      return -1;
    }
    bits = fam == 4 ? 32 : 128;
    if (slash) {
      double d;
      if (parse_num(slash + 1, n - an - 1, &d) || d < 0 || d > bits) {
        snprintf(err, errsz, "bad cidr prefix in '%.*s'", (int)(n > 80 ? 80 : n), v);
        return -1;
      }
      bits = (long)d;
    }
    p->family = (uint8_t)fam; p->prefix = (uint8_t)bits;
    return 0;
  }
  if (m->gt || m->gte || m->lt || m->lte) {
    if (pat_push(pats, np, cap, &p)) goto many;
    p->kind = SG_P_NUM; p->neg = m->neq;
    p->op = m->gt ? SG_OP_GT : m->gte ? SG_OP_GTE : m->lt ? SG_OP_LT : SG_OP_LTE;
    if (parse_num(v, n, &p->num)) {
      snprintf(err, errsz, "not a number: '%.*s'", (int)(n > 80 ? 80 : n), v);
      return -1;
    }
    return 0;
  }
  if (m->fieldref) {
    if (pat_push(pats, np, cap, &p)) goto many;
    p->kind = SG_P_FIELDREF; p->neg = m->neq; p->cased = m->cased;
    p->refkind = m->contains ? SG_REF_CONTAINS : m->startswith ? SG_REF_PREFIX
                 : m->endswith ? SG_REF_SUFFIX : SG_REF_EQ;
    p->ref = tells__sigma_field_id(s, v, n, 1);
    if (p->ref == SG_ANY) goto nomem;
    return 0;
  }
  {
    toks t = {0}, w = {0}, tmp = {0};
    char **raws = NULL;
    size_t *rl = NULL, nr = 0, i;
    int rc = 0, unknown = 0;
    t.t = tells_malloc(MAX_TOK * sizeof *t.t);
    w.t = tells_malloc(MAX_TOK * sizeof *w.t);
    tmp.t = tells_malloc(MAX_TOK * sizeof *tmp.t);
    if (!t.t || !w.t || !tmp.t) { rc = -2; goto out; }
    if (m->expand) {
      if (expand(s, v, n, &raws, &rl, &nr, &unknown)) { rc = -2; goto out; }
    } else {
      raws = tells_malloc(sizeof *raws); rl = tells_malloc(sizeof *rl);
      if (!raws || !rl) { rc = -2; goto out; }
      raws[0] = NULL; rl[0] = n; nr = 1;
    }
    for (i = 0; i < nr && !rc; i++) {
      t.n = 0;
      if (tokenize(raws[i] ? raws[i] : v, rl[i], &t, MAX_TOK / 2, m->expand)) {
        snprintf(err, errsz, "value too long");
        rc = -1; break;
      }
      if (m->windash) rc = emit_windash(s, m, &t, &w, &tmp, pats, np, cap, err, errsz);
      else rc = emit_encoded(s, m, &t, &tmp, pats, np, cap, err, errsz);
    }
  out:
    if (raws && m->expand) for (i = 0; i < nr; i++) tells_free(raws[i]);
    tells_free(raws); tells_free(rl);
    tells_free(t.t); tells_free(w.t); tells_free(tmp.t);
    if (rc == -2) goto nomem;
    if (!rc && unknown) {
      snprintf(err, errsz, "warning: unknown expand placeholder in '%.*s' matches anything",
               (int)(n > 80 ? 80 : n), v);
      return 1;
    }
    return rc;
  }
bad_bool:
  snprintf(err, errsz, "exists needs true or false");
  return -1;
many:
  snprintf(err, errsz, "too many values");
  return -1;
nomem:
  snprintf(err, errsz, "out of memory");
  return -1;
}
