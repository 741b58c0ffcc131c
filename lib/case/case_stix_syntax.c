/*
** case_stix_syntax.c -- value syntax for the STIX 2.1 export (see
** case_stix_syntax.h): what the OASIS schemas assert as formats ("idn-hostname"
** for domain-name, "uri" for url) checked the strict way round, so that every
** object case_export_stix.c writes is valid; and the set of written ids.
** Written from RFC 1034 section 3.5, RFC 5890/5891 and RFC 3986 appendix A.
*/
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include "alloc.h"
#include "case_stix_syntax.h"

static int c_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int c_digit(int c) { return c >= '0' && c <= '9'; }
static int c_hex(int c) { return c_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

int tells__stix_hostname(const char *v) {
  size_t n = strlen(v), i, lab = 0;
  if (n && v[n - 1] == '.') n--;   /* the root label */
  if (n == 0 || n > 253) return 0;
  for (i = 0; i <= n; i++) {
    int c = i < n ? (unsigned char)v[i] : '.';
    if (c == '.') {
      const char *l = v + i - lab;
      if (lab == 0 || lab > 63 || l[0] == '-' || l[lab - 1] == '-') return 0;
      if (lab >= 4 && l[2] == '-' && l[3] == '-') return 0;
      lab = 0;
    } else if (c_alpha(c) || c_digit(c) || c == '-') {
      lab++;
    } else {
      return 0;
    }
  }
  return 1;
}

int tells__stix_ip_literal(const char *v, char out[48]) {
  unsigned char a[16];
  char tmp[48];
  size_t n = strlen(v);
  if (n >= 2 && v[0] == '[' && v[n - 1] == ']') {
    if (n - 2 >= sizeof tmp) return 0;
    memcpy(tmp, v + 1, n - 2);
    tmp[n - 2] = 0;
    return inet_pton(AF_INET6, tmp, a) == 1 && inet_ntop(AF_INET6, a, out, 48) ? 6 : 0;
  }
  if (inet_pton(AF_INET, v, a) == 1 && inet_ntop(AF_INET, a, out, 48)) return 4;
  n = strcspn(v, "%");           /* a zone ("fe80::1%10") names an interface, not the address */
  if (n >= sizeof tmp || (v[n] && !v[n + 1])) return 0;
  memcpy(tmp, v, n);
  tmp[n] = 0;
  return inet_pton(AF_INET6, tmp, a) == 1 && inet_ntop(AF_INET6, a, out, 48) ? 6 : 0;
}

/* unreserved / sub-delims / pct-encoded / one of `extra`, over [p, end). */
static int run_ok(const char *p, const char *end, const char *extra) {
  while (p < end) {
    int c = (unsigned char)*p;
    if (c == '%') {
      if (end - p < 3 || !c_hex((unsigned char)p[1]) || !c_hex((unsigned char)p[2])) return 0;
      p += 3;
      continue;
    }
    if (!(c_alpha(c) || c_digit(c) || strchr("-._~!$&'()*+,;=", c) || strchr(extra, c)) || c == 0)
      return 0;
    p++;
  }
  return 1;
}

static int digits_ok(const char *p, const char *end) {
  for (; p < end; p++) if (!c_digit((unsigned char)*p)) return 0;
  return 1;
}

/* authority = [ userinfo "@" ] host [ ":" port ] over [p, end). */
static int authority_ok(const char *p, const char *end) {
  const char *at = memchr(p, '@', (size_t)(end - p)), *close, *colon;
  char tmp[48];
  unsigned char a[16];
  if (at) {
    if (!run_ok(p, at, ":")) return 0;
    p = at + 1;
  }
  if (p < end && *p == '[') {
    if (!(close = memchr(p, ']', (size_t)(end - p)))) return 0;
    if (p[1] == 'v' || p[1] == 'V') {   /* IPvFuture: "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ) */
      const char *q = p + 2, *dot;
      while (q < close && c_hex((unsigned char)*q)) q++;
      dot = q;
      if (dot == p + 2 || dot >= close || *dot != '.' || dot + 1 == close) return 0;
      for (q = dot + 1; q < close; q++)
        if (*q == '%' || !run_ok(q, q + 1, ":")) return 0;
    } else {
      size_t n = (size_t)(close - p - 1);
      if (n >= sizeof tmp) return 0;
      memcpy(tmp, p + 1, n);
      tmp[n] = 0;
      if (inet_pton(AF_INET6, tmp, a) != 1) return 0;
    }
    p = close + 1;
    if (p == end) return 1;
    return *p == ':' && digits_ok(p + 1, end);
  }
  colon = memchr(p, ':', (size_t)(end - p));
  if (!run_ok(p, colon ? colon : end, "")) return 0;   /* reg-name; IPv4address is one */
  return !colon || digits_ok(colon + 1, end);
}

int tells__stix_uri(const char *v) {
  const char *p = v, *q;
  if (!c_alpha((unsigned char)*p)) return 0;
  for (p++; c_alpha((unsigned char)*p) || c_digit((unsigned char)*p) || strchr("+-.", *p); p++)
    if (!*p) return 0;   /* strchr matches the NUL too */
  if (*p++ != ':') return 0;
  if (p[0] == '/' && p[1] == '/') {
    q = p + 2 + strcspn(p + 2, "/?#");
    if (!authority_ok(p + 2, q)) return 0;
    p = q;
  }
  q = p + strcspn(p, "?#");                          /* path */
  if (!run_ok(p, q, ":@/")) return 0;
  if (*q == '?') {                                   /* query */
    p = q + 1;
    q = p + strcspn(p, "#");
    if (!run_ok(p, q, ":@/?")) return 0;
  }
  return *q != '#' || run_ok(q + 1, q + 1 + strlen(q + 1), ":@/?");   /* fragment */
}

/* ---- the id set: FNV-1a, linear probing, grown at half load ---- */

static uint64_t fnv1a(const char *s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
  return h;
}

void tells__stix_idset_init(tells__stix_idset *s) {
  memset(s, 0, sizeof *s);
  tells_arena_init(&s->arena, 0);
}

static int grow(tells__stix_idset *s) {
  size_t cap = s->cap ? s->cap * 2 : 1024, i, j;
  char **slot;
  if (cap > SIZE_MAX / sizeof *slot / 2) return -1;
  if (!(slot = tells_calloc(cap, sizeof *slot))) return -1;
  for (i = 0; i < s->cap; i++) {
    if (!s->slot[i]) continue;
    for (j = (size_t)fnv1a(s->slot[i]) & (cap - 1); slot[j]; j = (j + 1) & (cap - 1)) {}
    slot[j] = s->slot[i];
  }
  tells_free(s->slot);
  s->slot = slot;
  s->cap = cap;
  return 0;
}

int tells__stix_idset_add(tells__stix_idset *s, const char *id) {
  size_t i;
  char *c;
  if (s->n * 2 >= s->cap && grow(s)) return -1;
  for (i = (size_t)fnv1a(id) & (s->cap - 1); s->slot[i]; i = (i + 1) & (s->cap - 1))
    if (strcmp(s->slot[i], id) == 0) return 0;
  if (!(c = tells_arena_strndup(&s->arena, id, strlen(id)))) return -1;
  s->slot[i] = c;
  s->n++;
  return 1;
}

void tells__stix_idset_free(tells__stix_idset *s) {
  tells_free(s->slot);
  tells_arena_free(&s->arena);
  memset(s, 0, sizeof *s);
}
