/*
** sigma_cond.c -- parses a Sigma condition string into a tree of sg_node
** (compiled once at load time, evaluated per event by sigma_match.c).
**
** Grammar (Sigma specification v2, "Condition"), lowest precedence first:
**   expr    := and ('or' and)*
**   and     := unary ('and' unary)*
**   unary   := 'not' unary | primary
**   primary := '(' expr ')' | quant 'of' (pattern | 'them') | identifier
**   quant   := 'all' | 'any' | integer
** `x*` patterns are resolved here against the detection's identifiers;
** `them` means every identifier not starting with '_'.  Keywords are
** case-insensitive.  A '|' (Sigma v1 aggregation) is rejected with a
** pointer to correlation rules.
*/
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "sigma_int.h"

typedef struct cp {
  tells_sigma_ruleset *s;
  const sg_det *d;
  const char *p, *end;
  char *err; size_t errsz;
  int depth;
  uint32_t nodes;
  const char *tok; size_t tn;   /* current token */
} cp;

static void next(cp *c) {
  while (c->p < c->end && isspace((unsigned char)*c->p)) c->p++;
  c->tok = c->p;
  if (c->p >= c->end) { c->tn = 0; return; }
  if (*c->p == '(' || *c->p == ')' || *c->p == '|') { c->p++; c->tn = 1; return; }
  while (c->p < c->end && !isspace((unsigned char)*c->p) && *c->p != '(' &&
         *c->p != ')' && *c->p != '|')
    c->p++;
  c->tn = (size_t)(c->p - c->tok);
}

static int is_kw(const cp *c, const char *kw) {
  size_t n = strlen(kw), i;
  if (c->tn != n) return 0;
  for (i = 0; i < n; i++)
    if (tolower((unsigned char)c->tok[i]) != kw[i]) return 0;
  return 1;
}

static sg_node *mk(cp *c, int op, uint32_t n) {
  sg_node *x;
  if (++c->nodes > SG_MAX_COND_NODES) {
    snprintf(c->err, c->errsz, "condition too large");
    return NULL;
  }
  x = tells_arena_alloc(&c->s->a, sizeof *x);
  if (!x) { snprintf(c->err, c->errsz, "out of memory"); return NULL; }
  memset(x, 0, sizeof *x);
  x->op = (uint8_t)op;
  x->n = n;
  if (n) {
    x->kids = tells_arena_alloc(&c->s->a, n * sizeof *x->kids);
    if (!x->kids) { snprintf(c->err, c->errsz, "out of memory"); return NULL; }
  }
  return x;
}

static int glob_name(const char *pat, size_t pn, const char *s) {
  size_t sn = strlen(s), pi = 0, si = 0, star = (size_t)-1, ss = 0;
  while (si < sn) {
    if (pi < pn && pat[pi] == '*') { star = ++pi; ss = si; continue; }
    if (pi < pn && (pat[pi] == '?' || pat[pi] == s[si])) { pi++; si++; continue; }
    if (star != (size_t)-1) { pi = star; si = ++ss; continue; }
    return 0;
  }
  while (pi < pn && pat[pi] == '*') pi++;
  return pi == pn;
}

static sg_node *parse_expr(cp *c);

