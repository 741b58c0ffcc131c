/*
** test_geo.c -- GeoIP: lookups against the reference answers of the
** MaxMind DB test corpus (expected_lookups.jsonl), corrupt databases,
** scopes of special ranges, and the tor-geoipdb text format.
*/
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decode.h"
#include "geo.h"
#include "t.h"

/* ---- a minimal reader for the reference JSON lines ---- */

static const char *ws(const char *p) {
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  return p;
}

/* Skips one JSON value; returns the byte after it (or p on error). */
static const char *jskip(const char *p) {
  int depth = 0;
  p = ws(p);
  do {
    if (*p == '"') {
      for (p++; *p && *p != '"'; p++) if (*p == '\\' && p[1]) p++;
      if (*p) p++;
    } else if (*p == '{' || *p == '[') { depth++; p++; }
    else if (*p == '}' || *p == ']') { depth--; p++; }
    else if (!*p) return p;
    else if (depth == 0) {
      while (*p && *p != ',' && *p != '}' && *p != ']') p++;
    } else p++;
  } while (depth > 0 && *p);
  return p;
}

/* Value of member `key` of the object at p, or NULL. */
static const char *jget(const char *p, const char *key) {
  size_t kl = strlen(key);
  if (!p) return NULL;
  p = ws(p);
  if (*p != '{') return NULL;
  p = ws(p + 1);
  while (*p == '"') {
    const char *k = p + 1, *e = jskip(p);
    int match = (size_t)(e - k - 1) == kl && memcmp(k, key, kl) == 0;
    p = ws(e);
    if (*p != ':') return NULL;
    p = ws(p + 1);
    if (match) return p;
    p = ws(jskip(p));
    if (*p == ',') p = ws(p + 1);
  }
  return NULL;
}

static int jstr(const char *v, char *out, size_t n) {
  size_t i = 0;
  if (!v || *v != '"') return 0;
  for (v++; *v && *v != '"' && i + 1 < n; v++) out[i++] = *v;
  out[i] = 0;
  return 1;
}

/* ---- tests ---- */

static int parse_ip(const char *s, uint8_t *l3, uint8_t ip[16]) {
  memset(ip, 0, 16);
  if (inet_pton(AF_INET, s, ip) == 1) { *l3 = TELLS_L3_IPV4; return 1; }
  if (inet_pton(AF_INET6, s, ip) == 1) { *l3 = TELLS_L3_IPV6; return 1; }
  return 0;
}

