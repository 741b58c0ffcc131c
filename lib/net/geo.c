/*
** geo.c -- address scopes, GeoIP databases and lookups (see geo.h).
**
** MaxMind DB files are read by libmaxminddb (mapped read-only); the values
** used are country.iso_code (else registered_country.iso_code), and
** autonomous_system_number / _organization (top level, else under traits).
** A prefix length for an IPv4 address in an IPv6 database is counted in
** IPv4 bits, as MaxMind's own readers report it.
**
** Debian's two tor-geoipdb files, opened as defaults, are mapped at the
** first lookup of their family (geoip holds IPv4 ranges only, geoip6 IPv6
** ones) and searched in place (geo_torx.c): parsing 16 MB of IPv6 text
** whole was most of a small capture's run.  Past as many lookups as the
** parse would have cost (nx_max), or
** at a line the in-place search cannot read, the file is parsed whole
** (geo_tor.c) and searched in memory from then on; the answers are the
** same either way.
*/
#include <arpa/inet.h>
#include <maxminddb.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "alloc.h"
#include "decode.h"
#include "geo.h"
#include "map.h"

typedef struct geo_db {
  char *path;                 /* owned */
  int is_mmdb;
  MMDB_s mmdb;                /* when is_mmdb */
  tells__geo_tor *tor;        /* otherwise, or a Debian file parsed whole (owned; atomic) */
  int deferred;               /* a Debian tor file not mapped yet (atomic) */
  uint8_t fam;                /* its family: TELLS_L3_IPV4 or TELLS_L3_IPV6 */
  pthread_mutex_t mu;         /* the mapping and the whole parse */
  tells_map map;              /* a Debian file's mapping, once mapped */
  int mapped;
  tells__geo_torx *torx;      /* its in-place search (owned), NULL if refused */
  uint64_t nx;                /* lookups done in place (atomic) */
  uint64_t nx_max;            /* and the most before the whole parse */
  int whole_tried;            /* parsed whole, or tried to (atomic) */
} geo_db;

/* In-place lookups of a Debian file before it is parsed whole: one for
** every 512 bytes of the file (~18k for geoip, ~31k for geoip6), about
** what the parse costs -- ~0.65 ns a byte for geoip, ~1 ns for geoip6,
** against ~0.3 and ~0.45 us a lookup -- so a capture with many public
** peers pays at most about twice the parse.  Tests set it (0: by size). */
static uint64_t g_torx_lookups;

void tells__geo_torx_limit(uint64_t n) { g_torx_lookups = n; }

struct tells_geo {
  geo_db db[TELLS_GEO_MAX_DBS];
  size_t n;
};

/* ---- scopes ---------------------------------------------------------- */

static const char *scope4(const uint8_t *a) {
  uint32_t v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
#define IN(net, bits) ((v >> (32 - (bits))) == ((uint32_t)(net) >> (32 - (bits))))
  if (v == 0xffffffffu) return "broadcast";
  if (IN(0x0a000000, 8) || IN(0xac100000, 12) || IN(0xc0a80000, 16)) return "private";
  if (IN(0x7f000000, 8)) return "loopback";
  if (IN(0xa9fe0000, 16)) return "link-local";
  if (IN(0x64400000, 10)) return "cgnat";
  if (IN(0xe0000000, 4)) return "multicast";
  if (IN(0xc0000200, 24) || IN(0xc6336400, 24) || IN(0xcb007100, 24)) return "documentation";
  if (IN(0xc6120000, 15)) return "benchmark";
  if (IN(0x00000000, 8)) return "unspecified";
  if (IN(0xf0000000, 4) || IN(0xc0000000, 24)) return "reserved";
#undef IN
  return NULL;
}

const char *tells_geo_scope(uint8_t l3, const uint8_t ip[16]) {
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static const uint8_t zero[15] = {0};
  if (l3 == TELLS_L3_IPV4) return scope4(ip);
  if (memcmp(ip, mapped, 12) == 0) return scope4(ip + 12);
  if (memcmp(ip, zero, 15) == 0) return ip[15] == 1 ? "loopback" : ip[15] == 0 ? "unspecified" : "reserved";
  if ((ip[0] & 0xfe) == 0xfc) return "private";                 /* fc00::/7 ULA */
  if (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80) return "link-local";   /* fe80::/10 */
  if (ip[0] == 0xff) return "multicast";
  if (ip[0] == 0x20 && ip[1] == 0x01 && ip[2] == 0x0d && ip[3] == 0xb8) return "documentation";
  if (ip[0] == 0x3f && ip[1] == 0xff && (ip[2] & 0xf0) == 0) return "documentation"; /* 3fff::/20 */
  if (ip[0] == 0x01 && ip[1] == 0 && memcmp(ip + 2, zero, 6) == 0) return "reserved";  /* 100::/64 */
  if ((ip[0] & 0xe0) != 0x20) return "reserved";                /* outside 2000::/3 */
  return NULL;
}