static sg_node *parse_primary(cp *c) {
  if (c->tn == 0) { snprintf(c->err, c->errsz, "unexpected end of condition"); return NULL; }
  if (c->tok[0] == '|') {
    snprintf(c->err, c->errsz,
             "aggregation ('| count() ...') is Sigma v1; use a correlation rule");
    return NULL;
  }
  if (c->tok[0] == '(') {
    sg_node *x;
    if (++c->depth > SG_MAX_DEPTH) { snprintf(c->err, c->errsz, "condition nested too deeply"); return NULL; }
    next(c);
    x = parse_expr(c);
    if (!x) return NULL;
    if (!(c->tn == 1 && c->tok[0] == ')')) { snprintf(c->err, c->errsz, "missing ')'"); return NULL; }
    c->depth--;
    next(c);
    return x;
  }
  if (c->tok[0] == ')') { snprintf(c->err, c->errsz, "unexpected ')'"); return NULL; }
  {
    /* quantifier? */
    const char *qt = c->tok;
    size_t qn = c->tn, i;
    int all = is_kw(c, "all"), any = is_kw(c, "any"), num = 1;
    unsigned long k = 0;
    for (i = 0; i < qn; i++) {
      if (!isdigit((unsigned char)qt[i])) { num = 0; break; }
      if (k < 100000) k = k * 10 + (unsigned long)(qt[i] - '0');
    }
    if (all || any || num) {
      const char *save = c->p;
      next(c);
      if (is_kw(c, "of")) {
        uint32_t m = 0, j;
        sg_node *x;
        int them;
        next(c);
        if (c->tn == 0 || c->tok[0] == '(' || c->tok[0] == ')' || c->tok[0] == '|') {
          snprintf(c->err, c->errsz, "'of' needs an identifier pattern or 'them'");
          return NULL;
        }
        them = is_kw(c, "them");
        for (j = 0; j < c->d->n_sels; j++) {
          const char *nm = c->d->sels[j].name;
          if (them ? nm[0] != '_' : glob_name(c->tok, c->tn, nm)) m++;
        }
        if (m == 0) {
          snprintf(c->err, c->errsz, "'%.*s' matches no detection identifier",
                   (int)(c->tn > 80 ? 80 : c->tn), c->tok);
          return NULL;
        }
        x = mk(c, SG_N_ATLEAST, m);
        if (!x) return NULL;
        m = 0;
        for (j = 0; j < c->d->n_sels; j++) {
          const char *nm = c->d->sels[j].name;
          if (them ? nm[0] != '_' : glob_name(c->tok, c->tn, nm)) {
            sg_node *leaf = mk(c, SG_N_SEL, 0);
            if (!leaf) return NULL;
            leaf->sel = j;
            x->kids[m++] = leaf;
          }
        }
        x->k = all ? m : any ? 1 : (uint32_t)k;
        if (num && k == 0) { snprintf(c->err, c->errsz, "'0 of' is meaningless"); return NULL; }
        next(c);
        return x;
      }
      c->p = save;            /* not a quantifier: an identifier "all"... */
      c->tok = qt; c->tn = qn;
    }
  }
  if (is_kw(c, "and") || is_kw(c, "or") || is_kw(c, "of")) {
    snprintf(c->err, c->errsz, "unexpected '%.*s'", (int)c->tn, c->tok);
    return NULL;
  }
  {
    uint32_t j;
    for (j = 0; j < c->d->n_sels; j++) {
      if (strlen(c->d->sels[j].name) == c->tn &&
          memcmp(c->d->sels[j].name, c->tok, c->tn) == 0) {
        sg_node *x = mk(c, SG_N_SEL, 0);
        if (!x) return NULL;
        x->sel = j;
        next(c);
        return x;
      }
    }
    snprintf(c->err, c->errsz, "unknown detection identifier '%.*s'",
             (int)(c->tn > 80 ? 80 : c->tn), c->tok);
    return NULL;
  }
}

static sg_node *parse_unary(cp *c) {
  if (is_kw(c, "not")) {
    sg_node *x, *k;
    if (++c->depth > SG_MAX_DEPTH) { snprintf(c->err, c->errsz, "condition nested too deeply"); return NULL; }
    next(c);
    k = parse_unary(c);
    c->depth--;
    if (!k) return NULL;
    x = mk(c, SG_N_NOT, 1);
    if (!x) return NULL;
    x->kids[0] = k;
    return x;
  }
  return parse_primary(c);
}

/* Generic n-ary level: collects operands into one AND/OR node. */
static sg_node *parse_level(cp *c, int op) {
  sg_node *stackk[64], **kids = stackk, *x;
  uint32_t n = 0, i;
  const char *kw = op == SG_N_OR ? "or" : "and";
  for (;;) {
    sg_node *k = op == SG_N_OR ? parse_level(c, SG_N_AND) : parse_unary(c);
    if (!k) return NULL;
    if (n == 64) { snprintf(c->err, c->errsz, "too many operands"); return NULL; }
    kids[n++] = k;
    if (!is_kw(c, kw)) break;
    next(c);
  }
  if (n == 1) return kids[0];
  x = mk(c, op, n);
  if (!x) return NULL;
  for (i = 0; i < n; i++) x->kids[i] = kids[i];
  return x;
}

static sg_node *parse_expr(cp *c) { return parse_level(c, SG_N_OR); }

sg_node *tells__sigma_cond_parse(tells_sigma_ruleset *s, const sg_det *d,
                                 const char *text, char *err, size_t errsz) {
  cp c;
  sg_node *x;
  memset(&c, 0, sizeof c);
  c.s = s; c.d = d; c.p = text; c.end = text + strlen(text);
  c.err = err; c.errsz = errsz;
  err[0] = 0;
  next(&c);
  x = parse_expr(&c);
  if (!x) return NULL;
  if (c.tn != 0) {
    if (c.tok[0] == '|')
      snprintf(err, errsz, "aggregation ('| count() ...') is Sigma v1; use a correlation rule");
    else
      snprintf(err, errsz, "unexpected '%.*s' after the condition",
               (int)(c.tn > 80 ? 80 : c.tn), c.tok);
    return NULL;
  }
  return x;
}