static void test_expected_lookups(void) {
  char path[1024], line[65536], db[512], cur[512] = "", ipt[64], want_cc[8], err[2000];
  tells_geo *g = NULL;
  int cur_ok = 0, n_lookups = 0, n_err = 0, n_open_err = 0, n_found = 0, n_cc = 0, n_asn = 0;
  FILE *f;
  snprintf(path, sizeof path, "%s/geo/mmdb-test/expected_lookups.jsonl", t_corpora());
  if (!(f = fopen(path, "r"))) T_SKIP("no geo/mmdb-test corpus");
  while (fgets(line, sizeof line, f)) {
    const char *rec, *v;
    tells_geo_info gi;
    uint8_t l3, ip[16];
    if (!jstr(jget(line, "db"), db, sizeof db)) continue;
    if (strcmp(db, cur) != 0) {
      char full[2048];
      const char *pp = full;
      tells_geo_close(g); g = NULL;
      snprintf(cur, sizeof cur, "%s", db);
      snprintf(full, sizeof full, "%s/geo/mmdb-test/%s", t_corpora(), db);
      cur_ok = tells_geo_open(&pp, 1, 0, &g, err, sizeof err) == TELLS_OK;
      if (!cur_ok) {   /* a one-line error naming the file */
        CHECK(strstr(err, db) != NULL);
        CHECK(strchr(err, '\n') == NULL);
      }
    }
    if (jget(line, "open_error")) { CHECK(!cur_ok); n_open_err++; continue; }
    if (jget(line, "metadata")) { CHECK(cur_ok); continue; }
    if (!jstr(jget(line, "ip"), ipt, sizeof ipt) || !parse_ip(ipt, &l3, ip)) continue;
    if (!cur_ok) { fprintf(stderr, "  %s: did not open\n", db); CHECK(0); continue; }
    tells_geo_lookup(g, l3, ip, 1, &gi);
    n_lookups++;
    if (jget(line, "error")) {
      if (!gi.error) fprintf(stderr, "  %s %s: expected an error\n", db, ipt);
      CHECK(gi.error != NULL);
      n_err++;
      continue;
    }
    if (gi.error) fprintf(stderr, "  %s %s: unexpected error %s\n", db, ipt, gi.error);
    CHECK(gi.error == NULL);
    v = jget(line, "prefix_len");
    if (v && atoi(v) != gi.prefix_len) {
      fprintf(stderr, "  %s %s: prefix %d, expected %d\n", db, ipt, gi.prefix_len, atoi(v));
      CHECK(0);
    }
    rec = jget(line, "record");
    want_cc[0] = 0;
    if (!jstr(jget(jget(rec, "country"), "iso_code"), want_cc, sizeof want_cc))
      jstr(jget(jget(rec, "registered_country"), "iso_code"), want_cc, sizeof want_cc);
    if (strlen(want_cc) != 2) want_cc[0] = 0;
    if (strcmp(want_cc, gi.country) != 0) {
      fprintf(stderr, "  %s %s: country '%s', expected '%s'\n", db, ipt, gi.country, want_cc);
      CHECK(0);
    }
    v = jget(rec, "autonomous_system_number");
    if (!v) v = jget(jget(rec, "traits"), "autonomous_system_number");
    if ((v ? strtoul(v, NULL, 10) : 0) != gi.asn) {
      fprintf(stderr, "  %s %s: asn %u, expected %s\n", db, ipt, gi.asn, v ? v : "none");
      CHECK(0);
    }
    if (v) {
      char want_org[64] = "";
      const char *o = jget(rec, "autonomous_system_organization");
      if (!o) o = jget(jget(rec, "traits"), "autonomous_system_organization");
      jstr(o, want_org, sizeof want_org);
      CHECK_EQ_STR(gi.as_org, want_org);
      n_asn++;
    }
    n_found += jget(line, "found") && strncmp(jget(line, "found"), "true", 4) == 0;
    n_cc += want_cc[0] != 0;
  }
  fclose(f);
  tells_geo_close(g);
  fprintf(stderr, "  %d lookups (%d found, %d with a country, %d with an ASN), %d errors, "
          "%d open errors\n", n_lookups, n_found, n_cc, n_asn, n_err, n_open_err);
  CHECK(n_lookups >= 700 && n_cc >= 100 && n_asn >= 10 && n_err >= 20 && n_open_err >= 10);
}

/* Every bad-data and intentionally broken database: an error or a lookup
** answer, never a crash; lookups of many addresses with validation. */
static void test_bad_databases(void) {
  static const char *const dirs[] = {"bad-data/libmaxminddb", "bad-data/maxminddb-golang",
                                     "bad-data/maxminddb-python", "test-data"};
  static const char *const probes[] = {"1.1.1.1", "1.1.1.32", "::1:ffff:ffff", "2001:db8::1",
                                       "81.2.69.160", "::", "255.255.255.255"};
  size_t d;
  int files = 0;
  for (d = 0; d < sizeof dirs / sizeof *dirs; d++) {
    char cmd[1200], name[1024];
    FILE *ls;
    snprintf(cmd, sizeof cmd, "ls %s/geo/mmdb-test/%s/*.mmdb 2>/dev/null", t_corpora(), dirs[d]);
    if (!(ls = popen(cmd, "r"))) continue;
    while (fgets(name, sizeof name, ls)) {
      tells_geo *g = NULL;
      char err[1200];
      const char *p = name;
      size_t k;
      name[strcspn(name, "\n")] = 0;
      files++;
      if (tells_geo_open(&p, 1, 0, &g, err, sizeof err) != TELLS_OK) {
        CHECK(strstr(err, name) != NULL);
        continue;
      }
      for (k = 0; k < sizeof probes / sizeof *probes; k++) {
        uint8_t l3, ip[16];
        tells_geo_info gi;
        if (parse_ip(probes[k], &l3, ip)) tells_geo_lookup(g, l3, ip, 1, &gi);
      }
      tells_geo_close(g);
    }
    pclose(ls);
  }
  if (!files) T_SKIP("no mmdb-test corpus");
  CHECK(files >= 40);
}