/* ---- databases ------------------------------------------------------- */

const char *const *tells_geo_default_paths(void) {
  static const char *const p[] = {
    "/var/lib/GeoIP/GeoLite2-City.mmdb",     /* geoipupdate (Debian config) */
    "/var/lib/GeoIP/GeoLite2-Country.mmdb",
    "/var/lib/GeoIP/GeoLite2-ASN.mmdb",
    "/usr/share/GeoIP/GeoLite2-City.mmdb",
    "/usr/share/GeoIP/GeoLite2-Country.mmdb",
    "/usr/share/GeoIP/GeoLite2-ASN.mmdb",
    "/usr/share/GeoIP/dbip-country-lite.mmdb",
    "/usr/share/tor/geoip",                  /* tor-geoipdb: used when no .mmdb */
    "/usr/share/tor/geoip6",
    NULL};
  return p;
}

static int is_mmdb(const uint8_t *p, size_t len) {
  static const char marker[] = "\xab\xcd\xefMaxMind.com";
  size_t from = len > (128u << 10) ? len - (128u << 10) : 0;
  return len >= 14 && memmem(p + from, len - from, marker, 14) != NULL;
}

static tells_err open_one(tells_geo *g, const char *path, char *err, size_t errlen) {
  tells_map m;
  tells_err e;
  geo_db *d;
  char why[200];
  if (g->n >= TELLS_GEO_MAX_DBS) {
    snprintf(err, errlen, "%s: more than %d GeoIP databases", path, TELLS_GEO_MAX_DBS);
    return TELLS_ELIMIT;
  }
  if ((e = tells_map_open(path, &m))) {
    snprintf(err, errlen, "%s: %s", path, tells_strerror(e));
    return e;
  }
  d = &g->db[g->n];
  memset(d, 0, sizeof *d);
  if (is_mmdb(m.p, m.len)) {
    int s;
    tells_map_close(&m);
    if ((s = MMDB_open(path, MMDB_MODE_MMAP, &d->mmdb)) != MMDB_SUCCESS) {
      snprintf(err, errlen, "%s: not a usable MaxMind DB: %s", path, MMDB_strerror(s));
      return s == MMDB_OUT_OF_MEMORY_ERROR ? TELLS_ENOMEM : TELLS_ECORRUPT;
    }
    d->is_mmdb = 1;
  } else {
    why[0] = 0;
    e = tells__geo_tor_parse(m.p, m.len, &d->tor, why, sizeof why);
    tells_map_close(&m);
    if (e) {
      snprintf(err, errlen, "%s: not a MaxMind DB nor a tor-geoipdb range file: %s", path,
               why[0] ? why : tells_strerror(e));
      return e;
    }
  }
  if (!(d->path = tells_strdup(path))) {
    if (d->is_mmdb) MMDB_close(&d->mmdb);
    tells__geo_tor_free(d->tor);
    return TELLS_ENOMEM;
  }
  g->n++;
  return TELLS_OK;
}

/* Records a Debian tor file to parse at the first lookup of its family.  A
** file that turns out broken then gives no country, as a broken default
** file is skipped when opened. */
static tells_err defer_tor(tells_geo *g, const char *path, uint8_t fam) {
  geo_db *d;
  if (g->n >= TELLS_GEO_MAX_DBS) return TELLS_OK;
  d = &g->db[g->n];
  memset(d, 0, sizeof *d);
  if (!(d->path = tells_strdup(path))) return TELLS_ENOMEM;
  d->fam = fam;
  d->deferred = 1;
  pthread_mutex_init(&d->mu, NULL);
  g->n++;
  return TELLS_OK;
}

/* Maps a deferred Debian file and samples it for the in-place search (a
** file the search refuses is parsed whole at its first lookup). */
static void load_deferred(geo_db *d) {
  pthread_mutex_lock(&d->mu);
  if (d->deferred) {
    if (tells_map_open(d->path, &d->map) == TELLS_OK) {
      d->mapped = 1;
      d->nx_max = g_torx_lookups ? g_torx_lookups : d->map.len / 512;
      if (tells__geo_torx_open(d->map.p, d->map.len, d->fam, &d->torx) != TELLS_OK) d->torx = NULL;
    }
    __atomic_store_n(&d->deferred, 0, __ATOMIC_RELEASE);
  }
  pthread_mutex_unlock(&d->mu);
}

