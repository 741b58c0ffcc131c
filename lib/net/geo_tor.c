/*
** geo_tor.c -- reader for the country range files of Debian's tor-geoipdb
** (/usr/share/tor/geoip, /usr/share/tor/geoip6), see geo.h.
**
** Format (Tor's geoip-db-tool output), one range per line:
**   16777216,16777471,AU                      IPv4: first,last as integers
**   2001:200::,2001:200:ffff:...:ffff,JP      IPv6: first,last as text
** '#' starts a comment line; "??" marks a range without a country.  Ranges
** are kept in two arrays sorted by first address and searched by bisection;
** overlapping ranges are tolerated (the one starting last before the
** address wins).  Every line is read through a bounded cursor.
*/
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "decode.h"
#include "geo.h"
#include "rd.h"

typedef struct tor4 { uint32_t lo, hi; char cc[2]; } tor4;
typedef struct tor6 { uint8_t lo[16], hi[16]; char cc[2]; } tor6;

struct tells__geo_tor {
  tor4 *v4; size_t n4, cap4;
  tor6 *v6; size_t n6, cap6;
};

static int cmp4(const void *a, const void *b) {
  const tor4 *x = a, *y = b;
  return x->lo < y->lo ? -1 : x->lo > y->lo;
}
/* memcmp's sign over 16 address bytes, as two big-endian words. */
static uint64_t be64(const uint8_t *p) {
  uint64_t v = 0;
  int i;
  for (i = 0; i < 8; i++) v = v << 8 | p[i];
  return v;
}
static int cmp16(const uint8_t *a, const uint8_t *b) {
  uint64_t x = be64(a), y = be64(b);
  if (x == y) { x = be64(a + 8); y = be64(b + 8); }
  return x < y ? -1 : x > y;
}
static int cmp6(const void *a, const void *b) {
  return cmp16(((const tor6 *)a)->lo, ((const tor6 *)b)->lo);
}