static const char *scope_of(const char *s) {
  uint8_t l3, ip[16];
  if (!parse_ip(s, &l3, ip)) return "bad";
  return tells_geo_scope(l3, ip);
}

static void test_scopes(void) {
  CHECK_EQ_STR(scope_of("10.1.2.3"), "private");
  CHECK_EQ_STR(scope_of("172.16.0.1"), "private");
  CHECK_EQ_STR(scope_of("172.31.255.255"), "private");
  CHECK(scope_of("172.32.0.1") == NULL);
  CHECK_EQ_STR(scope_of("192.168.44.1"), "private");
  CHECK_EQ_STR(scope_of("127.0.0.1"), "loopback");
  CHECK_EQ_STR(scope_of("169.254.1.1"), "link-local");
  CHECK_EQ_STR(scope_of("100.64.0.1"), "cgnat");
  CHECK_EQ_STR(scope_of("100.127.255.254"), "cgnat");
  CHECK(scope_of("100.128.0.1") == NULL);
  CHECK_EQ_STR(scope_of("224.0.0.251"), "multicast");
  CHECK_EQ_STR(scope_of("239.255.255.250"), "multicast");
  CHECK_EQ_STR(scope_of("192.0.2.7"), "documentation");
  CHECK_EQ_STR(scope_of("198.51.100.7"), "documentation");
  CHECK_EQ_STR(scope_of("203.0.113.7"), "documentation");
  CHECK_EQ_STR(scope_of("198.18.0.1"), "benchmark");
  CHECK_EQ_STR(scope_of("255.255.255.255"), "broadcast");
  CHECK_EQ_STR(scope_of("0.0.0.0"), "unspecified");
  CHECK_EQ_STR(scope_of("240.0.0.1"), "reserved");
  CHECK(scope_of("8.8.8.8") == NULL);
  CHECK(scope_of("81.2.69.160") == NULL);
  CHECK_EQ_STR(scope_of("::1"), "loopback");
  CHECK_EQ_STR(scope_of("::"), "unspecified");
  CHECK_EQ_STR(scope_of("fd00::1"), "private");
  CHECK_EQ_STR(scope_of("fe80::1"), "link-local");
  CHECK_EQ_STR(scope_of("ff02::1"), "multicast");
  CHECK_EQ_STR(scope_of("2001:db8::1"), "documentation");
  CHECK_EQ_STR(scope_of("::ffff:192.168.1.1"), "private");
  CHECK(scope_of("::ffff:8.8.8.8") == NULL);
  CHECK(scope_of("2a00:1450::1") == NULL);
}

static void tor_cc(const tells__geo_tor *t, const char *ip, char cc[3]) {
  uint8_t l3, a[16];
  cc[0] = 0;
  if (parse_ip(ip, &l3, a)) tells__geo_tor_find(t, l3, a, cc);
}