/* Parses a mapped Debian file whole (once; a broken one gives no table). */
static void parse_whole(geo_db *d) {
  pthread_mutex_lock(&d->mu);
  if (!d->whole_tried) {
    tells__geo_tor *t = NULL;
    char why[200];
    if (!d->mapped || tells__geo_tor_parse(d->map.p, d->map.len, &t, why, sizeof why) != TELLS_OK) t = NULL;
    __atomic_store_n(&d->tor, t, __ATOMIC_RELEASE);
    __atomic_store_n(&d->whole_tried, 1, __ATOMIC_RELEASE);
  }
  pthread_mutex_unlock(&d->mu);
}

/* A Debian file's country for an address: 1 found (cc set), else 0.  In
** place until nx_max lookups or a line it cannot read, then parsed whole;
** if that parse fails, the in-place search answers what it can. */
static int tor_lookup(geo_db *d, uint8_t l3, const uint8_t ip[16], char cc[3]) {
  tells__geo_tor *t;
  int r;
  cc[0] = 0;
  if (__atomic_load_n(&d->deferred, __ATOMIC_ACQUIRE)) load_deferred(d);
  if (!__atomic_load_n(&d->whole_tried, __ATOMIC_ACQUIRE)) {
    if (d->torx && __atomic_add_fetch(&d->nx, 1, __ATOMIC_RELAXED) <= d->nx_max &&
        (r = tells__geo_torx_find(d->torx, ip, cc)) >= 0)
      return r;
    parse_whole(d);
  }
  if ((t = __atomic_load_n(&d->tor, __ATOMIC_ACQUIRE)) != NULL) return tells__geo_tor_find(t, l3, ip, cc);
  return d->torx && tells__geo_torx_find(d->torx, ip, cc) > 0;
}

tells_err tells_geo_open(const char *const *paths, size_t n_paths, int defaults,
                         tells_geo **out, char *err, size_t errlen) {
  tells_geo *g;
  tells_err e = TELLS_OK;
  size_t i;
  *out = NULL;
  if (errlen) err[0] = 0;
  if (!(g = tells_calloc(1, sizeof *g))) return TELLS_ENOMEM;
  for (i = 0; i < n_paths && !e; i++) e = open_one(g, paths[i], err, errlen);
  if (!e && defaults && n_paths == 0) {
    const char *const *p = tells_geo_default_paths();
    int have_mmdb = 0;
    struct stat st;
    for (; *p && !e; p++) {
      char skip[300];
      int tor = strncmp(*p, "/usr/share/tor/", 15) == 0;
      if (tor && have_mmdb) continue;
      if (stat(*p, &st) != 0 || !S_ISREG(st.st_mode)) continue;
      if (strcmp(*p, "/usr/share/tor/geoip") == 0 || strcmp(*p, "/usr/share/tor/geoip6") == 0) {
        e = defer_tor(g, *p, (*p)[20] == '6' ? TELLS_L3_IPV6 : TELLS_L3_IPV4);
        continue;
      }
      /* a broken system file is skipped (its reason left in err), not fatal */
      if ((e = open_one(g, *p, skip, sizeof skip)) == TELLS_OK) have_mmdb |= !tor;
      else if (e != TELLS_ENOMEM) { snprintf(err, errlen, "%s", skip); e = TELLS_OK; }
    }
  }
  if (e) { tells_geo_close(g); return e; }
  *out = g;
  return TELLS_OK;
}

void tells_geo_close(tells_geo *g) {
  size_t i;
  if (!g) return;
  for (i = 0; i < g->n; i++) {
    if (g->db[i].is_mmdb) MMDB_close(&g->db[i].mmdb);
    if (g->db[i].fam) pthread_mutex_destroy(&g->db[i].mu);
    tells__geo_tor_free(g->db[i].tor);
    tells__geo_torx_free(g->db[i].torx);
    if (g->db[i].mapped) tells_map_close(&g->db[i].map);
    tells_free(g->db[i].path);
  }
  tells_free(g);
}

size_t tells_geo_count(const tells_geo *g) { return g ? g->n : 0; }
const char *tells_geo_path(const tells_geo *g, size_t i) {
  return g && i < g->n ? g->db[i].path : NULL;
}