static int parse_u32(const char *s, size_t n, uint32_t *out) {
  uint64_t v = 0;
  size_t i;
  if (n == 0 || n > 10) return 0;
  for (i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  if (v > 0xffffffffu) return 0;
  *out = (uint32_t)v;
  return 1;
}

/* Hex digit value + 1, 0 for any other byte. */
static const uint8_t HEX1[256] = {
  ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
  ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
  ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16};

/* The common forms of the file (hex groups, at most one "::" standing for
** two or more zero groups) without inet_pton, which is most of the load
** time of geoip6.  Anything else (dotted IPv4 tail, odd forms, errors)
** returns 0 and goes to inet_pton, so what is accepted does not change. */
static int parse_v6_fast(const char *s, size_t n, uint8_t out[16]) {
  uint16_t g[8];
  int ng = 0, gap = -1, k;
  size_t i = 0;
  if (n >= 2 && s[0] == ':' && s[1] == ':') { gap = 0; i = 2; }
  while (i < n) {
    unsigned v = 0;
    int d = 0, x;
    while (i < n && d < 5 && (x = HEX1[(uint8_t)s[i]]) != 0) { v = v * 16 + (unsigned)(x - 1); d++; i++; }
    if (d == 0 || d > 4 || ng == 8) return 0;
    g[ng++] = (uint16_t)v;
    if (i == n) break;
    if (s[i] != ':' || ++i == n) return 0;
    if (s[i] == ':') {
      if (gap >= 0) return 0;
      gap = ng;
      i++;
    }
  }
  if (gap < 0 ? ng != 8 : ng > 6) return 0;
  memset(out, 0, 16);
  for (k = 0; k < ng; k++) {
    int pos = gap < 0 || k < gap ? k : 8 - (ng - k);
    out[2 * pos] = (uint8_t)(g[k] >> 8);
    out[2 * pos + 1] = (uint8_t)g[k];
  }
  return 1;
}

static int parse_v6(const char *s, size_t n, uint8_t out[16]) {
  char tmp[64];
  if (parse_v6_fast(s, n, out)) return 1;
  if (n == 0 || n >= sizeof tmp) return 0;
  memcpy(tmp, s, n);
  tmp[n] = 0;
  return inet_pton(AF_INET6, tmp, out) == 1;
}

static int grow(void **v, size_t *cap, size_t n, size_t elt) {
  size_t nc;
  void *p;
  if (n < *cap) return 1;
  if (n >= TELLS_GEO_TOR_MAX_RANGES) return 0;
  nc = *cap ? *cap * 2 : 4096;
  if (nc > TELLS_GEO_TOR_MAX_RANGES) nc = TELLS_GEO_TOR_MAX_RANGES;
  if (!(p = tells_realloc(*v, nc * elt))) return -1;
  *v = p; *cap = nc;
  return 1;
}

/* One data line (no newline).  Returns 1 ok, 0 malformed, -1 no memory,
** -2 too many ranges. */
static int parse_line(tells__geo_tor *t, const char *s, size_t n) {
  const char *c1 = memchr(s, ',', n), *c2;
  size_t n1, n2, n3;
  const char *cc;
  int g;
  if (!c1) return 0;
  n1 = (size_t)(c1 - s);
  c2 = memchr(c1 + 1, ',', n - n1 - 1);
  if (!c2) return 0;
  n2 = (size_t)(c2 - c1 - 1);
  cc = c2 + 1;
  n3 = n - n1 - n2 - 2;
  while (n3 && (cc[n3 - 1] == '\r' || cc[n3 - 1] == ' ')) n3--;
  if (n3 != 2) return 0;
  if (cc[0] == '?' && cc[1] == '?') return 1;          /* no country: skip */
  if (cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z') return 0;
  if (memchr(s, ':', n1)) {
    tor6 r;
    if (!parse_v6(s, n1, r.lo) || !parse_v6(c1 + 1, n2, r.hi)) return 0;
    if (cmp16(r.lo, r.hi) > 0) return 0;
    memcpy(r.cc, cc, 2);
    if ((g = grow((void **)&t->v6, &t->cap6, t->n6, sizeof r)) <= 0) return g ? -1 : -2;
    t->v6[t->n6++] = r;
  } else {
    tor4 r;
    if (!parse_u32(s, n1, &r.lo) || !parse_u32(c1 + 1, n2, &r.hi) || r.lo > r.hi) return 0;
    memcpy(r.cc, cc, 2);
    if ((g = grow((void **)&t->v4, &t->cap4, t->n4, sizeof r)) <= 0) return g ? -1 : -2;
    t->v4[t->n4++] = r;
  }
  return 1;
}

tells_err tells__geo_tor_parse(const uint8_t *p, size_t len, tells__geo_tor **out,
                               char *err, size_t errlen) {
  tells_rd rd = tells_rd_make(p, len, 0);
  tells__geo_tor *t;
  uint64_t line = 0;
  size_t i;
  *out = NULL;
  if (!(t = tells_calloc(1, sizeof *t))) return TELLS_ENOMEM;
  while (tells_rd_left(&rd) > 0) {
    const uint8_t *nl = memchr(rd.p + rd.off, '\n', tells_rd_left(&rd));
    size_t n = nl ? (size_t)(nl - (rd.p + rd.off)) : tells_rd_left(&rd);
    const char *s = (const char *)tells_rd_bytes(&rd, n);
    int r;
    if (nl) tells_rd_skip(&rd, 1);
    line++;
    if (!s) break;
    while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    if (n == 0 || s[0] == '#') continue;
    r = parse_line(t, s, n);
    if (r == 1) continue;
    if (r == -1) { tells__geo_tor_free(t); return TELLS_ENOMEM; }
    snprintf(err, errlen, r == -2 ? "line %llu: more than %u ranges"
                                  : "line %llu: not a FROM,TO,CC range",
             (unsigned long long)line, TELLS_GEO_TOR_MAX_RANGES);
    tells__geo_tor_free(t);
    return r == -2 ? TELLS_ELIMIT : TELLS_ECORRUPT;
  }
  if (t->n4 + t->n6 == 0) {
    snprintf(err, errlen, "no country ranges");
    tells__geo_tor_free(t);
    return TELLS_ECORRUPT;
  }
  for (i = 1; i < t->n4; i++)
    if (t->v4[i - 1].lo > t->v4[i].lo) { qsort(t->v4, t->n4, sizeof *t->v4, cmp4); break; }
  for (i = 1; i < t->n6; i++)
    if (cmp6(&t->v6[i - 1], &t->v6[i]) > 0) { qsort(t->v6, t->n6, sizeof *t->v6, cmp6); break; }
  *out = t;
  return TELLS_OK;
}

void tells__geo_tor_free(tells__geo_tor *t) {
  if (!t) return;
  tells_free(t->v4);
  tells_free(t->v6);
  tells_free(t);
}

size_t tells__geo_tor_ranges(const tells__geo_tor *t, int v6) {
  return t ? (v6 ? t->n6 : t->n4) : 0;
}

int tells__geo_tor_find(const tells__geo_tor *t, uint8_t l3, const uint8_t ip[16], char cc[3]) {
  size_t lo = 0, hi;
  cc[0] = 0;
  if (!t) return 0;
  if (l3 == TELLS_L3_IPV4) {
    uint32_t a = (uint32_t)ip[0] << 24 | (uint32_t)ip[1] << 16 | (uint32_t)ip[2] << 8 | ip[3];
    hi = t->n4;                     /* first range with lo > a */
    while (lo < hi) {
      size_t m = lo + (hi - lo) / 2;
      if (t->v4[m].lo <= a) lo = m + 1; else hi = m;
    }
    if (lo == 0 || t->v4[lo - 1].hi < a) return 0;
    memcpy(cc, t->v4[lo - 1].cc, 2);
  } else {
    hi = t->n6;
    while (lo < hi) {
      size_t m = lo + (hi - lo) / 2;
      if (cmp16(t->v6[m].lo, ip) <= 0) lo = m + 1; else hi = m;
    }
    if (lo == 0 || cmp16(t->v6[lo - 1].hi, ip) < 0) return 0;
    memcpy(cc, t->v6[lo - 1].cc, 2);
  }
  cc[2] = 0;
  return 1;
}