static void test_tor_format(void) {
  static const char txt[] =
    "# comment\n\n"
    "16777472,16778239,CN\r\n"      /* unsorted on purpose */
    "16777216,16777471,AU\n"
    "16809984,16842751,TH\n"
    "15726992,15726999,??\n"
    "2001:2::,2001:2:0:ffff:ffff:ffff:ffff:ffff,JP\n"
    "2a00:1450::,2a00:1450:ffff:ffff:ffff:ffff:ffff:ffff,IE";  /* no final newline */
  tells__geo_tor *t = NULL;
  char err[200] = "", cc[3];
  CHECK_EQ_INT(tells__geo_tor_parse((const uint8_t *)txt, sizeof txt - 1, &t, err, sizeof err),
               TELLS_OK);
  if (!t) return;
  CHECK_EQ_INT(tells__geo_tor_ranges(t, 0), 3);
  CHECK_EQ_INT(tells__geo_tor_ranges(t, 1), 2);
  tor_cc(t, "1.0.0.0", cc); CHECK_EQ_STR(cc, "AU");
  tor_cc(t, "1.0.0.255", cc); CHECK_EQ_STR(cc, "AU");
  tor_cc(t, "1.0.1.0", cc); CHECK_EQ_STR(cc, "CN");
  tor_cc(t, "1.0.3.255", cc); CHECK_EQ_STR(cc, "CN");
  tor_cc(t, "1.0.4.0", cc); CHECK_EQ_STR(cc, "");
  tor_cc(t, "1.0.128.0", cc); CHECK_EQ_STR(cc, "TH");
  tor_cc(t, "1.1.0.0", cc); CHECK_EQ_STR(cc, "");
  tor_cc(t, "0.239.250.144", cc); CHECK_EQ_STR(cc, "");   /* "??" range */
  tor_cc(t, "0.0.0.1", cc); CHECK_EQ_STR(cc, "");
  tor_cc(t, "255.0.0.1", cc); CHECK_EQ_STR(cc, "");
  tor_cc(t, "2001:2::5", cc); CHECK_EQ_STR(cc, "JP");
  tor_cc(t, "2a00:1450:4001::1", cc); CHECK_EQ_STR(cc, "IE");
  tor_cc(t, "2a00:1451::", cc); CHECK_EQ_STR(cc, "");
  tells__geo_tor_free(t);
  /* malformed lines name their line number */
  {
    static const char *const bad[] = {"1,2,AU\n3,x,CN\n", "5,4,AU\n", "1,2,A\n", "1,2\n",
                                      "1,99999999999,AU\n", "fe80::,zz::,US\n", "1,2,au\n",
                                      "# only comments\n", ""};
    size_t i;
    for (i = 0; i < sizeof bad / sizeof *bad; i++) {
      t = NULL; err[0] = 0;
      CHECK(tells__geo_tor_parse((const uint8_t *)bad[i], strlen(bad[i]), &t, err, sizeof err) ==
            TELLS_ECORRUPT);
      CHECK(t == NULL && err[0]);
    }
    t = NULL;
    tells__geo_tor_parse((const uint8_t *)bad[0], strlen(bad[0]), &t, err, sizeof err);
    CHECK(strstr(err, "line 2") != NULL);
  }
}