/* ---- lookups --------------------------------------------------------- */

static int get_str(MMDB_entry_s *e, char *out, size_t outlen, int *status, const char *a,
                   const char *b) {
  MMDB_entry_data_s d;
  int s = MMDB_get_value(e, &d, a, b, NULL);
  if (s != MMDB_SUCCESS) {
    if (s != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR && !*status) *status = s;
    return 0;
  }
  if (!d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size == 0) return 0;
  snprintf(out, outlen, "%.*s", (int)(d.data_size < outlen ? d.data_size : outlen - 1),
           d.utf8_string);
  return 1;
}

static int get_u32(MMDB_entry_s *e, uint32_t *out, int *status, const char *a, const char *b) {
  MMDB_entry_data_s d;
  int s = MMDB_get_value(e, &d, a, b, NULL);
  if (s != MMDB_SUCCESS) {
    if (s != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR && !*status) *status = s;
    return 0;
  }
  if (!d.has_data) return 0;
  if (d.type == MMDB_DATA_TYPE_UINT32) { *out = d.uint32; return 1; }
  if (d.type == MMDB_DATA_TYPE_UINT16) { *out = d.uint16; return 1; }
  return 0;
}

static void mmdb_lookup(const MMDB_s *m, uint8_t l3, const uint8_t ip[16], int validate,
                        tells_geo_info *gi) {
  struct sockaddr_in s4;
  struct sockaddr_in6 s6;
  const struct sockaddr *sa;
  MMDB_lookup_result_s r;
  int merr = MMDB_SUCCESS, status = 0, prefix;
  char cc[8];
  if (l3 == TELLS_L3_IPV4) {
    memset(&s4, 0, sizeof s4);
    s4.sin_family = AF_INET;
    memcpy(&s4.sin_addr, ip, 4);
    sa = (const struct sockaddr *)&s4;
  } else {
    if (m->metadata.ip_version == 4) {
      if (!gi->error) gi->error = MMDB_strerror(MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR);
      return;
    }
    memset(&s6, 0, sizeof s6);
    s6.sin6_family = AF_INET6;
    memcpy(&s6.sin6_addr, ip, 16);
    sa = (const struct sockaddr *)&s6;
  }
  r = MMDB_lookup_sockaddr(m, sa, &merr);
  if (merr != MMDB_SUCCESS) { if (!gi->error) gi->error = MMDB_strerror(merr); return; }
  prefix = r.netmask;
  if (l3 == TELLS_L3_IPV4 && m->metadata.ip_version == 6) prefix = prefix >= 96 ? prefix - 96 : 0;
  if (!r.found_entry) {
    if (gi->prefix_len < 0 && !gi->country[0]) gi->prefix_len = prefix;
    return;
  }
  if (validate) {
    MMDB_entry_data_list_s *list = NULL;
    int s = MMDB_get_entry_data_list(&r.entry, &list);
    MMDB_free_entry_data_list(list);
    if (s != MMDB_SUCCESS) { if (!gi->error) gi->error = MMDB_strerror(s); return; }
  }
  if (!gi->country[0]) {
    if (get_str(&r.entry, cc, sizeof cc, &status, "country", "iso_code") ||
        get_str(&r.entry, cc, sizeof cc, &status, "registered_country", "iso_code")) {
      if (strlen(cc) == 2) { memcpy(gi->country, cc, 3); gi->prefix_len = prefix; }
    }
    if (!gi->country[0] && gi->prefix_len < 0) gi->prefix_len = prefix;
  }
  if (!gi->asn) {
    if (get_u32(&r.entry, &gi->asn, &status, "autonomous_system_number", NULL) ||
        get_u32(&r.entry, &gi->asn, &status, "traits", "autonomous_system_number")) {
      if (!get_str(&r.entry, gi->as_org, sizeof gi->as_org, &status,
                   "autonomous_system_organization", NULL))
        get_str(&r.entry, gi->as_org, sizeof gi->as_org, &status, "traits",
                "autonomous_system_organization");
    }
  }
  if (status && !gi->error) gi->error = MMDB_strerror(status);
}

