/*
** geo.h -- where an IP address is: its scope (private, loopback, ...) from
** the address alone, and for public addresses the country (ISO 3166 code)
** and the autonomous system from GeoIP databases.
**
** Two database formats are read: MaxMind DB (.mmdb, through Debian's
** libmaxminddb; GeoLite2/GeoIP2 Country, City, ASN, ISP, Enterprise and
** compatible files such as DB-IP's) and the text range files of Debian's
** tor-geoipdb package (/usr/share/tor/geoip and geoip6: "FROM,TO,CC" lines,
** IPv4 as decimal integers, IPv6 as text; country only), read by geo_tor.c
** into sorted arrays searched by bisection.  A file is recognised by
** content.  Several databases may be open: the country comes from the first
** that knows it, the ASN from the first that has one.
**
** A tells_geo is read-only once opened, so lookups may run from several
** threads; a tells_geo_cache (one per thread) remembers recent answers.
*/
#ifndef TELLS_NET_GEO_H
#define TELLS_NET_GEO_H

#include <stddef.h>
#include <stdint.h>
#include "json.h"
#include "tells.h"

#define TELLS_GEO_MAX_DBS 8
#define TELLS_GEO_TOR_MAX_RANGES 4000000u   /* per family and file */

typedef struct tells_geo tells_geo;

typedef struct tells_geo_info {
  const char *scope;     /* "public", "private", "loopback", ... (static) */
  char country[3];       /* ISO 3166-1 alpha-2, "" when unknown */
  uint32_t asn;          /* 0 when unknown */
  char as_org[64];       /* "" when unknown */
  int prefix_len;        /* of the network that gave the country (IPv4 bits
                            for IPv4 addresses), -1 when none */
  const char *error;     /* a database's lookup error (static), or NULL */
} tells_geo_info;

/* The scope of an address that needs no database: "private" (RFC 1918,
** ULA), "loopback", "link-local", "cgnat" (100.64/10), "multicast",
** "documentation", "benchmark", "unspecified", "broadcast", "reserved";
** NULL for a public address.  `l3` is TELLS_L3_IPV4 (address in ip[0..3])
** or TELLS_L3_IPV6. */
const char *tells_geo_scope(uint8_t l3, const uint8_t ip[16]);

/* Opens the databases in `paths` (each .mmdb or tor-geoipdb text), and when
** `defaults` is set and no path is given, those of the standard Debian
** locations that exist (tells_geo_default_paths).  Having no database is
** not an error: lookups then give the scope only.  A file that cannot be
** used fails the open with a one-line reason naming it in err[errlen]:
** TELLS_ENOENT, TELLS_ECORRUPT, TELLS_EUNSUP, TELLS_ELIMIT, TELLS_ENOMEM. */
tells_err tells_geo_open(const char *const *paths, size_t n_paths, int defaults,
                         tells_geo **out /* OUT */, char *err, size_t errlen);
void tells_geo_close(tells_geo *g);
/* Number of databases open, and the path of database i. */
size_t tells_geo_count(const tells_geo *g);
const char *tells_geo_path(const tells_geo *g, size_t i);
/* The default database locations, NULL-terminated, in order of preference. */
const char *const *tells_geo_default_paths(void);

/* Looks an address up.  Fills `out` and returns 1 when a country or ASN
** was found, 0 otherwise (out->scope is always set; out->error names a
** database lookup failure).  `g` may be NULL (scope only).  With
** `validate`, each matching MaxMind record is decoded in full first, so a
** corrupt data section is reported as an error (as reference readers do). */
int tells_geo_lookup(const tells_geo *g, uint8_t l3, const uint8_t ip[16], int validate,
                     tells_geo_info *out /* OUT */);