/* The IPv6 text forms of range files (fast parser and inet_pton fallback):
** every form names the same range, and malformed ones are rejected. */
static void test_tor_v6_forms(void) {
  static const char *const same[] = {
    "2001:db8:0:0:0:0:0:0,2001:db8:0:0:ffff:ffff:ffff:ffff,NL\n",
    "2001:DB8::,2001:db8::ffff:ffff:ffff:ffff,NL\n",
    "2001:0db8:0000::,2001:db8:0:0:FFFF:ffff:ffff:ffff,NL\n",
    "2001:db8::0.0.0.0,2001:db8::ffff:ffff:255.255.255.255,NL\n"};
  static const char *const bad[] = {"2001:db8:::,2001:db8::1,NL\n", "1::2::3,1::4,NL\n",
                                    "12345::,12345::1,NL\n", "1:2:3:4:5:6:7:8:9,1::,NL\n",
                                    ":1::,:1::2,NL\n", "1:,1::2,NL\n"};
  tells__geo_tor *t;
  char err[200], cc[3];
  size_t i;
  for (i = 0; i < sizeof same / sizeof *same; i++) {
    t = NULL;
    CHECK_EQ_INT(tells__geo_tor_parse((const uint8_t *)same[i], strlen(same[i]), &t, err, sizeof err),
                 TELLS_OK);
    if (!t) continue;
    tor_cc(t, "2001:db8::", cc); CHECK_EQ_STR(cc, "NL");
    tor_cc(t, "2001:db8::ffff:ffff:ffff:ffff", cc); CHECK_EQ_STR(cc, "NL");
    tor_cc(t, "2001:db8:0:1::", cc); CHECK_EQ_STR(cc, "");
    tor_cc(t, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", cc); CHECK_EQ_STR(cc, "");
    tells__geo_tor_free(t);
  }
  for (i = 0; i < sizeof bad / sizeof *bad; i++) {
    t = NULL;
    CHECK(tells__geo_tor_parse((const uint8_t *)bad[i], strlen(bad[i]), &t, err, sizeof err) ==
          TELLS_ECORRUPT);
    CHECK(t == NULL);
  }
}

/* The tor-geoipdb files Debian ships, when installed, through tells_geo_open. */
static void test_tor_debian(void) {
  static const char *const p[] = {"/usr/share/tor/geoip", "/usr/share/tor/geoip6"};
  tells_geo *g = NULL;
  tells_geo_info gi;
  uint8_t l3, ip[16];
  char err[600];
  FILE *f = fopen(p[0], "r");
  if (!f) T_SKIP("tor-geoipdb not installed");
  fclose(f);
  CHECK_EQ_INT(tells_geo_open(p, 2, 0, &g, err, sizeof err), TELLS_OK);
  if (!g) return;
  CHECK_EQ_INT(tells_geo_count(g), 2);
  parse_ip("1.0.0.1", &l3, ip);            /* 16777216.. APNIC/AU since 2011 */
  CHECK(tells_geo_lookup(g, l3, ip, 0, &gi) == 1 && strlen(gi.country) == 2);
  CHECK_EQ_STR(gi.scope, "public");
  parse_ip("10.0.0.1", &l3, ip);
  CHECK(tells_geo_lookup(g, l3, ip, 0, &gi) == 0);
  CHECK_EQ_STR(gi.scope, "private");
  parse_ip("2001:200::1", &l3, ip);         /* WIDE project, JP */
  tells_geo_lookup(g, l3, ip, 0, &gi);
  CHECK_EQ_STR(gi.country, "JP");
  tells_geo_close(g);
}

/* Opened as defaults, the Debian files are parsed at the first lookup of
** their family: the answers must be those of the files opened (and parsed)
** at once, for addresses of both families asked in mixed order. */
/* The in-place search on small files: the whole parse's answers where it
** takes the file, a refusal (open) or -1 (lookup) where it cannot. */
static int torx_cc(const tells__geo_torx *x, const char *ip, char cc[3]) {
  uint8_t a[16];
  memset(a, 0, sizeof a);
  if (inet_pton(strchr(ip, ':') ? AF_INET6 : AF_INET, ip, a) != 1) return -2;
  return tells__geo_torx_find(x, a, cc);
}

static void test_torx_small(void) {
  static const char v4[] =
    "# heading\n#\n\n"
    "15726992,15726999,??\n"
    "16777216,16777471,AU\n"
    "16777472,16778239,CN\n"
    "16778240,16779263,??\n"
    "16809984,16842751,TH";                  /* no final newline */
  static const char v6[] =
    "# heading\n"
    "2001:2::,2001:2:0:ffff:ffff:ffff:ffff:ffff,JP\n"
    "2a00:1450::,2a00:1450:ffff:ffff:ffff:ffff:ffff:ffff,IE\n";
  static const char mid_comment[] =
    "16777216,16777471,AU\n# a comment\n16809984,16842751,TH\n";
  tells__geo_torx *x = NULL;
  char cc[3], *big;
  size_t n, k;
  CHECK_EQ_INT(tells__geo_torx_open((const uint8_t *)v4, sizeof v4 - 1, TELLS_L3_IPV4, &x), TELLS_OK);
  if (x) {
    CHECK_EQ_INT(torx_cc(x, "1.0.0.0", cc), 1); CHECK_EQ_STR(cc, "AU");
    CHECK_EQ_INT(torx_cc(x, "1.0.0.255", cc), 1); CHECK_EQ_STR(cc, "AU");
    CHECK_EQ_INT(torx_cc(x, "1.0.3.255", cc), 1); CHECK_EQ_STR(cc, "CN");
    CHECK_EQ_INT(torx_cc(x, "1.0.4.0", cc), 0); CHECK_EQ_STR(cc, "");      /* "??" */
    CHECK_EQ_INT(torx_cc(x, "1.0.8.0", cc), 0);                            /* a gap */
    CHECK_EQ_INT(torx_cc(x, "1.0.128.0", cc), 1); CHECK_EQ_STR(cc, "TH");
    CHECK_EQ_INT(torx_cc(x, "1.0.255.255", cc), 1); CHECK_EQ_STR(cc, "TH");
    CHECK_EQ_INT(torx_cc(x, "1.1.0.0", cc), 0);
    CHECK_EQ_INT(torx_cc(x, "0.239.250.144", cc), 0);
    CHECK_EQ_INT(torx_cc(x, "0.0.0.1", cc), 0);
    tells__geo_torx_free(x);
    x = NULL;
  }
  CHECK_EQ_INT(tells__geo_torx_open((const uint8_t *)v6, sizeof v6 - 1, TELLS_L3_IPV6, &x), TELLS_OK);
  if (x) {
    CHECK_EQ_INT(torx_cc(x, "2001:2::5", cc), 1); CHECK_EQ_STR(cc, "JP");
    CHECK_EQ_INT(torx_cc(x, "2a00:1450:4001::1", cc), 1); CHECK_EQ_STR(cc, "IE");
    CHECK_EQ_INT(torx_cc(x, "2a00:1451::", cc), 0);
    CHECK_EQ_INT(torx_cc(x, "2001:1::", cc), 0);
    tells__geo_torx_free(x);
    x = NULL;
  }
  /* refused at open: the other family, no range, nothing */
  CHECK_EQ_INT(tells__geo_torx_open((const uint8_t *)v6, sizeof v6 - 1, TELLS_L3_IPV4, &x), TELLS_ECORRUPT);
  CHECK_EQ_INT(tells__geo_torx_open((const uint8_t *)"# only\n\n", 8, TELLS_L3_IPV4, &x), TELLS_ECORRUPT);
  CHECK_EQ_INT(tells__geo_torx_open((const uint8_t *)"", 0, TELLS_L3_IPV4, &x), TELLS_ECORRUPT);
  CHECK(x == NULL);
  /* a comment between ranges is met by a lookup: -1, parse whole */
  CHECK_EQ_INT(tells__geo_torx_open((const uint8_t *)mid_comment, sizeof mid_comment - 1, TELLS_L3_IPV4, &x),
               TELLS_OK);
  if (x) {
    CHECK_EQ_INT(torx_cc(x, "1.0.128.1", cc), -1);
    tells__geo_torx_free(x);
    x = NULL;
  }
  /* samples out of order (a second 4 KiB block starting lower): refused */
  big = malloc(20000);
  if (!big) return;
  for (n = 0, k = 0; n < 9000; k++) n += (size_t)sprintf(big + n, "%zu,%zu,AU\n", 100000 + 10 * k, 100004 + 10 * k);
  for (k = 0; n < 19000; k++) n += (size_t)sprintf(big + n, "%zu,%zu,FR\n", 1000 + 10 * k, 1004 + 10 * k);
  CHECK_EQ_INT(tells__geo_torx_open((const uint8_t *)big, n, TELLS_L3_IPV4, &x), TELLS_ECORRUPT);
  /* in order, a long run of "??" before an address: -1 past TORX_BACK lines */
  for (n = 0, k = 0; k < 100; k++) n += (size_t)sprintf(big + n, "%zu,%zu,%s\n", 1000 + 10 * k, 1004 + 10 * k, k ? "??" : "DE");
  CHECK_EQ_INT(tells__geo_torx_open((const uint8_t *)big, n, TELLS_L3_IPV4, &x), TELLS_OK);
  if (x) {
    uint8_t a[16] = {0, 0, 0x03, 0xe9};           /* 1001: in the first range */
    CHECK_EQ_INT(tells__geo_torx_find(x, a, cc), 1); CHECK_EQ_STR(cc, "DE");
    a[2] = 0x07;                                   /* 1993: after 99 "??" lines */
    CHECK_EQ_INT(tells__geo_torx_find(x, a, cc), -1);
    tells__geo_torx_free(x);
  }
  free(big);
}

static void tor_deferred_run(void) {
  static const char *const p[] = {"/usr/share/tor/geoip", "/usr/share/tor/geoip6"};
  const char *const *d;
  tells_geo *lazy = NULL, *now = NULL;
  char err[600];
  uint64_t x = 88172645463325252ull;
  int i, found = 0, diff = 0;
  FILE *f = fopen(p[1], "r");
  if (!f) T_SKIP("tor-geoipdb not installed");
  fclose(f);
  for (d = tells_geo_default_paths(); *d; d++)   /* an .mmdb default comes first */
    if (strstr(*d, ".mmdb") && (f = fopen(*d, "r"))) { fclose(f); T_SKIP("a default .mmdb is installed"); }
  CHECK_EQ_INT(tells_geo_open(NULL, 0, 1, &lazy, err, sizeof err), TELLS_OK);
  CHECK_EQ_INT(tells_geo_open(p, 2, 0, &now, err, sizeof err), TELLS_OK);
  if (!lazy || !now) { tells_geo_close(lazy); tells_geo_close(now); return; }
  CHECK_EQ_INT(tells_geo_count(lazy), 2);
  for (i = 0; i < 20000; i++) {
    tells_geo_info a, b;
    uint8_t ip[16];
    int v6 = (i / 7) % 2, k, ra, rb;       /* runs of each family, IPv6 first */
    memset(ip, 0, sizeof ip);
    for (k = 0; k < 16; k++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; ip[k] = (uint8_t)x; }
    if (v6) ip[0] = (uint8_t)(0x20 | (ip[0] & 0x1f));   /* 2000::/3 */
    ra = tells_geo_lookup(lazy, v6 ? TELLS_L3_IPV6 : TELLS_L3_IPV4, ip, 0, &a);
    rb = tells_geo_lookup(now, v6 ? TELLS_L3_IPV6 : TELLS_L3_IPV4, ip, 0, &b);
    found += rb;
    diff += ra != rb || strcmp(a.country, b.country) != 0;
  }
  CHECK(found > 5000);
  CHECK_EQ_INT(diff, 0);
  tells_geo_close(lazy);
  tells_geo_close(now);
}

/* The defaults are searched in place up to a number of lookups, then
** parsed whole: the answers agree with files parsed up front either way,
** the switch made here after 1000 lookups of each family. */
static void test_tor_deferred(void) {
  tor_deferred_run();
  tells__geo_torx_limit(1000);
  tor_deferred_run();
  tells__geo_torx_limit(0);
}

/* Lines in the files' exact form take a one-pass path in geo_tor.c and all
** others the general line parser: the Debian files read as they are and
** with CRLF line ends (every line through the general parser) must give
** the same ranges -- checked by lookups at, around and between the ends of
** every range of the file.  The in-place search (geo_torx.c) must give the
** same answers on the file as it is. */
static void tor_agree_file(const char *path, uint8_t fam) {
  FILE *f = fopen(path, "rb");
  char *a = NULL, *b = NULL, err[200];
  size_t n = 0, nb = 0, i, j, checked = 0, diff = 0, xdiff = 0;
  long sz;
  tells__geo_tor *ta = NULL, *tb = NULL;
  tells__geo_torx *x = NULL, *xb = NULL;
  if (!f) { T_SKIP("tor-geoipdb not installed"); }
  if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
      (a = malloc((size_t)sz + 1)) && (b = malloc(2 * (size_t)sz + 1)))
    n = fread(a, 1, (size_t)sz, f);
  fclose(f);
  CHECK(n > 0);
  if (n == 0) { free(a); free(b); return; }
  a[n] = 0;
  for (i = 0; i < n; i++) {            /* CRLF copy */
    if (a[i] == '\n') b[nb++] = '\r';
    b[nb++] = a[i];
  }
  CHECK_EQ_INT(tells__geo_tor_parse((const uint8_t *)a, n, &ta, err, sizeof err), TELLS_OK);
  CHECK_EQ_INT(tells__geo_tor_parse((const uint8_t *)b, nb, &tb, err, sizeof err), TELLS_OK);
  /* the in-place search takes the file as it is, and refuses CRLF */
  CHECK_EQ_INT(tells__geo_torx_open((const uint8_t *)a, n, fam, &x), TELLS_OK);
  CHECK_EQ_INT(tells__geo_torx_open((const uint8_t *)b, nb, fam, &xb), TELLS_ECORRUPT);
  CHECK(xb == NULL);
  if (ta && tb && x) {
    CHECK_EQ_INT(tells__geo_tor_ranges(ta, 0), tells__geo_tor_ranges(tb, 0));
    CHECK_EQ_INT(tells__geo_tor_ranges(ta, 1), tells__geo_tor_ranges(tb, 1));
    for (i = 0; i < n; i = j + 1) {    /* each range's ends and their neighbours */
      char fld[2][64];
      size_t k = 0, m = 0;
      for (j = i; j < n && a[j] != '\n'; j++) {
        if (a[j] == ',') { if (k < 2) fld[k][m] = 0; k++; m = 0; }
        else if (k < 2 && m < 63) fld[k][m++] = a[j];
      }
      if (a[i] == '#' || k != 2) continue;
      for (k = 0; k < 2; k++) {
        uint8_t l3, ip[16];
        int d;
        memset(ip, 0, sizeof ip);
        if (strchr(fld[k], ':')) {
          if (inet_pton(AF_INET6, fld[k], ip) != 1) continue;
          l3 = TELLS_L3_IPV6;
        } else {
          unsigned long v = strtoul(fld[k], NULL, 10);
          ip[0] = (uint8_t)(v >> 24); ip[1] = (uint8_t)(v >> 16);
          ip[2] = (uint8_t)(v >> 8); ip[3] = (uint8_t)v;
          l3 = TELLS_L3_IPV4;
        }
        for (d = -1; d <= 1; d++) {    /* the end, one below, one above */
          uint8_t q[16];
          char ca[3], cb[3];
          int at = l3 == TELLS_L3_IPV4 ? 3 : 15, c = d;
          memcpy(q, ip, 16);
          while (c && at >= 0) {       /* q += d with carry/borrow */
            int v = q[at] + c;
            q[at] = (uint8_t)v;
            c = v < 0 ? -1 : v > 255 ? 1 : 0;
            at--;
          }
          tells__geo_tor_find(ta, l3, q, ca);
          tells__geo_tor_find(tb, l3, q, cb);
          diff += strcmp(ca, cb) != 0;
          if (l3 == fam) {
            xdiff += tells__geo_torx_find(x, q, cb) < 0 || strcmp(ca, cb) != 0;
          }
          checked++;
        }
      }
    }
    CHECK(checked > 1000);
    CHECK_EQ_INT(diff, 0);
    CHECK_EQ_INT(xdiff, 0);
  }
  tells__geo_torx_free(x);
  tells__geo_tor_free(ta);
  tells__geo_tor_free(tb);
  free(a);
  free(b);
}