int tells_geo_lookup(const tells_geo *g, uint8_t l3, const uint8_t ip[16], int validate,
                     tells_geo_info *gi) {
  size_t i;
  memset(gi, 0, sizeof *gi);
  gi->prefix_len = -1;
  gi->scope = tells_geo_scope(l3, ip);
  if (!gi->scope) gi->scope = "public";
  if (!g) return 0;
  /* databases are asked about special addresses too: test databases put
  ** records in documentation ranges, and it costs nothing to ask */
  for (i = 0; i < g->n && !(gi->country[0] && gi->asn); i++) {
    const geo_db *d = &g->db[i];
    if (d->is_mmdb) {
      mmdb_lookup(&d->mmdb, l3, ip, validate, gi);
    } else if (!gi->country[0]) {
      char cc[3];
      if (d->fam && d->fam != l3) continue;          /* a Debian file of the other family */
      if (d->fam ? tor_lookup((geo_db *)(uintptr_t)d, l3, ip, cc)
                 : tells__geo_tor_find(d->tor, l3, ip, cc))
        memcpy(gi->country, cc, 3);
    }
  }
  return gi->country[0] || gi->asn;
}

/* ---- cache ----------------------------------------------------------- */

#define GEO_CACHE 1024          /* a memo only: its size changes no result */

typedef struct geo_slot {
  uint8_t used, l3, ip[16];
  tells_geo_info info;
} geo_slot;

struct tells_geo_cache {
  tells_geo_info local;         /* the answer for an address with no country */
  const tells_geo *g;
  const tells_geo *(*get)(void);  /* gives g at the first lookup, or NULL */
  geo_slot *s;                  /* GEO_CACHE slots, allocated at first use
                                   (a cache is made per capture) */
  tells_geo_info miss;          /* the answer when s could not be allocated */
};

tells_geo_cache *tells_geo_cache_new(const tells_geo *g) {
  tells_geo_cache *c = tells_calloc(1, sizeof *c);
  if (c) c->g = g;
  return c;
}

tells_geo_cache *tells_geo_cache_lazy(const tells_geo *(*get)(void)) {
  tells_geo_cache *c = tells_calloc(1, sizeof *c);
  if (c) c->get = get;
  return c;
}

void tells_geo_cache_free(tells_geo_cache *c) {
  if (c) tells_free(c->s);
  tells_free(c);
}

/* Scopes whose addresses no database places in a country: private (RFC
** 1918, ULA), loopback, link-local, multicast, broadcast, unspecified.  The
** cache (flow and alert records) answers them without a lookup, so a run
** whose captures stay inside the network never loads a database.
** tells_geo_lookup itself still asks (test databases hold such ranges). */
static int no_country(const char *scope) {
  static const char *const local[] = {"private", "loopback", "link-local", "multicast",
                                      "broadcast", "unspecified"};
  size_t i;
  for (i = 0; scope && i < sizeof local / sizeof local[0]; i++)
    if (strcmp(scope, local[i]) == 0) return 1;
  return 0;
}

const tells_geo_info *tells_geo_cached(tells_geo_cache *c, uint8_t l3, const uint8_t ip[16]) {
  uint32_t h = 2166136261u;
  int i, n = l3 == TELLS_L3_IPV4 ? 4 : 16;
  const char *scope = tells_geo_scope(l3, ip);
  geo_slot *s;
  if (no_country(scope)) {
    memset(&c->local, 0, sizeof c->local);
    c->local.prefix_len = -1;
    c->local.scope = scope;
    return &c->local;
  }
  if (c->get) { c->g = c->get(); c->get = NULL; }
  if (!c->s && !(c->s = tells_calloc(GEO_CACHE, sizeof *c->s))) {
    tells_geo_lookup(c->g, l3, ip, 0, &c->miss);       /* no memory: uncached */
    return &c->miss;
  }
  for (i = 0; i < n; i++) h = (h ^ ip[i]) * 16777619u;
  s = &c->s[h & (GEO_CACHE - 1)];
  if (s->used && s->l3 == l3 && memcmp(s->ip, ip, (size_t)n) == 0) return &s->info;
  s->used = 1; s->l3 = l3;
  memcpy(s->ip, ip, (size_t)n);
  tells_geo_lookup(c->g, l3, ip, 0, &s->info);
  return &s->info;
}

void tells_geo_json(tells_json *j, const char *key, const tells_geo_info *gi) {
  tells_json_key(j, key);
  tells_json_obj(j);
  tells_json_kstr(j, "scope", gi->scope);
  if (gi->country[0]) tells_json_kstr(j, "country", gi->country);
  if (gi->asn) tells_json_ku64(j, "asn", gi->asn);
  if (gi->as_org[0]) tells_json_kstr(j, "as_org", gi->as_org);
  tells_json_obj_end(j);
}
