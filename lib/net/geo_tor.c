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
** address wins).  Every line is read through a bounded cursor (the
** one-pass path below reads only within the cursor's remaining bytes).
**
** Loading both Debian files (~25 MB, 660k lines) is most of a short run's
** cost, so lines in the files' exact form ("FROM,TO,CC\n", no blanks) take
** a one-pass path that reads each byte once; any other line (comments,
** CRLF, blanks, errors) goes through the general line parser, which is
** therefore the only judge of what is malformed.  Arrays are sized from
** the bytes left at a family's first range, so they rarely grow, and are
** backed by huge pages where the kernel allows (a fault per 4 KiB page was
** a fifth of the load).
*/
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "alloc.h"
#include "decode.h"
#include "geo.h"
#include "rd.h"

typedef struct tor4 { uint32_t lo, hi; char cc[2]; } tor4;
/* IPv6 bounds as two 64-bit words (the address's big-endian halves): one
** comparison per word instead of per byte */
typedef struct tor6 { uint64_t lo[2], hi[2]; char cc[2]; } tor6;

struct tells__geo_tor {
  tor4 *v4; size_t n4, cap4;
  tor6 *v6; size_t n6, cap6;
  void *raw4, *raw6;          /* the allocations v4 and v6 lie in (see grow) */
};

static int cmp4(const void *a, const void *b) {
  const tor4 *x = a, *y = b;
  return x->lo < y->lo ? -1 : x->lo > y->lo;
}
static int cmp6(const void *a, const void *b) {
  return tells__geo_cmp128(((const tor6 *)a)->lo, ((const tor6 *)b)->lo);
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
** time of geoip6.  The address ends at s+n or at the first byte that is
** neither a hex digit nor ':'; returns the bytes it takes, 0 when it is not
** in these forms.  Anything else (dotted IPv4 tail, odd forms, errors)
** goes to inet_pton, so what is accepted does not change. */
static size_t v6_text(const char *s, size_t n, uint64_t out[2]) {
  uint16_t g[8];
  int ng = 0, gap = -1, k;
  size_t i = 0;
  if (n >= 2 && s[0] == ':' && s[1] == ':') {
    gap = 0; i = 2;
    if (i == n || !HEX1[(uint8_t)s[i]]) goto done;     /* "::" alone */
  }
  for (;;) {
    unsigned v = 0;
    int d = 0, x;
    if (n - i >= 5) {                 /* most groups have four digits */
      const uint8_t *q = (const uint8_t *)s + i;
      unsigned h0 = HEX1[q[0]], h1 = HEX1[q[1]], h2 = HEX1[q[2]], h3 = HEX1[q[3]];
      if (h0 && h1 && h2 && h3 && !HEX1[q[4]]) {
        v = (h0 - 1) << 12 | (h1 - 1) << 8 | (h2 - 1) << 4 | (h3 - 1);
        d = 4;
        i += 4;
      }
    }
    if (d == 0)
      while (i < n && d < 5 && (x = HEX1[(uint8_t)s[i]]) != 0) { v = v * 16 + (unsigned)(x - 1); d++; i++; }
    if (d == 0 || d > 4 || ng == 8) return 0;
    g[ng++] = (uint16_t)v;
    if (i == n || s[i] != ':') break;
    if (++i == n) return 0;
    if (s[i] == ':') {
      if (gap >= 0) return 0;
      gap = ng;
      if (++i == n || !HEX1[(uint8_t)s[i]]) break;     /* ends right after "::" */
    }
  }
done:
  if (gap < 0 ? ng != 8 : ng > 6) return 0;
  out[0] = out[1] = 0;
  for (k = 0; k < ng; k++) {
    int pos = gap < 0 || k < gap ? k : 8 - (ng - k);
    out[pos >> 2] |= (uint64_t)g[k] << (48 - 16 * (pos & 3));
  }
  return i;
}

static int parse_v6_fast(const char *s, size_t n, uint64_t out[2]) {
  return n > 0 && v6_text(s, n, out) == n;
}

static int parse_v6(const char *s, size_t n, uint64_t out[2]) {
  char tmp[64];
  uint8_t a[16];
  if (parse_v6_fast(s, n, out)) return 1;
  if (n == 0 || n >= sizeof tmp) return 0;
  memcpy(tmp, s, n);
  tmp[n] = 0;
  if (inet_pton(AF_INET6, tmp, a) != 1) return 0;
  out[0] = tells__geo_be64(a);
  out[1] = tells__geo_be64(a + 8);
  return 1;
}

/* Room for one more range in *v (allocated at *raw); the first allocation
** holds `hint` ranges (the bytes left over a short line's length: pages
** past the last range used are never touched).  Arrays of 2 MiB or more
** start on a 2 MiB boundary and are offered to the kernel for huge pages:
** filling them costs a fault per 4 KiB page otherwise, which is a
** noticeable part of the load. */
#define TOR_HUGE ((size_t)2 << 20)
static int grow(void **v, void **raw, size_t *cap, size_t n, size_t elt, size_t hint) {
  size_t nc, bytes;
  uint8_t *p, *a;
  if (n < *cap) return 1;
  if (n >= TELLS_GEO_TOR_MAX_RANGES) return 0;
  nc = *cap ? *cap * 2 : hint < 4096 ? 4096 : hint;
  if (nc > TELLS_GEO_TOR_MAX_RANGES) nc = TELLS_GEO_TOR_MAX_RANGES;
  bytes = nc * elt;
  if (!(p = tells_malloc(bytes >= TOR_HUGE ? bytes + TOR_HUGE : bytes))) return -1;
  a = p;
  if (bytes >= TOR_HUGE) {
    a = p + (TOR_HUGE - (uintptr_t)p % TOR_HUGE) % TOR_HUGE;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    (void)madvise(a, bytes - bytes % TOR_HUGE, MADV_HUGEPAGE);
#endif
  }
  if (n) memcpy(a, *v, n * elt);
  tells_free(*raw);
  *raw = p;
  *v = a;
  *cap = nc;
  return 1;
}

/* One data line (no newline).  Returns 1 ok, 0 malformed, -1 no memory,
** -2 too many ranges. */
static int parse_line(tells__geo_tor *t, const char *s, size_t n, size_t left) {
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
    if (tells__geo_cmp128(r.lo, r.hi) > 0) return 0;
    memcpy(r.cc, cc, 2);
    if ((g = grow((void **)&t->v6, &t->raw6, &t->cap6, t->n6, sizeof r, left / 32)) <= 0) return g ? -1 : -2;
    t->v6[t->n6++] = r;
  } else {
    tor4 r;
    if (!parse_u32(s, n1, &r.lo) || !parse_u32(c1 + 1, n2, &r.hi) || r.lo > r.hi) return 0;
    memcpy(r.cc, cc, 2);
    if ((g = grow((void **)&t->v4, &t->raw4, &t->cap4, t->n4, sizeof r, left / 20)) <= 0) return g ? -1 : -2;
    t->v4[t->n4++] = r;
  }
  return 1;
}

/* Eight ASCII digits (s[0] the most significant, in the low byte of a
** little-endian load) to their value, in three multiply steps. */
static uint32_t swar8(uint64_t x) {
  x -= 0x3030303030303030ull;
  x = (x * 10 + (x >> 8)) & 0x00ff00ff00ff00ffull;
  x = (x * 100 + (x >> 16)) & 0x0000ffff0000ffffull;
  return (uint32_t)((x * 10000 + (x >> 32)) & 0xffffffffu);
}
/* 0x80 in each byte of x that is not an ASCII digit. */
static uint64_t nondigits(uint64_t x) {
  return ((x + 0x4646464646464646ull) | (x - 0x3030303030303030ull)) & 0x8080808080808080ull;
}

/* Decimal digits of s[i..n) up to the first other byte: the index after
** them, 0 when not 1 to 10 digits of a 32-bit value (or, found early, when
** the next byte is not the ',' every caller requires).  With 8 bytes left
** the first eight are classified and converted at once. */
static size_t dec32(const uint8_t *s, size_t n, size_t i, uint32_t *out) {
  size_t st = i;
  uint64_t v = 0;
  if (n - i >= 8) {
    uint64_t x, m;
    unsigned k;
    memcpy(&x, s + i, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap64(x);
#endif
    m = nondigits(x);
    k = m ? (unsigned)__builtin_ctzll(m) / 8 : 8;
    if (k == 0 || (k < 8 && s[i + k] != ',')) return 0;   /* callers want a ',' next */
    v = swar8(k == 8 ? x : (x << (8 * (8 - k))) | (0x3030303030303030ull >> (8 * k)));
    i += k;
    if (k < 8) { *out = (uint32_t)v; return i; }
  }
  while (i < n && i - st <= 10 && (unsigned)(s[i] - '0') < 10) v = v * 10 + (unsigned)(s[i++] - '0');
  if (i == st || i - st > 10 || v > 0xffffffffu) return 0;
  *out = (uint32_t)v;
  return i;
}

/* The first address of a line in the exact form's family v6, up to the
** ',' after it (see geo.h). */
size_t tells__geo_tor_from(const uint8_t *s, size_t n, int v6, uint64_t lo[2]) {
  size_t i;
  uint32_t v;
  if (v6) {
    if (!(i = v6_text((const char *)s, n, lo)) || i == n || s[i] != ',') return 0;
    return i;
  }
  if (!(i = dec32(s, n, 0, &v)) || i == n || s[i] != ',') return 0;
  lo[0] = 0;
  lo[1] = v;
  return i;
}

/* A line in the files' exact form at s[0..n): "FROM,TO,CC" then '\n' or
** the end, CC two capitals or "??", FROM <= TO (see geo.h). */
size_t tells__geo_tor_line(const uint8_t *s, size_t n, tells__geo_range *r) {
  size_t i, j, k;
  const uint8_t *cc;
  if ((i = tells__geo_tor_from(s, n, 0, r->lo)) != 0) {
    uint32_t hi;
    if (!(j = dec32(s, n, i + 1, &hi)) || j >= n || s[j] != ',' || r->lo[1] > hi) return 0;
    r->v6 = 0;
    r->hi[0] = 0;
    r->hi[1] = hi;
  } else {
    if (!(i = tells__geo_tor_from(s, n, 1, r->lo))) return 0;
    if (!(j = v6_text((const char *)s + i + 1, n - i - 1, r->hi))) return 0;
    j += i + 1;
    if (j == n || s[j] != ',' || tells__geo_cmp128(r->lo, r->hi) > 0) return 0;
    r->v6 = 1;
  }
  k = j + 1;
  if (n - k < 2 || (n - k > 2 && s[k + 2] != '\n')) return 0;
  cc = s + k;
  if (!(cc[0] == '?' && cc[1] == '?') && (cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z'))
    return 0;
  memcpy(r->cc, cc, 2);
  return n - k > 2 ? k + 3 : k + 2;
}

/* The one-pass path: a line in the exact form, stored.  Returns the bytes
** used with *res as parse_line's, or 0 to leave the line to parse_line. */
static size_t fast_line(tells__geo_tor *t, const uint8_t *s, size_t n, int *res) {
  tells__geo_range r;
  size_t used = tells__geo_tor_line(s, n, &r);
  int g;
  if (!used) return 0;
  *res = 1;
  if (r.cc[0] == '?') return used;                     /* no country: skip */
  if (r.v6) {
    tor6 r6;
    memcpy(r6.lo, r.lo, sizeof r6.lo);
    memcpy(r6.hi, r.hi, sizeof r6.hi);
    memcpy(r6.cc, r.cc, 2);
    if ((g = grow((void **)&t->v6, &t->raw6, &t->cap6, t->n6, sizeof r6, n / 32)) <= 0) *res = g ? -1 : -2;
    else t->v6[t->n6++] = r6;
  } else {
    tor4 r4;
    r4.lo = (uint32_t)r.lo[1];
    r4.hi = (uint32_t)r.hi[1];
    memcpy(r4.cc, r.cc, 2);
    if ((g = grow((void **)&t->v4, &t->raw4, &t->cap4, t->n4, sizeof r4, n / 20)) <= 0) *res = g ? -1 : -2;
    else t->v4[t->n4++] = r4;
  }
  return used;
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
    size_t left = tells_rd_left(&rd), n, used;
    const uint8_t *nl;
    const char *s;
    int r = 0;
    line++;
    if ((used = fast_line(t, rd.p + rd.off, left, &r)) != 0) {
      tells_rd_skip(&rd, used);
    } else {
      nl = memchr(rd.p + rd.off, '\n', left);
      n = nl ? (size_t)(nl - (rd.p + rd.off)) : left;
      s = (const char *)tells_rd_bytes(&rd, n);
      if (nl) tells_rd_skip(&rd, 1);
      if (!s) break;
      while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
      if (n == 0 || s[0] == '#') continue;
      r = parse_line(t, s, n, left);
    }
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
  tells_free(t->raw4);
  tells_free(t->raw6);
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
    uint64_t a[2];
    a[0] = tells__geo_be64(ip);
    a[1] = tells__geo_be64(ip + 8);
    hi = t->n6;
    while (lo < hi) {
      size_t m = lo + (hi - lo) / 2;
      if (tells__geo_cmp128(t->v6[m].lo, a) <= 0) lo = m + 1; else hi = m;
    }
    if (lo == 0 || tells__geo_cmp128(t->v6[lo - 1].hi, a) < 0) return 0;
    memcpy(cc, t->v6[lo - 1].cc, 2);
  }
  cc[2] = 0;
  return 1;
}