static void test_tor_paths_agree(void) {
  tor_agree_file("/usr/share/tor/geoip", TELLS_L3_IPV4);
  tor_agree_file("/usr/share/tor/geoip6", TELLS_L3_IPV6);
}

static void test_open_errors(void) {
  const char *p = "/nonexistent/GeoLite2-Country.mmdb";
  tells_geo *g = NULL;
  tells_geo_info gi;
  uint8_t ip[16] = {8, 8, 8, 8};
  char err[600];
  CHECK(tells_geo_open(&p, 1, 0, &g, err, sizeof err) == TELLS_ENOENT);
  CHECK(g == NULL && strstr(err, p) != NULL);
  p = TELLS_SOURCE_DIR "/CMakeLists.txt";      /* neither format */
  CHECK(tells_geo_open(&p, 1, 0, &g, err, sizeof err) == TELLS_ECORRUPT);
  CHECK(strstr(err, "CMakeLists.txt") != NULL && strstr(err, "line ") != NULL);
  /* no database: scope only */
  CHECK_EQ_INT(tells_geo_lookup(NULL, TELLS_L3_IPV4, ip, 0, &gi), 0);
  CHECK_EQ_STR(gi.scope, "public");
  CHECK_EQ_STR(gi.country, "");
}

int main(void) {
  T_RUN(test_expected_lookups);
  T_RUN(test_bad_databases);
  T_RUN(test_scopes);
  T_RUN(test_tor_format);
  T_RUN(test_tor_v6_forms);
  T_RUN(test_tor_debian);
  T_RUN(test_torx_small);
  T_RUN(test_tor_deferred);
  T_RUN(test_tor_paths_agree);
  T_RUN(test_open_errors);
  T_END();
}
