/*
** geo_torx.c -- country lookups straight in a mapped tor-geoipdb range
** file (Debian's /usr/share/tor/geoip or geoip6), without parsing it whole.
**
** Parsing geoip6 whole (16 MB of IPv6 text, 277k lines) takes ~25 ms, most
** of a small capture's run, for the few thousand public peers a capture
** has.  Debian's files hold one family each, sorted by first address, in
** the exact form "FROM,TO,CC\n".  Opening reads the first line after every
** 4 KiB and keeps its first address and offset (a few thousand samples);
** a lookup bisects the samples, then the lines of one block, reading about
** eight lines.  A sample out of order, of the other family or not in the
** exact form refuses the file at open; a line met by a lookup that is not
** in that form (a comment, CRLF, an error) makes the lookup answer -1, and
** the caller then parses the file whole (geo_tor.c), which stays the judge
** of what is malformed.  Between samples the lines are taken to be in
** order, as Tor's geoip-db-tool writes them.
**
** The answer is the whole parse's: the range of the last line starting at
** or before the address, "??" lines (no country, not kept by the parse)
** passed over -- at most TORX_BACK of them, else -1.  Every line is read
** through a bounded cursor over the mapping.
*/
#include <string.h>
#include "alloc.h"
#include "decode.h"
#include "geo.h"
#include "rd.h"

#define TORX_BLOCK 4096
#define TORX_BACK 64

struct tells__geo_torx {
  const uint8_t *p;           /* the file (not owned) */
  size_t len;
  int v6;                     /* its family */
  size_t n;                   /* samples */
  uint64_t *key;              /* their first addresses, two words each */
  size_t *off;                /* their offsets, increasing; off[0] is the first range */
};

/* The file from offset s on, through the bounded cursor: its bytes and
** how many (*n = 0 past the end). */
static const uint8_t *rest_at(const tells__geo_torx *x, size_t s, size_t *n) {
  tells_rd rd = tells_rd_make(x->p, x->len, 0);
  tells_rd_seek(&rd, s);
  *n = tells_rd_left(&rd);
  return rd.p + rd.off;
}

/* The range line at offset s: its length (newline included), 0 when it is
** not one in the exact form of the file's family. */
static size_t line_at(const tells__geo_torx *x, size_t s, tells__geo_range *r) {
  size_t n, used;
  const uint8_t *q = rest_at(x, s, &n);
  if (n == 0) return 0;
  used = tells__geo_tor_line(q, n, r);
  return used && r->v6 == x->v6 ? used : 0;
}

/* The first address of the line at offset s, read to the ',' after it
** (what bisection needs; the line it settles on is read whole): 1, or 0
** when it does not read as one of the file's family. */
static int from_at(const tells__geo_torx *x, size_t s, uint64_t lo[2]) {
  size_t n;
  const uint8_t *q = rest_at(x, s, &n);
  return n != 0 && tells__geo_tor_from(q, n, x->v6, lo) != 0;
}

tells_err tells__geo_torx_open(const uint8_t *p, size_t len, uint8_t fam,
                               tells__geo_torx **out) {
  tells__geo_torx *x;
  tells__geo_range r;
  size_t s = 0, b, cap;
  *out = NULL;
  if (fam != TELLS_L3_IPV4 && fam != TELLS_L3_IPV6) return TELLS_EARG;
  while (s < len && (p[s] == '#' || p[s] == '\n')) {   /* the heading comments */
    const uint8_t *nl = memchr(p + s, '\n', len - s);
    s = nl ? (size_t)(nl - p) + 1 : len;
  }
  if (s >= len) return TELLS_ECORRUPT;
  if (!(x = tells_calloc(1, sizeof *x))) return TELLS_ENOMEM;
  x->p = p;
  x->len = len;
  x->v6 = fam == TELLS_L3_IPV6;
  cap = (len - s) / TORX_BLOCK + 1;
  if (!(x->key = tells_malloc(cap * 2 * sizeof *x->key)) || !(x->off = tells_malloc(cap * sizeof *x->off))) {
    tells__geo_torx_free(x);
    return TELLS_ENOMEM;
  }
  for (b = s; b < len && x->n < cap; b += TORX_BLOCK) {
    size_t t = b;
    if (b > s) {                        /* the first line starting after b */
      const uint8_t *nl = memchr(p + b - 1, '\n', len - (b - 1));
      if (!nl || (t = (size_t)(nl - p) + 1) >= len) break;
      if (t <= x->off[x->n - 1]) continue;
    }
    if (!line_at(x, t, &r) ||
        (x->n && tells__geo_cmp128(r.lo, x->key + 2 * (x->n - 1)) <= 0)) {
      tells__geo_torx_free(x);
      return TELLS_ECORRUPT;
    }
    memcpy(x->key + 2 * x->n, r.lo, sizeof r.lo);
    x->off[x->n++] = t;
  }
  *out = x;
  return TELLS_OK;
}

void tells__geo_torx_free(tells__geo_torx *x) {
  if (!x) return;
  tells_free(x->key);
  tells_free(x->off);
  tells_free(x);
}

int tells__geo_torx_find(const tells__geo_torx *x, const uint8_t ip[16], char cc[3]) {
  uint64_t a[2] = {0, 0}, at[2];
  size_t lo = 0, hi, s, end, back = 0;
  tells__geo_range r;
  cc[0] = 0;
  if (!x) return 0;
  if (x->v6) {
    a[0] = tells__geo_be64(ip);
    a[1] = tells__geo_be64(ip + 8);
  } else {
    a[1] = tells_ld32be(ip);
  }
  hi = x->n;                          /* the first sample starting after a */
  while (lo < hi) {
    size_t m = lo + (hi - lo) / 2;
    if (tells__geo_cmp128(x->key + 2 * m, a) <= 0) lo = m + 1; else hi = m;
  }
  if (lo == 0) return 0;              /* before the first range */
  s = x->off[lo - 1];
  end = lo < x->n ? x->off[lo] : x->len;
  memcpy(at, x->key + 2 * (lo - 1), sizeof at);
  while (s < end) {                   /* the line at s starts at or before a */
    const uint8_t *q = memchr(x->p + s, '\n', end - s);
    size_t e = q ? (size_t)(q - x->p) + 1 : end, mid = s + (end - s) / 2, t = e;
    uint64_t ft[2];
    if (e >= end) break;
    if (mid > e && (q = memrchr(x->p + e, '\n', mid - e)) != NULL) t = (size_t)(q - x->p) + 1;
    if (!from_at(x, t, ft)) return -1;
    if (tells__geo_cmp128(ft, a) <= 0) {
      if (tells__geo_cmp128(ft, at) <= 0) return -1;             /* out of order */
      s = t;
      memcpy(at, ft, sizeof at);
    } else {
      end = t;
    }
  }
  if (!line_at(x, s, &r)) return -1;
  while (r.cc[0] == '?') {            /* the parse keeps no "??" range */
    const uint8_t *q;
    if (s == x->off[0]) return 0;
    if (++back > TORX_BACK) return -1;
    q = s - 1 > x->off[0] ? memrchr(x->p + x->off[0], '\n', s - 1 - x->off[0]) : NULL;
    s = q ? (size_t)(q - x->p) + 1 : x->off[0];
    if (!line_at(x, s, &r)) return -1;
  }
  if (tells__geo_cmp128(r.hi, a) < 0) return 0;
  memcpy(cc, r.cc, 2);
  cc[2] = 0;
  return 1;
}