/* A small direct-mapped cache of lookups, owned by one thread. */
typedef struct tells_geo_cache tells_geo_cache;
tells_geo_cache *tells_geo_cache_new(const tells_geo *g);   /* NULL: ENOMEM */
/* A cache whose database comes from get() at its first lookup, so a run
** that looks nothing up never loads one. */
tells_geo_cache *tells_geo_cache_lazy(const tells_geo *(*get)(void));
void tells_geo_cache_free(tells_geo_cache *c);
const tells_geo_info *tells_geo_cached(tells_geo_cache *c, uint8_t l3, const uint8_t ip[16]);

/* Writes `key`: {"scope", "country", "asn", "as_org"} (only what is known)
** for an address into an open JSON object. */
void tells_geo_json(tells_json *j, const char *key, const tells_geo_info *gi);

/* ---- internal: the tor-geoipdb text reader (geo_tor.c) ---- */
typedef struct tells__geo_tor tells__geo_tor;
/* Parses a range file held in memory.  Lines: "# comment", blank,
** "LOW,HIGH,CC" with LOW/HIGH decimal IPv4 integers or IPv6 text and CC two
** letters ("??" = unknown, skipped).  Errors name the line in err. */
tells_err tells__geo_tor_parse(const uint8_t *p, size_t len, tells__geo_tor **out /* OUT */,
                               char *err, size_t errlen);
void tells__geo_tor_free(tells__geo_tor *t);
/* Country of an address ("" when none) and the number of ranges held. */
int tells__geo_tor_find(const tells__geo_tor *t, uint8_t l3, const uint8_t ip[16],
                        char cc[3] /* OUT */);
size_t tells__geo_tor_ranges(const tells__geo_tor *t, int v6);

/* The range readers' address words: an IPv6 address as its two big-endian
** halves, compared as a 128-bit number. */
static inline uint64_t tells__geo_be64(const uint8_t *p) {
  uint64_t v = 0;
  int i;
  for (i = 0; i < 8; i++) v = v << 8 | p[i];
  return v;
}
static inline int tells__geo_cmp128(const uint64_t a[2], const uint64_t b[2]) {
  if (a[0] != b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1];
}

/* One range line; IPv4 bounds are in lo[1]/hi[1] (lo[0] = hi[0] = 0), IPv6
** ones as the address's big-endian halves; cc "??" when none. */
typedef struct tells__geo_range { int v6; uint64_t lo[2], hi[2]; char cc[2]; } tells__geo_range;
/* A line in the files' exact form at s[0..n) ("FROM,TO,CC" then '\n' or the
** end; FROM <= TO; CC two capitals or "??"): the bytes it takes, its newline
** too, or 0 when it is not in that form (comments, CRLF, blanks, errors). */
size_t tells__geo_tor_line(const uint8_t *s, size_t n, tells__geo_range *r /* OUT */);
/* Only the FROM of such a line (IPv6 when v6, else IPv4), as
** tells__geo_tor_line stores it: the bytes before the ',' after it, or 0. */
size_t tells__geo_tor_from(const uint8_t *s, size_t n, int v6, uint64_t lo[2] /* OUT */);

/* ---- internal: lookups in place in a mapped range file (geo_torx.c) ---- */
typedef struct tells__geo_torx tells__geo_torx;
/* Samples a file of one family (TELLS_L3_IPV4 or _IPV6) held in memory,
** which must outlive the result.  ECORRUPT when it is not in the form the
** in-place search needs (parse it whole instead). */
tells_err tells__geo_torx_open(const uint8_t *p, size_t len, uint8_t fam,
                               tells__geo_torx **out /* OUT */);
void tells__geo_torx_free(tells__geo_torx *x);
/* Country of an address of the file's family: 1 found (cc set), 0 none,
** -1 a line on the way is not in the exact form (parse the file whole). */
int tells__geo_torx_find(const tells__geo_torx *x, const uint8_t ip[16], char cc[3] /* OUT */);
/* Tests: in-place lookups of a default Debian file before it is parsed
** whole (0, the default: one per 512 bytes of the file). */
void tells__geo_torx_limit(uint64_t n);

#endif
